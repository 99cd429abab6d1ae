"""Property tests (issue 14): invariants that must hold for every input, checked with Hypothesis.

* the certified duality gap is nonnegative, and bounds the suboptimality
  against the exact optimum of :class:`solvers.ExactReLU` on the circle;
* a solver's ``Result.objective`` is the problem's objective at
  ``Result.measure``, a status is ``"optimal"`` only with a certified gap,
  every other status warns, and above ``reg_max`` every solver returns the
  zero measure;
* :meth:`DiscreteMeasure.merge` moves the prediction by at most the merge
  radius times the merged mass (ReLU is 1-Lipschitz);
* :func:`measureopt.wasserstein` is symmetric, zero on equal measures,
  monotone in ``p`` and a metric on probability measures;
* a solve never mutates its inputs, and a problem cannot be changed after
  construction;
* every public entry point rejects NaN, inf, complex, misshaped and
  wrongly typed arguments with a ``ValueError``/``TypeError`` naming the
  argument.

The Hypothesis profile is chosen in ``tests/conftest.py`` (``ci`` by default:
50 examples, derandomized, no deadline; ``HYPOTHESIS_PROFILE=thorough`` for
500). Solver-backed properties run a fraction of the profile's examples
(:func:`examples`) so that the file stays within its CI budget.
"""

import functools
import math
import numbers
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, note, settings
from hypothesis import strategies as st

import measureopt as mo
import measureopt.kernels as mk
import solvers
from strategies import (
    FINITE,
    bad_values,
    equal_measures,
    measures,
    merge_cases,
    positive_measures,
    problem_cases,
    ring,
)


def examples(fraction, minimum=3, **kwargs):
    """Settings running ``fraction`` of the active profile's ``max_examples`` (at least ``minimum``)."""
    n = max(minimum, int(math.ceil(settings.default.max_examples * fraction)))
    return settings(max_examples=n, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
                    **kwargs)


def gap_value(gap):
    """``(value, scope)`` of what :meth:`MeasureProblem.duality_gap` returns.

    A float, or an object with a value (``value`` or ``gap``) and a ``scope``.
    """
    if isinstance(gap, numbers.Real):
        return float(gap), None
    for attr in ("value", "gap"):
        if hasattr(gap, attr):
            return float(getattr(gap, attr)), getattr(gap, "scope", None)
    raise AssertionError(f"duality_gap returned {type(gap).__name__}, neither a number nor an object with a value")


def relu_prediction(measure, X):
    """:math:`f(x) = \\sum_j r_j (\\langle\\theta_j, x\\rangle)_+`, computed here (not by the library)."""
    if measure.n_atoms == 0:
        return np.zeros(len(X))
    return np.maximum(X @ measure.support.T, 0.0) @ measure.weights


#: Rounding slack of the gap checks, relative to 1 + |J|.
GAP_RTOL = 1e-9


# ====================================================================== duality gap
@examples(1.0)
@given(case=problem_cases(), data=st.data())
def test_duality_gap_is_nonnegative(case, data):
    """The certified gap (default oracle) and the gridded gap (grid plus support) are >= 0 at any measure."""
    problem = case.build()
    measure = data.draw(measures(problem.dim), label="measure")
    J = problem.objective(measure)
    slack = GAP_RTOL * (1.0 + abs(J))
    value, scope = gap_value(problem.duality_gap(measure))
    note(f"J = {J!r}, gap = {value!r}, scope = {scope!r}")
    assert value >= -slack, f"certified gap {value!r} < 0 at J = {J!r}"
    grid_value, _ = gap_value(problem.grid_duality_gap(measure, size=128))
    assert grid_value >= -slack, f"gridded gap {grid_value!r} < 0 at J = {J!r}"


THOROUGH = settings.default.max_examples >= 500


@pytest.mark.slow
@pytest.mark.skipif(not THOROUGH, reason="heavy variant: HYPOTHESIS_PROFILE=thorough")
@examples(1.0)
@given(case=problem_cases(dims=(4, 5), min_n=10, max_n=40), data=st.data())
def test_duality_gap_is_nonnegative_larger_problems(case, data):
    """Heavy variant (branch-and-bound certificates in D = 4, 5), run under the ``thorough`` profile only."""
    problem = case.build()
    measure = data.draw(measures(problem.dim, max_atoms=10), label="measure")
    J = problem.objective(measure)
    value, _ = gap_value(problem.duality_gap(measure))
    assert value >= -GAP_RTOL * (1.0 + abs(J)), f"certified gap {value!r} < 0 at J = {J!r}"


def _perturbed(measure, rel, rng):
    """``measure`` with weights scaled by 1 + O(rel) and atoms moved by O(rel) on the sphere."""
    if measure.n_atoms == 0:
        return measure
    w = measure.weights * (1.0 + rel * rng.standard_normal(measure.n_atoms))
    s = measure.support + rel * rng.standard_normal(measure.support.shape)
    return mo.DiscreteMeasure(w, s / np.linalg.norm(s, axis=1, keepdims=True))


@examples(0.3)
@given(case=problem_cases(dims=(2,), max_n=10), data=st.data())
def test_gap_bounds_suboptimality_against_exact_optimum(case, data):
    """On the circle, ExactReLU gives J_exact >= J*: then gap(nu) >= J(nu) - J* >= J(nu) - J_exact.

    And no measure beats the certified optimum: J(nu) >= J_exact - gap_exact.
    """
    problem = case.build()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exact = solvers.ExactReLU().solve(problem)
    J_exact = problem.objective(exact.measure)  # the objective of a feasible measure: >= J*
    note(f"ExactReLU: status {exact.status}, J_exact = {J_exact!r}, gap {exact.dual_gap!r} ({exact.gap_scope})")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="perturbation seed"))
    rel = 10.0 ** data.draw(st.floats(-8.0, -1.0, **FINITE), label="log10 perturbation")
    candidates = [
        ("zero", mo.DiscreteMeasure.zero(2)),
        ("exact", exact.measure),
        ("perturbed exact", _perturbed(exact.measure, rel, rng)),
        ("random", data.draw(measures(2), label="random measure")),
        ("perturbed random", None),
    ]
    candidates[-1] = ("perturbed random", _perturbed(candidates[3][1], rel, rng))
    for label, measure in candidates:
        J = problem.objective(measure)
        value, _ = gap_value(problem.duality_gap(measure))
        slack = GAP_RTOL * (1.0 + abs(J))
        assert value >= J - J_exact - slack, (
            f"{label} measure: gap {value!r} < J - J* >= J - J_exact = {J - J_exact!r} (J = {J!r})"
        )
        if exact.gap_scope == "sphere" and np.isfinite(exact.dual_gap):
            assert J >= J_exact - exact.dual_gap - slack, (
                f"{label} measure: J = {J!r} below the certified optimum bracket "
                f"[{J_exact - exact.dual_gap!r}, {J_exact!r}]"
            )


