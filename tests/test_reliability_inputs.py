"""Issue 14, bad input: every bad input a named error; problems copy their inputs and are read-only.

Each test pins a defect found by feeding bad and edge inputs to the public API
(see the issue): it failed on the code before the fix. The parametrized audits
also keep the entry points that were already right.
"""

import copy
import pickle
import warnings

import numpy as np
import pytest

import measureopt as mo
import solvers as so
from measureopt._validation import check_array, check_random_state
from measureopt.deep import DeepConvexProgram, DeepMLP, LayeredMeasure
from measureopt.kernels import du_network_init
from measureopt.problems import TV, TVBall

torch = pytest.importorskip("torch")

NAN, INF = float("nan"), float("inf")


@pytest.fixture(scope="module")
def data():
    return mo.teacher_student(n=20, d=3, m=2, seed=0)


@pytest.fixture(scope="module")
def prob(data):
    return mo.BLASSO(data.X, data.y, reg=1e-2)


def _grid_oracle(d=3, k=200):
    return mo.GridOracle(mo.sphere_grid(d, k))


def _deep_data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((8, 2))
    return X, np.sin(X[:, 0])


# ------------------------------------------------------------------ immutability
def _problems(data):
    X, y = data.X.copy(), data.y.copy()
    return [
        ("BLASSO", lambda X, y: mo.BLASSO(X, y, reg=1e-2)),
        ("VN penalized", lambda X, y: mo.VariationNormERM(X, y, reg=1e-2)),
        ("VN constrained", lambda X, y: mo.VariationNormERM(X, y, radius=2.0)),
        ("MeasureProblem", lambda X, y: mo.MeasureProblem(mo.Features(X), y, mo.SquaredLoss(), TV(1e-2))),
    ], X, y


@pytest.mark.parametrize("which", range(4))
def test_problem_copies_its_inputs(data, which):
    makers, X, y = _problems(data)
    _, make = makers[which]
    p = make(X, y)
    nu = mo.DiscreteMeasure([1.0, -0.5], mo.sample_sphere(p.dim, 2, seed=0))
    before = p.objective(nu)
    X[0, 0] = np.nan
    y[1] = np.inf
    assert p.objective(nu) == before
    assert np.all(np.isfinite(p.X)) and np.all(np.isfinite(p.y))


@pytest.mark.parametrize("which", range(4))
def test_problem_arrays_are_read_only(data, which):
    makers, X, y = _problems(data)
    _, make = makers[which]
    p = make(X, y)
    for arr in (p.X, p.y, p.features.X, p.features.inputs):
        assert not arr.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 0.0
    assert X.flags.writeable and y.flags.writeable  # the caller's arrays are left alone


def test_problem_attributes_cannot_be_set(prob):
    gap = prob.duality_gap(mo.DiscreteMeasure.zero(3), oracle=_grid_oracle())
    with pytest.raises(AttributeError, match="BLASSO is immutable.*reg"):
        prob.reg = -1
    with pytest.raises(AttributeError, match="immutable.*penalty"):
        prob.penalty = TV(1.0)
    with pytest.raises(AttributeError, match="immutable"):
        del prob.features
    with pytest.raises(AttributeError, match="TV is immutable.*reg"):
        prob.penalty.reg = -1
    with pytest.raises(AttributeError, match="Features is immutable.*X"):
        prob.features.X = np.zeros((2, 3))
    with pytest.raises(AttributeError, match="SquaredLoss is immutable"):
        prob.loss.curvature = 2.0
    with pytest.raises(AttributeError, match="TVBall is immutable.*radius"):
        TVBall(1.0).radius = -1.0
    vn = mo.VariationNormERM(prob.X, prob.y, loss="squared", alpha=2, reg=1.0)
    with pytest.raises(AttributeError, match="VariationNormERM is immutable.*alpha"):
        vn.alpha = 1
    assert prob.duality_gap(mo.DiscreteMeasure.zero(3), oracle=_grid_oracle()) == gap


