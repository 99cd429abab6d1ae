import warnings

import cvxpy as cp
import numpy as np
import pytest

import measureopt as mo
import solvers
from solvers.backends import CVXPY_STATUS_MAP


@pytest.fixture(scope="module")
def teacher_problem():
    data = mo.teacher_student(n=200, d=5, m=3, seed=0)
    return data, mo.BLASSO(data.X, data.y, reg=1e-3)


@pytest.fixture(scope="module")
def main_result(teacher_problem):
    _, prob = teacher_problem
    grid = mo.sphere_grid(5, 2000, seed=0)
    return grid, solvers.GridConvex(grid=grid).solve(prob)


def test_matches_scikit_learn_lasso_on_the_same_grid(teacher_problem, main_result):
    """The acceptance check: an independent solver on the same features, 1e-6 relative."""
    from sklearn.linear_model import Lasso

    _, prob = teacher_problem
    grid, res = main_result
    A = prob.features(grid)
    lasso = Lasso(alpha=prob.reg, fit_intercept=False, tol=1e-12, max_iter=100_000).fit(A, prob.y)
    reference = mo.DiscreteMeasure(lasso.coef_, grid).prune()
    assert res.status == solvers.Status.OPTIMAL
    assert res.dual_gap <= 1e-6
    assert res.relative_gap <= 1e-6
    np.testing.assert_allclose(res.objective, prob.objective(reference), rtol=1e-6)
    np.testing.assert_allclose(prob.predict(res.measure), prob.predict(reference), rtol=1e-4, atol=1e-6)


def test_grid_solution_satisfies_the_optimality_conditions(teacher_problem, main_result):
    _, prob = teacher_problem
    grid, res = main_result
    eta = prob.certificate(res.measure, grid)
    assert np.max(np.abs(eta)) <= 1 + 1e-6
    eta_support = prob.certificate(res.measure, res.measure.support)
    np.testing.assert_allclose(eta_support, np.sign(res.measure.weights), atol=1e-6)


def test_backends_agree_and_integer_grid(teacher_problem):
    _, prob = teacher_problem
    a = solvers.GridConvex(grid=300, backend="CLARABEL").solve(prob)
    b = solvers.GridConvex(grid=300, backend="scs").solve(prob)
    np.testing.assert_allclose(a.objective, b.objective, rtol=1e-8)
    assert a.stats["backend"] == "CLARABEL" and b.stats["backend"] == "SCS"
    assert a.stats["grid_size"] == 300


def test_celer_and_clarabel_give_the_same_solution(teacher_problem):
    """The fast path (celer, then the same polish) against the reference CVXPY + Clarabel path."""
    pytest.importorskip("celer")
    _, prob = teacher_problem
    grid = mo.sphere_grid(5, 500, seed=1)
    fast = solvers.GridConvex(grid=grid).solve(prob)
    ref = solvers.GridConvex(grid=grid, backend="CLARABEL").solve(prob)
    assert fast.stats["backend"] == "CELER" and ref.stats["backend"] == "CLARABEL"
    assert fast.status == ref.status == solvers.Status.OPTIMAL
    assert "fallback" not in fast.stats
    np.testing.assert_allclose(fast.objective, ref.objective, rtol=1e-9)
    assert fast.relative_gap <= 1e-9
    np.testing.assert_array_equal(fast.measure.support, ref.measure.support)
    np.testing.assert_allclose(fast.measure.weights, ref.measure.weights, rtol=1e-6, atol=1e-9)


def test_auto_uses_clarabel_without_celer(teacher_problem, monkeypatch):
    from solvers import grid_convex

    monkeypatch.setattr(grid_convex, "_celer_available", lambda: False)
    _, prob = teacher_problem
    res = solvers.GridConvex(grid=300).solve(prob)
    assert res.stats["backend"] == "CLARABEL" and "fallback" not in res.stats
    assert res.status == solvers.Status.OPTIMAL


