r"""Exact weights on a fixed support: the corrective step of Frank-Wolfe, pruning's refit.

For atoms :math:`\theta_1, \dots, \theta_k` with features
:math:`\Phi_{ij} = \sigma(\langle\theta_j, \tilde x_i\rangle)`,

.. math::

    \min_{r\in\mathbb{R}^k} F(r) + G(r), \qquad
    F(r) = \frac1n\sum_i\ell((\Phi r)_i, y_i), \quad
    G = \lambda\lVert\cdot\rVert_1 \ \text{ or }\ \iota_{\{\lVert\cdot\rVert_1\le\delta\}},

the problem's objective restricted to measures on those atoms. The squared
loss with :math:`\lambda\lVert\cdot\rVert_1` goes to the exact LASSO solver
(:mod:`solvers._lasso`). Every other pair runs FISTA with adaptive restart
(prox: soft-thresholding, or the projection on the :math:`\ell_1` ball) and
then a Newton polish on the sign pattern found (with the ball's constraint
as an equality when it is active); the polished point is kept only if it
lowers the objective. In the penalized form the first attempt is a proximal
Newton method (:func:`_prox_newton`), which solves the typical case in a few
:math:`O(nk^2)` steps; FISTA is the fallback when its point fails the
optimality conditions.
"""

import numpy as np

from . import _lasso

__all__ = ["fit_weights", "project_l1_ball"]


def project_l1_ball(v, radius):
    r"""Euclidean projection on :math:`\{\lVert r\rVert_1 \le \delta\}` (Duchi et al., 2008)."""
    if np.abs(v).sum() <= radius:
        return v.copy()
    u = np.sort(np.abs(v))[::-1]
    css = np.cumsum(u)
    k = np.arange(1, len(u) + 1)
    rho = np.flatnonzero(u * k > css - radius)[-1]
    tau = (css[rho] - radius) / (rho + 1)
    return np.sign(v) * np.maximum(np.abs(v) - tau, 0.0)


class _Smooth:
    """:math:`F(r)` with gradient and Hessian for fixed features."""

    def __init__(self, problem, phi):
        self.phi, self.loss, self.y, self.n = phi, problem.loss, problem.y, problem.n_samples

    def value(self, r):
        return self.loss.mean(self.phi @ r, self.y)

    def grad(self, r):
        return self.phi.T @ self.loss.derivative(self.phi @ r, self.y) / self.n

    def hess(self, r, cols):
        P = self.phi[:, cols]
        return (P.T * self.loss.second_derivative(self.phi @ r, self.y)) @ P / self.n


def _objective(smooth, penalty, r):
    return smooth.value(r) + penalty.value(float(np.abs(r).sum()))


def _fista(smooth, penalty, r0, L, tol, max_iter):
    def prox(w):
        if penalty.penalized:
            return np.sign(w) * np.maximum(np.abs(w) - penalty.reg / L, 0.0)
        return project_l1_ball(w, penalty.radius)

    return _lasso.fista(smooth.grad, prox, prox(r0), L, tol, max_iter)


def _newton_polish(smooth, penalty, r, rounds=30):
    """Newton's method on the sign pattern of ``r`` (the ball as an equality when active)."""
    on = np.flatnonzero(r)
    if on.size == 0:
        return None
    s = np.sign(r[on])
    active = not penalty.penalized and np.abs(r).sum() >= penalty.radius * (1 - 1e-9)
    cur = r.copy()
    best = _objective(smooth, penalty, cur)
    for _ in range(rounds):
        g = smooth.grad(cur)[on] + (penalty.reg * s if penalty.penalized else 0.0)
        H = smooth.hess(cur, on)
        if active:
            k = on.size
            K = np.block([[H, s[:, None]], [s[None, :], np.zeros((1, 1))]])
            rhs = np.concatenate([-g, [penalty.radius - s @ cur[on]]])
            d = np.linalg.lstsq(K, rhs, rcond=None)[0][:k]
        else:
            d = np.linalg.lstsq(H, -g, rcond=None)[0]
        step = 1.0
        improved = False
        for _ in range(30):
            cand = cur.copy()
            cand[on] = cur[on] + step * d
            if np.all(np.sign(cand[on]) == s):
                val = _objective(smooth, penalty, cand)
                if val <= best:
                    improved = val < best
                    cur, best = cand, val
                    break
            step /= 2
        else:
            break
        if not improved or np.max(np.abs(step * d)) <= 1e-15 * max(1.0, np.max(np.abs(cur))):
            break
    return cur


