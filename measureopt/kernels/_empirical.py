r"""The empirical NTK of any torch module: the Gram matrix of its parameter Jacobians (``torch.func``)."""

import numpy as np

from .._validation import check_array, check_int

__all__ = ["empirical_ntk"]


def empirical_ntk(module, X, Y=None, batch_size=256, device=None):
    r"""The empirical NTK :math:`\Theta(x, y) = \sum_p \partial_p f(x)\,\partial_p f(y)^\top` of a torch module.

    The Jacobian of the output with respect to every parameter is computed
    per sample with ``torch.func`` (``vmap`` of ``jacrev``), in batches of
    ``batch_size`` samples, on ``device`` (the module's by default), and
    contracted over the parameters. For Fang, Dong & Zhang's two-layer
    model it equals :math:`\frac{\alpha^2}{m}(k^u_m + k^\theta_m)`
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

    Returns
    -------
    ndarray
        Shape (n, p) for a scalar output, (n, p, k, k) for k outputs.
    """
    import torch
    from torch.func import functional_call, jacrev, vmap

    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module; got {type(module).__name__}")
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    first = next(module.parameters(), None)
    if first is None:
        raise ValueError("module has no parameters: its NTK is zero")
    device = first.device if device is None else torch.device(device)
    dtype = first.dtype
    params = {k: v.detach().to(device) for k, v in module.named_parameters()}
    X = check_array(X, "X", ndim=2)
    Y = X if Y is None else check_array(Y, "Y", ndim=2, shape=("p", X.shape[1]))

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
