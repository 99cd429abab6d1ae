"""The arrangement and its exact oracle on every kind of degenerate input (issue 11, item 1).

Three independent references: a 10^6-direction sample plus Riemannian ascent
(a lower bound on the sup), branch-and-bound (an upper bound, other code),
and Euler's formula for the number of cells of a great-circle arrangement.
"""

import numpy as np
import pytest

import measureopt as mo
import solvers
from measureopt.arrangement import arrangement_patterns, arrangement_stars
from measureopt.oracles import riemannian_ascent


def _families():
    base = mo.sample_sphere(3, 12, seed=1)
    a, b = base[0], base[1]
    return {
        "duplicated": np.vstack([base, base[:3]]),
        "parallel": np.vstack([base, 2.5 * base[:2]]),
        "antipodal": np.vstack([base, -base[:3]]),
        "zero rows": np.vstack([base, np.zeros((2, 3))]),
        "dependent triples": np.vstack([base, a + b, 0.3 * a - 2 * b, np.cross(a, b) + a]),
        "sphere grid": mo.sphere_grid(3, 30, seed=0),
        "coplanar": np.c_[mo.sphere_grid(2, 10, seed=0), np.zeros(10)],
        "one line": np.outer([1.0, -2.0, 3.0, 0.5], [0.2, -0.5, 0.8]),
        "all zero": np.zeros((4, 3)),
        "integer lattice": np.array([[i, j, k] for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (0, 1)], float),
        "on a vertex": np.vstack([base, np.cross(np.cross(a, b), base[2])]),  # through the vertex a x b
    }


FAMILIES = _families()


@pytest.fixture(scope="module")
def directions():
    return mo.sample_sphere(3, 1_000_000, seed=2)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_exact_relu_oracle_on_degenerate_inputs(name, directions):
    X = FAMILIES[name]
    prob = mo.BLASSO(X, np.ones(len(X)), reg=0.1)
    rng = np.random.default_rng(len(name))
    for _ in range(2):
        q = rng.standard_normal(len(X))
        res = mo.ArrangementOracle().maximize(prob, q)
        # the value is attained at the returned direction
        np.testing.assert_allclose(abs(prob.correlation(q, res.argmax[None])[0]), res.value, rtol=1e-12, atol=1e-15)
        # lower reference: 10^6 directions, the best 20 polished by ascent
        values = prob.correlation(q, directions)
        starts = directions[np.argsort(-np.abs(values))[:20]]
        _, polished = riemannian_ascent(prob.features, q, starts)
        lower = max(np.abs(values).max(), np.abs(polished).max())
        assert res.value >= lower - 1e-12
        assert res.upper >= lower
        # upper reference: branch-and-bound, a different method; both brackets hold the sup
        bb = mo.BranchAndBound(rtol=1e-9).maximize(prob, q)
        assert bb.upper >= res.value  # branch-and-bound is sound (it was not on zero rows)
        assert res.upper >= bb.value
        np.testing.assert_allclose(res.value, bb.upper, rtol=2e-9, atol=1e-14)


def _euler_cell_count(X):
    """Cells of the arrangement of the great circles x_i^perp: F = 2 - V + sum_v k_v (Euler, V - E + F = 2)."""
    norms = np.linalg.norm(X, axis=1)
    lines = X[norms > 0] / norms[norms > 0, None]
    lines *= np.where(lines[np.arange(len(lines)), np.argmax(np.abs(lines) > 1e-9, axis=1)] < 0, -1, 1)[:, None]
    _, first = np.unique(np.round(lines, 9), axis=0, return_index=True)
    lines = lines[first]  # one unrounded normal per distinct hyperplane
    if len(lines) == 0:
        return 1
    if len(lines) == 1:
        return 2
    vertices = []
    for i in range(len(lines)):
        for j in range(i + 1, len(lines)):
            v = np.cross(lines[i], lines[j])
            v /= np.linalg.norm(v)
            vertices += [v, -v]
    _, first = np.unique(np.round(vertices, 9), axis=0, return_index=True)
    vertices = np.array(vertices)[first]
    through = (np.abs(vertices @ lines.T) < 1e-9).sum(axis=1)
    return 2 - len(vertices) + int(through.sum())


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_cell_is_enumerated(name, directions):
    X = FAMILIES[name]
    patterns = np.unique(np.concatenate([s.pattern for s in arrangement_stars(X)]), axis=0)
    assert len(patterns) == _euler_cell_count(X)
    # every pattern a dense sample hits is enumerated
    hit = np.unique(directions[:200_000] @ X.T > 0, axis=0)
    assert {p.tobytes() for p in hit} <= {p.tobytes() for p in patterns}
    # arrangement_patterns (ExactReLU) lists the same cells, less the all-inactive one
    assert len(arrangement_patterns(X)) == len(patterns) - int((~patterns.any(axis=1)).any())


@pytest.mark.parametrize("name", ["dependent triples", "integer lattice", "zero rows", "one line"])
def test_exact_step_oracle_on_degenerate_inputs(name, directions):
    X = FAMILIES[name]
    prob = mo.BLASSO(X, np.ones(len(X)), reg=0.1, activation="step")
    rng = np.random.default_rng(0)
    for _ in range(3):
        q = rng.standard_normal(len(X))
        res = mo.ArrangementOracle().maximize(prob, q)
        found = abs(prob.correlation(q, res.argmax[None])[0])
        np.testing.assert_allclose(found, res.value, rtol=1e-12, atol=1e-15)  # a point inside the best cell
        # exhaustive over the cells: the largest |sum_{i in S} q_i| / n
        cells = np.unique(np.concatenate([s.pattern for s in arrangement_stars(X)]), axis=0)
        np.testing.assert_allclose(res.value, np.abs(cells @ q).max() / len(X), rtol=1e-12)
        assert res.value >= np.abs(prob.correlation(q, directions)).max() - 1e-15


@pytest.mark.filterwarnings("ignore::solvers.ConvergenceWarning")
def test_degenerate_data_solve_end_to_end():
    """Dependent and repeated inputs in d = 3 no longer stop a solve; the gap is certified and valid."""
    X = FAMILIES["integer lattice"]
    X = X[np.linalg.norm(X, axis=1) > 0]
    y = np.maximum(X @ np.array([0.3, -0.5, 0.8]), 0) - 0.5 * np.maximum(X @ np.array([-0.6, 0.0, 0.8]), 0)
    prob = mo.BLASSO(X, y, reg=1e-2)
    exact = solvers.ExactReLU(tol=1e-7).solve(prob)
    assert exact.status == "optimal"
    for solver in (solvers.SlidingFrankWolfe(tol=1e-6), solvers.FrankWolfe(max_iter=200)):
        res = solver.solve(prob)
        assert res.gap_scope == "sphere"
        assert res.dual_gap >= res.objective - exact.objective - 1e-12
    assert prob.duality_gap(exact.measure) <= 1e-7 * exact.objective


def test_invalid_q_still_raises():
    prob = mo.BLASSO(FAMILIES["duplicated"], np.ones(15), reg=0.1)
    with pytest.raises(ValueError, match="q"):
        mo.ArrangementOracle().maximize(prob, np.full(15, np.nan))
    with pytest.raises(ValueError, match=r"q must have shape \(15,\)"):
        mo.ArrangementOracle().maximize(prob, np.ones(3))
