"""Kernel machines (solvers.kernel_machines): kernel ridge, random features, regularized NTK, F2.

References: scikit-learn's KernelRidge with ``alpha = reg * n`` (the same
solution under the mean, halved squared loss), the primal/dual identity of
FDZ eq. (4)-(5), a direct minimization of FDZ's objective (14), and the
random-feature limit of Berthier's F2 kernel.
"""

import warnings
from functools import partial

import numpy as np
import pytest
from scipy.linalg import LinAlgError, LinAlgWarning
from scipy.sparse.linalg import cg

from measureopt import sample_sphere
from measureopt.kernels import arccos_kernel, f2_kernel, ntk_kernels, ntk_kernels_finite, random_feature_kernel
from solvers import F2KernelRidge, KernelRidge, RandomFeatureRegression, RegularizedNTK
from solvers import NotFittedError
from solvers.kernel_machines._core import _ridge_solve

N, D = 30, 3


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, D))
    Xt = rng.standard_normal((12, D))
    Y = np.column_stack([np.sin(X[:, 0]), np.abs(X[:, 1]), X[:, 2] ** 2]) + 0.1 * rng.standard_normal((N, 3))
    return X, Xt, Y


def _sklearn_ridge(K, Kt, y, reg):
    sk = pytest.importorskip("sklearn.kernel_ridge")
    model = sk.KernelRidge(kernel="precomputed", alpha=reg * len(K)).fit(K, y)
    return model.dual_coef_, model.predict(Kt)


def _rel(a, b):
    return np.max(np.abs(a - b)) / np.max(np.abs(b))


# ----------------------------------------------------------------------------- KernelRidge
@pytest.mark.parametrize("ycols", [None, 3])
@pytest.mark.parametrize("reg", [1e-4, 1e-1])
def test_kernel_ridge_matches_sklearn(data, ycols, reg):
    X, Xt, Y = data
    y = Y[:, 0] if ycols is None else Y
    K, Kt = arccos_kernel(X), arccos_kernel(Xt, X)
    ref_beta, ref_pred = _sklearn_ridge(K, Kt, y, reg)

    pre = KernelRidge(reg=reg).fit(K, y)
    call = KernelRidge(reg=reg, kernel=arccos_kernel).fit(X, y)
    for model, test in ((pre, Kt), (call, Xt)):
        assert model.dual_coef_.shape == y.shape
        np.testing.assert_allclose(model.dual_coef_, ref_beta, rtol=1e-10, atol=1e-10 * np.abs(ref_beta).max())
        pred = model.predict(test)
        assert pred.shape == (len(Xt),) + y.shape[1:]
        np.testing.assert_allclose(pred, ref_pred, rtol=1e-10, atol=1e-10 * np.abs(ref_pred).max())
    assert pre.X_fit_ is not None and call.X_fit_.shape == X.shape


def test_kernel_ridge_optimality_and_score(data):
    # (K + reg n I) beta = Y, i.e. the mean-halved-loss gradient vanishes; score is sklearn's R^2.
    X, Xt, Y = data
    reg = 1e-2
    model = KernelRidge(reg=reg, kernel=arccos_kernel).fit(X, Y)
    K = arccos_kernel(X)
    np.testing.assert_allclose(K @ model.dual_coef_ + reg * N * model.dual_coef_, Y, atol=1e-10)
    metrics = pytest.importorskip("sklearn.metrics")
    np.testing.assert_allclose(model.score(X, Y), metrics.r2_score(Y, model.predict(X)), rtol=1e-12)
    one = KernelRidge(reg=reg, kernel=arccos_kernel).fit(X, Y[:, 1])
    np.testing.assert_allclose(one.score(Xt, Y[:12, 1]), metrics.r2_score(Y[:12, 1], one.predict(Xt)), rtol=1e-12)
    with pytest.raises(ValueError, match=r"y must have shape \(30, 3\)"):
        model.score(X, Y[:, 1])


def test_kernel_ridge_params_and_repr():
    model = KernelRidge(reg=0.5, kernel=arccos_kernel)
    assert model.get_params() == {"reg": 0.5, "kernel": arccos_kernel}
    assert model.set_params(reg=2.0) is model and model.reg == 2.0
    assert "KernelRidge(reg=2.0, kernel=arccos_kernel)" == repr(model)
    with pytest.raises(ValueError, match="invalid parameter 'alpha'"):
        model.set_params(alpha=1.0)


