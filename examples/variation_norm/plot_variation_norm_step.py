"""
Step units in 1-D: an exact neuron oracle and a certified piecewise-constant fit
================================================================================

With the step activation :math:`\\sigma(u) = (u)_+^0 = \\mathbb{1}\\{u > 0\\}`
(Berthier 2018, :math:`\\alpha = 0`) and scalar inputs lifted to
:math:`\\tilde x = (x, 1)`, a unit :math:`v = (\\cos\\phi, \\sin\\phi)` on the
circle :math:`\\mathbb{S}^1` (``prob.dim == 2``) is the indicator
:math:`\\mathbb{1}\\{x\\cos\\phi + \\sin\\phi > 0\\}` of a half-line: a
threshold :math:`t = -\\tan\\phi`, opening to the right when
:math:`\\cos\\phi > 0` and to the left otherwise. A function of
:math:`\\mathcal F_1` is then piecewise constant, and its variation norm is at
least its total variation (each unit adds one jump of size its
:math:`|w_j|`): the penalized problem (Berthier eq. 8, squared loss) is a
relative of 1-D total-variation denoising.

**The neuron oracle, eq. 6.** Frank-Wolfe adds the unit maximizing
:math:`|c_q(v)| = |\\frac1n\\sum_i q_i\\mathbb{1}\\{\\langle v, \\tilde x_i\\rangle
> 0\\}|` with :math:`q = -\\ell'(f)`, here the residual :math:`y - f`:

.. math::

    \\max_v\\ \\Bigl|\\sum_{i\\in I_+}|q_i|\\,\\mathbb{1}\\{\\langle v, \\tilde x_i\\rangle > 0\\}
    - \\sum_{i\\in I_-}|q_i|\\,\\mathbb{1}\\{\\langle v, \\tilde x_i\\rangle > 0\\}\\Bigr|,

the choice of a half-space that holds the most :math:`|q|`-weighted points of
one sign of :math:`q` and the fewest of the other: a weighted
misclassification problem, NP-hard in general dimension (Berthier, eq. 6,
which writes :math:`y_i` where :math:`q_i`, or :math:`-g_i`, belongs; the two
agree only at :math:`f = 0` for the squared loss). :math:`c_q` is constant
on each cell of the arrangement of the lines :math:`\\tilde x_i^\\perp`, so in
low dimension the sup is found exactly by enumerating the cells: here the
:math:`2n` arcs of the circle between the angles where :math:`\\langle v,
\\tilde x_i\\rangle = 0`. That is what :class:`measureopt.ArrangementOracle`
does, and it is the problem's ``default_oracle()``.

**Solvers.** Moving an atom does not change :math:`c_q` inside its cell (the
derivative of a step is 0 almost everywhere), so the sliding step of
:class:`solvers.SlidingFrankWolfe` has nothing to descend: the natural solver
is the fully corrective :class:`solvers.FrankWolfe` with the exact oracle as
LMO. Both are run; both stop on a gap certified on the whole circle.

**Paper's claim**: the LMO of eq. 6 is a weighted misclassification problem,
NP-hard, with no constant-factor polynomial approximation; the paper does not
solve it (exact enumeration in low dimension is this library's choice).
**What the run shows** (numbers printed below): the enumeration of the
:math:`2n = 120` arcs agrees with a brute-force search over thresholds at
:math:`f = 0` (:math:`\\lambda_{\\max} = 0.542615` both); corrective
Frank-Wolfe reaches a certified relative gap of :math:`7.5\\cdot 10^{-12}`
(scope ``"sphere"``) after 20 iterations, with 19 atoms (10 half-lines to the
right, 9 to the left). Sliding Frank-Wolfe ends at the same objective (to 15
digits), the same TV norm and the same predictions on the data (to
:math:`3\\cdot 10^{-14}`), but with one unit in a different place (a
left half-line two data points away): the optimal measure is not unique,
only its predictions are. The certificate :math:`\\eta` is piecewise
constant, :math:`|\\eta| \\le 1` on the circle (to 12 digits on 20001
angles), and :math:`|\\eta| = 1` at every atom, with the sign of its weight.
"""

import time

import matplotlib.pyplot as plt
import numpy as np

import measureopt as mo
import solvers

rng = np.random.default_rng(0)
n = 60
x = np.sort(rng.uniform(-1, 1, n))
y = np.sin(np.pi * x) + 0.5 * (x > 0.3) + 0.15 * rng.standard_normal(n)
reg = 1e-2
prob = mo.VariationNormERM(x[:, None], y, loss="squared", alpha=0, reg=reg)
oracle = prob.default_oracle()
print(prob, "| default oracle:", oracle)

# %%
# Eq. 6 at f = 0 (q = y): the exact oracle against a brute-force search over
# the thresholds between data points, half-lines to the right and to the left.
cuts = np.r_[x[0] - 1.0, 0.5 * (x[1:] + x[:-1]), x[-1] + 1.0]
brute = max(max(abs(y[x > t].sum()), abs(y[x < t].sum())) for t in cuts) / n
print(f"lambda_max: ArrangementOracle {prob.reg_max():.6f}, brute force over thresholds {brute:.6f}")

