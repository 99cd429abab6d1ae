"""One example instance of every public class, for the pickling and file-format tests.

``public_classes()`` collects the classes from the ``__all__`` of every public
module of ``measureopt`` and ``solvers``; ``example(cls)`` builds an instance.
A class added to an ``__all__`` is picked up by the tests without editing
them: it needs an entry in ``_EXAMPLES`` only when ``cls()`` does not build
one, and the test says so.
"""

import functools
import importlib
import inspect
import pkgutil
from pathlib import Path

import numpy as np

import measureopt as mo
import solvers


def _public_modules():
    for package in (mo, solvers):
        yield package
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not any(part.startswith("_") for part in info.name.split(".")):
                yield importlib.import_module(info.name)


@functools.cache
def public_classes():
    """Every class named in a public module's ``__all__``, once, sorted by name."""
    found = {}
    for module in _public_modules():
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name, None)
            if inspect.isclass(obj) and obj.__module__.split(".")[0] in ("measureopt", "solvers"):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return tuple(sorted(found.values(), key=lambda c: c.__name__))


# ------------------------------------------------------------------ shared data
@functools.cache
def _data():
    return mo.teacher_student(n=30, d=3, m=2, seed=0)


@functools.cache
def _problem():
    data = _data()
    return mo.BLASSO(data.X, data.y, reg=0.05)


@functools.cache
def _result():
    return solvers.SlidingFrankWolfe(max_iter=20, oracle=mo.GridOracle(mo.sphere_grid(3, 200, seed=0)),
                                     certificate_oracle=mo.GridOracle(mo.sphere_grid(3, 400, seed=1))
                                     ).solve(_problem())


@functools.cache
def _deep():
    X, y = mo.cosine_task(12, 0)
    return X, y, mo.deep.DeepConvexProgram.random(X, y, [4, 3], seed=0)


@functools.cache
def _mlp():
    return mo.deep.DeepMLP(2, [4, 3], seed=0)


def _fitted(estimator):
    X = mo.sample_sphere(3, 20, seed=1)
    return estimator.fit(X, X[:, 0] ** 2)


def linear_kernel(A, B):
    """A kernel at module level, so that estimators holding it pickle (a lambda does not)."""
    return A @ B.T


@functools.cache
def _spec():
    from solvers.sweeps import parse_spec

    return parse_spec('experiment = "sleep"\n[params]\nseconds = 0.0\n[grid]\nindex = [0, 1]\n')


def _store():
    import tempfile

    from solvers.sweeps import Store

    return Store(Path(tempfile.mkdtemp()) / "store.sqlite")


def _stars():
    from measureopt.arrangement import arrangement_stars

    return next(arrangement_stars(mo.sample_sphere(3, 6, seed=0)))


