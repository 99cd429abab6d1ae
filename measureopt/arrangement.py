r"""The hyperplane arrangement of the data on the sphere, in dimension 2 and 3.

The hyperplanes :math:`x_i^\perp` cut :math:`\mathbb{S}^{D-1}` into cells on
which the activation pattern :math:`\mathbb{1}\{\langle\theta, x_i\rangle > 0\}`
is constant. ReLU features are linear in :math:`\theta` on each cell and step
features constant, which is what makes the exact sup-oracle
(:class:`~measureopt.oracles.ArrangementOracle`, Berthier 2018, eq. 6-7) and
the exact convex ReLU program (:class:`solvers.ExactReLU`, Pilanci & Ergen
2020) possible. Every cell touches a vertex, so enumerating the *star* of
each vertex (the cells and edges around it) enumerates the arrangement:

* :math:`D = 2`: the vertices are the unit normals :math:`\pm x_i^\perp`;
  around each, two arcs, on the sides :math:`\pm x_i/\lVert x_i\rVert`.
* :math:`D = 3`: the vertices are :math:`\pm x_i\times x_j/\lVert x_i\times
  x_j\rVert`. In the tangent plane at a vertex :math:`v`, the hyperplanes
  through it are :math:`k` distinct lines (inputs that are duplicated,
  parallel or antipodal share a line); they bound :math:`2k` sectors (the
  cells) and :math:`2k` rays (the edges). In general position :math:`k = 2`.

Any inputs are handled: zero rows (never active), duplicated, parallel and
antipodal rows (one hyperplane), dependent triples (more than two lines
through a vertex), and data with no vertex at all (every input on one line,
where the two hemispheres are the cells). This module is the one place that
enumeration is written.
"""

from dataclasses import dataclass

import numpy as np

from ._frozen import Record
from ._validation import check_array, check_int, check_random_state

__all__ = ["Stars", "arrangement_stars", "arrangement_patterns", "ZERO_TOL"]

#: An input is "through" a point when :math:`|\langle v, x\rangle| \le` ``ZERO_TOL``
#: :math:`\lVert x\rVert`; two hyperplanes are one when their normals are
#: this close (radians). The exact oracle adds this to its rounding allowance.
ZERO_TOL = 1e-12


@dataclass(frozen=True, eq=False)
class Stars(Record):
    r"""The cells and edges around a batch of vertices of the arrangement.

    Attributes
    ----------
    vertex : ndarray, shape (m, D)
        The vertex of each cell (unit).
    tangent : ndarray, shape (m, D)
        A unit tangent at ``vertex`` pointing into the cell:
        :math:`v + \epsilon t` is inside it for :math:`0 < \epsilon <` ``margin``.
    margin : ndarray, shape (m,)
        Angle from ``vertex`` to the nearest hyperplane not through it.
    pattern : ndarray of bool, shape (m, n)
        Active inputs on the cell.
    edge_normal : ndarray, shape (e, D)
        ``D = 3``: the unit normal of the hyperplane containing each edge
        (empty for ``D = 2``).
    edge_pattern : ndarray of bool, shape (e, n)
        Active inputs on the edge (the inputs whose hyperplane contains it
        are inactive there).
    """

    vertex: np.ndarray
    tangent: np.ndarray
    margin: np.ndarray
    pattern: np.ndarray
    edge_normal: np.ndarray
    edge_pattern: np.ndarray


def _unit(a):
    return a / np.linalg.norm(a, axis=-1, keepdims=True)


def _vertices(Xn):
    """Candidate vertices from the unit nonzero inputs ``Xn``, both signs, with the defining pair."""
    m, d = Xn.shape
    if d == 2:
        v = np.stack([-Xn[:, 1], Xn[:, 0]], axis=1)
        pairs = np.stack([np.arange(m), np.arange(m)], axis=1)
    else:
        ii, jj = np.triu_indices(m, k=1)
        v = np.cross(Xn[ii], Xn[jj])
        pairs = np.stack([ii, jj], axis=1)
        vn = np.linalg.norm(v, axis=1)
        keep = vn > ZERO_TOL
        v, pairs = v[keep] / vn[keep, None], pairs[keep]
    return np.concatenate([v, -v]), np.concatenate([pairs, pairs])


