r"""Random-feature kernels at finite and infinite width (Fang, Dong & Zhang, Sec. III; Berthier 2018, Prop. 2.1)."""

import numbers

import numpy as np

from .._validation import check_array, check_positive
from ..activations import get_activation
from ._gauss import check_nodes, gaussian_pair_expectation

__all__ = ["arccos_kernel", "f2_kernel", "random_feature_kernel", "rf_kernel_inf", "J_ARCCOS"]


def _angle(X, Y):
    r"""Norms and the angle between every row of X and every row of Y (0 where a norm vanishes).

    The angle is Kahan's :math:`2\arctan(\lVert\hat x - \hat y\rVert / \lVert\hat x + \hat y\rVert)`
    of the unit vectors, exact at 0 and :math:`\pi` where ``arccos`` of the cosine loses half the digits.
    """
    nx, ny = np.linalg.norm(X, axis=1), np.linalg.norm(Y, axis=1)
    U = X / np.where(nx > 0, nx, 1.0)[:, None]
    V = Y / np.where(ny > 0, ny, 1.0)[:, None]
    cos = np.clip(U @ V.T, -1.0, 1.0)
    # ||u - v||^2 = 2 - 2 cos loses digits near cos = 1: form the differences where the angle is small
    diff2 = np.maximum(2.0 - 2.0 * cos, 0.0)
    close = cos > 0.5
    if np.any(close):
        i, j = np.nonzero(close)
        diff2[i, j] = np.sum((U[i] - V[j]) ** 2, axis=1)
    phi = 2.0 * np.arctan2(np.sqrt(diff2), np.sqrt(np.maximum(4.0 - diff2, 0.0)))
    phi[(nx == 0)[:, None] | (ny == 0)[None, :]] = 0.0
    return nx, ny, phi


#: Cho & Saul's angular parts :math:`J_\alpha(\phi)`, :math:`\alpha = 0, 1, 2`.
J_ARCCOS = {
    0: lambda t: np.pi - t,
    1: lambda t: np.sin(t) + (np.pi - t) * np.cos(t),
    2: lambda t: 3 * np.sin(t) * np.cos(t) + (np.pi - t) * (1 + 2 * np.cos(t) ** 2),
}


def _pair(X, Y, name_x="X"):
    X = check_array(X, name_x, ndim=2)
    Y = X if Y is None else check_array(Y, "Y", ndim=2, shape=("m", X.shape[1]))
    return X, Y


def _degree(degree):
    if isinstance(degree, bool) or not isinstance(degree, numbers.Real):
        raise TypeError(f"degree must be 0, 1 or 2; got {type(degree).__name__}")
    if degree not in J_ARCCOS:
        raise ValueError(f"degree must be 0, 1 or 2 (a closed form exists for (u)_+^degree); got {degree!r}; "
                         "for other activations use rf_kernel_inf (Gauss-Hermite quadrature)")
    return int(degree)


def arccos_kernel(X, Y=None, degree=1, sigma=1.0):
    r"""Arc-cosine kernel of Cho & Saul (2009): :math:`\mathbb{E}_{v\sim N(0,\sigma^2 I)}[(v^\top x)_+^\alpha (v^\top y)_+^\alpha]`.

    .. math:: k_\alpha(x, y) = \sigma^{2\alpha}\,\frac{\lVert x\rVert^\alpha\lVert y\rVert^\alpha}{2\pi}\,
              J_\alpha(\phi), \qquad \cos\phi = \frac{x^\top y}{\lVert x\rVert\lVert y\rVert},

    with :math:`J_0 = \pi - \phi`, :math:`J_1 = \sin\phi + (\pi-\phi)\cos\phi`,
    :math:`J_2 = 3\sin\phi\cos\phi + (\pi-\phi)(1 + 2\cos^2\phi)`. For
    :math:`\alpha = 1` it is the infinite-width random-feature kernel of a
    ReLU network (Fang, Dong & Zhang, eq. after (7)), with
    :math:`\sigma^2` the variance of the frozen weights.

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (m, d), optional
        ``X`` by default.
    degree : {0, 1, 2}, default=1
    sigma : float, default=1.0

    Returns
    -------
    ndarray, shape (n, m)

    References
    ----------
    Cho, Y., Saul, L. (2009). Kernel methods for deep learning. NeurIPS.
    """
    X, Y = _pair(X, Y)
    degree = _degree(degree)
    sigma = check_positive(sigma, "sigma")
    nx, ny, phi = _angle(X, Y)
    return sigma ** (2 * degree) * np.outer(nx**degree, ny**degree) * J_ARCCOS[degree](phi) / (2 * np.pi)


