r"""Two-layer networks and their measures on the sphere.

A two-layer network :math:`f(x) = s\sum_{j=1}^M a_j\,\sigma(\langle w_j, x\rangle)`
with a positively 1-homogeneous :math:`\sigma` (ReLU) is the measure

.. math::

    \nu = s\sum_{j=1}^M a_j\lVert w_j\rVert\,\delta_{w_j/\lVert w_j\rVert},
    \qquad f(x) = \int \sigma(\langle\theta, x\rangle)\,d\nu(\theta),

because :math:`a\,\sigma(\langle w, x\rangle) = a\lVert w\rVert\,
\sigma(\langle w/\lVert w\rVert, x\rangle)` (Akiyama & Suzuki, 2021, Sec. 2).
The penalty :math:`\lambda s\sum_j|a_j|\lVert w_j\rVert` of eq. (4) is
:math:`\lambda\lVert\nu\rVert_{TV}` when the directions are distinct (eq. 6),
and weight decay :math:`\frac\lambda2 s\sum_j(a_j^2 + \lVert w_j\rVert^2)` is
never smaller, with equality for balanced units :math:`|a_j| = \lVert
w_j\rVert` (eq. 5, by :math:`2|a|\lVert w\rVert \le a^2 + \lVert w\rVert^2`).
So :math:`J(\nu)` never exceeds the network objective, and the two minima
agree.

Biases are handled by lifting: :math:`\sigma(\langle w, x\rangle + b) =
\sigma(\langle (w, b), (x, 1)\rangle)`, so a network with biases is a
measure on :math:`\mathbb{S}^d` for the inputs :func:`lift` ``(X)``.
"""

import warnings

import numpy as np

from ._validation import check_array, check_positive, check_real, check_torch_dtype
from .measures import DiscreteMeasure, check_measure

__all__ = ["network_measure", "lift", "from_network", "to_network", "weight_decay", "LiftedInputsWarning"]


class LiftedInputsWarning(UserWarning):
    """A network with biases was mapped to a measure on lifted inputs ``(x, 1)``."""


def network_measure(a, W, scale=1.0, degree=1.0):
    r"""The measure :math:`\nu = s\sum_j a_j\lVert w_j\rVert^k\,\delta_{w_j/\lVert w_j\rVert}` of a two-layer network.

    Parameters
    ----------
    a : array_like, shape (M,)
        Output weights :math:`a_j`.
    W : array_like, shape (M, d)
        Hidden weights :math:`w_j`, one per row.
    scale : float, default=1.0
        Output scaling :math:`s` (``1/M`` in the mean-field scaling).
    degree : float, default=1.0
        Homogeneity :math:`k` of the activation: 1 for ReLU, :math:`\alpha`
        for :math:`(u)_+^\alpha`, and 0 for a network whose units read only
        the direction :math:`w_j/\lVert w_j\rVert` (then the weights are
        :math:`s a_j`).

    Returns
    -------
    DiscreteMeasure
        One atom per unit with :math:`w_j \ne 0` (units with :math:`w_j = 0`
        compute :math:`\sigma(0) = 0` for ReLU and are dropped).

    Examples
    --------
    >>> import measureopt as mo
    >>> nu = mo.network_measure([2.0, -1.0], [[3.0, 4.0], [0.0, 0.5]])
    >>> nu.weights, nu.support
    (array([10. , -0.5]), array([[0.6, 0.8],
           [0. , 1. ]]))
    """
    a = check_array(a, "a", ndim=1, shape=("M",))
    W = check_array(W, "W", ndim=2, shape=("M", "d"))
    if W.shape[0] != a.shape[0]:
        raise ValueError(
            f"a and W must have one entry per unit: a has shape {a.shape}, W has shape {W.shape}"
        )
    scale = check_array(scale, "scale", ndim=0)
    degree = check_real(degree, "degree", 0.0)
    norms = np.linalg.norm(W, axis=1)
    keep = norms > 0
    weights = float(scale) * a[keep] * norms[keep] ** degree
    return DiscreteMeasure(weights, W[keep] / norms[keep, None])


def lift(X):
    r"""Lifted inputs :math:`\tilde x_i = (x_i, 1)` for networks with biases (Berthier et al., 2020, Sec. 2).

    Parameters
    ----------
    X : array_like, shape (n, d)

    Returns
    -------
    ndarray, shape (n, d + 1)
    """
    X = check_array(X, "X", ndim=2, shape=("n", "d"))
    return np.hstack([X, np.ones((X.shape[0], 1))])


def _expected_architecture():
    return (
        "expected torch.nn.Sequential(Linear(d, M), ReLU(), Linear(M, 1)) "
        "(biases allowed; single output)"
    )


def _linear_layers(module):
    import torch.nn as nn

    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module; got {type(module).__name__}")
    layers = list(module.children()) if isinstance(module, nn.Sequential) else None
    if (
        layers is None
        or len(layers) != 3
        or not isinstance(layers[0], nn.Linear)
        or not isinstance(layers[1], nn.ReLU)
        or not isinstance(layers[2], nn.Linear)
    ):
        found = [type(m).__name__ for m in (layers or [module])]
        raise ValueError(f"unsupported network architecture {found}: {_expected_architecture()}")
    first, last = layers[0], layers[2]
    if last.out_features != 1:
        raise ValueError(
            f"unsupported network: the last Linear has {last.out_features} outputs; "
            f"{_expected_architecture()}"
        )
    return first, last


