"""Torch settings shared by the torch solvers (particles, Algorithm 1, the regime trainers): the dtype and the device.

The checks live in :mod:`measureopt._validation` (``to_network`` and
:class:`~measureopt.deep.DeepMLP` use them too): ``resolve_dtype`` turns
``None`` (float64), a dtype or its name into a torch floating dtype;
``resolve_device`` turns ``None`` (the CPU), a device or its name into a
device, refusing at once one that torch knows but that is not available here
(``"cuda"`` without CUDA).
"""

from measureopt._validation import check_torch_device as resolve_device
from measureopt._validation import check_torch_dtype as resolve_dtype

__all__ = ["resolve_dtype", "resolve_device"]
