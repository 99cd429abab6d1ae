r"""Signed discrete measures :math:`\nu = \sum_j r_j \delta_{\theta_j}`."""

import numpy as np

from ._validation import check_array, check_positive
from .sphere import SPHERE_TOL, check_on_sphere, nearest_geodesic_distance

__all__ = ["DiscreteMeasure", "check_measure", "effective_neurons"]


def check_measure(measure, name="measure", d=None):
    """Validate a measure on the sphere :math:`\\mathbb{S}^{d-1}`.

    Parameters
    ----------
    measure : DiscreteMeasure
        The measure to check.
    name : str, default="measure"
        Argument name for error messages.
    d : int, optional
        Required ambient dimension.

    Returns
    -------
    DiscreteMeasure

    Raises
    ------
    TypeError
        Not a :class:`DiscreteMeasure`.
    ValueError
        Wrong dimension, or support rows off the unit sphere (beyond
        :data:`~measureopt.sphere.SPHERE_TOL`).
    """
    if not isinstance(measure, DiscreteMeasure):
        raise TypeError(f"{name} must be a DiscreteMeasure; got {type(measure).__name__}")
    if d is not None and measure.dim != d:
        raise ValueError(
            f"{name} must live on S^{d - 1} (support of shape (n_atoms, {d})); "
            f"got support of shape {measure.support.shape}"
        )
    check_on_sphere(measure.support, f"{name}.support")
    return measure


