"""
Particle gradient flow in 2-D, ReLU and sigmoid (Berthier 2018, Fig. 1-2)
=========================================================================

Chizat & Bach's particle gradient descent (:class:`solvers.ParticleGD`,
mean-field scaling :math:`1/M`) with :math:`M = 15` particles on data in
:math:`\\mathbb{R}^2`, lifted to :math:`(x, 1)` to carry a bias
(:func:`measureopt.lift`), labels from a teacher network.

* **ReLU** (Fig. 1): Gaussian inputs, a teacher with 3 units of norm
  :math:`r = 2`, particles initialized on the sphere of radius
  :math:`r_0 = 0.05` (Proposition 4.1). Each particle is drawn at
  :math:`|r_j|\\theta_j`, its atom of the measure, with :math:`r_j = a_j\\lVert
  w_j\\rVert/M` (first two coordinates; the bias is not shown).
* **Sigmoid** (Fig. 2): inputs on a circle of radius 3, a teacher with 2
  units, output weights initialized at :math:`a = 0` (Proposition 4.2);
  units read the direction :math:`w_j/\\lVert w_j\\rVert`, drawn with a size
  proportional to :math:`|a_j|`, red for :math:`a_j \\ge 0`, blue otherwise.

**Paper's claim**: with small :math:`r_0` the ReLU particles spring out of
the origin and reach the teacher; with sigmoid, the particles split into
positive and negative ones and align with the teacher's directions, the
others' weights vanishing. **What the run shows**: the trajectories, the
convex optimum of the same (lightly regularized, :math:`\\lambda =
10^{-3}`) BLASSO, exact for ReLU (:class:`solvers.ExactReLU`) and by
:class:`solvers.SlidingFrankWolfe` for sigmoid, and the Wasserstein
distances. The sigmoid particles reach the optimum (objective within
:math:`10^{-3}` relative); in this run the ReLU particles spring out and
find two of the three teacher units but not yet the third after 8000
steps, the kind of run Berthier (2018) shows in their Fig. 1b: the printed
objectives say how far it is.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np

import measureopt as mo
import solvers

warnings.simplefilter("ignore", mo.ConvergenceWarning)
rng = np.random.default_rng(2)


def trajectories(solver, prob):
    path = []
    solver.callback = lambda k, a, W: path.append((a.numpy().copy(), W.numpy().copy()))
    return solver.solve(prob), path


# ReLU: teacher with 3 units of norm 2 (a_j = +-1 after balancing)
X = rng.standard_normal((40, 2))
V = rng.standard_normal((3, 3))
V *= np.sqrt(2.0) / np.linalg.norm(V, axis=1, keepdims=True)
a_t = np.sqrt(2.0) * np.array([1.0, 1.0, -1.0])
Xl = mo.lift(X)
relu_prob = mo.BLASSO(Xl, np.maximum(Xl @ V.T, 0) @ a_t, reg=1e-3)
relu_teacher = mo.network_measure(a_t, V)
relu_res, relu_path = trajectories(
    solvers.ParticleGD(width=15, step_size=0.05, r0=0.05, max_iter=8000, record_every=50, tol=None,
                       certify=False), relu_prob)
relu_opt = solvers.ExactReLU().solve(relu_prob)

# Sigmoid: inputs on a circle of radius 3, teacher with 2 units (directions in the lifted space)
Xs = mo.lift(3.0 * mo.sample_sphere(2, 60, seed=rng))
sig_teacher = mo.DiscreteMeasure([1.0, 1.0], mo.sample_sphere(3, 2, seed=rng))
sig_prob = mo.BLASSO(Xs, mo.BLASSO(Xs, np.zeros(60), 1.0, "sigmoid").predict(sig_teacher), reg=1e-3,
                     activation="sigmoid")
sig_res, sig_path = trajectories(
    solvers.ParticleGD(width=15, step_size=0.5, max_iter=6000, record_every=50, tol=None, certify=False),
    sig_prob)
sig_opt = solvers.SlidingFrankWolfe(certificate_oracle=mo.LocalOracle()).solve(sig_prob)

fig, axes = plt.subplots(1, 2, figsize=(10, 5))
ax = axes[0]
P = np.array([np.abs(a)[:, None] * W[:, :2] / 15 for a, W in relu_path])  # |r_j| theta_j, mean field
for j in range(P.shape[1]):
    ax.plot(P[:, j, 0], P[:, j, 1], color="0.7", lw=0.8)
ax.plot(P[-1, :, 0], P[-1, :, 1], "o", color="tab:blue", label="particles (final)")
T = np.abs(relu_teacher.weights)[:, None] * relu_teacher.support[:, :2]
O = np.abs(relu_opt.measure.weights)[:, None] * relu_opt.measure.support[:, :2]
ax.plot(O[:, 0], O[:, 1], "x", color="k", ms=9, label="convex optimum (exact)")
ax.plot(T[:, 0], T[:, 1], "*", color="tab:red", ms=14, label="teacher")
ax.set_title(r"ReLU, $r_0 = 0.05$: atoms $|r_j|\theta_j$ (bias not shown)")
ax.set_aspect("equal")
ax.legend(fontsize=8)

ax = axes[1]
for t in range(0, len(sig_path), 4):
    a, W = sig_path[t]
    U = W[:, :2] / np.linalg.norm(W, axis=1, keepdims=True)
    ax.scatter(U[:, 0], U[:, 1], s=40 * np.abs(a) + 1, c=np.where(a >= 0, "tab:red", "tab:blue"),
               alpha=0.15 + 0.85 * t / len(sig_path), lw=0)
for th in sig_teacher.support:
    d = th[:2] / np.linalg.norm(th[:2])
    ax.plot([0, 1.1 * d[0]], [0, 1.1 * d[1]], "k-", lw=1.5)
ax.set_title("sigmoid, $a = 0$ at start: directions, size $|a_j|$")
ax.set_aspect("equal")
plt.tight_layout()
plt.show()

# %%
# Distances to the convex optimum and to the teacher
for name, res, opt, teacher, prob in (("ReLU", relu_res, relu_opt, relu_teacher, relu_prob),
                                      ("sigmoid", sig_res, sig_opt, sig_teacher, sig_prob)):
    print(f"{name}: J(particles) {res.objective:.4g}, J* {opt.objective:.4g}; "
          f"W2 to optimum {mo.wasserstein(res.measure, opt.measure):.3f} rad, "
          f"to teacher {mo.wasserstein(res.measure, teacher):.3f} rad")