_EXAMPLES = {
    "Features": lambda: mo.Features(_data().X),
    "MeasureProblem": lambda: mo.MeasureProblem(mo.Features(_data().X), _data().y, mo.SquaredLoss(), mo.TV(0.1)),
    "TV": lambda: mo.TV(0.1),
    "TVBall": lambda: mo.TVBall(2.0),
    "BLASSO": _problem,
    "VariationNormERM": lambda: mo.VariationNormERM(_data().X, _data().y, reg=0.1),
    "DiscreteMeasure": lambda: _data().teacher,
    "TeacherStudentData": _data,
    "GridOracle": lambda: mo.GridOracle(mo.sphere_grid(3, 50, seed=0)),
    "ReLUPower": lambda: mo.ReLUPower(2.0),
    "Softplus": lambda: mo.Softplus(2.0),
    "SupResult": lambda: mo.GridOracle(mo.sphere_grid(3, 50, seed=0)).maximize(_problem().features, _data().y),
    "DualityGap": lambda: _problem().duality_gap(_data().teacher, mo.GridOracle(mo.sphere_grid(3, 100, seed=0))),
    "PreCertificate": lambda: mo.precertificate(_problem(), _result().measure, grid=500),
    "CrossCheck": lambda: mo.crosscheck(_result().measure, _problem(), teacher=_data().teacher,
                                        oracle=mo.GridOracle(mo.sphere_grid(3, 100, seed=0))),
    "TransportResult": lambda: mo.wasserstein_details(_result().measure, _data().teacher, p=2),
    "Recovery": lambda: mo.recovery(_result().measure, _data().teacher),
    "Vertex": lambda: _problem().lmo(_data().y, mo.GridOracle(mo.sphere_grid(3, 50, seed=0))),
    "Stars": _stars,
    "DeepConvexProgram": lambda: _deep()[2],
    "DeepMLP": _mlp,
    "LayeredMeasure": lambda: mo.deep.LayeredMeasure.from_network(_mlp(), _deep()[0]),
    "DeepGap": lambda: mo.deep.DeepGap(gap=1e-3, primal=1.0, dual=0.999, residual=0.0),
    "OptimalityCheck": lambda: mo.deep.optimality_check(_mlp(), 1e-3, 1e-3),
    "LayerCheck": lambda: mo.deep.optimality_check(_mlp(), 1e-3, 1e-3).layers[0],
    "Result": _result,
    "Status": lambda: solvers.Status.OPTIMAL,
    "Backend": lambda: solvers.backends.BACKENDS["CLARABEL"],
    "TwoLayerTraining": lambda: solvers.TwoLayerTraining(width=8, max_iter=3, random_state=0),
    "RegimeRun": lambda: solvers.TwoLayerTraining(width=8, max_iter=3, random_state=0).run(
        mo.sample_sphere(3, 10, seed=0), np.ones(10)),
    "DuRun": lambda: solvers.DuGradientDescent(width=20, max_iter=2, random_state=0).run(
        mo.sample_sphere(3, 6, seed=0), np.ones(6)),
    "DeepCrossCheck": lambda: solvers.deep_crosscheck(_mlp(), _deep()[0], _deep()[1], reg=1e-2, reg_u=1e-2),
    "PatternFit": lambda: solvers.exact_relu.solve_patterns(
        _problem(), solvers.exact_relu.arrangement_patterns(_data().X, "sample", n_patterns=8)),
    "Prune": lambda: solvers.Prune(_data().teacher, 1),
    "KernelRidge": lambda: _fitted(solvers.KernelRidge(kernel=linear_kernel)),
    "RandomFeatureRegression": lambda: _fitted(solvers.RandomFeatureRegression(n_features=30, random_state=0)),
    "RegularizedNTK": lambda: _fitted(solvers.RegularizedNTK()),
    "F2KernelRidge": lambda: _fitted(solvers.F2KernelRidge()),
    "Experiment": lambda: _spec().experiment,
    "Spec": _spec,
    "Task": lambda: _spec().tasks()[0],
    "Store": _store,
    "SweepSummary": lambda: solvers.sweeps.SweepSummary(Path("store.sqlite"), 2, 0, 2, 0, 0, 1.5, 2),
    "ConicStep": lambda: solvers.particles.ConicStep(0.1, 0.2),
    "MeanFieldStep": lambda: solvers.particles.MeanFieldStep(0.1, noise=0.01),
    "NormDependentStep": lambda: solvers.particles.NormDependentStep(0.1),
    "ConvexNetRegressor": lambda: _fitted(_estimators().ConvexNetRegressor(reg=1e-2, solver="grid", grid=50)),
    "ConvexNetClassifier": lambda: _estimators().ConvexNetClassifier(reg=1e-2, solver="grid", grid=50).fit(
        _data().X, np.where(_data().y > np.median(_data().y), "up", "down")),
    "ConvexNetRegressorCV": lambda: _fitted(_estimators().ConvexNetRegressorCV(n_regs=3, cv=2, solver="grid",
                                                                               grid=50)),
    "RegPath": lambda: _estimators().reg_path(_data().X, _data().y, lift=False, n_regs=3, eps=0.1),
}


def _estimators():
    import solvers.estimators

    return solvers.estimators


def example(cls):
    """An instance of ``cls``: its entry in ``_EXAMPLES``, an exception with a message, or ``cls()``."""
    if issubclass(cls, BaseException):
        return cls(f"a {cls.__name__} for the test")
    build = _EXAMPLES.get(cls.__name__)
    if build is not None:
        return build()
    try:
        return cls()
    except TypeError as exc:
        raise AssertionError(f"{cls.__name__} is public (in an __all__) but {cls.__name__}() fails ({exc}): add an "
                             "example to _EXAMPLES in tests/public_examples.py") from exc
