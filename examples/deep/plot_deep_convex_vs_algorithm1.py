"""
Program (21) against Algorithm 1 on the network's own atoms (Fang et al. 2022)
==============================================================================

The paper's 1-D task (:math:`x` uniform on :math:`[-2\\pi, 2\\pi]`, inputs
:math:`(x, 1)`, :math:`y = 2(2\\cos^2 x - 1)^2 - 1`, tanh, squared loss),
:math:`N = 100`, :math:`L = 2` hidden layers of widths (20, 10),
:math:`\\lambda = \\lambda^{(u)} = 10^{-3}`. A network is trained by
:class:`solvers.ScaledSubgradientGD` (Algorithm 1, :math:`\\eta = 0.5`,
full batch) for 10,000 steps, in stages that continue from the previous
network (``init=``). At the start and after each stage (steps 0, 250,
1000, 2500, 5000, 10,000), :func:`solvers.deep_crosscheck` builds Program
(21) on the network's own atoms (its layer-1 weight rows and its layer-2
pre-activations, uniform reference weights), solves it with
:class:`solvers.DeepConvex` and reports the network's :math:`\\hat Q` (eq. 9,
the program's objective at the network's own point, :math:`p = 1`), a
certified lower bound on the program's optimum :math:`J^\\star`, their
difference (the *excess*: how much the best re-weighting of the network's
own features, densities :math:`p`, connections :math:`\\tilde w` and outputs
:math:`\\tilde u`, could still gain) and, per layer, :math:`W_2` between the
network's feature distribution and the solution's.

**What the theory says** (Theorems 5 and 6): in the mean-field limit, a
critical point of the training (a distribution at which the gradients
vanish) with full support is a global minimum of Program (17)/(21) over
distributions. So a network trained to convergence should have no excess on
its own atoms, up to finite-width effects: a width-:math:`m` network can
move its atoms but not re-weight them, which only a wide network can mimic
by moving several atoms together.

**What the run shows**: the excess drops by an order of magnitude in the
first steps (:math:`3.7\\cdot 10^{-2}` at the random start, 12% of
:math:`\\hat Q`, to :math:`2.6\\cdot 10^{-3}` after 1000 steps), but then does
*not* shrink as training converges: :math:`\\hat Q` falls from 0.307 to 0.175
and flattens out (0.1755 to 0.1746 over the last 2000 steps), while the
excess settles near :math:`8\\cdot 10^{-3}` (4-5% of :math:`\\hat Q`), with a
certified gap below :math:`10^{-9}` on every solve. Trial runs continued to
30,000 steps kept it at :math:`7.8` to :math:`8.3\\cdot 10^{-3}` (with
:math:`\\hat Q` between 0.1725 and 0.176), and so did widths (40, 20) at
:math:`\\eta = 1`: at these widths the re-weighting that Program (21) finds
is worth a few percent that Algorithm 1 does not reach, consistent with the
theorems being about the mean-field limit. The solution keeps all 20
layer-1 atoms but moves much of their mass (layer-1 :math:`W_2` 0.6 to 0.7
times the RMS norm of the weight rows, which grow during training; both
print below), and keeps 4 to 10 of the 10 layer-2 atoms.

At :math:`\\eta = 0.5`, :math:`\\hat Q` still rises between about a quarter
of the records, by at most 0.6% (printed below); at :math:`\\eta = 1` the
same run has spikes of :math:`\\hat Q` of up to 10% after a few thousand
steps (the :math:`\\ell_{1,2}` subgradient iteration at a fixed step does
not settle), and the excess still ends near :math:`7\\cdot 10^{-3}`.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch

import solvers
from measureopt import cosine_task
from measureopt.deep import DeepConvexProgram, DeepMLP

torch.set_num_threads(1)  # tiny networks: threads only add overhead on a busy machine
warnings.simplefilter("ignore", solvers.ConvergenceWarning)  # fixed step counts, on purpose

rng = np.random.default_rng(0)
N, widths, reg = 100, [20, 10], 1e-3
X, y = cosine_task(N, seed=rng)  # x uniform on [-2 pi, 2 pi], inputs (x, 1), y = cos(4x)
x = X[:, 0]
prob = DeepConvexProgram.random(X, y, widths=widths, reg=reg, reg_u=reg)

# %%
# Train in stages, cross-checking the network after each. The first network
# is Algorithm 1's own start, ``DeepMLP(2, widths, seed=0)``.
marks = [0, 250, 1000, 2500, 5000, 10000]
net = DeepMLP(2, widths, seed=0)
history = {"iteration": [], "objective": []}
checks, row_rms = [], []
for start, stop in zip([0] + marks[:-1], marks):
    if stop > start:
        res = solvers.ScaledSubgradientGD(step=0.5, max_iter=stop - start, init=net, record_every=25).solve(prob)
        net = res.stats["network"]
        history["iteration"] += list(start + res.history["iteration"])
        history["objective"] += list(res.history["objective"])
    checks.append(solvers.deep_crosscheck(net, X, y, reg, reg))
    row_rms.append(float(np.sqrt(np.mean(np.sum(net.layers[0].detach().numpy() ** 2, axis=1)))))

print(f"{'step':>6} {'Q-hat':>9} {'J* >=':>9} {'excess':>9} {'rel.':>6} {'gap':>9} "
      f"{'W2 l1':>7} {'w1 RMS':>7} {'W2 l2':>7} {'kept':>8}  status")
for mark, cc, r in zip(marks, checks, row_rms):
    print(f"{mark:>6} {cc.network_objective:>9.5f} {cc.convex_lower:>9.5f} {cc.excess:>9.2e} "
          f"{cc.relative_excess:>6.1%} {cc.gap:>9.1e} {cc.w2[0]:>7.3f} {r:>7.2f} {cc.w2[1]:>7.3f} "
          f"{str(cc.atoms_kept):>8}  {cc.status}")

q = np.array(history["objective"])
print(f"Q-hat over the last 2000 steps: {q[-81]:.5f} -> {q[-1]:.5f}; "
      f"increases between records (every 25 steps): {int(np.sum(np.diff(q) > 0))} of {len(q) - 1}, "
      f"the largest {np.max(np.diff(q) / q[:-1]):.1e} (relative)")

# %%
# The full report of the last cross-check.
print(checks[-1])

# %%
# :math:`\hat Q` along the training with the certified optimum of
# Program (21) on the current atoms; the excess; the per-layer :math:`W_2`.
it = np.array(marks)
fig, axes = plt.subplots(1, 3, figsize=(14, 4), layout="constrained")
ax = axes[0]
ax.plot(history["iteration"], history["objective"], color="tab:blue", lw=1, label=r"$\hat Q$ (Algorithm 1)")
ax.plot(it, [c.network_objective for c in checks], "o", color="tab:blue")
ax.plot(it, [c.convex_lower for c in checks], "s--", color="tab:red", label=r"$J^\star$ of (21) on its atoms")
ax.set_xlabel("Algorithm 1 steps")
ax.set_ylabel("objective")
ax.legend()
ax = axes[1]
ax.semilogy(it, [c.excess for c in checks], "o-", label=r"excess $\hat Q - J^\star$")
ax.semilogy(it, [max(abs(c.gap), 1e-16) for c in checks], "x:", color="gray", label="certified gap of the solve")
ax.set_xlabel("Algorithm 1 steps")
ax.legend()
ax = axes[2]
ax.plot(it, [c.w2[0] / r for c, r in zip(checks, row_rms)], "o-", label=r"layer 1 / RMS $|w^{(1)}_j|$")
ax.plot(it, [c.w2[1] for c in checks], "s-", label="layer 2 (RMS over the N inputs)")
ax.set_xlabel("Algorithm 1 steps")
ax.set_ylabel(r"$W_2$(network, solution of (21))")
ax.legend()
plt.show()
