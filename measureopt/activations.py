r"""Activation functions :math:`\sigma` with their derivatives.

Each activation is a small immutable object with ``__call__(u)`` and
``derivative(u)``, vectorized over arrays of any shape (typically
``(n_samples, n_atoms)`` pre-activations :math:`\langle \theta_j, x_i\rangle`),
and a ``degree`` that is the positive-homogeneity degree when there is one
(``1`` for ReLU, :math:`\alpha` for :math:`(u)_+^\alpha`) and ``None``
otherwise.
"""

import numbers
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Activation",
    "ReLU",
    "ReLUPower",
    "Sigmoid",
    "Tanh",
    "Softplus",
    "get_activation",
    "is_relu",
    "ACTIVATIONS",
]


class Activation(ABC):
    """Base class: an elementwise function and its first two derivatives.

    Every activation here is nondecreasing, which the branch-and-bound
    sup-oracle uses for interval bounds, and provides
    :meth:`curvature_bound`, which it uses for second-order bounds.
    """

    name = "activation"
    degree = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        from ._frozen import register_kind

        register_kind(cls)  # activations may be stored in measureopt files (their dataclass fields)

    #: Whether :math:`\\sigma` is convex (used for secant/tangent bounds).
    convex = False

    @abstractmethod
    def __call__(self, u):
        """Elementwise value :math:`\\sigma(u)`."""

    @abstractmethod
    def derivative(self, u):
        """Elementwise derivative :math:`\\sigma'(u)`."""

    @abstractmethod
    def second_derivative(self, u):
        """Elementwise second derivative :math:`\\sigma''(u)` (0 at kinks)."""

    @abstractmethod
    def curvature_bound(self, lo, hi):
        r"""Elementwise :math:`\sup_{u \in [lo, hi]} |\sigma''(u)|`.

        ``np.inf`` where :math:`\sigma'` is not Lipschitz on the interval (a
        kink of ReLU or a jump of the step inside it), so that the Taylor
        bound :math:`|\sigma(u) - \sigma(u_0) - \sigma'(u_0)(u - u_0)| \le
        \tfrac12 M (u - u_0)^2` holds for :math:`u, u_0 \in [lo, hi]`.
        """


@dataclass(frozen=True)
class ReLU(Activation):
    r""":math:`\sigma(u) = \max(u, 0)`, with :math:`\sigma'(u) = \mathbb{1}\{u \ge 0\}`.

    The derivative at 0 is 1, the convention of the subgradient
    :math:`h_j` under Algorithm 1 of Akiyama & Suzuki (2021).
    """

    name = "relu"
    degree = 1
    convex = True

    def __call__(self, u):
        return np.maximum(u, 0.0)

    def derivative(self, u):
        return (np.asarray(u) >= 0).astype(float)

    def second_derivative(self, u):
        return np.zeros_like(np.asarray(u, dtype=float))

    def curvature_bound(self, lo, hi):
        lo, hi = np.broadcast_arrays(np.asarray(lo, dtype=float), np.asarray(hi, dtype=float))
        return np.where((hi < 0) | (lo > 0), 0.0, np.inf)


@dataclass(frozen=True)
class ReLUPower(Activation):
    r""":math:`\sigma(u) = (u)_+^\alpha`, positively homogeneous of degree :math:`\alpha`.

    ``alpha = 0`` is the step function :math:`\mathbb{1}\{u > 0\}` (derivative
    0 almost everywhere), ``alpha = 1`` is ReLU, ``alpha = 2`` the squared
    ReLU (Bach, 2017; Berthier et al., 2018, eq. 2).

    Parameters
    ----------
    alpha : float
        Exponent, ``0`` or ``>= 1`` (for ``0 < alpha < 1`` the derivative is
        unbounded at 0).
    """

    alpha: float = 1.0
    name = "relu_power"

    def __post_init__(self):
        a = self.alpha
        if isinstance(a, bool) or not isinstance(a, numbers.Real) or not np.isfinite(a):
            raise TypeError(f"alpha must be a finite real number; got {a!r}")
        if not (a == 0 or a >= 1):
            raise ValueError(f"alpha must be 0 or >= 1; got {a!r}")

    @property
    def degree(self):
        return float(self.alpha)

    @property
    def convex(self):
        return self.alpha >= 1

    def __call__(self, u):
        u = np.asarray(u, dtype=float)
        if self.alpha == 0:
            return (u > 0).astype(float)
        return np.maximum(u, 0.0) ** self.alpha

    def derivative(self, u):
        u = np.asarray(u, dtype=float)
        if self.alpha == 0:
            return np.zeros_like(u)
        if self.alpha == 1:
            return (u >= 0).astype(float)
        return self.alpha * np.maximum(u, 0.0) ** (self.alpha - 1)

    def second_derivative(self, u):
        u = np.asarray(u, dtype=float)
        a = self.alpha
        if a <= 1:
            return np.zeros_like(u)
        with np.errstate(divide="ignore"):
            return np.where(u > 0, a * (a - 1) * np.abs(u) ** (a - 2), 0.0)

    def curvature_bound(self, lo, hi):
        lo, hi = np.broadcast_arrays(np.asarray(lo, dtype=float), np.asarray(hi, dtype=float))
        a = self.alpha
        if a <= 1:
            return np.where((hi < 0) | (lo > 0), 0.0, np.inf)
        top = np.maximum(hi, 0.0)
        if a >= 2:  # sigma'' = a(a-1) u_+^(a-2) is bounded and nondecreasing
            return np.where(hi < 0, 0.0, a * (a - 1) * top ** (a - 2))
        with np.errstate(divide="ignore"):  # 1 < a < 2: sigma'' blows up at 0+
            inside = a * (a - 1) * np.maximum(lo, np.finfo(float).tiny) ** (a - 2)
        return np.where(hi < 0, 0.0, np.where(lo > 0, inside, np.inf))