# ====================================================================== solver results
def _grid(D):
    return mo.sphere_grid(D, 64, seed=0)


#: name -> factory(problem) -> a cheap solver configuration.
SOLVERS = {
    "GridConvex": lambda p: solvers.GridConvex(grid=_grid(p.dim)),
    "GridConvex-CLARABEL": lambda p: solvers.GridConvex(grid=_grid(p.dim), backend="CLARABEL"),
    "FrankWolfe-grid": lambda p: solvers.FrankWolfe(oracle=mo.GridOracle(_grid(p.dim)), max_iter=30),
    "FrankWolfe": lambda p: solvers.FrankWolfe(max_iter=4),
    "FrankWolfe-local-certificate": lambda p: solvers.FrankWolfe(
        oracle=mo.GridOracle(_grid(p.dim)), certificate_oracle=mo.LocalOracle(grid=200, n_starts=2), max_iter=30,
        tol=1e-3),
    "SlidingFrankWolfe": lambda p: solvers.SlidingFrankWolfe(max_iter=3),
    "ExactReLU": lambda p: solvers.ExactReLU(),
    "ParticleGD": lambda p: solvers.ParticleGD(width=4, max_iter=20),
    "ParticleGD-large-step": lambda p: solvers.ParticleGD(width=4, step_size=1e3, max_iter=20),
}


def _solve(name, problem):
    """Solve, and return ``(result, [warnings that name the result's status])``.

    Any warning class counts (``ConvergenceWarning``, or a failure warning),
    as long as its message names the status.
    """
    solver = SOLVERS[name](problem)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = solver.solve(problem)
    status = str(result.status)
    return result, [w for w in caught if status in str(w.message)]


@pytest.mark.parametrize("solver_name", list(SOLVERS))
@examples(0.16)
@given(case=problem_cases(max_n=10))
def test_result_objective_is_the_objective_of_its_measure(solver_name, case):
    problem = case.build()
    result, _ = _solve(solver_name, problem)
    note(f"{result.status}: {result.message}")
    np.testing.assert_allclose(problem.objective(result.measure), result.objective, rtol=1e-12, atol=0)


@pytest.mark.parametrize("solver_name", list(SOLVERS))
@examples(0.16)
@given(case=problem_cases(max_n=10))
def test_result_status_contract(solver_name, case):
    """``optimal`` only with a certified gap scope (grid or sphere) and a gap >= 0; every other status warns."""
    problem = case.build()
    result, caught = _solve(solver_name, problem)
    note(f"{result.status} ({result.gap_scope}), gap {result.dual_gap!r}: {result.message}")
    if result.status == solvers.Status.OPTIMAL:
        assert result.gap_scope in ("grid", "sphere"), f"optimal with an uncertified gap scope {result.gap_scope!r}"
        assert result.dual_gap >= -GAP_RTOL * (1 + abs(result.objective))
    else:
        assert caught, f"status {result.status!r} returned without a warning that names it"
    if np.isfinite(result.dual_gap):
        assert result.dual_gap >= -GAP_RTOL * (1 + abs(result.objective)), f"negative gap {result.dual_gap!r}"


@pytest.mark.parametrize("solver_name", list(SOLVERS))
@examples(0.16)
@given(case=problem_cases(max_n=10), log_factor=st.floats(0.0, 12.0, **FINITE))
def test_zero_measure_above_reg_max(solver_name, case, log_factor):
    """reg >= reg_max (certified upper bound): the zero measure is optimal, and every solver returns it, certified."""
    reg_max = case.build(reg=1.0).reg_max()
    assume(reg_max > 0)
    case.reg = float(reg_max * 10.0**log_factor)
    problem = case.build()
    result, _ = _solve(solver_name, problem)
    note(f"reg_max = {reg_max!r}, reg = {case.reg!r}; {result.status}: {result.message}")
    nonzero = int(np.count_nonzero(result.measure.weights))
    assert nonzero == 0, (f"{nonzero} nonzero atoms above reg_max (largest |weight| "
                          f"{np.abs(result.measure.weights).max():.3e})")
    np.testing.assert_allclose(result.objective, problem.data_fit(np.zeros(problem.n_samples)), rtol=1e-12)
    assert result.status == solvers.Status.OPTIMAL, f"{result.status}: {result.message}"


# ====================================================================== merge
_AXES2 = np.array([[1.0, 0.0], [0.0, 1.0], [-0.6, 0.8]])


@examples(1.0)
@given(case=merge_cases())
@example(case=(ring(2, 40), 1.01 * 2 * np.sin(np.pi / 40), _AXES2))  # issue 14: a ring collapsed into one atom
@example(case=(ring(2, 40), 1.01 * 2 * np.pi / 40, _AXES2))  # the same, radius in radians
@example(case=(mo.DiscreteMeasure([1.0, 1.0], [[1.0, 0.0], [-1.0, 0.0]]), 2.5, _AXES2))  # antipodal pair
@example(case=(mo.DiscreteMeasure([1.0, 1.0], [[1.0, 0.0], [-1.0, 0.0]]), np.pi, _AXES2))
def test_merge_moves_prediction_by_at_most_radius_times_merged_mass(case):
    """|f(x; merge(nu, r)) - f(x; nu)| <= L r M ||x||, L = 1 (ReLU), M the |mass| of the atoms merged.

    The bound documented by :meth:`DiscreteMeasure.merge` (clusters of
    diameter <= r, each atom moved by at most r). An atom is merged only
    with another within r (geodesic, hence chord), so M is at most the mass
    of the atoms that have a neighbour within chord distance r, the M used
    here.
    """
    measure, radius, X = case
    merged = measure.merge(radius)
    assert np.all(np.isfinite(merged.weights)) and np.all(np.isfinite(merged.support))
    assert merged.n_atoms <= measure.n_atoms
    if measure.is_on_sphere():
        assert merged.is_on_sphere(), "merge left the sphere"
    tv = measure.total_variation
    np.testing.assert_allclose(merged.mass, measure.mass, rtol=1e-12, atol=1e-12 * (1 + tv))
    assert merged.total_variation <= tv * (1 + 1e-12) + 1e-300
    if measure.n_atoms:
        chords = np.linalg.norm(measure.support[:, None, :] - measure.support[None, :, :], axis=-1)
        np.fill_diagonal(chords, np.inf)
        mergeable = chords.min(axis=1) <= radius * (1 + 1e-12)
        merged_mass = float(np.abs(measure.weights[mergeable]).sum())
    else:
        merged_mass = 0.0
    change = np.abs(relu_prediction(merged, X) - relu_prediction(measure, X))
    bound = radius * merged_mass * np.linalg.norm(X, axis=1)
    slack = 1e-12 * (1 + tv) * (1 + np.linalg.norm(X, axis=1))
    worst = int(np.argmax(change - bound))
    assert np.all(change <= bound + slack), (
        f"prediction moved by {change[worst]:.3e} > radius {radius:.3e} * merged mass {merged_mass:.3e} * "
        f"||x|| {np.linalg.norm(X[worst]):.3e} = {bound[worst]:.3e} ({measure.n_atoms} -> {merged.n_atoms} atoms)"
    )


