r"""The limiting Gram matrices :math:`K^{(H)}` of Du, Lee, Li, Wang & Zhai (2019) and their linear rate.

Infinite width: fully connected (Def. 5.1), ResNet (Def. 6.1) and
convolutional ResNet (Def. 7.1, reconstructed), with three corrections to
the printed definitions, each stated in :func:`du_gram`'s notes. The finite-width
Grams :math:`G^{(H)}(0)` that converge to them are in :mod:`._du_finite`.
"""

import numbers

import numpy as np

from .._validation import check_array, check_int, check_positive
from ..activations import get_activation, is_relu
from ._gauss import _nodes, gaussian_pair_expectation
from ._random_features import J_ARCCOS

__all__ = ["c_sigma", "du_gram", "du_gram_conv", "lambda_min", "predicted_rate"]

_UNIT_TOL = 1e-8


def c_sigma(activation="relu", n_nodes=100):
    r"""The normalization :math:`c_\sigma = (\mathbb{E}_{z\sim N(0,1)}[\sigma(z)^2])^{-1}` of Du et al. (2019).

    Exactly 2 for ReLU; for :math:`(u)_+^\alpha` (``ReLUPower``) the closed form
    :math:`\mathbb{E}[(z)_+^{2\alpha}] = 2^{\alpha-1}\Gamma(\alpha+\frac12)/\sqrt\pi`;
    otherwise a Gauss-Hermite rule of ``n_nodes`` nodes (softplus: 1.0854865).

    Parameters
    ----------
    activation : str or Activation, default="relu"
    n_nodes : int, default=100

    Returns
    -------
    float

    References
    ----------
    Du, S., Lee, J., Li, H., Wang, L., Zhai, X. (2019). Gradient descent finds
    global minima of deep neural networks. ICML. Eq. (2).

    Examples
    --------
    >>> from measureopt.kernels import c_sigma
    >>> c_sigma("relu"), round(c_sigma("softplus"), 7)
    (2.0, 1.0854865)
    """
    h = get_activation(activation)
    n_nodes = check_int(n_nodes, "n_nodes", minimum=2)
    if is_relu(h):
        return 2.0
    if h.name == "relu_power":
        from scipy.special import gammaln

        alpha = float(h.degree)
        return float(np.exp(-((alpha - 1) * np.log(2.0) + gammaln(alpha + 0.5) - 0.5 * np.log(np.pi))))
    z, w = _nodes(n_nodes)
    return float(1.0 / np.sum(w * h(z) ** 2))


# --- the shared engine: Gaussian moments of sigma over the units of a Gram matrix ---------------------------


def _pair_moment(h, a, b, c, n_nodes, derivative):
    r""":math:`\mathbb{E}[s(u)s(v)]`, :math:`s = \sigma` or :math:`\sigma'`, elementwise; arc-cosine forms for ReLU."""
    if is_relu(h):
        a, b = np.maximum(a, 0.0), np.maximum(b, 0.0)
        ab = np.sqrt(a * b)
        # the angle as atan2(sin, cos): exactly 0 on the diagonal (c = a = b), where arccos(c/sqrt(ab)) is off by 1e-8
        theta = np.where(ab > 0, np.arctan2(np.sqrt(np.maximum(a * b - c * c, 0.0)), c), 0.0)
        return (np.pi - theta) / (2 * np.pi) if derivative else ab * J_ARCCOS[1](theta) / (2 * np.pi)
    f = h.derivative if derivative else h
    return gaussian_pair_expectation(f, f, a, b, c, n_nodes=n_nodes)


#: Degree of the Chebyshev interpolant in the covariance used when every unit has the same variance, and the
#: number of units from which it pays (below, the direct rule over the n(n+1)/2 pairs is as cheap).
_CHEB_DEGREE = 128
_CHEB_MIN_UNITS = 128


