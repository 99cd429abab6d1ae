"""Certified regularization paths (solvers.estimators.reg_path) and the cross-validated estimators.

References are independent of the code under test: the objectives recomputed
here from each measure, ``lambda_max`` as ``max_k |Phi_k^T q_0|`` over the
grid (and over a fine uniform circle with a Lipschitz bound in 1-D),
scikit-learn's ``lasso_path`` and L1 ``LogisticRegression`` on the gridded
features, cold solves against warm-started ones, and
``cross_val_score`` of the plain estimators against the CV estimators' fold
paths. Approximate solutions are compared through their certified gaps:
:math:`J(\\nu) - J^\\star \\le` ``dual_gap``.
"""

import inspect
import pickle

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, lasso_path
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

import measureopt as mo
import solvers
from solvers.estimators import (ConvexNetClassifier, ConvexNetClassifierCV, ConvexNetRegressor,
                                ConvexNetRegressorCV, plot_path, reg_path)

TOL = 1e-6
ROUND = 1e-12  # relative rounding slack on objectives


# ------------------------------------------------------------------ data and independent formulas
def one_d(n=30, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 1))
    return X, np.abs(X[:, 0]) - 0.5 + 0.05 * rng.standard_normal(n)


def two_d(n=30, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 2))
    y = np.maximum(X[:, 0] + X[:, 1] - 0.3, 0) - np.maximum(-X[:, 0] - 0.2, 0) + 0.05 * rng.standard_normal(n)
    return X, y


def labels(y):
    return np.where(y > np.median(y), 1.0, -1.0)


def relu_features(X, thetas):
    """Phi_ik = relu(<theta_k, (x_i, 1)>), written out here."""
    Xt = np.hstack([X, np.ones((X.shape[0], 1))])
    return np.maximum(Xt @ np.asarray(thetas).T, 0.0)


def predictions(X, measure):
    if measure.n_atoms == 0:
        return np.zeros(X.shape[0])
    return relu_features(X, measure.support) @ measure.weights


def data_term(loss, y, f):
    if loss == "squared":
        return 0.5 * np.mean((y - f) ** 2)
    return np.mean(np.logaddexp(0.0, -y * f))


def objective(loss, X, y, reg, measure):
    """(1/2n)||y - f||^2 or (1/n) sum log(1 + exp(-y f)), plus reg * ||nu||_TV."""
    return data_term(loss, y, predictions(X, measure)) + reg * np.abs(measure.weights).sum()


def q0(loss, y):
    """-l'(0) per sample, divided by n: the correlation whose sup is lambda_max."""
    return y / len(y) if loss == "squared" else y / (2 * len(y))


def zero_objective(loss, y):
    return 0.5 * np.mean(y ** 2) if loss == "squared" else np.log(2.0)


def l1_logistic(C):
    """L1 logistic regression without intercept (``penalty`` is deprecated from scikit-learn 1.8)."""
    options = dict(C=C, solver="liblinear", fit_intercept=False, tol=1e-12, max_iter=100_000)
    if inspect.signature(LogisticRegression).parameters["penalty"].default == "deprecated":
        return LogisticRegression(l1_ratio=1.0, **options)
    return LogisticRegression(penalty="l1", **options)


GRID2 = mo.sphere_grid(3, 200, seed=0)  # directions for the 2-D inputs, lifted (D = 3)

CASES = {
    # name: (data, loss, solver options, expected scope)
    "sfw-squared-1d": (one_d, "squared", dict(solver="auto"), "sphere"),
    "sfw-squared-2d": (two_d, "squared", dict(solver="auto"), "sphere"),
    "sfw-logistic-2d": (two_d, "logistic", dict(solver="auto"), "sphere"),
    "grid-squared-2d": (two_d, "squared", dict(solver="grid", grid=GRID2), "grid"),
    "grid-logistic-2d": (two_d, "logistic", dict(solver="grid", grid=GRID2), "grid"),
}
N_REGS = {"sfw-logistic-2d": 4}
EPS = {"sfw-logistic-2d": 3e-2}


