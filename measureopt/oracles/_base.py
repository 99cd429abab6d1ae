r"""What every sup-oracle shares: the result type, the scopes and small helpers.

For features :math:`\varphi(\theta, x) = \sigma(\langle\theta, \tilde x\rangle)`
(:class:`~measureopt.features.Features`) and a dual vector
:math:`q\in\mathbb{R}^n`, an oracle bounds

.. math:: \sup_{\theta\in\mathbb{S}^{D-1}}|c_q(\theta)|, \qquad
          c_q(\theta) = \frac1n\sum_{i=1}^n q_i\,\sigma(\langle\theta, \tilde x_i\rangle).
"""

import time
from dataclasses import dataclass

import numpy as np

from .._frozen import Record
from .._validation import check_array, check_positive
from ..features import as_features

__all__ = ["SupResult", "Scope", "ROUNDING"]

#: Rounding allowance of the certified oracles, relative to
#: :math:`\frac1n\sum_i |q_i|\,\lVert \tilde x_i\rVert` (the Lipschitz
#: constant of :math:`c_q` for ReLU).
ROUNDING = 1e-12


class Scope:
    """The domain over which an oracle's upper bound, hence a duality gap, holds.

    Plain strings, so that results compare and print as such.
    """

    #: The oracle's finite set of directions: the gap certifies the gridded problem.
    GRID = "grid"
    #: The whole sphere: the gap certifies the continuous problem.
    SPHERE = "sphere"
    #: No bound (a local search): the gap is an estimate.
    LOCAL = "local"
    #: No gap was computed.
    NONE = "none"


@dataclass(frozen=True, eq=False)
class SupResult(Record):
    r"""What a sup-oracle found for :math:`\sup_\theta |c_q(\theta)|`.

    Attributes
    ----------
    argmax : ndarray, shape (D,)
        The best direction found.
    value : float
        :math:`|c_q(\text{argmax})|`, a lower bound on the sup.
    upper : float
        An upper bound on the sup over ``scope``.
    sign : float
        Sign of :math:`c_q(\text{argmax})` (``+1.0`` or ``-1.0``).
    scope : {"grid", "sphere", "local"}
        The domain over which ``upper`` holds (see :class:`Scope`).
    exhausted : bool
        The oracle's budget (time or branches) ran out before the bracket
        ``[value, upper]`` reached its tolerance: ``upper`` is still a valid
        bound, only looser than asked.
    """

    argmax: np.ndarray
    value: float
    upper: float
    sign: float
    scope: str
    exhausted: bool = False


def _result(thetas, values, upper, scope):
    j = int(np.argmax(np.abs(values)))
    value = float(abs(values[j]))
    return SupResult(
        argmax=np.array(thetas[j], dtype=float),
        value=value,
        upper=max(float(upper), value),
        sign=1.0 if values[j] >= 0 else -1.0,
        scope=scope,
    )


class Deadline:
    """Wall-clock budget of an oracle call: ``max_time`` seconds from creation (``None``: no limit)."""

    def __init__(self, max_time):
        self.max_time = max_time
        self.start = time.perf_counter()
        self.hit = False  # set by an oracle that stopped early

    def elapsed(self):
        return time.perf_counter() - self.start

    def passed(self, ahead=0.0):
        """Whether the budget is spent, or would be after ``ahead`` more seconds."""
        return self.max_time is not None and self.elapsed() + ahead > self.max_time


def _check_max_time(max_time):
    """``None`` or a positive number of seconds."""
    return None if max_time is None else check_positive(max_time, "max_time")


def _prepare(target, q):
    """``(features, q)`` from an oracle's arguments, with ``q`` checked."""
    features = as_features(target)
    return features, check_array(q, "q", ndim=1, shape=(features.n_samples,))