def _equal_variance_moment(h, v, c, n_nodes, derivative):
    r""":math:`\mathbb{E}[s(u)s(w)]` at equal variances :math:`v` for the covariances ``c``, or None.

    A function of one variable, :math:`c \in [-v, v]`: interpolated at
    degree 128 in Chebyshev points (129 quadratures instead of one per
    pair), and used only if the interpolant is resolved, its last 16
    coefficients below 1e-14 of the largest (measured: 1e-15 against the
    direct rule for softplus, tanh and sigmoid at variance 1 and 4). This is
    the case of unit-norm inputs, where every layer's diagonal is constant.
    """
    f = h.derivative if derivative else h
    C = np.polynomial.chebyshev
    coef = C.chebinterpolate(lambda t: gaussian_pair_expectation(f, f, v, v, v * t, n_nodes=n_nodes), _CHEB_DEGREE)
    if np.max(np.abs(coef[-16:])) > 1e-14 * np.max(np.abs(coef)):
        return None
    return C.chebval(np.clip(c / v, -1.0, 1.0), coef)


def _gram_moment(h, K, n_nodes, derivative=False):
    """Symmetric matrix of E[s(u_i)s(u_j)], (u_i, u_j) ~ N(0, [[K_ii, K_ij], [K_ij, K_jj]]); upper triangle only."""
    d = np.diag(K)
    i, j = np.triu_indices(len(K))
    vals = None
    if not is_relu(h) and len(d) > _CHEB_MIN_UNITS and d[0] > 0 and np.ptp(d) <= 1e-14 * d[0]:
        vals = _equal_variance_moment(h, d[0], K[i, j], n_nodes, derivative)
    if vals is None:
        vals = _pair_moment(h, d[i], d[j], K[i, j], n_nodes, derivative)
    out = np.empty_like(K)
    out[i, j] = vals
    out[j, i] = vals
    return out


def _mean(h, a, n_nodes):
    r""":math:`\mathbb{E}_{u\sim N(0,a)}[\sigma(u)]`, elementwise (:math:`\sqrt{a/2\pi}` for ReLU)."""
    a = np.maximum(np.asarray(a, dtype=float), 0.0)
    if is_relu(h):
        return np.sqrt(a / (2 * np.pi))
    z, w = _nodes(n_nodes)
    return h(np.sqrt(a)[..., None] * z) @ w


def _recursion(P0, depth, h, resnet, c_res, n_nodes, patch=None, paper_literal=False):
    """Layers 1..H-1 of Def. 5.1/6.1/7.1 over 'units' (inputs, or (input, pixel) pairs for the conv net).

    ``P`` is the Gram of the layer outputs, ``Q = patch(P)`` the covariance of
    the next pre-activations (``patch`` is the identity without convolution).
    Returns the unit-level final matrix ``M`` (``K^(H)`` before the pixel
    trace), the lists of ``P`` and ``b``.
    """
    patch = patch or (lambda P: P)
    cs = c_sigma(h, n_nodes)
    H = depth
    Ps, Qs, bs = [P0], [patch(P0)], []
    for layer in range(1, H):
        Q = Qs[-1]
        E = _gram_moment(h, Q, n_nodes)
        if layer == 1 or not resnet:
            P = cs * E
            b = np.sqrt(cs) * _mean(h, np.diag(Q), n_nodes) if resnet else None
        else:
            s, bp = _mean(h, np.diag(Q), n_nodes), bs[-1]
            # <x_i^(h-1), sigma(W x_j^(h-1))>/sqrt(m) -> b_i E[sigma(v_j)]; the printed (8) pairs b_i with u_i
            cross = (np.add.outer(bp * s, bp * s) if paper_literal else np.outer(bp, s) + np.outer(s, bp))
            P = Ps[-1] + (c_res / H) * cross + (c_res / H) ** 2 * E
            b = bp + (c_res / H) * s
        Ps.append(P)
        Qs.append(patch(P))
        if resnet:
            bs.append(b)
    scale = (c_res / H) ** 2 if (resnet and H >= 2) else cs
    cov = Qs[-2] if paper_literal else Qs[-1]  # printed: A^(H-1), from K^(H-2); derived: from K^(H-1)
    M = scale * Qs[-1] * _gram_moment(h, cov, n_nodes, derivative=True)
    return M, Ps, bs


