"""Sliding Frank-Wolfe with the pattern-restricted corrective step (ReLU features).

The restricted program (:func:`solvers.exact_relu.pattern_program`) is the
ReLU program of Pilanci & Ergen over a given set of activation patterns:
with every pattern of the arrangement it is ExactReLU's program, and over
the patterns of Sliding Frank-Wolfe's atoms it is the exact corrective step
that moves atoms through the ReLU kinks.
"""

import numpy as np
import pytest

import measureopt as mo
import solvers
from measureopt.arrangement import arrangement_patterns
from solvers.exact_relu import adjacent_patterns, pattern_program, solve_patterns
from standard_problems import logistic_line, squared_constrained_line


def _noisy_d3():
    """n = 40 on S^2, two teacher neurons, noisy labels, reg = 1e-3.

    The smooth slide stalls here: SlidingFrankWolfe(slide="smooth") stops at
    max_iter = 50, 3.0e-5 relative above the exact optimum.
    """
    data = mo.teacher_student(n=40, d=3, m=2, seed=3, noise=0.1)
    return mo.BLASSO(data.X, data.y, reg=1e-3)


@pytest.fixture(scope="module")
def noisy_d3():
    prob = _noisy_d3()
    return prob, solvers.ExactReLU().solve(prob)


def _logistic_constrained():
    rng = np.random.default_rng(2)
    X = rng.uniform(-2, 2, (40, 1))
    return mo.VariationNormERM(X, np.where(np.cos(3 * X[:, 0]) > 0, 1.0, -1.0), loss="logistic", radius=3.0)


OTHER_FORMS = {"logistic": logistic_line, "squared_constrained": squared_constrained_line,
               "logistic_constrained": _logistic_constrained}


# ------------------------------------------------------------ the restricted program
def test_all_patterns_give_the_exact_program(noisy_d3):
    prob, exact = noisy_d3
    assert exact.status == solvers.Status.OPTIMAL, exact.message
    fit = solve_patterns(prob, arrangement_patterns(prob.features.inputs), polish=False)
    assert fit.status == solvers.Status.OPTIMAL
    # the backend's optimum and the measure read back from it are ExactReLU's J*
    np.testing.assert_allclose(fit.objective, exact.objective, rtol=1e-8)
    np.testing.assert_allclose(prob.objective(fit.measure), exact.objective, rtol=1e-8)


def test_build_is_the_shared_program():
    data = mo.teacher_student(n=15, d=2, m=1, seed=0)
    prob = mo.BLASSO(data.X, data.y, reg=1e-2)
    masks = arrangement_patterns(prob.X)
    a, _, _ = solvers.ExactReLU().build(prob, masks)
    b, _, _ = pattern_program(prob, masks)
    assert str(a.objective) == str(b.objective)
    assert len(a.constraints) == len(b.constraints) == 2


def test_restricted_program_is_the_optimum_over_its_cells(noisy_d3):
    prob, exact = noisy_d3
    sfw = solvers.SlidingFrankWolfe(slide="smooth", max_iter=5)
    with pytest.warns(mo.ConvergenceWarning):
        start = sfw.solve(prob).measure
    masks = adjacent_patterns(prob.features.inputs, start.support)
    fit = solve_patterns(prob, masks, polish=False)
    value = prob.objective(fit.measure)
    np.testing.assert_allclose(value, fit.objective, rtol=1e-8)
    # the measure is feasible (its atoms lie in those cells), and J* is feasible only with all cells
    assert value <= prob.objective(start) + 1e-12
    assert value >= exact.objective - 1e-12
    # the atoms found lie in the closed cells of the masks
    u = fit.measure.support @ prob.features.inputs.T
    S = 2.0 * masks - 1.0
    inside = (S[None, :, :] * u[:, None, :] >= -1e-7).all(axis=2).any(axis=1)
    assert inside.all()


def test_adjacent_patterns_split_the_hyperplanes_through_an_atom():
    X = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.3, 0.4, 1.0], [-0.5, 0.2, 1.0]])
    inside = np.array([[0.2, 0.3, 0.9]])
    on_one = np.array([[0.0, 0.6, 0.8]])  # on x_0's hyperplane
    on_two = np.array([[0.0, 0.0, 1.0]])  # on x_0's and x_1's
    for theta, count in ((inside, 1), (on_one, 2), (on_two, 4)):
        masks = adjacent_patterns(X, theta)
        assert masks.shape == (count, 4)
        # the atom is in every closed cell returned
        S = 2.0 * masks - 1.0
        assert np.all(S * (X @ theta[0]) >= -1e-12)
    np.testing.assert_array_equal(adjacent_patterns(X, inside), (X @ inside.T).T > 0)
    # duplicates are merged, the all-zero pattern is left out
    masks = adjacent_patterns(X, np.vstack([inside, inside, -inside]))  # -inside: all inputs off
    assert len(masks) == 1
    with pytest.raises(ValueError, match=r"thetas must have shape \(k, 3\)"):
        adjacent_patterns(X, np.ones((2, 2)))


def test_pattern_program_refuses_other_features():
    data = mo.teacher_student(n=15, d=2, m=1, seed=0)
    tanh = mo.BLASSO(data.X, data.y, reg=1e-2, activation="tanh")
    with pytest.raises(solvers.IncompatibleSolverError, match="needs ReLU features"):
        pattern_program(tanh, np.ones((1, 15), dtype=bool))
    relu = mo.BLASSO(data.X, data.y, reg=1e-2)
    with pytest.raises(ValueError, match=r"masks must have shape \(P, n\)"):
        pattern_program(relu, np.ones((3, 14), dtype=bool))


