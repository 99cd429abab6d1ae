"""The solver base class: validate, run, wrap the outcome in a :class:`Result`."""

import time
from abc import ABC, abstractmethod
import warnings
from dataclasses import dataclass, field

from measureopt.exceptions import ConvergenceWarning, IncompatibleSolverError
from measureopt.measures import DiscreteMeasure

from .result import Result, Status

__all__ = ["Solver", "Outcome"]


@dataclass
class Outcome:
    """What a solver's ``_solve`` hands back to :meth:`Solver.solve`."""

    measure: DiscreteMeasure
    status: Status
    n_iter: int
    dual_gap: float
    message: str = ""
    history: dict = field(default_factory=dict)
    stats: dict = field(default_factory=dict)


class Solver(ABC):
    """Base class of all solvers.

    Subclasses declare the problem methods they need in
    ``_required_problem_attrs`` and implement ``_solve(problem) -> Outcome``.
    :meth:`solve` checks the problem, times the run, recomputes the
    objective from the returned measure, and warns with
    :class:`~measureopt.exceptions.ConvergenceWarning` when the run stopped
    short of its tolerance.
    """

    _required_problem_attrs = ("objective",)

    def solve(self, problem):
        """Solve ``problem`` and return a :class:`Result`.

        Parameters
        ----------
        problem : object
            A measureopt problem with the methods this solver needs.

        Returns
        -------
        Result

        Raises
        ------
        IncompatibleSolverError
            If the problem lacks a method or attribute the solver needs.
        """
        self._check_problem(problem)
        start = time.perf_counter()
        out = self._solve(problem)
        objective = problem.objective(out.measure)
        solve_time = time.perf_counter() - start
        result = Result(
            measure=out.measure,
            objective=objective,
            dual_gap=float(out.dual_gap),
            status=out.status,
            n_iter=int(out.n_iter),
            history=out.history,
            solver=repr(self),
            solve_time=solve_time,
            message=out.message,
            stats=out.stats,
        )
        if result.status in (Status.OPTIMAL_INACCURATE, Status.MAX_ITER, Status.STATIONARY):
            warnings.warn(
                f"{result.solver} stopped with status {result.status} after {result.n_iter} "
                f"iterations: dual gap {result.dual_gap:.3e} (objective {objective:.6g}). "
                f"{self._convergence_hint()}",
                ConvergenceWarning,
                stacklevel=2,
            )
        return result

    def _convergence_hint(self):
        return "Increase the iteration limit or loosen the tolerance."

    def _check_problem(self, problem):
        missing = [a for a in self._required_problem_attrs if not hasattr(problem, a)]
        if missing:
            raise IncompatibleSolverError(
                f"{type(self).__name__} needs a problem with {', '.join(missing)}; "
                f"{type(problem).__name__} has none"
            )

    @abstractmethod
    def _solve(self, problem):
        """Run the method on a checked problem and return an :class:`Outcome`."""

    def _params(self):
        return {}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"
