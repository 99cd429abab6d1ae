"""Exceptions and warnings shared by :mod:`measureopt` and :mod:`solvers`.

Bad user input raises the built-in :class:`ValueError` or :class:`TypeError`
with a message naming the argument. The classes below cover what is specific
to this library: a solver that cannot run (not installed, or not compatible
with the problem) and a solver that stopped before its tolerance.

Numerical failures are *not* exceptions: every solver returns a
:class:`solvers.Result` whose ``status`` says what went wrong.
"""

__all__ = [
    "MeasureOptError",
    "SolverError",
    "SolverNotInstalledError",
    "IncompatibleSolverError",
    "NotFittedError",
    "FileFormatError",
    "ConvergenceWarning",
    "SolverFailureWarning",
]


class MeasureOptError(Exception):
    """Base class of the exceptions raised by measureopt and solvers."""


class SolverError(MeasureOptError):
    """A solver cannot be used as configured."""


class SolverNotInstalledError(SolverError, ImportError):
    """The backend a solver was asked to use is not installed."""


class IncompatibleSolverError(SolverError, TypeError):
    """The solver does not handle this kind of problem.

    Raised when a problem lacks a method the solver needs (for example a grid
    solver given a problem without ``features``).
    """


class NotFittedError(MeasureOptError, ValueError, AttributeError):
    """An estimator was used (``predict``, ``score``) before ``fit`` (scikit-learn's convention)."""


class ConvergenceWarning(UserWarning):
    """A solver stopped short of a certified optimum: ``max_iter``, ``stationary`` or ``optimal_inaccurate``.

    The message gives the numbers (iterations, gap, tolerance) and the fix.
    """


class SolverFailureWarning(RuntimeWarning):
    """A solver failed: ``numerical_error``, ``solver_error``, ``infeasible``, ``unbounded`` (and their variants).

    Issued by :meth:`solvers.Solver.solve` whenever ``Result.status.failure``
    is true, with the numbers (iterations, objective, gap) and the fix. It is
    a :class:`RuntimeWarning`, not a :class:`ConvergenceWarning`: silencing
    the expected ``max_iter`` of a fixed-budget run does not hide a failed
    one. The result still holds the last iterate, so nothing is raised.
    """


class FileFormatError(MeasureOptError, ValueError):
    """A file cannot be loaded (:mod:`measureopt.io`); the message names the file.

    Raised for a file that is not a measureopt file, is truncated or
    corrupted, has a later format version than this library reads, or holds
    another kind of object than the one asked for.
    """