def test_auto_uses_clarabel_for_other_problems_and_with_backend_options(teacher_problem):
    data, prob = teacher_problem
    labels = np.where(data.y > np.median(data.y), 1.0, -1.0)
    logistic = mo.VariationNormERM(data.X, labels, loss="logistic", radius=5.0)  # constrained: CVXPY
    assert solvers.GridConvex(grid=100).solve(logistic).stats["backend"] == "CLARABEL"
    options = {"max_iter": 200}
    res = solvers.GridConvex(grid=100, backend_options=options).solve(prob)
    assert res.stats["backend"] == "CLARABEL" and res.stats["options"]["max_iter"] == 200


def test_rejected_celer_point_falls_back_to_clarabel(teacher_problem, monkeypatch):
    """A celer point whose certificate misses ``tol`` (here: loose celer, no polish) is replaced."""
    pytest.importorskip("celer")
    from solvers import grid_convex

    monkeypatch.setattr(grid_convex, "CELER_TOLS", (1e-2,))
    _, prob = teacher_problem
    res = solvers.GridConvex(grid=300, polish=False).solve(prob)
    assert res.stats["backend"] == "CLARABEL"
    assert "celer's point has gridded relative gap" in res.stats["fallback"]
    assert res.status == solvers.Status.OPTIMAL


def test_celer_tightens_its_tolerance_until_the_certificate_holds(teacher_problem, monkeypatch):
    """A loose celer stage that misses ``tol`` (no polish here) goes on from its point at the next tolerance."""
    pytest.importorskip("celer")
    from solvers import grid_convex

    monkeypatch.setattr(grid_convex, "CELER_TOLS", (1e-2, 1e-10))
    _, prob = teacher_problem
    res = solvers.GridConvex(grid=300, polish=False).solve(prob)
    assert res.stats["backend"] == "CELER" and "fallback" not in res.stats
    assert res.stats["options"]["tol"] == 1e-10
    assert res.status == solvers.Status.OPTIMAL and res.relative_gap <= 1e-6
    clarabel = solvers.GridConvex(grid=300, backend="CLARABEL").solve(prob)
    assert abs(res.objective - clarabel.objective) <= res.dual_gap + clarabel.dual_gap
    # with the polish, a stage at 1e-4 is enough on this problem (its polished point's gap is ~1e-13)
    monkeypatch.setattr(grid_convex, "CELER_TOLS", (1e-4, 1e-10))
    polished = solvers.GridConvex(grid=300).solve(prob)
    assert polished.stats["options"]["tol"] == 1e-4 and polished.stats["polished"]
    assert abs(polished.objective - clarabel.objective) <= polished.dual_gap + clarabel.dual_gap


def test_dense_regime_goes_to_clarabel():
    """Near interpolation (reg tiny, about n atoms) celer's point is left for Clarabel's, and so is a dense warm start."""
    pytest.importorskip("celer")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 4))
    y = 50 * X[:, 0] + 20 * rng.standard_normal(40)
    problem = mo.VariationNormERM(X, y, reg=1e-4)
    res = solvers.GridConvex(grid=400).solve(problem)
    assert res.stats["backend"] == "CLARABEL" and "the dense regime" in res.stats["fallback"]
    assert res.status == solvers.Status.OPTIMAL and res.measure.n_atoms >= 20
    celer_alone = solvers.GridConvex(grid=400, tol=1.0).solve(problem)  # celer's loose point, kept at tol=1
    assert celer_alone.stats["backend"] == "CELER"
    assert res.objective <= celer_alone.objective + res.dual_gap
    warm = solvers.GridConvex(grid=400, warm_start=res).solve(problem)
    assert warm.stats["backend"] == "CLARABEL" and warm.stats["fallback"].startswith("the warm start has")
    np.testing.assert_allclose(warm.objective, res.objective, rtol=1e-8)


