r"""Variation-norm (F1) empirical risk minimization (Berthier 2018, eq. 2-4 and 8; Bach 2017)."""

from ..activations import ReLUPower, get_activation
from ..features import Features
from ..losses import get_loss
from ._base import TV, MeasureProblem, TVBall

__all__ = ["VariationNormERM"]

_ALPHAS = (0, 1, 2)


class VariationNormERM(MeasureProblem):
    r"""Empirical risk minimization over the variation-norm space :math:`\mathcal F_1` (Berthier 2018).

    Inputs are lifted to :math:`\tilde x = (x, 1)`; hidden units are
    :math:`\varphi_v(x) = \sigma(\langle v, \tilde x\rangle)` with :math:`v`
    on :math:`\mathbb{S}^d` and :math:`\sigma(u) = (u)_+^\alpha`,
    :math:`\alpha\in\{0, 1, 2\}` (or the sigmoid). A function of
    :math:`\mathcal F_1` is :math:`f(x) = \int\varphi_v(x)\,d\mu(v)` and its
    variation norm is :math:`\gamma_1(f) = \inf\lVert\mu\rVert_{TV}`
    (Def. 2.2-2.3). Two forms:

    .. math::

        \text{penalized (eq. 8):}\quad \min_\mu\ \frac1n\sum_{i=1}^n
        \ell(f(x_i;\mu), y_i) + \lambda\lVert\mu\rVert_{TV},
        \qquad
        \text{constrained (eq. 2, 4):}\quad \min_{\lVert\mu\rVert_{TV}\le\delta}
        \frac1n\sum_{i=1}^n\ell(f(x_i;\mu), y_i),

    with the squared loss :math:`\frac12(f - y)^2` or the logistic loss
    :math:`\log(1 + e^{-yf})`, :math:`y\in\{-1, +1\}`.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Raw inputs; lifted here.
    y : array_like, shape (n,)
        Targets; labels in :math:`\{-1, +1\}` for the logistic loss.
    loss : {"squared", "logistic"} or Loss, default="squared"
    alpha : {0, 1, 2}, default=1
        Exponent of :math:`(u)_+^\alpha`: step, ReLU, squared ReLU.
    reg : float, optional
        :math:`\lambda > 0`: the penalized form.
    radius : float, optional
        :math:`\delta > 0`: the constrained form. Give exactly one of
        ``reg`` and ``radius``.
    activation : {"sigmoid"} or Activation, optional
        Overrides ``alpha`` (Berthier's experiments also use the sigmoid).

    Notes
    -----
    Everything else is the :class:`~measureopt.problems.MeasureProblem`
    protocol: the dual :math:`D(q) = -\frac1n\sum_i\ell^*(-q_i; y_i)`, the
    certified gap (penalized: :math:`J(\mu) - D(sq)` with
    :math:`s = \min(1, \lambda/\sup|c_q|)`; constrained: the Frank-Wolfe gap
    :math:`\frac1n\sum_i\ell'_i f(x_i) + \delta\sup|c_q|`, Berthier Sec. 4.1),
    and the Frank-Wolfe vertex :math:`\pm\delta\varphi_{v^\star}` with
    :math:`v^\star = \arg\max_v|\frac1n\sum_i\ell'_i\sigma(\langle v,
    \tilde x_i\rangle)|` (eq. 5). With ``loss="squared"``, ``alpha=1`` and
    ``reg`` it is exactly ``BLASSO(lift(X), y, reg)``.

    References
    ----------
    Eloïse Berthier. On convex neural networks (2018), eq. (2)-(8), Sec. 4.1.
    F. Bach. Breaking the curse of dimensionality with convex neural networks.
    JMLR 18 (2017).

    Examples
    --------
    >>> import numpy as np
    >>> import measureopt as mo
    >>> X = np.linspace(-1, 1, 20)[:, None]
    >>> y = np.where(X[:, 0] > 0.1, 1.0, -1.0)
    >>> prob = mo.VariationNormERM(X, y, loss="logistic", reg=1e-2)
    >>> prob.dim  # measures live on the circle S^1 of lifted inputs
    2
    >>> round(prob.objective(mo.DiscreteMeasure.zero(2)), 6)  # log 2
    0.693147
    """

    def __init__(self, X, y, loss="squared", alpha=1, reg=None, radius=None, activation=None):
        if (reg is None) == (radius is None):
            raise ValueError(
                "give exactly one of reg (penalized form) and radius (constrained form); got "
                + ("neither" if reg is None else f"both (reg={reg!r}, radius={radius!r})")
            )
        if activation is None:
            if isinstance(alpha, bool) or alpha not in _ALPHAS:
                raise ValueError(f"alpha must be one of {_ALPHAS}; got {alpha!r}")
            activation = "relu" if alpha == 1 else ReLUPower(float(alpha))
        activation = get_activation(activation)
        self.alpha = getattr(activation, "degree", None)
        penalty = TV(reg) if reg is not None else TVBall(radius)
        super().__init__(Features(X, activation, lift=True), y, get_loss(loss), penalty)
