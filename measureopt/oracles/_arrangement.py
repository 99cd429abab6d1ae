r"""Exact :math:`\sup|c_q|` on the hyperplane arrangement: ReLU and step features in dimension 2 and 3."""

import itertools

import numpy as np

from .._validation import check_int
from ..arrangement import ZERO_TOL, GeneralPositionError, arrangement_vertices, vertex_patterns
from ._base import ROUNDING, Scope, SupResult, _prepare, _result

__all__ = ["ArrangementOracle"]


def _check_features(features):
    if not (features.is_relu or features.is_step):
        raise ValueError(
            "ArrangementOracle is exact for the ReLU activation only, or the step (u)_+^0 (c_q is "
            "piecewise linear, or constant, on the hyperplane arrangement); got activation "
            f"{features.activation!r}. Use BranchAndBound instead."
        )
    if features.dim not in (2, 3):
        raise ValueError(f"ArrangementOracle handles d = 2 or 3; got d = {features.dim}. Use BranchAndBound.")


def _general_position(call, *args):
    try:
        return call(*args)
    except GeneralPositionError as exc:
        raise GeneralPositionError(f"ArrangementOracle needs {exc}. Use BranchAndBound instead.") from None


class ArrangementOracle:
    r"""Exact :math:`\sup|c_q|` for ReLU or step features in dimension 2 and 3.

    The hyperplanes :math:`\tilde x_i^\perp` cut the sphere into cells
    (:mod:`measureopt.arrangement`); let :math:`S` be the set of active
    inputs on a cell.

    **ReLU.** :math:`c_q(\theta) = \langle\theta, g_S\rangle` with
    :math:`g_S = \frac1n\sum_{i\in S} q_i \tilde x_i` on each cell. A
    maximizer of :math:`\pm c_q` therefore lies at

    * a vertex of the arrangement (:math:`D = 3`: :math:`\pm x_i\times x_j`;
      :math:`D = 2`: the two unit normals of each :math:`x_i`), or
    * the interior of an edge on :math:`x_k^\perp` (:math:`D = 3`), at
      :math:`\pm P_{x_k^\perp} g_S/\lVert P_{x_k^\perp} g_S\rVert`, or
    * the interior of a cell, at :math:`\pm g_S/\lVert g_S\rVert`.

    **Step** :math:`\sigma(u) = \mathbb{1}\{u > 0\}`. :math:`c_q =
    \frac1n\sum_{i\in S}q_i` is constant on each open cell, and on the
    boundary it equals the value of an adjacent cell with fewer active
    inputs, so the sup is the largest :math:`|c_q|` over the cells: the
    weighted-misclassification problem of Berthier (2018, eq. 6), solved
    exactly by enumeration in low dimension. The returned direction is a
    point inside the best cell.

    Every cell and edge touches a vertex, and the cells around a vertex
    through :math:`x_i^\perp` (and :math:`x_j^\perp`) differ only in the
    signs of :math:`i` (and :math:`j`). The oracle enumerates these
    :math:`O(n^{D-1})` candidates: the maximum is exact.

    Parameters
    ----------
    chunk : int, default=8192
        Candidates evaluated at once (memory ``chunk * n`` floats).

    Raises
    ------
    ValueError
        From :meth:`maximize`, for an activation other than ReLU or the step,
        ``D`` not in {2, 3}, or, for ``D = 3`` only, inputs not in general
        position (:class:`~measureopt.arrangement.GeneralPositionError`: two
        parallel inputs, or three linearly dependent ones). On the circle
        (``D = 2``) any inputs are handled: duplicated, parallel or
        antipodal rows share a vertex, and the two arcs around it are
        enumerated directly.

    Notes
    -----
    ``scope == "sphere"`` and ``upper = value + ROUNDING * L`` with
    :math:`L = \frac1n\sum_i|q_i|\lVert\tilde x_i\rVert` (ReLU), an
    allowance for floating-point rounding; for the step, ``upper`` is the
    enumerated maximum plus ``ROUNDING`` times :math:`\frac1n\sum_i|q_i|`.
    Cost: :math:`17\,n(n-1)` evaluations for ReLU and :math:`D = 3`.

    References
    ----------
    R. Berthier. On convex neural networks (2018), eq. (5)-(7).
    """

    scope = Scope.SPHERE

    def __init__(self, chunk=8192):
        self.chunk = check_int(chunk, "chunk", minimum=1)

    def __repr__(self):
        return "ArrangementOracle()"

    def _vertices(self, features):
        _check_features(features)
        X = features.inputs
        vertices, index = _general_position(arrangement_vertices, X)
        for start in range(0, len(vertices), self.chunk):
            sl = slice(start, start + self.chunk)
            u, base = _general_position(vertex_patterns, X, vertices[sl], index[sl])
            yield vertices[sl], index[sl], u, base

    def _circle_cells(self, features):
        r"""``D = 2``, any inputs: each vertex with the patterns of its two adjacent arcs.

        On the circle a vertex :math:`v \perp x_i` has exactly two adjacent
        arcs, on the sides :math:`\pm t` with :math:`t = x_i/\lVert x_i\rVert`;
        an input through :math:`v` (parallel or antipodal to :math:`x_i`,
        duplicates included) is active on the side where
        :math:`\langle t, x_j\rangle > 0`. No general position is needed.
        Yields ``(v, t, margin, [(side, pattern), ...])`` per chunk.
        """
        X = features.inputs
        norms = np.linalg.norm(X, axis=1)
        vertices, index = arrangement_vertices(X, strict=False)
        safe = np.where(norms > 0, norms, 1.0)
        for start in range(0, len(vertices), self.chunk):
            v, idx = vertices[start:start + self.chunk], index[start:start + self.chunk, 0]
            t = X[idx] / norms[idx, None]
            u = v @ X.T
            on = np.abs(u) <= ZERO_TOL * norms
            base = (u > 0) & ~on
            w = t @ X.T
            margin = np.min(np.where(on, np.inf, np.abs(u) / safe), axis=1, initial=np.inf)
            yield v, t, margin, [(s, base | (on & (s * w > 0))) for s in (1.0, -1.0)]

    def candidates(self, features, q):
        """All candidate directions for ReLU features, shape ``(N, D)`` (see the class notes)."""
        features, q = _prepare(features, q)
        X, n, d = features.inputs, features.n_samples, features.dim
        norms = np.linalg.norm(X, axis=1)
        weighted = q[:, None] * X / n
        out = []
        if d == 2:
            _check_features(features)
            for v, _, _, cells in self._circle_cells(features):
                out.append(v)
                for _, pattern in cells:
                    g = pattern @ weighted
                    out += [g, -g]
            cand = np.concatenate(out)
            cn = np.linalg.norm(cand, axis=1)
            return cand[cn > 0] / cn[cn > 0, None]
        for v, idx, _, active in self._vertices(features):
            out.append(v)
            base = active @ weighted
            terms = weighted[idx]  # (k, |A|, D)
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
        return cand[cn > 0] / cn[cn > 0, None]

    def _step_sup(self, features, q):
        """Largest :math:`|c_q|` over the cells (step features), with a point inside the best cell."""
        X, n = features.inputs, features.n_samples
        norms = np.linalg.norm(X, axis=1)
        if features.dim == 2:
            best = (-1.0, None)
            for v, t, margin, cells in self._circle_cells(features):
                for side, pattern in cells:
                    vals = pattern @ q / n
                    j = int(np.argmax(np.abs(vals)))
                    if abs(vals[j]) > best[0]:
                        theta = v[j] + side * 0.25 * min(margin[j], 1.0) * t[j]
                        best = (float(abs(vals[j])), theta / np.linalg.norm(theta))
            return best[1], best[0]
        best = (-1.0, None, None, None, None)
        for v, idx, u, active in self._vertices(features):
            base = active @ q / n
            terms = q[idx] / n  # (k, |A|)
            for signs in itertools.product((0.0, 1.0), repeat=idx.shape[1]):
                vals = base + terms @ np.array(signs)
                j = int(np.argmax(np.abs(vals)))
                if abs(vals[j]) > best[0]:
                    best = (float(abs(vals[j])), v[j], idx[j], signs, u[j])
        value, v, idx, signs, u = best
        if v is None:
            raise ValueError("ArrangementOracle needs at least two non-parallel inputs for D = 3")
        # a point inside the cell: move off the vertex towards the chosen side of each hyperplane
        # through it, along tangent directions orthogonal to the other hyperplane(s)
        Xi = X[idx] / norms[idx, None]
        if len(idx) == 1:
            tangents = Xi
        else:
            t0, t1 = np.cross(v, Xi[1]), np.cross(v, Xi[0])
            t0 *= np.sign(t0 @ Xi[0])
            t1 *= np.sign(t1 @ Xi[1])
            tangents = np.stack([t0 / np.linalg.norm(t0), t1 / np.linalg.norm(t1)])
        step = ((2 * np.array(signs) - 1)[:, None] * tangents).sum(axis=0)
        others = np.ones(n, dtype=bool)
        others[idx] = False
        margin = np.min(np.abs(u[others]) / np.maximum(norms[others], 1e-300), initial=1.0)
        theta = v + 0.25 * min(margin, 1.0) / max(np.linalg.norm(step), 1e-300) * step
        theta /= np.linalg.norm(theta)
        return theta, value

    def maximize(self, features, q):
        """Exact :math:`\\sup|c_q|` over the sphere (ReLU or step, ``D`` = 2 or 3)."""
        features, q = _prepare(features, q)
        _check_features(features)
        if features.is_step:
            theta, upper = self._step_sup(features, q)
            found = features.correlation(q, theta[None, :])[0]
            slack = ROUNDING * float(np.abs(q).sum()) / features.n_samples
            return SupResult(theta, float(abs(found)), max(upper, abs(found)) + slack,
                             1.0 if found >= 0 else -1.0, self.scope)
        cand = self.candidates(features, q)
        values = features.correlation(q, cand, chunk=self.chunk)
        res = _result(cand, values, upper=-np.inf, scope=self.scope)
        slack = ROUNDING * features.lipschitz_scale(q)
        return SupResult(res.argmax, res.value, res.value + slack, res.sign, self.scope)
