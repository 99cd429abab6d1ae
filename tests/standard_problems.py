"""A small library of measure problems with known gridded optima.

Each entry knows its answer from a source independent of the solvers under
test: a closed form, or scikit-learn's coordinate-descent Lasso on the same
features. ``tests/test_common_solvers.py`` runs every solver over all of them;
a new solver plugs in by adding a factory there.
"""

from dataclasses import dataclass

import numpy as np

import measureopt as mo


@dataclass(frozen=True)
class StandardProblem:
    name: str
    problem: mo.MeasureProblem
    grid: np.ndarray  # (K, d) directions of the gridded problem
    objective: float  # optimal value of the gridded problem
    weights: np.ndarray | None  # optimal weights on the grid, when unique and known
    source: str


def soft_threshold(z, t):
    return np.sign(z) * np.maximum(np.abs(z) - t, 0.0)


def antipodal_pair():
    """Grid {theta, -theta}: ReLU features with disjoint supports, an orthogonal design.

    The LASSO then separates: r_k = S(<a_k, y>/n, reg) / (||a_k||^2 / n).
    """
    rng = np.random.default_rng(1)
    X = mo.sample_sphere(3, 80, seed=rng)
    theta = np.array([0.0, 0.6, 0.8])
    grid = np.array([theta, -theta])
    y = 1.0 * np.maximum(X @ theta, 0) - 0.5 * np.maximum(-X @ theta, 0) + 0.01 * rng.standard_normal(80)
    reg = 0.02
    prob = mo.BLASSO(X, y, reg=reg)
    A = prob.features(grid)
    n = len(y)
    weights = soft_threshold(A.T @ y / n, reg) / (np.sum(A**2, axis=0) / n)
    residual = y - A @ weights
    objective = residual @ residual / (2 * n) + reg * np.abs(weights).sum()
    return StandardProblem("antipodal_pair", prob, grid, float(objective), weights, "closed form")


def zero_above_reg_max():
    """reg above reg_max on the grid: the zero measure is optimal, J* = ||y||^2 / (2n)."""
    data = mo.teacher_student(n=60, d=3, m=2, seed=2)
    grid = mo.sphere_grid(3, 300, seed=0)
    probe = mo.BLASSO(data.X, data.y, reg=1.0)
    reg = 1.5 * probe.reg_max(mo.GridOracle(grid))
    prob = mo.BLASSO(data.X, data.y, reg=reg)
    objective = data.y @ data.y / (2 * len(data.y))
    return StandardProblem("zero_above_reg_max", prob, grid, float(objective), np.zeros(len(grid)), "closed form")


def _lasso_reference(name, prob, grid):
    from sklearn.linear_model import Lasso

    A = prob.features(grid)
    lasso = Lasso(alpha=prob.reg, fit_intercept=False, tol=1e-14, max_iter=200_000)
    lasso.fit(A, prob.y)
    w = lasso.coef_
    r = prob.y - A @ w
    objective = r @ r / (2 * len(r)) + prob.reg * np.abs(w).sum()
    return StandardProblem(name, prob, grid, float(objective), None, "scikit-learn Lasso")


def teacher_student_circle():
    data = mo.teacher_student(n=60, d=2, m=2, seed=3)
    return _lasso_reference(
        "teacher_student_circle", mo.BLASSO(data.X, data.y, reg=1e-2), mo.sphere_grid(2, 200, seed=0)
    )


def teacher_student_noisy_d5():
    data = mo.teacher_student(n=100, d=5, m=3, seed=4, noise=0.05)
    return _lasso_reference(
        "teacher_student_noisy_d5", mo.BLASSO(data.X, data.y, reg=1e-2), mo.sphere_grid(5, 300, seed=0)
    )


def antipodal_pair_constrained():
    """The antipodal pair in the constrained form |r|_1 <= radius (orthogonal design).

    The constrained LASSO is the penalized one at the multiplier mu where
    sum_k |S(b_k, mu)| / a_k = radius: a 1-D root found by bisection.
    """
    base = antipodal_pair()
    X, y = base.problem.X, base.problem.y
    n = len(y)
    A = base.problem.features(base.grid)
    a, b = np.sum(A**2, axis=0) / n, A.T @ y / n
    radius = 0.5 * np.abs(base.weights).sum()  # the constraint is active
    lo, hi = 0.0, np.abs(b).max()
    for _ in range(200):
        mu = 0.5 * (lo + hi)
        if np.abs(soft_threshold(b, mu) / a).sum() > radius:
            lo = mu
        else:
            hi = mu
    weights = soft_threshold(b, hi) / a
    residual = y - A @ weights
    prob = mo.MeasureProblem(mo.Features(X), y, mo.SquaredLoss(), mo.TVBall(radius))
    return StandardProblem("antipodal_pair_constrained", prob, base.grid,
                           float(residual @ residual / (2 * n)), weights, "closed form (bisection on the multiplier)")


def logistic_circle():
    """Logistic F1 problem on 1-D inputs lifted to the circle; reference: scikit-learn's liblinear."""
    import warnings

    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(5)
    X = rng.uniform(-2, 2, (50, 1))
    y = np.where(X[:, 0] + 0.5 * rng.standard_normal(50) > 0.2, 1.0, -1.0)
    prob = mo.VariationNormERM(X, y, loss="logistic", reg=2e-2)
    grid = mo.sphere_grid(2, 64, seed=0)
    A = prob.features(grid)
    n = len(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's l1_ratio transition warnings
        lr = LogisticRegression(l1_ratio=1.0, C=1.0 / (n * prob.reg), fit_intercept=False,
                                solver="liblinear", tol=1e-12, max_iter=100_000).fit(A, y)
    w = lr.coef_[0]
    objective = prob.data_fit(A @ w) + prob.reg * np.abs(w).sum()
    return StandardProblem("logistic_circle", prob, grid, float(objective), None, "scikit-learn liblinear (L1 logistic)")


# ------------------------------------------------------------ continuous problems (no gridded optimum)
def logistic_line():
    """Logistic variation-norm ERM on 40 points of [-2, 2], labels sign(sin 2x), reg 1e-2 (lifted to S^1)."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (40, 1))
    return mo.VariationNormERM(X, np.where(np.sin(2 * X[:, 0]) > 0, 1.0, -1.0), loss="logistic", reg=1e-2)


def squared_constrained_line():
    """Squared-loss ERM on the TV ball of radius 2: 40 points of [-2, 2], targets sin 2x (lifted to S^1)."""
    rng = np.random.default_rng(1)
    X = rng.uniform(-2, 2, (40, 1))
    return mo.VariationNormERM(X, np.sin(2 * X[:, 0]), loss="squared", radius=2.0)


STANDARD_PROBLEMS = [antipodal_pair, zero_above_reg_max, teacher_student_circle, teacher_student_noisy_d5,
                     antipodal_pair_constrained, logistic_circle]
