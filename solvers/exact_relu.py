r"""The exact convex program of two-layer ReLU networks over activation patterns.

:func:`pattern_program` builds the program for any set of activation
patterns (Pilanci & Ergen, 2020); :class:`ExactReLU` runs it over every
pattern of the arrangement, and :class:`~solvers.SlidingFrankWolfe` over the
patterns of its current atoms (its corrective step for ReLU features).
"""

from dataclasses import dataclass
from itertools import product

import numpy as np

from measureopt._frozen import Record
from measureopt._validation import check_int, check_positive, check_random_state
from measureopt.exceptions import IncompatibleSolverError
from measureopt.arrangement import arrangement_patterns
from measureopt.measures import DiscreteMeasure
from measureopt.oracles import certified_oracle

from ._base import Outcome, Solver
from ._result import Status
from ._weights import fit_weights
from .backends import CVXPY_STATUS_MAP, check_backend_options, get_backend, solve_cvxpy

__all__ = ["ExactReLU", "arrangement_patterns", "pattern_program", "pattern_measure", "solve_patterns",
           "adjacent_patterns", "PatternFit"]  # arrangement_patterns: re-exported from measureopt.arrangement

_PATTERN_MODES = ("enumerate", "sample")

#: Losses :func:`pattern_program` writes in CVXPY.
PATTERN_LOSSES = ("squared", "logistic")

#: An atom is taken to lie on the hyperplane of input ``i`` when ``|<theta, x_i>| <= TIE_TOL * ||x_i||``.
TIE_TOL = 1e-9


def pattern_program(problem, masks):
    r"""CVXPY model of the two-layer ReLU program restricted to the activation patterns ``masks``.

    With the inputs :math:`X` (``problem.features.inputs``: lifted when the
    features are), the patterns :math:`D_p = \operatorname{diag}(m_p)` of the
    rows :math:`m_p` of ``masks`` and their closed cells
    :math:`K_p = \{u: (2D_p - I)Xu \ge 0\}`,

    .. math::

        \min_{u_p, u'_p \in K_p}\ \frac1n\sum_{i=1}^n
        \ell\Bigl(\Bigl[\sum_p D_pX(u_p - u'_p)\Bigr]_i, y_i\Bigr)
        + \lambda\sum_p\bigl(\lVert u_p\rVert + \lVert u'_p\rVert\bigr)

    in the penalized form, and the same data term under
    :math:`\sum_p(\lVert u_p\rVert + \lVert u'_p\rVert) \le \delta` in the
    constrained form; :math:`\ell` is the squared loss
    (:math:`\frac{1}{2n}\lVert y - \cdot\rVert^2`) or the logistic loss
    (``cp.logistic``).

    On :math:`K_p`, :math:`\sigma(Xu) = D_pXu`, so each :math:`u_p` is the
    atom :math:`\lVert u_p\rVert\,\delta_{u_p/\lVert u_p\rVert}` (and
    :math:`u'_p` one of weight :math:`-\lVert u'_p\rVert`) with the same
    prediction and total variation; conversely the atoms of a measure that
    lie in :math:`K_p` sum (a convex cone) to a feasible :math:`u_p` of no
    larger norm. The optimal value is therefore

    .. math:: \min\Bigl\{J(\nu): \operatorname{supp}\nu \subset \bigcup_p K_p\Bigr\},

    the problem's optimum :math:`J^\star` when the masks hold every pattern of
    the arrangement (Pilanci & Ergen, 2020, Theorem 1), and an upper bound on
    it for any masks (every mask is valid, realizable or not).

    Parameters
    ----------
    problem : MeasureProblem
        ReLU features, squared or logistic loss, either form.
    masks : array_like of bool, shape (P, n)
        One activation pattern per row, ``P >= 1``.

    Returns
    -------
    cvx : cvxpy.Problem
    U, U_neg : cvxpy.Variable, shape (P, D)
        The positive and negative parts :math:`u_p`, :math:`u'_p`.

    Raises
    ------
    IncompatibleSolverError
        For features other than ReLU or another loss.
    ValueError
        If ``masks`` does not have shape ``(P, n)``.

    References
    ----------
    M. Pilanci and T. Ergen. Neural networks are convex regularizers: exact
    polynomial-time convex optimization formulations for two-layer networks.
    ICML 2020, eq. (8) and Theorem 1 (squared loss; Sec. 4 for other convex
    losses).

    Examples
    --------
    >>> import measureopt as mo
    >>> from solvers.exact_relu import pattern_program
    >>> data = mo.teacher_student(n=20, d=2, m=1, seed=0)
    >>> prob = mo.BLASSO(data.X, data.y, reg=1e-2)
    >>> cvx, U, V = pattern_program(prob, mo.arrangement.arrangement_patterns(prob.X))
    >>> U.shape == (len(mo.arrangement.arrangement_patterns(prob.X)), 2)
    True
    """
    import cvxpy as cp

    _check_pattern_problem(problem)
    masks = np.asarray(masks)
    n = problem.n_samples
    if masks.ndim != 2 or masks.shape[1] != n or masks.shape[0] < 1:
        raise ValueError(f"masks must have shape (P, n) with P >= 1 and n = {n}; got {masks.shape}")
    X, y = problem.features.inputs, problem.y
    P, d = masks.shape[0], problem.dim
    M = masks.T.astype(float)  # (n, P)
    S = 2.0 * M - 1.0
    U = cp.Variable((P, d), name="u")
    V = cp.Variable((P, d), name="u_neg")
    XU, XV = X @ U.T, X @ V.T
    pred = cp.sum(cp.multiply(M, XU - XV), axis=1)
    if problem.loss.name == "squared":
        data_fit = cp.sum_squares(y - pred) / (2 * n)
    else:
        data_fit = cp.sum(cp.logistic(-cp.multiply(y, pred))) / n
    mass = cp.sum(cp.norm(U, 2, axis=1)) + cp.sum(cp.norm(V, 2, axis=1))
    constraints = [cp.multiply(S, XU) >= 0, cp.multiply(S, XV) >= 0]
    if problem.penalized:
        objective = data_fit + problem.reg * mass
    else:
        objective = data_fit
        constraints.append(mass <= problem.radius)
    return cp.Problem(cp.Minimize(objective), constraints), U, V


