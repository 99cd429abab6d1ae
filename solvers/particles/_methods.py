r"""The four particle methods: Algorithm 1, Chizat-Bach, noisy, conic."""

import numpy as np

from measureopt._validation import check_positive
from measureopt.sphere import sample_sphere

from ._base import ParticleSolver
from ._rules import ConicStep, MeanFieldStep, NormDependentStep

__all__ = ["NormDependentGD", "ParticleGD", "NoisyParticleGD", "ConicParticleGD"]


def _split_signs(width):
    """+1 for the first half of the units, -1 for the second (Algorithm 1's initialization)."""
    signs = -np.ones(width)
    signs[: width // 2] = 1.0
    return signs


class NormDependentGD(ParticleSolver):
    r"""Norm-dependent gradient descent (Akiyama & Suzuki, 2021, Algorithm 1).

    Minimizes, for ReLU units :math:`f(x) = \sum_{j=1}^M a_j\sigma(\langle
    w_j, x\rangle)`,

    .. math::

        F(\Theta) = \frac1{2n}\sum_{i=1}^n\bigl(y_i - f(x_i;\Theta)\bigr)^2
        + \lambda\sum_{j=1}^M |a_j|\lVert w_j\rVert \quad\text{(eq. 4)}
        \qquad\text{or}\qquad + \frac\lambda2\sum_j\bigl(a_j^2 +
        \lVert w_j\rVert^2\bigr)\quad\text{(eq. 13)},

    by :math:`a_{j,k+1} = a_{j,k} - \eta_{j,k}g_j`, :math:`w_{j,k+1} =
    w_{j,k} - \eta_{j,k}h_j` with

    .. math::

        g_j = \frac1n\sum_i (f(x_i) - y_i)\,\sigma(\langle w_j, x_i\rangle)
        + \lambda\operatorname{sgn}(a_j)\lVert w_j\rVert, \quad
        h_j = \frac1n\sum_i (f(x_i) - y_i)\,a_j x_i
        \mathbb{1}\{\langle w_j, x_i\rangle \ge 0\} + \lambda\frac{|a_j|
        w_j}{\lVert w_j\rVert},

    and the norm-dependent step :math:`\eta_{j,k} = \alpha|a_{j,k}|\lVert
    w_{j,k}\rVert / (a_{j,k}^2 + \lVert w_{j,k}\rVert^2)` (eq. 11), which
    keeps the sign of each :math:`a_j`. Initialization: :math:`a_{j,0} =
    2/M` for the first half, :math:`-2/M` for the second, :math:`w_{j,0}
    \sim \mathrm{Unif}(\mathbb{S}^{d-1})`. The problem's ``reg`` is
    :math:`\lambda`.

    Parameters
    ----------
    width : int, default=100
        :math:`M`.
    step_size : float, default=2.0
        :math:`\alpha` of eq. (11).
    penalty : {"l1", "l2"}, default="l1"
        eq. (4) or eq. (13).
    max_iter : int, default=20000
    **kwargs
        Loop options of :class:`ParticleSolver` (``tol``, ``stationary_tol``,
        ``batch_size``, ``init``, ``random_state``, ``device``, ``dtype``,
        ``callback``, ``checkpoint``, ``resume``, ``verbose``, ...).

    Notes
    -----
    In the measure representation :math:`r_j = a_j\lVert w_j\rVert`,
    :math:`\theta_j = w_j/\lVert w_j\rVert`, with :math:`G` the first
    variation of :math:`J` (:math:`G(\theta_j) = c(\theta_j) +
    \lambda\operatorname{sgn}(a_j)`), one step of eq. (11) is, to first order
    in :math:`\alpha`,

    .. math::

        r_{j,k+1} = r_{j,k}\bigl(1 - \alpha\operatorname{sgn}(r_{j,k})G(\theta_{j,k})\bigr),
        \qquad
        \theta_{j,k+1} = \theta_{j,k} - \alpha\frac{a_{j,k}^2}{a_{j,k}^2 +
        \lVert w_{j,k}\rVert^2}\operatorname{sgn}(a_{j,k})\operatorname{grad}c(\theta_{j,k}),

    a mirror step on the masses and a position step scaled by the balance;
    the L1 flow conserves :math:`a_j^2 - \lVert w_j\rVert^2` (:math:`\approx
    -1` from the initialization above). Particles whose mass stays small
    therefore do not move, and atoms of the optimum far from every initial
    particle are reached only by mass growing elsewhere. In the Fig. 2
    setting (``benchmarks/norm_dependent_gd.py``: :math:`d = m = 5`,
    :math:`n = 100`, :math:`\lambda = 10^{-3}`, :math:`M = 100`) the
    objective levels off near :math:`1.5\cdot 10^{-3}` relative to
    :math:`J^\star` for every stable :math:`\alpha`;
    :class:`ConicParticleGD` moves positions at a rate that does not depend
    on the mass.

    References
    ----------
    S. Akiyama and T. Suzuki. On learnability via gradient method for two-layer
    ReLU neural networks in teacher-student setting. ICML 2021, Algorithm 1,
    eq. (4), (11), (13).

    Examples
    --------
    >>> import warnings
    >>> import measureopt as mo, solvers
    >>> data = mo.teacher_student(n=50, d=3, m=2, seed=0)
    >>> prob = mo.BLASSO(data.X, data.y, reg=1e-2)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     res = solvers.NormDependentGD(width=20, max_iter=200).solve(prob)
    >>> res.measure.n_atoms
    20
    """

    _requires = {"loss": ("squared",), "penalty": ("tv",), "relu": True}
    _what = "is Algorithm 1 for ReLU units"

    def __init__(self, width=100, step_size=2.0, penalty="l1", max_iter=20000, **kwargs):
        if penalty not in ("l1", "l2"):
            raise ValueError(f"penalty must be 'l1' or 'l2'; got {penalty!r}")
        self.step_size = check_positive(step_size, "step_size")
        self.penalty = penalty
        self._init_loop(width, max_iter, **kwargs)


    def _rule(self):
        return NormDependentStep(self.step_size)

    def _penalty_for(self, problem):
        return self.penalty

    def _initial(self, problem, rng):
        M = self.width
        return _split_signs(M) * 2.0 / M, sample_sphere(problem.dim, M, seed=rng)


class ParticleGD(ParticleSolver):
    r"""Particle gradient descent of Chizat & Bach (2018), as in Berthier et al. (2020, Sec. 4.3, 5).

    The measure is discretized into :math:`M` particles with the mean-field
    scaling :math:`\mu = \frac{\alpha}{M}\sum_j a_j\delta_{w_j}` (Berthier
    eq. 9; Fang, Dong & Zhang eq. 1 with output scaling :math:`\alpha`):

    .. math::

        F(a, W) = \frac1{2n}\sum_i\Bigl(y_i - \frac{\alpha}{M}\sum_j a_j
        \sigma(\langle w_j, x_i\rangle)\Bigr)^2 + \text{penalty},

    and each particle moves by :math:`(a_j, w_j) \leftarrow (a_j, w_j) -
    \gamma M\nabla_{(a_j, w_j)}F` (``MeanFieldStep``, the
    discretized Wasserstein gradient flow).

    * ReLU (2-homogeneous particle :math:`a\sigma(\langle w, x\rangle)`):
      penalty :math:`\frac{\lambda\alpha}{2M}\sum_j(a_j^2 + \lVert
      w_j\rVert^2) \ge \lambda\lVert\nu\rVert_{TV}` (Fang, Dong & Zhang's
      :math:`R(u, \theta)` with :math:`\lambda_u = \lambda_\theta =
      \alpha\lambda`); initialization :math:`(a_j, w_j)` Gaussian, rescaled
      to the sphere of radius ``r0`` in :math:`\mathbb{R}^{1+d}`
      (Proposition 4.1).
    * Other activations (sigmoid, tanh, ...; 1-homogeneous in :math:`a`
      only): units read the direction :math:`w_j/\lVert w_j\rVert`, so the
      measure lives on the sphere like BLASSO's; penalty
      :math:`\frac{\lambda\alpha}{M}\sum_j|a_j| = \lambda\lVert\nu\rVert_{TV}`;
      initialization :math:`a_j = 0`, :math:`w_j` uniform on the sphere
      (Proposition 4.2's separation condition).

    Parameters
    ----------
    width : int, default=100
        :math:`M`.
    step_size : float, default=0.05
        :math:`\gamma`.
    r0 : float, default=0.05
        Initial radius of the ReLU particles (Berthier et al. found
        :math:`r_0 \ll r`, the teacher's norm, necessary; large :math:`r_0`
        gives lazy training, Sec. 5.3).
    alpha : float, default=1.0
        Output scaling: 1 is the mean-field regime; large :math:`\alpha`
        (with a step :math:`\propto 1/\alpha^2`) approaches the NTK regime.
    max_iter : int, default=20000
    **kwargs
        Loop options of :class:`ParticleSolver`.

    References
    ----------
    L. Chizat and F. Bach. On the global convergence of gradient descent for
    over-parameterized models using optimal transport. NeurIPS 2018.
    Eloïse Berthier. On convex neural networks (2018), eq. (8)-(9), Prop. 4.1-4.2,
    Sec. 5.1 and 5.3. C. Fang, H. Dong, T. Zhang, eq. (1), (16)-(20).
    """

    _noise = 0.0

    def __init__(self, width=100, step_size=0.05, r0=0.05, alpha=1.0, max_iter=20000, **kwargs):
        self.step_size = check_positive(step_size, "step_size")
        self.r0 = check_positive(r0, "r0")
        self.alpha = check_positive(alpha, "alpha")
        self._init_loop(width, max_iter, **kwargs)


    def _rule(self):
        return MeanFieldStep(self.step_size, self._noise)

    def _scale(self):
        return self.alpha / self.width

    def _homogeneous(self, problem):
        return getattr(problem.activation, "degree", None) == 1.0

    def _on_sphere(self, problem):
        return not self._homogeneous(problem)

    def _penalty_for(self, problem):
        return "l2" if self._homogeneous(problem) else "l1"

    def _initial(self, problem, rng):
        M, d = self.width, problem.dim
        if self._homogeneous(problem):
            z = rng.standard_normal((M, d + 1))
            z *= self.r0 / np.linalg.norm(z, axis=1, keepdims=True)
            return z[:, 0], z[:, 1:]
        return np.zeros(M), sample_sphere(d, M, seed=rng)


class NoisyParticleGD(ParticleGD):
    r"""Noisy particle gradient descent: entropy regularization (Fang, Dong & Zhang, Sec. V).

    :class:`ParticleGD` plus Gaussian noise :math:`N(0, 2\lambda_p\gamma)`
    on every coordinate of every particle at each step (``MeanFieldStep``):
    the Euler-Maruyama step of

    .. math::

        d[u, \theta] = -\gamma\nabla g(\rho_t, u, \theta)\,dt +
        \sqrt{2\lambda_p\gamma}\,dB_t,

    which minimizes :math:`\phi(\rho) + \lambda_p\int p\log p` (the entropy
    makes the problem strictly convex; its optimum is a smooth density, so
    the particle measure approaches the BLASSO optimum only as
    :math:`\lambda_p \to 0`).

    Parameters
    ----------
    noise : float, default=1e-5
        :math:`\lambda_p \ge 0`.
    width, step_size, r0, alpha, max_iter, **kwargs
        As in :class:`ParticleGD`.

    References
    ----------
    C. Fang, H. Dong, T. Zhang. Mathematical models of overparameterized
    neural networks. Sec. V (noisy gradient descent and entropy
    regularization).
    """

    def __init__(self, width=100, step_size=0.05, noise=1e-5, r0=0.05, alpha=1.0, max_iter=20000, **kwargs):
        self.noise = check_positive(noise, "noise", strict=False)
        self._noise = self.noise
        super().__init__(width=width, step_size=step_size, r0=r0, alpha=alpha, max_iter=max_iter, **kwargs)



class ConicParticleGD(ParticleSolver):
    r"""Conic particle gradient descent for BLASSO (Chizat, 2022).

    Particles carry a mass :math:`r_j > 0` with a fixed sign
    :math:`\varepsilon_j` and a position :math:`\theta_j` on the sphere:
    :math:`\nu = \sum_j\varepsilon_j r_j\delta_{\theta_j}` and
    :math:`F = J(\nu)` exactly (penalty :math:`\lambda\sum_j r_j`). Each step
    (``ConicStep``) is a mirror (multiplicative) step on the masses and
    a retracted gradient step on the positions, with separate step sizes

    .. math::

        r_j \leftarrow r_j e^{-\alpha\,\varepsilon_j J'_\nu(\theta_j)},\qquad
        \theta_j \leftarrow R_{\theta_j}\bigl(-\beta\,\varepsilon_j
        \operatorname{grad}J'_\nu(\theta_j)\bigr),\qquad
        J'_\nu(\theta) = \lambda\bigl(1 - \eta(\theta)\bigr).

    Their ratio :math:`\beta/\alpha` balances the Fisher-Rao (mass) and
    Wasserstein (transport) parts of the flow: masses regrow at rate
    :math:`\alpha` wherever :math:`|\eta| > 1`, independently of their size,
    which is what lets the method reach the sparse optimum where plain
    particle descent leaves vanished particles behind. Works for any
    activation of the problem. Initialization: masses :math:`\text{mass}/M`,
    the first half positive, positions uniform on the sphere.

    Parameters
    ----------
    width : int, default=100
    step_size_weight : float, default=5.0
        :math:`\alpha` (mirror step on the masses).
    step_size_position : float, default=2.0
        :math:`\beta` (step on the positions).
    mass : float, default=2.0
        Initial total variation :math:`\sum_j r_j`.
    max_iter : int, default=50000
    **kwargs
        Loop options of :class:`ParticleSolver`.

    References
    ----------
    L. Chizat. Sparse optimization on measures with over-parameterized
    gradient descent. Mathematical Programming 194, 2022 (conic particle
    gradient descent).
    """

    def __init__(self, width=100, step_size_weight=5.0, step_size_position=2.0, mass=2.0, max_iter=50000,
                 **kwargs):
        self.step_size_weight = check_positive(step_size_weight, "step_size_weight")
        self.step_size_position = check_positive(step_size_position, "step_size_position")
        self.mass = check_positive(mass, "mass")
        self._init_loop(width, max_iter, **kwargs)


    def _rule(self):
        return ConicStep(self.step_size_weight, self.step_size_position)

    def _on_sphere(self, problem):
        return True

    def _check_init(self, problem):
        a, W = super()._check_init(problem)
        norms = np.linalg.norm(W, axis=1)
        if np.any(norms == 0):
            raise ValueError("init[1] (W) must have nonzero rows (positions on the sphere)")
        return a, W / norms[:, None]

    def _initial(self, problem, rng):
        M = self.width
        return _split_signs(M) * self.mass / M, sample_sphere(problem.dim, M, seed=rng)
