"""One suite run over every solver and every standard problem."""

import dataclasses

import numpy as np
import pytest

import measureopt as mo
import solvers
from standard_problems import STANDARD_PROBLEMS, logistic_line, squared_constrained_line

# name -> factory(standard_problem) -> solver. New solvers plug in here.
SOLVERS = {
    # "auto": celer for the squared-loss LASSO when it is installed (the test extra has it), else CLARABEL
    "GridConvex-auto": lambda sp: solvers.GridConvex(grid=sp.grid),
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
    # the gap is a valid, small certificate of the gridded problem; above reg_max the zero measure's
    # certificate holds on the whole sphere, hence on the grid too
    assert res.stats["gap_scope"] == ("sphere" if res.stats.get("zero_certificate") else "grid")
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


# ------------------------------------------------------------ every solver, both problem classes, off the grid
def _blasso_circle():
    data = mo.teacher_student(n=40, d=2, m=2, seed=3, noise=0.05)
    return mo.BLASSO(data.X, data.y, reg=1e-2)


CONTINUOUS = {"blasso_circle": _blasso_circle, "logistic_penalized": logistic_line,
              "squared_constrained": squared_constrained_line}

EVERY_SOLVER = {
    "SlidingFrankWolfe": lambda p: solvers.SlidingFrankWolfe(),
    "FrankWolfe-corrective": lambda p: solvers.FrankWolfe(corrective=True, max_iter=300),
    "FrankWolfe-open_loop": lambda p: solvers.FrankWolfe(step_rule="open_loop", max_iter=50),
    "GridConvex": lambda p: solvers.GridConvex(grid=400),
    "ExactReLU": lambda p: solvers.ExactReLU(),
    "NormDependentGD": lambda p: solvers.NormDependentGD(width=10, max_iter=300),
    "ParticleGD": lambda p: solvers.ParticleGD(width=10, max_iter=300),
    "NoisyParticleGD": lambda p: solvers.NoisyParticleGD(width=10, max_iter=300, noise=1e-6),
    "ConicParticleGD": lambda p: solvers.ConicParticleGD(width=10, max_iter=300),
    "Prune": lambda p: solvers.Prune(mo.DiscreteMeasure(np.full(6, 0.1), mo.sphere_grid(p.dim, 6)), k=3),
}


@pytest.fixture(scope="module", params=list(CONTINUOUS))
def continuous(request):
    prob = CONTINUOUS[request.param]()
    ref = solvers.SlidingFrankWolfe(tol=1e-9).solve(prob)  # certified on the whole circle (exact oracle)
    assert ref.gap_scope == "sphere"
    return prob, ref.objective - ref.dual_gap, ref.objective  # J* lies in [lower, upper]


@pytest.mark.filterwarnings("ignore::measureopt.ConvergenceWarning")
@pytest.mark.parametrize("solver_name", list(EVERY_SOLVER))
def test_every_solver_on_every_problem_class(solver_name, continuous):
    prob, lower, upper = continuous
    solver = EVERY_SOLVER[solver_name](prob)
    try:
        res = solver.solve(prob)
    except solvers.IncompatibleSolverError as exc:
        # an incompatible pair is refused up front, naming the missing capability
        assert type(solver).__name__ in str(exc) and "needs" in str(exc) and "got" in str(exc)
        caps = prob.capabilities
        assert (caps["loss"] not in solver._requires.get("loss", (caps["loss"],))
                or caps["penalty"] not in solver._requires.get("penalty", (caps["penalty"],))
                or (solver._requires.get("relu") and not caps["relu"]))
        return
    assert isinstance(res, solvers.Result)
    np.testing.assert_allclose(res.objective, prob.objective(res.measure), rtol=1e-12)
    assert np.isfinite(res.objective) and res.objective >= lower - 1e-9  # nobody beats the certified optimum
    if res.gap_scope == "sphere":  # a certified gap bounds the suboptimality: J - gap <= J* <= J(ref)
        assert res.objective - res.dual_gap <= upper + 1e-10
        assert res.dual_gap >= res.objective - upper - 1e-10
    if res.status == solvers.Status.OPTIMAL:
        assert res.gap_scope in ("grid", "sphere")
    lengths = {len(v) for v in res.history.values()}
    assert len(lengths) <= 1
    assert res.solver.startswith(type(solver).__name__)


@pytest.mark.parametrize("solver_name", list(EVERY_SOLVER))
def test_repr_shows_every_parameter_and_round_trips(solver_name):
    import inspect

    solver = EVERY_SOLVER[solver_name](_blasso_circle())
    params = solver.get_params()
    init = inspect.signature(type(solver).__init__).parameters
    named = [p for p in init if p != "self" and init[p].kind is not inspect.Parameter.VAR_KEYWORD]
    assert set(named) <= set(params)
    for name in params:
        assert f"{name}=" in repr(solver)
    # every parameter is stored as given: rebuilding from get_params() gives the same solver
    assert repr(type(solver)(**params)) == repr(solver)
