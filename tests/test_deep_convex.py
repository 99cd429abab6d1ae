"""Program (21) (Fang et al. 2022): objective by hand, feasibility, convexity, the dual bound, the solver, recovery."""

import warnings

import numpy as np
import pytest
import torch

import measureopt as mo
import solvers
from measureopt.deep import DeepConvexProgram, DeepMLP, LayeredMeasure, atoms_from_network


def _task(N=30):
    """The paper's 1-D task (Sec. VII-A): f(x) = 2(2cos^2 x - 1)^2 - 1 on [-2pi, 2pi], inputs (x, 1)."""
    x = np.linspace(-2 * np.pi, 2 * np.pi, N)
    return np.column_stack([x, np.ones(N)]), 2 * (2 * np.cos(x) ** 2 - 1) ** 2 - 1


def _program(widths=(12, 8), N=10, seed=1, loss="squared", reg=1e-2, reg_u=1e-2):
    X, y = _task(N)
    Y = (y > 0).astype(int) if loss == "cross_entropy" else y
    net = DeepMLP(2, list(widths), n_outputs=2 if loss == "cross_entropy" else 1, seed=seed)
    return DeepConvexProgram(X, Y, atoms_from_network(net, X), reg=reg, reg_u=reg_u, loss=loss), net


def _solve(prob, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mo.ConvergenceWarning)
        return solvers.DeepConvex(**kw).solve(prob)


def _random_feasible(prob, net, rng):
    """A random feasible point: random densities, the network's connections scaled column-wise, plus null-space noise."""
    rep = prob.represent(net)
    p = [rng.uniform(0.2, 2.0, k) for k in prob.widths]
    p = [v / (pi @ v) for v, pi in zip(p, prob.pi)]
    wt = []
    for l, w in enumerate(rep.wt, start=1):
        A = prob.features[l - 1] * prob.pi[l - 1]
        null = np.linalg.svd(A)[2][np.linalg.matrix_rank(A):].T  # (K_{l-1}, nullity)
        wt.append(w * p[l] + null @ rng.normal(size=(null.shape[1], w.shape[1])))
    ut = rng.normal(size=rep.ut.shape)
    return LayeredMeasure(prob.atoms, prob.pi, p, wt, ut, prob.activation)


def test_objective_by_hand_on_a_tiny_instance():
    """L = 2, N = 5, K = 3: a feasible point built by hand, its objective from the formulas (21)-(24) in loops."""
    rng = np.random.default_rng(0)
    N, d, K, lam1, lam2, lamu = 5, 2, 3, 0.3, 0.2, 0.1
    X, Y = rng.normal(size=(N, d)), rng.normal(size=N)
    Z1 = rng.normal(size=(K, d))
    pi1, pi2 = np.array([0.2, 0.3, 0.5]), np.array([0.5, 0.25, 0.25])
    p1, p2 = np.array([1.5, 1.0, 0.8]), np.array([0.4, 2.0, 1.2])
    Wt, Ut = rng.normal(size=(K, K)), rng.normal(size=(K, 1))
    H1 = np.tanh(X @ Z1.T / d)
    Z2 = np.empty((K, N))
    for k in range(K):  # z_k p_k = sum_j pi_j wt_jk h(theta_1(z_j))
        Z2[k] = sum(pi1[j] * Wt[j, k] * H1[:, j] for j in range(K)) / p2[k]
    prob = DeepConvexProgram(X, Y, [Z1, Z2], pi=[pi1, pi2], reg=[lam1, lam2], reg_u=lamu)
    point = LayeredMeasure([Z1, Z2], [pi1, pi2], [p1, p2], [Wt], Ut, "tanh")
    out = [sum(pi2[k] * Ut[k, 0] * np.tanh(Z2[k, n]) for k in range(K)) for n in range(N)]
    data = sum(0.5 * (out[n] - Y[n]) ** 2 for n in range(N)) / N
    r1 = sum(sum(pi1[j] * p1[j] * abs(Z1[j, i]) for j in range(K)) ** 2 for i in range(d)) / d
    r2 = sum(pi1[j] * sum(pi2[k] * abs(Wt[j, k]) for k in range(K)) ** 2 / p1[j] for j in range(K))
    ru = sum(pi2[k] * Ut[k, 0] ** 2 / p2[k] for k in range(K))
    np.testing.assert_allclose(prob.objective(point), data + lam1 * r1 + lam2 * r2 + lamu * ru, rtol=1e-13)
    assert prob.feasibility(point) < 1e-14


