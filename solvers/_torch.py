"""Torch settings shared by the torch solvers (particles, Algorithm 1): the dtype and the device."""

__all__ = ["resolve_dtype", "resolve_device"]


def resolve_dtype(dtype):
    """A torch floating dtype from ``None`` (float64), a dtype, or its name (``"float32"``)."""
    import torch

    if dtype is None:
        return torch.float64
    if isinstance(dtype, str) and isinstance(getattr(torch, dtype, None), torch.dtype):
        dtype = getattr(torch, dtype)
    if isinstance(dtype, torch.dtype) and dtype.is_floating_point:
        return dtype
    raise ValueError(f"dtype must be a torch floating dtype or its name ('float64', 'float32'); got {dtype!r}")


def resolve_device(device):
    """A torch device from ``None`` (the CPU), a device, or its name."""
    import torch

    try:
        return torch.device("cpu" if device is None else device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device must be a torch device or its name ('cpu', 'cuda'); got {device!r}") from exc