def case_data(name):
    make, loss, options, scope = CASES[name]
    X, y = make()
    return X, (labels(y) if loss == "logistic" else y), loss, options, scope


_CACHE = {}


def path_of(name, warm_start=True):
    """The case's path (cached across tests); the cold one on the warm one's regs."""
    key = (name, warm_start)
    if key not in _CACHE:
        X, y, loss, options, _ = case_data(name)
        regs = None if warm_start else path_of(name).regs
        _CACHE[key] = reg_path(X, y, loss=loss, regs=regs, n_regs=N_REGS.get(name, 5), eps=EPS.get(name, 1e-2),
                               tol=TOL, warm_start=warm_start, **options)
    return _CACHE[key]


# ------------------------------------------------------------------ 1. the path itself
@pytest.mark.parametrize("name", list(CASES))
def test_path_is_certified_and_tv_grows_as_reg_decreases(name):
    X, y, loss, _, scope = case_data(name)
    path = path_of(name)
    regs, gaps, tv = path.regs, path.dual_gaps, path.tv_norms
    assert len(path) == len(regs) == N_REGS.get(name, 5)
    assert np.all(np.diff(regs) < 0)
    np.testing.assert_allclose(regs[0], path.reg_max, rtol=1e-12)
    np.testing.assert_allclose(regs[-1], EPS.get(name, 1e-2) * path.reg_max, rtol=1e-12)
    assert all(s is solvers.Status.OPTIMAL for s in path.statuses), path.statuses
    assert np.all(path.relative_gaps <= TOL), path.relative_gaps
    assert np.all(gaps >= -1e-14)
    assert path.gap_scopes == (scope,) * len(regs)
    # the objective, recomputed here from each measure
    reference = [objective(loss, X, y, reg, m) for reg, m in zip(regs, path.measures)]
    np.testing.assert_allclose(path.objectives, reference, rtol=1e-10)
    np.testing.assert_allclose(tv, [np.abs(m.weights).sum() for m in path.measures], rtol=1e-12)
    # For a > b and eps-optimal nu_a, nu_b: (a - b)(|nu_a| - |nu_b|) <= eps_a + eps_b, so the TV norm is
    # non-decreasing along the decreasing regs up to the certified gaps (exactly so at the optima).
    slack = (gaps[:-1] + gaps[1:]) / (regs[:-1] - regs[1:]) + ROUND * tv.max()
    assert np.all(np.diff(tv) >= -slack), np.diff(tv)
    # J*(reg) is non-decreasing in reg: J(nu_a) >= J*_a >= J*_b >= J(nu_b) - eps_b
    obj = path.objectives
    assert np.all(obj[:-1] >= obj[1:] - gaps[1:] - ROUND * obj[0])
    assert path.n_neurons[0] == 0 and np.all(path.n_neurons[1:] >= 1)
    if scope == "grid":  # every atom is one of the grid's directions
        for m in path.measures[1:]:
            assert np.all(np.min(np.linalg.norm(m.support[:, None] - GRID2[None], axis=2), axis=1) <= 1e-12)


# ------------------------------------------------------------------ 2. reg_max and the zero measure
def test_reg_max_is_the_grid_correlation_sup():
    for name in ("grid-squared-2d", "grid-logistic-2d"):
        X, y, loss, _, _ = case_data(name)
        expected = np.max(np.abs(relu_features(X, GRID2).T @ q0(loss, y)))
        np.testing.assert_allclose(path_of(name).reg_max, expected, rtol=1e-12)


def test_reg_max_is_the_sphere_sup_in_one_dimension():
    """On the circle (D = 2) the correlation is L-Lipschitz, L = sum_i |q0_i| ||(x_i, 1)||: a uniform grid of
    N angles brackets its sup within L * pi / N."""
    X, y, loss, _, _ = case_data("sfw-squared-1d")
    N = 200_000
    angles = 2 * np.pi * np.arange(N) / N
    thetas = np.column_stack([np.cos(angles), np.sin(angles)])
    q = q0(loss, y)
    lower = np.max(np.abs(relu_features(X, thetas).T @ q))
    L = np.sum(np.abs(q) * np.linalg.norm(np.hstack([X, np.ones((len(X), 1))]), axis=1))
    reg_max = path_of("sfw-squared-1d").reg_max
    assert lower - 1e-12 <= reg_max <= lower + L * np.pi / N + 1e-12


