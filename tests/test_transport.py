import itertools

import numpy as np
import ot
import pytest

import measureopt as mo


def _geodesic(a, b):
    return np.arccos(np.clip(a @ b.T, -1.0, 1.0))


@pytest.fixture
def two_positive():
    rng = np.random.default_rng(0)
    a = mo.DiscreteMeasure(rng.uniform(0.1, 1, 5), mo.sample_sphere(3, 5, seed=1))
    b = mo.DiscreteMeasure(rng.uniform(0.1, 1, 7), mo.sample_sphere(3, 7, seed=2))
    return a, b


@pytest.mark.parametrize("p", [1, 2, 3])
def test_matches_direct_pot_call(two_positive, p):
    mu, nu = two_positive
    a = mu.weights / mu.weights.sum()
    b = nu.weights / nu.weights.sum()
    expected = ot.emd2(a, b, _geodesic(mu.support, nu.support) ** p) ** (1 / p)
    np.testing.assert_allclose(mo.wasserstein(mu, nu, p=p), expected, rtol=1e-7)


def test_winf_is_the_bottleneck_matching():
    # equal masses: W_inf is the min over permutations of the largest matched distance
    mu = mo.DiscreteMeasure(np.ones(5), mo.sample_sphere(4, 5, seed=3))
    nu = mo.DiscreteMeasure(np.ones(5), mo.sample_sphere(4, 5, seed=4))
    cost = _geodesic(mu.support, nu.support)
    brute = min(max(cost[i, j] for i, j in enumerate(perm)) for perm in itertools.permutations(range(5)))
    np.testing.assert_allclose(mo.wasserstein(mu, nu, p=np.inf), brute, rtol=1e-7)


def test_winf_with_unequal_atom_weights():
    # mass 1/2 at e1 must be split: half goes to e1 (distance 0), the rest travels
    e = np.eye(3)
    mu = mo.DiscreteMeasure([0.5, 0.5], [e[0], e[1]])
    nu = mo.DiscreteMeasure([0.25, 0.75], [e[0], e[1]])
    # 0.25 of the mass at e1 must move to e2: distance pi/2
    np.testing.assert_allclose(mo.wasserstein(mu, nu, p=np.inf), np.pi / 2)
    np.testing.assert_allclose(mo.wasserstein(mu, nu, p=1), 0.25 * np.pi / 2)


def test_winf_dominates_wp(two_positive):
    mu, nu = two_positive
    w1, w2, winf = (mo.wasserstein(mu, nu, p) for p in (1, 2, np.inf))
    assert w1 <= w2 + 1e-12 <= winf + 2e-12


def test_signed_measures_part_by_part():
    e = np.eye(3)
    t = 0.2
    rot = np.array([np.cos(t), np.sin(t), 0.0])
    mu = mo.DiscreteMeasure([1.0, -1.0], [e[0], e[2]])
    nu = mo.DiscreteMeasure([3.0, -1.0], [rot, e[1]])
    details = mo.wasserstein_details(mu, nu, p=2)
    np.testing.assert_allclose(details.positive, t)
    np.testing.assert_allclose(details.negative, np.pi / 2)
    # weights are the average part masses: (1 + 3)/2 = 2 and (1 + 1)/2 = 1
    np.testing.assert_allclose(details.distance, np.sqrt((2 * t**2 + 1 * (np.pi / 2) ** 2) / 3))
    assert details.mass_positive == (1.0, 3.0)
    np.testing.assert_allclose(details.mass_difference, 2.0)
    np.testing.assert_allclose(mo.wasserstein(mu, nu, np.inf), np.pi / 2)


def test_missing_part_is_charged_the_diameter():
    e = np.eye(2)
    mu = mo.DiscreteMeasure([1.0, -0.01], [e[0], e[1]])
    nu = mo.DiscreteMeasure([1.0], [e[0]])
    details = mo.wasserstein_details(mu, nu, p=2)
    assert details.negative == np.pi
    np.testing.assert_allclose(details.distance, np.sqrt(0.005 / 1.005) * np.pi)
    assert np.isnan(mo.wasserstein_details(nu, nu).negative)
    assert mo.wasserstein(nu, nu) == 0.0
    zero = mo.DiscreteMeasure.zero(2)
    assert mo.wasserstein(zero, zero) == 0.0
    np.testing.assert_allclose(mo.wasserstein(mu, nu), mo.wasserstein(nu, mu))


def test_equal_mass_scaling():
    mu = mo.DiscreteMeasure([2.0], [[1.0, 0.0]])
    nu = mo.DiscreteMeasure([2.0], [[0.0, 1.0]])
    np.testing.assert_allclose(mo.wasserstein(mu, nu, p=1), np.pi / 2)


@pytest.mark.parametrize(
    "p, exc, match",
    [(0.5, ValueError, "p must be >= 1"), ("two", TypeError, "p must be a real number"), ("1.0", TypeError, "p must be a real number"), (True, TypeError, "p must")],
)
def test_bad_order(two_positive, p, exc, match):
    with pytest.raises(exc, match=match):
        mo.wasserstein(*two_positive, p=p)


def test_bad_measures(two_positive):
    mu, _ = two_positive
    with pytest.raises(ValueError, match="same sphere"):
        mo.wasserstein(mu, mo.DiscreteMeasure([1.0], [[1.0, 0.0]]))
    with pytest.raises(TypeError, match="nu must be a DiscreteMeasure"):
        mo.wasserstein(mu, np.ones((2, 3)))
    with pytest.raises(ValueError, match="nu.support must have rows on the unit sphere"):
        mo.wasserstein(mu, mo.DiscreteMeasure([1.0], [[1.0, 1.0, 1.0]]))
