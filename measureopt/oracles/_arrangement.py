r"""Exact :math:`\sup|c_q|` on the hyperplane arrangement: ReLU and step features in dimension 2 and 3."""

import numpy as np

from .._validation import check_int
from ..arrangement import ZERO_TOL, arrangement_stars
from ._base import ROUNDING, Deadline, Scope, SupResult, _check_max_time, _prepare, _result

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


class ArrangementOracle:
    r"""Exact :math:`\sup|c_q|` for ReLU or step features in dimension 2 and 3, for any inputs.

    The hyperplanes :math:`\tilde x_i^\perp` cut the sphere into cells
    (:mod:`measureopt.arrangement`); let :math:`S` be the set of active
    inputs on a cell.

    **ReLU.** :math:`c_q(\theta) = \langle\theta, g_S\rangle` with
    :math:`g_S = \frac1n\sum_{i\in S} q_i \tilde x_i` on each cell. A
    maximizer of :math:`\pm c_q` therefore lies at

    * a vertex of the arrangement, or
    * the interior of an edge on the hyperplane of normal :math:`n`
      (:math:`D = 3`), at :math:`\pm P_{n^\perp} g_S/\lVert P_{n^\perp}
      g_S\rVert` with :math:`S` the edge's active set, or
    * the interior of a cell, at :math:`\pm g_S/\lVert g_S\rVert`.

    **Step** :math:`\sigma(u) = \mathbb{1}\{u > 0\}`. :math:`c_q =
    \frac1n\sum_{i\in S}q_i` is constant on each open cell, and on the
    boundary it equals the value of an adjacent cell with fewer active
    inputs, so the sup is the largest :math:`|c_q|` over the cells: the
    weighted-misclassification problem of Berthier (2018, eq. 6), solved
    exactly by enumeration in low dimension. The returned direction is a
    point inside the best cell.

    Every cell and edge touches a vertex, and
    :func:`~measureopt.arrangement.arrangement_stars` lists the cells and
    edges around every vertex, for any inputs: duplicated, parallel and
    antipodal rows share a hyperplane, zero rows are never active, and a
    vertex with more than two hyperplanes through it (dependent inputs) has
    all its sectors listed. The maximum over these candidates is exact.

    Parameters
    ----------
    chunk : int, default=8192
        Vertices processed at once (memory about ``8 * chunk * n`` values).
    max_time : float, optional
        Budget in seconds, checked after each chunk. When it runs out, the
        value is the best candidate so far and ``upper`` falls back to the
        Lipschitz bound :math:`\frac1n\sum_i|q_i|\lVert\tilde x_i\rVert`
        (``SupResult.exhausted`` is ``True``).

    Raises
    ------
    ValueError
        From :meth:`maximize`, for an activation other than ReLU or the
        step, ``D`` not in {2, 3}, or a ``q`` of the wrong shape or with
        non-finite entries. Valid inputs never make it raise.

    Notes
    -----
    ``scope == "sphere"`` and ``upper = value + (ROUNDING + ZERO_TOL) * L``
    with :math:`L = \frac1n\sum_i|q_i|\lVert\tilde x_i\rVert` (ReLU): an
    allowance for floating-point rounding and for hyperplanes closer than
    ``ZERO_TOL`` being read as one. For the step, ``upper`` is the
    enumerated maximum plus ``ROUNDING`` times :math:`\frac1n\sum_i|q_i|`.
    Cost: about :math:`17\,n(n-1)` evaluations for ReLU and :math:`D = 3`
    in general position.

    References
    ----------
    Eloïse Berthier. On convex neural networks (2018), eq. (5)-(7).
    """

    scope = Scope.SPHERE

    def __init__(self, chunk=8192, max_time=None):
        self.chunk = check_int(chunk, "chunk", minimum=1)
        self.max_time = _check_max_time(max_time)

    def __repr__(self):
        return "ArrangementOracle()" if self.max_time is None else f"ArrangementOracle(max_time={self.max_time:g})"

    def _stars(self, features, deadline):
        """The stars of the arrangement, stopping (``deadline.hit``) when the deadline passes."""
        for star in arrangement_stars(features.inputs, self.chunk):
            yield star
            if deadline.passed():
                deadline.hit = True
                return

    def candidates(self, features, q, deadline=None):
        """All candidate directions for ReLU features, shape ``(N, D)`` (see the class notes)."""
        features, q = _prepare(features, q)
        _check_features(features)
        weighted = q[:, None] * features.inputs / features.n_samples
        out = []
        for star in self._stars(features, deadline or Deadline(None)):
            out.append(np.unique(star.vertex, axis=0))
            g = star.pattern @ weighted
            out += [g, -g]
            if len(star.edge_normal):
                g = star.edge_pattern @ weighted
                nrm = star.edge_normal
                g = g - np.sum(g * nrm, axis=1)[:, None] * nrm
                out += [g, -g]
        cand = np.concatenate(out)
        cn = np.linalg.norm(cand, axis=1)
        return cand[cn > 0] / cn[cn > 0, None]

    def _step_sup(self, features, q, deadline):
        """Largest :math:`|c_q|` over the cells (step features), with a point inside the best cell."""
        best = (-1.0, None)
        for star in self._stars(features, deadline):
            vals = star.pattern @ q / features.n_samples
            j = int(np.argmax(np.abs(vals)))
            if abs(vals[j]) > best[0]:
                theta = star.vertex[j] + 0.5 * min(star.margin[j], 1.0) * star.tangent[j]
                best = (float(abs(vals[j])), theta / np.linalg.norm(theta))
        return best[1], best[0]

    def maximize(self, features, q):
        """Exact :math:`\\sup|c_q|` over the sphere (ReLU or step, ``D`` = 2 or 3)."""
        features, q = _prepare(features, q)
        _check_features(features)
        deadline = Deadline(self.max_time)
        if features.is_step:
            theta, upper = self._step_sup(features, q, deadline)
            found = features.correlation(q, theta[None, :])[0]
            total = float(np.abs(q).sum()) / features.n_samples
            if deadline.hit:
                upper = total
            return SupResult(theta, float(abs(found)), max(upper, abs(found)) + ROUNDING * total,
                             1.0 if found >= 0 else -1.0, self.scope, deadline.hit)
        cand = self.candidates(features, q, deadline)
        if len(cand) == 0:  # q = 0 on every active input: c_q vanishes
            cand = np.eye(features.dim)[:1]
        values = features.correlation(q, cand, chunk=self.chunk)
        res = _result(cand, values, upper=-np.inf, scope=self.scope)
        lipschitz = features.lipschitz_scale(q)
        upper = max(lipschitz, res.value) if deadline.hit else res.value
        return SupResult(res.argmax, res.value, upper + (ROUNDING + ZERO_TOL) * lipschitz, res.sign,
                         self.scope, deadline.hit)