@pytest.mark.parametrize("name", ["sfw-squared-2d", "sfw-logistic-2d"])
def test_reg_max_is_the_sphere_sup_in_two_dimensions(name):
    """D = 3: 20,000 quasi-uniform directions give a lower bound on the sup, and come close to it."""
    X, y, loss, _, _ = case_data(name)
    lower = np.max(np.abs(relu_features(X, mo.sphere_grid(3, 20_000, seed=0)).T @ q0(loss, y)))
    reg_max = path_of(name).reg_max
    assert lower - 1e-12 <= reg_max <= lower * (1 + 2e-3)


@pytest.mark.parametrize("name", ["sfw-squared-1d", "sfw-squared-2d", "sfw-logistic-2d", "grid-squared-2d",
                                  "grid-logistic-2d"])
def test_zero_measure_exactly_from_reg_max(name):
    X, y, loss, options, _ = case_data(name)
    reg_max = path_of(name).reg_max
    path = reg_path(X, y, loss=loss, regs=[0.9 * reg_max, 2 * reg_max, reg_max], tol=TOL, **options)
    np.testing.assert_array_equal(path.regs, [2 * reg_max, reg_max, 0.9 * reg_max])
    assert path.reg_max == reg_max
    for k in (0, 1):
        assert path.n_neurons[k] == 0 and path.tv_norms[k] == 0
        np.testing.assert_allclose(path.objectives[k], zero_objective(loss, y), rtol=1e-14)
        assert path.statuses[k] is solvers.Status.OPTIMAL
        assert abs(path.dual_gaps[k]) <= 1e-12 * path.objectives[k]
    # reg_max is exact here (arrangement oracle for D <= 3, or over the grid): below it zero is not optimal
    assert path.statuses[2] is solvers.Status.OPTIMAL
    assert path.n_neurons[2] >= 1 and path.tv_norms[2] > 0
    assert path.objectives[2] < zero_objective(loss, y) - path.dual_gaps[2]


# ------------------------------------------------------------------ 3. warm starts change nothing certified
@pytest.mark.parametrize("name", ["sfw-squared-1d", "sfw-squared-2d", "grid-squared-2d", "grid-logistic-2d"])
def test_warm_path_equals_cold_solves_within_the_gaps(name):
    warm, cold = path_of(name), path_of(name, warm_start=False)
    assert warm.warm_started and not cold.warm_started
    np.testing.assert_array_equal(warm.regs, cold.regs)
    assert warm.reg_max == cold.reg_max
    assert all(s is solvers.Status.OPTIMAL for s in cold.statuses)
    slack = warm.dual_gaps + cold.dual_gaps + ROUND * np.abs(warm.objectives)
    assert np.all(np.abs(warm.objectives - cold.objectives) <= slack), warm.objectives - cold.objectives
    # the squared loss is strongly convex in the training predictions: ||f - f'||^2 / (2n) <= eps + eps'
    if CASES[name][1] == "squared":
        X, _, _, _, _ = case_data(name)
        for w, c, s in zip(warm.measures, cold.measures, slack):
            assert np.sum((predictions(X, w) - predictions(X, c)) ** 2) / (2 * len(X)) <= s + 1e-15


# ------------------------------------------------------------------ 4. the gridded path against scikit-learn
@pytest.fixture(scope="module")
def gridded():
    X, y = two_d(n=40, seed=3)
    return X, y, relu_features(X, GRID2)