def from_network(module):
    r"""The measure of a torch two-layer ReLU network (eq. 4-6).

    For ``Sequential(Linear(d, M, bias=False), ReLU(), Linear(M, 1,
    bias=False))`` with first-layer rows :math:`w_j` and output weights
    :math:`a_j` this is :func:`network_measure` ``(a, W)``, a measure on
    :math:`\mathbb{S}^{d-1}` with :math:`f(x;\nu)` equal to the network's
    output.

    With biases the inputs are lifted to :math:`(x, 1)` (:func:`lift`):
    unit :math:`j` becomes the direction of :math:`(w_j, b_j)` and an
    output bias :math:`c` becomes the atom :math:`c\,\delta_{e_{d+1}}`
    (:math:`\sigma(\langle e_{d+1}, (x, 1)\rangle) = 1`). The measure then
    lives on :math:`\mathbb{S}^d`, and a :class:`LiftedInputsWarning` says
    so; build the problem on ``lift(X)``.

    Parameters
    ----------
    module : torch.nn.Sequential
        ``Linear -> ReLU -> Linear`` with one output.

    Returns
    -------
    DiscreteMeasure

    Raises
    ------
    TypeError, ValueError
        For anything but the architecture above (the message says what was
        expected).

    Examples
    --------
    >>> import torch
    >>> import measureopt as mo
    >>> net = torch.nn.Sequential(torch.nn.Linear(3, 4, bias=False), torch.nn.ReLU(),
    ...                           torch.nn.Linear(4, 1, bias=False))
    >>> mo.from_network(net).dim
    3
    """
    first, last = _linear_layers(module)
    W = first.weight.detach().cpu().double().numpy()
    a = last.weight.detach().cpu().double().numpy()[0]
    if first.bias is None and last.bias is None:
        return network_measure(a, W)
    warnings.warn(
        "the network has biases: its measure lives on S^d for lifted inputs (x, 1); "
        "build the problem on measureopt.lift(X)",
        LiftedInputsWarning,
        stacklevel=2,
    )
    b = np.zeros(W.shape[0]) if first.bias is None else first.bias.detach().cpu().double().numpy()
    nu = network_measure(a, np.hstack([W, b[:, None]]))
    c = 0.0 if last.bias is None else float(last.bias.detach().cpu()[0])
    if c != 0.0:
        e = np.zeros((1, W.shape[1] + 1))
        e[0, -1] = 1.0
        nu = nu + DiscreteMeasure([c], e)
    return nu


def balanced_units(weights, support):
    r"""The balanced units of the atoms :math:`r_j\delta_{\theta_j}`: :math:`w_j = \sqrt{|r_j|}\,\theta_j`, :math:`a_j = \operatorname{sign}(r_j)\sqrt{|r_j|}`.

    Returns ``(W, a)`` with ``W`` of shape (k, d) (the rows :math:`w_j`) and
    ``a`` of shape (k,): :math:`a_j\sigma(\langle w_j, x\rangle) =
    r_j\sigma(\langle\theta_j, x\rangle)` for a positively homogeneous
    :math:`\sigma`, and :math:`\frac12(a_j^2 + \lVert w_j\rVert^2) = |r_j|`.
    """
    weights = np.asarray(weights, dtype=float)
    root = np.sqrt(np.abs(weights))
    return root[:, None] * np.asarray(support, dtype=float), np.sign(weights) * root


def to_network(measure, dtype=None):
    r"""A torch two-layer ReLU network whose measure is ``measure``.

    Atom :math:`r_j\delta_{\theta_j}` becomes the balanced unit
    :math:`w_j = \sqrt{|r_j|}\,\theta_j`, :math:`a_j =
    \operatorname{sign}(r_j)\sqrt{|r_j|}`, so the network computes
    :math:`f(\cdot;\nu)` and its weight decay :math:`\frac\lambda2(\sum_j a_j^2
    + \lVert w_j\rVert^2)` equals :math:`\lambda\lVert\nu\rVert_{TV}`
    (eq. 5-6).

    Parameters
    ----------
    measure : DiscreteMeasure
        A measure on :math:`\mathbb{S}^{d-1}`.
    dtype : torch.dtype or str, optional
        Parameter type (a floating dtype or its name, ``"float32"``);
        ``torch.float64`` by default.

    Returns
    -------
    torch.nn.Sequential
        ``Linear(d, k, bias=False) -> ReLU -> Linear(k, 1, bias=False)``.
    """
    import torch
    import torch.nn as nn

    check_measure(measure)
    dtype = check_torch_dtype(dtype)
    k, d = measure.n_atoms, measure.dim
    hidden, out = balanced_units(measure.weights, measure.support)
    net = nn.Sequential(nn.Linear(d, k, bias=False), nn.ReLU(), nn.Linear(k, 1, bias=False))
    net = net.to(dtype)
    with torch.no_grad():
        net[0].weight.copy_(torch.as_tensor(hidden, dtype=dtype))
        net[2].weight.copy_(torch.as_tensor(out[None, :], dtype=dtype))
    return net


def weight_decay(module, reg):
    r""":math:`\frac\lambda2\sum` of the squared weights of a torch module (for checks against :math:`\lambda\lVert\nu\rVert_{TV}`)."""
    reg = check_positive(reg, "reg", strict=False)
    return 0.5 * reg * float(sum((p.detach().double() ** 2).sum() for p in module.parameters()))
