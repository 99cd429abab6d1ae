r"""The experiments a sweep can run: plain functions ``f(**params) -> dict``, registered by name.

An experiment is a module-level function whose parameters are keyword
parameters with JSON-scalar defaults (numbers, strings, booleans, ``None``;
a parameter without a default must be given by every spec). It returns its
*metrics*: a dict from names to numbers, strings or booleans (NaN and
infinities included: the store writes them with :func:`measureopt.io.encode`).
It raises for anything that went wrong; the runner records the error in the
task's row and the sweep goes on.

:func:`register` adds a function to :data:`EXPERIMENTS`. A spec may also name
a function by import path, ``"package.module:function"``; it must then be
importable on every worker (the LocalCluster's workers share this
interpreter's ``sys.path``).

The *code version* of an experiment (:func:`code_version`) is the library
version and a SHA-256 of the function's source and of the sources of the
helpers it declares (``depends``). It is part of each task's key, so editing
an experiment makes a re-run compute its tasks afresh; a change elsewhere in
the library is seen only through the version number.

Built-in experiments
--------------------
``recovery``
    Teacher-student BLASSO (Akiyama & Suzuki, 2021): the convex solution by
    :class:`solvers.SlidingFrankWolfe` and the network trained by
    :class:`solvers.NormDependentGD` (their Algorithm 1), each compared with
    the teacher. Sweep ``n`` and ``reg`` for the recovery phase diagram.
``width``
    Berthier (2018), Sec. 5.2: how many particles ``k`` gradient
    descent needs against the teacher's width; the test loss at the end.
``sleep``
    Diagnostic: sleeps, optionally fails, optionally leaves a marker file
    per execution. The tests and ``benchmarks/main_job.py`` use it to count
    executions and to measure the runner's overhead.

Threads: a Dask worker process starts with ``OMP_NUM_THREADS=1`` (and the
MKL and OpenBLAS equivalents; Dask's ``distributed.nanny.pre-spawn-environ``),
so NumPy, SciPy and torch run one thread per task, one task per worker.
"""

import hashlib
import importlib
import inspect
import os
import signal
import time
import uuid
import warnings
from dataclasses import dataclass, field

import numpy as np

import measureopt as mo
from measureopt._frozen import Record

__all__ = ["EXPERIMENTS", "Experiment", "register", "get_experiment", "code_version", "recovery", "width", "sleep"]

#: Registered experiments, by name.
EXPERIMENTS = {}

_SCALARS = (bool, int, float, str, type(None))


@dataclass(frozen=True, eq=False)
class Experiment(Record):
    """A registered experiment.

    Attributes
    ----------
    name : str
        The name specs use (``experiment = "recovery"``).
    function : callable
        ``function(**params) -> dict`` of metrics.
    default_metric : str or None
        The metric ``measureopt sweep-plot`` draws when ``--metric`` is not given.
    log_metric : bool
        Whether that metric reads best on a log colour scale (losses).
    reduce : str
        How ``sweep-plot`` combines the tasks of one cell by default
        (``"mean"``, ``"median"`` or ``"geomean"``).
    diagnostic : bool
        A test or benchmark helper, not a scientific experiment.
    depends : tuple of callables
        Helpers whose source enters :func:`code_version`.
    """

    name: str
    function: object
    default_metric: str = None
    log_metric: bool = False
    reduce: str = "mean"
    diagnostic: bool = False
    depends: tuple = field(default=())

    @property
    def parameters(self):
        """dict: parameter name -> default (``inspect.Parameter.empty`` when required), in order."""
        return {name: p.default for name, p in inspect.signature(self.function).parameters.items()}

    @property
    def summary(self):
        """str: the first line of the function's docstring."""
        return (inspect.getdoc(self.function) or "").split("\n", 1)[0]

    @property
    def code_version(self):
        """str: ``"<library version>+<12 hex digits of the sources' SHA-256>"``; see :func:`code_version`."""
        return code_version(self.function, self.depends)


