"""
Deep versus shallow networks on the 1-D task (Fang et al. 2022, Fig. 2-3)
=========================================================================

The paper's 1-D task (Sec. VII-A): :math:`x` uniform on :math:`[-2\\pi,
2\\pi]`, inputs :math:`(x, 1)` (:math:`d = 2`), :math:`y = 2(2\\cos^2 x -
1)^2 - 1 = \\cos 4x`, tanh, squared loss :math:`\\frac12|f - y|^2`, here
with :math:`N = 200` points (the paper: 60k). For :math:`L = 1, \\dots, 4`
hidden layers, a :class:`measureopt.deep.DeepMLP` (1/m scaling) of widths
:math:`m_\\ell = 25\\cdot 2^{L-\\ell}` (the paper's :math:`1000\\cdot
2^{L-\\ell}` divided by 40: (25), (50, 25), (100, 50, 25), (200, 100, 50,
25)) is trained by :class:`solvers.ScaledSubgradientGD` (Algorithm 1; the
paper's experiments use Adam) for 4000 full-batch steps in float32, with
:math:`\\lambda^{(\\ell)} = \\lambda^{(u)} = 10^{-4}`.
:func:`measureopt.deep.approximation_variance` gives :math:`V(w, u)` every
200 steps.

Two choices were needed to fit the target at all within a minute:

* **First-layer initialization.** The default ``DeepMLP`` initialization
  makes the layer-1 features :math:`\\tanh(a x + b)` with :math:`|a|` of
  order 0.5, too smooth for the 8 periods of :math:`\\cos 4x`; from it,
  Algorithm 1 leaves every :math:`L` near the zero predictor in 4000 steps
  (train RMSE 0.72 and 0.70 for :math:`L = 3, 4` at :math:`\\eta = 0.02`;
  steps :math:`\\eta \\ge 1` oscillate around 0.45-0.55). Here the layer-1
  weights are drawn so that feature :math:`j` is :math:`\\tanh(a_j(x -
  b_j))` with :math:`b_j` uniform on :math:`[-2\\pi, 2\\pi]` and
  :math:`|a_j|` uniform on :math:`[0.5, 6]`; deeper layers and :math:`u`
  keep the default.
* **Step per L.** The largest step of :math:`\\{1, 0.5, 0.2, 0.1, 0.05,
  0.02, 0.01\\}` for which :math:`\\hat Q` decreased at every record (every
  20 steps) in a 4000-step run (at :math:`\\lambda = 10^{-5}`; the table
  below re-checks it here): :math:`\\eta` = 0.1, 0.05, 0.02, 0.02 for
  :math:`L` = 1, 2, 3, 4. The deeper the network, the smaller the stable
  step, and larger steps end worse, not better (:math:`L = 4`: train RMSE
  0.115 at :math:`\\eta = 0.1`, 0.42 at 0.5, against 0.031 at 0.02). One
  common step would favour the deep networks even more: at :math:`\\eta =
  0.02`, :math:`L = 1` and 2 end at 0.66 and 0.51.

**Paper's claims** (Fig. 2-3): (a) the approximation variance decreases as
:math:`L` grows, with a large gap between :math:`L = 2` and 3 and a small
one between 3 and 4 (the target has compositional depth 3,
:math:`h(h(\\cos x))`); (b) the regularizer and (c) the train RMSE decrease
much faster for larger :math:`L`; (Fig. 3) the layer next to the input
learns low-frequency features and the upper layers compose them into
higher-frequency ones.

**What the run shows** (the tables printed below):

* (c) Yes, by a wide margin. Train RMSE after 4000 steps: 0.565, 0.302,
  0.064, 0.032 for :math:`L` = 1, 2, 3, 4 (zero predictor 0.726);
  :math:`L = 4` is at 0.078 after 2000 steps, :math:`L = 3` at 0.143 after
  3000. The big gap is between :math:`L = 2` and 3, as in the paper's
  depth-3 argument. The paper's RMSE of :math:`10^{-4}` is out of reach
  here.
* (a) Only at matched fits. At the end :math:`V` = 1.26, 5.25, 4.36, 2.50:
  not monotone in :math:`L`, because :math:`V` grows with the fit (it is
  about 0.02 at the start, where :math:`\\hat f \\approx 0`) and the shallow
  networks fit least. At equal train RMSE (panel d) :math:`V` decreases
  with :math:`L` at every level: at RMSE 0.6, 0.68, 0.41, 0.24, 0.15; at
  0.4, 2.54 (:math:`L = 2`), 1.38, 0.68; at 0.2, 2.75 (:math:`L = 3`) and
  1.45 (:math:`L = 4`). There is no large gap between :math:`L = 2` and 3:
  each added layer divides :math:`V` by a similar factor 1.6-2. That
  factor is what the widths alone would give: :math:`V` is dominated by the
  term of layer 2 (the sampling variance of the average over the layer-1
  nodes: 5.09 of 5.25 for :math:`L = 2`, 2.08 of 2.50 for :math:`L = 4`),
  which scales as :math:`1/m_1`, and with the paper's widths :math:`m_1`
  doubles with every added layer (25, 50, 100, 200).
* (b) Not reproduced. The :math:`\\lambda`-weighted regularizer hardly moves
  (start to end: 0.0206 to 0.0235, 0.0338 to 0.0362, 0.0369 to 0.0384,
  0.0487 to 0.0486 for :math:`L` = 1, 2, 3, 4) and is larger for deeper
  networks (more terms).
  In the 1/m scaling the initial :math:`\\ell_{1,2}` terms of layers
  :math:`\\ge 2` are already of order :math:`m_{\\ell-1}`, and with
  :math:`\\lambda = 10^{-4}`, :math:`\\eta \\le 0.1` and 4000 steps the
  regularizer's own time scale :math:`\\eta\\lambda k \\le 0.04` is far too
  short to shrink them. For the same reason these networks are not at the
  balance of Prop. 1 (last cell: correlations -0.08, 0.32, 0.15, 0.39 for
  :math:`L = 4`; compare the Fig. 1 example).
* (Fig. 3) Yes. The layer-1 features are monotone (a tanh of an affine
  function of :math:`x` always is; here they are steep by the choice of
  initialization), and the frequency grows with the layer: the median
  number of local extrema (swings above 10% of the feature's range) is 0,
  6, 11, 15 in layers 1-4 of :math:`L = 4` and 0, 5, 11 for :math:`L =
  3`, against 3, 7 and 15 for :math:`\\cos x`, :math:`\\cos 2x` and
  :math:`\\cos 4x`: layer 4 oscillates like the target, and layers 2 and 3
  sit between the stages of :math:`\\cos x \\to \\cos 2x \\to \\cos 4x`.

One seed (0) per :math:`L`; the numbers above are from this run.
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch

import solvers
from measureopt import cosine_task
from measureopt.deep import DeepConvexProgram, DeepMLP, approximation_variance, optimality_check

torch.set_num_threads(1)  # tiny networks: threads only add overhead on a busy machine
warnings.simplefilter("ignore", solvers.ConvergenceWarning)  # a fixed number of steps, on purpose

rng = np.random.default_rng(0)
N = 200
X, y = cosine_task(N, seed=rng)  # x uniform on [-2 pi, 2 pi], inputs (x, 1), y = cos(4x)
x = X[:, 0]
reg = reg_u = 1e-4
n_steps, chunk = 4000, 200
steps = {1: 0.1, 2: 0.05, 3: 0.02, 4: 0.02}  # per L: the largest step of the grid with a monotone Q-hat


def initial_network(widths, seed=0):
    """``DeepMLP(2, widths, seed=seed)`` with layer-1 features tanh(a (x - b)), b ~ U[-2 pi, 2 pi], |a| ~ U[0.5, 6]."""
    net = DeepMLP(2, widths, seed=seed)
    gen = np.random.default_rng(seed + 100)
    m = widths[0]
    a = gen.uniform(0.5, 6.0, m) * gen.choice([-1.0, 1.0], m)
    b = gen.uniform(-2 * np.pi, 2 * np.pi, m)
    with torch.no_grad():  # 1/m scaling, d = 2: g = (w_1 x + w_2) / 2
        net.layers[0].copy_(torch.tensor(np.column_stack([2 * a, -2 * a * b])))
    return net


# %%
# Training: Algorithm 1 in chunks of 200 steps, each chunk starting from the
# previous network (``init=``), with :math:`V(w, u)` after every chunk.
# Full-batch steps are deterministic, so the chunks are one run of 4000 steps.
runs = {}
for L in (1, 2, 3, 4):
    widths = [25 * 2 ** (L - l) for l in range(1, L + 1)]  # the paper's 1000 * 2^(L - l), divided by 40
    prob = DeepConvexProgram.random(X, y, widths=widths, reg=reg, reg_u=reg_u)
    net = initial_network(widths)
    V, V_at, parts = [approximation_variance(net, X)], [0], []
    start = time.perf_counter()
    for k in range(0, n_steps, chunk):
        res = solvers.ScaledSubgradientGD(step=steps[L], max_iter=chunk, init=net, record_every=20,
                                          stationary_tol=0, dtype="float32").solve(prob)
        net = res.stats["network"]
        h = {key: np.asarray(val) for key, val in res.history.items()}
        h["iteration"] = h["iteration"] + k
        parts.append({key: val[1:] if k else val for key, val in h.items()})  # drop the repeated record
        V.append(approximation_variance(net, X))
        V_at.append(k + chunk)
    hist = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    hist["rmse"] = np.sqrt(2 * hist["loss"])  # the loss is 1/2 |f - y|^2
    hist["reg"] = reg * sum(hist[f"reg_{l + 1}"] for l in range(L)) + reg_u * hist["reg_u"]
    runs[L] = dict(widths=widths, net=net, hist=hist, V=np.array(V), V_at=np.array(V_at),
                   terms=approximation_variance(net, X, return_terms=True)[1], time=time.perf_counter() - start)

print(f"{'L':>2} {'widths':<18} {'step':>5} {'time':>6} {'rmse':>7} {'V':>8} {'reg at 0':>9} {'reg':>9} {'Q up':>5}  "
      "V at 1000/2000/4000")
for L, r in runs.items():
    h = r["hist"]
    ups = int(np.sum(np.diff(h["objective"]) > 0))
    Vs = "/".join(f"{r['V'][list(r['V_at']).index(k)]:.3g}" for k in (1000, 2000, 4000))
    print(f"{L:>2} {str(r['widths']):<18} {steps[L]:>5} {r['time']:>5.1f}s {h['rmse'][-1]:>7.4f} {r['V'][-1]:>8.4f} "
          f"{h['reg'][0]:>9.2e} {h['reg'][-1]:>9.2e} {ups:>5}  {Vs}")
print("train RMSE of the zero predictor:", f"{np.sqrt(np.mean(y**2)):.4f}")
print("RMSE at 1000 / 2000 / 3000 / 4000 steps:")
for L, r in runs.items():
    h = r["hist"]
    at = np.searchsorted(h["iteration"], [1000, 2000, 3000, 4000])
    print(f"  L={L}:", " / ".join(f"{v:.4f}" for v in h["rmse"][at]))
print("terms of V at the end (layers 2..L, then the output term):")
for L, r in runs.items():
    print(f"  L={L}:", np.array2string(r["terms"], precision=3))


def V_at_rmse(r, level):
    """V at the first record where the train RMSE is at most ``level`` (NaN if never)."""
    rmse = np.interp(r["V_at"], r["hist"]["iteration"], r["hist"]["rmse"])
    hit = np.flatnonzero(rmse <= level)
    return (r["V"][hit[0]], r["V_at"][hit[0]]) if hit.size else (np.nan, -1)


levels = (0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05)
print("V at matched fits: V (iteration) when the train RMSE first reaches the level")
print(f"{'L':>2} " + " ".join(f"{lv:>13}" for lv in levels))
for L, r in runs.items():
    cells = [V_at_rmse(r, lv) for lv in levels]
    print(f"{L:>2} " + " ".join(f"{v:>6.3f} ({k:>4})" if k >= 0 else f"{'-':>13}" for v, k in cells))

# %%
# Fig. 2: :math:`V(w, u)`, the regularizer
# :math:`\\sum_\\ell\\lambda^{(\\ell)}\\hat R^{(\\ell)}_w + \\lambda^{(u)}\\hat R^{(u)}`
# and the train RMSE against the iterations.
fig, axes = plt.subplots(1, 4, figsize=(16, 3.8), layout="constrained")
for L, r in runs.items():
    h = r["hist"]
    label = f"L = {L}, step {steps[L]}"
    axes[0].semilogy(r["V_at"], r["V"], "o-", ms=3, color=f"C{L - 1}", label=label)
    axes[1].semilogy(h["iteration"], h["reg"], color=f"C{L - 1}", label=label)
    axes[2].semilogy(h["iteration"], h["rmse"], color=f"C{L - 1}", label=label)
    rmse = np.interp(r["V_at"], h["iteration"], h["rmse"])
    axes[3].semilogy(rmse, r["V"], "o-", ms=3, color=f"C{L - 1}", label=label)
for ax, title in zip(axes, ["(a) approximation variance V(w, u)", "(b) regularizer", "(c) train RMSE",
                            "(d) V against the train RMSE"]):
    ax.set_xlabel("iteration")
    ax.set_title(title)
    ax.legend(fontsize=8)
axes[3].set_xlabel("train RMSE")
axes[3].set_xscale("log")
axes[3].set_xticks([0.03, 0.1, 0.3, 0.7], ["0.03", "0.1", "0.3", "0.7"])
axes[3].xaxis.set_minor_formatter(plt.NullFormatter())
axes[3].invert_xaxis()
plt.show()

# %%
# Fig. 3: the learned features :math:`f^{(\\ell)}_j(x) = \\tanh(\\hat
# g^{(\\ell)}_j(x))` as functions of :math:`x`, 15 neurons per layer, for
# every :math:`L` (rows); the last column is the fit. The number of local
# extrema of a feature on :math:`[-2\\pi, 2\\pi]` measures its frequency
# (the target :math:`\\cos 4x` has 15 inside the interval; :math:`\\cos x`
# has 3, :math:`\\cos 2x` 7).
xs = np.linspace(-2 * np.pi, 2 * np.pi, 2000)
Xs = torch.tensor(np.column_stack([xs, np.ones_like(xs)]))


def n_extrema(f, swing=0.1):
    """Local extrema of f, counting only swings larger than ``swing`` times the range of f (a zigzag filter)."""
    thr, start = swing * (f.max() - f.min()), f[0]
    n, direction, extreme = 0, 0, f[0]
    for v in f[1:]:
        if direction == 0:
            direction = 1 if v - start > thr else -1 if start - v > thr else 0
            extreme = v
        elif direction * (v - extreme) > 0:
            extreme = v  # the current run goes on
        elif direction * (extreme - v) > thr:
            n, direction, extreme = n + 1, -direction, v  # a turn: one extremum
    return n


pick = np.random.default_rng(1)
fig, axes = plt.subplots(4, 5, figsize=(15, 10), sharex=True, layout="constrained")
extrema = {}
for L, r in runs.items():
    net = r["net"]
    with torch.no_grad():
        feats = [torch.tanh(g).numpy() for g in net.preactivations(Xs)]
        fit = net(Xs).numpy().ravel()
    extrema[L] = [np.array([n_extrema(col) for col in f.T]) for f in feats]
    for l in range(4):
        ax = axes[L - 1, l]
        if l >= L:
            ax.axis("off")
            continue
        f = feats[l]
        for j in pick.choice(f.shape[1], size=min(15, f.shape[1]), replace=False):
            ax.plot(xs, f[:, j], lw=0.8)
        ax.set_title(f"L = {L}, layer {l + 1} (median {np.median(extrema[L][l]):.0f} extrema)", fontsize=9)
    ax = axes[L - 1, 4]
    ax.plot(xs, np.cos(4 * xs), "k", lw=0.8, label="target")
    ax.plot(xs, fit, "C3", lw=1, label="fit")
    ax.set_title(f"L = {L}: fit, train RMSE {r['hist']['rmse'][-1]:.3f}", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
for ax in axes[-1]:
    ax.set_xlabel("x")
plt.show()

# %%
# Local extrema of the features, per layer: median and 90% quantile over
# all the neurons of the layer.
for L in runs:
    cells = [f"layer {l + 1}: {np.median(e):.0f} ({np.quantile(e, 0.9):.0f})" for l, e in enumerate(extrema[L])]
    print(f"L={L}:  " + ",  ".join(cells))

# %%
# These networks fit, but they are not the balanced optimum of Prop. 1 (the
# check of the Fig. 1 example): with :math:`\lambda = 10^{-4}` and small
# steps the regularizer has had little time to act.
for L, r in runs.items():
    print(f"L={L}: Prop. 1 correlations per layer", np.round(optimality_check(r["net"], reg, reg_u).correlations, 2))
