r"""The main job, ``measureopt teacher-student``: the convex optimum, the grid, a trained network and the teacher.

One run shows the library's point on teacher-student data (Akiyama & Suzuki
2021, Assumptions 3.1-3.2): BLASSO (eq. 8) is a convex problem over measures
whose certified optimum can be computed off the grid; a two-layer network
trained by gradient descent (Algorithm 1 of Akiyama & Suzuki) is a measure
too, and so is the teacher. Stages:

1. **data**: :func:`measureopt.teacher_student` and :class:`measureopt.BLASSO`;
2. **convex**: :class:`solvers.SlidingFrankWolfe`, certified on the sphere
   (the problem's certified oracle, within ``certify_budget`` seconds);
3. **grid**: :class:`solvers.GridConvex` on ``grid_size`` directions;
4. **network**: :class:`solvers.NormDependentGD` (Algorithm 1), ``width``
   neurons, ``iters`` steps;
5. **crosscheck**: :func:`measureopt.crosscheck` of every solution against
   the convex optimum and the teacher, each with a certified gap;
6. **figures**: the measures projected on the teacher's span, the
   certificate, the training curve, the :math:`W_2` matrix, and
   ``report.html`` with the table and the figures.

The certified optimum :math:`J^\star` lies in ``[lower, upper]``:
``upper`` is the smallest objective of the solutions, ``lower`` the largest
certified lower bound :math:`J(\nu) - \mathrm{gap}(\nu)` among them (scope
``"sphere"``). A row's *excess* is :math:`J(\nu) - \text{lower} \ge J(\nu)
- J^\star`.
"""

import dataclasses
import html
import sys
import time
import warnings
from pathlib import Path

import numpy as np

import measureopt as mo
from measureopt.io import write_json
from measureopt.oracles import certified_oracle

from .grid_convex import GridConvex
from .particles import NormDependentGD
from .sliding_frank_wolfe import SlidingFrankWolfe

__all__ = ["run_teacher_student", "print_table", "STAGES", "SKIPPABLE"]

#: The stages in order; each has a progress-bar step.
STAGES = ("data", "convex", "grid", "network", "crosscheck", "figures")
#: The stages ``--skip`` may leave out.
SKIPPABLE = ("convex", "grid", "network")
_LABELS = {"teacher": "teacher", "convex": "convex optimum (SFW)", "grid": "grid (GridConvex)",
           "network": "network (Algorithm 1)"}


def run_teacher_student(d=5, m=3, n=200, reg=1e-3, noise=0.0, seed=0, grid_size=2000, backend="auto",
                        sfw_iter=50, width=100, iters=10000, step_size=2.0, skip=(), certify_budget=10.0,
                        threads=1, out="results", progress=True):
    """Run the main job and write its files into ``out``; returns the content of ``results.json``.

    Parameters
    ----------
    d, m, n : int
        Input dimension, teacher width (``m <= d``), samples.
    reg : float
        BLASSO's :math:`\\lambda`.
    noise : float
        Output noise standard deviation.
    seed : int
        Seed of the data, the grid and the network's initialization.
    grid_size : int
        Directions of :class:`~solvers.GridConvex`.
    backend : str
        Its backend (``"auto"``, ``"CLARABEL"``, ``"SCS"``).
    sfw_iter : int
        Iterations of :class:`~solvers.SlidingFrankWolfe`.
    width, iters, step_size : int, int, float
        Neurons, steps and step size of :class:`~solvers.NormDependentGD`.
    skip : iterable of str
        Stages to leave out, among ``SKIPPABLE`` (convex, grid, network).
    certify_budget : float
        Seconds of each certificate on the sphere (the convex solve's and
        each cross-check's); past it a gap is valid but loose, and says so.
    threads : int or None
        Threads of PyTorch, BLAS and OpenMP during the run (restored
        afterwards). One by default: at this size (matrices of a few hundred
        entries per side) threads only add synchronization, and on a busy
        2-core machine PyTorch's spinning threads made 1000 training steps
        take 42 s instead of 4 s. ``None`` keeps the current settings.
    out : str or Path
        Output directory, created.
    progress : bool
        A progress bar per stage on standard error.

    Returns
    -------
    dict
        ``config``, ``rows`` (one per solution: the table's numbers),
        ``optimum`` (the certified bracket), ``w2_matrix``, ``measures``
        (every measure as lists), ``stage_times``, ``warnings``, ``files``.
    """
    kwargs = dict(locals())
    with _thread_limit(threads):
        return _main(**kwargs)