def _source(function):
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):  # defined in a REPL or compiled: its bytecode and constants instead
        code = function.__code__
        return repr((code.co_code, code.co_consts, code.co_names))


def code_version(function, depends=()):
    """The code version of an experiment function: the library version and a hash of its source.

    Parameters
    ----------
    function : callable
    depends : iterable of callables
        Helpers whose source also counts.

    Returns
    -------
    str
        ``"0.1.0+3f2a9c01b7de"``: ``measureopt.__version__``, ``+``, the
        first 12 hex digits of the SHA-256 of the sources.
    """
    h = hashlib.sha256()
    for f in (function, *depends):
        h.update(_source(f).encode("utf-8"))
    return f"{mo.__version__}+{h.hexdigest()[:12]}"


def _check_signature(function, name):
    for p in inspect.signature(function).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
            raise TypeError(f"experiment {name!r}: parameter {p.name!r} must be a plain keyword parameter "
                            "(no *args, **kwargs or positional-only parameters)")
        if p.default is not p.empty and not isinstance(p.default, _SCALARS):
            raise TypeError(f"experiment {name!r}: the default of {p.name!r} must be a number, a string, a "
                            f"boolean or None; got {type(p.default).__name__}")


def register(name=None, *, default_metric=None, log_metric=False, reduce="mean", diagnostic=False, depends=()):
    """Decorator: register ``function`` as the experiment ``name`` (default: its ``__name__``).

    Examples
    --------
    >>> from solvers.sweeps import register, EXPERIMENTS
    >>> @register("square", default_metric="value")
    ... def square(x=1.0):
    ...     "x squared."
    ...     return {"value": x * x}
    >>> EXPERIMENTS["square"].function(x=3.0)
    {'value': 9.0}
    >>> del EXPERIMENTS["square"]
    """
    if reduce not in ("mean", "median", "geomean"):
        raise ValueError(f"reduce must be 'mean', 'median' or 'geomean'; got {reduce!r}")

    def decorate(function):
        key = function.__name__ if name is None else name
        _check_signature(function, key)
        EXPERIMENTS[key] = Experiment(key, function, default_metric, log_metric, reduce, diagnostic, tuple(depends))
        return function

    return decorate


def get_experiment(name):
    """The :class:`Experiment` called ``name``, or the function at the import path ``"module:function"``.

    Raises
    ------
    KeyError
        Unknown name (the message lists the registered ones), or an import
        path that does not resolve.
    """
    if not isinstance(name, str):
        raise KeyError(f"an experiment is named by a string; got {type(name).__name__}")
    if name in EXPERIMENTS:
        return EXPERIMENTS[name]
    if ":" in name:
        module, _, attr = name.partition(":")
        try:
            function = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise KeyError(f"cannot import experiment {name!r}: {exc}") from None
        if not callable(function):
            raise KeyError(f"experiment {name!r} is not a function")
        _check_signature(function, name)
        return Experiment(name, function)
    known = ", ".join(sorted(EXPERIMENTS))
    raise KeyError(f"unknown experiment {name!r}; registered: {known} (or give 'package.module:function')")


# ---------------------------------------------------------------- helpers of the built-in experiments
def _quiet(solve):
    """Run ``solve()`` with the solvers' warnings off: the task records the status instead."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", mo.ConvergenceWarning)
        warnings.simplefilter("ignore", mo.SolverFailureWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        return solve()


def _compare(prefix, result, teacher, radius):
    """Metrics of one solver's result against the teacher, names prefixed by ``prefix``."""
    measure = result.measure
    rec = mo.recovery(measure, teacher, radius)
    mass = np.abs(teacher.weights)
    return {
        f"{prefix}recovered_mass": float(rec.captured @ mass / mass.sum()),
        f"{prefix}mass_elsewhere": float(rec.mass_elsewhere),
        f"{prefix}recovered": rec.recovered(),
        f"{prefix}w2": float(mo.wasserstein(measure, teacher, p=2)),
        f"{prefix}objective": float(result.objective),
        f"{prefix}dual_gap": float(result.dual_gap),
        f"{prefix}gap_scope": str(result.gap_scope),
        f"{prefix}status": str(getattr(result.status, "value", result.status)),
        f"{prefix}n_atoms": int(measure.n_atoms),
        f"{prefix}n_iter": int(result.n_iter),
        f"{prefix}time": float(result.solve_time),
    }