# ====================================================================== Wasserstein
P_VALUES = st.one_of(st.sampled_from([1.0, 2.0, 3.0, np.inf, 50.0, 400.0, 700.0]), st.floats(1.0, 1000.0, **FINITE))


def _distance_or_skip(mu, nu, p):
    """``wasserstein(mu, nu, p)``, skipping a ``p`` rejected beyond a documented limit (a ValueError naming p)."""
    try:
        return mo.wasserstein(mu, nu, p=p)
    except ValueError as exc:
        if re.search(r"\bp\b", str(exc)) and p > 2:
            assume(False)
        raise


def _on_common_sphere(strategy_of_d, count):
    return st.sampled_from([2, 3]).flatmap(lambda d: st.tuples(*([strategy_of_d(d)] * count)))


@examples(1.0)
@given(pair=_on_common_sphere(measures, 2), p=P_VALUES)
def test_wasserstein_is_symmetric(pair, p):
    mu, nu = pair
    a, b = _distance_or_skip(mu, nu, p), _distance_or_skip(nu, mu, p)
    assert np.isfinite(a) and np.isfinite(b), (a, b)
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@examples(1.0)
@given(mu=st.sampled_from([2, 3]).flatmap(measures), p=P_VALUES, data=st.data())
def test_wasserstein_is_zero_on_equal_measures(mu, p, data):
    """D_p(mu, mu) = 0, also when the second copy has its atoms permuted and one split in two."""
    same = data.draw(equal_measures(mu), label="same measure")
    assert _distance_or_skip(mu, mu, p) <= 1e-7
    assert _distance_or_skip(mu, same, p) <= 1e-7


@examples(1.0)
@given(triple=_on_common_sphere(positive_measures, 3), p=P_VALUES)
def test_wasserstein_triangle_inequality_on_probability_measures(triple, p):
    """On positive measures (each normalized to a probability measure) D_p is W_p: a metric."""
    mu, nu, rho = triple
    direct = _distance_or_skip(mu, rho, p)
    via = _distance_or_skip(mu, nu, p) + _distance_or_skip(nu, rho, p)
    assert direct <= via + 1e-9 * (1 + via), f"D(mu, rho) = {direct!r} > D(mu, nu) + D(nu, rho) = {via!r}"


@examples(1.0)
@given(pair=_on_common_sphere(positive_measures, 2), p=P_VALUES)
def test_wasserstein_is_monotone_in_p_and_bounded(pair, p):
    """For probability measures W_1 <= W_p <= W_inf <= pi (Jensen), at every p, large ones included."""
    mu, nu = pair
    w1, winf = mo.wasserstein(mu, nu, p=1), mo.wasserstein(mu, nu, p=np.inf)
    wp = _distance_or_skip(mu, nu, p)
    assert 0.0 <= w1 <= np.pi + 1e-12 and winf <= np.pi + 1e-12, (w1, winf)
    assert w1 * (1 - 1e-7) - 1e-12 <= wp <= winf * (1 + 1e-7) + 1e-12, (
        f"W_1 = {w1!r}, W_{p:g} = {wp!r}, W_inf = {winf!r}")


# ====================================================================== no mutation
MUTATION_SOLVERS = {
    "GridConvex": lambda p, grid, warm: solvers.GridConvex(grid=grid),
    "FrankWolfe-grid": lambda p, grid, warm: solvers.FrankWolfe(oracle=mo.GridOracle(grid), max_iter=20),
    "SlidingFrankWolfe-warm": lambda p, grid, warm: solvers.SlidingFrankWolfe(max_iter=2, warm_start=warm),
    "ExactReLU": lambda p, grid, warm: solvers.ExactReLU(),
    "ParticleGD-init": lambda p, grid, warm: solvers.ParticleGD(
        width=warm.n_atoms, max_iter=5, init=(np.array(warm.weights), np.array(warm.support)), certify=False),
}


def _snapshot_problem(problem):
    snap = {"X": np.array(problem.X, copy=True), "y": np.array(problem.y, copy=True),
            "inputs": np.array(problem.features.inputs, copy=True), "reg": problem.reg,
            "penalty": repr(problem.penalty), "repr": repr(problem)}
    return snap


def _assert_problem_unchanged(problem, snap):
    np.testing.assert_array_equal(problem.X, snap["X"], err_msg="problem.X changed")
    np.testing.assert_array_equal(problem.y, snap["y"], err_msg="problem.y changed")
    np.testing.assert_array_equal(problem.features.inputs, snap["inputs"], err_msg="problem.features.inputs changed")
    assert problem.reg == snap["reg"], "problem.reg changed"
    assert repr(problem.penalty) == snap["penalty"] and repr(problem) == snap["repr"]


