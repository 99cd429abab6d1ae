r"""The penalties of a measure problem: :math:`\lambda\lVert\nu\rVert_{TV}` and the ball :math:`\lVert\nu\rVert_{TV} \le \delta`."""

import numpy as np

from .._frozen import Frozen
from .._validation import check_positive

__all__ = ["TV", "TVBall", "FEASIBILITY_RTOL"]

#: Relative slack of the constraint :math:`\lVert\nu\rVert_{TV}\le\delta` (rounding of convex combinations).
FEASIBILITY_RTOL = 1e-9


class TV(Frozen):
    r"""Penalized form: :math:`G(\nu) = \lambda\lVert\nu\rVert_{TV}` (Akiyama & Suzuki eq. 8; Berthier eq. 8).

    Parameters
    ----------
    reg : float
        :math:`\lambda > 0`.

    Notes
    -----
    Dual constraint :math:`\sup_\theta|c_q(\theta)| \le \lambda`, so a dual
    vector is made feasible by the scale :math:`s = \min(1, \lambda/\bar c)`.
    Frank-Wolfe runs on the epigraph :math:`\{(\nu, t): \lVert\nu\rVert_{TV}
    \le t \le M\}` with :math:`M = F(0)/\lambda`, whose vertices are
    :math:`(0, 0)` and :math:`(\pm M\delta_\theta, M)`.
    """

    name = "tv"
    penalized = True

    def __init__(self, reg):
        self.reg = check_positive(reg, "reg")
        self._freeze()

    def __repr__(self):
        return f"TV(reg={self.reg:g})"

    def value(self, total_variation):
        r""":math:`\lambda\lVert\nu\rVert_{TV}`."""
        return self.reg * total_variation

    @property
    def certificate_scale(self):
        """:math:`\\lambda`: the certificate is :math:`\\eta = c_q/\\lambda`."""
        return self.reg

    @property
    def epigraph_weight(self):
        """Weight of the epigraph variable :math:`t` in Frank-Wolfe's objective: :math:`\\lambda`."""
        return self.reg


class TVBall(Frozen):
    r"""Constrained form: :math:`\lVert\nu\rVert_{TV} \le \delta` (Berthier eq. 2 and 4).

    Parameters
    ----------
    radius : float
        :math:`\delta > 0`.

    Notes
    -----
    The ball's extreme points are :math:`\pm\delta\,\delta_\theta`, so the
    Frank-Wolfe vertex is :math:`s\,\delta\,\delta_{\theta^\star}` with
    :math:`\theta^\star = \arg\max|c_q|` and :math:`s` its sign (Berthier
    eq. 5). The dual is :math:`\max_q D(q) - \delta\sup_\theta|c_q(\theta)|`.
    The objective of a measure outside the ball (beyond a relative rounding
    slack of ``1e-9``) is :math:`+\infty`.
    """

    name = "tv_ball"
    penalized = False

    def __init__(self, radius):
        self.radius = check_positive(radius, "radius")
        self._freeze()

    def __repr__(self):
        return f"TVBall(radius={self.radius:g})"

    def value(self, total_variation):
        """0 inside the ball, ``inf`` outside (the indicator)."""
        return 0.0 if total_variation <= self.radius * (1 + FEASIBILITY_RTOL) else np.inf

    @property
    def certificate_scale(self):
        """1: the certificate of the constrained form is :math:`c_q` itself."""
        return 1.0

    @property
    def epigraph_weight(self):
        """0: the constrained form has no penalty term."""
        return 0.0
