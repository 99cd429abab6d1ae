r"""Dual certificates and duality gaps of measure problems.

For a measure :math:`\nu` and a dual vector :math:`q \in \mathbb{R}^n` (for
a loss :math:`\ell`, :math:`q = -\ell'(f(\cdot;\nu))`; the residual
:math:`y - f` for the squared loss), the *correlation* is
:math:`c_q(\theta) = \frac1n \sum_i q_i \sigma(\langle\theta,
\tilde x_i\rangle)`. A sup-oracle (:mod:`measureopt.oracles`) returns the
direction that maximizes :math:`|c_q(\theta)|` over its domain together
with a lower and an upper bound on :math:`\sup_\theta |c_q(\theta)|`. The
certificate of the penalized form is :math:`\eta = c_q / \lambda`.

A problem's :meth:`~measureopt.problems.MeasureProblem.dual_certificate`
accepts any oracle: the grid oracle certifies a gridded problem; oracles
whose upper bound holds over the whole sphere certify the continuous problem.
This module imports the oracles, never the reverse.
"""

from dataclasses import dataclass

import numpy as np

from ._frozen import Record
from ._validation import check_int, check_oracle, check_problem, check_real
from .oracles import SupResult, riemannian_ascent
from .sphere import nearest_geodesic_distance, sphere_grid

__all__ = ["SupResult", "DualityGap", "PreCertificate", "precertificate"]


@dataclass(frozen=True, eq=False)
class DualityGap(Record):
    r"""A primal-dual pair and the gap it certifies.

    Let :math:`\bar c` be the oracle's upper bound on :math:`\sup|c_q|` over
    its scope, :math:`q = -\ell'(f(\cdot;\nu))` and :math:`D(q) =
    -\frac1n\sum_i\ell^*(-q_i; y_i)`.

    * Penalized form :math:`\lambda\lVert\nu\rVert_{TV}`: the scale
      :math:`s = \min(1, \lambda/\bar c)` makes :math:`sq` dual feasible, so
      :math:`D(sq) \le J^\star \le J(\nu)`.
    * Constrained form :math:`\lVert\nu\rVert_{TV} \le \delta`: the dual
      value is :math:`D(q) - \delta\bar c` (:math:`s = 1`), and the gap
      equals the certified Frank-Wolfe gap
      :math:`\frac1n\sum_i\ell'_if(x_i) + \delta\bar c`.

    Either way

    .. math:: \text{gap} = J(\nu) - \text{dual} \ \ge\ J(\nu) - J^\star \ \ge 0.

    Attributes
    ----------
    gap : float
        :math:`J(\nu) - \text{dual}`.
    primal : float
        :math:`J(\nu)`.
    dual : float
        The dual value, a lower bound on :math:`J^\star` over ``scope``.
    sup_eta : float
        Largest :math:`|\eta|` the oracle found (lower bound on the sup);
        :math:`\eta = c_q/\lambda` for the penalized form, :math:`c_q` for
        the constrained one.
    sup_eta_upper : float
        The oracle's upper bound on :math:`\sup|\eta|` over ``scope``.
    scale : float
        :math:`s`.
    argmax : ndarray, shape (D,)
        Where :math:`|\eta|` is largest.
    scope : {"grid", "sphere", "local"}
        ``"grid"``: the gap bounds the suboptimality for the problem restricted
        to the oracle's directions. ``"sphere"``: for the continuous problem.
        ``"local"``: an estimate only.
    sign : float
        Sign of :math:`c_q` at ``argmax``.
    exhausted : bool
        The oracle's budget ran out before its bracket on :math:`\sup|\eta|`
        was tight: ``gap`` is still a valid bound on :math:`J(\nu) -
        J^\star`, only not a tight one. A solver never reports such a gap as
        ``optimal`` unless it meets the tolerance anyway.
    """

    gap: float
    primal: float
    dual: float
    sup_eta: float
    sup_eta_upper: float
    scale: float
    argmax: np.ndarray
    scope: str
    sign: float = 1.0
    exhausted: bool = False

    @property
    def relative_gap(self):
        """float: ``gap / max(|primal|, tiny)``."""
        return self.gap / max(abs(self.primal), np.finfo(float).tiny)

    @property
    def bracket(self):
        r"""tuple of float: ``(dual, primal)``, the interval that holds :math:`J^\star` (over ``scope``)."""
        return self.dual, self.primal

    def describe(self):
        r"""One line: the certified relative gap, and whether the oracle's budget ran out.

        For example ``"certified relative gap <= 3.0e-02 (budget exhausted; best
        direction 0.98 of bound)"``: the best direction found reaches 98% of
        the upper bound on :math:`\sup|\eta|`.
        """
        kind = "certified" if self.scope in ("grid", "sphere") else "estimated, not certified,"
        text = f"{kind} relative gap <= {self.relative_gap:.1e} ({self.scope})"
        if self.exhausted:
            ratio = self.sup_eta / self.sup_eta_upper if self.sup_eta_upper > 0 else 1.0
            text += f" (budget exhausted; best direction {ratio:.2f} of bound)"
        return text