# %%
# Corrective Frank-Wolfe with the exact LMO, and Sliding Frank-Wolfe (whose
# sliding step cannot move step units). Both certify with the exact oracle.
tic = time.perf_counter()
fw = solvers.FrankWolfe(corrective=True, max_iter=200, oracle=oracle).solve(prob)
print(fw, f"\n({time.perf_counter() - tic:.2f} s)")
tic = time.perf_counter()
sfw = solvers.SlidingFrankWolfe(max_iter=100, oracle=oracle).solve(prob)
print(f"SlidingFrankWolfe: objective {sfw.objective:.15f}, gap {sfw.dual_gap:.1e} ({sfw.gap_scope}), "
      f"{sfw.measure.n_atoms} atoms ({time.perf_counter() - tic:.2f} s)")
print(f"FrankWolfe:        objective {fw.objective:.15f}, relative gap {fw.relative_gap:.1e}")


def thresholds(measure):
    """Threshold t = -v2/v1 and direction (+1: x > t, -1: x < t) of each step unit."""
    v = measure.support
    return -v[:, 1] / v[:, 0], np.sign(v[:, 0])


t_fw, side_fw = thresholds(fw.measure)
t_sfw, _ = thresholds(sfw.measure)
print("thresholds (FW): ", np.array2string(np.sort(t_fw), precision=3))
# A threshold can move inside the gap between two consecutive inputs without
# changing anything on the data; and step features of 1-D inputs are linearly
# dependent (1{x > t} + 1{x < t} = 1), so the optimal measure need not be
# unique. The predictions on the data are (the squared loss is strictly convex
# in f). Compare the two solutions by gap between inputs and side.
gaps_fw = sorted(zip(np.searchsorted(x, t_fw).tolist(), side_fw.tolist()))
gaps_sfw = sorted(zip(np.searchsorted(x, t_sfw).tolist(), thresholds(sfw.measure)[1].tolist()))
print(f"units of FW not in SFW (gap index, side): {sorted(set(gaps_fw) - set(gaps_sfw))}; "
      f"of SFW not in FW: {sorted(set(gaps_sfw) - set(gaps_fw))}")
print(f"TV norms: FW {fw.measure.total_variation:.12f}, SFW {sfw.measure.total_variation:.12f}; "
      f"largest difference of the predictions on the data: "
      f"{np.abs(prob.predict(fw.measure) - prob.predict(sfw.measure)).max():.1e}")
print(f"units opening to the right: {int(np.sum(side_fw > 0))}, to the left: {int(np.sum(side_fw < 0))}")

# %%
# Left: the data and the fitted piecewise-constant function, its thresholds
# dotted. Right: the certificate :math:`\eta(\phi) = c_q(v_\phi)/\lambda` on
# the circle, with the atoms at their angles (marker size ~ weight).
phi = np.linspace(-np.pi, np.pi, 20001)
thetas = np.c_[np.cos(phi), np.sin(phi)]
eta = prob.certificate(fw.measure, thetas)
atoms_phi = np.arctan2(fw.measure.support[:, 1], fw.measure.support[:, 0])
atoms_eta = prob.certificate(fw.measure, fw.measure.support)
print(f"max |eta| on {len(phi)} angles: {np.abs(eta).max():.12f}; "
      f"|eta| at the atoms: min {np.abs(atoms_eta).min():.12f}, max {np.abs(atoms_eta).max():.12f}; "
      f"sign(eta) = sign(w) at every atom: {bool(np.all(np.sign(atoms_eta) == np.sign(fw.measure.weights)))}")

xs = np.linspace(-1.1, 1.1, 2001)
fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
ax = axes[0]
ax.plot(x, y, "o", ms=4, color="0.4", label="data")
ax.plot(xs, prob.predict(fw.measure, xs[:, None]), color="tab:blue", lw=2,
        label=rf"$f(x) = \sum_j w_j\,\mathbb{{1}}\{{\langle v_j, (x, 1)\rangle > 0\}}$, $\lambda = {reg:g}$")
for t in t_fw:
    ax.axvline(t, color="tab:blue", ls=":", lw=0.7)
ax.set_xlim(xs[0], xs[-1])
ax.set_xlabel("x")
ax.set_title(f"corrective Frank-Wolfe: {fw.measure.n_atoms} step units, relative gap "
             f"{fw.relative_gap:.0e} ({fw.gap_scope})", fontsize=10)
ax.legend(fontsize=8, loc="upper left")

ax = axes[1]
ax.plot(phi, eta, color="k", lw=1)
ax.axhline(1, color="tab:red", ls="--", lw=0.8)
ax.axhline(-1, color="tab:red", ls="--", lw=0.8)
w = fw.measure.weights
ax.scatter(atoms_phi, atoms_eta, s=20 + 150 * np.abs(w) / np.abs(w).max(),
           c=np.where(w > 0, "tab:red", "tab:blue"), zorder=3, label="atoms (red: w > 0)")
ax.set_xlabel(r"angle $\phi$ of $v = (\cos\phi, \sin\phi)$")
ax.set_ylabel(r"$\eta(v) = c_q(v)/\lambda$")
ax.set_title("certificate on the circle: piecewise constant, |eta| <= 1", fontsize=10)
ax.set_xlim(-np.pi, np.pi)
ax.legend(fontsize=8, loc="center right")
plt.show()
