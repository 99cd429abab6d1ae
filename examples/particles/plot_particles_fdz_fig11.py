"""
Pruning wasted neurons by importance sampling (Fang, Dong & Zhang, Fig. 11)
===========================================================================

A wide network (:math:`M = 1000`) trained with regularization
:math:`\\lambda = 10^{-3}` has many "wasted" neurons whose output weight is
tiny. We keep :math:`k = 10` neurons, sampled uniformly or with
probability proportional to :math:`|r_j|` (importance sampling), fix their
directions and refit the output weights, a convex problem (the BLASSO
restricted to the kept directions, :func:`solvers.prune`). The wide
network is trained by :class:`solvers.ConicParticleGD` on teacher-student
data (:math:`d = 5`, :math:`m = 3`, :math:`n = 100`).

**Paper's claim**: importance sampling beats uniform sampling by far,
because many neurons of a wide network are stuck with small weights.
**What the run shows**: the histogram of :math:`|r_j|` (the wasted
neurons), the refitted objectives over 20 draws of each strategy against
the convex optimum (:class:`solvers.SlidingFrankWolfe`), and the
Wasserstein distance from the pruned networks to that optimum.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np

import measureopt as mo
import solvers

warnings.simplefilter("ignore", mo.ConvergenceWarning)
data = mo.teacher_student(n=100, d=5, m=3, seed=1)
prob = mo.BLASSO(data.X, data.y, reg=1e-3)
wide = solvers.ConicParticleGD(width=1000, max_iter=3000, tol=None, certify=False).solve(prob)
ref = solvers.SlidingFrankWolfe(certificate_oracle=mo.LocalOracle()).solve(prob)

pruned = {m: [solvers.prune(wide.measure, prob, k=10, method=m, random_state=s) for s in range(20)]
          for m in ("importance", "uniform")}

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
mass = np.abs(wide.measure.weights)
axes[0].hist(np.log10(mass), bins=40)
axes[0].set_xlabel(r"$\log_{10}|r_j|$ of the 1000 neurons")
axes[0].set_ylabel("count")
axes[0].set_title("wasted neurons: most weights are tiny")
axes[1].boxplot([[r.objective for r in pruned[m]] for m in pruned])
axes[1].set_xticks([1, 2], list(pruned))
axes[1].axhline(ref.objective, color="k", ls=":", label=r"convex optimum $J^\star$")
axes[1].axhline(wide.objective, color="tab:green", ls="--", label="wide network (M = 1000)")
axes[1].set_yscale("log")
axes[1].set_ylabel(r"$J$ after the refit, k = 10")
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %%
print(f"wide network: J = {wide.objective:.6g}, effective neurons {mo.effective_neurons(wide.measure)} of 1000")
print(f"convex optimum J* = {ref.objective:.6g} ({ref.measure.n_atoms} atoms)")
for m, results in pruned.items():
    J = np.array([r.objective for r in results])
    w2 = np.array([mo.wasserstein(r.measure, ref.measure) for r in results])
    print(f"{m:>10}: median J {np.median(J):.6g} (rel. to J* {np.median(J) / ref.objective - 1:.2e}), "
          f"median W2 to optimum {np.median(w2):.3f} rad")