@dataclass(frozen=True, eq=False)
class PreCertificate(Record):
    r"""The vanishing-derivative pre-certificate :math:`\eta_V` of a sparse measure.

    Attributes
    ----------
    p : ndarray, shape (n,)
        Minimal-norm :math:`p` with :math:`\eta_V(\theta) = \frac1n\sum_i
        p_i\sigma(\langle\theta, x_i\rangle)` interpolating the signs with
        zero tangent gradient at the atoms.
    residual : float
        Norm of the interpolation residual (0 when the conditions can be met).
    eta_support : ndarray, shape (m,)
        :math:`\eta_V(\theta_j)` (equal to :math:`\operatorname{sign}(r_j)`
        when ``residual`` is 0).
    hessian_eigenvalues : ndarray, shape (m, d - 1)
        Eigenvalues of the Riemannian Hessian of
        :math:`\operatorname{sign}(r_j)\eta_V` at each atom.
    max_off_support : float
        Largest :math:`|\eta_V|` found at geodesic distance at least
        ``exclusion`` from every atom (grid search and local refinement: a
        lower bound of that maximum).
    sup_upper : float
        Certified upper bound of :math:`\sup_{\mathbb{S}^{d-1}}|\eta_V|`.
    exclusion : float
        Radius (radians) of the caps around the atoms left out of
        ``max_off_support``.
    nondegenerate : bool
        The non-degenerate source condition, as far as it can be checked
        numerically: the interpolation holds, every Hessian is negative
        definite, :math:`\sup|\eta_V| \le 1` (up to ``1e-6``) and
        ``max_off_support < 1``.
    """

    p: np.ndarray
    residual: float
    eta_support: np.ndarray
    hessian_eigenvalues: np.ndarray
    max_off_support: float
    sup_upper: float
    exclusion: float
    nondegenerate: bool


def precertificate(problem, measure, exclusion=0.05, grid=20000, oracle=None):
    r"""Vanishing-derivative pre-certificate and the non-degenerate source condition.

    For :math:`\nu = \sum_j r_j\delta_{\theta_j}`, :math:`\eta_V` is the
    function :math:`\eta_p(\theta) = \frac1n\sum_i p_i\sigma(\langle\theta,
    x_i\rangle)` of minimal :math:`\lVert p\rVert` such that

    .. math:: \eta_p(\theta_j) = \operatorname{sign}(r_j), \qquad
              \operatorname{grad}_{\mathbb{S}^{d-1}}\eta_p(\theta_j) = 0
              \quad (j = 1, \dots, m)

    (Duval & Peyré, 2015). If :math:`|\eta_V| < 1` off the support and its
    Hessian is negative definite at the atoms (the non-degenerate source
    condition, cf. Akiyama & Suzuki, 2021, Assumption 4.5), then for small
    noise and small :math:`\lambda` the BLASSO solution has exactly
    :math:`m` atoms, close to the :math:`\theta_j`, with the same signs:
    a small ``reg`` recovers the teacher.

    Parameters
    ----------
    problem : BLASSO
        Gives the inputs and the activation (``y`` and ``reg`` are unused).
    measure : DiscreteMeasure
        The sparse measure (e.g. the teacher), with nonzero weights.
    exclusion : float, default=0.05
        Caps of this geodesic radius (in :math:`[0, \pi]`) around the atoms
        are left out of ``max_off_support``.
    grid : int, default=20000
        Directions searched for ``max_off_support``.
    oracle : sup-oracle, optional
        For ``sup_upper``; the problem's certified oracle by default.

    Returns
    -------
    PreCertificate
    """
    check_problem(problem)
    problem.check_measure(measure)
    exclusion = check_real(exclusion, "exclusion", 0.0, np.pi)
    grid = check_int(grid, "grid", minimum=1)
    check_oracle(oracle)
    if measure.n_atoms == 0 or np.any(measure.weights == 0):
        raise ValueError("precertificate needs a measure with at least one atom and nonzero weights")
    features = problem.features
    X, act, n, d = features.inputs, features.activation, problem.n_samples, problem.dim
    thetas, signs = measure.support, np.sign(measure.weights)
    rows, rhs, bases = [], [], []
    for theta, s in zip(thetas, signs):
        u = X @ theta
        # orthonormal basis of the tangent space at theta
        basis = np.linalg.svd(np.eye(d) - np.outer(theta, theta))[0][:, : d - 1]
        bases.append(basis)
        rows.append(act(u)[None, :] / n)
        rhs.append([s])
        rows.append(basis.T @ (X.T * act.derivative(u)) / n)
        rhs.append(np.zeros(d - 1))
    A, b = np.concatenate(rows), np.concatenate(rhs)
    p = np.linalg.lstsq(A, b, rcond=None)[0]
    residual = float(np.linalg.norm(A @ p - b))
    eta_support = act(thetas @ X.T) @ p / n
    eigs = []
    for theta, s, basis in zip(thetas, signs, bases):
        u = X @ theta
        grad = X.T @ (p * act.derivative(u)) / n
        hess = (X.T * (p * act.second_derivative(u))) @ X / n
        riem = basis.T @ (s * hess) @ basis - s * (theta @ grad) * np.eye(d - 1)
        eigs.append(np.linalg.eigvalsh(riem))
    eigs = np.array(eigs)
    directions = sphere_grid(d, grid, seed=0)
    far = nearest_geodesic_distance(directions, thetas) >= exclusion
    values = np.abs(act(directions[far] @ X.T) @ p / n)
    max_off = float(values.max(initial=0.0))
    if far.any():
        k = min(16, int(far.sum()))
        starts = directions[far][np.argsort(-values)[:k]]
        refined, vals = riemannian_ascent(features, p, starts)
        ok = nearest_geodesic_distance(refined, thetas) >= exclusion
        max_off = max(max_off, float(np.abs(vals[ok]).max(initial=0.0)))
    oracle = problem.default_oracle() if oracle is None else oracle
    sup_upper = float(oracle.maximize(problem, p).upper)
    scale = max(1.0, float(np.abs(b).max()))
    nondegenerate = bool(
        residual <= 1e-8 * scale and np.all(eigs < 0) and sup_upper <= 1 + 1e-6 and max_off < 1
    )
    return PreCertificate(p, residual, eta_support, eigs, max_off, sup_upper, float(exclusion), nondegenerate)