def test_network_objective_equals_its_representation():
    """A network is a feasible point of the program on its own atoms, with objective Q-hat (eq. 9-12)."""
    prob, net = _program(widths=(7, 5, 4))
    X, Y = torch.tensor(prob.X), torch.tensor(prob.Y)
    rep = prob.represent(net)
    np.testing.assert_allclose(prob.objective(rep), net.objective(X, Y, prob.reg, prob.reg_u).item(), rtol=1e-13)
    assert prob.feasibility(rep) < 1e-13


@pytest.mark.parametrize("loss", ["squared", "cross_entropy"])
def test_dual_bound_is_below_every_feasible_point(loss):
    """The dual bound holds for any multipliers: random ones, and the solver's, against random feasible points."""
    prob, net = _program(loss=loss)
    rng = np.random.default_rng(1)
    points = [prob.represent(net)] + [_random_feasible(prob, net, rng) for _ in range(5)]
    best = min(prob.objective(pt) for pt in points)
    for pt in points:
        for _ in range(3):
            gammas = [rng.normal(size=(prob.X.shape[0], k)) * 10.0 ** rng.uniform(-3, 0) for k in prob.widths[1:]]
            assert prob.dual_bound(pt, gammas) <= best + 1e-12
    res = _solve(prob)
    assert res.bracket[0] <= best + 1e-12
    assert res.objective <= best + 1e-12


def test_objective_is_convex_along_segments():
    """Theorem 3: J(midpoint) <= mean of J at two feasible points; the midpoint is feasible."""
    prob, net = _program()
    rng = np.random.default_rng(2)
    for _ in range(10):
        a, b = _random_feasible(prob, net, rng), _random_feasible(prob, net, rng)
        mid = LayeredMeasure(prob.atoms, prob.pi, [(u + v) / 2 for u, v in zip(a.p, b.p)],
                             [(u + v) / 2 for u, v in zip(a.wt, b.wt)], (a.ut + b.ut) / 2, prob.activation)
        assert prob.feasibility(mid) < 1e-12
        assert prob.objective(mid) <= (prob.objective(a) + prob.objective(b)) / 2 + 1e-12


@pytest.mark.parametrize("widths", [(12,), (12, 8), (10, 8, 6)])
def test_solver_certifies_and_beats_the_network(widths):
    prob, net = _program(widths=widths)
    res = _solve(prob)
    assert res.status == "optimal", res.message
    assert res.relative_gap <= 1e-6 and res.gap_scope == "grid"
    assert res.stats["feasibility"] < 1e-9
    np.testing.assert_allclose(res.objective, prob.objective(res.measure), rtol=1e-14)
    assert res.objective <= prob.objective(prob.represent(net))
    assert "LayeredMeasure" in repr(res.measure) and "objective" in str(res)


