"""Variation-norm ERM (Berthier 2018): the protocol's losses, forms, certificates and solvers.

References are independent of the code under test: BLASSO on explicitly lifted
data, a CVXPY model written here on a fine grid of the circle, brute-force
enumeration of the circle's cells, numerical conjugates.
"""

import warnings

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

import measureopt as mo
import solvers

pytestmark = pytest.mark.filterwarnings("ignore::measureopt.ConvergenceWarning")


def one_d(n=40, seed=0, labels=True):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, (n, 1))
    score = np.sin(2 * X[:, 0]) + 0.3 * rng.standard_normal(n)
    return X, (np.where(score > 0, 1.0, -1.0) if labels else score)


def random_measure(D, k, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    return mo.DiscreteMeasure(scale * rng.standard_normal(k), mo.sample_sphere(D, k, seed=rng))


# ------------------------------------------------------------------ losses
@pytest.mark.parametrize("loss", [mo.SquaredLoss(), mo.LogisticLoss()])
def test_loss_derivatives_and_conjugate(loss):
    rng = np.random.default_rng(0)
    y = rng.choice([-1.0, 1.0], 7)
    f = rng.standard_normal(7)
    h = 1e-6
    np.testing.assert_allclose(loss.derivative(f, y), (loss.value(f + h, y) - loss.value(f - h, y)) / (2 * h),
                               rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(loss.second_derivative(f, y),
                               (loss.derivative(f + h, y) - loss.derivative(f - h, y)) / (2 * h), rtol=1e-6, atol=1e-8)
    # Fenchel-Young equality at s = l'(f): l(f) + l*(s) = s f
    s = loss.derivative(f, y)
    np.testing.assert_allclose(loss.value(f, y) + loss.conjugate(s, y), s * f, rtol=1e-12, atol=1e-14)
    # the conjugate against a numerical sup_f s f - l(f)
    for si, yi in zip(0.8 * s, y):
        best = minimize_scalar(lambda t: -(si * t - loss.value(t, yi)), bounds=(-60, 60), method="bounded",
                               options={"xatol": 1e-12})
        np.testing.assert_allclose(loss.conjugate(si, yi), -best.fun, atol=1e-8)


def test_logistic_conjugate_domain():
    loss = mo.LogisticLoss()
    assert loss.conjugate(0.5, 1.0) == np.inf  # p = -s y = -0.5 outside [0, 1]
    np.testing.assert_allclose(loss.conjugate([0.0, -1.0], 1.0), 0.0, atol=1e-15)


# ------------------------------------------------------------------ the problem
def test_squared_relu_penalized_is_blasso_on_lifted_data():
    X, y = one_d(labels=False)
    vn = mo.VariationNormERM(X, y, loss="squared", alpha=1, reg=1e-2)
    bl = mo.BLASSO(mo.lift(X), y, reg=1e-2)
    assert vn.dim == bl.dim == 2
    thetas = mo.sphere_grid(2, 50, seed=1)
    oracle = mo.GridOracle(thetas)
    for seed in range(3):
        mu = random_measure(2, 5, seed)
        np.testing.assert_allclose(vn.predict(mu), bl.predict(mu), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(vn.objective(mu), bl.objective(mu), rtol=1e-12)
        np.testing.assert_allclose(vn.certificate(mu, thetas), bl.certificate(mu, thetas), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(vn.duality_gap(mu), bl.duality_gap(mu), rtol=1e-12)
        np.testing.assert_allclose(vn.duality_gap(mu, oracle), bl.duality_gap(mu, oracle), rtol=1e-12)
    # new inputs are lifted by the problem
    Xt = np.array([[0.3], [-1.2]])
    mu = random_measure(2, 4, 9)
    np.testing.assert_allclose(vn.predict(mu, Xt), bl.predict(mu, mo.lift(Xt)), rtol=1e-12)


def test_bad_input_is_named():
    X, y = one_d()
    with pytest.raises(ValueError, match=r"labels in \{-1, \+1\} for the logistic loss.*0\.5"):
        mo.VariationNormERM(X, np.full(len(y), 0.5), loss="logistic", reg=1e-2)
    with pytest.raises(ValueError, match="2 \\* y - 1"):
        mo.VariationNormERM(X, (y + 1) / 2, loss="logistic", reg=1e-2)
    with pytest.raises(ValueError, match="exactly one of reg .* and radius .*; got both"):
        mo.VariationNormERM(X, y, reg=1e-2, radius=1.0)
    with pytest.raises(ValueError, match="exactly one of reg .* and radius .*; got neither"):
        mo.VariationNormERM(X, y)
    with pytest.raises(ValueError, match=r"alpha must be one of \(0, 1, 2\); got 3"):
        mo.VariationNormERM(X, y, alpha=3, reg=1e-2)
    with pytest.raises(ValueError, match="loss must be one of .*; got 'hinge'"):
        mo.VariationNormERM(X, y, loss="hinge", reg=1e-2)
    with pytest.raises(ValueError, match="radius must be"):
        mo.VariationNormERM(X, y, radius=-1.0)
    prob = mo.VariationNormERM(X, y, radius=1.0)
    with pytest.raises(AttributeError, match="constrained form .* has no reg"):
        prob.reg


def test_incompatible_solvers_name_the_capability():
    X, y = one_d()
    logistic = mo.VariationNormERM(X, y, loss="logistic", reg=1e-2)
    constrained = mo.VariationNormERM(X, y, radius=2.0)
    with pytest.raises(mo.IncompatibleSolverError, match="ExactReLU .* needs the squared loss.*ReLU features; got loss 'logistic'"):
        solvers.ExactReLU().solve(logistic)
    with pytest.raises(mo.IncompatibleSolverError, match=r"ParticleGD needs .*penalized form \(TV\); got penalty TVBall"):
        solvers.ParticleGD(width=4, max_iter=1).solve(constrained)
    with pytest.raises(mo.IncompatibleSolverError, match="NormDependentGD .* needs the squared loss"):
        solvers.NormDependentGD(width=4, max_iter=1).solve(logistic)
    with pytest.raises(mo.IncompatibleSolverError, match="needs a problem with features, a loss and a penalty"):
        solvers.FrankWolfe().solve(object())


# ------------------------------------------------------------------ certificates
@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("form", ["reg", "radius"])
def test_certified_gap_bounds_suboptimality_of_random_measures(loss, form):
    X, y = one_d(n=30, seed=1, labels=True)
    kw = {"reg": 2e-2} if form == "reg" else {"radius": 2.0}
    prob = mo.VariationNormERM(X, y, loss=loss, **kw)
    ref = solvers.SlidingFrankWolfe().solve(prob)
    assert ref.status == "optimal" and ref.gap_scope == "sphere"
    lower = ref.objective - ref.dual_gap  # J* >= this
    for seed in range(6):
        mu = random_measure(2, 4, seed, scale=0.3)
        if form == "radius":
            mu = mu * (1.5 / mu.total_variation)  # inside the ball
        cert = prob.dual_certificate(mu)
        assert cert.scope == "sphere"
        assert cert.dual <= ref.objective + 1e-10  # weak duality against a feasible primal point
        assert cert.gap >= prob.objective(mu) - ref.objective - 1e-10  # gap >= J(mu) - J* >= J(mu) - J(ref)
        assert cert.primal - cert.gap <= ref.objective + 1e-10
        assert lower <= ref.objective
    outside = random_measure(2, 3, 0) * 10.0
    if form == "radius":
        assert prob.objective(outside) == np.inf


def test_constrained_gap_is_the_certified_frank_wolfe_gap():
    X, y = one_d(n=30, seed=2)
    prob = mo.VariationNormERM(X, y, loss="logistic", radius=1.5)
    mu = random_measure(2, 3, 4) * 0.2
    f = prob.predict(mu)
    g = mo.LogisticLoss().derivative(f, y)
    oracle = mo.ArrangementOracle()
    sup = oracle.maximize(prob, -g).upper
    fw_gap = g @ f / len(y) + prob.radius * sup  # Berthier Sec. 4.1 gap with a certified sup
    np.testing.assert_allclose(prob.duality_gap(mu, oracle), fw_gap, rtol=1e-10)


# ------------------------------------------------------------------ 1-D optima against an independent CVXPY grid
def _cvxpy_grid_objective(prob, K=4000):
    import cvxpy as cp

    theta = np.linspace(0, 2 * np.pi, K, endpoint=False)
    grid = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    Xl = np.hstack([prob.X, np.ones((prob.n_samples, 1))])
    Phi = np.maximum(Xl @ grid.T, 0.0)
    r = cp.Variable(K)
    f = Phi @ r
    n = prob.n_samples
    if prob.loss == "logistic":
        data = cp.sum(cp.logistic(-cp.multiply(prob.y, f))) / n
    else:
        data = cp.sum_squares(f - prob.y) / (2 * n)
    if prob.penalized:
        model = cp.Problem(cp.Minimize(data + prob.reg * cp.norm1(r)))
    else:
        model = cp.Problem(cp.Minimize(data), [cp.norm1(r) <= prob.radius])
    model.solve(solver="CLARABEL")
    w = r.value
    if not prob.penalized:  # stay feasible after rounding
        w = w * min(1.0, prob.radius / np.abs(w).sum())
    fw = Phi @ w
    value = prob.loss.mean(fw, prob.y) + (prob.reg * np.abs(w).sum() if prob.penalized else 0.0)
    return value


@pytest.mark.parametrize("case", ["logistic-penalized", "squared-constrained"])
def test_one_d_optimum_against_a_fine_cvxpy_grid(case):
    X, y = one_d(n=40, seed=0, labels=True)
    if case == "logistic-penalized":
        prob = mo.VariationNormERM(X, y, loss="logistic", reg=1e-2)
    else:
        prob = mo.VariationNormERM(X, y, loss="squared", radius=3.0)
    res = solvers.SlidingFrankWolfe().solve(prob)
    assert res.status == "optimal" and res.gap_scope == "sphere", res.message
    grid_value = _cvxpy_grid_objective(prob)
    assert grid_value >= res.objective - 1e-9  # the grid cannot beat the certified continuous optimum
    assert res.dual_gap >= res.objective - grid_value - 1e-12
    assert res.relative_gap <= 1e-6
    np.testing.assert_allclose(res.objective, grid_value, rtol=1e-4)


@pytest.mark.parametrize("loss, form", [("logistic", {"reg": 1e-2}), ("squared", {"radius": 3.0}),
                                        ("logistic", {"radius": 3.0})])
def test_frank_wolfe_both_forms_certified(loss, form):
    X, y = one_d(n=40, seed=0)
    prob = mo.VariationNormERM(X, y, loss=loss, **form)
    ref = solvers.SlidingFrankWolfe().solve(prob)
    res = solvers.FrankWolfe(corrective=True, max_iter=200).solve(prob)
    assert res.status == "optimal" and res.gap_scope == "sphere", res.message
    np.testing.assert_allclose(res.objective, ref.objective, rtol=1e-5)
    # both certify the same optimum: J(res) - gap(res) <= J* <= J(ref), and the other way round
    assert res.objective - res.dual_gap <= ref.objective + 1e-12
    assert ref.objective - ref.dual_gap <= res.objective + 1e-12


@pytest.mark.parametrize("step", ["line_search", "open_loop"])
def test_plain_frank_wolfe_logistic_descends_and_gap_bounds(step):
    X, y = one_d(n=30, seed=3)
    prob = mo.VariationNormERM(X, y, loss="logistic", radius=2.0)
    res = solvers.FrankWolfe(step_rule=step, max_iter=60).solve(prob)
    obj = res.history["objective"]
    if step == "line_search":
        assert np.all(np.diff(obj) <= 1e-12)  # exact line search never increases F
    # the Frank-Wolfe gap recorded in the history bounds the distance to the optimum
    best = solvers.SlidingFrankWolfe().solve(prob)
    assert np.all(res.history["fw_gap"] >= obj - best.objective - 1e-9)
    assert res.measure.total_variation <= prob.radius * (1 + 1e-9)


def test_gridconvex_logistic_and_constrained_agree_with_sliding():
    X, y = one_d(n=40, seed=0)
    for form in ({"reg": 1e-2}, {"radius": 3.0}):
        prob = mo.VariationNormERM(X, y, loss="logistic", **form)
        grid = solvers.GridConvex(grid=2000).solve(prob)
        off = solvers.SlidingFrankWolfe().solve(prob)
        assert grid.gap_scope == "grid"
        assert grid.objective >= off.objective - 1e-9
        np.testing.assert_allclose(grid.objective, off.objective, rtol=1e-4)


# ------------------------------------------------------------------ step features
def _brute_force_circle_sup(features, q):
    """sup |c_q| on the circle for step features: evaluate c_q at the midpoint of every arc between cuts."""
    Xl = features.inputs
    normals = np.concatenate([np.stack([-Xl[:, 1], Xl[:, 0]], 1), np.stack([Xl[:, 1], -Xl[:, 0]], 1)])
    angles = np.sort(np.mod(np.arctan2(normals[:, 1], normals[:, 0]), 2 * np.pi))
    mids = (angles + np.roll(angles, -1) + np.r_[np.zeros(len(angles) - 1), 2 * np.pi]) / 2
    pts = np.stack([np.cos(mids), np.sin(mids)], 1)
    return np.max(np.abs((Xl @ pts.T > 0).T @ q / len(q)))


def test_step_features_exact_on_the_arrangement():
    X, y = one_d(n=25, seed=4)
    prob = mo.VariationNormERM(X, y, loss="logistic", alpha=0, reg=1e-2)
    assert isinstance(prob.default_oracle(), mo.ArrangementOracle)
    rng = np.random.default_rng(0)
    for _ in range(5):
        q = rng.standard_normal(25)
        res = mo.ArrangementOracle().maximize(prob, q)
        exact = _brute_force_circle_sup(prob.features, q)
        np.testing.assert_allclose(res.value, exact, rtol=1e-12)
        assert res.upper >= exact
        np.testing.assert_allclose(abs(prob.correlation(q, res.argmax[None])[0]), res.value, rtol=1e-12)


def test_step_features_in_three_dimensions_beat_sampling():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((30, 2))
    y = np.where(X[:, 0] * X[:, 1] > 0, 1.0, -1.0)
    prob = mo.VariationNormERM(X, y, loss="squared", alpha=0, reg=1e-2)
    q = rng.standard_normal(30)
    res = mo.ArrangementOracle().maximize(prob, q)
    sampled = np.abs(prob.correlation(q, mo.sample_sphere(3, 200_000, seed=2))).max()
    assert res.upper >= sampled - 1e-15
    np.testing.assert_allclose(res.value, res.upper, rtol=1e-9)
    np.testing.assert_allclose(abs(prob.correlation(q, res.argmax[None])[0]), res.value, rtol=1e-12)


# ------------------------------------------------------------------ particles with the logistic loss
@pytest.mark.parametrize("solver", [
    solvers.ParticleGD(width=20, max_iter=300, certify=False, tol=None),
    solvers.NoisyParticleGD(width=20, max_iter=300, noise=1e-6, certify=False, tol=None),
    solvers.ConicParticleGD(width=20, max_iter=300, certify=False, tol=None),
])
@pytest.mark.parametrize("activation", [None, "sigmoid"])
def test_particles_logistic_network_objective_upper_bounds_J(solver, activation):
    X, y = one_d(n=30, seed=5)
    prob = mo.VariationNormERM(X, y, loss="logistic", reg=1e-2, activation=activation)
    res = solver.solve(prob)
    assert np.isfinite(res.objective)
    assert res.stats["network_objective"] >= res.objective - 1e-12
    np.testing.assert_allclose(res.history["objective"][-1], res.objective, rtol=1e-10)
    assert res.objective < prob.objective(mo.DiscreteMeasure.zero(2))  # it learned something


def test_crosscheck_accepts_any_measure_problem():
    X, y = one_d(n=30, seed=6)
    prob = mo.VariationNormERM(X, y, loss="logistic", radius=2.0)
    ref = solvers.SlidingFrankWolfe().solve(prob)
    report = mo.crosscheck(ref, prob, reference=ref)
    assert report.gap_scope == "sphere"
    np.testing.assert_allclose(report.objective, ref.objective, rtol=1e-12)
    assert report.w2_reference == 0.0


def test_result_gap_scope_field_and_repr():
    X, y = one_d(n=20, seed=7)
    prob = mo.VariationNormERM(X, y, loss="logistic", reg=5e-2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = solvers.FrankWolfe(max_iter=5).solve(prob)
    assert res.gap_scope == res.stats["gap_scope"] == "sphere"
    for name in ("step_rule", "corrective", "max_iter", "tol", "oracle", "certificate_oracle", "verbose"):
        assert f"{name}=" in repr(solvers.FrankWolfe())
