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
from .certificates import DualityGap, PreCertificate, SupResult, precertificate
from .oracles import (
    ArrangementOracle,
    BranchAndBound,
    GridOracle,
    LocalOracle,
    certified_oracle,
    riemannian_ascent,
)
from .crosscheck import CrossCheck, crosscheck, effective_neurons
from .networks import (
    LiftedInputsWarning,
    from_network,
    lift,
    network_measure,
    to_network,
    weight_decay,
)
from .datasets import TeacherStudentData, teacher_student
from .exceptions import (
    ConvergenceWarning,
    IncompatibleSolverError,
    MeasureOptError,
    SolverError,
    SolverNotInstalledError,
)
from .measures import DiscreteMeasure, check_measure
from .problems import BLASSO
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

__version__ = "0.1.0"

__all__ = [
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
    "wasserstein",
    "wasserstein_details",
]
