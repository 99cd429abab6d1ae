"""Du et al. (2019) Gram matrices K^(H): closed forms, quadrature, finite-width limit, the corrections of the notes."""

import numpy as np
import pytest

from measureopt.activations import ReLU
from measureopt.kernels import (c_sigma, du_forward, du_gram, du_gram_conv, du_gram_finite, du_network_init,
                                lambda_min, ntk_kernels, predicted_rate)


class QuadratureReLU(ReLU):
    """ReLU under another name: du_gram and c_sigma take their Gauss-Hermite path instead of the arc-cosine forms."""

    name = "relu_via_quadrature"


def _unit(n, d, seed):
    X = np.random.default_rng(seed).normal(size=(n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def _rel(A, B):
    """Max-entry relative error of A against B."""
    return float(np.abs(A - B).max() / np.abs(B).max())


def _arccos_step(K):
    nrm = np.sqrt(np.diag(K))
    theta = np.arccos(np.clip(K / np.outer(nrm, nrm), -1.0, 1.0))
    np.fill_diagonal(theta, 0.0)  # exact; arccos(1 - 1 ulp) would be 1.5e-8
    return nrm, theta


# --- closed forms and the two engines --------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [1, 2, 4])
def test_relu_fc_equals_the_arccos_recursion(depth):
    """K^(h) = sqrt(K_ii K_jj)/pi J_1(theta), K^(H) = K^(H-1)(pi - theta^(H-1))/pi, computed here independently."""
    X = np.random.default_rng(0).normal(size=(6, 4))  # norms != 1: the recursion is defined for any inputs
    K = X @ X.T
    for _ in range(depth - 1):
        nrm, t = _arccos_step(K)
        K = np.outer(nrm, nrm) / np.pi * (np.sin(t) + (np.pi - t) * np.cos(t))
    _, t = _arccos_step(K)
    np.testing.assert_allclose(du_gram(X, depth), K * (np.pi - t) / np.pi, rtol=1e-12, atol=1e-14)


def test_relu_resnet_equals_the_closed_form_recursion():
    """Def. 6.1 with E sigma(u) = sqrt(a / 2 pi), E[u_+ v_+] = sqrt(ab) J_1/(2 pi), b_i paired with E sigma(v_j)."""
    X = np.random.default_rng(1).normal(size=(5, 3))
    H, c = 4, 0.6
    K = X @ X.T
    nrm, t = _arccos_step(K)
    K = np.outer(nrm, nrm) / np.pi * (np.sin(t) + (np.pi - t) * np.cos(t))
    b = np.sqrt(2.0) * nrm / np.sqrt(2 * np.pi)
    for _ in range(2, H):
        nrm, t = _arccos_step(K)
        s = nrm / np.sqrt(2 * np.pi)
        e = np.outer(nrm, nrm) * (np.sin(t) + (np.pi - t) * np.cos(t)) / (2 * np.pi)
        K = K + c / H * (np.outer(b, s) + np.outer(s, b)) + (c / H) ** 2 * e
        b = b + c / H * s
    _, t = _arccos_step(K)
    expected = (c / H) ** 2 * K * (np.pi - t) / (2 * np.pi)
    got, layers = du_gram(X, H, architecture="resnet", c_res=c, return_layers=True)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(layers["b"][-1], b, rtol=1e-12)
    assert len(layers["K"]) == H + 1 and len(layers["b"]) == H - 1


@pytest.mark.parametrize("architecture", ["fc", "resnet"])
def test_relu_exact_path_agrees_with_quadrature(architecture):
    """The arc-cosine engine and the Gauss-Hermite engine agree, the gap closing as nodes are added.

    Gauss-Hermite is slow on kinks: about 1e-3 (relative) at 300 nodes for E[u_+ v_+] (layers h < H) and 5e-3 for
    the step E[1{u>0}1{v>0}] of the last layer.
    """
    X = _unit(5, 3, 2)
    _, exact = du_gram(X, 3, "relu", architecture, return_layers=True)
    errors = {}
    for n_nodes in (100, 300):
        _, quad = du_gram(X, 3, QuadratureReLU(), architecture, n_nodes=n_nodes, return_layers=True)
        errors[n_nodes] = [_rel(q, e) for q, e in zip(quad["K"], exact["K"])]
    hidden, last = errors[300][1:-1], errors[300][-1]
    assert max(hidden) < 2e-3 and last < 1e-2, errors
    assert all(e300 < 0.6 * e100 for e100, e300 in zip(errors[100][1:], errors[300][1:])), errors
    assert abs(c_sigma(QuadratureReLU(), n_nodes=300) - 2.0) < 1e-6


@pytest.mark.parametrize("activation", ["relu", "softplus", "tanh"])
def test_fc_diagonal_is_one_below_the_last_layer_for_unit_inputs(activation):
    _, layers = du_gram(_unit(5, 4, 3), 5, activation, return_layers=True)
    for K in layers["K"][:-1]:
        np.testing.assert_allclose(np.diag(K), 1.0, atol=1e-10)


@pytest.mark.parametrize("activation", ["relu", "softplus"])
def test_depth_one_is_c_sigma_times_the_ntk_theta_kernel(activation):
    """H = 1: K^(1) = c_sigma <x_i, x_j> E[s'(w.x_i) s'(w.x_j)], FDZ's k^theta with sigma^2 = 1 (Du 2018b's H^inf)."""
    X = np.random.default_rng(4).normal(size=(6, 3))
    if activation != "relu":  # at variance |x|^2 ~ 5 the 100-node rule is good to ~1e-8 only (E[f(u)g(v)] computed
        X = _unit(6, 3, 4)    # with u ~ N(0, a) first differs from (b, a) at that level); unit norms: below 1e-12
    expected = c_sigma(activation) * ntk_kernels(X, activation=activation, sigma=1.0)[1]
    off = ~np.eye(len(X), dtype=bool)
    for architecture in ("fc", "resnet"):  # a ResNet of depth 1 is the fully connected network
        K = du_gram(X, 1, activation, architecture)
        np.testing.assert_allclose(K[off], expected[off], rtol=1e-10, atol=1e-13)
        # diagonal: arccos(x.x / |x|^2) in arccos_kernel is ~1e-8 rather than 0, hence (pi - phi) off by ~5e-9
        np.testing.assert_allclose(np.diag(K), np.diag(expected), rtol=1e-8)
    if activation == "relu":  # K_ii = c_sigma |x_i|^2 E[1{u > 0}] = |x_i|^2 exactly
        np.testing.assert_allclose(np.diag(du_gram(X, 1)), np.sum(X**2, axis=1), rtol=1e-14)


@pytest.mark.parametrize("architecture", ["fc", "resnet"])
@pytest.mark.parametrize("activation", ["relu", "softplus"])
def test_gram_is_symmetric_positive_definite(architecture, activation):
    K = du_gram(_unit(6, 3, 5), 3, activation, architecture)
    np.testing.assert_array_equal(K, K.T)
    assert np.linalg.eigvalsh(K).min() >= -1e-12
    assert lambda_min(K) > 0


def test_c_sigma_values():
    assert c_sigma("relu") == 2.0
    np.testing.assert_allclose(c_sigma("softplus"), 1.0854865, atol=1e-7)
    np.testing.assert_allclose(c_sigma("squared_relu"), 2.0 / 3.0, rtol=1e-14)  # E[(z)_+^4] = 3/2
    z = np.random.default_rng(6).standard_normal(1_000_000)
    t2 = np.tanh(z) ** 2
    se = t2.std(ddof=1) / np.sqrt(len(z))
    assert abs(1.0 / c_sigma("tanh") - t2.mean()) <= 4 * se


# --- the finite-width Gram G^(H)(0) --------------------------------------------------------------------------


@pytest.mark.parametrize("architecture,depth,shape", [("fc", 2, (5,)), ("resnet", 3, (5,)), ("resnet", 1, (5,)),
                                                      ("conv", 2, (2, 4)), ("conv", 1, (2, 4))])
def test_finite_gram_is_the_jacobian_gram_of_the_forward_pass(architecture, depth, shape):
    """G^(H) from the closed form equals <du_i/dW^(H), du_j/dW^(H)> by central differences of du_forward."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(3,) + shape)
    m = 4
    W, a = du_network_init(shape[0], m, depth, architecture, seed=8,
                           n_pixels=shape[1] if architecture == "conv" else None)
    eps = 1e-6
    J = np.empty((3, W[-1].size))
    for k in range(W[-1].size):
        Wp, Wm = [w.copy() for w in W], [w.copy() for w in W]
        Wp[-1].flat[k] += eps
        Wm[-1].flat[k] -= eps
        J[:, k] = (du_forward(X, Wp, a, "softplus", architecture, 0.7)
                   - du_forward(X, Wm, a, "softplus", architecture, 0.7)) / (2 * eps)
    np.testing.assert_allclose(du_gram_finite(X, W, a, "softplus", architecture, 0.7), J @ J.T, rtol=1e-6, atol=1e-9)


@pytest.fixture(scope="module")
def finite_width_means():
    """Mean G^(H)(0) over 20 seeds at m = 4000, n = 4 unit inputs; one draw of (W^(1..3), a) serves every case.

    About 20 s of CPU (two 4000 x 4000 Gaussian matrices per seed); only the slow tests use it.
    """
    X, m, seeds = _unit(4, 3, 9), 4000, 20
    cases = {"fc-2-softplus": ("fc", 2, "softplus"), "fc-3-softplus": ("fc", 3, "softplus"),
             "resnet-3-softplus": ("resnet", 3, "softplus")}
    sums = dict.fromkeys(cases, 0.0)
    for seed in range(seeds):
        W, a = du_network_init(3, m, 3, seed=seed)
        for key, (arch, depth, act) in cases.items():
            sums[key] = sums[key] + du_gram_finite(X, W[:depth], a, act, arch) / seeds
    return X, cases, sums


@pytest.mark.slow
@pytest.mark.parametrize("key", ["fc-2-softplus", "fc-3-softplus", "resnet-3-softplus"])
def test_finite_width_gram_tends_to_k(finite_width_means, key):
    X, cases, means = finite_width_means
    arch, depth, act = cases[key]
    assert _rel(means[key], du_gram(X, depth, act, arch)) < 0.03


@pytest.mark.slow
@pytest.mark.parametrize("key", ["fc-2-softplus", "fc-3-softplus", "resnet-3-softplus"])
def test_corrected_final_step_beats_the_printed_one(finite_width_means, key):
    """The covariance of W^(H) x^(H-1) is K^(H-1): the printed A^(H-1) (from K^(H-2)) is further off."""
    X, cases, means = finite_width_means
    arch, depth, act = cases[key]
    corrected = _rel(means[key], du_gram(X, depth, act, arch))
    printed = _rel(means[key], du_gram(X, depth, act, arch, paper_literal=True))
    assert corrected < 0.5 * printed, (corrected, printed)


def test_resnet_layer_grams_and_b_pair_b_i_with_sigma_v_j():
    """Unequal norms: mean <x_i^(2), x_j^(2)> is within 4 SE of K^(2), b^(2) of sum_k x^(2)_ik / sqrt(m); the printed
    pairing b_i E sigma(u_i) + b_j E sigma(v_j) is off by more than 4 SE."""
    X = _unit(4, 3, 10) * np.array([0.2, 1.0, 2.0, 4.0])[:, None]
    H, c, m, seeds = 3, 0.9, 1000, 20
    grams, bs = [], []
    for seed in range(seeds):
        W, a = du_network_init(3, m, H, seed=100 + seed)
        _, xs = du_forward(X, W, a, "softplus", "resnet", c, return_layers=True)
        grams.append(xs[2] @ xs[2].T)
        bs.append(xs[2].sum(axis=1) / np.sqrt(m))
    grams, bs = np.array(grams), np.array(bs)
    se_k = grams.std(axis=0, ddof=1) / np.sqrt(seeds)
    se_b = bs.std(axis=0, ddof=1) / np.sqrt(seeds)
    _, layers = du_gram(X, H, "softplus", "resnet", c, return_layers=True)
    _, printed = du_gram(X, H, "softplus", "resnet", c, paper_literal=True, return_layers=True)
    assert np.all(np.abs(grams.mean(axis=0) - layers["K"][2]) <= 4 * se_k)
    assert np.all(np.abs(bs.mean(axis=0) - layers["b"][1]) <= 4 * se_b)
    assert np.any(np.abs(grams.mean(axis=0) - printed["K"][2]) > 4 * se_k)


# --- the convolutional ResNet ---------------------------------------------------------------------------------


def _conv_inputs(n=3, d0=2, p=5, seed=11):
    X = np.random.default_rng(seed).normal(size=(n, d0, p))
    return X / np.linalg.norm(X, axis=(1, 2), keepdims=True)


@pytest.mark.parametrize("activation", ["softplus", "relu"])
def test_conv_finite_width_gram_tends_to_the_reconstruction(activation):
    """Def. 7.1 as reconstructed: mean G^(H) over 30 seeds at m = 400 within 3% (the notes: 1.3%)."""
    X, H, c, m = _conv_inputs(), 3, 0.7, 400
    G = np.mean([du_gram_finite(X, *du_network_init(2, m, H, "conv", seed=s, n_pixels=5), activation, "conv", c)
                 for s in range(30)], axis=0)
    K = du_gram_conv(X, H, activation, c_res=c)
    assert _rel(G, K) < 0.03
    np.testing.assert_array_equal(K, K.T)
    assert lambda_min(K) > 0


@pytest.mark.parametrize("activation", ["relu", "softplus"])
def test_conv_reduces_to_the_resnet(activation):
    """One pixel: the ResNet of Def. 6.1. Patches of one pixel (q = 1): the sum over pixels of per-pixel ResNets."""
    X, H, c = _conv_inputs(p=4), 3, 0.4
    np.testing.assert_allclose(du_gram_conv(X[:, :, :1], H, activation, c),
                               du_gram(X[:, :, 0], H, activation, "resnet", c), rtol=1e-12, atol=1e-15)
    per_pixel = sum(du_gram(X[:, :, l], H, activation, "resnet", c) for l in range(4))
    np.testing.assert_allclose(du_gram_conv(X, H, activation, c, q=1), per_pixel, rtol=1e-12, atol=1e-15)


def test_conv_layers_and_larger_patches():
    X = _conv_inputs(p=6)
    K, layers = du_gram_conv(X, 3, "softplus", q=5, return_layers=True)
    Q0 = layers["Q"][0]
    pad = np.pad(X, ((0, 0), (0, 0), (2, 2)))
    phi = np.concatenate([pad[:, :, o:o + 6] for o in range(5)], axis=1)  # patches of 5 pixels, any row order
    np.testing.assert_allclose(Q0, np.einsum("ikl,jkr->iljr", phi, phi), rtol=1e-12, atol=1e-15)
    assert [P.shape for P in layers["P"]] == [(3, 6, 3, 6)] * 3 and layers["b"][0].shape == (3, 6)
    assert np.linalg.eigvalsh(K).min() > 0


# --- rate, lambda_min and bad input ---------------------------------------------------------------------------


def test_predicted_rate_and_lambda_min():
    K = du_gram(_unit(5, 3, 12), 2, "softplus")
    lam = np.linalg.eigvalsh(K).min()
    np.testing.assert_allclose(lambda_min(K), lam, rtol=1e-12)
    np.testing.assert_allclose(predicted_rate(K, 3.0, 4), (1 - 1.5 * lam) ** np.arange(5), rtol=1e-12)
    np.testing.assert_allclose(predicted_rate(0.2, 1.0, 2), [1.0, 0.9, 0.81], rtol=1e-14)


def test_bad_input_names_the_argument():
    X = _unit(3, 2, 13)
    with pytest.raises(ValueError, match="depth"):
        du_gram(X, 0)
    with pytest.raises(ValueError, match="architecture"):
        du_gram(X, 2, architecture="cnn")
    for c in (0.0, 1.0, 1.5, -0.2):
        with pytest.raises(ValueError, match="c_res"):
            du_gram(X, 2, architecture="resnet", c_res=c)
    with pytest.raises(ValueError, match="X must be 2-D"):
        du_gram(X[0], 2)
    with pytest.raises(ValueError, match="paper_literal"):
        du_gram(X, 1, paper_literal=True)
    with pytest.raises(ValueError, match="not of unit norm"):
        du_gram(2 * X, 2, require_unit_norm=True)
    du_gram(X, 2, require_unit_norm=True)
    with pytest.raises(ValueError, match="q must be odd"):
        du_gram_conv(_conv_inputs(), 2, q=2)
    with pytest.raises(ValueError, match="X must be 3-D"):
        du_gram_conv(X, 2)
    with pytest.raises(ValueError, match="eta"):
        predicted_rate(0.5, 0.0, 3)
    with pytest.raises(ValueError, match="eta"):
        predicted_rate(0.5, -1.0, 3)
    with pytest.raises(ValueError, match="vacuous"):
        predicted_rate(0.5, 4.0, 3)
    with pytest.raises(ValueError, match="lambda_min must be"):
        predicted_rate(-0.1, 1.0, 3)
    with pytest.raises(ValueError, match="K must be symmetric"):
        lambda_min([[1.0, 0.5], [0.0, 1.0]])
    with pytest.raises(ValueError, match="K must"):
        lambda_min(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"weights\[1\] must have shape"):
        du_gram_finite(X, [np.ones((4, 2)), np.ones((4, 5))], np.ones(4))


@pytest.mark.parametrize("activation", ["softplus", "tanh"])
@pytest.mark.parametrize("architecture", ["fc", "resnet"])
def test_equal_variance_interpolation_matches_the_direct_rule(monkeypatch, activation, architecture):
    """Unit-norm inputs give every layer a constant diagonal; the Chebyshev interpolant in the covariance
    (129 quadratures) then replaces one quadrature per pair, to 1e-11 of the direct rule."""
    import measureopt.kernels._du as du

    X = np.random.default_rng(7).normal(size=(12, 4))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    direct = du_gram(X, 3, activation, architecture)
    calls = []
    original = du._equal_variance_moment
    monkeypatch.setattr(du, "_CHEB_MIN_UNITS", 0)
    monkeypatch.setattr(du, "_equal_variance_moment", lambda *a: calls.append(1) or original(*a))
    fast = du_gram(X, 3, activation, architecture)
    assert len(calls) == 3  # layers 1, 2 and the final derivative moment
    np.testing.assert_allclose(fast, direct, rtol=1e-11, atol=1e-13)
    # inputs of unequal norms keep the direct rule
    calls.clear()
    du_gram(X * np.linspace(0.5, 1.5, 12)[:, None], 2, activation, architecture)
    assert not calls