def _check_common(depth, c_res, resnet, n_nodes):
    depth = check_int(depth, "depth", minimum=1)
    n_nodes = check_int(n_nodes, "n_nodes", minimum=2)
    if resnet:
        if isinstance(c_res, bool) or not isinstance(c_res, numbers.Real) or not 0 < c_res < 1:
            raise ValueError(f"c_res must be a number in (0, 1) for a ResNet (Du et al. 2019, eq. (3)); got {c_res!r}")
        c_res = float(c_res)
    return depth, c_res, n_nodes


def _check_unit(norms, what):
    bad = np.abs(norms - 1.0) > _UNIT_TOL
    if np.any(bad):
        raise ValueError(f"X: inputs not of unit norm where a formula needs them ({what}); "
                         f"{int(bad.sum())} of {len(norms)} have norm != 1 (range [{norms.min():.6g}, "
                         f"{norms.max():.6g}]); normalize X or pass require_unit_norm=False")


def du_gram(X, depth, activation="relu", architecture="fc", c_res=0.5, paper_literal=False, n_nodes=100,
            return_layers=False, require_unit_norm=False):
    r"""The limiting Gram matrix :math:`K^{(H)}` of a deep fully connected network or ResNet (Du et al. 2019).

    Fully connected (Def. 5.1, network eq. (2)): :math:`K^{(0)}_{ij} =
    \langle x_i, x_j\rangle` and, with :math:`A^{(h)}_{ij} = [[K^{(h-1)}_{ii},
    K^{(h-1)}_{ij}], [K^{(h-1)}_{ji}, K^{(h-1)}_{jj}]]` (eq. (7)),

    .. math:: K^{(h)}_{ij} = c_\sigma\,\mathbb{E}_{(u,v)\sim N(0, A^{(h)}_{ij})}[\sigma(u)\sigma(v)],
              \quad 1 \le h \le H-1, \qquad
              K^{(H)}_{ij} = c_\sigma K^{(H-1)}_{ij}\,\mathbb{E}_{(u,v)\sim N(0, A^{(H)}_{ij})}[\sigma'(u)\sigma'(v)].

    ResNet (Def. 6.1, eq. (8), network eq. (3)): :math:`K^{(1)} = c_\sigma
    \mathbb{E}_{A^{(1)}}[\sigma(u)\sigma(v)]`, :math:`b^{(1)}_i =
    \sqrt{c_\sigma}\,\mathbb{E}_{u\sim N(0,K^{(0)}_{ii})}[\sigma(u)]` and, for
    :math:`2 \le h \le H-1`, with :math:`(u, v) \sim N(0, A^{(h)}_{ij})`,

    .. math:: K^{(h)}_{ij} = K^{(h-1)}_{ij} + \frac{c_{res}}{H}\big(b^{(h-1)}_i\mathbb{E}\sigma(v)
              + b^{(h-1)}_j\mathbb{E}\sigma(u)\big) + \frac{c_{res}^2}{H^2}\mathbb{E}[\sigma(u)\sigma(v)],
              \qquad b^{(h)}_i = b^{(h-1)}_i + \frac{c_{res}}{H}\mathbb{E}_{u\sim N(0,K^{(h-1)}_{ii})}\sigma(u),

    and :math:`K^{(H)}_{ij} = \frac{c_{res}^2}{H^2} K^{(H-1)}_{ij}\mathbb{E}_{A^{(H)}_{ij}}[\sigma'(u)\sigma'(v)]`
    for :math:`H \ge 2`. :math:`b^{(h)}_i` is the limit of
    :math:`m^{-1/2}\sum_k x^{(h)}_{i,k}`, so the skip term
    :math:`\langle x^{(h-1)}_i, \sigma(W x^{(h-1)}_j)\rangle/\sqrt m` tends to
    :math:`b_i\mathbb{E}\sigma(v)`; the printed (8) pairs :math:`b_i` with
    :math:`\sigma(u)`, which is the same when all :math:`\lVert x_i\rVert` are
    equal. For :math:`H = 1` the ResNet is the fully connected network (the
    output layer of eq. (3) is then :math:`\sqrt{c_\sigma/m}\,\sigma(W^{(1)}x)`).

    :math:`K^{(H)}` is the limit as :math:`m\to\infty` of the Gram
    :math:`G^{(H)}(0)` of the last hidden weights at initialization
    (:func:`du_gram_finite`); its smallest eigenvalue sets the rate of
    Thm 5.1/6.1 (:func:`predicted_rate`). With :math:`\lVert x_i\rVert = 1`,
    :math:`K^{(h)}_{ii} = 1` for :math:`h \le H-1` (fully connected), by the
    definition of :math:`c_\sigma`. For :math:`H = 1`, :math:`K^{(1)}_{ij} =
    c_\sigma\langle x_i,x_j\rangle\mathbb{E}_{w\sim N(0,I)}[\sigma'(w^\top x_i)
    \sigma'(w^\top x_j)]`, :math:`c_\sigma` times the :math:`H^\infty` of Du et
    al. (2018b).

    **Correction.** As printed, the last step of Def. 5.1/6.1 takes the
    covariance :math:`A^{(H-1)}`, built from :math:`K^{(H-2)}`; the
    pre-activations :math:`W^{(H)}x^{(H-1)}` have covariance
    :math:`K^{(H-1)}` (:math:`A^{(H)}` above), which the finite-width Gram
    confirms. ``paper_literal=True`` computes the printed form (with the
    printed pairing of :math:`b` for the ResNet).

    Parameters
    ----------
    X : array_like, shape (n, d)
        Inputs. The theorems assume :math:`\lVert x_i\rVert_2 = 1`; the Gram
        is defined for any inputs.
    depth : int
        :math:`H \ge 1`, the number of hidden layers.
    activation : str or Activation, default="relu"
        ReLU uses the arc-cosine closed forms :math:`\mathbb{E}[u_+v_+] =
        \sqrt{ab}J_1(\theta)/2\pi` and :math:`\mathbb{E}[1\{u>0\}1\{v>0\}] =
        (\pi-\theta)/2\pi`; other activations a tensor Gauss-Hermite rule
        (:func:`gaussian_pair_expectation`) over all pairs at once.
    architecture : {"fc", "resnet"}, default="fc"
    c_res : float, default=0.5
        The ResNet scaling, in (0, 1); unused for ``"fc"``.
    paper_literal : bool, default=False
        Reproduce the printed (off-by-one) final step; undefined for
        ``depth=1``.
    n_nodes : int, default=100
        Gauss-Hermite nodes per axis.
    return_layers : bool, default=False
        Also return ``{"K": [K^(0), ..., K^(H)], "b": [b^(1), ..., b^(H-1)]}``
        (``"b"`` empty for ``"fc"``).
    require_unit_norm : bool, default=False
        Raise if some :math:`\lVert x_i\rVert \ne 1` (the assumption of
        Thm 5.1/6.1, under which :func:`predicted_rate` applies).

    Returns
    -------
    K : ndarray, shape (n, n)
    layers : dict, only with ``return_layers=True``

    References
    ----------
    Du, S., Lee, J., Li, H., Wang, L., Zhai, X. (2019). Gradient descent finds
    global minima of deep neural networks. ICML. Def. 5.1 and 6.1, eq. (2),
    (3), (7), (8); Thm 5.1 and 6.1.

    Du, S., Zhai, X., Poczos, B., Singh, A. (2018b). Gradient descent provably
    optimizes over-parameterized neural networks. :math:`H^\infty`.

    Examples
    --------
    >>> import numpy as np
    >>> from measureopt.kernels import du_gram, lambda_min
    >>> X = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    >>> K = du_gram(X, depth=2)
    >>> np.round(K, 4)
    array([[1.    , 0.4993, 0.192 ],
           [0.4993, 1.    , 0.67  ],
           [0.192 , 0.67  , 1.    ]])
    >>> round(lambda_min(K), 4)
    0.249
    """
    X = check_array(X, "X", ndim=2, shape=("n", "d"))
    if architecture not in ("fc", "resnet"):
        raise ValueError(f"architecture must be 'fc' or 'resnet' (du_gram_conv for the convolutional ResNet); "
                         f"got {architecture!r}")
    resnet = architecture == "resnet"
    depth, c_res, n_nodes = _check_common(depth, c_res, resnet, n_nodes)
    if paper_literal and depth == 1:
        raise ValueError("paper_literal=True is undefined for depth=1: the printed final step of Def. 5.1/6.1 "
                         "uses the covariance A^(H-1) = A^(0), built from K^(-1), which does not exist")
    if require_unit_norm:
        _check_unit(np.linalg.norm(X, axis=1), "Thm 5.1/6.1 assume ||x_i||_2 = 1")
    h = get_activation(activation)
    M, Ps, bs = _recursion(X @ X.T, depth, h, resnet, c_res, n_nodes, paper_literal=paper_literal)
    if return_layers:
        return M, {"K": Ps + [M], "b": bs}
    return M


