r"""The structured empirical NTK of Linear stacks: a per-layer Gram contraction that never forms the Jacobian.

Imported lazily by :func:`~measureopt.kernels.empirical_ntk` (it needs torch).

A module qualifies when it is

* an ``nn.Sequential`` (nested ones are flattened) of ``nn.Linear`` layers,
  with or without bias, and the elementwise activations of
  :data:`ACTIVATIONS`, in any order, without hooks or parametrizations; or
* any module with a method ``ntk_layers()`` (the protocol) returning that
  sequence of steps, each one of: a module as above; a dict
  ``{"weight": W, "bias": b, "weight_scale": c, "bias_scale": c_b}`` for
  :math:`z = c\,a W^\top + c_b\,b` (``W`` of shape (out, in), a parameter of
  the module or a view of one such as ``p.T``; ``bias`` optional, the scales
  default to 1); or a callable elementwise activation (``torch.tanh``).
  Every parameter of the module must appear exactly once. For example, a
  :class:`~measureopt.deep.DeepMLP` (1/m scaling) would read::

      def ntk_layers(self):
          act = TORCH_ACTIVATIONS[self.activation]
          steps = []
          for w in self.layers:
              steps += [{"weight": w, "weight_scale": 1 / w.shape[1]}, act]
          return steps + [{"weight": self.out.T, "weight_scale": 1 / self.out.shape[0]}]

Subclasses of ``nn.Sequential``, ``nn.Linear`` or the activations are not
recognized (they may override ``forward``): they take the ``torch.func`` path.
"""

from dataclasses import dataclass

import torch
from torch import nn
from torch.func import jvp

__all__ = ["ACTIVATIONS", "Unsupported", "plan", "structured_ntk"]

#: Elementwise, parameter-free activation modules the structured path differentiates (forward-mode, exactly as
#: autograd does, ReLU's derivative at 0 included).
ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU, nn.Mish, nn.Softplus,
               nn.Sigmoid, nn.Tanh, nn.Hardtanh, nn.Hardsigmoid, nn.Hardswish, nn.Softsign, nn.Identity)


class Unsupported(TypeError):
    """The module is not a Linear stack; the message names the first submodule that is not."""


@dataclass
class _Affine:
    weight: torch.Tensor
    bias: torch.Tensor = None
    weight_scale: float = 1.0
    bias_scale: float = 1.0


def _plain(m, name):
    return type(m).__name__ if not name else f"submodule '{name}' ({type(m).__name__})"


def _flatten(module, prefix, steps):
    """Steps of a plain nn.Sequential, nested ones flattened; raises :class:`Unsupported` at the first other one."""
    from torch.nn.utils.parametrize import is_parametrized

    for name, m in module._modules.items():  # as forward runs them: named_children() drops repeats
        full = f"{prefix}{name}"
        if m._forward_hooks or m._forward_pre_hooks or is_parametrized(m):
            raise Unsupported(f"{_plain(m, full)} has hooks or parametrizations")
        if type(m) is nn.Sequential:
            _flatten(m, full + ".", steps)
        elif type(m) is nn.Linear:
            steps.append(_Affine(m.weight, m.bias))
        elif type(m) in ACTIVATIONS:
            steps.append(m)
        else:
            raise Unsupported(f"{_plain(m, full)} is neither nn.Linear, nn.Sequential nor an elementwise activation "
                              f"({', '.join(a.__name__ for a in ACTIVATIONS)})")
    return steps


def plan(module):
    """The steps of ``module``: :class:`_Affine` maps and elementwise callables, in order.

    Raises
    ------
    Unsupported
        If ``module`` is not a Linear stack, naming the first submodule that is not.
        A plain ``nn.Sequential`` that shares a parameter between layers is not one either.
    ValueError
        If its ``ntk_layers()`` does not list every parameter exactly once.
    """
    if hasattr(module, "ntk_layers"):
        steps = []
        for i, s in enumerate(module.ntk_layers()):
            if isinstance(s, dict):
                steps.append(_Affine(s["weight"], s.get("bias"), float(s.get("weight_scale", 1.0)),
                                     float(s.get("bias_scale", 1.0))))
            elif isinstance(s, nn.Module):
                steps.extend(_flatten(nn.Sequential(s), f"ntk_layers()[{i}].", []))
            elif callable(s):
                steps.append(s)
            else:
                raise ValueError(f"ntk_layers()[{i}] must be a module, a dict or a callable; got {type(s).__name__}")
    elif type(module) is nn.Sequential:
        if module._forward_hooks or module._forward_pre_hooks:
            raise Unsupported("the nn.Sequential has hooks")
        steps = _flatten(module, "", [])
    else:
        raise Unsupported(f"the module itself ({type(module).__name__}) is neither a plain nn.Sequential nor exposes "
                          "ntk_layers()")
    listed = [t if t._base is None else t._base for s in steps if isinstance(s, _Affine)
              for t in (s.weight, s.bias) if t is not None]
    if sorted(map(id, listed)) != sorted(map(id, module.parameters())):
        error = ValueError if hasattr(module, "ntk_layers") else Unsupported
        raise error(f"the layers of {type(module).__name__} must hold each of its parameters exactly once "
                    "(shared or unlisted parameters break the per-layer sum)")
    if not listed:
        raise Unsupported(f"{type(module).__name__} has no Linear layer")
    return steps


