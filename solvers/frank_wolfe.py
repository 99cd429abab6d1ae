r"""Frank-Wolfe (conditional gradient) solvers for BLASSO, on and off the grid.

Both solvers minimize :math:`J(\nu) = F(\nu) + \lambda\lVert\nu\rVert_{TV}`
with :math:`F(\nu) = \frac1{2n}\lVert y - \Phi\nu\rVert^2` (Akiyama &
Suzuki, 2021, eq. 8) by adding one atom per iteration, found by the linear
minimization oracle (LMO) :math:`\arg\max_\theta |c_q(\theta)|`, the
neuron oracle of Berthier et al. (2020, eq. 7) with :math:`q = y - \Phi\nu`.
"""

import time

import numpy as np

from measureopt._validation import check_int, check_positive
from measureopt.exceptions import IncompatibleSolverError
from measureopt.measures import DiscreteMeasure
from measureopt.oracles import GridOracle, LocalOracle, certified_oracle

from . import _lasso
from .base import Outcome, Solver
from .result import Status

__all__ = ["FrankWolfe", "SlidingFrankWolfe"]

_STEPS = ("line_search", "open_loop")


class _ConditionalGradient(Solver):
    """Shared pieces: checks, oracles, the corrective step, history and the certificate."""

    _required_problem_attrs = (
        "features", "objective", "dual_certificate", "residual", "y", "reg", "dim", "loss", "X",
        "activation", "n_samples",
    )

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
        if problem.loss != "squared":
            raise IncompatibleSolverError(
                f"{type(self).__name__} handles the squared loss; got loss {problem.loss!r}"
            )
        lmo = LocalOracle() if self.oracle is None else self.oracle
        if self.certificate_oracle is not None:
            cert = self.certificate_oracle
        elif isinstance(lmo, GridOracle):
            cert = lmo  # a Frank-Wolfe on a grid certifies the gridded problem
        else:
            cert = certified_oracle(problem)
        return lmo, cert

    @staticmethod
    def _corrective(problem, support, weights):
        """Exact LASSO on the weights of fixed atoms, then drop the zeros."""
        phi = problem.features(support)
        r, _ = _lasso.lasso(phi, problem.y, problem.reg, r0=weights)
        keep = r != 0
        return support[keep], r[keep]

    @staticmethod
    def _estimate(problem, q, primal, sup):
        """Duality gap with the LMO's sup (an estimate unless the LMO is certified)."""
        scale = 1.0 if sup <= problem.reg else problem.reg / sup
        return primal - problem.dual_objective(scale * q)

    @staticmethod
    def _outcome(measure, status, n_iter, cert, message, hist, lmo, cert_oracle, **stats):
        if not message:
            message = f"{n_iter} iterations; certified relative gap {cert.relative_gap:.2e} ({cert.scope})"
        return Outcome(
            measure=measure, status=status, n_iter=n_iter, dual_gap=cert.gap, message=message,
            history={key: np.asarray(v, dtype=float) for key, v in hist.items()},
            stats={"gap_scope": cert.scope, "sup_eta": cert.sup_eta, "sup_eta_upper": cert.sup_eta_upper,
                   "oracle": repr(lmo), "certificate_oracle": repr(cert_oracle), **stats},
        )

    def _progress(self, total):
        if not self.verbose:
            return None
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=type(self).__name__, unit="it", leave=False)


