"""BLASSO restricted to a fixed grid of directions, solved with celer or CVXPY."""

import importlib.util
import numbers
import time
import warnings

import numpy as np

from measureopt._validation import check_int, check_positive, check_random_state
from measureopt.oracles import GridOracle
from measureopt.measures import DiscreteMeasure
from measureopt.sphere import check_on_sphere, sphere_grid

from ._lasso import polish
from .backends import CVXPY_STATUS_MAP, check_backend_options, get_backend, solve_cvxpy
from ._base import Outcome, Solver
from ._result import Status
from ._weights import fit_weights

__all__ = ["GridConvex"]

#: celer's stopping tolerances on the grid, loosest first (its duality gap
#: relative to ``||y||^2 / n``). Each stage starts from the previous one's
#: point, which is pruned, polished on its sign pattern and certified; the
#: first that meets ``tol`` is kept. The polish solves the optimality
#: conditions on the support exactly, so a loose stage that has found the
#: support is enough: on diabetes (353 points, 2,000 ReLU directions in
#: D = 11, reg = 1e-3 reg_max) celer took 71 s to reach 1e-10 (relative gap
#: 1.4e-9) and 8.6 s to reach 1e-3, which the polish brought to 1.9e-11.
#: The last stage, 1e-10, costs ~30% more than 1e-8 and leaves a margin for
#: the support the polish needs. benchmarks/grid_lasso.py compares celer
#: with skglm (as fast once compiled, but its Numba compilation costs ~9 s in
#: every new process), scikit-learn (4x slower than Clarabel at K = 20,000)
#: and Clarabel.
CELER_TOLS = (1e-3, 1e-5, 1e-7, 1e-10)

#: The dense regime, left to CVXPY and Clarabel: a warm start, or a celer
#: stage that does not certify, with at least ``DENSE_FRACTION * n`` atoms.
#: Near interpolation (reg a small fraction of reg_max, about as many atoms
#: as samples) celer's coordinate descent crawls and the interior-point
#: method does not: on scikit-learn's ``make_regression`` check data (200
#: points, D = 11, 2,000 directions, reg = 4.4e-5 reg_max) celer's stages
#: took 2.5, 17 and 83 s and were still at relative gap 1.6e-4, and
#: Clarabel certified 1.1e-10 in 2.3 s; on diabetes (353 points) Clarabel
#: took 2.8-3.2 s at every reg, celer 0.06 s at 73 atoms, 0.84 s at 194 and
#: 8.2 s at 299.
DENSE_FRACTION = 0.5


def _celer_available():
    """bool: whether celer (the optional fast LASSO of the ``fast`` extra) can be imported."""
    return importlib.util.find_spec("celer") is not None


