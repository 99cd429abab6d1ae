"""Sup-oracles: agreement where they overlap, validity of the bounds, bad input."""

import numpy as np
import pytest

import measureopt as mo
import solvers
from measureopt.oracles._relu_kernel import HAVE_NUMBA, relu_cap_bounds_compiled


def _problem(d, n, seed=1, activation="relu"):
    data = mo.teacher_student(n=n, d=d, m=min(d, 2), seed=seed)
    return mo.BLASSO(data.X, data.y, reg=1e-3, activation=activation)


@pytest.mark.parametrize("d,n", [(2, 30), (2, 80), (3, 25), (3, 60)])
def test_three_oracles_agree_and_bound_dense_sampling(d, n):
    prob = _problem(d, n)
    rng = np.random.default_rng(d * n)
    for _ in range(3):
        q = rng.normal(size=n)
        dense = np.abs(prob.correlation(q, mo.sample_sphere(d, 50000, seed=rng))).max()
        exact = mo.ArrangementOracle().maximize(prob, q)
        bb = mo.BranchAndBound(rtol=1e-9).maximize(prob, q)
        local = mo.LocalOracle().maximize(prob, q)
        # exact is exact: above any sample, equal to branch-and-bound's bracket
        assert exact.value >= dense
        assert bb.upper >= exact.value
        np.testing.assert_allclose(bb.value, exact.value, rtol=1e-8)
        np.testing.assert_allclose(bb.upper, exact.value, rtol=2e-8)
        assert local.value <= exact.upper
        np.testing.assert_allclose(abs(prob.correlation(q, exact.argmax[None])[0]), exact.value, rtol=1e-12)
        assert exact.scope == bb.scope == "sphere" and local.scope == "local"


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "softplus", "squared_relu"])
def test_branch_and_bound_for_smooth_activations(activation):
    prob = _problem(3, 40, activation=activation)
    q = np.random.default_rng(0).normal(size=40)
    dense = np.abs(prob.correlation(q, mo.sample_sphere(3, 100000, seed=1))).max()
    res = mo.BranchAndBound(rtol=1e-7).maximize(prob, q)
    assert res.upper >= dense
    assert res.upper <= res.value * (1 + 1e-6)


def test_branch_and_bound_in_dimension_five_brackets_sampling():
    prob = _problem(5, 60)
    q = np.random.default_rng(3).normal(size=60)
    dense = np.abs(prob.correlation(q, mo.sample_sphere(5, 100000, seed=2))).max()
    res = mo.BranchAndBound(rtol=1e-4).maximize(prob, q)
    assert res.value >= dense * (1 - 1e-3)
    assert res.upper >= dense
    assert res.upper <= res.value * (1 + 1e-4) + 1e-15


def test_branch_and_bound_meets_the_callers_level_tighter_or_looser_than_rtol():
    """``enough`` replaces ``rtol``: a tighter level is met (not rtol's looser one), a looser one saves boxes."""
    prob = _problem(5, 60)
    q = np.random.default_rng(3).normal(size=60)
    slack = mo.oracles.ROUNDING * prob.features.lipschitz_scale(q)
    loose = mo.BranchAndBound(rtol=1e-3)
    alone = loose.maximize(prob, q)
    assert alone.upper > alone.value * (1 + 5e-4)  # rtol alone stops well above the tight level below
    tight = loose.maximize(prob, q, enough=lambda value: value * (1 + 1e-4))
    assert not tight.exhausted and tight.upper <= tight.value * (1 + 1e-4) + slack
    assert tight.upper >= alone.value and tight.value >= alone.value * (1 - 1e-12)
    strict = mo.BranchAndBound(rtol=1e-6)
    exact = strict.maximize(prob, q)
    boxes_strict = strict.last_stats["boxes"]
    relaxed = strict.maximize(prob, q, enough=lambda value: value * (1 + 1e-4))
    assert relaxed.upper <= relaxed.value * (1 + 1e-4) + slack and relaxed.upper >= exact.value
    assert strict.last_stats["boxes"] < boxes_strict / 2


def test_budget_keeps_the_bound_valid():
    prob = _problem(3, 40)
    q = np.random.default_rng(0).normal(size=40)
    exact = mo.ArrangementOracle().maximize(prob, q).value
    oracle = mo.BranchAndBound(rtol=1e-12, max_boxes=200)
    res = oracle.maximize(prob, q)
    assert oracle.last_stats["exhausted"]
    assert res.upper >= exact


