r"""The hyperplane arrangement of the data on the sphere, in dimension 2 and 3.

The hyperplanes :math:`x_i^\perp` cut :math:`\mathbb{S}^{D-1}` into cells on
which the activation pattern :math:`\mathbb{1}\{\langle\theta, x_i\rangle > 0\}`
is constant. ReLU features are linear in :math:`\theta` on each cell and step
features constant, which is what makes the exact sup-oracle
(:class:`~measureopt.oracles.ArrangementOracle`, Berthier 2018, eq. 6-7) and
the exact convex ReLU program (:class:`solvers.ExactReLU`, Pilanci & Ergen
2020) possible. Every cell touches a vertex, and the cells around a vertex
differ only in the signs of the hyperplanes through it, so enumerating the
vertices enumerates the cells:

* :math:`D = 2`: the vertices are the two unit normals :math:`\pm x_i^\perp`
  of each input (one hyperplane through each);
* :math:`D = 3`: the vertices are :math:`\pm x_i\times x_j/\lVert x_i\times
  x_j\rVert` (two hyperplanes through each).

This module is the one place that enumeration is written.
"""

import numpy as np

from ._validation import check_int, check_random_state

__all__ = ["arrangement_vertices", "vertex_patterns", "arrangement_patterns", "GeneralPositionError"]

#: Patterns are read at ``|<v, x>| > ZERO_TOL * ||x||``; closer counts as "through the vertex".
ZERO_TOL = 1e-12


class GeneralPositionError(ValueError):
    """The data are not in general position (parallel inputs, or three dependent ones in ``D = 3``)."""


def arrangement_vertices(X, strict=True):
    r"""Vertices of the arrangement of the hyperplanes :math:`x_i^\perp`, with the inputs through each.

    Parameters
    ----------
    X : ndarray, shape (n, D)
        Inputs, ``D`` = 2 or 3 (zero rows are ignored).
    strict : bool, default=True
        Raise :class:`GeneralPositionError` when two inputs are parallel;
        with ``False`` such pairs are dropped.

    Returns
    -------
    vertices : ndarray, shape (V, D)
        Unit vertices, both signs.
    index : ndarray of int, shape (V, D - 1)
        The rows of ``X`` whose hyperplanes pass through each vertex.
    """
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    if d not in (2, 3):
        raise ValueError(f"the arrangement is enumerated for D = 2 or 3; got D = {d}")
    norms = np.linalg.norm(X, axis=1)
    rows = np.flatnonzero(norms > 0)
    Xn = X[rows] / norms[rows, None]
    if d == 2:
        index = rows[:, None]
        vertices = np.stack([-Xn[:, 1], Xn[:, 0]], axis=1)
    else:
        ii, jj = np.triu_indices(len(rows), k=1)
        index = np.stack([rows[ii], rows[jj]], axis=1)
        vertices = np.cross(Xn[ii], Xn[jj])
    vnorm = np.linalg.norm(vertices, axis=1)
    degenerate = vnorm < 1e-10
    if np.any(degenerate):
        if strict:
            raise GeneralPositionError("inputs in general position are needed: two inputs in X are parallel")
        vertices, index, vnorm = vertices[~degenerate], index[~degenerate], vnorm[~degenerate]
    vertices = vertices / vnorm[:, None]
    return np.concatenate([vertices, -vertices]), np.concatenate([index, index])


def vertex_patterns(X, vertices, index, strict=True):
    r"""Activation pattern at each vertex, leaving out the hyperplanes through it.

    Parameters
    ----------
    X : ndarray, shape (n, D)
    vertices : ndarray, shape (V, D)
    index : ndarray of int, shape (V, D - 1)
    strict : bool, default=True
        Raise :class:`GeneralPositionError` when another input's hyperplane
        also passes through a vertex (three dependent inputs).

    Returns
    -------
    u : ndarray, shape (V, n)
        :math:`\langle v, x_i\rangle`.
    base : ndarray of bool, shape (V, n)
        :math:`\langle v, x_i\rangle > 0` for the inputs not through the vertex.
    """
    u = vertices @ X.T
    on = np.zeros_like(u, dtype=bool)
    np.put_along_axis(on, index, True, axis=1)
    if strict and np.any((np.abs(u) < ZERO_TOL * np.linalg.norm(X, axis=1)) & ~on):
        raise GeneralPositionError(
            "inputs in general position are needed: three inputs in X are linearly dependent"
        )
    return u, (u > 0) & ~on


def _cells_around(base, index):
    """Every pattern of the cells around each vertex: all signs of the hyperplanes through it."""
    out = []
    rows = np.arange(len(base))
    for signs in np.ndindex(*(2,) * index.shape[1]):
        patterns = base.copy()
        for col, s in enumerate(signs):
            patterns[rows, index[:, col]] = bool(s)
        out.append(patterns)
    return np.concatenate(out)


def arrangement_patterns(X, mode="enumerate", n_patterns=2000, random_state=0):
    r"""Activation patterns :math:`D = \operatorname{diag}(\mathbb{1}\{Xu \ge 0\})` of the data.

    Parameters
    ----------
    X : ndarray, shape (n, D)
    mode : {"enumerate", "sample"}
        ``"enumerate"`` (``D`` = 2 or 3) lists every full-dimensional cell of
        the arrangement (see the module notes). ``"sample"`` draws
        ``n_patterns`` Gaussian directions :math:`u`.
    n_patterns : int
        Directions drawn with ``mode="sample"``.
    random_state : None, int or Generator

    Returns
    -------
    ndarray of bool, shape (P, n)
        Distinct nonzero patterns, one per row.
    """
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    if mode == "sample":
        rng = check_random_state(random_state)
        rows = rng.standard_normal((check_int(n_patterns, "n_patterns", minimum=1), d)) @ X.T >= 0
    elif mode == "enumerate":
        if d not in (2, 3):
            raise ValueError(
                f"full enumeration of the arrangement handles d = 2 or 3; got d = {d}. "
                "Pass patterns='sample' to sample patterns (the result is then an upper bound)."
            )
        vertices, index = arrangement_vertices(X, strict=False)
        _, base = vertex_patterns(X, vertices, index, strict=False)
        rows = _cells_around(base, index)
    else:
        raise ValueError(f"mode must be 'enumerate' or 'sample'; got {mode!r}")
    rows = np.unique(rows, axis=0)
    return rows[rows.any(axis=1)]
