r"""Sup-oracles: :math:`\sup_{\theta\in\mathbb{S}^{D-1}} |c_q(\theta)|` with bounds.

For features :math:`\varphi(\theta, x) = \sigma(\langle\theta, \tilde x\rangle)`
(:class:`~measureopt.features.Features`) and a dual vector :math:`q`, the
correlation is

.. math:: c_q(\theta) = \frac1n \sum_{i=1}^n q_i\, \sigma(\langle\theta, \tilde x_i\rangle);

a problem's certificate is :math:`\eta = c_q/\lambda` (Akiyama & Suzuki,
2021, eq. 10) and its linear minimization oracle is the argmax (Berthier,
2018, eq. 5). Every oracle has one method, ``maximize(features, q)`` (a
measure problem is accepted for ``features``), which returns a
:class:`SupResult`: the best direction found, its value (a lower bound on
the sup), an upper bound and the ``scope`` on which the upper bound holds.

=========================  =========  ==========================================
oracle                     scope      what ``upper`` is
=========================  =========  ==========================================
:class:`GridOracle`        grid       exact max over a finite set
:class:`LocalOracle`       local      the value found (no bound)
:class:`ArrangementOracle` sphere     exact sup (ReLU or step, D = 2, 3)
:class:`BranchAndBound`    sphere     certified bound, any D
=========================  =========  ==========================================

:func:`certified_oracle` picks the exact oracle where it applies and
branch-and-bound elsewhere; a problem's ``duality_gap`` uses it, so the
default gap certifies the continuous problem.
"""

from .._validation import check_int, check_positive
from ..features import as_features
from ._arrangement import ArrangementOracle
from ._base import ROUNDING, Scope, SupResult, _check_max_time
from ._branch_and_bound import BranchAndBound
from ._grid import GridOracle
from ._local import LocalOracle, riemannian_ascent

__all__ = [
    "SupResult",
    "Scope",
    "ROUNDING",
    "GridOracle",
    "LocalOracle",
    "ArrangementOracle",
    "BranchAndBound",
    "certified_oracle",
    "riemannian_ascent",
]


def certified_oracle(features, max_arrangement_size=400, rtol=1e-8, max_time=None):
    """The certified oracle for ``features`` (or a problem): exact where it applies, else branch-and-bound.

    :class:`ArrangementOracle` for ReLU or step features with ``D`` = 2, or
    ``D`` = 3 and ``n <= max_arrangement_size`` (its cost grows like
    :math:`n^3`); :class:`BranchAndBound` otherwise. Both have
    ``scope == "sphere"``.

    Parameters
    ----------
    features : Features or measure problem
    max_arrangement_size : int, default=400
    rtol : float, default=1e-8
        Relative tightness asked of branch-and-bound (the exact oracle is
        exact).
    max_time : float, optional
        Budget in seconds; when it runs out the bound is valid but loose
        (``SupResult.exhausted``).
    """
    features = as_features(features)
    max_arrangement_size = check_int(max_arrangement_size, "max_arrangement_size", minimum=0)
    rtol = check_positive(rtol, "rtol")
    max_time = _check_max_time(max_time)
    exact = features.is_relu or features.is_step
    small = features.dim == 2 or (features.dim == 3 and features.n_samples <= max_arrangement_size)
    if exact and small:
        return ArrangementOracle(max_time=max_time)
    return BranchAndBound(rtol=rtol, max_time=max_time)
