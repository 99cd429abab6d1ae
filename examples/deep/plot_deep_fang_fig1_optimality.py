"""
The optimality condition of Prop. 1 on trained networks (Fang et al. 2022, Fig. 1)
==================================================================================

The paper's 1-D task (Sec. VII-A): :math:`x` uniform on :math:`[-2\\pi,
2\\pi]`, inputs :math:`(x, 1)` (:math:`d = 2`), :math:`y = 2(2\\cos^2 x -
1)^2 - 1 = \\cos 4x`, tanh, squared loss :math:`\\frac12|f - y|^2`, here
with :math:`N = 200` points (the paper: 60k). The networks are
:class:`measureopt.deep.DeepMLP` (1/m scaling, default initialization) with
:math:`L = 4` hidden layers of widths (200, 100, 50, 25) (the paper's
:math:`1000\\cdot 2^{L-\\ell}` divided by 40) and, as a smaller check,
:math:`L = 2` with widths (200, 100) (divided by 10). Each is trained by
:class:`solvers.ScaledSubgradientGD` (Algorithm 1, :math:`\\eta = 2`, 1000
full-batch steps, float32) with :math:`\\lambda^{(\\ell)} = \\lambda^{(u)} =
10^{-3}`, from 5 initializations (seeds 0-4, same data);
:func:`measureopt.deep.optimality_check` then computes :math:`u_j` (eq. 28)
and :math:`v_j` (eq. 29) for every node.

**Paper's claim** (Prop. 1, Fig. 1 top row): at convergence :math:`u_j` and
:math:`v_j` are linearly related (Prop. 1: :math:`v = 2u + \\Lambda` on the
support of an optimal distribution); for :math:`L = 4` the correlations are
0.88, 0.82, 0.92 and 0.99 (layers 1 to 4).

**What the run shows**: a strong linear association in every layer, for
every seed. Correlations, min / median / max over the 5 seeds, for
:math:`L = 4`: 0.85 / 0.89 / 0.92 (layer 1), 0.84 / 0.90 / 0.94 (layer 2),
0.93 / 0.96 / 0.97 (layer 3), 0.96 / 0.98 / 0.98 (layer 4), beside the
paper's 0.88, 0.82, 0.92, 0.99; for :math:`L = 2`: 0.86 / 0.89 / 0.90 and
0.95 / 0.97 / 0.97. At initialization they are near 0 (medians -0.05,
0.00, 0.27, -0.03 for :math:`L = 4`): the association is built by the
training, within the first 500 steps (bottom right). Only the top layer
has Prop. 1's slope 2 (median 1.97 for :math:`L = 4`, 1.88 for :math:`L =
2`); in the lower layers the line is flatter (medians 0.51, 0.84, 1.16 for
:math:`L = 4`), so the finite networks satisfy a linear relation but not
the optimality condition of the continuous problem itself.

**How this configuration was chosen** (exploratory runs on this machine, 5
seeds each, :math:`N = 200`). The correlation tracks how long the
regularizer has acted, :math:`\\eta\\lambda k` (:math:`k` steps): it needs
:math:`\\eta\\lambda k \\gtrsim 1`.

* :math:`\\lambda`: at :math:`3\\cdot 10^{-4}` (:math:`L = 4`, widths (160,
  80, 40, 20), :math:`\\eta = 1`, 2500 steps) the worst seed drops to
  0.77 in layers 1 and 2; at :math:`10^{-5}` the correlations are lower
  still (0.67 in layer 1 of :math:`L = 2`, widths (100, 50), after 1500
  steps at :math:`\\eta = 0.5`).
* Steps: at :math:`\\eta = 1`, :math:`L = 4` needs 1500 steps (worst seed
  0.89, 0.81, 0.91, 0.97) and 1000 are not enough (0.86, 0.73, 0.90,
  0.95); :math:`\\eta = 2` with 1000 steps does better in less time.
  :math:`\\hat Q` is not monotone, though (a subgradient step is not a
  descent step; the solver's step note has the same at :math:`L = 2`): for
  :math:`L = 4` it rises between 9-11 of the 40 records, by up to 7% (at
  :math:`\\eta = 1` too, by up to 5%); for :math:`L = 2` at most 4 times,
  by up to 3%.
* Widths and length: for :math:`L = 2` at :math:`\\eta = 1`, widths (100,
  50) and (200, 100) give a worst seed of 0.84 and 0.85 in layer 1 after
  1000 steps, and 0.80 and 0.80 after 1500: the layer-1 correlation peaks,
  then slowly falls as the fit improves (for :math:`L = 4`, widths (160,
  80, 40, 20), :math:`\\eta = 1`, seed 0: 0.93 after 1500 steps, 0.87 after
  6000).

**What does not match the paper**: the fit. With :math:`\\lambda = 10^{-3}`
and these few steps the train RMSE is 0.60-0.63, against 0.73 for the zero
predictor: the networks have reached the regularized balance that Prop. 1
describes, but fit :math:`\\cos 4x` poorly (the paper tunes
:math:`\\lambda` to reach an RMSE of :math:`10^{-4}`, with Adam, 60k
points and widths up to 8000). The configuration that fits within the
time limit (a steep first-layer initialization and small steps, see the
Fig. 2-3 example: RMSE 0.03 for :math:`L = 4` after 4000 steps at
:math:`\\eta = 0.02`) is far from Prop. 1: its correlations are -0.08,
0.32, 0.15, 0.39 at :math:`\\lambda = 10^{-4}` and -0.07, 0.36, 0.27, 0.49
at :math:`\\lambda = 10^{-3}`, since :math:`\\eta\\lambda k \\le 0.08` there.
Both at once, a small RMSE and the balance of Prop. 1, would take far more
steps of Algorithm 1 than an example can run in a minute.
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch

import solvers
from measureopt import cosine_task
from measureopt.deep import DeepConvexProgram, DeepMLP, optimality_check

torch.set_num_threads(1)  # tiny networks: threads only add overhead on a busy machine
warnings.simplefilter("ignore", solvers.ConvergenceWarning)  # a fixed number of steps, on purpose

rng = np.random.default_rng(0)
N = 200
X, y = cosine_task(N, seed=rng)  # x uniform on [-2 pi, 2 pi], inputs (x, 1), y = cos(4x)
x = X[:, 0]
reg = reg_u = 1e-3
step, n_steps, seeds = 2.0, 1000, range(5)
widths = {4: [200, 100, 50, 25],  # the paper's 1000 * 2^(L - l), divided by 40
          2: [200, 100]}  # divided by 10
paper = {4: [0.88, 0.82, 0.92, 0.99]}  # Fig. 1, top row

# %%
# Train each network by Algorithm 1 in chunks of 250 steps (``init=`` the
# previous network: full-batch steps are deterministic, so this is one run)
# and check Prop. 1 after every chunk.
runs = {}
start = time.perf_counter()
for L in widths:
    prob = DeepConvexProgram.random(X, y, widths=widths[L], reg=reg, reg_u=reg_u)
    runs[L] = []
    for seed in seeds:
        net = DeepMLP(2, widths[L], seed=seed)
        at, corr, Q = [0], [optimality_check(net, reg, reg_u).correlations], []
        for k in range(0, n_steps, 250):
            res = solvers.ScaledSubgradientGD(step=step, max_iter=250, init=net, record_every=25, stationary_tol=0,
                                              dtype="float32").solve(prob)
            net = res.stats["network"]
            at.append(k + res.n_iter)
            corr.append(optimality_check(net, reg, reg_u).correlations)
            Q.extend(res.history["objective"][1 if k else 0:])
        runs[L].append(dict(net=net, check=optimality_check(net, reg, reg_u), at=np.array(at), corr=np.array(corr),
                            rmse=np.sqrt(2 * res.history["loss"][-1]), Q=np.array(Q)))
    print(f"L = {L}: {len(seeds)} seeds trained in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()

# %%
# The check for seed 0, as printed by the library.
for L in widths:
    print(f"L = {L}, widths {widths[L]}, seed 0, train RMSE {runs[L][0]['rmse']:.3f}")
    print(runs[L][0]["check"])

# %%
# The spread over the 5 seeds (the network's initialization; same data): per
# layer, the min / median / max of the correlation and of the fitted slope.
print(f"train RMSE of the zero predictor: {np.sqrt(np.mean(y**2)):.3f}")
for L in widths:
    C = np.array([r["check"].correlations for r in runs[L]])
    S = np.array([r["check"].slopes for r in runs[L]])
    R = np.array([r["rmse"] for r in runs[L]])
    ups = [int(np.sum(np.diff(r["Q"]) > 0)) for r in runs[L]]
    rise = max(np.max(np.diff(r["Q"]) / r["Q"][:-1]) for r in runs[L])
    print(f"\nL = {L}, widths {widths[L]}, {n_steps} steps; train RMSE {R.min():.3f} - {R.max():.3f}; "
          f"Q-hat rose between records {min(ups)}-{max(ups)} times out of {len(runs[L][0]['Q']) - 1} "
          f"(largest rise {max(rise, 0):.1%})")
    print(f"{'layer':>5} {'corr min':>9} {'median':>7} {'max':>6} {'paper':>6} "
          f"{'slope min':>10} {'median':>7} {'max':>6}")
    for l in range(L):
        ref = f"{paper[L][l]:.2f}" if L in paper else "-"
        print(f"{l + 1:>5} {C[:, l].min():>9.3f} {np.median(C[:, l]):>7.3f} {C[:, l].max():>6.3f} {ref:>6} "
              f"{S[:, l].min():>10.2f} {np.median(S[:, l]):>7.2f} {S[:, l].max():>6.2f}")
    print(f"  at initialization: correlations {np.round(np.median([r['corr'][0] for r in runs[L]], axis=0), 2)} "
          "(median over the seeds)")

# %%
# Fig. 1: :math:`(u_j, v_j)` per node and layer for seed 0 (top: :math:`L =
# 4`, bottom left: :math:`L = 2`), with the least-squares line and the line
# of slope 2 of Prop. 1; bottom right: the correlation per layer along the
# training, for the 5 seeds.
fig, axes = plt.subplots(2, 4, figsize=(15, 7.5), layout="constrained")
runs[4][0]["check"].plot(axes=axes[0])
runs[2][0]["check"].plot(axes=axes[1, :2])
for ax, l in zip(axes[0], range(4)):
    ax.set_title(f"L = 4, layer {l + 1}: r = {runs[4][0]['check'].correlations[l]:.2f} (paper {paper[4][l]:.2f})",
                 fontsize=10)
for ax, l in zip(axes[1, :2], range(2)):
    ax.set_title(f"L = 2, layer {l + 1}: r = {runs[2][0]['check'].correlations[l]:.2f}", fontsize=10)
for ax, L in zip(axes[1, 2:], widths):
    for l in range(L):
        for i, r in enumerate(runs[L]):
            ax.plot(r["at"], r["corr"][:, l], color=f"C{l}", lw=1, alpha=0.7,
                    label=f"layer {l + 1}" if i == 0 else None)
    ax.axhline(0.8, color="k", ls=":", lw=0.8)
    ax.set_xlabel("iteration")
    ax.set_ylabel("correlation of $(u_j, v_j)$")
    ax.set_title(f"L = {L}: r along the training, 5 seeds", fontsize=10)
    ax.set_ylim(-0.5, 1.02)
    ax.legend(fontsize=8, loc="lower right")
plt.show()
