"""The optimality check of Prop. 1 (eq. 28-29) and the approximation variance V(w, u) (Fang et al. 2022, Sec. VII)."""

import warnings

import numpy as np
import pytest
import torch
from torch import nn

import measureopt as mo
import solvers
from measureopt.deep import (DeepConvexProgram, DeepMLP, LayerCheck, LayeredMeasure, OptimalityCheck,
                             approximation_variance, optimality_check)


def _task(N=30):
    """The paper's 1-D task (Sec. VII-A) with inputs (x, 1)."""
    x = np.linspace(-2 * np.pi, 2 * np.pi, N)
    return np.column_stack([x, np.ones(N)]), 2 * (2 * np.cos(x) ** 2 - 1) ** 2 - 1


def _solve(prob):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mo.ConvergenceWarning)
        return solvers.DeepConvex().solve(prob)


@pytest.fixture(scope="module")
def solved():
    X, Y = _task(30)
    prob = DeepConvexProgram.random(X, Y, widths=[40, 30], reg=1e-3, reg_u=1e-3)
    res = _solve(prob)
    assert res.status.success and res.relative_gap < 1e-7
    return prob, res.measure


# ---------------------------------------------------------------- Prop. 1 on Program (21)
def test_prop1_holds_exactly_on_the_solution_of_program_21(solved):
    """KKT of (21) in the density of a kept atom: v = 2u + Lambda exactly, with the masses pi*p."""
    prob, mu = solved
    check = optimality_check(mu, prob.reg, prob.reg_u)
    assert isinstance(check, OptimalityCheck) and check.source == "measure" and len(check) == 2
    kept = mu.kept(1e-6)
    for c, k, masses in zip(check, kept, mu.weights):
        assert isinstance(c, LayerCheck)
        np.testing.assert_array_equal(c.nodes, k)
        np.testing.assert_allclose(c.masses, masses[k])
        assert c.u.size >= 3  # a nontrivial support
        assert c.correlation >= 1 - 1e-6  # 1 up to the solver's accuracy (Clarabel at 1e-8)
        assert c.slope == pytest.approx(2.0, abs=1e-3)
        assert c.deviation < 1e-3  # |v - 2u - Lambda| relative to max v, at solver accuracy
        assert c.intercept == pytest.approx(c.offset, rel=1e-3, abs=1e-7)
    # the Lambdas are nonzero: the relation is affine, not proportional
    assert abs(check[0].offset) > 1e-3 and abs(check[1].offset) > 1e-3


def test_prop1_needs_the_masses_of_the_measure(solved):
    """Eq. (28)-(29) with uniform masses on the recovered network (masses folded into the weights) fail."""
    prob, mu = solved
    net = mu.to_network(rtol=1e-6)
    check = optimality_check(net, prob.reg, prob.reg_u)
    assert check.source == "network"
    assert max(abs(c.slope - 2) for c in check) > 0.5 or min(check.correlations) < 0.9


def test_prop1_on_a_network_that_samples_the_optimal_measure(solved):
    """Nodes replicated in proportion to their mass: eq. (28)-(29) as printed (uniform 1/m) approach slope 2."""
    prob, mu = solved
    kept, w, u = mu.connections(1e-6)
    q = [m[k] for m, k in zip(mu.weights, kept)]
    counts = [np.maximum(np.round(qq / qq.sum() * 2000).astype(int), 1) for qq in q]
    idx = [np.repeat(np.arange(len(c)), c) for c in counts]
    net = DeepMLP.from_weights([mu.atoms[0][kept[0]][idx[0]], w[0][np.ix_(idx[0], idx[1])].T], u[idx[1]])
    check = optimality_check(net, prob.reg, prob.reg_u)
    assert min(check.correlations) > 0.999
    np.testing.assert_allclose(check.slopes, 2.0, atol=0.02)


def test_prop1_three_layers():
    X, Y = _task(20)
    reg, reg_u = [1e-3, 2e-3, 5e-4], 3e-3
    prob = DeepConvexProgram.random(X, Y, widths=[20, 15, 10], reg=reg, reg_u=reg_u, seed=2)
    res = _solve(prob)
    assert res.relative_gap < 1e-5
    check = optimality_check(res.measure, reg, reg_u)
    assert len(check) == 3 and check.reg == tuple(reg)
    assert min(check.correlations) > 0.999
    # the solver stops at a relative gap near 1e-6: the relation holds to that accuracy
    np.testing.assert_allclose(check.slopes, 2.0, atol=0.05)


# ---------------------------------------------------------------- eq. (28)-(29) by hand
def _tiny_net():
    rng = np.random.default_rng(3)
    W1, W2, U = rng.normal(size=(3, 2)), rng.normal(size=(2, 3)), rng.normal(size=(2, 2))
    return DeepMLP.from_weights([W1, W2], U), W1, W2, U


