import numpy as np
import pytest

import measureopt as mo


@pytest.fixture
def tiny():
    # n = 2, d = 2: everything by hand
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([1.0, 2.0])
    return mo.BLASSO(X, y, reg=0.1)


def test_objective_by_hand(tiny):
    mu = mo.DiscreteMeasure([2.0], [[1.0, 0.0]])
    # f = (2, 0), residual (-1, 2): J = (1 + 4) / (2 * 2) + 0.1 * 2
    np.testing.assert_allclose(tiny.predict(mu), [2.0, 0.0])
    np.testing.assert_allclose(tiny.residual(mu), [-1.0, 2.0])
    np.testing.assert_allclose(tiny.objective(mu), 1.25 + 0.2)
    np.testing.assert_allclose(tiny.objective(mo.DiscreteMeasure.zero(2)), 5 / 4)


def test_certificate_by_hand(tiny):
    mu = mo.DiscreteMeasure([2.0], [[1.0, 0.0]])
    s = np.sqrt(0.5)
    thetas = np.array([[1.0, 0.0], [0.0, 1.0], [s, s], [-1.0, 0.0]])
    # eta(theta) = 1 / (reg n) * sum_i q_i relu(<theta, x_i>), q = (-1, 2)
    expected = np.array([-1.0, 2.0, -s + 2 * s, 0.0]) / (0.1 * 2)
    np.testing.assert_allclose(tiny.certificate(mu, thetas), expected)


def test_dual_objective_by_hand(tiny):
    q = np.array([0.5, -1.0])
    # D(q) = 1/n <y, q> - 1/(2n) ||q||^2 = (0.5 - 2) / 2 - 1.25 / 4
    np.testing.assert_allclose(tiny.dual_objective(q), -0.75 - 0.3125)


def test_gap_of_teacher_without_regularization_loss():
    data = mo.teacher_student(n=50, d=3, m=2, seed=0)
    prob = mo.BLASSO(data.X, data.y, reg=1e-2)
    cert = prob.dual_certificate(data.teacher)
    # zero residual: the dual point is 0, the gap is the whole objective
    np.testing.assert_allclose(cert.primal, 1e-2 * 2)
    np.testing.assert_allclose(cert.dual, 0.0, atol=1e-15)
    np.testing.assert_allclose(cert.gap, cert.primal)
    assert cert.scope == "sphere"  # the default oracle certifies the continuous problem


def test_gap_is_valid_for_random_measures_on_the_grid():
    """gap >= J(mu) - J*_grid for any measure supported on the grid."""
    import solvers

    data = mo.teacher_student(n=80, d=3, m=2, seed=1, noise=0.02)
    prob = mo.BLASSO(data.X, data.y, reg=5e-3)
    grid = mo.sphere_grid(3, 400, seed=0)
    optimum = solvers.GridConvex(grid=grid).solve(prob).objective
    oracle = mo.GridOracle(grid)
    rng = np.random.default_rng(0)
    for _ in range(20):
        idx = rng.choice(len(grid), size=rng.integers(1, 10), replace=False)
        mu = mo.DiscreteMeasure(rng.normal(scale=0.5, size=len(idx)), grid[idx])
        cert = prob.dual_certificate(mu, oracle)
        assert cert.gap >= prob.objective(mu) - optimum - 1e-12
        assert cert.dual <= optimum + 1e-12
        assert cert.sup_eta_upper >= cert.sup_eta


def test_grid_oracle_includes_the_support():
    data = mo.teacher_student(n=40, d=4, m=2, seed=0)
    prob = mo.BLASSO(data.X, data.y, reg=1e-2)
    theta = mo.sample_sphere(4, 1, seed=9)
    mu = mo.DiscreteMeasure([0.3], theta)
    cert = prob.dual_certificate(mu, prob.grid_oracle(mu))
    eta_at_atom = abs(prob.certificate(mu, theta)[0])
    assert cert.sup_eta >= eta_at_atom
    assert cert.scope == "grid"
    np.testing.assert_allclose(prob.grid_duality_gap(mu), cert.gap)
    assert cert.gap >= 0


def test_default_gap_is_continuous_and_above_gridded():
    data = mo.teacher_student(n=40, d=3, m=2, seed=0)
    prob = mo.BLASSO(data.X, data.y, reg=1e-2)
    mu = mo.DiscreteMeasure([0.3, -0.1], mo.sample_sphere(3, 2, seed=9))
    cert = prob.dual_certificate(mu)
    assert cert.scope == "sphere"
    # the sphere contains the grid: a larger sup, a smaller dual, a larger gap
    assert cert.gap >= prob.grid_duality_gap(mu) - 1e-15


