r"""Certified regularization paths: :func:`reg_path`, :class:`RegPath` and :func:`plot_path`."""

import time
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_X_y

from measureopt._frozen import Record
from measureopt._validation import check_int, check_positive
from measureopt.exceptions import ConvergenceWarning as SolverConvergenceWarning

from .._loop import progress
from .._result import Status
from ._common import build_problem, check_solver_spec, make_solver, path_reg_max, with_warm_start

__all__ = ["RegPath", "reg_path", "plot_path"]


@dataclass(frozen=True, eq=False)
class RegPath(Record):
    r"""A regularization path: one certified solution per reg, from :func:`reg_path`.

    Attributes
    ----------
    regs : ndarray of shape (n_regs,)
        Decreasing.
    reg_max : float
        :math:`\lambda_{\max}`: the zero measure is certified optimal for
        every reg at or above it (over the scope the solver certifies).
    results : tuple of Result
        The solve at each reg, its gap certified (``gap_scope``).
    times : ndarray of shape (n_regs,)
        Seconds per point.
    warm_started : bool
        Whether each point started from the previous solution.
    loss : str
    lift : bool
    """

    regs: np.ndarray
    reg_max: float
    results: tuple
    times: np.ndarray
    warm_started: bool = True
    loss: str = "squared"
    lift: bool = True

    def __len__(self):
        return len(self.results)

    @property
    def measures(self):
        """tuple of DiscreteMeasure: the solution at each reg."""
        return tuple(r.measure for r in self.results)

    @property
    def objectives(self):
        """ndarray: :math:`J_\\lambda(\\nu_\\lambda)` at each reg."""
        return np.array([r.objective for r in self.results])

    @property
    def dual_gaps(self):
        """ndarray: the certified gap at each reg (bounds :math:`J_\\lambda(\\nu_\\lambda) - J_\\lambda^\\star`)."""
        return np.array([r.dual_gap for r in self.results])

    @property
    def relative_gaps(self):
        """ndarray: ``dual_gaps / objectives``."""
        return np.array([r.relative_gap for r in self.results])

    @property
    def gap_scopes(self):
        """tuple of str: what each gap certifies (``"sphere"`` or ``"grid"``)."""
        return tuple(str(r.gap_scope) for r in self.results)

    @property
    def statuses(self):
        """tuple of Status."""
        return tuple(r.status for r in self.results)

    @property
    def tv_norms(self):
        """ndarray: :math:`\\lVert\\nu_\\lambda\\rVert_{TV}`, non-increasing in reg at the optimum."""
        return np.array([r.measure.total_variation for r in self.results])

    @property
    def n_neurons(self):
        """ndarray of int: atoms (neurons) at each reg."""
        return np.array([r.measure.n_atoms for r in self.results])

    @property
    def n_iters(self):
        """ndarray of int: solver iterations at each reg."""
        return np.array([r.n_iter for r in self.results])

    def __str__(self):
        lines = [f"RegPath: {len(self)} regs from {self.regs[0]:.3g} to {self.regs[-1]:.3g} (reg_max "
                 f"{self.reg_max:.4g}), {'warm' if self.warm_started else 'cold'} starts, "
                 f"{self.times.sum():.2f} s",
                 f"{'reg':>10} {'objective':>12} {'rel. gap':>9} {'scope':>6} {'TV':>9} {'neurons':>7} {'s':>6}"]
        for reg, r, t in zip(self.regs, self.results, self.times):
            lines.append(f"{reg:10.4g} {r.objective:12.6g} {r.relative_gap:9.2e} {str(r.gap_scope):>6} "
                         f"{r.measure.total_variation:9.4g} {r.measure.n_atoms:7d} {t:6.2f}")
        return "\n".join(lines)


