r"""The exact convex program of two-layer ReLU networks over activation patterns."""


import numpy as np

from measureopt._validation import check_int, check_positive
from measureopt.activations import is_relu
from measureopt.exceptions import IncompatibleSolverError
from measureopt.measures import DiscreteMeasure
from measureopt.oracles import certified_oracle

from . import _lasso
from .backends import CVXPY_STATUS_MAP, get_backend, solve_cvxpy
from .base import Outcome, Solver
from .result import Status

__all__ = ["ExactReLU", "arrangement_patterns"]

_PATTERN_MODES = ("enumerate", "sample")


def arrangement_patterns(X, mode="enumerate", n_patterns=2000, seed=0):
    r"""Activation patterns :math:`D = \operatorname{diag}(\mathbb{1}\{Xu \ge 0\})` of the data.

    Parameters
    ----------
    X : ndarray, shape (n, d)
    mode : {"enumerate", "sample"}
        ``"enumerate"`` (``d`` = 2 or 3) lists every full-dimensional cell of
        the arrangement of the hyperplanes :math:`x_i^\perp`: each cell
        touches a vertex (:math:`d = 2`: a normal of some :math:`x_i`;
        :math:`d = 3`: :math:`\pm x_i\times x_j`), and the cells around a
        vertex differ only in the signs of the hyperplanes through it.
        ``"sample"`` draws ``n_patterns`` Gaussian directions :math:`u`.
    n_patterns : int
        Directions drawn with ``mode="sample"``.
    seed : int or Generator

    Returns
    -------
    ndarray of bool, shape (P, n)
        Distinct nonzero patterns, one per row.
    """
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    if mode == "sample":
        rng = np.random.default_rng(seed)
        rows = rng.standard_normal((n_patterns, d)) @ X.T >= 0
    elif d == 2:
        normals = np.stack([-X[:, 1], X[:, 0]], axis=1)
        rows = _around_vertices(X, np.concatenate([normals, -normals]), np.tile(np.arange(n), 2)[:, None])
    elif d == 3:
        ii, jj = np.triu_indices(n, k=1)
        v = np.cross(X[ii], X[jj])
        idx = np.stack([ii, jj], axis=1)
        rows = _around_vertices(X, np.concatenate([v, -v]), np.concatenate([idx, idx]))
    else:
        raise ValueError(
            f"full enumeration of the arrangement handles d = 2 or 3; got d = {d}. "
            "Pass patterns='sample' to sample patterns (the result is then an upper bound)."
        )
    rows = np.unique(rows, axis=0)
    return rows[rows.any(axis=1)]


def _around_vertices(X, vertices, index):
    u = vertices @ X.T
    on = np.zeros_like(u, dtype=bool)
    np.put_along_axis(on, index, True, axis=1)
    base = (u > 0) & ~on
    out = []
    for signs in np.ndindex(*(2,) * index.shape[1]):
        rows = base.copy()
        for col, s in enumerate(signs):
            rows[np.arange(len(rows)), index[:, col]] = bool(s)
        out.append(rows)
    return np.concatenate(out)


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
    seed : int, default=0
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

    _required_problem_attrs = ("X", "y", "reg", "activation", "loss", "dual_certificate", "features")

    def __init__(self, patterns="enumerate", n_patterns=2000, max_patterns=5000, backend="CLARABEL",
                 backend_options=None, tol=1e-6, seed=0, verbose=False):
        if patterns not in _PATTERN_MODES:
            raise ValueError(f"patterns must be one of {_PATTERN_MODES}; got {patterns!r}")
        self.patterns = patterns
        self.n_patterns = check_int(n_patterns, "n_patterns", minimum=1)
        self.max_patterns = check_int(max_patterns, "max_patterns", minimum=1)
        get_backend(backend)
        self.backend = backend
        self.backend_options = backend_options
        self.tol = check_positive(tol, "tol")
        self.seed = seed
        self.verbose = verbose

    def _params(self):
        return {"patterns": self.patterns, "backend": self.backend.upper()}

    def _check(self, problem):
        act = problem.activation
        if not is_relu(act):
            raise IncompatibleSolverError(
                f"ExactReLU solves the ReLU program only; got activation {act!r}"
            )
        if problem.loss != "squared":
            raise IncompatibleSolverError(f"ExactReLU handles the squared loss; got {problem.loss!r}")
        if self.patterns == "enumerate" and problem.dim > 3:
            raise ValueError(
                f"ExactReLU(patterns='enumerate') enumerates the arrangement for d <= 3; the problem "
                f"has d = {problem.dim}. Use patterns='sample' (an upper bound unless certified)."
            )

    def build(self, problem, masks):
        """CVXPY model for the patterns ``masks`` (P, n); returns ``(problem, U, U_neg)``."""
        import cvxpy as cp

        X, y, n = problem.X, problem.y, problem.n_samples
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
        masks = arrangement_patterns(problem.X, self.patterns, self.n_patterns, self.seed)
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
                phi = problem.features(measure.support)
                w, _ = _lasso.lasso(phi, problem.y, problem.reg, r0=measure.weights)
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
            measure=measure, status=status,
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
