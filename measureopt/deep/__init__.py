r"""Deep networks as a convex program over feature distributions (Fang, Gu, Zhang & Zhang, 2022).

* :class:`DeepConvexProgram`: Program (21) with the regularizers (22)-(24),
  over reference atoms per layer; its objective, constraints, a feasible
  repair and a dual lower bound valid for any multipliers.
* :class:`LayeredMeasure`: a point of the program, and its recovery as a
  discrete network (Sec. IV-C).
* :class:`DeepMLP`: the discrete network of eq. (1)-(2) in the 1/m scaling,
  with the objective (9)-(12); :func:`atoms_from_network`.
* :func:`optimality_check`: the check of Prop. 1 (eq. 28-29) on a network or
  a solution (:class:`OptimalityCheck`); :func:`approximation_variance`:
  :math:`V(w, u)` of Sec. VII.
* :func:`layer_wasserstein`: per-layer Wasserstein distances between the
  feature distributions of two layered measures (POT).

``DeepMLP``, ``atoms_from_network``, ``optimality_check``,
``OptimalityCheck``, ``LayerCheck`` and ``approximation_variance`` need torch
and load it on first use.
"""

from ._layered import LayeredMeasure
from ._program import DEEP_LOSSES, DeepConvexProgram, DeepGap
from ._transport import layer_wasserstein

__all__ = ["DeepConvexProgram", "DeepGap", "LayeredMeasure", "DeepMLP", "atoms_from_network", "DEEP_LOSSES",
           "layer_wasserstein", "optimality_check", "OptimalityCheck", "LayerCheck", "approximation_variance"]

#: The names loaded on first use (they need torch), and their modules.
_LAZY = {"DeepMLP": "_mlp", "atoms_from_network": "_mlp", "optimality_check": "_checks",
         "OptimalityCheck": "_checks", "LayerCheck": "_checks", "approximation_variance": "_checks"}


def __getattr__(name):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
