r"""Dual certificates, sup-oracles and duality gaps.

For a measure :math:`\nu` and a dual vector :math:`q \in \mathbb{R}^n`, the
*correlation* is :math:`c_q(\theta) = \frac1n \sum_i q_i \sigma(\langle\theta,
x_i\rangle)`. A sup-oracle returns the direction that maximizes
:math:`|c_q(\theta)|` over its domain together with a lower and an upper
bound on :math:`\sup_\theta |c_q(\theta)|`. The BLASSO certificate is
:math:`\eta = c_q / \lambda` with :math:`q = y - f(\cdot;\nu)`.

Oracles share one method, ``maximize(problem, q) -> SupResult``, so a
problem's :meth:`~measureopt.BLASSO.duality_gap` accepts any of them: the
grid oracle here certifies a gridded problem; oracles whose upper bound holds
over the whole sphere certify the continuous problem.
"""

from dataclasses import dataclass

import numpy as np

from .sphere import check_on_sphere

__all__ = ["SupResult", "GridOracle", "DualityGap"]


@dataclass(frozen=True)
class SupResult:
    r"""What a sup-oracle found for :math:`\sup_\theta |c_q(\theta)|`.

    Attributes
    ----------
    argmax : ndarray, shape (d,)
        The best direction found.
    value : float
        :math:`|c_q(\text{argmax})|`, a lower bound on the sup.
    upper : float
        An upper bound on the sup over ``scope``.
    sign : float
        Sign of :math:`c_q(\text{argmax})` (``+1.0`` or ``-1.0``).
    scope : {"grid", "sphere"}
        The domain over which ``upper`` holds: the oracle's finite set of
        directions, or the whole sphere.
    """

    argmax: np.ndarray
    value: float
    upper: float
    sign: float
    scope: str


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

    def maximize(self, problem, q):
        """Return the :class:`SupResult` of :math:`|c_q|` over ``thetas``."""
        if self.thetas.shape[0] == 0:
            raise ValueError("GridOracle needs at least one direction; got thetas of shape (0, d)")
        c = problem.correlation(q, self.thetas)
        j = int(np.argmax(np.abs(c)))
        value = float(abs(c[j]))
        return SupResult(
            argmax=self.thetas[j].copy(),
            value=value,
            upper=value,
            sign=1.0 if c[j] >= 0 else -1.0,
            scope=self.scope,
        )


@dataclass(frozen=True)
class DualityGap:
    r"""A primal-dual pair and the gap it certifies.

    With the residual :math:`q = y - f(\cdot;\nu)`, the scale
    :math:`s = \min(1, 1/\bar\eta)` where :math:`\bar\eta` is the oracle's
    upper bound on :math:`\sup|\eta|`, makes :math:`sq` dual feasible over
    the oracle's scope, so :math:`D(sq) \le J^\star \le J(\nu)` and

    .. math:: \text{gap} = J(\nu) - D(sq) \ \ge\ J(\nu) - J^\star \ \ge 0.

    Attributes
    ----------
    gap : float
        :math:`J(\nu) - D(sq)`.
    primal : float
        :math:`J(\nu)`.
    dual : float
        :math:`D(sq)`.
    sup_eta : float
        Largest :math:`|\eta|` the oracle found (lower bound on the sup).
    sup_eta_upper : float
        The oracle's upper bound on :math:`\sup|\eta|` over ``scope``.
    scale : float
        :math:`s`.
    argmax : ndarray, shape (d,)
        Where :math:`|\eta|` is largest.
    scope : {"grid", "sphere"}
        ``"grid"``: the gap bounds the suboptimality for the problem restricted
        to the oracle's directions. ``"sphere"``: for the continuous problem.
    """

    gap: float
    primal: float
    dual: float
    sup_eta: float
    sup_eta_upper: float
    scale: float
    argmax: np.ndarray
    scope: str

    @property
    def relative_gap(self):
        """float: ``gap / max(|primal|, tiny)``."""
        return self.gap / max(abs(self.primal), np.finfo(float).tiny)
