"""The main job's machinery, part by part (``--part``; all parts by default).

``stages`` (``measureopt teacher-student``, :mod:`solvers.main_job`): the wall
time of each stage at the README's size (d = 5, m = 3, n = 200, reg = 1e-3,
K = 2000, M = 100, 10000 steps, certificates of 10 s), ``--repeat-stages``
runs (2) in this process after one warm-up run at a tiny size (imports), with
the total against the 60 s goal.

``sweep`` (``measureopt sweep``, :mod:`solvers.sweeps`):

1. **Speed-up**: the same 24 tasks on a Dask LocalCluster of 1 worker and of
   2 workers (one process each, one thread), in this one run: 24 ``sleep``
   tasks of ``--seconds`` (no CPU: the ideal ratio is 2, what is lost is the
   runner's and Dask's overhead) and 24 small ``recovery`` tasks (CPU-bound:
   d = 3, m = 2, n in {25, 50, 100} x reg in {0.01, 0.03, 0.1, 0.3} x 2
   seeds, Algorithm 1 for 500 iterations, local certificates). Each cluster
   is started and warmed up (its workers import the solvers) before the
   timing; the times are wall times of :func:`solvers.sweeps.run_sweep`
   into a fresh store, and the cluster start is printed apart.
2. **Store overhead per task**: 24 ``sleep`` tasks of 0 s on the 2-worker
   cluster through ``run_sweep`` (keys, the store's lookup, one committed
   row per task) against the same tasks submitted with
   ``client.submit(execute_task, ...)`` and gathered with ``as_completed``
   without a store; median of ``--repeat`` (5) alternating runs. And the write
   alone: :meth:`Store.record` of one row (the JSON of the metrics, one
   SQLite transaction in WAL mode), timed over 2000 rows.

On a shared machine the ratios move with the other users' load: read them
with the load average printed first.

Usage: python benchmarks/main_job.py [--part stages|sweep] [--seconds 0.25] [--repeat 5] [--repeat-stages 2]
"""

import argparse
import json
import logging
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path

from solvers.sweeps import Store, parse_spec, run_sweep
from solvers.sweeps.experiments import recovery, sleep
from solvers.sweeps.runner import execute_task

N_TASKS = 24
RECOVERY_SPEC = """
experiment = "recovery"
[params]
d = 3
m = 2
max_iter = 500
certify = "local"
[grid]
n = [25, 50, 100]
reg = [0.01, 0.03, 0.1, 0.3]
seed = [0, 1]
"""


def _sleep_spec(seconds, n=N_TASKS):
    return parse_spec(f'experiment = "sleep"\n[params]\nseconds = {float(seconds)!r}\n[grid]\n'
                      f"index = {list(range(n))}\n")


def _cluster(n_workers):
    import distributed

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Port .* is already in use", UserWarning)
        cluster = distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=logging.ERROR)
    client = distributed.Client(cluster)
    up = time.perf_counter() - start
    # warm-up: every worker imports the solvers and runs one small recovery task
    warm = {"n": 20, "reg": 0.05, "d": 3, "m": 2, "max_iter": 50, "certify": "local"}
    futures = [client.submit(execute_task, recovery, warm, pure=False, workers=[w])
               for w in client.scheduler_info(n_workers=-1)["workers"]]
    client.gather(futures)
    return cluster, client, up, time.perf_counter() - start - up


def _timed_sweep(spec, client, folder, name):
    """(wall seconds of run_sweep into a fresh store, sum of the tasks' durations measured on the workers)."""
    start = time.perf_counter()
    summary = run_sweep(spec, Path(folder) / f"{name}.sqlite", client=client, progress=False)
    seconds = time.perf_counter() - start
    if summary.done != spec.n_tasks:
        raise RuntimeError(f"{name}: {summary.done} of {spec.n_tasks} tasks done, {summary.errors} errors")
    with Store(summary.store) as db:
        busy = sum(r["duration"] for r in db.rows(decode_json=False))
    return seconds, busy


def _without_store(spec, client):
    import distributed

    start = time.perf_counter()
    futures = [client.submit(execute_task, spec.experiment.function, t.params, pure=False) for t in spec.tasks()]
    for future, result in distributed.as_completed(futures, with_results=True):  # as run_sweep gathers them
        if result["status"] != "done":
            raise RuntimeError("a task failed")
        future.release()
    return time.perf_counter() - start