def _certificate_oracle(certify):
    if certify == "sphere":
        return None  # each solver's default: certified on the whole sphere
    if certify == "local":
        return mo.LocalOracle()
    raise ValueError(f"certify must be 'sphere' or 'local'; got {certify!r}")


# ---------------------------------------------------------------- the experiments
@register("recovery", default_metric="sfw_recovered_mass", depends=(_compare, _certificate_oracle, _quiet))
def recovery(n=100, reg=1e-2, d=3, m=2, seed=0, noise=0.0, radius=0.05, width=100, step_size=2.0,
             max_iter=2000, certify="sphere", sfw_max_time=60.0):
    r"""Teacher-student recovery: Sliding Frank-Wolfe and Algorithm 1 against the teacher, at one (n, reg).

    Draws :func:`measureopt.teacher_student` data (``n`` samples on
    :math:`\mathbb{S}^{d-1}`, ``m`` orthonormal teacher units of weight 1,
    ``noise``), builds :class:`measureopt.BLASSO` with ``reg``, and solves it
    twice: the convex solution by :class:`solvers.SlidingFrankWolfe`, and the
    network trained by :class:`solvers.NormDependentGD` (Algorithm 1 of
    Akiyama & Suzuki, ``width`` :math:`M` particles, step :math:`\alpha` =
    ``step_size``, ``max_iter`` iterations, seeded by ``seed``).

    Parameters
    ----------
    n, reg, d, m, seed, noise
        The data and the problem (Assumptions 3.1-3.2; eq. 8).
    radius : float, default=0.05
        Radians: an atom within ``radius`` of a teacher atom, of its sign,
        counts as recovering it (:func:`measureopt.recovery`).
    width, step_size, max_iter
        Algorithm 1's :math:`M`, :math:`\alpha` and iterations.
    certify : {"sphere", "local"}, default="sphere"
        ``"sphere"``: both gaps certified on the whole sphere (the solvers'
        default oracles; exact in low dimension, slower for ``d >= 5``);
        ``"local"``: the local oracle's estimate, cheaper (scope ``"local"``).
    sfw_max_time : float, default=60
        Seconds allowed to Sliding Frank-Wolfe (status ``max_iter`` past it).

    Returns
    -------
    dict
        For each solver, with prefix ``sfw_`` (Sliding Frank-Wolfe) and
        ``gd_`` (Algorithm 1):

        * ``recovered_mass``: :math:`\sum_j c_j r^\circ_j / \sum_j r^\circ_j`,
          with :math:`c_j` the fraction of teacher atom :math:`j`'s weight
          found within ``radius`` with its sign (``Recovery.captured``; 1 is
          full recovery, it may exceed 1 when the solution overshoots);
        * ``mass_elsewhere``: the fraction of the solution's total variation
          farther than ``radius`` from every teacher atom, or of the wrong sign;
        * ``recovered``: ``Recovery.recovered()`` (each :math:`c_j` within 5 %
          of 1 and at most 2 % of the mass elsewhere);
        * ``w2``: :func:`measureopt.wasserstein` (p = 2, radians) to the teacher;
        * ``objective``, ``dual_gap``, ``gap_scope``, ``status``,
          ``n_atoms``, ``n_iter``, ``time`` (seconds) of the solver's result;

        and ``teacher_objective``, :math:`J` of the teacher.

    References
    ----------
    S. Akiyama and T. Suzuki. On learnability via gradient method for two-layer
    ReLU neural networks in teacher-student setting. ICML 2021, eq. (8),
    Algorithm 1, Theorem 3.5.

    Examples
    --------
    >>> from solvers.sweeps.experiments import recovery
    >>> out = recovery(n=30, reg=5e-2, max_iter=50, certify="local")  # doctest: +SKIP
    >>> sorted(out)[:3]  # doctest: +SKIP
    ['gd_dual_gap', 'gd_gap_scope', 'gd_mass_elsewhere']
    """
    import solvers

    oracle = _certificate_oracle(certify)
    data = mo.teacher_student(n=n, d=d, m=m, seed=seed, noise=noise)
    prob = mo.BLASSO(data.X, data.y, reg=reg)
    sfw = solvers.SlidingFrankWolfe(certificate_oracle=oracle, max_time=sfw_max_time)
    gd = solvers.NormDependentGD(width=width, step_size=step_size, max_iter=max_iter, random_state=seed,
                                 certificate_oracle=oracle)
    metrics = {"teacher_objective": float(prob.objective(data.teacher))}
    metrics.update(_compare("sfw_", _quiet(lambda: sfw.solve(prob)), data.teacher, radius))
    metrics.update(_compare("gd_", _quiet(lambda: gd.solve(prob)), data.teacher, radius))
    return metrics


