r"""Deep fully connected networks in the mean-field (1/m) scaling of Fang et al. (2022), eq. (1)-(2) and (9)-(12).

Imported lazily (it needs torch): ``measureopt.deep.DeepMLP`` loads it.
"""

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .._validation import check_array, check_int, check_positive, check_torch_dtype, draw_seed

__all__ = ["DeepMLP", "TORCH_ACTIVATIONS", "atoms_from_network"]

#: The activations a :class:`DeepMLP` supports, as torch functions.
TORCH_ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid, "softplus": F.softplus}
_MODULES = {nn.Tanh: "tanh", nn.ReLU: "relu", nn.Sigmoid: "sigmoid", nn.Softplus: "softplus"}


def _check_activation(activation):
    if activation not in TORCH_ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(TORCH_ACTIVATIONS)}; got {activation!r}")
    return activation


class DeepMLP(nn.Module):
    r"""A fully connected network with L hidden layers in the 1/m scaling (Fang et al. 2022, eq. 1-2).

    .. math::

        \hat g^{(\ell)}_j(x) = \frac{1}{m_{\ell-1}} \sum_{k=1}^{m_{\ell-1}}
            w^{(\ell)}_{j,k}\, \hat f^{(\ell-1)}_k(x), \qquad
        \hat f^{(\ell)}_j = h(\hat g^{(\ell)}_j), \qquad
        \hat f(x) = \frac{1}{m_L} \sum_{j=1}^{m_L} u_j \hat f^{(L)}_j(x),

    with :math:`\hat f^{(0)}_k(x) = x_k` and :math:`m_0 = d`.

    Parameters
    ----------
    d : int
        Input dimension.
    widths : sequence of int
        :math:`m_1, \dots, m_L`, ``L >= 1``.
    n_outputs : int, default=1
        k, the size of each :math:`u_j`.
    activation : {"tanh", "relu", "sigmoid", "softplus"}, default="tanh"
    seed : None, int or numpy.random.Generator, default=0
        Seeds the initialization (an int is used as the torch seed; None or
        a Generator draws one): :math:`w^{(\ell)}_{j,k} \sim N(0, m_{\ell-1})`, so that
        the pre-activations are of order one at any width, and
        :math:`u_j \sim N(0, I_k)`, so that the output starts near zero (the
        mean-field limit).
    dtype : torch.dtype or str, default=torch.float64

    Attributes
    ----------
    layers : torch.nn.ParameterList
        :math:`w^{(1)}, \dots, w^{(L)}`, shapes :math:`(m_\ell, m_{\ell-1})`.
    out : torch.nn.Parameter
        :math:`u`, shape (m_L, k).
    """

    def __init__(self, d, widths, n_outputs=1, activation="tanh", seed=0, dtype=torch.float64):
        super().__init__()
        d = check_int(d, "d", minimum=1)
        widths = [check_int(m, f"widths[{i}]", minimum=1) for i, m in enumerate(widths)]
        if not widths:
            raise ValueError("widths must hold at least one hidden layer (L >= 1); got an empty sequence")
        n_outputs = check_int(n_outputs, "n_outputs", minimum=1)
        dtype = check_torch_dtype(dtype)
        self.activation = _check_activation(activation)
        gen = torch.Generator().manual_seed(draw_seed(seed, "seed"))
        sizes = [d] + widths
        self.layers = nn.ParameterList(
            nn.Parameter(torch.randn(m, m_in, generator=gen, dtype=dtype) * m_in**0.5)
            for m_in, m in zip(sizes[:-1], sizes[1:]))
        self.out = nn.Parameter(torch.randn(widths[-1], n_outputs, generator=gen, dtype=dtype))

    @classmethod
    def from_weights(cls, layers, out, activation="tanh", dtype=None):
        """A network with the given weights ``layers`` (:math:`w^{(\\ell)}`, (m_l, m_{l-1})) and ``out`` (m_L, k)."""
        dtype = check_torch_dtype(dtype)
        layers = [check_array(w, f"layers[{i}]", ndim=2) for i, w in enumerate(layers)]
        out = check_array(out, "out", ndim=2)
        for i in range(1, len(layers)):
            if layers[i].shape[1] != layers[i - 1].shape[0]:
                raise ValueError(f"layers[{i}] must have shape (m, {layers[i - 1].shape[0]}); got {layers[i].shape}")
        if out.shape[0] != layers[-1].shape[0]:
            raise ValueError(f"out must have shape ({layers[-1].shape[0]}, k); got {out.shape}")
        net = cls(layers[0].shape[1], [w.shape[0] for w in layers], out.shape[1], activation, dtype=dtype)
        with torch.no_grad():
            for param, w in zip(net.layers, layers):
                param.copy_(torch.as_tensor(w, dtype=dtype))
            net.out.copy_(torch.as_tensor(out, dtype=dtype))
        return net

    @classmethod
    def from_module(cls, module):
        r"""Read a ``torch.nn.Sequential`` of bias-free ``Linear`` layers and activations.

        The standard scaling :math:`g = W f` becomes the 1/m scaling
        :math:`g = \frac1m W' f` with :math:`W' = m W`; the last ``Linear``
        gives :math:`u = m_L W^\top`. A :class:`DeepMLP` is returned as is.

        Raises
        ------
        TypeError
            For a layer that is not ``Linear`` (without bias) or a supported
            activation (``Tanh``, ``ReLU``, ``Sigmoid``, ``Softplus`` with
            ``beta=1``), naming it and its position.
        """
        if isinstance(module, DeepMLP):
            return module
        if not isinstance(module, nn.Sequential):
            raise TypeError(f"module must be a DeepMLP or a torch.nn.Sequential; got {type(module).__name__}")
        linears, acts = [], []
        for i, layer in enumerate(module):
            if isinstance(layer, nn.Linear) and layer.bias is None:
                if len(linears) > len(acts):
                    raise TypeError(f"layer {i}: two Linear layers in a row; put an activation between them")
                linears.append(layer.weight.detach().to(torch.float64).numpy())
            elif type(layer) in _MODULES and (not isinstance(layer, nn.Softplus) or layer.beta == 1):
                acts.append(_MODULES[type(layer)])
            else:
                raise TypeError(
                    f"layer {i} is an unsupported {type(layer).__name__}: a deep network here is bias-free "
                    "Linear layers alternating with Tanh, ReLU, Sigmoid or Softplus(beta=1)")
        if len(linears) < 2 or len(acts) != len(linears) - 1 or len(set(acts)) != 1:
            raise TypeError("module must read Linear, act, ..., Linear with L >= 1 hidden layers and one "
                            f"activation; got {len(linears)} Linear layers and activations {acts}")
        layers = [w * w.shape[1] for w in linears[:-1]]  # W' = m_{l-1} W
        out = linears[-1].T * linears[-1].shape[1]
        return cls.from_weights(layers, out, activation=acts[0])

    # ------------------------------------------------------------ forward
    @property
    def widths(self):
        """list of int: :math:`m_1, \\dots, m_L`."""
        return [w.shape[0] for w in self.layers]

    def _h(self, g):
        return TORCH_ACTIVATIONS[self.activation](g)

    def preactivations(self, x):
        r"""The pre-activations :math:`\hat g^{(\ell)}(x)`, a list of L tensors of shapes (N, m_l)."""
        f, out = x, []
        for w in self.layers:
            g = f @ w.T / w.shape[1]
            out.append(g)
            f = self._h(g)
        return out

    def forward(self, x):
        """:math:`\\hat f(x)`, shape (N, k)."""
        g = self.preactivations(x)[-1]
        return self._h(g) @ self.out / self.out.shape[0]

    def ntk_layers(self):
        """The network as a stack of scaled linear maps and activations, for the structured empirical NTK.

        See :func:`measureopt.kernels.empirical_ntk`: the protocol lets it
        contract per layer instead of forming the Jacobian.
        """
        steps = []
        for w in self.layers:
            steps += [{"weight": w, "weight_scale": 1.0 / w.shape[1]}, self._h]
        return steps + [{"weight": self.out.T, "weight_scale": 1.0 / self.out.shape[0]}]

    # ------------------------------------------------------------ the objective (9)-(12)
    def regularizers(self):
        r"""The :math:`\ell_{1,2}` regularizers (eq. 11-12): a list of L torch scalars and :math:`\hat R^{(u)}`.

        .. math:: \hat R^{(\ell)}_w = \frac{1}{m_{\ell-1}} \sum_{k=1}^{m_{\ell-1}}
                  \Big(\frac{1}{m_\ell} \sum_{j=1}^{m_\ell} |w^{(\ell)}_{j,k}|\Big)^2,
                  \qquad \hat R^{(u)} = \frac{1}{m_L}\sum_j \lVert u_j\rVert^2.

        The inner sum is the fan-out of node :math:`k` of layer
        :math:`\ell-1`, with an absolute value: eq. (11) as printed lacks
        it, while eq. (7) and (23) have it.
        """
        layer = [torch.mean(torch.mean(torch.abs(w), dim=0) ** 2) for w in self.layers]
        return layer, torch.mean(torch.sum(self.out**2, dim=1))

    def objective(self, X, Y, reg, reg_u, loss="squared"):
        r""":math:`\hat Q(w, u)` of eq. (9): the mean loss plus the regularizers (eq. 10), a torch scalar.

        ``X`` (N, d) and ``Y`` (N, k) tensors (for ``"cross_entropy"``, rows of
        ``Y`` are class probabilities); ``reg`` a float or L floats
        :math:`\lambda^{(\ell)}`; ``reg_u`` :math:`\lambda^{(u)}`. The squared
        loss is :math:`\frac12\lVert f - y\rVert^2`.
        """
        out = self(X)
        data = loss_value(out, Y, loss)
        layer, top = self.regularizers()
        regs = _per_layer(reg, len(layer))
        reg_u = check_positive(reg_u, "reg_u", strict=False)
        return data + sum(r * v for r, v in zip(regs, layer)) + reg_u * top


