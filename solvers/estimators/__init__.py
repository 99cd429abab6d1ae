r"""scikit-learn estimators for convex two-layer networks, and certified regularization paths.

=====================================  ==========================================================
:class:`ConvexNetRegressor`            squared loss (variation-norm ERM, Berthier eq. 8)
:class:`ConvexNetClassifier`           logistic loss; binary, multiclass one-vs-rest
:class:`ConvexNetRegressorCV`          ``reg`` by K-fold CV along warm-started paths (as ``LassoCV``)
:class:`ConvexNetClassifierCV`         the same for the classifier
:func:`reg_path`, :class:`RegPath`     warm-started path from ``reg_max``, certified at each point
:func:`plot_path`                      the neurons' weights and the gaps against reg
=====================================  ==========================================================

They live in :mod:`solvers` because they run solvers (:mod:`measureopt`
never imports :mod:`solvers`); each fit builds a
:class:`~measureopt.VariationNormERM` (or, with ``lift=False``, the same
problem on raw inputs) and solves it with a :class:`~solvers.Solver`.
"""

from ._common import AUTO_SFW_MAX_DIM
from ._cv import ConvexNetClassifierCV, ConvexNetRegressorCV
from ._estimators import ConvexNetClassifier, ConvexNetRegressor
from ._path import RegPath, plot_path, reg_path

__all__ = ["ConvexNetRegressor", "ConvexNetClassifier", "ConvexNetRegressorCV", "ConvexNetClassifierCV",
           "reg_path", "RegPath", "plot_path", "AUTO_SFW_MAX_DIM"]