class DiscreteMeasure:
    r"""An immutable signed discrete measure :math:`\nu = \sum_{j=1}^k r_j \delta_{\theta_j}`.

    Parameters
    ----------
    weights : array_like, shape (k,)
        Signed weights :math:`r_j`.
    support : array_like, shape (k, d)
        Atom locations :math:`\theta_j`, one per row. Problems on the sphere
        (such as :class:`~measureopt.BLASSO`) require unit rows, up to
        :data:`~measureopt.sphere.SPHERE_TOL`, when they evaluate the
        measure; the measure itself accepts any points of
        :math:`\mathbb{R}^d`.

    Notes
    -----
    Both arrays are copied and made read-only, so a measure never changes
    after construction; every method returns a new measure. The Hahn-Jordan
    decomposition is :math:`\nu = \nu_+ - \nu_-` and the total variation is
    :math:`\lVert\nu\rVert_{TV} = \nu_+(\mathbb{S}^{d-1}) + \nu_-(\mathbb{S}^{d-1})
    = \sum_j |r_j|` for distinct atoms.

    Examples
    --------
    >>> import numpy as np
    >>> from measureopt import DiscreteMeasure
    >>> mu = DiscreteMeasure([1.0, -0.5], [[1.0, 0.0], [0.0, 1.0]])
    >>> mu.total_variation
    1.5
    >>> mu.negative_part().weights
    array([0.5])
    """

    __slots__ = ("_weights", "_support")

    def __init__(self, weights, support):
        weights = check_array(weights, "weights", ndim=1, shape=("n_atoms",), copy=True)
        support = check_array(support, "support", ndim=2, shape=("n_atoms", "d"), copy=True)
        if support.shape[0] != weights.shape[0]:
            raise ValueError(
                f"weights and support must have the same number of atoms; got "
                f"weights of shape {weights.shape} and support of shape {support.shape}"
            )
        if support.shape[1] < 1:
            raise ValueError(f"support must have at least one column; got shape {support.shape}")
        weights.flags.writeable = False
        support.flags.writeable = False
        object.__setattr__(self, "_weights", weights)
        object.__setattr__(self, "_support", support)

    def __setattr__(self, name, value):
        raise AttributeError("DiscreteMeasure is immutable; methods return new measures")

    def __reduce__(self):
        # rebuild through __init__ (the default protocol sets the slots, which immutability forbids)
        return (type(self), (np.array(self._weights), np.array(self._support)))

    @classmethod
    def zero(cls, d):
        """The zero measure (no atoms) in dimension ``d``."""
        return cls(np.zeros(0), np.zeros((0, d)))

    @property
    def weights(self):
        """ndarray, shape (k,): the signed weights (read-only)."""
        return self._weights

    @property
    def support(self):
        """ndarray, shape (k, d): the atom locations (read-only)."""
        return self._support

    @property
    def n_atoms(self):
        """int: number of atoms ``k`` (zero weights included)."""
        return self._weights.shape[0]

    @property
    def dim(self):
        """int: ambient dimension ``d``."""
        return self._support.shape[1]

    @property
    def total_variation(self):
        r"""float: :math:`\sum_j |r_j|`, the total variation of distinct atoms."""
        return float(np.sum(np.abs(self._weights)))

    @property
    def mass(self):
        r"""float: the signed total mass :math:`\nu(\mathbb{S}^{d-1}) = \sum_j r_j`."""
        return float(np.sum(self._weights))

    def positive_part(self):
        r"""The measure :math:`\nu_+` (atoms with :math:`r_j > 0`)."""
        keep = self._weights > 0
        return DiscreteMeasure(self._weights[keep], self._support[keep])

    def negative_part(self):
        r"""The measure :math:`\nu_-` (atoms with :math:`r_j < 0`, weights :math:`-r_j > 0`)."""
        keep = self._weights < 0
        return DiscreteMeasure(-self._weights[keep], self._support[keep])

    def prune(self, tol=0.0, relative=False):
        r"""Drop atoms with small weights.

        Parameters
        ----------
        tol : float, default=0.0
            Atoms with :math:`|r_j| \le` ``tol`` are removed (``tol=0`` removes
            exact zeros only).
        relative : bool, default=False
            Compare with ``tol * max_j |r_j|`` instead of ``tol``.

        Returns
        -------
        DiscreteMeasure
        """
        tol = check_positive(tol, "tol", strict=False)
        if relative and self.n_atoms:
            tol = tol * float(np.max(np.abs(self._weights)))
        keep = np.abs(self._weights) > tol
        return DiscreteMeasure(self._weights[keep], self._support[keep])

    def merge(self, tol):
        r"""Merge atoms closer than ``tol`` (single-linkage clusters).

        Atoms whose chain of pairwise Euclidean distances stays below ``tol``
        form one cluster. A cluster becomes one atom with the summed weight,
        located at the :math:`|r_j|`-weighted mean of its atoms; when all
        atoms lie on the unit sphere that mean is projected back onto it.
        Atoms of opposite signs merge too (their weights partly cancel,
        which lowers the total variation).

        Parameters
        ----------
        tol : float
            Merging distance, ``> 0``. On the sphere, chord and geodesic
            distance agree to :math:`O(\text{tol}^3)`.

        Returns
        -------
        DiscreteMeasure
        """
        tol = check_positive(tol, "tol")
        if self.n_atoms <= 1:
            return self
        from scipy.cluster.hierarchy import fcluster, linkage

        labels = fcluster(linkage(self._support, method="single"), t=tol, criterion="distance") - 1
        n_clusters = int(labels.max()) + 1
        weights = np.bincount(labels, weights=self._weights, minlength=n_clusters)
        abs_w = np.abs(self._weights)
        denom = np.bincount(labels, weights=abs_w, minlength=n_clusters)
        support = np.zeros((n_clusters, self.dim))
        np.add.at(support, labels, abs_w[:, None] * self._support)
        # Clusters with zero total |weight| keep the plain mean of their atoms.
        counts = np.bincount(labels, minlength=n_clusters)
        zero = denom == 0
        if np.any(zero):
            plain = np.zeros_like(support)
            np.add.at(plain, labels, self._support)
            support[zero] = plain[zero] / counts[zero, None]
        support[~zero] /= denom[~zero, None]
        if self.is_on_sphere():
            support /= np.linalg.norm(support, axis=1, keepdims=True)
        return DiscreteMeasure(weights, support)

    def is_on_sphere(self, tol=SPHERE_TOL):
        """bool: whether every atom lies on the unit sphere within ``tol``."""
        return bool(np.all(np.abs(np.linalg.norm(self._support, axis=1) - 1.0) <= tol))

    def nearest_distance(self, other):
        """Geodesic distance from each atom to the nearest atom of ``other``.

        Parameters
        ----------
        other : DiscreteMeasure
            A measure on the same sphere.

        Returns
        -------
        ndarray, shape (k,)
            ``inf`` for every atom when ``other`` has no atoms.
        """
        check_measure(other, "other", d=self.dim)
        return nearest_geodesic_distance(self._support, other.support)

    def __neg__(self):
        return DiscreteMeasure(-self._weights, self._support)

    def __mul__(self, scalar):
        scalar = check_array(scalar, "scalar", ndim=0)
        return DiscreteMeasure(float(scalar) * self._weights, self._support)

    __rmul__ = __mul__

    def __add__(self, other):
        if not isinstance(other, DiscreteMeasure):
            return NotImplemented
        if other.dim != self.dim:
            raise ValueError(
                f"cannot add measures of dimensions {self.dim} and {other.dim}"
            )
        return DiscreteMeasure(
            np.concatenate([self._weights, other.weights]),
            np.concatenate([self._support, other.support]),
        )

    def __sub__(self, other):
        if not isinstance(other, DiscreteMeasure):
            return NotImplemented
        return self + (-other)

    def __len__(self):
        return self.n_atoms

    def __repr__(self):
        return (
            f"DiscreteMeasure(n_atoms={self.n_atoms}, dim={self.dim}, "
            f"total_variation={self.total_variation:.6g})"
        )

    def to_dict(self):
        """Plain-Python form (lists), for JSON."""
        return {"weights": self._weights.tolist(), "support": self._support.tolist()}

    @classmethod
    def from_dict(cls, data):
        """Inverse of :meth:`to_dict`."""
        return cls(data["weights"], data["support"])


def effective_neurons(measure, rtol=1e-3):
    r"""Number of atoms with :math:`|r_j| > \text{rtol}\cdot\max_k |r_k|`.

    The others are the "wasted neurons" of Fang, Dong & Zhang (Sec. V,
    Fig. 6d): they barely change the network's output.

    Parameters
    ----------
    measure : DiscreteMeasure
    rtol : float, default=1e-3

    Returns
    -------
    int
    """
    if measure.n_atoms == 0:
        return 0
    w = np.abs(measure.weights)
    return int(np.sum(w > rtol * w.max()))
