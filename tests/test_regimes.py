"""Training in the kernel regimes: FDZ's model and its linearization, Du et al.'s GD against the predicted rate."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from measureopt.kernels import empirical_ntk, ntk_kernels_finite  # noqa: E402
from solvers.regimes import DuGradientDescent, TwoLayerTraining  # noqa: E402
from solvers.regimes._torch_models import FDZNet, LinearizedFDZNet  # noqa: E402


def _data(n=60, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) / np.sqrt(d)
    return X, np.sin(3 * X[:, 0])


def _nets(m=50, d=4, k=2, alpha=3.0, activation="tanh", seed=1):
    from measureopt.activations import get_activation

    rng = np.random.default_rng(seed)
    u, theta = torch.as_tensor(rng.normal(size=(m, k))), torch.as_tensor(rng.normal(size=(m, d)))
    act = get_activation(activation)
    return FDZNet(u, theta, alpha, act), LinearizedFDZNet(u, theta, alpha, act)


def test_linearization_is_the_first_order_taylor_expansion():
    """f - f_lin vanishes at the initialization and is O(|delta|^2) around it (eq. 8)."""
    net, lin = _nets()
    X = torch.as_tensor(_data(7)[0])
    torch.testing.assert_close(net(X), lin(X), rtol=1e-13, atol=1e-13)
    rng = np.random.default_rng(2)
    du, dth = torch.as_tensor(rng.normal(size=net.u.shape)), torch.as_tensor(rng.normal(size=net.theta.shape))
    errors = []
    for eps in (1e-2, 5e-3, 2.5e-3):
        with torch.no_grad():
            for model in (net, lin):
                model.u.copy_(model.u0 if model is lin else lin.u0)
                model.theta.copy_(lin.theta0)
                model.u += eps * du
                model.theta += eps * dth
            errors.append(float((net(X) - lin(X)).abs().max()))
    np.testing.assert_allclose(np.array(errors[:-1]) / np.array(errors[1:]), 4.0, rtol=0.05)


@pytest.mark.parametrize("convention, scale", [("practical", lambda m, a: m / a), ("theoretical", lambda m, a: 1 / a),
                                               ("ntk", lambda m, a: 1.0)])
def test_one_step_follows_the_learning_rate_convention(convention, scale):
    """One full-batch step equals the hand-derived gradient step of eq. (2) with eta_u from (11)-(13)."""
    X, y = _data()
    m, alpha, lr, reg_u, reg_theta = 30, 2.5, 0.05, 0.1, 0.2
    run = TwoLayerTraining(m, alpha=alpha, lr=lr, lr_convention=convention, max_iter=1, reg_u=reg_u,
                           reg_theta=reg_theta, random_state=3).run(X, y)
    u0, th0, n = run.u0, run.theta0, len(X)
    Z = X @ th0.T
    r = (alpha / m) * np.tanh(Z) @ u0 - y[:, None]             # (n, 1)
    grad_u = (alpha / m) * np.tanh(Z).T @ r / n + reg_u * u0 / m
    grad_th = (alpha / m) * ((1 - np.tanh(Z) ** 2) * (r @ u0.T)).T @ X / n + reg_theta * th0 / m
    np.testing.assert_allclose(run.u, u0 - lr * scale(m, alpha) * grad_u, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(run.theta, th0 - lr * grad_th, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("method", ["structured", "jacobian"])
def test_network_ntk_is_the_fdz_kernel_sum(method):
    """The Jacobian Gram of the trainer's module is (alpha^2/m)(k^u_m + k^theta_m) to machine precision,
    by the per-layer contraction (the module's ntk_layers) and by torch.func."""
    net, _ = _nets(k=1, activation="sigmoid")
    X = _data(9)[0]
    k_u, k_theta = ntk_kernels_finite(X, thetas=net.theta.detach().numpy(), u=net.u.detach().numpy()[:, 0],
                                      activation="sigmoid")
    m = len(net.theta)
    np.testing.assert_allclose(empirical_ntk(net, X, method=method), net.alpha**2 / m * (k_u + k_theta),
                               rtol=1e-12, atol=1e-14)


def test_the_network_follows_its_linearization_as_alpha_grows():
    """Lazy regime: with eta ~ m / alpha^2 (a fixed function-space step) the gap to the linearized model
    and the distance from the initialization shrink as alpha goes from 1 to m^0.7 (FDZ Fig. 4, 7)."""
    torch.set_num_threads(1)
    X, y = _data(80)
    Xt, yt = _data(40, seed=5)
    m = 400
    gaps, dists = [], []
    for p in (0.0, 0.3, 0.5, 0.7):
        alpha = m**p
        run = TwoLayerTraining(m, alpha=alpha, lr=0.5 * m / alpha**2, lr_convention="ntk", max_iter=150,
                               linearize=True, record_every=50, random_state=0).run(X, y, Xt, yt)
        assert run.status == "completed"
        np.testing.assert_allclose(run.predict(Xt), run.predict(Xt), rtol=0)
        gaps.append(run.history["linear_gap"][-1])
        dists.append(run.history["dist_theta"][-1])
        # the run's own record of the gap is the one recomputed from the returned weights
        gap = np.sqrt(np.mean(np.sum((run.predict(Xt) - run.predict_linear(Xt)) ** 2, axis=1)))
        np.testing.assert_allclose(gaps[-1], gap, rtol=1e-10)
    assert np.all(np.diff(gaps) < 0), gaps
    assert np.all(np.diff(dists) < 0), dists
    assert gaps[-1] < 0.05 * gaps[0]


@pytest.mark.parametrize("init_output", ["subtract", "symmetric"])
def test_the_initial_output_can_be_removed(init_output):
    """f_0 of order alpha/sqrt(m) is kept by default; 'subtract' and 'symmetric' start both models from 0,
    and training then fits the same targets."""
    X, y = _data()
    kw = dict(alpha=30.0, lr=0.5 * 100 / 30.0**2, lr_convention="ntk", linearize=True, random_state=0)
    start = TwoLayerTraining(100, max_iter=0, init_output=init_output, **kw).run(X, y)
    np.testing.assert_allclose(start.predict(X), 0.0, atol=1e-12)
    np.testing.assert_allclose(start.predict_linear(X), 0.0, atol=1e-12)
    kept = TwoLayerTraining(100, max_iter=0, **kw).run(X, y)
    assert np.abs(kept.predict(X)).max() > 0.3
    run = TwoLayerTraining(100, max_iter=200, init_output=init_output, record_every=200, **kw).run(X, y)
    h = run.history
    np.testing.assert_allclose(h["train_loss"][0], 0.5 * np.mean(y**2), rtol=1e-12)
    np.testing.assert_allclose(h["train_loss"][-1], 0.5 * np.mean((run.predict(X)[:, 0] - y) ** 2), rtol=1e-10)
    assert h["train_loss"][-1] < 0.2 * h["train_loss"][0]


def test_noise_is_added_to_theta_only():
    """Noisy GD: with a vanishing step the theta increments are N(0, T noise^2), u does not move."""
    X, y = _data(20)
    T, noise = 25, 0.3
    run = TwoLayerTraining(200, lr=1e-14, max_iter=T, noise=noise, random_state=0).run(X, y)
    np.testing.assert_allclose(run.u, run.u0, atol=1e-10)
    inc = (run.theta - run.theta0).ravel()
    var, se = inc.var(), inc.var() * np.sqrt(2 / inc.size)
    assert abs(var - T * noise**2) < 4 * se


def test_cross_entropy_records_accuracy_and_checks_labels():
    X, y = _data(90)
    labels = np.digitize(y, [-0.5, 0.5])
    run = TwoLayerTraining(100, alpha=10.0, loss="cross_entropy", lr=5.0, max_iter=60, batch_size=32,
                           random_state=0).run(X, labels, X, labels)
    h = run.history
    assert run.u.shape == (100, 3)
    assert h["train_accuracy"][-1] > 0.6 and h["train_loss"][-1] < h["train_loss"][0]
    np.testing.assert_allclose(h["test_accuracy"], h["train_accuracy"])
    with pytest.raises(ValueError, match="integer class labels"):
        TwoLayerTraining(10, loss="cross_entropy").run(X, y)


def test_divergence_is_reported_with_a_warning():
    X, y = _data()
    with pytest.warns(RuntimeWarning, match="diverged"):
        run = TwoLayerTraining(20, activation="relu", lr=1e6, max_iter=50, record_every=1, random_state=0).run(X, y)
    assert run.status == "numerical_error" and run.n_iter < 50


@pytest.mark.parametrize("kwargs, match", [(dict(width=0), "width"), (dict(width=5, alpha=-1), "alpha"),
                                           (dict(width=5, lr_convention="fast"), "lr_convention"),
                                           (dict(width=5, loss="hinge"), "loss"),
                                           (dict(width=5, noise=float("nan")), "noise")])
def test_bad_parameters_are_named(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        TwoLayerTraining(**kwargs)


def _unit(n, d, seed):
    X = np.random.default_rng(seed).normal(size=(n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


@pytest.mark.parametrize("architecture", ["fc", "resnet"])
def test_du_network_last_layer_gram_is_the_numpy_one(architecture):
    """The torch network's Jacobian Gram over W^(H) equals du_gram_finite's closed form (G^(H)(0))."""
    from measureopt.kernels import c_sigma, du_gram_finite, du_network_init
    from solvers.regimes._torch_models import DuNet

    X = _unit(5, 4, 0)
    weights, a = du_network_init(4, 60, 3, seed=1)
    net = DuNet([torch.as_tensor(W) for W in weights], torch.as_tensor(a), _softplus(), c_sigma("softplus"),
                architecture, 0.5)
    J = []
    for x in torch.as_tensor(X):
        (g,) = torch.autograd.grad(net(x[None])[0], net.weights[-1])
        J.append(g.reshape(-1))
    J = torch.stack(J)
    np.testing.assert_allclose((J @ J.T).numpy(), du_gram_finite(X, weights, a, "softplus", architecture, 0.5),
                               rtol=1e-11, atol=1e-13)


def _softplus():
    from measureopt.activations import get_activation

    return get_activation("softplus")


@pytest.mark.parametrize("architecture, depth", [("fc", 2), ("resnet", 3)])
def test_du_gradient_descent_stays_under_the_predicted_rate(architecture, depth):
    """Thm 5.1/6.1: L(theta(k)) <= (1 - eta lambda_min(K^(H))/2)^k L(theta(0)) at every step, at width 1500."""
    torch.set_num_threads(1)
    X = _unit(8, 5, 2)
    y = np.random.default_rng(3).normal(size=8)
    run = DuGradientDescent(width=1500, depth=depth, architecture=architecture, max_iter=100,
                            random_state=0).run(X, y)
    loss, bound = run.history["loss"], run.history["bound"]
    assert run.status == "completed" and run.holds, run.message
    assert np.all(loss <= bound * (1 + 1e-12))
    assert np.all(np.diff(loss) <= 1e-12 * loss[:-1]) and loss[-1] < 0.5 * loss[0]
    np.testing.assert_allclose(bound[0], loss[0])
    # the default step is 1 / lambda_max(G(0)), G(0) the network's full Jacobian Gram
    np.testing.assert_allclose(run.lr, 1 / np.linalg.eigvalsh(run.ntk_init)[-1], rtol=1e-12)
    assert run.lambda_min > 0


def test_du_gradient_descent_needs_unit_inputs():
    X = _unit(4, 3, 0) * 2
    with pytest.raises(ValueError, match="unit-norm"):
        DuGradientDescent(width=10).run(X, np.zeros(4))
    with pytest.raises(ValueError, match="c_res"):
        DuGradientDescent(c_res=1.5)


def test_du_network_structured_ntk_and_initial_weights():
    """The FC network takes the structured NTK path (ResNet falls back), equal to the Jacobian one; the run
    keeps its initialization, whose outputs give the recorded L(theta(0))."""
    from measureopt.kernels import c_sigma, du_forward
    from solvers.regimes._torch_models import DuNet

    X = _unit(6, 4, 1)
    run = DuGradientDescent(width=50, depth=3, max_iter=2, random_state=0).run(X, np.ones(6))
    u0 = du_forward(X, run.weights0, run.a0, "softplus")
    np.testing.assert_allclose(run.history["loss"][0], 0.5 * np.sum((u0 - 1) ** 2), rtol=1e-12)
    for arch in ("fc", "resnet"):
        net = DuNet([torch.tensor(W) for W in run.weights0], torch.tensor(run.a0), _softplus(),
                    c_sigma("softplus"), arch, 0.5)
        slow = empirical_ntk(net, X, method="jacobian")
        np.testing.assert_allclose(empirical_ntk(net, X), slow, rtol=1e-12, atol=1e-12 * np.abs(slow).max())
        if arch == "fc":
            np.testing.assert_allclose(empirical_ntk(net, X, method="structured"), slow, rtol=1e-12,
                                       atol=1e-12 * np.abs(slow).max())
        else:
            with pytest.raises(TypeError, match="skip connections"):
                empirical_ntk(net, X, method="structured")