def reg_path(X, y, *, loss="squared", regs=None, n_regs=30, eps=1e-3, activation="relu", lift=True,
             solver="auto", tol=1e-6, max_iter=50, grid=2000, random_state=None, warm_start=True,
             verbose=False):
    r"""Solve the penalized problem along a decreasing grid of regs, each point warm-started and certified.

    For each :math:`\lambda` of the path, the convex program of
    :class:`ConvexNetRegressor` (``loss="squared"``) or
    :class:`ConvexNetClassifier` (``loss="logistic"``, labels in
    :math:`\{-1, +1\}`),

    .. math::

        \min_\nu\ \frac1n\sum_{i=1}^n\ell\bigl(f(x_i;\nu), y_i\bigr) + \lambda\lVert\nu\rVert_{TV}

    (Berthier 2018, eq. 8), is solved from the previous point's solution,
    as :func:`sklearn.linear_model.lasso_path` does for the LASSO. The path
    starts at :math:`\lambda_{\max} = \sup_\theta|c_{q_0}(\theta)|`,
    :math:`q_0 = -\ell'(0)` (:meth:`~measureopt.MeasureProblem.reg_max`):
    the zero measure is optimal exactly when :math:`\lambda \ge
    \lambda_{\max}` (its dual certificate is then bounded by 1), and the
    sup is taken by the solver's certified oracle, so that the first point's
    zero solution is certified, not guessed.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    y : array_like of shape (n_samples,)
    loss : {"squared", "logistic"}, default="squared"
    regs : array_like, optional
        The regs, sorted here in decreasing order. By default ``n_regs``
        values log-spaced from ``reg_max`` down to ``eps * reg_max``.
    n_regs : int, default=30
    eps : float, default=1e-3
    activation, lift, solver, tol, max_iter, grid, random_state
        As in :class:`ConvexNetRegressor` (``solver="auto"``: sliding
        Frank-Wolfe certified on the sphere in low dimension, the grid
        above).
    warm_start : bool, default=True
        Start each point from the previous solution (``False``: cold
        solves, for comparison).
    verbose : bool, default=False
        A progress bar over the path.

    Returns
    -------
    RegPath
        Per reg: the measure, objective, certified gap and its scope, TV
        norm, neurons, time. A point that stops short of ``tol`` keeps its
        (valid) gap and status; one :class:`sklearn.exceptions.ConvergenceWarning`
        lists such points.

    See Also
    --------
    plot_path : The neurons' weights and the certified gaps against reg.
    ConvexNetRegressorCV : The reg chosen by cross-validation along such paths.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.estimators import reg_path
    >>> X = np.linspace(-1, 1, 30)[:, None]
    >>> path = reg_path(X, np.abs(X[:, 0]) - 0.5, n_regs=5, eps=1e-2)
    >>> int(path.n_neurons[0]), bool(np.all(np.diff(path.tv_norms) >= -1e-9))
    (0, True)
    >>> bool(np.all(path.relative_gaps <= 1e-6)), set(path.gap_scopes)
    (True, {'sphere'})
    """
    X, y = check_X_y(X, y, dtype=np.float64, y_numeric=True)
    check_solver_spec(solver)
    start_problem = build_problem(X, y, loss, 1.0, activation, lift)
    base = make_solver(solver, start_problem, tol=tol, max_iter=max_iter, grid=grid,
                       random_state=random_state, verbose=False)
    reg_max = path_reg_max(start_problem, base)
    regs = _path_regs(regs, n_regs, eps, reg_max)
    results, times, previous = [], [], None
    bar = progress(None, len(regs), verbose=verbose)
    for reg in regs:
        tick = time.perf_counter()
        problem = build_problem(X, y, loss, float(reg), activation, lift)
        point_solver = with_warm_start(base, previous) if warm_start else base
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SolverConvergenceWarning)  # one summary below
            result = point_solver.solve(problem)
        times.append(time.perf_counter() - tick)
        results.append(result)
        previous = result.measure
        bar.update(1)
        bar.set_postfix(reg=f"{reg:.3g}", neurons=result.measure.n_atoms, gap=f"{result.relative_gap:.1e}")
    bar.close()
    short = [f"{reg:.3g} ({r.status}, relative gap {r.relative_gap:.3e})"
             for reg, r in zip(regs, results) if r.status is not Status.OPTIMAL]
    if short:
        warnings.warn(f"reg_path: {len(short)} of {len(regs)} points stopped short of tol={tol:g}: "
                      + "; ".join(short[:5]) + ("; ..." if len(short) > 5 else "")
                      + ". Raise max_iter or tol.", ConvergenceWarning, stacklevel=2)
    return RegPath(regs=regs, reg_max=reg_max, results=tuple(results), times=np.asarray(times),
                   warm_started=bool(warm_start), loss=str(loss), lift=bool(lift))


