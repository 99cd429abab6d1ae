"""
Lazy or active training: the initial radius r0 (Berthier 2018, Fig. 6-7)
========================================================================

Data in :math:`\\mathbb{R}^2` lifted to :math:`(x, 1)`, a ReLU teacher with 3
units of norm :math:`r = 2`, and :math:`M = 20` particles of
:class:`solvers.ParticleGD` initialized on the sphere of radius
:math:`r_0 \\in \\{0.05, 0.5, 2, 10\\}` (same step, same number of
iterations; the step is scaled by :math:`1/\\max(1, r_0^2)` for stability,
since the gradients grow like :math:`r_0^2`).

**Paper's claim**: small :math:`r_0` gives *active* training (particles
spring out of the origin and move to the teacher), large :math:`r_0 = 10`
gives *lazy* training (particles move only along lines through the
origin: only the output weights change, close to a convex problem on fixed
features), slow and far from the optimum. **What the run shows**: the loss
curves against the convex optimum (:class:`solvers.ExactReLU`), the
trajectories for :math:`r_0 = 0.05` and :math:`10`, and how far each
particle's direction moved.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np

import measureopt as mo
import solvers

warnings.simplefilter("ignore", mo.ConvergenceWarning)
rng = np.random.default_rng(5)
X = mo.lift(rng.standard_normal((40, 2)))
V = rng.standard_normal((3, 3))
V *= np.sqrt(2.0) / np.linalg.norm(V, axis=1, keepdims=True)
prob = mo.BLASSO(X, np.maximum(X @ V.T, 0) @ (np.sqrt(2.0) * np.array([1.0, -1.0, 1.0])), reg=1e-3)
opt = solvers.ExactReLU().solve(prob)

radii = [0.05, 0.5, 2.0, 10.0]
runs, paths = {}, {}
for r0 in radii:
    path = []
    solver = solvers.ParticleGD(width=20, step_size=0.05 / max(1.0, r0**2), r0=r0, max_iter=5000, record_every=25,
                                tol=None, certify=False,
                                callback=lambda k, a, W, path=path: path.append((a.numpy().copy(), W.numpy().copy())))
    runs[r0], paths[r0] = solver.solve(prob), path

fig, axes = plt.subplots(1, 3, figsize=(13, 4))
for r0 in radii:
    h = runs[r0].history
    axes[0].semilogy(h["iteration"], (h["objective"] - opt.objective) / opt.objective, label=f"$r_0$ = {r0:g}")
axes[0].set_xlabel("iteration")
axes[0].set_ylabel(r"$(J(\nu_k) - J^\star)/J^\star$")
axes[0].legend(fontsize=8)
for ax, r0 in zip(axes[1:], (0.05, 10.0)):
    P = np.array([a[:, None] * W[:, :2] for a, W in paths[r0]])
    for j in range(P.shape[1]):
        ax.plot(P[:, j, 0], P[:, j, 1], color="0.6", lw=0.8)
    ax.plot(P[-1, :, 0], P[-1, :, 1], "o", ms=4)
    ax.set_title(f"$r_0$ = {r0:g}: $a_j w_j$ (bias not shown)")
plt.tight_layout()
plt.show()

# %%
# Active training moves the directions; lazy training barely does.
print(f"convex optimum J* = {opt.objective:.5g} (ExactReLU)")
for r0 in radii:
    a0, W0 = paths[r0][0]
    a1, W1 = paths[r0][-1]
    cos = np.sum(W0 * W1, axis=1) / (np.linalg.norm(W0, axis=1) * np.linalg.norm(W1, axis=1))
    moved = np.median(np.arccos(np.clip(cos, -1, 1)))
    res = runs[r0]
    print(f"r0 = {r0:>5g}: J = {res.objective:.5g} (rel. {(res.objective - opt.objective) / opt.objective:.2e}), "
          f"W2 to optimum {mo.wasserstein(res.measure, opt.measure):.3f} rad, "
          f"median direction change {moved:.3f} rad")
