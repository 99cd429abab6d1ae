"""Issue 14: every solver's outcome is honest.

* above ``reg_max`` every solver returns the zero measure with its certificate;
* tiny weights are judged against an absolute scale of the problem;
* ``reg = 1e9`` is a trivially zero problem, not a backend failure;
* a gap whose scope is not certified never yields ``"optimal"``;
* every non-success status warns, from :meth:`solvers.Solver.solve`, and a
  diverged run is a failure, not ``"max_iter"``.
"""

import json
import re
import warnings

import numpy as np
import pytest

import measureopt as mo
import solvers
from measureopt.oracles import LocalOracle, certified_oracle
from solvers._base import Outcome
from standard_problems import logistic_line

Status = solvers.Status


@pytest.fixture(scope="module")
def data():
    return mo.teacher_student(n=40, d=3, m=2, seed=0)


@pytest.fixture(scope="module")
def reg_max(data):
    return mo.BLASSO(data.X, data.y, reg=1.0).reg_max()


def _quiet_solve(solver, problem):
    """Solve and return ``(result, warnings caught)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = solver.solve(problem)
    return res, [w for w in caught if issubclass(w.category, (mo.ConvergenceWarning, RuntimeWarning))]


# ------------------------------------------------------------ above reg_max: the zero measure, certified
ABOVE_REG_MAX = {
    "GridConvex-auto": lambda: solvers.GridConvex(grid=200),
    "GridConvex-CLARABEL": lambda: solvers.GridConvex(grid=200, backend="CLARABEL"),
    "GridConvex-SCS": lambda: solvers.GridConvex(grid=200, backend="SCS"),
    "FrankWolfe": lambda: solvers.FrankWolfe(max_iter=50),
    "SlidingFrankWolfe": lambda: solvers.SlidingFrankWolfe(max_iter=20),
    "ExactReLU": lambda: solvers.ExactReLU(),
    "NormDependentGD": lambda: solvers.NormDependentGD(width=10, max_iter=50),
    "ParticleGD": lambda: solvers.ParticleGD(width=10, max_iter=50),
    "NoisyParticleGD": lambda: solvers.NoisyParticleGD(width=10, max_iter=50),
    "ConicParticleGD": lambda: solvers.ConicParticleGD(width=10, max_iter=50),
    "Prune": lambda: solvers.Prune(mo.DiscreteMeasure(np.full(6, 0.1), mo.sphere_grid(3, 6)), k=3),
}


@pytest.mark.parametrize("name", list(ABOVE_REG_MAX))
def test_above_reg_max_every_solver_returns_the_certified_zero_measure(name, data, reg_max):
    prob = mo.BLASSO(data.X, data.y, reg=10 * reg_max)
    res, caught = _quiet_solve(ABOVE_REG_MAX[name](), prob)
    assert res.measure.n_atoms == 0, res.message
    assert res.status == Status.OPTIMAL, res.message
    assert not caught, [str(w.message) for w in caught]
    assert res.gap_scope == "sphere"  # certified on the whole sphere, hence also on any grid
    assert abs(res.dual_gap) <= 1e-12 * res.objective
    np.testing.assert_allclose(res.objective, data.y @ data.y / (2 * len(data.y)), rtol=1e-14)
    assert mo.effective_neurons(res.measure) == 0
    assert "reg_max" in res.message


def test_above_reg_max_logistic_and_lifted_features():
    base = logistic_line()
    prob = mo.VariationNormERM(base.X, base.y, loss="logistic", reg=10 * base.reg_max())
    for solver in (solvers.GridConvex(grid=100, backend="CLARABEL"), solvers.FrankWolfe(max_iter=20),
                   solvers.ParticleGD(width=8, max_iter=20)):
        res, caught = _quiet_solve(solver, prob)
        assert (res.measure.n_atoms, res.status) == (0, Status.OPTIMAL), res.message
        assert not caught
        assert abs(res.dual_gap) <= 1e-12 * res.objective
        np.testing.assert_allclose(res.objective, np.log(2.0), rtol=1e-14)


def test_below_reg_max_the_solver_runs(data, reg_max):
    """The short cut is sound: just below reg_max the zero measure is not optimal and the solver runs."""
    prob = mo.BLASSO(data.X, data.y, reg=0.9 * reg_max)
    res, _ = _quiet_solve(solvers.SlidingFrankWolfe(), prob)
    assert res.measure.n_atoms > 0
    assert res.objective < prob.objective(mo.DiscreteMeasure.zero(3))
    assert res.status == Status.OPTIMAL


@pytest.mark.parametrize("d", [2, 3, 5])
def test_zero_certificate_is_sound_on_both_sides_of_reg_max(d):
    data = mo.teacher_student(n=60, d=d, m=2, seed=1, noise=0.1)
    probe = mo.BLASSO(data.X, data.y, reg=1.0)
    found = certified_oracle(probe).maximize(probe.features, probe.y)
    assert found.upper <= found.value * (1 + 1e-6)  # a tight bracket around reg_max
    assert mo.BLASSO(data.X, data.y, reg=0.99 * found.value).zero_certificate() is None
    cert = mo.BLASSO(data.X, data.y, reg=1.01 * found.upper).zero_certificate()
    assert cert is not None and cert.scope == "sphere"
    assert cert.sup_eta_upper <= 1.0 and cert.scale == 1.0
    assert abs(cert.gap) <= 1e-14 * cert.primal
    assert mo.VariationNormERM(data.X, data.y, radius=1.0).zero_certificate() is None  # no reg_max


def test_configuration_errors_do_not_depend_on_reg():
    """The short cut comes after the solver's own checks: a bad configuration raises above reg_max too."""
    data5 = mo.teacher_student(n=30, d=5, m=2, seed=0)
    above = mo.BLASSO(data5.X, data5.y, reg=1e3)
    with pytest.raises(ValueError, match="enumerate"):
        solvers.ExactReLU().solve(above)
    with pytest.raises(ValueError, match="init"):
        solvers.ParticleGD(width=4, init=(np.ones(4), np.ones((4, 3)))).solve(above)
    with pytest.raises(ValueError, match="measure"):
        solvers.Prune(mo.DiscreteMeasure([1.0], [[1.0, 0.0, 0.0]]), k=1).solve(above)


