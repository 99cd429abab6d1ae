r"""The results store of a sweep: one SQLite table, one row per task, each committed when its task ends.

Schema (table ``tasks``; table ``meta`` holds ``format = "measureopt-sweep"``
and ``version = 1``):

=============  =========  =======================================================
column         type       content
=============  =========  =======================================================
key            TEXT PK    :func:`solvers.sweeps.task_key`
experiment     TEXT       the experiment's name (or import path)
params         TEXT       the task's parameters, canonical JSON (``spec.canonical_json``)
code_version   TEXT       :func:`solvers.sweeps.code_version` when it ran
status         TEXT       ``"done"`` or ``"error"``
metrics        TEXT       the returned dict as the JSON tree of :func:`measureopt.io.encode`; NULL on error
error          TEXT       ``"ExceptionType: message"``; NULL when done
traceback      TEXT       the formatted traceback; NULL when done
started        TEXT       ISO 8601 UTC time the task started on its worker
finished       TEXT       ISO 8601 UTC time it ended
duration       REAL       seconds (a monotonic clock on the worker)
worker         TEXT       the Dask worker's address
attempts       INTEGER    outcomes recorded for this key (an error retried: 2, ...)
recorded       TEXT       ISO 8601 UTC time the row was written
=============  =========  =======================================================

Durability: the database is in WAL mode with ``synchronous=NORMAL`` and each
row is its own transaction, committed before the next result is read. A
committed row survives the kill of any process (the client, a worker, the
machine's other users); only a power loss or an OS crash can lose the last
commits, and then the re-run computes those tasks again. A ``done`` row is
never overwritten (the upsert only replaces ``error`` rows, for
``--retry-errors``). Readers (``sweep-plot``, a test polling the file) may
open the store while a sweep writes to it. One sweep should write to a
store at a time: two at once compute the same pending tasks twice (the
store stays consistent: the first ``done`` row of a key wins).

Only the client writes: the workers return their outcomes to it, so a
remote cluster (``--scheduler``) needs no access to the file.

Examples
--------
>>> import tempfile, os
>>> from solvers.sweeps import Store
>>> path = os.path.join(tempfile.mkdtemp(), "s.sqlite")
>>> with Store(path) as store:
...     _ = store.record(key="k1", experiment="sleep", params='{"index":0}', code_version="0.1.0+0",
...                      status="done", metrics='{"seconds":0.1}')
...     [r["metrics"] for r in store.rows()]
[{'seconds': 0.1}]
"""

import datetime
import json
import os
import sqlite3
from pathlib import Path

from measureopt.exceptions import FileFormatError
from measureopt.io import decode

__all__ = ["Store", "STORE_FORMAT", "STORE_VERSION"]

STORE_FORMAT = "measureopt-sweep"
STORE_VERSION = 1

_COLUMNS = ("key", "experiment", "params", "code_version", "status", "metrics", "error", "traceback", "started",
            "finished", "duration", "worker", "attempts", "recorded")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
    key TEXT PRIMARY KEY,
    experiment TEXT NOT NULL,
    params TEXT NOT NULL,
    code_version TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('done', 'error')),
    metrics TEXT,
    error TEXT,
    traceback TEXT,
    started TEXT,
    finished TEXT,
    duration REAL,
    worker TEXT,
    attempts INTEGER NOT NULL DEFAULT 1,
    recorded TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_experiment ON tasks (experiment, status);
"""
_UPSERT = """
INSERT INTO tasks (key, experiment, params, code_version, status, metrics, error, traceback, started, finished,
                   duration, worker, attempts, recorded)
VALUES (:key, :experiment, :params, :code_version, :status, :metrics, :error, :traceback, :started, :finished,
        :duration, :worker, 1, :recorded)
ON CONFLICT (key) DO UPDATE SET
    status = excluded.status, metrics = excluded.metrics, error = excluded.error, traceback = excluded.traceback,
    started = excluded.started, finished = excluded.finished, duration = excluded.duration,
    worker = excluded.worker, attempts = tasks.attempts + 1, recorded = excluded.recorded
WHERE tasks.status != 'done'
"""


def utc_now():
    """The current UTC time, ISO 8601 with microseconds."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="microseconds")