@pytest.mark.parametrize("dump", [pickle.dumps, None], ids=["pickle", "deepcopy"])
def test_problems_pickle_and_deepcopy_stay_immutable(prob, dump):
    X, Y = _deep_data()
    deep = DeepConvexProgram.random(X, Y, [4])
    objects = [prob, mo.VariationNormERM(prob.X, prob.y, loss="squared", radius=2.0), prob.features, TV(0.5),
               TVBall(2.0), mo.LogisticLoss(), deep]
    for obj in objects:
        back = pickle.loads(dump(obj)) if dump else copy.deepcopy(obj)
        assert type(back) is type(obj) and repr(back) == repr(obj)
        with pytest.raises(AttributeError, match="immutable"):
            back.anything = 1
        arrays = [v for v in vars(back).values() if isinstance(v, np.ndarray)]
        arrays += [a for v in vars(back).values() if isinstance(v, tuple) for a in v if isinstance(a, np.ndarray)]
        assert all(not a.flags.writeable for a in arrays)
    back = pickle.loads(dump(prob)) if dump else copy.deepcopy(prob)
    nu = mo.DiscreteMeasure([1.0, -0.5], mo.sample_sphere(3, 2, seed=0))
    assert back.objective(nu) == prob.objective(nu)
    assert not back.X.flags.writeable and not back.features.inputs.flags.writeable
    back = pickle.loads(dump(deep)) if dump else copy.deepcopy(deep)
    assert all(not a.flags.writeable for a in (back.X, *back.atoms, *back.features, *back.pi))
    np.testing.assert_array_equal(back.features[0], deep.features[0])


def test_deep_program_copies_inputs_and_leaves_the_callers_arrays_writeable():
    X, Y = _deep_data()
    net = DeepMLP(2, [4, 3], seed=0)
    atoms = mo.deep.atoms_from_network(net, X)
    prog = DeepConvexProgram(X, Y, atoms)
    # before the fix, the program set the caller's own X and atoms read-only (and kept references to them)
    assert X.flags.writeable and all(a.flags.writeable for a in atoms)
    point = prog.represent(net)
    before = prog.objective(point)
    X[0, 0] = np.nan
    atoms[1][0, 0] = np.nan
    assert prog.objective(point) == before
    with pytest.raises(AttributeError, match="DeepConvexProgram is immutable.*reg_u"):
        prog.reg_u = -1.0
    with pytest.raises(AttributeError):
        prog.atoms.append(atoms[0])  # the per-layer sequences are tuples
    assert not prog.bases[0]["U"].flags.writeable


def test_measures_still_immutable():
    mu = mo.DiscreteMeasure([1.0], [[1.0, 0.0]])
    with pytest.raises(AttributeError, match="DiscreteMeasure is immutable"):
        mu.weights = np.zeros(1)
    back = pickle.loads(pickle.dumps(mu))
    assert not back.weights.flags.writeable
    with pytest.raises(AttributeError, match="immutable"):
        copy.deepcopy(mu)._weights = np.zeros(1)
    lm = LayeredMeasure([np.eye(2)], [np.full(2, 0.5)], [np.ones(2)], [], np.ones((2, 1)))
    with pytest.raises(AttributeError, match="LayeredMeasure is immutable"):
        lm.ut = None
    with pytest.raises(AttributeError, match="immutable"):
        copy.deepcopy(lm).ut = None


# ------------------------------------------------------------------ complex arrays
def test_check_array_rejects_complex():
    with pytest.raises(TypeError, match="X must be real; got complex128"):
        check_array(np.ones(3) + 1j, "X")
    with pytest.raises(TypeError, match="X must be real; got complex"):
        check_array([1.0, 2j], "X")
    with pytest.raises(TypeError, match="s must be real"):
        check_array(1j, "s", ndim=0)


def test_complex_inputs_are_rejected_everywhere(data):
    X, y = data.X, data.y
    cases = [
        ("X", lambda: mo.BLASSO(X + 0j, y, reg=1e-2)),
        ("y", lambda: mo.BLASSO(X, y + 1e-3j, reg=1e-2)),
        ("X", lambda: mo.VariationNormERM(X.astype(complex), y, reg=1e-2)),
        ("weights", lambda: mo.DiscreteMeasure(np.ones(1) * (1 + 1j), [[1.0, 0.0]])),
        ("support", lambda: mo.DiscreteMeasure([1.0], np.array([[1.0, 0.0]], dtype=complex))),
        ("X", lambda: DeepConvexProgram.random(*_deep_data(), [3]).__class__(
            _deep_data()[0] + 0j, _deep_data()[1], [np.ones((2, 2))])),
        ("Y", lambda: DeepConvexProgram(_deep_data()[0], _deep_data()[1] + 0j, [np.ones((2, 2))])),
        ("scale", lambda: mo.network_measure([1.0], [[1.0, 0.0]], scale=1j)),
    ]
    for name, fn in cases:
        with pytest.raises((TypeError, ValueError), match=rf"\b{name}\b.*real"):
            fn()


