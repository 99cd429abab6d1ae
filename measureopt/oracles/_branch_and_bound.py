r"""Certified upper bound of :math:`\sup|c_q|` over the sphere by branch-and-bound, any dimension."""

import numpy as np

from .._validation import check_int, check_oracle, check_positive
from ._base import ROUNDING, Deadline, Scope, SupResult, _check_max_time, _prepare
from ._local import LocalOracle
from ._relu_kernel import HAVE_NUMBA, relu_cap_bounds_compiled

__all__ = ["BranchAndBound", "relu_spectral_bound"]


def _cap_linear_max(G, centers, cos_rho, sin_rho):
    r""":math:`\max_{\theta\in\text{cap}}\langle\theta, G\rangle = \lVert G\rVert\cos(\max(0, \angle(c, G) - \rho))`, batched.

    ``G`` has shape (B, D) or (B, P, D) and ``centers`` (B, D); the caps' radii are
    given by their cosines and sines, shape (B,).
    """
    extra = (slice(None),) + (None,) * (G.ndim - 2)
    g = np.linalg.norm(G, axis=-1)
    proj = (G @ centers[:, :, None])[..., 0] if G.ndim == 3 else np.sum(G * centers, axis=1)
    cos_a = proj / np.where(g > 0, g, 1.0)
    cos_a = np.clip(cos_a, -1.0, 1.0)
    cr, sr = cos_rho[extra], sin_rho[extra]
    inside = cos_a >= cr  # the direction of G lies in the cap
    return np.where(inside, g, g * (cos_a * cr + np.sqrt(1.0 - cos_a**2) * sr))


def _sign_patterns(k):
    """All 0/1 vectors of length ``k``, shape (2**k, k); bit j of row r is ``(r >> j) & 1``."""
    r = np.arange(2**k)
    return ((r[:, None] >> np.arange(k)[None, :]) & 1).astype(float)