def _check_pattern_problem(problem):
    if not problem.features.is_relu:
        raise IncompatibleSolverError(
            f"the ReLU pattern program needs ReLU features; got activation {problem.activation!r}"
        )
    if problem.loss.name not in PATTERN_LOSSES:
        raise IncompatibleSolverError(
            f"the ReLU pattern program handles the losses {PATTERN_LOSSES}; got loss {problem.loss.name!r}"
        )


def pattern_measure(problem, U, U_neg, polish=True):
    r"""The measure of a solution of :func:`pattern_program`, weights polished.

    Atoms :math:`u_p/\lVert u_p\rVert` of weight :math:`+\lVert u_p\rVert`
    and :math:`u'_p/\lVert u'_p\rVert` of weight :math:`-\lVert u'_p\rVert`;
    vectors below ``1e-9`` times the largest norm are dropped, atoms closer
    than ``1e-9`` merged. With ``polish``, the weights are then re-solved on
    that support (``solvers._weights.fit_weights``), kept only if they
    lower the objective.

    Parameters
    ----------
    problem : MeasureProblem
    U, U_neg : ndarray, shape (P, D)
        Values of the variables of :func:`pattern_program`.
    polish : bool, default=True

    Returns
    -------
    DiscreteMeasure
    """
    vecs = np.concatenate([U, U_neg])
    norms = np.linalg.norm(vecs, axis=1)
    keep = norms > 1e-9 * max(norms.max(initial=0.0), 1e-300)
    signs = np.concatenate([np.ones(len(U)), -np.ones(len(U_neg))])[keep]
    measure = DiscreteMeasure(signs * norms[keep], vecs[keep] / norms[keep, None])
    if measure.n_atoms == 0:
        return DiscreteMeasure.zero(problem.dim)
    measure = measure.merge(1e-9)
    if polish:
        w, _ = fit_weights(problem, measure.support, r0=measure.weights)
        polished = DiscreteMeasure(w, measure.support).prune(0.0)
        if problem.objective(polished) <= problem.objective(measure):
            measure = polished
    return measure


