"""The status enum and the result type shared by every solver."""

import enum
from dataclasses import dataclass, field

import numpy as np

from measureopt._frozen import Record
from measureopt.deep import LayeredMeasure
from measureopt.measures import DiscreteMeasure

__all__ = ["Status", "Result"]


class Status(str, enum.Enum):
    """Outcome of a solve. Values are plain strings (``Status.OPTIMAL == "optimal"``)."""

    #: Converged to the requested tolerance, with a certified gap: finite, of
    #: scope ``"grid"`` or ``"sphere"`` (never from a local estimate).
    OPTIMAL = "optimal"
    #: Close to a solution but not certified to the tolerance: the backend
    #: stopped short of it, the certified gap exceeds ``tol``, or the gap is
    #: only an estimate (scope ``"local"`` or ``"none"``).
    OPTIMAL_INACCURATE = "optimal_inaccurate"
    #: Stopped at the iteration (or time) limit; the result holds the last iterate.
    MAX_ITER = "max_iter"
    #: The backend declared the problem infeasible (a numerical failure for
    #: the always-feasible problems of this library).
    INFEASIBLE = "infeasible"
    INFEASIBLE_INACCURATE = "infeasible_inaccurate"
    #: The backend declared the problem unbounded (likewise a numerical failure here).
    UNBOUNDED = "unbounded"
    UNBOUNDED_INACCURATE = "unbounded_inaccurate"
    INFEASIBLE_OR_UNBOUNDED = "infeasible_or_unbounded"
    #: A local method stopped moving (objective change below its tolerance)
    #: but its certificate does not prove optimality: a stationary point of
    #: the non-convex parametrization, not necessarily the convex optimum.
    STATIONARY = "stationary"
    #: NaN or inf appeared in the iterates, or the run diverged (its
    #: objective far above that of the zero measure).
    NUMERICAL_ERROR = "numerical_error"
    #: The backend raised or returned no usable answer.
    SOLVER_ERROR = "solver_error"

    def __str__(self):
        return self.value

    @property
    def success(self):
        """bool: ``True`` for ``OPTIMAL`` and ``OPTIMAL_INACCURATE``."""
        return self in (Status.OPTIMAL, Status.OPTIMAL_INACCURATE)

    @property
    def failure(self):
        """bool: the run failed (a numerical or backend failure), as opposed to stopping short.

        ``True`` for ``NUMERICAL_ERROR``, ``SOLVER_ERROR`` and the
        ``INFEASIBLE*`` / ``UNBOUNDED*`` statuses (failures for the
        always-feasible problems of this library). :meth:`solvers.Solver.solve`
        warns with :class:`~measureopt.exceptions.SolverFailureWarning` for
        these, and with :class:`~measureopt.exceptions.ConvergenceWarning` for
        the other statuses except ``OPTIMAL`` (``OPTIMAL_INACCURATE``,
        ``MAX_ITER``, ``STATIONARY``: the run stopped short of a certified
        optimum).
        """
        return self not in (Status.OPTIMAL, Status.OPTIMAL_INACCURATE, Status.MAX_ITER, Status.STATIONARY)