class FrankWolfe(_ConditionalGradient):
    r"""Conditional gradient for BLASSO (Berthier et al., 2020, Sec. 4.1-4.2, eq. 5-7).

    The penalized problem is written in epigraph form over the compact set
    :math:`K = \{(\nu, t): \lVert\nu\rVert_{TV} \le t \le M\}`,

    .. math::

        \min_{(\nu,t)\in K} F(\nu) + \lambda t, \qquad
        M = \frac{F(0)}{\lambda} = \frac{\lVert y\rVert^2}{2n\lambda},

    which has the same solutions since :math:`\lambda\lVert\nu^\star\rVert_{TV}
    \le J(\nu^\star) \le J(0) = F(0)`. The extreme points of :math:`K` are
    :math:`(0, 0)` and :math:`(\pm M\delta_\theta, M)`, so the LMO is the
    neuron oracle :math:`\theta_t = \arg\max|c_q|`, :math:`s_t = \operatorname{sign}
    c_q(\theta_t)`, and the vertex is :math:`(s_tM\delta_{\theta_t}, M)` when
    :math:`|c_q(\theta_t)| > \lambda`, else :math:`(0, 0)`. The update is
    :math:`(\nu, t) \leftarrow (1-\gamma)(\nu, t) + \gamma\,\text{vertex}`
    with :math:`\gamma = 2/(k+2)` (``step="open_loop"``) or the exact line
    search on the quadratic (``step="line_search"``). The Frank-Wolfe gap

    .. math:: g_{FW} = \langle\nabla F(\nu), \nu - \nu_s\rangle + \lambda(t - t_s)
              \ge J(\nu) - J^\star

    is recorded in the history (exact when the LMO is exact).

    Parameters
    ----------
    step : {"line_search", "open_loop"}, default="line_search"
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
        (continuous problem).
    verbose : bool, default=False
        Show a progress bar.

    Notes
    -----
    ``Result.dual_gap`` is :meth:`~measureopt.BLASSO.dual_certificate`'s gap
    with ``certificate_oracle`` (``stats["gap_scope"]`` says which problem
    it certifies). The certified oracle is called only when the LMO's
    estimate of the gap is below ``tol``, and at the end. ``history`` holds,
    per iteration, ``objective``, ``fw_gap``, ``gap_estimate``, ``n_atoms``
    and ``time``.

    References
    ----------
    R. Berthier, F. Bach, P. Gaillard. Tight nonparametric convergence rates
    for stochastic gradient descent under the noiseless linear model.
    Sec. 4.1-4.2, eq. (5)-(7).
    """

    def __init__(self, step="line_search", corrective=False, max_iter=1000, tol=1e-6,
                 oracle=None, certificate_oracle=None, verbose=False):
        if step not in _STEPS:
            raise ValueError(f"step must be one of {_STEPS}; got {step!r}")
        self.step = step
        self.corrective = bool(corrective)
        self._init_common(max_iter, tol, oracle, certificate_oracle, verbose)

    def _params(self):
        return {"step": self.step, "corrective": self.corrective}

    def _solve(self, problem):
        lmo, cert_oracle = self._oracles(problem)
        n, reg, d = problem.n_samples, problem.reg, problem.dim
        y = problem.y
        M = float(y @ y) / (2 * n * reg)
        support = np.zeros((0, d))
        weights = np.zeros(0)
        t_epi = 0.0
        pred = np.zeros(n)
        hist = {k: [] for k in ("objective", "fw_gap", "gap_estimate", "n_atoms", "time")}
        status, message = Status.MAX_ITER, ""
        cert = None
        bar = self._progress(self.max_iter)
        k = 0
        for k in range(1, self.max_iter + 1):
            tick = time.perf_counter()
            q = y - pred
            primal = float(q @ q / (2 * n) + reg * np.abs(weights).sum())
            found = lmo.maximize(problem, q)
            estimate = self._estimate(problem, q, primal, found.value)
            if found.value > reg:
                atom = found.argmax
                f_s = M * found.sign * problem.features(atom[None, :])[:, 0]
                t_s = M
            else:
                atom, f_s, t_s = None, np.zeros(n), 0.0
            fw_gap = float(-(q @ (pred - f_s)) / n + reg * (t_epi - t_s))
            hist["objective"].append(primal)
            hist["fw_gap"].append(fw_gap)
            hist["gap_estimate"].append(estimate)
            hist["n_atoms"].append(len(weights))
            if estimate <= self.tol * primal:
                cert = problem.dual_certificate(DiscreteMeasure(weights, support), oracle=cert_oracle)
                if cert.relative_gap <= self.tol:
                    hist["time"].append(time.perf_counter() - tick)
                    status = Status.OPTIMAL
                    break
                if cert.sup_eta * reg > found.value:
                    atom, found_sign = cert.argmax, 1.0 if problem.correlation(q, cert.argmax[None])[0] >= 0 else -1.0
                    f_s, t_s = M * found_sign * problem.features(atom[None, :])[:, 0], M
                    found = type(found)(atom, cert.sup_eta * reg, cert.sup_eta_upper * reg, found_sign, found.scope)
                elif atom is None:
                    hist["time"].append(time.perf_counter() - tick)
                    status = Status.OPTIMAL_INACCURATE
                    message = (
                        f"the LMO finds no better atom, but the certified relative gap "
                        f"{cert.relative_gap:.2e} exceeds tol={self.tol:g} (a loose sup bound)"
                    )
                    break
            diff = f_s - pred
            if self.step == "open_loop":
                gamma = 2.0 / (k + 2)
            else:
                denom = float(diff @ diff) / n
                gamma = 1.0 if denom == 0 else float(np.clip((q @ diff / n - reg * (t_s - t_epi)) / denom, 0.0, 1.0))
            weights = (1 - gamma) * weights
            t_epi = (1 - gamma) * t_epi + gamma * t_s
            if atom is not None and gamma > 0:
                close = np.flatnonzero(np.all(np.isclose(support, atom, rtol=0, atol=1e-12), axis=1)) if len(support) else []
                if len(close):
                    weights[close[0]] += gamma * found.sign * M
                else:
                    support = np.vstack([support, atom])
                    weights = np.append(weights, gamma * found.sign * M)
            if self.corrective and len(weights):
                support, weights = self._corrective(problem, support, weights)
                t_epi = float(np.abs(weights).sum())
            keep = weights != 0
            support, weights = support[keep], weights[keep]
            pred = problem.features(support) @ weights if len(weights) else np.zeros(n)
            if not np.all(np.isfinite(pred)):
                status, message = Status.NUMERICAL_ERROR, "non-finite predictions"
                hist["time"].append(time.perf_counter() - tick)
                break
            hist["time"].append(time.perf_counter() - tick)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(objective=f"{primal:.6g}", gap=f"{estimate:.2e}")
        if bar is not None:
            bar.close()
        measure = DiscreteMeasure(weights, support)
        if cert is None or status is not Status.OPTIMAL:
            cert = problem.dual_certificate(measure, oracle=cert_oracle)
            if status is Status.MAX_ITER and cert.relative_gap <= self.tol:
                status = Status.OPTIMAL
        return self._outcome(measure, status, k, cert, message, hist, lmo, cert_oracle, bound_M=M)


