"""The solver base class: check capabilities, run, wrap the outcome in a :class:`Result`."""

import inspect
import time
import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np

from measureopt.io import problem_fingerprint
from measureopt.exceptions import ConvergenceWarning, IncompatibleSolverError, SolverFailureWarning
from measureopt.measures import DiscreteMeasure
from measureopt.oracles import Scope
from measureopt.problems import MeasureProblem

from ._result import Result, Status

__all__ = ["Solver", "Outcome", "DIVERGENCE_FACTOR"]

#: A run whose objective exceeds this multiple of :math:`J(0)` (the zero
#: measure's objective, always feasible) has diverged: :meth:`Solver.solve`
#: reports it as ``"numerical_error"`` whatever status the solver gave.
DIVERGENCE_FACTOR = 1e6

#: Gap scopes that certify a gap (see :class:`measureopt.oracles.Scope`).
_CERTIFIED = (Scope.GRID, Scope.SPHERE)

_LOSS_WORDS = {"squared": "squared", "logistic": "logistic"}
_PENALTY_WORDS = {"tv": "the penalized form (TV)", "tv_ball": "the constrained form (TVBall)"}


@dataclass
class Outcome:
    """What a solver's ``_solve`` hands back to :meth:`Solver.solve`."""

    measure: "DiscreteMeasure | LayeredMeasure"
    status: Status
    n_iter: int
    dual_gap: float
    message: str = ""
    history: dict = field(default_factory=dict)
    stats: dict = field(default_factory=dict)
    gap_scope: str = None
    #: The certificate's budget ran out: ``dual_gap`` is valid but not tight.
    gap_exhausted: bool = False


