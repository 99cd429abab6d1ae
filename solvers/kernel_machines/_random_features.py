"""Random-feature regression, primal (FDZ eq. 4) and dual (eq. 5-7)."""

import numpy as np

from measureopt._validation import check_array, check_int, check_positive, check_random_state
from measureopt.activations import get_activation
from measureopt.kernels import random_feature_kernel

from ._core import _check_reg, _check_targets, _ridge_solve, _RidgeEstimator

__all__ = ["RandomFeatureRegression"]


class RandomFeatureRegression(_RidgeEstimator):
    r"""Random-feature regression (FDZ eq. (3)-(7)): frozen hidden weights, ridge on the output weights.

    Hidden weights :math:`\tilde\theta_j \sim N(0, \sigma^2 I_d)`,
    :math:`j = 1..m`, are drawn once and frozen (or given as ``thetas``).
    With the features :math:`h(x) = \frac1{\sqrt m}[h_0(\tilde\theta_j^\top
    x)]_{j}\in\mathbb R^m` (FDZ eq. (3)) and :math:`f(x) = u^\top h(x)`,
    the primal problem (eq. (4)) with the squared loss is

    .. math::

        \min_{u\in\mathbb R^{m\times k}}\ \frac1n\sum_i \tfrac12\lVert u^\top h(x_i) - y_i\rVert^2
        + \frac{\lambda}{2}\lVert u\rVert_F^2
        \quad\Longrightarrow\quad
        u = (H^\top H + \lambda nI_m)^{-1}H^\top Y,

    with :math:`H` the :math:`n\times m` matrix of rows :math:`h(x_i)^\top`
    (``solver="primal"``, an :math:`m\times m` system). The dual
    (eq. (5)-(7)) is kernel ridge with :math:`K_m = HH^\top`
    (:func:`measureopt.kernels.random_feature_kernel`):

    .. math::

        \beta = (K_m + \lambda nI_n)^{-1}Y, \qquad u = \sum_i h(x_i)\beta_i^\top = H^\top\beta
        \quad\text{(eq. (5))}

    (``solver="dual"``, an :math:`n\times n` system). Both give the same
    :math:`u` and predictions. In FDZ's network
    :math:`f = \frac{\alpha}{m}\sum_j u_j h_0(\tilde\theta_j^\top x)` the
    output weights are :math:`u_j = \frac{\sqrt m}{\alpha}` ``coef_[j]``, and
    :math:`\frac{\lambda}{2}\lVert u\rVert_F^2 = \frac{\lambda}{2m}\sum_j\lVert
    \alpha u_j\rVert^2`. As :math:`m\to\infty`, :math:`K_m` tends to
    :func:`measureopt.kernels.rf_kernel_inf` at rate :math:`O(1/\sqrt m)`.
    No intercept (lift the inputs for a bias).

    Parameters
    ----------
    n_features : int, optional
        :math:`m`. Default: ``len(thetas)`` when ``thetas`` is given, else
        100; when both are given they must agree.
    reg : float, default=1e-3
        :math:`\lambda \ge 0` (``reg=0`` needs the solved system positive
        definite).
    activation : str or Activation, default="relu"
        :math:`h_0`.
    sigma : float, default=1.0
        Standard deviation of the drawn weights (unused with ``thetas``).
    solver : {"auto", "primal", "dual"}, default="auto"
        ``"auto"``: primal when :math:`m \le n`, dual otherwise (the smaller
        system).
    thetas : array_like, shape (m, d), optional
        Given frozen weights (e.g. uniform on the sphere,
        :func:`measureopt.sample_sphere`, for Berthier's F2 features).
    random_state : None, int or numpy.random.Generator, default=None
        Draws the weights when ``thetas`` is None.

    Attributes
    ----------
    thetas_ : ndarray, shape (m, d)
    activation_ : Activation
        :math:`h_0`, as used by ``predict``.
    coef_ : ndarray, shape (m,) or (m, k)
        :math:`u`.
    dual_coef_ : ndarray, shape (n,) or (n, k)
        :math:`\beta`; from the primal solver, :math:`\beta = (Y -
        Hu)/(\lambda n)` (the optimality condition), or for ``reg=0`` the
        minimum-norm :math:`\beta` with :math:`H^\top\beta = u`.
    solver_ : str
        ``"primal"`` or ``"dual"``, the system that was solved.
    X_fit_ : ndarray, shape (n, d)
    n_features_in_ : int

    Notes
    -----
    Both solvers call the same Cholesky routine as :class:`KernelRidge`
    (same failure handling). Predictions use ``coef_``: :math:`f(x) =
    h(x)^\top u`, at cost :math:`O(md)` per point.

    References
    ----------
    Fang, C., Dong, H., Zhang, T. (2021). Mathematical models of
    overparameterized neural networks. Proc. IEEE 109(5). Sec. III,
    eq. (3)-(7).

    Rahimi, A., Recht, B. (2007). Random features for large-scale kernel
    machines. NeurIPS.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers import RandomFeatureRegression
    >>> X = np.random.default_rng(0).standard_normal((30, 3))
    >>> y = np.sin(X[:, 0])
    >>> primal = RandomFeatureRegression(50, reg=1e-3, solver="primal", random_state=0).fit(X, y)
    >>> dual = RandomFeatureRegression(50, reg=1e-3, solver="dual", random_state=0).fit(X, y)
    >>> bool(np.allclose(primal.coef_, dual.coef_))
    True
    """

    def __init__(self, n_features=None, reg=1e-3, activation="relu", sigma=1.0, solver="auto",
                 thetas=None, random_state=None):
        self.n_features = n_features
        self.reg = reg
        self.activation = activation
        self.sigma = sigma
        self.solver = solver
        self.thetas = thetas
        self.random_state = random_state

    def _features(self, X):
        return self.activation_(X @ self.thetas_.T) / np.sqrt(len(self.thetas_))

    def fit(self, X, y):
        """Draw (or take) the frozen weights and solve for :math:`u` and :math:`\\beta`.

        Parameters
        ----------
        X : array_like, shape (n, d)
        y : array_like, shape (n,) or (n, k)

        Returns
        -------
        self
        """
        reg = _check_reg(self.reg)
        if self.solver not in ("auto", "primal", "dual"):
            raise ValueError(f"solver must be 'auto', 'primal' or 'dual'; got {self.solver!r}")
        X = check_array(X, "X", ndim=2)
        n, d = X.shape
        y = _check_targets(y, n)
        h = get_activation(self.activation)
        if self.thetas is not None:
            thetas = check_array(self.thetas, "thetas", ndim=2, shape=("n_features", d), copy=True)
            if self.n_features is not None and check_int(self.n_features, "n_features", minimum=1) != len(thetas):
                raise ValueError(f"n_features={self.n_features} disagrees with thetas, which has {len(thetas)} rows")
            if len(thetas) == 0:
                raise ValueError("thetas must have at least one row")
        else:
            m = check_int(100 if self.n_features is None else self.n_features, "n_features", minimum=1)
            sigma = check_positive(self.sigma, "sigma")
            thetas = sigma * check_random_state(self.random_state, "random_state").standard_normal((m, d))
        m = len(thetas)
        solver = ("primal" if m <= n else "dual") if self.solver == "auto" else self.solver

        self.activation_, self.thetas_ = h, thetas
        H = self._features(X)
        if solver == "primal":
            coef = _ridge_solve(H.T @ H, H.T @ y, reg * n, what="H^T H + reg * n * I")
            if reg > 0:
                dual = (y - H @ coef) / (reg * n)
            else:
                dual = np.linalg.lstsq(H.T, coef, rcond=None)[0]
        else:
            K = random_feature_kernel(X, X, thetas=thetas, activation=h)
            dual = _ridge_solve(0.5 * (K + K.T), y, reg * n)
            coef = H.T @ dual
        self.coef_, self.dual_coef_, self.solver_ = coef, dual, solver
        self.X_fit_, self.n_features_in_ = X, d
        return self

    def predict(self, X):
        """Predict :math:`f(x) = u^\\top h(x)`.

        Parameters
        ----------
        X : array_like, shape (n_test, d)

        Returns
        -------
        ndarray, shape (n_test,) or (n_test, k)
        """
        self._check_fitted()
        X = check_array(X, "X", ndim=2, shape=("n_test", self.n_features_in_))
        return self._features(X) @ self.coef_

