"""Kernels at infinite and finite width: closed forms against Monte Carlo (4 standard errors), quadrature, rates."""

import numpy as np
import pytest

import measureopt as mo
from measureopt.kernels import (arccos_kernel, f2_kernel, gaussian_pair_expectation, random_feature_kernel,
                                rf_kernel_inf)


def _within_se(samples, exact, k=4.0):
    """Monte Carlo means of ``samples`` (n_samples, ...) are within k standard errors of ``exact``."""
    mean = samples.mean(axis=0)
    se = samples.std(axis=0, ddof=1) / np.sqrt(len(samples))
    assert np.all(np.abs(mean - exact) <= k * se + 1e-12), (mean, exact, se)


@pytest.mark.parametrize("degree", [0, 1, 2])
def test_arccos_kernel_against_monte_carlo(degree):
    rng = np.random.default_rng(degree)
    X = rng.normal(size=(4, 3))
    sigma = 0.7
    V = sigma * rng.normal(size=(200_000, 3))
    F = np.maximum(X @ V.T, 0.0) ** degree if degree else (X @ V.T > 0).astype(float)
    samples = np.einsum("is,js->sij", F, F)
    _within_se(samples, arccos_kernel(X, degree=degree, sigma=sigma))


@pytest.mark.parametrize("degree", [0, 1, 2])
def test_f2_kernel_against_monte_carlo_on_the_sphere(degree):
    """Berthier's kernel: uniform directions of S^d, lifted inputs (x, 1)."""
    rng = np.random.default_rng(10 + degree)
    X = rng.normal(size=(3, 3))
    V = mo.sample_sphere(4, 200_000, seed=rng)
    Xl = np.column_stack([X, np.ones(3)])
    F = np.maximum(Xl @ V.T, 0.0) ** degree if degree else (Xl @ V.T > 0).astype(float)
    _within_se(np.einsum("is,js->sij", F, F), f2_kernel(X, degree=degree))