# ------------------------------------------------------------------ float parameters
def _deep_tensors():
    X, y = _deep_data()
    return torch.as_tensor(X), torch.as_tensor(y[:, None])


def _float_cases(prob, data):
    nu = data.teacher
    lm = LayeredMeasure([np.eye(2)], [np.full(2, 0.5)], [np.ones(2)], [], np.ones((2, 1)))
    from solvers.exact_relu import adjacent_patterns
    from solvers.scaled_subgradient import mininorm_subgradient

    return [
        ("exclusion", lambda v: mo.precertificate(prob, nu, exclusion=v, grid=100, oracle=_grid_oracle())),
        ("effective_rtol", lambda v: mo.crosscheck(nu, prob, oracle=_grid_oracle(), effective_rtol=v)),
        ("rtol", lambda v: mo.effective_neurons(nu, v)),
        ("tol", lambda v: prob.duality_gap(nu, oracle=_grid_oracle(), tol=v)),
        ("precision", lambda v: prob.dual_certificate(nu, oracle=_grid_oracle(), precision=v)),
        ("tol", lambda v: nu.is_on_sphere(v)),
        ("tol", lambda v: mo.sphere.check_on_sphere(nu.support, "thetas", tol=v)),
        ("degree", lambda v: mo.network_measure([1.0], [[1.0, 0.0]], degree=v)),
        ("min_captured", lambda v: mo.recovery(nu, nu).recovered(min_captured=v)),
        ("max_elsewhere", lambda v: mo.recovery(nu, nu).recovered(max_elsewhere=v)),
        ("rtol", lambda v: mo.certified_oracle(prob, rtol=v)),
        ("grad_tol", lambda v: mo.riemannian_ascent(prob.features, prob.y, nu.support, grad_tol=v)),
        ("rtol", lambda v: lm.kept(v)),
        ("rtol", lambda v: lm.connections(v)),
        ("rtol", lambda v: mo.deep.layer_wasserstein(lm, lm, rtol=v)),
        ("tie_tol", lambda v: adjacent_patterns(prob.X, nu.support, tie_tol=v)),
        ("reg", lambda v: so.deep_crosscheck(DeepMLP(2, [3]), *_deep_data(), reg=v, reg_u=1e-3)),
        ("reg_u", lambda v: DeepMLP(2, [3]).objective(*_deep_tensors(), reg=1e-3, reg_u=v)),
        ("reg_u", lambda v: mininorm_subgradient(DeepMLP(2, [3]), *_deep_tensors(), reg=1e-3, reg_u=v)),
        ("max_time", lambda v: prob.duality_gap(nu, oracle=_grid_oracle(), max_time=v)),
    ]


@pytest.mark.parametrize("value", [NAN, INF, -1.0])
def test_float_parameters_are_finite_and_in_range(prob, data, value):
    failures = []
    for name, fn in _float_cases(prob, data):
        try:
            fn(value)
        except (TypeError, ValueError) as exc:
            if name in str(exc):
                continue
            failures.append(f"{name}={value}: {type(exc).__name__}: {exc}")
        else:
            failures.append(f"{name}={value}: accepted")
    assert not failures, "\n".join(failures)


def test_nan_parameters_no_longer_change_the_verdict(prob, data):
    with pytest.raises(ValueError, match="exclusion"):
        mo.precertificate(prob, data.teacher, exclusion=np.nan, grid=100, oracle=_grid_oracle())
    with pytest.raises(ValueError, match="effective_rtol"):
        mo.crosscheck(data.teacher, prob, oracle=_grid_oracle(), effective_rtol=np.nan)
    with pytest.raises(ValueError, match="exclusion"):
        mo.precertificate(prob, data.teacher, exclusion=4.0, grid=100, oracle=_grid_oracle())  # > pi
    with pytest.raises(ValueError, match="rtol"):
        mo.effective_neurons(data.teacher, 1.0)  # every atom would be "wasted"


