r"""Wasserstein distances between signed measures on the sphere (POT).

Convention for signed measures
------------------------------
A signed measure :math:`\mu = \mu_+ - \mu_-` (Hahn-Jordan) is compared with
:math:`\nu` *part by part*: positive with positive, negative with negative.
Each part is normalized to a probability measure, so the distance compares
*where* the mass sits; the masses themselves are reported beside it in
:class:`TransportResult` (``mass_positive``, ``mass_negative``,
``mass_difference``). The parts are combined with weights proportional to
their average mass :math:`\bar m_\pm = (\mu_\pm(\mathbb{S}) + \nu_\pm(\mathbb{S}))/2`:

.. math::

    D_p(\mu, \nu) = \Bigl(\sum_{s=\pm} \omega_s\, W_p^p(\hat\mu_s, \hat\nu_s)\Bigr)^{1/p},
    \qquad \omega_s = \bar m_s / (\bar m_+ + \bar m_-),

and :math:`D_\infty = \max_{s:\,\omega_s > 0} W_\infty(\hat\mu_s, \hat\nu_s)`.
A part present in one measure and absent from the other cannot be
transported; it is charged the diameter :math:`\pi` of the sphere. Two zero
measures are at distance 0. For two positive measures of equal mass this is
the usual :math:`W_p` divided by :math:`\text{mass}^{1/p}`.

The ground cost is the geodesic distance :math:`\arccos\langle\theta,
\theta'\rangle`; :math:`W_\infty` is the bottleneck distance of Akiyama &
Suzuki (2021, Sec. 4):
:math:`W_\infty(\mu_1,\mu_2) = \inf_{\gamma\in\Pi(\mu_1,\mu_2)}
\sup_{(\theta_1,\theta_2)\in\operatorname{supp}\gamma} \operatorname{dist}(\theta_1,\theta_2)`.
"""

from dataclasses import dataclass

import numbers

import numpy as np

from ._frozen import Record
from ._validation import check_real
from .measures import check_measure
from .sphere import geodesic_distance

__all__ = ["TransportResult", "wasserstein", "wasserstein_details", "Recovery", "recovery"]

_MASS_TOL = 1e-9
#: Below this optimal value of the max-scaled cost the result is recomputed near the bottleneck (see ``_transport_p``).
_RESOLVED = 1e-6
_EMD_ITER = 10_000_000


@dataclass(frozen=True, eq=False)
class TransportResult(Record):
    """Part-by-part optimal transport between two signed measures.

    Attributes
    ----------
    distance : float
        The combined distance :math:`D_p` (module docstring).
    p : float
        The order (1, 2, ... or ``inf``).
    positive : float
        :math:`W_p` between the normalized positive parts (``nan`` when both
        are empty, ``pi`` when only one is).
    negative : float
        Same for the negative parts.
    mass_positive : tuple of float
        :math:`(\\mu_+(\\mathbb{S}), \\nu_+(\\mathbb{S}))`.
    mass_negative : tuple of float
        :math:`(\\mu_-(\\mathbb{S}), \\nu_-(\\mathbb{S}))`.
    plan_positive : ndarray or None
        Optimal plan between the normalized positive parts (``None`` for
        ``p = inf`` or an empty part).
    plan_negative : ndarray or None
        Same for the negative parts.
    """

    distance: float
    p: float
    positive: float
    negative: float
    mass_positive: tuple
    mass_negative: tuple
    plan_positive: object = None
    plan_negative: object = None

    @property
    def mass_difference(self):
        r"""float: :math:`|\mu_+ - \nu_+|(\mathbb{S}) + |\mu_- - \nu_-|(\mathbb{S})` in mass, i.e. the sum of the absolute part-mass differences."""
        return abs(self.mass_positive[0] - self.mass_positive[1]) + abs(
            self.mass_negative[0] - self.mass_negative[1]
        )


def _check_p(p):
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"p must be a real number >= 1 or inf; got {type(p).__name__} {p!r}")
    p = float(p)
    if not (p >= 1):
        raise ValueError(f"p must be >= 1 (or inf); got {p!r}")
    return p


def _bottleneck(a, b, cost):
    """W_inf between probability vectors a, b: the smallest threshold with a feasible plan."""
    import ot

    levels = np.unique(cost)
    lo, hi = 0, len(levels) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        forbidden = (cost > levels[mid]).astype(float)
        blocked = ot.emd2(a, b, forbidden, numItermax=10_000_000)
        if blocked <= _MASS_TOL:
            hi = mid
        else:
            lo = mid + 1
    return float(levels[lo])