def test_constrained_form_is_never_short_cut():
    prob = mo.VariationNormERM(np.linspace(-1, 1, 20)[:, None], np.linspace(-1, 1, 20), radius=1e-3)
    res, _ = _quiet_solve(solvers.FrankWolfe(max_iter=50), prob)
    assert res.measure.n_atoms > 0


# ------------------------------------------------------------ tiny weights against an absolute scale
def test_weight_scale_is_the_data_over_the_largest_feature(data):
    prob = mo.BLASSO(data.X, data.y, reg=1e-2)
    # rows on the unit sphere, ReLU: the largest feature value is 1
    np.testing.assert_allclose(prob.weight_scale(), np.sqrt(np.mean(data.y**2)), rtol=1e-14)
    lifted = mo.VariationNormERM(2 * data.X, data.y, reg=1e-2)
    np.testing.assert_allclose(lifted.weight_scale(), np.sqrt(np.mean(data.y**2)) / np.sqrt(5.0), rtol=1e-14)


def test_effective_neurons_judges_tiny_weights_against_the_problem_scale(data):
    prob = mo.BLASSO(data.X, data.y, reg=1e-2)
    tiny = mo.DiscreteMeasure(np.full(200, 1e-14), mo.sphere_grid(3, 200, seed=0))
    assert mo.effective_neurons(tiny) == 200  # relative only: every atom is as large as the largest
    assert mo.effective_neurons(tiny, scale=prob.weight_scale()) == 0
    mixed = mo.DiscreteMeasure([1.0, 0.5, 1e-9], mo.sphere_grid(3, 3, seed=0))
    assert mo.effective_neurons(mixed, scale=prob.weight_scale()) == 2


def test_grid_prune_uses_the_absolute_scale(data):
    """reg above the grid's reg_max but below the sphere's: no short cut, the gridded optimum is zero.

    Clarabel (an interior-point method) leaves tiny weights everywhere; they
    were all kept, since they were compared only with the largest of them.
    """
    probe = mo.BLASSO(data.X, data.y, reg=1.0)
    best = certified_oracle(probe).maximize(probe.features, probe.y)  # q0 = y for the squared loss
    grid = mo.sphere_grid(3, 60, seed=1)
    grid = grid[grid @ best.argmax < 0.5]  # directions at least 60 degrees from the sup's argmax
    sphere, on_grid = best.upper, probe.reg_max(mo.GridOracle(grid))
    assert on_grid < 0.95 * sphere
    prob = mo.BLASSO(data.X, data.y, reg=0.5 * (on_grid + sphere))
    res, caught = _quiet_solve(solvers.GridConvex(grid=grid, backend="CLARABEL", polish=False), prob)
    assert res.status == Status.OPTIMAL and res.gap_scope == "grid"
    assert res.measure.n_atoms == 0
    assert not caught