# ------------------------------------------------------------------ seeds
def _seed_cases(prob, data):
    nu, X, y = data.teacher, data.X, data.y
    return [
        ("seed", lambda s: mo.teacher_student(5, 3, 2, seed=s)),
        ("seed", lambda s: mo.cosine_task(5, seed=s)),
        ("seed", lambda s: mo.sample_sphere(3, 5, seed=s)),
        ("seed", lambda s: mo.sphere_grid(4, 5, seed=s)),
        ("seed", lambda s: du_network_init(3, 5, 2, seed=s)),
        ("seed", lambda s: DeepMLP(3, [4], seed=s)),
        ("seed", lambda s: DeepConvexProgram.random(*_deep_data(), [3], seed=s)),
        ("random_state", lambda s: mo.LocalOracle(random_state=s)),
        ("random_state", lambda s: mo.arrangement.arrangement_patterns(X, "sample", 10, random_state=s)),
        ("random_state", lambda s: so.GridConvex(random_state=s)),
        ("random_state", lambda s: so.ExactReLU(random_state=s)),
        ("random_state", lambda s: so.ParticleGD(random_state=s)),
        ("random_state", lambda s: so.ConicParticleGD(random_state=s)),
        ("random_state", lambda s: so.Prune(nu, 1, random_state=s)),
        ("seed", lambda s: so.ScaledSubgradientGD(seed=s)),
        ("random_state", lambda s: so.DuGradientDescent(random_state=s)),
        ("random_state", lambda s: so.TwoLayerTraining(10, random_state=s)),
        ("random_state", lambda s: so.RandomFeatureRegression(n_features=5, random_state=s).fit(X, y)),
    ]


@pytest.mark.parametrize("seed", [-1, 1.5, "x", True, np.random.RandomState(0)], ids=repr)
def test_seeds_are_validated_by_name(prob, data, seed):
    failures = []
    for name, fn in _seed_cases(prob, data):
        try:
            fn(seed)
        except (TypeError, ValueError) as exc:
            if name in str(exc) and "Generator" in str(exc):
                continue
            failures.append(f"{name}={seed!r}: {type(exc).__name__}: {exc}")
        else:
            failures.append(f"{name}={seed!r}: accepted")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("seed", [None, 0, 7, np.int64(3), np.random.default_rng(1)], ids=repr)
def test_valid_seeds_are_accepted(prob, data, seed):
    for _, fn in _seed_cases(prob, data):
        fn(seed)


def test_check_random_state_names_the_argument():
    with pytest.raises(ValueError, match="random_state must be None, a non-negative int"):
        check_random_state(-3)
    with pytest.raises(TypeError, match="seed must be None"):
        check_random_state("x", "seed")


# ------------------------------------------------------------------ degenerate data
def test_single_column_without_lift_is_refused_by_name():
    X = np.linspace(-1, 1, 5)[:, None]
    with pytest.raises(ValueError, match=r"X must have at least 2 columns.*\(5, 1\)"):
        mo.BLASSO(X, np.ones(5), reg=1e-2)


def test_single_column_with_lift_works():
    X = np.linspace(-1, 1, 6)[:, None]
    p = mo.VariationNormERM(X, np.abs(X[:, 0]), reg=1e-2)
    res = so.ExactReLU().solve(p)  # directions on S^1: the arrangement is enumerated exactly
    assert res.status == "optimal" and res.objective < p.objective(mo.DiscreteMeasure.zero(2))


def test_all_zero_inputs_work():
    # every ReLU feature vanishes on the data: the zero measure is optimal, and every exact solver says so
    prob = mo.BLASSO(np.zeros((5, 3)), np.ones(5), reg=1e-2)
    for solver in (so.ExactReLU(), so.FrankWolfe(max_iter=20)):  # ExactReLU failed on its internal "masks"
        res = solver.solve(prob)
        assert res.status == "optimal" and res.measure.total_variation == 0.0
        np.testing.assert_allclose(res.objective, 0.5)
    # lifted inputs (x, 1) are never zero: the constant feature remains
    vn = mo.VariationNormERM(np.zeros((5, 3)), np.ones(5), reg=1e-2)
    assert vn.duality_gap(mo.DiscreteMeasure.zero(4)) > 0


