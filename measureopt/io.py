r"""Files of measureopt objects: arrays in ``.npy`` members and JSON metadata in one zip archive, no pickle.

A measureopt file is a zip archive (so :func:`numpy.load` opens it as an
``.npz``) with

* ``meta.json``: the header, below, and the *content*, a JSON tree in which
  every array is a reference ``{"__array__": i}`` to a member;
* ``a0.npy``, ``a1.npy``, ...: the arrays, written and read with
  ``allow_pickle=False``.

Loading never executes code: the JSON tree holds numbers, strings, lists and
dicts, and the only objects it rebuilds are the library's own value types
(measures, results, certificates), by calling their constructors with the
stored arrays and numbers. The header is::

    {"format": "measureopt", "version": 1, "library_version": "0.1.0",
     "kind": "Result", "created": "2026-12-02T07:10:00+00:00",
     "problem": {"problem": "BLASSO", "data (X, y)": "<sha256>", "reg": "0.001",
                 "loss": "squared", "activation": "relu", ...},
     "summary": {"status": "optimal", "objective": 0.0123,
                 "dual_gap": 1e-9, "gap_scope": "sphere"},
     "arrays": 2, "content": {...}}

``problem`` is :func:`problem_fingerprint` of the problem the object belongs
to (``{}`` when none was given), ``summary`` what the object says about
itself. A reader refuses, with an error naming the file
(:class:`~measureopt.exceptions.FileFormatError`): a file of a later format
``version`` than this library reads, a truncated or corrupted archive, a file
that is not a measureopt file (any other zip, ``.npz`` or file), and a file
of another kind than the one asked for.

The same code writes the command line's ``results.json`` (:func:`write_json`:
the JSON tree with arrays inline as lists) and the particle solvers'
checkpoints (:func:`write` with ``kind="checkpoint"``). Every write is atomic:
a temporary file in the same directory, flushed, then renamed over the
target, so a reader sees the old file or the new one, never a partial file.
"""

import contextlib
import datetime
import enum
import hashlib
import io as _io
import json
import math
import numbers
import os
import secrets
import zipfile
from pathlib import Path

import numpy as np

from ._frozen import file_kinds, file_state
from .exceptions import FileFormatError

__all__ = ["VERSION", "save", "load", "read", "write", "write_json", "read_json", "problem_fingerprint", "array_digest",
           "check_fingerprint", "fingerprint_differences", "encode",
           "decode"]

#: The format version this library writes; it reads versions 1 to ``VERSION``.
VERSION = 1
_FORMAT = "measureopt"
_META = "meta.json"
_TAGS = ("__array__", "__tensor__", "__float__", "__tuple__", "__dict__", "__object__")


class _Unencodable(TypeError):
    def __init__(self, where, value):
        super().__init__(f"{where}: a {type(value).__module__}.{type(value).__qualname__} cannot be stored "
                         "(a measureopt file holds numbers, strings, arrays, tensors, lists, dicts and the "
                         "library's value types)")
        self.where = where