def loss_value(out, Y, loss):
    """Mean loss over the rows, torch: ``0.5 |f - y|^2`` or the softmax cross-entropy."""
    if loss == "squared":
        return 0.5 * torch.mean(torch.sum((out - Y) ** 2, dim=1))
    if loss == "cross_entropy":
        return torch.mean(torch.logsumexp(out, dim=1) - torch.sum(out * Y, dim=1))
    raise ValueError(f"loss must be 'squared' or 'cross_entropy'; got {loss!r}")


def _per_layer(reg, L):
    if np.ndim(reg) == 0:
        return [check_positive(reg, "reg", strict=False)] * L
    reg = list(reg)
    if len(reg) != L:
        raise ValueError(f"reg must be a float or {L} floats (one per hidden layer); got {len(reg)}")
    return [check_positive(r, f"reg[{i}]", strict=False) for i, r in enumerate(reg)]


def atoms_from_network(network, X):
    r"""The reference atoms of Program (21) taken from a network (Fang et al. 2022, Sec. V-B).

    Layer 1: the weight rows :math:`w^{(1)}_j \in \mathbb{R}^d` (a node is
    indexed by its incoming weights, eq. 13); layers :math:`\ell \ge 2`: the
    pre-activation vectors :math:`\hat g^{(\ell)}_j(X) \in \mathbb{R}^N` on
    the training inputs.

    Parameters
    ----------
    network : DeepMLP or torch.nn.Sequential
        See :meth:`DeepMLP.from_module`.
    X : array_like, shape (N, d)

    Returns
    -------
    list of ndarray
        ``[(m_1, d), (m_2, N), ..., (m_L, N)]``, float64.
    """
    net = DeepMLP.from_module(network)
    X = check_array(X, "X", ndim=2, shape=("N", net.layers[0].shape[1]))
    with torch.no_grad():
        g = net.preactivations(torch.tensor(X, dtype=net.out.dtype, device=net.out.device))
    return [net.layers[0].detach().cpu().numpy().astype(float)] + [gl.T.cpu().numpy().astype(float) for gl in g[1:]]
