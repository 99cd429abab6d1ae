"""
Sparsity of the l_{1,2} regularizer against weight decay (Fang et al. 2022, Fig. 4)
===================================================================================

The paper's 1-D task: :math:`x` uniform on :math:`[-2\\pi, 2\\pi]`, inputs
:math:`(x, 1)` (:math:`d = 2`), :math:`y = 2(2\\cos^2 x - 1)^2 - 1`, tanh,
squared loss, :math:`N = 200`. The same network
(:class:`measureopt.deep.DeepMLP`, :math:`L = 2` hidden layers of widths
(40, 20), 1/m scaling, seed 0) is trained twice for 4000 full-batch steps:

* with the proposed :math:`\\ell_{1,2}` regularizer (eq. 11,
  :math:`\\frac{1}{m_{\\ell-1}}\\sum_k (\\frac{1}{m_\\ell}\\sum_j
  |w_{j,k}|)^2`, :math:`\\lambda = 3\\cdot 10^{-4}`) by
  :class:`solvers.ScaledSubgradientGD` (Algorithm 1, :math:`\\eta = 1`);
* with the :math:`\\ell_{2,1}` regularizer of the paper, plain weight decay
  :math:`\\frac{1}{m_{\\ell-1} m_\\ell}\\sum_{j,k} w_{j,k}^2` (the mean squared
  weight), by a plain torch loop: autograd and ``torch.optim.SGD`` with the
  per-layer learning rates of Algorithm 1 (:math:`\\eta\\, m_{\\ell-1}
  m_\\ell`, :math:`\\eta\\, m_L` for :math:`u`), so that only the regularizer
  differs. The output term :math:`\\lambda^{(u)} = 3\\cdot 10^{-4}` is the
  same in both.

**Matching the fits**: the weight-decay strength :math:`\\lambda_{2,1} =
2\\cdot 10^{-4}` was chosen by hand among :math:`\\{1, 2, 3, 5, 10\\}\\cdot
10^{-4}` as the value whose final train loss is closest to that of the
:math:`\\ell_{1,2}` run (0.149): it gives 0.145, against 0.141, 0.158,
0.167 and 0.187 for the others.

**Paper's claim** (Sec. VII-A, Fig. 4): for each layer, the fraction of
weights in :math:`[-x, x]` is larger under :math:`\\ell_{1,2}` than under
:math:`\\ell_{2,1}` for every :math:`x`: the proposed regularizer gives
sparser weights. **What the run shows**: the same, by a wide margin. With
thresholds relative to the layer's largest :math:`|w|`, the fraction of
weights below :math:`10^{-3}` of the max is 0.21 (layer 1) and 0.34
(layer 2) under :math:`\\ell_{1,2}` against 0.01 and 0.01 under weight
decay; below :math:`10^{-2}` of the max, 0.33 and 0.50 against 0.08 and 0.08.
The :math:`\\ell_{1,2}` term is a squared :math:`\\ell_1` norm of each
node's fan-out (a column of :math:`w^{(\\ell)}`), so every fan-out is sparse
(lasso-like) rather than whole nodes being pruned: no column vanishes, but
in layer 2 four of the 20 nodes keep only 4 to 10 of their 40 inputs (a
median of 9 zeros per node, against at most 2 under weight decay).

The comparison only means something at matched fits: weight decay ten times
stronger (:math:`10^{-3}`) also leaves about 80% of the weights below
:math:`10^{-3}` of the max (whole unused nodes decay geometrically), but
fits much worse (0.187). Both networks fit the target only roughly at this
size and training length (half MSE about 0.15 against 0.26 for the zero
predictor): they follow the oscillations for :math:`|x| \\lesssim 3` and are
nearly flat beyond (a random layer-1 node :math:`\\tanh((x z_1 + z_2)/2)`
switches near the origin, and few move out in 4000 steps); the paper trains far wider networks (Adam, 60k points) to an
RMSE of :math:`10^{-4}`.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch

import solvers
from measureopt import cosine_task
from measureopt.deep import DeepConvexProgram, DeepMLP

torch.set_num_threads(1)  # tiny networks: threads only add overhead on a busy machine
warnings.simplefilter("ignore", solvers.ConvergenceWarning)  # a fixed number of steps, on purpose

rng = np.random.default_rng(0)
N = 200
X, y = cosine_task(N, seed=rng)  # x uniform on [-2 pi, 2 pi], inputs (x, 1), y = cos(4x)
x = X[:, 0]
widths, reg, reg_u, reg_wd = [40, 20], 3e-4, 3e-4, 2e-4
step, n_steps = 1.0, 4000

# %%
# :math:`\ell_{1,2}` by Algorithm 1. The program only supplies the data, the
# lambdas, the activation and the loss; the network is a fresh
# ``DeepMLP(2, widths, seed=0)``.
prob = DeepConvexProgram.random(X, y, widths=widths, reg=reg, reg_u=reg_u)
res = solvers.ScaledSubgradientGD(step=step, max_iter=n_steps, record_every=50, seed=0).solve(prob)
net_l12 = res.stats["network"]

# %%
# :math:`\ell_{2,1}` (weight decay) by a plain torch loop on the same
# initial network, with Algorithm 1's scaled learning rates.
net_wd = DeepMLP(2, widths, seed=0)
sizes = [2] + widths
optimizer = torch.optim.SGD(
    [{"params": [w], "lr": step * sizes[l] * sizes[l + 1]} for l, w in enumerate(net_wd.layers)]
    + [{"params": [net_wd.out], "lr": step * sizes[-1]}], lr=step)
Xt, Yt = torch.tensor(X), torch.tensor(y[:, None])
for k in range(n_steps):
    optimizer.zero_grad()
    data = 0.5 * torch.mean((net_wd(Xt) - Yt) ** 2)
    decay = sum(torch.mean(w**2) for w in net_wd.layers)
    (data + reg_wd * decay + reg_u * torch.mean(net_wd.out**2)).backward()
    optimizer.step()

with torch.no_grad():
    fit = {name: net(Xt).numpy().ravel() for name, net in (("l12", net_l12), ("wd", net_wd))}
for name, f in fit.items():
    print(f"{name:>3}: train loss (half MSE) {0.5 * np.mean((f - y) ** 2):.4f}")
print(f"zero predictor: {0.5 * np.mean(y**2):.4f}")

# %%
# Per layer, the fraction of weights with :math:`|w| \le x \max|w|` (the
# curves of Fig. 4, with the threshold relative to the layer's largest
# weight so that both networks are on the same scale).
names = {"l12": r"$\ell_{1,2}$ (Algorithm 1)", "wd": r"$\ell_{2,1}$ (weight decay)"}
colors = {"l12": "tab:blue", "wd": "tab:red"}
weights = {name: [np.abs(w.detach().numpy()).ravel() for w in net.layers]
           for name, net in (("l12", net_l12), ("wd", net_wd))}
grid = np.logspace(-6, 0, 200)

fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
for l in range(len(widths)):
    ax = axes[l]
    for name, ws in weights.items():
        a = ws[l] / ws[l].max()
        ax.semilogx(grid, [np.mean(a <= t) for t in grid], color=colors[name], label=names[name])
    ax.set_xlabel(r"$x$ (relative to the layer's max $|w|$)")
    ax.set_ylabel(r"fraction of weights in $[-x, x]$")
    ax.set_title(f"layer {l + 1} ({sizes[l + 1]} x {sizes[l]} weights)")
    ax.legend(fontsize=8, loc="upper left")
axes[2].plot(x, y, "k", lw=1, label="target")
for name, f in fit.items():
    axes[2].plot(x, f, color=colors[name], label=names[name])
axes[2].set_xlabel("x")
axes[2].set_title("fitted functions")
axes[2].set_ylim(-1.2, 1.7)
axes[2].legend(fontsize=8, loc="upper center", ncol=3)
plt.show()

# %%
# The numbers: fractions of weights below a relative threshold, and whether
# the :math:`\ell_{1,2}` curve lies above the weight-decay curve everywhere
# (the paper's "lower-bounded by").
print(f"{'layer':<6} {'threshold':>9} {'l12':>7} {'wd':>7}")
for l in range(len(widths)):
    for t in (1e-3, 1e-2, 1e-1):
        frac = {name: np.mean(ws[l] <= t * ws[l].max()) for name, ws in weights.items()}
        print(f"{l + 1:<6} {t:>9.0e} {frac['l12']:>7.3f} {frac['wd']:>7.3f}")
    above = np.mean([np.mean(weights["l12"][l] <= t * weights["l12"][l].max()) >=
                     np.mean(weights["wd"][l] <= t * weights["wd"][l].max()) for t in grid])
    print(f"layer {l + 1}: l12 curve >= weight-decay curve on {100 * above:.0f}% of the thresholds")
    # where the zeros are: how many of each node's incoming weights (rows of w^(l))
    rows = {name: np.sum((ws[l] <= 1e-3 * ws[l].max()).reshape(sizes[l + 1], sizes[l]), axis=1)
            for name, ws in weights.items()}
    print(f"layer {l + 1}: incoming weights below 1e-3 of the max, per node (of {sizes[l]}): "
          f"l12 max {rows['l12'].max()}, median {np.median(rows['l12']):g}; wd max {rows['wd'].max()}")
