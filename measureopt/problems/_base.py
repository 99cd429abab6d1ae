r"""The measure-problem protocol: features + loss + penalty.

A measure problem over signed measures :math:`\nu` on
:math:`\mathbb{S}^{D-1}` is composed of three parts, as skglm composes a
datafit and a penalty:

* **features** :math:`\varphi(\theta, x) = \sigma(\langle\theta, \tilde x\rangle)`
  (:class:`~measureopt.features.Features`), giving the prediction
  :math:`f(x;\nu) = \int\varphi(\theta, x)\,d\nu(\theta)`;
* a **loss** :math:`\ell(f, y)` (:mod:`measureopt.losses`);
* a **penalty**: :class:`TV` (penalized form, :math:`+\lambda\lVert\nu\rVert_{TV}`)
  or :class:`TVBall` (constrained form, :math:`\lVert\nu\rVert_{TV} \le \delta`).

.. math::

    J(\nu) = \frac1n\sum_{i=1}^n \ell\bigl(f(x_i;\nu), y_i\bigr) + G(\nu),
    \qquad G = \lambda\lVert\cdot\rVert_{TV} \ \text{ or }\
    \iota_{\{\lVert\cdot\rVert_{TV}\le\delta\}}.

Each part owns its math once; :class:`MeasureProblem` combines them into
what solvers ask for: predictions, the objective, the dual vector
:math:`q = -\ell'(f)`, the certificate, a dual-feasible point and the
certified duality gap through a sup-oracle, and the Frank-Wolfe vertex.
"""

import functools
from dataclasses import dataclass

import numpy as np

from .._frozen import Frozen, Record
from .._validation import check_array, check_int, check_oracle, check_positive
from ..certificates import DualityGap
from ..features import Features
from ..losses import Loss
from ..measures import check_measure
from ..oracles import GridOracle, certified_oracle
from ..sphere import sphere_grid
from ._penalties import TV, TVBall
from ._zero import ZERO_CHECK_MAX_TIME, zero_certificate

__all__ = ["MeasureProblem", "TV", "TVBall", "Vertex", "DEFAULT_ORACLE_GRID_SIZE", "ZERO_CHECK_MAX_TIME"]

#: Number of directions of the default grid oracle of :meth:`MeasureProblem.grid_duality_gap`.
DEFAULT_ORACLE_GRID_SIZE = 10_000


@dataclass(frozen=True, eq=False)
class Vertex(Record):
    r"""A Frank-Wolfe vertex :math:`s\,m\,\delta_\theta` (``mass`` 0 for the zero vertex).

    Attributes
    ----------
    theta : ndarray, shape (D,)
    sign : float
    mass : float
        :math:`m`: :math:`M = F(0)/\lambda` (penalized) or :math:`\delta` (constrained), or 0.
    t : float
        The epigraph coordinate of the vertex (``mass`` for the penalized form, 0 else).
    """

    theta: np.ndarray
    sign: float
    mass: float
    t: float