def test_reg_zero_interpolates_and_indefinite_kernel():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((10, 3))
    y = rng.standard_normal(10)
    K = arccos_kernel(X)
    np.testing.assert_allclose(KernelRidge(reg=0.0).fit(K, y).predict(K), y, atol=1e-8)
    # An indefinite "kernel": reg=0 raises; reg > 0 warns and solves the symmetric system.
    S = K - 2 * np.eye(10) * np.linalg.eigvalsh(K).max()
    with pytest.raises(LinAlgError, match="reg > 0"):
        KernelRidge(reg=0.0).fit(S, y)
    with pytest.warns(LinAlgWarning, match="smallest eigenvalue"):
        beta = KernelRidge(reg=1e-3).fit(S, y).dual_coef_
    np.testing.assert_allclose((S + 1e-3 * 10 * np.eye(10)) @ beta, y, atol=1e-10)


def test_bad_input(data):
    X, Xt, Y = data
    K = arccos_kernel(X)
    with pytest.raises(ValueError, match="reg"):
        KernelRidge(reg=-1.0).fit(K, Y)
    with pytest.raises(ValueError, match="reg"):
        F2KernelRidge(reg=-1e-3).fit(X, Y)
    with pytest.raises(ValueError, match="reg"):
        RandomFeatureRegression(10, reg=-1.0).fit(X, Y)
    with pytest.raises(ValueError, match="square"):
        KernelRidge().fit(K[:, :-1], Y)
    with pytest.raises(ValueError, match="symmetric"):
        KernelRidge().fit(K + np.triu(np.ones_like(K)), Y)
    # a tiny asymmetry (quadrature error) is symmetrized, not rejected
    tiny = 1e-7 * np.triu(np.ones_like(K))
    np.testing.assert_allclose(KernelRidge().fit(K + tiny, Y).dual_coef_,
                               KernelRidge().fit(K + 0.5 * (tiny + tiny.T), Y).dual_coef_, rtol=1e-12)
    with pytest.raises(ValueError, match=r"y must have n_samples=30 rows"):
        KernelRidge().fit(K, Y[:-1])
    with pytest.raises(ValueError, match=r"y must have n_samples=30 rows"):
        RandomFeatureRegression(10).fit(X, Y[:-1])
    with pytest.raises(ValueError, match="y must have shape"):
        KernelRidge().fit(K, Y[:, :, None])
    with pytest.raises(ValueError, match="kernel must be 'precomputed' or a callable"):
        KernelRidge(kernel="rbf").fit(X, Y)
    fitted = KernelRidge().fit(K, Y)
    with pytest.raises(ValueError, match=r"K_test must have shape \(n_test, 30\); got \(12, 29\)"):
        fitted.predict(arccos_kernel(Xt, X[:-1]))
    with pytest.raises(ValueError, match=r"X must have shape \(n_test, 3\)"):
        F2KernelRidge().fit(X, Y).predict(Xt[:, :2])
    for model, test in ((KernelRidge(), K), (F2KernelRidge(), Xt), (RegularizedNTK(), Xt),
                        (RandomFeatureRegression(5), Xt)):
        with pytest.raises(NotFittedError, match="not fitted yet; call fit"):
            model.predict(test)
    with pytest.raises(ValueError, match="solver must be"):
        RandomFeatureRegression(10, solver="svd").fit(X, Y)
    with pytest.raises(ValueError, match="n_features=7 disagrees"):
        RandomFeatureRegression(7, thetas=np.ones((5, D))).fit(X, Y)
    with pytest.raises(ValueError, match=r"thetas must have shape \(n_features, 3\)"):
        RandomFeatureRegression(thetas=np.ones((5, 2))).fit(X, Y)
    with pytest.raises(ValueError, match="thetas and u must be given together"):
        RegularizedNTK(thetas=np.ones((5, D))).fit(X, Y)


