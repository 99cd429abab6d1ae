r"""Run a spec's tasks on Dask ``distributed`` and write each outcome to the store as it arrives.

:func:`run_sweep`:

1. lists the spec's tasks and their keys, and asks the store which are
   already recorded: ``done`` tasks are skipped, ``error`` tasks too unless
   ``retry_errors``;
2. connects a ``distributed.Client`` to ``scheduler`` when given (an
   existing cluster, used unchanged: the way out when one machine is
   outgrown), or else starts a ``distributed.LocalCluster`` of
   ``workers`` processes (default: the CPUs this process may use, at most
   one per pending task), one thread each, no dashboard;
3. submits every pending task (:func:`execute_task` on a worker; the
   experiment function travels by reference, so it must be importable there);
4. consumes the futures with ``distributed.as_completed`` and writes each
   outcome as one row, committed before the next is read, then releases the
   future; Dask's text progress bar (``distributed.diagnostics.progressbar.TextProgressBar``,
   on standard output) runs meanwhile in a thread.

What a failure costs. An exception raised by an experiment is caught on the
worker and recorded (status ``error``, the message and the traceback); the
sweep goes on. Each result is fetched into the client as soon as its task
ends (``as_completed(with_results=True)``). A worker that dies (SIGKILL, out
of memory) is restarted by its nanny, and the scheduler reruns its running
task, and a finished one whose result had not yet reached the client,
elsewhere; a task that kills ``distributed.scheduler.allowed-failures + 1``
workers is recorded as an error (``KilledWorker``). If the client dies, its
LocalCluster's workers exit with it (they watch their parent); every row
committed so far stays, and running the same spec again computes only the
tasks without a ``done`` row. A task is therefore recorded exactly once,
and a recorded task never runs again; a task that was running (or had
finished but not yet been written) when a process died runs again.
"""

import os
import sys
import threading
import time
import traceback as _traceback
from dataclasses import dataclass
from pathlib import Path

from measureopt._frozen import Record

__all__ = ["run_sweep", "execute_task", "SweepSummary", "default_workers"]


@dataclass(frozen=True, eq=False)
class SweepSummary(Record):
    """What :func:`run_sweep` did.

    Attributes
    ----------
    store : Path
    n_tasks : int
        Tasks in the spec.
    skipped : int
        Already ``done`` (or ``error``, without ``retry_errors``) before the run.
    done, errors : int
        Outcomes recorded by this run.
    pending_errors : int
        Tasks of the spec whose row says ``error`` after the run (this run's
        and earlier runs' when they were not retried).
    seconds : float
        Wall time of the run, cluster start and stop included.
    workers : int
        Workers of the cluster (0 when nothing ran).
    """

    store: Path
    n_tasks: int
    skipped: int
    done: int
    errors: int
    pending_errors: int
    seconds: float
    workers: int


