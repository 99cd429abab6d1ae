"""Input validation helpers that name the argument in their messages."""

import numbers

import numpy as np

__all__ = ["check_array", "check_positive", "check_real", "check_random_state", "draw_seed", "check_int",
           "check_oracle", "check_problem", "check_torch_dtype", "check_torch_device"]


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
        Target dtype. Complex input to a real dtype is refused with a
        ``TypeError`` ("X must be real; got complex128"): converting it
        would silently drop the imaginary part.
    copy : bool, default=False
        Always return a fresh array.

    Returns
    -------
    ndarray
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be an array of numbers; got {type(value).__name__}")
    real = not np.issubdtype(np.dtype(dtype), np.complexfloating)
    if real:
        _check_not_complex(value, name)
    try:
        arr = np.array(value, dtype=dtype, copy=True) if copy else np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        if real:
            try:
                probe = np.asarray(value)
            except (TypeError, ValueError):
                probe = None
            if probe is not None:
                _check_not_complex(probe, name)
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


def _check_not_complex(value, name):
    """Refuse complex input: converting it to a real dtype would silently drop the imaginary part."""
    dtype = getattr(value, "dtype", None)
    if isinstance(value, complex) or (isinstance(dtype, np.dtype) and dtype.kind == "c"):
        got = dtype if isinstance(dtype, np.dtype) else type(value).__name__
        raise TypeError(f"{name} must be real; got {got}")
    if callable(getattr(value, "is_complex", None)) and value.is_complex():  # a torch tensor
        raise TypeError(f"{name} must be real; got {dtype}")


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


def check_real(value, name, low=None, high=None, low_open=False, high_open=False):
    """Check that ``value`` is a finite real number in the interval from ``low`` to ``high``.

    ``low_open``/``high_open`` exclude the bound itself. Returns a float.
    NaN and infinities are always refused, so a bad value never reaches a
    comparison that it would pass silently (``nan < tol`` is False).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    value = float(value)
    below = low is not None and (value < low or (low_open and value == low))
    above = high is not None and (value > high or (high_open and value == high))
    if not np.isfinite(value) or below or above:
        interval = ("(" if low_open or low is None else "[") + ("-inf" if low is None else f"{low:g}") + ", " + \
            ("inf" if high is None else f"{high:g}") + (")" if high_open or high is None else "]")
        raise ValueError(f"{name} must be finite and in {interval}; got {value!r}")
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


def check_random_state(seed, name="random_state"):
    """Turn ``seed`` into a :class:`numpy.random.Generator`: None, a non-negative int, or a Generator.

    Every argument that seeds something (``random_state``, ``seed``) goes
    through here, so they all accept the same values and name themselves in
    the error.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError(f"{name} must be None, a non-negative int or a numpy Generator; got {seed}")
        return np.random.default_rng(int(seed))
    raise TypeError(f"{name} must be None, a non-negative int or a numpy Generator; got {type(seed).__name__}")


def draw_seed(seed, name="seed"):
    """An int seed (for torch generators) from what :func:`check_random_state` accepts: the int itself, or one drawn."""
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and seed >= 0:
        return int(seed)
    return int(check_random_state(seed, name).integers(0, 2**63 - 1))


def check_oracle(oracle, name="oracle", allow_none=True):
    """Check that ``oracle`` is a sup-oracle (has ``maximize(features, q)``), or None when allowed."""
    if oracle is None and allow_none:
        return None
    if not callable(getattr(oracle, "maximize", None)):
        allowed = " or None" if allow_none else ""
        raise TypeError(f"{name} must have a maximize(features, q) method (a sup-oracle){allowed}; "
                        f"got {type(oracle).__name__}")
    return oracle


def check_problem(problem, name="problem"):
    """Check that ``problem`` is a measure problem (features, ``check_measure``, ``dual_certificate``)."""
    methods = ("check_measure", "dual_certificate", "objective")
    if getattr(problem, "features", None) is None or not all(callable(getattr(problem, m, None)) for m in methods):
        raise TypeError(f"{name} must be a measure problem (a measureopt.MeasureProblem such as BLASSO); "
                        f"got {type(problem).__name__}")
    return problem


def check_torch_dtype(dtype, name="dtype"):
    """A torch floating dtype from ``None`` (float64), a dtype, or its name (``"float32"``)."""
    import torch

    if dtype is None:
        return torch.float64
    if isinstance(dtype, str) and isinstance(getattr(torch, dtype, None), torch.dtype):
        dtype = getattr(torch, dtype)
    if isinstance(dtype, torch.dtype) and dtype.is_floating_point:
        return dtype
    raise ValueError(f"{name} must be a torch floating dtype or its name ('float64', 'float32'); got {dtype!r}")


def check_torch_device(device, name="device"):
    """A torch device from ``None`` (the CPU), a device, or its name; refused at once when not available here."""
    import torch

    index = isinstance(device, numbers.Integral) and not isinstance(device, bool)  # torch.device(0): cuda:0
    if device is not None and not (index or isinstance(device, (str, torch.device))):
        raise TypeError(f"{name} must be a torch device or its name ('cpu', 'cuda'); got {type(device).__name__}")
    try:
        dev = torch.device("cpu" if device is None else device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a torch device or its name ('cpu', 'cuda'); got {device!r}") from exc
    if dev.type == "cpu":
        return dev
    if dev.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ValueError(f"{name}={device!r} is not available: torch finds no CUDA device here; use 'cpu'")
        if dev.index is not None and dev.index >= count:
            raise ValueError(f"{name}={device!r} is not available: torch finds {count} CUDA device(s)")
        return dev
    if dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError(f"{name}={device!r} is not available: torch finds no MPS device here; use 'cpu'")
        return dev
    try:  # another backend: ask for an empty tensor there
        torch.empty(0, device=dev)
    except Exception as exc:  # noqa: BLE001 - torch raises RuntimeError, AssertionError, ...
        raise ValueError(f"{name}={device!r} is not available here ({exc}); use 'cpu'") from None
    return dev