@dataclass(frozen=True)
class Sigmoid(Activation):
    r""":math:`\sigma(u) = 1 / (1 + e^{-u})`, :math:`\sigma' = \sigma (1 - \sigma)`."""

    name = "sigmoid"

    def __call__(self, u):
        from scipy.special import expit

        return expit(u)

    def derivative(self, u):
        s = self(u)
        return s * (1.0 - s)

    def second_derivative(self, u):
        s = self(u)
        return s * (1.0 - s) * (1.0 - 2.0 * s)

    def curvature_bound(self, lo, hi):
        # max |s(1-s)(1-2s)| = 1 / (6 sqrt 3)
        return np.full(np.broadcast(lo, hi).shape, 1.0 / (6.0 * np.sqrt(3.0)))


@dataclass(frozen=True)
class Tanh(Activation):
    r""":math:`\sigma(u) = \tanh u`, :math:`\sigma' = 1 - \tanh^2 u`."""

    name = "tanh"

    def __call__(self, u):
        return np.tanh(u)

    def derivative(self, u):
        return 1.0 - np.tanh(u) ** 2

    def second_derivative(self, u):
        t = np.tanh(u)
        return -2.0 * t * (1.0 - t**2)

    def curvature_bound(self, lo, hi):
        # max |2 t (1 - t^2)| = 4 / (3 sqrt 3)
        return np.full(np.broadcast(lo, hi).shape, 4.0 / (3.0 * np.sqrt(3.0)))


@dataclass(frozen=True)
class Softplus(Activation):
    r""":math:`\sigma(u) = \log(1 + e^{\beta u}) / \beta`, :math:`\sigma'(u) = 1/(1 + e^{-\beta u})`.

    Parameters
    ----------
    beta : float, default=1.0
        Sharpness, ``> 0``; ``beta -> inf`` tends to ReLU.
    """

    beta: float = 1.0
    name = "softplus"
    convex = True

    def __post_init__(self):
        b = self.beta
        if isinstance(b, bool) or not isinstance(b, numbers.Real) or not (np.isfinite(b) and b > 0):
            raise ValueError(f"beta must be a finite number > 0; got {b!r}")

    def __call__(self, u):
        return np.logaddexp(0.0, self.beta * np.asarray(u, dtype=float)) / self.beta

    def derivative(self, u):
        from scipy.special import expit

        return expit(self.beta * np.asarray(u, dtype=float))

    def second_derivative(self, u):
        s = self.derivative(u)
        return self.beta * s * (1.0 - s)

    def curvature_bound(self, lo, hi):
        return np.full(np.broadcast(lo, hi).shape, self.beta / 4.0)


def is_relu(activation):
    """bool: ``activation`` is ReLU (``ReLU()`` or ``ReLUPower(1)``), the case the exact arrangement methods handle."""
    return getattr(activation, "degree", None) == 1 and getattr(activation, "name", "") in ("relu", "relu_power")


#: Activations known by name.
ACTIVATIONS = {
    "relu": ReLU,
    "step": lambda: ReLUPower(0),
    "squared_relu": lambda: ReLUPower(2),
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "softplus": Softplus,
}


def get_activation(activation):
    """Return an :class:`Activation` from a name or an instance.

    Parameters
    ----------
    activation : str or Activation
        One of ``"relu"``, ``"step"`` (:math:`(u)_+^0`), ``"squared_relu"``
        (:math:`(u)_+^2`), ``"sigmoid"``, ``"tanh"``, ``"softplus"``, or an
        instance such as ``ReLUPower(3)``.

    Returns
    -------
    Activation

    Examples
    --------
    >>> from measureopt import get_activation
    >>> get_activation("relu")([-1.0, 2.0])
    array([0., 2.])
    """
    if isinstance(activation, Activation):
        return activation
    if isinstance(activation, str):
        key = activation.lower()
        if key in ACTIVATIONS:
            return ACTIVATIONS[key]()
        raise ValueError(
            f"activation must be one of {sorted(ACTIVATIONS)} or an Activation instance; "
            f"got {activation!r}"
        )
    raise TypeError(
        f"activation must be a string or an Activation instance; got {type(activation).__name__}"
    )