_DEFAULT_STEP = {"particle": 1.0, "norm_dependent": 2.0}


@register("width", default_metric="test_loss", log_metric=True, reduce="geomean",
          depends=(_compare, _quiet))
def width(k=10, teacher_width=5, d=10, n=400, n_test=5000, reg=1e-5, method="particle", step_size=None,
          r0=0.05, max_iter=3000, seed=0, radius=0.1):
    r"""Over-parametrization: ``k`` particles of gradient descent against a teacher of width ``teacher_width``.

    Berthier (2018), Sec. 5.2 (after Chizat & Bach): data
    from a one-hidden-layer ReLU teacher with :math:`M` = ``teacher_width``
    units, a student with :math:`k` units trained by gradient descent, and
    the loss at the end, which is the excess loss since the teacher fits the
    noiseless data exactly; they see it fall near :math:`k = M`, "like a
    phase transition", and report its geometric mean over 5 repetitions
    (their Fig. 4-5). Sweep ``k`` (and ``teacher_width``) with a few seeds;
    ``sweep-plot`` combines the seeds by the geometric mean.

    Differences from the paper, to keep a task to seconds: the library's
    teacher (:func:`measureopt.teacher_student`: orthonormal directions,
    weights 1, inputs on the sphere; ``d = 10`` rather than 50, ``M = 5``
    rather than 10), full-batch gradient descent on ``n`` fixed samples for
    a fixed ``max_iter`` (rather than SGD with fresh samples), a tiny
    penalty ``reg`` (the particle solvers minimize a BLASSO objective),
    and the test loss on ``n_test`` fresh samples.

    Parameters
    ----------
    k : int, default=10
        Student width (particles).
    teacher_width : int, default=5
        :math:`M`, ``<= d``.
    d, n, n_test : int
        Dimension, training and test samples.
    reg : float, default=1e-5
        Penalty of the trained objective.
    method : {"particle", "norm_dependent"}, default="particle"
        :class:`solvers.ParticleGD` (Chizat & Bach's mean-field particle
        gradient descent, as in the paper; ReLU particles start on the
        sphere of radius ``r0``) or :class:`solvers.NormDependentGD`
        (Algorithm 1 of Akiyama & Suzuki).
    step_size : float or None
        ``None``: 1.0 for ``"particle"``, 2.0 for ``"norm_dependent"``.
    r0 : float, default=0.05
        Initial radius of the ``"particle"`` method.
    max_iter : int, default=3000
    seed : int, default=0
        Seed of the teacher, the data and the initialization.
    radius : float, default=0.1
        Radians, for ``recovered_mass``.

    Returns
    -------
    dict
        ``test_loss`` (:math:`\frac1{2n_{test}}\sum(f(x) - f^\circ(x))^2` on
        fresh samples), ``train_loss`` (the same on the training set),
        ``objective``, ``w2`` (to the teacher, radians), ``recovered_mass``,
        ``mass_elsewhere``, ``recovered``, ``status``, ``n_iter``, ``time``.

    References
    ----------
    Eloïse Berthier. On convex neural networks. Mathematical Foundations of Data
    Science, December 2018, Sec. 5.2, Fig. 4-5. L. Chizat and F. Bach. On the
    global convergence of gradient descent for over-parameterized models
    using optimal transport. NeurIPS 2018.

    Examples
    --------
    >>> from solvers.sweeps.experiments import width
    >>> width(k=3, teacher_width=2, d=4, n=50, n_test=100, max_iter=50)["status"]  # doctest: +SKIP
    'max_iter'
    """
    import solvers

    if method not in _DEFAULT_STEP:
        raise ValueError(f"method must be 'particle' or 'norm_dependent'; got {method!r}")
    step = _DEFAULT_STEP[method] if step_size is None else step_size
    data = mo.teacher_student(n=n, d=d, m=teacher_width, seed=seed)
    prob = mo.BLASSO(data.X, data.y, reg=reg)
    common = {"width": k, "step_size": step, "max_iter": max_iter, "tol": None, "certify": False,
              "random_state": seed}
    solver = (solvers.ParticleGD(r0=r0, **common) if method == "particle" else solvers.NormDependentGD(**common))
    result = _quiet(lambda: solver.solve(prob))
    X_test = mo.sample_sphere(d, n_test, seed=np.random.default_rng([seed, 1]))
    y_test = prob.predict(data.teacher, X=X_test)
    compared = _compare("", result, data.teacher, radius)
    return {
        "test_loss": float(0.5 * np.mean((prob.predict(result.measure, X=X_test) - y_test) ** 2)),
        "train_loss": float(0.5 * np.mean((prob.predict(result.measure) - data.y) ** 2)),
        **{key: compared[key] for key in ("objective", "w2", "recovered_mass", "mass_elsewhere", "recovered",
                                          "status", "n_iter", "time")},
    }


