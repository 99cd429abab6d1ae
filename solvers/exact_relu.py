r"""The exact convex program of two-layer ReLU networks over activation patterns."""


import numpy as np

from measureopt._validation import check_int, check_positive, check_random_state
from measureopt.arrangement import arrangement_patterns
from measureopt.measures import DiscreteMeasure
from measureopt.oracles import certified_oracle

from ._base import Outcome, Solver
from ._result import Status
from ._weights import fit_weights
from .backends import CVXPY_STATUS_MAP, get_backend, solve_cvxpy

__all__ = ["ExactReLU", "arrangement_patterns"]  # arrangement_patterns: re-exported from measureopt.arrangement

_PATTERN_MODES = ("enumerate", "sample")


class ExactReLU(Solver):
    r"""The exact convex program of a two-layer ReLU network (DESIGN.md; Pilanci & Ergen, 2020).

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
    program is built with matrices (one CVXPY variable of shape ``(P, d)``
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
    ICML 2020. ``../shared/DESIGN.md``, "exact ReLU program".
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
        self.backend_options = backend_options
        self.tol = check_positive(tol, "tol")
        check_random_state(random_state)
        self.random_state = random_state
        self.verbose = verbose

    def _check(self, problem):
        if self.patterns == "enumerate" and problem.dim > 3:
            raise ValueError(
                f"ExactReLU(patterns='enumerate') enumerates the arrangement for d <= 3; the problem "
                f"has d = {problem.dim}. Use patterns='sample' (an upper bound unless certified)."
            )

    def build(self, problem, masks):
        """CVXPY model for the patterns ``masks`` (P, n); returns ``(problem, U, U_neg)``."""
        import cvxpy as cp

        X, y, n = problem.features.inputs, problem.y, problem.n_samples
        P, d = masks.shape[0], problem.dim
        M = masks.T.astype(float)  # (n, P)
        S = 2.0 * M - 1.0
        U = cp.Variable((P, d), name="u")
        V = cp.Variable((P, d), name="u_neg")
        XU, XV = X @ U.T, X @ V.T
        pred = cp.sum(cp.multiply(M, XU - XV), axis=1)
        objective = cp.sum_squares(y - pred) / (2 * n) + problem.reg * (
            cp.sum(cp.norm(U, 2, axis=1)) + cp.sum(cp.norm(V, 2, axis=1))
        )
        constraints = [cp.multiply(S, XU) >= 0, cp.multiply(S, XV) >= 0]
        return cp.Problem(cp.Minimize(objective), constraints), U, V

    def _solve(self, problem):
        self._check(problem)
        masks = arrangement_patterns(problem.features.inputs, self.patterns, self.n_patterns,
                                     check_random_state(self.random_state))
        if len(masks) > self.max_patterns:
            raise ValueError(
                f"the arrangement has {len(masks)} patterns, above max_patterns={self.max_patterns} "
                f"(n = {problem.n_samples}, d = {problem.dim}); raise max_patterns or use "
                "patterns='sample'"
            )
        backend = get_backend(self.backend)
        cvx, U, V = self.build(problem, masks)
        options = {**backend.defaults, **(self.backend_options or {})}
        raw, message = solve_cvxpy(cvx, backend, options, self.verbose)
        status = CVXPY_STATUS_MAP.get(raw, Status.SOLVER_ERROR)
        d = problem.dim
        if U.value is None or V.value is None or not (np.all(np.isfinite(U.value)) and np.all(np.isfinite(V.value))):
            measure = DiscreteMeasure.zero(d)
            if status.success:
                status = Status.NUMERICAL_ERROR
            message = message or f"{backend.name} returned no finite point (status {raw})"
        else:
            vecs = np.concatenate([U.value, V.value])
            norms = np.linalg.norm(vecs, axis=1)
            keep = norms > 1e-9 * max(norms.max(initial=0.0), 1e-300)
            signs = np.concatenate([np.ones(len(U.value)), -np.ones(len(V.value))])[keep]
            measure = DiscreteMeasure(signs * norms[keep], vecs[keep] / norms[keep, None])
            if measure.n_atoms:
                measure = measure.merge(1e-9)
                w, _ = fit_weights(problem, measure.support, r0=measure.weights)
                polished = DiscreteMeasure(w, measure.support).prune(0.0)
                if problem.objective(polished) <= problem.objective(measure):
                    measure = polished
        cert = problem.dual_certificate(measure, oracle=certified_oracle(problem))
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
            measure=measure, status=status, gap_scope=cert.scope,
            n_iter=(cvx.solver_stats.num_iters or 0) if cvx.solver_stats is not None else 0,
            dual_gap=cert.gap, message=message,
            stats={"gap_scope": cert.scope, "exact": exact, "n_patterns": int(len(masks)),
                   "backend": backend.name, "backend_status": raw,
                   "backend_objective": cvx.value if raw != "solver_error" else None,
                   "sup_eta": cert.sup_eta, "sup_eta_upper": cert.sup_eta_upper},
        )

    def _convergence_hint(self):
        if self.patterns == "sample":
            return "Sampled patterns give an upper bound; raise n_patterns."
        return "Tighten the backend tolerances."