# ----------------------------------------------------------------------------- random features
@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("m", [10, 80])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_random_features_primal_equals_dual(data, k, m, activation):
    X, Xt, Y = data
    y = Y[:, 0] if k == 1 else Y
    kw = dict(n_features=m, reg=1e-3, activation=activation, sigma=0.7, random_state=3)
    primal = RandomFeatureRegression(solver="primal", **kw).fit(X, y)
    dual = RandomFeatureRegression(solver="dual", **kw).fit(X, y)
    np.testing.assert_array_equal(primal.thetas_, dual.thetas_)
    assert primal.coef_.shape == (m,) + y.shape[1:] and dual.dual_coef_.shape == y.shape
    # Predictions and u (the representer form, eq. (5): u = sum_i h(x_i) beta_i^T) agree to 1e-8.
    assert _rel(primal.predict(Xt), dual.predict(Xt)) < 1e-8
    assert _rel(primal.coef_, dual.coef_) < 1e-8
    assert _rel(primal.dual_coef_, dual.dual_coef_) < 1e-8
    H = primal.activation_(X @ primal.thetas_.T) / np.sqrt(m)
    assert _rel(H.T @ primal.dual_coef_, primal.coef_) < 1e-8
    # The dual is kernel ridge on K_m = random_feature_kernel, predicting k_m(x, X) beta.
    Km, Kmt = (random_feature_kernel(A, X, thetas=dual.thetas_, activation=activation) for A in (X, Xt))
    beta, pred = _sklearn_ridge(Km, Kmt, y, 1e-3)
    assert _rel(dual.dual_coef_, beta) < 1e-8
    assert _rel(primal.predict(Xt), pred) < 1e-8
    assert RandomFeatureRegression(**kw).fit(X, y).solver_ == ("primal" if m <= N else "dual")


def test_random_features_draws_and_given_thetas(data):
    X, _, Y = data
    a = RandomFeatureRegression(40, sigma=2.0, random_state=0).fit(X, Y)
    expected = 2.0 * np.random.default_rng(0).standard_normal((40, D))
    np.testing.assert_array_equal(a.thetas_, expected)
    b = RandomFeatureRegression(thetas=expected, sigma=99.0).fit(X, Y)
    np.testing.assert_array_equal(b.coef_, a.coef_)
    assert b.thetas is expected and RandomFeatureRegression().fit(X, Y).thetas_.shape == (100, D)


def test_random_features_reg_zero_dual_coef(data):
    X, Xt, Y = data
    model = RandomFeatureRegression(10, reg=0.0, solver="primal", random_state=0).fit(X, Y)
    H = model.activation_(X @ model.thetas_.T) / np.sqrt(10)
    np.testing.assert_allclose(model.coef_, np.linalg.lstsq(H, Y, rcond=None)[0], rtol=1e-8)
    np.testing.assert_allclose(H.T @ model.dual_coef_, model.coef_, rtol=1e-8, atol=1e-10)


# ----------------------------------------------------------------------------- regularized NTK
@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_regularized_ntk_matches_sklearn(data, activation):
    X, Xt, Y = data
    reg = 1e-3
    # The sigmoid kernels come from Gauss-Hermite quadrature, symmetric only to ~1e-8 here (sigma=1,
    # 100 nodes); the estimator symmetrizes K, so sklearn gets the symmetrized K.
    sigma = 1.3 if activation == "relu" else 1.0
    Ku, Kth = ntk_kernels(X, activation=activation, sigma=sigma)
    Ktu, Ktth = ntk_kernels(Xt, X, activation=activation, sigma=sigma)
    K = Ku + Kth
    beta, pred = _sklearn_ridge(0.5 * (K + K.T), Ktu + Ktth, Y, reg)
    model = RegularizedNTK(reg=reg, activation=activation, sigma=sigma).fit(X, Y)
    assert _rel(model.dual_coef_, beta) < 1e-10
    assert _rel(model.predict(Xt), pred) < 1e-10
    # k outputs: the same beta formula column by column (k^theta = scalar * I_k).
    single = RegularizedNTK(reg=reg, activation=activation, sigma=sigma).fit(X, Y[:, 1])
    np.testing.assert_allclose(single.dual_coef_, model.dual_coef_[:, 1], rtol=1e-12)


def test_regularized_ntk_finite_width(data):
    X, Xt, Y = data
    rng = np.random.default_rng(5)
    thetas, u = rng.standard_normal((50, D)), rng.standard_normal(50)
    Ku, Kth = ntk_kernels_finite(X, thetas=thetas, u=u)
    Ktu, Ktth = ntk_kernels_finite(Xt, X, thetas=thetas, u=u)
    beta, pred = _sklearn_ridge(Ku + Kth, Ktu + Ktth, Y[:, 0], 1e-2)
    model = RegularizedNTK(reg=1e-2, thetas=thetas, u=u).fit(X, Y[:, 0])
    assert _rel(model.dual_coef_, beta) < 1e-10
    assert _rel(model.predict(Xt), pred) < 1e-10