def f2_kernel(X, Y=None, degree=1, lift=True):
    r"""The F2 kernel of Berthier (2018, Prop. 2.1): :math:`\int_{\mathbb{S}^{D-1}} (v^\top\tilde x)_+^\alpha(v^\top\tilde y)_+^\alpha\,d\tau(v)`.

    :math:`\tau` is the uniform probability measure on the sphere of
    :math:`\mathbb{R}^D` and :math:`\tilde x = (x, 1)` the lifted input
    (``lift=True``; then :math:`D = d + 1`). A Gaussian vector is a
    radius times a uniform direction, :math:`\mathbb{E}\lVert v\rVert^{2\alpha}
    = 2^\alpha\Gamma(D/2 + \alpha)/\Gamma(D/2)` for :math:`v \sim N(0, I_D)`,
    so

    .. math:: k_\alpha(x, y) = \frac{\lVert\tilde x\rVert^\alpha\lVert\tilde y\rVert^\alpha J_\alpha(\phi)}
              {2\pi\cdot 2^\alpha\,\Gamma(D/2+\alpha)/\Gamma(D/2)}.

    The paper gives no closed form (it cites Le Roux & Bengio for
    :math:`\alpha = 0`); this one is checked against Monte Carlo.

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (m, d), optional
    degree : {0, 1, 2}, default=1
    lift : bool, default=True
        Append the constant 1 to the inputs (the bias of Berthier's units).

    Returns
    -------
    ndarray, shape (n, m)
    """
    from scipy.special import gammaln  # scipy.special costs ~0.3 s to import: only when used

    X, Y = _pair(X, Y)
    degree = _degree(degree)
    if lift:
        X = np.column_stack([X, np.ones(len(X))])
        Y = np.column_stack([Y, np.ones(len(Y))])
    D = X.shape[1]
    moment = np.exp(degree * np.log(2.0) + gammaln(D / 2 + degree) - gammaln(D / 2))
    return arccos_kernel(X, Y, degree) / moment


def random_feature_kernel(X, Y=None, thetas=None, activation="relu"):
    r"""The finite-width random-feature kernel :math:`k_m(x, y) = \frac1m\sum_j h(\theta_j^\top x)\,h(\theta_j^\top y)`.

    Fang, Dong & Zhang, the kernel of eq. (5)-(6), with the frozen weights
    :math:`\theta_j` the rows of ``thetas`` (Berthier's :math:`\hat k`
    needs the same :math:`1/m`, which his L136 drops). It converges to
    :func:`rf_kernel_inf` (or :func:`arccos_kernel` for ReLU) at rate
    :math:`O(1/\sqrt m)`.

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (p, d), optional
    thetas : array_like, shape (m, d)
    activation : str or Activation, default="relu"

    Returns
    -------
    ndarray, shape (n, p)
    """
    X, Y = _pair(X, Y)
    if thetas is None:
        raise TypeError("thetas (the frozen weights, shape (m, d)) is required")
    thetas = check_array(thetas, "thetas", ndim=2, shape=("m", X.shape[1]))
    h = get_activation(activation)
    return h(X @ thetas.T) @ h(Y @ thetas.T).T / len(thetas)


def rf_kernel_inf(X, Y=None, activation="relu", sigma=1.0, n_nodes=100):
    r"""The infinite-width random-feature kernel :math:`k_\infty(x, y) = \mathbb{E}_{\theta\sim N(0,\sigma^2I)}[h(\theta^\top x)h(\theta^\top y)]`.

    :math:`(\theta^\top x, \theta^\top y)` is Gaussian with covariance
    :math:`\sigma^2[[\lVert x\rVert^2, x^\top y], [x^\top y, \lVert y\rVert^2]]`.
    ReLU and the step use the arc-cosine closed forms
    (:func:`arccos_kernel`, degrees 1 and 0); other activations a tensor
    Gauss-Hermite rule (:func:`gaussian_pair_expectation`, ``n_nodes`` per
    axis: 1e-12 or better for unit-norm inputs with :math:`\sigma = 1`;
    raise it for large :math:`\sigma\lVert x\rVert`, see there).

    Returns
    -------
    ndarray, shape (n, m)
    """
    X, Y = _pair(X, Y)
    sigma = check_positive(sigma, "sigma")
    n_nodes = check_nodes(n_nodes)
    h = get_activation(activation)
    if h.name == "relu":
        return arccos_kernel(X, Y, 1, sigma)
    if h.name == "relu_power" and h.degree in (0, 2):
        return arccos_kernel(X, Y, int(h.degree), sigma)
    s2 = sigma**2
    a = s2 * np.sum(X**2, axis=1)[:, None]
    b = s2 * np.sum(Y**2, axis=1)[None, :]
    return gaussian_pair_expectation(h, h, a, b, s2 * (X @ Y.T), n_nodes=n_nodes)
