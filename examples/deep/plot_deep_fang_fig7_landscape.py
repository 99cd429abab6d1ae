"""
The landscape over mixtures of feature distributions is convex (Fang et al. 2022, Fig. 7)
=========================================================================================

The paper's 1-D task (:math:`x` uniform on :math:`[-2\\pi, 2\\pi]`, inputs
:math:`(x, 1)`, :math:`y = 2(2\\cos^2 x - 1)^2 - 1`, tanh, squared loss),
:math:`N = 60`. Three networks :math:`\\theta_1, \\theta_2, \\theta_3` of
the same widths (:math:`L = 2`, 12 nodes per layer) are trained by
:class:`solvers.ScaledSubgradientGD` (Algorithm 1, :math:`\\eta = 1`, 1500
steps, :math:`\\lambda = \\lambda^{(u)} = 10^{-3}`) on the three disjoint
parts :math:`x \\in [-2\\pi, -2\\pi/3]`, :math:`[-2\\pi/3, 2\\pi/3]`,
:math:`[2\\pi/3, 2\\pi]` of the data (19, 20 and 21 points), so that each
learns a part of the features only.

On the full data set, the atoms of Program (21) are the union of the three
networks' atoms (:func:`measureopt.deep.atoms_from_network`: layer-1 weight
rows, layer-2 pre-activations on the full :math:`X`), 36 per layer. The
mixture :math:`\\rho_{\\alpha,\\beta} = \\alpha\\rho_{\\theta_1} +
\\beta\\rho_{\\theta_2} + \\gamma\\rho_{\\theta_3}` (:math:`\\gamma = 1 -
\\alpha - \\beta`) is the reference weights :math:`\\pi = (\\alpha/m,
\\beta/m, \\gamma/m)` on the three blocks with the densities fixed
(``densities=``): :class:`~measureopt.deep.DeepConvexProgram` is then the
convex program over the connections :math:`\\tilde w, \\tilde u` only, and
:math:`L(\\alpha, \\beta)` is its optimum, computed by
:class:`solvers.DeepConvex` on the lattice :math:`(\\alpha, \\beta) = (i,
j)/8` of the simplex (45 points). Each layer-2 atom of a network is a
combination of that network's own layer-1 features, so the program is
feasible whenever the block has positive weight. At the vertices and edges
some blocks have :math:`\\pi = 0`: their atoms carry no mass and leave the
span of the features below, which the program allows (an atom without mass
is out of the distribution), so the lattice covers the whole simplex,
corners included. The library recomputes and certifies every gap.

**Paper's claim** (Sec. VII-C, Fig. 7): :math:`L(\\alpha, \\beta)` is
convex (unimodal, "it looks convex"). It must be: Program (21) is jointly
convex in the densities and the connections (Theorem 3), the mixture is
linear in :math:`(\\alpha, \\beta)`, and a partial minimum of a convex
function is convex. **What the run shows**: the surface is convex. Over the
84 lattice triples :math:`(P - h, P, P + h)` along the three lattice
directions, :math:`L(P) - (L(P-h) + L(P+h))/2` is at most
:math:`-6\\cdot 10^{-5}` (no violation at all; the certified gaps of the
solves are below :math:`2\\cdot 10^{-7}`, for values between 0.22 and 0.27).
The surface is flat in the middle and steep near the corners (adding a
little of the other networks' features helps a lot). Its minimum, 0.221, is
on the edge :math:`\\gamma = 0` at :math:`(\\alpha, \\beta) = (3/8, 5/8)`:
mixing :math:`\\theta_1`'s and :math:`\\theta_2`'s features beats each
network alone, and :math:`\\theta_3`'s add nothing once those are there (its
part of the target, which is even, mirrors :math:`\\theta_1`'s). The corners
(0.269, 0.238, 0.269), the best re-weighting of one network's own features,
are well below the networks' own :math:`\\hat Q` on the full data (0.330,
0.326, 0.357), most of which none of them saw. The paper builds the
interpolating networks by a layerwise optimization (its Appendix D); here
the exact optimum over :math:`(\\tilde w, \\tilde u)` of Program (21) is
used.
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch

import solvers
from measureopt import cosine_task
from measureopt.deep import DeepConvexProgram, atoms_from_network

torch.set_num_threads(1)  # tiny networks: threads only add overhead on a busy machine
warnings.simplefilter("ignore", solvers.ConvergenceWarning)  # fixed step counts; Clarabel's "inaccurate"

rng = np.random.default_rng(0)
N, m, reg = 60, 12, 1e-3
X, y = cosine_task(N, seed=rng)  # x uniform on [-2 pi, 2 pi], inputs (x, 1), y = cos(4x)
x = X[:, 0]
edges = [-2 * np.pi, -2 * np.pi / 3, 2 * np.pi / 3, 2 * np.pi]

# %%
# Three networks, each trained on one part of the inputs.
nets = []
for i in range(3):
    part = (x >= edges[i]) & (x <= edges[i + 1])
    prob = DeepConvexProgram.random(X[part], y[part], widths=[m, m], reg=reg, reg_u=reg)
    res = solvers.ScaledSubgradientGD(step=1.0, max_iter=1500, record_every=100, seed=i).solve(prob)
    nets.append(res.stats["network"])
    print(f"theta_{i + 1}: {part.sum()} points, train loss on its part {res.history['loss'][-1]:.4f}")

# the union of the three networks' atoms, per layer (blocks of m atoms)
per_net = [atoms_from_network(net, X) for net in nets]
atoms = [np.vstack([a[l] for a in per_net]) for l in range(2)]


solver = solvers.DeepConvex()


def landscape(alpha, beta):
    """L(alpha, beta): the optimum over the connections at the mixed feature distributions."""
    block = np.array([alpha, beta, 1.0 - alpha - beta])
    block[np.abs(block) < 1e-12] = 0.0
    pi = np.repeat(block, m) / m
    ones = np.ones(3 * m)  # rho fixed: the mixture of the three empirical feature distributions
    program = DeepConvexProgram(X, y, atoms, pi=[pi, pi], reg=reg, reg_u=reg, densities=[ones, ones])
    res = solver.solve(program)
    return res.objective, res.dual_gap, str(res.status), res.message


# %%
# The landscape on the lattice :math:`(\alpha, \beta) = (i, j)/n`,
# :math:`i + j \le n`.
n = 8
lattice = [(i, j) for i in range(n + 1) for j in range(n + 1 - i)]
start = time.perf_counter()
values = {}
for i, j in lattice:
    values[i, j] = landscape(i / n, j / n)
print(f"{len(lattice)} convex solves in {time.perf_counter() - start:.1f} s")
L = {key: v[0] for key, v in values.items()}
gaps = np.array([v[1] for v in values.values()])
statuses = {st: sum(v[2] == st for v in values.values()) for st in sorted({v[2] for v in values.values()})}
print("statuses:", statuses)
for v in values.values():
    if v[2] != "optimal":
        print("e.g.", v[3])
        break

with torch.no_grad():
    Xt, Yt = torch.tensor(X), torch.tensor(y[:, None])
    own = [float(net.objective(Xt, Yt, reg, reg)) for net in nets]
for k, corner in enumerate([(n, 0), (0, n), (0, 0)]):
    print(f"corner theta_{k + 1}: L = {L[corner]:.5f}; the network's own Q-hat on the full data {own[k]:.5f}")
best = min(L, key=L.get)
print(f"minimum L = {L[best]:.5f} at (alpha, beta) = ({best[0] / n:.3f}, {best[1] / n:.3f})")

# %%
# Midpoint convexity along every lattice line (three directions).
violations = []
for (i, j) in lattice:
    for di, dj in ((1, 0), (0, 1), (1, -1)):
        lo, hi = (i - di, j - dj), (i + di, j + dj)
        if lo in L and hi in L:
            violations.append(L[i, j] - 0.5 * (L[lo] + L[hi]))
violations = np.array(violations)
print(f"{len(violations)} lattice triples; largest violation of midpoint convexity {violations.max():.2e}")
print(f"(most convex triple: {violations.min():.2e}); certified solver gaps: max |gap| {np.abs(gaps).max():.2e}")

# %%
# The surface over the simplex, as in Fig. 7: contours in the
# :math:`(\alpha, \beta)` plane, a 3-D view, and :math:`L` along the three
# edges and the three medians (vertex to the middle of the opposite edge),
# all lattice lines.
a = np.array([i / n for i, j in lattice])
b = np.array([j / n for i, j in lattice])
z = np.array([L[key] for key in lattice])
fig = plt.figure(figsize=(15, 4.6), layout="constrained")
ax = fig.add_subplot(1, 3, 1)
cs = ax.tricontourf(a, b, z, levels=20, cmap="viridis")
ax.tricontour(a, b, z, levels=20, colors="k", linewidths=0.3)
ax.plot(a, b, "k.", ms=3)
ax.plot(best[0] / n, best[1] / n, "r*", ms=12, label="minimum")
for (px, py), text in zip([(1, 0), (0, 1), (0, 0)], [r"$\theta_1$", r"$\theta_2$", r"$\theta_3$"]):
    ax.annotate(text, (px, py), textcoords="offset points", xytext=(6, 6))
fig.colorbar(cs, ax=ax, label=r"$L(\alpha, \beta)$")
ax.set_xlabel(r"$\alpha$")
ax.set_ylabel(r"$\beta$")
ax.set_aspect("equal")
ax.legend(loc="upper right")
ax3 = fig.add_subplot(1, 3, 2, projection="3d")
ax3.plot_trisurf(a, b, z, cmap="viridis", edgecolor="k", linewidth=0.2)
ax3.set_xlabel(r"$\alpha$")
ax3.set_ylabel(r"$\beta$")
ax3.set_title(r"$L(\alpha, \beta)$")
ax3.view_init(elev=30, azim=35)
segments = {
    r"edge $\theta_1$-$\theta_2$": [(n - k, k) for k in range(n + 1)],
    r"edge $\theta_1$-$\theta_3$": [(n - k, 0) for k in range(n + 1)],
    r"edge $\theta_2$-$\theta_3$": [(0, n - k) for k in range(n + 1)],
    r"median from $\theta_1$": [(n - 2 * k, k) for k in range(n // 2 + 1)],
    r"median from $\theta_2$": [(k, n - 2 * k) for k in range(n // 2 + 1)],
    r"median from $\theta_3$": [(k, k) for k in range(n // 2 + 1)],
}
ax = fig.add_subplot(1, 3, 3)
for (name, points), style in zip(segments.items(), ["-", "-", "-", "--", "--", "--"]):
    ax.plot(np.linspace(0, 1, len(points)), [L[q] for q in points], style, marker="o", ms=3, label=name)
ax.set_xlabel("position along the segment (0 = first vertex)")
ax.set_ylabel(r"$L$")
ax.legend(fontsize=8)
plt.show()
