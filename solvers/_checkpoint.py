r"""Checkpoint files: path checks, the run's fingerprint, atomic writes and safe reads.

Every solver that checkpoints goes through this module, and only this module
touches the files. A checkpoint is a measureopt file of kind
``"checkpoint"`` (:mod:`measureopt.io`, the format of saved measures and
results): tensors and arrays in ``.npy`` members, numbers, strings, lists and
dicts in JSON; reading it never runs code.

A checkpoint holds a *fingerprint* of the run that wrote it
(:func:`fingerprint`): a hash of the data, the penalty's parameter, the
loss, the activation and the solver's parameters that change the trajectory.
:func:`check_fingerprint` refuses to resume a run of another problem or of
another solver setting, and says which part differs.
"""

import numbers
import os
from pathlib import Path

import numpy as np

from measureopt import io
from measureopt.exceptions import FileFormatError
from measureopt.io import array_digest, problem_fingerprint

__all__ = ["check_path", "fingerprint", "check_fingerprint", "save", "load"]



def check_path(path, name="checkpoint", must_exist=False):
    """Check a checkpoint path before a run starts; return it as a :class:`~pathlib.Path`.

    Parameters
    ----------
    path : str or os.PathLike
    name : str, default="checkpoint"
        The argument's name, for messages.
    must_exist : bool, default=False
        ``True`` for a file to read (``resume``): it must exist and be a
        file. ``False`` for a file to write: it must not be a directory, and
        its directory must exist and be writable.

    Raises
    ------
    TypeError
        ``path`` is not a str or path.
    FileNotFoundError
        ``must_exist`` and there is no file at ``path``.
    ValueError
        ``path`` is a directory, its directory does not exist, is a file, or
        is not writable.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a file path (str or os.PathLike); got {type(path).__name__}")
    path = Path(os.fsdecode(os.fspath(path)))
    if str(path) in ("", "."):
        raise ValueError(f"{name} must be a file path; got {str(path)!r}")
    if path.is_dir():
        raise ValueError(f"{name} must be a file path; {path} is a directory")
    if must_exist:
        if not path.exists():
            raise FileNotFoundError(f"{name}: no checkpoint at {path}")
        return path
    parent = path.parent
    if not parent.exists():
        ancestor = next((p for p in parent.parents if p.exists()), None)
        if ancestor is not None and not ancestor.is_dir():
            raise ValueError(f"{name}: cannot write {path}: {ancestor} is a file, not a directory")
        raise ValueError(f"{name}: cannot write {path}: the directory {parent} does not exist")
    if not parent.is_dir():
        raise ValueError(f"{name}: cannot write {path}: {parent} is a file, not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"{name}: cannot write {path}: the directory {parent} is not writable")
    return path


# ------------------------------------------------------------------ fingerprint



def _encode(value):
    """A stable text form of a parameter value (no memory addresses)."""
    if isinstance(value, str):
        return value  # as torch prints a device or dtype: "cpu" == str(torch.device("cpu"))
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, numbers.Integral):
        return repr(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    if isinstance(value, np.random.Generator):
        return "a numpy Generator"
    if isinstance(value, np.ndarray):
        return f"array {value.shape} sha256:{array_digest(value)[:16]}"
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(_encode(v) for v in value) + ")"
    if isinstance(value, os.PathLike):
        return repr(os.fspath(value))
    if type(value).__module__ == "torch":  # dtype, device
        return str(value)
    if hasattr(value, "detach"):  # a tensor
        return _encode(value.detach().cpu().numpy())
    return type(value).__name__


def fingerprint(problem, solver, ignore=()):
    """What a checkpoint must match to be resumed: ``{"problem": {...}, "solver": {...}}`` of strings.

    Parameters
    ----------
    problem : MeasureProblem
        Its data ``X``, ``y`` (hashed), ``reg`` or ``radius``, loss,
        activation and features.
    solver : Solver
        Its class and its parameters (``get_params()``), except those in
        ``ignore``: the ones that do not change the trajectory (iteration
        limit, tolerances, records, checkpoint paths, ...).
    ignore : iterable of str
    """
    prob = problem_fingerprint(problem)
    params = {"solver": type(solver).__name__}
    ignore = set(ignore)
    for key, value in solver.get_params().items():
        if key not in ignore:
            params[key] = _encode(value)
    return {"problem": prob, "solver": params}


def check_fingerprint(stored, current, path):
    """Raise ``ValueError`` naming every part of ``current`` that differs from the checkpoint's ``stored``."""
    if not isinstance(stored, dict) or set(stored) != {"problem", "solver"}:
        raise ValueError(f"resume: checkpoint {path} has no fingerprint of its problem and solver (written by an "
                         "older version?), so it cannot be checked against this run; start a new run")
    diffs = [d for part in ("problem", "solver")
             for d in io.fingerprint_differences(stored[part], current[part], source="checkpoint")]
    if diffs:
        raise ValueError(
            f"resume: checkpoint {path} belongs to another problem or solver setting: {'; '.join(diffs)} "
            f"{'differs' if len(diffs) == 1 else 'differ'}. Resume with the problem and solver parameters that "
            "wrote it, or start a new run."
        )


# ------------------------------------------------------------------ I/O
def save(path, payload):
    """Write ``payload`` (a dict) to ``path`` atomically, as a measureopt file of kind ``"checkpoint"``.

    The file is written to a temporary file in the same directory, flushed,
    then moved over ``path`` (:func:`os.replace`): a reader sees the old
    checkpoint or the new one, never a partial file, and a failed write
    leaves no temporary file behind. Errors name the file.
    """
    fingerprint = payload.get("fingerprint") or {}
    io.write(path, "checkpoint", payload, problem=fingerprint.get("problem"),
             summary={"solver": payload.get("solver"), "iteration": payload.get("iteration")})


def load(path, name="resume"):
    """Read a checkpoint written by :func:`save`; errors name the file.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        (:class:`~measureopt.exceptions.FileFormatError`) The file is
        corrupted, truncated, of a later format version, or not a measureopt
        checkpoint.
    """
    path = check_path(path, name, must_exist=True)
    try:
        _, data = io.read(path, "checkpoint", name)
    except FileFormatError as exc:
        raise FileFormatError(f"{name}: cannot read checkpoint: {exc}") from exc
    if not isinstance(data, dict):
        raise FileFormatError(f"{name}: {path} is not a measureopt checkpoint")
    return data
