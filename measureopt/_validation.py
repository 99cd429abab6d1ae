"""Input validation helpers that name the argument in their messages."""

import numbers

import numpy as np

__all__ = ["check_array", "check_positive", "check_random_state", "check_int"]


def check_array(value, name, ndim=None, shape=None, finite=True, dtype=float, copy=False):
    """Convert ``value`` to a NumPy array and check it.

    Parameters
    ----------
    value : array_like
        The input.
    name : str
        Argument name used in error messages.
    ndim : int, optional
        Required number of dimensions.
    shape : tuple, optional
        Required shape. Integer entries must match exactly; string entries
        (such as ``"n_atoms"``) match any length and label the axis in the
        error message, e.g. ``support must have shape (n_atoms, 3); got (5,)``.
    finite : bool, default=True
        Reject NaN and infinite entries.
    dtype : dtype, default=float
        Target dtype.
    copy : bool, default=False
        Always return a fresh array.

    Returns
    -------
    ndarray
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be an array of numbers; got {type(value).__name__}")
    try:
        arr = np.array(value, dtype=dtype, copy=True) if copy else np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers; got {type(value).__name__}") from exc
    if ndim is not None and arr.ndim != ndim:
        expected = _format_shape(shape) if shape is not None else f"{ndim}-D"
        raise ValueError(f"{name} must be {ndim}-D with shape {expected}; got shape {arr.shape}")
    if shape is not None:
        for got, want in zip(arr.shape, shape):
            if isinstance(want, numbers.Integral) and got != want:
                raise ValueError(
                    f"{name} must have shape {_format_shape(shape)}; got {arr.shape}"
                )
    if finite and arr.size and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s); all entries must be finite")
    return arr


def _format_shape(shape):
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def check_positive(value, name, strict=True):
    """Check that ``value`` is a finite real number, positive (or >= 0)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value < 0 or (strict and value == 0):
        expected = "> 0" if strict else ">= 0"
        raise ValueError(f"{name} must be finite and {expected}; got {value!r}")
    return value


def check_int(value, name, minimum=None, maximum=None):
    """Check that ``value`` is an integer within ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}; got {value}")
    return value


def check_random_state(seed):
    """Turn ``seed`` (None, int or Generator) into a :class:`numpy.random.Generator`."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)):
        return np.random.default_rng(seed)
    raise TypeError(f"seed must be None, an int or a numpy Generator; got {type(seed).__name__}")