def test_celer_failure_falls_back_to_clarabel(teacher_problem, monkeypatch):
    celer = pytest.importorskip("celer")

    def boom(self, *args, **kwargs):
        raise RuntimeError("simulated celer crash")

    monkeypatch.setattr(celer.Lasso, "path", boom)
    _, prob = teacher_problem
    res = solvers.GridConvex(grid=100).solve(prob)
    assert res.stats["backend"] == "CLARABEL"
    assert res.stats["fallback"] == "celer failed: RuntimeError: simulated celer crash"
    assert res.status == solvers.Status.OPTIMAL


def test_scs_default_tolerances_are_inaccurate_and_reported(teacher_problem):
    """SCS at its own defaults (1e-4) is visibly off; the gap we compute says so."""
    _, prob = teacher_problem
    loose = {"eps_abs": 1e-4, "eps_rel": 1e-4}
    with pytest.warns(mo.ConvergenceWarning, match="gap"):
        res = solvers.GridConvex(grid=2000, backend="SCS", backend_options=loose, polish=False).solve(prob)
    assert res.status == solvers.Status.OPTIMAL_INACCURATE
    assert res.relative_gap > 1e-6


def test_iteration_limit_gives_max_iter_status_and_last_iterate(teacher_problem):
    _, prob = teacher_problem
    with pytest.warns(mo.ConvergenceWarning, match=r"status max_iter after 2 iterations.*max_iter"):
        res = solvers.GridConvex(grid=300, backend_options={"max_iter": 2}).solve(prob)
    assert res.status == solvers.Status.MAX_ITER
    assert not res.success
    assert res.measure.n_atoms > 0  # the backend's last point
    assert np.isfinite(res.objective) and np.isfinite(res.dual_gap)
    assert res.dual_gap > 0


def test_backend_exception_becomes_a_failure_result(teacher_problem, monkeypatch):
    _, prob = teacher_problem

    def boom(self, *args, **kwargs):
        raise cp.error.SolverError("simulated backend crash")

    monkeypatch.setattr(cp.Problem, "solve", boom)
    with pytest.warns(mo.SolverFailureWarning, match="failed with status solver_error"):
        res = solvers.GridConvex(grid=100, backend="CLARABEL").solve(prob)
    assert res.status == solvers.Status.SOLVER_ERROR
    assert "simulated backend crash" in res.message
    assert res.measure.n_atoms == 0  # no point came back: the zero measure
    np.testing.assert_allclose(res.objective, prob.y @ prob.y / (2 * prob.n_samples))


def test_non_finite_backend_point_is_a_numerical_error(teacher_problem, monkeypatch):
    _, prob = teacher_problem
    real_solve = cp.Problem.solve

    def poisoned(self, *args, **kwargs):
        out = real_solve(self, *args, **kwargs)
        var = self.variables()[0]
        value = var.value.copy()
        value[0] = np.nan
        var.value = None
        var._value = value
        return out

    monkeypatch.setattr(cp.Problem, "solve", poisoned)
    with pytest.warns(mo.SolverFailureWarning, match="failed with status numerical_error"):
        res = solvers.GridConvex(grid=100, backend="CLARABEL").solve(prob)
    assert res.status == solvers.Status.NUMERICAL_ERROR
    assert np.all(np.isfinite(res.measure.weights))
    assert np.isfinite(res.objective)


def test_status_map_covers_every_cvxpy_status():
    from cvxpy import settings

    statuses = set(settings.SOLUTION_PRESENT + settings.INF_OR_UNB + settings.ERROR)
    assert len(statuses) == 9
    assert statuses <= set(CVXPY_STATUS_MAP)
    assert all(isinstance(v, solvers.Status) for v in CVXPY_STATUS_MAP.values())


