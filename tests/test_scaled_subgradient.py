"""Algorithm 1 of Fang et al. (2022): one step by hand, gradients by finite differences, runs, statuses, validation."""

import warnings

import numpy as np
import pytest
import torch

import measureopt as mo
import solvers
from measureopt.deep import DeepConvexProgram, DeepMLP, LayeredMeasure
from solvers.scaled_subgradient import mininorm_subgradient


def _task(N=100, seed=0):
    """The paper's 1-D task (Sec. VII-A): x uniform on [-2pi, 2pi], inputs (x, 1), y = 2(2cos^2 x - 1)^2 - 1."""
    x = np.random.default_rng(seed).uniform(-2 * np.pi, 2 * np.pi, N)
    return np.column_stack([x, np.ones(N)]), 2 * (2 * np.cos(x) ** 2 - 1) ** 2 - 1


def _program(N=100, loss="squared", reg=1e-3, reg_u=1e-3):
    X, y = _task(N)
    Y = (y > 0).astype(int) if loss == "cross_entropy" else y
    return DeepConvexProgram.random(X, Y, widths=[4, 3], reg=reg, reg_u=reg_u, loss=loss)


def _solve(solver, prob):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mo.ConvergenceWarning)
        return solver.solve(prob)


def _params(net):
    """The weights w^(1), ..., w^(L), u as NumPy arrays (``net.parameters()`` lists ``out`` first)."""
    return [p.detach().cpu().numpy().copy() for p in [*net.layers, net.out]]


# ---------------------------------------------------------------- one step by hand
def _hand_step(X, Y, W1, W2, u, lam1, lam2, lam_u, eta):
    """Eq. (25)-(26) and Algorithm 1, line 5, for L = 2, d = 2, widths (3, 2), k = 1: NumPy and loops."""
    N, d = X.shape
    m1, m2 = W1.shape[0], W2.shape[0]
    # forward (eq. 1-2), 1/m scaling
    f1 = np.tanh(X @ W1.T / d)
    f2 = np.tanh(f1 @ W2.T / m1)
    out = f2 @ u / m2
    # backward of the smooth part: (1/2N) sum |f - y|^2 + lam_u (1/m2) sum_j |u_j|^2
    dout = (out - Y) / N
    gu = f2.T @ dout / m2 + lam_u * 2 * u / m2
    dg2 = (dout @ u.T / m2) * (1 - f2**2)
    gW2 = dg2.T @ f1 / m1
    dg1 = (dg2 @ W2 / m1) * (1 - f1**2)
    gW1 = dg1.T @ X / d
    cases = []
    new = []
    for W, g, lam, m_lo in ((W1, gW1, lam1, d), (W2, gW2, lam2, m1)):
        m_hi = W.shape[0]
        G = np.empty_like(W)
        for k in range(m_lo):
            V = sum(abs(W[j, k]) for j in range(m_hi)) / m_hi
            c = 2 * lam * V / (m_lo * m_hi)
            for j in range(m_hi):
                if W[j, k] != 0:
                    s = np.sign(W[j, k])
                    cases.append("nonzero")
                elif V == 0:
                    s = 0.0
                    cases.append("zero column")
                else:
                    s = min(max(-g[j, k] / c, -1.0), 1.0)
                    cases.append("clipped" if abs(g[j, k] / c) > 1 else "interior")
                G[j, k] = g[j, k] + c * s
        new.append(W - eta * m_lo * m_hi * G)
    new.append(u - eta * m2 * gu)
    return new, cases


