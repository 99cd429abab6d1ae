"""
Deep networks converge at the rate of their Gram matrix (Du et al. 2019, Thm 5.1, 6.1)
======================================================================================

:math:`n = 12` inputs drawn uniformly on the unit sphere of
:math:`\\mathbb{R}^6`, labels :math:`y_i \\sim N(0, 1)`, the softplus
activation. The networks are Du et al.'s fully connected network (eq. 2)
and ResNet (eq. 3, :math:`c_{res} = 0.5`) with :math:`H = 2` and :math:`3`
hidden layers of width :math:`m = 2000`, all weights :math:`N(0, 1)` at
initialization, trained by :class:`solvers.regimes.DuGradientDescent`:
full-batch gradient descent on :math:`L(\\theta) = \\frac12\\sum_i(f(x_i) -
y_i)^2`, every layer at the step :math:`\\eta = 1/\\lambda_{\\max}(G(0))`,
20 steps, float32 (for time). :math:`G(k)` is the Gram of the network's
full Jacobian, :math:`G^{(H)}(k)` the part of it from the last hidden
layer :math:`W^{(H)}`, and :math:`K^{(H)}` the limit of
:math:`G^{(H)}(0)` as :math:`m \\to \\infty`
(:func:`measureopt.kernels.du_gram`, with the last step of Def. 5.1/6.1
corrected as explained on :doc:`/theory/kernels`).

**Paper's claim** (Thm 5.1, 6.1): if the width is large enough and
:math:`\\eta` small enough (constants not given), then with high
probability :math:`L(\\theta(k)) \\le (1 - \\eta\\lambda_{\\min}(K^{(H)})/2)^k
L(\\theta(0))` for every :math:`k`; :math:`G^{(H)}(0)` concentrates around
:math:`K^{(H)}` as :math:`m` grows; the ResNet's Gram carries the factor
:math:`c_{res}^2/H^2` of its residual branches, and the ResNet needs a
width polynomial in :math:`H` where the fully connected network needs
:math:`2^{O(H)}`.

**What the run shows** (numbers printed below):

* The bound held at every step of all four runs (``run.holds``), and it is
  very loose. After 20 steps it is still at 99.9% of :math:`L(0)` or above,
  while the loss is down to 20% (FC, :math:`H = 2`: 22.33 to 4.45), 45%
  (FC, :math:`H = 3`), 24% (ResNet, :math:`H = 2`) and 27% (ResNet,
  :math:`H = 3`). Its rate :math:`\\eta\\lambda_{\\min}(K^{(H)})/2` is
  :math:`4.6\\cdot 10^{-5}`, :math:`1.2\\cdot 10^{-5}`,
  :math:`2.6\\cdot 10^{-6}` and :math:`1.05\\cdot 10^{-6}` per step: it takes
  :math:`5\\cdot 10^4` to :math:`2.2\\cdot 10^6` steps to divide the loss by 10.
* What sets the observed decay is the spectrum of the full :math:`G(0)`:
  the network linearized at initialization, whose residual is
  :math:`(I - \\eta G(0))^k(u(0) - y)`, reproduces the trained loss to
  0.1% in all four runs. The first step removes the residual's component
  along the top eigenvector (:math:`\\eta\\lambda_{\\max} = 1`), 40-68% of
  :math:`L(0)`; the rest decays eigendirection by eigendirection, the slowest
  at :math:`1 - \\eta\\lambda_{\\min}(G(0))` per step. :math:`\\lambda_{\\min}(G(0))`
  (0.0039, 0.0019, 0.0071, 0.0073) is 3.0 and 4.8 times
  :math:`\\lambda_{\\min}(K^{(H)})` for FC but 96 and 216 times for the ResNet:
  the theorems keep only the last hidden layer's
  :math:`G^{(H)}(0) \\approx K^{(H)}` (:math:`\\lambda_{\\min}(G^{(H)}(0))` =
  0.00119, 0.00038, :math:`6.9\\cdot 10^{-5}`, :math:`3.4\\cdot 10^{-5}`),
  while the other layers and :math:`a` carry most of :math:`G(0)`, the more
  so for the ResNet, whose last layer is scaled by :math:`c_{res}/H`. So
  the ResNet with :math:`H = 3` trains faster than the FC network (27%
  against 45% of :math:`L(0)`) although its :math:`\\lambda_{\\min}(K^{(H)})`
  is 11.5 times smaller.
* Extrapolated with the linearized network (bottom right; not trained),
  the loss reaches :math:`10^{-3}L(0)` after :math:`3.4\\cdot 10^3`,
  :math:`1.1\\cdot 10^4`, :math:`2.0\\cdot 10^3` and :math:`2.4\\cdot 10^3`
  steps, against :math:`1.5\\cdot 10^5`, :math:`5.7\\cdot 10^5`,
  :math:`2.7\\cdot 10^6` and :math:`6.6\\cdot 10^6` for the bound: its
  asymptotic rate :math:`2\\eta\\lambda_{\\min}(G(0))` is 12, 19, 385 and 863
  times the bound's (a factor 4 from the bound's :math:`\\frac12` and the
  square in the loss, the rest from :math:`\\lambda_{\\min}(G(0)) /
  \\lambda_{\\min}(K^{(H)})`).
* :math:`G^{(H)}(0)` against :math:`K^{(H)}`: the max-entry relative
  error, averaged over 6 seeds, falls from 0.32, 0.36 and 0.44 at
  :math:`m = 125` to 0.107, 0.112 and 0.112 at :math:`m = 2000` (FC
  :math:`H = 2`, FC :math:`H = 3`, ResNet :math:`H = 3`), a factor 3.0-4.0
  over a 16-fold width, against the factor 4 of :math:`1/\\sqrt m`; the
  single-seed spread is wide (0.06-0.15 at :math:`m = 2000`). For
  :math:`H = 2` the ResNet's :math:`G^{(2)}(0)` and :math:`K^{(2)}` are the
  FC ones times :math:`c_{res}^2/(4c_\\sigma)` (:math:`7.36\\cdot 10^{-5} =
  1.279\\cdot 10^{-3}\\times 0.0576`).
* Depth (no training): the FC network's :math:`\\lambda_{\\min}(K^{(H)})`
  falls by a factor 3.1-3.5 per layer, from :math:`4.5\\cdot 10^{-3}`
  (:math:`H = 1`) to :math:`3.9\\cdot 10^{-6}` (:math:`H = 7`); the ResNet's
  falls only through its factor :math:`c_{res}^2/H^2`:
  :math:`\\lambda_{\\min}\\cdot H^2/c_{res}^2` stays between
  :math:`1.18\\cdot 10^{-3}` (:math:`H = 2`) and :math:`1.25\\cdot 10^{-3}`
  (:math:`H = 7`). The ResNet's value is the smaller one up to :math:`H = 6`
  and the larger from :math:`H = 7` on.

**How this configuration was chosen.** The width and the 20 steps are set
by the time limit: most of a run is the Jacobian Gram :math:`G(0)` and the
steps, both :math:`O(m^2)` for the hidden layers. An exploratory run of
300 steps in float64 (same data, other initializations) also stayed under
the bound in all four cases, the loss ending at 3-9% of :math:`L(0)` and
the bound at 98.6% or more. The default :math:`\\eta` is a practical step
(the theorems give none); the theorems' :math:`\\eta = O(\\lambda/(n^2 2^{O(H)}))`
(FC) and :math:`O(\\lambda H^2/n^2)` (ResNet), with :math:`\\lambda =
\\lambda_{\\min}(K^{(H)}) \\le 1.3\\cdot 10^{-3}` here, would be far smaller.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from measureopt.kernels import du_forward, du_gram, du_gram_finite, du_network_init, lambda_min
from solvers.regimes import DuGradientDescent

torch.set_num_threads(1)  # small networks on a shared machine: threads only add overhead

start = time.perf_counter()
rng = np.random.default_rng(0)
n, d = 12, 6
X = rng.standard_normal((n, d))
X /= np.linalg.norm(X, axis=1, keepdims=True)  # unit-norm inputs, as the theorems assume
y = rng.standard_normal(n)  # |y_i| = O(1)
act, c_res = "softplus", 0.5
m, n_steps = 2000, 20
configs = [(arch, H) for arch in ("fc", "resnet") for H in (2, 3)]
name = {"fc": "FC", "resnet": "ResNet"}

# %%
# Gradient descent
# ----------------
# Full-batch gradient descent on the sum loss :math:`L = \frac12\sum_i(f(x_i) -
# y_i)^2`, every layer at the same step :math:`\eta = 1/\lambda_{\max}(G(0))`
# (the solver's default), :math:`G(0)` the Gram of the network's full
# Jacobian at initialization. The runs are in float32, for time. Beside the
# loss and the theorems' bound :math:`(1 - \eta\lambda_{\min}(K^{(H)})/2)^k
# L(0)`, the loss of the network linearized at initialization,
# :math:`\frac12\lVert(I - \eta G(0))^k(u(0) - y)\rVert^2`: in the
# eigenbasis of :math:`G(0)` each component of the residual decays at its
# own rate :math:`(1 - \eta\lambda_j)^k`. The run keeps its initialization
# (``weights0``, ``a0``), which gives :math:`u(0)`.
runs = {}
for arch, H in configs:
    t = time.perf_counter()
    run = DuGradientDescent(width=m, depth=H, architecture=arch, activation=act, c_res=c_res, max_iter=n_steps,
                            random_state=H, dtype="float32").run(X, y)
    r0 = du_forward(X, run.weights0, run.a0, act, arch, c_res) - y
    ev, V = np.linalg.eigh(run.ntk_init)
    coef = V.T @ r0
    k = run.history["iteration"]
    loss = run.history["loss"]
    linear = 0.5 * np.sum((coef[:, None] * (1 - run.lr * ev[:, None]) ** k) ** 2, axis=0)
    last = k >= n_steps // 2
    fitted = -np.polyfit(k[last], np.log(loss[last]), 1)[0]  # observed decay rate per step, 2nd half
    runs[arch, H] = dict(run=run, ev=ev, coef=coef, k=k, loss=loss, linear=linear, fitted=fitted,
                         lam_GH=np.linalg.eigvalsh(run.gram_init)[0], time=time.perf_counter() - t)
    print(f"{name[arch]:>6} H = {H}: {run.message} ({runs[arch, H]['time']:.1f} s)")

# %%
# The summary table. ``rate`` columns are per-step decay rates of the loss:
# the theorems' :math:`\eta\lambda_{\min}(K^{(H)})/2`, and the slope of
# :math:`\log L` fitted over the second half of the run. ``steps/10x`` is the
# number of steps the bound takes to divide the loss by 10.
print(f"\nn = {n}, d = {d}, width m = {m}, {act}, c_res = {c_res}, {n_steps} steps")
print(f"{'net':>6} {'H':>2} {'lmin K^H':>9} {'lmin G^H(0)':>11} {'lmin G(0)':>9} {'lmax G(0)':>9} {'eta':>6} "
      f"{'L(0)':>6} {'L(end)':>7} {'linear':>7} {'bound':>7} {'holds':>5} {'rate bound':>10} {'rate fit':>8} "
      f"{'steps/10x':>9}")
for (arch, H), r in runs.items():
    run = r["run"]
    rate = run.lr * run.lambda_min / 2
    print(f"{name[arch]:>6} {H:>2} {run.lambda_min:>9.3g} {r['lam_GH']:>11.3g} {r['ev'][0]:>9.3g} {r['ev'][-1]:>9.3g} "
          f"{run.lr:>6.4f} {r['loss'][0]:>6.2f} {r['loss'][-1]:>7.3f} {r['linear'][-1]:>7.3f} "
          f"{run.history['bound'][-1]:>7.3f} {str(run.holds):>5} {rate:>10.2e} {r['fitted']:>8.2e} "
          f"{np.log(10) / -np.log1p(-rate):>9.3g}")
kk = np.unique(np.geomspace(1, 1e8, 3000).astype(int))  # steps for the extrapolation (no training)
for (arch, H), r in runs.items():
    r["long"] = 0.5 * np.sum((r["coef"][:, None] * (1 - r["run"].lr * r["ev"][:, None]) ** kk) ** 2, axis=0)
    err = np.max(np.abs(r["linear"] / r["loss"] - 1))
    share = r["coef"] ** 2 / np.sum(r["coef"] ** 2)
    print(f"{name[arch]:>6} H = {H}: linearized loss within {err:.1%} of the trained one; share of L(0) on the "
          f"top eigenvector of G(0) {share[-1]:.0%}, on the 3 smallest {share[:3].sum():.1%}")
print("\nExtrapolated with the linearized network (G frozen at G(0)): steps until L(k) <= 1e-3 L(0), and the "
      "asymptotic per-step rate 2 eta lambda_min(G(0)) against the bound's eta lambda_min(K^(H)) / 2")
for (arch, H), r in runs.items():
    run = r["run"]
    rate = run.lr * run.lambda_min / 2
    k_lin = kk[np.argmax(r["long"] <= 1e-3 * r["loss"][0])]
    print(f"{name[arch]:>6} H = {H}: linearized {k_lin:>7.2g} steps, bound {np.log(1e-3) / np.log1p(-rate):>7.2g} "
          f"steps; rates {2 * run.lr * r['ev'][0]:.2e} vs {rate:.2e} (x{2 * run.lr * r['ev'][0] / rate:.0f})")

# %%
# The finite-width Gram :math:`G^{(H)}(0)` against :math:`K^{(H)}`
# -----------------------------------------------------------------
# Fresh initializations, 6 seeds; for each seed one draw at width 2000 whose
# top-left corners give the smaller widths (the entries are i.i.d.
# :math:`N(0, 1)`, so a corner is an initialization of that width). The FC
# and ResNet Grams are computed from the same weights (the two networks
# have the same shapes), and :math:`H = 2` uses the first two layers of
# the :math:`H = 3` weights. The stars are the training runs' own
# initializations at :math:`m = 2000` (one seed each).
# For :math:`H = 2` the ResNet's :math:`G^{(2)}(0)` and :math:`K^{(2)}` are the
# FC ones times :math:`c_{res}^2/(4c_\sigma)`, so its relative error is the
# FC one and is not computed.
widths, seeds = (125, 250, 500, 1000, 2000), range(6)
drawn = [("fc", 2), ("fc", 3), ("resnet", 3)]
K = {c: runs[c]["run"].gram for c in drawn}
errors = {c: np.zeros((len(widths), len(seeds))) for c in drawn}
t = time.perf_counter()
init = [du_network_init(d, widths[-1], 3, seed=100 + s) for s in seeds]
for i, mm in enumerate(widths):
    for s in seeds:
        W, a = init[s]
        W = [W[0][:mm]] + [w[:mm, :mm] for w in W[1:]]  # an i.i.d. N(0, 1) corner: an initialization of width mm
        for arch, H in drawn:
            G = du_gram_finite(X, W[:H], a[:mm], act, arch, c_res)
            errors[arch, H][i, s] = np.max(np.abs(G - K[arch, H])) / np.max(np.abs(K[arch, H]))
print(f"\nmax-entry relative error of G^(H)(0), max |G - K| / max |K|, mean (min - max) over {len(seeds)} seeds "
      f"({time.perf_counter() - t:.1f} s)")
print(f"{'m':>6} " + " ".join(f"{name[a] + ' H=' + str(H):>20}" for a, H in drawn))
for i, mm in enumerate(widths):
    print(f"{mm:>6} " + " ".join(f"{errors[c][i].mean():>8.3f} ({errors[c][i].min():.3f}-{errors[c][i].max():.3f})"
                                for c in drawn))
trained = {c: np.max(np.abs(runs[c]["run"].gram_init - runs[c]["run"].gram)) / np.max(np.abs(runs[c]["run"].gram))
           for c in configs}
print(f"{m:>6} " + " ".join(f"{trained[c]:>8.3f} (1 seed)     " for c in drawn)
      + " (the training runs' initializations)")

# %%
# :math:`\lambda_{\min}(K^{(H)})` as the depth grows (no training): the
# ResNet's Gram carries the factor :math:`c_{res}^2/H^2` of its last layer;
# divided by it, what is left does not depend on the depth, whereas the FC
# Gram's smallest eigenvalue falls geometrically.
depths = np.arange(1, 8)
lam_depth = {arch: np.array([lambda_min(du_gram(X, H, act, arch, c_res)) for H in depths]) for arch in ("fc", "resnet")}
print(f"\n{'H':>2} {'lmin K^H FC':>12} {'ResNet':>10} {'ResNet * H^2/c_res^2':>21}")
for j, H in enumerate(depths):
    print(f"{H:>2} {lam_depth['fc'][j]:>12.3e} {lam_depth['resnet'][j]:>10.3e} "
          f"{lam_depth['resnet'][j] * H**2 / c_res**2:>21.3e}")
print(f"total time: {time.perf_counter() - start:.1f} s")

# %%
# The figure.
fig, axes = plt.subplots(2, 3, figsize=(15, 8.5), layout="constrained")
for ax, arch in zip(axes[0, :2], ("fc", "resnet")):
    for j, H in enumerate((2, 3)):
        r = runs[arch, H]
        ax.plot(r["k"], r["loss"], color=f"C{j}", lw=2, label=f"H = {H}: trained network")
        ax.plot(r["k"][::5], r["linear"][::5], "o", color=f"C{j}", ms=4, mfc="none",
                label=r"linearized: $\frac{1}{2}\|(I-\eta G(0))^k r(0)\|^2$")
        ax.plot(r["k"], r["run"].history["bound"], "--", color=f"C{j}",
                label=rf"bound $(1-\eta\lambda_{{\min}}(K^{{({H})}})/2)^k L(0)$"
                      + (" (held)" if r["run"].holds else " (EXCEEDED)"))
    ax.set_yscale("log")
    ax.set_xlabel("gradient step $k$")
    ax.set_ylabel(r"loss $L(\theta(k)) = \frac{1}{2}\sum_i (f(x_i) - y_i)^2$")
    ax.set_title(f"{name[arch]}, m = {m}: the loss against the theorem's bound", fontsize=10)
    ax.legend(fontsize=7, loc="center right")

ax = axes[0, 2]
for j, (arch, H) in enumerate(configs):
    r = runs[arch, H]
    ax.plot(np.arange(1, n + 1), r["ev"][::-1], "o-", color=f"C{j + 2}", ms=4, label=f"{name[arch]} H = {H}")
    ax.axhline(r["run"].lambda_min, color=f"C{j + 2}", ls=":", lw=1)
ax.axhline(1 / np.mean([runs[c]["run"].lr for c in configs]), color="k", ls="--", lw=0.8,
           label=r"$1/\eta = \lambda_{\max}(G(0))$")
ax.set_yscale("log")
ax.set_xlabel("eigenvalue index (largest first)")
ax.set_ylabel("eigenvalue")
ax.set_title(r"spectrum of $G(0)$; dotted lines: $\lambda_{\min}(K^{(H)})$", fontsize=10)
ax.legend(fontsize=7)

ax = axes[1, 0]
for j, c in enumerate(drawn):
    e = errors[c]
    ax.errorbar(widths, e.mean(axis=1), yerr=[e.mean(axis=1) - e.min(axis=1), e.max(axis=1) - e.mean(axis=1)],
                fmt="o-", capsize=3, color=f"C{j + 2}", label=f"{name[c[0]]} H = {c[1]}")
    ax.plot([m * 1.08], [trained[c]], "*", ms=11, color=f"C{j + 2}", mec="k",
            label=f"training run's init, m = {m}" if j == 0 else None)
ref = errors["fc", 3][0].mean() * np.sqrt(widths[0] / np.array(widths))
ax.plot(widths, ref, "k--", lw=1, label=r"$\propto 1/\sqrt{m}$")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xticks(widths, [str(w) for w in widths])
ax.xaxis.set_minor_locator(plt.NullLocator())
ax.set_xlabel("width $m$")
ax.set_ylabel(r"$\max_{ij}|G^{(H)}_{ij}(0) - K^{(H)}_{ij}| / \max_{ij}|K^{(H)}_{ij}|$")
ax.set_title(f"finite width against the limit ({len(seeds)} seeds, min-max bars)", fontsize=10)
ax.legend(fontsize=8)

ax = axes[1, 1]
ax.plot(depths, lam_depth["fc"], "o-", color="C0", label="FC")
ax.plot(depths, lam_depth["resnet"], "s-", color="C1", label="ResNet")
ax.plot(depths, lam_depth["resnet"] * depths**2 / c_res**2, "s--", color="C1", mfc="none",
        label=r"ResNet $\times H^2/c_{res}^2$")
ax.set_yscale("log")
ax.set_xlabel("depth $H$")
ax.set_ylabel(r"$\lambda_{\min}(K^{(H)})$")
ax.set_title(rf"the limiting Gram's smallest eigenvalue ($c_{{res}} = {c_res}$)", fontsize=10)
ax.legend(fontsize=8)

ax = axes[1, 2]
for j, (arch, H) in enumerate(configs):
    r = runs[arch, H]
    rate = r["run"].lr * r["run"].lambda_min / 2
    ax.plot(kk, r["long"] / r["loss"][0], color=f"C{j + 2}", label=f"{name[arch]} H = {H}: linearized")
    ax.plot(kk, (1 - rate) ** kk, "--", color=f"C{j + 2}", lw=1)
ax.axvspan(1, n_steps, color="0.9", label=f"the {n_steps} trained steps")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlim(1, 1e8)
ax.set_ylim(1e-6, 2)
ax.set_xlabel("gradient step $k$")
ax.set_ylabel("$L(k) / L(0)$")
ax.set_title("extrapolated: linearized loss (solid) and the bound (dashed)", fontsize=10)
ax.legend(fontsize=7, loc="lower left")
plt.show()
