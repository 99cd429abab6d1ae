"""Sweeps on Dask (``measureopt sweep``): specs, keys, the SQLite store, resuming after a kill, failures, plots.

One 2-worker LocalCluster serves the in-process sweeps of this module; the
kill-and-resume test starts the command line in a subprocess (its own
cluster), SIGKILLs it mid-sweep, and completes the sweep with ``main``.
The diagnostic ``sleep`` experiment leaves a marker file each time a task
starts, which is how the tests count executions.
"""

import datetime
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from measureopt.exceptions import FileFormatError
from solvers.cli import main
from solvers.sweeps import (EXPERIMENTS, SpecError, Store, code_version, load_spec, parse_spec, run_sweep,
                            task_key)
from solvers.sweeps.plot import latest_rows, reduce_metric

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parent.parent
BASE = 'experiment = "sleep"\n'


@pytest.fixture(scope="module")
def client():
    import logging

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=logging.ERROR) as cluster, distributed.Client(cluster) as c:
        yield c


def write(path, text):
    path.write_text(text)
    return path


def markers(directory):
    """index -> number of executions started (the sleep experiment's marker files)."""
    counts = {}
    for name in os.listdir(directory):
        index = int(name.split(".")[0])
        counts[index] = counts.get(index, 0) + 1
    return counts


# ---------------------------------------------------------------- a sweep of a real experiment
def test_six_task_recovery_sweep(client, tmp_path):
    spec = load_spec(write(tmp_path / "rec.toml", """
experiment = "recovery"
store = "rec.sqlite"
[params]
d = 2
m = 2
max_iter = 200
width = 20
certify = "local"
[grid]
n = [20, 40]
reg = [0.05, 0.1, 0.2]
"""))
    assert spec.store == tmp_path / "rec.sqlite"
    tasks = spec.tasks()
    assert len(tasks) == spec.n_tasks == 6
    summary = run_sweep(spec, client=client, progress=False)
    assert (summary.n_tasks, summary.skipped, summary.done, summary.errors, summary.pending_errors) == (6, 0, 6, 0, 0)

    with Store(spec.store) as store:
        rows = store.rows()
    assert len(rows) == 6
    assert {r["key"] for r in rows} == {t.key for t in tasks}
    version = EXPERIMENTS["recovery"].code_version
    for row in rows:
        assert row["status"] == "done" and row["error"] is None and row["attempts"] == 1
        assert row["experiment"] == "recovery" and row["code_version"] == version
        # the key is the SHA-256 of (experiment, every parameter with its default, code version)
        assert row["key"] == task_key("recovery", row["params"], version)
        assert row["params"]["sfw_max_time"] == 60.0 and row["params"]["seed"] == 0
        assert row["worker"].startswith("tcp://") and row["duration"] > 0
        started = datetime.datetime.fromisoformat(row["started"])
        assert started <= datetime.datetime.fromisoformat(row["finished"])
        m = row["metrics"]
        for solver in ("sfw", "gd"):
            assert 0 <= m[f"{solver}_recovered_mass"] <= 2 and 0 <= m[f"{solver}_mass_elsewhere"] <= 1
            assert 0 <= m[f"{solver}_w2"] <= np.pi
            assert m[f"{solver}_gap_scope"] == "local"
            assert isinstance(m[f"{solver}_status"], str) and isinstance(m[f"{solver}_recovered"], bool)
            assert m[f"{solver}_objective"] <= m["teacher_objective"] * 1.5
        assert m["gd_n_iter"] == 200
    # the re-run finds everything done and starts nothing
    again = run_sweep(spec, client=client, progress=False)
    assert (again.skipped, again.done, again.errors, again.workers) == (6, 0, 0, 0)


def test_width_experiment_runs_small(client):
    from solvers.sweeps.runner import execute_task

    width = EXPERIMENTS["width"].function
    small = {"k": 3, "teacher_width": 2, "d": 4, "n": 40, "n_test": 200, "max_iter": 30}
    # on a worker of the cluster, which has imported torch already (the recovery sweep)
    ok, bad = client.gather([client.submit(execute_task, width, params, pure=False)
                             for params in (small, {**small, "method": "sgd"})])
    assert ok["status"] == "done", ok["traceback"]
    out = json.loads(ok["metrics"])
    assert out["n_iter"] == 30 and out["status"] == "max_iter"
    assert out["test_loss"] > 0 and out["train_loss"] > 0 and 0 <= out["w2"] <= np.pi
    assert bad["status"] == "error" and "method must be 'particle' or 'norm_dependent'" in bad["error"]