def default_workers():
    """int: the CPUs this process may run on (``os.sched_getaffinity`` where it exists, else ``os.cpu_count()``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def execute_task(function, params):
    """Run one task on a worker: ``function(**params)``, timed, its exception caught.

    Returns
    -------
    dict
        ``status`` (``"done"`` or ``"error"``), ``metrics`` (the JSON text of
        :func:`measureopt.io.encode` of the returned dict, or ``None``),
        ``error`` and ``traceback`` (or ``None``), ``started`` and
        ``finished`` (ISO 8601 UTC), ``duration`` (seconds), ``worker``
        (the Dask worker's address, or ``"local"`` outside a worker).
        A returned value that is not a dict with string keys, or that
        :func:`~measureopt.io.encode` cannot store, is an error.
    """
    import json

    from measureopt.io import encode

    from .store import utc_now

    started = utc_now()
    t0 = time.perf_counter()
    metrics = error = tb = None
    try:
        value = function(**params)
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise TypeError(f"an experiment must return a dict of metrics with string keys; got "
                            f"{type(value).__name__}")
        metrics = json.dumps(encode(value, where="metrics"), allow_nan=False)
        status = "done"
    except Exception as exc:  # recorded; BaseException (KeyboardInterrupt, SystemExit) goes to Dask
        status, error, tb = "error", f"{type(exc).__name__}: {exc}", _traceback.format_exc()
    duration = time.perf_counter() - t0
    try:
        from distributed import get_worker

        worker = get_worker().address
    except (ImportError, ValueError):
        worker = "local"
    return {"status": status, "metrics": metrics, "error": error, "traceback": tb, "started": started,
            "finished": utc_now(), "duration": duration, "worker": worker}


def _failure(future, result):
    """The outcome of a future that Dask itself failed (worker killed too often, unpicklable result, cancelled)."""
    from .store import utc_now

    if isinstance(result, tuple) and len(result) == 3:  # (type, exception, traceback) of an erred future
        _, exc, tb = result
    else:  # CancelledError, or anything else as_completed hands back
        exc, tb = result if isinstance(result, BaseException) else RuntimeError(f"task {future.status}"), None
    text = "".join(_traceback.format_exception(type(exc), exc, tb)) if tb is not None else repr(exc)
    return {"status": "error", "metrics": None, "error": f"{type(exc).__name__}: {exc}", "traceback": text,
            "started": None, "finished": utc_now(), "duration": None, "worker": None}


def _progress_thread(futures, address):
    """Dask's text progress bar over ``futures``, drawn from a daemon thread while the main thread writes rows.

    Returns the thread and an event set once the bar has started tracking
    (its first drawing comes after the scheduler-side setup) or has failed:
    until then no future may be released, or the bar's setup, which waits
    for every key it tracks to exist on the scheduler, would never end.
    """
    from distributed.diagnostics.progressbar import TextProgressBar

    started = threading.Event()

    class Bar(TextProgressBar):
        def _draw_bar(self, *args, **kwargs):
            started.set()
            super()._draw_bar(*args, **kwargs)

    def draw():
        try:
            Bar(futures, scheduler=address, interval="200ms", complete=True)
        except Exception:  # noqa: BLE001 - a progress bar must never stop a sweep
            pass
        finally:
            started.set()

    thread = threading.Thread(target=draw, name="sweep-progress", daemon=True)
    thread.start()
    return thread, started


def run_sweep(spec, store=None, *, scheduler=None, workers=None, client=None, retry_errors=False, progress=True,
              log=None):
    """Run the pending tasks of ``spec`` on Dask and record each in the store.

    Parameters
    ----------
    spec : Spec, str or Path
        A parsed spec or a spec file.
    store : str or Path, optional
        The store; by default the spec's ``store``, else ``<spec file
        stem>.sqlite`` beside the spec (``sweep.sqlite`` in the current
        folder for a spec without a file).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); its
        cluster is used as it is.
    workers : int, optional
        Workers of the LocalCluster when neither ``scheduler`` nor ``client``
        is given; default ``default_workers()``, capped at the number of
        pending tasks.
    client : distributed.Client, optional
        Use this client (left open); overrides ``scheduler`` and ``workers``.
    retry_errors : bool, default=False
        Run again the tasks recorded with an error.
    progress : bool, default=True
        Draw Dask's progress bar on standard output, when standard output is
        a terminal (the bar redraws one line; in a log or a pipe it is left
        out). The bar runs in a thread with its own connection to the
        scheduler; in about one run out of six of the test suite, under
        load, a sweep with the bar on an external scheduler (``--scheduler``)
        and captured output stopped receiving results (root cause not found
        yet), which the terminal-only rule also keeps out of logs and CI.
    log : callable, optional
        Called with one-line messages (what is skipped, the cluster).

    Returns
    -------
    SweepSummary

    Examples
    --------
    >>> import tempfile, os
    >>> from solvers.sweeps import parse_spec, run_sweep
    >>> spec = parse_spec('experiment = "sleep"\\n[params]\\nseconds = 0.0\\n[grid]\\nindex = [0, 1]\\n')
    >>> out = run_sweep(spec, os.path.join(tempfile.mkdtemp(), "s.sqlite"), workers=1, progress=False)  # doctest: +SKIP
    >>> out.done  # doctest: +SKIP
    2
    """
    from .spec import Spec, load_spec
    from .store import Store

    start = time.perf_counter()
    log = log or (lambda message: None)
    if not isinstance(spec, Spec):
        spec = load_spec(spec)
    if store is None:
        store = spec.store
    if store is None:
        store = spec.path.with_suffix(".sqlite") if spec.path is not None else Path("sweep.sqlite")
    if workers is not None and int(workers) < 1:
        raise ValueError(f"workers must be >= 1; got {workers}")
    tasks = spec.tasks()
    with Store(store) as db:
        recorded = db.statuses(t.key for t in tasks)
        skip = {"done"} | (set() if retry_errors else {"error"})
        pending = [t for t in tasks if recorded.get(t.key) not in skip]
        old_errors = sum(1 for t in tasks if recorded.get(t.key) == "error")
        if len(tasks) > len(pending):
            done_before = sum(1 for t in tasks if recorded.get(t.key) == "done")
            log(f"{done_before} of {len(tasks)} tasks already done in {db.path}"
                + (f", {old_errors} recorded with an error (--retry-errors runs them again)"
                   if old_errors and not retry_errors else ""))
        done = errors = n_workers = 0
        if pending:
            with _connect(client, scheduler, workers, len(pending)) as dask_client:
                n_workers = len(dask_client.scheduler_info(n_workers=-1)["workers"])
                if n_workers == 0:
                    log("the scheduler has no worker yet: the tasks wait for one")
                log(f"running {len(pending)} tasks on {n_workers} Dask workers "
                    f"({'scheduler ' + dask_client.scheduler.address if scheduler or client else 'LocalCluster'})")
                done, errors = _run(dask_client, spec.experiment, pending, db, progress)
        after = db.statuses(t.key for t in tasks)
    return SweepSummary(Path(store), len(tasks), len(tasks) - len(pending), done, errors,
                        sum(1 for s in after.values() if s == "error"), time.perf_counter() - start, n_workers)


class _connect:
    """The Dask client of a run: the caller's, one on ``scheduler``, or one on a new LocalCluster; closed on exit."""

    def __init__(self, client, scheduler, workers, n_pending):
        self.given, self.scheduler = client, scheduler
        self.workers = min(int(workers) if workers is not None else default_workers(), n_pending)
        self.cluster = self.client = None

    def __enter__(self):
        import logging
        import warnings

        import distributed

        if self.given is not None:
            return self.given
        if self.scheduler is not None:
            self.client = distributed.Client(self.scheduler, timeout="30s")
            return self.client
        with warnings.catch_warnings():
            # no dashboard; the scheduler's small HTTP server (health, metrics) moves off a busy port 8787 quietly
            warnings.filterwarnings("ignore", "Port .* is already in use", UserWarning)
            self.cluster = distributed.LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                                    dashboard_address=None, silence_logs=logging.ERROR)
        try:
            self.client = distributed.Client(self.cluster)
        except BaseException:
            self.cluster.close()
            raise
        return self.client

    def __exit__(self, *exc):
        for closing in (self.client, self.cluster):
            if closing is not None:
                try:
                    closing.close()
                except Exception:  # noqa: BLE001 - closing after an interrupt may find the comms gone
                    pass


