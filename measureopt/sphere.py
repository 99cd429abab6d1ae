r"""Utilities on the unit sphere :math:`\mathbb{S}^{d-1} \subset \mathbb{R}^d`.

Directions are stored as rows of an array of shape ``(k, d)``. The geodesic
distance is :math:`\operatorname{dist}(\theta, \theta') = \arccos \langle
\theta, \theta' \rangle`, evaluated in the numerically stable form
:math:`2 \arcsin(\lVert \theta - \theta' \rVert / 2)`.
"""

import warnings

import numpy as np

from ._validation import check_array, check_int, check_positive, check_random_state

__all__ = [
    "SPHERE_TOL",
    "sample_sphere",
    "sphere_grid",
    "geodesic_distance",
    "nearest_geodesic_distance",
    "tangent_project",
    "retract",
    "check_on_sphere",
]

#: Largest accepted deviation :math:`|\,\lVert\theta\rVert - 1|` for a row that
#: must lie on the unit sphere.
SPHERE_TOL = 1e-6


def check_on_sphere(thetas, name, d=None, tol=SPHERE_TOL):
    """Validate an array of directions on the sphere.

    Parameters
    ----------
    thetas : array_like, shape (k, d)
        Directions, one per row.
    name : str
        Argument name for error messages.
    d : int, optional
        Required ambient dimension.
    tol : float, default=SPHERE_TOL
        Largest accepted :math:`|\\lVert\\theta\\rVert - 1|`.

    Returns
    -------
    ndarray, shape (k, d)
    """
    thetas = check_array(thetas, name, ndim=2, shape=("k", d if d is not None else "d"))
    tol = check_positive(tol, "tol", strict=False)
    norms = np.linalg.norm(thetas, axis=1)
    off = np.abs(norms - 1.0) > tol
    if np.any(off):
        i = int(np.argmax(off))
        raise ValueError(
            f"{name} must have rows on the unit sphere (| ||row|| - 1 | <= {tol:g}); "
            f"row {i} has norm {norms[i]:.6g} ({int(off.sum())} row(s) off the sphere)"
        )
    return thetas


def _normalize_rows(a):
    norms = np.linalg.norm(a, axis=1, keepdims=True)
    return a / norms


def sample_sphere(d, n_points, seed=None):
    """Draw points uniformly at random on :math:`\\mathbb{S}^{d-1}`.

    The arguments come in the order of :func:`sphere_grid`.

    Parameters
    ----------
    d : int
        Ambient dimension (``d >= 1``).
    n_points : int
        Number of points.
    seed : None, int or numpy.random.Generator
        Random state.

    Returns
    -------
    ndarray, shape (n_points, d)
        Normalized Gaussian vectors.

    Examples
    --------
    >>> from measureopt import sample_sphere
    >>> sample_sphere(3, 4, seed=0).shape
    (4, 3)
    """
    n_points = check_int(n_points, "n_points", minimum=0)
    d = check_int(d, "d", minimum=1)
    rng = check_random_state(seed, "seed")
    g = rng.standard_normal((n_points, d))
    # A Gaussian vector is zero with probability 0; guard anyway.
    g[np.linalg.norm(g, axis=1) == 0, 0] = 1.0
    return _normalize_rows(g)


def sphere_grid(d, n_points, seed=0):
    r"""Quasi-uniform directions on :math:`\mathbb{S}^{d-1}`.

    * ``d = 2``: ``n_points`` equally spaced angles, rotated by a random
      offset drawn from ``seed`` (``seed=None`` gives offset 0).
    * ``d = 3``: the Fibonacci (golden-angle) lattice, randomly rotated.
    * ``d >= 4``: a scrambled Sobol sequence in :math:`[0, 1]^d` mapped to
      Gaussian vectors by the inverse normal CDF and normalized, a
      low-discrepancy version of :func:`sample_sphere`.

    Parameters
    ----------
    d : int
        Ambient dimension, ``d >= 2``.
    n_points : int
        Number of directions, ``>= 1``.
    seed : None, int or numpy.random.Generator, default=0
        Seed of the rotation (d = 2, 3) or of the scrambling (d >= 4).

    Returns
    -------
    ndarray, shape (n_points, d)
        Unit vectors.

    Examples
    --------
    >>> import numpy as np
    >>> from measureopt import sphere_grid
    >>> grid = sphere_grid(2, 4, seed=None)
    >>> np.round(grid, 12) + 0.0
    array([[ 1.,  0.],
           [ 0.,  1.],
           [-1.,  0.],
           [ 0., -1.]])
    """
    d = check_int(d, "d", minimum=2)
    n_points = check_int(n_points, "n_points", minimum=1)
    if seed is not None:
        check_random_state(seed, "seed")
    if d == 2:
        offset = 0.0 if seed is None else check_random_state(seed).uniform(0, 2 * np.pi / n_points)
        angles = offset + 2 * np.pi * np.arange(n_points) / n_points
        return np.column_stack([np.cos(angles), np.sin(angles)])
    if d == 3:
        i = np.arange(n_points) + 0.5
        z = 1.0 - 2.0 * i / n_points
        rho = np.sqrt(np.clip(1.0 - z * z, 0.0, None))
        phi = np.pi * (3.0 - np.sqrt(5.0)) * i
        pts = np.column_stack([rho * np.cos(phi), rho * np.sin(phi), z])
        if seed is not None:
            pts = pts @ _random_rotation(3, check_random_state(seed)).T
        return pts
    from scipy.stats import norm, qmc

    sampler = qmc.Sobol(d, scramble=True, seed=seed)
    with warnings.catch_warnings():
        # Sobol warns that balance properties need powers of 2; a prefix is
        # still low-discrepancy and we want exactly n_points.
        warnings.simplefilter("ignore", UserWarning)
        u = sampler.random(n_points)
    u = np.clip(u, 1e-12, 1.0 - 1e-12)
    return _normalize_rows(norm.ppf(u))


