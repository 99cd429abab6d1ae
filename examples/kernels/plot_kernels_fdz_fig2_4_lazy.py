"""
Lazy training to mean field: the scale alpha (FDZ Fig. 2-4)
===========================================================

Fang, Dong & Zhang's two-layer model :math:`f(x) = \\frac{\\alpha}{m}
\\sum_j u_j \\tanh(\\theta_j^\\top x)` (eq. 1, no bias, :math:`u_j \\in
\\mathbb{R}^{10}`, :math:`u_j, \\theta_j \\sim N(0, 1)`) is trained by SGD
on the softmax loss with :class:`solvers.TwoLayerTraining`, for
:math:`\\alpha \\in \\{1, m^{0.3}, m^{0.5}, m^{0.7}\\}`, beside its
linearization at the initialization (eq. 8, the initial output :math:`f_0`
kept, as in the authors' code), trained on the same batches with the same
rates.

**Data**: scikit-learn's bundled ``load_digits`` (8x8 images, 10 classes)
stands in for MNIST, which would have to be downloaded: pixels divided by
16 (into :math:`[0, 1]`, as the authors' ``ToTensor``), then each image
scaled to unit norm, so that :math:`\\tilde\\theta_j^\\top x \\sim N(0, 1)`:
the tanh units work in their nonlinear but unsaturated range, the scale the
NTK analysis assumes. A fixed split: 1000 training images, 797 test images.
:math:`m = 400` (the authors: :math:`10^4` for Fig. 2, 1000 for Fig. 4;
chosen here for the runtime), 500 SGD steps with batches of 32 (16 epochs;
the authors: 50 epochs of MNIST with batches of 128), float32, the same
initialization and batches for every :math:`\\alpha` (seed 0).

**Learning rates**: :math:`\\eta_u = \\eta_\\theta = \\eta = c\\, m /
\\alpha^2` with :math:`c = 2` (``lr_convention="ntk"``, eq. 13). The
network's tangent kernel is :math:`\\Theta_m = \\frac{\\alpha^2}{m}(k^u_m +
k^\\theta_m)` (:doc:`/theory/kernels`), so an SGD step moves the function by
:math:`\\eta\\,\\Theta_m = c\\,(k^u_m + k^\\theta_m)` times the loss
gradient: the same function-space step for every :math:`\\alpha`, and in
the lazy limit every :math:`\\alpha` follows the same kernel dynamics; what
changes with :math:`\\alpha` is only how far the weights move (each by
:math:`\\eta\\cdot\\frac{\\alpha}{m} = c/\\alpha` times an :math:`O(1)`
gradient) and how much the network departs from its linearization. At
:math:`\\alpha = 1` the same step is the mean-field time step :math:`c`
(the particle gradient flow of FDZ eq. 20). The authors' code uses :math:`\\eta = 0.1\\,m/\\alpha`
on both blocks, a function-space step :math:`0.1\\,\\alpha` that grows by
:math:`m^{0.7}` across their runs, so that their comparison of distances
mixes the regime with the step size.

**Paper's claim** (Fig. 2-4, Sec. IV): as :math:`\\alpha` grows, the
weights end closer to their initialization (:math:`\\alpha = O(\\sqrt m)`
and beyond is the NTK, or lazy, regime) and the network follows its
linearization; at :math:`\\alpha = 1` (mean field) they move by
:math:`O(1)`. On MNIST the linearization is accurate early but departs from
the network later in training (Fig. 4, row 1).

**What the run shows** (table at the end): the mean distance of the
:math:`\\theta_j` from their initialization falls from 16.18 at
:math:`\\alpha = 1` to 3.61, 1.24 and 0.43 at :math:`\\alpha = 6.03,
20.0, 66.3`, by a factor 2.9 for each factor 3.3 of :math:`\\alpha`
(roughly :math:`1/\\alpha`); the distance of the :math:`u_j` falls from
25.20 to 4.05, 1.16 and 0.39. The root mean square of :math:`\\lVert f -
f_{lin}\\rVert` on the test images falls from 3.40 to 1.90, 0.79 and 0.26,
that is from 41% to 4.1% of the network's own output scale: at
:math:`\\alpha = m^{0.7}` the network and its linearization agree (test
accuracy 0.908 and 0.911, panel f), while at :math:`\\alpha = 1` the
network (0.980) is well ahead of its linearization (0.926). For every
:math:`\\alpha` the gap grows along the training (panel e), as on MNIST in
Fig. 4. The linearized model reaches the same training loss (0.340-0.342)
for every :math:`\\alpha` up to :math:`m^{0.5}`, as the matched
function-space step intends; the network does better the smaller
:math:`\\alpha` is (0.066 at :math:`\\alpha = 1` against 0.367 at
:math:`m^{0.7}`, test accuracy 0.980 against 0.908): at the same step in
function space, moving the features helps. At :math:`\\alpha = m^{0.7}` the
initial output :math:`f_0`, of standard deviation of order
:math:`\\alpha/\\sqrt m = 3.3` per class, is no longer small: the initial
loss is 3.96 against 2.30, both models first have to unlearn it, and the
linearized model ends a little higher too (0.370).

**How this configuration was chosen** (exploratory runs of the same
settings). Without the row normalization (:math:`\\lVert x\\rVert \\approx
3.9`: the pre-activations have standard deviation 3.9 and most tanh units
are saturated), the distances still shrink with :math:`\\alpha` (14.77,
2.67, 0.97, 0.40) but the gap does not: 3.31, 2.51, 2.26, then 2.80 at
:math:`m^{0.7}`, where the initial loss is 4.99; which of the large
:math:`f_0` and the saturation causes this was not separated. The same
happened at :math:`m = 1000` (:math:`c = 1`, 500 steps with batches of 100,
float64: gap 1.42 at both :math:`m^{0.5}` and :math:`m^{0.7}`), at several times
the cost. With normalized rows, :math:`m = 500` and :math:`c = 1` (600
steps, batches of 50) give the same picture as here (gaps 3.06, 1.46, 0.44,
0.13).
"""

