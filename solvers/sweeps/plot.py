r"""Phase diagrams from a sweep store: a metric over one or two parameters, reduced over the others.

:func:`reduce_metric` groups the ``done`` rows by the values of ``x`` (and
``y``) and reduces the metric over each group, that is over every other
parameter that varies (typically the seeds): the mean, the median or the
geometric mean (Berthier 2018 reports the geometric mean of the losses).
:func:`plot_phase_diagram` draws it: a heatmap with a colorbar, each cell
labelled with its value and its number of tasks, or, without ``y``, a curve
over ``x`` with the individual tasks as dots.

Rows of the same experiment and parameters from several code versions (a
store re-run after an experiment changed) count once: the most recently
recorded row is kept (``latest_rows``).
"""

import math
import numbers

import numpy as np

__all__ = ["latest_rows", "varying_parameters", "reduce_metric", "plot_phase_diagram", "REDUCTIONS"]


def _geomean(values):
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0 or np.any(values <= 0):
        return float("nan")
    return float(np.exp(np.mean(np.log(values))))


def _finite(fn):
    def reduce(values):
        values = np.asarray(values, dtype=float)
        values = values[np.isfinite(values)]
        return float(fn(values)) if values.size else float("nan")

    return reduce


#: name -> function of a 1-D array of the finite values of a cell.
REDUCTIONS = {"mean": _finite(np.mean), "median": _finite(np.median), "geomean": _geomean}


def latest_rows(rows, where=None):
    """The ``done`` rows, one per (experiment, parameters): the last recorded; filtered by ``where``.

    Parameters
    ----------
    rows : list of dict
        :meth:`Store.rows <solvers.sweeps.Store.rows>`, oldest first.
    where : dict, optional
        Parameter -> value; keep the rows whose parameter equals it (a
        number compares by value, so ``{"d": 3}`` matches ``3`` and ``3.0``).
    """
    from .spec import canonical_json

    keep = {}
    for row in rows:
        if row["status"] != "done":
            continue
        if where and not all(_equal(row["params"].get(k, _MISSING), v) for k, v in where.items()):
            continue
        keep[(row["experiment"], canonical_json(row["params"]))] = row
    return list(keep.values())


_MISSING = object()


def _equal(a, b):
    if isinstance(a, numbers.Real) and isinstance(b, numbers.Real) and not isinstance(a, bool):
        return float(a) == float(b)
    return a == b


def varying_parameters(rows):
    """list of str: the parameters whose value differs between rows, in the rows' parameter order."""
    values = {}
    for row in rows:
        for k, v in row["params"].items():
            values.setdefault(k, set()).add(repr(v))
    return [k for k, seen in values.items() if len(seen) > 1]


def _sorted_values(values):
    values = list({repr(v): v for v in values}.values())
    if all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
        return sorted(values, key=float)
    return sorted(values, key=str)


def _number(value, metric):
    if value is None:
        return float("nan")
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    if isinstance(value, numbers.Real):
        return float(value)
    raise ValueError(f"metric {metric!r} is not a number (got {type(value).__name__} {value!r})")


def reduce_metric(rows, x, y=None, metric=None, reduce="mean"):
    """Reduce ``metric`` over the rows of each ``x`` (and ``y``) value.

    Parameters
    ----------
    rows : list of dict
        Rows of one experiment (e.g. ``latest_rows``).
    x, y : str
        Parameters; ``y=None`` for one axis.
    metric : str
        A numeric metric (booleans count as 0/1, ``None`` as NaN).
    reduce : {"mean", "median", "geomean"}
        Over the finite values of each cell.

    Returns
    -------
    xs : list
        Sorted values of ``x``.
    ys : list
        Sorted values of ``y`` (``[None]`` without ``y``).
    values : ndarray, shape (len(ys), len(xs))
        The reduced metric, NaN where a cell has no task.
    counts : ndarray of int, shape (len(ys), len(xs))
        Tasks per cell.
    samples : dict
        (i_y, i_x) -> list of the cell's values.

    Raises
    ------
    ValueError
        No rows, an unknown parameter or metric (the message lists the
        available ones), or a metric that is not a number.
    """
    if reduce not in REDUCTIONS:
        raise ValueError(f"reduce must be one of {', '.join(REDUCTIONS)}; got {reduce!r}")
    if not rows:
        raise ValueError("no finished task to plot")
    params = list(rows[0]["params"])
    for name, label in ((x, "x"), (y, "y")):
        if name is not None and name not in params:
            raise ValueError(f"{label}: no parameter {name!r}; the parameters are {', '.join(params)}")
    metrics = sorted({k for r in rows for k in r["metrics"]})
    if metric not in metrics:
        raise ValueError(f"no metric {metric!r}; the metrics are {', '.join(metrics)}")
    xs = _sorted_values(r["params"][x] for r in rows)
    ys = [None] if y is None else _sorted_values(r["params"][y] for r in rows)
    ix = {repr(v): i for i, v in enumerate(xs)}
    iy = {repr(v): i for i, v in enumerate(ys)}
    samples = {}
    for r in rows:
        cell = (iy[repr(r["params"][y])] if y is not None else 0, ix[repr(r["params"][x])])
        samples.setdefault(cell, []).append(_number(r["metrics"].get(metric), metric))
    values = np.full((len(ys), len(xs)), np.nan)
    counts = np.zeros((len(ys), len(xs)), dtype=int)
    for cell, vals in samples.items():
        values[cell] = REDUCTIONS[reduce](vals)
        counts[cell] = len(vals)
    return xs, ys, values, counts, samples