def _features(pre, layers, Z):
    """Per layer: the input activations a_{l-1} (B, d_in) and the sensitivities delta_l (B, k, d_out)."""
    for act in pre:
        Z = act(Z)
    inputs, slopes = [], []
    for aff, post in layers:
        inputs.append(Z)
        Z = aff.weight_scale * (Z @ aff.weight.T)
        if aff.bias is not None:
            Z = Z + aff.bias_scale * aff.bias
        slope = None  # the derivative of the activations after this layer, chained by forward mode
        for act in post:
            Z, slope = jvp(act, (Z,), (torch.ones_like(Z) if slope is None else slope,))
        slopes.append(slope)
    k = Z.shape[1]
    delta = torch.eye(k, dtype=Z.dtype, device=Z.device).expand(len(Z), k, k)
    deltas = [None] * len(layers)
    for i in reversed(range(len(layers))):
        if slopes[i] is not None:
            delta = delta * slopes[i][:, None, :]
        deltas[i] = delta
        delta = delta @ (layers[i][0].weight_scale * layers[i][0].weight)
    return inputs, deltas


def structured_ntk(steps, X, Y, batch_size):
    r"""The empirical NTK of a Linear stack by a per-layer contraction; ``X``, ``Y`` (or None) tensors on the device.

    For layers :math:`z_\ell = c_\ell\,a_{\ell-1} W_\ell^\top + c^b_\ell\,b_\ell`,
    :math:`a_\ell = \sigma_\ell(z_\ell)` (:math:`\sigma_\ell` the elementwise
    activations between layers :math:`\ell` and :math:`\ell+1`, possibly none;
    :math:`a_0` the input after any leading ones), and output
    :math:`f = a_L \in \mathbb{R}^k`, the sensitivities
    :math:`\delta_\ell = \partial f / \partial z_\ell \in \mathbb{R}^{k \times d_\ell}`
    follow the backward recursion

    .. math:: \delta_L = \operatorname{diag}\sigma_L'(z_L), \qquad
              \delta_\ell = \big(\delta_{\ell+1}\, c_{\ell+1} W_{\ell+1}\big)\operatorname{diag}\sigma_\ell'(z_\ell),

    batched over the k outputs and the samples. Since
    :math:`\partial f_\kappa / \partial W_\ell = c_\ell\,\delta_{\ell,\kappa}\, a_{\ell-1}^\top`
    is rank one, the Gram of the Jacobians factorizes layer by layer:

    .. math:: \Theta(x, y)_{\kappa\kappa'} = \sum_\ell
              \Big(\sum_o \delta_\ell(x)_{\kappa o}\,\delta_\ell(y)_{\kappa' o}\Big)
              \Big(c_\ell^2\, a_{\ell-1}(x)^\top a_{\ell-1}(y) + (c^b_\ell)^2\,\mathbb{1}_{\text{bias}}\Big).

    The cost is :math:`O(n p\,\sum_\ell (d_{\ell-1} + k^2 d_\ell))` for n
    rows and p columns, against :math:`O(n p k^2 P)` for the Gram of the
    (n k, P) Jacobian, which is never formed: only the activations and
    sensitivities, :math:`(n + p) \sum_\ell (d_{\ell-1} + k d_\ell)` numbers.
    Features are computed, and the Gram filled, ``batch_size`` rows at a time.

    Returns
    -------
    torch.Tensor
        Shape (n, p, k, k).
    """
    pre, layers = [], []
    for s in steps:
        if isinstance(s, _Affine):
            s = _Affine(*(None if t is None else t.detach().to(X.device, X.dtype) for t in (s.weight, s.bias)),
                        s.weight_scale, s.bias_scale)
            layers.append((s, []))
        else:
            (layers[-1][1] if layers else pre).append(s)
    if X.shape[1] != layers[0][0].weight.shape[1]:
        raise ValueError(f"X has {X.shape[1]} features; the first Linear layer takes {layers[0][0].weight.shape[1]}")

    def features(Z):
        parts = [_features(pre, layers, Z[s:s + batch_size]) for s in range(0, len(Z), batch_size)]
        return [[torch.cat([p[j][i] for p in parts]) for i in range(len(layers))] for j in (0, 1)]

    with torch.no_grad():
        AY, DY = features(X if Y is None else Y)
        n, p, k = len(X), len(AY[0]), DY[0].shape[1]
        K = torch.zeros(n, p, k, k, dtype=X.dtype, device=X.device)
        for s in range(0, n, batch_size):
            if Y is None:
                AX, DX = ([f[s:s + batch_size] for f in F] for F in (AY, DY))
            else:
                AX, DX = features(X[s:s + batch_size])
            for (aff, _), ax, ay, dx, dy in zip(layers, AX, AY, DX, DY):
                ga = aff.weight_scale**2 * (ax @ ay.T)
                if aff.bias is not None:
                    ga = ga + aff.bias_scale**2
                gd = (dx.reshape(-1, dx.shape[2]) @ dy.reshape(-1, dy.shape[2]).T).reshape(len(dx), k, p, k)
                K[s:s + len(dx)] += gd.permute(0, 2, 1, 3) * ga[:, :, None, None]
    return K
