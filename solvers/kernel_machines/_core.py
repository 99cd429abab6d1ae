"""The one linear solve and the base classes of the kernel machines."""

import inspect
from abc import ABC, abstractmethod
import warnings

import numpy as np
from scipy.linalg import LinAlgError, LinAlgWarning, cho_factor, cho_solve, eigvalsh, solve

from measureopt._validation import check_array, check_positive
from measureopt.exceptions import NotFittedError

__all__ = ["NotFittedError"]

#: Relative asymmetry above which a training kernel matrix is rejected (below it, it is symmetrized:
#: quadrature kernels such as the sigmoid NTK at default ``n_nodes`` are asymmetric at ~1e-6).
_SYMMETRY_TOL = 1e-4


# --------------------------------------------------------------------------- the shared solve
def _ridge_solve(G, B, shift, what="K + reg * n * I"):
    r"""Solve :math:`(G + s I) Z = B` for a symmetric positive semidefinite :math:`G`.

    The one linear solve of this module: the dual system :math:`(K + \lambda
    n I)\beta = Y` and the primal system :math:`(H^\top H + \lambda nI)u =
    H^\top Y` of the random features are both of this form.

    A Cholesky factorization of :math:`G + sI` (``scipy.linalg.cho_factor``)
    is tried first. If it fails (:math:`G` is indefinite beyond what the
    shift :math:`s` absorbs):

    - with :math:`s = 0` (``reg=0``) a :class:`numpy.linalg.LinAlgError`
      (a :class:`ValueError`) is raised, asking for ``reg > 0``;
    - with :math:`s > 0` a :class:`scipy.linalg.LinAlgWarning` gives the
      smallest eigenvalue of :math:`G` and the symmetric indefinite solver
      (``scipy.linalg.solve(assume_a="sym")``, Bunch-Kaufman) is used; a
      singular system then raises :class:`numpy.linalg.LinAlgError`.

    Parameters
    ----------
    G : ndarray, shape (p, p)
        Symmetric (only its lower triangle is read by the factorization).
    B : ndarray, shape (p,) or (p, k)
    shift : float
        :math:`s \ge 0`.
    what : str
        The matrix's name in messages.

    Returns
    -------
    ndarray, shape of ``B``
    """
    A = np.array(G, dtype=float, copy=True)
    A.flat[:: len(A) + 1] += shift
    try:
        factor = cho_factor(A, lower=True, check_finite=False)
    except LinAlgError:
        pass
    else:
        return cho_solve(factor, B, check_finite=False)
    lam_min = float(eigvalsh(G, subset_by_index=[0, 0], check_finite=False)[0])
    if shift == 0:
        raise LinAlgError(
            f"reg=0 needs {what} positive definite, but its Cholesky factorization failed "
            f"(smallest eigenvalue of the kernel matrix {lam_min:.3e}); set reg > 0"
        )
    warnings.warn(
        f"the Cholesky factorization of {what} failed: the kernel matrix is not positive semidefinite "
        f"(smallest eigenvalue {lam_min:.3e}, shift reg * n = {shift:.3e}); solving with "
        "scipy.linalg.solve(assume_a='sym') instead. Check the kernel or increase reg.",
        LinAlgWarning,
        stacklevel=3,
    )
    try:
        return solve(A, B, assume_a="sym", check_finite=False)
    except LinAlgError as exc:
        raise LinAlgError(f"{what} is singular: no ridge solution; increase reg") from exc


def _check_reg(reg):
    return check_positive(reg, "reg", strict=False)


def _check_targets(y, n_samples, what="X"):
    y = check_array(y, "y")
    if y.ndim not in (1, 2):
        raise ValueError(f"y must have shape (n_samples,) or (n_samples, n_outputs); got {y.shape}")
    if y.shape[0] != n_samples:
        raise ValueError(
            f"y must have n_samples={n_samples} rows, one per row of {what}; got shape {y.shape}"
        )
    return y


