r"""Cross-check a trained network (or any measure) against the convex problem.

A network trained by (particle) gradient descent is mapped to its measure
:math:`\nu` (:func:`~measureopt.networks.from_network`), and
:func:`crosscheck` reports how far :math:`\nu` is from the convex optimum:
the objective :math:`J(\nu)`, the duality gap (an upper bound on
:math:`J(\nu) - J^\star`), the certificate violation :math:`\sup|\eta|`,
Wasserstein distances to a reference solution and to the teacher, and the
number of effective neurons.
"""

from dataclasses import asdict, dataclass

import numpy as np

from ._frozen import Record
from ._validation import check_oracle, check_problem, check_real
from .measures import DiscreteMeasure, check_measure, effective_neurons
from .transport import wasserstein_details

__all__ = ["CrossCheck", "crosscheck"]


@dataclass(frozen=True, eq=False)
class CrossCheck(Record):
    r"""What :func:`crosscheck` measured.

    Attributes
    ----------
    objective : float
        :math:`J(\nu)`.
    gap : float
        Duality gap :math:`J(\nu) - D(sq) \ge J(\nu) - J^\star_S`, where
        :math:`S` is ``gap_scope``.
    relative_gap : float
        ``gap / objective``.
    gap_scope : str
        ``"sphere"``: certified for the continuous problem; ``"grid"``: for
        the problem restricted to the oracle's grid; ``"local"``: an
        estimate only.
    sup_eta, sup_eta_upper : float
        Largest :math:`|\eta|` found, and the oracle's upper bound on it
        (:math:`\le 1` everywhere at the optimum, eq. 10).
    reference_objective : float
        :math:`J` of the reference (``nan`` without one).
    objective_gap : float
        :math:`J(\nu) - J(\text{reference})`.
    w2_reference, winf_reference : float
        :math:`D_2` and :math:`D_\infty` to the reference (radians; see
        :mod:`measureopt.transport` for signed measures).
    w2_teacher, winf_teacher : float
        Same, to the teacher.
    mass_difference_reference, mass_difference_teacher : float
        Total-variation difference of the matched parts (the distances
        compare normalized parts).
    n_atoms : int
        Atoms of :math:`\nu`.
    n_effective : int
        :func:`effective_neurons` of :math:`\nu`.
    gap_exhausted : bool
        The certificate's budget ran out: ``gap`` is a valid bound, not a
        tight one.
    """

    objective: float
    gap: float
    relative_gap: float
    gap_scope: str
    sup_eta: float
    sup_eta_upper: float
    reference_objective: float
    objective_gap: float
    w2_reference: float
    winf_reference: float
    mass_difference_reference: float
    w2_teacher: float
    winf_teacher: float
    mass_difference_teacher: float
    n_atoms: int
    n_effective: int
    gap_exhausted: bool = False

    @property
    def bracket(self):
        """tuple of float: ``(objective - gap, objective)``, the interval that holds the optimum (``gap_scope``)."""
        return self.objective - self.gap, self.objective

    def to_dict(self):
        """dict: the fields as plain Python numbers and strings."""
        return {k: (v if isinstance(v, (str, bool)) else float(v) if isinstance(v, float) else int(v))
                for k, v in asdict(self).items()}

    def __str__(self):
        scope = {"sphere": "certified, continuous problem", "grid": "gridded problem only",
                 "local": "estimate, not certified"}.get(self.gap_scope, self.gap_scope)
        budget = "; budget exhausted: valid, not tight" if self.gap_exhausted else ""
        lo, hi = self.bracket
        rows = [
            ("objective J(nu)", f"{self.objective:.10g}"),
            ("duality gap", f"{self.gap:.3e} (relative {self.relative_gap:.2e}; {scope}{budget})"),
            ("optimum J* in", f"[{lo:.10g}, {hi:.10g}]"),
            ("max |eta|", f"{self.sup_eta:.6g} (upper bound {self.sup_eta_upper:.6g})"),
        ]
        if np.isfinite(self.reference_objective):
            rows += [
                ("reference objective", f"{self.reference_objective:.10g}"),
                ("J(nu) - J(reference)", f"{self.objective_gap:.3e}"),
                ("W2 / Winf to reference", f"{self.w2_reference:.4g} / {self.winf_reference:.4g} rad"
                 f" (mass difference {self.mass_difference_reference:.3g})"),
            ]
        if np.isfinite(self.w2_teacher):
            rows.append(("W2 / Winf to teacher", f"{self.w2_teacher:.4g} / {self.winf_teacher:.4g} rad"
                         f" (mass difference {self.mass_difference_teacher:.3g})"))
        rows.append(("neurons (effective)", f"{self.n_atoms} ({self.n_effective})"))
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def _as_measure(obj, name="network_or_measure"):
    if isinstance(obj, DiscreteMeasure):
        return obj
    if isinstance(getattr(obj, "measure", None), DiscreteMeasure):
        return obj.measure  # a solver Result
    try:
        import torch.nn as nn
    except ImportError:  # pragma: no cover - torch is a dependency
        nn = None
    if nn is not None and isinstance(obj, nn.Module):
        from .networks import from_network

        return from_network(obj)
    raise TypeError(
        f"{name} must be a DiscreteMeasure, a result with a .measure, or a "
        f"torch two-layer network; got {type(obj).__name__}"
    )


