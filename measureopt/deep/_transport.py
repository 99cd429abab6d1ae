r"""Wasserstein distances between the feature distributions of two layered measures, layer by layer (POT)."""

import numpy as np

from ..transport import _bottleneck, _check_p, _transport_p
from ._layered import LayeredMeasure

__all__ = ["layer_wasserstein"]


def layer_wasserstein(mu, nu, p=2, rtol=1e-9):
    r"""Per layer, :math:`W_p` between the feature distributions :math:`\rho^{(\ell)}` of two layered measures.

    Layer :math:`\ell` of a :class:`~measureopt.deep.LayeredMeasure` is the
    probability measure :math:`\rho^{(\ell)} = \sum_k \pi_k p_k
    \delta_{z_k}` (masses normalized to 1, atoms below ``rtol`` times the
    largest left out). The ground cost is the Euclidean distance between
    weight vectors in :math:`\mathbb{R}^d` for layer 1, and the root mean
    square difference over the N training points,
    :math:`\lVert z - z'\rVert/\sqrt N`, between feature vectors for layers
    :math:`\ell \ge 2` (the units of a pre-activation). Exact optimal
    transport (POT's ``emd``).

    Parameters
    ----------
    mu, nu : LayeredMeasure
        With the same number of layers and atom dimensions (e.g. a trained
        network's :meth:`~measureopt.deep.LayeredMeasure.from_network` and a
        solution of Program (21) on its atoms).
    p : float, default=2
        Order, ``>= 1`` or ``numpy.inf`` (the bottleneck distance); finite
        orders are computed in a scaled cost, so large ones stay finite and
        exact (as in :func:`measureopt.wasserstein`).
    rtol : float, default=1e-9

    Returns
    -------
    list of float
        :math:`W_p(\rho^{(\ell)}_\mu, \rho^{(\ell)}_\nu)`, :math:`\ell = 1, \dots, L`.
    """
    import ot

    for name, m in (("mu", mu), ("nu", nu)):
        if not isinstance(m, LayeredMeasure):
            raise TypeError(f"{name} must be a LayeredMeasure; got {type(m).__name__}")
    if [a.shape[1] for a in mu.atoms] != [a.shape[1] for a in nu.atoms]:
        raise ValueError(f"mu and nu must have atoms of the same lengths per layer; got "
                         f"{[a.shape[1] for a in mu.atoms]} and {[a.shape[1] for a in nu.atoms]}")
    p = _check_p(p)
    out = []
    for l, (ka, kb) in enumerate(zip(mu.kept(rtol), nu.kept(rtol))):
        a, b = mu.weights[l][ka], nu.weights[l][kb]
        A, B = mu.atoms[l][ka], nu.atoms[l][kb]
        scale = 1.0 if l == 0 else np.sqrt(A.shape[1])
        cost = ot.dist(A, B, metric="euclidean") / scale
        a, b = a / a.sum(), b / b.sum()
        out.append(_bottleneck(a, b, cost) if np.isinf(p) else _transport_p(a, b, cost, p)[0])
    return out
