r"""Sup-oracles: :math:`\sup_{\theta\in\mathbb{S}^{d-1}} |c_q(\theta)|` with bounds.

For a problem with inputs :math:`x_i` and activation :math:`\sigma`, and a
dual vector :math:`q` (the residual), the correlation is

.. math:: c_q(\theta) = \frac1n \sum_{i=1}^n q_i\, \sigma(\langle\theta, x_i\rangle),

and the BLASSO certificate is :math:`\eta = c_q/\lambda` (Akiyama & Suzuki,
2021, eq. 10). Every oracle has one method, ``maximize(problem, q)``, which
returns a :class:`~measureopt.certificates.SupResult`: the best direction
found, its value (a lower bound on the sup), an upper bound and the
``scope`` on which the upper bound holds.

=========================  =========  =====================================
oracle                     scope      what ``upper`` is
=========================  =========  =====================================
:class:`GridOracle`        grid       exact max over a finite set
:class:`LocalOracle`       local      the value found (no bound)
:class:`ArrangementOracle` sphere     exact sup (ReLU, d = 2, 3)
:class:`BranchAndBound`    sphere     certified bound, any d
=========================  =========  =====================================

:func:`certified_oracle` picks the exact oracle where it applies and
branch-and-bound elsewhere; :meth:`~measureopt.BLASSO.duality_gap` uses it,
so the default gap certifies the continuous problem.
"""

import itertools

import numpy as np

from ._validation import check_int, check_positive
from .activations import is_relu
from .certificates import SupResult
from .sphere import check_on_sphere, sphere_grid

__all__ = [
    "GridOracle",
    "LocalOracle",
    "ArrangementOracle",
    "BranchAndBound",
    "certified_oracle",
    "riemannian_ascent",
]

#: Rounding allowance of the certified oracles, relative to
#: :math:`\frac1n\sum_i |q_i|\,\lVert x_i\rVert` (the Lipschitz constant of
#: :math:`c_q` for ReLU).
ROUNDING = 1e-12


def _values(problem, q, thetas, chunk=8192):
    """:math:`c_q` at ``thetas`` (k, d), in chunks to bound memory."""
    thetas = np.asarray(thetas, dtype=float)
    out = np.empty(thetas.shape[0])
    n = problem.n_samples
    for start in range(0, thetas.shape[0], chunk):
        block = thetas[start:start + chunk]
        out[start:start + chunk] = problem.activation(block @ problem.X.T) @ q / n
    return out


def _result(thetas, values, upper, scope):
    j = int(np.argmax(np.abs(values)))
    value = float(abs(values[j]))
    return SupResult(
        argmax=np.array(thetas[j], dtype=float),
        value=value,
        upper=max(float(upper), value),
        sign=1.0 if values[j] >= 0 else -1.0,
        scope=scope,
    )


def _lipschitz_scale(problem, q):
    return float(np.abs(q) @ np.linalg.norm(problem.X, axis=1)) / problem.n_samples


def _check_q(problem, q):
    q = np.asarray(q, dtype=float)
    if q.shape != (problem.n_samples,):
        raise ValueError(f"q must have shape ({problem.n_samples},); got {q.shape}")
    if not np.all(np.isfinite(q)):
        raise ValueError("q must be finite")
    return q


class GridOracle:
    r"""Exact maximization of :math:`|c_q|` over a finite set of directions.

    Parameters
    ----------
    thetas : array_like, shape (K, d)
        Directions on the unit sphere.

    Notes
    -----
    The maximum over the set is exact, so ``value == upper`` and
    ``scope == "grid"``: the resulting duality gap certifies the BLASSO
    problem restricted to measures supported on ``thetas``. For the
    continuous problem it is only a lower bound on the sup, hence no
    certificate.
    """

    scope = "grid"

    def __init__(self, thetas):
        self.thetas = check_on_sphere(thetas, "thetas")

    def __repr__(self):
        return f"GridOracle(<{len(self.thetas)} directions>)"

    def maximize(self, problem, q):
        """Return the :class:`~measureopt.certificates.SupResult` of :math:`|c_q|` over ``thetas``."""
        if self.thetas.shape[0] == 0:
            raise ValueError("GridOracle needs at least one direction; got thetas of shape (0, d)")
        c = problem.correlation(q, self.thetas)
        return _result(self.thetas, c, upper=float(np.max(np.abs(c))), scope=self.scope)