def test_one_sample_and_some_zero_rows_work(data):
    one = mo.BLASSO(data.X[:1], data.y[:1], reg=1e-3)
    res = so.FrankWolfe(max_iter=100).solve(one)
    assert res.status == "optimal" and res.dual_gap <= 1e-6 * res.objective
    X = np.vstack([data.X, np.zeros((2, 3))])
    some = mo.BLASSO(X, np.r_[data.y, 0.3, -0.2], reg=1e-2)
    assert some.duality_gap(data.teacher) >= 0


def test_one_dimensional_X_is_named(data):
    with pytest.raises(ValueError, match=r"X must be 2-D"):
        mo.BLASSO(data.X[:, 0], data.y, reg=1e-2)


# ------------------------------------------------------------------ object arguments
def _object_cases(prob, data):
    from measureopt.plot import plot_certificate

    nu = data.teacher
    return [
        ("problem", TypeError, lambda: so.FrankWolfe().solve(None)),
        ("problem", TypeError, lambda: so.GridConvex().solve("x")),
        ("problem", TypeError, lambda: so.DeepConvex().solve(prob)),
        ("problem", TypeError, lambda: mo.crosscheck(nu, None)),
        ("problem", TypeError, lambda: mo.precertificate(None, nu)),
        ("oracle", TypeError, lambda: so.FrankWolfe(oracle="x")),
        ("oracle", TypeError, lambda: prob.duality_gap(nu, oracle="x")),
        ("oracle", TypeError, lambda: prob.reg_max(oracle="x")),
        ("oracle", TypeError, lambda: prob.lmo(prob.y, oracle="x")),
        ("oracle", TypeError, lambda: mo.precertificate(prob, nu, oracle="x")),
        ("local", TypeError, lambda: mo.BranchAndBound(local="x")),
        ("radius", TypeError, lambda: mo.VariationNormERM(prob.X, prob.y, radius="x")),
        ("radius", TypeError, lambda: mo.recovery(nu, nu, radius="x")),
        ("reg", TypeError, lambda: mo.BLASSO(prob.X, prob.y, reg="x")),
        ("degree", TypeError, lambda: mo.network_measure([1.0], [[1.0, 0.0]], degree="x")),
        ("degree", (TypeError, ValueError), lambda: so.F2KernelRidge(degree="x").fit(prob.X, prob.y)),
        ("backend_options", TypeError, lambda: so.GridConvex(backend_options="x")),
        ("backend_options", TypeError, lambda: so.ExactReLU(backend_options="x")),
        ("backend_options", TypeError, lambda: so.DeepConvex(backend_options="x")),
        ("teacher", TypeError, lambda: mo.crosscheck(nu, prob, teacher=[1, 2], oracle=_grid_oracle())),
        ("reference", TypeError, lambda: mo.crosscheck(nu, prob, reference=[1, 2], oracle=_grid_oracle())),
        ("network", TypeError, lambda: so.deep_crosscheck(None, *_deep_data(), reg=1e-3, reg_u=1e-3)),
        ("support", ValueError, lambda: mo.DiscreteMeasure.from_dict({"weights": [1.0]})),
        ("data", TypeError, lambda: mo.DiscreteMeasure.from_dict([1.0])),
        ("d", ValueError, lambda: mo.DiscreteMeasure.zero(-1)),
        ("d", TypeError, lambda: mo.DiscreteMeasure.zero("x")),
        ("n_points", ValueError, lambda: mo.sphere_grid(3, 0)),
        ("grid", ValueError, lambda: so.GridConvex(grid=0)),
        ("grid", ValueError, lambda: so.GridConvex(grid=np.zeros((0, 3)))),
        ("thetas", ValueError, lambda: mo.GridOracle(np.zeros((0, 3)))),
        ("grid", ValueError, lambda: mo.precertificate(prob, nu, grid=0)),
        ("size", ValueError, lambda: prob.grid_duality_gap(nu, size=0)),
        ("n_points", ValueError, lambda: plot_certificate(prob, nu, n_points=0)),
        ("measure", TypeError, lambda: prob.grid_duality_gap("abc")),
        ("measure", TypeError, lambda: mo.effective_neurons("abc")),
        ("q", TypeError, lambda: mo.riemannian_ascent(prob.features, "abc", nu.support)),
        ("degree", TypeError, lambda: mo.kernels.arccos_kernel(prob.X, degree={"a": 1})),
        ("degree", TypeError, lambda: mo.kernels.f2_kernel(prob.X, degree=[1.0, 2.0])),
        ("n_nodes", TypeError, lambda: mo.kernels.ntk_kernels(prob.X, n_nodes="abc")),  # unused for ReLU
        ("n_nodes", ValueError, lambda: mo.kernels.rf_kernel_inf(prob.X, n_nodes=0)),
        ("K", TypeError, lambda: mo.kernels.predicted_rate([[1.0, 2.0], [3.0]], eta=1.0, n_steps=2)),
        ("a", TypeError, lambda: mo.kernels.gaussian_pair_expectation(np.tanh, np.tanh, None, 1.0, 0.5)),
        ("f", TypeError, lambda: mo.kernels.gaussian_pair_expectation("abc", np.tanh, 1.0, 1.0, 0.5)),
        ("backend_options", ValueError, lambda: so.GridConvex(backend_options={"not_an_option": 1})),
        ("backend_options", ValueError, lambda: so.ExactReLU(backend_options={"max_iterations": 5})),
        ("problem", TypeError, lambda: plot_certificate("x", nu)),
    ]