def _reduce_support(smooth, r):
    r"""Penalized form: move along a null direction of :math:`\Phi_S` that lowers :math:`\lVert r\rVert_1`.

    When the active features are linearly dependent (ReLU atoms in one cell
    of the arrangement), :math:`F` is flat along :math:`\ker\Phi_S` and no
    stationary point may exist on the sign pattern: the penalty then
    decreases along :math:`d\in\ker\Phi_S` with :math:`s^\top d < 0` until a
    weight reaches zero (the LASSO's support reduction). Returns the new
    ``r``, or ``None`` when no such direction exists.
    """
    on = np.flatnonzero(r)
    if on.size < 2:
        return None
    P = smooth.phi[:, on]
    _, sv, vt = np.linalg.svd(P, full_matrices=P.shape[0] < P.shape[1])  # vt: k x k
    sv = np.concatenate([sv, np.zeros(vt.shape[0] - len(sv))])
    rank = int(np.sum(sv > 1e-12 * max(sv[0], 1e-300)))
    signs = np.sign(r[on])
    for v in vt[rank:]:
        proj = signs @ v
        if abs(proj) <= 1e-12:
            continue
        d = -np.sign(proj) * v
        shrinking = d * signs < 0
        steps = np.abs(r[on][shrinking]) / np.abs(d[shrinking])
        j = int(np.argmin(steps))
        out = r.copy()
        out[on] = r[on] + steps[j] * d
        out[on[np.flatnonzero(shrinking)[j]]] = 0.0
        return out
    return None


def _kkt(smooth, penalty, r, rtol=1e-6):
    """Whether ``r`` satisfies the optimality conditions (up to ``rtol``)."""
    g = smooth.grad(r)
    on = r != 0
    if penalty.penalized:
        mu = penalty.reg
    elif np.abs(r).sum() < penalty.radius * (1 - 1e-9):
        mu = 0.0  # inside the ball: a stationary point of F
    else:
        mu = float(np.mean(-g[on] * np.sign(r[on]))) if on.any() else 0.0
    tol = rtol * max(mu, np.max(np.abs(g), initial=0.0), 1e-300)
    return bool(np.all(np.abs(g[~on]) <= mu + tol) and np.all(np.abs(g[on] + mu * np.sign(r[on])) <= tol))


