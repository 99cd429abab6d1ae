"""Registry of the CVXPY backends, in order of preference.

Availability is checked with :func:`importlib.util.find_spec`, without
importing the backend. Each backend carries the default options we pass to
it and one explicit map from CVXPY's status strings to :class:`Status`.
"""

import importlib.util
from dataclasses import dataclass, field

from measureopt._frozen import Record
from measureopt.exceptions import SolverNotInstalledError

from ._result import Status

__all__ = ["Backend", "BACKENDS", "CVXPY_STATUS_MAP", "available_backends", "get_backend", "check_backend_options"]


@dataclass(frozen=True, eq=False)
class Backend(Record):
    """A CVXPY solver we know how to drive.

    Attributes
    ----------
    name : str
        CVXPY's name for it (``solver=name``).
    module : str
        Python module that must be importable.
    defaults : dict
        Options passed unless the user overrides them.
    iteration_option : str
        Name of the backend's iteration-limit option.
    """

    name: str
    module: str
    defaults: dict = field(default_factory=dict)
    iteration_option: str = "max_iter"

    def is_available(self):
        """bool: whether the backend's module can be imported."""
        return importlib.util.find_spec(self.module) is not None


#: Backends in order of preference. Clarabel's tolerances are tightened from
#: 1e-8 to 1e-10 (one or two more iterations): the certificate divides the
#: residual error by reg. SCS at its default tolerances (1e-4)
#: returns visibly inaccurate sparse solutions on gridded BLASSO (thousands of
#: spurious atoms at K = 20,000), so we tighten them.
BACKENDS = {
    "CLARABEL": Backend(
        "CLARABEL",
        "clarabel",
        {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10},
        "max_iter",
    ),
    "SCS": Backend(
        "SCS", "scs", {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iters": 200_000}, "max_iters"
    ),
}

#: CVXPY status string -> Status. Every status CVXPY defines is listed.
CVXPY_STATUS_MAP = {
    "optimal": Status.OPTIMAL,
    "optimal_inaccurate": Status.OPTIMAL_INACCURATE,
    "infeasible": Status.INFEASIBLE,
    "infeasible_inaccurate": Status.INFEASIBLE_INACCURATE,
    "unbounded": Status.UNBOUNDED,
    "unbounded_inaccurate": Status.UNBOUNDED_INACCURATE,
    "infeasible_or_unbounded": Status.INFEASIBLE_OR_UNBOUNDED,
    "user_limit": Status.MAX_ITER,
    "solver_error": Status.SOLVER_ERROR,
}


def available_backends():
    """Names of the installed backends, in order of preference."""
    return [name for name, b in BACKENDS.items() if b.is_available()]


def get_backend(name):
    """Look up a backend by name (case-insensitive) and check it is installed.

    Raises
    ------
    ValueError
        Unknown name.
    SolverNotInstalledError
        Known but not installed.
    """
    if not isinstance(name, str):
        raise TypeError(f"backend must be a string; got {type(name).__name__}")
    key = name.upper()
    if key not in BACKENDS:
        raise ValueError(f"backend must be one of {list(BACKENDS)}; got {name!r}")
    backend = BACKENDS[key]
    if not backend.is_available():
        raise SolverNotInstalledError(
            f"backend {key!r} needs the Python package {backend.module!r}; "
            f"install it with 'pip install {backend.module}'"
        )
    return backend


#: Options that ``cvxpy.Problem.solve`` takes itself, whatever the backend.
_CVXPY_OPTIONS = frozenset({"warm_start", "ignore_dpp", "enforce_dpp", "canon_backend", "verbose"})


def _known_options(backend):
    """The option names ``backend`` accepts, or None when they cannot be listed without solving."""
    if backend.name == "CLARABEL" and backend.is_available():
        import clarabel

        settings = {a for a in dir(clarabel.DefaultSettings()) if not a.startswith("_") and a != "default"}
        return settings | {"use_quad_obj", "accept_unknown"} | _CVXPY_OPTIONS
    return None


def check_backend_options(options, backend=None, name="backend_options"):
    """Check solver options for a backend: a dict with string keys (names the backend knows), or None.

    ``backend`` (a :class:`Backend` or its name) enables the check of the
    names where they can be listed (CLARABEL's settings), so that a typo is
    refused at construction rather than at the first solve.
    """
    if options is None:
        return None
    if not isinstance(options, dict):
        raise TypeError(f"{name} must be a dict of backend options or None; got {type(options).__name__}")
    bad = [key for key in options if not isinstance(key, str)]
    if bad:
        raise TypeError(f"{name} must have option names (str) as keys; got {bad[:3]!r}")
    if backend is not None:
        backend = BACKENDS.get(backend.upper()) if isinstance(backend, str) else backend
        known = None if backend is None else _known_options(backend)
        unknown = sorted(set(options) - known) if known is not None else []
        if unknown:
            raise ValueError(f"{name} has option(s) {unknown} that {backend.name} does not know; "
                             f"it knows {sorted(known)}")
    return options


def solve_cvxpy(cvx, backend, options, verbose=False):
    """Solve a CVXPY problem without raising; returns ``(raw_status, message)``.

    Backend exceptions become the status ``"solver_error"`` with the
    exception in ``message``. CVXPY's "Solution may be inaccurate" warning is
    silenced: :meth:`solvers.Solver.solve` issues a ConvergenceWarning with
    the numbers instead.
    """
    import warnings

    import cvxpy as cp

    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Solution may be inaccurate")
            cvx.solve(solver=backend.name, verbose=verbose, **options)
        return cvx.status, ""
    except (cp.error.SolverError, ArithmeticError, RuntimeError) as exc:
        return "solver_error", f"{backend.name} failed: {exc}"
