r"""Sliding Frank-Wolfe on the sphere: Frank-Wolfe steps, then the atoms slide (smoothly, or exactly over ReLU patterns)."""

import importlib.util
import time

import numpy as np

from measureopt._validation import check_int, check_positive
from measureopt.exceptions import IncompatibleSolverError, SolverNotInstalledError
from measureopt.measures import DiscreteMeasure
from measureopt.oracles import LocalOracle

from ._loop import History, progress
from ._result import Status
from .backends import available_backends
from .exact_relu import PATTERN_LOSSES, adjacent_patterns, solve_patterns
from .frank_wolfe import _ConditionalGradient

__all__ = ["SlidingFrankWolfe"]

_SLIDES = ("auto", "patterns", "smooth", "both")


def _patterns_available():
    """bool: CVXPY and Clarabel, which solve the pattern programs, are installed (checked without importing)."""
    return importlib.util.find_spec("cvxpy") is not None and "CLARABEL" in available_backends()




class SlidingFrankWolfe(_ConditionalGradient):
    r"""Sliding Frank-Wolfe on the sphere (Denoyelle, Duval, Peyré & Soubies, 2019).

    Each iteration:

    1. **LMO**: :math:`\theta^\star = \arg\max|c_q|` with :math:`q =
       -\ell'(f(\cdot;\nu))` (Berthier 2018, eq. 5), by the local oracle.
    2. **Corrective step**: add :math:`\theta^\star` and re-solve the weights
       of all atoms exactly (``solvers._weights``: LASSO for the squared
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
        ``"max_iter"``), and the default certified oracle gets the same
        budget for each certificate (its gap is then valid, maybe not tight).
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
    Problems 36 (2019). Eloïse Berthier. On convex neural networks (2018),
    Sec. 4.1-4.2. M. Pilanci and T. Ergen. Neural networks are convex regularizers: exact polynomial-time
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