def test_regularized_ntk_minimizes_objective_14():
    # Independent check of FDZ's (14) over (beta^u, beta^theta) as two separate unknowns:
    # its gradient vanishes at beta^u = beta^theta = beta, and conjugate gradient on the joint
    # (2n x 2n per output) normal equations finds that same point.
    rng = np.random.default_rng(2)
    n, k, reg = 8, 2, 1e-2
    X = rng.standard_normal((n, 2))
    Y = rng.standard_normal((n, k))
    Ku, Kth = ntk_kernels(X)

    def gradient(bu, bt):
        r = Ku @ bu + Kth @ bt - Y
        return np.vstack([Ku @ (r / n + reg * bu), Kth @ (r / n + reg * bt)])

    beta = RegularizedNTK(reg=reg).fit(X, Y).dual_coef_
    zero = np.zeros((n, k))
    assert np.linalg.norm(gradient(beta, beta)) < 1e-12 * np.linalg.norm(gradient(zero, zero))

    # The objective is the quadratic 1/2 z^T A z - b^T z + const in z = (beta^u, beta^theta).
    A = np.block([[Ku @ Ku / n + reg * Ku, Ku @ Kth / n], [Kth @ Ku / n, Kth @ Kth / n + reg * Kth]])
    b = np.vstack([Ku @ Y / n, Kth @ Y / n])
    for j in range(k):
        z, info = cg(A, b[:, j], rtol=1e-13, maxiter=1000)
        assert info == 0
        np.testing.assert_allclose(z[:n], beta[:, j], rtol=1e-6, atol=1e-6 * np.abs(beta).max())
        np.testing.assert_allclose(z[n:], beta[:, j], rtol=1e-6, atol=1e-6 * np.abs(beta).max())
        f_cg, f = Ku @ z[:n] + Kth @ z[n:], (Ku + Kth) @ beta[:, j]
        np.testing.assert_allclose(f_cg, f, rtol=1e-6, atol=1e-6 * np.abs(f).max())


# ----------------------------------------------------------------------------- F2
@pytest.mark.parametrize("degree", [0, 1, 2])
def test_f2_matches_sklearn(data, degree):
    X, Xt, Y = data
    K, Kt = f2_kernel(X, degree=degree), f2_kernel(Xt, X, degree=degree)
    beta, pred = _sklearn_ridge(K, Kt, Y, 1e-3)
    model = F2KernelRidge(reg=1e-3, degree=degree).fit(X, Y)
    assert _rel(model.dual_coef_, beta) < 1e-10
    assert _rel(model.predict(Xt), pred) < 1e-10
    same = KernelRidge(reg=1e-3, kernel=partial(f2_kernel, degree=degree)).fit(X, Y)
    np.testing.assert_allclose(same.predict(Xt), model.predict(Xt), rtol=1e-12)


def test_f2_is_the_limit_of_sphere_random_features():
    # Random features with directions uniform on S^d and lifted inputs (Berthier, Prop. 2.1,
    # with the 1/m his L136 drops) approach the F2 ridge predictor at rate O(1/sqrt(m)).
    rng = np.random.default_rng(0)
    n, d, reg = 20, 2, 1e-2
    X, Xt = rng.standard_normal((n, d)), rng.standard_normal((15, d))
    y = np.abs(X[:, 0]) + 0.1 * rng.standard_normal(n)
    lift = lambda Z: np.column_stack([Z, np.ones(len(Z))])  # noqa: E731
    ref = F2KernelRidge(reg=reg).fit(X, y).predict(Xt)
    rms = {}
    for m in (400, 6400, 102400):
        errs = [_rel(RandomFeatureRegression(reg=reg, thetas=sample_sphere(d + 1, m, seed=s), solver="dual")
                     .fit(lift(X), y).predict(lift(Xt)), ref) for s in range(6)]
        rms[m] = np.sqrt(np.mean(np.square(errs)))
    # err * sqrt(m) stays bounded (observed ~1-2), and a 256x larger m gives a >= 4x smaller error (16x expected).
    for m, e in rms.items():
        assert e * np.sqrt(m) < 5.0, (m, e)
    assert rms[102400] < rms[400] / 4, rms
    assert rms[102400] < 2e-2


def test_ridge_solve_is_shared_and_warns_once():
    # The one solve: a PSD system goes through Cholesky without warnings.
    rng = np.random.default_rng(0)
    A = rng.standard_normal((6, 4))
    G, B = A @ A.T, rng.standard_normal((6, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Z = _ridge_solve(G, B, 0.3)
    np.testing.assert_allclose((G + 0.3 * np.eye(6)) @ Z, B, atol=1e-12)