@pytest.mark.parametrize("solver_name", list(MUTATION_SOLVERS))
@examples(0.16)
@given(case=problem_cases(max_n=10), data=st.data())
def test_solve_never_mutates_its_inputs(solver_name, case, data):
    """X, y, the problem, the grid, the warm start and the solver's parameters are the same after a solve."""
    X, y = case.X, case.y
    X_before, y_before = X.copy(), y.copy()
    problem = case.build(X=X, y=y)
    snap = _snapshot_problem(problem)
    grid = _grid(problem.dim)
    grid_before = grid.copy()
    warm = data.draw(measures(problem.dim, min_atoms=1, max_atoms=4), label="warm start")
    warm_before = (warm.weights.copy(), warm.support.copy())
    solver = MUTATION_SOLVERS[solver_name](problem, grid, warm)
    params_before = repr(solver)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        solver.solve(problem)
    np.testing.assert_array_equal(X, X_before, err_msg="the caller's X changed")
    np.testing.assert_array_equal(y, y_before, err_msg="the caller's y changed")
    _assert_problem_unchanged(problem, snap)
    np.testing.assert_array_equal(grid, grid_before, err_msg="the grid changed")
    np.testing.assert_array_equal(warm.weights, warm_before[0])
    np.testing.assert_array_equal(warm.support, warm_before[1])
    assert repr(solver) == params_before, "the solver's parameters changed"


def _attempt(action):
    """Run a mutation attempt; refusing it (ValueError, TypeError, AttributeError) is a fine answer."""
    try:
        action()
    except (ValueError, TypeError, AttributeError):
        pass


@examples(0.4)
@given(case=problem_cases(max_n=10), data=st.data())
def test_problem_cannot_be_changed_after_construction(case, data):
    """Problems copy their inputs and are read-only, like DiscreteMeasure.

    Issue 14: after ``Xa[0, 0] = nan`` the objective was nan; after ``p.reg = -1`` the gap was -2.
    """
    X, y = case.X.copy(), case.y.copy()
    problem = case.build(X=X, y=y)
    measure = data.draw(measures(problem.dim, max_atoms=3), label="measure")
    snap = _snapshot_problem(problem)
    J, gap = problem.objective(measure), gap_value(problem.duality_gap(measure))[0]

    def write(array_getter, value=np.nan):
        def go():
            array_getter()[(0,) * array_getter().ndim] = value
        return go

    attempts = {
        "caller's X[0, 0] = nan": write(lambda: X),
        "caller's y[0] = nan": write(lambda: y),
        "problem.X[0, 0] = nan": write(lambda: problem.X),
        "problem.y[0] = nan": write(lambda: problem.y),
        "problem.features.inputs[0, 0] = nan": write(lambda: problem.features.inputs),
        "problem.reg = -1": lambda: setattr(problem, "reg", -1.0),
        "problem.penalty.reg = -1": lambda: setattr(problem.penalty, "reg", -1.0),
        "problem.y = zeros": lambda: setattr(problem, "y", np.zeros_like(y)),
    }
    changed = []
    for label, action in attempts.items():
        _attempt(action)
        try:
            _assert_problem_unchanged(problem, snap)
            same = (problem.objective(measure) == J
                    and gap_value(problem.duality_gap(measure))[0] == pytest.approx(gap, rel=1e-12, abs=1e-15))
        except (AssertionError, ValueError) as exc:
            same = False
            note(f"after {label}: {exc}")
        if not same:
            changed.append(label)
            X, y = case.X.copy(), case.y.copy()  # a fresh problem, from fresh arrays, for the next attempt
            problem = case.build(X=X, y=y)
            snap = _snapshot_problem(problem)
    assert not changed, f"the problem changed after: {changed}"


# ====================================================================== bad inputs at every entry point
@dataclass
class Arg:
    """One argument of an entry point, and what is bad for it.

    ``kind``: ``"array"`` (``valid`` is a valid value), ``"float"``,
    ``"int"`` or ``"object"``. ``linked_axes``: axes whose length must match
    another argument (named in ``partners``; a mismatch may name either).
    ``optional``: ``None`` is valid. ``allow_inf``: ``+inf`` is valid.
    ``out_of_range``: values of the right type outside the documented range.
    ``wrong_types``: replaces the default wrong-type values (for an argument
    that takes a dict, say). ``broadcast``: arrays broadcast together, so an
    extra or missing axis is valid; only mismatched lengths are bad.
    """

    name: str
    kind: str
    valid: object = None
    linked_axes: tuple = ()
    partners: tuple = ()
    optional: bool = False
    allow_inf: bool = False
    out_of_range: tuple = ()
    wrong_types: tuple = None
    broadcast: bool = False

    @property
    def categories(self):
        if self.kind == "object":
            return ("type", "range") if self.out_of_range else ("type",)
        cats = ["nonfinite", "complex", "shape", "type"]
        if self.kind == "int":
            cats.remove("complex")
        if self.out_of_range:
            cats.append("range")
        return tuple(cats)


    def __repr__(self):
        return f"Arg({self.name!r}, {self.kind!r})"


@dataclass
class Entry:
    name: str
    call: object  # call(**overrides): the entry point with valid arguments but the overridden ones
    args: list = field(default_factory=list)

    def __repr__(self):
        return f"Entry({self.name!r})"


@functools.lru_cache(maxsize=None)
def _fixtures():
    data = mo.teacher_student(n=8, d=3, m=2, seed=0)
    X, y = np.array(data.X), np.array(data.y)
    problem = mo.BLASSO(X, y, reg=1e-2)
    rng = np.random.default_rng(0)
    fx = {
        "X": X, "y": y, "problem": problem, "teacher": data.teacher,
        "measure": mo.DiscreteMeasure([1.0, -0.5, 0.25], mo.sample_sphere(3, 3, seed=1)),
        "thetas": mo.sample_sphere(3, 5, seed=2), "q": rng.standard_normal(8),
        "X2": rng.standard_normal((6, 2)), "y2": rng.standard_normal(6),
        "K": mk.arccos_kernel(X) + 1e-3 * np.eye(8),
        "raw": rng.standard_normal((8, 2)),
    }
    fx["v"] = mo.tangent_project(fx["thetas"], rng.standard_normal((5, 3)))
    fx["du_weights"], fx["du_a"] = mk.du_network_init(3, 6, 2, seed=0)
    return fx


def _call(fn, **defaults):
    """An ``Entry.call``: ``fn`` with the valid ``defaults``, some of them overridden."""
    def call(**overrides):
        return fn(**{**defaults, **overrides})
    return call


def _then(factory, use):
    """Construct with the arguments, then use the object (validation at construction or at first use both count)."""
    def fn(**kwargs):
        return use(factory(**kwargs))
    return fn


def _solve_tiny(solver):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return solver.solve(_fixtures()["problem"])


