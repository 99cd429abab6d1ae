"""
A certified regularization path: the teacher's neurons appear as reg decreases
==============================================================================

Teacher-student data (:func:`measureopt.teacher_student`): :math:`n = 200`
inputs drawn uniformly on the sphere :math:`\\mathbb{S}^4` (:math:`d = 5`)
and labels :math:`y_i = \\sum_{k=1}^3 (\\langle w_k, x_i\\rangle)_+` from
three ReLU teacher neurons without bias, orthonormal directions
:math:`w_k` and output weights 1, without noise. The teacher is the measure
:math:`\\nu^\\star = \\sum_k\\delta_{w_k}` (``data.teacher``), of total
variation 3.

:func:`solvers.estimators.reg_path` with ``lift=False`` (the raw inputs,
no bias) solves the BLASSO (Akiyama & Suzuki 2021, eq. 8)

.. math::

    \\min_\\nu\\ \\frac{1}{2n}\\sum_{i=1}^n\\Bigl(y_i -
    \\int(\\langle\\theta, x_i\\rangle)_+\\,d\\nu(\\theta)\\Bigr)^2
    + \\lambda\\lVert\\nu\\rVert_{TV}

over measures on :math:`\\mathbb{S}^4` at 16 regs from :math:`\\lambda_{\\max}`
(the smallest reg whose optimum is the zero measure, itself certified)
down to :math:`10^{-3}\\lambda_{\\max}`, each point warm-started from the
previous one. The directions live in dimension :math:`D = 5 \\le`
:data:`~solvers.estimators.AUTO_SFW_MAX_DIM`, so ``solver="auto"`` runs
:class:`solvers.SlidingFrankWolfe` off the grid, and every point's gap is
certified on the whole sphere (scope ``"sphere"``): it bounds the distance
of that point's objective to the optimum over all networks of any width.
Each point stops at a certified relative gap of :math:`10^{-4}`
(``tol=1e-4``) rather than the default :math:`10^{-6}`, and the path has
16 points rather than the default 30, to keep this page's run short; the
default settings give the same picture (its objectives agree with a
``tol=1e-6`` run to 5 significant digits, and the Wasserstein distances to
the teacher within 0.01) in about a minute on two cores.

What to look at: in the path's table, the certified relative gap of each
point and how the number of neurons and the TV norm grow as reg decreases
(the TV norm towards the teacher's 3); in the second table and figure, for
each teacher neuron, the angle to the nearest atom of the path's measure,
and the Wasserstein distance between the normalized measures.
"""

import time

import matplotlib.pyplot as plt
import numpy as np

import measureopt as mo
from solvers.estimators import plot_path, reg_path

data = mo.teacher_student(n=200, d=5, m=3, seed=0)
teacher = data.teacher
print(f"teacher: {teacher.n_atoms} neurons, weights {teacher.weights}, TV {teacher.total_variation:g}; "
      f"max |<w_j, w_k>| (j != k) = {np.abs(teacher.support @ teacher.support.T - np.eye(3)).max():.1e}")

start = time.perf_counter()
path = reg_path(data.X, data.y, lift=False, n_regs=16, tol=1e-4)
print(f"reg_path: {time.perf_counter() - start:.1f} s\n")
print(path)

# %%
# The path (:func:`~solvers.estimators.plot_path`). Top: each neuron's
# weight :math:`r_j` against reg; atoms of consecutive regs within 0.15 rad
# of each other are joined into one line. Bottom: the certified relative gap
# of each point and the number of neurons (the first point, the zero
# measure, has gap 0, drawn at the bottom of the log axis). As reg
# decreases, two lines rise to the teacher's weight 1; the third teacher
# neuron ends up carried by two atoms within a degree of it, whose weights
# add up to about 1 (the table after the figure lists the atoms at the
# smallest reg); the other neurons stay small and come and go.
fig, axes = plt.subplots(2, 1, figsize=(7, 6), sharex=True, height_ratios=(2, 1), layout="constrained")
plot_path(path, axes=axes, title="BLASSO path, teacher-student (n = 200, d = 5, 3 teacher neurons)")
axes[0].axhline(1.0, color="k", ls="--", lw=0.6, label="teacher's weights")
axes[0].legend(loc="upper right")
plt.show()