def test_grid_path_matches_scikit_learn_lasso_path(gridded):
    X, y, Phi = gridded
    path = reg_path(X, y, n_regs=6, eps=1e-2, solver=solvers.GridConvex(grid=GRID2), tol=TOL)
    np.testing.assert_allclose(path.reg_max, np.max(np.abs(Phi.T @ y)) / len(y), rtol=1e-12)
    alphas, coefs, _ = lasso_path(Phi, y, alphas=path.regs, tol=1e-12, max_iter=1_000_000)
    np.testing.assert_allclose(alphas, path.regs, rtol=1e-15)
    for k, reg in enumerate(path.regs):
        w = coefs[:, k]
        j_ref = 0.5 * np.mean((y - Phi @ w) ** 2) + reg * np.abs(w).sum()
        j_ours = path.objectives[k]
        np.testing.assert_allclose(j_ours, j_ref, rtol=1e-6)
        assert j_ours <= j_ref + path.dual_gaps[k] + ROUND * j_ref  # J_ours - J* <= gap and J* <= J_ref
        # the LASSO's fitted values are unique (its coefficients need not be)
        np.testing.assert_allclose(predictions(X, path.measures[k]), Phi @ w, atol=1e-5 * np.abs(y).max())
    assert path.gap_scopes == ("grid",) * len(path.regs)


def test_logistic_grid_path_matches_scikit_learn_l1_logistic_regression(gridded):
    X, y, Phi = gridded
    y = labels(y)
    n = len(y)
    path = reg_path(X, y, loss="logistic", n_regs=4, eps=3e-2, solver=solvers.GridConvex(grid=GRID2), tol=TOL)
    np.testing.assert_allclose(path.reg_max, np.max(np.abs(Phi.T @ y)) / (2 * n), rtol=1e-12)
    assert all(s is solvers.Status.OPTIMAL for s in path.statuses)
    for k in (1, 2, 3):
        reg = path.regs[k]
        # liblinear minimizes C sum_i log(1 + exp(-y_i f_i)) + ||w||_1, ours divided by C n
        w = l1_logistic(1.0 / (n * reg)).fit(Phi, y).coef_.ravel()
        j_ref = data_term("logistic", y, Phi @ w) + reg * np.abs(w).sum()
        j_ours = path.objectives[k]
        assert j_ours <= j_ref + path.dual_gaps[k] + ROUND * j_ref
        np.testing.assert_allclose(j_ours, j_ref, rtol=1e-6)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # any w is an upper bound
def test_sfw_path_is_no_worse_than_a_gridded_lasso():
    """The sphere's optimum is below every grid's: J_sfw - gap <= J*_sphere <= J*_grid <= J_grid(w) for any w
    supported on the grid (here scikit-learn's LASSO on 90 angles), and a grid of 4 degrees is close."""
    X, y, _, _, _ = case_data("sfw-squared-1d")
    path = path_of("sfw-squared-1d")
    angles = np.linspace(0, 2 * np.pi, 90, endpoint=False)
    Phi = relu_features(X, np.column_stack([np.cos(angles), np.sin(angles)]))
    _, coefs, _ = lasso_path(Phi, y, alphas=path.regs, tol=1e-8, max_iter=100_000)
    j_grid = np.array([0.5 * np.mean((y - Phi @ w) ** 2) + reg * np.abs(w).sum()
                       for reg, w in zip(path.regs, coefs.T)])
    assert np.all(path.objectives - path.dual_gaps <= j_grid + ROUND * j_grid), path.objectives - j_grid
    np.testing.assert_allclose(path.objectives, j_grid, rtol=2e-3)


# ------------------------------------------------------------------ 5. pickling, printing, plotting
def test_reg_path_pickles_and_prints_one_line_per_reg():
    path = path_of("sfw-squared-1d")
    loaded = pickle.loads(pickle.dumps(path))
    assert isinstance(loaded, type(path)) and loaded == path
    np.testing.assert_array_equal(loaded.regs, path.regs)
    np.testing.assert_array_equal(loaded.objectives, path.objectives)
    np.testing.assert_array_equal(loaded.dual_gaps, path.dual_gaps)
    assert loaded.gap_scopes == path.gap_scopes and loaded.statuses == path.statuses
    for a, b in zip(loaded.measures, path.measures):
        np.testing.assert_array_equal(a.support, b.support)
        np.testing.assert_array_equal(a.weights, b.weights)
    text = str(path)
    assert text == str(loaded)
    lines = text.splitlines()
    assert len(lines) == 2 + len(path.regs)  # a title, the column names, then one line per reg
    for line, reg, k in zip(lines[2:], path.regs, path.n_neurons):
        fields = line.split()
        assert float(fields[0]) == pytest.approx(reg, rel=1e-3)
        assert int(fields[-2]) == k and fields[3] == "sphere"