def _reference_optimum(prob):
    """Program (21) written independently: loops over atoms, full (unprojected) constraints, quad_over_lin."""
    import cvxpy as cp

    L, K, pi, H = prob.n_layers, prob.widths, prob.pi, prob.features
    N, d = prob.X.shape
    p = [cp.Variable(k, nonneg=True) for k in K]
    wt = [cp.Variable((K[l - 1], K[l])) for l in range(1, L)]
    ut = cp.Variable((K[-1], prob.n_outputs))
    cons = [cp.sum(cp.multiply(pi[l], p[l])) == 1 for l in range(L)]
    for l in range(1, L):
        for k in range(K[l]):
            cons.append(prob.atoms[l][k] * p[l][k] == sum(pi[l - 1][j] * wt[l - 1][j, k] * H[l - 1][:, j]
                                                         for j in range(K[l - 1])))
    F = sum(pi[-1][k] * cp.reshape(H[-1][:, k], (N, 1), order="C") @ cp.reshape(ut[k], (1, -1), order="C")
            for k in range(K[-1]))
    if prob.loss == "squared":
        obj = cp.sum_squares(F - prob.Y) / (2 * N)
    else:
        obj = sum(cp.log_sum_exp(F[n]) - F[n] @ prob.Y[n] for n in range(N)) / N
    obj += prob.reg[0] / d * sum(cp.square(sum(pi[0][j] * abs(prob.atoms[0][j, i]) * p[0][j] for j in range(K[0])))
                                 for i in range(d))
    for l in range(1, L):
        for j in range(K[l - 1]):
            obj += prob.reg[l] * pi[l - 1][j] * cp.quad_over_lin(pi[l] @ cp.abs(wt[l - 1][j]), p[l - 1][j])
    for k in range(K[-1]):
        obj += prob.reg_u * pi[-1][k] * cp.quad_over_lin(ut[k], p[-1][k])
    ref = cp.Problem(cp.Minimize(obj), cons)
    ref.solve(solver="CLARABEL")
    return ref.value


@pytest.mark.parametrize("loss", ["squared", "cross_entropy"])
def test_solver_matches_an_independent_formulation(loss):
    prob, _ = _program(widths=(6, 5), N=8, loss=loss)
    res = _solve(prob)
    ref = _reference_optimum(prob)
    np.testing.assert_allclose(res.objective, ref, rtol=1e-6)
    assert res.bracket[0] <= ref + 1e-9


def test_scs_bracket_holds_the_clarabel_optimum():
    """A different backend: SCS's certified bracket holds Clarabel's optimum, whatever SCS's accuracy."""
    prob, _ = _program(widths=(10,))
    best = _solve(prob).objective
    res = _solve(prob, backend="SCS")
    assert res.bracket[0] <= best + 1e-9 and res.objective >= best - 1e-9
    assert res.stats["backend"] == "SCS"


@pytest.mark.parametrize("widths", [(12, 8), (10, 8, 6)])
def test_recovered_network_reproduces_the_features_and_output(widths):
    """Sec. IV-C: w = wt/(p p), u = ut/p on the kept atoms; the 1/m network's forward pass gives the atoms and z^(L+1)."""
    prob, _ = _program(widths=widths)
    res = _solve(prob)
    sol = res.measure
    net = sol.to_network()
    kept = sol.kept()
    with torch.no_grad():
        X = torch.tensor(prob.X)
        g = net.preactivations(X)
        out = net(X).numpy()
    np.testing.assert_allclose(g[0].numpy(), prob.X @ prob.atoms[0][kept[0]].T / 2, rtol=1e-12)
    for l in range(1, prob.n_layers):
        np.testing.assert_allclose(g[l].numpy(), prob.atoms[l][kept[l]].T, atol=1e-6)
    np.testing.assert_allclose(out, prob.output(sol), atol=1e-6)


def test_recovery_of_a_network_is_the_network():
    """The network's own point recovers its weights exactly (p = 1, uniform pi)."""
    _, net = _program(widths=(5, 4))
    X, _ = _task(10)
    rebuilt = LayeredMeasure.from_network(net, X).to_network()
    for a, b in zip(net.layers, rebuilt.layers):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(net.out.detach().numpy(), rebuilt.out.detach().numpy(), rtol=1e-12)


