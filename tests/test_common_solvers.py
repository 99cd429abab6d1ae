"""One suite run over every solver and every standard problem."""

import dataclasses

import numpy as np
import pytest

import measureopt as mo
import solvers
from standard_problems import STANDARD_PROBLEMS

# name -> factory(standard_problem) -> solver. New solvers plug in here.
SOLVERS = {
    "GridConvex-CLARABEL": lambda sp: solvers.GridConvex(grid=sp.grid, backend="CLARABEL"),
    "GridConvex-SCS": lambda sp: solvers.GridConvex(grid=sp.grid, backend="SCS"),
    "GridConvex-CLARABEL-unpolished": lambda sp: solvers.GridConvex(
        grid=sp.grid, backend="CLARABEL", polish=False
    ),
    # Frank-Wolfe with a grid LMO solves the gridded problem
    "FrankWolfe-corrective-grid": lambda sp: solvers.FrankWolfe(
        corrective=True, oracle=mo.GridOracle(sp.grid), max_iter=200
    ),
}


@pytest.fixture(scope="module", params=STANDARD_PROBLEMS, ids=lambda f: f.__name__)
def standard(request):
    return request.param()


@pytest.mark.parametrize("solver_name", list(SOLVERS))
def test_solver_on_standard_problem(solver_name, standard):
    solver = SOLVERS[solver_name](standard)
    res = solver.solve(standard.problem)

    assert isinstance(res, solvers.Result)
    assert res.status == solvers.Status.OPTIMAL, res.message
    assert res.success
    # objective recomputed from the returned measure
    np.testing.assert_allclose(res.objective, standard.problem.objective(res.measure), rtol=1e-14)
    # the known optimum
    np.testing.assert_allclose(res.objective, standard.objective, rtol=1e-6, atol=1e-12)
    # the gap is a valid, small certificate of the gridded problem
    assert res.stats["gap_scope"] == "grid"
    assert res.dual_gap >= -1e-12
    assert res.objective - standard.objective <= res.dual_gap + 1e-10
    assert res.relative_gap <= 1e-6
    # the measure lives on the grid
    if res.measure.n_atoms:
        dist = mo.geodesic_distance(res.measure.support, standard.grid).min(axis=1)
        np.testing.assert_allclose(dist, 0.0, atol=1e-7)
    if standard.weights is not None:
        full = np.zeros(len(standard.grid))
        idx = mo.geodesic_distance(res.measure.support, standard.grid).argmin(axis=1) if res.measure.n_atoms else []
        full[idx] = res.measure.weights
        np.testing.assert_allclose(full, standard.weights, atol=1e-6)
    # contract of the Result
    lengths = {len(v) for v in res.history.values()}
    assert len(lengths) <= 1
    assert res.solve_time > 0
    assert res.n_iter >= 0
    assert res.solver.startswith(type(solver).__name__)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.objective = 0.0
    str(res)  # the summary table renders
