r"""Finite-width networks of Du et al. (2019) at initialization: forward pass, last-layer Gram :math:`G^{(H)}(0)`."""

import numpy as np

from .._validation import check_array, check_int, check_random_state
from ..activations import get_activation
from ._du import c_sigma

__all__ = ["du_network_init", "du_forward", "du_gram_finite"]

_ARCHS = ("fc", "resnet", "conv")


def _check_arch(architecture):
    if architecture not in _ARCHS:
        raise ValueError(f"architecture must be one of {_ARCHS}; got {architecture!r}")
    return architecture


def _check_c_res(c_res, architecture):
    if architecture == "fc":
        return c_res
    if isinstance(c_res, bool) or not isinstance(c_res, (int, float, np.floating)) or not 0 < c_res < 1:
        raise ValueError(f"c_res must be a number in (0, 1) for a ResNet (Du et al. 2019, eq. (3)); got {c_res!r}")
    return float(c_res)


def du_network_init(d, width, depth, architecture="fc", seed=None, n_pixels=None, q=3):
    r"""Weights of Du et al.'s networks at initialization: all entries i.i.d. :math:`N(0, 1)`.

    Fully connected and ResNet (eq. (2), (3)): :math:`W^{(1)} \in
    \mathbb{R}^{m\times d}`, :math:`W^{(h)} \in \mathbb{R}^{m\times m}` for
    :math:`2 \le h \le H`, :math:`a \in \mathbb{R}^m`. Convolutional ResNet:
    :math:`W^{(1)} \in \mathbb{R}^{m\times qd}`, :math:`W^{(h)} \in
    \mathbb{R}^{m\times qm}`, :math:`a \in \mathbb{R}^{m\times p}`.

    Parameters
    ----------
    d : int
        Input dimension (input channels :math:`d_0` for ``"conv"``).
    width : int
        :math:`m`.
    depth : int
        :math:`H \ge 1`.
    architecture : {"fc", "resnet", "conv"}, default="fc"
        ``"fc"`` and ``"resnet"`` have the same shapes.
    seed : None, int or numpy Generator
    n_pixels : int, optional
        :math:`p`, required for ``"conv"``.
    q : int, default=3
        Patch size for ``"conv"``.

    Returns
    -------
    weights : list of ndarray
        :math:`[W^{(1)}, \dots, W^{(H)}]`.
    a : ndarray, shape (m,) or (m, p)

    References
    ----------
    Du, S., Lee, J., Li, H., Wang, L., Zhai, X. (2019). Gradient descent finds
    global minima of deep neural networks. ICML. Sec. 3 (initialization).

    Examples
    --------
    >>> from measureopt.kernels import du_network_init
    >>> W, a = du_network_init(d=3, width=8, depth=3, seed=0)
    >>> [w.shape for w in W], a.shape
    ([(8, 3), (8, 8), (8, 8)], (8,))
    """
    architecture = _check_arch(architecture)
    d = check_int(d, "d", minimum=1)
    m = check_int(width, "width", minimum=1)
    depth = check_int(depth, "depth", minimum=1)
    rng = check_random_state(seed, "seed")
    if architecture == "conv":
        if n_pixels is None:
            raise TypeError("n_pixels (p) is required for architecture='conv'")
        p = check_int(n_pixels, "n_pixels", minimum=1)
        q = check_int(q, "q", minimum=1)
        shapes = [(m, q * d)] + [(m, q * m)] * (depth - 1)
        return [rng.standard_normal(s) for s in shapes], rng.standard_normal((m, p))
    shapes = [(m, d)] + [(m, m)] * (depth - 1)
    return [rng.standard_normal(s) for s in shapes], rng.standard_normal(m)


def _patches(x, q):
    """phi(x): (..., C, p) -> (..., C q, p), rows channel-major (c, offset), stride 1, zero padding."""
    r = (q - 1) // 2
    p = x.shape[-1]
    xp = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(r, r)])
    stacked = np.stack([xp[..., r + o:r + o + p] for o in range(-r, r + 1)], axis=-2)
    return stacked.reshape(*x.shape[:-2], x.shape[-2] * q, p)


