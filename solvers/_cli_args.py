"""Argument types of the ``measureopt`` command: every value is checked at parse time.

Each function is an :mod:`argparse` ``type=``: a bad value becomes
``measureopt ...: error: argument --flag: ...`` and exit status 2, before any
work, instead of a traceback from the library.
"""

import argparse
import math
import os
from pathlib import Path

__all__ = ["integer", "real", "output_dir", "MAX_SEED"]

#: Largest ``--seed`` (seeds are 32-bit, accepted by NumPy and torch alike).
MAX_SEED = 2**32 - 1


def integer(name, minimum=None, maximum=None):
    """``type=`` for an int flag in ``[minimum, maximum]``."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer; got {text!r}") from None
        if minimum is not None and value < minimum:
            raise argparse.ArgumentTypeError(f"{name} must be >= {minimum}; got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"{name} must be <= {maximum}; got {value}")
        return value

    parse.__name__ = "int"
    return parse


def real(name, minimum=None, strict=False):
    """``type=`` for a finite float flag, ``> minimum`` (``strict``) or ``>= minimum``."""

    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number; got {text!r}") from None
        bound = "" if minimum is None else f" and {'>' if strict else '>='} {minimum:g}"
        if not math.isfinite(value) or (minimum is not None and (value < minimum or (strict and value == minimum))):
            raise argparse.ArgumentTypeError(f"{name} must be finite{bound}; got {text}")
        return value

    parse.__name__ = "float"
    return parse


def output_dir(text):
    """``type=`` for ``--out``: a directory that exists and is writable, or that can be created.

    Refuses an existing file, a path under a file and a directory that cannot
    be written (checked with :func:`os.access`, which root passes).
    """
    if not text:
        raise argparse.ArgumentTypeError("the output directory must not be empty")
    path = Path(text)
    try:
        if path.exists():
            if not path.is_dir():
                raise argparse.ArgumentTypeError(f"{text} exists and is not a directory")
            target = path
        else:
            target = next(p for p in path.absolute().parents if p.exists())
            if not target.is_dir():
                raise argparse.ArgumentTypeError(f"cannot create {text}: {target} is a file, not a directory")
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"cannot use {text}: {exc.strerror or exc}") from None
    if not os.access(target, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{target} is not writable" if target == path
                                         else f"cannot create {text}: {target} is not writable")
    return text