def _star(v, X, norms, u, on):
    """Cells and edges around one vertex ``v`` with the inputs ``on`` through it (any number of lines)."""
    d = X.shape[1]
    base = (u > 0) & ~on
    others = ~on & (norms > 0)
    margin = float(np.min(np.abs(u[others]) / norms[others], initial=1.0))
    J = np.flatnonzero(on & (norms > 0))
    if d == 2:
        t = X[J[0]] / norms[J[0]] if len(J) else np.array([v[1], -v[0]])
        t = t - (t @ v) * v
        t = t / np.linalg.norm(t)
        tangents = np.stack([t, -t])
        edges = np.zeros((0, d))
        normals = np.zeros((0, d))
    else:
        e1 = X[J[0]] / norms[J[0]] if len(J) else _unit(np.cross(v, np.eye(3)[np.argmin(np.abs(v))]))
        e1 = _unit(e1 - (e1 @ v) * v)
        e2 = np.cross(v, e1)
        # hyperplane normals as angles modulo pi: one line per distinct angle
        phi = np.mod(np.arctan2(X[J] @ e2, X[J] @ e1), np.pi) if len(J) else np.zeros(1)
        phi = np.sort(phi)
        lines = phi[np.concatenate([[True], np.diff(phi) > ZERO_TOL])]
        if len(lines) > 1 and lines[-1] - lines[0] > np.pi - ZERO_TOL:
            lines = lines[:-1]  # the same line, on either side of the cut at pi
        rays = np.sort(np.mod(np.concatenate([lines + np.pi / 2, lines - np.pi / 2]), 2 * np.pi))
        mids = (rays + np.diff(np.append(rays, rays[0] + 2 * np.pi)) / 2)
        tangents = np.cos(mids)[:, None] * e1 + np.sin(mids)[:, None] * e2
        edges = np.cos(rays)[:, None] * e1 + np.sin(rays)[:, None] * e2
        normal_of_ray = np.mod(rays - np.pi / 2, np.pi)
        normals = np.cos(normal_of_ray)[:, None] * e1 + np.sin(normal_of_ray)[:, None] * e2
    tol = ZERO_TOL * norms
    pattern = base | (on & (tangents @ X.T > tol))
    edge_pattern = base | (on & (edges @ X.T > tol)) if len(edges) else np.zeros((0, len(X)), dtype=bool)
    k = len(tangents)
    return (np.repeat(v[None], k, axis=0), tangents, np.full(k, margin), pattern, normals, edge_pattern)


def _generic_stars(v, pairs, X, norms, u, on):
    """Vectorized stars of vertices with exactly two inputs, not parallel, through them (``D = 3``)."""
    k = len(v)
    rows = np.arange(k)
    i, j = pairs[:, 0], pairs[:, 1]
    na, nb = X[i] / norms[i, None], X[j] / norms[j, None]
    ta, tb = _unit(np.cross(v, nb)), _unit(np.cross(v, na))  # ta on b's hyperplane, crossing a's
    ta *= np.sign(np.sum(ta * na, axis=1))[:, None]
    tb *= np.sign(np.sum(tb * nb, axis=1))[:, None]
    base = (u > 0) & ~on
    safe = np.where(norms > 0, norms, 1.0)
    margin = np.min(np.where(on | (norms == 0), np.inf, np.abs(u) / safe), axis=1, initial=1.0)
    cells, tangents, edge_patterns, normals = [], [], [], []
    for sa in (1.0, -1.0):
        for sb in (1.0, -1.0):
            p = base.copy()
            p[rows, i] = sa > 0
            p[rows, j] = sb > 0
            cells.append(p)
            tangents.append(_unit(sa * ta + sb * tb))
    for s in (1.0, -1.0):
        for active, normal in ((j, na), (i, nb)):  # along a's hyperplane only b's sign moves, and back
            p = base.copy()
            p[rows, active] = s > 0
            edge_patterns.append(p)
            normals.append(normal)
    return (np.tile(v, (4, 1)), np.concatenate(tangents), np.tile(margin, 4), np.concatenate(cells),
            np.concatenate(normals), np.concatenate(edge_patterns))