def _fit_tiny(model, kernel=False):
    fx = _fixtures()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(fx["K"] if kernel else fx["X"], fx["y"])


POS = (-1.0, 0.0)  # out of range for a float > 0
NONNEG = (-1.0, -1e-12)  # out of range for a float >= 0
POS_INT = (0, -1)
SEED = dict(kind="object", optional=True)
#: backend_options: a dict of options the backend knows, or None
BACKEND_OPTIONS = dict(kind="object", optional=True, wrong_types=("abc", 1.0, ["max_iter"]),
                       out_of_range=({"not_an_option": 1},))  # random_state: None, an int >= 0 or a Generator


def _seed_arg(name):
    return Arg(name, **SEED)


def _entries():
    fx = _fixtures()
    X, y, thetas, q = fx["X"], fx["y"], fx["thetas"], fx["q"]
    problem = fx["problem"]
    measure = fx["measure"]
    grid32 = mo.sphere_grid(3, 32, seed=0)
    E = []

    # ---- problems
    E.append(Entry("BLASSO", _call(mo.BLASSO, X=X, y=y, reg=1e-2), [
        Arg("X", "array", X, (0,), ("y",)), Arg("y", "array", y, (0,), ("X",)),
        Arg("reg", "float", out_of_range=POS), Arg("activation", "object")]))
    E.append(Entry("VariationNormERM(reg)", _call(mo.VariationNormERM, X=fx["raw"], y=y, reg=1e-2), [
        Arg("X", "array", fx["raw"], (0,), ("y",)), Arg("y", "array", y, (0,), ("X",)),
        Arg("reg", "float", out_of_range=POS), Arg("loss", "object"), Arg("alpha", "object")]))
    E.append(Entry("VariationNormERM(radius)", _call(mo.VariationNormERM, X=fx["raw"], y=y, radius=1.0), [
        Arg("radius", "float", out_of_range=POS)]))
    E.append(Entry("Features", _call(mo.Features, X=X), [Arg("X", "array", X)]))
    E.append(Entry("TV", _call(mo.TV, reg=1.0), [Arg("reg", "float", out_of_range=POS)]))
    E.append(Entry("TVBall", _call(mo.TVBall, radius=1.0), [Arg("radius", "float", out_of_range=POS)]))
    E.append(Entry("get_loss", _call(mo.get_loss, loss="squared"), [Arg("loss", "object")]))
    E.append(Entry("get_activation", _call(mo.get_activation, activation="relu"), [Arg("activation", "object")]))

    # ---- problem methods
    E.append(Entry("problem.objective", _call(problem.objective, measure=measure), [Arg("measure", "object")]))
    E.append(Entry("problem.predict", _call(problem.predict, measure=measure, X=X), [
        Arg("measure", "object"), Arg("X", "array", X, (1,), ("measure",), optional=True)]))
    E.append(Entry("problem.duality_gap", _call(problem.duality_gap, measure=measure), [
        Arg("measure", "object"), Arg("oracle", "object", optional=True),
        Arg("max_time", "float", optional=True, out_of_range=POS),
        Arg("tol", "float", out_of_range=NONNEG), Arg("precision", "float", out_of_range=NONNEG)]))
    E.append(Entry("problem.grid_duality_gap", _call(problem.grid_duality_gap, measure=measure, size=64), [
        Arg("measure", "object"), Arg("size", "int", out_of_range=POS_INT)]))
    E.append(Entry("problem.certificate", _call(problem.certificate, measure=measure, thetas=thetas), [
        Arg("measure", "object"), Arg("thetas", "array", thetas, (1,))]))
    E.append(Entry("problem.correlation", _call(problem.correlation, q=q, thetas=thetas), [
        Arg("q", "array", q, (0,)), Arg("thetas", "array", thetas, (1,))]))
    E.append(Entry("problem.dual_objective", _call(problem.dual_objective, q=q), [Arg("q", "array", q, (0,))]))
    E.append(Entry("problem.reg_max", _call(problem.reg_max), [Arg("oracle", "object", optional=True)]))

    # ---- measures
    E.append(Entry("DiscreteMeasure", _call(mo.DiscreteMeasure, weights=measure.weights, support=measure.support), [
        Arg("weights", "array", np.array(measure.weights), (0,), ("support",)),
        Arg("support", "array", np.array(measure.support), (0,), ("weights",))]))
    E.append(Entry("DiscreteMeasure.zero", _call(mo.DiscreteMeasure.zero, d=3), [
        Arg("d", "int", out_of_range=POS_INT)]))
    E.append(Entry("DiscreteMeasure.merge", _call(measure.merge, tol=0.1), [
        Arg("tol", "float", out_of_range=(-1.0,))]))
    E.append(Entry("DiscreteMeasure.prune", _call(measure.prune, tol=0.1), [Arg("tol", "float", out_of_range=NONNEG)]))
    E.append(Entry("DiscreteMeasure.from_dict", _call(mo.DiscreteMeasure.from_dict, data=measure.to_dict()), [
        Arg("data", "object")]))
    E.append(Entry("effective_neurons", _call(mo.effective_neurons, measure=measure), [
        Arg("measure", "object"), Arg("rtol", "float", out_of_range=NONNEG)]))
    E.append(Entry("check_measure", _call(mo.check_measure, measure=measure), [Arg("measure", "object")]))
    E.append(Entry("network_measure", _call(mo.network_measure, a=np.array([1.0, -2.0]), W=thetas[:2]), [
        Arg("a", "array", np.array([1.0, -2.0]), (0,), ("W",)), Arg("W", "array", thetas[:2], (0,), ("a",)),
        Arg("scale", "float"), Arg("degree", "float", out_of_range=(-1.0,))]))
    E.append(Entry("lift", _call(mo.lift, X=X), [Arg("X", "array", X)]))
    E.append(Entry("to_network", _call(mo.to_network, measure=measure), [
        Arg("measure", "object"), Arg("dtype", "object", optional=True)]))

    # ---- sphere and data
    E.append(Entry("sample_sphere", _call(mo.sample_sphere, d=3, n_points=4, seed=0), [
        Arg("d", "int", out_of_range=POS_INT), Arg("n_points", "int", out_of_range=(-1,)), _seed_arg("seed")]))
    E.append(Entry("sphere_grid", _call(mo.sphere_grid, d=3, n_points=4, seed=0), [
        Arg("d", "int", out_of_range=(1, 0, -1)), Arg("n_points", "int", out_of_range=POS_INT), _seed_arg("seed")]))
    E.append(Entry("teacher_student", _call(mo.teacher_student, n=5, d=3, m=2, seed=0,
                                            weights=np.array([1.0, 2.0])), [
        Arg("n", "int", out_of_range=POS_INT), Arg("d", "int", out_of_range=(1, 0)),
        Arg("m", "int", out_of_range=(0, -1, 4)), _seed_arg("seed"),
        Arg("noise", "float", out_of_range=(-1.0,)),
        Arg("weights", "array", np.array([1.0, 2.0]), (0,), ("m",), optional=True,
            out_of_range=(np.array([-1.0, 1.0]), np.array([0.0, 1.0])))]))
    E.append(Entry("cosine_task", _call(mo.cosine_task, n=5, seed=0), [
        Arg("n", "int", out_of_range=POS_INT), _seed_arg("seed")]))
    E.append(Entry("geodesic_distance", _call(mo.geodesic_distance, a=thetas, b=thetas[:2]), [
        Arg("a", "array", thetas, (1,), ("b",)), Arg("b", "array", thetas[:2], (1,), ("a",))]))
    E.append(Entry("nearest_geodesic_distance", _call(mo.nearest_geodesic_distance, points=thetas,
                                                      targets=thetas[:2]), [
        Arg("points", "array", thetas, (1,), ("targets",)), Arg("targets", "array", thetas[:2], (1,), ("points",))]))
    E.append(Entry("tangent_project", _call(mo.tangent_project, thetas=thetas, v=fx["v"]), [
        Arg("thetas", "array", thetas, (0, 1), ("v",)), Arg("v", "array", fx["v"], (0, 1), ("thetas",))]))
    E.append(Entry("retract", _call(mo.retract, thetas=thetas, v=fx["v"]), [
        Arg("thetas", "array", thetas, (0, 1), ("v",)), Arg("v", "array", fx["v"], (0, 1), ("thetas",)),
        Arg("method", "object")]))

    # ---- transport, certificates, cross-checks
    mu, nu = measure, fx["teacher"]
    for fn in (mo.wasserstein, mo.wasserstein_details):
        E.append(Entry(fn.__name__, _call(fn, mu=mu, nu=nu), [
            Arg("mu", "object"), Arg("nu", "object"),
            Arg("p", "float", allow_inf=True, out_of_range=(0.5, 0.0, -1.0))]))
    E.append(Entry("recovery", _call(mo.recovery, measure=mu, reference=nu), [
        Arg("measure", "object"), Arg("reference", "object"), Arg("radius", "float", out_of_range=POS)]))
    E.append(Entry("crosscheck", _call(mo.crosscheck, network_or_measure=mu, problem=problem), [
        Arg("network_or_measure", "object"), Arg("problem", "object"),
        Arg("reference", "object", optional=True), Arg("teacher", "object", optional=True),
        Arg("oracle", "object", optional=True), Arg("effective_rtol", "float", out_of_range=NONNEG),
        Arg("max_time", "float", optional=True, out_of_range=POS)]))
    E.append(Entry("precertificate", _call(mo.precertificate, problem=problem, measure=nu, grid=500), [
        Arg("problem", "object"), Arg("measure", "object"), Arg("exclusion", "float", out_of_range=(-1.0,)),
        Arg("grid", "int", out_of_range=POS_INT), Arg("oracle", "object", optional=True)]))

    # ---- oracles (constructed, then used once)
    features = problem.features

    def maximize(oracle):
        return oracle.maximize(features, q)

    E.append(Entry("GridOracle", _call(_then(mo.GridOracle, maximize), thetas=grid32), [
        Arg("thetas", "array", grid32, (1,))]))
    E.append(Entry("LocalOracle", _call(_then(mo.LocalOracle, maximize), grid=50, n_starts=2, max_iter=5), [
        Arg("grid", "int", out_of_range=POS_INT), Arg("n_starts", "int", out_of_range=POS_INT),
        Arg("max_iter", "int", out_of_range=(-1,)), _seed_arg("random_state")]))
    E.append(Entry("BranchAndBound", _call(_then(mo.BranchAndBound, maximize), max_boxes=2000), [
        Arg("rtol", "float", out_of_range=NONNEG), Arg("atol", "float", out_of_range=NONNEG),
        Arg("max_boxes", "int", out_of_range=POS_INT), Arg("max_time", "float", optional=True, out_of_range=POS)]))
    E.append(Entry("certified_oracle", _call(_then(mo.certified_oracle, maximize), features=features), [
        Arg("features", "object"), Arg("max_arrangement_size", "int", out_of_range=(-1,)),
        Arg("rtol", "float", out_of_range=NONNEG), Arg("max_time", "float", optional=True, out_of_range=POS)]))
    E.append(Entry("riemannian_ascent", _call(mo.riemannian_ascent, features=features, q=q, thetas=thetas,
                                              max_iter=5), [
        Arg("features", "object"), Arg("q", "array", q, (0,)), Arg("thetas", "array", thetas, (1,)),
        Arg("max_iter", "int", out_of_range=(-1,)), Arg("grad_tol", "float", out_of_range=NONNEG)]))

    # ---- kernels
    X2, Y2 = fx["X2"], fx["X2"][:3]
    E.append(Entry("kernels.arccos_kernel", _call(mk.arccos_kernel, X=X2, Y=Y2), [
        Arg("X", "array", X2, (1,), ("Y",)), Arg("Y", "array", Y2, (1,), ("X",), optional=True),
        Arg("degree", "int", out_of_range=(3, -1)), Arg("sigma", "float", out_of_range=POS)]))
    E.append(Entry("kernels.f2_kernel", _call(mk.f2_kernel, X=X2, Y=Y2), [
        Arg("X", "array", X2, (1,), ("Y",)), Arg("Y", "array", Y2, (1,), ("X",), optional=True),
        Arg("degree", "int", out_of_range=(3, -1))]))
    rf_thetas = mo.sample_sphere(2, 4, seed=0)
    E.append(Entry("kernels.random_feature_kernel", _call(mk.random_feature_kernel, X=X2, Y=Y2, thetas=rf_thetas), [
        Arg("X", "array", X2, (1,), ("Y", "thetas")), Arg("thetas", "array", rf_thetas, (1,), ("X",))]))
    for fn in (mk.rf_kernel_inf, mk.ntk_kernels):
        E.append(Entry(f"kernels.{fn.__name__}", _call(fn, X=X2, Y=Y2, n_nodes=20), [
            Arg("X", "array", X2, (1,), ("Y",)), Arg("sigma", "float", out_of_range=POS),
            Arg("n_nodes", "int", out_of_range=POS_INT)]))
    u4 = np.array([1.0, -1.0, 0.5, 2.0])
    E.append(Entry("kernels.ntk_kernels_finite", _call(mk.ntk_kernels_finite, X=X2, thetas=rf_thetas, u=u4), [
        Arg("X", "array", X2, (1,), ("thetas",)), Arg("thetas", "array", rf_thetas, (0, 1), ("X", "u")),
        Arg("u", "array", u4, (0,), ("thetas",))]))
    E.append(Entry("kernels.c_sigma", _call(mk.c_sigma, n_nodes=20), [Arg("n_nodes", "int", out_of_range=POS_INT)]))
    E.append(Entry("kernels.du_gram", _call(mk.du_gram, X=X, depth=2, architecture="resnet", n_nodes=20), [
        Arg("X", "array", X), Arg("depth", "int", out_of_range=POS_INT),
        Arg("c_res", "float", out_of_range=(0.0, 1.0, -0.5, 1.5)), Arg("n_nodes", "int", out_of_range=POS_INT)]))
    E.append(Entry("kernels.lambda_min", _call(mk.lambda_min, K=fx["K"]), [
        Arg("K", "array", fx["K"], (0,)), Arg("tol", "float", out_of_range=NONNEG)]))
    E.append(Entry("kernels.predicted_rate", _call(mk.predicted_rate, K=fx["K"], eta=0.1, n_steps=3), [
        Arg("K", "array", fx["K"], (0,)), Arg("eta", "float", out_of_range=POS),
        Arg("n_steps", "int", out_of_range=(-1,))]))
    E.append(Entry("kernels.du_network_init", _call(mk.du_network_init, d=3, width=4, depth=2, seed=0), [
        Arg("d", "int", out_of_range=POS_INT), Arg("width", "int", out_of_range=POS_INT),
        Arg("depth", "int", out_of_range=POS_INT), _seed_arg("seed")]))
    E.append(Entry("kernels.du_forward", _call(mk.du_forward, X=X, weights=fx["du_weights"], a=fx["du_a"],
                                               architecture="resnet"), [
        Arg("X", "array", X, (1,), ("weights",)), Arg("a", "array", fx["du_a"], (0,), ("weights",)),
        Arg("weights", "object"), Arg("c_res", "float", out_of_range=(0.0, 1.0, 1.5))]))
    abc = dict(a=np.array([1.0, 2.0]), b=np.array([1.0, 1.0]), c=np.array([0.5, 0.1]))
    E.append(Entry("kernels.gaussian_pair_expectation", _call(mk.gaussian_pair_expectation, f=np.tanh, g=np.tanh,
                                                              n_nodes=20, **abc), [
        Arg("a", "array", abc["a"], (0,), ("b", "c"), broadcast=True),
        Arg("b", "array", abc["b"], (0,), ("a", "c"), broadcast=True),
        Arg("c", "array", abc["c"], (0,), ("a", "b"), broadcast=True),
        Arg("n_nodes", "int", out_of_range=(0, -1, 301)),
        Arg("f", "object"), Arg("g", "object")]))

    # ---- solvers (constructed, then run on a tiny problem)
    E.append(Entry("GridConvex", _call(_then(solvers.GridConvex, _solve_tiny), grid=grid32), [
        Arg("grid", "array", grid32, (1,)), Arg("tol", "float", out_of_range=POS),
        Arg("prune_tol", "float", out_of_range=NONNEG), Arg("backend_options", **BACKEND_OPTIONS),
        _seed_arg("random_state")]))
    E.append(Entry("FrankWolfe", _call(_then(solvers.FrankWolfe, _solve_tiny), oracle=mo.GridOracle(grid32),
                                       max_iter=3), [
        Arg("max_iter", "int", out_of_range=POS_INT), Arg("tol", "float", out_of_range=POS),
        Arg("oracle", "object", optional=True), Arg("certificate_oracle", "object", optional=True)]))
    E.append(Entry("SlidingFrankWolfe", _call(_then(solvers.SlidingFrankWolfe, _solve_tiny),
                                              oracle=mo.GridOracle(grid32), max_iter=2, slide_iter=5), [
        Arg("max_iter", "int", out_of_range=POS_INT), Arg("tol", "float", out_of_range=POS),
        Arg("merge_tol", "float", out_of_range=(-1.0,)), Arg("slide_iter", "int", out_of_range=POS_INT),
        Arg("max_time", "float", optional=True, out_of_range=POS), Arg("warm_start", "object", optional=True)]))
    E.append(Entry("ExactReLU", _call(_then(solvers.ExactReLU, _solve_tiny)), [
        Arg("n_patterns", "int", out_of_range=POS_INT), Arg("max_patterns", "int", out_of_range=POS_INT),
        Arg("tol", "float", out_of_range=POS), Arg("backend_options", **BACKEND_OPTIONS),
        _seed_arg("random_state")]))
    E.append(Entry("Solver.solve", _call(solvers.GridConvex(grid=grid32).solve, problem=problem), [
        Arg("problem", "object")]))
    E.append(Entry("DeepConvex", _call(solvers.DeepConvex), [
        Arg("tol", "float", out_of_range=POS),
        Arg("backend_options", "object", optional=True, wrong_types=BACKEND_OPTIONS["wrong_types"])]))
    E.append(Entry("KernelRidge", _call(_then(solvers.KernelRidge, functools.partial(_fit_tiny, kernel=True))), [
        Arg("reg", "float", out_of_range=(-1.0,))]))
    E.append(Entry("F2KernelRidge", _call(_then(solvers.F2KernelRidge, _fit_tiny)), [
        Arg("reg", "float", out_of_range=(-1.0,)), Arg("degree", "int", out_of_range=(3, -1))]))
    E.append(Entry("RandomFeatureRegression", _call(_then(solvers.RandomFeatureRegression, _fit_tiny),
                                                    n_features=10, random_state=0), [
        Arg("n_features", "int", optional=True, out_of_range=POS_INT), Arg("reg", "float", out_of_range=(-1.0,)),
        Arg("sigma", "float", out_of_range=POS), _seed_arg("random_state")]))
    E.append(Entry("RegularizedNTK", _call(_then(solvers.RegularizedNTK, _fit_tiny), n_nodes=20), [
        Arg("reg", "float", out_of_range=(-1.0,)), Arg("sigma", "float", out_of_range=POS),
        Arg("n_nodes", "int", out_of_range=POS_INT)]))
    particle = dict(width=4, max_iter=3, certify=False)
    E.append(Entry("ParticleGD", _call(_then(solvers.ParticleGD, _solve_tiny), **particle), [
        Arg("width", "int", out_of_range=POS_INT), Arg("step_size", "float", out_of_range=POS),
        Arg("r0", "float", out_of_range=(-1.0,)), Arg("alpha", "float", out_of_range=(-1.0,)),
        Arg("max_iter", "int", out_of_range=(-1,)), Arg("tol", "float", optional=True, out_of_range=POS),
        Arg("stationary_tol", "float", out_of_range=NONNEG), _seed_arg("random_state")]))
    E.append(Entry("NoisyParticleGD", _call(_then(solvers.NoisyParticleGD, _solve_tiny), **particle), [
        Arg("noise", "float", out_of_range=(-1.0,)), Arg("step_size", "float", out_of_range=POS)]))
    E.append(Entry("ConicParticleGD", _call(_then(solvers.ConicParticleGD, _solve_tiny), **particle), [
        Arg("step_size_weight", "float", out_of_range=POS), Arg("step_size_position", "float", out_of_range=POS),
        Arg("mass", "float", out_of_range=POS)]))
    E.append(Entry("NormDependentGD", _call(_then(solvers.NormDependentGD, _solve_tiny), **particle), [
        Arg("step_size", "float", out_of_range=POS)]))
    E.append(Entry("ScaledSubgradientGD", _call(solvers.ScaledSubgradientGD), [
        Arg("step", "float", out_of_range=POS), Arg("max_iter", "int", out_of_range=(-1,)),
        Arg("stationary_tol", "float", out_of_range=NONNEG), Arg("record_every", "int", out_of_range=POS_INT),
        Arg("batch_size", "int", optional=True, out_of_range=POS_INT), _seed_arg("seed")]))
    E.append(Entry("DuGradientDescent", _call(solvers.DuGradientDescent, width=8, max_iter=2), [
        Arg("width", "int", out_of_range=POS_INT), Arg("depth", "int", out_of_range=POS_INT),
        Arg("c_res", "float", out_of_range=(0.0, 1.0, 1.5)), Arg("lr", "float", optional=True, out_of_range=POS),
        Arg("max_iter", "int", out_of_range=(-1,)), _seed_arg("random_state")]))
    E.append(Entry("TwoLayerTraining", _call(solvers.TwoLayerTraining, width=8, max_iter=2), [
        Arg("width", "int", out_of_range=POS_INT), Arg("alpha", "float", out_of_range=(-1.0,)),
        Arg("sigma", "float", out_of_range=POS), Arg("lr", "float", out_of_range=POS),
        Arg("reg_u", "float", out_of_range=(-1.0,)), Arg("reg_theta", "float", out_of_range=(-1.0,)),
        Arg("noise", "float", out_of_range=(-1.0,)), _seed_arg("random_state")]))
    E.append(Entry("prune", _call(solvers.prune, measure=measure, problem=problem, k=2), [
        Arg("measure", "object"), Arg("problem", "object"), Arg("k", "int", out_of_range=(0, -1))]))
    return E