def _patch_gram(P, n, p, q):
    """patch(P)_ij[l, r] = sum_o P_ij[l+o, r+o] over the q aligned offsets, zero padding; P of shape (n p, n p)."""
    r = (q - 1) // 2
    P4 = np.pad(P.reshape(n, p, n, p), ((0, 0), (r, r), (0, 0), (r, r)))
    out = sum(P4[:, r + o:r + o + p, :, r + o:r + o + p] for o in range(-r, r + 1))
    return out.reshape(n * p, n * p)


def du_gram_conv(X, depth, activation="relu", c_res=0.5, q=3, n_nodes=100, return_layers=False,
                 require_unit_norm=False):
    r"""The limiting Gram matrix :math:`K^{(H)}` of the convolutional ResNet (Du et al. 2019, Def. 7.1, reconstructed).

    Inputs :math:`x_i \in \mathbb{R}^{d_0\times p}`; :math:`\phi` cuts
    :math:`p` patches of :math:`q` neighbouring pixels (stride 1, zero
    padding). :math:`P^{(h)}_{ij} \in \mathbb{R}^{p\times p}` is the pixel
    Gram of the layer outputs and :math:`Q^{(h)} = \mathrm{patch}(P^{(h)})`
    the patch Gram,

    .. math:: \mathrm{patch}(P)[l, r] = \sum_{|o| \le (q-1)/2} \mathbb{1}[1 \le l+o, r+o \le p]\,P[l+o, r+o],

    so :math:`Q^{(0)}_{ij} = \phi(x_i)^\top\phi(x_j)` with
    :math:`P^{(0)}_{ij} = x_i^\top x_j`. With :math:`(u_l, v_r) \sim N(0,
    [[Q^{(h-1)}_{ii}[l,l], Q^{(h-1)}_{ij}[l,r]], [\cdot, Q^{(h-1)}_{jj}[r,r]]])`:
    :math:`P^{(1)}_{ij}[l,r] = c_\sigma\mathbb{E}[\sigma(u_l)\sigma(v_r)]`,
    :math:`b^{(1)}_i[l] = \sqrt{c_\sigma}\mathbb{E}\sigma(u_l)`, and for
    :math:`2 \le h \le H-1`

    .. math:: P^{(h)}_{ij}[l,r] = P^{(h-1)}_{ij}[l,r] + \frac{c_{res}}{H}\big(b^{(h-1)}_i[l]\,\mathbb{E}\sigma(v_r)
              + b^{(h-1)}_j[r]\,\mathbb{E}\sigma(u_l)\big) + \frac{c_{res}^2}{H^2}\mathbb{E}[\sigma(u_l)\sigma(v_r)],
              \qquad b^{(h)}_i[l] = b^{(h-1)}_i[l] + \frac{c_{res}}{H}\mathbb{E}\sigma(u_l),

    and, with the covariance from :math:`Q^{(H-1)}`,

    .. math:: K^{(H)}_{ij} = \frac{c_{res}^2}{H^2}\sum_{l=1}^p Q^{(H-1)}_{ij}[l,l]\,\mathbb{E}[\sigma'(u_l)\sigma'(v_l)]

    (:math:`c_\sigma` in place of :math:`c_{res}^2/H^2` when :math:`H = 1`).
    Only :math:`l = r` survives because the output weights
    :math:`a \in \mathbb{R}^{m\times p}` are independent across pixels.

    **Reconstruction.** The printed Def. 7.1 is garbled: matrices miss rows,
    the recursion's left-hand side reads :math:`K^{(h-1)}` for the pixel
    Gram (the paper's :math:`H^{(h)}`), the patch trace
    :math:`K_{ij,lr} = \mathrm{tr}(H_{ij,D_lD_r})` is the ``patch`` above,
    :math:`K^{(H)}_{ii}` is printed for :math:`K^{(H)}_{ij}`, the
    :math:`c_{res}^2/H^2` factor of the last layer is missing, and the last
    covariance has the off-by-one of Def. 5.1. This form is derived from the
    network of Sec. 3 and matches the mean finite-width Gram
    (:func:`du_gram_finite` with ``architecture="conv"``) to about 1%.

    Parameters
    ----------
    X : array_like, shape (n, d0, p)
        ``d0`` channels, ``p`` pixels. Thm 7.1 assumes :math:`\lVert x_i\rVert_F = 1`.
    depth : int
        :math:`H \ge 1`.
    activation : str or Activation, default="relu"
    c_res : float, default=0.5
        In (0, 1).
    q : int, default=3
        Patch size, odd (the paper's example is 3).
    n_nodes : int, default=100
        Gauss-Hermite nodes per axis; the rule runs over the :math:`(np)^2/2`
        pairs of (input, pixel) units, so smooth activations cost
        :math:`O((np)^2 n_{nodes}^2)` per layer (ReLU is closed form).
    return_layers : bool, default=False
        Also return ``{"P": [...], "Q": [...], "b": [...]}``, with ``P`` and
        ``Q`` of shape (n, p, n, p) for :math:`h = 0..H-1` and ``b`` of
        shape (n, p).
    require_unit_norm : bool, default=False
        Raise if some :math:`\lVert x_i\rVert_F \ne 1` (Thm 7.1).

    Returns
    -------
    K : ndarray, shape (n, n)
    layers : dict, only with ``return_layers=True``

    References
    ----------
    Du, S., Lee, J., Li, H., Wang, L., Zhai, X. (2019). Gradient descent finds
    global minima of deep neural networks. ICML. Sec. 3 (convolutional
    ResNet), Def. 7.1, Thm 7.1.

    Examples
    --------
    >>> import numpy as np
    >>> from measureopt.kernels import du_gram_conv
    >>> X = np.arange(1.0, 17.0).reshape(2, 2, 4)  # 2 inputs, 2 channels, 4 pixels
    >>> np.round(du_gram_conv(X / np.linalg.norm(X, axis=(1, 2), keepdims=True), depth=2), 4)
    array([[0.2013, 0.1777],
           [0.1777, 0.2028]])
    """
    X = check_array(X, "X", ndim=3, shape=("n", "d0", "p"))
    depth, c_res, n_nodes = _check_common(depth, c_res, True, n_nodes)
    q = check_int(q, "q", minimum=1)
    if q % 2 == 0:
        raise ValueError(f"q must be odd (patches centred on each pixel, stride 1, zero padding); got {q}")
    if require_unit_norm:
        _check_unit(np.linalg.norm(X, axis=(1, 2)), "Thm 7.1 assumes ||x_i||_F = 1")
    n, _, p = X.shape
    h = get_activation(activation)
    P0 = np.einsum("icl,jcr->iljr", X, X).reshape(n * p, n * p)

    def patch(P):
        return _patch_gram(P, n, p, q)

    M, Ps, bs = _recursion(P0, depth, h, True, c_res, n_nodes, patch=patch)
    K = np.einsum("iljl->ij", M.reshape(n, p, n, p))
    if return_layers:
        return K, {"P": [P.reshape(n, p, n, p) for P in Ps], "Q": [patch(P).reshape(n, p, n, p) for P in Ps],
                   "b": [b.reshape(n, p) for b in bs]}
    return K


