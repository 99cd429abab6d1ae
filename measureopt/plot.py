"""Plots of measures and certificates (matplotlib).

Import explicitly: ``import measureopt.plot``. Every function takes
``ax=None`` and returns the axes it drew on. Without ``ax`` it draws on a new
:class:`matplotlib.figure.Figure` (reachable as ``ax.figure``) and never
touches pyplot's global state.
"""

import numpy as np

from ._validation import check_int, check_problem
from .measures import check_measure
from .sphere import nearest_geodesic_distance, sphere_grid

__all__ = ["plot_measure", "plot_certificate", "plot_recovery", "plot_projection", "plot_distance_matrix"]

_POS, _NEG, _TEACHER = "tab:red", "tab:blue", "black"


def _new_axes(ax):
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    return Figure(figsize=(5, 4), layout="constrained").add_subplot()


def _sizes(weights, scale):
    w = np.abs(weights)
    return scale * w / w.max() if w.size and w.max() > 0 else np.zeros_like(w)


def plot_measure(measure, ax=None, teacher=None, title=None):
    r"""Draw a measure on the circle (d = 2) or on the sphere (d = 3).

    * ``d = 2``: the unit circle; each atom :math:`r_j\delta_{\theta_j}` is a
      radial spike at :math:`\theta_j` whose length is proportional to
      :math:`|r_j|` (red: positive, blue: negative).
    * ``d = 3``: longitude/latitude (equirectangular) projection; marker
      area proportional to :math:`|r_j|`.

    Parameters
    ----------
    measure : DiscreteMeasure
        Measure on :math:`\mathbb{S}^1` or :math:`\mathbb{S}^2`.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    teacher : DiscreteMeasure, optional
        Overlaid as black stars.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    check_measure(measure)
    if teacher is not None:
        check_measure(teacher, "teacher", d=measure.dim)
    if measure.dim not in (2, 3):
        raise ValueError(
            f"plot_measure draws measures on S^1 (d=2) or S^2 (d=3); got d={measure.dim}. "
            "Use plot_recovery for any dimension."
        )
    ax = _new_axes(ax)
    w = measure.weights
    if measure.dim == 2:
        t = np.linspace(0, 2 * np.pi, 400)
        ax.plot(np.cos(t), np.sin(t), color="0.7", lw=1)
        lengths = _sizes(w, 0.6)
        for theta, length, weight in zip(measure.support, lengths, w):
            end = theta * (1 + length)
            ax.plot([theta[0], end[0]], [theta[1], end[1]], color=_POS if weight > 0 else _NEG, lw=2)
        ax.set_aspect("equal")
        ax.set_xlim(-1.8, 1.8)
        ax.set_ylim(-1.8, 1.8)
        ax.set_xlabel(r"$\theta_1$")
        ax.set_ylabel(r"$\theta_2$")
        if teacher is not None:
            s = teacher.support
            ax.scatter(s[:, 0], s[:, 1], marker="*", s=160, color=_TEACHER, zorder=3, label="teacher")
    else:
        lon, lat = _lonlat(measure.support)
        sizes = 10 + _sizes(w, 300)
        ax.scatter(lon[w > 0], lat[w > 0], s=sizes[w > 0], color=_POS, alpha=0.7, label="positive")
        ax.scatter(lon[w < 0], lat[w < 0], s=sizes[w < 0], color=_NEG, alpha=0.7, label="negative")
        ax.set_xlim(-180, 180)
        ax.set_ylim(-90, 90)
        ax.set_xlabel("longitude (deg)")
        ax.set_ylabel("latitude (deg)")
        if teacher is not None:
            tlon, tlat = _lonlat(teacher.support)
            ax.scatter(tlon, tlat, marker="*", s=160, color=_TEACHER, zorder=3, label="teacher")
    if teacher is not None or measure.dim == 3:
        ax.legend(loc="upper right", fontsize="small")
    ax.set_title(title if title is not None else f"measure ({measure.n_atoms} atoms)")
    return ax


def _lonlat(points):
    lon = np.degrees(np.arctan2(points[:, 1], points[:, 0]))
    lat = np.degrees(np.arcsin(np.clip(points[:, 2], -1, 1)))
    return lon, lat


def plot_certificate(problem, measure, ax=None, thetas=None, n_points=2000):
    r"""Plot the dual certificate :math:`\eta` with the :math:`\pm 1` lines.

    * ``d = 2``: :math:`\eta(\cos t, \sin t)` against the angle
      :math:`t \in (-\pi, \pi]`, with the atoms of ``measure`` marked.
    * ``d >= 3``: :math:`\eta` at quasi-uniform directions against their
      geodesic distance to the nearest atom; optimality means the points stay
      in :math:`[-1, 1]` and touch :math:`\pm 1` at distance 0.

    Parameters
    ----------
    problem : MeasureProblem
        Provides :meth:`~measureopt.MeasureProblem.certificate`.
    measure : DiscreteMeasure
    ax : matplotlib.axes.Axes, optional
    thetas : array_like, shape (k, d), optional
        Directions where :math:`\eta` is evaluated (default: ``n_points``
        angles for d = 2, ``sphere_grid(d, n_points)`` otherwise).
    n_points : int, default=2000

    Returns
    -------
    matplotlib.axes.Axes
    """
    check_problem(problem)
    problem.check_measure(measure)
    n_points = check_int(n_points, "n_points", minimum=1)
    d = problem.dim
    ax = _new_axes(ax)
    if d == 2 and thetas is None:
        t = np.linspace(-np.pi, np.pi, n_points)
        eta = problem.certificate(measure, np.column_stack([np.cos(t), np.sin(t)]))
        ax.plot(t, eta, color="k", lw=1.2, label=r"$\eta(\theta)$")
        if measure.n_atoms:
            ta = np.arctan2(measure.support[:, 1], measure.support[:, 0])
            ea = problem.certificate(measure, measure.support)
            colors = np.where(measure.weights > 0, _POS, _NEG)
            ax.scatter(ta, ea, c=colors, zorder=3, s=25, label="atoms")
        ax.set_xlabel(r"angle of $\theta$ (rad)")
        ax.set_xlim(-np.pi, np.pi)
    else:
        thetas = sphere_grid(d, n_points, seed=0) if thetas is None else thetas
        eta = problem.certificate(measure, thetas)
        dist = np.minimum(nearest_geodesic_distance(thetas, measure.support), np.pi)
        ax.scatter(dist, eta, s=4, color="k", alpha=0.5, label=r"$\eta(\theta)$")
        ax.set_xlabel("geodesic distance to the nearest atom (rad)")
    for level in (-1.0, 1.0):
        ax.axhline(level, color="tab:gray", ls="--", lw=1)
    ax.set_ylabel(r"certificate $\eta$")
    ax.legend(loc="lower right", fontsize="small")
    ax.set_title(r"dual certificate ($|\eta| \leq 1$ at the optimum)")
    return ax


def plot_recovery(measure, teacher, ax=None):
    r"""Atom weights against their geodesic distance to the nearest teacher atom.

    Works in any dimension: a recovered teacher shows as mass concentrated at
    small distances.

    Parameters
    ----------
    measure : DiscreteMeasure
    teacher : DiscreteMeasure
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    check_measure(measure)
    check_measure(teacher, "teacher", d=measure.dim)
    ax = _new_axes(ax)
    dist = measure.nearest_distance(teacher)
    w = measure.weights
    for sign, color, label in ((1, _POS, "positive"), (-1, _NEG, "negative")):
        keep = np.sign(w) == sign
        if np.any(keep):
            ax.vlines(dist[keep], 0, np.abs(w[keep]), color=color, lw=1.5)
            ax.scatter(dist[keep], np.abs(w[keep]), color=color, s=15, label=label)
    ax.set_xlabel("geodesic distance to the nearest teacher atom (rad)")
    ax.set_ylabel(r"$|r_j|$")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    if measure.n_atoms:  # the zero measure (reg >= reg_max) has nothing to label
        ax.legend(loc="upper right", fontsize="small")
    ax.set_title("recovery of the teacher")
    return ax