def _random_rotation(d, rng):
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def geodesic_distance(a, b):
    r"""Pairwise geodesic distances :math:`\arccos\langle a_i, b_j\rangle`.

    Parameters
    ----------
    a : array_like, shape (k1, d)
        Unit vectors.
    b : array_like, shape (k2, d)
        Unit vectors.

    Returns
    -------
    ndarray, shape (k1, k2)
        Distances in :math:`[0, \pi]`, computed as
        :math:`2 \arcsin(\min(1, \lVert a_i - b_j \rVert / 2))`, which is
        accurate for nearby points where ``arccos`` loses half the digits.

    Examples
    --------
    >>> import numpy as np
    >>> from measureopt import geodesic_distance
    >>> bool(np.isclose(geodesic_distance([[1.0, 0.0]], [[0.0, 1.0]])[0, 0], np.pi / 2))
    True
    """
    a = check_array(a, "a", ndim=2)
    b = check_array(b, "b", ndim=2, shape=("k2", a.shape[1]))
    diff = a[:, None, :] - b[None, :, :]
    chord = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    return 2.0 * np.arcsin(np.minimum(1.0, chord / 2.0))


def nearest_geodesic_distance(points, targets):
    """Geodesic distance from each row of ``points`` to the nearest row of ``targets``.

    Parameters
    ----------
    points : array_like, shape (k1, d)
    targets : array_like, shape (k2, d)

    Returns
    -------
    ndarray, shape (k1,)
        ``inf`` everywhere when ``targets`` is empty.
    """
    points = check_array(points, "points", ndim=2)
    targets = check_array(targets, "targets", ndim=2, shape=("k2", points.shape[1]))
    if targets.shape[0] == 0:
        return np.full(points.shape[0], np.inf)
    return geodesic_distance(points, targets).min(axis=1)


def tangent_project(thetas, v):
    r"""Project ``v`` onto the tangent spaces :math:`v - \langle v, \theta\rangle \theta`.

    Parameters
    ----------
    thetas : array_like, shape (k, d)
        Base points on the sphere.
    v : array_like, shape (k, d)
        Ambient vectors (e.g. Euclidean gradients).

    Returns
    -------
    ndarray, shape (k, d)
        Riemannian gradients, orthogonal to each row of ``thetas``.
    """
    thetas = check_array(thetas, "thetas", ndim=2)
    v = check_array(v, "v", ndim=2, shape=thetas.shape)
    return v - np.sum(v * thetas, axis=1, keepdims=True) * thetas


def retract(thetas, v, method="exp"):
    r"""Move from ``thetas`` along tangent vectors ``v`` and stay on the sphere.

    Parameters
    ----------
    thetas : array_like, shape (k, d)
        Base points on the sphere.
    v : array_like, shape (k, d)
        Tangent vectors (use :func:`tangent_project` first).
    method : {"exp", "projection"}, default="exp"
        ``"exp"``: exponential map
        :math:`\cos(\lVert v\rVert)\theta + \sin(\lVert v\rVert) v / \lVert v\rVert`
        (follows the great circle). ``"projection"``:
        :math:`(\theta + v) / \lVert \theta + v \rVert`.

    Returns
    -------
    ndarray, shape (k, d)
        Points on the sphere.
    """
    thetas = check_array(thetas, "thetas", ndim=2)
    v = check_array(v, "v", ndim=2, shape=thetas.shape)
    if method == "exp":
        nv = np.linalg.norm(v, axis=1, keepdims=True)
        safe = np.where(nv > 0, nv, 1.0)
        out = np.cos(nv) * thetas + np.sin(nv) * v / safe
    elif method == "projection":
        out = thetas + v
    else:
        raise ValueError(f"method must be 'exp' or 'projection'; got {method!r}")
    return _normalize_rows(out)
