r"""Signed discrete measures :math:`\nu = \sum_j r_j \delta_{\theta_j}`."""

from collections.abc import Mapping

import numpy as np

from ._frozen import Frozen, register_kind
from ._validation import check_array, check_int, check_positive, check_real
from .sphere import SPHERE_TOL, check_on_sphere, nearest_geodesic_distance

__all__ = ["DiscreteMeasure", "check_measure", "effective_neurons", "MERGE_MIN_RESULTANT"]

#: :meth:`DiscreteMeasure.merge` leaves a cluster of atoms on the sphere unmerged when the
#: resultant length :math:`\lVert\sum_j |r_j|\theta_j\rVert` of its directions is below this
#: fraction of :math:`\sum_j |r_j|`: its mean direction would be ill-defined.
MERGE_MIN_RESULTANT = 0.5


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


@register_kind
class DiscreteMeasure(Frozen):
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
    _immutable_hint = "methods return new measures"

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
        weights.flags.writeable = False  # fresh copies: read-only, they are kept as they are
        support.flags.writeable = False
        self._set("_weights", weights)
        self._set("_support", support)

    def __reduce__(self):
        # rebuild through __init__ (the default protocol sets the slots, which immutability forbids)
        return (type(self), (np.array(self._weights), np.array(self._support)))

    def _file_state(self):
        return {"weights": self._weights, "support": self._support}

    def save(self, path, problem=None):
        """Save the measure to ``path`` (a measureopt ``.npz`` file: arrays and JSON, no pickle).

        Parameters
        ----------
        path : str or os.PathLike
        problem : MeasureProblem, optional
            The problem the measure solves; its fingerprint (data hash, reg,
            loss, activation) goes into the file, and :meth:`load` can check it.

        Returns
        -------
        pathlib.Path

        See Also
        --------
        measureopt.io : the file format.
        """
        from . import io

        return io.save(self, path, problem)

    @classmethod
    def load(cls, path, problem=None):
        """Load a measure saved by :meth:`save`; weights and support come back bit-identical.

        Parameters
        ----------
        path : str or os.PathLike
        problem : MeasureProblem, optional
            When given, the file's problem fingerprint must match it.

        Raises
        ------
        FileNotFoundError
            No file at ``path``.
        measureopt.exceptions.FileFormatError
            Not a measureopt file, truncated, of a later version, of another
            kind, or of another problem; the message names the file.
        """
        from . import io

        return io.load(path, cls, problem)

    @classmethod
    def zero(cls, d):
        """The zero measure (no atoms) in dimension ``d``."""
        return cls(np.zeros(0), np.zeros((0, check_int(d, "d", minimum=1))))

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
        r"""Merge clusters of atoms of diameter at most ``tol``.

        Atoms are grouped by complete-linkage agglomerative clustering cut
        at ``tol``, so every cluster has a diameter (largest distance
        between two of its atoms) of at most ``tol``: atoms never chain into
        a long cluster, as single linkage would on a ring. Distances are
        geodesic (radians) when every atom lies on the unit sphere,
        Euclidean otherwise. A cluster becomes one atom with the summed
        weight :math:`\sum_j r_j`, located at the :math:`|r_j|`-weighted mean
        of its atoms (the plain mean if all its weights are zero), projected
        back onto the sphere for atoms on it. Atoms of opposite signs merge
        too (their weights partly cancel, which lowers the total variation).

        A cluster is *not* merged, its atoms are returned unchanged, when its
        mean direction is ill-defined: on the sphere, when the resultant
        length of its directions is below
        :data:`~measureopt.measures.MERGE_MIN_RESULTANT` times
        their total weight,

        .. math::

            \Bigl\lVert\sum_{j\in C}|r_j|\theta_j\Bigr\rVert
            < \tfrac12\sum_{j\in C}|r_j|

        (an antipodal pair, for example, whose mean is rounding noise), or
        when the merged atom would lie farther than ``tol`` from one of the
        cluster's atoms. Neither happens for ``tol <= arccos(1/4)`` (1.318
        rad): a cluster of geodesic diameter :math:`\delta < \pi/2` has
        resultant at least :math:`\sqrt{\cos\delta}` times its weight.

        **Guarantee.** Every atom moves by at most ``tol``, so for an
        activation :math:`\sigma` that is :math:`L`-Lipschitz (on the range
        of the pre-activations), at every input :math:`\tilde x` of the
        features

        .. math::

            \bigl|f(\tilde x; \nu_{\text{merged}}) - f(\tilde x; \nu)\bigr|
            \le L\,\lVert\tilde x\rVert\,\text{tol}\,M_{\text{merged}}
            \le L\,\lVert\tilde x\rVert\,\text{tol}\,\lVert\nu\rVert_{TV},

        where :math:`M_{\text{merged}} = \sum |r_j|` over the atoms merged
        with at least one other (chord distances are at most geodesic ones).

        Parameters
        ----------
        tol : float
            Largest cluster diameter, ``>= 0`` (``0`` merges coincident
            atoms only). On the sphere, chord and geodesic distance agree to
            :math:`O(\text{tol}^3)`.

        Returns
        -------
        DiscreteMeasure
            Unmerged atoms keep their order; a merged atom takes the place
            of the first atom of its cluster.

        Examples
        --------
        >>> import numpy as np
        >>> from measureopt import DiscreteMeasure
        >>> t = 1e-4
        >>> mu = DiscreteMeasure([1.0, 3.0, 2.0], [[1, 0], [np.cos(t), np.sin(t)], [0, 1]])
        >>> mu.merge(1e-3).weights
        array([4., 2.])
        >>> DiscreteMeasure([1.0, 1.0], [[1, 0], [-1, 0]]).merge(4.0).n_atoms  # antipodal: kept
        2
        """
        tol = check_positive(tol, "tol", strict=False)
        if self.n_atoms <= 1:
            return self
        from scipy.cluster.hierarchy import fcluster, linkage
        from scipy.spatial.distance import pdist

        on_sphere = self.is_on_sphere()
        dist = pdist(self._support)
        if on_sphere:
            dist = 2.0 * np.arcsin(np.minimum(1.0, dist / 2.0))
        labels = fcluster(linkage(dist, method="complete"), t=tol, criterion="distance") - 1
        n_clusters = int(labels.max()) + 1
        counts = np.bincount(labels, minlength=n_clusters)
        abs_w = np.abs(self._weights)
        denom = np.bincount(labels, weights=abs_w, minlength=n_clusters)
        # weights of the mean: |r_j|, or uniform in a cluster whose weights are all zero
        mean_w = np.where(denom[labels] > 0, abs_w, 1.0)
        total = np.bincount(labels, weights=mean_w, minlength=n_clusters)
        centre = np.zeros((n_clusters, self.dim))
        np.add.at(centre, labels, mean_w[:, None] * self._support)
        resultant = np.linalg.norm(centre, axis=1)
        centre /= total[:, None]
        ok = counts > 1
        if on_sphere:
            ok &= resultant >= MERGE_MIN_RESULTANT * total
            centre[ok] /= np.linalg.norm(centre[ok], axis=1, keepdims=True)
            moved = np.linalg.norm(self._support - centre[labels], axis=1)
            moved = 2.0 * np.arcsin(np.minimum(1.0, moved / 2.0))
        else:
            moved = np.linalg.norm(self._support - centre[labels], axis=1)
        farthest = np.zeros(n_clusters)
        np.maximum.at(farthest, labels, moved)
        ok &= farthest <= tol
        # output: unmerged atoms as they are, one atom per merged cluster at its first atom's place
        first = np.full(n_clusters, self.n_atoms)
        np.minimum.at(first, labels, np.arange(self.n_atoms))
        keep = ~ok[labels] | (np.arange(self.n_atoms) == first[labels])
        weights = np.where(ok[labels], np.bincount(labels, weights=self._weights, minlength=n_clusters)[labels],
                           self._weights)[keep]
        support = np.where(ok[labels][:, None], centre[labels], self._support)[keep]
        return DiscreteMeasure(weights, support)

    def is_on_sphere(self, tol=SPHERE_TOL):
        """bool: whether every atom lies on the unit sphere within ``tol``."""
        tol = check_positive(tol, "tol", strict=False)
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
        """Inverse of :meth:`to_dict`: a mapping with the keys ``"weights"`` and ``"support"``."""
        if not isinstance(data, Mapping):
            raise TypeError(f"data must be a mapping with keys 'weights' and 'support'; got {type(data).__name__}")
        missing = [key for key in ("weights", "support") if key not in data]
        if missing:
            raise ValueError(f"data is missing the key(s) {missing} (to_dict gives 'weights' and 'support'); "
                             f"got keys {sorted(map(str, data))}")
        return cls(data["weights"], data["support"])


def effective_neurons(measure, rtol=1e-3, scale=None):
    r"""Number of atoms with :math:`|r_j| > \text{rtol}\cdot\max(\max_k |r_k|, \text{scale})`.

    The others are the "wasted neurons" of Fang, Dong & Zhang (Sec. V,
    Fig. 6d): they barely change the network's output.

    Parameters
    ----------
    measure : DiscreteMeasure
    rtol : float, default=1e-3
    scale : float, optional
        An absolute scale of the weights, normally the problem's
        :meth:`~measureopt.MeasureProblem.weight_scale`. Without it the
        test is relative to the largest weight only, so a measure whose
        weights are all tiny (say 200 atoms of weight 1e-14 where the optimum
        is zero) counts every atom.

    Returns
    -------
    int
    """
    if not isinstance(measure, DiscreteMeasure):
        raise TypeError(f"measure must be a DiscreteMeasure; got {type(measure).__name__}")
    rtol = check_real(rtol, "rtol", 0.0, 1.0, high_open=True)
    if measure.n_atoms == 0:
        return 0
    w = np.abs(measure.weights)
    reference = w.max() if scale is None else max(w.max(), check_positive(scale, "scale", strict=False))
    return int(np.sum(w > rtol * reference))
