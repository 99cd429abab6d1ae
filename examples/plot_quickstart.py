"""
Quickstart: from data to a certified optimum and a trained network
==================================================================

The whole library in one page, in the teacher-student setting of Akiyama &
Suzuki (2021, Fig. 1: inputs on the circle, two teacher units):

1. data from a teacher network of ReLU units;
2. the convex problem over measures on the sphere, BLASSO (eq. 8);
3. its solution by sliding Frank-Wolfe, with a duality gap that
   **certifies** the continuous problem;
4. a finite network trained by gradient descent (Algorithm 1);
5. how far the network is from the convex optimum, by :func:`measureopt.crosscheck`;
6. a plot of the measures and of the dual certificate.

The package :mod:`measureopt` says what to solve; :mod:`solvers` says how.
"""

import warnings

import matplotlib.pyplot as plt

import measureopt as mo
import measureopt.plot as moplot
import solvers

# %%
# Data and problem
# ----------------
# :math:`n = 200` inputs uniform on the circle :math:`\mathbb{S}^1`
# (:math:`d = 2`) and the outputs of a teacher of :math:`m = 2` orthonormal
# ReLU units with unit weights. The teacher is itself a measure on the
# sphere, ``data.teacher``. BLASSO (eq. 8) is
# :math:`\min_\nu \frac{1}{2n}\sum_i (y_i - \int\sigma(\langle\theta,
# x_i\rangle)d\nu(\theta))^2 + \lambda\lVert\nu\rVert_{TV}`.

data = mo.teacher_student(n=200, d=2, m=2, seed=0)
problem = mo.BLASSO(data.X, data.y, reg=1e-3)
print(f"X {data.X.shape}, y {data.y.shape}, teacher {data.teacher}")

# %%
# The convex optimum, certified
# -----------------------------
# :class:`solvers.SlidingFrankWolfe` adds one atom per iteration where the
# certificate :math:`|\eta|` is largest, then slides all atoms. Its gap comes
# from a sup-oracle whose bound holds on the whole sphere (the exact
# hyperplane-arrangement oracle in :math:`d = 2`), so ``gap_scope`` is
# ``"sphere"``: ``dual_gap`` bounds :math:`J(\nu) - J^\star` for the
# continuous problem.

sfw = solvers.SlidingFrankWolfe(max_iter=20).solve(problem)
print(f"status {sfw.status}, objective {sfw.objective:.6e}, "
      f"dual gap {sfw.dual_gap:.1e} (certifies: {sfw.gap_scope})")
for name, measure in [("teacher", data.teacher), ("solution", sfw.measure)]:
    print(f"{name}: {measure.n_atoms} atoms")
    for weight, theta in zip(measure.weights, measure.support):
        print(f"  weight {weight:+.4f} at ({theta[0]:+.4f}, {theta[1]:+.4f})")

# %%
# A network trained by gradient descent
# -------------------------------------
# :class:`solvers.NormDependentGD` is Algorithm 1 of the paper: :math:`M =
# 40` ReLU units, the L1 penalty :math:`\lambda\sum_j |a_j|\lVert w_j\rVert`
# (eq. 4) and the norm-dependent step (eq. 11). Its result holds the network
# (``stats["a"]``, ``stats["W"]``) and the measure it defines,
# :math:`\sum_j a_j\lVert w_j\rVert\delta_{w_j/\lVert w_j\rVert}`. Its
# own certificate is skipped (``certify=False``): :func:`~measureopt.crosscheck`
# computes it below. A fixed-budget run ends with a ``ConvergenceWarning``,
# silenced here.

with warnings.catch_warnings():
    warnings.simplefilter("ignore", mo.ConvergenceWarning)
    gd = solvers.NormDependentGD(width=40, max_iter=3000, random_state=0, certify=False).solve(problem)
a, W = gd.stats["a"], gd.stats["W"]
print(f"network: a {a.shape}, W {W.shape}; objective {gd.objective:.6e} "
      f"after {gd.n_iter} steps ({gd.status})")

# %%
# Network against convex optimum
# ------------------------------
# :func:`measureopt.crosscheck` compares the network with the certified
# optimum and the teacher: objectives, the certified gap of the network's
# own measure, Wasserstein distances on the sphere, and how many units
# carry mass.

report = mo.crosscheck(gd, problem, reference=sfw, teacher=data.teacher)
print(report)

# %%
# Plots
# -----
# Left: the network's measure on the circle, each atom a radial spike of
# length proportional to its weight, and the teacher's two atoms (stars).
# Right: the certificate :math:`\eta` of the Frank-Wolfe solution around the
# circle; optimality (eq. 10) means :math:`|\eta| \le 1`, with
# :math:`\eta = \pm 1` at the atoms (marked).

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4))
moplot.plot_measure(gd.measure, ax=ax0, teacher=data.teacher, title="network (spikes), teacher (stars)")
moplot.plot_certificate(problem, sfw.measure, ax=ax1)
ax1.set_title("certificate of the Frank-Wolfe solution")
fig.tight_layout()
plt.show()
