"""Torch settings shared by the torch solvers (particles, Algorithm 1): the dtype and the device.

The checks themselves live in :mod:`measureopt._validation` (``to_network``
and :class:`~measureopt.deep.DeepMLP` use them too); a device that torch
knows but that is not available here (``"cuda"`` without CUDA) is refused at
once, by name.
"""

from measureopt._validation import check_torch_device, check_torch_dtype

__all__ = ["resolve_dtype", "resolve_device"]


def resolve_dtype(dtype, name="dtype"):
    """A torch floating dtype from ``None`` (float64), a dtype, or its name (``"float32"``)."""
    return check_torch_dtype(dtype, name)


def resolve_device(device, name="device"):
    """A torch device from ``None`` (the CPU), a device, or its name; it must be available here."""
    return check_torch_device(device, name)
