r"""Step rules of the particle solvers, optax-style: ``init(a, W) -> state``, ``update(...) -> (a, W, state)``.

A rule owns one method's update and nothing else; the loop
(:class:`~solvers.particles.ParticleSolver`) owns iteration, stopping,
history and checkpoints. States are dicts of tensors and numbers, so that a
checkpoint stores them as they are.
"""

import numpy as np

__all__ = ["NormDependentStep", "MeanFieldStep", "ConicStep"]


class NormDependentStep:
    r"""Algorithm 1 of Akiyama & Suzuki (2021): :math:`\Theta_{k+1} = \Theta_k - \eta_{j,k}(g_j, h_j)`.

    .. math::

        \eta_{j,k} = \alpha\,\frac{|a_{j,k}|\,\lVert w_{j,k}\rVert}{a_{j,k}^2 +
        \lVert w_{j,k}\rVert^2} \qquad \text{(eq. 11)},

    with :math:`(g_j, h_j)` the subgradients of :math:`F` printed under
    Algorithm 1 (or of the L2 objective, eq. 13). :math:`\eta_{j,k} = 0`
    for a unit with :math:`a_j = 0` or :math:`w_j = 0`.
    """

    def __init__(self, step_size):
        self.step_size = step_size

    def init(self, a, W):
        """State: ``{"steps": 0}``, the number of updates applied."""
        return {"steps": 0}

    def update(self, a, W, terms, state, model, generator):
        ga, gW = model.gradient(a, W, terms)
        norms = terms.norms
        denom = a**2 + norms**2
        eta = self.step_size * a.abs() * norms / denom.clamp_min(np.finfo(float).tiny)
        return a - eta * ga, W - eta[:, None] * gW, {"steps": state["steps"] + 1}


class MeanFieldStep:
    r"""Gradient step on the particles in the mean-field time scale, optionally noisy.

    .. math::

        (a_j, w_j) \leftarrow (a_j, w_j) - \gamma M\,\nabla_{(a_j, w_j)} F
        + \sqrt{2\lambda_p\gamma}\,\xi_j, \qquad \xi_j\sim N(0, I_{1+d}),

    :math:`M\nabla_j F` being the gradient of the first variation
    :math:`g(\rho, u, \theta)` (Fang, Dong & Zhang, eq. 18-20), so that the
    step :math:`\gamma` does not depend on the width. ``noise`` is
    :math:`\lambda_p` (0: Chizat & Bach's particle gradient descent).
    """

    def __init__(self, step_size, noise=0.0):
        self.step_size = step_size
        self.noise = noise

    def init(self, a, W):
        """State: ``{"steps": 0, "noise_std": sqrt(2 lambda_p gamma)}``."""
        return {"steps": 0, "noise_std": float(np.sqrt(2.0 * self.noise * self.step_size))}

    def update(self, a, W, terms, state, model, generator):
        import torch

        ga, gW = model.gradient(a, W, terms)
        M = a.shape[0]
        a = a - self.step_size * M * ga
        W = W - self.step_size * M * gW
        std = state["noise_std"]
        if std > 0:
            a = a + std * torch.randn(a.shape, generator=generator, dtype=a.dtype, device=a.device)
            W = W + std * torch.randn(W.shape, generator=generator, dtype=W.dtype, device=W.device)
        return a, W, {**state, "steps": state["steps"] + 1}


class ConicStep:
    r"""Conic particle gradient descent (Chizat, 2022): mirror step on masses, retraction on positions.

    With :math:`a_j = \varepsilon_j r_j` (:math:`r_j > 0`, fixed sign
    :math:`\varepsilon_j`), unit :math:`\theta_j = w_j`, and the first
    variation :math:`J'_\nu(\theta) = \lambda(1 - \eta(\theta))` of
    :math:`J` for a positive atom (its sign flipped for a negative one),

    .. math::

        r_j \leftarrow r_j\exp\bigl(-\alpha\,\varepsilon_j J'_\nu(\theta_j)\bigr), \qquad
        \theta_j \leftarrow R_{\theta_j}\bigl(-\beta\,\varepsilon_j
        \operatorname{grad} J'_\nu(\theta_j)\bigr),

    with :math:`R_\theta(v) = (\theta + v)/\lVert\theta + v\rVert` and
    :math:`\operatorname{grad}` the Riemannian gradient on the sphere.
    """

    def __init__(self, step_size_weight, step_size_position):
        self.step_size_weight = step_size_weight
        self.step_size_position = step_size_position

    def init(self, a, W):
        """State: ``{"signs": eps}``, the signs :math:`\\varepsilon_j` fixed at the start.

        Kept in the state rather than read off ``a`` at every step, so that
        a mass that underflows to 0 keeps its sign (and stays a particle).
        """
        import torch

        return {"signs": torch.where(a < 0, -1.0, 1.0).to(a.dtype)}

    def update(self, a, W, terms, state, model, generator):
        import torch

        sign = state["signs"]
        first_variation = sign * terms.c + model.reg  # eps_j J'(theta_j)
        a = a * torch.exp(-self.step_size_weight * first_variation)
        T = W / terms.norms[:, None]
        G = sign[:, None] * terms.B
        G = G - (G * T).sum(dim=1, keepdim=True) * T
        W = T - self.step_size_position * G
        W = W / torch.linalg.vector_norm(W, dim=1, keepdim=True)
        return a, W, state