# ---------------------------------------------------------------- failures
def test_failing_task_is_recorded_and_the_others_finish(client, tmp_path):
    spec = parse_spec("""
experiment = "sleep"
[params]
seconds = 0.05
[grid]
index = [0, 1, 2]
fail = [false, true]
""")
    store = tmp_path / "s.sqlite"
    summary = run_sweep(spec, store, client=client, progress=False)
    assert (summary.done, summary.errors, summary.pending_errors) == (3, 3, 3)
    with Store(store) as db:
        rows = db.rows()
    assert len(rows) == 6
    for row in rows:
        if row["params"]["fail"]:
            assert row["status"] == "error" and row["metrics"] is None
            assert row["error"] == f"RuntimeError: sleep task {row['params']['index']} failed on purpose (fail=true)"
            assert "Traceback" in row["traceback"] and "experiments.py" in row["traceback"]
        else:
            assert row["status"] == "done" and row["metrics"]["index"] == row["params"]["index"]
    # errors are skipped by a plain re-run, run again with retry_errors (and fail again)
    assert run_sweep(spec, store, client=client, progress=False).skipped == 6
    retry = run_sweep(spec, store, client=client, progress=True, retry_errors=True)  # with Dask's progress bar
    assert (retry.skipped, retry.done, retry.errors) == (3, 0, 3)
    with Store(store) as db:
        assert {r["attempts"] for r in db.rows(status="error")} == {2}
        assert {r["attempts"] for r in db.rows(status="done")} == {1}


def test_scheduler_address_sends_the_tasks_to_an_existing_cluster(client, tmp_path, capsys):
    spec = write(tmp_path / "s.toml", BASE + "[params]\nseconds = 0.0\n[grid]\nindex = [0, 1, 2, 3]\n")
    address = client.scheduler.address
    assert main(["sweep", str(spec), "--scheduler", address]) == 0
    captured = capsys.readouterr()
    assert f"running 4 tasks on 2 Dask workers (scheduler {address})" in captured.err
    assert "sleep: 4 tasks, 0 already recorded, 4 run on 2 workers (4 done, 0 errors)" in captured.out
    workers = set(client.scheduler_info(n_workers=-1)["workers"])
    with Store(tmp_path / "s.sqlite") as db:
        assert {r["worker"] for r in db.rows()} <= workers
    assert main(["sweep", str(spec), "--dry-run"]) == 0
    assert "4 tasks over index (4); 4 done, 0 with an error, 0 to run" in capsys.readouterr().out


def test_experiment_returning_a_non_dict_is_an_error():
    from solvers.sweeps.runner import execute_task

    out = execute_task(lambda: [1, 2], {})
    assert out["status"] == "error" and out["error"].startswith("TypeError: an experiment must return a dict")
    out = execute_task(lambda: {"x": float("nan"), "t": (1, 2)}, {})
    assert out["status"] == "done" and out["worker"] == "local"


# ---------------------------------------------------------------- kill and resume
def test_kill_mid_sweep_and_resume(client, tmp_path):
    marks = tmp_path / "markers"
    marks.mkdir()
    n = 12
    spec = write(tmp_path / "sleep.toml", f"""
experiment = "sleep"
store = "sleep.sqlite"
[params]
seconds = 0.4
marker_dir = "{marks}"
[grid]
index = {list(range(n))}
""")
    store = tmp_path / "sleep.sqlite"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    with open(tmp_path / "out.txt", "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "solvers.cli", "sweep", str(spec), "--workers", "2",
                                 "--quiet"], stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        done = 0
        while done < 3:
            assert proc.poll() is None, f"the sweep ended before it was killed:\n{(tmp_path / 'out.txt').read_text()}"
            assert time.monotonic() < deadline, "no 3 tasks done within 120 s"
            time.sleep(0.05)
            if store.exists():
                db = sqlite3.connect(store)
                try:
                    done = db.execute("SELECT COUNT(*) FROM tasks WHERE status = 'done'").fetchone()[0]
                except sqlite3.OperationalError:  # the table is being created
                    pass
                finally:
                    db.close()
        os.kill(proc.pid, signal.SIGKILL)  # the client; its LocalCluster's workers exit with it
        proc.wait(timeout=30)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # anything of that session still alive
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    time.sleep(0.5)

    with Store(store) as db:
        first = {r["key"]: r for r in db.rows()}
    done_first = {r["params"]["index"] for r in first.values() if r["status"] == "done"}
    assert 3 <= len(done_first) < n, "killed mid-sweep"
    assert all(r["status"] == "done" for r in first.values())

    # the re-run, on the module's cluster (a LocalCluster of its own would only cost its start)
    assert main(["sweep", str(spec), "--scheduler", client.scheduler.address, "--quiet"]) == 0
    with Store(store) as db:
        rows = db.rows()
    tasks = load_spec(spec).tasks()
    assert len(rows) == n and sorted(r["key"] for r in rows) == sorted(t.key for t in tasks)  # none lost
    assert all(r["status"] == "done" and r["attempts"] == 1 for r in rows)  # each recorded once
    for row in rows:  # the first run's rows are untouched
        if row["key"] in first:
            assert row["finished"] == first[row["key"]]["finished"]
    runs = markers(marks)
    assert set(runs) == set(range(n))
    for index in done_first:
        assert runs[index] == 1, f"task {index}, done before the kill, ran again"
    # a task started but not recorded when the client died runs again on the re-run: once more at most
    assert all(count <= 2 for count in runs.values()), runs