import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits

from solvers import TwoLayerTraining

torch.set_num_threads(1)  # small networks: threads only add overhead on a busy machine

digits = load_digits()
X = digits.data / 16.0
X = X / np.linalg.norm(X, axis=1, keepdims=True)  # unit-norm images: theta_j^T x ~ N(0, 1) at initialization
y = digits.target
order = np.random.default_rng(0).permutation(len(X))
train, test = order[:1000], order[1000:]
X_train, y_train, X_test, y_test = X[train], y[train], X[test], y[test]

m, c, n_steps, batch = 400, 2.0, 500, 32
exponents = (0.0, 0.3, 0.5, 0.7)
labels = {0.0: r"$\alpha = 1$", 0.3: r"$\alpha = m^{0.3}$", 0.5: r"$\alpha = m^{0.5}$", 0.7: r"$\alpha = m^{0.7}$"}

# %%
# One run per :math:`\alpha`, with the linearized model alongside
# (``linearize=True``); the learning rate :math:`c\,m/\alpha^2` keeps the
# function-space step fixed.
runs = {}
for p in exponents:
    alpha = m**p
    start = time.perf_counter()
    runs[p] = TwoLayerTraining(m, alpha=alpha, activation="tanh", loss="cross_entropy", lr=c * m / alpha**2,
                               lr_convention="ntk", max_iter=n_steps, batch_size=batch, linearize=True,
                               record_every=50, random_state=0, dtype="float32").run(X_train, y_train, X_test, y_test)
    print(f"alpha = m^{p} = {alpha:6.2f}, lr = {c * m / alpha**2:8.3f}: {runs[p].status}, "
          f"{time.perf_counter() - start:.1f} s")