# %%
# The teacher's neurons along the path. For each teacher neuron
# :math:`w_k` and each reg, the geodesic angle
# :math:`\arccos\max_j\langle\theta_j, w_k\rangle` to the nearest atom of
# positive weight (no atom: blank), and the weight of the atoms within 10
# degrees of :math:`w_k` (the teacher's: 1). The last column is the
# Wasserstein distance :math:`W_2` (geodesic, radians) between the path's
# measure and the teacher, both normalized to mass one
# (:func:`measureopt.wasserstein`).
K = teacher.n_atoms
angles = np.full((len(path), K), np.nan)
near_mass = np.zeros((len(path), K))
w2 = np.full(len(path), np.nan)
for i, measure in enumerate(path.measures):
    positive = measure.weights > 0
    if positive.any():
        cos = np.clip(measure.support[positive] @ teacher.support.T, -1.0, 1.0)  # (atoms, K)
        angles[i] = np.arccos(cos.max(axis=0))
        near_mass[i] = ((np.arccos(cos) <= np.deg2rad(10)) * measure.weights[positive][:, None]).sum(axis=0)
    if measure.n_atoms:
        w2[i] = mo.wasserstein(measure, teacher, p=2)

print(f"{'reg':>9} {'neurons':>7} {'neg.':>4} {'TV':>6} "
      + " ".join(f"{f'angle w{k + 1}':>9}" for k in range(K)) + " "
      + " ".join(f"{f'mass w{k + 1}':>7}" for k in range(K)) + f" {'W2':>7}")
for i, (reg, measure) in enumerate(zip(path.regs, path.measures)):
    cells = " ".join("        -" if np.isnan(a) else f"{np.rad2deg(a):8.2f}d" for a in angles[i])
    print(f"{reg:9.3g} {measure.n_atoms:7d} {int(np.sum(measure.weights < 0)):4d} "
          f"{measure.total_variation:6.3f} {cells} " + " ".join(f"{m:7.3f}" for m in near_mass[i])
          + ("       -" if np.isnan(w2[i]) else f" {w2[i]:7.3f}"))

# %%
# The atoms of the last point of the path (smallest reg), heaviest first,
# each with its nearest teacher neuron and the angle to it.
last = path.measures[-1]
order = np.argsort(-np.abs(last.weights))
cos = np.clip(last.support @ teacher.support.T, -1.0, 1.0)
print(f"reg = {path.regs[-1]:.3g}: {last.n_atoms} atoms, TV {last.total_variation:.4f}")
print(f"{'weight':>8} {'nearest':>7} {'angle':>8}")
for j in order:
    k = int(np.argmax(cos[j]))
    print(f"{last.weights[j]:8.4f} {f'w{k + 1}':>7} {np.rad2deg(np.arccos(cos[j, k])):7.2f}d")

# %%
# Left: the angle from each teacher neuron to the nearest atom of the path's
# measure, on log scales: each teacher neuron is approached by an atom
# whose angle keeps falling as reg decreases (for :math:`w_1` and
# :math:`w_3` roughly in proportion to reg at the small regs). Right: the
# weight gathered within 10 degrees of each teacher neuron, which rises to
# the teacher's 1, the TV norm over the teacher's 3, and :math:`W_2` to the
# teacher, which falls steadily along the path.
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for k in range(K):
    left.plot(path.regs, np.rad2deg(angles[:, k]), "o-", ms=3, label=f"teacher neuron $w_{k + 1}$")
left.set_xscale("log")
left.set_yscale("log")
left.set_xlabel(r"reg $\lambda$")
left.set_ylabel("angle to the nearest atom (degrees)")
left.axvline(path.reg_max, color="0.4", ls=":", lw=1)
left.legend(fontsize=8)
for k in range(K):
    right.plot(path.regs, near_mass[:, k], "-", lw=1, label=f"weight within 10 deg of $w_{k + 1}$")
right.plot(path.regs, path.tv_norms / teacher.total_variation, "k--", lw=1, label="TV / 3")
right.plot(path.regs, w2, "s-", color="tab:gray", ms=3, label=r"$W_2$ to the teacher (rad)")
right.set_xscale("log")
right.set_xlabel(r"reg $\lambda$")
right.legend(fontsize=8)
plt.show()