# ------------------------------------------------------------------ the JSON tree
def encode(value, arrays=None, omitted=None, where="value"):
    """``value`` as a JSON tree; arrays go to the list ``arrays`` (or inline as lists when it is ``None``).

    Parameters
    ----------
    value : object
        Numbers (non-finite floats included), strings, ``None``, arrays,
        torch tensors, lists, tuples, dicts, enums (by value) and the
        library's value types (``measureopt._frozen.file_kinds()``).
    arrays : list or None
        Where arrays are collected; the tree holds ``{"__array__": i}``. With
        ``None`` arrays are written inline as nested lists (for
        :func:`write_json`; they read back as lists).
    omitted : list or None
        With a list, a dict entry whose value cannot be stored is left out
        and its path appended here; with ``None`` it raises ``TypeError``.
    where : str
        The value's path, for messages.
    """
    if value is None or isinstance(value, (bool, str)) and not isinstance(value, enum.Enum):
        return value
    if isinstance(value, enum.Enum):
        return encode(value.value, arrays, omitted, where)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise _Unencodable(where, value)
        if arrays is None:
            return encode(value.tolist(), None, omitted, where)
        arrays.append(value)
        return {"__array__": len(arrays) - 1}
    if type(value).__module__.split(".")[0] == "torch" and hasattr(value, "detach"):
        array = value.detach().cpu().numpy()
        if arrays is None:
            return encode(array.tolist(), None, omitted, where)
        arrays.append(array)
        return {"__tensor__": len(arrays) - 1}
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return {"__tuple__": [encode(v, arrays, omitted, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [encode(v, arrays, omitted, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            path = f"{where}[{key!r}]"
            try:
                out[key] = encode(item, arrays, omitted, path)
            except _Unencodable as exc:
                if omitted is None or exc.where != path:
                    raise
                omitted.append(path)
        if all(isinstance(k, str) for k in out) and not any(k in _TAGS for k in out):
            return out
        return {"__dict__": [[encode(k, arrays, None, where), v] for k, v in out.items()]}
    kind = type(value).__name__
    if file_kinds().get(kind) is type(value):
        return {"__object__": kind, "state": encode(file_state(value), arrays, omitted, where)}
    raise _Unencodable(where, value)


def decode(tree, arrays=(), path="the file"):
    """Inverse of :func:`encode`: the JSON tree with ``arrays`` put back; ``path`` names the file in errors."""
    if isinstance(tree, list):
        return [decode(v, arrays, path) for v in tree]
    if not isinstance(tree, dict):
        return tree
    if len(tree) == 1 or set(tree) == {"__object__", "state"}:
        tag = next(iter(tree)) if len(tree) == 1 else "__object__"
        if tag in ("__array__", "__tensor__"):
            index = tree[tag]
            if not isinstance(index, int) or not 0 <= index < len(arrays):
                raise FileFormatError(f"{path}: corrupted: its metadata refers to array {index!r} of {len(arrays)}")
            if tag == "__array__":
                return arrays[index]
            import torch

            return torch.from_numpy(np.array(arrays[index]))
        if tag == "__float__":
            return float(tree[tag])
        if tag == "__tuple__":
            return tuple(decode(v, arrays, path) for v in tree[tag])
        if tag == "__dict__":
            return {decode(k, arrays, path): decode(v, arrays, path) for k, v in tree[tag]}
        if tag == "__object__":
            cls = file_kinds().get(tree["__object__"])
            if cls is None:
                raise FileFormatError(f"{path} holds an object of kind {tree['__object__']!r}, which this "
                                      "version of measureopt does not know (written by a newer version?)")
            state = decode(tree["state"], arrays, path)
            from_state = getattr(cls, "_from_file_state", None)
            return from_state(state) if from_state is not None else cls(**state)
    return {k: decode(v, arrays, path) for k, v in tree.items()}


# ------------------------------------------------------------------ fingerprints
def array_digest(*arrays):
    """SHA-256 (hex) of arrays: their dtypes, shapes and bytes."""
    h = hashlib.sha256()
    for arr in arrays:
        arr = np.ascontiguousarray(arr)
        h.update(f"{arr.dtype.str}{arr.shape}".encode())
        h.update(arr.tobytes())
    return h.hexdigest()


def problem_fingerprint(problem):
    """What identifies a problem in a file: ``{"problem": class name, "data (X, y)": sha256, "reg": ..., ...}``.

    Strings only: the class, a SHA-256 of the data ``X`` and ``y``, the
    penalty's ``reg`` or ``radius`` (``repr`` of the float), the loss, the
    activation and whether the features are lifted. ``None`` gives ``{}``.
    """
    if problem is None:
        return {}
    prob = {"problem": type(problem).__name__}
    X, y = getattr(problem, "X", None), getattr(problem, "y", None)
    if y is None:
        y = getattr(problem, "Y", None)
    if X is not None and y is not None:
        prob["data (X, y)"] = array_digest(np.asarray(X), np.asarray(y))
    penalty = getattr(problem, "penalty", None)
    for attr in ("reg", "radius"):
        value = getattr(penalty, attr, None)
        if value is None and penalty is None:
            value = getattr(problem, attr, None)
        if isinstance(value, numbers.Real):
            prob[attr] = repr(float(value))
    if penalty is None and isinstance(getattr(problem, "reg_u", None), numbers.Real):
        prob["reg_u"] = repr(float(problem.reg_u))
    loss = getattr(problem, "loss", None)
    if loss is not None:
        prob["loss"] = str(getattr(loss, "name", loss if isinstance(loss, str) else type(loss).__name__))
    activation = getattr(problem, "activation", None)
    if activation is not None:
        prob["activation"] = activation if isinstance(activation, str) else repr(activation)
    features = getattr(problem, "features", None)
    if hasattr(features, "lifted"):
        prob["lifted features"] = repr(bool(features.lifted))
    return prob


def fingerprint_differences(stored, current, source="file"):
    """list of str: the entries of the dict ``current`` that differ from ``stored``, as ``key (source a, now b)``."""
    diffs = []
    for key in list(current) + [k for k in stored if k not in current]:
        a, b = stored.get(key, "(absent)"), current.get(key, "(absent)")
        if a != b:
            diffs.append("the data (X, y)" if key == "data (X, y)" else f"{key} ({source} {a}, now {b})")
    return diffs


def check_fingerprint(stored, current, path, what="problem"):
    """Raise :class:`FileFormatError` naming every entry of the dict ``current`` that differs from ``stored``."""
    diffs = fingerprint_differences(stored, current)
    if diffs:
        raise FileFormatError(f"{path} belongs to another {what}: {'; '.join(diffs)} "
                              f"{'differs' if len(diffs) == 1 else 'differ'}")


# ------------------------------------------------------------------ files
def _atomic_write(path, write):
    """Call ``write(binary file)`` on a temporary file next to ``path``, then move it over ``path``."""
    path = Path(path)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
    return path


def _header(kind, problem, summary):
    from . import __version__

    return {"format": _FORMAT, "version": VERSION, "library_version": __version__, "kind": kind,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "problem": dict(problem or {}), "summary": encode(summary or {})}


def write(path, kind, content, problem=None, summary=None, omitted=None):
    """Write the tree ``content`` as a measureopt file of ``kind``; returns the path.

    Parameters
    ----------
    path : str or os.PathLike
    kind : str
        What the file holds (``"DiscreteMeasure"``, ``"Result"``, ``"checkpoint"``, ...).
    content : object
        Anything :func:`encode` takes.
    problem : dict, optional
        :func:`problem_fingerprint` of the problem it belongs to.
    summary : dict, optional
        Numbers and strings to show in the header.
    omitted : list, optional
        Passed to :func:`encode`: dict entries that cannot be stored are left
        out and listed here (and in the header's ``"omitted"``).
    """
    path = Path(os.fspath(path))
    arrays = []
    plain = isinstance(content, dict) and all(isinstance(k, str) and k not in _TAGS for k in content)
    if plain and omitted is not None:
        # entries are left out only inside the top-level fields (say Result.stats), never a field itself
        tree = {k: encode(v, arrays, omitted, f"{kind}.{k}") for k, v in content.items()}
    else:
        tree = encode(content, arrays, omitted, where=kind)
    meta = {**_header(kind, problem, summary), "arrays": len(arrays), "content": tree}
    if omitted:
        meta["omitted"] = list(omitted)

    def _write(fh):
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            zf.writestr(_META, json.dumps(meta, indent=1, allow_nan=False))
            for i, arr in enumerate(arrays):
                with zf.open(f"a{i}.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.asarray(arr), allow_pickle=False)

    return _atomic_write(path, _write)


def read(path, kinds=None, name="path"):
    """Read a file written by :func:`write`: ``(header, content)``; errors name the file.

    Parameters
    ----------
    path : str or os.PathLike
    kinds : str or sequence of str, optional
        The kinds accepted; another kind raises.
    name : str
        The argument's name, for messages.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    FileFormatError
        The file is not a measureopt file, is truncated or corrupted, of a
        later format version, or of another kind.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a file path (str or os.PathLike); got {type(path).__name__}")
    path = Path(os.fspath(path))
    if not path.is_file():
        raise FileNotFoundError(f"{name}: no file at {path}" + (" (it is a directory)" if path.is_dir() else ""))
    raw = path.read_bytes()
    try:
        zf = zipfile.ZipFile(_io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise FileFormatError(f"{path} is not a measureopt file, or is truncated: it is not a complete zip "
                              f"archive ({exc})") from exc
    with zf:
        names = set(zf.namelist())
        if _META not in names:
            raise FileFormatError(f"{path} is not a measureopt file: it has no {_META} (an .npz or zip archive "
                                  "of another program?)")
        try:
            meta = json.loads(zf.read(_META).decode("utf-8"))
        except (zipfile.BadZipFile, UnicodeDecodeError, ValueError, EOFError) as exc:
            raise FileFormatError(f"{path}: corrupted: its {_META} cannot be read ({exc})") from exc
        if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
            raise FileFormatError(f"{path} is not a measureopt file: its {_META} has no "
                                  f"\"format\": \"{_FORMAT}\"")
        version = meta.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise FileFormatError(f"{path}: corrupted: format version {version!r} is not a positive integer")
        if version > VERSION:
            from . import __version__

            raise FileFormatError(
                f"{path} has format version {version}, written by measureopt {meta.get('library_version', '?')}; "
                f"this measureopt ({__version__}) reads format versions 1 to {VERSION}: upgrade measureopt")
        kind = meta.get("kind")
        accepted = (kinds,) if isinstance(kinds, str) else tuple(kinds or ())
        if accepted and kind not in accepted:
            raise FileFormatError(f"{path} holds a {kind}, not a {' or a '.join(accepted)}")
        n_arrays = meta.get("arrays")
        if not isinstance(n_arrays, int) or any(f"a{i}.npy" not in names for i in range(n_arrays)):
            raise FileFormatError(f"{path}: corrupted: arrays listed in {_META} are missing from the archive")
        arrays = []
        for i in range(n_arrays):
            try:
                with zf.open(f"a{i}.npy") as member:
                    arrays.append(np.lib.format.read_array(_io.BytesIO(member.read()), allow_pickle=False))
            except (zipfile.BadZipFile, ValueError, EOFError, OSError) as exc:
                raise FileFormatError(f"{path}: corrupted: array a{i}.npy cannot be read ({exc})") from exc
        for arr in arrays:
            arr.flags.writeable = False
    header = {k: v for k, v in meta.items() if k != "content"}
    header["summary"] = decode(header.get("summary", {}), (), path)
    return header, decode(meta.get("content"), arrays, path)


def save(obj, path, problem=None):
    """Save a measureopt value (a measure, a result, ...) to ``path``; returns the path.

    Parameters
    ----------
    obj : DiscreteMeasure, LayeredMeasure, solvers.Result, ...
        Any of the library's value types (``measureopt._frozen.file_kinds()``).
    path : str or os.PathLike
        Conventionally ending in ``.npz``.
    problem : MeasureProblem or dict, optional
        The problem ``obj`` belongs to, recorded by its
        :func:`problem_fingerprint` (a result records its own).

    Returns
    -------
    pathlib.Path

    Warns
    -----
    UserWarning
        When entries of a dict (say a torch module in ``Result.stats``)
        cannot be stored: they are left out and named.
    """
    import warnings

    kind = type(obj).__name__
    if file_kinds().get(kind) is not type(obj):
        raise TypeError(f"obj must be one of measureopt's value types ({', '.join(sorted(file_kinds()))}); "
                        f"got {type(obj).__name__}")
    if problem is None:
        problem = getattr(obj, "problem", None)
    fingerprint = problem if isinstance(problem, dict) else problem_fingerprint(problem)
    summary = getattr(obj, "_file_summary", lambda: {})()
    omitted = []
    state = file_state(obj)
    path = write(path, kind, state, fingerprint, summary, omitted)
    if omitted:
        warnings.warn(f"{path}: left out {', '.join(omitted)}: not data a measureopt file holds (save torch "
                      "modules with torch.save(module.state_dict()))", UserWarning, stacklevel=3)
    return path


def load(path, kind=None, problem=None, name="path"):
    """Load a value saved by :func:`save`; ``kind`` (a class or its name) restricts what is accepted.

    With ``problem``, the file's fingerprint must match the problem's
    (:func:`check_fingerprint`).
    """
    if isinstance(kind, type):
        kind = kind.__name__
    header, state = read(path, kind, name)
    cls = file_kinds().get(header["kind"])
    if cls is None or not isinstance(state, dict):
        raise FileFormatError(f"{path} holds a {header['kind']!r}, which is not a value measureopt loads")
    if problem is not None:
        check_fingerprint(header.get("problem", {}), problem_fingerprint(problem), path)
    from_state = getattr(cls, "_from_file_state", None)
    return from_state(state) if from_state is not None else cls(**state)


def write_json(path, value):
    """Write ``value`` as JSON (the tree of :func:`encode`, arrays inline as lists), atomically; returns the path."""
    text = json.dumps(encode(value), indent=2, allow_nan=False)
    return _atomic_write(Path(os.fspath(path)), lambda fh: fh.write(text.encode("utf-8")))


def read_json(path):
    """Read a file of :func:`write_json` (non-finite floats and tuples restored)."""
    path = Path(os.fspath(path))
    try:
        tree = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise FileFormatError(f"{path} is not a JSON file, or is truncated ({exc})") from exc
    return decode(tree, (), path)