def part_sweep(args):
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"machine: {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1, 5, 15 min)")
    sleeps = _sleep_spec(args.seconds)
    rec = parse_spec(RECOVERY_SPEC)
    assert sleeps.n_tasks == rec.n_tasks == N_TASKS
    times = {}
    with tempfile.TemporaryDirectory() as folder:
        for workers in (1, 2):
            cluster, client, up, warm = _cluster(workers)
            try:
                times[workers] = {"sleep": _timed_sweep(sleeps, client, folder, f"sleep{workers}"),
                                  "recovery": _timed_sweep(rec, client, folder, f"recovery{workers}")}
                print(f"{workers} worker(s): cluster start {up:.1f} s, warm-up {warm:.1f} s")
                if workers == 2:
                    zero = _sleep_spec(0.0)
                    with_store, without = [], []
                    for i in range(args.repeat):
                        without.append(_without_store(zero, client))
                        with_store.append(_timed_sweep(zero, client, folder, f"zero{i}")[0])
            finally:
                client.close()
                cluster.close()
        row_cost = _record_cost(Path(folder) / "rows.sqlite", 2000)

    print(f"\n{N_TASKS} tasks, wall time of run_sweep (s)   1 worker   2 workers   speed-up"
          "   sum of task times (s), 1 / 2 workers")
    for kind, label in (("sleep", f"sleep {args.seconds:g} s (no CPU)"),
                        ("recovery", "recovery, small (CPU-bound)")):
        (t1, b1), (t2, b2) = times[1][kind], times[2][kind]
        print(f"  {label:36s} {t1:8.2f}   {t2:9.2f}   {t1 / t2:6.2f}x   {b1:8.2f} / {b2:.2f}")
    ideal = N_TASKS * args.seconds
    print(f"  (sleep ideal: {ideal:.2f} s and {ideal / 2:.2f} s, 2.00x; a sum of task times that grows with 2 "
          "workers means they competed for the CPUs)")
    ws, wo = statistics.median(with_store), statistics.median(without)
    print(f"\nstore overhead, {N_TASKS} sleep tasks of 0 s on 2 workers, median of {args.repeat}:")
    print(f"  run_sweep with the store {ws:.3f} s, submit + as_completed without it {wo:.3f} s: "
          f"{(ws - wo) / N_TASKS * 1e3:+.1f} ms per task")
    print(f"  runs with the store: {', '.join(f'{t:.3f}' for t in with_store)} s; "
          f"without: {', '.join(f'{t:.3f}' for t in without)} s")
    print(f"  Store.record alone (encode the metrics, one committed SQLite row, WAL): {row_cost * 1e3:.2f} ms per row")


def _record_cost(path, n):
    metrics = json.dumps(sleep(seconds=0.0, index=0))
    with Store(path) as db:
        start = time.perf_counter()
        for i in range(n):
            db.record(f"k{i}", "sleep", json.dumps({"index": i}), "v", "done", metrics=metrics,
                      started="2026-01-01T00:00:00+00:00", finished="2026-01-01T00:00:00+00:00", duration=0.0,
                      worker="tcp://127.0.0.1:1")
        return (time.perf_counter() - start) / n


def part_stages(args):
    from solvers.main_job import run_teacher_student

    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_teacher_student(d=3, m=2, n=20, grid_size=50, sfw_iter=5, width=5, iters=10, certify_budget=1,
                            out=Path(tmp) / "warm", progress=False)  # imports, caches
        print(f"  load average {os.getloadavg()[0]:.2f}")
        for rep in range(args.repeat_stages):
            start = time.perf_counter()
            report = run_teacher_student(out=Path(tmp) / f"run{rep}", progress=False)
            total = time.perf_counter() - start
            stages = ", ".join(f"{k} {v:.2f} s" for k, v in report["stage_times"].items())
            rows = {r["solution"]: r for r in report["rows"]}
            print(f"  run {rep + 1}: total {total:.1f} s (goal < 60 s); {stages}")
            print(f"    convex gap {rows['convex']['gap']:.2e} ({rows['convex']['gap_scope']}"
                  f"{', budget exhausted' if rows['convex']['gap_exhausted'] else ''}), "
                  f"J* in [{report['optimum']['lower']:.10g}, {report['optimum']['upper']:.10g}]")


#: name -> function(args); the parts of the main job's benchmark.
PARTS = {"stages": part_stages, "sweep": part_sweep}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=sorted(PARTS), action="append",
                        help="the part to run (repeatable; default: all)")
    parser.add_argument("--seconds", type=float, default=0.25, help="length of a sleep task (default: 0.25)")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of the overhead timing (default: 5)")
    parser.add_argument("--repeat-stages", type=int, default=2, help="runs of the main job (default: 2)")
    args = parser.parse_args(argv)
    for name in args.part or PARTS:
        print(f"== {name}")
        PARTS[name](args)


if __name__ == "__main__":  # the LocalCluster's workers re-import this file (spawn): keep the work behind this
    main()
