"""Off-the-grid solvers against the exact ReLU program."""

import numpy as np
import pytest

import measureopt as mo
import solvers


def _noisy(d, n, reg, seed=2):
    data = mo.teacher_student(n=n, d=d, m=min(d, 3), seed=seed, noise=0.05)
    return mo.BLASSO(data.X, data.y, reg=reg)


CASES = {
    "d2": lambda: _noisy(2, 40, 1e-2),
    "d3": lambda: _noisy(3, 30, 1e-2),
    "d3-teacher": lambda: mo.BLASSO(*_teacher(3, 40), reg=1e-3),
}


def _teacher(d, n):
    data = mo.teacher_student(n=n, d=d, m=2, seed=7)
    return data.X, data.y


@pytest.fixture(scope="module", params=list(CASES))
def exact(request):
    prob = CASES[request.param]()
    return prob, solvers.ExactReLU().solve(prob)


def test_exact_relu_is_optimal_and_certified(exact):
    prob, res = exact
    assert res.status == solvers.Status.OPTIMAL, res.message
    assert res.stats["exact"] and res.stats["gap_scope"] == "sphere"
    assert 0 <= res.dual_gap <= 1e-6 * res.objective
    np.testing.assert_allclose(res.objective, prob.objective(res.measure), rtol=1e-14)
    # the backend's value of the program is the same optimum
    np.testing.assert_allclose(res.stats["backend_objective"], res.objective, rtol=1e-6)


def test_fine_grid_is_never_below_exact(exact):
    prob, res = exact
    grid = solvers.GridConvex(grid=4000 if prob.dim == 2 else 3000).solve(prob)
    assert grid.objective >= res.objective - 1e-12
    np.testing.assert_allclose(grid.objective, res.objective, rtol=1e-3)


def test_sliding_frank_wolfe_reaches_exact_optimum(exact):
    prob, ref = exact
    res = solvers.SlidingFrankWolfe().solve(prob)
    assert res.status == solvers.Status.OPTIMAL, res.message
    assert res.stats["gap_scope"] == "sphere"
    np.testing.assert_allclose(res.objective, ref.objective, rtol=1e-6)
    assert res.dual_gap <= 1e-6 * res.objective
    assert res.objective - ref.objective <= res.dual_gap + 1e-12
    h = res.history
    assert set(h) == {"objective", "gap_estimate", "n_atoms", "time"}
    assert len({len(v) for v in h.values()}) == 1


@pytest.mark.filterwarnings("ignore::measureopt.exceptions.ConvergenceWarning")
def test_frank_wolfe_variants_are_certified(exact):
    prob, ref = exact
    results = {}
    for name, solver in {
        "line_search": solvers.FrankWolfe(max_iter=30),
        "open_loop": solvers.FrankWolfe(step_rule="open_loop", max_iter=30),
        "corrective": solvers.FrankWolfe(corrective=True, max_iter=30),
    }.items():
        res = results[name] = solver.solve(prob)
        assert res.status in (solvers.Status.MAX_ITER, solvers.Status.OPTIMAL), res.message
        assert res.stats["gap_scope"] == "sphere"
        # certified: the gap bounds the true suboptimality
        assert res.objective - ref.objective <= res.dual_gap + 1e-12
        # the epigraph Frank-Wolfe gap bounds it as well (the LMO found the max here)
        assert np.all(res.history["fw_gap"] >= res.history["objective"] - ref.objective - 1e-9)
    assert results["corrective"].objective <= results["line_search"].objective + 1e-12
    assert results["line_search"].objective <= results["open_loop"].objective + 1e-12


def test_frank_wolfe_line_search_is_monotone():
    prob = _noisy(2, 40, 1e-2)
    with pytest.warns(mo.ConvergenceWarning):
        res = solvers.FrankWolfe(max_iter=40).solve(prob)
    obj = res.history["objective"]
    assert np.all(np.diff(obj) <= 1e-12)


@pytest.mark.filterwarnings("ignore::measureopt.exceptions.ConvergenceWarning")
def test_exact_relu_sampled_is_flagged_or_certified():
    data = mo.teacher_student(n=30, d=4, m=2, seed=0, noise=0.05)
    prob = mo.BLASSO(data.X, data.y, reg=1e-2)
    few = solvers.ExactReLU(patterns="sample", n_patterns=5, random_state=0).solve(prob)
    assert not few.stats["exact"]
    assert few.status == solvers.Status.OPTIMAL_INACCURATE
    assert "upper bound" in few.message
    many = solvers.ExactReLU(patterns="sample", n_patterns=3000, random_state=0).solve(prob)
    assert many.objective <= few.objective + 1e-12


def test_bad_input():
    prob = _noisy(2, 20, 1e-2)
    with pytest.raises(ValueError, match="max_iter must be"):
        solvers.SlidingFrankWolfe(max_iter=0)
    with pytest.raises(ValueError, match="max_iter must be"):
        solvers.FrankWolfe(max_iter=0)
    with pytest.raises(ValueError, match="step_rule must be one of"):
        solvers.FrankWolfe(step_rule="armijo")
    with pytest.raises(TypeError, match="oracle must have a maximize"):
        solvers.FrankWolfe(oracle=object())
    with pytest.raises(ValueError, match="patterns must be one of"):
        solvers.ExactReLU(patterns="all")
    sig = mo.BLASSO(prob.X, prob.y, reg=1e-2, activation="sigmoid")
    with pytest.raises(solvers.IncompatibleSolverError, match="ReLU program only"):
        solvers.ExactReLU().solve(sig)
    big = _noisy(4, 20, 1e-2)
    with pytest.raises(ValueError, match="d <= 3; the problem has d = 4"):
        solvers.ExactReLU().solve(big)
    with pytest.raises(ValueError, match="above max_patterns=10"):
        solvers.ExactReLU(max_patterns=10).solve(prob)


def test_sliding_frank_wolfe_smooth_activation():
    data = mo.teacher_student(n=40, d=2, m=2, seed=0)
    prob = mo.BLASSO(data.X, data.y, reg=1e-2, activation="tanh")
    res = solvers.SlidingFrankWolfe().solve(prob)
    assert res.status == solvers.Status.OPTIMAL, res.message
    grid = solvers.GridConvex(grid=2000).solve(prob)
    assert res.objective <= grid.objective + 1e-10


@pytest.mark.slow
def test_recovery_of_the_teacher_d5():
    """Done-when criterion: d=5, m=3, n=400, reg=1e-4, noiseless."""
    data = mo.teacher_student(n=400, d=5, m=3, seed=0)
    prob = mo.BLASSO(data.X, data.y, reg=1e-4)
    res = solvers.SlidingFrankWolfe(certificate_oracle=mo.LocalOracle()).solve(prob)
    rec = mo.recovery(res.measure, data.teacher, radius=0.05)
    assert np.all(rec.captured >= 0.95)
    assert rec.mass_elsewhere < 0.02


@pytest.mark.slow
def test_recovery_error_shrinks_with_reg():
    data = mo.teacher_student(n=200, d=3, m=2, seed=0)
    dist = []
    regs = [1e-2, 3e-3, 1e-3]
    for reg in regs:
        res = solvers.SlidingFrankWolfe().solve(mo.BLASSO(data.X, data.y, reg=reg))
        dist.append(mo.wasserstein(res.measure, data.teacher))
    assert dist[0] > dist[1] > dist[2]
    slope = np.polyfit(np.log(regs), np.log(dist), 1)[0]
    assert slope > 0.3