def arrangement_stars(X, chunk=8192):
    r"""Iterate over the stars of the vertices of the arrangement of the hyperplanes :math:`x_i^\perp`.

    Every cell and every edge of the arrangement appears in at least one
    star (see the module notes), for any inputs.

    Parameters
    ----------
    X : ndarray, shape (n, D)
        Inputs, ``D`` = 2 or 3.
    chunk : int, default=8192
        Vertices per batch (memory about ``8 * chunk * n`` booleans).

    Yields
    ------
    Stars
        The cells and edges around a batch of vertices.
    """
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    if d not in (2, 3):
        raise ValueError(f"the arrangement is enumerated for D = 2 or 3; got D = {d}")
    chunk = check_int(chunk, "chunk", minimum=1)
    norms = np.linalg.norm(X, axis=1)
    rows = np.flatnonzero(norms > 0)
    v_all, pairs_all = _vertices(X[rows] / norms[rows, None])
    pairs_all = rows[pairs_all] if len(pairs_all) else pairs_all
    if len(v_all) == 0:
        # no vertex: every input on one line (or none); any point of that great circle is a vertex
        if len(rows):
            normal = X[rows[0]] / norms[rows[0]]
            v = _unit(np.cross(normal, np.eye(3)[np.argmin(np.abs(normal))]))
        else:
            v = np.eye(d)[0]
        u = v @ X.T
        yield Stars(*_star(v, X, norms, u, np.abs(u) <= ZERO_TOL * norms))
        return
    special_seen = set()
    for start in range(0, len(v_all), chunk):
        v, pairs = v_all[start:start + chunk], pairs_all[start:start + chunk]
        u = v @ X.T
        on = np.abs(u) <= ZERO_TOL * norms
        generic = (on.sum(axis=1) == 2) if d == 3 else np.zeros(len(v), dtype=bool)
        parts = [_generic_stars(v[generic], pairs[generic], X, norms, u[generic], on[generic])] if generic.any() else []
        for r in np.flatnonzero(~generic):
            key = (tuple(np.flatnonzero(on[r])), tuple(np.round(v[r], 9)))
            if key in special_seen:
                continue
            special_seen.add(key)
            parts.append(_star(v[r], X, norms, u[r], on[r]))
        if parts:
            yield Stars(*(np.concatenate(field) for field in zip(*parts)))


def arrangement_patterns(X, mode="enumerate", n_patterns=2000, random_state=0):
    r"""Activation patterns :math:`D = \operatorname{diag}(\mathbb{1}\{Xu \ge 0\})` of the data.

    Parameters
    ----------
    X : ndarray, shape (n, D)
    mode : {"enumerate", "sample"}
        ``"enumerate"`` (``D`` = 2 or 3) lists every full-dimensional cell of
        the arrangement (:func:`arrangement_stars`), for any inputs.
        ``"sample"`` draws ``n_patterns`` Gaussian directions :math:`u`.
    n_patterns : int
        Directions drawn with ``mode="sample"``.
    random_state : None, int or Generator

    Returns
    -------
    ndarray of bool, shape (P, n)
        Distinct nonzero patterns, one per row.
    """
    X = check_array(X, "X", ndim=2, shape=("n", "d"))
    n, d = X.shape
    rng = check_random_state(random_state, "random_state")
    if mode == "sample":
        rows = rng.standard_normal((check_int(n_patterns, "n_patterns", minimum=1), d)) @ X.T >= 0
    elif mode == "enumerate":
        if d not in (2, 3):
            raise ValueError(
                f"full enumeration of the arrangement handles d = 2 or 3; got d = {d}. "
                "Pass patterns='sample' to sample patterns (the result is then an upper bound)."
            )
        rows = np.concatenate([np.unique(s.pattern, axis=0) for s in arrangement_stars(X)])
    else:
        raise ValueError(f"mode must be 'enumerate' or 'sample'; got {mode!r}")
    rows = np.unique(rows, axis=0)
    return rows[rows.any(axis=1)]