CATEGORIES = ("nonfinite", "complex", "shape", "type", "range")

#: One AssertionError subclass per category, so that Hypothesis reports a failure of each category
#: of an argument as a distinct bug (it tells failures apart by exception type and location).
_REJECTION_FAILURES = {c: type(f"{c.title()}ValueAccepted", (AssertionError,), {}) for c in CATEGORIES}


def _cases():
    out = []
    for entry in _entries():
        for arg in entry.args:
            out.append(pytest.param(entry, arg, id=f"{entry.name}-{arg.name}"))
    return out


def _names_argument(message, names):
    """Whether ``message`` names one of ``names`` (one- and two-letter names must read as names, not words)."""
    for name in names:
        esc = re.escape(name)
        if len(name) > 2:
            if re.search(rf"(?<![A-Za-z0-9_]){esc}(?![A-Za-z0-9_])", message):
                return True
        elif re.search(rf"(^{esc}\b|\b{esc} (must|has|is|contains|should|and|or|\()|[`'\"(\[]{esc}[`'\")\]]"
                       rf"|\b{esc}=|\b{esc}\[|\b{esc},|\b{esc}:)", message):
            return True
    return False


def _bad_value_strategy(arg, category):
    """``(category, bad value, linked)``: ``linked`` when the value only mismatches another argument."""
    strategy = bad_values(arg, category)
    if category == "nonfinite" and arg.kind != "array" and arg.allow_inf:
        strategy = st.sampled_from([np.nan, -np.inf])
    if category == "shape" and arg.kind == "array":
        return strategy.map(lambda pair: (category, *pair))
    return strategy.map(lambda v: (category, v, False))


