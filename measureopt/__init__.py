"""measureopt: convex, measure-space formulations of neural-network training.

What to solve lives here (measures, the sphere, activations, data, problems,
certificates, transport distances, plots in :mod:`measureopt.plot`); how to
solve it lives in the separate :mod:`solvers` package.
"""

from .activations import (
    ACTIVATIONS,
    Activation,
    ReLU,
    ReLUPower,
    Sigmoid,
    Softplus,
    Tanh,
    get_activation,
)
from .oracles import (
    ArrangementOracle,
    BranchAndBound,
    GridOracle,
    LocalOracle,
    Scope,
    SupResult,
    certified_oracle,
    riemannian_ascent,
)
from .certificates import DualityGap, PreCertificate, precertificate
from .features import Features
from .losses import LogisticLoss, Loss, SquaredLoss, get_loss
from .crosscheck import CrossCheck, crosscheck
from .measures import effective_neurons
from .networks import (
    LiftedInputsWarning,
    from_network,
    lift,
    network_measure,
    to_network,
    weight_decay,
)
from .datasets import TeacherStudentData, cosine_task, teacher_student
from .exceptions import (
    ConvergenceWarning,
    FileFormatError,
    IncompatibleSolverError,
    MeasureOptError,
    NotFittedError,
    SolverError,
    SolverFailureWarning,
    SolverNotInstalledError,
)
from .measures import DiscreteMeasure, check_measure
from .problems import BLASSO, TV, MeasureProblem, TVBall, VariationNormERM
from .sphere import (
    SPHERE_TOL,
    geodesic_distance,
    nearest_geodesic_distance,
    retract,
    sample_sphere,
    sphere_grid,
    tangent_project,
)
from .transport import Recovery, TransportResult, recovery, wasserstein, wasserstein_details

from . import io  # noqa: E402  (measureopt.io: files of measures and results)

__version__ = "0.1.0"

__all__ = [
    "io",
    "Features",
    "Loss",
    "SquaredLoss",
    "LogisticLoss",
    "get_loss",
    "MeasureProblem",
    "TV",
    "TVBall",
    "VariationNormERM",
    "Scope",
    "CrossCheck",
    "crosscheck",
    "effective_neurons",
    "LiftedInputsWarning",
    "from_network",
    "lift",
    "network_measure",
    "to_network",
    "weight_decay",
    "ACTIVATIONS",
    "Activation",
    "BLASSO",
    "ConvergenceWarning",
    "SolverFailureWarning",
    "DiscreteMeasure",
    "DualityGap",
    "GridOracle",
    "PreCertificate",
    "precertificate",
    "LocalOracle",
    "ArrangementOracle",
    "BranchAndBound",
    "certified_oracle",
    "riemannian_ascent",
    "IncompatibleSolverError",
    "MeasureOptError",
    "NotFittedError",
    "FileFormatError",
    "ReLU",
    "ReLUPower",
    "SPHERE_TOL",
    "Sigmoid",
    "Softplus",
    "SolverError",
    "SolverNotInstalledError",
    "SupResult",
    "Tanh",
    "TeacherStudentData",
    "TransportResult",
    "Recovery",
    "recovery",
    "check_measure",
    "geodesic_distance",
    "get_activation",
    "nearest_geodesic_distance",
    "retract",
    "sample_sphere",
    "sphere_grid",
    "tangent_project",
    "teacher_student",
    "cosine_task",
    "wasserstein",
    "wasserstein_details",
]
