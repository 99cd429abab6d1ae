"""The solver base class: check capabilities, run, wrap the outcome in a :class:`Result`."""

import inspect
import time
import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np

from measureopt.exceptions import ConvergenceWarning, IncompatibleSolverError
from measureopt.measures import DiscreteMeasure
from measureopt.oracles import Scope
from measureopt.problems import MeasureProblem

from ._result import Result, Status

__all__ = ["Solver", "Outcome"]

#: Statuses after which :meth:`Solver.solve` warns (the run did not reach a certified optimum).
_WARN = {
    Status.OPTIMAL_INACCURATE, Status.MAX_ITER, Status.STATIONARY, Status.NUMERICAL_ERROR,
    Status.SOLVER_ERROR, Status.INFEASIBLE, Status.INFEASIBLE_INACCURATE, Status.UNBOUNDED,
    Status.UNBOUNDED_INACCURATE, Status.INFEASIBLE_OR_UNBOUNDED,
}

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
    checks the problem, times the run, recomputes the objective from the
    returned measure, never reports ``"optimal"`` without a certified gap,
    and warns with :class:`~measureopt.exceptions.ConvergenceWarning` when
    the run stopped short of its tolerance or failed.
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
        start = time.perf_counter()
        out = self._solve(problem)
        objective = problem.objective(out.measure)
        solve_time = time.perf_counter() - start
        scope = out.gap_scope or out.stats.get("gap_scope", Scope.NONE)
        status, message = Status(out.status), out.message
        if status is Status.OPTIMAL and scope not in (Scope.GRID, Scope.SPHERE):
            status = Status.OPTIMAL_INACCURATE
            message = f"{message}; the gap is not certified (scope {scope!r}), so not reported optimal"
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
        )
        if result.status in _WARN:
            warnings.warn(
                f"{result.solver} stopped with status {result.status} after {result.n_iter} "
                f"iterations: dual gap {result.dual_gap:.3e} (objective {objective:.6g}). "
                f"{result.message}. {self._convergence_hint()}",
                ConvergenceWarning,
                stacklevel=2,
            )
        return result

    def _convergence_hint(self):
        return "Increase the iteration limit or loosen the tolerance."

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
            raise IncompatibleSolverError(f"{name} needs {self._problem_words}; got {type(problem).__name__}")
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


def _short(value):
    """repr of a parameter, with arrays and long objects shortened."""
    if isinstance(value, np.ndarray):
        return f"<array {value.shape}>"
    if isinstance(value, (tuple, list)) and any(isinstance(v, np.ndarray) for v in value):
        return f"<{type(value).__name__} of {len(value)} arrays>"
    if callable(value) and not hasattr(value, "maximize") and not isinstance(value, type):
        return getattr(value, "__name__", type(value).__name__)
    return repr(value)