@dataclass(frozen=True, eq=False)
class PatternFit(Record):
    """What :func:`solve_patterns` returns.

    Attributes
    ----------
    measure : DiscreteMeasure
        The solution as a measure (zero measure when the backend gave no finite point).
    status : Status
        The backend's status through :data:`~solvers.backends.CVXPY_STATUS_MAP`
        (``NUMERICAL_ERROR`` for a successful status without a finite point).
    raw_status : str
        CVXPY's status string.
    message : str
    objective : float or None
        The model's optimal value as the backend reports it (``cvx.value``;
        ``None`` when it gave none).
    n_iter : int
        The backend's iterations (0 when it does not say).
    solve_time : float or None
        The backend's own solve time in seconds.

    Notes
    -----
    Plain data (no CVXPY model, which holds the backend's unpicklable
    state), so it pickles, copies and saves like every result.
    """

    measure: DiscreteMeasure
    status: Status
    raw_status: str
    message: str
    objective: float | None = None
    n_iter: int = 0
    solve_time: float | None = None


def solve_patterns(problem, masks, backend="CLARABEL", backend_options=None, verbose=False, polish=True):
    r"""Solve :func:`pattern_program` for ``masks`` and return the measure (:func:`pattern_measure`).

    Parameters
    ----------
    problem : MeasureProblem
    masks : array_like of bool, shape (P, n)
    backend : str, default="CLARABEL"
    backend_options : dict, optional
        Override the backend's defaults (:data:`~solvers.backends.BACKENDS`).
    verbose : bool, default=False
    polish : bool, default=True

    Returns
    -------
    PatternFit
    """
    backend = get_backend(backend)
    cvx, U, V = pattern_program(problem, masks)
    options = {**backend.defaults, **(backend_options or {})}
    raw, message = solve_cvxpy(cvx, backend, options, verbose)
    status = CVXPY_STATUS_MAP.get(raw, Status.SOLVER_ERROR)
    stats = getattr(cvx, "solver_stats", None)
    backend_run = {"objective": float(cvx.value) if raw != "solver_error" and cvx.value is not None else None,
                   "n_iter": int(getattr(stats, "num_iters", None) or 0),
                   "solve_time": getattr(stats, "solve_time", None)}
    if U.value is None or V.value is None or not (np.all(np.isfinite(U.value)) and np.all(np.isfinite(V.value))):
        if status.success:
            status = Status.NUMERICAL_ERROR
        message = message or f"{backend.name} returned no finite point (status {raw})"
        return PatternFit(DiscreteMeasure.zero(problem.dim), status, raw, message, **backend_run)
    return PatternFit(pattern_measure(problem, U.value, V.value, polish), status, raw, message, **backend_run)


def adjacent_patterns(X, thetas, tie_tol=TIE_TOL, max_ties=3):
    r"""Activation patterns of the closed cells that contain each direction, deduplicated.

    A direction :math:`\theta` strictly inside a cell has the one pattern
    :math:`\mathbb{1}\{X\theta > 0\}`. On the hyperplanes
    :math:`x_i^\perp` with :math:`|\langle\theta, x_i\rangle| \le`
    ``tie_tol`` :math:`\lVert x_i\rVert` it lies in the closure of every cell
    around it, whose patterns differ in those inputs only: all
    :math:`2^k` of them are returned, so that a corrective step on these
    cells can move the atom across each kink through it (any of them keeps
    :math:`\theta` feasible).

    Parameters
    ----------
    X : ndarray, shape (n, D)
        Inputs (lifted when the features are).
    thetas : ndarray, shape (k, D)
        Directions (unit norm).
    tie_tol : float, default=1e-9
        Relative tolerance of "on the hyperplane".
    max_ties : int, default=3
        At most this many hyperplanes (the closest) are split per direction
        (:math:`2^{\text{max\_ties}}` patterns); farther ties keep the sign of
        :math:`\langle\theta, x_i\rangle`. In general position a point of
        :math:`\mathbb{S}^{D-1}` lies on at most :math:`D - 1` hyperplanes.

    Returns
    -------
    ndarray of bool, shape (P, n)
        Distinct patterns, the all-zero pattern left out (its features vanish).
    """
    X = np.asarray(X, dtype=float)
    thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
    max_ties = check_int(max_ties, "max_ties", minimum=0)
    tie_tol = check_positive(tie_tol, "tie_tol", strict=False)
    if thetas.shape[1] != X.shape[1]:
        raise ValueError(f"thetas must have shape (k, {X.shape[1]}); got {thetas.shape}")
    u = thetas @ X.T  # (k, n)
    scale = tie_tol * np.linalg.norm(X, axis=1)
    rows = []
    for uj in u:
        base = uj > 0
        ties = np.flatnonzero(np.abs(uj) <= scale)
        if len(ties) > max_ties:
            ties = ties[np.argsort(np.abs(uj[ties]), kind="stable")[:max_ties]]
        for signs in product((False, True), repeat=len(ties)):
            pattern = base.copy()
            pattern[ties] = signs
            rows.append(pattern)
    if not rows:
        return np.zeros((0, X.shape[0]), dtype=bool)
    rows = np.unique(np.array(rows), axis=0)
    return rows[rows.any(axis=1)]


