r"""BLASSO over measures on the sphere (Akiyama & Suzuki, 2021, eq. 8)."""

from ..features import Features
from ..losses import SquaredLoss
from ._base import TV, MeasureProblem

__all__ = ["BLASSO"]


class BLASSO(MeasureProblem):
    r"""Beurling-LASSO over measures on the sphere (Akiyama & Suzuki, 2021, eq. 8).

    For a signed measure :math:`\nu` on :math:`\mathbb{S}^{d-1}`,

    .. math::

        f(x; \nu) = \int_{\mathbb{S}^{d-1}} \sigma(\langle\theta, x\rangle)\,
        d\nu(\theta), \qquad
        J(\nu) = \frac{1}{2n}\sum_{i=1}^n \bigl(y_i - f(x_i;\nu)\bigr)^2
        + \lambda \lVert\nu\rVert_{TV}.

    For a discrete :math:`\nu = \sum_j r_j\delta_{\theta_j}` with distinct
    atoms, :math:`\lVert\nu\rVert_{TV} = \sum_j |r_j|`. With ReLU this is the
    two-layer network :math:`\sum_j a_j \sigma(\langle w_j, x\rangle)` with
    penalty :math:`\lambda\sum_j |a_j|\lVert w_j\rVert` (eq. 4, 6).

    Parameters
    ----------
    X : array_like, shape (n, d)
        Inputs (rows on the sphere under Assumption 3.1, but any finite
        inputs are accepted).
    y : array_like, shape (n,)
        Targets.
    reg : float
        Regularization :math:`\lambda > 0`.
    activation : str or Activation, default="relu"
        :math:`\sigma`; see :func:`~measureopt.get_activation`.

    Attributes
    ----------
    features : Features
        :math:`\sigma(\langle\theta, x\rangle)` on the raw inputs; calling it,
        ``prob.features(thetas)``, gives the feature matrix.
    loss : SquaredLoss
        Compares equal to ``"squared"``.
    penalty : TV

    Notes
    -----
    **Certificate.** :math:`\eta(\theta) = \frac{1}{\lambda n}\sum_i
    (y_i - f(x_i;\nu))\,\sigma(\langle\theta, x_i\rangle)`. The measure
    :math:`\nu` is optimal iff :math:`|\eta| \le 1` on the sphere and
    :math:`\eta(\theta_j) = \operatorname{sign}(r_j)` on its support
    (eq. 10).

    **Dual.** :math:`D(q) = \frac1n\langle y, q\rangle - \frac1{2n}\lVert
    q\rVert^2` subject to :math:`\sup_\theta |\frac1n\sum_i q_i
    \sigma(\langle\theta, x_i\rangle)| \le \lambda`, the problem
    :math:`D_\lambda` of Sec. 3.2 with :math:`p = nq/\lambda`. Weak duality
    :math:`D(q) \le J(\nu)` gives the gap of :meth:`duality_gap`.

    BLASSO is the :class:`~measureopt.problems.MeasureProblem` with
    un-lifted features, the squared loss :math:`\frac12(f - y)^2` and the
    penalty :class:`~measureopt.problems.TV`; every method is the protocol's.

    References
    ----------
    S. Akiyama and T. Suzuki. On learnability via gradient method for two-layer
    ReLU neural networks in teacher-student setting. ICML 2021, eq. (4), (6),
    (8), (10) and problem :math:`D_\lambda`.

    Examples
    --------
    >>> import numpy as np
    >>> import measureopt as mo
    >>> data = mo.teacher_student(n=100, d=3, m=2, seed=0)
    >>> prob = mo.BLASSO(data.X, data.y, reg=1e-3)
    >>> round(prob.objective(data.teacher), 6)  # zero loss, penalty reg * 2
    0.002
    """

    def __init__(self, X, y, reg, activation="relu"):
        penalty = TV(reg)
        super().__init__(Features(X, activation), y, SquaredLoss(), penalty)

    def __repr__(self):
        return (
            f"BLASSO(n={self.n_samples}, d={self.dim}, reg={self.reg:g}, "
            f"activation={self.activation!r})"
        )
