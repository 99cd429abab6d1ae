import numpy as np
import pytest

import measureopt as mo


@pytest.mark.parametrize("d, n", [(2, 50), (3, 200), (5, 300)])
def test_sphere_grid_unit_norm_and_deterministic(d, n):
    grid = mo.sphere_grid(d, n, seed=0)
    assert grid.shape == (n, d)
    np.testing.assert_allclose(np.linalg.norm(grid, axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(grid, mo.sphere_grid(d, n, seed=0))


@pytest.mark.parametrize("d, n", [(2, 100), (3, 400), (5, 1000)])
def test_sphere_grid_covers_better_than_random(d, n):
    probes = mo.sample_sphere(d, 2000, seed=123)
    cover_grid = mo.geodesic_distance(probes, mo.sphere_grid(d, n, seed=0)).min(axis=1).max()
    cover_rand = mo.geodesic_distance(probes, mo.sample_sphere(d, n, seed=7)).min(axis=1).max()
    assert cover_grid < cover_rand


def test_circle_grid_is_equispaced():
    grid = mo.sphere_grid(2, 8, seed=3)
    angles = np.sort(np.mod(np.arctan2(grid[:, 1], grid[:, 0]), 2 * np.pi))
    np.testing.assert_allclose(np.diff(angles), 2 * np.pi / 8, rtol=1e-12)


def test_geodesic_distance_matches_arccos():
    a = mo.sample_sphere(4, 5, seed=0)
    b = mo.sample_sphere(4, 6, seed=1)
    np.testing.assert_allclose(mo.geodesic_distance(a, b), np.arccos(np.clip(a @ b.T, -1, 1)), atol=1e-7)
    # accurate for nearby points where arccos is not: exactly the rotation angle
    t = 1e-9
    p = np.array([[1.0, 0.0]])
    q = np.array([[np.cos(t), np.sin(t)]])
    np.testing.assert_allclose(mo.geodesic_distance(p, q)[0, 0], t, rtol=1e-6)


def test_tangent_projection_and_retractions():
    theta = mo.sample_sphere(5, 10, seed=0)
    v = mo.tangent_project(theta, np.random.default_rng(99).standard_normal((10, 5)))
    np.testing.assert_allclose(np.sum(v * theta, axis=1), 0.0, atol=1e-12)
    for method in ("exp", "projection"):
        out = mo.retract(theta, v, method=method)
        np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-12)
    # the exponential map moves by exactly ||v|| along the great circle
    step = 0.3 * v / np.linalg.norm(v, axis=1, keepdims=True)
    moved = mo.retract(theta, step, method="exp")
    np.testing.assert_allclose(np.diag(mo.geodesic_distance(theta, moved)), 0.3, rtol=1e-10)
    with pytest.raises(ValueError, match="method"):
        mo.retract(theta, v, method="cayley")


def test_measure_basics_and_immutability():
    mu = mo.DiscreteMeasure([1.0, -0.5, 0.0], [[1, 0], [0, 1], [-1, 0]])
    assert mu.n_atoms == 3 and mu.dim == 2
    assert mu.total_variation == 1.5
    assert mu.mass == 0.5
    np.testing.assert_allclose(mu.positive_part().weights, [1.0])
    np.testing.assert_allclose(mu.negative_part().weights, [0.5])
    np.testing.assert_allclose(mu.negative_part().support, [[0, 1]])
    assert mu.prune().n_atoms == 2
    assert mu.prune(0.6).n_atoms == 1
    assert mu.prune(0.6, relative=True).n_atoms == 1
    with pytest.raises(AttributeError, match="immutable"):
        mu.weights = np.zeros(3)
    with pytest.raises(ValueError):
        mu.weights[0] = 2.0
    source = np.array([1.0, 2.0])
    nu = mo.DiscreteMeasure(source, [[1, 0], [0, 1]])
    source[0] = 5.0
    assert nu.weights[0] == 1.0
    assert mo.DiscreteMeasure.from_dict(mu.to_dict()).total_variation == mu.total_variation
    np.testing.assert_allclose((2 * mu - mu).weights, [2.0, -1.0, 0.0, -1.0, 0.5, -0.0])


def test_merge_combines_close_atoms_on_the_sphere():
    t = 1e-4
    mu = mo.DiscreteMeasure([1.0, 3.0, 2.0], [[1, 0], [np.cos(t), np.sin(t)], [0, 1]])
    merged = mu.merge(1e-3)
    assert merged.n_atoms == 2
    order = np.argsort(merged.weights)
    np.testing.assert_allclose(merged.weights[order], [2.0, 4.0])
    np.testing.assert_allclose(np.linalg.norm(merged.support, axis=1), 1.0)
    angle = np.arctan2(merged.support[order[1], 1], merged.support[order[1], 0])
    np.testing.assert_allclose(angle, 0.75 * t, rtol=1e-6)


@pytest.mark.parametrize(
    "weights, support, match",
    [
        ([1.0, 2.0], [[1.0, 0.0]], "same number of atoms"),
        ([[1.0]], [[1.0, 0.0]], "weights must be 1-D"),
        ([1.0], [1.0, 0.0], "support must be 2-D"),
        ([np.nan], [[1.0, 0.0]], "weights contains 1 NaN"),
        ([1.0], [[np.inf, 0.0]], "support contains"),
    ],
)
def test_measure_bad_input(weights, support, match):
    with pytest.raises(ValueError, match=match):
        mo.DiscreteMeasure(weights, support)


def test_measure_bad_types():
    with pytest.raises(TypeError, match="weights"):
        mo.DiscreteMeasure("abc", [[1.0, 0.0]])


def test_nearest_geodesic_distance_and_check_measure():
    pts = np.array([[1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_allclose(mo.nearest_geodesic_distance(pts, np.array([[1.0, 0.0]])), [0.0, np.pi / 2])
    assert np.all(np.isinf(mo.nearest_geodesic_distance(pts, np.zeros((0, 2)))))
    mu = mo.DiscreteMeasure([1.0], [[1.0, 0.0]])
    assert mo.check_measure(mu, d=2) is mu
    with pytest.raises(ValueError, match=r"mu must live on S\^2"):
        mo.check_measure(mu, "mu", d=3)


def test_measure_pickles_and_copies():
    import copy
    import pickle

    mu = mo.DiscreteMeasure([1.0, -2.0], np.eye(3)[:2])
    for back in (pickle.loads(pickle.dumps(mu)), copy.copy(mu), copy.deepcopy(mu)):
        assert isinstance(back, mo.DiscreteMeasure)
        np.testing.assert_array_equal(back.weights, mu.weights)
        np.testing.assert_array_equal(back.support, mu.support)
        assert not back.weights.flags.writeable  # still immutable