@pytest.mark.parametrize("entry, arg", _cases())
@examples(1.0)
@given(data=st.data())
def test_entry_point_rejects_bad_argument_by_name(entry, arg, data):
    """NaN, inf, complex, misshaped, mistyped or out-of-range: a ValueError/TypeError naming the argument.

    The bad values of each category are a small finite set, which Hypothesis
    exhausts within the ``ci`` profile's examples.
    """
    category, bad, linked = data.draw(
        st.sampled_from(arg.categories).flatmap(lambda c: _bad_value_strategy(arg, c)), label=arg.name)
    names = (arg.name, *arg.partners) if linked else (arg.name,)
    fail = _REJECTION_FAILURES[category]
    call = f"{entry.name}({arg.name}={_short(bad)}) [{category}]"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            entry.call(**{arg.name: bad})
    except (ValueError, TypeError) as exc:
        if not _names_argument(str(exc), names):
            raise fail(f"{call} raised {type(exc).__name__} without naming {' or '.join(names)}: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - the point is to report which
        raise fail(f"{call} raised {type(exc).__name__} (not ValueError/TypeError): {exc}") from exc
    else:
        raise fail(f"{call} was accepted")


def _short(value):
    if isinstance(value, np.ndarray):
        return f"array(shape={value.shape}, dtype={value.dtype}, {np.array2string(value.ravel()[:4])}...)"
    return repr(value)