# %%
# Fig. 2-4: (a) the training loss and (b) the test accuracy of the network;
# (c) and (d) the mean distances :math:`\frac1m\sum_j\lVert\theta_j -
# \tilde\theta_j\rVert` and :math:`\frac1m\sum_j\lVert u_j - \tilde
# u_j\rVert` from the initialization; (e) the root mean square of
# :math:`\lVert f - f_{lin}\rVert` on the test images; (f) the test loss of
# the network (solid) and of its linearization (dashed).
fig, axes = plt.subplots(2, 3, figsize=(15, 8.5), layout="constrained")
for i, p in enumerate(exponents):
    h, color = runs[p].history, f"C{i}"
    it = h["iteration"]
    axes[0, 0].plot(it, h["train_loss"], color=color, label=labels[p])
    axes[0, 1].plot(it, h["test_accuracy"], color=color, label=labels[p])
    axes[0, 2].plot(it[1:], h["dist_theta"][1:], color=color, label=labels[p])
    axes[1, 0].plot(it[1:], h["dist_u"][1:], color=color, label=labels[p])
    axes[1, 1].plot(it[1:], h["linear_gap"][1:], color=color, label=labels[p])
    axes[1, 2].plot(it, h["test_loss"], color=color, label=labels[p])
    axes[1, 2].plot(it, h["linear_test_loss"], color=color, ls="--", label="linearization" if i == 0 else None)
titles = ["(a) training loss (network)", "(b) test accuracy (network)",
          r"(c) distance $\frac{1}{m}\sum_j\Vert\theta_j-\tilde\theta_j\Vert$",
          r"(d) distance $\frac{1}{m}\sum_j\Vert u_j-\tilde u_j\Vert$",
          r"(e) network vs linearization: RMS $\Vert f-f_{lin}\Vert$ (test)",
          "(f) test loss: network (solid), linearization (dashed)"]
ylabels = ["cross-entropy (train)", "test accuracy", r"$\frac{1}{m}\sum_j\Vert\theta_j-\tilde\theta_j\Vert$",
           r"$\frac{1}{m}\sum_j\Vert u_j-\tilde u_j\Vert$", r"RMS $\Vert f - f_{lin}\Vert$", "cross-entropy (test)"]
for ax, title, ylabel in zip(axes.flat, titles, ylabels):
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("SGD step")
    ax.set_ylabel(ylabel)
for ax in (axes[0, 0], axes[0, 2], axes[1, 0], axes[1, 1], axes[1, 2]):
    ax.set_yscale("log")
axes[0, 1].set_ylim(0, 1)
axes[0, 0].legend(fontsize=8)
axes[1, 2].legend(fontsize=8)
fig.suptitle(f"digits, m = {m}, tanh, lr = {c:g} m / alpha^2 on both blocks, batches of {batch}")
plt.show()

# %%
# The final numbers. ``rel. gap`` is the gap divided by the root mean square
# of :math:`\lVert f\rVert` on the test images; ``lin. acc`` the test
# accuracy of the linearized model.
print(f"{'alpha':>7} {'lr':>8} {'loss0':>6} {'train loss':>10} {'lin. train':>10} {'test acc':>8} {'lin. acc':>8} "
      f"{'dist_theta':>10} {'dist_u':>7} {'gap':>6} {'rel. gap':>8}")
for p in exponents:
    run, h = runs[p], runs[p].history
    f, f_lin = run.predict(X_test), run.predict_linear(X_test)
    rms = np.sqrt(np.mean(np.sum(f**2, axis=1)))
    lin_acc = np.mean(f_lin.argmax(axis=1) == y_test)
    print(f"{run.alpha:>7.2f} {c * m / run.alpha**2:>8.3f} {h['train_loss'][0]:>6.2f} {h['train_loss'][-1]:>10.3f} "
          f"{h['linear_train_loss'][-1]:>10.3f} {h['test_accuracy'][-1]:>8.3f} {lin_acc:>8.3f} "
          f"{h['dist_theta'][-1]:>10.2f} {h['dist_u'][-1]:>7.2f} {h['linear_gap'][-1]:>6.2f} "
          f"{h['linear_gap'][-1] / rms:>8.1%}")