def _transport_p(a, b, cost, p):
    r"""``(W_p, plan)`` between probability vectors ``a``, ``b`` for a cost matrix ``>= 0`` and a finite ``p >= 1``.

    Raising the cost to a large power overflows (:math:`\pi^{700}`) or
    underflows (:math:`0.1^{400}`), so the transport is solved in a scaled
    cost, :math:`W_p = s\,\mathrm{OT}\bigl((c/s)^p\bigr)^{1/p}`:

    1. :math:`s = \max c`: the scaled costs lie in :math:`[0, 1]`. This is
       the answer when the optimal value is at least ``_RESOLVED``.
    2. Otherwise (the used costs are far below the largest one: close
       measures with atoms across the sphere, large ``p``), :math:`s =
       W_\infty\,10^{k/p}` just above the bottleneck distance, with the
       scaled costs above 1 truncated to 1. The truncated problem's value is
       a lower bound of the true one, attained when its plan puts no mass
       on a truncated entry, which is checked (``k = 2, 4, 8, ...``
       otherwise). Every entry of the optimal plan that matters then has a
       scaled cost of at least :math:`10^{-k}` times its mass, far from
       underflow.
    """
    import ot

    biggest = float(cost.max(initial=0.0))
    if biggest == 0.0:
        return 0.0, ot.emd(a, b, np.zeros_like(cost), numItermax=_EMD_ITER)
    scaled = (cost / biggest) ** p
    plan = ot.emd(a, b, scaled, numItermax=_EMD_ITER)
    value = max(float(np.sum(plan * scaled)), 0.0)
    if value >= _RESOLVED:
        return biggest * value ** (1.0 / p), plan
    bottleneck = _bottleneck(a, b, cost)
    if bottleneck == 0.0:
        return 0.0, plan
    k = 2.0
    for _ in range(12):
        scale = bottleneck * 10.0 ** (k / p)
        if scale >= biggest:
            break
        ratio = cost / scale
        capped = ratio > 1.0
        truncated = np.minimum(ratio, 1.0) ** p
        trial = ot.emd(a, b, truncated, numItermax=_EMD_ITER)
        if float(trial[capped].sum()) <= 1e-14:
            return scale * max(float(np.sum(trial * truncated)), 0.0) ** (1.0 / p), trial
        k *= 2.0
    return biggest * value ** (1.0 / p), plan


def _part_distance(mu, nu, p):
    """(distance, plan) between two positive measures, each normalized to mass one."""
    if mu.n_atoms == 0 and nu.n_atoms == 0:
        return float("nan"), None
    if mu.n_atoms == 0 or nu.n_atoms == 0:
        return float(np.pi), None
    a = mu.weights / mu.weights.sum()
    b = nu.weights / nu.weights.sum()
    cost = geodesic_distance(mu.support, nu.support)
    if np.isinf(p):
        return _bottleneck(a, b, cost), None
    return _transport_p(a, b, cost, p)


def wasserstein_details(mu, nu, p=2):
    r"""Part-by-part Wasserstein comparison of two signed measures on the sphere.

    Parameters
    ----------
    mu, nu : DiscreteMeasure
        Measures on the same sphere :math:`\mathbb{S}^{d-1}`.
    p : float, default=2
        Order, ``>= 1`` or ``numpy.inf`` (bottleneck distance). Any finite
        order is computed in a scaled cost, so that large orders (``p = 700``)
        stay finite and exact; :math:`D_p` increases with ``p`` towards
        :math:`D_\infty`.

    Returns
    -------
    TransportResult
        The distance, the per-part distances, masses and plans. See the
        module docstring for the convention.

    References
    ----------
    S. Akiyama and T. Suzuki, ICML 2021, Sec. 4 (definition of
    :math:`W_\infty`). R. Flamary et al., POT: Python Optimal Transport,
    JMLR 2021 (``ot.emd``).
    """
    p = _check_p(p)
    check_measure(mu, "mu")
    check_measure(nu, "nu")
    if mu.dim != nu.dim:
        raise ValueError(
            f"mu and nu must live on the same sphere; got dimensions {mu.dim} and {nu.dim}"
        )
    parts = {}
    for sign, getter in (("positive", "positive_part"), ("negative", "negative_part")):
        a, b = getattr(mu, getter)(), getattr(nu, getter)()
        dist, plan = _part_distance(a, b, p)
        parts[sign] = (dist, plan, (a.total_variation, b.total_variation))
    mean_mass = {s: 0.5 * sum(parts[s][2]) for s in parts}
    total = sum(mean_mass.values())
    if total == 0:
        distance = 0.0
    elif np.isinf(p):
        distance = max(parts[s][0] for s in parts if mean_mass[s] > 0)
    else:
        # scaled by the largest part, like the costs, so that W**p neither overflows nor underflows
        largest = max(parts[s][0] for s in parts if mean_mass[s] > 0)
        if largest == 0:
            distance = 0.0
        else:
            distance = sum(mean_mass[s] / total * (parts[s][0] / largest) ** p for s in parts if mean_mass[s] > 0)
            distance = largest * distance ** (1.0 / p)
    return TransportResult(
        distance=float(distance),
        p=p,
        positive=parts["positive"][0],
        negative=parts["negative"][0],
        mass_positive=parts["positive"][2],
        mass_negative=parts["negative"][2],
        plan_positive=parts["positive"][1],
        plan_negative=parts["negative"][1],
    )


