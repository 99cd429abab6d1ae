"""The scikit-learn estimators: scikit-learn's own estimator checks, Lasso on a grid, torch export, bad input.

The regularization path and the CV estimators' scores are checked in
``tests/test_reg_path.py``.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import measureopt as mo
import solvers
from solvers.estimators import ConvexNetClassifier, ConvexNetClassifierCV, ConvexNetRegressor, ConvexNetRegressorCV


def _checked(**solver):
    return [ConvexNetRegressor(**solver), ConvexNetClassifier(**solver), ConvexNetRegressorCV(n_regs=3, cv=2, **solver),
            ConvexNetClassifierCV(n_regs=3, cv=2, **solver)]


@parametrize_with_checks(_checked(solver="grid", grid=100))
def test_scikit_learn_estimator_checks(estimator, check):
    """scikit-learn's checks on every estimator, with the gridded solver (celer): fast on their many small fits.

    No check is skipped. With the default solver (sliding Frank-Wolfe up
    to D = 5, the grid above), run once niced beside other jobs on a
    2-core machine: ConvexNetRegressor passed all in 116 s,
    ConvexNetClassifier in 602 s (a binary fit on 200 points in D = 3
    takes ~3 s: seven pattern programs and the exact certificate),
    ConvexNetRegressorCV (``n_regs=3, cv=2``) in 264 s, and
    ConvexNetClassifierCV passed the 43 of its 53 checks that ran in
    2,694 s before the run was stopped. The regressor's run is the next
    test; the others are too long for CI.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # tiny random data sets; statuses are checked below
        check(estimator)


