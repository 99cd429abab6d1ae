"""Command line: ``measureopt teacher-student ...`` (the main job) and ``measureopt deep ...``.

``teacher-student`` is the main job (:mod:`solvers.main_job`): teacher-student
data, the convex optimum off the grid, the gridded optimum, a network trained
by Algorithm 1 and the teacher, compared in one table with certified gaps and
Wasserstein distances; it writes ``results.json``, the solutions, PNG figures
and ``report.html`` into ``--out``. ``deep`` trains a deep
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

from ._cli_args import MAX_SEED, integer, output_dir, real
from .main_job import print_table, run_teacher_student

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
        help="the convex optimum, the grid, a trained network and the teacher, compared with certified gaps",
        description=(
            "Draw teacher-student data (Akiyama & Suzuki 2021, Assumptions 3.1-3.2); solve BLASSO (eq. 8) off "
            "the grid with sliding Frank-Wolfe (certified on the sphere) and on a grid with CVXPY; train a "
            "two-layer network by Algorithm 1; cross-check every solution against the convex optimum and the "
            "teacher, and write a table, results.json, the solutions (.npz), figures and report.html."
        ),
    )
    ts.add_argument("--d", type=integer("d", minimum=2), default=5, help="input dimension, >= 2 (default: 5)")
    ts.add_argument("--m", type=integer("m", minimum=1), default=3, help="teacher width, 1 <= m <= d (default: 3)")
    ts.add_argument("--n", type=integer("n", minimum=1), default=200, help="number of samples (default: 200)")
    ts.add_argument("--reg", type=real("reg", minimum=0, strict=True), default=1e-3,
                    help="regularization lambda, > 0 (default: 1e-3)")
    ts.add_argument("--noise", type=real("noise", minimum=0), default=0.0, help="output noise std, >= 0 (default: 0)")
    ts.add_argument("--seed", type=integer("seed", minimum=0, maximum=MAX_SEED), default=0,
                    help=f"random seed, 0 to {MAX_SEED} (default: 0)")
    ts.add_argument("--sfw-iter", type=integer("sfw iter", minimum=1), default=50,
                    help="iterations of sliding Frank-Wolfe, the convex optimum (default: 50)")
    ts.add_argument("--grid-size", type=integer("grid size", minimum=1), default=2000,
                    help="grid directions K of the gridded problem (default: 2000)")
    ts.add_argument("--backend", default="auto",
                    help="the grid's backend: auto (celer when installed, else CLARABEL), CLARABEL or SCS")
    ts.add_argument("--width", type=integer("width", minimum=1), default=100,
                    help="neurons M of the network trained by Algorithm 1 (default: 100)")
    ts.add_argument("--iters", type=integer("iters", minimum=1), default=10000,
                    help="gradient steps of the network (default: 10000)")
    ts.add_argument("--step-size", type=real("step size", minimum=0, strict=True), default=2.0,
                    help="step size of Algorithm 1 (default: 2.0)")
    ts.add_argument("--skip", nargs="+", default=[], choices=["convex", "grid", "network"], metavar="STAGE",
                    help="stages to leave out: convex, grid, network")
    ts.add_argument("--certify-budget", type=real("certify budget", minimum=0, strict=True), default=10.0,
                    help="seconds of each certificate on the sphere; past it a gap is valid but loose (default: 10)")
    ts.add_argument("--out", type=output_dir, default="results",
                    help="output directory, created if needed (default: results/)")
    ts.add_argument("--quiet", action="store_true", help="no progress bar")
    from .cli_deep import add_deep_parser

    add_deep_parser(sub)
    from .cli_sweep import add_parsers as add_sweep_parsers

    add_sweep_parsers(sub)
    return parser


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
                d=args.d, m=args.m, n=args.n, reg=args.reg, noise=args.noise, seed=args.seed,
                grid_size=args.grid_size, backend=args.backend, sfw_iter=args.sfw_iter, width=args.width,
                iters=args.iters, step_size=args.step_size, skip=args.skip, certify_budget=args.certify_budget,
                out=args.out, progress=not args.quiet,
            )
        except (ValueError, TypeError) as exc:
            parser.exit(2, f"measureopt teacher-student: error: {exc}\n")
        print_table(report)
        files = ", ".join(["results.json", "report.html", *report["files"].values(), *report["figures"]])
        print(f"wrote {files} into {Path(args.out)} in {time.perf_counter() - start:.1f} s")
        statuses = [row["status"] for row in report["rows"] if row["solution"] in ("convex", "grid")]
        return 0 if all(s in ("optimal", "optimal_inaccurate") for s in statuses) else 1
    if args.command in ("sweep", "sweep-plot"):
        from .cli_sweep import run as run_sweep_command

        return run_sweep_command(args, parser)
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
