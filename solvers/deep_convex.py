"""Program (21) of Fang et al. (2022) solved with CVXPY (Clarabel or SCS), with a gap we recompute."""

import time

import numpy as np

from measureopt._validation import check_positive
from measureopt.deep import DeepConvexProgram, LayeredMeasure
from measureopt.oracles import Scope

from ._base import Outcome, Solver
from ._result import Status
from .backends import CVXPY_STATUS_MAP, check_backend_options, get_backend, solve_cvxpy

__all__ = ["DeepConvex"]

#: Our options for Program (21), over the backends' defaults. Clarabel stops at 1e-8 (not GridConvex's
#: 1e-10): on these programs 1e-10 took 55-127 iterations and often ended "almost solved", 1e-8 about 25,
#: and the gap is recomputed by the library anyway (tol 1e-6 on it decides "optimal").
DEEP_OPTIONS = {"CLARABEL": {"tol_gap_abs": 1e-8, "tol_gap_rel": 1e-8, "tol_feas": 1e-8}}
#: Reported "atoms kept": mass above this fraction of the layer's largest (an interior point leaves
#: the others near the backend's tolerance rather than at 0).
KEPT_RTOL = 1e-6


def build_deep_program(problem):
    r"""The CVXPY model of Program (21): matrix expressions, one equation per layer, no loop over atoms.

    The layer equations are projected on the range of the features below
    (``problem.bases``), which drops their redundant rows, and atoms outside
    that range get density 0. The quad-over-lin terms :math:`a_j^2/p_j` are epigraphs :math:`t_j`
    with the rotated cones :math:`\lVert(2a_j, t_j - p_j)\rVert \le t_j +
    p_j` (which hold :math:`0/0 = 0`), all of a layer in one ``SOC``; the
    fan-outs :math:`a_j \ge \sum_k\pi_k|\tilde w_{jk}|` are one vector
    inequality.

    Returns
    -------
    cvx : cvxpy.Problem
    variables : dict
        ``"p"`` (list), ``"wt"`` (list), ``"ut"``, and ``"layers"``: the
        constraints whose multipliers are :math:`\Gamma_2, \dots, \Gamma_L`.
    """
    import cvxpy as cp

    L, K, pi, H = problem.n_layers, problem.widths, problem.pi, problem.features
    N, d = problem.X.shape
    if problem.densities is None:
        p = [cp.Variable(k, nonneg=True, name=f"p{l + 1}") for l, k in enumerate(K)]
    else:  # fixed densities: constants (the program is over the connections only)
        p = [cp.Constant(np.asarray(v)) for v in problem.densities]
    wt = [cp.Variable((K[l - 1], K[l]), name=f"wt{l + 1}") for l in range(1, L)]
    ut = cp.Variable((K[-1], problem.n_outputs), name="ut")
    cons = [pi[l] @ p[l] == 1 for l in range(L)] if problem.densities is None else []
    # each layer's equation projected on the range of its features (problem.bases): the same
    # feasible set without the redundant rows that slow interior-point methods down
    # atoms with pi = 0 carry no mass and appear nowhere else: their columns are left out
    layers = []
    for l in range(1, L):
        cols = np.flatnonzero(pi[l] > 0)
        Z = problem.bases[l - 1]["atoms"][:, cols]
        layers.append(Z @ cp.diag(p[l][cols]) == problem.bases[l - 1]["SVt"] @ wt[l - 1][:, cols])
    for l in range(1, L):
        out = np.flatnonzero(~problem.bases[l - 1]["representable"])
        if out.size and problem.densities is None:
            cons.append(p[l][out] == 0)
    F = (H[-1] * pi[-1]) @ ut
    if problem.loss == "squared":
        data = cp.sum_squares(F - problem.Y) / (2 * N)
    else:
        data = (cp.sum(cp.log_sum_exp(F, axis=1)) - cp.sum(cp.multiply(F, problem.Y))) / N
    objective = data
    if problem.reg[0] > 0:
        objective += problem.reg[0] / d * cp.sum_squares((np.abs(problem.atoms[0]) * pi[0][:, None]).T @ p[0])
    for l in range(1, L):
        a, t = cp.Variable(K[l - 1], nonneg=True), cp.Variable(K[l - 1], nonneg=True)
        cons += [a >= cp.abs(wt[l - 1]) @ pi[l], cp.SOC(t + p[l - 1], cp.vstack([2 * a, t - p[l - 1]]), axis=0)]
        objective += problem.reg[l] * (pi[l - 1] @ t)
    t = cp.Variable(K[-1], nonneg=True)
    cons.append(cp.SOC(t + p[-1], cp.vstack([2 * ut.T, cp.reshape(t - p[-1], (1, K[-1]), order="C")]), axis=0))
    objective += problem.reg_u * (pi[-1] @ t)
    cvx = cp.Problem(cp.Minimize(objective), cons + layers)
    return cvx, {"p": p, "wt": wt, "ut": ut, "layers": layers}


