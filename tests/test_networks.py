"""Network <-> measure maps, the cross-check report and pruning."""

import numpy as np
import pytest
import torch

import measureopt as mo
import solvers

pytestmark = pytest.mark.filterwarnings("ignore::measureopt.ConvergenceWarning")


@pytest.fixture(scope="module")
def setting():
    data = mo.teacher_student(n=30, d=3, m=2, seed=1, noise=0.02)
    prob = mo.BLASSO(data.X, data.y, reg=5e-3)
    ref = solvers.ExactReLU().solve(prob)
    return data, prob, ref


def test_network_map_keeps_the_objective(setting):
    data, prob, ref = setting
    rng = np.random.default_rng(0)
    nu = mo.DiscreteMeasure(rng.standard_normal(7), mo.sample_sphere(3, 7, seed=rng))
    net = mo.to_network(nu)
    X = torch.tensor(prob.X)
    # the network computes f(x; nu), and its weight decay is reg * TV (eq. 4-6)
    np.testing.assert_allclose(net(X)[:, 0].detach().numpy(), prob.predict(nu), rtol=1e-12)
    np.testing.assert_allclose(mo.weight_decay(net, prob.reg), prob.reg * nu.total_variation, rtol=1e-12)
    back = mo.from_network(net)
    np.testing.assert_allclose(prob.objective(back), prob.objective(nu), rtol=1e-13)
    loss = float(((net(X)[:, 0] - torch.tensor(prob.y)) ** 2).mean().detach()) / 2
    np.testing.assert_allclose(loss + mo.weight_decay(net, prob.reg), prob.objective(nu), rtol=1e-12)


def test_unbalanced_network_has_the_same_measure():
    """Rescaling (a, w) -> (a c, w / c) leaves the function and the measure unchanged."""
    a, W = np.array([2.0, -0.5]), np.array([[0.0, 3.0], [4.0, 0.0]])
    nu = mo.network_measure(a, W)
    nu2 = mo.network_measure(a * 3.0, W / 3.0)
    np.testing.assert_allclose(nu.weights, nu2.weights)
    np.testing.assert_allclose(nu.weights, [6.0, -2.0])
    np.testing.assert_allclose(nu.support, [[0.0, 1.0], [1.0, 0.0]])


def test_network_with_biases_is_lifted():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 5), torch.nn.ReLU(), torch.nn.Linear(5, 1)).double()
    with pytest.warns(mo.LiftedInputsWarning, match="lift"):
        nu = mo.from_network(net)
    assert nu.dim == 3
    X = mo.sample_sphere(2, 30, seed=0) * 1.7
    prob = mo.BLASSO(mo.lift(X), np.zeros(30), reg=1.0)
    np.testing.assert_allclose(prob.predict(nu), net(torch.tensor(X))[:, 0].detach().numpy(), rtol=1e-12)


def test_from_network_rejects_other_architectures():
    L = torch.nn.Linear
    with pytest.raises(ValueError, match=r"unsupported network architecture \['Linear', 'Tanh', 'Linear'\]"):
        mo.from_network(torch.nn.Sequential(L(3, 4), torch.nn.Tanh(), L(4, 1)))
    with pytest.raises(ValueError, match="2 outputs"):
        mo.from_network(torch.nn.Sequential(L(3, 4), torch.nn.ReLU(), L(4, 2)))
    with pytest.raises(ValueError, match="expected torch.nn.Sequential"):
        mo.from_network(L(3, 1))
    with pytest.raises(TypeError, match="torch.nn.Module"):
        mo.from_network("net")


def test_crosscheck_report(setting):
    data, prob, ref = setting
    res = solvers.ConicParticleGD(width=40, max_iter=4000, certify=False).solve(prob)
    report = mo.crosscheck(res, prob, reference=ref, teacher=data.teacher)
    assert report.gap_scope == "sphere"  # exact arrangement oracle in d = 3
    # a valid gap: it bounds the distance to the exact optimum
    assert report.objective - ref.objective <= report.gap + 1e-12
    np.testing.assert_allclose(report.objective_gap, report.objective - ref.objective, rtol=1e-12)
    for key in ("w2_reference", "winf_reference", "w2_teacher", "winf_teacher"):
        value = getattr(report, key)
        assert np.isfinite(value) and 0 <= value <= np.pi
    assert report.n_atoms == 40 and 1 <= report.n_effective <= 40
    d = report.to_dict()
    assert d["gap_scope"] == "sphere" and isinstance(d["n_atoms"], int)
    text = str(report)
    assert "duality gap" in text and "certified, continuous problem" in text and "W2 / Winf to teacher" in text
    # a network gives the same report as its measure
    net_report = mo.crosscheck(mo.to_network(res.measure), prob)
    np.testing.assert_allclose(net_report.objective, report.objective, rtol=1e-12)
    # the reference itself: zero distance, tiny gap
    self_report = mo.crosscheck(ref, prob, reference=ref)
    assert self_report.w2_reference == 0.0 and self_report.relative_gap < 1e-8


def test_crosscheck_labels_a_grid_gap(setting):
    _, prob, ref = setting
    report = mo.crosscheck(ref.measure, prob, oracle=prob.grid_oracle(ref.measure, 500))
    assert report.gap_scope == "grid" and "gridded problem only" in str(report)
    with pytest.raises(TypeError, match="network_or_measure"):
        mo.crosscheck([1, 2], prob)


def test_effective_neurons():
    nu = mo.DiscreteMeasure([1.0, -0.5, 1e-5, 0.0], np.eye(4))
    assert mo.effective_neurons(nu) == 2
    assert mo.effective_neurons(nu, rtol=1e-6) == 3
    assert mo.effective_neurons(mo.DiscreteMeasure.zero(3)) == 0


def test_prune_importance_beats_uniform(setting):
    """Fang-Dong-Zhang Fig. 11: sampling by |u| keeps the useful neurons."""
    data, prob, ref = setting
    wide = solvers.ConicParticleGD(width=400, max_iter=1500, certify=False).solve(prob)
    imp = [solvers.prune(wide.measure, prob, k=5, method="importance", random_state=s).objective for s in range(8)]
    uni = [solvers.prune(wide.measure, prob, k=5, method="uniform", random_state=s).objective for s in range(8)]
    assert np.mean(imp) < 0.5 * np.mean(uni)
    assert np.mean(imp) <= 1.01 * wide.objective
    pruned = solvers.prune(wide.measure, prob, k=10, random_state=0)
    assert pruned.measure.n_atoms <= 10
    assert pruned.stats["gap_scope"] == "grid" and pruned.relative_gap < 1e-8  # the refit is exact
    assert pruned.objective >= ref.objective - 1e-12
    with pytest.raises(ValueError, match="k must be <= 400"):
        solvers.prune(wide.measure, prob, k=401)
    with pytest.raises(ValueError, match="method must be one of"):
        solvers.prune(wide.measure, prob, k=3, method="random")
