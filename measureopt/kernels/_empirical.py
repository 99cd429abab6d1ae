r"""The empirical NTK of any torch module: the Gram matrix of its parameter Jacobians.

Linear stacks take a structured per-layer contraction (``_structured``); any
other module the ``torch.func`` Jacobian path.
"""

import numpy as np

from .._validation import check_array, check_int, check_torch_device

METHODS = ("auto", "structured", "jacobian")

__all__ = ["empirical_ntk"]


def empirical_ntk(module, X, Y=None, batch_size=256, device=None, method="auto"):
    r"""The empirical NTK :math:`\Theta(x, y) = \sum_p \partial_p f(x)\,\partial_p f(y)^\top` of a torch module.

    Two paths, equal to rounding:

    ``"structured"``
        For Linear stacks: an ``nn.Sequential`` (possibly nested) of
        ``nn.Linear`` layers, with or without bias, and elementwise activations
        (``ReLU``, ``Tanh``, ``Sigmoid``, ``Softplus``, ``GELU``, ``SiLU``,
        ``Identity``, ...; see ``measureopt.kernels._structured.ACTIVATIONS``),
        or any module exposing ``ntk_layers()`` (scaled layers, such as the
        1/m scaling of a :class:`~measureopt.deep.DeepMLP`; protocol in
        ``measureopt.kernels._structured``). The Gram is contracted layer by
        layer from the activations :math:`a_{\ell-1}` and the backpropagated
        sensitivities :math:`\delta_\ell = \partial f/\partial z_\ell`,
        :math:`\Theta_{\kappa\kappa'} = \sum_\ell (\delta_\ell(x)\delta_\ell(y)^\top)_{\kappa\kappa'}
        (a_{\ell-1}(x)^\top a_{\ell-1}(y) + \mathbb{1}_{\text{bias}})`,
        never forming the Jacobian (``_structured.structured_ntk``).
    ``"jacobian"``
        Any module: the Jacobian of the output with respect to every
        parameter, per sample, with ``torch.func`` (``vmap`` of ``jacrev``),
        contracted over the parameters.

    ``"auto"`` takes the structured path when the module qualifies. Both work
    in batches of ``batch_size`` samples, on ``device`` (the module's by
    default), in the module's dtype. For Fang, Dong & Zhang's two-layer
    model the NTK equals :math:`\frac{\alpha^2}{m}(k^u_m + k^\theta_m)`
    (:func:`ntk_kernels_finite`).

    Parameters
    ----------
    module : torch.nn.Module
        Maps a batch (B, d) to (B,) or (B, k).
    X : array_like, shape (n, d)
    Y : array_like, shape (p, d), optional
        ``X`` by default.
    batch_size : int, default=256
    device : str or torch.device, optional
    method : {"auto", "structured", "jacobian"}, default="auto"

    Returns
    -------
    ndarray
        Shape (n, p) for a scalar output, (n, p, k, k) for k outputs.

    Raises
    ------
    TypeError
        With ``method="structured"`` on a module that is not a Linear stack,
        naming the first submodule that is not.
    """
    import torch
    from torch.func import functional_call, jacrev, vmap

    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module; got {type(module).__name__}")
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    first = next(module.parameters(), None)
    if first is None:
        raise ValueError("module has no parameters: its NTK is zero")
    device = first.device if device is None else check_torch_device(device)
    dtype = first.dtype
    X = check_array(X, "X", ndim=2)
    Y = X if Y is None else check_array(Y, "Y", ndim=2, shape=("p", X.shape[1]))
    if method != "jacobian":
        from . import _structured

        try:
            steps = _structured.plan(module)
        except _structured.Unsupported as exc:
            if method == "structured":
                raise TypeError(f"method='structured' needs a Linear stack: {exc}") from None
            steps = None
        if steps is not None:
            Xt = torch.as_tensor(np.array(X), dtype=dtype, device=device)
            Yt = None if Y is X else torch.as_tensor(np.array(Y), dtype=dtype, device=device)
            K = _structured.structured_ntk(steps, Xt, Yt, batch_size).cpu().numpy()
            return K[:, :, 0, 0] if K.shape[2] == 1 else K

    params = {k: v.detach().to(device) for k, v in module.named_parameters()}

    def f(p, x):
        return functional_call(module, p, (x[None],)).reshape(-1)

    jac = vmap(jacrev(f), in_dims=(None, 0))

    def jacobians(Z):
        Z = torch.as_tensor(np.array(Z), dtype=dtype, device=device)
        out = []
        for s in range(0, len(Z), batch_size):
            J = jac(params, Z[s:s + batch_size])
            out.append(torch.cat([j.reshape(j.shape[0], j.shape[1], -1) for j in J.values()], dim=2))
        return torch.cat(out)  # (n, k, P)

    JX = jacobians(X)
    JY = JX if Y is X else jacobians(Y)
    K = torch.einsum("ikp,jlp->ijkl", JX, JY).cpu().numpy()
    return K[:, :, 0, 0] if K.shape[2] == 1 else K
