r"""A small exact LASSO solver for the weights on a fixed, small support.

Solves :math:`\min_r \frac12 r^\top G r - b^\top r + \lambda\lVert r\rVert_1`,
which with :math:`G = \Phi^\top\Phi/n`, :math:`b = \Phi^\top y/n` is the
BLASSO objective (eq. 8) restricted to the atoms of :math:`\Phi`, up to the
constant :math:`\lVert y\rVert^2/(2n)`. Coordinate descent finds the signs;
:func:`polish` then solves the optimality conditions on that sign pattern
exactly. Used by the fully corrective Frank-Wolfe steps and by
:class:`~solvers.GridConvex`'s polishing.
"""

import numpy as np

__all__ = ["lasso_cd", "fista", "lasso_fista", "polish", "lasso", "lasso_quadratic"]


def _objective(G, b, reg, r):
    return 0.5 * r @ G @ r - b @ r + reg * np.abs(r).sum()


def lasso_cd(G, b, reg, r0=None, tol=1e-12, max_sweeps=500):
    """Cyclic coordinate descent with soft thresholding; returns ``(r, sweeps)``."""
    k = len(b)
    r = np.zeros(k) if r0 is None else np.array(r0, dtype=float)
    grad = G @ r - b
    diag = np.diag(G)
    sweeps = 0
    for sweeps in range(1, max_sweeps + 1):
        delta = 0.0
        for j in range(k):
            if diag[j] <= 0:
                continue
            z = r[j] - grad[j] / diag[j]
            new = np.sign(z) * max(abs(z) - reg / diag[j], 0.0)
            change = new - r[j]
            if change != 0.0:
                grad += G[:, j] * change
                r[j] = new
                delta = max(delta, abs(change))
        if delta <= tol * max(1.0, np.max(np.abs(r), initial=0.0)):
            break
    return r, sweeps


def fista(grad, prox, r0, L, tol=1e-12, max_iter=5000):
    r"""FISTA with adaptive restart for :math:`\min F + G`, step :math:`1/L`; returns ``(r, iterations)``.

    ``grad`` is :math:`\nabla F`, ``prox(w)`` the proximal map of
    :math:`G/L`; the iterate starts at ``r0`` as given. Stops when the
    largest change of an entry is at most ``tol`` times ``max(1, |r|_inf)``.
    """
    r = np.array(r0, dtype=float)
    z, t = r.copy(), 1.0
    it = 0
    for it in range(1, max_iter + 1):
        new = prox(z - grad(z) / L)
        t_new = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
        step = new - r
        if (z - new) @ step > 0:  # restart when momentum points uphill
            z, t_new = new.copy(), 1.0
        else:
            z = new + ((t - 1) / t_new) * step
        r, t = new, t_new
        if np.max(np.abs(step), initial=0.0) <= tol * max(1.0, np.max(np.abs(r), initial=0.0)):
            break
    return r, it


def lasso_fista(G, b, reg, r0=None, tol=1e-12, max_iter=5000):
    r"""FISTA with step :math:`1/\lVert G\rVert_2` and adaptive restart; returns ``(r, iterations)``."""
    k = len(b)
    r = np.zeros(k) if r0 is None else np.array(r0, dtype=float)
    L = float(np.linalg.eigvalsh(G)[-1]) if k else 1.0
    if L <= 0:
        return np.zeros(k), 0
    return fista(lambda z: G @ z - b, lambda w: np.sign(w) * np.maximum(np.abs(w) - reg / L, 0.0), r, L,
                 tol, max_iter)


def polish(G, b, reg, r, support_tol=1e-6, max_rounds=10):
    r"""Solve the optimality conditions on the sign pattern of ``r``.

    With the signs :math:`s` of the entries above ``support_tol`` (relative
    to the largest) fixed, stationarity on the support is the linear system
    :math:`G_{SS} r_S = b_S - \lambda s_S`, solved in the least-squares
    sense. Entries whose sign flips are dropped and the system solved again.
    Returns the full-length solution, or ``None`` if no sign-consistent
    solution is found.
    """
    r = np.asarray(r, dtype=float)
    if not np.any(r):
        return None
    keep = np.flatnonzero(np.abs(r) > support_tol * np.max(np.abs(r)))
    signs = np.sign(r[keep])
    for _ in range(max_rounds):
        if keep.size == 0:
            return None
        sol = np.linalg.lstsq(G[np.ix_(keep, keep)], b[keep] - reg * signs, rcond=None)[0]
        flipped = np.sign(sol) != signs
        if not np.any(flipped):
            out = np.zeros(len(r))
            out[keep] = sol
            return out
        keep, signs = keep[~flipped], signs[~flipped]
    return None


def _kkt_polish(G, b, reg, r):
    """:func:`polish`, kept only if it satisfies the optimality conditions everywhere."""
    cand = polish(G, b, reg, r)
    if cand is None:
        return None
    corr = b - G @ cand
    on = cand != 0
    scale = max(reg, 1e-300)
    ok_off = np.all(np.abs(corr[~on]) <= reg * (1 + 1e-9))
    ok_on = np.allclose(corr[on], reg * np.sign(cand[on]), rtol=0, atol=1e-9 * scale)
    return cand if ok_off and ok_on else None


def lasso(phi, y, reg, r0=None, tol=1e-12, max_sweeps=500, warm_sweeps=3):
    r"""Exact LASSO weights :math:`\arg\min_r \frac1{2n}\lVert y - \Phi r\rVert^2 + \lambda\lVert r\rVert_1`.

    A few coordinate-descent sweeps from ``r0`` guess the sign pattern;
    :func:`polish` then solves the optimality conditions on it and is
    returned if they hold everywhere (:math:`|b - Gr| \le \lambda` off the
    support, :math:`= \lambda\operatorname{sign}(r)` on it). Otherwise
    FISTA (:func:`lasso_fista`) runs to ``tol`` and is polished again when
    that helps.

    Returns
    -------
    r : ndarray, shape (k,)
    sweeps : int
        Coordinate-descent sweeps plus FISTA iterations used.
    """
    n = len(y)
    return lasso_quadratic(phi.T @ phi / n, phi.T @ y / n, reg, r0, tol, max_sweeps, warm_sweeps)


def lasso_quadratic(G, b, reg, r0=None, tol=1e-12, max_sweeps=500, warm_sweeps=3):
    r""":func:`lasso` on the quadratic form: :math:`\arg\min_r \frac12 r^\top Gr - b^\top r + \lambda\lVert r\rVert_1`.

    Also the subproblem of the proximal Newton method of
    :func:`solvers._weights.fit_weights`. Returns ``(r, sweeps)``.
    """
    r, sweeps = lasso_cd(G, b, reg, r0=r0, tol=tol, max_sweeps=warm_sweeps)
    cand = _kkt_polish(G, b, reg, r)
    if cand is not None:
        return cand, sweeps
    r, more = lasso_fista(G, b, reg, r0=r, tol=tol, max_iter=10 * max_sweeps)
    cand = _kkt_polish(G, b, reg, r)
    if cand is not None and _objective(G, b, reg, cand) <= _objective(G, b, reg, r):
        r = cand
    return r, sweeps + more
