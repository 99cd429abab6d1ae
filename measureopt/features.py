r"""Features of a measure problem: :math:`\varphi(\theta, x) = \sigma(\langle\theta, \tilde x\rangle)`.

A :class:`Features` object holds the data :math:`X`, an activation
:math:`\sigma` and the domain of the directions, the sphere
:math:`\mathbb{S}^{D-1}` of the inputs as the inner products see them:
:math:`\tilde x = x` (:math:`D = d`, BLASSO) or the lifted
:math:`\tilde x = (x, 1)` (:math:`D = d + 1`, networks with biases,
Berthier 2018, Sec. 2). It owns the feature math once: values, the
correlation with a dual vector and its gradient in :math:`\theta`. Problems,
oracles and solvers all call it.
"""

import numpy as np

from ._frozen import Frozen
from ._validation import check_array
from .activations import get_activation, is_relu
from .sphere import check_on_sphere

__all__ = ["Features"]

#: Directions evaluated at once by :meth:`Features.correlation` (memory ``chunk * n`` floats).
CHUNK = 8192


class Features(Frozen):
    r"""The feature map :math:`\varphi(\theta, x) = \sigma(\langle\theta, \tilde x\rangle)`, :math:`\theta\in\mathbb{S}^{D-1}`.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Inputs.
    activation : str or Activation, default="relu"
        :math:`\sigma`; see :func:`~measureopt.get_activation`.
    lift : bool, default=False
        Use the lifted inputs :math:`\tilde x = (x, 1)` (a bias per unit),
        so that directions live on :math:`\mathbb{S}^d`. Without it ``X``
        needs at least 2 columns (:math:`\mathbb{S}^0 = \{-1, +1\}` is not
        a sphere the oracles search). Zero rows are allowed: every direction
        gives them the same feature :math:`\sigma(0)`.

    Attributes
    ----------
    X : ndarray, shape (n, d)
        The inputs as given.
    inputs : ndarray, shape (n, D)
        :math:`\tilde x_i`, what the inner products use.
    activation : Activation
    lifted : bool

    Notes
    -----
    Calling the object gives the feature matrix
    :math:`\Phi_{ij} = \sigma(\langle\theta_j, \tilde x_i\rangle)`, so a
    problem's ``features(thetas)`` reads as before. The correlation with a
    dual vector :math:`q\in\mathbb{R}^n` is

    .. math:: c_q(\theta) = \frac1n\sum_{i=1}^n q_i\,\sigma(\langle\theta, \tilde x_i\rangle),
              \qquad \nabla_\theta c_q = \frac1n\sum_i q_i\,\sigma'(\langle\theta,
              \tilde x_i\rangle)\,\tilde x_i.

    Examples
    --------
    >>> import numpy as np
    >>> from measureopt.features import Features
    >>> F = Features(np.array([[0.5], [-1.0]]), lift=True)
    >>> F.inputs
    array([[ 0.5,  1. ],
           [-1. ,  1. ]])
    >>> F(np.array([[0.0, 1.0]]))
    array([[1.],
           [1.]])
    """

    def __init__(self, X, activation="relu", lift=False):
        X = check_array(X, "X", ndim=2, shape=("n", "d"))
        if X.shape[0] == 0:
            raise ValueError("X must have at least one row; got shape (0, d)")
        if not lift and X.shape[1] < 2:
            raise ValueError(
                f"X must have at least 2 columns without lifting; got shape {X.shape}. Directions live on "
                f"S^(d-1), and S^0 is the two points +-1: lift the inputs to (x, 1) (VariationNormERM, "
                f"Features(..., lift=True) or measureopt.lift(X))")
        self.X = X
        self.activation = get_activation(activation)
        self.lifted = bool(lift)
        self.inputs = self.lift_inputs(X, validate=False)
        self._freeze()

    # ------------------------------------------------------------ properties
    @property
    def n_samples(self):
        """int: number of samples ``n``."""
        return self.X.shape[0]

    @property
    def dim(self):
        """int: ``D``, the directions lie on :math:`\\mathbb{S}^{D-1}` (``d + 1`` when lifted)."""
        return self.inputs.shape[1]

    @property
    def input_dim(self):
        """int: ``d``, the dimension of the raw inputs."""
        return self.X.shape[1]

    @property
    def is_relu(self):
        """bool: the activation is ReLU (exact arrangement methods apply)."""
        return is_relu(self.activation)

    @property
    def is_step(self):
        """bool: the activation is the step :math:`(u)_+^0` (piecewise constant on the arrangement)."""
        return getattr(self.activation, "name", "") == "relu_power" and self.activation.degree == 0

    def __repr__(self):
        return (f"Features(n={self.n_samples}, d={self.input_dim}, activation={self.activation!r}, "
                f"lift={self.lifted})")

    # --------------------------------------------------------------- inputs
    def lift_inputs(self, X, validate=True):
        """:math:`\\tilde x` for new inputs ``X`` (n_points, d): ``(x, 1)`` when lifted, else ``x``."""
        if validate:
            X = check_array(X, "X", ndim=2, shape=("n_points", self.input_dim))
        if not self.lifted:
            return X
        return np.hstack([X, np.ones((X.shape[0], 1))])

    # --------------------------------------------------------------- values
    def __call__(self, thetas, X=None):
        r"""Feature matrix :math:`\Phi_{ij} = \sigma(\langle\theta_j, \tilde x_i\rangle)`.

        Parameters
        ----------
        thetas : array_like, shape (k, D)
            Directions on the unit sphere.
        X : array_like, shape (n_points, d), optional
            Raw inputs (lifted here when the features are); the training
            inputs by default.

        Returns
        -------
        ndarray, shape (n_points, k)
        """
        thetas = check_on_sphere(thetas, "thetas", d=self.dim)
        inputs = self.inputs if X is None else self.lift_inputs(X)
        return self.activation(inputs @ thetas.T)

    def correlation(self, q, thetas, chunk=CHUNK):
        r""":math:`c_q(\theta_j) = \frac1n\sum_i q_i\sigma(\langle\theta_j, \tilde x_i\rangle)`, shape ``(k,)``.

        ``thetas`` (k, D) are not validated (hot path of the oracles);
        evaluated in chunks of ``chunk`` directions to bound memory.
        """
        thetas = np.asarray(thetas, dtype=float)
        out = np.empty(thetas.shape[0])
        n = self.n_samples
        for start in range(0, thetas.shape[0], chunk):
            block = thetas[start:start + chunk]
            out[start:start + chunk] = self.activation(block @ self.inputs.T) @ q / n
        return out

    def correlation_gradient(self, q, thetas):
        r"""Euclidean gradient :math:`\nabla_\theta c_q = \frac1n\sum_i q_i\sigma'(\langle\theta, \tilde x_i\rangle)\tilde x_i`, shape ``(k, D)``."""
        thetas = np.asarray(thetas, dtype=float)
        return (self.activation.derivative(thetas @ self.inputs.T) * q) @ self.inputs / self.n_samples

    def lipschitz_scale(self, q):
        r""":math:`\frac1n\sum_i|q_i|\,\lVert\tilde x_i\rVert`: the Lipschitz constant of :math:`c_q` for ReLU."""
        return float(np.abs(q) @ np.linalg.norm(self.inputs, axis=1)) / self.n_samples


def as_features(target):
    """The :class:`Features` of ``target``: a :class:`Features` or a problem holding one in ``features``."""
    if isinstance(target, Features):
        return target
    features = getattr(target, "features", None)
    if isinstance(features, Features):
        return features
    raise TypeError(
        "an oracle needs Features or a measure problem (with a .features of type Features); "
        f"got {type(target).__name__}"
    )