def test_killed_worker_loses_no_task(client, tmp_path):
    # task 2 SIGKILLs its worker on its first run; the nanny restarts the worker, the scheduler reruns the task
    marks = tmp_path / "markers"
    marks.mkdir()
    spec = parse_spec(BASE + f'[params]\nseconds = 0.3\nmarker_dir = "{marks}"\nkill_index = 2\n'
                      "[grid]\nindex = [0, 1, 2, 3, 4, 5]\n")
    store = tmp_path / "s.sqlite"
    summary = run_sweep(spec, store, client=client, progress=False)
    assert (summary.done, summary.errors) == (6, 0)
    with Store(store) as db:
        rows = db.rows()
    assert sorted(r["key"] for r in rows) == sorted(t.key for t in spec.tasks())
    assert all(r["status"] == "done" and r["attempts"] == 1 for r in rows)
    runs = markers(marks)
    assert runs[2] == 2  # killed once, then done
    # a task recorded before the kill never runs again; one that had finished on the killed worker but was
    # not yet fetched (its result died with the worker) runs again
    killed_at = min(p.stat().st_mtime for p in marks.glob("2.*"))
    for row in rows:
        recorded = datetime.datetime.fromisoformat(row["recorded"]).timestamp()
        if recorded < killed_at:
            assert runs[row["params"]["index"]] == 1, (row["params"], runs)
    assert all(1 <= runs[i] <= 2 for i in range(6)), runs
    client.wait_for_workers(2, timeout=60)


# ---------------------------------------------------------------- specs


@pytest.mark.parametrize("text, message", [
    ('experiment = "nope"\n[grid]\nindex = [1]\n', "experiment: unknown experiment 'nope'"),
    (BASE + "[grid]\nfoo = [1, 2]\n", "[grid] foo: experiment 'sleep' has no parameter 'foo'"),
    (BASE + "[params]\nbar = 1\n[grid]\nindex = [1]\n", "[params] bar: experiment 'sleep' has no parameter"),
    (BASE + '[grid]\nindex = ["a"]\n', "[grid] index[0]: must be an integer like its default 0; got a string"),
    (BASE + "[grid]\nindex = 3\n", "[grid] index: must be a non-empty list"),
    (BASE + "[grid]\nindex = []\n", "[grid] index: must be a non-empty list"),
    (BASE + "[grid]\nindex = [1, 2, 1]\n", "[grid] index: the value 1 is listed twice"),
    (BASE + "[params]\nindex = 1\n[grid]\nindex = [1, 2]\n", "[grid] index: given in both [params] and [grid]"),
    (BASE + "[grid]\nseconds = [0.1, true]\n", "[grid] seconds[1]: must be a float"),
    (BASE + "[grid]\nindex = [[1], [2]]\n", "[grid] index[0]: must be a number, a string or a boolean"),
    (BASE + "grids = 1\n[grid]\nindex = [1]\n", "unknown key 'grids'"),
    (BASE, "missing table [grid]"),
    ("[grid]\nindex = [1]\n", "missing key 'experiment'"),
    (BASE + "[grid\n", "is not valid TOML"),
])
def test_bad_spec_is_rejected_naming_the_key(tmp_path, capsys, text, message):
    path = write(tmp_path / "bad.toml", text)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert message in str(info.value) and str(path) in str(info.value)
    with pytest.raises(SystemExit) as exit_:
        main(["sweep", str(path)])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_checks_flags_and_files_before_any_work(tmp_path, capsys):
    spec = write(tmp_path / "s.toml", BASE + "[grid]\nindex = [1]\n")
    for argv, message in ((["sweep", str(spec), "--workers", "0"], "argument --workers: workers must be >= 1"),
                          (["sweep", str(tmp_path / "missing.toml")], "cannot read the spec"),
                          (["sweep", str(spec), "--store", str(spec)], "is not a sweep store"),
                          (["sweep-plot", str(tmp_path / "none.sqlite")], "no sweep store at"),
                          (["sweep-plot", str(spec)], "is not a sweep store")):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert not (tmp_path / "none.sqlite").exists()
    assert spec.read_text() == BASE + "[grid]\nindex = [1]\n"  # not turned into a database