def _forward(X, weights, a, activation, architecture, c_res):
    """Validated forward pass: the layer outputs x^(0..H), the last pre-activation and the layer scale."""
    architecture = _check_arch(architecture)
    c_res = _check_c_res(c_res, architecture)
    conv = architecture == "conv"
    X = check_array(X, "X", ndim=3 if conv else 2, shape=("n", "d0", "p") if conv else ("n", "d"))
    if not isinstance(weights, (list, tuple)) or not weights:
        raise TypeError("weights must be a non-empty list [W^(1), ..., W^(H)]")
    W = [check_array(w, f"weights[{k}]", ndim=2, finite=False) for k, w in enumerate(weights)]
    for k, w in enumerate(W):  # one pass over m^2 entries, no boolean copy; the sum overflows only for huge weights
        if not np.isfinite(w.sum()) and not np.all(np.isfinite(w)):
            raise ValueError(f"weights[{k}] contains NaN or infinite values; all entries must be finite")
    m, H = W[0].shape[0], len(W)
    q = W[0].shape[1] // X.shape[1] if conv else 1
    if conv and (q * X.shape[1] != W[0].shape[1] or q % 2 == 0):
        raise ValueError(f"weights[0] must have shape (m, q d0) with q odd and d0 = {X.shape[1]}; got {W[0].shape}")
    want = [(m, q * X.shape[1])] + [(m, q * m)] * (H - 1)
    for k, (w, s) in enumerate(zip(W, want)):
        if w.shape != s:
            raise ValueError(f"weights[{k}] must have shape {s}; got {w.shape}")
    a = check_array(a, "a", ndim=2 if conv else 1, shape=(m, X.shape[2]) if conv else (m,))
    h = get_activation(activation)
    cs = c_sigma(h)
    xs, pre = [X], None
    for k, w in enumerate(W):
        pre = w @ _patches(xs[-1], q) if conv else xs[-1] @ w.T
        if k == 0 or architecture == "fc":
            xs.append(np.sqrt(cs / m) * h(pre))
        else:
            xs.append(xs[-1] + c_res / (H * np.sqrt(m)) * h(pre))
    scale = np.sqrt(cs / m) if (architecture == "fc" or H == 1) else c_res / (H * np.sqrt(m))
    return xs, pre, scale, a, h, q


def du_forward(X, weights, a, activation="relu", architecture="fc", c_res=0.5, return_layers=False):
    r"""Outputs :math:`u_i = f(\theta, x_i)` of Du et al.'s networks, eq. (2), (3) and the convolutional ResNet.

    .. math:: x^{(h)} = \sqrt{c_\sigma/m}\,\sigma(W^{(h)}x^{(h-1)}) \ \text{(FC)}, \qquad
              x^{(h)} = x^{(h-1)} + \frac{c_{res}}{H\sqrt m}\sigma(W^{(h)}x^{(h-1)}) \ \text{(ResNet, } h \ge 2),

    :math:`x^{(1)} = \sqrt{c_\sigma/m}\,\sigma(W^{(1)}x)` for both, and
    :math:`f = a^\top x^{(H)}`; the convolutional ResNet applies
    :math:`W^{(h)}` to the patches :math:`\phi(x^{(h-1)})` and outputs
    :math:`\langle a, x^{(H)}\rangle`.

    Parameters
    ----------
    X : array_like, shape (n, d), or (n, d0, p) for ``"conv"``
    weights : list of ndarray
        As from :func:`du_network_init`.
    a : ndarray, shape (m,), or (m, p) for ``"conv"``
    activation : str or Activation, default="relu"
    architecture : {"fc", "resnet", "conv"}, default="fc"
    c_res : float, default=0.5
        In (0, 1); unused for ``"fc"``.
    return_layers : bool, default=False
        Also return the layer outputs :math:`[x^{(0)}, \dots, x^{(H)}]`, each
        of shape (n, m) (``X`` first), or (n, m, p) for ``"conv"``. Their
        Grams :math:`\langle x^{(h)}_i, x^{(h)}_j\rangle` tend to the
        :math:`K^{(h)}` of :func:`du_gram` (:math:`P^{(h)}` of
        :func:`du_gram_conv`), and :math:`m^{-1/2}\sum_k x^{(h)}_{i,k}` to
        :math:`b^{(h)}_i`.

    Returns
    -------
    u : ndarray, shape (n,)
    layers : list of ndarray, only with ``return_layers=True``

    References
    ----------
    Du et al. (2019), ICML, eq. (2), (3) and Sec. 3 (convolutional ResNet).

    Examples
    --------
    >>> import numpy as np
    >>> from measureopt.kernels import du_forward, du_network_init
    >>> W, a = du_network_init(d=2, width=64, depth=2, seed=0)
    >>> du_forward(np.eye(2), W, a, architecture="resnet").shape
    (2,)
    """
    xs, _, _, a, _, _ = _forward(X, weights, a, activation, architecture, c_res)
    u = np.einsum("nmp,mp->n", xs[-1], a) if architecture == "conv" else xs[-1] @ a
    return (u, xs) if return_layers else u


