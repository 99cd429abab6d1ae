"""
Mean field: a teacher of four sigmoid neurons (FDZ Fig. 6)
==========================================================

The teacher is Fang, Dong & Zhang's :math:`F_4(x) = \\frac14\\sum_{i=1}^4
\\mathrm{sigmoid}(\\theta_i^\\top x)`, :math:`\\theta_i \\in \\{(2, 0), (1, 2),
(2, 1), (0, 2)\\}`, :math:`d = 2`: a network of :math:`m = 4` neurons with
:math:`u_i = 1`, whose measure is :math:`\\rho_* = \\frac14\\sum_i
\\delta_{\\theta_i}`. Students :math:`f(x) = \\frac1m\\sum_j u_j\\,
\\mathrm{sigmoid}(\\theta_j^\\top x)` (eq. 1 with :math:`\\alpha = 1`, the
mean-field scaling; :math:`u_j, \\theta_j \\sim N(0, 1)`) are trained by SGD
on the squared loss with :class:`solvers.TwoLayerTraining`. Labels
are :math:`F_4(x) + N(0, 0.1^2)`; the test error is the mean squared error
to the noiseless :math:`F_4` on 5000 fresh inputs.

**Inputs** :math:`x \\sim N(0, 100^2 I)`, as in the authors' code
(``torch.randn(10000, 2) * 100`` in their notebook). This is deliberate
and changes the problem: :math:`\\theta^\\top x` has a standard deviation
of 100 :math:`\\lVert\\theta\\rVert`, so every sigmoid, the teacher's and
the students', is a step :math:`1\\{\\theta^\\top x > 0\\}` except on a thin
wedge. :math:`F_4` takes the values :math:`0, \\frac14, \\dots, 1` on the
sectors cut by the four lines :math:`\\theta_i^\\top x = 0`; a neuron is set
by the direction of :math:`\\theta_j` alone; the gradient with respect to
:math:`\\theta_j` comes from the inputs near its line and is nearly orthogonal
to :math:`\\theta_j` (it mostly turns it); and
:math:`\\mathrm{sigmoid}(-\\theta^\\top x) = 1 - \\mathrm{sigmoid}(\\theta^\\top
x)`. The authors' Fig. 6 draws exactly this: the lines through the
:math:`\\theta_i`. We keep their scale. With :math:`x \\sim N(0, I)`
instead (exploratory runs, 2 seeds, 1500 steps), the sigmoids work in their
smooth range and :math:`m = 4` is not stuck (test MSE 8.8e-5 and 7.1e-5,
against 2.2e-5 and 7.3e-6 for :math:`m = 8` and 1.8e-5 and 2.6e-5 for
:math:`m = 40`): the stuck small network of Fig. 6 (a) is a property of the
step-like regime.

**Matching the authors' steps.** They minimize the mean squared error
(torch's ``MSELoss``) by ``SGD(lr=10)`` on both layers; our loss is half
the mean squared error, so ``lr=20`` with ``lr_convention="ntk"``
(:math:`\\eta_u = \\eta_\\theta`) takes the same steps. Their penalty
:math:`10^{-2}\\lVert u\\rVert^2/m` is added to the mean squared error (that is
:math:`\\lambda_u = 0.02` in
:math:`\\frac{\\lambda_u}{2m}\\sum_j u_j^2`); against our half loss the same
steps need ``reg_u=0.01`` (:math:`20\\cdot 0.01\\,u/m = 10\\cdot
0.02\\,u/m`). Their noisy GD adds :math:`N(0, 0.01^2)` to every
:math:`\\theta_j` after each step, the ``noise`` of the trainer.

**Run lengths.** The authors draw a fresh batch of 10,000 inputs at every
one of 10,001 steps. Here a pool of 30,000 noisy samples is drawn once and
the widths :math:`m \\in \\{4, 8, 40\\}` take 2000 steps of ``lr=20`` with
batches of 1000 (67 epochs; at most 120 parameters, so the pool is not
overfitted). For Fig. 6 (b)-(f) (:math:`m = 400`, :math:`\\lambda_u`, with
and without noise) a step of ``lr`` moves each particle by ``lr/m`` in
mean-field time (the particle gradient flow of FDZ eq. 20): the authors' run lasts :math:`10^4 \\cdot
20/400 = 500`. We take 500 steps of ``lr=400`` (the same time, steps 20
times larger, batches of 500) and noise :math:`0.01\\sqrt{20} = 0.0447` per
step, the same temperature (noise variance per unit of time). Checked on
another draw of the pool (20,000 samples): the authors' own schedule run
through this trainer (``lr=20``, 10,000 steps, noise 0.01, batches of 500,
58 s and 76 s) ends with 252 and 272 neurons with :math:`u_j \\geq 1`
(SGD, noisy SGD) and test MSE 7.4e-4 and 1.6e-3; the compressed schedule
gives 257 and 273 (batches of 500) or 254 and 271 (batches of 2000).

**Paper's claim** (Fig. 6, Sec. V): (a) with :math:`m = 4` the network
gets stuck, larger :math:`m` fit better: final test MSE 5.6e-3
(:math:`m = 4`), 7.6e-5 (:math:`m = 8`) and 9.8e-6 (:math:`m = 40`) in the
authors' notebook; (b)-(c) the particles :math:`\\theta_j` move from the
Gaussian initialization to the teacher's; (d) many "wasted" neurons keep a
small :math:`u_j`; (e) the important neurons, :math:`u_j \\geq 1`, sit on
the teacher's :math:`\\theta_i`; (f) noisy GD has fewer wasted neurons.

**What the run shows** (numbers printed at the end). (a) The ordering of
the paper: final test MSE 5.21e-3 (:math:`m = 4`), 2.22e-4 (:math:`m = 8`),
1.21e-4 (:math:`m = 40`); the best records are 5.21e-3, 6.53e-5 and
8.42e-5. :math:`m = 4` is flat from step 100 on, at the paper's level: its
four neurons found three of the teacher's lines (directions 0.8, 62.9 and
90.3 degrees, :math:`u_j` = 1.588, 1.391, 1.014) and the fourth sits at
179.5 degrees, on the line of :math:`(2, 0)` but with :math:`u_j = 0.004`, so the
line at 26.6 degrees is never fitted. :math:`m = 8` and :math:`m = 40`,
an order of magnitude apart in the paper, are within a factor 2 here and
fluctuate from record to record (panel a): with 2000 steps and batches of
1000 the SGD noise dominates their error (the authors' values at step 2000
were 5.9e-3, 1.4e-4 and 7.2e-5). (b)-(e) After SGD, 257 of the 400 neurons
have :math:`u_j \\geq 1` (63 at the initialization) and 312 point within 5
degrees of a teacher line (78 at the initialization): the important ones
lie along the four rays at every radius (only the direction matters) with
a median :math:`u_j` of 1.46, sharing the teacher's weight among them
(:math:`400/257 \\approx 1.56`); of the 143 wasted ones, 126 have
:math:`|u_j| < 0.2` and 122 point into the third quadrant, where
:math:`F_4` is near 0.
(f) Noisy SGD ends with 266 important neurons, so 134 wasted against 143,
fewer as the paper says but by a small margin (of the wasted, 91 with
:math:`|u_j| < 0.2` and 69 in the third quadrant); its particles are
spread around the lines (228 within 5 degrees) and its test MSE is higher
(1.60e-3 against 7.46e-4).
"""

