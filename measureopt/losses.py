r"""Losses :math:`\ell(f, y)` of measure problems, with derivatives and Fenchel conjugates.

Each loss is convex in the prediction :math:`f` and owns its math once:
value, first and second derivative in :math:`f`, and the conjugate
:math:`\ell^*(s; y) = \sup_f\, sf - \ell(f, y)`, which gives the dual of a
measure problem (:class:`~measureopt.problems.MeasureProblem`):

.. math:: D(q) = -\frac1n\sum_{i=1}^n \ell^*(-q_i; y_i).

At :math:`q = -\ell'(f)` Fenchel-Young holds with equality,
:math:`\ell(f, y) + \ell^*(-q; y) = -qf`.
"""

from abc import ABC, abstractmethod

import numpy as np

from ._frozen import Frozen
from ._validation import check_array

def _expit(x):
    """The logistic sigmoid, overflow-free."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _xlogx(p):
    r""":math:`p\log p` with :math:`0\log 0 = 0`."""
    return np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)


__all__ = ["Loss", "SquaredLoss", "LogisticLoss", "get_loss", "LOSSES"]


class Loss(Frozen, ABC):
    """Base class: a loss convex in its first argument, elementwise over arrays (immutable)."""

    #: Name used by problems and solvers' capability checks.
    name = "loss"
    #: :math:`\sup_f \ell''(f, y)`, the smoothness constant.
    curvature = np.inf

    def __init__(self):
        self._freeze()

    @abstractmethod
    def value(self, f, y):
        """Elementwise :math:`\\ell(f_i, y_i)`."""

    @abstractmethod
    def derivative(self, f, y):
        """Elementwise :math:`\\partial_f\\ell(f_i, y_i)`."""

    @abstractmethod
    def second_derivative(self, f, y):
        """Elementwise :math:`\\partial^2_f\\ell(f_i, y_i)`."""

    @abstractmethod
    def conjugate(self, s, y):
        r"""Elementwise :math:`\ell^*(s_i; y_i) = \sup_f s_if - \ell(f, y_i)` (``inf`` outside its domain)."""

    def check_targets(self, y, name="y"):
        """Validate targets for this loss; returns them as a float array."""
        return check_array(y, name, ndim=1, shape=("n",))

    def __repr__(self):
        return f"{type(self).__name__}()"

    def mean(self, f, y):
        r""":math:`\frac1n\sum_i\ell(f_i, y_i)`."""
        return float(np.mean(self.value(f, y)))

    def dual_mean(self, q, y):
        r""":math:`D(q) = -\frac1n\sum_i\ell^*(-q_i; y_i)`."""
        return float(-np.mean(self.conjugate(-np.asarray(q, dtype=float), y)))

    def __eq__(self, other):
        # a loss also equals its name, so that ``problem.loss == "squared"`` reads naturally
        if isinstance(other, str):
            return other == self.name
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self).__name__)


class SquaredLoss(Loss):
    r"""Squared loss :math:`\ell(f, y) = \frac12(f - y)^2`.

    .. math:: \ell'(f) = f - y, \qquad \ell^*(s; y) = \frac{s^2}2 + sy,

    so :math:`D(q) = \frac1n\langle y, q\rangle - \frac1{2n}\lVert q\rVert^2`
    and :math:`q = -\ell'(f) = y - f` is the residual (Akiyama & Suzuki,
    2021, problem :math:`D_\lambda`).
    """

    name = "squared"
    curvature = 1.0

    def value(self, f, y):
        r = np.asarray(f, dtype=float) - y
        return 0.5 * r * r

    def derivative(self, f, y):
        return np.asarray(f, dtype=float) - y

    def second_derivative(self, f, y):
        return np.ones(np.broadcast(f, y).shape)

    def conjugate(self, s, y):
        s = np.asarray(s, dtype=float)
        return 0.5 * s * s + s * y

    def mean(self, f, y):
        r = y - np.asarray(f, dtype=float)
        return float(r @ r / (2 * len(r)))

    def dual_mean(self, q, y):
        q = np.asarray(q, dtype=float)
        n = len(q)
        return float(y @ q / n - q @ q / (2 * n))


class LogisticLoss(Loss):
    r"""Logistic loss :math:`\ell(f, y) = \log(1 + e^{-yf})`, labels :math:`y\in\{-1, +1\}`.

    .. math::

        \ell'(f) = -y\,\mathrm{sigmoid}(-yf), \qquad
        \ell^*(s; y) = p\log p + (1 - p)\log(1 - p)\ \text{ with } p = -sy \in [0, 1]

    (:math:`+\infty` for :math:`p\notin[0, 1]`). Hence :math:`D(q) = \frac1n
    \sum_i H(q_iy_i)`, the mean binary entropy of :math:`p_i = q_iy_i`, and
    scaling :math:`q` by :math:`s\in[0, 1]` keeps :math:`p` in the domain
    (Berthier 2018, eq. 3 with a logistic :math:`\ell`).
    """

    name = "logistic"
    curvature = 0.25

    def value(self, f, y):
        return np.logaddexp(0.0, -np.asarray(f, dtype=float) * y)

    def derivative(self, f, y):
        return -y * _expit(-np.asarray(f, dtype=float) * y)

    def second_derivative(self, f, y):
        s = _expit(np.asarray(f, dtype=float) * y)
        return s * (1.0 - s)

    def conjugate(self, s, y):
        p = -np.asarray(s, dtype=float) * y
        # tolerate rounding at the ends of [0, 1]
        inside = (p >= -1e-15) & (p <= 1 + 1e-15)
        p = np.clip(p, 0.0, 1.0)
        out = _xlogx(p) + _xlogx(1.0 - p)
        return np.where(inside, out, np.inf)

    def check_targets(self, y, name="y"):
        y = super().check_targets(y, name)
        bad = ~np.isin(y, (-1.0, 1.0))
        if np.any(bad):
            values = np.unique(y[bad])[:5]
            raise ValueError(
                f"{name} must hold labels in {{-1, +1}} for the logistic loss; got values {values.tolist()}"
                + (" (convert 0/1 labels with 2 * y - 1)" if np.all(np.isin(y, (0.0, 1.0))) else "")
            )
        return y


#: Losses known by name.
LOSSES = {"squared": SquaredLoss, "logistic": LogisticLoss}


def get_loss(loss):
    """Return a :class:`Loss` from a name (``"squared"``, ``"logistic"``) or an instance."""
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str) and loss.lower() in LOSSES:
        return LOSSES[loss.lower()]()
    raise ValueError(f"loss must be one of {sorted(LOSSES)} or a Loss instance; got {loss!r}")