class Solver(ABC):
    """Base class of all solvers.

    Subclasses declare the capabilities they need in ``_requires`` (keys
    ``"loss"``, ``"penalty"``: tuples of accepted names; ``"relu"``: ReLU
    features) and implement ``_solve(problem) -> Outcome``. :meth:`solve`
    is the one place where every solver's outcome is made honest:

    1. **Zero measure.** In the penalized form, when ``reg >= reg_max`` is
       certified (:meth:`~measureopt.MeasureProblem.zero_certificate`), the
       zero measure is optimal: it is returned with its certificate (gap 0
       up to rounding, scope ``"sphere"``) and ``_solve`` is not run
       (``stats["zero_certificate"]`` is ``True``).
    2. **Objective.** Recomputed from the returned measure.
    3. **Status** (``_decide``). A non-finite objective, or one above
       :data:`DIVERGENCE_FACTOR` times :math:`J(0)`, is ``"numerical_error"``
       (a diverged run is a failure, not ``"max_iter"``); ``"optimal"``
       needs a finite gap of certified scope (``"grid"`` or ``"sphere"``),
       else it becomes ``"optimal_inaccurate"`` and the message says why.
    4. **Warnings.** Every status but ``"optimal"`` warns, with the numbers
       and the fix: :class:`~measureopt.exceptions.SolverFailureWarning`
       when ``status.failure`` (numerical or backend failures),
       :class:`~measureopt.exceptions.ConvergenceWarning` otherwise
       (``"optimal_inaccurate"``, ``"max_iter"``, ``"stationary"``).
    """

    _requires = {}
    #: What the solver is, for error messages ("solves the ReLU program only").
    _what = ""
    #: The problem class the solver accepts, and how to name it in messages.
    _problem_type = MeasureProblem
    _problem_words = "a problem with features, a loss and a penalty (a measureopt.problems.MeasureProblem)"

    def solve(self, problem):
        """Solve ``problem`` and return a :class:`Result`.

        Parameters
        ----------
        problem : MeasureProblem
            A measureopt problem with the capabilities this solver needs.

        Returns
        -------
        Result

        Raises
        ------
        IncompatibleSolverError
            If the problem is not a measure problem, or lacks a capability
            the solver needs (the message names it).
        """
        self._check_problem(problem)
        self._check_solvable(problem)
        start = time.perf_counter()
        out = self._zero_outcome(problem)
        if out is None:
            out = self._solve(problem)
        objective = problem.objective(out.measure)
        solve_time = time.perf_counter() - start
        scope = out.gap_scope or out.stats.get("gap_scope", Scope.NONE)
        status, message = self._decide(problem, out, objective, scope)
        exhausted = bool(out.gap_exhausted)
        if exhausted:
            message = (f"{message}; the certificate's budget ran out: the gap is a valid bound "
                       "on the suboptimality, not a tight one")
        result = Result(
            measure=out.measure,
            objective=objective,
            dual_gap=float(out.dual_gap),
            status=status,
            n_iter=int(out.n_iter),
            gap_scope=scope,
            history=out.history,
            solver=repr(self),
            solve_time=solve_time,
            message=message,
            stats={**out.stats, "gap_scope": scope, "gap_exhausted": exhausted},
            problem=problem_fingerprint(problem),
        )
        said = result.message.rstrip(". ")
        if result.status.failure:
            warnings.warn(
                f"{result.solver} failed with status {result.status} after {result.n_iter} "
                f"iterations: objective {objective:.6g}, dual gap {result.dual_gap:.3e}. "
                f"{said}. {self._failure_hint(result.status)}",
                SolverFailureWarning,
                stacklevel=2,
            )
        elif result.status is not Status.OPTIMAL:
            warnings.warn(
                f"{result.solver} stopped with status {result.status} after {result.n_iter} "
                f"iterations: dual gap {result.dual_gap:.3e} (objective {objective:.6g}). "
                f"{said}. {self._convergence_hint()}",
                ConvergenceWarning,
                stacklevel=2,
            )
        return result

    def _zero_outcome(self, problem):
        """The zero measure's :class:`Outcome` when it is certified optimal (``reg >= reg_max``), else ``None``."""
        if not isinstance(problem, MeasureProblem):
            return None
        tick = time.perf_counter()
        cert = problem.zero_certificate()
        if cert is None:
            return None
        return Outcome(
            measure=DiscreteMeasure.zero(problem.dim), status=Status.OPTIMAL, n_iter=0, dual_gap=cert.gap,
            gap_scope=cert.scope, gap_exhausted=cert.exhausted,
            message=(f"reg={problem.reg:.6g} >= reg_max: the certified bound {cert.sup_eta_upper * problem.reg:.6g} "
                     f"on sup|c_q| at q = -loss'(0) is at most reg ({cert.scope}), so the zero measure is "
                     f"optimal (dual gap {cert.gap:.1e}); {type(self).__name__} was not run"),
            stats={"zero_certificate": True, "gap_scope": cert.scope, "sup_eta": cert.sup_eta,
                   "sup_eta_upper": cert.sup_eta_upper, "certificate_time": time.perf_counter() - tick},
        )

    def _decide(self, problem, out, objective, scope):
        """The status and message of the result: the one place where they are decided (see the class notes)."""
        status, message = Status(out.status), out.message
        if not status.failure:
            diverged = _divergence(problem, objective)
            if diverged:
                status, message = Status.NUMERICAL_ERROR, f"{message}; {diverged}" if message else diverged
        gap = float(out.dual_gap)
        if status is Status.OPTIMAL and (scope not in _CERTIFIED or not np.isfinite(gap)):
            status = Status.OPTIMAL_INACCURATE
            why = f"scope {scope!r}" if scope not in _CERTIFIED else f"dual gap {gap}"
            message = (f"{message}; the gap is not certified ({why}: only a grid or sphere oracle's finite "
                       "gap certifies), so not reported optimal")
        return status, message

    def _convergence_hint(self):
        return "Increase the iteration limit or loosen the tolerance."

    def _failure_hint(self, status):
        """The fix suggested by the :class:`~measureopt.exceptions.SolverFailureWarning` of a failed run."""
        if status is Status.NUMERICAL_ERROR:
            return "Lower the step size, rescale the data, or use another solver or backend."
        return ("The problems of this library are always feasible and bounded, so this is a numerical failure "
                "of the backend: try another backend, or tighten its tolerances.")

    # ------------------------------------------------------------ capabilities
    def _needs(self):
        """Phrases of what the solver needs, for messages."""
        req = self._requires
        needs = []
        if "loss" in req:
            needs.append("the " + " or ".join(_LOSS_WORDS[x] for x in req["loss"]) + " loss")
        if "penalty" in req:
            needs.append(" or ".join(_PENALTY_WORDS[x] for x in req["penalty"]))
        if req.get("relu"):
            needs.append("ReLU features")
        return needs

    def _check_problem(self, problem):
        name = type(self).__name__
        if not isinstance(problem, self._problem_type):
            raise IncompatibleSolverError(
                f"{name} needs {self._problem_words}; got problem of type {type(problem).__name__}")
        if not isinstance(problem, MeasureProblem):
            return
        caps = problem.capabilities
        req = self._requires
        got = []
        if "loss" in req and caps["loss"] not in req["loss"]:
            got.append(f"loss {caps['loss']!r}")
        if "penalty" in req and caps["penalty"] not in req["penalty"]:
            got.append(f"penalty {problem.penalty!r}")
        if req.get("relu") and not caps["relu"]:
            got.append(f"activation {problem.activation!r}")
        if got:
            needs = self._needs()
            listed = needs[0] if len(needs) == 1 else ", ".join(needs[:-1]) + " and " + needs[-1]
            what = f" {self._what}:" if self._what else ""
            raise IncompatibleSolverError(f"{name}{what} needs {listed}; got {', '.join(got)}")

    def _check_solvable(self, problem):
        """Raise for a configuration this problem cannot run (before the zero-measure short cut, so that
        errors do not depend on ``reg``). No-op by default."""

    @abstractmethod
    def _solve(self, problem):
        """Run the method on a checked problem and return an :class:`Outcome`."""

    # ------------------------------------------------------------ repr
    def _param_names(self):
        names = []
        for fn in (type(self).__init__, getattr(self, "_init_loop", None)):
            if fn is None:
                continue
            for p in inspect.signature(fn).parameters.values():
                if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name not in names:
                    names.append(p.name)
        return names

    def get_params(self):
        """dict: every constructor parameter and its value (what ``repr`` shows)."""
        return {name: getattr(self, name, None) for name in self._param_names()}

    def __repr__(self):
        args = ", ".join(f"{k}={_short(v)}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


def _divergence(problem, objective):
    """Why the run counts as diverged (non-finite objective, or above ``DIVERGENCE_FACTOR * J(0)``), or ``""``."""
    if not np.isfinite(objective):
        return f"the objective is {objective} (non-finite)"
    if isinstance(problem, MeasureProblem):
        zero = problem.objective(DiscreteMeasure.zero(problem.dim))
        if zero > 0 and objective > DIVERGENCE_FACTOR * zero:
            return (f"the run diverged: objective {objective:.3e} > {DIVERGENCE_FACTOR:g} x J(0) = "
                    f"{DIVERGENCE_FACTOR * zero:.3e} (J(0) is the zero measure's objective)")
    return ""


def _short(value):
    """repr of a parameter, with arrays and long objects shortened."""
    if isinstance(value, np.ndarray):
        return f"<array {value.shape}>"
    if isinstance(value, (tuple, list)) and any(isinstance(v, np.ndarray) for v in value):
        return f"<{type(value).__name__} of {len(value)} arrays>"
    if callable(value) and not hasattr(value, "maximize") and not isinstance(value, type):
        return getattr(value, "__name__", type(value).__name__)
    return repr(value)