def test_random_feature_kernel_converges_to_the_infinite_width_one():
    """k_m -> k_inf within 4 standard errors of the per-feature products, the error shrinking like 1/sqrt(m)."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(5, 4))
    exact = rf_kernel_inf(X)
    errors = []
    for m in (1_000, 100_000):
        thetas = rng.normal(size=(m, 4))
        F = np.maximum(X @ thetas.T, 0.0)
        np.testing.assert_allclose(random_feature_kernel(X, thetas=thetas), F @ F.T / m, rtol=1e-12)
        _within_se(np.einsum("is,js->sij", F, F), exact)
        errors.append(np.abs(F @ F.T / m - exact).mean())
    assert errors[1] < errors[0] / 3


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "softplus"])
def test_quadrature_kernels_for_smooth_activations(activation):
    """Unit-norm inputs: Gauss-Hermite at 100 (the default) and 200 nodes agree to 1e-10; Monte Carlo within 4 SE."""
    rng = np.random.default_rng(3)
    X = mo.sample_sphere(2, 4, seed=rng)
    k80 = rf_kernel_inf(X, activation=activation)
    np.testing.assert_allclose(k80, rf_kernel_inf(X, activation=activation, n_nodes=200), rtol=1e-10, atol=1e-12)
    h = mo.get_activation(activation)
    F = h(X @ rng.normal(size=(2, 200_000)))
    _within_se(np.einsum("is,js->sij", F, F), k80)
    np.testing.assert_allclose(k80, k80.T, rtol=1e-12)
    assert np.linalg.eigvalsh(k80).min() >= -1e-12


def test_quadrature_approaches_the_relu_closed_form_slowly():
    """The kink: Gauss-Hermite converges slowly to the arc-cosine form (why ReLU uses the closed form)."""
    X = np.array([[1.0, 0.3], [-0.4, 0.9]])
    relu = mo.get_activation("relu")
    err = [np.abs(gaussian_pair_expectation(relu, relu, (X**2).sum(1)[:, None], (X**2).sum(1)[None, :], X @ X.T,
                                            n_nodes=n) - arccos_kernel(X)).max() for n in (20, 160)]
    assert err[1] < err[0] and err[1] < 2e-3


def test_kernel_bad_input():
    X = np.ones((3, 2))
    with pytest.raises(ValueError, match="degree must be 0, 1 or 2.*rf_kernel_inf"):
        arccos_kernel(X, degree=3)
    with pytest.raises(ValueError, match="Y must have shape"):
        arccos_kernel(X, np.ones((2, 3)))
    with pytest.raises(ValueError, match="sigma must be finite and > 0"):
        rf_kernel_inf(X, sigma=-1.0)
    with pytest.raises(TypeError, match="thetas"):
        random_feature_kernel(X)
    with pytest.raises(ValueError, match="activation must be one of"):
        rf_kernel_inf(X, activation="swish")


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_ntk_kernels_finite_width_converge_and_equal_the_jacobian_gram(activation):
    """k_m^u, k_m^theta -> k_inf within 4 SE; (alpha^2/m)(k^u_m + k^theta_m) is the Jacobian Gram of the network."""
    from measureopt.kernels import ntk_kernels, ntk_kernels_finite

    rng = np.random.default_rng(7)
    X = mo.sample_sphere(3, 4, seed=rng)
    k_u, k_t = ntk_kernels(X, activation=activation)
    m = 200_000
    thetas, u = rng.normal(size=(m, 3)), rng.normal(size=m)
    h = mo.get_activation(activation)
    H, D = h(X @ thetas.T), h.derivative(X @ thetas.T)
    _within_se(np.einsum("is,js->sij", H, H), k_u)
    _within_se(np.einsum("is,js->sij", D * u, D * u) * (X @ X.T), k_t)
    # the Jacobian Gram of f = (alpha/m) sum_j u_j h(theta_j x), by hand, at a small width
    alpha, m = 3.0, 50
    thetas, u = rng.normal(size=(m, 3)), rng.normal(size=m)
    Ju = alpha / m * h(X @ thetas.T)  # df/du_j
    Jt = alpha / m * (u * h.derivative(X @ thetas.T))[:, :, None] * X[:, None, :]  # df/dtheta_j
    gram = Ju @ Ju.T + np.einsum("ijk,ljk->il", Jt, Jt)
    ku_m, kt_m = ntk_kernels_finite(X, thetas=thetas, u=u, activation=activation)
    np.testing.assert_allclose(gram, alpha**2 / m * (ku_m + kt_m), rtol=1e-12)


def test_empirical_ntk_of_a_torch_module():
    """torch.func Jacobian Gram: equals (alpha^2/m)(k^u_m + k^theta_m) for FDZ's model, and a per-sample autograd loop
    for a deep MLP with two outputs."""
    import torch

    from measureopt.kernels import empirical_ntk, ntk_kernels_finite

    class TwoLayer(torch.nn.Module):
        def __init__(self, thetas, u, alpha):
            super().__init__()
            self.theta = torch.nn.Parameter(torch.tensor(thetas))
            self.u = torch.nn.Parameter(torch.tensor(u))
            self.alpha = alpha

        def forward(self, x):
            return self.alpha / len(self.u) * torch.tanh(x @ self.theta.T) @ self.u

    rng = np.random.default_rng(8)
    X, m, alpha = rng.normal(size=(7, 3)), 40, 2.5
    thetas, u = rng.normal(size=(m, 3)), rng.normal(size=m)
    K = empirical_ntk(TwoLayer(thetas, u, alpha), X, batch_size=3)
    ku, kt = ntk_kernels_finite(X, thetas=thetas, u=u, activation="tanh")
    np.testing.assert_allclose(K, alpha**2 / m * (ku + kt), rtol=1e-12)

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)).double()
    K2 = empirical_ntk(net, X, X[:4])
    rows = []
    for x in torch.tensor(X):
        grads = []
        for k in range(2):
            net.zero_grad()
            net(x[None])[0, k].backward()
            grads.append(torch.cat([p.grad.reshape(-1) for p in net.parameters()]))
        rows.append(torch.stack(grads))
    J = torch.stack(rows).numpy()  # (n, k, P)
    np.testing.assert_allclose(K2, np.einsum("ikp,jlp->ijkl", J, J[:4]), rtol=1e-10, atol=1e-12)
    with pytest.raises(TypeError, match="module must be a torch.nn.Module"):
        empirical_ntk(lambda x: x, X)


def _linear_stacks():
    """(name, module): the Linear stacks the structured empirical NTK recognizes, float64."""
    import torch
    from torch import nn

    torch.manual_seed(1)
    nested = nn.Sequential(nn.Softplus(), nn.Sequential(nn.Linear(3, 6), nn.GELU(), nn.Linear(6, 5)),
                           nn.SiLU(), nn.Linear(5, 2, bias=False), nn.Sigmoid())
    return {
        "relu_scalar": nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1)),
        "tanh_3_hidden_k3": nn.Sequential(nn.Linear(3, 7), nn.Tanh(), nn.Linear(7, 6), nn.Tanh(),
                                          nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3)),
        "no_bias": nn.Sequential(nn.Linear(3, 9, bias=False), nn.Softplus(beta=2.0), nn.Linear(9, 4, bias=False),
                                 nn.ReLU(), nn.Linear(4, 2, bias=False)),
        "to_network": mo.to_network(mo.DiscreteMeasure(np.array([1.5, -0.5, 2.0]),
                                                        mo.sample_sphere(3, 3, seed=0))),
        "nested_odd": nested,
    }


@pytest.mark.parametrize("name", ["relu_scalar", "tanh_3_hidden_k3", "no_bias", "to_network", "nested_odd"])
def test_structured_empirical_ntk_equals_the_jacobian_path(name):
    """The per-layer contraction equals the torch.func Jacobian Gram to 1e-12, square and rectangular, batched."""
    from measureopt.kernels import empirical_ntk

    net = _linear_stacks()[name].double()
    rng = np.random.default_rng(11)
    X, Y = rng.normal(size=(7, 3)), rng.normal(size=(4, 3))
    for Z in (None, Y):
        fast = empirical_ntk(net, X, Z, batch_size=3, method="structured")
        slow = empirical_ntk(net, X, Z, batch_size=3, method="jacobian")
        assert fast.shape == slow.shape and fast.shape[:2] == (7, 7 if Z is None else 4)
        np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12 * np.abs(slow).max())
        np.testing.assert_array_equal(empirical_ntk(net, X, Z, batch_size=3), fast)  # auto picks it
    assert fast.ndim == (2 if name in ("relu_scalar", "to_network") else 4)  # (n, p) for one output


def test_structured_empirical_ntk_through_the_ntk_layers_protocol():
    """A DeepMLP (1/m scaling, raw weights) exposes ntk_layers(): the structured path equals the Jacobian one."""
    from measureopt.deep import DeepMLP
    from measureopt.kernels import empirical_ntk

    net = DeepMLP(3, [6, 5], n_outputs=2, activation="tanh", seed=3)
    X = np.random.default_rng(12).normal(size=(6, 3))
    slow = empirical_ntk(net, X, X[:2], method="jacobian")
    np.testing.assert_allclose(empirical_ntk(net, X, X[:2], method="structured"), slow, rtol=1e-12,
                               atol=1e-12 * np.abs(slow).max())

    class Broken(DeepMLP):
        def ntk_layers(self):
            return super().ntk_layers()[:-1]

    with pytest.raises(ValueError, match="each of its parameters exactly once"):
        empirical_ntk(Broken(3, [4], seed=0), X)


def test_empirical_ntk_falls_back_to_the_jacobian_path():
    """Non-Linear modules take the torch.func path under 'auto'; forcing 'structured' names the culprit."""
    import torch
    from torch import nn

    from measureopt.kernels import empirical_ntk

    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.randn(4, 3, dtype=torch.float64))

        def forward(self, x):
            return torch.cos(x @ self.w.T).sum(1)

    torch.manual_seed(2)
    X = np.random.default_rng(13).normal(size=(5, 3))
    for net, culprit in ((Custom(), r"the module itself \(Custom\)"),
                         (nn.Sequential(nn.Linear(3, 4), nn.Sequential(nn.Tanh(), nn.Softmax(dim=1)),
                                        nn.Linear(4, 1)).double(), r"submodule '1\.1' \(Softmax\)")):
        np.testing.assert_array_equal(empirical_ntk(net, X), empirical_ntk(net, X, method="jacobian"))
        with pytest.raises(TypeError, match=f"method='structured' needs a Linear stack: {culprit}"):
            empirical_ntk(net, X, method="structured")
    shared = nn.Linear(3, 3).double()
    tied = nn.Sequential(shared, nn.Tanh(), shared)  # a shared layer: its Jacobian blocks add up, no per-layer sum
    np.testing.assert_array_equal(empirical_ntk(tied, X), empirical_ntk(tied, X, method="jacobian"))
    with pytest.raises(TypeError, match="exactly once"):
        empirical_ntk(tied, X, method="structured")
    with pytest.raises(ValueError, match="method must be one of"):
        empirical_ntk(tied, X, method="fast")


def test_quadrature_node_count_is_bounded():
    """NumPy's Gauss-Hermite rule overflows near 370 nodes: refuse instead of returning NaN."""
    from measureopt.kernels import ntk_kernels

    X = np.eye(2)
    with pytest.raises(ValueError, match="n_nodes must be <= 300"):
        ntk_kernels(X, activation="sigmoid", n_nodes=400)
    assert np.all(np.isfinite(ntk_kernels(X, activation="sigmoid", n_nodes=300)[1]))
