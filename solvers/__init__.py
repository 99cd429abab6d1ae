"""solvers: how to solve measureopt problems.

Every solver takes a :mod:`measureopt` problem and returns a :class:`Result`.
This package imports :mod:`measureopt`; :mod:`measureopt` never imports it.
"""

from measureopt.exceptions import (
    ConvergenceWarning,
    IncompatibleSolverError,
    MeasureOptError,
    SolverError,
    SolverNotInstalledError,
)

from .backends import BACKENDS, available_backends
from .base import Solver
from .exact_relu import ExactReLU
from .frank_wolfe import FrankWolfe, SlidingFrankWolfe
from .grid_convex import GridConvex
from .particles import (
    ConicParticleGD,
    NoisyParticleGD,
    NormDependentGD,
    ParticleGD,
    ParticleSolver,
)
from .pruning import prune
from .result import Result, Status

__all__ = [
    "ConicParticleGD",
    "NoisyParticleGD",
    "NormDependentGD",
    "ParticleGD",
    "ParticleSolver",
    "prune",
    "BACKENDS",
    "ConvergenceWarning",
    "ExactReLU",
    "FrankWolfe",
    "SlidingFrankWolfe",
    "GridConvex",
    "IncompatibleSolverError",
    "MeasureOptError",
    "Result",
    "Solver",
    "SolverError",
    "SolverNotInstalledError",
    "Status",
    "available_backends",
]
