"""Algorithm 1 (NormDependentGD) read in the measure representation r = a|w|, theta = w/|w|.

These pin down the mechanism behind its plateau in the Fig. 2 setting
(``benchmarks/norm_dependent_gd.py``): the norm-dependent step (eq. 11) is a
multiplicative step of rate alpha on the masses, the angular step is that rate
times a^2 / (a^2 + |w|^2), and the L1 flow conserves a^2 - |w|^2, so small
particles from the paper's initialization (a = +-2/M, |w| = 1) do not move.
"""

import numpy as np
import pytest

import measureopt as mo
import solvers

pytestmark = pytest.mark.filterwarnings("ignore::measureopt.ConvergenceWarning")


@pytest.fixture(scope="module")
def setting():
    data = mo.teacher_student(n=30, d=4, m=3, seed=2)
    prob = mo.BLASSO(data.X, data.y, reg=0.01)
    rng = np.random.default_rng(0)
    a = rng.standard_normal(8) * 0.5
    W = rng.standard_normal((8, 4))
    return prob, a, W


def first_variation(prob, a, W):
    """G(theta_j) = c(theta_j) + lambda sgn(a_j) and the sphere gradient of c at theta_j."""
    X, y, lam = prob.X, prob.y, prob.reg
    norms = np.linalg.norm(W, axis=1)
    theta = W / norms[:, None]
    res = np.maximum(X @ W.T, 0) @ a - y
    c = np.maximum(X @ theta.T, 0).T @ res / len(y)
    B = ((X @ theta.T >= 0) * res[:, None]).T @ X / len(y)
    grad = B - (B * theta).sum(1, keepdims=True) * theta
    return c + lam * np.sign(a), grad


def step(prob, a, W, alpha, penalty="l1"):
    res = solvers.NormDependentGD(width=len(a), step_size=alpha, penalty=penalty, init=(a, W), max_iter=1,
                                  tol=None, certify=False).solve(prob)
    return res.stats["a"], res.stats["W"]


def test_mass_step_is_multiplicative_with_rate_alpha(setting):
    prob, a, W = setting
    alpha = 1e-5
    a1, W1 = step(prob, a, W, alpha)
    r0, r1 = a * np.linalg.norm(W, axis=1), a1 * np.linalg.norm(W1, axis=1)
    G, _ = first_variation(prob, a, W)
    # r_{k+1} = r_k (1 - alpha sgn(r_k) G(theta_k)) + O(alpha^2), whatever the balance of (a, w)
    np.testing.assert_allclose((r1 - r0) / alpha, -np.abs(r0) * G, rtol=1e-4, atol=1e-10)


def test_angular_step_is_scaled_by_the_balance(setting):
    prob, a, W = setting
    alpha = 1e-5
    a1, W1 = step(prob, a, W, alpha)
    norms = np.linalg.norm(W, axis=1)
    t0, t1 = W / norms[:, None], W1 / np.linalg.norm(W1, axis=1)[:, None]
    _, grad = first_variation(prob, a, W)
    mobility = a**2 / (a**2 + norms**2)
    # theta_{k+1} - theta_k = -alpha a^2/(a^2 + |w|^2) sgn(a) grad c(theta_k) + O(alpha^2)
    np.testing.assert_allclose((t1 - t0) / alpha, -(mobility * np.sign(a))[:, None] * grad, rtol=1e-4, atol=1e-10)


def test_l1_step_conserves_the_balance_to_second_order(setting):
    prob, a, W = setting
    drift = []
    for alpha in (1e-2, 1e-3):
        a1, W1 = step(prob, a, W, alpha)
        drift.append(np.abs((a1**2 - (W1**2).sum(1)) - (a**2 - (W**2).sum(1))).max())
    # a^2 - |w|^2 changes by O(alpha^2) per step: 10x smaller alpha, ~100x smaller drift
    assert drift[1] < drift[0] / 50
    # while the L2 penalty (eq. 13) changes it at first order (weight decay balances a and w)
    a1, W1 = step(prob, a, W, 1e-3, penalty="l2")
    assert np.abs((a1**2 - (W1**2).sum(1)) - (a**2 - (W**2).sum(1))).max() > 10 * drift[1]


def test_paper_initialization_leaves_small_particles_immobile():
    data = mo.teacher_student(n=30, d=4, m=3, seed=2)
    prob = mo.BLASSO(data.X, data.y, reg=0.01)
    M = 40
    res = solvers.NormDependentGD(width=M, max_iter=0, tol=None, certify=False).solve(prob)
    a, W = res.stats["a"], res.stats["W"]
    mobility = a**2 / (a**2 + (W**2).sum(1))
    np.testing.assert_allclose(mobility, (2 / M) ** 2 / (1 + (2 / M) ** 2))