def test_build_is_one_matrix_expression(teacher_problem):
    _, prob = teacher_problem
    cvx, r, grid = solvers.GridConvex(grid=50).build(prob)
    assert r.shape == (50,)
    assert len(cvx.variables()) == 1 and not cvx.constraints
    r.value = np.zeros(50)
    np.testing.assert_allclose(cvx.objective.value, prob.objective(mo.DiscreteMeasure.zero(5)))


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(backend="GUROBI"), ValueError, r"backend must be one of \['CLARABEL', 'SCS'\]; got 'GUROBI'"),
        (dict(backend=3), TypeError, "backend must be a string"),
        (dict(grid=0), ValueError, "grid must be >= 1"),
        (dict(grid=np.ones((3, 2))), ValueError, "grid must have rows on the unit sphere"),
        (dict(grid=np.ones(3)), ValueError, "grid must be 2-D"),
        (dict(backend_options=[1]), TypeError, "backend_options must be a dict"),
        (dict(tol=0.0), ValueError, "tol must be finite and > 0"),
        (dict(prune_tol=-1.0), ValueError, "prune_tol"),
    ],
)
def test_bad_parameters(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        solvers.GridConvex(**kwargs)


def test_grid_dimension_must_match_problem(teacher_problem):
    _, prob = teacher_problem
    with pytest.raises(ValueError, match=r"grid must have shape \(k, 5\); got \(4, 2\)"):
        solvers.GridConvex(grid=mo.sphere_grid(2, 4)).solve(prob)


def test_incompatible_problem():
    class NotAProblem:
        def objective(self, measure):
            return 0.0

    with pytest.raises(solvers.IncompatibleSolverError, match="GridConvex needs a problem with features"):
        solvers.GridConvex(grid=10).solve(NotAProblem())


def test_missing_backend_is_a_clear_error(monkeypatch):
    from solvers import backends

    monkeypatch.setattr(backends.Backend, "is_available", lambda self: False)
    with pytest.raises(solvers.SolverNotInstalledError, match="pip install scs"):
        solvers.GridConvex(backend="SCS")
    assert backends.available_backends() == []


def test_no_warning_on_success(teacher_problem):
    _, prob = teacher_problem
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        solvers.GridConvex(grid=100).solve(prob)


def test_celer_solves_the_l1_logistic_problem_as_clarabel_does():
    """backend="auto" sends the penalized logistic problem to celer (C = 1/(n reg)); Clarabel agrees within the gaps."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (120, 2))
    labels = np.where(X[:, 0] * X[:, 1] > 0, 1.0, -1.0)
    problem = mo.VariationNormERM(X, labels, loss="logistic", reg=1e-2)
    fast = solvers.GridConvex(grid=300).solve(problem)
    ref = solvers.GridConvex(grid=300, backend="CLARABEL").solve(problem)
    assert fast.stats["backend"] == "CELER" and "fallback" not in fast.stats
    assert fast.status == ref.status == "optimal"
    assert abs(fast.objective - ref.objective) <= fast.dual_gap + ref.dual_gap + 1e-12


def test_warm_start_puts_the_measure_on_the_grid_and_changes_only_the_start():
    X = mo.sample_sphere(3, 80, seed=1)
    y = np.maximum(X[:, 0], 0.0) - np.maximum(X[:, 1], 0.0)
    grid = mo.sphere_grid(3, 150, seed=0)
    first = solvers.GridConvex(grid=grid).solve(mo.BLASSO(X, y, reg=1e-2))
    solver = solvers.GridConvex(grid=grid, warm_start=first)
    start = solver._start_weights(grid)
    index = np.argmax(first.measure.support @ grid.T, axis=1)
    np.testing.assert_array_equal(start[index], first.measure.weights)
    assert np.count_nonzero(start) == first.measure.n_atoms
    problem = mo.BLASSO(X, y, reg=5e-3)
    warm, cold = solver.solve(problem), solvers.GridConvex(grid=grid).solve(problem)
    assert warm.status == cold.status == "optimal"
    assert abs(warm.objective - cold.objective) <= warm.dual_gap + cold.dual_gap + 1e-12
    with pytest.raises(TypeError, match="warm_start"):
        solvers.GridConvex(warm_start=np.ones(3))