# ------------------------------------------------------------ huge reg
@pytest.mark.parametrize("backend", ["auto", "CLARABEL", "SCS"])
def test_huge_reg_is_the_zero_measure(data, backend):
    prob = mo.BLASSO(data.X, data.y, reg=1e9)
    res, caught = _quiet_solve(solvers.GridConvex(grid=200, backend=backend), prob)
    assert (res.status, res.measure.n_atoms) == (Status.OPTIMAL, 0), res.message
    assert not caught


@pytest.mark.parametrize("reg", [1e3, 1e9, 1e12])
def test_conic_build_is_scaled_for_huge_reg(data, reg):
    """The CVXPY model itself stays solvable when reg is huge (objective scaled to O(1))."""
    prob = mo.BLASSO(data.X, data.y, reg=reg)
    cvx, r, grid = solvers.GridConvex(grid=200).build(prob)
    cvx.solve(solver="CLARABEL")
    assert cvx.status == "optimal"
    assert np.max(np.abs(r.value)) <= 1e-8 * prob.weight_scale()


def test_cli_at_huge_reg_prints_the_zero_measure(tmp_path, capsys):
    from solvers.cli import main

    for reg in ("1e3", "1e9"):
        out = tmp_path / reg
        code = main(["teacher-student", "--d", "3", "--m", "2", "--n", "40", "--grid-size", "200", "--width", "10",
                     "--iters", "50", "--reg", reg, "--backend", "CLARABEL", "--out", str(out), "--quiet"])
        report = json.loads((out / "results.json").read_text())
        assert code == 0
        rows = {row["solution"]: row for row in report["rows"]}
        for key in ("convex", "grid", "network"):
            assert (rows[key]["status"], rows[key]["atoms"]) == ("optimal", 0)
        assert report["warnings"] == []
    assert re.search(r"^convex optimum \(SFW\) .* 0 \(0\) ", capsys.readouterr().out, re.MULTILINE)


# ------------------------------------------------------------ an uncertified gap is never "optimal"
class _Fixed(solvers.Solver):
    """A solver whose ``_solve`` returns a given outcome (the single decision point is the base class)."""

    def __init__(self, status, gap_scope="sphere", dual_gap=0.0, measure=None):
        self.status = status
        self.gap_scope = gap_scope
        self.dual_gap = dual_gap
        self.measure = measure

    def _solve(self, problem):
        measure = self.measure if self.measure is not None else mo.DiscreteMeasure.zero(problem.dim)
        return Outcome(measure=measure, status=self.status, n_iter=3, dual_gap=self.dual_gap,
                       message="fixed", gap_scope=self.gap_scope)


@pytest.fixture(scope="module")
def small(data):
    return mo.BLASSO(data.X, data.y, reg=1e-2)


@pytest.mark.parametrize("scope, gap", [("local", 0.0), ("none", np.nan), ("sphere", np.nan), ("grid", np.inf)])
def test_uncertified_gap_never_optimal(small, scope, gap):
    with pytest.warns(mo.ConvergenceWarning, match="not certified"):
        res = _Fixed(Status.OPTIMAL, gap_scope=scope, dual_gap=gap).solve(small)
    assert res.status == Status.OPTIMAL_INACCURATE
    assert "not certified" in res.message


def test_frank_wolfe_with_a_local_certificate_oracle_is_not_optimal(data):
    prob = mo.BLASSO(data.X, data.y, reg=5e-2)
    with pytest.warns(mo.ConvergenceWarning, match="not certified"):
        res = solvers.FrankWolfe(corrective=True, certificate_oracle=LocalOracle()).solve(prob)
    assert res.gap_scope == "local"
    assert res.status == Status.OPTIMAL_INACCURATE
    assert "not certified" in res.message


def test_sliding_frank_wolfe_with_a_local_certificate_oracle_is_not_optimal(data):
    prob = mo.BLASSO(data.X, data.y, reg=5e-2)
    with pytest.warns(mo.ConvergenceWarning, match="not certified"):
        res = solvers.SlidingFrankWolfe(certificate_oracle=LocalOracle()).solve(prob)
    assert res.status == Status.OPTIMAL_INACCURATE
    assert "(certified)" not in res.message and " certified relative gap" not in res.message