def test_network_quantities_by_hand():
    net, W1, W2, U = _tiny_net()
    lam1, lam2, lam_u = 0.3, 0.7, 1.1
    check = optimality_check(net, [lam1, lam2], lam_u)
    # paper's w^(l)_{k,j}: k in layer l-1, j in layer l; code W^(l)[j, k]
    d, m1, m2 = 2, 3, 2
    u1 = np.zeros(m1)
    for j in range(m1):
        for k in range(d):
            u1[j] += sum(abs(W1[jp, k]) for jp in range(m1)) * abs(W1[j, k])
    u1 *= lam1 / (m1 * d)
    v1 = np.array([lam2 * (sum(abs(W2[i, j]) for i in range(m2)) / m2) ** 2 for j in range(m1)])
    u2 = np.zeros(m2)
    for j in range(m2):
        for k in range(m1):
            u2[j] += sum(abs(W2[jp, k]) for jp in range(m2)) * abs(W2[j, k])
    u2 *= lam2 / (m2 * m1)
    v2 = np.array([lam_u * np.sum(U[j] ** 2) for j in range(m2)])
    for c, u, v in zip(check, (u1, u2), (v1, v2)):
        np.testing.assert_allclose(c.u, u, rtol=1e-12)
        np.testing.assert_allclose(c.v, v, rtol=1e-12)
        np.testing.assert_allclose(c.masses, 1.0 / len(u))
    corr = np.corrcoef(u1, v1)[0, 1]
    slope, intercept = np.polyfit(u1, v1, 1)
    assert check[0].correlation == pytest.approx(corr, rel=1e-10)
    assert check[0].slope == pytest.approx(slope, rel=1e-10)
    assert check[0].intercept == pytest.approx(intercept, rel=1e-9, abs=1e-14)
    # two nodes: a line through two points
    assert abs(check[1].correlation) == pytest.approx(1.0)


def test_sequential_and_from_network_agree_with_the_network():
    net, W1, W2, U = _tiny_net()
    seq = nn.Sequential(nn.Linear(2, 3, bias=False), nn.Tanh(), nn.Linear(3, 2, bias=False), nn.Tanh(),
                        nn.Linear(2, 2, bias=False)).double()
    with torch.no_grad():  # standard scaling: W = W'/m_{l-1}, last layer U^T / m_L
        seq[0].weight.copy_(torch.tensor(W1 / 2))
        seq[2].weight.copy_(torch.tensor(W2 / 3))
        seq[4].weight.copy_(torch.tensor(U.T / 2))
    X, _ = _task(6)
    ref = optimality_check(net, 0.1, 0.2)
    for other in (optimality_check(seq, 0.1, 0.2), optimality_check(LayeredMeasure.from_network(net, X), 0.1, 0.2)):
        for a, b in zip(ref, other):
            np.testing.assert_allclose(a.u, b.u, rtol=1e-12)
            np.testing.assert_allclose(a.v, b.v, rtol=1e-12)


def test_replicated_network_equals_measure_with_rational_masses():
    """A node replicated n_k times in a network of M nodes is an atom of mass n_k/M."""
    rng = np.random.default_rng(0)
    n1, n2 = np.array([1, 3, 2]), np.array([2, 1, 1, 4])
    Z1, w2, u = rng.normal(size=(3, 2)), rng.normal(size=(3, 4)), rng.normal(size=(4, 1))
    mu = LayeredMeasure([Z1, rng.normal(size=(4, 5))], [n1 / n1.sum(), n2 / n2.sum()], [np.ones(3), np.ones(4)],
                        [w2], u)
    i1, i2 = np.repeat(np.arange(3), n1), np.repeat(np.arange(4), n2)
    net = DeepMLP.from_weights([Z1[i1], w2[np.ix_(i1, i2)].T], u[i2])
    a, b = optimality_check(mu, 0.5, 0.25), optimality_check(net, 0.5, 0.25)
    for ca, cb, idx in zip(a, b, (i1, i2)):
        np.testing.assert_allclose(cb.u, ca.u[idx], rtol=1e-12)
        np.testing.assert_allclose(cb.v, ca.v[idx], rtol=1e-12)


def test_str_and_plot():
    import matplotlib.pyplot as plt

    net, *_ = _tiny_net()
    check = optimality_check(net, 0.1, 0.2)
    text = str(check)
    assert "layer" in text and "slope" in text and len(text.splitlines()) == 4
    before = plt.get_fignums()
    axes = check.plot()
    assert len(axes) == 2 and plt.get_fignums() == before
    assert axes[0].figure is axes[1].figure
    from matplotlib.figure import Figure

    ax = Figure().subplots(1, 2)
    assert check.plot(ax)[1] is ax[1]
    with pytest.raises(ValueError, match="2 matplotlib Axes"):
        check.plot(ax[:1])
    with pytest.raises(AttributeError):
        check.layers = ()


