r"""Frank-Wolfe (conditional gradient) solvers for measure problems, on and off the grid.

Both solvers minimize :math:`J(\nu) = F(\nu) + G(\nu)` with the data term
:math:`F(\nu) = \frac1n\sum_i\ell(f(x_i;\nu), y_i)` and
:math:`G = \lambda\lVert\cdot\rVert_{TV}` (penalized: BLASSO, Akiyama &
Suzuki eq. 8; variation-norm ERM, Berthier eq. 8) or the constraint
:math:`\lVert\nu\rVert_{TV}\le\delta` (Berthier eq. 2, 4), by adding one atom
per iteration, found by the linear minimization oracle (LMO)
:math:`\arg\max_\theta |c_q(\theta)|` with :math:`q = -\ell'(f)`
(Berthier eq. 5-7). They only use the problem protocol
(:class:`~measureopt.problems.MeasureProblem`): any loss, either form.
"""

import importlib.util
import time

import numpy as np

from measureopt._validation import check_int, check_positive
from measureopt.exceptions import IncompatibleSolverError, SolverNotInstalledError
from measureopt.measures import DiscreteMeasure
from measureopt.oracles import BranchAndBound, GridOracle, LocalOracle, Scope, SupResult, certified_oracle

from ._base import Outcome, Solver
from ._loop import History, progress
from ._result import Status
from ._weights import fit_weights
from .backends import available_backends
from .exact_relu import PATTERN_LOSSES, adjacent_patterns, solve_patterns

__all__ = ["FrankWolfe", "SlidingFrankWolfe"]

_STEPS = ("line_search", "open_loop")
_SLIDES = ("auto", "patterns", "smooth", "both")


def _patterns_available():
    """bool: CVXPY and Clarabel, which solve the pattern programs, are installed (checked without importing)."""
    return importlib.util.find_spec("cvxpy") is not None and "CLARABEL" in available_backends()


class _ConditionalGradient(Solver):
    """Shared pieces: checks, oracles, the corrective step, history and the certificate."""

    _requires = {"loss": ("squared", "logistic"), "penalty": ("tv", "tv_ball")}

    def _init_common(self, max_iter, tol, oracle, certificate_oracle, verbose):
        self.max_iter = check_int(max_iter, "max_iter", minimum=1)
        self.tol = check_positive(tol, "tol")
        for name, value in (("oracle", oracle), ("certificate_oracle", certificate_oracle)):
            if value is not None and not callable(getattr(value, "maximize", None)):
                raise TypeError(
                    f"{name} must have a maximize(problem, q) method; got {type(value).__name__}"
                )
        self.oracle = oracle
        self.certificate_oracle = certificate_oracle
        self.verbose = verbose

    def _oracles(self, problem):
        lmo = LocalOracle() if self.oracle is None else self.oracle
        if self.certificate_oracle is not None:
            cert = self.certificate_oracle
        elif isinstance(lmo, GridOracle):
            cert = lmo  # a Frank-Wolfe on a grid certifies the gridded problem
        else:
            cert = certified_oracle(problem)
            if isinstance(cert, BranchAndBound):
                # the bound only needs to be tight to a tenth of the target gap: looser boxes
                # settle sooner (a valid upper bound either way)
                cert = BranchAndBound(rtol=min(cert.rtol * 10, self.tol / 10))
        return lmo, cert

    @staticmethod
    def _corrective(problem, support, weights):
        """Exact weights on fixed atoms (:func:`solvers._weights.fit_weights`), then drop the zeros."""
        r, _ = fit_weights(problem, support, r0=weights)
        keep = r != 0
        return support[keep], r[keep]

    @staticmethod
    def _estimate(problem, q, primal, sup):
        """Duality gap with the LMO's sup (an estimate unless the LMO is certified)."""
        return primal - problem.dual_bound(q, sup)[0]

    @staticmethod
    def _from_certificate(problem, cert):
        """The certificate's argmax as a :class:`SupResult` in units of :math:`c_q`."""
        c = problem.penalty.certificate_scale
        return SupResult(cert.argmax, cert.sup_eta * c, cert.sup_eta_upper * c, cert.sign, cert.scope)

    def _certify(self, problem, measure, cert_oracle):
        """The certificate, telling an adaptive oracle that a relative gap of ``tol`` is enough."""
        return problem.dual_certificate(measure, oracle=cert_oracle, tol=self.tol, precision=1e-2)

    @staticmethod
    def _outcome(measure, status, n_iter, cert, message, hist, lmo, cert_oracle, **stats):
        if not message:
            kind = "certified" if cert.scope in (Scope.GRID, Scope.SPHERE) else "estimated, not certified,"
            message = f"{n_iter} iterations; {kind} relative gap {cert.relative_gap:.2e} ({cert.scope})"
        return Outcome(
            measure=measure, status=status, n_iter=n_iter, dual_gap=cert.gap, message=message,
            gap_scope=cert.scope, gap_exhausted=cert.exhausted,
            history={key: np.asarray(v, dtype=float) for key, v in hist.items()},
            stats={"gap_scope": cert.scope, "sup_eta": cert.sup_eta, "sup_eta_upper": cert.sup_eta_upper,
                   "oracle": repr(lmo), "certificate_oracle": repr(cert_oracle), **stats},
        )



