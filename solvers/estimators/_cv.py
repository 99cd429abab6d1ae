r"""Cross-validated estimators: ``reg`` chosen along warm-started certified paths, as ``LassoCV`` does."""

import warnings
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import _fit_context, is_classifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval

from ._common import build_problem, make_solver, path_reg_max
from ._estimators import ConvexNetClassifier, ConvexNetRegressor, _ConvexNet
from ._path import _path_regs, reg_path

__all__ = ["ConvexNetRegressorCV", "ConvexNetClassifierCV"]

_CV_CONSTRAINTS = {key: value for key, value in _ConvexNet._parameter_constraints.items()
                   if key not in ("reg", "warm_start")}
_CV_CONSTRAINTS.update({
    "regs": ["array-like", None],
    "n_regs": [Interval(Integral, 1, None, closed="left")],
    "eps": [Interval(Real, 0, 1, closed="neither")],
    "cv": ["cv_object"],
    "scoring": [str, callable, None],
    "n_jobs": [Integral, None],
})


class _CrossValidated:
    """``fit``: the regs, a warm-started path per fold and target, the scores, then the refit at the best reg."""

    _parameter_constraints = _CV_CONSTRAINTS
    warm_start = False

    def _path_options(self):
        return dict(activation=self.activation, lift=self.lift, solver=self.solver, tol=self.tol,
                    max_iter=self.max_iter, grid=self.grid, random_state=self.random_state)

    def _regs(self, X, targets):
        """``regs`` sorted decreasing, or ``n_regs`` from the largest ``reg_max`` of the full data's problems."""
        if self.regs is not None:
            return _path_regs(self.regs, self.n_regs, self.eps, 1.0)
        reg_max = 0.0
        for t in targets:
            problem = build_problem(X, t, self._loss, 1.0, self.activation, self.lift)
            solver = make_solver(self.solver, problem, tol=self.tol, max_iter=self.max_iter, grid=self.grid,
                                 random_state=self.random_state)
            reg_max = max(reg_max, path_reg_max(problem, solver))
        return _path_regs(None, self.n_regs, self.eps, reg_max)

    def _point(self, results, X):
        """A fitted non-CV estimator holding ``results`` (to score with scikit-learn's scorers)."""
        point = self._point_class(activation=self.activation, lift=self.lift)
        point._store(results)
        point.n_features_in_ = X.shape[1]
        if hasattr(self, "classes_"):
            point.classes_ = self.classes_
        return point

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Choose ``reg`` by K-fold cross-validation along warm-started paths, then refit on all of ``(X, y)``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : array_like of shape (n_samples,)

        Returns
        -------
        self
        """
        X, y, targets = self._fit_data(X, y)
        regs = self._regs(X, targets)
        folds = list(check_cv(self.cv, y, classifier=is_classifier(self)).split(X, y))
        scorer = check_scoring(self._point_class(), scoring=self.scoring)
        options = self._path_options()

        def fold(train, test):
            paths = [reg_path(X[train], t[train], loss=self._loss, regs=regs, **options) for t in targets]
            return [scorer(self._point([p.results[k] for p in paths], X), X[test], y[test])
                    for k in range(len(regs))], sum(p.times.sum() for p in paths)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # fold paths: only their scores are kept
            out = Parallel(n_jobs=self.n_jobs)(delayed(fold)(train, test) for train, test in folds)
        self.regs_ = regs
        self.cv_scores_ = np.array([scores for scores, _ in out]).T  # (n_regs, n_folds)
        self.cv_time_ = float(sum(t for _, t in out))
        best = int(np.argmax(self.cv_scores_.mean(axis=1)))  # the largest reg among ties
        self.reg_ = float(regs[best])
        self._store([self._solve(X, t, reg=self.reg_) for t in targets])
        return self


class ConvexNetRegressorCV(_CrossValidated, ConvexNetRegressor):
    r""":class:`ConvexNetRegressor` with ``reg`` chosen by K-fold cross-validation along warm-started paths.

    As :class:`sklearn.linear_model.LassoCV`: the regs run from
    :math:`\lambda_{\max}` of the full data (the smallest reg whose optimum
    is the zero measure, certified) down to ``eps`` times it; on each fold
    :func:`reg_path` solves the training part at every reg, each point
    warm-started from the previous one, and the held-out part is scored; the
    reg of best mean score is refitted on all the data.

    Parameters
    ----------
    regs : array_like, optional
        The regs to try; by default ``n_regs`` log-spaced from
        ``reg_max`` to ``eps * reg_max``.
    n_regs : int, default=30
    eps : float, default=1e-3
    cv : int, cross-validation generator or iterable, default=5
        As in scikit-learn (:func:`sklearn.model_selection.check_cv`).
    scoring : str or callable, optional
        A scikit-learn scorer; by default ``score`` (R²).
    n_jobs : int, optional
        Folds run in parallel with joblib.
    activation, lift, solver, tol, max_iter, grid, random_state, verbose
        As in :class:`ConvexNetRegressor`.

    Attributes
    ----------
    reg_ : float
        The chosen reg.
    regs_ : ndarray of shape (n_regs,)
        The regs tried, decreasing.
    cv_scores_ : ndarray of shape (n_regs, n_folds)
        Held-out scores (larger is better).
    cv_time_ : float
        Seconds spent in the folds' paths.
    measure_, dual_gap_, relative_gap_, gap_scope_, objective_, status_, n_iter_, n_neurons_, results_
        Of the refit at ``reg_``, as in :class:`ConvexNetRegressor`.
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.estimators import ConvexNetRegressorCV
    >>> X = np.linspace(-1, 1, 60)[:, None]
    >>> y = np.abs(X[:, 0]) + 0.05 * np.random.default_rng(0).standard_normal(60)
    >>> model = ConvexNetRegressorCV(n_regs=6, cv=3).fit(X, y)
    >>> model.cv_scores_.shape, model.reg_ in model.regs_, model.status_
    ((6, 3), True, <Status.OPTIMAL: 'optimal'>)
    """

    _point_class = ConvexNetRegressor

    def __init__(self, *, regs=None, n_regs=30, eps=1e-3, cv=5, scoring=None, n_jobs=None, activation="relu",
                 lift=True, solver="auto", tol=1e-6, max_iter=50, grid=2000, random_state=None, verbose=False):
        self.regs = regs
        self.n_regs = n_regs
        self.eps = eps
        self.cv = cv
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.activation = activation
        self.lift = lift
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.grid = grid
        self.random_state = random_state
        self.verbose = verbose


class ConvexNetClassifierCV(_CrossValidated, ConvexNetClassifier):
    r""":class:`ConvexNetClassifier` with ``reg`` chosen by stratified K-fold cross-validation along warm-started paths.

    As :class:`ConvexNetRegressorCV`, with the logistic loss, one path per
    class beyond two (one-vs-rest, on the same regs), and folds stratified
    by class (:func:`sklearn.model_selection.check_cv`). The default score
    is the accuracy; ``scoring="neg_log_loss"`` chooses by log-loss.

    Parameters
    ----------
    regs, n_regs, eps, cv, scoring, n_jobs
        As in :class:`ConvexNetRegressorCV`.
    activation, lift, solver, tol, max_iter, grid, random_state, verbose
        As in :class:`ConvexNetClassifier`.

    Attributes
    ----------
    reg_, regs_, cv_scores_, cv_time_
        As in :class:`ConvexNetRegressorCV`.
    classes_, measure_, dual_gap_, relative_gap_, gap_scope_, objective_, status_, n_iter_, n_neurons_, results_
        Of the refit at ``reg_``, as in :class:`ConvexNetClassifier`.
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.estimators import ConvexNetClassifierCV
    >>> X = np.linspace(-1, 1, 60)[:, None]
    >>> clf = ConvexNetClassifierCV(n_regs=5, cv=3).fit(X, np.abs(X[:, 0]) > 0.5)
    >>> clf.cv_scores_.shape, clf.score(X, np.abs(X[:, 0]) > 0.5) > 0.95
    ((5, 3), True)
    """

    _point_class = ConvexNetClassifier
    __init__ = ConvexNetRegressorCV.__init__