@dataclass(frozen=True, eq=False)
class Result(Record):
    """What every solver returns.

    Attributes
    ----------
    measure : DiscreteMeasure or LayeredMeasure
        The solution, or the last iterate when ``status`` is a failure: a
        measure on the sphere, or for Program (21)
        (:class:`~measureopt.deep.DeepConvexProgram`) a layered measure.
    objective : float
        The problem's objective recomputed from ``measure`` (never the
        backend's own number, which is kept in ``stats`` where available).
    dual_gap : float
        Upper bound on ``objective - optimum`` from a dual-feasible point.
        Which optimum is said by ``gap_scope``. ``nan`` when it could not be
        computed.
    status : Status
        How the solve ended.
    n_iter : int
        Iterations of the solver or its backend.
    gap_scope : {"grid", "sphere", "local", "none"}
        What ``dual_gap`` certifies (:class:`measureopt.oracles.Scope`):
        ``"grid"`` the problem restricted to the solver's grid or support,
        ``"sphere"`` the continuous problem, ``"local"`` nothing (an
        estimate from a local search), ``"none"`` no gap computed. A result
        is ``"optimal"`` only with a certified scope (``"grid"`` or
        ``"sphere"``). ``stats["gap_scope"]`` holds the same value.
    history : dict of str to ndarray
        Per-iteration traces, all of the same length (may be empty).
    solver : str
        Which solver and configuration produced this result.
    solve_time : float
        Wall-clock seconds of :meth:`Solver.solve`.
    message : str
        Human-readable account of the outcome.
    stats : dict
        Solver-specific details (backend name and status, grid size, ...).
    problem : dict of str to str
        The fingerprint of the problem solved
        (:func:`measureopt.io.problem_fingerprint`: its class, a SHA-256 of
        the data, reg, loss, activation), so that a saved result says what
        it solves.

    Notes
    -----
    Immutable, arrays and mappings included (``history`` and ``stats`` are
    read-only); it pickles and copies, and :meth:`save` / :meth:`load` store
    it in a measureopt file (:mod:`measureopt.io`) without pickle.
    """

    measure: "DiscreteMeasure | LayeredMeasure"
    objective: float
    dual_gap: float
    status: Status
    n_iter: int
    gap_scope: str = "none"
    history: dict = field(default_factory=dict)
    solver: str = ""
    solve_time: float = 0.0
    message: str = ""
    stats: dict = field(default_factory=dict)
    problem: dict = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.measure, (DiscreteMeasure, LayeredMeasure)):
            raise TypeError(f"measure must be a DiscreteMeasure or a LayeredMeasure; got {type(self.measure).__name__}")
        object.__setattr__(self, "status", Status(self.status))
        history = {k: np.asarray(v) for k, v in self.history.items()}
        lengths = {k: len(v) for k, v in history.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"history arrays must have equal lengths; got {lengths}")
        object.__setattr__(self, "history", history)
        object.__setattr__(self, "gap_scope", str(self.gap_scope))
        super().__post_init__()  # arrays read-only, history and stats read-only mappings

    @property
    def success(self):
        """bool: whether ``status`` is optimal (accurate or not)."""
        return self.status.success

    @property
    def relative_gap(self):
        """float: ``dual_gap / max(|objective|, tiny)``."""
        return self.dual_gap / max(abs(self.objective), np.finfo(float).tiny)

    @property
    def bracket(self):
        """tuple of float: ``(objective - dual_gap, objective)``, an interval that holds the optimum.

        It holds the optimum of the problem ``gap_scope`` names; it is an
        estimate only for ``"local"``. ``stats["gap_exhausted"]`` is ``True``
        when the certificate's budget ran out: the interval is then valid but
        wider than the solver was asked for.
        """
        return self.objective - self.dual_gap, self.objective

    def _file_summary(self):
        return {"status": str(self.status), "objective": self.objective, "dual_gap": self.dual_gap,
                "gap_scope": self.gap_scope, "solver": self.solver, "n_atoms": self.measure.n_atoms}

    def save(self, path):
        """Save the result to ``path``: a measureopt ``.npz`` file of arrays and JSON, no pickle.

        The header records the problem's fingerprint (``problem``), the
        status, objective, gap and its scope; the content is every field.
        ``stats`` entries that are not data (a torch module) are left out
        with a warning naming them.

        Returns
        -------
        pathlib.Path

        See Also
        --------
        measureopt.io : the file format.
        """
        from measureopt import io

        return io.save(self, path)

    @classmethod
    def load(cls, path, problem=None):
        """Load a result saved by :meth:`save`; equal to the saved one (``==``), arrays bit-identical.

        Parameters
        ----------
        path : str or os.PathLike
        problem : MeasureProblem, optional
            When given, the result must be of this problem: its fingerprint
            (data, reg, loss, ...) must match the file's.

        Raises
        ------
        FileNotFoundError
            No file at ``path``.
        measureopt.exceptions.FileFormatError
            Not a measureopt result file, truncated, of a later format
            version, or of another problem; the message names the file.
        """
        from measureopt import io

        return io.load(path, cls, problem)

    def __str__(self):
        lo, hi = self.bracket
        exhausted = " (certificate budget exhausted: valid, not tight)" if self.stats.get("gap_exhausted") else ""
        rows = [
            ("solver", self.solver),
            ("status", str(self.status)),
            ("objective", f"{self.objective:.10g}"),
            ("dual gap", f"{self.dual_gap:.3e} ({self.gap_scope}){exhausted}"),
            ("optimum in", f"[{lo:.10g}, {hi:.10g}]"),
            ("atoms", str(self.measure.n_atoms)),
            ("iterations", str(self.n_iter)),
            ("time", f"{self.solve_time:.3f} s"),
            ("message", self.message),
        ]
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