import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from solvers import TwoLayerTraining

torch.set_num_threads(1)  # small networks: threads only add overhead on a busy machine

teacher = np.array([[2.0, 0.0], [1.0, 2.0], [2.0, 1.0], [0.0, 2.0]])  # the theta_i of F_4, all with u_i = 1


def F4(X):
    """The teacher, (1/4) sum_i sigmoid(theta_i^T x)."""
    return np.mean(0.5 * (1 + np.tanh(0.5 * X @ teacher.T)), axis=1)  # the sigmoid, without overflow


rng = np.random.default_rng(2020)
scale, n_pool, n_test = 100.0, 30_000, 5_000
X = scale * rng.normal(size=(n_pool, 2))
y = F4(X) + 0.1 * rng.normal(size=n_pool)  # noisy labels, as the authors'
X_test = scale * rng.normal(size=(n_test, 2))
y_test = F4(X_test)  # noiseless: the test MSE is the authors' "loss (test)"
print(f"variance of F_4 on the test inputs: {y_test.var():.4f}")


def student(width, **kwargs):
    """The authors' student: alpha = 1, sigmoid, u, theta ~ N(0, 1), plain SGD on both blocks."""
    kwargs = dict(alpha=1.0, activation="sigmoid", loss="squared", lr_convention="ntk", random_state=2020,
                  dtype="float32") | kwargs
    return TwoLayerTraining(width, **kwargs)