def lambda_min(K, tol=1e-8):
    r"""The smallest eigenvalue of a symmetric matrix, :math:`\lambda_{\min}(\frac12(K + K^\top))`.

    Parameters
    ----------
    K : array_like, shape (n, n)
    tol : float, default=1e-8
        Largest accepted :math:`\max|K - K^\top|`, relative to
        :math:`\max(1, \max|K|)`.

    Returns
    -------
    float

    References
    ----------
    Du et al. (2019), Thm 5.1/6.1/7.1: the rate depends on :math:`\lambda_{\min}(K^{(H)})`.
    """
    K = check_array(K, "K", ndim=2, shape=("n", "n"))
    if K.shape[0] != K.shape[1]:
        raise ValueError(f"K must be a square matrix; got shape {K.shape}")
    tol = check_positive(tol, "tol", strict=False)
    asym = float(np.max(np.abs(K - K.T))) if K.size else 0.0
    if asym > tol * max(1.0, float(np.max(np.abs(K))) if K.size else 1.0):
        raise ValueError(f"K must be symmetric: max |K - K^T| = {asym:.3g} > tol = {tol:.3g} (relative)")
    return float(np.linalg.eigvalsh(0.5 * (K + K.T))[0])


def predicted_rate(K, eta, n_steps):
    r"""Linear rate :math:`L(\theta(k))/L(\theta(0)) \le (1 - \eta\lambda_{\min}/2)^k` for :math:`k = 0..` ``n_steps``.

    The rate of Thm 5.1 (fully connected), 6.1 (ResNet) and 7.1
    (convolutional ResNet), with :math:`\lambda_{\min} =
    \lambda_{\min}(K^{(H)})`. The theorems assume unit-norm inputs and a
    width and a step :math:`\eta` small enough (up to unspecified constants),
    so this is the rate they guarantee, not a prediction of the constants.

    Parameters
    ----------
    K : float or array_like, shape (n, n)
        :math:`\lambda_{\min}` itself, or the Gram matrix (passed to
        :func:`lambda_min`); must be > 0.
    eta : float
        Step size, > 0, with :math:`\eta\lambda_{\min}/2 < 1`.
    n_steps : int
        Last iteration :math:`k`.

    Returns
    -------
    ndarray, shape (n_steps + 1,)

    References
    ----------
    Du et al. (2019), Thm 5.1, 6.1 and 7.1.

    Examples
    --------
    >>> from measureopt.kernels import predicted_rate
    >>> predicted_rate(0.5, eta=1.0, n_steps=2)
    array([1.    , 0.75  , 0.5625])
    """
    if isinstance(K, bool):
        raise TypeError("K must be a number (lambda_min) or a square matrix; got bool")
    K = check_array(K, "K", finite=False)
    if K.ndim == 2:
        lam = lambda_min(K)
    elif K.ndim == 0:
        lam = float(K)
    else:
        raise TypeError(f"K must be a number (lambda_min) or a square matrix; got {type(K).__name__} "
                        f"of shape {np.shape(K)}")
    if not np.isfinite(lam) or lam <= 0:
        raise ValueError(f"K: lambda_min must be finite and > 0 for a linear rate; got {lam!r}")
    eta = check_positive(eta, "eta")
    n_steps = check_int(n_steps, "n_steps", minimum=0)
    if eta * lam / 2 >= 1:
        raise ValueError(f"eta * lambda_min / 2 must be < 1, else the bound (1 - eta lambda_min/2)^k is vacuous or "
                         f"negative; got eta = {eta:.3g}, lambda_min = {lam:.3g} (product/2 = {eta * lam / 2:.3g})")
    return (1.0 - eta * lam / 2) ** np.arange(n_steps + 1)