class SlidingFrankWolfe(_ConditionalGradient):
    r"""Sliding Frank-Wolfe on the sphere (Denoyelle, Duval, Peyré & Soubies, 2019).

    Each iteration:

    1. **LMO**: :math:`\theta^\star = \arg\max|c_q|` with :math:`q = y -
       \Phi\nu` (Berthier et al., 2020, eq. 7), by the local oracle.
    2. **Corrective step**: add :math:`\theta^\star` and re-solve the weights
       of all atoms exactly (LASSO, :mod:`solvers._lasso`).
    3. **Sliding**: jointly descend :math:`J` in the weights
       :math:`r_j = s_j a_j` (signs fixed, :math:`a_j \ge 0`) and the
       positions, written :math:`\theta_j = z_j/\lVert z_j\rVert` so that every
       iterate is on the sphere (the projection retraction), with L-BFGS-B.
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
        L-BFGS-B iterations per sliding step.
    oracle, certificate_oracle : sup-oracles, optional
        As in :class:`FrankWolfe`.
    verbose : bool, default=False
        Show a progress bar.

    Notes
    -----
    ``history`` holds per outer iteration ``objective``, ``gap_estimate``,
    ``n_atoms`` and ``time``. ``Result.dual_gap`` certifies the continuous
    problem (``stats["gap_scope"] == "sphere"``) with the default oracles.

    References
    ----------
    Q. Denoyelle, V. Duval, G. Peyré, E. Soubies. The sliding Frank-Wolfe
    algorithm and its application to super-resolution microscopy. Inverse
    Problems 36 (2019). R. Berthier et al., Sec. 4.1-4.2.
    """

    def __init__(self, max_iter=50, tol=1e-6, merge_tol=1e-6, slide_iter=500, oracle=None,
                 certificate_oracle=None, verbose=False):
        self.merge_tol = check_positive(merge_tol, "merge_tol", strict=False)
        self.slide_iter = check_int(slide_iter, "slide_iter", minimum=1)
        self._init_common(max_iter, tol, oracle, certificate_oracle, verbose)

    def _params(self):
        return {"max_iter": self.max_iter, "tol": self.tol}

    def _convergence_hint(self):
        return "Raise max_iter, or pass a tighter certificate_oracle."

    def _slide(self, problem, support, weights):
        """Joint L-BFGS-B descent of weights (signs fixed) and positions."""
        from scipy.optimize import minimize

        X, act, y, n, reg = problem.X, problem.activation, problem.y, problem.n_samples, problem.reg
        k, d = support.shape
        signs = np.sign(weights)

        def fun(v):
            a, Z = v[:k], v[k:].reshape(k, d)
            zn = np.linalg.norm(Z, axis=1)
            theta = Z / zn[:, None]
            u = X @ theta.T
            res = y - act(u) @ (signs * a)
            value = res @ res / (2 * n) + reg * a.sum()
            g_r = -(act(u).T @ res) / n
            g_theta = -((act.derivative(u) * res[:, None]).T @ X) / n * (signs * a)[:, None]
            g_z = (g_theta - np.sum(g_theta * theta, axis=1)[:, None] * theta) / zn[:, None]
            return value, np.concatenate([signs * g_r + reg, g_z.ravel()])

        v0 = np.concatenate([np.abs(weights), support.ravel()])
        bounds = [(0.0, None)] * k + [(None, None)] * (k * d)
        out = minimize(fun, v0, jac=True, method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": self.slide_iter, "ftol": 1e-15, "gtol": 1e-13})
        if not np.all(np.isfinite(out.x)) or out.fun > fun(v0)[0]:
            return support, weights
        Z = out.x[k:].reshape(k, d)
        return Z / np.linalg.norm(Z, axis=1, keepdims=True), signs * out.x[:k]

    @staticmethod
    def _lmo(lmo, problem, q, support, rng, spread=0.05, per_atom=4):
        """The LMO, also started next to the current atoms when it is a local oracle.

        Near an atom :math:`|\\eta| = 1`, and a direction just above 1 there
        (an atom that should split across a ReLU kink) is invisible from a
        coarse grid.
        """
        if not isinstance(lmo, LocalOracle) or len(support) == 0:
            return lmo.maximize(problem, q)
        near = np.repeat(support, per_atom, axis=0) + spread * rng.standard_normal((len(support) * per_atom, support.shape[1]))
        near /= np.linalg.norm(near, axis=1, keepdims=True)
        return lmo.maximize(problem, q, extra=near)

    def _solve(self, problem):
        lmo, cert_oracle = self._oracles(problem)
        n, reg, d = problem.n_samples, problem.reg, problem.dim
        measure = DiscreteMeasure.zero(d)
        rng = np.random.default_rng(0)
        hist = {k: [] for k in ("objective", "gap_estimate", "n_atoms", "time")}
        status, message, cert = Status.MAX_ITER, "", None
        bar = self._progress(self.max_iter)
        it = 0
        for it in range(1, self.max_iter + 1):
            tick = time.perf_counter()
            q = problem.residual(measure)
            primal = float(q @ q / (2 * n) + reg * measure.total_variation)
            found = self._lmo(lmo, problem, q, measure.support, rng)
            estimate = self._estimate(problem, q, primal, found.value)
            atom, sup = found.argmax, found.value
            stop = False
            if estimate <= self.tol * primal:
                cert = problem.dual_certificate(measure, oracle=cert_oracle)
                if cert.relative_gap <= self.tol:
                    status, stop = Status.OPTIMAL, True
                elif cert.sup_eta * reg > sup * (1 + 1e-12):
                    atom, sup = cert.argmax, cert.sup_eta * reg
                else:
                    status, stop = Status.OPTIMAL_INACCURATE, True
                    message = (
                        f"no direction beats the current atoms, but the certified relative gap "
                        f"{cert.relative_gap:.2e} exceeds tol={self.tol:g}: the oracle's upper "
                        f"bound {cert.sup_eta_upper:.12g} is loose"
                    )
            hist["objective"].append(primal)
            hist["gap_estimate"].append(estimate)
            hist["n_atoms"].append(measure.n_atoms)
            if stop:
                hist["time"].append(time.perf_counter() - tick)
                break
            support = np.vstack([measure.support, atom])
            weights = np.append(measure.weights, 0.0)
            support, weights = self._corrective(problem, support, weights)
            if len(weights):
                support, weights = self._slide(problem, support, weights)
                merged = DiscreteMeasure(weights, support).prune(0.0).merge(self.merge_tol)
                support, weights = self._corrective(problem, merged.support, merged.weights)
            measure = DiscreteMeasure(weights, support) if len(weights) else DiscreteMeasure.zero(d)
            if not np.all(np.isfinite(measure.weights)):
                status, message = Status.NUMERICAL_ERROR, "non-finite weights"
                hist["time"].append(time.perf_counter() - tick)
                break
            hist["time"].append(time.perf_counter() - tick)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(objective=f"{primal:.6g}", atoms=measure.n_atoms, gap=f"{estimate:.2e}")
        if bar is not None:
            bar.close()
        if cert is None or status is Status.MAX_ITER:
            cert = problem.dual_certificate(measure, oracle=cert_oracle)
        return self._outcome(measure, status, it, cert, message, hist, lmo, cert_oracle)