def test_one_step_matches_a_hand_computation():
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    W1, W2, u = rng.normal(size=(3, 2)) * 1.5, rng.normal(size=(2, 3)) * 1.5, rng.normal(size=(2, 1))
    W1[0, 0] = 0.0  # a zero in a column with V > 0: |g/c| ~ 16, the clip is active
    W2[0, 0] = 0.0  # a zero in a column with V > 0: |g/c| ~ 0.8, inside [-1, 1]
    W2[:, 2] = 0.0  # a column entirely zero: V = 0
    lam1, lam2, lam_u, eta = 0.01, 0.001, 0.1, 0.05
    expected, cases = _hand_step(X, Y, W1, W2, u, lam1, lam2, lam_u, eta)
    assert {"nonzero", "zero column", "clipped", "interior"} <= set(cases)  # the instance covers (26)
    net = DeepMLP.from_weights([W1, W2], u)
    before = _params(net)
    prob = DeepConvexProgram.random(X, Y, widths=[3, 2], reg=[lam1, lam2], reg_u=lam_u)
    res = _solve(solvers.ScaledSubgradientGD(step=eta, max_iter=1, init=net), prob)
    assert res.n_iter == 1 and res.status == "max_iter"
    got = _params(res.stats["network"])
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-15)
    # the interior case: the mini-norm subgradient is 0 there, so the weight stays at 0
    assert abs(got[1][0, 0]) < 1e-15 and abs(got[0][0, 0]) > 1e-3
    for b, a in zip(before, _params(net)):  # init is copied, never modified
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- gradients by finite differences
def _fd_gradient(net, fun, h=1e-6):
    """Central differences of ``fun()`` in every parameter of ``net``."""
    out = []
    with torch.no_grad():
        for p in [*net.layers, net.out]:
            g = torch.zeros_like(p)
            for i in range(p.numel()):
                flat = p.view(-1)
                old = flat[i].item()
                flat[i] = old + h
                up = float(fun())
                flat[i] = old - h
                down = float(fun())
                flat[i] = old
                g.view(-1)[i] = (up - down) / (2 * h)
            out.append(g.numpy())
    return out


@pytest.mark.parametrize("loss", ["squared", "cross_entropy"])
def test_smooth_gradient_matches_finite_differences(loss):
    """With lambda^(l) = 0 the subgradient is the autograd gradient of the mean loss + lambda_u R_u."""
    rng = np.random.default_rng(1)
    X = torch.tensor(rng.normal(size=(6, 3)))
    Y = torch.tensor(np.eye(2)[rng.integers(0, 2, 6)] if loss == "cross_entropy" else rng.normal(size=(6, 2)))
    net = DeepMLP(3, [5, 4], n_outputs=2, seed=2)
    G = mininorm_subgradient(net, X, Y, reg=0.0, reg_u=0.3, loss=loss)
    fd = _fd_gradient(net, lambda: net.objective(X, Y, 0.0, 0.3, loss))
    for g, f in zip(G, fd):
        np.testing.assert_allclose(g.numpy(), f, rtol=1e-6, atol=1e-9)


def test_subgradient_is_the_gradient_where_no_weight_is_zero():
    """Away from zero weights the l_{1,2} terms are differentiable: G is the gradient of the full Q-hat."""
    rng = np.random.default_rng(2)
    X, Y = torch.tensor(rng.normal(size=(6, 3))), torch.tensor(rng.normal(size=(6, 1)))
    net = DeepMLP(3, [5, 4], seed=3)
    reg, reg_u = [0.2, 0.5], 0.1
    G = mininorm_subgradient(net, X, Y, reg, reg_u)
    fd = _fd_gradient(net, lambda: net.objective(X, Y, reg, reg_u))
    for g, f in zip(G, fd):
        np.testing.assert_allclose(g.numpy(), f, rtol=1e-6, atol=1e-9)


def test_steps_match_sgd_on_the_full_objective():
    """Without zero weights, Algorithm 1 is SGD on Q-hat with learning rate eta m_{l-1} m_l per layer."""
    prob = _program(N=30, reg=[0.05, 0.05], reg_u=0.01)
    net = DeepMLP(2, [6, 5], seed=4)
    eta, n = 0.5, 5
    res = _solve(solvers.ScaledSubgradientGD(step=eta, max_iter=n, init=net), prob)
    sizes = [2, 6, 5]
    opt = torch.optim.SGD([{"params": [w], "lr": eta * sizes[l] * sizes[l + 1]} for l, w in enumerate(net.layers)]
                          + [{"params": [net.out], "lr": eta * 5}], lr=eta)
    X, Y = torch.tensor(prob.X), torch.tensor(prob.Y)
    for _ in range(n):
        opt.zero_grad()
        net.objective(X, Y, prob.reg, prob.reg_u).backward()
        opt.step()
    for g, e in zip(_params(res.stats["network"]), _params(net)):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-13)