def test_continuous_gap_is_valid_for_random_measures():
    """gap >= J(mu) - J* for arbitrary measures, with J* from ExactReLU."""
    import solvers

    data = mo.teacher_student(n=25, d=3, m=2, seed=5, noise=0.05)
    prob = mo.BLASSO(data.X, data.y, reg=1e-2)
    optimum = solvers.ExactReLU().solve(prob).objective
    rng = np.random.default_rng(0)
    for _ in range(20):
        k = rng.integers(1, 6)
        mu = mo.DiscreteMeasure(rng.normal(scale=0.5, size=k), mo.sample_sphere(3, k, seed=rng))
        cert = prob.dual_certificate(mu)
        assert cert.scope == "sphere"
        assert cert.gap >= prob.objective(mu) - optimum - 1e-12
        assert cert.dual <= optimum + 1e-12


def test_exact_oracle_rejects_bad_input():
    prob = _problem(3, 20, activation="sigmoid")
    with pytest.raises(ValueError, match="ReLU activation only"):
        mo.ArrangementOracle().maximize(prob, np.ones(20))
    prob = _problem(4, 20)
    with pytest.raises(ValueError, match="d = 2 or 3; got d = 4"):
        mo.ArrangementOracle().maximize(prob, np.ones(20))
    X = np.array([[1.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # parallel rows: valid, handled
    prob = mo.BLASSO(X, np.ones(3), reg=0.1)
    np.testing.assert_allclose(mo.ArrangementOracle().maximize(prob, np.ones(3)).value, np.sqrt(10) / 3)
    with pytest.raises(ValueError, match=r"q must have shape \(3,\)"):
        mo.ArrangementOracle().maximize(prob, np.ones(4))
    with pytest.raises(ValueError, match="rtol > 0 or atol > 0"):
        mo.BranchAndBound(rtol=0.0)


def test_certified_oracle_choice():
    assert isinstance(mo.certified_oracle(_problem(2, 30)), mo.ArrangementOracle)
    assert isinstance(mo.certified_oracle(_problem(5, 30)), mo.BranchAndBound)
    assert isinstance(mo.certified_oracle(_problem(3, 30, activation="tanh")), mo.BranchAndBound)


def test_precertificate_interpolates_and_reports():
    data = mo.teacher_student(n=100, d=3, m=2, seed=0)
    prob = mo.BLASSO(data.X, data.y, reg=1e-3)
    pc = mo.precertificate(prob, data.teacher, grid=5000)
    np.testing.assert_allclose(pc.eta_support, np.sign(data.teacher.weights), atol=1e-10)
    assert pc.residual < 1e-10
    # ReLU: within a cell eta is <theta, g> on the sphere, whose Hessian at its max is -eta = -1
    np.testing.assert_allclose(pc.hessian_eigenvalues, -1.0, atol=1e-8)
    # zero tangent gradient: eta_V is stationary at the atoms (finite differences)
    theta = data.teacher.support[0]
    step = 1e-6 * mo.tangent_project(theta[None], np.random.default_rng(0).normal(size=(1, 3)))[0]
    up = mo.retract(theta[None], step[None])[0]
    eta = lambda t: prob.activation(t @ prob.X.T) @ pc.p / prob.n_samples
    assert abs(eta(up) - eta(theta)) < 1e-9
    assert pc.sup_upper >= np.abs(pc.eta_support).max() - 1e-12
    assert isinstance(pc.nondegenerate, bool)
    with pytest.raises(ValueError, match="nonzero weights"):
        mo.precertificate(prob, mo.DiscreteMeasure.zero(3))


def test_recovery_report():
    teacher = mo.DiscreteMeasure([1.0, 2.0], np.eye(3)[:2])
    near = mo.retract(np.eye(3)[:1], np.array([[0.0, 0.0, 0.01]]))
    mu = mo.DiscreteMeasure([0.5, 0.5, 2.0, 0.1], np.vstack([near, np.eye(3)[:1], np.eye(3)[1:2], np.eye(3)[2:3]]))
    rec = mo.recovery(mu, teacher, radius=0.05)
    np.testing.assert_allclose(rec.captured, [1.0, 1.0])
    np.testing.assert_allclose(rec.mass_elsewhere, 0.1 / 3.1)
    np.testing.assert_allclose(rec.distance, [0.005, 0.0], atol=1e-12)
    assert not rec.recovered()  # 3.2% of the mass is elsewhere
    with pytest.raises(ValueError, match="radius"):
        mo.recovery(mu, teacher, radius=-1)


@pytest.mark.parametrize("activation", ["relu", "step"])
def test_exact_oracle_on_degenerate_circle_data(activation):
    """D = 2 needs no general position: antipodal pairs (sphere_grid has them), a duplicated row."""
    grid = mo.sphere_grid(2, 40, seed=0)
    X = np.vstack([grid, grid[:3], 2.0 * grid[5:6]])
    rng = np.random.default_rng(0)
    prob = mo.BLASSO(X, rng.standard_normal(len(X)), reg=0.1, activation=activation)
    theta = np.linspace(0, 2 * np.pi, 400_001)
    dense_dirs = np.c_[np.cos(theta), np.sin(theta)]
    for _ in range(4):
        q = rng.standard_normal(len(X))
        res = mo.ArrangementOracle().maximize(prob, q)
        dense = np.abs(prob.correlation(q, dense_dirs)).max()
        assert res.upper >= dense  # a certified bound
        np.testing.assert_allclose(res.value, dense, rtol=1e-5)  # dense sampling is a lower bound, close
        np.testing.assert_allclose(abs(prob.correlation(q, res.argmax[None])[0]), res.value, rtol=1e-12)
    # the whole solve no longer stops on such data
    res = solvers.SlidingFrankWolfe().solve(prob)
    assert res.gap_scope == "sphere" and np.isfinite(res.dual_gap)


def test_budget_exhausted_bound_is_valid_and_flagged():
    """A budget that runs out still gives a sound bracket, flagged as not tight (issue 11, item 3)."""
    import time

    data = mo.teacher_student(n=25, d=3, m=2, seed=5, noise=0.05)
    prob = mo.BLASSO(data.X, data.y, reg=1e-2)
    optimum = solvers.ExactReLU().solve(prob).objective
    rng = np.random.default_rng(1)
    for oracle in (mo.BranchAndBound(max_boxes=40), mo.BranchAndBound(max_time=1e-9),
                   mo.ArrangementOracle(chunk=1, max_time=1e-9)):
        for _ in range(5):
            mu = mo.DiscreteMeasure(rng.normal(scale=0.5, size=3), mo.sample_sphere(3, 3, seed=rng))
            cert = prob.dual_certificate(mu, oracle, tol=0.0, precision=0.0)  # ask for the exact sup
            assert cert.exhausted
            assert cert.gap >= prob.objective(mu) - optimum - 1e-12
            lo, hi = cert.bracket
            assert lo <= optimum + 1e-12 and hi == cert.primal
            assert "budget exhausted; best direction" in cert.describe()
    full = prob.dual_certificate(mu)
    assert not full.exhausted and "budget" not in full.describe()
    # a time budget bounds the wall time at d = 20, and the bracket is still sound
    big = mo.teacher_student(n=500, d=20, m=3, seed=0)
    prob = mo.BLASSO(big.X, big.y, reg=1e-3)
    mu = mo.DiscreteMeasure(rng.normal(size=10), mo.sample_sphere(20, 10, seed=rng))
    start = time.perf_counter()
    cert = prob.dual_certificate(mu, max_time=0.5, precision=0.0)
    assert time.perf_counter() - start < 10.0
    assert cert.exhausted and cert.sup_eta_upper >= cert.sup_eta
    q = prob.residual(mu)
    assert cert.sup_eta_upper * prob.reg >= mo.LocalOracle().maximize(prob, q).value
    with pytest.raises(ValueError, match="max_time"):
        mo.BranchAndBound(max_time=-1.0)
    with pytest.raises(ValueError, match="engine must be"):
        mo.BranchAndBound(engine="fortran")


ENGINES = ["numpy"] + (["numba"] if HAVE_NUMBA else [])


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("n_enumerate", [0, 2, 6])
def test_relu_cap_bound_is_sound_on_sampled_caps(n_enumerate, engine):
    """Per cap: the enumerated/secant bound is above c_q at every sampled point of the cap, both signs.

    The compiled engine gives the NumPy engine's bound (the same terms are enumerated unless two tie), and a
    sign flagged dead gets -inf.
    """
    from measureopt.oracles._branch_and_bound import _relu_cap_bounds

    caps = _relu_cap_bounds if engine == "numpy" else relu_cap_bounds_compiled
    rng = np.random.default_rng(n_enumerate)
    for d, n in ((3, 30), (5, 60)):
        X = rng.standard_normal((n, d))
        X[0] = 0.0  # a zero row
        X[1] = -2.0 * X[2]  # an antipodal pair
        xnorm = np.linalg.norm(X, axis=1)
        for q in (rng.standard_normal(n), np.abs(rng.standard_normal(n)), -np.abs(rng.standard_normal(n))):
            centers = mo.sample_sphere(d, 200, seed=rng)
            rho = rng.uniform(0.01, 1.0, 200)
            alive = np.ones((200, 2), dtype=bool)
            value, bounds = caps(X, q, centers, rho, xnorm, n_enumerate, alive)
            bound = bounds.max(axis=1)
            np.testing.assert_allclose(value, np.maximum(centers @ X.T, 0) @ q / n, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(bounds, _relu_cap_bounds(X, q, centers, rho, xnorm, n_enumerate, alive)[1],
                                       rtol=1e-12, atol=1e-15)
            alive[::3, 0] = alive[1::3, 1] = False
            np.testing.assert_array_equal(caps(X, q, centers, rho, xnorm, n_enumerate, alive)[1],
                                          np.where(alive, bounds, -np.inf))
            # points of each cap: geodesics from the centre, uniform angle up to rho
            tang = mo.tangent_project(np.repeat(centers, 300, axis=0), rng.standard_normal((200 * 300, d)))
            tang /= np.linalg.norm(tang, axis=1, keepdims=True)
            angle = np.repeat(rho, 300) * rng.uniform(0, 1, 200 * 300) ** (1 / (d - 1))
            pts = np.cos(angle)[:, None] * np.repeat(centers, 300, axis=0) + np.sin(angle)[:, None] * tang
            sampled = np.abs(np.maximum(pts @ X.T, 0) @ q / n).reshape(200, 300).max(axis=1)
            assert np.all(sampled <= bound + 1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_branch_and_bound_sound_on_one_signed_residuals(engine):
    """One-signed q (the near-optimal case) and mixed q: the bound holds against the exact sup (d = 3)."""
    rng = np.random.default_rng(3)
    data = mo.teacher_student(n=40, d=3, m=2, seed=2)
    prob = mo.BLASSO(data.X, data.y, reg=1e-3)
    for q in (np.abs(rng.standard_normal(40)), rng.standard_normal(40), -np.abs(rng.standard_normal(40)) + 0.1):
        exact = mo.ArrangementOracle().maximize(prob, q)
        for ne in (0, 4):
            bb = mo.BranchAndBound(rtol=1e-7, n_enumerate=ne, engine=engine).maximize(prob, q)
            assert bb.upper >= exact.value
            assert bb.value <= exact.upper
            np.testing.assert_allclose(bb.upper, exact.value, rtol=2e-7)


def test_relu_spectral_bound_is_sound_and_caps_the_budget_bracket():
    """The closed-form global bound is above the exact sup (d = 3) and caps a budget-limited bracket (d = 12)."""
    from measureopt.oracles._branch_and_bound import relu_spectral_bound

    rng = np.random.default_rng(4)
    prob = _problem(3, 40)
    for q in (rng.normal(size=40), np.abs(rng.normal(size=40)), -np.abs(rng.normal(size=40))):
        exact = mo.ArrangementOracle().maximize(prob, q).value
        assert relu_spectral_bound(prob.features.inputs, q) >= exact
    prob = _problem(12, 300)
    q = rng.normal(size=300) + 0.5
    spectral = relu_spectral_bound(prob.features.inputs, q)
    res = mo.BranchAndBound(rtol=1e-8, max_time=0.5).maximize(prob, q)
    assert res.exhausted and res.value <= res.upper <= spectral * (1 + 1e-9)
    dense = np.abs(prob.correlation(q, mo.sample_sphere(12, 20000, seed=1))).max()
    assert res.upper >= dense
