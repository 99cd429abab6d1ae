"""Warm-started sliding Frank-Wolfe and the particle solvers' polish (issue 11, item 5)."""

import warnings

import numpy as np
import pytest

import measureopt as mo
import solvers


@pytest.fixture(scope="module")
def case():
    data = mo.teacher_student(n=40, d=3, m=2, seed=3, noise=0.1)
    prob = mo.BLASSO(data.X, data.y, reg=1e-3)
    return prob, solvers.ExactReLU(tol=1e-9).solve(prob)


def test_warm_start_from_the_optimum_certifies_at_once(case):
    prob, exact = case
    res = solvers.SlidingFrankWolfe(warm_start=exact).solve(prob)
    assert res.status == "optimal" and res.n_iter == 1
    np.testing.assert_allclose(res.objective, exact.objective, rtol=1e-9)
    with pytest.raises(TypeError, match="warm_start"):
        solvers.SlidingFrankWolfe(warm_start=np.ones(3))
    with pytest.raises(ValueError, match="max_time"):
        solvers.SlidingFrankWolfe(max_time=-1.0)


def test_max_time_stops_the_outer_loop(case):
    prob, _ = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mo.ConvergenceWarning)
        res = solvers.SlidingFrankWolfe(max_time=1e-9).solve(prob)
    assert res.status == "max_iter" and res.n_iter == 0
    assert "time limit" in res.message


def test_polish_turns_a_trained_network_into_the_optimum(case):
    prob, exact = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mo.ConvergenceWarning)
        plain = solvers.ConicParticleGD(width=20, max_iter=300, tol=None).solve(prob)
        res = solvers.ConicParticleGD(width=20, max_iter=300, tol=None, polish=30.0).solve(prob)
    assert res.status == "optimal"
    np.testing.assert_allclose(res.objective, exact.objective, rtol=1e-8)
    # the network before the polish is the plain run's, and its certified distance holds
    np.testing.assert_allclose(res.stats["network_measure_objective"], plain.objective, rtol=1e-12)
    assert res.stats["network_gap"] >= plain.objective - exact.objective - 1e-12
    assert res.stats["network_gap"] <= plain.dual_gap + 1e-12
    assert "polished by sliding Frank-Wolfe" in res.message
