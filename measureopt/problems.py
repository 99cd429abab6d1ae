r"""Convex problems over measures."""

import numpy as np

from ._validation import check_array, check_positive
from .activations import get_activation
from .certificates import DualityGap
from .oracles import GridOracle, certified_oracle
from .measures import check_measure
from .sphere import check_on_sphere, sphere_grid

__all__ = ["BLASSO", "DEFAULT_ORACLE_GRID_SIZE"]

#: Number of directions of the default grid oracle of :meth:`BLASSO.duality_gap`.
DEFAULT_ORACLE_GRID_SIZE = 10_000


class BLASSO:
    r"""Beurling-LASSO over measures on the sphere (Akiyama & Suzuki, 2021, eq. 8).

    For a signed measure :math:`\nu` on :math:`\mathbb{S}^{d-1}`,

    .. math::

        f(x; \nu) = \int_{\mathbb{S}^{d-1}} \sigma(\langle\theta, x\rangle)\,
        d\nu(\theta), \qquad
        J(\nu) = \frac{1}{2n}\sum_{i=1}^n \bigl(y_i - f(x_i;\nu)\bigr)^2
        + \lambda \lVert\nu\rVert_{TV}.

    For a discrete :math:`\nu = \sum_j r_j\delta_{\theta_j}` with distinct
    atoms, :math:`\lVert\nu\rVert_{TV} = \sum_j |r_j|`. With ReLU this is the
    two-layer network :math:`\sum_j a_j \sigma(\langle w_j, x\rangle)` with
    penalty :math:`\lambda\sum_j |a_j|\lVert w_j\rVert` (eq. 4, 6).

    Parameters
    ----------
    X : array_like, shape (n, d)
        Inputs (rows on the sphere under Assumption 3.1, but any finite
        inputs are accepted).
    y : array_like, shape (n,)
        Targets.
    reg : float
        Regularization :math:`\lambda > 0`.
    activation : str or Activation, default="relu"
        :math:`\sigma`; see :func:`~measureopt.get_activation`.

    Attributes
    ----------
    loss : str
        ``"squared"``, the data term solvers translate.

    Notes
    -----
    **Certificate.** :math:`\eta(\theta) = \frac{1}{\lambda n}\sum_i
    (y_i - f(x_i;\nu))\,\sigma(\langle\theta, x_i\rangle)`. The measure
    :math:`\nu` is optimal iff :math:`|\eta| \le 1` on the sphere and
    :math:`\eta(\theta_j) = \operatorname{sign}(r_j)` on its support
    (eq. 10).

    **Dual.** :math:`D(q) = \frac1n\langle y, q\rangle - \frac1{2n}\lVert
    q\rVert^2` subject to :math:`\sup_\theta |\frac1n\sum_i q_i
    \sigma(\langle\theta, x_i\rangle)| \le \lambda`, the problem
    :math:`D_\lambda` of Sec. 3.2 with :math:`p = nq/\lambda`. Weak duality
    :math:`D(q) \le J(\nu)` gives the gap of :meth:`duality_gap`.

    References
    ----------
    S. Akiyama and T. Suzuki. On learnability via gradient method for two-layer
    ReLU neural networks in teacher-student setting. ICML 2021, eq. (4), (6),
    (8), (10) and problem :math:`D_\lambda`.

    Examples
    --------
    >>> import numpy as np
    >>> import measureopt as mo
    >>> data = mo.teacher_student(n=100, d=3, m=2, seed=0)
    >>> prob = mo.BLASSO(data.X, data.y, reg=1e-3)
    >>> round(prob.objective(data.teacher), 6)  # zero loss, penalty reg * 2
    0.002
    """

    loss = "squared"

    def __init__(self, X, y, reg, activation="relu"):
        X = check_array(X, "X", ndim=2, shape=("n", "d"))
        y = check_array(y, "y", ndim=1, shape=("n",))
        if y.shape[0] != X.shape[0]:
            raise ValueError(
                f"y must have one entry per row of X: X has shape {X.shape}, y has shape {y.shape}"
            )
        if X.shape[0] == 0:
            raise ValueError("X must have at least one row; got shape (0, d)")
        self.X = X
        self.y = y
        self.reg = check_positive(reg, "reg")
        self.activation = get_activation(activation)

    @property
    def n_samples(self):
        """int: number of samples ``n``."""
        return self.X.shape[0]

    @property
    def dim(self):
        """int: dimension ``d`` (directions lie on :math:`\\mathbb{S}^{d-1}`)."""
        return self.X.shape[1]

    def __repr__(self):
        return (
            f"BLASSO(n={self.n_samples}, d={self.dim}, reg={self.reg:g}, "
            f"activation={self.activation!r})"
        )

    # ------------------------------------------------------------------ checks
    def check_measure(self, measure, name="measure"):
        """Validate a measure of this problem: a :class:`DiscreteMeasure` on :math:`\\mathbb{S}^{d-1}`."""
        return check_measure(measure, name, d=self.dim)

    # ---------------------------------------------------------------- features
    def features(self, thetas, X=None):
        r"""Feature matrix :math:`\Phi_{ij} = \sigma(\langle\theta_j, x_i\rangle)`.

        Parameters
        ----------
        thetas : array_like, shape (k, d)
            Directions on the unit sphere.
        X : array_like, shape (n_points, d), optional
            Inputs; the training inputs by default.

        Returns
        -------
        ndarray, shape (n_points, k)
        """
        thetas = check_on_sphere(thetas, "thetas", d=self.dim)
        X = self.X if X is None else check_array(X, "X", ndim=2, shape=("n_points", self.dim))
        return self.activation(X @ thetas.T)

    def predict(self, measure, X=None):
        r"""Network output :math:`f(x;\nu) = \sum_j r_j\sigma(\langle\theta_j, x\rangle)`.

        Parameters
        ----------
        measure : DiscreteMeasure
            :math:`\nu`, support on :math:`\mathbb{S}^{d-1}`.
        X : array_like, shape (n_points, d), optional
            Inputs; the training inputs by default.

        Returns
        -------
        ndarray, shape (n_points,)
        """
        self.check_measure(measure)
        return self.features(measure.support, X) @ measure.weights

    def residual(self, measure):
        r"""Residual :math:`q = y - f(X;\nu)`, shape ``(n,)``."""
        return self.y - self.predict(measure)

    def objective(self, measure):
        r"""The BLASSO objective :math:`J(\nu)` (eq. 8).

        Parameters
        ----------
        measure : DiscreteMeasure

        Returns
        -------
        float
        """
        q = self.residual(measure)
        return float(q @ q / (2 * self.n_samples) + self.reg * measure.total_variation)

    def correlation(self, q, thetas):
        r"""Correlation :math:`c_q(\theta) = \frac1n\sum_i q_i\sigma(\langle\theta, x_i\rangle)`.

        Parameters
        ----------
        q : array_like, shape (n,)
            A dual vector (e.g. the residual).
        thetas : array_like, shape (k, d)
            Directions on the sphere.

        Returns
        -------
        ndarray, shape (k,)
        """
        q = check_array(q, "q", ndim=1, shape=(self.n_samples,))
        return self.features(thetas).T @ q / self.n_samples

    def certificate(self, measure, thetas):
        r"""Dual certificate :math:`\eta(\theta) = \frac{1}{\lambda n}\sum_i (y_i - f(x_i;\nu))\sigma(\langle\theta, x_i\rangle)`.

        Parameters
        ----------
        measure : DiscreteMeasure
            :math:`\nu`.
        thetas : array_like, shape (k, d)
            Directions on the sphere where :math:`\eta` is evaluated.

        Returns
        -------
        ndarray, shape (k,)
            :math:`\nu` is optimal iff :math:`|\eta| \le 1` everywhere and
            :math:`\eta = \operatorname{sign}(r_j)` at each atom (eq. 10).
        """
        return self.correlation(self.residual(measure), thetas) / self.reg

    def dual_objective(self, q):
        r"""Dual objective :math:`D(q) = \frac1n\langle y, q\rangle - \frac{1}{2n}\lVert q\rVert^2`.

        It lower-bounds :math:`J^\star` when :math:`\sup_\theta|c_q(\theta)|
        \le \lambda` (see :meth:`correlation`).
        """
        q = check_array(q, "q", ndim=1, shape=(self.n_samples,))
        n = self.n_samples
        return float(self.y @ q / n - q @ q / (2 * n))

    def default_oracle(self, measure=None):
        """The oracle :meth:`duality_gap` uses when none is given: a certified one.

        :func:`~measureopt.oracles.certified_oracle`: the exact
        :class:`~measureopt.oracles.ArrangementOracle` for ReLU in
        dimension 2 (and 3 for ``n <= 400``),
        :class:`~measureopt.oracles.BranchAndBound` otherwise. Its upper bound
        holds on the whole sphere, so the gap certifies the continuous
        problem. ``measure`` is accepted for symmetry with
        :meth:`grid_oracle` and not used.
        """
        return certified_oracle(self)

    def grid_oracle(self, measure=None, size=DEFAULT_ORACLE_GRID_SIZE):
        """A :class:`~measureopt.oracles.GridOracle` on ``sphere_grid(d, size, seed=0)`` plus the support of ``measure``.

        The support is added so that the measure is feasible for the gridded
        problem the gap of :meth:`grid_duality_gap` certifies.
        """
        grid = sphere_grid(self.dim, size, seed=0)
        if measure is not None and measure.n_atoms:
            grid = np.concatenate([grid, measure.support])
        return GridOracle(grid)

    def dual_certificate(self, measure, oracle=None):
        r"""Primal-dual pair for ``measure`` and the gap it certifies.

        The residual :math:`q = y - f(X;\nu)` is scaled by
        :math:`s = \min(1, 1/\bar\eta)`, with :math:`\bar\eta` the oracle's
        upper bound on :math:`\sup|\eta|`; then :math:`D(sq) \le J^\star_S \le
        J(\nu)` where :math:`J^\star_S` is the optimum over measures supported
        on the oracle's scope :math:`S`.

        Parameters
        ----------
        measure : DiscreteMeasure
            :math:`\nu`.
        oracle : object with ``maximize(problem, q)``, optional
            A sup-oracle from :mod:`measureopt.oracles`. Defaults to
            :meth:`default_oracle`, a certified one (continuous problem).

        Returns
        -------
        DualityGap
            ``scope`` says which problem the gap certifies.
        """
        self.check_measure(measure)
        if oracle is None:
            oracle = self.default_oracle(measure)
        if not callable(getattr(oracle, "maximize", None)):
            raise TypeError(
                f"oracle must have a maximize(problem, q) method; got {type(oracle).__name__}"
            )
        q = self.residual(measure)
        primal = float(q @ q / (2 * self.n_samples) + self.reg * measure.total_variation)
        found = oracle.maximize(self, q)
        sup_eta = found.value / self.reg
        sup_upper = found.upper / self.reg
        scale = 1.0 if sup_upper <= 1.0 else 1.0 / sup_upper
        dual = self.dual_objective(scale * q)
        return DualityGap(
            gap=primal - dual,
            primal=primal,
            dual=dual,
            sup_eta=sup_eta,
            sup_eta_upper=sup_upper,
            scale=scale,
            argmax=found.argmax,
            scope=found.scope,
        )

    def duality_gap(self, measure, oracle=None):
        r"""Certified duality gap of the continuous problem, :math:`\ge J(\nu) - J^\star`.

        With the default (certified) oracle the gap is :math:`J(\nu) -
        D(sq)` where :math:`s = \min(1, 1/\bar\eta)` and :math:`\bar\eta`
        is an upper bound of :math:`\sup_{\mathbb{S}^{d-1}}|\eta|`; since
        :math:`sq` is then dual feasible, the gap bounds
        :math:`J(\nu) - J^\star` for **every** measure, near the optimum or
        not. What other oracles certify (see :meth:`dual_certificate`):

        * a :class:`~measureopt.oracles.GridOracle` on directions :math:`S`
          certifies the gridded problem (see :meth:`grid_duality_gap`);
        * a :class:`~measureopt.oracles.LocalOracle` gives an estimate only
          (``scope == "local"``).

        Parameters
        ----------
        measure : DiscreteMeasure
        oracle : object with ``maximize(problem, q)``, optional

        Returns
        -------
        float
            Nonnegative up to rounding when the oracle's scope contains the
            support of ``measure``.
        """
        return self.dual_certificate(measure, oracle).gap

    def grid_duality_gap(self, measure, size=DEFAULT_ORACLE_GRID_SIZE):
        r"""Gridded duality gap: certifies the problem restricted to a grid.

        Uses :meth:`grid_oracle`: ``size`` quasi-uniform directions plus the
        support of ``measure``. The gap bounds :math:`J(\nu) -
        \min\{J(\mu): \operatorname{supp}\mu \subset S\}` on that set
        :math:`S`; it says nothing about the continuous problem, but is
        cheap in any dimension.
        """
        return self.dual_certificate(measure, self.grid_oracle(measure, size)).gap

    def reg_max(self, oracle=None):
        r""":math:`\lambda_{\max} = \sup_\theta|\frac1n\sum_i y_i\sigma(\langle\theta, x_i\rangle)|` over the oracle's scope.

        For ``reg >= reg_max`` the zero measure is optimal (its certificate is
        :math:`\eta = c_y/\lambda`, bounded by 1).
        """
        oracle = self.default_oracle() if oracle is None else oracle
        return oracle.maximize(self, self.y).upper
