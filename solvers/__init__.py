"""solvers: how to solve measureopt problems.

Every solver takes a :mod:`measureopt` measure problem and returns a
:class:`Result`. This package imports :mod:`measureopt`; :mod:`measureopt`
never imports it (checked by an import-linter contract).
"""

from measureopt.exceptions import (
    ConvergenceWarning,
    IncompatibleSolverError,
    MeasureOptError,
    NotFittedError,
    SolverError,
    SolverFailureWarning,
    SolverNotInstalledError,
)

from ._base import Solver
from ._result import Result, Status
from .backends import BACKENDS, available_backends
from .deep_convex import DeepConvex
from .deep_crosscheck import DeepCrossCheck, deep_crosscheck
from .exact_relu import ExactReLU
from .frank_wolfe import FrankWolfe
from .sliding_frank_wolfe import SlidingFrankWolfe
from .grid_convex import GridConvex
from .kernel_machines import F2KernelRidge, KernelRidge, RandomFeatureRegression, RegularizedNTK
from .particles import (
    ConicParticleGD,
    NoisyParticleGD,
    NormDependentGD,
    ParticleGD,
    ParticleSolver,
)
from .pruning import Prune, prune
from .regimes import DuGradientDescent, DuRun, RegimeRun, TwoLayerTraining
from .scaled_subgradient import ScaledSubgradientGD

__all__ = [
    "ConicParticleGD",
    "NoisyParticleGD",
    "NormDependentGD",
    "ParticleGD",
    "ParticleSolver",
    "Prune",
    "prune",
    "BACKENDS",
    "ConvergenceWarning",
    "DeepConvex",
    "DuGradientDescent",
    "DuRun",
    "DeepCrossCheck",
    "deep_crosscheck",
    "ExactReLU",
    "FrankWolfe",
    "SlidingFrankWolfe",
    "GridConvex",
    "F2KernelRidge",
    "KernelRidge",
    "RandomFeatureRegression",
    "RegularizedNTK",
    "IncompatibleSolverError",
    "MeasureOptError",
    "NotFittedError",
    "RegimeRun",
    "Result",
    "ScaledSubgradientGD",
    "Solver",
    "SolverError",
    "SolverFailureWarning",
    "SolverNotInstalledError",
    "Status",
    "TwoLayerTraining",
    "available_backends",
]
