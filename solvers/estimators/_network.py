"""The fitted estimators as torch modules (imported at first use: torch loads only when asked)."""

import numpy as np
import torch
from torch import nn

from measureopt._validation import check_torch_dtype
from measureopt.activations import is_relu, get_activation
from measureopt.networks import balanced_units

__all__ = ["measures_to_network", "SqueezeOutput"]


class SqueezeOutput(nn.Module):
    """``(n, 1) -> (n,)``: the network's output has the shape of ``predict``."""

    def forward(self, x):
        return x.squeeze(-1)


def measures_to_network(measures, activation, lift, dtype=None):
    r"""One ReLU network computing :math:`f(\cdot;\nu_c)` for each measure, as its output ``c``.

    Atom :math:`r\delta_\theta` of :math:`\nu_c` is the balanced unit
    (``measureopt.networks.balanced_units``) :math:`w = \sqrt{|r|}\theta`,
    output weight :math:`\operatorname{sign}(r)\sqrt{|r|}` to output ``c``
    (0 to the others); with lifted inputs the
    last coordinate of :math:`w` is the unit's bias.
    """
    if not is_relu(get_activation(activation)):
        raise ValueError(f"to_network exports ReLU networks; this model's activation is {activation!r}")
    dtype = check_torch_dtype(dtype)
    support = np.concatenate([m.support for m in measures])
    weights = np.concatenate([m.weights for m in measures])
    owner = np.repeat(np.arange(len(measures)), [m.n_atoms for m in measures])
    hidden, a = balanced_units(weights, support)
    out = np.zeros((len(measures), len(weights)))
    out[owner, np.arange(len(weights))] = a
    d = support.shape[1] - 1 if lift else support.shape[1]
    first = nn.Linear(d, len(weights), bias=bool(lift)).to(dtype)
    last = nn.Linear(len(weights), len(measures), bias=False).to(dtype)
    with torch.no_grad():
        first.weight.copy_(torch.as_tensor(hidden[:, :d], dtype=dtype))
        if lift:
            first.bias.copy_(torch.as_tensor(hidden[:, d], dtype=dtype))
        last.weight.copy_(torch.as_tensor(out, dtype=dtype))
    layers = [first, nn.ReLU(), last]
    return nn.Sequential(*layers, SqueezeOutput()) if len(measures) == 1 else nn.Sequential(*layers)