# ---------------------------------------------------------------- runs
def test_objective_decreases_on_the_1d_task():
    prob = _program(N=100)
    solver = solvers.ScaledSubgradientGD(max_iter=150, widths=(20, 10), record_every=10)
    with pytest.warns(mo.ConvergenceWarning, match="max_iter"):
        res = solver.solve(prob)
    h = res.history
    assert list(h) == ["iteration", "objective", "loss", "reg_1", "reg_2", "reg_u", "elapsed"]
    np.testing.assert_array_equal(h["iteration"], np.arange(0, 151, 10))
    assert np.all(np.diff(h["objective"]) <= 1e-12) and h["objective"][-1] < 0.9 * h["objective"][0]
    np.testing.assert_allclose(h["objective"], h["loss"] + 1e-3 * (h["reg_1"] + h["reg_2"] + h["reg_u"]),
                               rtol=1e-12)
    net = res.stats["network"]
    assert isinstance(res.measure, LayeredMeasure) and net.widths == [20, 10]
    with torch.no_grad():
        q = float(net.objective(torch.tensor(prob.X), torch.tensor(prob.Y), prob.reg, prob.reg_u, prob.loss))
    np.testing.assert_allclose(res.objective, q, rtol=1e-12)
    np.testing.assert_allclose(res.objective, h["objective"][-1], rtol=1e-12)
    assert res.status == "max_iter" and res.n_iter == 150 and np.isnan(res.dual_gap) and res.gap_scope == "none"
    assert res.stats["time_per_step"] > 0 and res.stats["n_steps"] == 150


def test_stationary_status_and_default_widths():
    prob = _program(N=40)
    res = _solve(solvers.ScaledSubgradientGD(max_iter=500, stationary_tol=1e-2, record_every=5), prob)
    assert res.status == "stationary" and res.n_iter < 500 and res.n_iter % 5 == 0
    assert res.stats["network"].widths == prob.widths  # the program's numbers of atoms by default


def test_minibatch_and_torch_sequential_init():
    prob = _program(N=60)
    seq = torch.nn.Sequential(torch.nn.Linear(2, 8, bias=False), torch.nn.Tanh(), torch.nn.Linear(8, 6, bias=False),
                              torch.nn.Tanh(), torch.nn.Linear(6, 1, bias=False)).double()
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():  # the standard scaling of DeepMLP's initialization, seeded
        for layer, scale in ((seq[0], 2**-0.5), (seq[2], 8**-0.5), (seq[4], 1 / 6)):
            layer.weight.copy_(torch.randn(layer.weight.shape, generator=gen, dtype=torch.float64) * scale)
    first = seq[0].weight.detach().clone()
    a = _solve(solvers.ScaledSubgradientGD(step=0.3, max_iter=100, batch_size=16, init=seq, seed=5), prob)
    b = _solve(solvers.ScaledSubgradientGD(step=0.3, max_iter=100, batch_size=16, init=seq, seed=5), prob)
    full = _solve(solvers.ScaledSubgradientGD(max_iter=40, init=seq), prob)
    torch.testing.assert_close(seq[0].weight, first, rtol=0, atol=0)
    assert a.stats["batch_size"] == 16 and a.stats["network"].widths == [8, 6]
    for x, y in zip(_params(a.stats["network"]), _params(b.stats["network"])):
        np.testing.assert_array_equal(x, y)  # seeded minibatches
    assert not np.allclose(_params(a.stats["network"])[0], _params(full.stats["network"])[0])
    assert np.all(np.isfinite(a.history["objective"])) and a.objective < a.history["objective"][0]
    # batch_size = N is the full batch
    same = _solve(solvers.ScaledSubgradientGD(max_iter=40, batch_size=60, init=seq), prob)
    np.testing.assert_array_equal(_params(same.stats["network"])[0], _params(full.stats["network"])[0])


