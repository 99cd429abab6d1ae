r"""Sweep specs: a TOML file naming an experiment and a parameter grid; its tasks and their keys.

A spec::

    experiment = "recovery"          # a registered name, or "package.module:function"
    name = "recovery phase diagram"  # optional label
    store = "recovery.sqlite"        # optional; relative to the spec's folder

    [params]                         # fixed parameters, the same for every task
    d = 3
    m = 2

    [grid]                           # swept parameters: every combination is a task
    n = [25, 50, 100, 200]
    reg = [1e-3, 1e-2, 1e-1]
    seed = [0, 1, 2]

has ``4 * 3 * 3 = 36`` tasks, the first ``[grid]`` key varying slowest. A
parameter the spec does not give takes the experiment function's default;
the task's parameters are all of them, defaults included, so a spec that
writes a default out and one that leaves it implicit share their tasks.

Checks, each a :class:`SpecError` naming the file and the key: valid TOML;
only the keys above; a known experiment; known parameter names; no
parameter both fixed and swept; every required parameter given; values that
are numbers, strings or booleans (no dates, arrays of arrays or tables) of
the kind of the parameter's default (an integer where the default is an
integer; an integer where it is a float is converted, so ``reg = 1`` and
``reg = 1.0`` are the same task); grid lists non-empty and without repeats.

Task key (:func:`task_key`): the SHA-256 of the canonical JSON of the
experiment's name, the task's parameters and the experiment's code version
(:func:`solvers.sweeps.code_version`). Canonical: the JSON tree of
:func:`measureopt.io.encode` (so NaN and infinities have one spelling),
keys sorted, no spaces, floats in Python's shortest round-trip form.
"""

import hashlib
import inspect
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path

from measureopt._frozen import Record
from measureopt.exceptions import MeasureOptError
from measureopt.io import encode

from .experiments import get_experiment

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

__all__ = ["SpecError", "Spec", "Task", "parse_spec", "load_spec", "task_key", "canonical_json"]

_EMPTY = inspect.Parameter.empty
_TOP_KEYS = ("experiment", "name", "store", "params", "grid")


class SpecError(MeasureOptError, ValueError):
    """A sweep spec that cannot be run; the message names the file and the key."""


