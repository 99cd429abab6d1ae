r"""Grid search with Riemannian local refinement: fast, a lower bound."""

import numpy as np

from .._validation import check_array, check_int, check_positive, check_random_state
from ..features import as_features
from ..sphere import check_on_sphere, sphere_grid
from ._base import Scope, _prepare, _result

__all__ = ["LocalOracle", "riemannian_ascent"]


def riemannian_ascent(features, q, thetas, max_iter=200, grad_tol=1e-13):
    r"""Local maximization of :math:`|c_q|` on the sphere from several starts.

    Gradient ascent along geodesics, :math:`\theta \leftarrow \cos(t)\theta
    + \sin(t)\, g/\lVert g\rVert` with the Riemannian gradient
    :math:`g = (I - \theta\theta^\top)\nabla (s\,c_q)(\theta)`, :math:`s` the
    sign of :math:`c_q` at the start and the angle :math:`t` chosen by
    Armijo backtracking. All starts move together (vectorized).

    Parameters
    ----------
    features : Features or measure problem
    q : ndarray, shape (n,)
    thetas : ndarray, shape (k, d)
        Starting directions.
    max_iter : int, default=200
    grad_tol : float, default=1e-13
        Stop a start when its Riemannian gradient norm falls below
        ``grad_tol * (1 + |c_q|)`` or its step below ``grad_tol``.

    Returns
    -------
    thetas : ndarray, shape (k, d)
        The local maximizers reached.
    values : ndarray, shape (k,)
        :math:`c_q` there (signed).
    """
    features = as_features(features)
    q = check_array(q, "q", ndim=1, shape=(features.n_samples,))
    theta = check_array(thetas, "thetas", ndim=2, shape=("k", features.dim), copy=True)
    max_iter = check_int(max_iter, "max_iter", minimum=0)
    grad_tol = check_positive(grad_tol, "grad_tol", strict=False)
    val = features.correlation(q, theta)
    sign = np.where(val >= 0, 1.0, -1.0)
    f = sign * val
    step = np.full(len(theta), 0.25)
    active = np.ones(len(theta), dtype=bool)
    for _ in range(max_iter):
        if not np.any(active):
            break
        idx = np.flatnonzero(active)
        th = theta[idx]
        grad = sign[idx, None] * features.correlation_gradient(q, th)
        g = grad - np.sum(grad * th, axis=1)[:, None] * th
        gnorm = np.linalg.norm(g, axis=1)
        small = gnorm <= grad_tol * (1.0 + f[idx])
        active[idx[small]] = False
        keep = ~small
        idx, th, g, gnorm = idx[keep], th[keep], g[keep], gnorm[keep]
        if idx.size == 0:
            break
        direction = g / gnorm[:, None]
        t = np.minimum(step[idx] * 2.0, np.pi / 2)
        pending = np.ones(idx.size, dtype=bool)
        for _ in range(60):
            cand = np.cos(t)[:, None] * th + np.sin(t)[:, None] * direction
            cand /= np.linalg.norm(cand, axis=1, keepdims=True)
            fc = sign[idx] * features.correlation(q, cand)
            ok = pending & (fc >= f[idx] + 1e-4 * t * gnorm)
            theta[idx[ok]] = cand[ok]
            f[idx[ok]] = fc[ok]
            step[idx[ok]] = t[ok]
            pending &= ~ok
            if not np.any(pending):
                break
            t = np.where(pending, t / 2.0, t)
            tiny = pending & (t < grad_tol)
            active[idx[tiny]] = False
            pending &= ~tiny
    return theta, sign * f


class LocalOracle:
    r"""Grid search followed by Riemannian local refinement: fast, a lower bound.

    Evaluates :math:`|c_q|` on ``sphere_grid(d, grid)`` (plus ``extra``
    directions), then runs :func:`riemannian_ascent` from the ``n_starts``
    best directions.

    Parameters
    ----------
    grid : int, default=2000
        Number of quasi-uniform directions of the search grid.
    n_starts : int, default=8
        Number of grid directions refined.
    max_iter : int, default=60
        Ascent iterations per start.
    random_state : None, int or numpy.random.Generator, default=0
        Seed of the grid.

    Notes
    -----
    ``scope == "local"`` and ``upper == value``: the result is the best
    local maximum found, which may miss the global one. A duality gap built
    on it is an *estimate* (exact when the global max was found); use a
    certified oracle (:class:`ArrangementOracle`, :class:`BranchAndBound`)
    for a bound. Frank-Wolfe uses this oracle as its linear minimization
    oracle.
    """

    scope = Scope.LOCAL

    def __init__(self, grid=2000, n_starts=8, max_iter=60, random_state=0):
        self.grid = check_int(grid, "grid", minimum=1)
        self.n_starts = check_int(n_starts, "n_starts", minimum=1)
        self.max_iter = check_int(max_iter, "max_iter", minimum=1)
        check_random_state(random_state, "random_state")
        self.random_state = random_state
        self._grids = {}

    def __repr__(self):
        return f"LocalOracle(grid={self.grid}, n_starts={self.n_starts})"

    def directions(self, d):
        """The search grid for dimension ``d`` (cached)."""
        if d not in self._grids:
            self._grids[d] = sphere_grid(d, self.grid, seed=self.random_state)
        return self._grids[d]

    def maximize(self, features, q, extra=None):
        """Best local maximum of :math:`|c_q|`; every direction of ``extra`` (k, d) is also refined."""
        features, q = _prepare(features, q)
        thetas = self.directions(features.dim)
        values = features.correlation(q, thetas)
        k = min(self.n_starts, len(thetas))
        starts = thetas[np.argpartition(-np.abs(values), k - 1)[:k]]
        if extra is not None and len(extra):
            starts = np.concatenate([starts, check_on_sphere(extra, "extra", d=features.dim)])
        refined, refined_values = riemannian_ascent(features, q, starts, max_iter=self.max_iter)
        return _result(refined, refined_values, upper=-np.inf, scope=self.scope)
