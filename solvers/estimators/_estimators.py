r"""Convex two-layer networks as scikit-learn estimators: :class:`ConvexNetRegressor`, :class:`ConvexNetClassifier`."""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from measureopt.activations import ACTIVATIONS, Activation
from measureopt.exceptions import ConvergenceWarning as SolverConvergenceWarning

from .._base import Solver
from .._result import Status
from ._common import SOLVER_NAMES, build_problem, decision, make_solver, with_warm_start

__all__ = ["ConvexNetRegressor", "ConvexNetClassifier"]


class _ConvexNet(BaseEstimator):
    """Parameters, one certified solve per binary problem, fitted attributes and the torch export."""

    _parameter_constraints = {
        "reg": [Interval(Real, 0, None, closed="neither")],
        "activation": [StrOptions(set(ACTIVATIONS)), Activation],
        "lift": ["boolean"],
        "solver": [StrOptions(set(SOLVER_NAMES)), Solver],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "grid": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    #: The loss of the measure problem (``"squared"`` or ``"logistic"``).
    _loss = None

    def __init__(self, reg=1e-3, *, activation="relu", lift=True, solver="auto", tol=1e-6, max_iter=50,
                 grid=2000, warm_start=False, random_state=None, verbose=False):
        self.reg = reg
        self.activation = activation
        self.lift = lift
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.grid = grid
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Solve the convex program on ``(X, y)``: one problem, or one per class (the classifier, one-vs-rest).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : array_like of shape (n_samples,)
            Targets (regressor) or class labels of any type scikit-learn accepts (classifier).

        Returns
        -------
        self
        """
        X, _, targets = self._fit_data(X, y)
        self._store([self._solve(X, t, start=s) for t, s in zip(targets, self._previous(len(targets)))])
        return self

    def _solve(self, X, y, start=None, reg=None):
        """One certified solve of the penalized problem on ``(X, y)``; a :class:`~solvers.Result`."""
        problem = build_problem(X, y, self._loss, self.reg if reg is None else reg, self.activation, self.lift)
        solver = make_solver(self.solver, problem, tol=self.tol, max_iter=self.max_iter, grid=self.grid,
                             random_state=self.random_state, verbose=self.verbose)
        if start is not None and start.dim == problem.dim:
            solver = with_warm_start(solver, start)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SolverConvergenceWarning)  # re-raised below as scikit-learn's
            result = solver.solve(problem)
        if not result.status.failure and result.status is not Status.OPTIMAL:
            warnings.warn(
                f"{type(self).__name__} stopped with status {result.status}: certified relative gap "
                f"{result.relative_gap:.2e} ({result.gap_scope}) above tol={self.tol:g}. {result.message}. "
                "Raise max_iter or tol, or pass solver='grid'.", ConvergenceWarning, stacklevel=3)
        return result

    def _store(self, results):
        """The fitted attributes from one result per binary problem (a scalar each when there is one)."""
        self.results_ = tuple(results)
        one = len(results) == 1

        def pick(values, array=True):
            return values[0] if one else (np.asarray(values) if array else tuple(values))

        self.measure_ = pick([r.measure for r in results], array=False)
        self.dual_gap_ = pick([float(r.dual_gap) for r in results])
        self.relative_gap_ = pick([float(r.relative_gap) for r in results])
        self.gap_scope_ = pick([str(r.gap_scope) for r in results], array=False)
        self.objective_ = pick([float(r.objective) for r in results])
        self.status_ = pick([r.status for r in results], array=False)
        self.n_iter_ = pick([max(int(r.n_iter), 1) for r in results])  # the zero measure's check counts as one
        self.n_neurons_ = pick([int(r.measure.n_atoms) for r in results])

    def _measures(self):
        return (self.measure_,) if not isinstance(self.measure_, tuple) else self.measure_

    def _previous(self, n_problems):
        """The measures to warm-start from (``warm_start=True`` and a previous fit of the same shape)."""
        if not self.warm_start or not hasattr(self, "measure_"):
            return [None] * n_problems
        previous = self._measures()
        return list(previous) if len(previous) == n_problems else [None] * n_problems

    def _decision(self, X):
        check_is_fitted(self, "measure_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        columns = [decision(m, X, self.activation, self.lift) for m in self._measures()]
        return columns[0] if len(columns) == 1 else np.column_stack(columns)

    def to_network(self, dtype=None):
        r"""The fitted model as a torch module whose forward pass is :meth:`predict` (regressor) or ``decision_function``.

        Atom :math:`r_j\delta_{\theta_j}` becomes the balanced unit
        :math:`w_j = \sqrt{|r_j|}\theta_j`, :math:`a_j =
        \operatorname{sign}(r_j)\sqrt{|r_j|}`
        (:func:`measureopt.to_network`); with ``lift=True`` the first layer
        has a bias (the last coordinate of :math:`w_j`). ReLU only.

        Parameters
        ----------
        dtype : torch.dtype or str, optional
            ``torch.float64`` by default (then the forward pass equals
            :meth:`predict` to rounding).

        Returns
        -------
        torch.nn.Sequential
            ``Linear(d, k) -> ReLU -> Linear(k, c, bias=False)``, with
            ``c = 1`` (regression, binary) or the number of classes; the
            output has shape ``(n,)`` when ``c = 1``.
        """
        check_is_fitted(self, "measure_")
        from ._network import measures_to_network

        return measures_to_network(self._measures(), self.activation, self.lift, dtype)


class ConvexNetRegressor(RegressorMixin, _ConvexNet):
    r"""A two-layer ReLU network trained by its convex program: variation-norm ERM, solved with a certified gap.

    ``fit`` solves

    .. math::

        \min_\nu\ \frac{1}{2n}\sum_{i=1}^n\bigl(y_i - f(x_i;\nu)\bigr)^2
        + \lambda\lVert\nu\rVert_{TV},\qquad
        f(x;\nu) = \int\sigma(\langle\theta, \tilde x\rangle)\,d\nu(\theta),

    over measures :math:`\nu` on the sphere, with :math:`\tilde x = (x, 1)`
    (``lift=True``; Berthier 2018, eq. 8; Bach 2017) or :math:`\tilde x = x`
    (``lift=False``: BLASSO, Akiyama & Suzuki 2021, eq. 8). Its solution
    :math:`\nu = \sum_j r_j\delta_{\theta_j}` is a network with one neuron
    per atom, and the certified duality gap bounds how far its objective is
    from the best of *all* networks of any width (or of all networks with
    neurons on the grid, ``gap_scope_ == "grid"``). On a fixed grid of
    directions :math:`\theta_k` (``solver="grid"``) the problem is
    scikit-learn's ``Lasso(alpha=reg, fit_intercept=False)`` on the features
    :math:`\sigma(\langle\theta_k, \tilde x_i\rangle)`, with the same
    :math:`1/(2n)` scaling.

    Parameters
    ----------
    reg : float, default=1e-3
        :math:`\lambda > 0`.
    activation : str or Activation, default="relu"
        :math:`\sigma` (see :func:`measureopt.get_activation`).
    lift : bool, default=True
        Lift the inputs to :math:`(x, 1)` (neurons with a bias), so that any
        real ``X`` works; ``False`` keeps :math:`\sigma(\langle\theta,
        x\rangle)` (no bias; needs at least 2 features).
    solver : {"auto", "sfw", "grid", "exact"} or Solver, default="auto"
        ``"auto"``: :class:`~solvers.SlidingFrankWolfe` (gap certified on the
        whole sphere, by the exact arrangement oracle for ReLU in dimension
        ``D <= 3``) when the directions live in dimension ``D <=``
        :data:`~solvers.estimators.AUTO_SFW_MAX_DIM` (``D = d + 1`` when
        lifted), else ``"grid"``: above that, certificates on the sphere
        are too loose to stop on. ``"grid"``: :class:`~solvers.GridConvex`
        on ``grid`` directions (celer; gap certified on the grid).
        ``"exact"``: :class:`~solvers.ExactReLU` (ReLU, ``D <= 3``). A
        :class:`~solvers.Solver` instance is used as given (copied).
    tol : float, default=1e-6
        Target relative certified gap.
    max_iter : int, default=50
        Outer iterations of sliding Frank-Wolfe (atoms added).
    grid : int or array_like of shape (K, D), default=2000
        The grid of ``solver="grid"``: a number of quasi-uniform directions,
        or the directions themselves.
    warm_start : bool, default=False
        Start the next ``fit`` from the last solution (SFW and grid solvers).
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the grid (``None``: 0, so fits are reproducible).
    verbose : bool, default=False
        The solver's progress bar.

    Attributes
    ----------
    measure_ : DiscreteMeasure
        The solution :math:`\nu` (``support`` the neurons' directions,
        ``weights`` their output weights times norms).
    dual_gap_ : float
        The certified duality gap: :math:`J(\nu) - J^\star \le` ``dual_gap_``.
    relative_gap_ : float
        ``dual_gap_ / objective_``.
    gap_scope_ : str
        What the gap certifies: ``"sphere"`` (all networks) or ``"grid"``
        (networks with neurons on the grid).
    objective_ : float
        :math:`J(\nu)`, recomputed from ``measure_``.
    status_ : Status
        ``"optimal"`` when the certified relative gap is at most ``tol``; any
        other status warns with :class:`sklearn.exceptions.ConvergenceWarning`.
    n_iter_ : int
        The solver's iterations; 1 when the zero measure is certified
        optimal without iterating (``reg >= reg_max``), as scikit-learn
        asks of estimators with ``max_iter``.
    n_neurons_ : int
        Atoms of ``measure_``: the width of the network (the hidden units
        of :meth:`to_network`). Off the grid a solution may hold atoms a
        few degrees apart. Most such pairs have ReLU activation patterns
        that differ on a few samples (they lie on either side of a
        hyperplane :math:`\langle\theta, x_i\rangle = 0`): distinct
        neurons. A pair of the same sign inside one cell could be merged
        into one atom with a smaller TV norm, by less than the certified
        gap; it is counted twice. On teacher-student data with a 3-neuron
        teacher (``benchmarks/paths.py``), the solution at
        :math:`10^{-3}` times ``reg_max`` had 14 atoms, 9 pairs within 3
        degrees: 8 differing on 1 to 5 samples, 1 inside one cell (0.1
        degree apart, weights 1.4e-3 and 6.2e-3).
    results_ : tuple of Result
        The solver's full :class:`~solvers.Result`.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.

    See Also
    --------
    ConvexNetRegressorCV : ``reg`` chosen by cross-validation along a path.
    reg_path : The certified regularization path.

    References
    ----------
    Eloïse Berthier. On convex neural networks (2018), eq. (8).
    F. Bach. Breaking the curse of dimensionality with convex neural networks. JMLR 18 (2017).

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.estimators import ConvexNetRegressor
    >>> X = np.linspace(-1, 1, 40)[:, None]
    >>> model = ConvexNetRegressor(reg=1e-3).fit(X, np.abs(X[:, 0]))
    >>> model.status_, model.gap_scope_, model.n_neurons_ <= 4
    (<Status.OPTIMAL: 'optimal'>, 'sphere', True)
    >>> round(model.score(X, np.abs(X[:, 0])), 3)
    0.999
    """

    _loss = "squared"

    def _fit_data(self, X, y):
        """Validated ``X`` and ``y``, and the list of targets (one)."""
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        y = y.astype(np.float64)  # strings: "could not convert string to float", as scikit-learn's
        return X, y, [y]

    def predict(self, X):
        r""":math:`f(x;\nu)` at the rows of ``X``, shape ``(n_samples,)``."""
        return self._decision(X)


class ConvexNetClassifier(ClassifierMixin, _ConvexNet):
    r"""A two-layer ReLU network classifier trained by its convex program (logistic loss), with a certified gap.

    For labels :math:`y_i\in\{-1, +1\}`, ``fit`` solves

    .. math::

        \min_\nu\ \frac1n\sum_{i=1}^n\log\bigl(1 + e^{-y_if(x_i;\nu)}\bigr)
        + \lambda\lVert\nu\rVert_{TV}

    (Berthier 2018, eq. 8, logistic loss); more than two classes are fitted
    one-vs-rest, one such problem per class. :math:`P(y = +1\mid x) =
    1/(1 + e^{-f(x)})`; one-vs-rest probabilities are normalized to sum to 1,
    as :class:`sklearn.multiclass.OneVsRestClassifier` does.

    Parameters
    ----------
    reg, activation, lift, solver, tol, max_iter, grid, warm_start, random_state, verbose
        As in :class:`ConvexNetRegressor`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    measure_ : DiscreteMeasure or tuple of DiscreteMeasure
        The solution; with more than two classes, one per class (that
        class against the rest).
    dual_gap_, relative_gap_, objective_, n_iter_, n_neurons_ : float or ndarray of shape (n_classes,)
        As in :class:`ConvexNetRegressor`; one per class with more than two classes.
    gap_scope_, status_ : str or tuple
    results_ : tuple of Result
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> import numpy as np
    >>> from solvers.estimators import ConvexNetClassifier
    >>> X = np.linspace(-1, 1, 40)[:, None]
    >>> clf = ConvexNetClassifier(reg=1e-2).fit(X, np.abs(X[:, 0]) > 0.5)
    >>> clf.classes_, clf.status_
    (array([False,  True]), <Status.OPTIMAL: 'optimal'>)
    >>> clf.score(X, np.abs(X[:, 0]) > 0.5)
    1.0
    """

    _loss = "logistic"

    def _fit_data(self, X, y):
        """Validated ``X`` and ``y``, ``classes_`` set, and the targets in {-1, +1}: one, or one per class."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes in y; got 1 class: "
                             f"{self.classes_[0]!r}")
        return X, y, _signed_targets(encoded, len(self.classes_))

    def decision_function(self, X):
        r""":math:`f(x;\nu)`: shape ``(n_samples,)`` (two classes, positive for ``classes_[1]``) or ``(n_samples, n_classes)``."""
        return self._decision(X)

    def predict_proba(self, X):
        """Class probabilities, shape ``(n_samples, n_classes)`` (logistic, normalized one-vs-rest)."""
        return _probabilities(self._decision(X))

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        return np.log(self.predict_proba(X))

    def predict(self, X):
        """The class of largest decision value (of positive decision for two classes)."""
        scores = self._decision(X)
        index = (scores > 0).astype(int) if scores.ndim == 1 else np.argmax(scores, axis=1)
        return self.classes_[index]


def _signed_targets(encoded, n_classes):
    """Targets in {-1, +1}: one vector (two classes, +1 for the second) or one per class (one-vs-rest)."""
    if n_classes == 2:
        return [np.where(encoded == 1, 1.0, -1.0)]
    return [np.where(encoded == k, 1.0, -1.0) for k in range(n_classes)]


def _probabilities(scores):
    """Logistic probabilities; one-vs-rest ones normalized to sum to 1."""
    if scores.ndim == 1:
        p = expit(scores)
        return np.column_stack([1.0 - p, p])
    p = expit(scores)
    return p / p.sum(axis=1, keepdims=True)