@register("sleep", default_metric="seconds", diagnostic=True)
def sleep(seconds=0.1, index=0, fail=False, marker_dir="", kill_index=-1):
    """Diagnostic: sleep ``seconds``, then fail if ``fail``; a marker file per execution in ``marker_dir``.

    Not a scientific experiment: the tests and the benchmark use it to count
    executions (kill and resume, a killed worker), to record a failure, and
    to measure the runner's and the store's overhead without computing
    anything.

    Parameters
    ----------
    seconds : float, default=0.1
        Time to sleep (the worker's CPU stays idle).
    index : int, default=0
        Tells tasks apart (sweep it) and names the marker files.
    fail : bool, default=False
        Raise ``RuntimeError`` after sleeping.
    marker_dir : str, default=""
        When not empty, an existing directory in which each execution, when
        it *starts*, creates the empty file ``<index>.<random hex>``: the
        number of files of an index is the number of times its task started.
    kill_index : int, default=-1
        The task whose ``index`` is ``kill_index`` SIGKILLs the process it
        runs in (a Dask worker) on its first execution (no marker of its
        ``index`` yet; needs ``marker_dir``): the nanny restarts the worker
        and the scheduler runs the task again.

    Returns
    -------
    dict
        ``seconds`` (slept, measured), ``index``, ``pid`` (of the worker process).

    Examples
    --------
    >>> from solvers.sweeps.experiments import sleep
    >>> sleep(seconds=0.0, index=4)["index"]
    4
    """
    kill = index == kill_index
    if kill and not marker_dir:
        raise ValueError("kill_index needs marker_dir (where the first execution is remembered)")
    if marker_dir:
        earlier = sum(1 for name in os.listdir(marker_dir) if name.split(".")[0] == str(index))
        with open(os.path.join(marker_dir, f"{index}.{uuid.uuid4().hex}"), "x"):
            pass
        if kill and earlier == 0:
            os.kill(os.getpid(), signal.SIGKILL)
    start = time.perf_counter()
    time.sleep(seconds)
    if fail:
        raise RuntimeError(f"sleep task {index} failed on purpose (fail=true)")
    return {"seconds": time.perf_counter() - start, "index": index, "pid": os.getpid()}