class ExactReLU(Solver):
    r"""The exact convex program of a two-layer ReLU network (Pilanci & Ergen, 2020).

    For the activation patterns :math:`D_1, \dots, D_P` of the data,

    .. math::

        \min_{u_p, u'_p} \frac{1}{2n}\Bigl\lVert y - \sum_p D_p X (u_p - u'_p)
        \Bigr\rVert^2 + \lambda \sum_p (\lVert u_p\rVert + \lVert u'_p\rVert)
        \quad\text{s.t.}\quad (2D_p - I) X u_p \ge 0,\ (2D_p - I) X u'_p \ge 0.

    With every pattern this equals the BLASSO optimum :math:`J^\star` (eq. 8
    of Akiyama & Suzuki, 2021, with ReLU): on the training inputs
    :math:`D_pXu_p = \sigma(Xu_p)`, so each :math:`u_p` is an atom
    :math:`\lVert u_p\rVert\delta_{u_p/\lVert u_p\rVert}` (and :math:`u'_p`
    one of weight :math:`-\lVert u'_p\rVert`) of the same objective. The
    program (:func:`pattern_program`, shared with the pattern step of
    :class:`~solvers.SlidingFrankWolfe`) is built with matrices (one CVXPY variable of shape ``(P, d)``
    per sign) and solved by the backend (Clarabel by default). The weights
    of the atoms found are then polished (exact LASSO on them).

    Parameters
    ----------
    patterns : {"enumerate", "sample"}, default="enumerate"
        ``"enumerate"``: every pattern (``d`` <= 3), so the result is exact.
        ``"sample"``: ``n_patterns`` sampled patterns (any ``d``); the
        objective is then an upper bound on :math:`J^\star`, and the result
        is ``OPTIMAL`` only if the certified gap proves it.
    n_patterns : int, default=2000
        Patterns drawn with ``patterns="sample"``.
    max_patterns : int, default=5000
        Refuse larger programs (``d = 3`` has about :math:`n^2` patterns).
    backend : str, default="CLARABEL"
    backend_options : dict, optional
    tol : float, default=1e-6
        ``OPTIMAL`` needs the certified relative gap at most ``tol``.
    random_state : None, int or numpy.random.Generator, default=0
        Seeds the sampled patterns.
    verbose : bool, default=False

    Notes
    -----
    ``Result.dual_gap`` is certified on the whole sphere by
    :func:`~measureopt.oracles.certified_oracle` (exact for ``d`` <= 3).
    ``stats["exact"]`` says whether all patterns were used.

    References
    ----------
    M. Pilanci and T. Ergen. Neural networks are convex regularizers: exact
    polynomial-time convex optimization formulations for two-layer networks.
    ICML 2020.
    """

    _requires = {"loss": ("squared",), "penalty": ("tv",), "relu": True}
    _what = "solves the ReLU program only"

    def __init__(self, patterns="enumerate", n_patterns=2000, max_patterns=5000, backend="CLARABEL",
                 backend_options=None, tol=1e-6, random_state=0, verbose=False):
        if patterns not in _PATTERN_MODES:
            raise ValueError(f"patterns must be one of {_PATTERN_MODES}; got {patterns!r}")
        self.patterns = patterns
        self.n_patterns = check_int(n_patterns, "n_patterns", minimum=1)
        self.max_patterns = check_int(max_patterns, "max_patterns", minimum=1)
        get_backend(backend)
        self.backend = backend
        self.backend_options = check_backend_options(backend_options, backend)
        self.tol = check_positive(tol, "tol")
        check_random_state(random_state, "random_state")
        self.random_state = random_state
        self.verbose = verbose

    def _check_solvable(self, problem):
        self._check(problem)

    def _check(self, problem):
        if self.patterns == "enumerate" and problem.dim > 3:
            raise ValueError(
                f"ExactReLU(patterns='enumerate') enumerates the arrangement for d <= 3; the problem "
                f"has d = {problem.dim}. Use patterns='sample' (an upper bound unless certified)."
            )

    def build(self, problem, masks):
        """CVXPY model for the patterns ``masks`` (P, n); returns ``(problem, U, U_neg)`` (:func:`pattern_program`)."""
        return pattern_program(problem, masks)

    def _solve(self, problem):
        self._check(problem)
        masks = arrangement_patterns(problem.features.inputs, self.patterns, self.n_patterns,
                                     check_random_state(self.random_state, "random_state"))
        if len(masks) > self.max_patterns:
            raise ValueError(
                f"the arrangement has {len(masks)} patterns, above max_patterns={self.max_patterns} "
                f"(n = {problem.n_samples}, d = {problem.dim}); raise max_patterns or use "
                "patterns='sample'"
            )
        if len(masks) == 0:
            return self._all_inputs_zero(problem)
        fit = solve_patterns(problem, masks, self.backend, self.backend_options, self.verbose)
        measure, status, message, raw = fit.measure, fit.status, fit.message, fit.raw_status
        backend = get_backend(self.backend)
        cert = problem.dual_certificate(measure, oracle=certified_oracle(problem), tol=self.tol)
        exact = self.patterns == "enumerate"
        if status.success:
            if cert.relative_gap <= self.tol:
                status = Status.OPTIMAL
                message = message or (
                    f"{len(masks)} patterns ({'all' if exact else 'sampled'}); certified relative "
                    f"gap {cert.relative_gap:.2e}"
                )
            else:
                status = Status.OPTIMAL_INACCURATE
                message = (
                    f"certified relative gap {cert.relative_gap:.2e} exceeds tol={self.tol:g}"
                    + ("" if exact else f"; {len(masks)} sampled patterns: the objective is an upper bound on J*, not an optimum")
                )
        return Outcome(
            measure=measure, status=status, gap_scope=cert.scope, gap_exhausted=cert.exhausted,
            n_iter=fit.n_iter,
            dual_gap=cert.gap, message=message,
            stats={"gap_scope": cert.scope, "exact": exact, "n_patterns": int(len(masks)),
                   "backend": backend.name, "backend_status": raw,
                   "backend_objective": fit.objective,
                   "sup_eta": cert.sup_eta, "sup_eta_upper": cert.sup_eta_upper},
        )

    def _all_inputs_zero(self, problem):
        """No nonzero pattern: every input is zero, every ReLU feature vanishes, and the zero measure is optimal."""
        measure = DiscreteMeasure.zero(problem.dim)
        cert = problem.dual_certificate(measure, oracle=certified_oracle(problem), tol=self.tol)
        status = Status.OPTIMAL if cert.relative_gap <= self.tol else Status.OPTIMAL_INACCURATE
        return Outcome(
            measure=measure, status=status, gap_scope=cert.scope, gap_exhausted=cert.exhausted, n_iter=0,
            dual_gap=cert.gap, message="every input is zero: each ReLU feature vanishes on the data, so the "
                                       f"zero measure is optimal (certified relative gap {cert.relative_gap:.2e})",
            stats={"gap_scope": cert.scope, "exact": True, "n_patterns": 0, "backend": None,
                   "backend_status": None, "backend_objective": None, "sup_eta": cert.sup_eta,
                   "sup_eta_upper": cert.sup_eta_upper},
        )

    def _convergence_hint(self):
        if self.patterns == "sample":
            return "Sampled patterns give an upper bound; raise n_patterns."
        return "Tighten the backend tolerances."