def riemannian_ascent(problem, q, thetas, max_iter=200, tol=1e-13):
    r"""Local maximization of :math:`|c_q|` on the sphere from several starts.

    Gradient ascent along geodesics, :math:`\theta \leftarrow \cos(t)\theta
    + \sin(t)\, g/\lVert g\rVert` with the Riemannian gradient
    :math:`g = (I - \theta\theta^\top)\nabla (s\,c_q)(\theta)`, :math:`s` the
    sign of :math:`c_q` at the start and the angle :math:`t` chosen by
    Armijo backtracking. All starts move together (vectorized).

    Parameters
    ----------
    problem : BLASSO
    q : ndarray, shape (n,)
    thetas : ndarray, shape (k, d)
        Starting directions.
    max_iter : int, default=200
    tol : float, default=1e-13
        Stop a start when its Riemannian gradient norm falls below
        ``tol * (1 + |c_q|)`` or its step below ``tol``.

    Returns
    -------
    thetas : ndarray, shape (k, d)
        The local maximizers reached.
    values : ndarray, shape (k,)
        :math:`c_q` there (signed).
    """
    X, act, n = problem.X, problem.activation, problem.n_samples
    theta = np.array(thetas, dtype=float, copy=True)
    val = act(theta @ X.T) @ q / n
    sign = np.where(val >= 0, 1.0, -1.0)
    f = sign * val
    step = np.full(len(theta), 0.25)
    active = np.ones(len(theta), dtype=bool)
    for _ in range(max_iter):
        if not np.any(active):
            break
        idx = np.flatnonzero(active)
        th = theta[idx]
        grad = sign[idx, None] * ((act.derivative(th @ X.T) * q) @ X) / n
        g = grad - np.sum(grad * th, axis=1)[:, None] * th
        gnorm = np.linalg.norm(g, axis=1)
        small = gnorm <= tol * (1.0 + f[idx])
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
            fc = sign[idx] * (act(cand @ X.T) @ q) / n
            ok = pending & (fc >= f[idx] + 1e-4 * t * gnorm)
            theta[idx[ok]] = cand[ok]
            f[idx[ok]] = fc[ok]
            step[idx[ok]] = t[ok]
            pending &= ~ok
            if not np.any(pending):
                break
            t = np.where(pending, t / 2.0, t)
            tiny = pending & (t < tol)
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
    seed : int, default=0
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

    scope = "local"

    def __init__(self, grid=2000, n_starts=8, max_iter=60, seed=0):
        self.grid = check_int(grid, "grid", minimum=1)
        self.n_starts = check_int(n_starts, "n_starts", minimum=1)
        self.max_iter = check_int(max_iter, "max_iter", minimum=1)
        self.seed = seed
        self._grids = {}

    def __repr__(self):
        return f"LocalOracle(grid={self.grid}, n_starts={self.n_starts})"

    def directions(self, d):
        """The search grid for dimension ``d`` (cached)."""
        if d not in self._grids:
            self._grids[d] = sphere_grid(d, self.grid, seed=self.seed)
        return self._grids[d]

    def maximize(self, problem, q, extra=None):
        """Best local maximum of :math:`|c_q|`; every direction of ``extra`` (k, d) is also refined."""
        q = _check_q(problem, q)
        thetas = self.directions(problem.dim)
        values = _values(problem, q, thetas)
        k = min(self.n_starts, len(thetas))
        starts = thetas[np.argpartition(-np.abs(values), k - 1)[:k]]
        if extra is not None and len(extra):
            starts = np.concatenate([starts, check_on_sphere(extra, "extra", d=problem.dim)])
        refined, refined_values = riemannian_ascent(problem, q, starts, max_iter=self.max_iter)
        return _result(refined, refined_values, upper=-np.inf, scope=self.scope)