def _main(d, m, n, reg, noise, seed, grid_size, backend, sfw_iter, width, iters, step_size, skip, certify_budget,
          threads, out, progress):
    from tqdm.auto import tqdm

    skip = tuple(skip)
    unknown = sorted(set(skip) - set(SKIPPABLE))
    if unknown:
        raise ValueError(f"skip: unknown stage(s) {unknown}; choose among {list(SKIPPABLE)}")
    if not np.isfinite(certify_budget) or certify_budget <= 0:
        raise ValueError(f"certify_budget must be a positive number of seconds; got {certify_budget}")
    # every solver is built (and so its parameters checked) before any work
    sfw = SlidingFrankWolfe(max_iter=sfw_iter)
    grid_solver = GridConvex(grid=grid_size, backend=backend, random_state=seed)
    network_solver = NormDependentGD(width=width, step_size=step_size, max_iter=iters, certify=False,
                                     check_every=max(iters, 1), record_every=max(1, iters // 300),
                                     random_state=seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)  # before any work: a bad path fails at once
    stages = [s for s in STAGES if s not in skip]
    bar = tqdm(total=len(stages), disable=not progress, desc="teacher-student", unit="stage", file=sys.stderr,
               leave=False)
    times, results, caught = {}, {}, []

    def stage(name, note=""):
        bar.set_postfix_str(f"{name} {note}".strip())
        return time.perf_counter()

    def done(name, start):
        times[name] = time.perf_counter() - start
        bar.update()

    start = stage("data")
    data = mo.teacher_student(n=n, d=d, m=m, seed=seed, noise=noise)
    prob = mo.BLASSO(data.X, data.y, reg=reg)
    done("data", start)
    oracle = certified_oracle(prob.features, max_time=certify_budget)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", mo.ConvergenceWarning)
        warnings.simplefilter("always", mo.SolverFailureWarning)
        if "convex" not in skip:
            start = stage("convex", f"(sliding Frank-Wolfe, {sfw_iter} iterations)")
            results["convex"] = SlidingFrankWolfe(**{**sfw.get_params(), "certificate_oracle": oracle}).solve(prob)
            done("convex", start)
        if "grid" not in skip:
            start = stage("grid", f"(K={grid_size})")
            results["grid"] = grid_solver.solve(prob)
            done("grid", start)
        if "network" not in skip:
            start = stage("network", f"(Algorithm 1, M={width}, {iters} steps)")
            with warnings.catch_warnings():
                # trained without a certificate (certify=False: the cross-check below certifies it), so its own
                # "not certified" ConvergenceWarning says nothing here; failures still warn
                warnings.simplefilter("ignore", mo.ConvergenceWarning)
                results["network"] = network_solver.solve(prob)
            done("network", start)
        start = stage("crosscheck", f"({1 + len(results)} solutions)")
        reference = results["convex"].measure if "convex" in results else None
        measures = {"teacher": data.teacher, **{k: r.measure for k, r in results.items()}}
        checks = {}
        for key, mu in measures.items():
            own = results.get(key) if key == "convex" else None
            if own is not None and own.gap_scope == "sphere":
                # the convex optimum's certificate is its solver's own (same oracle and budget): not run twice
                own_support = mo.GridOracle(mu.support if mu.n_atoms else np.eye(prob.dim)[:1])  # cheap, replaced
                check = mo.crosscheck(mu, prob, reference=reference, teacher=data.teacher, oracle=own_support)
                check = dataclasses.replace(
                    check, gap=own.dual_gap, relative_gap=own.relative_gap, gap_scope=own.gap_scope,
                    sup_eta=own.stats["sup_eta"], sup_eta_upper=own.stats["sup_eta_upper"],
                    gap_exhausted=bool(own.stats.get("gap_exhausted", False)))
            else:
                check = mo.crosscheck(mu, prob, reference=reference, teacher=data.teacher, oracle=oracle)
            checks[key] = check
        done("crosscheck", start)
    warned = [f"{type(w.message).__name__}: {w.message}" for w in caught]
    rows, optimum = _rows(measures, checks, results, prob)
    names = list(measures)
    w2 = np.array([[0.0 if a == b else mo.wasserstein(measures[a], measures[b], p=2) for b in names]
                   for a in names])
    start = stage("figures")
    figures = _figures(prob, data.teacher, measures, results, optimum, w2, names, out)
    done("figures", start)
    bar.close()
    report = {
        "config": {"d": d, "m": m, "n": n, "reg": reg, "noise": noise, "seed": seed, "grid_size": grid_size,
                   "backend": backend, "sfw_iter": sfw_iter, "width": width, "iters": iters,
                   "step_size": step_size, "skip": list(skip), "certify_budget": certify_budget,
                   "threads": threads},
        "optimum": optimum,
        "rows": rows,
        "w2_matrix": {"labels": names, "values": w2},
        "measures": {k: mu.to_dict() for k, mu in measures.items()},
        "stage_times": times,
        "warnings": warned,
        "figures": figures,
        "files": {},
    }
    data.teacher.save(out / "teacher.npz", prob)
    report["files"]["teacher"] = "teacher.npz"
    for key, result in results.items():
        result.save(out / f"{key}.npz")
        report["files"][key] = f"{key}.npz"
    write_json(out / "results.json", report)
    _write_html(report, out)
    return report


class _thread_limit:
    """Context manager: at most ``n`` threads in torch, BLAS and OpenMP (``threadpoolctl``) inside; restored after."""

    def __init__(self, n):
        self.n = n

    def __enter__(self):
        import torch

        self.before = torch.get_num_threads()
        self.limits = None
        if self.n is not None:
            torch.set_num_threads(int(self.n))
            from threadpoolctl import threadpool_limits

            self.limits = threadpool_limits(limits=int(self.n))

    def __exit__(self, *exc):
        import torch

        torch.set_num_threads(self.before)
        if self.limits is not None:
            self.limits.restore_original_limits()


def _rows(measures, checks, results, prob):
    """The table: one dict per solution, and the certified bracket on J*."""
    certified = [c for c in checks.values() if c.gap_scope == "sphere" and np.isfinite(c.gap)]
    lower = max((c.objective - c.gap for c in certified), default=np.nan)
    upper = min(c.objective for c in checks.values())
    rows = []
    for key, check in checks.items():
        result = results.get(key)
        rows.append({
            "solution": key, "label": _LABELS[key],
            "objective": check.objective, "excess": check.objective - lower,
            "gap": check.gap, "gap_scope": check.gap_scope, "gap_exhausted": check.gap_exhausted,
            "sup_eta": check.sup_eta, "atoms": check.n_atoms, "effective": check.n_effective,
            "w2_convex": check.w2_reference, "winf_convex": check.winf_reference,
            "w2_teacher": check.w2_teacher, "winf_teacher": check.winf_teacher,
            "mass_difference_teacher": check.mass_difference_teacher,
            "status": str(result.status) if result is not None else "",
            "time": result.solve_time if result is not None else 0.0,
        })
    return rows, {"lower": lower, "upper": upper, "scope": "sphere", "reg_max": prob.reg_max()}


def _fmt(value, spec):
    return "-" if value is None or (isinstance(value, float) and not np.isfinite(value)) else format(value, spec)


_COLUMNS = [
    ("solution", lambda r: r["label"]),
    ("J(nu)", lambda r: _fmt(r["objective"], ".8g")),
    ("excess", lambda r: _fmt(r["excess"], ".2e")),
    ("gap (scope)", lambda r: f"{_fmt(r['gap'], '.2e')} ({r['gap_scope']}{', budget' if r['gap_exhausted'] else ''})"),
    ("sup|eta|", lambda r: _fmt(r["sup_eta"], ".4f")),
    ("atoms (eff.)", lambda r: f"{r['atoms']} ({r['effective']})"),
    ("W2/Winf convex", lambda r: f"{_fmt(r['w2_convex'], '.3f')}/{_fmt(r['winf_convex'], '.3f')}"),
    ("W2/Winf teacher", lambda r: f"{_fmt(r['w2_teacher'], '.3f')}/{_fmt(r['winf_teacher'], '.3f')}"),
    ("dmass teacher", lambda r: _fmt(r["mass_difference_teacher"], ".2e")),
    ("time (s)", lambda r: _fmt(r["time"], ".1f") if r["solution"] != "teacher" else "-"),
]


def _table(rows):
    header = [name for name, _ in _COLUMNS]
    body = [[cell(r) for _, cell in _COLUMNS] for r in rows]
    return header, body


def print_table(report, file=None):
    """Print the comparison table of :func:`run_teacher_student`'s report."""
    file = sys.stdout if file is None else file
    header, body = _table(report["rows"])
    widths = [max(len(h), *(len(row[i]) for row in body)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)), file=file)
    for row in body:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)), file=file)
    opt = report["optimum"]
    print(f"J* in [{_fmt(opt['lower'], '.10g')}, {_fmt(opt['upper'], '.10g')}] (certified on the sphere); "
          f"reg_max = {opt['reg_max']:.4g}", file=file)
    print("stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in report["stage_times"].items()), file=file)
    for warning in report["warnings"]:
        print(f"warning: {warning}", file=file)


def _basis(teacher, d):
    """Orthonormal rows spanning the teacher's directions, completed to at least two."""
    q, _ = np.linalg.qr(teacher.support.T)
    basis = q.T[: min(3, teacher.n_atoms)]
    if len(basis) < 2:
        extra = np.eye(d)[np.argmin(np.abs(basis[0]))]
        extra = extra - (extra @ basis[0]) * basis[0]
        basis = np.vstack([basis, extra / np.linalg.norm(extra)])
    return basis


def _figures(prob, teacher, measures, results, optimum, w2, names, out):
    from matplotlib.figure import Figure

    from measureopt import plot

    files = []

    def save(name, fig):
        fig.savefig(out / name, dpi=100)
        files.append(name)

    basis = _basis(teacher, prob.dim)
    pairs = [(0, 1)] if len(basis) == 2 else [(0, 1), (0, 2), (1, 2)]
    fig = Figure(figsize=(5 * len(pairs), 4.8), layout="constrained")
    labelled = {_LABELS[k]: mu for k, mu in measures.items()}
    for i, (a, b) in enumerate(pairs):
        ax = fig.add_subplot(1, len(pairs), i + 1)
        plot.plot_projection(labelled, basis[[a, b]], ax=ax, title=f"on (e{a + 1}, e{b + 1}) of the teacher's span",
                             labels=(f"e_{a + 1}", f"e_{b + 1}"))
        if i:
            ax.get_legend().remove()
    save("measures.png", fig)
    best = results["convex"].measure if "convex" in results else measures[min(
        measures, key=lambda k: prob.objective(measures[k]))]
    fig = Figure(figsize=(6, 4.2), layout="constrained")
    plot.plot_certificate(prob, best, ax=fig.add_subplot())
    save("certificate.png", fig)
    history = results["network"].history if "network" in results else {}
    if len(history.get("iteration", ())) > 1:  # not when reg >= reg_max returned the zero measure untrained
        fig = Figure(figsize=(6, 4.2), layout="constrained")
        ax = fig.add_subplot()
        ax.semilogy(history["iteration"], history["objective"] - optimum["lower"], label=r"$J(\nu_t) - J^\star_{low}$")
        ax.axhline(optimum["upper"] - optimum["lower"], color="k", ls="--",
                   label="certified bracket width of $J^\\star$")
        ax.set_xlabel("step")
        ax.set_ylabel("excess over the certified optimum")
        ax.set_title("training the network (Algorithm 1)")
        ax.legend(fontsize="small")
        save("training.png", fig)
    fig = Figure(figsize=(5.6, 4.6), layout="constrained")
    plot.plot_distance_matrix(w2, [_LABELS[k] for k in names], ax=fig.add_subplot(), title="$W_2$ between solutions")
    save("w2_matrix.png", fig)
    return files


def _write_html(report, out):
    header, body = _table(report["rows"])
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    lines = "\n".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in body)
    cfg = ", ".join(f"{k}={v}" for k, v in report["config"].items())
    opt = report["optimum"]
    figures = "\n".join(f'<figure><img src="{html.escape(f)}" alt="{html.escape(f)}"><figcaption>{html.escape(f)}'
                        "</figcaption></figure>" for f in report["figures"])
    warned = "".join(f"<li>{html.escape(w)}</li>" for w in report["warnings"])
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>measureopt teacher-student</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}td:first-child{{text-align:left}}
figure{{display:inline-block;margin:1em}}img{{max-width:720px}}</style></head><body>
<h1>teacher-student: convex optimum, grid, network and teacher</h1>
<p>{html.escape(cfg)}</p>
<table><tr>{cells}</tr>
{lines}
</table>
<p>J* in [{_fmt(opt['lower'], '.10g')}, {_fmt(opt['upper'], '.10g')}], certified on the sphere;
excess = J(nu) minus the lower end, an upper bound on J(nu) - J*.</p>
<ul>{warned}</ul>
{figures}
</body></html>
"""
    (out / "report.html").write_text(page, encoding="utf-8")
