"""
L1 against L2 regularization of the network (Akiyama & Suzuki, Fig. 3)
======================================================================

The same student (:math:`M = 10`, :math:`d = 5`, teacher width
:math:`m = 5`, :math:`n = 100`) trained by :class:`solvers.NormDependentGD`
from the same initialization, once with the penalty
:math:`\\lambda\\sum_j|a_j|\\lVert w_j\\rVert` (eq. 4) and once with weight
decay :math:`\\frac\\lambda2\\sum_j(a_j^2 + \\lVert w_j\\rVert^2)` (eq. 13).
Both penalties have the same minimum over rescalings of each unit
(:math:`2|a|\\lVert w\\rVert \\le a^2 + \\lVert w\\rVert^2`), which is
:math:`\\lambda\\lVert\\nu\\rVert_{TV}`.

**Paper's claim**: both regularizations give almost the same loss
trajectory. **What the run shows**: the two curves of :math:`J(\\nu_k)`
below, the network objectives (the L2 one is never below :math:`J`), and
the Wasserstein distance between the two final measures and to the convex
optimum (:class:`solvers.SlidingFrankWolfe`).
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np

import measureopt as mo
import solvers

warnings.simplefilter("ignore", mo.ConvergenceWarning)
data = mo.teacher_student(n=100, d=5, m=5, seed=0)
prob = mo.BLASSO(data.X, data.y, reg=1e-3)
ref = solvers.SlidingFrankWolfe(certificate_oracle=mo.LocalOracle()).solve(prob)

M = 10
init = (np.r_[np.full(5, 2 / M), np.full(5, -2 / M)], mo.sample_sphere(5, M, seed=3))
runs = {p: solvers.NormDependentGD(width=M, penalty=p, init=init, max_iter=4000, record_every=20,
                                   tol=None, certify=False).solve(prob) for p in ("l1", "l2")}

fig, ax = plt.subplots(figsize=(6, 4))
for (p, res), color in zip(runs.items(), ["tab:blue", "tab:orange"]):
    h = res.history
    ax.semilogy(h["iteration"], h["objective"], color=color, label=rf"$J(\nu_k)$, penalty {p}")
    ax.semilogy(h["iteration"], h["network_objective"], color=color, ls="--", label=f"network objective, {p}")
ax.axhline(ref.objective, color="k", ls=":", label=r"convex optimum $J^\star$")
ax.set_xlabel("iteration")
ax.legend(fontsize=8)
plt.show()

# %%
l1, l2 = runs["l1"], runs["l2"]
print(f"J(nu): L1 {l1.objective:.6g}, L2 {l2.objective:.6g}, convex optimum {ref.objective:.6g}")
print(f"W2(L1, L2) = {mo.wasserstein(l1.measure, l2.measure):.4f} rad")
print(f"W2 to the optimum: L1 {mo.wasserstein(l1.measure, ref.measure):.4f}, "
      f"L2 {mo.wasserstein(l2.measure, ref.measure):.4f} rad")