def _prox_newton(smooth, penalty, r0, max_iter=50):
    r"""Proximal Newton: minimize the quadratic model of :math:`F` plus :math:`G` exactly, then backtrack.

    Each step solves :math:`\min_z \frac12(z - r)^\top H(z - r) + \nabla F(r)^\top(z - r)
    + G(z)` with :math:`H = \Phi^\top\operatorname{diag}(\ell'')\Phi/n` (a
    :math:`k\times k` problem: exact LASSO for :math:`\lambda\lVert\cdot\rVert_1`,
    FISTA with the projection for the ball), then an Armijo backtracking on
    :math:`F + G` along :math:`z - r` (the glmnet approach for the logistic
    loss). Costs :math:`O(nk^2)` per step instead of FISTA's many
    :math:`O(nk)` steps.
    """
    k = len(r0)
    r = r0.copy() if penalty.penalized else project_l1_ball(r0, penalty.radius)
    f = _objective(smooth, penalty, r)
    it = 0
    for it in range(1, max_iter + 1):
        g = smooth.grad(r)
        H = smooth.hess(r, np.arange(k))
        b = H @ r - g
        if penalty.penalized:
            z, _ = _lasso.lasso_cd(H, b, penalty.reg, r0=r, tol=1e-12, max_sweeps=50)
            polished = _lasso._kkt_polish(H, b, penalty.reg, z)
            z = z if polished is None else polished
            decrease = g @ (z - r) + penalty.reg * (np.abs(z).sum() - np.abs(r).sum())
        else:
            L = max(float(np.linalg.eigvalsh(H)[-1]), 1e-300)
            z, _ = _lasso.fista(lambda v: H @ v - b, lambda w: project_l1_ball(w, penalty.radius), r, L,
                                tol=1e-14, max_iter=20 * max(k, 50))
            decrease = g @ (z - r)
        d = z - r
        if decrease >= 0 or not np.any(d):
            break
        t = 1.0
        while t > 1e-12:
            cand = r + t * d
            val = _objective(smooth, penalty, cand)
            if val <= f + 1e-4 * t * decrease:
                break
            t /= 2
        else:
            break
        step = np.max(np.abs(t * d))
        r, f_old, f = cand, f, val
        if step <= 1e-14 * max(1.0, np.max(np.abs(r))) or f_old - f <= 1e-16 * max(1.0, abs(f)):
            break
    return r, it


def fit_weights(problem, support, r0=None, tol=1e-13, max_iter=20000, rounds=8):
    r"""Optimal weights of ``problem`` on the atoms ``support`` (see the module notes).

    FISTA runs in short rounds, each followed by a Newton polish on the sign
    pattern found; it stops at the first point that satisfies the
    optimality conditions to ``1e-6`` relative (of the multiplier). A last FISTA run to ``tol``
    is the fallback.

    Parameters
    ----------
    problem : MeasureProblem
    support : ndarray, shape (k, D)
    r0 : ndarray, shape (k,), optional
        Warm start.
    tol, max_iter
        The fallback FISTA's stopping rule (relative change of the iterate)
        and budget.
    rounds : int, default=8
        FISTA-then-Newton rounds before the fallback.

    Returns
    -------
    r : ndarray, shape (k,)
    iterations : int
        FISTA iterations used.
    """
    k = len(support)
    r0 = np.zeros(k) if r0 is None else np.asarray(r0, dtype=float)
    if k == 0:
        return r0, 0
    phi = problem.features(support)
    penalty = problem.penalty
    if problem.loss.name == "squared" and penalty.penalized:
        return _lasso.lasso(phi, problem.y, penalty.reg, r0=r0)
    smooth = _Smooth(problem, phi)
    L = problem.loss.curvature * float(np.linalg.norm(phi, 2)) ** 2 / problem.n_samples
    if L <= 0:
        return np.zeros(k), 0
    r, total = r0, 0
    if penalty.penalized:  # on the l1-ball FISTA's projections are cheaper than Newton's subproblems
        r, total = _prox_newton(smooth, penalty, r0)
        if _kkt(smooth, penalty, r):
            return r, total
    for _ in range(rounds):
        r, it = _fista(smooth, penalty, r, L, 1e-9, 500)
        total += it
        for _ in range(k):
            polished = _newton_polish(smooth, penalty, r)
            if polished is not None and _objective(smooth, penalty, polished) <= _objective(smooth, penalty, r):
                r = polished
            if _kkt(smooth, penalty, r):
                return r, total
            reduced = _reduce_support(smooth, r) if penalty.penalized else None
            if reduced is None or _objective(smooth, penalty, reduced) > _objective(smooth, penalty, r):
                break
            r = reduced
    r, it = _fista(smooth, penalty, r, L, tol, max_iter)
    polished = _newton_polish(smooth, penalty, r)
    if polished is not None and _objective(smooth, penalty, polished) <= _objective(smooth, penalty, r):
        r = polished
    return r, total + it