_MARKERS = ("*", "o", "s", "^", "D", "v", "P", "X")


def plot_projection(measures, basis, ax=None, title=None, labels=("e_1", "e_2")):
    r"""Several measures in any dimension, projected on a plane: one marker per measure.

    Each atom :math:`r_j\delta_{\theta_j}` is drawn at
    :math:`(\langle\theta_j, e_1\rangle, \langle\theta_j, e_2\rangle)`, with
    marker area proportional to :math:`|r_j|` (relative to the largest weight
    of all measures) and colour by sign (red positive, blue negative). Atoms
    on the sphere project into the unit disk, drawn in grey; an atom in the
    plane lands on its rim. With :math:`e_1, e_2` spanning a teacher's
    directions, the teacher's atoms are on the rim and recovered atoms sit on
    them.

    Parameters
    ----------
    measures : dict of str to DiscreteMeasure
        Label to measure, all of one dimension; the first is drawn on top.
    basis : array_like, shape (2, d)
        Orthonormal rows :math:`e_1, e_2`.
    ax : matplotlib.axes.Axes, optional
    title : str, optional
    labels : tuple of two str, default=("e_1", "e_2")
        Names of the basis vectors in the axis labels (TeX math).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not isinstance(measures, dict) or not measures:
        raise TypeError(f"measures must be a non-empty dict of label to DiscreteMeasure; got {measures!r}")
    measures = {str(k): check_measure(v, f"measures[{k!r}]") for k, v in measures.items()}
    d = next(iter(measures.values())).dim
    for label, mu in measures.items():
        check_measure(mu, f"measures[{label!r}]", d=d)
    basis = np.asarray(basis, dtype=float)
    if basis.shape != (2, d):
        raise ValueError(f"basis must have shape (2, {d}) (two orthonormal rows); got shape {basis.shape}")
    if not np.allclose(basis @ basis.T, np.eye(2), atol=1e-8):
        raise ValueError("basis must have orthonormal rows")
    if len(measures) > len(_MARKERS):
        raise ValueError(f"at most {len(_MARKERS)} measures; got {len(measures)}")
    ax = _new_axes(ax)
    t = np.linspace(0, 2 * np.pi, 400)
    ax.plot(np.cos(t), np.sin(t), color="0.8", lw=1, zorder=0)
    top = max((np.abs(mu.weights).max(initial=0.0) for mu in measures.values()), default=0.0)
    for z, (marker, (label, mu)) in enumerate(zip(_MARKERS, measures.items())):
        xy = mu.support @ basis.T
        w = mu.weights
        sizes = 4 + (250 * np.abs(w) / top if top > 0 else 0 * w)
        colors = np.where(w > 0, _POS, _NEG)
        ax.scatter(xy[:, 0], xy[:, 1], s=sizes, c=colors, marker=marker, alpha=0.6, edgecolors="k",
                   linewidths=0.5, zorder=len(measures) - z, label=f"{label} ({mu.n_atoms} atoms)")
    ax.set_aspect("equal")
    ax.set_xlim(-1.15, 1.15)
    ax.set_ylim(-1.15, 1.15)
    ax.set_xlabel(rf"$\langle\theta, {labels[0]}\rangle$")
    ax.set_ylabel(rf"$\langle\theta, {labels[1]}\rangle$")
    legend = ax.legend(loc="lower left", fontsize="small")
    for handle in legend.legend_handles:
        handle.set_color("0.4")
    ax.set_title(title if title is not None else "measures projected on a plane")
    return ax


def plot_distance_matrix(matrix, labels, ax=None, title=None, unit="rad"):
    """A symmetric matrix of distances between solutions, as an annotated heatmap.

    Parameters
    ----------
    matrix : array_like, shape (k, k)
        Distances; ``nan`` entries are left blank.
    labels : sequence of k str
    ax : matplotlib.axes.Axes, optional
    title : str, optional
    unit : str, default="rad"
        Shown on the colour bar.

    Returns
    -------
    matplotlib.axes.Axes
    """
    matrix = np.asarray(matrix, dtype=float)
    labels = [str(label) for label in labels]
    if matrix.ndim != 2 or matrix.shape != (len(labels), len(labels)):
        raise ValueError(f"matrix must have shape ({len(labels)}, {len(labels)}) (one row per label); "
                         f"got shape {matrix.shape}")
    ax = _new_axes(ax)
    finite = matrix[np.isfinite(matrix)]
    vmax = finite.max() if finite.size and finite.max() > 0 else 1.0
    image = ax.imshow(np.ma.masked_invalid(matrix), cmap="viridis", vmin=0, vmax=vmax)
    ax.figure.colorbar(image, ax=ax, label=unit)
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if np.isfinite(matrix[i, j]):
                ax.text(j, i, f"{matrix[i, j]:.3g}", ha="center", va="center",
                        color="white" if matrix[i, j] < 0.6 * vmax else "black", fontsize="small")
    ax.set_title(title if title is not None else "distances between solutions")
    return ax