class FrankWolfe(_ConditionalGradient):
    r"""Conditional gradient over measures (Berthier 2018, Sec. 4.1, eq. 5-7), both forms, any loss.

    **Constrained form** :math:`\min_{\lVert\nu\rVert_{TV}\le\delta} F(\nu)`:
    the ball's extreme points are :math:`\pm\delta\,\delta_\theta`, so the LMO
    is the neuron oracle :math:`\theta_t = \arg\max|c_q|`, :math:`q =
    -\ell'(f_t)`, and the vertex is :math:`s_t\delta\,\delta_{\theta_t}`
    (Berthier eq. 5).

    **Penalized form** :math:`\min F(\nu) + \lambda\lVert\nu\rVert_{TV}`,
    written in epigraph form over the compact set
    :math:`K = \{(\nu, t): \lVert\nu\rVert_{TV} \le t \le M\}`,

    .. math::

        \min_{(\nu,t)\in K} F(\nu) + \lambda t, \qquad
        M = \frac{F(0)}{\lambda}

    (:math:`\frac{\lVert y\rVert^2}{2n\lambda}` for the squared loss,
    :math:`\frac{\log 2}{\lambda}` for the logistic one), which has the same
    solutions since :math:`\lambda\lVert\nu^\star\rVert_{TV} \le J(\nu^\star)
    \le J(0) = F(0)`. The extreme points of :math:`K` are :math:`(0, 0)` and
    :math:`(\pm M\delta_\theta, M)`; the vertex is :math:`(s_tM\delta_{\theta_t},
    M)` when :math:`|c_q(\theta_t)| > \lambda`, else :math:`(0, 0)`.

    The update is :math:`(\nu, t) \leftarrow (1-\gamma)(\nu, t) + \gamma\,\text{vertex}`
    with :math:`\gamma = 2/(k+2)` (``step_rule="open_loop"``) or the line search
    (``step_rule="line_search"``): exact for the squared loss, a safeguarded 1-D
    Newton method for the logistic loss. The Frank-Wolfe gap

    .. math:: g_{FW} = \langle\nabla F(\nu), \nu - \nu_s\rangle + \lambda(t - t_s)
              \ge J(\nu) - J^\star

    (:math:`\lambda = 0` for the constrained form) is recorded in the
    history; with the oracle's upper bound in place of the LMO's value it is
    the certified gap of :meth:`~measureopt.problems.MeasureProblem.dual_certificate`,
    which is the stopping test.

    Parameters
    ----------
    step_rule : {"line_search", "open_loop"}, default="line_search"
    corrective : bool, default=False
        Fully corrective variant: after each new atom, re-solve the weights
        of all current atoms exactly (coordinate descent and a sign-pattern
        polish, :mod:`solvers._lasso`) and drop the zeros.
    max_iter : int, default=1000
    tol : float, default=1e-6
        Stop when the certified duality gap is at most ``tol * J(nu)``.
    oracle : sup-oracle, optional
        The LMO; :class:`~measureopt.oracles.LocalOracle` by default. A
        :class:`~measureopt.oracles.GridOracle` makes this a solver of the
        gridded problem.
    certificate_oracle : sup-oracle, optional
        Oracle of the reported ``dual_gap``: the LMO when it is a grid
        oracle, else :func:`~measureopt.oracles.certified_oracle`
        (continuous problem; where that is branch-and-bound, its ``rtol``
        is ``min(1e-7, tol / 10)``: tight enough for the target gap).
    verbose : bool, default=False
        Show a progress bar.

    Notes
    -----
    ``Result.dual_gap`` is :meth:`~measureopt.BLASSO.dual_certificate`'s gap
    with ``certificate_oracle`` (``Result.gap_scope`` says which problem
    it certifies). The certified oracle is called only when the LMO's
    estimate of the gap is below ``tol``, and at the end. ``history`` holds,
    per iteration, ``objective``, ``fw_gap``, ``gap_estimate``, ``n_atoms``
    and ``time``.

    References
    ----------
    R. Berthier. On convex neural networks (2018), Sec. 4.1-4.2, eq. (5)-(7).
    """

    def __init__(self, step_rule="line_search", corrective=False, max_iter=1000, tol=1e-6,
                 oracle=None, certificate_oracle=None, verbose=False):
        if step_rule not in _STEPS:
            raise ValueError(f"step_rule must be one of {_STEPS}; got {step_rule!r}")
        self.step_rule = step_rule
        self.corrective = bool(corrective)
        self._init_common(max_iter, tol, oracle, certificate_oracle, verbose)

    def _solve(self, problem):
        lmo, cert_oracle = self._oracles(problem)
        n, d = problem.n_samples, problem.dim
        w_t = problem.penalty.epigraph_weight  # lambda (penalized) or 0 (constrained)
        M = problem.vertex_mass()
        support = np.zeros((0, d))
        weights = np.zeros(0)
        t_epi = 0.0
        pred = np.zeros(n)
        hist = History(("objective", "fw_gap", "gap_estimate", "n_atoms", "time"))
        status, message = Status.MAX_ITER, ""
        cert = None
        bar = progress(self, self.max_iter)
        k = 0
        for k in range(1, self.max_iter + 1):
            tick = time.perf_counter()
            q = problem.dual_vector(prediction=pred)
            primal = float(problem.data_fit(pred) + w_t * np.abs(weights).sum())
            found = lmo.maximize(problem.features, q)
            estimate = self._estimate(problem, q, primal, found.value)
            vertex = problem.vertex(found)
            n_atoms, stop = len(weights), None
            if estimate <= self.tol * primal:
                cert = self._certify(problem, DiscreteMeasure(weights, support), cert_oracle)
                better = self._from_certificate(problem, cert)
                if cert.relative_gap <= self.tol:
                    stop = Status.OPTIMAL
                elif better.value > found.value:
                    vertex = problem.vertex(better)
                elif vertex.mass == 0:
                    stop = Status.OPTIMAL_INACCURATE
                    message = (
                        f"the LMO finds no better atom, but the certified relative gap "
                        f"{cert.relative_gap:.2e} exceeds tol={self.tol:g} (a loose sup bound)"
                    )
            f_s = self._vertex_prediction(problem, vertex)
            fw_gap = float(-(q @ (pred - f_s)) / n + w_t * (t_epi - vertex.t))
            if stop is None:
                support, weights, t_epi, pred = self._step(problem, k, vertex, f_s, support, weights, t_epi, pred)
                if not np.all(np.isfinite(pred)):
                    stop, message = Status.NUMERICAL_ERROR, "non-finite predictions"
            hist.record(objective=primal, fw_gap=fw_gap, gap_estimate=estimate, n_atoms=n_atoms,
                        time=time.perf_counter() - tick)
            if stop is not None:
                status = stop
                break
            bar.update(1)
            bar.set_postfix(objective=f"{primal:.6g}", gap=f"{estimate:.2e}")
        bar.close()
        measure = DiscreteMeasure(weights, support)
        if cert is None or status is not Status.OPTIMAL:
            cert = self._certify(problem, measure, cert_oracle)
            if status is Status.MAX_ITER and cert.relative_gap <= self.tol:
                status = Status.OPTIMAL
        return self._outcome(measure, status, k, cert, message, hist.arrays(), lmo, cert_oracle, bound_M=M)

    @staticmethod
    def _vertex_prediction(problem, vertex):
        if vertex.mass == 0:
            return np.zeros(problem.n_samples)
        return vertex.sign * vertex.mass * problem.features(vertex.theta[None, :])[:, 0]

    def _step(self, problem, k, vertex, f_s, support, weights, t_epi, pred):
        r"""One Frank-Wolfe update towards ``vertex`` (then the corrective step when asked)."""
        w_t = problem.penalty.epigraph_weight
        diff = f_s - pred
        if self.step_rule == "open_loop":
            gamma = 2.0 / (k + 2)
        else:
            gamma = _line_search(problem.loss, problem.y, pred, diff, w_t * (vertex.t - t_epi))
        weights = (1 - gamma) * weights
        t_epi = (1 - gamma) * t_epi + gamma * vertex.t
        if vertex.mass > 0 and gamma > 0:
            atom = vertex.theta
            close = np.flatnonzero(np.all(np.isclose(support, atom, rtol=0, atol=1e-12), axis=1)) if len(support) else []
            if len(close):
                weights[close[0]] += gamma * vertex.sign * vertex.mass
            else:
                support = np.vstack([support, atom])
                weights = np.append(weights, gamma * vertex.sign * vertex.mass)
        if self.corrective and len(weights):
            support, weights = self._corrective(problem, support, weights)
            t_epi = float(np.abs(weights).sum())
        keep = weights != 0
        support, weights = support[keep], weights[keep]
        pred = problem.features(support) @ weights if len(weights) else np.zeros(problem.n_samples)
        return support, weights, t_epi, pred