def _relu_cap_bounds(X, q, centers, rho, xnorm, n_enumerate, alive):
    r"""Value at the cap centres and upper bounds of :math:`\pm c_q` on the caps, ReLU features.

    ``alive`` (B, 2) says which of :math:`c_q` and :math:`-c_q` still need
    a bound on each cap; the others get :math:`-\infty`.

    On a cap of radius :math:`\rho` each :math:`u_i = \langle\theta, x_i\rangle`
    lies in :math:`[\ell_i, h_i]`; term :math:`i` crosses its kink iff
    :math:`|u_i(c)| < \lVert x_i\rVert\sin\rho`. Terms with :math:`\ell_i
    \ge 0` are linear, terms with :math:`h_i \le 0` vanish. Of the crossing
    terms, the ``n_enumerate`` with the widest :math:`|q_i|(h_i - \ell_i)`
    are enumerated: :math:`q_i(u)_+ = \max_{\sigma\in\{0,1\}} \sigma q_iu`
    when :math:`q_i > 0` and :math:`\min_\sigma \sigma q_iu` when
    :math:`q_i < 0`, so

    .. math:: \max_{\text{cap}} c_q \le \min_{\sigma_N}\max_{\sigma_P}
              \max_{\text{cap}}\langle\theta, G_\sigma\rangle + b,

    exact in the convex (:math:`q_i > 0`) terms since maxima commute. The
    other crossing terms are bounded by their secant (:math:`q_i > 0`) or
    the tangent at the centre (:math:`q_i < 0`). Crossing terms are handled
    as a sparse list, the others with one matrix product.
    """
    from scipy import sparse

    B, n = len(centers), X.shape[0]
    u = centers @ X.T
    value = np.maximum(u, 0.0) @ q / n
    rho = np.minimum(rho, np.pi)
    cr, sr = np.cos(rho), np.sin(rho)
    edge = xnorm * np.where(rho < np.pi / 2, sr, 1.0)[:, None]  # |u| below this: the cap crosses the kink
    active = u >= edge
    cross = (np.abs(u) < edge) & (xnorm > 0)
    G_active = (active.astype(float) @ (q[:, None] * X)) / n
    r, i = np.nonzero(cross)
    uu, xi, qi = u[r, i], xnorm[i], q[i]
    w = np.sqrt(np.maximum(xi**2 - uu**2, 0.0))
    hi = np.where(uu >= xi * cr[r], xi, uu * cr[r] + w * sr[r])
    lo = np.where(uu <= -xi * cr[r], -xi, uu * cr[r] - w * sr[r])
    width = np.maximum(hi - lo, np.finfo(float).tiny)
    secant, offset = hi / width, -hi * lo / width  # relu(u) <= secant * u + offset on [lo, hi]
    # rank the crossing terms of each box by width; the first k are enumerated
    weight = np.abs(qi) * width
    # one float sort: the box index, then decreasing weight within a box (r is already sorted)
    order = np.argsort(r + (1.0 - weight / (1.000001 * weight.max(initial=0.0) + np.finfo(float).tiny)))
    r, i, uu, qi, secant, offset = r[order], i[order], uu[order], qi[order], secant[order], offset[order]
    count = np.bincount(r, minlength=B)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    rank = np.arange(len(r)) - start[r]
    k_all = np.minimum(count, n_enumerate)
    listed = rank < k_all[r]
    on_center = (uu > 0).astype(float)
    bounds = np.full((B, 2), -np.inf)
    for column, s in enumerate((1.0, -1.0)):
        if not alive[:, column].any():
            continue
        qs = s * qi
        convex = qs > 0
        coef = np.where(convex, qs * secant, qs * on_center)
        const = np.where(convex, qs * offset, 0.0)
        rest = ~listed & alive[r, column]
        M = sparse.csr_matrix((coef[rest], (r[rest], i[rest])), shape=(B, n))
        G0 = s * G_active + (M @ X) / n
        b = np.bincount(r[rest], weights=const[rest], minlength=B) / n
        bound = bounds[:, column]
        for k in np.unique(k_all[alive[:, column]]):
            sel = np.flatnonzero((k_all == k) & alive[:, column])
            if k == 0:
                lin = _cap_linear_max(G0[sel], centers[sel], cr[sel], sr[sel])
            else:
                pos = start[sel][:, None] + np.arange(k)[None, :]  # the listed entries of these boxes
                V = qs[pos][..., None] * X[i[pos]] / n  # (m, k, D)
                G = G0[sel][:, None, :] + _sign_patterns(k) @ V  # (m, 2**k, D)
                lin = _minimax_over_bits(_cap_linear_max(G, centers[sel], cr[sel], sr[sel]), convex[pos])
            bound[sel] = b[sel] + lin
    return value, bounds


def relu_spectral_bound(X, q):
    r"""A global upper bound of :math:`\sup_{\lVert\theta\rVert=1}|c_q(\theta)|` for ReLU features, in closed form.

    With :math:`(u)_+ = (u + |u|)/2` and Cauchy-Schwarz on the terms with
    :math:`q_i > 0` (those with :math:`q_i < 0` only lower :math:`c_q`),

    .. math:: c_q(\theta) \le \frac{1}{2n}\Big(\lVert X^\top q\rVert
              + \sqrt{\textstyle\sum_i (q_i)_+\;
              \lambda_{\max}\big(X^\top \operatorname{diag}(q_+) X\big)}\Big),

    and the same for :math:`-c_q` with :math:`-q`; the bound is the larger.
    It ignores where the hyperplanes cross, so it is loose in low
    dimension, but it costs one :math:`d\times d` eigenvalue and in high
    dimension it beats any partition of the sphere that fits a budget
    (``benchmarks/certificates.py``, section ``scaling``).
    """
    n = X.shape[0]
    out = 0.0
    for s in (1.0, -1.0):
        qs = s * q
        qp = np.maximum(qs, 0.0)
        lam = float(np.linalg.eigvalsh(X.T @ (qp[:, None] * X))[-1]) if qp.any() else 0.0
        out = max(out, (np.linalg.norm(X.T @ qs) + np.sqrt(qp.sum() * max(lam, 0.0))) / (2 * n))
    return out


