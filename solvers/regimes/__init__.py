r"""Training in the kernel regimes: the lazy (NTK) and mean-field limits, and Du et al.'s linear rate.

==========================  ======================================================
:class:`TwoLayerTraining`   Fang, Dong & Zhang's two-layer model (eq. 1) with the
                            scale :math:`\alpha` and the learning-rate conventions
                            (11)-(13), trained beside its linearization (eq. 8)
:class:`DuGradientDescent`  Du et al.'s full-batch GD on fully connected and
                            residual networks (eq. 2, 3), against the rate
                            :math:`(1 - \eta\lambda_{\min}(K^{(H)})/2)^k` of
                            Thm 5.1 and 6.1
==========================  ======================================================

Both record their traces in the shared :class:`~solvers._loop.History` and
show the shared progress bar; torch is loaded when a run starts.
"""

from ._du import DuGradientDescent, DuRun
from ._fdz import LR_CONVENTIONS, RegimeRun, TwoLayerTraining

__all__ = ["TwoLayerTraining", "RegimeRun", "LR_CONVENTIONS", "DuGradientDescent", "DuRun"]