def _line_search(loss, y, pred, diff, slope, max_iter=60):
    r"""Exact line search :math:`\min_{\gamma\in[0,1]} \frac1n\sum_i\ell(f_i + \gamma\Delta_i) + \gamma\,\text{slope}`.

    A safeguarded 1-D Newton method on the derivative, bracketed in
    :math:`[0, 1]` (bisection when a Newton step leaves the bracket). For the
    squared loss the first Newton step from 0 is the exact minimizer.
    """
    n = len(y)

    def d1(g):
        return float(loss.derivative(pred + g * diff, y) @ diff) / n + slope

    def d2(g):
        return float(loss.second_derivative(pred + g * diff, y) @ (diff * diff)) / n

    v0 = d1(0.0)
    if v0 >= 0:
        return 0.0
    if d1(1.0) <= 0:
        return 1.0
    lo, hi, g, v = 0.0, 1.0, 0.0, v0
    scale = abs(v0)
    for _ in range(max_iter):
        h = d2(g)
        g_new = g - v / h if h > 0 else 0.5 * (lo + hi)
        if not lo < g_new < hi:
            g_new = 0.5 * (lo + hi)
        g = g_new
        v = d1(g)
        if abs(v) <= 1e-13 * scale or hi - lo <= 1e-15:
            break
        if v > 0:
            hi = g
        else:
            lo = g
    return g


