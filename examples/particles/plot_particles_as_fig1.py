"""
Norm-dependent gradient descent in 2-D: far particles vanish (Akiyama & Suzuki, Fig. 1)
=======================================================================================

Teacher :math:`f^\\circ(x) = \\sigma(\\langle\\theta_1, x\\rangle) +
\\sigma(\\langle\\theta_2, x\\rangle)` with :math:`\\theta_1 = (1, 0)`,
:math:`\\theta_2 = (0, 1)`, :math:`n = 100` inputs uniform on the circle, and
a student of width :math:`M = 15` trained by
:class:`solvers.NormDependentGD` (Algorithm 1, eq. 11) on the L1-penalized
objective (eq. 4). Each particle is drawn at :math:`a_j w_j \\in
\\mathbb{R}^2`, whose length is its mass :math:`|a_j|\\lVert w_j\\rVert` in
the measure :math:`\\nu`.

**Paper's claim**: particles initialized near a teacher direction move to
it; those far from every teacher direction vanish. **What the run shows**:
the trajectories below, the exact BLASSO optimum (:class:`solvers.ExactReLU`,
stars) beside the particle measure, and the Wasserstein distance between
them.
"""

import matplotlib.pyplot as plt
import numpy as np

import measureopt as mo
import solvers

rng = np.random.default_rng(0)
X = mo.sample_sphere(2, 100, seed=rng)
teacher = mo.DiscreteMeasure([1.0, 1.0], np.eye(2))
y = np.maximum(X @ teacher.support.T, 0.0) @ teacher.weights
prob = mo.BLASSO(X, y, reg=1e-3)

path = []
res = solvers.NormDependentGD(width=15, step_size=1.0, max_iter=4000, record_every=20,
                              callback=lambda k, a, W: path.append((a[:, None] * W).numpy().copy())
                              ).solve(prob)
path = np.array(path)  # (records, M, 2)
exact = solvers.ExactReLU().solve(prob)

fig, ax = plt.subplots(figsize=(5.5, 5.5))
for j in range(path.shape[1]):
    ax.plot(path[:, j, 0], path[:, j, 1], color="0.7", lw=0.8)
ax.plot(path[0, :, 0], path[0, :, 1], "+", color="tab:orange", ms=9, label="initialization")
ax.plot(path[-1, :, 0], path[-1, :, 1], "o", mfc="none", color="tab:red", label="final particles")
opt = exact.measure.weights[:, None] * exact.measure.support
ax.plot(opt[:, 0], opt[:, 1], "*", color="k", ms=14, label="convex optimum (exact)")
ax.set_aspect("equal")
ax.set_xlabel(r"$(a_j w_j)_1$")
ax.set_ylabel(r"$(a_j w_j)_2$")
ax.legend(loc="lower left", fontsize=8)
ax.set_title("NormDependentGD, M = 15")
plt.show()

# %%
# How far is the trained network from the convex optimum?
report = mo.crosscheck(res, prob, reference=exact, teacher=teacher)
print(report)
print(f"\nparticles with mass > 1e-3 of the largest: {report.n_effective} of 15")
