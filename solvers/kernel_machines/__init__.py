r"""Kernel machines in closed form: kernel ridge, random features, the regularized NTK and F2.

The squared-loss, :math:`\ell_2`-regularized problems of Fang, Dong & Zhang
(Sec. III-IV) and Berthier (2018, Prop. 2.1), solved exactly by one
Cholesky factorization. All four estimators minimize, over a function
:math:`f` of the reproducing kernel Hilbert space :math:`\mathcal H_k`,

.. math::

    \frac1n\sum_{i=1}^n \tfrac12\lVert f(x_i) - y_i\rVert^2 + \frac{\lambda}{2}\lVert f\rVert_{\mathcal H_k}^2,

the squared loss :math:`L(v, y) = \frac12\lVert v - y\rVert^2` averaged over
the :math:`n` samples (FDZ never fixes the :math:`\frac12`; this module
does). Writing :math:`f = \sum_i k(\cdot, x_i)\beta_i` (the representer
form, FDZ eq. (5)), the optimality condition :math:`\lambda n\beta = Y -
K\beta` gives

.. math::

    \beta = (K + \lambda n I)^{-1} Y, \qquad f(x) = k(x, X)\,\beta,

with :math:`Y` of shape ``(n,)`` or ``(n, k)``. scikit-learn's
``KernelRidge`` minimizes :math:`\lVert Y - K\beta\rVert^2 + \alpha\,
\beta^\top K\beta` instead, whose solution is :math:`(K + \alpha I)^{-1}Y`:
the two agree for ``alpha = reg * n``.

Estimators (plain classes with scikit-learn's conventions: parameters stored
unchanged by ``__init__``, fitted attributes ending in ``_``, ``fit``
returning ``self``, ``get_params``/``set_params``; scikit-learn itself is not
a dependency):

- :class:`KernelRidge`: any kernel, precomputed or a callable.
- :class:`RandomFeatureRegression`: frozen random features, primal (FDZ
  eq. (4)) or dual (eq. (5)-(7)).
- :class:`RegularizedNTK`: kernel ridge on :math:`k^u + k^\theta` (FDZ eq. (14)).
- :class:`F2KernelRidge`: kernel ridge in Berthier's F2 space.

References
----------
Fang, C., Dong, H., Zhang, T. Mathematical models of overparameterized
neural networks. Proceedings of the IEEE 109(5), 2021. Sec. III-IV,
eq. (3)-(7) and (14).

Berthier, E. (2018). On convex neural networks. Prop. 2.1.
"""

from measureopt.exceptions import NotFittedError

from ._kernels import F2KernelRidge, KernelRidge, RegularizedNTK
from ._random_features import RandomFeatureRegression

__all__ = ["KernelRidge", "RandomFeatureRegression", "RegularizedNTK", "F2KernelRidge", "NotFittedError"]