# ------------------------------------------------------------ Sliding Frank-Wolfe
def test_sliding_frank_wolfe_is_exact_through_the_kinks(noisy_d3):
    prob, exact = noisy_d3
    res = solvers.SlidingFrankWolfe().solve(prob)
    assert res.status == solvers.Status.OPTIMAL, res.message
    assert res.stats["slide"] == "patterns"  # "auto" in D = 3
    assert res.gap_scope == "sphere"
    np.testing.assert_allclose(res.objective, exact.objective, rtol=1e-8)
    assert res.objective - exact.objective <= res.dual_gap + 1e-12
    assert res.n_iter < 50
    assert set(res.history) == {"objective", "gap_estimate", "n_atoms", "time"}
    # every outer iteration lowers the objective
    assert np.all(np.diff(res.history["objective"]) <= 1e-12)


@pytest.mark.filterwarnings("ignore::measureopt.ConvergenceWarning")  # GridConvex's Clarabel on the logistic grid
@pytest.mark.parametrize("name", list(OTHER_FORMS))
def test_sliding_frank_wolfe_patterns_other_losses_and_forms(name):
    prob = OTHER_FORMS[name]()
    full = solve_patterns(prob, arrangement_patterns(prob.features.inputs))  # J* (all patterns of the circle)
    assert full.status == solvers.Status.OPTIMAL
    j_star = prob.objective(full.measure)
    res = solvers.SlidingFrankWolfe(tol=1e-9, slide="patterns").solve(prob)
    assert res.status == solvers.Status.OPTIMAL, res.message
    assert res.stats["slide"] == "patterns"
    np.testing.assert_allclose(res.objective, j_star, rtol=1e-7)
    # the certificate brackets J*, and a fine grid is an upper bound
    assert res.objective - res.dual_gap <= j_star + 1e-10
    grid = solvers.GridConvex(grid=2000).solve(prob)
    assert j_star <= grid.objective + 1e-10
    if not prob.penalized:
        assert res.measure.total_variation <= prob.radius * (1 + 1e-9)


def test_slide_parameter():
    sfw = solvers.SlidingFrankWolfe(slide="smooth")
    assert sfw.get_params()["slide"] == "smooth"
    assert "slide='smooth'" in repr(sfw)
    assert solvers.SlidingFrankWolfe().get_params()["slide"] == "auto"
    with pytest.raises(ValueError, match="slide must be one of"):
        solvers.SlidingFrankWolfe(slide="exact")
    data = mo.teacher_student(n=30, d=2, m=2, seed=0)
    tanh = mo.BLASSO(data.X, data.y, reg=1e-2, activation="tanh")
    with pytest.raises(solvers.IncompatibleSolverError, match="slide='both'"):
        solvers.SlidingFrankWolfe(slide="both").solve(tanh)
    with pytest.raises(solvers.IncompatibleSolverError, match="slide='patterns'"):
        solvers.SlidingFrankWolfe(slide="patterns").solve(tanh)


@pytest.mark.filterwarnings("ignore::measureopt.ConvergenceWarning")
def test_auto_keeps_the_smooth_slide_for_smooth_activations():
    data = mo.teacher_student(n=30, d=2, m=2, seed=0)
    tanh = mo.BLASSO(data.X, data.y, reg=1e-2, activation="tanh")
    assert solvers.SlidingFrankWolfe(max_iter=3).solve(tanh).stats["slide"] == "smooth"
    relu = mo.BLASSO(data.X, data.y, reg=1e-2)
    smooth = solvers.SlidingFrankWolfe(slide="smooth").solve(relu)
    patterns = solvers.SlidingFrankWolfe().solve(relu)
    assert smooth.stats["slide"] == "smooth" and "n_programs" not in smooth.stats
    assert patterns.stats["slide"] == "patterns" and patterns.stats["n_programs"] >= 1
    assert patterns.objective <= smooth.objective + 1e-10


def test_both_slides_in_turn(noisy_d3):
    """``slide="both"`` (the default for ReLU in D >= 4) is exact through the kinks too."""
    prob, exact = noisy_d3
    res = solvers.SlidingFrankWolfe(slide="both").solve(prob)
    assert res.status == solvers.Status.OPTIMAL, res.message
    assert res.stats["slide"] == "both" and res.stats["n_programs"] >= 1
    np.testing.assert_allclose(res.objective, exact.objective, rtol=1e-8)
    prob = squared_constrained_line()
    j_star = prob.objective(solve_patterns(prob, arrangement_patterns(prob.features.inputs)).measure)
    res = solvers.SlidingFrankWolfe(slide="both").solve(prob)
    assert res.status == solvers.Status.OPTIMAL, res.message
    np.testing.assert_allclose(res.objective, j_star, rtol=1e-7)


@pytest.mark.filterwarnings("ignore::measureopt.ConvergenceWarning")
def test_auto_in_higher_dimension_slides_smoothly():
    """D >= 4: "auto" keeps the smooth slide (programs grow with n); "both" is opt-in."""
    data = mo.teacher_student(n=30, d=4, m=2, seed=0)
    prob = mo.BLASSO(data.X, data.y, reg=1e-2)
    res = solvers.SlidingFrankWolfe(max_iter=2, certificate_oracle=mo.LocalOracle()).solve(prob)
    assert res.stats["slide"] == "smooth"
    res = solvers.SlidingFrankWolfe(max_iter=2, certificate_oracle=mo.LocalOracle(), slide="both").solve(prob)
    assert res.stats["slide"] == "both" and res.stats["n_programs"] >= 1