class SlidingFrankWolfe(_ConditionalGradient):
    r"""Sliding Frank-Wolfe on the sphere (Denoyelle, Duval, Peyré & Soubies, 2019).

    Each iteration:

    1. **LMO**: :math:`\theta^\star = \arg\max|c_q|` with :math:`q =
       -\ell'(f(\cdot;\nu))` (Berthier 2018, eq. 5), by the local oracle.
    2. **Corrective step**: add :math:`\theta^\star` and re-solve the weights
       of all atoms exactly (:mod:`solvers._weights`: LASSO for the squared
       loss, FISTA and a Newton polish otherwise; on the :math:`\ell_1` ball
       for the constrained form).
    3. **Sliding**, one of two kinds, or both in turn (``slide``):

       * ``"smooth"``: penalized form, jointly descend :math:`J` in the
         weights :math:`r_j = s_j a_j` (signs fixed, :math:`a_j \ge 0`) and the
         positions; constrained form, descend the positions with the weights
         fixed (the next corrective step re-solves them on the ball).
         Positions are written :math:`\theta_j = z_j/\lVert z_j\rVert` so
         that every iterate is on the sphere (the projection retraction);
         L-BFGS-B.
       * ``"patterns"`` (ReLU features): the exact optimum over the closed
         cells of the current atoms. With :math:`\mathcal P` the activation
         patterns :math:`D_p = \operatorname{diag}(\mathbb{1}\{X\theta > 0\})`
         of the atoms and of :math:`\theta^\star` (for an atom on hyperplanes
         :math:`x_i^\perp`, the patterns of every cell around it:
         :func:`~solvers.exact_relu.adjacent_patterns`), solve the convex
         program of Pilanci & Ergen restricted to :math:`\mathcal P`
         (:func:`~solvers.exact_relu.pattern_program`),

         .. math::

             \min_{u_p, u'_p\in K_p}\ \frac1n\sum_i\ell\Bigl(\Bigl[\sum_{p\in\mathcal P}
             D_pX(u_p - u'_p)\Bigr]_i, y_i\Bigr) + \lambda\sum_{p\in\mathcal P}
             \bigl(\lVert u_p\rVert + \lVert u'_p\rVert\bigr),
             \qquad K_p = \{u: (2D_p - I)Xu \ge 0\}

         (the constraint :math:`\sum_p(\lVert u_p\rVert + \lVert u'_p\rVert)
         \le \delta` in the constrained form), whose value is
         :math:`\min\{J(\nu): \operatorname{supp}\nu\subset\bigcup_{p\in\mathcal P}K_p\}`;
         the atoms are :math:`u_p/\lVert u_p\rVert` with weight
         :math:`\lVert u_p\rVert` and :math:`u'_p/\lVert u'_p\rVert` with
         weight :math:`-\lVert u'_p\rVert`. The smooth slide stalls at the
         kinks :math:`\langle\theta, x_i\rangle = 0` of ReLU features; this
         step is exact through them. At its solution :math:`|c_q| \le
         \lambda` on every cell of :math:`\mathcal P` (penalized form;
         :math:`|c_q| \le \max|c_q|` over the support in the constrained
         one), so a direction the
         oracle finds above :math:`\lambda` lies in a new cell and the value
         strictly decreases: no pattern set repeats, and with a certified
         oracle the method stops after finitely many iterations (with or
         without a smooth slide before the program, which never raises
         :math:`J`).

    4. **Prune and merge**: drop zero weights, merge atoms closer than
       ``merge_tol`` (geodesic), then re-solve the weights.

    It stops when the duality gap certified on the whole sphere (by
    :func:`~measureopt.oracles.certified_oracle`) is at most ``tol`` times
    the objective. The certified oracle runs only once the local oracle's
    estimate is below ``tol``; if it finds a better direction, that direction
    becomes the next atom.

    Parameters
    ----------
    max_iter : int, default=50
        Outer iterations (atoms added).
    tol : float, default=1e-6
        Target relative certified gap.
    merge_tol : float, default=1e-6
        Atoms closer than this (radians) are merged.
    slide_iter : int, default=500
        L-BFGS-B iterations per smooth sliding step.
    oracle, certificate_oracle : sup-oracles, optional
        As in :class:`FrankWolfe`.
    verbose : bool, default=False
        Show a progress bar.
    warm_start : DiscreteMeasure or Result, optional
        Start from this measure (e.g. a trained network's,
        :func:`~measureopt.from_network`) instead of zero: its weights are
        re-solved exactly on its support first.
    max_time : float, optional
        Budget in seconds: no new outer iteration starts past it (status
        ``"max_iter"``), and each certificate gets the same budget (its gap is
        then valid, maybe not tight).
    slide : {"auto", "both", "patterns", "smooth"}, default="auto"
        The sliding step (3. above). ``"both"``: the smooth slide, then the
        pattern program on the cells of the atoms before and after it. The
        program alone moves an atom only into cells next to its own (or
        where the oracle puts a new atom), which takes many iterations when
        the cells are small (large ``n`` and ``D``); the smooth slide
        crosses many of them at once, and the program then makes the step
        exact at the kinks. ``"auto"``: for ReLU features with the squared
        or logistic loss, when CVXPY and Clarabel are installed,
        ``"patterns"`` for ``D <= 3`` (the oracle's exact argmax lands in
        the right cell, and the smooth slide only costs time); ``"smooth"``
        for ``D >= 4`` and otherwise. A program has :math:`2n|\mathcal P|`
        cone constraints, so at large ``n`` and ``D`` one costs more than it
        gains (seconds per iteration at ``D = 21``, ``n = 800``); at moderate
        sizes ``"both"`` reaches a tight gap sooner (``D = 5``, ``n = 200``:
        ``benchmarks/sfw_patterns.py``). ``"patterns"``
        and ``"both"`` on other problems raise
        :class:`~measureopt.exceptions.IncompatibleSolverError`.

    Notes
    -----
    ``history`` holds per outer iteration ``objective``, ``gap_estimate``,
    ``n_atoms`` and ``time``. ``Result.dual_gap`` certifies the continuous
    problem (``Result.gap_scope == "sphere"``) with the default oracles.
    ``stats`` holds ``slide`` (the kind that ran), ``slide_time`` (seconds
    spent in sliding steps), and with pattern programs ``n_programs`` and
    ``max_n_patterns`` (the largest :math:`|\mathcal P|`). A pattern program
    the backend fails on falls back to the smooth slide for that iteration.

    References
    ----------
    Q. Denoyelle, V. Duval, G. Peyré, E. Soubies. The sliding Frank-Wolfe
    algorithm and its application to super-resolution microscopy. Inverse
    Problems 36 (2019). R. Berthier et al., Sec. 4.1-4.2. M. Pilanci and
    T. Ergen. Neural networks are convex regularizers: exact polynomial-time
    convex optimization formulations for two-layer networks. ICML 2020,
    eq. (8) and Theorem 1.

    Examples
    --------
    >>> import measureopt as mo, solvers
    >>> data = mo.teacher_student(n=30, d=2, m=2, seed=0)
    >>> res = solvers.SlidingFrankWolfe().solve(mo.BLASSO(data.X, data.y, reg=1e-2))
    >>> res.status, res.stats["slide"]
    (<Status.OPTIMAL: 'optimal'>, 'patterns')
    """

    def __init__(self, max_iter=50, tol=1e-6, merge_tol=1e-6, slide_iter=500, oracle=None,
                 certificate_oracle=None, verbose=False, slide="auto", warm_start=None, max_time=None):
        self.merge_tol = check_positive(merge_tol, "merge_tol", strict=False)
        measure = getattr(warm_start, "measure", warm_start)
        if measure is not None and not isinstance(measure, DiscreteMeasure):
            raise TypeError(
                f"warm_start must be a DiscreteMeasure, a Result or None; got {type(warm_start).__name__}"
            )
        self.warm_start = warm_start
        self.max_time = None if max_time is None else check_positive(max_time, "max_time")
        self.slide_iter = check_int(slide_iter, "slide_iter", minimum=1)
        if slide not in _SLIDES:
            raise ValueError(f"slide must be one of {_SLIDES}; got {slide!r}")
        self.slide = slide
        self._init_common(max_iter, tol, oracle, certificate_oracle, verbose)

    def _slide_kind(self, problem):
        """The sliding step that runs on ``problem``: ``self.slide``, with ``"auto"`` resolved and the rest checked."""
        fits = problem.features.is_relu and problem.loss.name in PATTERN_LOSSES
        if self.slide == "smooth":
            return "smooth"
        if self.slide == "auto":
            if not (fits and _patterns_available()):
                return "smooth"
            return "patterns" if problem.dim <= 3 else "smooth"
        if not fits:
            raise IncompatibleSolverError(
                f"SlidingFrankWolfe(slide={self.slide!r}) needs ReLU features and the squared or logistic "
                f"loss; got activation {problem.activation!r}, loss {problem.loss.name!r}. Use slide='smooth'."
            )
        if not _patterns_available():
            raise SolverNotInstalledError(
                f"SlidingFrankWolfe(slide={self.slide!r}) solves its pattern programs with CVXPY and "
                "Clarabel; install them with 'pip install cvxpy clarabel', or use slide='smooth'"
            )
        return self.slide

    @staticmethod
    def _pattern_slide(problem, atoms, support, weights):
        """Exact optimum over the closed cells of ``atoms`` (:func:`~solvers.exact_relu.solve_patterns`).

        Returns ``(support, weights, n_patterns, solved)``: the input point
        when the program's is not better, and ``solved=False`` when the
        backend failed (the caller then slides smoothly).
        """
        masks = adjacent_patterns(problem.features.inputs, atoms)
        if len(masks) == 0:
            return support, weights, 0, True
        fit = solve_patterns(problem, masks)
        if not fit.status.success:
            return support, weights, len(masks), False
        current = problem.objective(DiscreteMeasure(weights, support) if len(weights)
                                    else DiscreteMeasure.zero(problem.dim))
        if fit.measure.n_atoms and problem.objective(fit.measure) <= current:
            return fit.measure.support, fit.measure.weights, len(masks), True
        return support, weights, len(masks), True

    def _convergence_hint(self):
        return "Raise max_iter, or pass a tighter certificate_oracle."

    def _slide(self, problem, support, weights):
        """L-BFGS-B descent of positions, and of the weights (signs fixed) in the penalized form."""
        from scipy.optimize import minimize

        X, act, y, n = problem.features.inputs, problem.activation, problem.y, problem.n_samples
        loss, penalized = problem.loss, problem.penalized
        reg = problem.reg if penalized else 0.0
        k, d = support.shape
        signs = np.sign(weights)
        fixed = np.abs(weights)

        def fun(v):
            a, Z = (v[:k], v[k:].reshape(k, d)) if penalized else (fixed, v.reshape(k, d))
            zn = np.linalg.norm(Z, axis=1)
            theta = Z / zn[:, None]
            u = X @ theta.T
            pred = act(u) @ (signs * a)
            value = loss.mean(pred, y) + reg * a.sum()
            g_f = loss.derivative(pred, y)  # -q
            g_theta = ((act.derivative(u) * g_f[:, None]).T @ X) / n * (signs * a)[:, None]
            g_z = (g_theta - np.sum(g_theta * theta, axis=1)[:, None] * theta) / zn[:, None]
            if not penalized:
                return value, g_z.ravel()
            g_r = (act(u).T @ g_f) / n
            return value, np.concatenate([signs * g_r + reg, g_z.ravel()])

        v0 = np.concatenate([fixed, support.ravel()]) if penalized else support.ravel().copy()
        bounds = ([(0.0, None)] * k if penalized else []) + [(None, None)] * (k * d)
        out = minimize(fun, v0, jac=True, method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": self.slide_iter, "ftol": 1e-15, "gtol": 1e-13})
        if not np.all(np.isfinite(out.x)) or out.fun > fun(v0)[0]:
            return support, weights
        Z = out.x[k:].reshape(k, d) if penalized else out.x.reshape(k, d)
        a = out.x[:k] if penalized else fixed
        return Z / np.linalg.norm(Z, axis=1, keepdims=True), signs * a

    @staticmethod
    def _lmo(lmo, problem, q, support, rng, spread=0.05, per_atom=4):
        """The LMO, also started next to the current atoms when it is a local oracle.

        Near an atom :math:`|\\eta| = 1`, and a direction just above 1 there
        (an atom that should split across a ReLU kink) is invisible from a
        coarse grid.
        """
        if not isinstance(lmo, LocalOracle) or len(support) == 0:
            return lmo.maximize(problem.features, q)
        near = np.repeat(support, per_atom, axis=0) + spread * rng.standard_normal((len(support) * per_atom, support.shape[1]))
        near /= np.linalg.norm(near, axis=1, keepdims=True)
        return lmo.maximize(problem.features, q, extra=near)

    def _start(self, problem):
        """The warm start with its weights re-solved exactly, or the zero measure."""
        measure = getattr(self.warm_start, "measure", self.warm_start)
        if measure is None or measure.n_atoms == 0:
            return DiscreteMeasure.zero(problem.dim)
        problem.check_measure(measure)
        merged = measure.prune(0.0).merge(self.merge_tol)
        support, weights = self._corrective(problem, merged.support, merged.weights)
        return DiscreteMeasure(weights, support) if len(weights) else DiscreteMeasure.zero(problem.dim)

    def _solve(self, problem):
        kind = self._slide_kind(problem)
        lmo, cert_oracle = self._oracles(problem)
        if self.max_time is not None and isinstance(cert_oracle, BranchAndBound) and cert_oracle.max_time is None:
            cert_oracle = BranchAndBound(rtol=cert_oracle.rtol, atol=cert_oracle.atol, max_boxes=cert_oracle.max_boxes,
                                         max_time=self.max_time, n_enumerate=cert_oracle.n_enumerate)
        d = problem.dim
        started = time.perf_counter()
        slide_time, n_programs, max_patterns = 0.0, 0, 0
        measure = self._start(problem)
        rng = np.random.default_rng(0)
        hist = History(("objective", "gap_estimate", "n_atoms", "time"))
        status, message, cert = Status.MAX_ITER, "", None
        bar = progress(self, self.max_iter)
        it = 0
        for it in range(1, self.max_iter + 1):
            tick = time.perf_counter()
            if self.max_time is not None and tick - started > self.max_time:
                message = f"time limit max_time={self.max_time:g} s reached after {it - 1} iterations"
                it -= 1
                break
            pred = problem.predict(measure)
            q = problem.dual_vector(prediction=pred)
            primal = float(problem.data_fit(pred) + problem.penalty.value(measure.total_variation))
            found = self._lmo(lmo, problem, q, measure.support, rng)
            estimate = self._estimate(problem, q, primal, found.value)
            atom, sup = found.argmax, found.value
            stop = False
            if estimate <= self.tol * primal:
                cert = self._certify(problem, measure, cert_oracle)
                if cert.relative_gap <= self.tol:
                    status, stop = Status.OPTIMAL, True
                elif cert.sup_eta * problem.penalty.certificate_scale > sup * (1 + 1e-12):
                    atom, sup = cert.argmax, cert.sup_eta * problem.penalty.certificate_scale
                else:
                    status, stop = Status.OPTIMAL_INACCURATE, True
                    message = (
                        f"no direction beats the current atoms, but the certified relative gap "
                        f"{cert.relative_gap:.2e} exceeds tol={self.tol:g}: the oracle's upper "
                        f"bound {cert.sup_eta_upper:.12g} is loose"
                    )
            row = {"objective": primal, "gap_estimate": estimate, "n_atoms": measure.n_atoms}
            if stop:
                hist.record(**row, time=time.perf_counter() - tick)
                break
            support = np.vstack([measure.support, atom])
            weights = np.append(measure.weights, 0.0)
            atoms = support
            support, weights = self._corrective(problem, support, weights)
            slide_tick = time.perf_counter()
            solved = False
            if kind == "both" and len(weights):
                support, weights = self._slide(problem, support, weights)
                atoms = np.vstack([atoms, support])
            if kind in ("patterns", "both"):
                support, weights, n_patterns, solved = self._pattern_slide(problem, atoms, support, weights)
                n_programs += 1
                max_patterns = max(max_patterns, n_patterns)
            if len(weights) and not solved and kind != "both":
                support, weights = self._slide(problem, support, weights)
            slide_time += time.perf_counter() - slide_tick
            if len(weights):
                merged = DiscreteMeasure(weights, support).prune(0.0).merge(self.merge_tol)
                support, weights = self._corrective(problem, merged.support, merged.weights)
            measure = DiscreteMeasure(weights, support) if len(weights) else DiscreteMeasure.zero(d)
            if not np.all(np.isfinite(measure.weights)):
                status, message = Status.NUMERICAL_ERROR, "non-finite weights"
                hist.record(**row, time=time.perf_counter() - tick)
                break
            hist.record(**row, time=time.perf_counter() - tick)
            bar.update(1)
            bar.set_postfix(objective=f"{primal:.6g}", atoms=measure.n_atoms, gap=f"{estimate:.2e}")
        bar.close()
        if cert is None or status is Status.MAX_ITER:
            cert = self._certify(problem, measure, cert_oracle)
        extra = {"n_programs": n_programs, "max_n_patterns": max_patterns} if kind != "smooth" else {}
        return self._outcome(measure, status, it, cert, message, hist.arrays(), lmo, cert_oracle,
                             slide=kind, slide_time=slide_time, **extra)