@pytest.mark.parametrize("certify", [True, False])
def test_particle_final_certificate_with_a_local_oracle_is_not_optimal(data, certify):
    prob = mo.BLASSO(data.X, data.y, reg=5e-2)
    solver = solvers.ConicParticleGD(width=20, max_iter=400, check_every=100, tol=0.5, certify=certify,
                                     certificate_oracle=LocalOracle())
    with pytest.warns(mo.ConvergenceWarning, match="not certified"):
        res = solver.solve(prob)
    assert res.status == Status.OPTIMAL_INACCURATE, res.message
    assert "(certified)" not in res.message
    assert "not certified" in res.message


# ------------------------------------------------------------ every non-success status warns
CONVERGENCE = [Status.OPTIMAL_INACCURATE, Status.MAX_ITER, Status.STATIONARY]
FAILURES = [Status.NUMERICAL_ERROR, Status.SOLVER_ERROR, Status.INFEASIBLE, Status.INFEASIBLE_INACCURATE,
            Status.UNBOUNDED, Status.UNBOUNDED_INACCURATE, Status.INFEASIBLE_OR_UNBOUNDED]


def test_every_status_is_classified():
    assert set(CONVERGENCE) | set(FAILURES) | {Status.OPTIMAL} == set(Status)
    assert all(s.success for s in (Status.OPTIMAL, Status.OPTIMAL_INACCURATE))
    assert not any(s.success for s in FAILURES + [Status.MAX_ITER, Status.STATIONARY])
    assert all(s.failure for s in FAILURES)
    assert not any(s.failure for s in CONVERGENCE + [Status.OPTIMAL])


@pytest.mark.parametrize("status", CONVERGENCE)
def test_convergence_statuses_warn(small, status):
    with pytest.warns(mo.ConvergenceWarning, match=f"status {status.value} after 3 iterations") as rec:
        _Fixed(status, dual_gap=0.5).solve(small)
    assert not any(issubclass(w.category, mo.SolverFailureWarning) for w in rec)


@pytest.mark.parametrize("status", FAILURES)
def test_failure_statuses_warn(small, status):
    with pytest.warns(mo.SolverFailureWarning, match=f"failed with status {status.value}") as rec:
        res = _Fixed(status, dual_gap=0.5).solve(small)
    assert res.status == status
    assert issubclass(mo.SolverFailureWarning, RuntimeWarning)
    assert not any(issubclass(w.category, mo.ConvergenceWarning) for w in rec)
    message = str(rec[0].message)
    assert "objective" in message and "dual gap" in message and "fixed" in message


def test_optimal_does_not_warn(small):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _Fixed(Status.OPTIMAL).solve(small).status == Status.OPTIMAL


@pytest.mark.parametrize("raw", ["solver_error", "infeasible", "unbounded_inaccurate"])
def test_grid_convex_backend_failure_warns(small, monkeypatch, raw):
    import solvers.grid_convex as grid_convex

    monkeypatch.setattr(grid_convex, "solve_cvxpy", lambda *args, **kwargs: (raw, f"mocked {raw}"))
    with pytest.warns(mo.SolverFailureWarning, match=f"status {raw}"):
        res = solvers.GridConvex(grid=50, backend="CLARABEL").solve(small)
    assert res.status == raw


def test_particle_numerical_error_warns(small):
    with pytest.warns(mo.SolverFailureWarning, match="numerical_error.*step"):
        res = solvers.ParticleGD(width=10, max_iter=300, step_size=100, certify=False).solve(small)
    assert res.status == Status.NUMERICAL_ERROR


def test_diverged_run_is_a_failure_not_max_iter(small):
    """The objective blew up to ~1e100 but stayed finite when max_iter stopped the run."""
    solver = solvers.ParticleGD(width=10, max_iter=4, step_size=100, certify=False)
    with pytest.warns(mo.SolverFailureWarning, match="diverged"):
        res = solver.solve(small)
    assert res.objective > 1e6 * small.objective(mo.DiscreteMeasure.zero(3))
    assert res.status == Status.NUMERICAL_ERROR
    assert "diverged" in res.message


def test_non_finite_objective_is_a_failure(small):
    bad = mo.DiscreteMeasure([1e300, 1e300], mo.sphere_grid(3, 2, seed=0))
    with pytest.warns(mo.SolverFailureWarning, match="numerical_error"), np.errstate(over="ignore"):
        res = _Fixed(Status.MAX_ITER, measure=bad).solve(small)
    assert res.status == Status.NUMERICAL_ERROR