class DeepConvex(Solver):
    r"""Solve Program (21) (:class:`~measureopt.deep.DeepConvexProgram`) with CVXPY.

    The model (:func:`build_deep_program`) goes to Clarabel (tolerances
    1e-8, :data:`DEEP_OPTIONS`) or SCS (``eps_abs = eps_rel = 1e-9``,
    200,000 iterations: at its defaults SCS stops near 1e-4; on this
    program it is slow and its point inaccurate, which the recomputed gap
    shows). The backend's point is then made exactly feasible
    (:meth:`~measureopt.deep.DeepConvexProgram.repair`: densities
    normalized, connections corrected by least squares), and the gap is
    recomputed by the library, not read from the backend:

    ``dual_gap``
        :math:`J(\text{point}) - D(\Gamma)`, with :math:`D` the Lagrange dual
        function of (21) at the backend's multipliers of the layer
        constraints (:meth:`~measureopt.deep.DeepConvexProgram.dual_bound`,
        a lower bound on the optimum for *any* multipliers). It bounds
        :math:`J(\text{point}) - J^\star` for Program (21) over the given
        atoms (``gap_scope = "grid"``: the atoms play the grid's part); the
        point is feasible to ``stats["feasibility"]``.

    The result is ``"optimal"`` when the recomputed relative gap is at most
    ``tol`` and the repaired point is feasible to 1e-9, also when the
    backend stopped short (``"optimal_inaccurate"``, an iteration limit):
    the certificate is the library's own. A backend's "optimal" with a
    larger gap becomes ``"optimal_inaccurate"``.

    Parameters
    ----------
    backend : {"CLARABEL", "SCS"}, default="CLARABEL"
    backend_options : dict, optional
        Override our options of the backend.
    tol : float, default=1e-6
        Relative gap required for ``"optimal"``.
    verbose : bool, default=False

    Examples
    --------
    >>> import numpy as np
    >>> import solvers
    >>> from measureopt.deep import DeepConvexProgram
    >>> X = np.linspace(-1, 1, 12)[:, None] * [1.0, 0.0] + [0.0, 1.0]
    >>> prob = DeepConvexProgram.random(X, np.sin(3 * X[:, 0]), widths=[10, 8], reg=1e-3, reg_u=1e-3)
    >>> res = solvers.DeepConvex().solve(prob)
    >>> res.status, res.relative_gap < 1e-6
    (<Status.OPTIMAL: 'optimal'>, True)
    """

    _problem_type = DeepConvexProgram
    _problem_words = "Program (21) (a measureopt.deep.DeepConvexProgram)"
    #: Relative constraint violation of the repaired point allowed for ``"optimal"``.
    feasibility_tol = 1e-9

    def __init__(self, backend="CLARABEL", backend_options=None, tol=1e-6, verbose=False):
        get_backend(backend)
        check_backend_options(backend_options, backend)
        check_positive(tol, "tol")
        self.backend = backend
        self.backend_options = backend_options
        self.tol = tol
        self.verbose = verbose

    def _convergence_hint(self):
        backend = get_backend(self.backend)
        return f"Tighten the backend tolerances or raise backend_options[{backend.iteration_option!r}]."

    def _solve(self, problem):
        backend = get_backend(self.backend)
        start = time.perf_counter()
        cvx, var = build_deep_program(problem)
        build_time = time.perf_counter() - start
        options = {**backend.defaults, **DEEP_OPTIONS.get(backend.name, {}), **(self.backend_options or {})}
        raw_status, message = solve_cvxpy(cvx, backend, options, self.verbose)
        status = CVXPY_STATUS_MAP.get(raw_status, Status.SOLVER_ERROR)
        L, K = problem.n_layers, problem.widths
        values = [np.asarray(v.value) if v.value is not None else None for v in (*var["p"], *var["wt"], var["ut"])]
        if any(v is None or not np.all(np.isfinite(v)) for v in values):
            # no usable point: the uniform densities with zero connections (feasible only if the atoms vanish)
            raw = LayeredMeasure(problem.atoms, problem.pi, [np.ones(k) for k in K],
                                 [np.zeros((K[l - 1], K[l])) for l in range(1, L)],
                                 np.zeros((K[-1], problem.n_outputs)), problem.activation)
            if status.success:
                status = Status.NUMERICAL_ERROR
            return Outcome(raw, status, _iterations(cvx), np.nan, message or
                           f"{backend.name} returned no finite point (status {raw_status})",
                           stats=self._stats(cvx, backend, raw_status, build_time, options), gap_scope=Scope.NONE)
        raw = LayeredMeasure(problem.atoms, problem.pi, values[:L], values[L:2 * L - 1], values[-1],
                             problem.activation)
        point = problem.repair(raw)
        gammas = []
        for l, c in enumerate(var["layers"]):
            g = np.zeros((problem.X.shape[0], K[l + 1]))
            if c.dual_value is not None:
                g[:, problem.pi[l + 1] > 0] = problem.bases[l]["U"] @ np.asarray(c.dual_value, dtype=float)
            gammas.append(g)
        # the dual function is a bound for any multipliers: take the better of the two sign conventions
        gaps = [problem.duality_gap(point, [s * g for g in gammas]) for s in (1.0, -1.0)]
        gap = min(gaps, key=lambda g: g.gap)
        certified = gap.relative_gap <= self.tol and gap.residual <= self.feasibility_tol
        if status is Status.OPTIMAL and not certified:
            status = Status.OPTIMAL_INACCURATE
            message = (f"{backend.name} reported optimal, but the recomputed relative gap is "
                       f"{gap.relative_gap:.2e} (tol {self.tol:g}) and the repaired point's feasibility "
                       f"{gap.residual:.1e}")
        elif status in (Status.OPTIMAL_INACCURATE, Status.MAX_ITER) and certified:
            # the certificate is the library's own: it decides, whatever the backend's last word
            status = Status.OPTIMAL
            message = (f"{backend.name} stopped with {raw_status!r}, but the recomputed relative gap "
                       f"{gap.relative_gap:.2e} meets tol {self.tol:g} at a feasible point")
        if not message:
            message = (f"{backend.name}: {raw_status}; relative gap {gap.relative_gap:.2e}, feasibility "
                       f"{gap.residual:.1e}")
        stats = self._stats(cvx, backend, raw_status, build_time, options)
        stats.update(dual=gap.dual, feasibility=gap.residual, backend_feasibility=problem.feasibility(raw),
                     atoms_kept=[len(k) for k in point.kept(KEPT_RTOL)])
        return Outcome(point, status, _iterations(cvx), gap.gap, message, stats=stats, gap_scope=Scope.GRID)

    @staticmethod
    def _stats(cvx, backend, raw_status, build_time, options):
        solver_stats = getattr(cvx, "solver_stats", None)
        return {
            "backend": backend.name,
            "backend_status": raw_status,
            "backend_objective": float(cvx.value) if cvx.value is not None and np.isfinite(cvx.value) else None,
            "backend_solve_time": getattr(solver_stats, "solve_time", None),
            "compile_time": getattr(cvx, "compilation_time", None),
            "build_time": build_time,
            "options": options,
        }


def _iterations(cvx):
    stats = getattr(cvx, "solver_stats", None)
    n = getattr(stats, "num_iters", None)
    return int(n) if n is not None else 0