def test_cross_entropy():
    prob = _program(N=60, loss="cross_entropy")
    res = _solve(solvers.ScaledSubgradientGD(max_iter=60, widths=(10, 6)), prob)
    assert res.stats["network"].out.shape == (6, 2)
    assert res.history["objective"][-1] < res.history["objective"][0]
    with torch.no_grad():
        q = float(res.stats["network"].objective(torch.tensor(prob.X), torch.tensor(prob.Y), prob.reg, prob.reg_u,
                                                 "cross_entropy"))
    np.testing.assert_allclose(res.objective, q, rtol=1e-12)


def test_huge_step_is_a_numerical_error_with_a_finite_network():
    prob = _program(N=40)
    with pytest.warns(mo.SolverFailureWarning, match="numerical_error"):
        res = solvers.ScaledSubgradientGD(step=1e3, max_iter=500, widths=(8, 6)).solve(prob)
    assert res.status == "numerical_error" and res.n_iter < 500
    assert "last finite iterate" in res.message
    assert all(np.all(np.isfinite(p)) for p in _params(res.stats["network"]))
    assert np.isfinite(res.objective)


def test_float32():
    prob = _program(N=40)
    res = _solve(solvers.ScaledSubgradientGD(max_iter=20, widths=(8, 6), dtype="float32"), prob)
    ref = _solve(solvers.ScaledSubgradientGD(max_iter=20, widths=(8, 6)), prob)
    assert res.stats["dtype"] == "torch.float32" and res.stats["network"].out.dtype == torch.float64
    np.testing.assert_allclose(res.objective, ref.objective, rtol=1e-4)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu():
    prob = _program(N=60)
    gpu = _solve(solvers.ScaledSubgradientGD(max_iter=30, widths=(16, 8), batch_size=None, device="cuda"), prob)
    cpu = _solve(solvers.ScaledSubgradientGD(max_iter=30, widths=(16, 8)), prob)
    assert gpu.stats["device"].startswith("cuda")
    np.testing.assert_allclose(gpu.objective, cpu.objective, rtol=1e-10)


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize("kwargs, error, match", [
    ({"step": -1.0}, ValueError, "step"),
    ({"step": 0.0}, ValueError, "step"),
    ({"max_iter": -1}, ValueError, "max_iter"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"batch_size": 2.5}, TypeError, "batch_size"),
    ({"widths": (4, 0)}, ValueError, r"widths\[1\]"),
    ({"widths": ()}, ValueError, "widths"),
    ({"record_every": 0}, ValueError, "record_every"),
    ({"stationary_tol": -1e-3}, ValueError, "stationary_tol"),
    ({"init": np.zeros((2, 2))}, TypeError, "init"),
    ({"dtype": "int64"}, ValueError, "dtype"),
    ({"device": "nowhere"}, ValueError, "device"),
    ({"seed": "zero"}, TypeError, "seed"),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        solvers.ScaledSubgradientGD(**kwargs)


def test_bad_problems():
    prob = _program(N=20)
    with pytest.raises(ValueError, match="batch_size must be at most the number of samples N = 20"):
        solvers.ScaledSubgradientGD(batch_size=21).solve(prob)
    with pytest.raises(ValueError, match="init has input size 3"):
        solvers.ScaledSubgradientGD(init=DeepMLP(3, [4])).solve(prob)
    with pytest.raises(ValueError, match="disagree"):
        solvers.ScaledSubgradientGD(init=DeepMLP(2, [4, 3]), widths=(5, 3)).solve(prob)
    data = mo.teacher_student(n=20, d=3, m=2, seed=0)
    with pytest.raises(mo.IncompatibleSolverError, match="ScaledSubgradientGD needs Program \\(21\\)"):
        solvers.ScaledSubgradientGD().solve(mo.BLASSO(data.X, data.y, reg=1e-3))


def test_repr_round_trips():
    solver = solvers.ScaledSubgradientGD(step=0.5, widths=[4, 3], dtype="float32", batch_size=8)
    assert repr(solver).startswith("ScaledSubgradientGD(step=0.5, max_iter=1000, widths=(4, 3)")
    assert repr(type(solver)(**solver.get_params())) == repr(solver)