def test_keys_defaults_and_code_version():
    implicit = parse_spec(BASE + "[grid]\nindex = [1]\n").tasks()[0]
    explicit = parse_spec(BASE + '[params]\nseconds = 0.1\nmarker_dir = ""\n[grid]\nindex = [1]\n').tasks()[0]
    assert implicit.key == explicit.key and implicit.params == explicit.params
    as_int = parse_spec(BASE + "[params]\nseconds = 1\n[grid]\nindex = [1]\n").tasks()[0]
    as_float = parse_spec(BASE + "[params]\nseconds = 1.0\n[grid]\nindex = [1]\n").tasks()[0]
    assert as_int.key == as_float.key and as_int.params["seconds"] == 1.0
    assert parse_spec(BASE + "[grid]\nindex = [2]\n").tasks()[0].key != implicit.key
    # the code version follows the function's source and the library version
    def f(x=1):
        return {"x": x}

    def g(x=1):
        return {"x": x + 0}

    assert code_version(f) != code_version(g) and code_version(f).startswith("0.1.0+")
    assert task_key("sleep", implicit.params, "other") != implicit.key
    # order of the grid: the first key varies slowest
    spec = parse_spec(BASE + "[grid]\nindex = [0, 1]\nseconds = [0.0, 0.5]\n")
    assert [(t.params["index"], t.params["seconds"]) for t in spec.tasks()] == [(0, 0.0), (0, 0.5), (1, 0.0),
                                                                                (1, 0.5)]


# ---------------------------------------------------------------- store and plot
def test_store_keeps_done_rows_and_rejects_foreign_files(tmp_path):
    path = tmp_path / "s.sqlite"
    with Store(path) as db:
        assert db.record("k", "sleep", "{}", "v", "done", metrics=json.dumps({"x": {"__float__": "nan"}}))
        assert not db.record("k", "sleep", "{}", "v", "error", error="late")  # a done row stays
        (row,) = db.rows()
    assert row["status"] == "done" and np.isnan(row["metrics"]["x"])
    with Store(path) as db, pytest.raises(ValueError, match="status must be"):
        db.record("k2", "sleep", "{}", "v", "running")
    write(tmp_path / "text.sqlite", "not a database " * 100)
    with pytest.raises(FileFormatError, match="is not a sweep store"):
        Store(tmp_path / "text.sqlite")
    other = sqlite3.connect(tmp_path / "other.sqlite")
    other.execute("CREATE TABLE t (x)")
    other.close()
    with pytest.raises(FileFormatError, match="another program"):
        Store(tmp_path / "other.sqlite")
    with pytest.raises(FileNotFoundError):
        Store(tmp_path / "missing.sqlite", create=False)


def test_sweep_plot_draws_the_phase_diagram(tmp_path, capsys):
    store = tmp_path / "rec.sqlite"
    version = EXPERIMENTS["recovery"].code_version
    with Store(store) as db:
        for n in (25, 50, 100):
            for reg in (1e-3, 1e-2):
                for seed in (0, 1):
                    params = {"n": n, "reg": reg, "seed": seed}
                    mass = n / 100 - reg * 10 + seed / 10
                    db.record(task_key("recovery", params, version), "recovery", json.dumps(params), version,
                              "done", metrics=json.dumps({"sfw_recovered_mass": mass, "sfw_status": "optimal"}))
        db.record("failed", "recovery", json.dumps({"n": 25, "reg": 1e-3, "seed": 2}), version, "error",
                  error="RuntimeError: x")
        rows = latest_rows(db.rows())
    xs, ys, values, counts, _ = reduce_metric(rows, "n", "reg", "sfw_recovered_mass")
    assert xs == [25, 50, 100] and ys == [1e-3, 1e-2]
    np.testing.assert_array_equal(counts, 2)  # the error row is left out
    np.testing.assert_allclose(values[1, 2], 1.0 - 0.1 + 0.05)
    out = tmp_path / "fig.png"
    assert main(["sweep-plot", str(store), "--out", str(out)]) == 0
    assert out.stat().st_size > 10_000
    assert "sfw_recovered_mass (mean) over n and reg, 12 tasks" in capsys.readouterr().out
    assert main(["sweep-plot", str(store), "--y", "none", "--where", "reg=0.01", "--out", str(out)]) == 0
    with pytest.raises(SystemExit):
        main(["sweep-plot", str(store), "--metric", "sfw_status"])
    assert "metric 'sfw_status' is not a number" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["sweep-plot", str(store), "--x", "nope"])
    assert "no parameter 'nope'" in capsys.readouterr().err