def _distances(nu, other):
    if other is None:
        return np.nan, np.nan, np.nan
    w2 = wasserstein_details(nu, other, p=2)
    winf = wasserstein_details(nu, other, p=np.inf)
    return w2.distance, winf.distance, w2.mass_difference


def crosscheck(network_or_measure, problem, reference=None, teacher=None, oracle=None,
               effective_rtol=1e-3, max_time=60.0):
    r"""Report how far a network or measure is from the convex optimum of ``problem``.

    Parameters
    ----------
    network_or_measure : DiscreteMeasure, Result or torch.nn.Sequential
        The candidate :math:`\nu`; a network is mapped by
        :func:`~measureopt.networks.from_network`, a solver result by its
        ``measure``.
    problem : MeasureProblem
        The convex problem: BLASSO (eq. 8), a variation-norm ERM in either
        form and with either loss, or any other measure problem.
    reference : DiscreteMeasure or Result, optional
        A solution of the convex problem (Frank-Wolfe, exact), for the
        objective gap and the Wasserstein distances.
    teacher : DiscreteMeasure, optional
        The teacher network's measure, when known.
    oracle : object with ``maximize(problem, q)``, optional
        Sup-oracle for the gap; the problem's certified default (continuous
        problem) when omitted. Pass a grid oracle for a cheap gridded gap:
        the report labels which problem the gap certifies.
    effective_rtol : float, default=1e-3
        Threshold of :func:`effective_neurons`, relative to the larger of
        the largest weight and the problem's absolute
        :meth:`~measureopt.MeasureProblem.weight_scale`.
    max_time : float or None, default=60.0
        Budget in seconds of the default oracle; when it runs out the gap is
        valid but loose, and the report says so.

    Returns
    -------
    CrossCheck
        Prints as a table; ``to_dict()`` gives plain numbers.

    Examples
    --------
    >>> import measureopt as mo
    >>> data = mo.teacher_student(n=60, d=3, m=2, seed=0)
    >>> prob = mo.BLASSO(data.X, data.y, reg=1e-2)
    >>> report = mo.crosscheck(data.teacher, prob, teacher=data.teacher)
    >>> report.gap_scope, report.w2_teacher
    ('sphere', 0.0)
    """
    check_problem(problem)
    nu = _as_measure(network_or_measure)
    problem.check_measure(nu, "network_or_measure")
    # every argument is checked before the (possibly long) certificate
    if reference is not None:
        reference = problem.check_measure(_as_measure(reference, "reference"), "reference")
    if teacher is not None:
        teacher = check_measure(_as_measure(teacher, "teacher"), "teacher", d=nu.dim)
    check_oracle(oracle)
    effective_rtol = check_real(effective_rtol, "effective_rtol", 0.0, 1.0, high_open=True)
    cert = problem.dual_certificate(nu, oracle, max_time=max_time)
    ref_objective = np.nan
    if reference is not None:
        ref_objective = problem.objective(reference)
    w2_ref, winf_ref, dm_ref = _distances(nu, reference)
    w2_t, winf_t, dm_t = _distances(nu, teacher)
    objective = cert.primal
    return CrossCheck(
        objective=objective,
        gap=cert.gap,
        relative_gap=cert.gap / max(abs(objective), np.finfo(float).tiny),
        gap_scope=cert.scope,
        sup_eta=cert.sup_eta,
        sup_eta_upper=cert.sup_eta_upper,
        reference_objective=ref_objective,
        objective_gap=objective - ref_objective,
        w2_reference=w2_ref,
        winf_reference=winf_ref,
        mass_difference_reference=dm_ref,
        w2_teacher=w2_t,
        winf_teacher=winf_t,
        mass_difference_teacher=dm_t,
        n_atoms=nu.n_atoms,
        n_effective=effective_neurons(nu, effective_rtol, scale=problem.weight_scale()),
        gap_exhausted=cert.exhausted,
    )