def test_object_arguments_get_named_errors(prob, data):
    failures = []
    for name, kind, fn in _object_cases(prob, data):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fn()
        except kind as exc:
            if name in str(exc):
                continue
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
        except Exception as exc:  # noqa: BLE001 - the point is to report it
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
        else:
            failures.append(f"{name}: accepted")
    assert not failures, "\n".join(failures)


# ------------------------------------------------------------------ torch arguments
def _torch_cases(data):
    nu = data.teacher
    lm = LayeredMeasure([np.eye(2)], [np.full(2, 0.5)], [np.ones(2)], [], np.ones((2, 1)))
    net = mo.to_network(nu)
    return [
        ("dtype", lambda v: so.ParticleGD(dtype=v)),
        ("dtype", lambda v: so.ScaledSubgradientGD(dtype=v)),
        ("dtype", lambda v: so.DuGradientDescent(dtype=v)),
        ("dtype", lambda v: so.TwoLayerTraining(10, dtype=v)),
        ("dtype", lambda v: mo.to_network(nu, dtype=v)),
        ("dtype", lambda v: DeepMLP(3, [4], dtype=v)),
        ("dtype", lambda v: lm.to_network(dtype=v)),
        ("device", lambda v: so.ParticleGD(device=v)),
        ("device", lambda v: so.NormDependentGD(device=v)),
        ("device", lambda v: so.ScaledSubgradientGD(device=v)),
        ("device", lambda v: so.DuGradientDescent(device=v)),
        ("device", lambda v: so.TwoLayerTraining(10, device=v)),
        ("device", lambda v: mo.kernels.empirical_ntk(net, data.X[:3], device=v)),
    ]


def test_torch_dtype_is_checked_by_name(data):
    failures = []
    for name, fn in _torch_cases(data):
        if name != "dtype":
            continue
        for bad in ("int64", torch.int64, "bogus", 3):
            try:
                fn(bad)
            except (TypeError, ValueError) as exc:
                if "dtype" in str(exc) and "float" in str(exc):
                    continue
                failures.append(f"dtype={bad!r}: {type(exc).__name__}: {exc}")
            except Exception as exc:  # noqa: BLE001
                failures.append(f"dtype={bad!r}: {type(exc).__name__}: {exc}")
            else:
                failures.append(f"dtype={bad!r}: accepted")
    assert not failures, "\n".join(failures)


def test_to_network_accepts_a_dtype_name(data):
    net = mo.to_network(data.teacher, dtype="float32")
    assert net[0].weight.dtype == torch.float32


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_unavailable_or_bogus_device_is_refused_at_once(data):
    failures = []
    for name, fn in _torch_cases(data):
        if name != "device":
            continue
        for bad in ("cuda", "cuda:0", "bogus", 3.5):
            try:
                fn(bad)
            except (TypeError, ValueError) as exc:
                if "device" in str(exc) and (repr(bad) in str(exc) or type(bad).__name__ in str(exc)):
                    continue
                failures.append(f"device={bad!r}: {type(exc).__name__}: {exc}")
            except Exception as exc:  # noqa: BLE001
                failures.append(f"device={bad!r}: {type(exc).__name__}: {exc}")
            else:
                failures.append(f"device={bad!r}: accepted")
    assert not failures, "\n".join(failures)
