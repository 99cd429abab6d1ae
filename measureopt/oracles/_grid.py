"""Exact maximization over a finite set of directions."""

import numpy as np

from ..sphere import check_on_sphere
from ._base import Scope, _prepare, _result

__all__ = ["GridOracle"]


class GridOracle:
    r"""Exact maximization of :math:`|c_q|` over a finite set of directions.

    Parameters
    ----------
    thetas : array_like, shape (K, D)
        Directions on the unit sphere.

    Notes
    -----
    The maximum over the set is exact, so ``value == upper`` and
    ``scope == "grid"``: the resulting duality gap certifies the problem
    restricted to measures supported on ``thetas``. For the continuous
    problem it is only a lower bound on the sup, hence no certificate.
    """

    scope = Scope.GRID

    def __init__(self, thetas):
        self.thetas = check_on_sphere(thetas, "thetas")
        if self.thetas.shape[0] == 0:
            raise ValueError(f"thetas must hold at least one direction; got shape {self.thetas.shape}")

    def __repr__(self):
        return f"GridOracle(<{len(self.thetas)} directions>)"

    def maximize(self, features, q):
        """Return the :class:`~measureopt.oracles.SupResult` of :math:`|c_q|` over ``thetas``.

        ``features`` is a :class:`~measureopt.features.Features` or a problem holding one.
        """
        features, q = _prepare(features, q)
        if self.thetas.shape[0] == 0:
            raise ValueError("GridOracle needs at least one direction; got thetas of shape (0, d)")
        check_on_sphere(self.thetas, "thetas", d=features.dim)
        c = features.correlation(q, self.thetas)
        return _result(self.thetas, c, upper=float(np.max(np.abs(c))), scope=self.scope)
