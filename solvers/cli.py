"""Command line: ``measureopt teacher-student ...`` (the main job) and ``measureopt deep ...``.

``teacher-student`` generates teacher-student data, solves BLASSO on a grid
with :class:`solvers.GridConvex`, prints a table, and writes
``results.json`` and PNG figures into ``--out``. ``deep`` trains a deep
network by Algorithm 1 of Fang et al. (2022) and cross-checks it against
Program (21) (:mod:`solvers.cli_deep`).

The command line is the application layer on top of both packages, so it
lives in :mod:`solvers`, which imports :mod:`measureopt`; :mod:`measureopt`
never imports :mod:`solvers` (``lint-imports`` enforces this, see
``[tool.importlinter]`` in ``pyproject.toml``). The console command keeps the
name ``measureopt``; ``python -m solvers.cli`` runs the same entry point.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import measureopt as mo
from measureopt.io import write_json

from . import GridConvex
from ._cli_args import MAX_SEED, integer, output_dir, real

__all__ = ["main", "run_teacher_student", "build_parser"]


def build_parser():
    """The :mod:`argparse` parser of the ``measureopt`` command."""
    parser = argparse.ArgumentParser(
        prog="measureopt",
        description="Convex, measure-space formulations of neural-network training.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    ts = sub.add_parser(
        "teacher-student",
        help="solve BLASSO on a grid for teacher-student data and compare with the teacher",
        description=(
            "Draw teacher-student data (Akiyama & Suzuki 2021, Assumptions 3.1-3.2), solve "
            "BLASSO (eq. 8) restricted to a quasi-uniform grid with CVXPY, and compare the "
            "solution with the teacher."
        ),
    )
    ts.add_argument("--d", type=integer("d", minimum=2), default=5, help="input dimension, >= 2 (default: 5)")
    ts.add_argument("--m", type=integer("m", minimum=1), default=3, help="teacher width, 1 <= m <= d (default: 3)")
    ts.add_argument("--n", type=integer("n", minimum=1), default=200, help="number of samples (default: 200)")
    ts.add_argument("--reg", type=real("reg", minimum=0, strict=True), default=1e-3,
                    help="regularization lambda, > 0 (default: 1e-3)")
    ts.add_argument("--noise", type=real("noise", minimum=0), default=0.0, help="output noise std, >= 0 (default: 0)")
    ts.add_argument("--grid-size", type=integer("grid size", minimum=1), default=2000,
                    help="grid directions K (default: 2000)")
    ts.add_argument("--seed", type=integer("seed", minimum=0, maximum=MAX_SEED), default=0,
                    help=f"random seed, 0 to {MAX_SEED} (default: 0)")
    ts.add_argument("--backend", default="auto",
                    help="auto (celer for the grid LASSO when installed, else CLARABEL), CLARABEL or SCS")
    ts.add_argument("--out", type=output_dir, default="results",
                    help="output directory, created if needed (default: results/)")
    ts.add_argument("--quiet", action="store_true", help="no progress bar")
    from .cli_deep import add_deep_parser

    add_deep_parser(sub)
    return parser


def run_teacher_student(d=5, m=3, n=200, reg=1e-3, noise=0.0, grid_size=2000, seed=0,
                        backend="auto", out="results", progress=True):
    """Run the teacher-student job and write its outputs.

    Parameters
    ----------
    d, m, n : int
        Dimension, teacher width, number of samples.
    reg : float
        Regularization.
    noise : float
        Output noise standard deviation.
    grid_size : int
        Number of grid directions.
    seed : int
        Seed of the data and of the grid.
    backend : str
        ``"auto"`` (celer when installed, checked by the gridded certificate),
        or a CVXPY backend (``"CLARABEL"``, ``"SCS"``).
    out : str or Path
        Output directory (created).
    progress : bool
        Show a progress bar on standard error.

    Returns
    -------
    dict
        The content of ``results.json``.
    """
    import warnings

    from tqdm.auto import tqdm

    solver = GridConvex(grid=grid_size, backend=backend, random_state=seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)  # before the solve: a bad path fails at once
    stages = ["data", "solve", "compare", "figures"]
    bar = tqdm(total=len(stages), disable=not progress, desc="teacher-student", unit="step",
               file=sys.stderr, leave=False)
    bar.set_postfix_str("data")
    data = mo.teacher_student(n=n, d=d, m=m, seed=seed, noise=noise)
    prob = mo.BLASSO(data.X, data.y, reg=reg)
    bar.update()
    bar.set_postfix_str(f"solve (K={grid_size}, {backend.upper()})")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", mo.ConvergenceWarning)
        warnings.simplefilter("always", mo.SolverFailureWarning)
        result = solver.solve(prob)
    bar.update()
    bar.set_postfix_str("compare")
    w2 = mo.wasserstein_details(result.measure, data.teacher, p=2)
    winf = mo.wasserstein(result.measure, data.teacher, p=np.inf)
    bar.update()
    bar.set_postfix_str("figures")
    figures = _write_figures(prob, result.measure, data.teacher, out)
    bar.update()
    bar.close()

    report = {
        "config": {"d": d, "m": m, "n": n, "reg": reg, "noise": noise, "grid_size": grid_size,
                   "seed": seed, "backend": backend.upper()},
        "solved_with": result.stats.get("backend"),
        "status": str(result.status),
        "message": result.message,
        "warnings": [str(w.message) for w in caught],
        "objective": result.objective,
        "teacher_objective": prob.objective(data.teacher),
        "dual_gap": result.dual_gap,
        "gap_scope": result.gap_scope,
        "relative_gap": result.relative_gap,
        "n_atoms": result.measure.n_atoms,
        "w2_to_teacher": w2.distance,
        "winf_to_teacher": winf,
        "mass_difference_to_teacher": w2.mass_difference,
        "solve_time": result.solve_time,
        "n_iter": result.n_iter,
        "measure": result.measure.to_dict(),
        "teacher": data.teacher.to_dict(),
        "figures": figures,
        "files": {"result": "result.npz", "teacher": "teacher.npz"},
    }
    # the solution and the teacher in measureopt files (Result.load, DiscreteMeasure.load), the report in JSON:
    # both through measureopt.io, the writer of every file the library makes
    result.save(out / "result.npz")
    data.teacher.save(out / "teacher.npz", prob)
    write_json(out / "results.json", report)
    return report


def _write_figures(prob, measure, teacher, out):
    from matplotlib.figure import Figure

    from measureopt import plot

    names = []

    def save(name, draw):
        fig = Figure(figsize=(5.5, 4.2), layout="constrained")
        draw(fig.add_subplot())
        fig.savefig(out / name, dpi=110)
        names.append(name)

    if prob.dim in (2, 3):
        save("measure.png", lambda ax: plot.plot_measure(measure, ax=ax, teacher=teacher))
    save("recovery.png", lambda ax: plot.plot_recovery(measure, teacher, ax=ax))
    save("certificate.png", lambda ax: plot.plot_certificate(prob, measure, ax=ax))
    return names


def _print_table(report, file=None):
    file = sys.stdout if file is None else file
    rows = [
        ("status", report["status"]),
        ("objective J(nu)", f"{report['objective']:.10g}"),
        ("J(teacher)", f"{report['teacher_objective']:.10g}"),
        (f"dual gap ({report['gap_scope']})", f"{report['dual_gap']:.3e} (relative {report['relative_gap']:.2e})"),
        ("atoms", str(report["n_atoms"])),
        ("W2 to teacher", f"{report['w2_to_teacher']:.4f} rad"),
        ("W_inf to teacher", f"{report['winf_to_teacher']:.4f} rad"),
        ("mass difference", f"{report['mass_difference_to_teacher']:.3e}"),
        ("solve time", f"{report['solve_time']:.2f} s"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}", file=file)
    for warning in report["warnings"]:
        print(f"warning: {warning}", file=file)


def main(argv=None):
    """Entry point of the ``measureopt`` console script.

    Returns 0 when the solve succeeded (status ``optimal``, or
    ``optimal_inaccurate`` with a printed warning), 1 when it failed, and 2
    for bad arguments.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    # the checks that involve two flags, still before any work
    if args.command == "teacher-student" and args.m > args.d:
        parser.error(f"argument --m: m must be <= d (--d {args.d}) for orthonormal teacher directions; got {args.m}")
    if args.command == "deep" and args.layers >= 2 and args.reg == 0:
        parser.error(f"argument --reg: reg must be > 0 when --layers >= 2; got {args.reg:g}")
    if args.command == "teacher-student":
        start = time.perf_counter()
        try:
            report = run_teacher_student(
                d=args.d, m=args.m, n=args.n, reg=args.reg, noise=args.noise,
                grid_size=args.grid_size, seed=args.seed, backend=args.backend, out=args.out,
                progress=not args.quiet,
            )
        except (ValueError, TypeError) as exc:
            parser.exit(2, f"measureopt teacher-student: error: {exc}\n")
        _print_table(report)
        files = ", ".join(["results.json", *report["files"].values(), *report["figures"]])
        print(f"wrote {files} into {Path(args.out)} in {time.perf_counter() - start:.1f} s")
        return 0 if report["status"] in ("optimal", "optimal_inaccurate") else 1
    if args.command == "deep":
        from .cli_deep import print_deep_table, run_deep

        start = time.perf_counter()
        try:
            report, check = run_deep(layers=args.layers, width=args.width, n=args.n, reg=args.reg,
                                     reg_u=args.reg_u, step=args.step, iters=args.iters, seed=args.seed,
                                     out=args.out, progress=not args.quiet, threads=args.threads)
        except (ValueError, TypeError) as exc:
            parser.exit(2, f"measureopt deep: error: {exc}\n")
        print_deep_table(report, check)
        files = ", ".join(["results.json", *report["files"].values(), *report["figures"]])
        print(f"wrote {files} into {Path(args.out)} in {time.perf_counter() - start:.1f} s")
        return 0 if check.status in ("optimal", "optimal_inaccurate") else 1
    return 2  # pragma: no cover - argparse requires a command


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