# ---------------------------------------------------------------- V(w, u)
def _numpy_variance(W, U, X, eps=1e-6):
    """V by hand: loops over x, a_i by central finite differences in g_i."""
    def forward_from(l, g):
        f = np.tanh(g)
        for Wl in W[l + 1:]:
            f = np.tanh(Wl @ f / Wl.shape[1])
        return U.T @ f / U.shape[0]

    total = np.zeros(len(W))
    for x in X:
        gs, f = [], x
        for Wl in W:
            g = Wl @ f / Wl.shape[1]
            gs.append(g)
            f = np.tanh(g)
        out = U.T @ f / U.shape[0]
        total[-1] += sum(np.sum((U[j] * f[j] - out) ** 2) for j in range(U.shape[0])) / U.shape[0] ** 2
        for l in range(1, len(W)):
            m, m_low = W[l].shape
            E = np.eye(m) * eps
            a = [(forward_from(l, gs[l] + E[i]) - forward_from(l, gs[l] - E[i])) / (2 * eps) for i in range(m)]
            f_low = np.tanh(gs[l - 1])
            total[l - 1] += sum(
                np.sum(sum(a[i] * (f_low[j] * W[l][i, j] - gs[l][i]) for i in range(m)) ** 2)
                for j in range(m_low)) / m_low**2
    return total / len(X)


@pytest.mark.parametrize("widths,k", [((3, 2), 1), ((3, 4, 2), 2), ((4,), 3)])
def test_variance_by_hand(widths, k):
    net = DeepMLP(2, list(widths), n_outputs=k, seed=1)
    X = np.random.default_rng(0).normal(size=(7, 2))
    V, terms = approximation_variance(net, X, return_terms=True)
    W = [w.detach().numpy() for w in net.layers]
    expected = _numpy_variance(W, net.out.detach().numpy(), X)
    np.testing.assert_allclose(terms, expected, rtol=1e-7, atol=1e-12)
    assert V == pytest.approx(expected.sum(), rel=1e-7)
    assert approximation_variance(net, torch.tensor(X)) == pytest.approx(V, rel=1e-12)


def test_variance_vanishes_for_identical_copies():
    rng = np.random.default_rng(1)
    w1 = rng.normal(size=(1, 2))
    m = (4, 5, 3)
    layers = [np.repeat(w1, m[0], axis=0), np.full((m[1], m[0]), 1.3), np.full((m[2], m[1]), -0.7)]
    U = np.repeat(rng.normal(size=(1, 2)), m[2], axis=0)
    net = DeepMLP.from_weights(layers, U)
    X = rng.normal(size=(9, 2))
    V, terms = approximation_variance(net, X, return_terms=True)
    assert V < 1e-28 and terms.shape == (3,)
    # the same function with one node per layer
    small = DeepMLP.from_weights([w1, [[1.3]], [[-0.7]]], U[:1])
    with torch.no_grad():
        np.testing.assert_allclose(net(torch.tensor(X)), small(torch.tensor(X)), rtol=1e-12)
    # and a random network of the same shape has V > 0
    assert approximation_variance(DeepMLP(2, list(m), n_outputs=2), X) > 1e-3


def test_variance_does_not_touch_gradients_or_grad_mode():
    net = DeepMLP(2, [3, 2], seed=0)
    X = np.ones((4, 2))
    with torch.no_grad():
        V = approximation_variance(net, X)
    assert V == pytest.approx(approximation_variance(net, X)) and np.isfinite(V)
    assert all(p.grad is None for p in net.parameters())


# ---------------------------------------------------------------- bad input
def test_bad_input():
    net, *_ = _tiny_net()
    with pytest.raises(TypeError, match="DeepMLP, a torch.nn.Sequential or a LayeredMeasure"):
        optimality_check(np.eye(3), 0.1, 0.1)
    with pytest.raises(ValueError, match="2 floats"):
        optimality_check(net, [0.1, 0.2, 0.3], 0.1)
    with pytest.raises(ValueError, match="reg"):
        optimality_check(net, -1.0, 0.1)
    with pytest.raises(TypeError, match="reg"):
        optimality_check(net, "0.1", 0.1)
    with pytest.raises(TypeError, match="reg_u"):
        optimality_check(net, 0.1, None)
    with pytest.raises(TypeError, match="to_network"):
        approximation_variance(LayeredMeasure.from_network(net, np.ones((3, 2))), np.ones((3, 2)))
    with pytest.raises(TypeError, match="DeepMLP or a torch.nn.Sequential"):
        approximation_variance("net", np.ones((3, 2)))
    with pytest.raises(ValueError, match="X"):
        approximation_variance(net, np.ones((3, 3)))
    with pytest.raises(TypeError, match="layer 0"):
        optimality_check(nn.Sequential(nn.Conv1d(1, 1, 1)), 0.1, 0.1)