def _r2(y, pred):
    """Coefficient of determination, averaged uniformly over the outputs (as scikit-learn's ``score``)."""
    y = y.reshape(len(y), -1)
    pred = pred.reshape(len(pred), -1)
    ss_res = np.sum((y - pred) ** 2, axis=0)
    ss_tot = np.sum((y - y.mean(axis=0)) ** 2, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(ss_tot > 0, 1.0 - ss_res / np.where(ss_tot > 0, ss_tot, 1.0),
                      np.where(ss_res == 0, 1.0, 0.0))
    return float(np.mean(r2))


# --------------------------------------------------------------------------- base classes
class _RidgeEstimator:
    """Parameters, ``repr``, ``score`` and the fitted check shared by the estimators of this module."""

    @classmethod
    def _param_names(cls):
        return [p.name for p in inspect.signature(cls.__init__).parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]

    def get_params(self, deep=True):
        """dict: the constructor parameters and their values (``deep`` is accepted for scikit-learn)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        """Set constructor parameters by name; return ``self``."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}; valid: {valid}")
            setattr(self, name, value)
        return self

    def __repr__(self):
        def short(v):
            if isinstance(v, np.ndarray):
                return f"<array {v.shape}>"
            if callable(v) and not isinstance(v, type):
                return getattr(v, "__name__", type(v).__name__)
            return repr(v)

        return f"{type(self).__name__}({', '.join(f'{k}={short(v)}' for k, v in self.get_params().items())})"

    def _check_fitted(self):
        if not hasattr(self, "dual_coef_"):
            raise NotFittedError(
                f"this {type(self).__name__} instance is not fitted yet; call fit(X, y) before predict or score"
            )

    def score(self, X, y):
        r"""Coefficient of determination :math:`R^2` of ``predict(X)`` (mean over outputs, as scikit-learn).

        Parameters
        ----------
        X : array_like
            As for :meth:`predict`.
        y : array_like, shape (n_test,) or (n_test, k)

        Returns
        -------
        float
            :math:`1 - \sum(y - \hat y)^2/\sum(y - \bar y)^2` (1 for a
            constant ``y`` predicted exactly, 0 for a constant ``y`` missed).
        """
        pred = self.predict(X)
        y = _check_targets(y, len(pred))
        if y.reshape(len(y), -1).shape != pred.reshape(len(pred), -1).shape:
            raise ValueError(f"y must have shape {pred.shape}, as predict(X); got {y.shape}")
        return _r2(y, pred)


class _KernelRidgeBase(_RidgeEstimator, ABC):
    """Kernel ridge regression with the kernel given by :meth:`_gram` (subclasses)."""

    #: Whether ``fit`` and ``predict`` take kernel matrices instead of inputs.
    _precomputed = False

    @abstractmethod
    def _gram(self, X, Y=None):
        """The kernel matrix ``k(X, Y)``, shape (len(X), len(Y)); ``Y=None`` means ``X``."""

    def _validate_params(self):
        return _check_reg(self.reg)

    def fit(self, X, y):
        """Fit :math:`\\beta = (K + \\lambda n I)^{-1} y` (one Cholesky factorization).

        Parameters
        ----------
        X : array_like, shape (n, d), or (n, n) for ``kernel="precomputed"``
            Training inputs, or the training kernel matrix.
        y : array_like, shape (n,) or (n, k)

        Returns
        -------
        self
        """
        reg = self._validate_params()
        if self._precomputed:
            K = check_array(X, "K", ndim=2)
            if K.shape[0] != K.shape[1]:
                raise ValueError(f"K must be a square (n_samples, n_samples) kernel matrix; got shape {K.shape}")
            X_fit = K
        else:
            X_fit = check_array(X, "X", ndim=2)
            K = check_array(self._gram(X_fit), "kernel matrix", ndim=2, shape=(len(X_fit), len(X_fit)))
        n = len(K)
        y = _check_targets(y, n, "K" if self._precomputed else "X")
        scale = max(1.0, float(np.max(np.abs(K)))) if K.size else 1.0
        asym = float(np.max(np.abs(K - K.T))) if K.size else 0.0
        if asym > _SYMMETRY_TOL * scale:
            raise ValueError(f"the training kernel matrix must be symmetric; max |K - K^T| = {asym:.3e}")
        K = 0.5 * (K + K.T)
        self.dual_coef_ = _ridge_solve(K, y, reg * n)
        self.X_fit_ = X_fit
        if not self._precomputed:
            self.n_features_in_ = X_fit.shape[1]
        return self

    def predict(self, X):
        """Predict :math:`f(x) = k(x, X_{fit})\\,\\beta`.

        Parameters
        ----------
        X : array_like, shape (n_test, d), or (n_test, n) for ``kernel="precomputed"``
            Test inputs, or the kernel between the test and the training
            inputs.

        Returns
        -------
        ndarray, shape (n_test,) or (n_test, k)
            The shape of ``y`` at ``fit``, with ``n_test`` rows.
        """
        self._check_fitted()
        n = len(self.dual_coef_)
        if self._precomputed:
            K_test = check_array(X, "K_test", ndim=2, shape=("n_test", n))
        else:
            X = check_array(X, "X", ndim=2, shape=("n_test", self.n_features_in_))
            K_test = check_array(self._gram(X, self.X_fit_), "kernel matrix", ndim=2, shape=(len(X), n))
        return K_test @ self.dual_coef_


# --------------------------------------------------------------------------- estimators