@parametrize_with_checks([ConvexNetRegressor()])
def test_scikit_learn_estimator_checks_with_the_default_solver(estimator, check):
    """The regressor as a user gets it (``solver="auto"``: SFW certified on the sphere in low dimension)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


def _regression(n=60, d=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, d))
    return X, np.maximum(X[:, 0] - 0.2, 0.0) - 0.5 * np.maximum(-X[:, 1], 0.0) + 0.3


def _line(n=40):
    """1-D inputs (directions on the circle after lifting: the exact arrangement oracle, fast fits)."""
    X = np.linspace(-1, 1, n)[:, None]
    return X, np.abs(X[:, 0]) - 0.4 * np.maximum(X[:, 0] - 0.5, 0.0)


def test_regressor_on_a_grid_is_scikit_learns_lasso_on_the_gridded_features():
    """solver="grid" with given directions: the LASSO (1/(2n) scaling) of Lasso(fit_intercept=False), to 1e-6."""
    X, y = _regression(n=100)
    grid = mo.sphere_grid(3, 40, seed=0)
    phi = np.maximum(mo.lift(X) @ grid.T, 0.0)
    for reg in (1e-2, 1e-3):
        model = ConvexNetRegressor(reg=reg, solver="grid", grid=grid, tol=1e-10).fit(X, y)
        lasso = Lasso(alpha=reg, fit_intercept=False, tol=1e-14, max_iter=1_000_000).fit(phi, y)
        coef = np.zeros(len(grid))
        index = np.argmax(model.measure_.support @ grid.T, axis=1)
        np.testing.assert_allclose(model.measure_.support, grid[index], atol=1e-12)
        coef[index] = model.measure_.weights
        np.testing.assert_allclose(coef, lasso.coef_, atol=1e-6)
        np.testing.assert_allclose(model.predict(X), lasso.predict(phi), atol=1e-6)
        assert model.gap_scope_ == "grid" and model.status_ == "optimal"


def test_auto_solver_switches_to_the_grid_above_auto_sfw_max_dim():
    """``solver="auto"``: SFW (certified on the sphere) for D <= AUTO_SFW_MAX_DIM, the grid above."""
    from solvers.estimators import AUTO_SFW_MAX_DIM
    from solvers.estimators._common import build_problem, make_solver

    rng = np.random.default_rng(0)
    for D in (AUTO_SFW_MAX_DIM, AUTO_SFW_MAX_DIM + 1):
        X = rng.standard_normal((20, D - 1))
        problem = build_problem(X, X[:, 0], "squared", 1e-2, lift=True)
        assert problem.dim == D
        expected = solvers.SlidingFrankWolfe if D <= AUTO_SFW_MAX_DIM else solvers.GridConvex
        assert type(make_solver("auto", problem)) is expected


@pytest.mark.parametrize("lift", [True, False])
def test_regressor_is_certified_on_the_sphere_in_low_dimension(lift):
    X, y = _regression(n=40)
    model = ConvexNetRegressor(reg=1e-3, lift=lift).fit(X, y)
    assert model.status_ == "optimal" and model.gap_scope_ == "sphere"
    assert model.relative_gap_ <= 1e-6 and model.dual_gap_ >= -1e-12
    assert model.n_neurons_ == model.measure_.n_atoms >= 1
    problem = mo.VariationNormERM(X, y, reg=1e-3) if lift else mo.BLASSO(X, y, reg=1e-3)
    np.testing.assert_allclose(model.objective_, problem.objective(model.measure_), rtol=1e-12)
    np.testing.assert_allclose(model.predict(X), problem.predict(model.measure_), rtol=1e-12, atol=1e-14)
    # the gridded problem's optimum (another solver, CVXPY + Clarabel) is above the sphere's, by a little
    grid = solvers.GridConvex(grid=1000, backend="CLARABEL").solve(problem)
    assert model.objective_ - model.dual_gap_ <= grid.objective + 1e-12
    assert model.objective_ <= grid.objective + model.dual_gap_ + 1e-12
    np.testing.assert_allclose(model.objective_, grid.objective, rtol=2e-2)


@pytest.mark.parametrize("make", [
    lambda: (ConvexNetRegressor(reg=1e-3), *_line()),
    lambda: (ConvexNetRegressor(reg=1e-3, lift=False), *_regression(n=40)),
    lambda: (ConvexNetClassifier(reg=1e-3), _line()[0], _line()[1] > 0.4),
    lambda: (ConvexNetClassifier(reg=1e-3), _line()[0], np.digitize(_line()[1], [0.3, 0.6])),
], ids=["regressor", "regressor-raw", "binary", "three-classes"])
def test_to_network_reproduces_the_model_in_float64(make):
    import torch

    model, X, y = make()
    model.fit(X, y)
    net = model.to_network()
    with torch.no_grad():
        out = net(torch.as_tensor(X, dtype=torch.float64)).numpy()
    expected = model.predict(X) if isinstance(model, ConvexNetRegressor) else model.decision_function(X)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-10)


def test_classifier_binary_and_one_vs_rest():
    X, y = _line(n=45)
    labels = np.array(["low", "mid", "high"])[np.digitize(y, [0.3, 0.6])]
    clf = ConvexNetClassifier(reg=1e-3).fit(X, labels)
    assert list(clf.classes_) == ["high", "low", "mid"]
    assert isinstance(clf.measure_, tuple) and len(clf.measure_) == 3 and clf.dual_gap_.shape == (3,)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(clf.classes_[np.argmax(proba, axis=1)], clf.predict(X))
    assert clf.score(X, labels) > 0.9
    # each class's problem is the binary logistic problem of that class against the rest
    k = 1
    binary = ConvexNetClassifier(reg=1e-3).fit(X, labels == clf.classes_[k])
    np.testing.assert_allclose(clf.objective_[k], binary.objective_, atol=clf.dual_gap_[k] + binary.dual_gap_ + 1e-12)
    # two classes: P(classes_[1]) is the logistic of the decision function
    np.testing.assert_allclose(binary.predict_proba(X)[:, 1], 1 / (1 + np.exp(-binary.decision_function(X))),
                               rtol=1e-12)


def test_pipeline_and_grid_search():
    X, y = _line()
    pipe = make_pipeline(StandardScaler(), ConvexNetRegressor())
    search = GridSearchCV(pipe, {"convexnetregressor__reg": [1e-1, 1e-3]}, cv=3).fit(X, y)
    assert search.best_params_["convexnetregressor__reg"] == 1e-3
    assert search.best_estimator_[-1].status_ == "optimal"
    assert search.score(X, y) > 0.95


def test_stopping_short_warns_with_scikit_learns_convergence_warning():
    X, y = _line()
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        model = ConvexNetRegressor(reg=1e-4, max_iter=1).fit(X, y)
    assert model.status_ == "max_iter" and model.relative_gap_ > 1e-6


def test_warm_start_reuses_the_last_measure():
    X, y = _line()
    model = ConvexNetRegressor(reg=1e-3, warm_start=True).fit(X, y)
    cold = ConvexNetRegressor(reg=8e-4).fit(X, y)
    model.set_params(reg=8e-4).fit(X, y)
    assert model.status_ == "optimal" and model.n_iter_ <= cold.n_iter_
    assert abs(model.objective_ - cold.objective_) <= model.dual_gap_ + cold.dual_gap_ + 1e-12


def test_bad_input_is_rejected_with_scikit_learns_messages():
    X, y = _regression()
    with pytest.raises(ValueError, match="NaN"):
        ConvexNetRegressor().fit(np.where(X > 0.9, np.nan, X), y)
    with pytest.raises(ValueError, match="2D array"):
        ConvexNetRegressor().fit(X[:, 0], y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        ConvexNetRegressor().fit(X, y[:-1])
    with pytest.raises(ValueError, match="could not convert string to float"):
        ConvexNetRegressor().fit(X, np.where(y > 0, "a", "b"))
    with pytest.raises(ValueError, match="class"):
        ConvexNetClassifier().fit(X, np.ones(len(X)))
    with pytest.raises(ValueError, match="'reg' parameter"):
        ConvexNetRegressor(reg=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="'solver' parameter"):
        ConvexNetRegressor(solver="lbfgs").fit(X, y)
    fitted = ConvexNetRegressor(reg=1e-2).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        fitted.predict(np.ones((3, 5)))
    with pytest.raises(ValueError, match="ReLU"):
        ConvexNetRegressor(reg=1e-2, activation="sigmoid").fit(X, y).to_network()