class Store:
    """A sweep's results store, an SQLite file; see the module docstring.

    Parameters
    ----------
    path : str or Path
        The file; created with its folder unless ``create=False``.
    create : bool, default=True
        With ``False`` a missing file raises ``FileNotFoundError`` (readers).

    Raises
    ------
    measureopt.exceptions.FileFormatError
        The file is not SQLite, or is another program's database, or a
        later store version.
    """

    def __init__(self, path, create=True):
        self.path = Path(os.fspath(path))
        if not self.path.exists():
            if not create:
                raise FileNotFoundError(f"no sweep store at {self.path}")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # autocommit: every write below is one statement, hence one transaction, committed on return
        self._conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if tables and "meta" not in tables:
                raise FileFormatError(f"{self.path} is an SQLite database of another program, not a sweep store "
                                      f"(its tables: {', '.join(sorted(tables))})")
            self._conn.executescript(_SCHEMA)
            self._conn.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?), ('version', ?)",
                               (STORE_FORMAT, str(STORE_VERSION)))
            meta = dict(self._conn.execute("SELECT name, value FROM meta"))
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise
            raise FileFormatError(f"{self.path} is not a sweep store ({exc})") from None
        except BaseException:
            self._conn.close()
            raise
        if meta.get("format") != STORE_FORMAT:
            self._conn.close()
            raise FileFormatError(f"{self.path} is not a sweep store (format {meta.get('format')!r})")
        if int(meta.get("version", 0)) > STORE_VERSION:
            self._conn.close()
            raise FileFormatError(f"{self.path} is a sweep store of version {meta['version']}; this measureopt "
                                  f"reads versions up to {STORE_VERSION}")

    def __reduce__(self):
        # a store travels as its file: the copy opens its own connection to the same file
        return (type(self), (self.path, False))

    def __eq__(self, other):
        return type(other) is type(self) and self.path.resolve() == other.path.resolve()

    def __hash__(self):
        return hash((type(self).__name__, self.path.resolve()))

    # ---------------------------------------------------------------- writing
    def record(self, key, experiment, params, code_version, status, metrics=None, error=None, traceback=None,
               started=None, finished=None, duration=None, worker=None):
        """Write one task's row and commit it; a ``done`` row already there is kept unchanged.

        ``params`` and ``metrics`` are JSON texts (canonical parameters; the
        :func:`measureopt.io.encode` tree of the metrics).

        Returns
        -------
        bool
            Whether the row was written (``False``: the key was already done).
        """
        if status not in ("done", "error"):
            raise ValueError(f"status must be 'done' or 'error'; got {status!r}")
        cur = self._conn.execute(_UPSERT, {
            "key": key, "experiment": experiment, "params": params, "code_version": code_version,
            "status": status, "metrics": metrics, "error": error, "traceback": traceback, "started": started,
            "finished": finished, "duration": duration, "worker": worker, "recorded": utc_now()})
        return cur.rowcount == 1

    # ---------------------------------------------------------------- reading
    def statuses(self, keys):
        """dict: key -> ``"done"`` or ``"error"``, for the ``keys`` that have a row."""
        keys = list(keys)
        out = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            marks = ",".join("?" * len(chunk))
            out.update(self._conn.execute(f"SELECT key, status FROM tasks WHERE key IN ({marks})", chunk))
        return out

    def rows(self, experiment=None, status=None, decode_json=True):
        """The rows, oldest first, as dicts of the columns (``params``, ``metrics`` decoded unless ``decode_json``
        is false).

        Parameters
        ----------
        experiment : str, optional
            Only this experiment's rows.
        status : {"done", "error"}, optional
            Only rows of this status.
        """
        where, args = [], []
        if experiment is not None:
            where.append("experiment = ?")
            args.append(experiment)
        if status is not None:
            where.append("status = ?")
            args.append(status)
        sql = f"SELECT {', '.join(_COLUMNS)} FROM tasks"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY recorded, rowid"
        out = []
        for values in self._conn.execute(sql, args):
            row = dict(zip(_COLUMNS, values))
            if decode_json:
                where_ = f"{self.path} (task {row['key'][:12]})"
                row["params"] = decode(json.loads(row["params"]), (), where_)
                row["metrics"] = None if row["metrics"] is None else decode(json.loads(row["metrics"]), (), where_)
            out.append(row)
        return out

    def counts(self):
        """dict: experiment -> {"done": int, "error": int}."""
        out = {}
        for experiment, status, count in self._conn.execute(
                "SELECT experiment, status, COUNT(*) FROM tasks GROUP BY experiment, status"):
            out.setdefault(experiment, {"done": 0, "error": 0})[status] = count
        return out

    def __len__(self):
        return self._conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0]

    # ---------------------------------------------------------------- lifetime
    def close(self):
        """Close the connection (idempotent)."""
        self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"Store({str(self.path)!r})"