# %%
# Fig. 6 (a): widths 4, 8 and 40, the authors' learning rate (10 for their
# mean squared error, 20 for our half mean squared error), 2000 steps with
# batches of 1000 drawn from the pool.
widths, paper = (4, 8, 40), {4: 5.6e-3, 8: 7.6e-5, 40: 9.8e-6}
n_steps, batch = 2000, 1000
runs = {}
for m in widths:
    start = time.perf_counter()
    runs[m] = student(m, lr=20.0, max_iter=n_steps, batch_size=batch, record_every=100).run(X, y, X_test, y_test)
    print(f"m = {m:>2}: {runs[m].status}, {time.perf_counter() - start:.1f} s")

# %%
# Fig. 6 (b)-(f): m = 400 with the penalty :math:`\lambda_u = 0.01`, by
# plain SGD and by noisy SGD (Gaussian noise on the :math:`\theta_j` after
# every step), 500 steps of 20 times the authors' step, so the same
# mean-field time; the noise is scaled to keep the authors' temperature.
m_big, n_big, lr_big = 400, 500, 400.0
noise = 0.01 * np.sqrt(lr_big / 20.0)
big = {}
for name, nz in (("SGD", 0.0), ("noisy SGD", noise)):
    start = time.perf_counter()
    big[name] = student(m_big, lr=lr_big, max_iter=n_big, batch_size=500, reg_u=0.01, noise=nz,
                        record_every=n_big).run(X, y)
    print(f"m = {m_big}, {name}: {big[name].status}, {time.perf_counter() - start:.1f} s")

# %%
# The test MSE along the training (the authors' final values dotted).
fig, ax = plt.subplots(figsize=(6.5, 4.5), layout="constrained")
for i, m in enumerate(widths):
    h = runs[m].history
    ax.plot(h["iteration"], 2 * h["test_loss"], color=f"C{i}", marker="o", ms=3, label=f"m = {m}")
    ax.axhline(paper[m], color=f"C{i}", ls=":", lw=1, label=f"paper, m = {m} (10,001 steps)")
ax.set_yscale("log")
ax.set_xlabel("SGD step")
ax.set_ylabel(r"test MSE $\frac{1}{n}\sum_i (f(x_i) - F_4(x_i))^2$")
ax.set_title("(a) fitting $F_4$ with m = 4, 8, 40 neurons", fontsize=10)
ax.legend(fontsize=8, ncol=2)
plt.show()

# %%
# The particles :math:`\theta_j` of the m = 400 networks, colored by
# :math:`u_j`, with the teacher's :math:`\theta_i` (stars) and the lines
# through them (dashed): with inputs of scale 100 the sigmoids are nearly
# steps, so a neuron is set by the direction of :math:`\theta_j`, and
# :math:`-\theta_i` gives the complementary half-plane.
R = 4.0


def particles(ax, theta, u, title, mask=None):
    mask = np.ones(len(u), bool) if mask is None else mask
    pts = ax.scatter(theta[mask, 0], theta[mask, 1], c=u[mask], cmap="coolwarm", vmin=-2, vmax=2, s=10)
    for t in teacher:
        ax.plot(*np.outer([-R * 1.5, R * 1.5], t / np.linalg.norm(t)).T, color="k", ls="--", lw=0.6, alpha=0.6)
    ax.plot(teacher[:, 0], teacher[:, 1], "k*", ms=11, label=r"teacher $\theta_i$")
    ax.set(xlim=(-R, R), ylim=(-R, R), aspect="equal", xlabel=r"$\theta_{j,1}$", ylabel=r"$\theta_{j,2}$")
    ax.set_title(title, fontsize=10)
    return pts