def _path_regs(regs, n_regs, eps, reg_max):
    """The path's regs, decreasing: given, or ``n_regs`` log-spaced from ``reg_max`` to ``eps * reg_max``."""
    if regs is not None:
        regs = np.asarray(regs, dtype=float).ravel()
        if regs.size == 0 or not np.all(np.isfinite(regs)) or np.any(regs <= 0):
            raise ValueError(f"regs must be a non-empty array of positive finite values; got {regs!r}")
        return np.sort(regs)[::-1]
    check_int(n_regs, "n_regs", minimum=1)
    check_positive(eps, "eps")
    if not eps < 1:
        raise ValueError(f"eps must be in (0, 1); got {eps!r}")
    if not reg_max > 0:
        raise ValueError("reg_max is 0 (y is 0, or no feature correlates with it): every reg gives the zero "
                         "measure; pass regs explicitly")
    return reg_max * np.logspace(0.0, np.log10(eps), n_regs)


def _tracks(measures, max_angle=0.15):
    """Neuron tracks across consecutive measures: ``(reg index, weight)`` lists, matched by direction.

    Atoms of consecutive measures are paired by the assignment of least
    total angle (:func:`scipy.optimize.linear_sum_assignment`); a pair
    farther apart than ``max_angle`` radians, or of opposite signs, starts
    a new track.
    """
    from scipy.optimize import linear_sum_assignment

    tracks, open_tracks = [], {}
    for k, m in enumerate(measures):
        new_open = {}
        prev = measures[k - 1] if k else None
        pairs = {}
        if prev is not None and prev.n_atoms and m.n_atoms:
            angle = np.arccos(np.clip(m.support @ prev.support.T, -1.0, 1.0))
            rows, cols = linear_sum_assignment(angle)
            pairs = {r: c for r, c in zip(rows, cols)
                     if angle[r, c] <= max_angle and np.sign(m.weights[r]) == np.sign(prev.weights[c])}
        for j in range(m.n_atoms):
            track = open_tracks.get(pairs[j]) if j in pairs else None
            if track is None:
                track = []
                tracks.append(track)
            track.append((k, m.weights[j]))
            new_open[j] = track
        open_tracks = new_open
    return tracks


def plot_path(path, axes=None, title=None):
    """The neurons' output weights against reg (as scikit-learn's lasso path figure), and the certified gap at each point.

    Top: each neuron's weight :math:`r_j` (output weight times norm) against
    :math:`\\lambda` on a log axis; neurons of consecutive regs whose
    directions are within 0.15 rad (and of the same sign) are joined into one
    line, so a line is a neuron that moves and grows as reg decreases.
    Bottom: the certified relative gap of each point (its scope in the
    legend) and the number of neurons; a gap of exactly zero (the zero
    measure at :math:`\\lambda \\ge \\lambda_{\\max}`) is a triangle on the
    lower edge, a decade below the smallest positive gap.

    Parameters
    ----------
    path : RegPath
    axes : sequence of two matplotlib Axes, optional
        New ones (one figure, two rows) when omitted.
    title : str, optional

    Returns
    -------
    ndarray of two Axes
    """
    if axes is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 5.5), layout="constrained")
        axes = fig.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    top, bottom = axes
    regs = path.regs
    for track in _tracks(path.measures):
        idx, w = zip(*track)
        top.plot(regs[list(idx)], w, marker="." if len(idx) == 1 else None, lw=1)
    top.axhline(0.0, color="0.6", lw=0.5)
    top.axvline(path.reg_max, color="0.4", ls=":", lw=1, label=r"$\lambda_{\max}$")
    top.set_xscale("log")
    top.set_ylabel("neuron weight $r_j$")
    top.legend(loc="upper right")
    if title:
        top.set_title(title)
    gaps = path.relative_gaps
    positive = gaps > 0
    for scope in sorted(set(path.gap_scopes)):
        keep = np.array([s == scope for s in path.gap_scopes]) & positive
        if np.any(keep):
            bottom.plot(regs[keep], gaps[keep], "o", ms=4, label=f"certified gap ({scope})")
    if not np.all(positive):  # the zero measure above reg_max: a gap of exactly 0, drawn on the lower edge
        floor = float(np.min(gaps[positive])) / 10 if np.any(positive) else 1e-16
        bottom.plot(regs[~positive], np.full(np.count_nonzero(~positive), floor), "v", ms=5, color="0.4",
                    label="gap = 0 (exact)")
    bottom.set_yscale("log")
    bottom.set_xlabel(r"reg $\lambda$")
    bottom.set_ylabel("relative gap")
    twin = bottom.twinx()
    twin.step(regs, path.n_neurons, where="mid", color="0.3", lw=1, label="neurons")
    twin.set_ylabel("neurons")
    bottom.legend(loc="upper left", fontsize="small")
    return np.asarray(axes)