def test_reg_max_makes_zero_optimal():
    data = mo.teacher_student(n=40, d=3, m=2, seed=0)
    grid = mo.sphere_grid(3, 500)
    prob = mo.BLASSO(data.X, data.y, reg=1.0)
    reg_max = prob.reg_max(mo.GridOracle(grid))
    above = mo.BLASSO(data.X, data.y, reg=reg_max * 1.0001)
    zero = mo.DiscreteMeasure.zero(3)
    np.testing.assert_allclose(above.duality_gap(zero, mo.GridOracle(grid)), 0.0, atol=1e-15)
    below = mo.BLASSO(data.X, data.y, reg=reg_max * 0.5)
    assert below.duality_gap(zero, mo.GridOracle(grid)) > 0


def test_other_activations_work():
    data = mo.teacher_student(n=30, d=3, m=2, seed=0)
    for act in ("sigmoid", "tanh", "softplus", "squared_relu", mo.ReLUPower(0)):
        prob = mo.BLASSO(data.X, data.y, reg=1e-2, activation=act)
        assert np.isfinite(prob.objective(data.teacher))
        assert np.isfinite(prob.duality_gap(data.teacher))


# --------------------------------------------------------------- bad input
GOOD_X = np.eye(3)[:2]
GOOD_Y = np.array([1.0, 2.0])


@pytest.mark.parametrize(
    "X, y, reg, exc, match",
    [
        (np.array([[np.nan, 0, 1], [0, 1, 0]]), GOOD_Y, 0.1, ValueError, "X contains 1 NaN"),
        (np.array([[np.inf, 0, 1], [0, 1, 0]]), GOOD_Y, 0.1, ValueError, "X contains 1 NaN or infinite"),
        (GOOD_X, np.array([1.0, np.nan]), 0.1, ValueError, "y contains 1 NaN"),
        (GOOD_X, np.array([1.0, 2.0, 3.0]), 0.1, ValueError, r"y must have one entry per row of X: X has shape \(2, 3\), y has shape \(3,\)"),
        (GOOD_X, GOOD_Y, 0.0, ValueError, "reg must be finite and > 0; got 0.0"),
        (GOOD_X, GOOD_Y, -1.0, ValueError, "reg must be finite and > 0"),
        (GOOD_X, GOOD_Y, np.inf, ValueError, "reg must be finite"),
        (GOOD_X, GOOD_Y, "big", TypeError, "reg must be a real number"),
        (np.ones(3), GOOD_Y, 0.1, ValueError, r"X must be 2-D with shape \(n, d\); got shape \(3,\)"),
        (GOOD_X, np.ones((2, 1)), 0.1, ValueError, "y must be 1-D"),
    ],
)
def test_blasso_bad_input(X, y, reg, exc, match):
    with pytest.raises(exc, match=match):
        mo.BLASSO(X, y, reg)


def test_blasso_bad_activation():
    with pytest.raises(ValueError, match="activation must be one of"):
        mo.BLASSO(GOOD_X, GOOD_Y, 0.1, activation="swish")


def test_measure_checks_when_evaluated():
    prob = mo.BLASSO(GOOD_X, GOOD_Y, 0.1)
    off = mo.DiscreteMeasure([1.0], [[1.0, 1.0, 0.0]])
    with pytest.raises(ValueError, match=r"measure.support must have rows on the unit sphere .* row 0 has norm 1.41421"):
        prob.objective(off)
    wrong_dim = mo.DiscreteMeasure([1.0], [[1.0, 0.0]])
    with pytest.raises(ValueError, match=r"measure must live on S\^2"):
        prob.objective(wrong_dim)
    with pytest.raises(TypeError, match="measure must be a DiscreteMeasure"):
        prob.objective(np.ones(3))
    mu = mo.DiscreteMeasure([1.0], [[1.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match=r"thetas must have shape \(k, 3\); got \(1, 2\)"):
        prob.certificate(mu, np.array([[1.0, 0.0]]))
    with pytest.raises(ValueError, match="thetas must have rows on the unit sphere"):
        prob.certificate(mu, np.array([[2.0, 0.0, 0.0]]))
    with pytest.raises(TypeError, match="oracle must have a maximize"):
        prob.duality_gap(mu, oracle="grid")
    # within the documented tolerance is accepted
    near = mo.DiscreteMeasure([1.0], [[1.0 + 0.5 * mo.SPHERE_TOL, 0.0, 0.0]])
    assert np.isfinite(prob.objective(near))