def test_plot_path_draws_every_neuron_and_the_gaps():
    path = path_of("sfw-squared-1d")
    axes = plot_path(path, title="path")
    assert len(axes) == 2
    top, bottom = axes
    assert len(top.lines) >= 1
    assert top.get_title() == "path"
    # the neurons' tracks: plotted in data coordinates (axhline/axvline are not); together they hold
    # exactly the points (reg_k, r_j) of the path's measures
    tracks = [line for line in top.lines if line.get_transform() == top.transData]
    assert len(tracks) >= path.n_neurons.max()
    drawn = sorted((float(x), float(w)) for line in tracks for x, w in zip(line.get_xdata(), line.get_ydata()))
    expected = sorted((float(reg), float(w)) for reg, m in zip(path.regs, path.measures) for w in m.weights)
    assert len(drawn) == len(expected) == path.n_neurons.sum()
    np.testing.assert_allclose(drawn, expected, rtol=1e-15)
    # the gap markers: one series per scope at the positive gaps, and the exact zeros (the first point,
    # at reg_max) as triangles a decade below the smallest positive gap
    gaps = path.relative_gaps
    zero = gaps == 0
    assert zero[0] and not np.any(zero[1:])
    assert len(bottom.lines) == len(set(path.gap_scopes)) + 1 == 2
    markers, zeros = bottom.lines
    assert markers.get_marker() == "o" and markers.get_linestyle() == "None"
    np.testing.assert_array_equal(markers.get_xdata(), path.regs[~zero])
    np.testing.assert_array_equal(markers.get_ydata(), gaps[~zero])
    assert zeros.get_marker() == "v" and zeros.get_label() == "gap = 0 (exact)"
    np.testing.assert_array_equal(zeros.get_xdata(), path.regs[zero])
    np.testing.assert_allclose(zeros.get_ydata(), gaps[~zero].min() / 10, rtol=1e-15)
    assert "sphere" in markers.get_label()


# ------------------------------------------------------------------ 6. bad input
@pytest.mark.parametrize("kwargs, match", [
    (dict(regs=[0.1, 0.0]), "regs"),
    (dict(regs=[0.1, -0.01]), "regs"),
    (dict(regs=[0.1, np.nan]), "regs"),
    (dict(regs=[]), "regs"),
    (dict(eps=0.0), "eps"),
    (dict(eps=-0.1), "eps"),
    (dict(eps=1.0), "eps"),
    (dict(eps=2.0), "eps"),
    (dict(n_regs=0), "n_regs"),
    (dict(solver="celer"), "solver"),
    (dict(solver="SFW"), "solver"),
])
def test_bad_arguments_raise(kwargs, match):
    X, y = one_d(n=10)
    with pytest.raises(ValueError, match=match):
        reg_path(X, y, **kwargs)


def test_zero_target_without_regs_raises():
    X, _ = one_d(n=10)
    with pytest.raises(ValueError, match="reg_max.*regs"):
        reg_path(X, np.zeros(10))


