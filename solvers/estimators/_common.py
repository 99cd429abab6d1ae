"""What the estimators and the regularization path share: the problem, the solver, warm starts, predictions."""

import copy

import numpy as np

from measureopt.features import Features
from measureopt.losses import get_loss
from measureopt.oracles import GridOracle
from measureopt.problems import TV, MeasureProblem, VariationNormERM

from .._base import Solver
from ..exact_relu import ExactReLU
from ..grid_convex import GridConvex
from ..sliding_frank_wolfe import SlidingFrankWolfe

__all__ = ["AUTO_SFW_MAX_DIM", "SOLVER_NAMES", "build_problem", "make_solver", "with_warm_start",
           "path_reg_max", "decision", "check_solver_spec"]

#: ``solver="auto"`` runs sliding Frank-Wolfe, certified on the whole sphere,
#: for directions in dimension ``D <= AUTO_SFW_MAX_DIM`` (``D = d + 1`` with
#: lifted inputs), and the gridded problem above. Measured on the bundled
#: diabetes data (``D = 11``, n = 442): after 20 s, branch-and-bound's
#: certified relative gap of an SFW solution was still 0.57 at
#: ``reg = 0.1`` and 0.92 at ``reg = 0.01``. At ``D = 5`` (teacher-student,
#: n = 200) a 30-point path certifies tol = 1e-6 at every point, 0.05-1.9 s
#: per point (benchmarks/paths.py). At ``D = 6`` (the same data lifted) the
#: default fit stops short: 50 s and relative gap 3.7e-5 at ``reg = 0.01``,
#: ``max_iter`` with 3.6e-4 at ``reg = 0.003``, branch-and-bound's bound
#: being too loose there to stop on.
AUTO_SFW_MAX_DIM = 5

SOLVER_NAMES = ("auto", "sfw", "grid", "exact")


def check_solver_spec(solver):
    """``solver`` is one of :data:`SOLVER_NAMES` or a :class:`~solvers.Solver` instance."""
    if isinstance(solver, Solver) or (isinstance(solver, str) and solver in SOLVER_NAMES):
        return solver
    raise ValueError(f"solver must be one of {SOLVER_NAMES} or a solvers.Solver instance; got {solver!r}")


def build_problem(X, y, loss, reg, activation="relu", lift=True):
    r"""The penalized measure problem of the estimators at ``reg``.

    ``lift=True``: :class:`~measureopt.VariationNormERM` (inputs :math:`(x,
    1)`, Berthier 2018 eq. 8); ``lift=False``: the same loss and penalty on
    the raw inputs (directions on :math:`\mathbb{S}^{d-1}`; BLASSO for the
    squared loss, Akiyama & Suzuki eq. 8).
    """
    if lift:
        return VariationNormERM(X, y, loss=loss, reg=reg, activation=activation)
    return MeasureProblem(Features(X, activation, lift=False), y, get_loss(loss), TV(reg))


def make_solver(spec, problem, tol=1e-6, max_iter=50, grid=2000, random_state=None, verbose=False):
    """The solver ``spec`` names, set up for ``problem``; an instance is copied as is.

    ``"auto"``: :class:`~solvers.SlidingFrankWolfe` when ``problem.dim <=``
    :data:`AUTO_SFW_MAX_DIM` (its gap certified on the sphere, by the exact
    arrangement oracle for ReLU in ``D <= 3``), else ``"grid"``.
    ``"sfw"``: :class:`~solvers.SlidingFrankWolfe`. ``"grid"``:
    :class:`~solvers.GridConvex` on ``grid`` (celer, gap certified on the
    grid). ``"exact"``: :class:`~solvers.ExactReLU` (ReLU, squared loss,
    ``D <= 3``).
    """
    check_solver_spec(spec)
    if isinstance(spec, Solver):
        return copy.copy(spec)
    if spec == "auto":
        spec = "sfw" if problem.dim <= AUTO_SFW_MAX_DIM else "grid"
    if spec == "sfw":
        # the logistic loss slides smoothly and then exactly ("both"): the pattern programs alone stall
        # on nearly separable data (1-D, n = 40, reg = 1.7e-4: 50 iterations, 66 s and relative gap
        # 5e-6 against 6 iterations, 1.1 s and 2e-10), where the weights are large
        slide = "both" if problem.loss.name == "logistic" and problem.features.is_relu else "auto"
        return SlidingFrankWolfe(max_iter=max_iter, tol=tol, verbose=verbose, slide=slide)
    if spec == "grid":
        seed = 0 if random_state is None else random_state
        return GridConvex(grid=grid, tol=tol, random_state=seed, verbose=verbose)
    return ExactReLU(tol=tol, verbose=verbose)


def with_warm_start(solver, measure):
    """A copy of ``solver`` that starts from ``measure`` when it takes a warm start (SFW, grid), else ``solver``."""
    if measure is None or not hasattr(solver, "warm_start"):
        return solver
    warm = copy.copy(solver)
    warm.warm_start = measure
    return warm


def path_reg_max(problem, solver):
    r""":math:`\lambda_{\max}` for the scope the solver certifies: the zero measure is optimal for every reg above it.

    :meth:`~measureopt.MeasureProblem.reg_max`, the sup of
    :math:`|c_{q_0}|` with :math:`q_0 = -\ell'(0)`: over the grid (exact)
    for :class:`~solvers.GridConvex`, else the certified oracle's upper bound
    on the whole sphere (exact for ReLU in ``D <= 3``).
    """
    if isinstance(solver, GridConvex):
        return float(problem.reg_max(oracle=GridOracle(solver.grid_for(problem))))
    return float(problem.reg_max())


def decision(measure, X, activation="relu", lift=True):
    r""":math:`f(x) = \sum_j r_j\sigma(\langle\theta_j, \tilde x\rangle)` at the rows of ``X``."""
    X = np.asarray(X, dtype=float)
    if measure.n_atoms == 0:
        return np.zeros(X.shape[0])
    return Features(X, activation, lift=lift)(measure.support) @ measure.weights
