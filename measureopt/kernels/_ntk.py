r"""Neural tangent kernels of Fang, Dong & Zhang's two-layer model (Sec. IV, F8 of the seed notes)."""

import numpy as np

from .._validation import check_array, check_positive
from ..activations import get_activation
from ._gauss import check_nodes, gaussian_pair_expectation
from ._random_features import _pair, arccos_kernel, rf_kernel_inf

__all__ = ["ntk_kernels", "ntk_kernels_finite"]


def ntk_kernels(X, Y=None, activation="relu", sigma=1.0, n_nodes=100):
    r"""The infinite-width NTK kernels :math:`(k^u_\infty, k^\theta_\infty)` of :math:`f = \frac{\alpha}{m}\sum_j u_j h(\theta_j^\top x)`.

    With :math:`u_j, \theta_j \sim N(0, \sigma^2)` at initialization
    (Fang, Dong & Zhang, Sec. IV, L204-224):

    .. math:: k^u_\infty(x, y) = \mathbb{E}_\theta[h(\theta^\top x)h(\theta^\top y)], \qquad
              k^\theta_\infty(x, y) = \sigma^2\,x^\top y\;\mathbb{E}_\theta[h'(\theta^\top x)h'(\theta^\top y)],

    the second from :math:`\mathbb{E}[uu^\top] = \sigma^2 I` (scalar output;
    the paper's L224 prints :math:`x` for :math:`x'`). For ReLU,
    :math:`k^\theta_\infty = \sigma^2 x^\top y\,(\pi - \phi)/(2\pi)` (the
    degree-0 arc-cosine kernel); other activations use Gauss-Hermite
    quadrature. The NTK of the network is :math:`\frac{\alpha^2}{m}` times
    the finite-width sum (:func:`ntk_kernels_finite`), which tends to
    :math:`k^u_\infty + k^\theta_\infty` in units of :math:`\alpha^2`.

    Returns
    -------
    k_u, k_theta : ndarray, shape (n, m)
    """
    X, Y = _pair(X, Y)
    sigma = check_positive(sigma, "sigma")
    n_nodes = check_nodes(n_nodes)
    h = get_activation(activation)
    k_u = rf_kernel_inf(X, Y, activation=h, sigma=sigma, n_nodes=n_nodes)
    if h.name == "relu":
        k_theta = sigma**2 * (X @ Y.T) * arccos_kernel(X, Y, degree=0)
    else:
        s2 = sigma**2
        a = s2 * np.sum(X**2, axis=1)[:, None]
        b = s2 * np.sum(Y**2, axis=1)[None, :]
        dh = h.derivative
        k_theta = s2 * (X @ Y.T) * gaussian_pair_expectation(dh, dh, a, b, s2 * (X @ Y.T), n_nodes=n_nodes)
    return k_u, k_theta


def ntk_kernels_finite(X, Y=None, thetas=None, u=None, activation="relu"):
    r"""The finite-width kernels :math:`k^u_m = \frac1m\sum_j h_jh_j'` and :math:`k^\theta_m = \frac1m\sum_j u_j^2 h'_jh'^\prime_j\,x^\top y`.

    For a scalar output, at the weights :math:`\theta_j` (rows of
    ``thetas``) and :math:`u_j` (``u``); the Jacobian Gram of the network
    :math:`\frac{\alpha}{m}\sum_j u_jh(\theta_j^\top x)` over all its
    parameters is :math:`\frac{\alpha^2}{m}(k^u_m + k^\theta_m)` (F8 of the
    seed notes).

    Returns
    -------
    k_u, k_theta : ndarray, shape (n, p)
    """
    X, Y = _pair(X, Y)
    if thetas is None or u is None:
        raise TypeError("thetas (m, d) and u (m,) are required")
    thetas = check_array(thetas, "thetas", ndim=2, shape=("m", X.shape[1]))
    u = check_array(u, "u", ndim=1, shape=(len(thetas),))
    h = get_activation(activation)
    m = len(thetas)
    GX, GY = X @ thetas.T, Y @ thetas.T
    k_u = h(GX) @ h(GY).T / m
    k_theta = ((h.derivative(GX) * u**2) @ h.derivative(GY).T / m) * (X @ Y.T)
    return k_u, k_theta