def du_gram_finite(X, weights, a, activation="relu", architecture="fc", c_res=0.5):
    r"""The finite-width Gram :math:`G^{(H)}_{ij} = \langle\partial_{W^{(H)}}u_i, \partial_{W^{(H)}}u_j\rangle_F`.

    From one forward pass, with :math:`s = \sqrt{c_\sigma/m}` (fully
    connected, or :math:`H = 1`) or :math:`s = c_{res}/(H\sqrt m)` (ResNet),
    :math:`\partial u_i/\partial W^{(H)} = s\,(a \odot \sigma'(W^{(H)}x_i^{(H-1)}))\,x_i^{(H-1)\top}`, so

    .. math:: G^{(H)}_{ij} = s^2\,\langle x_i^{(H-1)}, x_j^{(H-1)}\rangle \sum_{k=1}^m a_k^2\,
              \sigma'(w_k^\top x_i^{(H-1)})\,\sigma'(w_k^\top x_j^{(H-1)}).

    Convolutional ResNet: with :math:`D_i = a \odot \sigma'(W^{(H)}\phi(x_i^{(H-1)}))
    \in \mathbb{R}^{m\times p}`, :math:`G^{(H)}_{ij} = s^2\sum_{l,r}
    (D_i^\top D_j)_{lr}\,(\phi(x_i^{(H-1)})^\top\phi(x_j^{(H-1)}))_{lr}`.
    At initialization it tends to :func:`du_gram` (:func:`du_gram_conv`) as
    :math:`m \to \infty`, with fluctuations :math:`O(1/\sqrt m)`.

    Parameters
    ----------
    X, weights, a, activation, architecture, c_res
        As in :func:`du_forward`.

    Returns
    -------
    ndarray, shape (n, n)

    References
    ----------
    Du et al. (2019), ICML, Sec. 4 (the Gram :math:`G^{(H)}(k)`), Def.
    5.1/6.1/7.1 (its limit).

    Examples
    --------
    >>> import numpy as np
    >>> from measureopt.kernels import du_gram_finite, du_network_init
    >>> X = np.array([[1.0, 0.0], [0.6, 0.8]])
    >>> W, a = du_network_init(d=2, width=64, depth=2, seed=0)
    >>> du_gram_finite(X, W, a).shape
    (2, 2)
    """
    xs, pre, s, a, h, q = _forward(X, weights, a, activation, architecture, c_res)
    if architecture == "conv":
        D = a * h.derivative(pre)  # (n, m, p)
        phi = _patches(xs[-2], q)
        return s**2 * np.einsum("ikl,jkr,icl,jcr->ij", D, D, phi, phi, optimize=True)
    D = h.derivative(pre)
    return s**2 * (xs[-2] @ xs[-2].T) * ((D * a**2) @ D.T)
