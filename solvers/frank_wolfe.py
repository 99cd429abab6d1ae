r"""Frank-Wolfe (conditional gradient) for measure problems, on and off the grid.

:class:`FrankWolfe` here and :class:`~solvers.SlidingFrankWolfe`
(:mod:`solvers.sliding_frank_wolfe`, which shares ``_ConditionalGradient``)
minimize :math:`J(\nu) = F(\nu) + G(\nu)` with the data term
:math:`F(\nu) = \frac1n\sum_i\ell(f(x_i;\nu), y_i)` and
:math:`G = \lambda\lVert\cdot\rVert_{TV}` (penalized: BLASSO, Akiyama &
Suzuki eq. 8; variation-norm ERM, Berthier eq. 8) or the constraint
:math:`\lVert\nu\rVert_{TV}\le\delta` (Berthier eq. 2, 4), by adding one atom
per iteration, found by the linear minimization oracle (LMO)
:math:`\arg\max_\theta |c_q(\theta)|` with :math:`q = -\ell'(f)`
(Berthier eq. 5-7). They only use the problem protocol
(:class:`~measureopt.problems.MeasureProblem`): any loss, either form.
"""

import time

import numpy as np

from measureopt._validation import check_int, check_positive
from measureopt.measures import DiscreteMeasure
from measureopt.oracles import GridOracle, LocalOracle, Scope, SupResult, certified_oracle

from ._base import Outcome, Solver
from ._loop import History, progress
from ._result import Status
from ._weights import fit_weights

__all__ = ["FrankWolfe"]

_STEPS = ("line_search", "open_loop")


class _ConditionalGradient(Solver):
    """Shared pieces: checks, oracles, the corrective step, history and the certificate."""

    _requires = {"loss": ("squared", "logistic"), "penalty": ("tv", "tv_ball")}
    #: Budget in seconds (``SlidingFrankWolfe`` takes it as a parameter).
    max_time = None

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
            # branch-and-bound only needs to be tight to a tenth of the target gap (looser boxes
            # settle sooner; a valid upper bound either way), within the solver's time budget
            cert = certified_oracle(problem, rtol=min(1e-7, self.tol / 10), max_time=self.max_time)
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
        polish, ``solvers._lasso``) and drop the zeros.
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
    Eloïse Berthier. On convex neural networks (2018), Sec. 4.1-4.2, eq. (5)-(7).
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