def _label(v):
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def plot_phase_diagram(rows, x, y=None, metric=None, reduce="mean", ax=None, log=False, annotate=True,
                       cmap="viridis"):
    """Draw ``metric`` over ``x`` and ``y`` (a heatmap) or over ``x`` alone (a curve), reduced over the rest.

    Parameters
    ----------
    rows : list of dict
        ``done`` rows of one experiment (``latest_rows``).
    x, y : str
        Parameters; ``y=None`` draws a curve.
    metric : str
    reduce : {"mean", "median", "geomean"}, default="mean"
    ax : matplotlib.axes.Axes, optional
        Drawn into (a new figure when ``None``); the colorbar goes beside it.
    log : bool, default=False
        Logarithmic colour scale (heatmap) or y axis (curve).
    annotate : bool, default=True
        Write each cell's value and task count in it.
    cmap : str, default="viridis"

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from solvers.sweeps.plot import plot_phase_diagram
    >>> rows = [{"status": "done", "experiment": "e", "params": {"n": n, "reg": r, "seed": s},
    ...          "metrics": {"m": n * r + s}} for n in (1, 2) for r in (0.1, 1.0) for s in (0, 1)]
    >>> ax = plot_phase_diagram(rows, "n", "reg", "m")
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('n', 'reg')
    """
    xs, ys, values, counts, samples = reduce_metric(rows, x, y, metric, reduce)
    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(6.4, 4.8), layout="constrained").add_subplot()
    others = [p for p in varying_parameters(rows) if p not in (x, y)]
    over = f" over {', '.join(others)}" if others else ""
    ax.set_title(f"{metric}: {reduce}{over}" if others else metric)
    if y is None:
        numeric = all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in xs)
        pos = [float(v) for v in xs] if numeric else list(range(len(xs)))
        for i, p in enumerate(pos):
            pts = samples.get((0, i), [])
            ax.plot([p] * len(pts), pts, ".", color="0.6", ms=5)
        ax.plot(pos, values[0], "o-", color="tab:blue", label=f"{reduce} ({counts.max()} tasks per point at most)")
        if not numeric:
            ax.set_xticks(pos, [_label(v) for v in xs])
        if log:
            ax.set_yscale("log")
        ax.set_xlabel(x)
        ax.set_ylabel(metric)
        ax.legend(fontsize=8)
        return ax
    from matplotlib.colors import LogNorm, Normalize

    finite = values[np.isfinite(values)]
    if log:
        positive = finite[finite > 0]
        norm = LogNorm(positive.min(), positive.max()) if positive.size else None
    else:
        norm = Normalize(finite.min(), finite.max()) if finite.size else None
    shown = np.ma.masked_invalid(np.where(values > 0, values, np.nan) if log else values)
    image = ax.imshow(shown, origin="lower", aspect="auto", cmap=cmap, norm=norm, interpolation="nearest")
    ax.set_xticks(range(len(xs)), [_label(v) for v in xs])
    ax.set_yticks(range(len(ys)), [_label(v) for v in ys])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.figure.colorbar(image, ax=ax, label=f"{metric} ({reduce})" if others else metric)
    if annotate:
        for (i, j), count in np.ndenumerate(counts):
            if count == 0:
                continue
            v = values[i, j]
            rgba = image.cmap(image.norm(v)) if norm is not None and math.isfinite(v) else (1, 1, 1, 1)
            dark = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2] < 0.5
            ax.text(j, i, f"{v:.3g}\nn={count}", ha="center", va="center", fontsize=7,
                    color="white" if dark else "black")
    return ax
