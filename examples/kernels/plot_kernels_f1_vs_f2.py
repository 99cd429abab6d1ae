"""
F1 against F2: a single neuron in d = 10 (Bach 2017, Berthier's kernel)
=======================================================================

The teacher is one ReLU unit with a bias, :math:`f^\\star(x) =
(\\langle v^\\star, (x, 1)\\rangle)_+`, with a fixed direction :math:`v^\\star`
on :math:`\\mathbb{S}^{10}` (its last, bias coordinate is 0.2); inputs
:math:`x \\sim N(0, I_{10})`, labels :math:`y = f^\\star(x) + 0.1\\,\\varepsilon`
with :math:`\\varepsilon \\sim N(0, 1)` (noise variance 0.01, against
:math:`\\operatorname{Var} f^\\star(x) = 0.356`). Two estimators, both with
the squared loss :math:`\\frac12(f - y)^2` averaged over the :math:`n`
samples:

* **F1**, the variation-norm space: :class:`measureopt.VariationNormERM`
  with the penalty :math:`\\lambda\\lVert\\mu\\rVert_{TV}` over measures on
  :math:`\\mathbb{S}^{10}` (lifted inputs :math:`(x, 1)`), solved by
  :class:`solvers.SlidingFrankWolfe` with a fixed budget of 8 iterations.
  In :math:`D = 11` the certified oracles are far too slow, so the solver
  uses :class:`measureopt.LocalOracle`: its gaps are estimates, not
  certificates;
* **F2**, the RKHS of Berthier's kernel :math:`k(x, x') =
  \\int(v^\\top\\tilde x)_+(v^\\top\\tilde x')_+\\,d\\tau(v)` (Prop. 2.1,
  :math:`\\tau` uniform on :math:`\\mathbb{S}^{10}`): kernel ridge
  :class:`solvers.F2KernelRidge` (``degree=1, lift=True``), penalty
  :math:`\\frac{\\lambda}{2}\\gamma_2(f)^2`.

For :math:`n \\in \\{50, 100, 200, 400, 800\\}` and 2 seeds (data draws), each
estimator's :math:`\\lambda` is chosen on a held-out validation set of
:math:`n/2` further noisy samples, from a small grid (F1: 0.02, 0.01,
0.005; F2: :math:`10^{-6}` to :math:`10^{-3}` by decades); the test error
is the mean squared distance to the noiseless :math:`f^\\star` on 1000 fresh
inputs.

**Paper's claim** (Bach 2017, as summarized by Berthier 2018, Sec. 3.3):
:math:`x \\mapsto (w^\\top x + b)_+` is always in F1 (here
:math:`\\gamma_1(f^\\star) \\le 1`) but not in F2 in general; when
:math:`f^\\star` depends only on a subspace of dimension :math:`s \\le d`,
:math:`d` can be replaced by :math:`s` in the generalization bounds only in
F1: only F1 adapts to the structure, so its error should fall fast with
:math:`n`, and F2's slowly in :math:`d = 10`.

**What the run shows** (numbers printed below; means over the 2 seeds):

* F1's test error falls from :math:`7.5\\cdot 10^{-3}` at :math:`n = 50` to
  :math:`3.4\\cdot 10^{-4}` at :math:`n = 800` (0.09% of
  :math:`\\operatorname{Var} f^\\star`), a fitted slope of -1.00 in
  :math:`\\log n` (-1.07 over :math:`n \\ge 200`). For scale,
  :math:`\\sigma^2 D/n = 1.4\\cdot 10^{-4}` at :math:`n = 800` is the variance
  of a least-squares fit of the 11 parameters of one neuron.
* F2's falls from :math:`8.1\\cdot 10^{-2}` to :math:`9.2\\cdot 10^{-3}`: a
  slope of -0.76 overall, flattening to -0.47 over :math:`n \\ge 200`. F2 is
  11 to 27 times worse than F1 at every :math:`n` (10.8 at :math:`n = 50`,
  27.4 at :math:`n = 800`), and at :math:`n = 800` it is still worse than
  F1 at :math:`n = 50`. Its predictions (right) are
  spread around the teacher and blur the kink at
  :math:`\\langle v^\\star, (x, 1)\\rangle = 0`; F1's follow it.
* F1 finds the direction. For seed 0 the solution has 3 to 12 atoms, with
  63-100% of the total variation within 15 degrees of :math:`v^\\star` (92% at
  :math:`n = 800`; a random direction is at about 90 degrees) and a total
  variation of 0.95-1.11 (the teacher's: 1). The mass near
  :math:`v^\\star` is split over a few close atoms (the heaviest at 3.1-5.2
  degrees, of weight 0.45-0.76); their resultant :math:`\\sum_{w_j > 0}
  w_jv_j` is at 5.2 degrees from :math:`v^\\star` for :math:`n = 50`, 3.4-4.7 for
  :math:`n = 100, 200` and 1.4-1.6 for :math:`n = 400, 800`, of norm 0.92-0.98.
* The chosen :math:`\\lambda` shrinks with :math:`n` for F1 (0.02 or 0.01
  at :math:`n \\le 100`, 0.005 at :math:`n = 800`); F2's vary between
  :math:`10^{-6}` and :math:`10^{-3}`. Eight of the ten chosen F1 fits end at
  the iteration budget (status ``max_iter``), two as ``optimal_inaccurate``
  (a local gap estimate below ``tol`` is not a certificate), with relative gap
  estimates of :math:`4.2\\cdot 10^{-3}` (median) and at most
  :math:`3.0\\cdot 10^{-2}`: near the optimum of the penalized problem, but
  not at it.

**How this configuration was chosen** (exploratory runs on another data
draw): 20 Sliding Frank-Wolfe iterations instead of 10 changed the test
error by at most 10% (:math:`n = 100` and 800, :math:`\\lambda = 0.01`);
values of :math:`\\lambda` below :math:`10^{-6}` did not lower F2's
validation error by more than 0.1% (:math:`n = 200, 400, 800`). The budget
of 8 iterations, a local oracle of 4 starts and two seeds are what fits in
the time limit.
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import scipy.optimize  # noqa: F401  (loaded before the BLAS limit below, so that it applies to scipy's BLAS too)

import measureopt as mo
import solvers

try:  # one BLAS thread: the solvers' many tiny L-BFGS-B steps are several times slower with more on a busy machine
    from threadpoolctl import threadpool_limits

    blas_limit = threadpool_limits(1)  # restored at the end, so that the gallery's next examples are not affected
except ImportError:
    blas_limit = None

start = time.perf_counter()
d, noise, n_test = 10, 0.1, 1000
ns, seeds = (50, 100, 200, 400, 800), (0, 1)
regs_f1 = (0.02, 0.01, 0.005)  # solved in this order, each warm-started from the previous solution
regs_f2 = (1e-6, 1e-5, 1e-4, 1e-3)

rng = np.random.default_rng(0)
u = rng.standard_normal(d)
bias = 0.2
v_star = np.r_[np.sqrt(1 - bias**2) * u / np.linalg.norm(u), bias]  # the teacher's direction, on S^10


def teacher(X):
    """f*(x) = (v*.(x, 1))_+, a single ReLU neuron with a bias."""
    return np.maximum(mo.lift(X) @ v_star, 0.0)


def sample(n, rng):
    X = rng.standard_normal((n, d))
    f = teacher(X)
    return X, f, f + noise * rng.standard_normal(n)


X_test, f_test, _ = sample(n_test, rng)


def angle(V):
    """Angle (degrees) between directions on S^10 and v*."""
    return np.degrees(np.arccos(np.clip(V @ v_star, -1.0, 1.0)))


# %%
# Fit both estimators for every sample size and seed. The validation set
# (``n // 2`` more noisy samples, not used for the fit) picks the
# regularization of each from its grid; the test error is the mean squared
# distance to the noiseless teacher on ``n_test`` fresh inputs. The F1
# problem is :class:`measureopt.VariationNormERM` (squared loss
# :math:`\frac12(f - y)^2` averaged, penalty :math:`\lambda\lVert\mu
# \rVert_{TV}`, lifted inputs :math:`(x, 1)` so that the measure lives on
# :math:`\mathbb{S}^{10}`), solved by :class:`solvers.SlidingFrankWolfe`
# with a fixed budget of 8 iterations; in :math:`D = 11` its oracle is the
# local one (:class:`measureopt.LocalOracle`), so its gaps are estimates,
# not certificates.
oracle = mo.LocalOracle(n_starts=4, max_iter=30)  # one instance: its search grid is built once
mse = {"F1": np.zeros((len(seeds), len(ns))), "F2": np.zeros((len(seeds), len(ns)))}
chosen = {"F1": np.zeros((len(seeds), len(ns))), "F2": np.zeros((len(seeds), len(ns)))}
atoms, gaps, statuses, fits = {}, [], [], {}
for s, seed in enumerate(seeds):
    for j, n in enumerate(ns):
        data_rng = np.random.default_rng(100 + seed)
        X, f, y = sample(n, data_rng)
        X_val, _, y_val = sample(n // 2, data_rng)
        best, previous = None, None
        for reg in regs_f1:
            prob = mo.VariationNormERM(X, y, loss="squared", reg=reg)
            with warnings.catch_warnings():  # a fixed budget: "max_iter" statuses are counted below instead
                warnings.simplefilter("ignore", mo.ConvergenceWarning)
                res = solvers.SlidingFrankWolfe(max_iter=8, tol=1e-3, slide_iter=100, oracle=oracle,
                                                certificate_oracle=oracle, warm_start=previous).solve(prob)
            previous = res
            val = np.mean((prob.predict(res.measure, X_val) - y_val) ** 2)
            if best is None or val < best[0]:
                best = (val, reg, prob, res)
        _, reg, prob, res = best
        gaps.append(res.relative_gap)
        statuses.append(str(res.status))
        chosen["F1"][s, j] = reg
        mse["F1"][s, j] = np.mean((prob.predict(res.measure, X_test) - f_test) ** 2)
        atoms[seed, n] = res.measure
        best = None
        for reg in regs_f2:
            model = solvers.F2KernelRidge(reg=reg, degree=1, lift=True).fit(X, y)
            val = np.mean((model.predict(X_val) - y_val) ** 2)
            if best is None or val < best[0]:
                best = (val, reg, model)
        _, reg, model = best
        chosen["F2"][s, j] = reg
        mse["F2"][s, j] = np.mean((model.predict(X_test) - f_test) ** 2)
        if seed == seeds[0]:
            fits[n] = (prob.predict(res.measure, X_test), model.predict(X_test))
print(f"fits: {time.perf_counter() - start:.1f} s; SFW statuses of the chosen fits: "
      + ", ".join(f"{st} x{statuses.count(st)}" for st in sorted(set(statuses)))
      + f"; their relative gap estimates (local oracle): median {np.median(gaps):.1e}, max {np.max(gaps):.1e}")

# %%
# The test errors, per seed and averaged, with the chosen regularizations,
# and the slope of :math:`\log(\text{MSE})` against :math:`\log n`.
print(f"\nteacher variance Var f*(x) = {np.var(f_test):.3f}, label noise variance {noise**2:.3f}")
print(f"{'n':>5} {'F1 test MSE':>12} {'F2 test MSE':>12} {'F2 / F1':>8}   chosen lambda F1 | F2 (per seed)")
for j, n in enumerate(ns):
    m1, m2 = mse["F1"][:, j].mean(), mse["F2"][:, j].mean()
    print(f"{n:>5} {m1:>12.2e} {m2:>12.2e} {m2 / m1:>8.1f}   "
          + " ".join(f"{r:g}" for r in chosen["F1"][:, j]) + " | " + " ".join(f"{r:g}" for r in chosen["F2"][:, j]))
slopes = {k: np.polyfit(np.log(ns), np.log(v.mean(axis=0)), 1)[0] for k, v in mse.items()}
late = {k: np.polyfit(np.log(ns[2:]), np.log(v.mean(axis=0)[2:]), 1)[0] for k, v in mse.items()}
print("fitted slope of log MSE against log n: " + ", ".join(f"{k} {v:.2f}" for k, v in slopes.items())
      + f"; over n >= {ns[2]}: " + ", ".join(f"{k} {v:.2f}" for k, v in late.items()))

# %%
# The F1 solutions' atoms (seed 0): their angle to the teacher's direction
# and their weight. ``heaviest`` is the atom of largest :math:`|w|`; the
# mass near :math:`v^\star` is split over a few close atoms, whose
# resultant :math:`r = \sum_{w_j > 0} w_j v_j` is what a single neuron
# :math:`(\langle r, (x, 1)\rangle)_+` would approximate them by (for
# nearby directions). A random direction of :math:`\mathbb{S}^{10}` is at
# about 90 degrees from :math:`v^\star`.
def resultant(mu):
    pos = mu.weights > 0
    r = mu.weights[pos] @ mu.support[pos]
    return angle(r / np.linalg.norm(r)), np.linalg.norm(r)


print(f"\n{'n':>5} {'atoms':>5} {'heaviest: angle':>16} {'weight':>7} {'TV':>6} {'TV share within 15 deg':>23} "
      f"{'resultant: angle':>17} {'norm':>6}")
for n in ns:
    mu = atoms[seeds[0], n]
    k = np.argmax(np.abs(mu.weights))
    a = angle(mu.support)
    ra, rn = resultant(mu)
    print(f"{n:>5} {mu.n_atoms:>5} {a[k]:>15.1f}° {mu.weights[k]:>7.3f} {mu.total_variation:>6.3f} "
          f"{np.sum(np.abs(mu.weights[a < 15])) / mu.total_variation:>23.0%} {ra:>16.1f}° {rn:>6.3f}")
print(f"total time: {time.perf_counter() - start:.1f} s")

# %%
# Left: test error against :math:`n`. Middle: the atoms of the F1 solution
# (seed 0) for the smallest and largest :math:`n`: angle to :math:`v^\star`
# against weight, and their resultant :math:`r` (angle, norm); the teacher
# is one atom of weight 1 at angle 0. Right:
# the predictions at :math:`n = 800` against the teacher's pre-activation
# :math:`\langle v^\star, (x, 1)\rangle` on the test inputs.
fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), layout="constrained")
ax = axes[0]
for key, color, label in (("F1", "C0", "F1: variation norm (Sliding Frank-Wolfe)"),
                          ("F2", "C1", "F2: kernel ridge (Berthier's kernel)")):
    M = mse[key]
    ax.errorbar(ns, M.mean(axis=0), yerr=[M.mean(axis=0) - M.min(axis=0), M.max(axis=0) - M.mean(axis=0)],
                fmt="o-", capsize=3, color=color, label=f"{label}, slope {slopes[key]:.2f}")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xticks(ns, [str(n) for n in ns])
ax.xaxis.set_minor_locator(plt.NullLocator())
ax.set_xlabel("number of samples $n$")
ax.set_ylabel(r"test MSE $\mathbb{E}(\hat f(x) - f^\star(x))^2$")
ax.set_title(f"d = {d}: mean and range over {len(seeds)} seeds", fontsize=10)
ax.legend(fontsize=8)

ax = axes[1]
for n, color in ((ns[0], "C2"), (ns[-1], "C3")):
    mu = atoms[seeds[0], n]
    ax.scatter(angle(mu.support), mu.weights, color=color, s=30, label=f"F1 atoms, n = {n} ({mu.n_atoms})")
    for a, w in zip(angle(mu.support), mu.weights):
        ax.plot([a, a], [0, w], color=color, lw=0.8)
    ax.plot(*resultant(mu), "D", color=color, mec="k", ms=8, label=rf"resultant $r$, n = {n}")
ax.plot([0], [1], "k*", ms=14, label=r"teacher: $\delta_{v^\star}$")
ax.axhline(0, color="0.5", lw=0.6)
ax.set_xlim(-3, 180)
ax.set_xlabel(r"angle to $v^\star$ (degrees)")
ax.set_ylabel(r"atom weight (resultant: $\|r\|$)")
ax.set_title("the F1 solution's atoms (seed 0)", fontsize=10)
ax.legend(fontsize=8)

ax = axes[2]
t = mo.lift(X_test) @ v_star
order = np.argsort(t)
p1, p2 = fits[ns[-1]]
ax.scatter(t, p2, s=4, color="C1", alpha=0.5, label="F2 prediction")
ax.scatter(t, p1, s=4, color="C0", alpha=0.5, label="F1 prediction")
ax.plot(t[order], f_test[order], "k-", lw=1, label=r"teacher $f^\star$")
ax.set_xlabel(r"$\langle v^\star, (x, 1)\rangle$ (test inputs)")
ax.set_ylabel(r"$\hat f(x)$")
ax.set_title(f"predictions at n = {ns[-1]} (seed 0)", fontsize=10)
ax.legend(fontsize=8, markerscale=3)
plt.show()

if blas_limit is not None:
    blas_limit.restore_original_limits()