def test_nan_inputs_raise():
    X, y = one_d(n=10)
    X[3, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        reg_path(X, y)
    X, y = one_d(n=10)
    y[2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        reg_path(X, y)


# ------------------------------------------------------------------ 7. cross-validated estimators
def test_regressor_cv_fold_paths_equal_cold_cross_val_score():
    rng = np.random.default_rng(5)
    X = rng.uniform(-1, 1, (36, 1))
    y = np.maximum(X[:, 0] - 0.2, 0) - 0.5 * np.maximum(-X[:, 0] - 0.3, 0) + 0.02 * rng.standard_normal(36)
    model = ConvexNetRegressorCV(n_regs=4, eps=1e-2, cv=KFold(3)).fit(X, y)
    regs = model.regs_
    assert model.cv_scores_.shape == (4, 3)
    assert np.all(np.diff(regs) < 0) and model.reg_ in regs
    # the regs run from reg_max of the full data (as reg_path computes it) down to eps times it
    full = reg_path(X, y, regs=[1.0])
    np.testing.assert_allclose(regs[0], full.reg_max, rtol=1e-12)
    np.testing.assert_allclose(regs[-1], 1e-2 * full.reg_max, rtol=1e-12)
    # the reg of best mean score, the largest among ties
    means = model.cv_scores_.mean(axis=1)
    assert model.reg_ == regs[int(np.argmax(means))]
    assert model.status_ is solvers.Status.OPTIMAL and model.gap_scope_ == "sphere"
    assert model.relative_gap_ <= TOL
    # brute force: a cold fit per fold and reg, scored by scikit-learn on the same folds
    for k, reg in enumerate(regs):
        cold = cross_val_score(ConvexNetRegressor(reg=reg), X, y, cv=KFold(3))
        np.testing.assert_allclose(model.cv_scores_[k], cold, rtol=1e-6, atol=1e-6)
    # the refit is the plain estimator at reg_
    refit = ConvexNetRegressor(reg=model.reg_).fit(X, y)
    assert abs(model.objective_ - refit.objective_) <= model.dual_gap_ + refit.dual_gap_ + ROUND * refit.objective_
    np.testing.assert_allclose(model.predict(X), refit.predict(X), atol=1e-5)


def test_classifier_cv_on_a_grid_equals_cold_cross_val_score():
    X, y = two_d(n=45, seed=2)
    y = np.where(y > np.median(y), "high", "low")
    options = dict(solver="grid", grid=GRID2)
    model = ConvexNetClassifierCV(regs=[0.003, 0.05, 1.0, 0.01], cv=3, **options).fit(X, y)
    np.testing.assert_array_equal(model.regs_, [1.0, 0.05, 0.01, 0.003])
    assert model.cv_scores_.shape == (4, 3)
    assert model.reg_ in model.regs_
    assert list(model.classes_) == ["high", "low"]
    assert model.status_ is solvers.Status.OPTIMAL and model.gap_scope_ == "grid"
    # same stratified folds (check_cv(3, y, classifier=True) is StratifiedKFold(3)), cold fits, accuracy
    for k, reg in enumerate(model.regs_):
        cold = cross_val_score(ConvexNetClassifier(reg=reg, **options), X, y, cv=StratifiedKFold(3))
        np.testing.assert_allclose(model.cv_scores_[k], cold, atol=1e-12)
    assert model.reg_ == model.regs_[int(np.argmax(model.cv_scores_.mean(axis=1)))]
    # reg = 1 is above every fold's gridded lambda_max (computed here; the full data's is not enough): the
    # zero measure predicts classes_[0] everywhere, and the score is that class's share of each test fold
    folds = list(StratifiedKFold(3).split(X, y))
    assert max(np.max(np.abs(relu_features(X[tr], GRID2).T @ np.where(y[tr] == "low", 1.0, -1.0))) / (2 * len(tr))
               for tr, _ in folds) < 1.0
    np.testing.assert_allclose(model.cv_scores_[0], [np.mean(y[te] == "high") for _, te in folds], rtol=1e-15)
    # default regs: from lambda_max of the full data over the grid, sup |Phi^T y| / (2n) with y in {-1, +1}
    default = ConvexNetClassifierCV(n_regs=3, eps=0.1, cv=3, **options).fit(X, y)
    signed = np.where(y == "low", 1.0, -1.0)
    expected = np.max(np.abs(relu_features(X, GRID2).T @ signed)) / (2 * len(y))
    np.testing.assert_allclose(default.regs_, expected * np.logspace(0, -1, 3), rtol=1e-12)
    assert default.cv_scores_.shape == (3, 3)