class GridConvex(Solver):
    r"""Solve a measure problem over measures supported on a fixed grid, with celer or CVXPY.

    Restricting :math:`\nu = \sum_{k=1}^K r_k\delta_{\theta_k}` to grid
    directions :math:`\theta_1, \dots, \theta_K` turns BLASSO (Akiyama &
    Suzuki 2021, eq. 8) into a LASSO in :math:`r \in \mathbb{R}^K`:

    .. math::

        \min_{r\in\mathbb{R}^K} \frac{1}{2n}\lVert y - \Phi r\rVert_2^2
        + \lambda\lVert r\rVert_1, \qquad
        \Phi_{ik} = \sigma(\langle\theta_k, \tilde x_i\rangle),

    and any other measure problem into its finite counterpart: the logistic
    data term :math:`\frac1n\sum_i\log(1 + e^{-y_i(\Phi r)_i})`, and the
    constraint :math:`\lVert r\rVert_1 \le \delta` for the constrained form
    (Berthier 2018, eq. 2). The model is one matrix-vector CVXPY expression.

    The LASSO (squared loss, penalized form) goes by default to celer
    (coordinate descent with working sets and dual extrapolation; Massias,
    Gramfort & Salmon 2018) when it is installed (``pip install
    measureopt[fast]``): about 30x faster than Clarabel at K = 20,000 and
    60x at K = 2,000, with the same polished solution (objectives equal to
    rounding, optimality conditions to ~1e-13 relative;
    ``benchmarks/grid_lasso.py``). Its point goes through the same pruning,
    polish and gridded certificate as a backend's, and is kept only if that
    certificate meets ``tol``; otherwise, and whenever celer is not
    installed, CVXPY with Clarabel solves the problem as before. The L1
    logistic problem (logistic loss, penalized form) goes to celer's
    prox-Newton solver the same way (:math:`C = 1/(n\lambda)`); the
    constrained form always goes to CVXPY.

    Parameters
    ----------
    grid : int or array_like of shape (K, d), default=2000
        The directions, on the unit sphere; an integer ``K`` means
        ``sphere_grid(d, K, seed=random_state)``.
    backend : {"auto", "CLARABEL", "SCS"}, default="auto"
        ``"auto"``: celer (its duality-gap tolerance from 1e-3 down to
        1e-10, each stage polished and certified, kept at the first that
        meets ``tol``) for the squared or
        logistic loss in the penalized form when it is importable and no
        ``backend_options`` are given, falling back to CLARABEL, and
        CLARABEL in the dense regime (a warm start, or a celer stage that
        does not certify, with at least ``n / 2`` atoms: near interpolation
        coordinate descent crawls, ``solvers.grid_convex.DENSE_FRACTION``);
        CLARABEL otherwise. A CVXPY solver's name (see
        :data:`solvers.backends.BACKENDS`) always uses CVXPY with it.
    backend_options : dict, optional
        Options for the CVXPY backend; they override our defaults (for SCS,
        ``eps_abs = eps_rel = 1e-9``, ``max_iters = 200000``). With
        ``backend="auto"``, giving them selects CVXPY with CLARABEL.
    tol : float, default=1e-6
        Relative gridded duality gap below which a solution the backend
        calls optimal is reported ``"optimal"``; above it the status is
        ``"optimal_inaccurate"``.
    prune_tol : float, default=1e-8
        Atoms with :math:`|r_k| \le` ``prune_tol`` :math:`\max(\max_k|r_k|, w_0)`
        are dropped from the returned measure (interior-point backends leave
        tiny nonzero weights everywhere), with :math:`w_0` the problem's
        absolute weight scale (:meth:`~measureopt.MeasureProblem.weight_scale`):
        when the gridded optimum is zero the backend's weights are all tiny,
        and judging them against the largest of them alone would keep them
        all. The objective and the gap are computed after pruning.
    polish : bool, default=True
        After the backend, re-solve the optimality conditions on the support
        it found: for BLASSO, with signs :math:`s_S` fixed,
        :math:`\Phi_S^\top(y - \Phi_S r_S) = n\lambda s_S` is a linear system;
        for other losses or the constrained form, Newton's method on the
        sign pattern (``solvers._weights.fit_weights``).
        The polished point is kept only if it keeps the signs and lowers the
        gridded duality gap. Interior-point solutions are accurate to about
        the backend tolerance, and the certificate amplifies residual errors
        by :math:`1/\lambda`; polishing brings the gap to rounding level.
    random_state : None, int or numpy.random.Generator, default=0
        Seed of the grid when ``grid`` is an integer.
    verbose : bool, default=False
        Print the backend's log.
    warm_start : DiscreteMeasure or Result, optional
        Start celer from this measure's weights on the grid (atoms within
        ``1e-9`` of a grid direction; others are ignored), as a
        regularization path does (:func:`solvers.estimators.reg_path`). It
        changes where the solver starts, not the problem solved; CVXPY
        backends start cold.

    Notes
    -----
    ``Result.stats["backend"]`` says which solver produced the point
    (``"CELER"``, ``"CLARABEL"`` or ``"SCS"``); when celer's point was
    rejected, ``stats["fallback"]`` says why.

    ``Result.dual_gap`` certifies the **gridded** problem
    (``Result.gap_scope == "grid"``): it is
    :math:`J(\nu) - D(sq) \ge J(\nu) - \min\{J(\mu): \operatorname{supp}\mu
    \subset \text{grid}\}`, computed by
    :meth:`~measureopt.BLASSO.dual_certificate` with a
    :class:`~measureopt.oracles.GridOracle` on the grid, not taken from
    the backend. It does not bound the gap to the continuous problem.

    Backend exceptions and non-optimal statuses are not raised: they give a
    :class:`~solvers.Result` with the mapped status and the backend's last
    point (the zero measure when it returned none).

    References
    ----------
    S. Akiyama and T. Suzuki. ICML 2021, eq. (8) and (10).
    M. Massias, A. Gramfort and J. Salmon. Celer: a fast solver for the
    Lasso with dual extrapolation. ICML 2018.

    Examples
    --------
    >>> import measureopt as mo
    >>> import solvers
    >>> data = mo.teacher_student(n=50, d=2, m=2, seed=0)
    >>> prob = mo.BLASSO(data.X, data.y, reg=1e-2)
    >>> res = solvers.GridConvex(grid=200).solve(prob)
    >>> res.status, res.dual_gap < 1e-6
    (<Status.OPTIMAL: 'optimal'>, True)
    """

    _requires = {"loss": ("squared", "logistic"), "penalty": ("tv", "tv_ball")}

    def __init__(self, grid=2000, backend="auto", backend_options=None, tol=1e-6,
                 prune_tol=1e-8, polish=True, random_state=0, verbose=False, warm_start=None):
        if isinstance(grid, numbers.Integral) and not isinstance(grid, bool):
            check_int(grid, "grid", minimum=1)
        elif len(check_on_sphere(grid, "grid")) == 0:
            raise ValueError(f"grid must hold at least one direction; got an array of shape {np.shape(grid)}")
        if not _is_auto(backend):
            get_backend(backend)
        check_backend_options(backend_options, "CLARABEL" if _is_auto(backend) else backend)
        check_random_state(random_state, "random_state")
        check_positive(tol, "tol")
        check_positive(prune_tol, "prune_tol", strict=False)
        self.grid = grid
        self.backend = backend
        self.backend_options = backend_options
        self.tol = tol
        self.prune_tol = prune_tol
        self.polish = polish
        self.random_state = random_state
        self.verbose = verbose
        measure = getattr(warm_start, "measure", warm_start)
        if measure is not None and not isinstance(measure, DiscreteMeasure):
            raise TypeError(
                f"warm_start must be a DiscreteMeasure, a Result or None; got {type(warm_start).__name__}")
        self.warm_start = warm_start

    def _cvxpy_backend(self):
        return get_backend("CLARABEL" if _is_auto(self.backend) else self.backend)

    def _uses_celer(self, problem):
        """Whether :meth:`solve` tries celer first on ``problem`` (see ``backend``)."""
        return (_is_auto(self.backend) and self.backend_options is None
                and problem.loss.name in ("squared", "logistic") and problem.penalized and _celer_available())

    def _start_weights(self, grid):
        """The warm start's weights on ``grid`` (zeros where no atom sits on a grid direction)."""
        weights = np.zeros(grid.shape[0])
        measure = getattr(self.warm_start, "measure", self.warm_start)
        if measure is None or measure.n_atoms == 0 or measure.dim != grid.shape[1]:
            return weights
        nearest = np.argmax(measure.support @ grid.T, axis=1)
        on_grid = np.linalg.norm(grid[nearest] - measure.support, axis=1) <= 1e-9
        np.add.at(weights, nearest[on_grid], measure.weights[on_grid])
        return weights

    def _convergence_hint(self):
        backend = self._cvxpy_backend()
        return (
            f"Tighten the backend tolerances or raise backend_options"
            f"[{backend.iteration_option!r}]."
        )

    def _failure_hint(self, status):
        other = "SCS" if self._cvxpy_backend().name == "CLARABEL" else "CLARABEL"
        return (f"The gridded problem is always feasible and bounded, so the backend failed numerically: try "
                f"backend={other!r}, or rescale the data (y and X).")

    @staticmethod
    def objective_scale(problem):
        r"""The constant :math:`c \ge 1` the CVXPY objective of :meth:`build` is divided by.

        :math:`c = \max(1, \lambda w_0 / F(0))`, with :math:`w_0` the
        problem's :meth:`~measureopt.MeasureProblem.weight_scale` and
        :math:`F(0)` the data term at zero: the penalty of an atom of typical
        weight over the data term. It is 1 (no change) unless the penalty
        dominates, which happens only for :math:`\lambda` of the order of
        ``reg_max`` or above; there the unscaled penalty coefficient
        (e.g. :math:`\lambda = 10^9`) makes Clarabel fail, while the scaled
        model keeps its coefficients of order 1. The constrained form is not
        scaled.
        """
        if not problem.penalized:
            return 1.0
        data = float(problem.data_fit(np.zeros(problem.n_samples)))
        ratio = problem.reg * problem.weight_scale() / data if data > 0 else 0.0
        return max(1.0, ratio) if np.isfinite(ratio) else 1.0

    def grid_for(self, problem):
        """The grid directions used for ``problem``, shape ``(K, d)``."""
        if isinstance(self.grid, numbers.Integral):
            return sphere_grid(problem.dim, int(self.grid), seed=self.random_state)
        return check_on_sphere(self.grid, "grid", d=problem.dim)

    def build(self, problem, grid=None):
        """Build the CVXPY model for ``problem`` on ``grid``.

        Returns
        -------
        cvx_problem : cvxpy.Problem
            The LASSO above, its objective divided by
            :meth:`objective_scale` (1 unless ``reg`` is of the order of
            ``reg_max`` or above).
        weights : cvxpy.Variable, shape (K,)
            The variable to read the solution from.
        grid : ndarray, shape (K, d)
            The directions, which map ``weights.value`` back to a measure.
        """
        import cvxpy as cp

        grid = self.grid_for(problem) if grid is None else grid
        features = problem.features(grid)
        n = features.shape[0]
        r = cp.Variable(grid.shape[0], name="weights")
        pred = features @ r
        if problem.loss.name == "squared":
            data = cp.sum_squares(problem.y - pred) / (2 * n)
        else:  # logistic: log(1 + exp(-y f))
            data = cp.sum(cp.logistic(-cp.multiply(problem.y, pred))) / n
        if problem.penalized:
            scale = self.objective_scale(problem)
            objective = data + problem.reg * cp.norm1(r)
            return cp.Problem(cp.Minimize(objective if scale == 1.0 else objective / scale)), r, grid
        return cp.Problem(cp.Minimize(data), [cp.norm1(r) <= problem.radius]), r, grid

    def _finish(self, problem, grid, weights, status):
        """Prune, certify on the grid, polish: ``(measure, cert, polished)``."""
        oracle = GridOracle(grid)
        largest = float(np.max(np.abs(weights), initial=0.0))
        measure = DiscreteMeasure(weights, grid).prune(self.prune_tol * max(largest, problem.weight_scale()))
        cert = problem.dual_certificate(measure, oracle=oracle)
        polished = False
        if self.polish and status.success and measure.n_atoms:
            candidate = _polish(problem, measure)
            if candidate is not None:
                candidate_cert = problem.dual_certificate(candidate, oracle=oracle)
                if candidate_cert.gap < cert.gap:
                    measure, cert, polished = candidate, candidate_cert, True
        return measure, cert, polished

    def _solve_celer(self, problem, grid):
        r"""The LASSO (or L1 logistic regression) with celer; ``(outcome, None)``, or ``(None, why)`` when its point is not kept.

        celer's logistic objective is :math:`\sum_i\log(1 + e^{-y_i(\Phi r)_i})
        + \frac1C\lVert r\rVert_1`, ours divided by :math:`n`: :math:`C =
        1/(n\lambda)`.
        """
        try:
            import celer

            features = np.asfortranarray(problem.features(grid))
            y = np.array(problem.y, dtype=float)  # writeable: celer's Cython refuses read-only buffers
        except Exception as exc:  # an optional accelerator: any failure falls back to CVXPY
            return None, f"celer failed: {type(exc).__name__}: {exc}"
        weights, n_iter, solve_time, why = self._start_weights(grid), 0, 0.0, None
        if _dense(weights, problem):
            return None, f"the warm start has {_dense(weights, problem)}"
        for celer_tol in CELER_TOLS:
            try:
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # celer's ConvergenceWarning: the certificate decides
                    weights, iters = _celer_fit(celer, problem, features, y, weights, celer_tol, self.verbose)
                solve_time += time.perf_counter() - start
                n_iter += iters
            except Exception as exc:  # an optional accelerator: any failure falls back to CVXPY
                return None, f"celer failed: {type(exc).__name__}: {exc}"
            if not np.all(np.isfinite(weights)):
                return None, "celer returned non-finite weights"
            measure, cert, polished = self._finish(problem, grid, weights, Status.OPTIMAL)
            if cert.relative_gap <= self.tol:
                break
            why = f"celer's point has gridded relative gap {cert.relative_gap:.2e} > tol={self.tol:g}"
            if _dense(weights, problem):
                return None, f"{why} at celer tol {celer_tol:g}, with {_dense(weights, problem)}"
        else:
            return None, why
        celer_objective = float(problem.data_fit(features @ weights) + problem.reg * np.abs(weights).sum())
        return Outcome(
            measure=measure,
            gap_scope=cert.scope,
            status=Status.OPTIMAL,
            n_iter=n_iter,
            dual_gap=cert.gap,
            message=f"CELER tol {celer_tol:g}; gridded relative gap {cert.relative_gap:.2e}",
            stats={
                "backend": "CELER",
                "backend_status": "optimal",
                "backend_objective": float(celer_objective),
                "backend_solve_time": solve_time,
                "compile_time": None,
                "grid_size": int(grid.shape[0]),
                "gap_scope": cert.scope,
                "polished": polished,
                "sup_eta": cert.sup_eta,
                "options": {"tol": celer_tol},
            },
        ), None

    def _solve(self, problem):
        fallback = None
        if self._uses_celer(problem):
            outcome, fallback = self._solve_celer(problem, self.grid_for(problem))
            if outcome is not None:
                return outcome
        backend = self._cvxpy_backend()
        cvx, r, grid = self.build(problem)
        options = {**backend.defaults, **(self.backend_options or {})}
        raw_status, message = solve_cvxpy(cvx, backend, options, self.verbose)
        status = CVXPY_STATUS_MAP.get(raw_status, Status.SOLVER_ERROR)
        weights = r.value
        if weights is None:
            weights = np.zeros(grid.shape[0])
            message = message or f"{backend.name} returned no point (status {raw_status})"
        elif not np.all(np.isfinite(weights)):
            weights = np.where(np.isfinite(weights), weights, 0.0)
            status = Status.NUMERICAL_ERROR
            message = f"{backend.name} returned non-finite weights; they were set to 0"
        measure, cert, polished = self._finish(problem, grid, weights, status)
        if status is Status.OPTIMAL and cert.relative_gap > self.tol:
            status = Status.OPTIMAL_INACCURATE
            message = (
                f"{backend.name} reported optimal, but the gridded relative gap "
                f"{cert.relative_gap:.2e} exceeds tol={self.tol:g}"
            )
        if not message:
            message = f"{backend.name} status {raw_status}; gridded relative gap {cert.relative_gap:.2e}"
        stats = cvx.solver_stats
        extra = {} if fallback is None else {"fallback": fallback}
        return Outcome(
            measure=measure,
            gap_scope=cert.scope,
            status=status,
            n_iter=(stats.num_iters or 0) if stats is not None else 0,
            dual_gap=cert.gap,
            message=message,
            stats={
                "backend": backend.name,
                "backend_status": raw_status,
                "backend_objective": (cvx.value * self.objective_scale(problem)
                                      if raw_status != "solver_error" and cvx.value is not None else None),
                "backend_solve_time": stats.solve_time if stats is not None else None,
                "compile_time": getattr(cvx, "compilation_time", None),
                "grid_size": int(grid.shape[0]),
                "gap_scope": cert.scope,
                "polished": polished,
                "sup_eta": cert.sup_eta,
                "options": options,
                **extra,
            },
        )