def _require_relu(problem, who):
    act = problem.activation
    if not is_relu(act):
        raise ValueError(
            f"{who} is exact for the ReLU activation only (c_q is piecewise linear on the "
            f"hyperplane arrangement); got activation {act!r}. Use BranchAndBound instead."
        )


class ArrangementOracle:
    r"""Exact :math:`\sup|c_q|` for ReLU in dimension 2 and 3.

    With ReLU, :math:`c_q(\theta) = \langle\theta, g_S\rangle` with
    :math:`g_S = \frac1n\sum_{i\in S} q_i x_i` on each cell of the
    arrangement of the hyperplanes :math:`x_i^\perp`, where :math:`S` is the
    set of active inputs. A maximizer of :math:`\pm c_q` therefore lies at

    * a vertex of the arrangement (:math:`d = 3`: :math:`\pm x_i\times x_j`;
      :math:`d = 2`: the two unit normals of each :math:`x_i`), or
    * the interior of an edge on :math:`x_k^\perp` (:math:`d = 3`), at
      :math:`\pm P_{x_k^\perp} g_S/\lVert P_{x_k^\perp} g_S\rVert`, or
    * the interior of a cell, at :math:`\pm g_S/\lVert g_S\rVert`.

    Every cell and edge touches a vertex, and the cells around a vertex
    through :math:`x_i^\perp` (and :math:`x_j^\perp`) differ only in the
    signs of :math:`i` (and :math:`j`). The oracle enumerates these
    :math:`O(n^{d-1})` candidates and evaluates :math:`c_q` at each: the
    maximum is exact.

    Parameters
    ----------
    chunk : int, default=8192
        Candidates evaluated at once (memory ``chunk * n`` floats).

    Raises
    ------
    ValueError
        From :meth:`maximize`, for a non-ReLU activation, ``d`` not in
        {2, 3}, or inputs not in general position (two parallel inputs, or
        three linearly dependent ones for ``d = 3``).

    Notes
    -----
    ``scope == "sphere"`` and ``upper = value + ROUNDING * L`` with
    :math:`L = \frac1n\sum_i|q_i|\lVert x_i\rVert`, an allowance for
    floating-point rounding. Cost: :math:`17\,n(n-1)` evaluations for
    :math:`d = 3`.
    """

    scope = "sphere"

    def __init__(self, chunk=8192):
        self.chunk = check_int(chunk, "chunk", minimum=1)

    def __repr__(self):
        return "ArrangementOracle()"

    def candidates(self, problem, q):
        """All candidate directions, shape ``(N, d)`` (see the class notes)."""
        _require_relu(problem, "ArrangementOracle")
        X, n, d = problem.X, problem.n_samples, problem.dim
        if d not in (2, 3):
            raise ValueError(f"ArrangementOracle handles d = 2 or 3; got d = {d}. Use BranchAndBound.")
        norms = np.linalg.norm(X, axis=1)
        rows = np.flatnonzero(norms > 0)
        Xn = X[rows] / norms[rows, None]
        if d == 2:
            index = rows[:, None]
            vertices = np.stack([-Xn[:, 1], Xn[:, 0]], axis=1)
        else:
            ii, jj = np.triu_indices(len(rows), k=1)
            index = np.stack([rows[ii], rows[jj]], axis=1)
            vertices = np.cross(Xn[ii], Xn[jj])
        vnorm = np.linalg.norm(vertices, axis=1)
        if np.any(vnorm < 1e-10):
            raise ValueError(
                "ArrangementOracle needs inputs in general position: two inputs in X are parallel. "
                "Use BranchAndBound instead."
            )
        vertices = vertices / vnorm[:, None]
        vertices = np.concatenate([vertices, -vertices])
        index = np.concatenate([index, index])
        weighted = q[:, None] * X / n
        out = [vertices]
        for start in range(0, len(vertices), self.chunk):
            v, idx = vertices[start:start + self.chunk], index[start:start + self.chunk]
            u = v @ X.T
            on = np.zeros_like(u, dtype=bool)
            np.put_along_axis(on, idx, True, axis=1)
            if np.any((np.abs(u) < 1e-12 * norms) & ~on):
                raise ValueError(
                    "ArrangementOracle needs inputs in general position: three inputs in X are "
                    "linearly dependent. Use BranchAndBound instead."
                )
            base = ((u > 0) & ~on) @ weighted
            terms = weighted[idx]  # (k, |A|, d)
            for signs in itertools.product((0.0, 1.0), repeat=idx.shape[1]):
                g = base + np.einsum("a,kad->kd", np.array(signs), terms)
                out += [g, -g]
            if d == 3:
                for a, b in ((0, 1), (1, 0)):
                    normal = X[idx[:, a]] / norms[idx[:, a], None]
                    for s in (0.0, 1.0):
                        g = base + s * terms[:, b]
                        g = g - np.sum(g * normal, axis=1)[:, None] * normal
                        out += [g, -g]
        cand = np.concatenate(out)
        cn = np.linalg.norm(cand, axis=1)
        cand = cand[cn > 0] / cn[cn > 0, None]
        return cand

    def maximize(self, problem, q):
        """Exact :math:`\\sup|c_q|` over the sphere (ReLU, ``d`` = 2 or 3)."""
        q = _check_q(problem, q)
        cand = self.candidates(problem, q)
        values = _values(problem, q, cand, chunk=self.chunk)
        res = _result(cand, values, upper=-np.inf, scope=self.scope)
        slack = ROUNDING * _lipschitz_scale(problem, q)
        return SupResult(res.argmax, res.value, res.value + slack, res.sign, self.scope)