def test_network_from_a_torch_sequential():
    """A bias-free Sequential in the standard scaling reads as the same function in the 1/m scaling."""
    torch.manual_seed(0)
    seq = torch.nn.Sequential(torch.nn.Linear(2, 4, bias=False), torch.nn.Tanh(), torch.nn.Linear(4, 3, bias=False),
                              torch.nn.Tanh(), torch.nn.Linear(3, 1, bias=False)).double()
    X = torch.randn(6, 2, dtype=torch.float64)
    net = DeepMLP.from_module(seq)
    np.testing.assert_allclose(net(X).detach().numpy(), seq(X).detach().numpy(), rtol=1e-12)


def test_bad_input_is_named():
    X, y = _task(10)
    net = DeepMLP(2, [6, 4], seed=0)
    atoms = atoms_from_network(net, X)
    with pytest.raises(ValueError, match=r"atoms\[1\] must have shape"):
        DeepConvexProgram(X, y, [atoms[0], atoms[1][:, :5]])
    with pytest.raises(ValueError, match=r"atoms\[0\] must have shape"):
        DeepConvexProgram(X, y, [atoms[0][:, :1], atoms[1]])
    with pytest.raises(ValueError, match=r"pi\[0\] must be nonnegative and sum to 1"):
        DeepConvexProgram(X, y, atoms, pi=[np.full(6, 0.2), np.full(4, 0.25)])
    with pytest.raises(ValueError, match=r"pi\[1\] must be nonnegative"):
        DeepConvexProgram(X, y, atoms, pi=[np.full(6, 1 / 6), np.array([0.5, 0.5, 0.5, -0.5])])
    with pytest.raises(ValueError, match=r"reg\[0\] must be finite and >= 0"):
        DeepConvexProgram(X, y, atoms, reg=[-1e-3, 1e-3])
    with pytest.raises(ValueError, match=r"reg\[1\] must be finite and > 0"):
        DeepConvexProgram(X, y, atoms, reg=[1e-3, 0.0])
    with pytest.raises(ValueError, match="reg_u must be finite and > 0"):
        DeepConvexProgram(X, y, atoms, reg_u=-1.0)
    with pytest.raises(ValueError, match="at least one layer"):
        DeepConvexProgram(X, y, [])
    with pytest.raises(ValueError, match="loss must be one of"):
        DeepConvexProgram(X, y, atoms, loss="hinge")
    with pytest.raises(ValueError, match="Program \\(21\\) is infeasible: no atom of layer 2"):
        DeepConvexProgram(X, y, [atoms[0][:3], np.random.default_rng(0).normal(size=(4, 10))])
    with pytest.raises(TypeError, match="unsupported Dropout"):
        DeepMLP.from_module(torch.nn.Sequential(torch.nn.Linear(2, 3, bias=False), torch.nn.Dropout(),
                                                torch.nn.Linear(3, 1, bias=False)))
    with pytest.raises(TypeError, match="unsupported Linear"):
        DeepMLP.from_module(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1)))
    with pytest.raises(ValueError, match="widths must hold at least one hidden layer"):
        DeepMLP(2, [])


def test_solvers_refuse_the_wrong_problem():
    prob, _ = _program(widths=(5,))
    with pytest.raises(mo.IncompatibleSolverError, match="DeepConvex needs Program \\(21\\)"):
        solvers.DeepConvex().solve(mo.BLASSO(np.eye(3), np.ones(3), reg=0.1))
    with pytest.raises(mo.IncompatibleSolverError, match="GridConvex needs a problem with features"):
        solvers.GridConvex().solve(prob)
    with pytest.raises(ValueError, match="backend must be one of"):
        solvers.DeepConvex(backend="MOSEK-ish")


