"""Whether the zero measure is provably optimal (``reg >= reg_max``): the check every solver runs first."""

import time

import numpy as np

from ..certificates import DualityGap
from ..oracles import ROUNDING, BranchAndBound, Scope, SupResult, riemannian_ascent
from ..oracles._branch_and_bound import relu_spectral_bound

__all__ = ["zero_certificate", "ZERO_CHECK_MAX_TIME"]

#: Budget in seconds of :meth:`MeasureProblem.zero_certificate` (the check that ``reg >= reg_max``).
ZERO_CHECK_MAX_TIME = 5.0

#: Input directions probed by :meth:`MeasureProblem.zero_certificate` for its cheap lower bound.
ZERO_CHECK_PROBES = 256

#: Best probes refined by local ascent when none of them exceeds ``reg``.
ZERO_CHECK_ASCENTS = 8


def _closed_form_sup_bound(features, q):
    r"""An upper bound of :math:`\sup_\theta|c_q(\theta)|` on the whole sphere, in closed form.

    :math:`\frac1n\sum_i|q_i|\max(|\sigma(\lVert\tilde x_i\rVert)|,
    |\sigma(-\lVert\tilde x_i\rVert)|)` (every activation is
    nondecreasing), and for ReLU also
    :func:`~measureopt.oracles._branch_and_bound.relu_spectral_bound`; plus
    the certified oracles' rounding allowance.
    """
    act = features.activation
    xnorm = np.linalg.norm(features.inputs, axis=1)
    bound = float(np.abs(q) @ np.maximum(np.abs(act(xnorm)), np.abs(act(-xnorm)))) / features.n_samples
    if features.is_relu:
        bound = min(bound, relu_spectral_bound(features.inputs, q) * (1 + 1e-12))
    return bound + ROUNDING * features.lipschitz_scale(q)


def _probe_directions(inputs, q):
    r"""Directions where :math:`|c_q|` is likely large: a cheap lower bound on its sup.

    The :data:`ZERO_CHECK_PROBES` inputs with the largest
    :math:`|q_i|\lVert\tilde x_i\rVert`, and :math:`\pm\tilde X^\top q`,
    :math:`\pm\tilde X^\top q_+`, :math:`\pm\tilde X^\top q_-`, normalized
    (zero vectors left out). Shape ``(k, D)``.
    """
    norms = np.linalg.norm(inputs, axis=1)
    weight = np.abs(q) * norms
    k = min(ZERO_CHECK_PROBES, int(np.sum(weight > 0)))
    rows = np.argsort(-weight, kind="stable")[:k]
    sums = np.array([inputs.T @ q, inputs.T @ np.maximum(q, 0.0), inputs.T @ np.minimum(q, 0.0)])
    candidates = np.concatenate([inputs[rows] / norms[rows, None], sums, -sums])
    length = np.linalg.norm(candidates, axis=1)
    keep = np.isfinite(length) & (length > 0)
    return candidates[keep] / length[keep, None]


def zero_certificate(self, max_time=ZERO_CHECK_MAX_TIME):
    """The work of :meth:`MeasureProblem.zero_certificate` (documented there)."""
    if not self.penalty.penalized:
        return None
    reg = self.penalty.reg
    features = self.features
    q0 = self.dual_vector(prediction=np.zeros(self.n_samples))
    probes = _probe_directions(features.inputs, q0)
    values = features.correlation(q0, probes) if len(probes) else np.zeros(0)
    if len(values) and float(np.max(np.abs(values))) > reg:
        return None
    upper = _closed_form_sup_bound(features, q0)
    if upper <= reg:  # certified on the whole sphere without an oracle
        j = int(np.argmax(np.abs(values))) if len(values) else None
        found = SupResult(
            argmax=probes[j] if j is not None else np.eye(self.dim)[0],
            value=float(abs(values[j])) if j is not None else 0.0, upper=upper,
            sign=1.0 if j is None or values[j] >= 0 else -1.0, scope=Scope.SPHERE)
    else:
        if len(values):  # refine the best probes by a short local ascent
            starts = probes[np.argsort(-np.abs(values), kind="stable")[:ZERO_CHECK_ASCENTS]]
            _, refined = riemannian_ascent(features, q0, starts, max_iter=100)
            if float(np.max(np.abs(refined))) > reg:
                return None
        found = _settle_sup(self, q0, reg, max_time)
    if not found.upper <= reg:
        return None
    primal = float(self.data_fit(np.zeros(self.n_samples)))
    dual, scale = self.dual_bound(q0, found.upper)
    return DualityGap(gap=primal - dual, primal=primal, dual=dual, sup_eta=found.value / reg,
                      sup_eta_upper=found.upper / reg, scale=scale, argmax=found.argmax, scope=found.scope,
                      sign=found.sign, exhausted=bool(getattr(found, "exhausted", False)))

def _settle_sup(self, q, level, max_time):
    r"""Certified bounds on :math:`\sup|c_q|` that settle whether it exceeds ``level``, within ``max_time``.

    Branch-and-bound asked only that question (it stops once a direction
    beats ``level``, or once every box's bound is below it) gets half
    the budget; when it leaves the question open and the
    :meth:`default_oracle` is another (the exact arrangement oracle),
    that one gets the rest. Either bound is certified on the sphere.
    """
    start = time.perf_counter()
    half = None if max_time is None else 0.5 * max_time

    def settle(value):
        return np.inf if value > level else level

    found = BranchAndBound(max_time=half).maximize(self.features, q, enough=settle)
    oracle = self.default_oracle(max_time=None if max_time is None else
                                 max(max_time - (time.perf_counter() - start), 1e-3))
    if found.value <= level < found.upper and not isinstance(oracle, BranchAndBound):
        other = (oracle.maximize(self.features, q, enough=settle) if getattr(oracle, "adaptive", False)
                 else oracle.maximize(self.features, q))
        if other.upper < found.upper:
            found = other
    return found