def _dense(weights, problem):
    """Why ``weights`` is in the dense regime (:data:`DENSE_FRACTION`), or ``""``."""
    atoms = np.count_nonzero(weights)
    if atoms < DENSE_FRACTION * problem.n_samples:
        return ""
    return f"{atoms} atoms >= {DENSE_FRACTION:g} n: the dense regime, where coordinate descent crawls"


def _celer_fit(celer, problem, features, y, start, celer_tol, verbose):
    """celer's weights at ``problem.reg`` from ``start``, to its tolerance ``celer_tol``: ``(weights, iterations)``."""
    if problem.loss.name == "squared":
        est = celer.Lasso(alpha=problem.reg, fit_intercept=False, tol=celer_tol, verbose=int(verbose))
        _, coefs, _, n_iter = est.path(features, y, np.array([problem.reg]), coef_init=start)
        return np.asarray(coefs[:, 0], dtype=float), int(np.sum(n_iter))
    C = 1.0 / (problem.n_samples * problem.reg)
    est = celer.LogisticRegression(C=C, tol=celer_tol, fit_intercept=False, verbose=int(verbose))
    coefs, _ = est.path(features, y, np.array([C]), solver="celer-pn", coef_init=start)
    return np.asarray(coefs[:, 0], dtype=float), 0


def _is_auto(backend):
    return isinstance(backend, str) and backend.lower() == "auto"


def _polish(problem, measure):
    """Optimality conditions on the support of ``measure``.

    Squared loss, penalized: the exact LASSO conditions on the sign pattern
    (:func:`solvers._lasso.polish`). Otherwise: the exact weights on the
    support (``solvers._weights.fit_weights``, which ends with a Newton
    polish on the sign pattern).
    """
    if problem.loss.name == "squared" and problem.penalized:
        phi = problem.features(measure.support)
        n = problem.n_samples
        r = polish(phi.T @ phi / n, phi.T @ problem.y / n, problem.reg, measure.weights)
    else:
        r, _ = fit_weights(problem, measure.support, r0=measure.weights)
    return None if r is None else DiscreteMeasure(r, measure.support).prune(0.0)