def _run(client, experiment, pending, db, progress):
    """Submit ``pending``, write each outcome as it completes; returns (done, errors).

    ``as_completed(with_results=True)`` gathers each result into this
    process as soon as its task ends, so a worker that dies afterwards takes
    no finished result with it; the future is released once its row is
    committed (a released result is not recomputed when its worker dies).
    """
    import distributed

    futures = {}
    for task in pending:
        future = client.submit(execute_task, experiment.function, task.params, pure=False,
                               key=f"{_key_prefix(experiment.name)}-{task.key[:16]}")
        futures[future.key] = (future, task)
    progress = progress and sys.stdout.isatty()
    bar, started = (_progress_thread([f for f, _ in futures.values()], client.scheduler.address) if progress
                    else (None, None))
    done = errors = 0
    held = []
    for future, result in distributed.as_completed([f for f, _ in futures.values()], with_results=True,
                                                   raise_errors=False):
        _, task = futures.pop(future.key)
        outcome = result if future.status == "finished" else _failure(future, result)
        db.record(task.key, task.experiment, task.params_json, task.code_version, **outcome)
        done += outcome["status"] == "done"
        errors += outcome["status"] == "error"
        held.append(future)
        if started is None or started.is_set():
            for f in held:
                f.release()
            held.clear()
    if bar is not None:
        bar.join(timeout=5.0)
        sys.stdout.flush()
    return done, errors


def _key_prefix(name):
    """A Dask key prefix from an experiment name (the progress bar and the dashboard group by it)."""
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name.rsplit(":", 1)[-1]) or "task"