def wasserstein(mu, nu, p=2):
    r"""Geodesic Wasserstein distance :math:`D_p(\mu, \nu)` between signed measures.

    Signed measures are compared part by part, each part normalized to mass
    one; see the module docstring for the convention, and
    :func:`wasserstein_details` for the masses and per-part distances.

    Parameters
    ----------
    mu, nu : DiscreteMeasure
        Measures on the same sphere.
    p : float, default=2
        Order, ``>= 1`` or ``numpy.inf``; large finite orders are exact
        (see :func:`wasserstein_details`).

    Returns
    -------
    float

    Notes
    -----
    On measures of one sign this is the Wasserstein distance :math:`W_p`
    between the normalized measures, a metric. On signed measures it is
    symmetric and zero on equal measures, but **not a metric**: the weights
    that combine the positive and negative parts depend on the pair compared,
    so the triangle inequality can fail. For example, with
    :math:`\mu = \delta_a - \delta_x`, :math:`\nu = \delta_c - 100\,\delta_x`,
    :math:`\rho = \delta_b - \delta_x` on the circle (:math:`a = e_1`,
    :math:`b = e_2`, :math:`c = (a + b)/\sqrt2`, :math:`x = -e_1`),
    :math:`D_1(\mu, \rho) = 0.785 > D_1(\mu, \nu) + D_1(\nu, \rho) = 0.031`.
    Compare signed solutions through their parts
    (:func:`wasserstein_details`) when that matters.

    Examples
    --------
    >>> import numpy as np
    >>> import measureopt as mo
    >>> mu = mo.DiscreteMeasure([1.0], [[1.0, 0.0]])
    >>> nu = mo.DiscreteMeasure([2.0], [[0.0, 1.0]])
    >>> round(mo.wasserstein(mu, nu, p=2), 6) == round(np.pi / 2, 6)
    True
    """
    return wasserstein_details(mu, nu, p).distance


@dataclass(frozen=True, eq=False)
class Recovery(Record):
    r"""How much of each reference atom a measure recovers (Akiyama & Suzuki, 2021, Theorem 3.5).

    Attributes
    ----------
    radius : float
        Geodesic radius (radians) around each reference atom.
    captured : ndarray, shape (m,)
        For reference atom :math:`j`, the weight of the same-sign atoms of the
        measure within ``radius`` of :math:`\theta_j`, divided by
        :math:`r_j` (1 is full recovery).
    mass_elsewhere : float
        Fraction of the measure's total variation carried by atoms farther
        than ``radius`` from every reference atom, or of the wrong sign.
    distance : ndarray, shape (m,)
        Mass-weighted mean geodesic distance to :math:`\theta_j` of the
        atoms captured by it (``nan`` if none).
    """

    radius: float
    captured: np.ndarray
    mass_elsewhere: float
    distance: np.ndarray

    def recovered(self, min_captured=0.95, max_elsewhere=0.02):
        """bool: every ``captured`` within ``1 +- (1 - min_captured)`` and ``mass_elsewhere <= max_elsewhere``."""
        min_captured = check_real(min_captured, "min_captured", 0.0, 1.0)
        max_elsewhere = check_real(max_elsewhere, "max_elsewhere", 0.0)
        slack = 1.0 - min_captured
        return bool(np.all(np.abs(self.captured - 1.0) <= slack) and self.mass_elsewhere <= max_elsewhere)


def recovery(measure, reference, radius=0.05):
    """Compare ``measure`` with a sparse ``reference`` (a teacher) atom by atom; see :class:`Recovery`.

    Each atom of ``measure`` is assigned to the nearest reference atom if it
    lies within ``radius`` of it and has its sign.
    """
    check_measure(measure, "measure")
    check_measure(reference, "reference", d=measure.dim)
    if reference.n_atoms == 0:
        raise ValueError("reference must have at least one atom")
    radius = check_real(radius, "radius", 0.0, low_open=True)  # radians
    m = reference.n_atoms
    captured = np.zeros(m)
    distance = np.full(m, np.nan)
    total = measure.total_variation
    if measure.n_atoms == 0:
        return Recovery(float(radius), captured, 0.0, distance)
    dist = geodesic_distance(measure.support, reference.support)
    nearest = dist.argmin(axis=1)
    near = dist[np.arange(measure.n_atoms), nearest]
    ok = (near <= radius) & (np.sign(measure.weights) == np.sign(reference.weights[nearest]))
    for j in range(m):
        mine = ok & (nearest == j)
        w = np.abs(measure.weights[mine])
        captured[j] = w.sum() / abs(reference.weights[j])
        if w.sum() > 0:
            distance[j] = float(w @ near[mine] / w.sum())
    elsewhere = float(np.abs(measure.weights[~ok]).sum() / total) if total > 0 else 0.0
    return Recovery(float(radius), captured, elsewhere, distance)