def test_layer_wasserstein_against_scipy_and_itself():
    """W1 between two weighted 1-D layers equals scipy's; a measure is at distance 0 from itself."""
    from scipy.stats import wasserstein_distance

    from measureopt.deep import layer_wasserstein

    rng = np.random.default_rng(3)
    za, zb = rng.normal(size=(5, 1)), rng.normal(size=(7, 1))
    pa, pb = rng.uniform(0.5, 2, 5), rng.uniform(0.5, 2, 7)
    a = LayeredMeasure([za], [np.full(5, 0.2)], [pa / pa.mean()], [], np.ones((5, 1)))
    b = LayeredMeasure([zb], [np.full(7, 1 / 7)], [pb / pb.mean()], [], np.ones((7, 1)))
    np.testing.assert_allclose(layer_wasserstein(a, b, p=1)[0],
                               wasserstein_distance(za[:, 0], zb[:, 0], a.weights[0], b.weights[0]), rtol=1e-10)
    prob, net = _program(widths=(6, 4))
    own = prob.represent(net)
    np.testing.assert_allclose(layer_wasserstein(own, own), [0.0, 0.0], atol=1e-7)
    with pytest.raises(TypeError, match="nu must be a LayeredMeasure"):
        layer_wasserstein(own, net)


def test_deep_crosscheck_brackets_the_network():
    """The network is feasible on its own atoms: Q-hat >= the certified lower bound, and the excess is their difference."""
    prob, net = _program(widths=(10, 6))
    report = solvers.deep_crosscheck(net, prob.X, prob.Y, reg=prob.reg, reg_u=prob.reg_u)
    X, Y = torch.tensor(prob.X), torch.tensor(prob.Y)
    np.testing.assert_allclose(report.network_objective, net.objective(X, Y, prob.reg, prob.reg_u).item(), rtol=1e-12)
    assert report.status == "optimal"
    assert report.convex_lower <= report.convex_objective <= report.network_objective
    np.testing.assert_allclose(report.excess, report.network_objective - report.convex_lower, rtol=1e-12)
    assert len(report.w2) == 2 and all(w >= 0 for w in report.w2)
    assert "network excess" in str(report) and report.to_dict()["widths"] == [10, 6]


def test_fixed_densities_subproblem():
    """With the densities fixed, the program is over the connections: its optimum is between the free optimum and
    the network's objective at p = 1, and its dual bound is below every feasible point with those densities."""
    prob, net = _program(widths=(10, 6))
    fixed = DeepConvexProgram(prob.X, prob.Y, prob.atoms, reg=prob.reg, reg_u=prob.reg_u,
                              densities=[np.ones(k) for k in prob.widths])
    res_fixed, res_free = _solve(fixed), _solve(prob)
    assert res_fixed.status == "optimal"
    for v in res_fixed.measure.p:
        np.testing.assert_allclose(v, 1.0)
    assert res_free.bracket[0] <= res_fixed.objective <= fixed.objective(fixed.represent(net)) + 1e-12
    rng = np.random.default_rng(5)
    rep = fixed.represent(net)
    gammas = [rng.normal(size=(prob.X.shape[0], k)) for k in prob.widths[1:]]
    assert fixed.dual_bound(rep, gammas) <= fixed.objective(rep)
    with pytest.raises(ValueError, match=r"densities\[1\] must be nonnegative"):
        DeepConvexProgram(prob.X, prob.Y, prob.atoms, densities=[np.ones(10), np.full(6, 2.0)])


def test_status_follows_the_recomputed_certificate():
    """The library's certificate decides: a backend stopped by its iteration limit is 'optimal' when the recomputed
    gap meets tol, and not otherwise."""
    prob, _ = _program(widths=(10, 6))
    short = {"max_iter": 5}
    loose = _solve(prob, backend_options=short, tol=0.5)
    strict = _solve(prob, backend_options=short, tol=1e-12)
    assert loose.stats["backend_status"] == strict.stats["backend_status"] == "user_limit"
    assert loose.relative_gap <= 0.5 and loose.status == "optimal"
    assert strict.status == "max_iter"