sgd, noisy = big["SGD"], big["noisy SGD"]
u0, u_sgd, u_noisy = sgd.u0[:, 0], sgd.u[:, 0], noisy.u[:, 0]
fig, axes = plt.subplots(2, 3, figsize=(14, 9), layout="constrained")
pts = particles(axes[0, 0], sgd.theta0, u0, "(b) initialization, m = 400")
particles(axes[0, 1], sgd.theta, u_sgd, "(c) after SGD")
particles(axes[0, 2], sgd.theta, u_sgd, r"(e) after SGD: important neurons, $u_j \geq 1$", u_sgd >= 1)
particles(axes[1, 1], noisy.theta, u_noisy, "(f) after noisy SGD")
particles(axes[1, 2], noisy.theta, u_noisy, r"(f') after noisy SGD: $u_j \geq 1$", u_noisy >= 1)
axes[0, 0].legend(fontsize=8, loc="lower left")
bins = np.linspace(min(u0.min(), u_sgd.min(), u_noisy.min()), max(u0.max(), u_sgd.max(), u_noisy.max()), 40)
axes[1, 0].hist(u0, bins=bins, histtype="step", color="gray", label="initialization")
axes[1, 0].hist(u_sgd, bins=bins, alpha=0.5, label="SGD")
axes[1, 0].hist(u_noisy, bins=bins, alpha=0.5, label="noisy SGD")
axes[1, 0].axvline(1.0, color="k", ls=":", lw=1)
axes[1, 0].set(xlabel="$u_j$", ylabel="number of neurons")
axes[1, 0].set_title("(d) the output weights: many wasted neurons near 0", fontsize=10)
axes[1, 0].legend(fontsize=8)
fig.colorbar(pts, ax=axes[:, 2], label="$u_j$", shrink=0.6)
plt.show()

# %%
# The numbers. ``aligned``: neurons whose direction lies within 5 degrees of
# one of the four teacher lines (either sign).
print(f"{'m':>3} {'final test MSE':>15} {'best record':>12} {'paper':>8}")
for m in widths:
    mse = np.mean((runs[m].predict(X_test)[:, 0] - y_test) ** 2)
    print(f"{m:>3} {mse:>15.2e} {2 * np.nanmin(runs[m].history['test_loss']):>12.2e} {paper[m]:>8.1e}")
angles = np.degrees(np.arctan2(teacher[:, 1], teacher[:, 0]))
print(f"teacher directions (degrees): {np.round(angles, 1)}")
r4 = runs[4]
print(f"m = 4 student: directions {np.round(np.degrees(np.arctan2(r4.theta[:, 1], r4.theta[:, 0])), 1)}, "
      f"u {np.round(r4.u[:, 0], 3)}")


def aligned(theta, tol=5.0):
    a = np.degrees(np.arctan2(theta[:, 1], theta[:, 0]))
    d = np.abs((a[:, None] - angles[None, :] + 90.0) % 180.0 - 90.0)
    return d.min(axis=1) < tol


print(f"\nm = {m_big}, lambda_u = 0.01, {n_big} steps of lr {lr_big:g}, noise {noise:.4f}")
print(f"{'':>15} {'test MSE':>9} {'u >= 1':>7} {'|u| >= 1':>8} {'aligned':>8} {'aligned, u >= 1':>15} "
      f"{'mean |theta|':>12}")
rows = [("initialization", sgd.theta0, u0, None), ("SGD", sgd.theta, u_sgd, sgd),
        ("noisy SGD", noisy.theta, u_noisy, noisy)]
for name, theta, u, run in rows:
    f = run.predict(X_test)[:, 0] if run else (1 / m_big) * (0.5 * (1 + np.tanh(0.5 * X_test @ theta.T))) @ u
    print(f"{name:>15} {np.mean((f - y_test) ** 2):>9.2e} {np.sum(u >= 1):>7} {np.sum(np.abs(u) >= 1):>8} "
          f"{np.sum(aligned(theta)):>8} {np.sum(aligned(theta) & (u >= 1)):>15} "
          f"{np.linalg.norm(theta, axis=1).mean():>12.2f}")
for name, run in (("SGD", sgd), ("noisy SGD", noisy)):
    u, theta = run.u[:, 0], run.theta
    wasted = u < 1
    print(f"{name}: {wasted.sum()} wasted (u < 1), {np.sum(np.abs(u) < 0.2)} with |u| < 0.2, "
          f"{np.sum(wasted & (theta[:, 0] < 0) & (theta[:, 1] < 0))} of them in the third quadrant; "
          f"median u of the important neurons {np.median(u[~wasted]):.2f}")