def canonical_json(value):
    """The canonical JSON text of ``value`` (the tree of :func:`measureopt.io.encode`, keys sorted, compact)."""
    return json.dumps(encode(value), sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def task_key(experiment, params, code_version):
    """SHA-256 (hex) of the canonical JSON of ``{"experiment", "params", "code_version"}``.

    Examples
    --------
    >>> from solvers.sweeps import task_key
    >>> len(task_key("sleep", {"index": 1}, "0.1.0+abc"))
    64
    """
    text = canonical_json({"experiment": experiment, "params": params, "code_version": code_version})
    return hashlib.sha256(text.encode("ascii")).hexdigest()


@dataclass(frozen=True, eq=False)
class Task(Record):
    """One grid point: what runs on a worker and the key of its row.

    Attributes
    ----------
    experiment : str
    params : dict
        Every parameter of the experiment function, defaults included.
    code_version : str
    key : str
        :func:`task_key` of the three above.
    """

    experiment: str
    params: dict
    code_version: str
    key: str

    @property
    def params_json(self):
        """str: ``canonical_json`` of ``params``, as stored."""
        return canonical_json(self.params)


@dataclass(frozen=True, eq=False)
class Spec(Record):
    """A parsed spec; see the module docstring for the format.

    Attributes
    ----------
    experiment : Experiment
    params : dict
        The fixed parameters.
    grid : dict
        Swept parameter -> tuple of values, in the file's order.
    store : Path or None
        The store named by the spec (resolved against the spec's folder).
    name : str
        Label (the experiment's name by default).
    path : Path or None
        The spec file.
    """

    experiment: object
    params: dict
    grid: dict
    store: object = None
    name: str = ""
    path: object = None

    @property
    def n_tasks(self):
        """int: the number of grid points."""
        return math.prod(len(v) for v in self.grid.values())

    def tasks(self):
        """list of :class:`Task`: the grid's points, the first grid key varying slowest."""
        exp = self.experiment
        version = exp.code_version
        defaults = exp.parameters
        names = list(self.grid)
        out = []
        for point in itertools.product(*self.grid.values()):
            given = {**self.params, **dict(zip(names, point))}
            params = {p: given.get(p, default) for p, default in defaults.items()}
            out.append(Task(exp.name, params, version, task_key(exp.name, params, version)))
        return out


def load_spec(path):
    """Read and check the spec file ``path``; see :func:`parse_spec`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read the spec {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path} is not a UTF-8 text file ({exc})") from None
    return parse_spec(text, path=path)


def parse_spec(text, path=None):
    """Parse and check a spec given as TOML text.

    Parameters
    ----------
    text : str
        The TOML document.
    path : str or Path, optional
        The file it came from: names it in errors, and a relative ``store``
        is resolved against its folder (against the current folder without it).

    Returns
    -------
    Spec

    Raises
    ------
    SpecError
        With the file and the key at fault.
    """
    where = str(path) if path is not None else "the spec"
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{where} is not valid TOML: {exc}") from None
    for key in doc:
        if key not in _TOP_KEYS:
            raise SpecError(f"{where}: unknown key {key!r}; a spec has the keys experiment, name, store, "
                            "[params] and [grid]")
    if "experiment" not in doc:
        raise SpecError(f"{where}: missing key 'experiment' (e.g. experiment = \"recovery\")")
    if not isinstance(doc["experiment"], str):
        raise SpecError(f"{where}: experiment must be a string; got {_kind(doc['experiment'])}")
    try:
        exp = get_experiment(doc["experiment"])
    except KeyError as exc:
        raise SpecError(f"{where}: experiment: {exc.args[0]}") from None
    for key in ("name", "store"):
        if key in doc and (not isinstance(doc[key], str) or not doc[key]):
            raise SpecError(f"{where}: {key} must be a non-empty string; got {doc[key]!r}")
    if "grid" not in doc:
        raise SpecError(f"{where}: missing table [grid] (the swept parameters, e.g. n = [50, 100])")
    for table in ("params", "grid"):
        if table in doc and not isinstance(doc[table], dict):
            raise SpecError(f"{where}: {table} must be a table ([{table}]); got {_kind(doc[table])}")

    defaults = exp.parameters
    known = ", ".join(defaults)

    def check_name(table, name):
        if name not in defaults:
            raise SpecError(f"{where}: [{table}] {name}: experiment {exp.name!r} has no parameter {name!r} "
                            f"(its parameters: {known})")

    params = {}
    for name, value in doc.get("params", {}).items():
        check_name("params", name)
        params[name] = _check_value(value, defaults[name], f"{where}: [params] {name}")
    grid = {}
    for name, values in doc["grid"].items():
        check_name("grid", name)
        label = f"{where}: [grid] {name}"
        if name in params:
            raise SpecError(f"{label}: given in both [params] and [grid]; keep one")
        if not isinstance(values, list) or not values:
            raise SpecError(f"{label}: must be a non-empty list of values (e.g. {name} = [1, 2]); got {values!r}")
        checked = tuple(_check_value(v, defaults[name], f"{label}[{i}]") for i, v in enumerate(values))
        seen = {}
        for i, v in enumerate(checked):
            text = canonical_json(v)
            if text in seen:
                raise SpecError(f"{label}: the value {v!r} is listed twice (items {seen[text]} and {i})")
            seen[text] = i
        grid[name] = checked
    missing = [p for p, default in defaults.items() if default is _EMPTY and p not in params and p not in grid]
    if missing:
        raise SpecError(f"{where}: experiment {exp.name!r} needs the parameter(s) {', '.join(missing)} "
                        "in [params] or [grid]")
    store = None
    if "store" in doc:
        store = Path(doc["store"])
        if not store.is_absolute() and path is not None:
            store = Path(path).parent / store
    return Spec(exp, params, grid, store, doc.get("name", exp.name), None if path is None else Path(path))


def _kind(value):
    return {bool: "a boolean", int: "an integer", float: "a float", str: "a string", list: "a list",
            dict: "a table"}.get(type(value), f"a {type(value).__name__}")


def _check_value(value, default, label):
    """``value`` checked against the kind of ``default``; ints become floats where the default is a float."""
    if not isinstance(value, (bool, int, float, str)):
        raise SpecError(f"{label}: must be a number, a string or a boolean; got {_kind(value)} ({value!r})")
    if default is _EMPTY or default is None:
        return value
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    else:
        ok = isinstance(value, str)
    if not ok:
        raise SpecError(f"{label}: must be {_kind(default)} like its default {default!r}; got {_kind(value)} "
                        f"({value!r})")
    return value
