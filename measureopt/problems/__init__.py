r"""Convex problems over measures: the protocol and the formulations built on it.

=================================  ============================================
:class:`MeasureProblem`            features + loss + penalty (the protocol)
:class:`BLASSO`                    squared loss + :class:`TV`, raw inputs
                                   (Akiyama & Suzuki eq. 8)
:class:`VariationNormERM`          squared or logistic loss, :class:`TV` or
                                   :class:`TVBall`, lifted inputs (Berthier eq. 2-8)
=================================  ============================================
"""

from ._base import DEFAULT_ORACLE_GRID_SIZE, TV, MeasureProblem, TVBall, Vertex
from ._blasso import BLASSO
from ._variation_norm import VariationNormERM

__all__ = ["MeasureProblem", "TV", "TVBall", "Vertex", "BLASSO", "VariationNormERM",
           "DEFAULT_ORACLE_GRID_SIZE"]