def _minimax_over_bits(vals, maximize):
    """Max over the bits flagged in ``maximize`` (per row), then min over the others; ``vals`` is (m, 2**k)."""
    m, size = vals.shape
    k = maximize.shape[1]
    out = vals.copy()
    for flag, op in ((True, np.maximum), (False, np.minimum)):
        for j in range(k):
            rows = maximize[:, j] == flag
            if not rows.any():
                continue
            block = out[rows].reshape(-1, size >> (j + 1), 2, 1 << j)
            both = op(block[:, :, 0, :], block[:, :, 1, :])
            block[:, :, 0, :] = both
            block[:, :, 1, :] = both
            out[rows] = block.reshape(-1, size)
    return out[:, 0]


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
    :math:`O(\rho^2)`; moreover the ``n_enumerate`` widest crossing terms
    are enumerated (:math:`q_i(u)_+ = \max_{\sigma\in\{0,1\}}\sigma q_iu`
    for :math:`q_i > 0`, a minimum for :math:`q_i < 0`), which is exact in
    the convex terms because maxima commute. A box is discarded when its
    bound is at most the best value found plus ``rtol`` times it, or, when
    the caller says what it needs, its ``enough`` level (:meth:`maximize`);
    the others are split. For
    ReLU the result is also capped by a global bound in closed form
    (``relu_spectral_bound``): in high dimension, where no partition
    fits a budget, that is the bound a user gets.

    Parameters
    ----------
    rtol : float, default=1e-8
        Target :math:`(\text{upper} - \text{value}) / \text{value}`.
    atol : float, default=0.0
        Absolute target, in units of :math:`c_q`; the looser of the two
        applies.
    max_boxes : int, default=2_000_000
        Budget of boxes evaluated. When it runs out the bound is still valid
        but looser than asked; ``SupResult.upper`` says how loose and
        ``SupResult.exhausted`` is ``True``.
    max_time : float, optional
        Budget in seconds, checked after each batch of boxes; exhausted as
        ``max_boxes``.
    n_enumerate : int, default=4
        ReLU only: per box, the crossing terms enumerated exactly (their
        :math:`2^k` sign patterns) instead of bounded by a secant or a
        tangent; ``0`` gives the generic bound.
    local : LocalOracle, optional
        Gives the starting lower bound; ``LocalOracle()`` by default.
    chunk : int, default=4096
        Boxes evaluated at once (memory ``chunk * n`` floats).
    engine : {"auto", "numba", "numpy"}, default="auto"
        ReLU only: how the cap bounds are computed. ``"numba"`` compiles one
        loop per cap (installed with ``pip install "measureopt[fast]"``);
        ``"numpy"`` works on a sparse list of the crossing terms; ``"auto"``
        takes Numba when it is installed. Both give the same bound (up to
        the choice between equally wide terms); the compiled one is about 3x
        faster (``benchmarks/certificates.py``).

    Notes
    -----
    ``scope == "sphere"``: ``upper`` bounds :math:`\sup|c_q|` over the whole
    sphere, plus a rounding allowance ``ROUNDING * L``. Each box carries
    the signs of :math:`\pm c_q` it still has to bound: once one sign
    settles on a box, its children bound only the other. After
    :meth:`maximize`, ``last_stats`` holds the number of boxes evaluated and
    the number of rounds.
    """

    scope = Scope.SPHERE
    #: :meth:`maximize` takes ``enough`` (a caller's target): see there.
    adaptive = True

    def __init__(self, rtol=1e-8, atol=0.0, max_boxes=2_000_000, max_time=None, n_enumerate=4, local=None,
                 chunk=4096, engine="auto"):
        self.rtol = check_positive(rtol, "rtol", strict=False)
        self.atol = check_positive(atol, "atol", strict=False)
        if self.rtol == 0 and self.atol == 0:
            raise ValueError("BranchAndBound needs rtol > 0 or atol > 0 to terminate")
        self.max_boxes = check_int(max_boxes, "max_boxes", minimum=1)
        self.max_time = _check_max_time(max_time)
        self.n_enumerate = check_int(n_enumerate, "n_enumerate", minimum=0)
        if self.n_enumerate > 12:
            raise ValueError(f"n_enumerate must be at most 12 (2**n_enumerate patterns per box); got {n_enumerate}")
        self.local = LocalOracle() if check_oracle(local, "local") is None else local
        self.chunk = check_int(chunk, "chunk", minimum=1)
        if engine not in ("auto", "numba", "numpy"):
            raise ValueError(f"engine must be 'auto', 'numba' or 'numpy'; got {engine!r}")
        if engine == "numba" and not HAVE_NUMBA:
            raise ImportError("engine='numba' needs numba: pip install 'measureopt[fast]'")
        self.engine = engine
        self.last_stats = {}

    @property
    def _compiled(self):
        return self.engine == "numba" or (self.engine == "auto" and HAVE_NUMBA)

    def __repr__(self):
        budget = "" if self.max_time is None else f", max_time={self.max_time:g}"
        return f"BranchAndBound(rtol={self.rtol:g}, atol={self.atol:g}{budget})"

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
    def _upper(features, q, centers, u, lo, hi, m, rho, xnorm):
        """Upper bound of :math:`c_q` on the caps (one sign; see the class notes)."""
        X, act, n = features.inputs, features.activation, features.n_samples
        smooth = np.isfinite(m)
        s_u, ds_u = act(u), act.derivative(u)
        # tangent (Taylor) slope for smooth terms and, when sigma is convex,
        # for the concave terms q_i sigma with q_i < 0; secant for the convex
        # kinked terms q_i > 0; interval bound when sigma is not convex.
        tangent = smooth | (act.convex & (q < 0))
        secant = ~smooth & act.convex & (q >= 0)
        s_lo, s_hi = act(lo), act(hi)
        wide = hi > lo  # a zero input has hi == lo: its term is the constant q * sigma(0)
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = np.where(secant & wide, (s_hi - s_lo) / np.where(wide, hi - lo, 1.0), 0.0)
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

    def _bounds(self, features, q, centers, rho, xnorm, alive):
        """Value at the cap centres and upper bounds of :math:`\\pm c_q` on the caps, shape (B, 2).

        Only the signs flagged in ``alive`` (B, 2) are bounded; the others get
        :math:`-\\infty`. A NaN bound becomes :math:`+\\infty`: a box never
        settles on it.
        """
        if features.is_relu:
            relu = relu_cap_bounds_compiled if self._compiled else _relu_cap_bounds
            value, bounds = relu(features.inputs, q, centers, rho, xnorm, self.n_enumerate, alive)
            return value, np.where(np.isnan(bounds), np.inf, bounds)
        act = features.activation
        u = centers @ features.inputs.T  # (k, n)
        value = act(u) @ q / features.n_samples
        safe = np.where(xnorm > 0, xnorm, 1.0)
        alpha = np.arccos(np.clip(u / safe, -1.0, 1.0))
        r = rho[:, None]
        lo = xnorm * np.cos(np.minimum(np.pi, alpha + r))
        hi = xnorm * np.cos(np.maximum(0.0, alpha - r))
        m = act.curvature_bound(lo, hi)
        qq = np.broadcast_to(q, u.shape)
        bounds = np.full((len(u), 2), -np.inf)
        for column, s in enumerate((1.0, -1.0)):
            rows = np.flatnonzero(alive[:, column])
            if len(rows):
                bounds[rows, column] = self._upper(features, s * qq[rows], centers[rows], u[rows], lo[rows],
                                                   hi[rows], m[rows], rho[rows], xnorm)
        return value, np.where(np.isnan(bounds), np.inf, bounds)

    def maximize(self, features, q, enough=None):
        """Certified bounds on :math:`\\sup|c_q|` over the sphere.

        Parameters
        ----------
        features : Features or measure problem
        q : ndarray, shape (n,)
        enough : callable, optional
            ``enough(value) -> level``: an upper bound at or below ``level``
            is all the caller needs once the best value found is ``value``
            (e.g. it certifies the caller's gap). Given, it replaces
            ``rtol`` and ``atol`` as the target, looser or tighter: boxes
            whose bound is at most ``level`` settle (at most
            ``value * (1 + 1e-12)`` when ``level`` is below that), the
            others are split. The bound stays valid either way. (With the
            looser of the two, a caller asking for a gap that ``rtol`` does
            not reach got a bound just above its level, and a certificate
            that failed by a hair: on a regularization path, a relative gap
            of 1.07e-6 at tol 1e-6, ``rtol`` being 1e-7.)
        """
        features, q = _prepare(features, q)
        deadline = Deadline(self.max_time)
        d = features.dim
        xnorm = np.linalg.norm(features.inputs, axis=1)
        start = self.local.maximize(features, q)
        best_theta, best_value, best_sign = start.argmax, start.value, start.sign
        axis, sign, lo, width = self._initial_boxes(d)
        # a box's parent bound holds on it too: what a box not yet evaluated is worth
        act = features.activation
        root = float(np.abs(q) @ np.maximum(np.abs(act(xnorm)), np.abs(act(-xnorm)))) / features.n_samples
        # ReLU: a global bound in closed form (Cauchy-Schwarz), the best bound in high dimension
        spectral = relu_spectral_bound(features.inputs, q) * (1 + 1e-12) if features.is_relu else np.inf
        parent = np.full(len(axis), min(root, spectral))
        alive = np.ones((len(axis), 2), dtype=bool)  # which of +c_q, -c_q a box must still bound
        done_upper = -np.inf
        evaluated = rounds = 0
        while len(axis):
            rounds += 1
            out_of_time = False
            value = np.zeros(len(axis))
            bound = np.where(alive, parent[:, None], -np.inf)
            centers = self._embed(axis, sign, lo + width / 2)
            pnorm = np.linalg.norm(centers, axis=1)
            centers /= pnorm[:, None]
            half = np.linalg.norm(width, axis=1) / 2
            rho = np.where(half < pnorm, np.arcsin(np.minimum(1.0, half / pnorm)), np.pi)
            for s in range(0, len(axis), self.chunk):
                sl = slice(s, s + self.chunk)
                tick = deadline.elapsed()
                value[sl], bound[sl] = self._bounds(features, q, centers[sl], rho[sl], xnorm, alive[sl])
                evaluated += len(value[sl])
                out_of_time = deadline.passed(ahead=deadline.elapsed() - tick)  # the next batch would overrun
                if out_of_time:
                    break
            j = int(np.argmax(np.abs(value)))
            if abs(value[j]) > best_value:
                best_theta, best_value = centers[j].copy(), float(abs(value[j]))
                best_sign = 1.0 if value[j] >= 0 else -1.0
            if enough is None:
                threshold = best_value + max(self.atol, self.rtol * best_value)
            else:
                threshold = max(float(enough(best_value)), best_value * (1.0 + 1e-12))
            settled = alive & (bound <= threshold)
            if np.any(settled):
                done_upper = max(done_upper, float(np.max(bound[settled])))
            alive &= ~settled
            keep = alive.any(axis=1)
            axis, sign, lo, width, alive = axis[keep], sign[keep], lo[keep], width[keep], alive[keep]
            if len(axis) and (evaluated + 2 * len(axis) > self.max_boxes or out_of_time):
                done_upper = max(done_upper, float(np.max(bound[keep][alive])))
                break
            top = np.max(np.where(alive, bound[keep], -np.inf), axis=1)  # the children's prior bound
            parent = np.concatenate([top, top])
            alive = np.concatenate([alive, alive])
            # split each remaining box in two along its longest side
            longest = np.argmax(width, axis=1)
            rows = np.arange(len(axis))
            width = width.copy()
            width[rows, longest] /= 2
            lo2 = lo.copy()
            lo2[rows, longest] += width[rows, longest]
            axis, sign = np.concatenate([axis, axis]), np.concatenate([sign, sign])
            lo, width = np.concatenate([lo, lo2]), np.concatenate([width, width])
        exhausted = bool(len(axis))
        self.last_stats = {"boxes": evaluated, "rounds": rounds, "exhausted": exhausted,
                           "time": deadline.elapsed()}
        slack = ROUNDING * features.lipschitz_scale(q)
        upper = max(min(done_upper, spectral), best_value) + slack
        return SupResult(np.array(best_theta), float(best_value), float(upper), best_sign, self.scope, exhausted)
