"""``measureopt sweep SPEC`` and ``measureopt sweep-plot STORE``: parameter sweeps on Dask.

``sweep`` runs the tasks of a spec (a TOML file: an experiment and a
parameter grid, :mod:`solvers.sweeps.spec`) on a Dask LocalCluster, or on an
existing cluster with ``--scheduler``, and writes each finished task at once
into an SQLite store; running it again skips what is done. ``sweep-plot``
draws a metric of the store over two parameters (a phase diagram) or one.
See :mod:`solvers.sweeps` and ``docs/sweeps.rst``.

Exit status of ``sweep``: 0 when every task of the spec is done, 1 when some
are recorded with an error (listed), 2 for a bad spec, store or flag, 130
when interrupted (what was recorded stays; run it again to complete).
"""

import sys
import textwrap
from pathlib import Path

from ._cli_args import integer

__all__ = ["add_parsers", "run"]


def _experiment_list():
    from .sweeps import EXPERIMENTS

    lines = ["experiments (parameters and metrics: docs/sweeps.rst, or help(solvers.sweeps.experiments.NAME)):"]
    for name, exp in EXPERIMENTS.items():
        lines.append(f"  {name:<9} {exp.summary.replace('``', '').rstrip('.')}")
    return "\n".join(lines)


def add_parsers(sub):
    """Register the ``sweep`` and ``sweep-plot`` subcommands on an argparse subparsers object."""
    import argparse

    p = sub.add_parser(
        "sweep",
        help="run a parameter sweep (a TOML spec) on Dask, resumable, results in SQLite",
        description=textwrap.fill(
            "Run every task of SPEC (a TOML file naming an experiment and a parameter grid) on Dask "
            "distributed, writing each finished task at once into an SQLite store keyed by its parameters "
            "and code version. A re-run skips the finished tasks.", width=88),
        epilog=_experiment_list(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("spec", help="the spec, a TOML file (see docs/sweeps.rst)")
    p.add_argument("--store", help="the results store, an SQLite file (default: the spec's 'store', else "
                                   "SPEC with the suffix .sqlite)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="address of a running Dask scheduler (e.g. tcp://10.0.0.5:8786), used as it is; "
                        "default: a LocalCluster on this machine")
    p.add_argument("--workers", type=integer("workers", minimum=1),
                   help="LocalCluster worker processes, one thread each (default: this machine's CPUs, at most "
                        "one per pending task)")
    p.add_argument("--retry-errors", action="store_true", help="run again the tasks recorded with an error")
    p.add_argument("--dry-run", action="store_true", help="check the spec, count the tasks to run, run nothing")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no messages but the summary")

    q = sub.add_parser(
        "sweep-plot",
        help="draw a metric of a sweep store over one or two parameters (phase diagram)",
        description=(
            "Draw METRIC from the finished tasks of STORE: a heatmap over --x and --y with a colorbar, each "
            "cell labelled with its value and its number of tasks, reduced over the other parameters "
            "(seeds); a curve over --x when the sweep varies one parameter or --y is 'none'."
        ),
    )
    q.add_argument("store", help="the SQLite store written by 'measureopt sweep'")
    q.add_argument("--x", help="parameter on the horizontal axis (default: the first swept parameter "
                               "other than seed)")
    q.add_argument("--y", help="parameter on the vertical axis (default: the second one; 'none' for a curve)")
    q.add_argument("--metric", help="the metric (default: the experiment's, e.g. sfw_recovered_mass for recovery)")
    q.add_argument("--experiment", help="the experiment, when the store holds several")
    q.add_argument("--reduce", choices=("mean", "median", "geomean"),
                   help="how the tasks of a cell are combined (default: the experiment's: mean, geomean for width)")
    q.add_argument("--where", action="append", default=[], metavar="PARAM=VALUE",
                   help="keep the tasks with this parameter value (repeatable), e.g. --where d=3")
    q.add_argument("--log", action="store_true", default=None,
                   help="logarithmic colour scale (default for losses)")
    q.add_argument("--out", help="the PNG file (default: STORE's folder, <store>-<metric>.png)")
    return p, q


def run(args, parser):
    """Run ``sweep`` or ``sweep-plot`` from parsed arguments; returns the exit status."""
    if args.command == "sweep":
        return _sweep(args, parser)
    return _plot(args, parser)


def _sweep(args, parser):
    from measureopt.exceptions import FileFormatError

    from .sweeps import SpecError, Store, load_spec, run_sweep

    def fail(message, status=2):
        parser.exit(status, f"measureopt sweep: error: {message}\n")

    try:
        spec = load_spec(args.spec)
    except SpecError as exc:
        fail(exc)
    store = args.store or spec.store or Path(args.spec).with_suffix(".sqlite")
    say = (lambda message: None) if args.quiet else (lambda message: print(message, file=sys.stderr))
    if args.dry_run:
        tasks = spec.tasks()
        recorded = {}
        if Path(store).exists():
            try:
                with Store(store, create=False) as db:
                    recorded = db.statuses(t.key for t in tasks)
            except FileFormatError as exc:
                fail(exc)
        statuses = [recorded.get(t.key) for t in tasks]
        n_err = statuses.count("error")
        print(f"{spec.name}: experiment {spec.experiment.name} (code {spec.experiment.code_version}), "
              f"{len(tasks)} tasks over {' x '.join(f'{k} ({len(v)})' for k, v in spec.grid.items()) or 'no grid'}; "
              f"{statuses.count('done')} done, {n_err} with an error, "
              f"{len(tasks) - statuses.count('done') - (0 if args.retry_errors else n_err)} to run; store {store}")
        return 0
    try:
        summary = run_sweep(spec, store, scheduler=args.scheduler, workers=args.workers,
                            retry_errors=args.retry_errors, progress=not args.quiet, log=say)
    except FileFormatError as exc:
        fail(exc)
    except KeyboardInterrupt:
        print(f"\nmeasureopt sweep: interrupted; the finished tasks are in {store}: run the same command again "
              "to complete the sweep", file=sys.stderr)
        return 130
    except (OSError, TimeoutError) as exc:
        fail(f"cannot reach the Dask scheduler {args.scheduler}: {exc}" if args.scheduler else exc, 1)
    ran = summary.done + summary.errors
    print(f"{spec.name}: {_count(summary.n_tasks, 'task')}, {summary.skipped} already recorded, {ran} run on "
          f"{_count(summary.workers, 'worker')} ({summary.done} done, {_count(summary.errors, 'error')}) in "
          f"{summary.seconds:.1f} s; store {summary.store}")
    if summary.pending_errors:
        keys = {t.key for t in spec.tasks()}
        with Store(summary.store) as db:
            failed = [r for r in db.rows(status="error", decode_json=True) if r["key"] in keys]
        print(f"{_count(len(failed), 'task')} recorded with an error (--retry-errors runs them again):",
              file=sys.stderr)
        for row in failed[:5]:
            params = ", ".join(f"{k}={v}" for k, v in row["params"].items() if k in spec.grid)
            print(f"  {params}: {row['error']}", file=sys.stderr)
        if len(failed) > 5:
            print(f"  ... and {len(failed) - 5} more (the store has each traceback)", file=sys.stderr)
        return 1
    return 0


def _count(n, noun):
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _value(text):
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def _plot(args, parser):
    from measureopt.exceptions import FileFormatError

    from .sweeps import Store, get_experiment
    from .sweeps.plot import latest_rows, plot_phase_diagram, varying_parameters

    def fail(message):
        parser.exit(2, f"measureopt sweep-plot: error: {message}\n")

    where = {}
    for item in args.where:
        name, sep, value = item.partition("=")
        if not sep or not name:
            fail(f"argument --where: expected PARAM=VALUE; got {item!r}")
        where[name] = _value(value)
    try:
        with Store(args.store, create=False) as db:
            counts = db.counts()
            experiment = args.experiment
            if experiment is None:
                if len(counts) != 1:
                    fail(f"{args.store} holds no task" if not counts else
                         f"{args.store} holds several experiments ({', '.join(sorted(counts))}); choose one "
                         "with --experiment")
                experiment = next(iter(counts))
            elif experiment not in counts:
                fail(f"argument --experiment: {args.store} has no task of {experiment!r} "
                     f"(it has {', '.join(sorted(counts)) or 'none'})")
            rows = latest_rows(db.rows(experiment=experiment, status="done"), where)
    except (FileNotFoundError, FileFormatError) as exc:
        fail(exc)
    if not rows:
        fail(f"no finished task of {experiment!r} in {args.store}" + (f" with {args.where}" if where else ""))
    try:
        exp = get_experiment(experiment)
        order = list(exp.parameters)
    except KeyError:
        exp, order = None, []
    varying = sorted(varying_parameters(rows), key=lambda p: (order.index(p) if p in order else len(order), p))
    axes = [p for p in varying if p != "seed"]
    x = args.x or (axes[0] if axes else None)
    y = None if (args.y or "").lower() == "none" else (args.y or next((p for p in axes if p != x), None))
    if x is None:
        fail("the tasks differ in no parameter but seed; choose --x")
    metric = args.metric or (exp.default_metric if exp is not None else None)
    if metric is None:
        fail("choose --metric (the metrics: " + ", ".join(sorted(rows[0]["metrics"])) + ")")
    reduce = args.reduce or (exp.reduce if exp is not None else "mean")
    default_log = exp is not None and exp.log_metric and metric == exp.default_metric
    log = args.log if args.log is not None else bool(default_log)
    out = Path(args.out) if args.out else Path(args.store).with_name(f"{Path(args.store).stem}-{metric}.png")

    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, 5.2), layout="constrained")
    try:
        plot_phase_diagram(rows, x, y, metric, reduce=reduce, ax=fig.add_subplot(), log=log)
    except ValueError as exc:
        fail(exc)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=120)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    print(f"wrote {out}: {metric} ({reduce}) over {x}" + (f" and {y}" if y else "") + f", {len(rows)} tasks")
    return 0
