"""The torch modules the regime trainers run: Fang-Dong-Zhang's two-layer model, its linearization, Du et al.'s networks.

Imported only when a trainer runs, so that ``import solvers`` never loads torch.
"""

import math

import torch

from ..particles._model import torch_activation


class FDZNet(torch.nn.Module):
    r"""Fang, Dong & Zhang's eq. (1): :math:`f(x) = \frac{\alpha}{m}\sum_j u_j\,h(\theta_j^\top x)`, no bias.

    ``u`` has shape (m, k) and ``theta`` (m, d); the output has shape (n, k).
    """

    def __init__(self, u, theta, alpha, activation):
        super().__init__()
        self.u = torch.nn.Parameter(u.clone())
        self.theta = torch.nn.Parameter(theta.clone())
        self.alpha = float(alpha)
        self.h, self.dh, _ = torch_activation(activation)

    def forward(self, X):
        return (self.alpha / len(self.theta)) * self.h(X @ self.theta.T) @ self.u

    def ntk_layers(self):
        """The structured-NTK protocol of :func:`measureopt.kernels.empirical_ntk`."""
        return [{"weight": self.theta}, self.h, {"weight": self.u.T, "weight_scale": self.alpha / len(self.theta)}]


class LinearizedFDZNet(torch.nn.Module):
    r"""The first-order expansion of eq. (8) around :math:`(\tilde u, \tilde\theta)`, linear in :math:`(u, \theta)`.

    .. math:: f_{lin}(x) = \frac{\alpha}{m}\sum_j\bigl[u_j h(\tilde\theta_j^\top x)
              + \tilde u_j\,h'(\tilde\theta_j^\top x)\,(\theta_j - \tilde\theta_j)^\top x\bigr],

    which keeps the initial output :math:`f_0` (option (c) of the seed notes,
    as the authors' code does): at :math:`(u, \theta) = (\tilde u,
    \tilde\theta)` it equals the network.
    """

    def __init__(self, u, theta, alpha, activation):
        super().__init__()
        self.u = torch.nn.Parameter(u.clone())
        self.theta = torch.nn.Parameter(theta.clone())
        self.register_buffer("u0", u.clone())
        self.register_buffer("theta0", theta.clone())
        self.alpha = float(alpha)
        self.h, self.dh, _ = torch_activation(activation)

    def features(self, X):
        """:math:`h(\\tilde\\theta_j^\\top x)` and :math:`h'(\\tilde\\theta_j^\\top x)`, shape (n, m) each: fixed, so cached by the trainer."""
        Z0 = X @ self.theta0.T
        return self.h(Z0), self.dh(Z0)

    def forward(self, X, features=None):
        H0, D0 = self.features(X) if features is None else features
        tangent = D0 * (X @ (self.theta - self.theta0).T)
        return (self.alpha / len(self.theta0)) * (H0 @ self.u + tangent @ self.u0)


class DuNet(torch.nn.Module):
    r"""Du et al.'s fully connected (eq. 2) or residual (eq. 3) network, output :math:`a^\top x^{(H)}`.

    .. math:: x^{(1)} = \sqrt{c_\sigma/m}\,\sigma(W^{(1)}x), \quad
              x^{(h)} = \sqrt{c_\sigma/m}\,\sigma(W^{(h)}x^{(h-1)})\ \text{(FC)}
              \ \text{or}\ x^{(h-1)} + \frac{c_{res}}{H\sqrt m}\sigma(W^{(h)}x^{(h-1)})\ \text{(ResNet)}.
    """

    def __init__(self, weights, a, activation, c_sigma, architecture="fc", c_res=0.5):
        super().__init__()
        self.weights = torch.nn.ParameterList([torch.nn.Parameter(W.clone()) for W in weights])
        self.a = torch.nn.Parameter(a.clone())
        self.sigma, _, _ = torch_activation(activation)
        self.c_sigma, self.architecture, self.c_res = float(c_sigma), architecture, float(c_res)

    def ntk_layers(self):
        """The structured-NTK protocol of :func:`measureopt.kernels.empirical_ntk` (fully connected only)."""
        from measureopt.kernels._structured import Unsupported

        if self.architecture != "fc" and len(self.weights) > 1:
            raise Unsupported("a ResNet's skip connections are not a stack of layers")
        scale = math.sqrt(self.c_sigma / len(self.a))
        steps = []
        for h, W in enumerate(self.weights):
            steps += [{"weight": W, "weight_scale": 1.0 if h == 0 else scale}, self.sigma]
        return steps + [{"weight": self.a[None, :], "weight_scale": scale}]

    def forward(self, X):
        H, m = len(self.weights), len(self.a)
        x = X
        for h, W in enumerate(self.weights, start=1):
            z = self.sigma(x @ W.T)
            if h == 1 or self.architecture == "fc":
                x = math.sqrt(self.c_sigma / m) * z
            else:
                x = x + self.c_res / (H * math.sqrt(m)) * z
        return x @ self.a
