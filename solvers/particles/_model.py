r"""The two-layer network of the particle solvers, in torch, with its gradients in closed form.

.. math::

    f(x) = s\sum_{j=1}^M a_j\,\sigma(\langle \tilde w_j, x\rangle), \qquad
    \tilde w_j = w_j \ \text{(homogeneous } \sigma) \ \text{ or } \
    w_j/\lVert w_j\rVert \ \text{(units that read a direction)},

with the loss :math:`L = \frac1n\sum_i \ell(f(x_i), y_i)` (squared
:math:`\frac12(f - y)^2` or logistic :math:`\log(1 + e^{-yf})`, the
problem's) and a penalty
``"l1"`` :math:`\lambda s\sum_j|a_j|\lVert w_j\rVert^k` (eq. 4) or ``"l2"``
:math:`\frac\lambda2 s\sum_j(a_j^2 + \lVert w_j\rVert^2)` (eq. 13), where
:math:`k` is the activation's degree of homogeneity (0 for direction units).
The gradients are the subgradients printed under Algorithm 1 of Akiyama &
Suzuki (2021) (indicator :math:`\mathbb{1}\{\langle w_j, x_i\rangle \ge 0\}`
for ReLU, :math:`\operatorname{sgn}(0) = 0`).
"""

from dataclasses import dataclass

import torch

from measureopt.exceptions import IncompatibleSolverError

PENALTIES = ("l1", "l2")


def torch_activation(activation):
    """``(sigma, sigma', degree)`` in torch for a measureopt activation (degree ``None`` if not homogeneous)."""
    name = getattr(activation, "name", "")
    if name == "relu":
        return torch.relu, lambda z: (z >= 0).to(z.dtype), 1.0
    if name == "relu_power":
        p = float(activation.alpha)
        if p == 0:
            return (lambda z: (z > 0).to(z.dtype)), torch.zeros_like, 0.0
        if p == 1:
            return torch.relu, lambda z: (z >= 0).to(z.dtype), 1.0
        return (lambda z: torch.relu(z) ** p), (lambda z: p * torch.relu(z) ** (p - 1)), p
    if name == "sigmoid":
        def dsig(z):
            s = torch.sigmoid(z)
            return s * (1 - s)
        return torch.sigmoid, dsig, None
    if name == "tanh":
        return torch.tanh, lambda z: 1 - torch.tanh(z) ** 2, None
    if name == "softplus":
        return torch.nn.functional.softplus, torch.sigmoid, None
    raise IncompatibleSolverError(f"the particle solvers have no torch version of activation {activation!r}")


@dataclass
class Terms:
    """Loss-side quantities of one forward pass.

    ``c[j] = dL/da_j`` and ``B[j] = dL/d(tilde w_j) / a_j`` (the gradient of the
    correlation :math:`c(\\theta)` at the unit's direction or weight).
    """

    loss: torch.Tensor
    c: torch.Tensor
    B: torch.Tensor
    norms: torch.Tensor


class TwoLayer:
    """Data, activation, scaling and penalty of the particle objective ``F(a, W)``."""

    def __init__(self, problem, scale, on_sphere, penalty, device, dtype):
        self.fn, self.dfn, degree = torch_activation(problem.activation)
        if not on_sphere and degree is None:
            raise IncompatibleSolverError(
                f"activation {problem.activation!r} is not positively homogeneous; its units "
                "must read directions (on_sphere=True)"
            )
        self.on_sphere = on_sphere
        self.degree = 0.0 if on_sphere else degree
        if penalty == "l2" and self.degree != 1.0:
            raise IncompatibleSolverError(
                "penalty='l2' (weight decay) equals the TV norm only for 1-homogeneous units "
                f"(ReLU); got degree {self.degree:g}. Use penalty='l1'."
            )
        self.penalty_kind = penalty
        self.loss_name = problem.loss.name
        if self.loss_name not in ("squared", "logistic"):
            raise IncompatibleSolverError(f"the particle solvers have no torch version of loss {problem.loss!r}")
        # copies: the problem's arrays are read-only, and torch warns on sharing them
        self.X = torch.tensor(problem.features.inputs, dtype=dtype, device=device)
        self.y = torch.tensor(problem.y, dtype=dtype, device=device)
        self.n = self.X.shape[0]
        self.reg = float(problem.reg)
        self.scale = float(scale)

    def directions(self, W, norms):
        return W / norms[:, None] if self.on_sphere else W

    def terms(self, a, W, idx=None):
        """Forward pass on all samples or on the minibatch ``idx``."""
        X = self.X if idx is None else self.X[idx]
        y = self.y if idx is None else self.y[idx]
        norms = torch.linalg.vector_norm(W, dim=1)
        Z = X @ self.directions(W, norms).T
        S = self.fn(Z)
        loss, r = self.data_term(self.scale * (S @ a), y)
        nb = X.shape[0]
        c = (self.scale / nb) * (S.T @ r)
        B = (self.scale / nb) * ((self.dfn(Z) * r[:, None]).T @ X)
        return Terms(loss=loss, c=c, B=B, norms=norms)

    def data_term(self, f, y):
        r"""Mean loss and its derivative :math:`\ell'(f_i, y_i)` (per sample)."""
        if self.loss_name == "squared":
            r = f - y
            return (r @ r) / (2 * f.shape[0]), r
        margin = -y * f
        return torch.nn.functional.softplus(margin).mean(), -y * torch.sigmoid(margin)

    def penalty(self, a, norms):
        """The penalty's value."""
        if self.penalty_kind == "l1":
            return self.reg * self.scale * torch.sum(a.abs() * norms**self.degree)
        return 0.5 * self.reg * self.scale * torch.sum(a**2 + norms**2)

    def tv(self, a, norms):
        r""":math:`\lVert\nu\rVert_{TV}` of the network's measure (distinct directions)."""
        return self.scale * torch.sum(a.abs() * norms**self.degree)

    def gradient(self, a, W, t):
        """``(dF/da, dF/dW)``: loss terms plus the penalty's (sub)gradient."""
        ga = t.c
        gW = a[:, None] * t.B
        if self.on_sphere:
            T = W / t.norms[:, None]
            gW = (gW - (gW * T).sum(dim=1, keepdim=True) * T) / t.norms[:, None]
        rs = self.reg * self.scale
        if self.penalty_kind == "l1":
            k = self.degree
            ga = ga + rs * torch.sign(a) * t.norms**k
            if k != 0:
                gW = gW + (rs * k * a.abs() * t.norms ** (k - 2))[:, None] * W
        else:
            ga = ga + rs * a
            gW = gW + rs * W
        return ga, gW