class BranchAndBound:
    r"""Certified upper bound on :math:`\sup|c_q|` over the sphere, any ``d``.

    The sphere is the radial projection of the boundary of the cube
    :math:`[-1, 1]^d`; each of its :math:`2d` faces is a box, split in two
    along its longest side when needed. A box lies in the cap of centre
    :math:`c = p/\lVert p\rVert` (``p`` the box centre) and angular radius
    :math:`\rho = \arcsin(r/\lVert p\rVert)` (``r`` the half-diagonal). On
    the cap each pre-activation :math:`u_i = \langle\theta, x_i\rangle` lies
    in :math:`[\lVert x_i\rVert\cos(\alpha_i + \rho), \lVert x_i\rVert
    \cos(\alpha_i - \rho)]` (angles clipped to :math:`[0, \pi]`), with
    :math:`\alpha_i` the angle between :math:`c` and :math:`x_i`, and

    * where :math:`\sigma'` is Lipschitz on that interval (constant
      :math:`M_i`, from :meth:`~measureopt.activations.Activation.curvature_bound`),
      Taylor's bound around :math:`u_i(c)` gives a linear function of
      :math:`\theta` plus :math:`\frac12 M_i\lVert x_i\rVert^2
      \lVert\theta - c\rVert^2`; the sum of the linear parts is maximized
      over the cap in closed form (:math:`\max_{\text{cap}}\langle\theta,
      G\rangle = \lVert G\rVert\cos(\max(0, \angle(c, G) - \rho))`);
    * elsewhere (a ReLU kink inside the interval) the term is bounded by
      its values at the interval's ends, since :math:`\sigma` is
      nondecreasing.

    For ReLU the first case is exact (:math:`M_i = 0`), so the bound's slack
    is :math:`O(\rho)` times the few hyperplanes crossing the cap, i.e.
    :math:`O(\rho^2)`. A box is discarded when its bound is at most the best
    value found plus ``rtol`` times it; the others are split.

    Parameters
    ----------
    rtol : float, default=1e-8
        Target :math:`(\text{upper} - \text{value}) / \text{value}`.
    atol : float, default=0.0
        Absolute target, in units of :math:`c_q`; the looser of the two
        applies.
    max_boxes : int, default=2_000_000
        Budget of boxes evaluated. When it runs out the bound is still valid
        but looser than asked; ``SupResult.upper`` says how loose.
    local : LocalOracle, optional
        Gives the starting lower bound; ``LocalOracle()`` by default.
    chunk : int, default=4096
        Boxes evaluated at once (memory ``chunk * n`` floats).

    Notes
    -----
    ``scope == "sphere"``: ``upper`` bounds :math:`\sup|c_q|` over the whole
    sphere, plus a rounding allowance ``ROUNDING * L``. After
    :meth:`maximize`, ``last_stats`` holds the number of boxes evaluated and
    the number of rounds.
    """

    scope = "sphere"

    def __init__(self, rtol=1e-8, atol=0.0, max_boxes=2_000_000, local=None, chunk=4096):
        self.rtol = check_positive(rtol, "rtol", strict=False)
        self.atol = check_positive(atol, "atol", strict=False)
        if self.rtol == 0 and self.atol == 0:
            raise ValueError("BranchAndBound needs rtol > 0 or atol > 0 to terminate")
        self.max_boxes = check_int(max_boxes, "max_boxes", minimum=1)
        self.local = LocalOracle() if local is None else local
        self.chunk = check_int(chunk, "chunk", minimum=1)
        self.last_stats = {}

    def __repr__(self):
        return f"BranchAndBound(rtol={self.rtol:g}, atol={self.atol:g})"

    @staticmethod
    def _initial_boxes(d):
        faces = [(axis, sign) for axis in range(d) for sign in (1.0, -1.0)]
        axis = np.array([f[0] for f in faces])
        sign = np.array([f[1] for f in faces])
        lo = -np.ones((len(faces), d - 1))
        width = 2.0 * np.ones((len(faces), d - 1))
        return axis, sign, lo, width

    @staticmethod
    def _embed(axis, sign, coords):
        """Points on the faces: coordinate ``axis`` is ``sign``, the others ``coords``."""
        k, dm1 = coords.shape
        d = dm1 + 1
        out = np.empty((k, d))
        cols = np.arange(d)[None, :]
        # for each row, the columns other than axis, in order
        other = np.sort(np.where(cols == axis[:, None], d, cols), axis=1)[:, :dm1]
        np.put_along_axis(out, other, coords, axis=1)
        out[np.arange(k), axis] = sign
        return out

    @staticmethod
    def _upper(problem, q, centers, u, lo, hi, m, rho, xnorm):
        """Upper bound of :math:`c_q` on the caps (one sign; see the class notes)."""
        X, act, n = problem.X, problem.activation, problem.n_samples
        smooth = np.isfinite(m)
        s_u, ds_u = act(u), act.derivative(u)
        # tangent (Taylor) slope for smooth terms and, when sigma is convex,
        # for the concave terms q_i sigma with q_i < 0; secant for the convex
        # kinked terms q_i > 0; interval bound when sigma is not convex.
        tangent = smooth | (act.convex & (q < 0))
        secant = ~smooth & act.convex & (q >= 0)
        s_lo, s_hi = act(lo), act(hi)
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = np.where(secant, (s_hi - s_lo) / (hi - lo), 0.0)
        a = np.where(tangent, q * ds_u, np.where(secant, q * slope, 0.0))
        b = np.where(
            tangent,
            q * s_u - a * u,
            np.where(secant, q * (s_lo - slope * lo), np.maximum(q * s_lo, q * s_hi)),
        )
        G = a @ X / n
        gnorm = np.linalg.norm(G, axis=1)
        cos_g = np.sum(G * centers, axis=1) / np.where(gnorm > 0, gnorm, 1.0)
        ang = np.arccos(np.clip(cos_g, -1.0, 1.0))
        lin_max = gnorm * np.cos(np.maximum(0.0, ang - rho))
        chord2 = (2.0 * np.sin(np.minimum(rho, np.pi) / 2.0)) ** 2
        curv = (np.abs(q) * np.where(smooth, m, 0.0) * xnorm**2).sum(axis=1) / (2 * n) * chord2
        return b.sum(axis=1) / n + lin_max + curv

    def _bounds(self, problem, q, centers, rho, xnorm):
        """Value at the cap centres and upper bound of :math:`|c_q|` on the caps."""
        act = problem.activation
        u = centers @ problem.X.T  # (k, n)
        value = act(u) @ q / problem.n_samples
        safe = np.where(xnorm > 0, xnorm, 1.0)
        alpha = np.arccos(np.clip(u / safe, -1.0, 1.0))
        r = rho[:, None]
        lo = xnorm * np.cos(np.minimum(np.pi, alpha + r))
        hi = xnorm * np.cos(np.maximum(0.0, alpha - r))
        m = act.curvature_bound(lo, hi)
        qq = np.broadcast_to(q, u.shape)
        upper = self._upper(problem, qq, centers, u, lo, hi, m, rho, xnorm)
        upper_neg = self._upper(problem, -qq, centers, u, lo, hi, m, rho, xnorm)
        return value, np.maximum(upper, upper_neg)

    def maximize(self, problem, q):
        """Certified bounds on :math:`\\sup|c_q|` over the sphere."""
        q = _check_q(problem, q)
        d = problem.dim
        xnorm = np.linalg.norm(problem.X, axis=1)
        start = self.local.maximize(problem, q)
        best_theta, best_value, best_sign = start.argmax, start.value, start.sign
        axis, sign, lo, width = self._initial_boxes(d)
        done_upper = -np.inf
        evaluated = rounds = 0
        while len(axis):
            rounds += 1
            value = np.empty(len(axis))
            bound = np.empty(len(axis))
            centers = self._embed(axis, sign, lo + width / 2)
            pnorm = np.linalg.norm(centers, axis=1)
            centers /= pnorm[:, None]
            half = np.linalg.norm(width, axis=1) / 2
            rho = np.where(half < pnorm, np.arcsin(np.minimum(1.0, half / pnorm)), np.pi)
            for s in range(0, len(axis), self.chunk):
                sl = slice(s, s + self.chunk)
                value[sl], bound[sl] = self._bounds(problem, q, centers[sl], rho[sl], xnorm)
            evaluated += len(axis)
            j = int(np.argmax(np.abs(value)))
            if abs(value[j]) > best_value:
                best_theta, best_value = centers[j].copy(), float(abs(value[j]))
                best_sign = 1.0 if value[j] >= 0 else -1.0
            threshold = best_value + max(self.atol, self.rtol * best_value)
            settled = bound <= threshold
            if np.any(settled):
                done_upper = max(done_upper, float(np.max(bound[settled])))
            keep = ~settled
            axis, sign, lo, width = axis[keep], sign[keep], lo[keep], width[keep]
            if evaluated + 2 * len(axis) > self.max_boxes and len(axis):
                done_upper = max(done_upper, float(np.max(bound[keep])))
                break
            # split each remaining box in two along its longest side
            longest = np.argmax(width, axis=1)
            rows = np.arange(len(axis))
            width = width.copy()
            width[rows, longest] /= 2
            lo2 = lo.copy()
            lo2[rows, longest] += width[rows, longest]
            axis, sign = np.concatenate([axis, axis]), np.concatenate([sign, sign])
            lo, width = np.concatenate([lo, lo2]), np.concatenate([width, width])
        self.last_stats = {"boxes": evaluated, "rounds": rounds, "exhausted": bool(len(axis))}
        slack = ROUNDING * _lipschitz_scale(problem, q)
        upper = max(done_upper, best_value) + slack
        return SupResult(np.array(best_theta), float(best_value), float(upper), best_sign, self.scope)


def certified_oracle(problem, max_arrangement_size=400):
    """The certified oracle for ``problem``: exact where it applies, else branch-and-bound.

    :class:`ArrangementOracle` for ReLU with ``d`` = 2, or ``d`` = 3 and
    ``n <= max_arrangement_size`` (its cost grows like :math:`n^3`);
    :class:`BranchAndBound` otherwise. Both have ``scope == "sphere"``.
    """
    if is_relu(problem.activation) and (problem.dim == 2 or (problem.dim == 3 and problem.n_samples <= max_arrangement_size)):
        return ArrangementOracle()
    return BranchAndBound()