class MeasureProblem(Frozen):
    r"""A convex problem over signed measures on the sphere: features, loss and penalty.

    .. math::

        f(x;\nu) = \int\sigma(\langle\theta, \tilde x\rangle)\,d\nu(\theta),\qquad
        J(\nu) = \frac1n\sum_{i=1}^n\ell(f(x_i;\nu), y_i) + G(\nu).

    Parameters
    ----------
    features : Features
    y : array_like, shape (n,)
        Targets (checked by the loss: labels in :math:`\{-1, +1\}` for the
        logistic loss).
    loss : Loss
    penalty : TV or TVBall

    Notes
    -----
    **Dual.** With :math:`q\in\mathbb{R}^n`,
    :math:`D(q) = -\frac1n\sum_i\ell^*(-q_i; y_i)` and
    :math:`c_q(\theta) = \frac1n\sum_i q_i\sigma(\langle\theta,\tilde x_i\rangle)`:

    * penalized: :math:`J^\star = \max\{D(q): \sup_\theta|c_q| \le \lambda\}`;
    * constrained: :math:`J^\star = \max_q D(q) - \delta\sup_\theta|c_q|`.

    At a measure :math:`\nu` the dual vector is :math:`q = -\ell'(f(\cdot;\nu))`
    (the residual :math:`y - f` for the squared loss), and
    :meth:`dual_certificate` turns it into a dual-feasible point with an
    oracle's upper bound :math:`\bar c` of :math:`\sup|c_q|`: scaled by
    :math:`s = \min(1, \lambda/\bar c)` (penalized; for the logistic loss the
    scale also keeps :math:`q_iy_i` in the conjugate's domain :math:`[0, 1]`),
    or with the value :math:`D(q) - \delta\bar c` (constrained; equal to
    :math:`J(\nu)` minus the certified Frank-Wolfe gap
    :math:`\frac1n\sum_i\ell'_if(x_i) + \delta\bar c`).

    **Certificate.** :math:`\eta(\theta) = c_q(\theta)/\lambda` (penalized;
    optimality iff :math:`|\eta|\le 1` with equality and the weight's sign on
    the support, Akiyama & Suzuki eq. 10) or :math:`c_q(\theta)`
    (constrained).

    A problem is immutable: its arrays are private read-only copies and its
    attributes cannot be set (build a new problem instead).
    """

    def __init__(self, features, y, loss, penalty):
        if not isinstance(features, Features):
            raise TypeError(f"features must be a Features instance; got {type(features).__name__}")
        if not isinstance(loss, Loss):
            raise TypeError(f"loss must be a Loss instance; got {type(loss).__name__}")
        if not isinstance(penalty, (TV, TVBall)):
            raise TypeError(f"penalty must be TV(reg) or TVBall(radius); got {type(penalty).__name__}")
        y = loss.check_targets(y, "y")
        if y.shape[0] != features.n_samples:
            raise ValueError(
                f"y must have one entry per row of X: X has shape {features.X.shape}, y has shape {y.shape}"
            )
        self.features = features
        self.y = y
        self.loss = loss
        self.penalty = penalty
        self._freeze()

    # ------------------------------------------------------------ properties
    @property
    def X(self):
        """ndarray, shape (n, d): the inputs as given."""
        return self.features.X

    @property
    def activation(self):
        """Activation: :math:`\\sigma`."""
        return self.features.activation

    @property
    def n_samples(self):
        """int: number of samples ``n``."""
        return self.features.n_samples

    @property
    def dim(self):
        """int: ``D``, measures live on :math:`\\mathbb{S}^{D-1}` (``d + 1`` for lifted features)."""
        return self.features.dim

    @property
    def penalized(self):
        """bool: the penalized form (:class:`TV`), as opposed to the constrained one."""
        return self.penalty.penalized

    @property
    def reg(self):
        """float: :math:`\\lambda` of the penalized form (``AttributeError`` for the constrained form)."""
        if not self.penalty.penalized:
            raise AttributeError(f"{type(self).__name__} in the constrained form ({self.penalty!r}) has no reg")
        return self.penalty.reg

    @property
    def radius(self):
        """float: :math:`\\delta` of the constrained form (``AttributeError`` for the penalized form)."""
        if self.penalty.penalized:
            raise AttributeError(f"{type(self).__name__} in the penalized form ({self.penalty!r}) has no radius")
        return self.penalty.radius

    @property
    def capabilities(self):
        """dict: what solvers check: ``loss``, ``penalty``, ``activation`` names and ``relu``, ``step``, ``lifted`` flags."""
        f = self.features
        return {"loss": self.loss.name, "penalty": self.penalty.name,
                "activation": getattr(f.activation, "name", "?"), "relu": f.is_relu, "step": f.is_step,
                "lifted": f.lifted}

    # ------------------------------------------------------------ checks
    def check_measure(self, measure, name="measure"):
        """Validate a measure of this problem: a :class:`DiscreteMeasure` on :math:`\\mathbb{S}^{D-1}`."""
        return check_measure(measure, name, d=self.dim)

    # ------------------------------------------------------------ primal
    def predict(self, measure, X=None):
        r"""Prediction :math:`f(x;\nu) = \sum_j r_j\sigma(\langle\theta_j, \tilde x\rangle)`.

        Parameters
        ----------
        measure : DiscreteMeasure
            :math:`\nu`, support on :math:`\mathbb{S}^{D-1}`.
        X : array_like, shape (n_points, d), optional
            Raw inputs (lifted here when the features are); the training
            inputs by default.

        Returns
        -------
        ndarray, shape (n_points,)
        """
        self.check_measure(measure)
        return self.features(measure.support, X) @ measure.weights

    def data_fit(self, prediction):
        r""":math:`\frac1n\sum_i\ell(f_i, y_i)` for a prediction vector on the training inputs."""
        return self.loss.mean(prediction, self.y)

    def objective(self, measure):
        r"""The objective :math:`J(\nu)` (``inf`` outside the ball of the constrained form).

        Parameters
        ----------
        measure : DiscreteMeasure

        Returns
        -------
        float
        """
        return float(self.data_fit(self.predict(measure)) + self.penalty.value(measure.total_variation))

    def dual_vector(self, measure=None, prediction=None):
        r"""Dual vector :math:`q = -\ell'(f(\cdot;\nu))`, shape ``(n,)`` (from ``measure`` or a ``prediction``)."""
        if prediction is None:
            prediction = self.predict(measure)
        return -self.loss.derivative(prediction, self.y)

    def residual(self, measure):
        r"""The dual vector :math:`q = -\ell'(f)`; for the squared loss, the residual :math:`y - f(X;\nu)`."""
        return self.dual_vector(measure)

    def correlation(self, q, thetas):
        r"""Correlation :math:`c_q(\theta) = \frac1n\sum_i q_i\sigma(\langle\theta, \tilde x_i\rangle)`.

        Parameters
        ----------
        q : array_like, shape (n,)
            A dual vector.
        thetas : array_like, shape (k, D)
            Directions on the sphere.

        Returns
        -------
        ndarray, shape (k,)
        """
        q = check_array(q, "q", ndim=1, shape=(self.n_samples,))
        return self.features(thetas).T @ q / self.n_samples

    def certificate(self, measure, thetas):
        r"""Dual certificate :math:`\eta(\theta) = c_q(\theta)/\lambda` (penalized) or :math:`c_q(\theta)` (constrained), :math:`q = -\ell'(f)`.

        Parameters
        ----------
        measure : DiscreteMeasure
            :math:`\nu`.
        thetas : array_like, shape (k, D)
            Directions on the sphere where :math:`\eta` is evaluated.

        Returns
        -------
        ndarray, shape (k,)
            In the penalized form, :math:`\nu` is optimal iff :math:`|\eta|
            \le 1` everywhere and :math:`\eta = \operatorname{sign}(r_j)` at
            each atom (Akiyama & Suzuki, eq. 10).
        """
        return self.correlation(self.residual(measure), thetas) / self.penalty.certificate_scale

    def dual_objective(self, q):
        r"""Dual objective :math:`D(q) = -\frac1n\sum_i\ell^*(-q_i; y_i)` (without the constraint's term).

        For the squared loss :math:`D(q) = \frac1n\langle y, q\rangle -
        \frac1{2n}\lVert q\rVert^2`. In the penalized form it lower-bounds
        :math:`J^\star` when :math:`\sup_\theta|c_q(\theta)| \le \lambda`.
        """
        q = check_array(q, "q", ndim=1, shape=(self.n_samples,))
        return self.loss.dual_mean(q, self.y)

    def dual_bound(self, q, sup_upper):
        r"""The dual value certified by an upper bound ``sup_upper`` of :math:`\sup|c_q|`, and the scale used.

        Penalized: :math:`(D(sq), s)` with :math:`s = \min(1, \lambda/\bar c)`.
        Constrained: :math:`(D(q) - \delta\bar c, 1)`.
        """
        if self.penalty.penalized:
            sup_eta_upper = sup_upper / self.penalty.reg
            scale = 1.0 if sup_eta_upper <= 1.0 else 1.0 / sup_eta_upper
            return self.dual_objective(scale * q), scale
        return self.dual_objective(q) - self.penalty.radius * sup_upper, 1.0

    # ------------------------------------------------------------ oracles and gaps
    def default_oracle(self, measure=None, max_time=None):
        """The oracle :meth:`duality_gap` uses when none is given: a certified one.

        :func:`~measureopt.oracles.certified_oracle`: the exact
        :class:`~measureopt.oracles.ArrangementOracle` for ReLU or step
        features in dimension 2 (and 3 for ``n <= 400``),
        :class:`~measureopt.oracles.BranchAndBound` otherwise. Its upper
        bound holds on the whole sphere, so the gap certifies the continuous
        problem. ``measure`` is accepted for symmetry with :meth:`grid_oracle`
        and not used; ``max_time`` is the oracle's budget in seconds.
        """
        return certified_oracle(self.features, max_time=max_time)

    def grid_oracle(self, measure=None, size=DEFAULT_ORACLE_GRID_SIZE):
        """A :class:`~measureopt.oracles.GridOracle` on ``sphere_grid(D, size, seed=0)`` plus the support of ``measure``.

        The support is added so that the measure is feasible for the gridded
        problem the gap of :meth:`grid_duality_gap` certifies.
        """
        grid = sphere_grid(self.dim, check_int(size, "size", minimum=1), seed=0)
        if measure is not None and self.check_measure(measure).n_atoms:
            grid = np.concatenate([grid, measure.support])
        return GridOracle(grid)

    def dual_certificate(self, measure, oracle=None, max_time=60.0, tol=1e-7, precision=1e-2):
        r"""Primal-dual pair for ``measure`` and the gap it certifies (see :class:`MeasureProblem` notes).

        Parameters
        ----------
        measure : DiscreteMeasure
            :math:`\nu`.
        oracle : object with ``maximize(features, q)``, optional
            A sup-oracle from :mod:`measureopt.oracles`. Defaults to
            :meth:`default_oracle`, a certified one (continuous problem).
        max_time : float or None, default=60.0
            Budget in seconds of the default oracle (``None``: no limit; a
            given ``oracle`` keeps its own budget). When it runs out the gap
            is still a valid bound, not a tight one, and
            ``DualityGap.exhausted`` says so.
        tol : float, default=1e-7
        precision : float, default=1e-2
            What is enough, for oracles that can stop early
            (:class:`~measureopt.oracles.BranchAndBound`): a certified
            relative gap at most ``tol``, or a certified gap within
            ``precision`` (relative) of the gap at the best direction found.
            Either way the gap returned is valid; these only say when the
            oracle may stop tightening it.

        Returns
        -------
        DualityGap
            ``scope`` says which problem the gap certifies.
        """
        self.check_measure(measure)
        tol = check_positive(tol, "tol", strict=False)
        precision = check_positive(precision, "precision", strict=False)
        if max_time is not None:
            check_positive(max_time, "max_time")
        if check_oracle(oracle) is None:
            oracle = self.default_oracle(measure, max_time=max_time)
        pred = self.predict(measure)
        q = self.dual_vector(prediction=pred)
        primal = float(self.data_fit(pred) + self.penalty.value(measure.total_variation))
        if getattr(oracle, "adaptive", False):
            found = oracle.maximize(self.features, q, enough=self._enough(q, primal, tol, precision))
        else:
            found = oracle.maximize(self.features, q)
        scale_eta = self.penalty.certificate_scale
        dual, scale = self.dual_bound(q, found.upper)
        return DualityGap(
            gap=primal - dual,
            primal=primal,
            dual=dual,
            sup_eta=found.value / scale_eta,
            sup_eta_upper=found.upper / scale_eta,
            scale=scale,
            argmax=found.argmax,
            scope=found.scope,
            sign=found.sign,
            exhausted=bool(getattr(found, "exhausted", False)),
        )

    def _enough(self, q, primal, tol, precision):
        r"""``enough(value) -> level`` for :meth:`dual_certificate`: the largest sup bound that is enough.

        The gap :math:`\text{gap}(s) = J - \text{dual\_bound}(q, s)` grows
        with the bound :math:`s` on :math:`\sup|c_q|`; the level is the
        largest :math:`s` with :math:`\text{gap}(s) \le \max(\text{tol}\,|J|,
        (1 + \text{precision})\,\text{gap}(\text{value}))`, by bisection.
        """
        tol = check_positive(tol, "tol", strict=False)
        precision = check_positive(precision, "precision", strict=False)

        def gap(s):
            return primal - self.dual_bound(q, s)[0]

        @functools.lru_cache(maxsize=8)  # called once per branch-and-bound round, the best value rarely changes
        def level(value):
            target = max(tol * abs(primal), (1.0 + precision) * gap(value))
            lo, hi = value, 2.0 * value
            while gap(hi) <= target:
                lo, hi = hi, 2.0 * hi
                if hi > 1e12 * value:
                    return hi
            for _ in range(60):
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if gap(mid) <= target else (lo, mid)
            return lo

        return lambda value: level(max(float(value), np.finfo(float).tiny))

    def duality_gap(self, measure, oracle=None, max_time=60.0, tol=1e-7, precision=1e-2):
        r"""Certified duality gap of the continuous problem, :math:`\ge J(\nu) - J^\star`.

        With the default (certified) oracle the dual point of
        :meth:`dual_certificate` is feasible on the whole sphere, so the gap
        bounds :math:`J(\nu) - J^\star` for **every** measure, near the
        optimum or not. What other oracles certify:

        * a :class:`~measureopt.oracles.GridOracle` on directions :math:`S`
          certifies the gridded problem (see :meth:`grid_duality_gap`);
        * a :class:`~measureopt.oracles.LocalOracle` gives an estimate only
          (``scope == "local"``).

        Parameters
        ----------
        measure : DiscreteMeasure
        oracle : object with ``maximize(features, q)``, optional
        max_time : float or None, default=60.0
            Budget in seconds of the default oracle: when it runs out the
            gap is still a valid upper bound on :math:`J(\nu) - J^\star`,
            only looser (:meth:`dual_certificate` says whether it did).
        tol, precision : float
            When the oracle may stop tightening (:meth:`dual_certificate`).

        Returns
        -------
        float
            Nonnegative up to rounding when the oracle's scope contains the
            support of ``measure``.
        """
        return self.dual_certificate(measure, oracle, max_time=max_time, tol=tol, precision=precision).gap

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
        r""":math:`\lambda_{\max} = \sup_\theta|c_{q_0}(\theta)|`, :math:`q_0 = -\ell'(0)`, over the oracle's scope.

        For ``reg >= reg_max`` the zero measure is optimal in the penalized
        form (its certificate is bounded by 1).
        """
        oracle = self.default_oracle() if check_oracle(oracle) is None else oracle
        q0 = self.dual_vector(prediction=np.zeros(self.n_samples))
        return oracle.maximize(self.features, q0).upper

    def weight_scale(self):
        r"""The absolute scale of an atom's weight: :math:`w_0 = \operatorname{rms}(y) / B`.

        :math:`B = \max_i\sup_\theta|\sigma(\langle\theta, \tilde x_i\rangle)|
        = \max_i\max(|\sigma(\lVert\tilde x_i\rVert)|, |\sigma(-\lVert\tilde x_i\rVert)|)`
        (every activation is nondecreasing) bounds what an atom of unit
        weight adds to any prediction, so removing an atom of weight
        :math:`|r| \le \epsilon w_0` changes no prediction by more than
        :math:`\epsilon\operatorname{rms}(y)`.

        This is the one absolute scale against which tiny weights are
        judged, wherever atoms are dropped or counted: a weight is negligible
        at relative level :math:`\epsilon` when :math:`|r_j| \le \epsilon
        \max(\max_k|r_k|, w_0)`, so a measure whose weights are *all* tiny
        (an interior-point point of a problem whose optimum is zero) is not
        judged against its own largest weight only. Used by
        :class:`~solvers.GridConvex` (``prune_tol``),
        :func:`~measureopt.effective_neurons` (``scale=``),
        :func:`~measureopt.crosscheck` and the particle solvers' history.

        Returns
        -------
        float
            0 when :math:`y = 0` or every feature vanishes (then only the
            relative test applies).
        """
        act = self.features.activation
        xnorm = np.linalg.norm(self.features.inputs, axis=1)
        bound = float(np.max(np.maximum(np.abs(act(xnorm)), np.abs(act(-xnorm))), initial=0.0))
        rms = float(np.sqrt(np.mean(np.square(self.y))))
        return rms / bound if bound > 0 and np.isfinite(bound) else 0.0

    def zero_certificate(self, max_time=ZERO_CHECK_MAX_TIME):
        r"""The certificate of the zero measure when it is provably optimal (``reg >= reg_max``), else ``None``.

        In the penalized form the zero measure is optimal iff
        :math:`\sup_\theta|c_{q_0}(\theta)| \le \lambda` with :math:`q_0 =
        -\ell'(0)` (:meth:`reg_max`); its dual point is then :math:`q_0`
        itself (scale 1), and :math:`D(q_0) = J(0)` by Fenchel's equality, so
        the gap is 0 up to rounding. This method says so only when it is
        *certified*: the upper bound on the sup given by :meth:`default_oracle`
        (exact for ReLU in low dimension, branch-and-bound otherwise) is at
        most :math:`\lambda`. It is cheap both ways: the correlation at a
        few directions (the inputs with the largest
        :math:`|q_{0,i}|\lVert\tilde x_i\rVert`, and :math:`\pm\tilde X^\top q_0`
        and its positive and negative parts, the best of them refined by a
        short local ascent) is a lower bound on the sup (above
        :math:`\lambda`: no), a closed-form bound on the whole sphere is an
        upper bound (at most :math:`\lambda`: yes), and a certified oracle is
        asked only in between: branch-and-bound, which stops as soon as the
        question is settled either way, then, if it is still open, the
        default oracle (exact for ReLU in low dimension) with the rest of the
        budget.

        Parameters
        ----------
        max_time : float or None, default=ZERO_CHECK_MAX_TIME
            Budget in seconds of the oracle. When it runs out before the
            bound reaches :math:`\lambda`, the answer is ``None`` (not proven).

        Returns
        -------
        DualityGap or None
            ``None`` for the constrained form, or when the zero measure is not
            proven optimal. Otherwise the zero measure's certificate:
            ``sup_eta_upper <= 1``, ``scope == "sphere"`` (the continuous
            problem, hence also any gridded one).
        """
        return zero_certificate(self, max_time)

    def lmo(self, q, oracle=None):
        r"""Frank-Wolfe vertex for the dual vector ``q`` (Berthier eq. 5).

        :math:`\theta^\star = \arg\max|c_q|` and :math:`s` the sign of
        :math:`c_q(\theta^\star)`. Penalized form: the vertex
        :math:`(sM\delta_{\theta^\star}, M)` of the epigraph, with
        :math:`M = F(0)/\lambda`, when :math:`|c_q(\theta^\star)| > \lambda`,
        else :math:`(0, 0)`. Constrained form: :math:`s\delta\,\delta_{\theta^\star}`.

        Parameters
        ----------
        q : ndarray, shape (n,)
        oracle : sup-oracle, optional
            :meth:`default_oracle` when omitted.

        Returns
        -------
        Vertex
        """
        oracle = self.default_oracle() if check_oracle(oracle) is None else oracle
        found = oracle.maximize(self.features, q)
        return self.vertex(found)

    def vertex_mass(self):
        r""":math:`M = F(0)/\lambda` (penalized: a bound on :math:`\lVert\nu^\star\rVert_{TV}`) or :math:`\delta`."""
        if self.penalty.penalized:
            return self.data_fit(np.zeros(self.n_samples)) / self.penalty.reg
        return self.penalty.radius

    def vertex(self, found):
        """The ``Vertex`` for an oracle's :class:`~measureopt.oracles.SupResult` (see :meth:`lmo`)."""
        mass = self.vertex_mass()
        if self.penalty.penalized:
            if found.value > self.penalty.reg:
                return Vertex(found.argmax, found.sign, mass, mass)
            return Vertex(found.argmax, found.sign, 0.0, 0.0)
        return Vertex(found.argmax, found.sign, mass if found.value > 0 else 0.0, 0.0)

    def __repr__(self):
        form = repr(self.penalty)
        return (f"{type(self).__name__}(n={self.n_samples}, D={self.dim}, loss={self.loss.name!r}, "
                f"{form}, activation={self.activation!r}, lift={self.features.lifted})")

