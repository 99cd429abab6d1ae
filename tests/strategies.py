"""Hypothesis strategies for measureopt: problems, measures, and bad inputs.

Used by ``tests/test_properties.py``. Everything here is cheap to build:
problems are small (``n <= 12``, ``D <= 3`` by default) so that a solve or a
certified gap costs milliseconds, and the property suite stays within its CI
budget.

* :func:`unit_vectors`, :func:`sphere_points`: directions on :math:`\\mathbb{S}^{d-1}`
  (axis-aligned and generic ones, never NaN);
* :func:`measures`: signed discrete measures with duplicated, antipodal and
  near-duplicate atoms, zero weights, weights over ten decades, and the empty
  measure;
* :func:`positive_measures`: the same with positive weights (what the
  Wasserstein distance compares as probability measures);
* :func:`problem_cases`: a :class:`ProblemCase` (the arrays it is built from,
  kept so that tests can check they are not mutated) for BLASSO with inputs
  on or off the sphere, teacher-student data, and the lifted
  :class:`~measureopt.VariationNormERM`, with ``reg`` over the decades
  ``1e-4 .. 1e1`` or a multiple ``>= 1`` of ``reg_max``;
* :func:`bad_values`: NaN, inf, complex, wrongly shaped and wrongly typed
  values for an argument of a given kind.
"""

import math
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import measureopt as mo

FINITE = {"allow_nan": False, "allow_infinity": False}


# ------------------------------------------------------------ directions
def _normalize_or_axis(v):
    v = np.asarray(v, dtype=float)
    norm = np.linalg.norm(v)
    if not np.isfinite(norm) or norm < 1e-6:
        e = np.zeros_like(v)
        e[0] = 1.0
        return e
    return v / norm


def unit_vectors(d):
    """Unit vectors of :math:`\\mathbb{R}^d` (Hypothesis shrinks them towards axis directions)."""
    return hnp.arrays(float, d, elements=st.floats(-1.0, 1.0, **FINITE)).map(_normalize_or_axis)


def sphere_points(d, min_size=1, max_size=8):
    """Arrays of shape ``(k, d)`` with unit rows."""
    return st.lists(unit_vectors(d), min_size=min_size, max_size=max_size).map(
        lambda rows: np.array(rows, dtype=float).reshape(len(rows), d)
    )


# ------------------------------------------------------------ measures
def weights(min_value=None):
    """Weights over ten decades, signed, zero included (``min_value=0``: nonnegative; ``>0``: positive)."""
    magnitude = st.one_of(
        st.floats(0.0, 10.0, **FINITE),
        st.floats(-8.0, 2.0, **FINITE).map(lambda e: 10.0**e),
        st.sampled_from([1.0, 0.5, 1e-12, 100.0]),
    )
    if min_value is None:
        return st.tuples(st.booleans(), magnitude).map(lambda t: -t[1] if t[0] else t[1])
    if min_value > 0:
        return magnitude.map(lambda m: max(m, min_value))
    return magnitude


@st.composite
def measures(draw, d, max_atoms=6, min_atoms=0, weight_strategy=None):
    """Discrete measures on :math:`\\mathbb{S}^{d-1}` with hard structure.

    Base atoms are drawn, then some are repeated as exact duplicates,
    antipodes :math:`-\\theta`, or near-duplicates at a distance of
    ``1e-12 .. 1e-2``; the measure may be empty.
    """
    weight_strategy = weights() if weight_strategy is None else weight_strategy
    n_base = draw(st.integers(min_atoms, max_atoms))
    atoms = [draw(unit_vectors(d)) for _ in range(n_base)]
    if atoms:
        n_extra = draw(st.integers(0, 3))
        for _ in range(n_extra):
            i = draw(st.integers(0, len(atoms) - 1))
            kind = draw(st.sampled_from(["duplicate", "antipodal", "near"]))
            if kind == "duplicate":
                atoms.append(atoms[i].copy())
            elif kind == "antipodal":
                atoms.append(-atoms[i])
            else:
                eps = 10.0 ** draw(st.floats(-12.0, -2.0, **FINITE))
                direction = draw(unit_vectors(d))
                atoms.append(_normalize_or_axis(atoms[i] + eps * direction))
    k = len(atoms)
    w = np.array([draw(weight_strategy) for _ in range(k)], dtype=float)
    support = np.array(atoms, dtype=float).reshape(k, d)
    return mo.DiscreteMeasure(w, support)


def positive_measures(d, max_atoms=5):
    """Measures with positive weights and at least one atom (probability measures once normalized)."""
    return measures(d, max_atoms=max_atoms, min_atoms=1, weight_strategy=weights(min_value=1e-6))


@st.composite
def equal_measures(draw, measure):
    """A measure equal to ``measure`` as a measure but not as arrays: atoms permuted and split in two."""
    k = measure.n_atoms
    if k == 0:
        return measure
    order = np.array(draw(st.permutations(list(range(k)))), dtype=int)
    w, s = measure.weights[order], measure.support[order]
    split = draw(st.integers(-1, k - 1))
    if split >= 0:
        frac = draw(st.floats(0.1, 0.9, **FINITE))
        w = np.concatenate([w, [w[split] * (1 - frac)]])
        w[split] *= frac
        s = np.concatenate([s, s[split:split + 1]])
    return mo.DiscreteMeasure(w, s)


def _orthonormal_pair(u, v):
    """Two orthonormal vectors from ``u`` and ``v`` (Gram-Schmidt; an axis when ``v`` is parallel to ``u``)."""
    v = v - (v @ u) * u
    if np.linalg.norm(v) < 1e-6:
        v = np.zeros_like(u)
        v[1 if abs(u[0]) > 0.5 else 0] = 1.0
        v = v - (v @ u) * u
    return u, v / np.linalg.norm(v)


def ring(d, k, span=None, w=None):
    """``k`` atoms on a great circle of :math:`\\mathbb{S}^{d-1}`, ``span`` radians from first to last (a full
    ring by default: ``2 pi (k - 1) / k``), with weights ``w`` (ones by default)."""
    span = 2 * np.pi * (k - 1) / k if span is None else span
    angles = np.linspace(0.0, span, k)
    support = np.zeros((k, d))
    support[:, 0], support[:, 1] = np.cos(angles), np.sin(angles)
    return mo.DiscreteMeasure(np.ones(k) if w is None else w, support)


@st.composite
def merge_cases(draw):
    """``(measure, radius, X)`` for :meth:`DiscreteMeasure.merge`.

    Three kinds of measure: one of :func:`measures`; a few atoms plus a chain
    along a great circle (an arc or a whole ring, consecutive atoms one
    ``step`` apart: single linkage merges the whole chain); a few atoms plus
    an antipodal pair of equal ``|weight|`` (mean direction zero). The radius
    is drawn over decades, or just above one of the measure's pairwise
    distances (chord or geodesic) or the chain's step, or is 2 or pi.
    ``X``: inputs on the sphere or scaled, plus the structure's directions.
    """
    d = draw(st.sampled_from([2, 3, 4]))
    kind = draw(st.sampled_from(["random", "chain", "antipodal"]))
    measure = draw(measures(d, max_atoms=8 if kind == "random" else 2))
    special = []
    step = None
    if kind == "chain":
        k = draw(st.integers(3, 40))
        span = draw(st.one_of(st.floats(0.0, 2 * np.pi, **FINITE), st.sampled_from([np.pi, 2 * np.pi * (k - 1) / k])))
        step = span / (k - 1)
        e1, e2 = _orthonormal_pair(draw(unit_vectors(d)), draw(unit_vectors(d)))
        angles = np.linspace(0.0, span, k)
        chain = np.cos(angles)[:, None] * e1 + np.sin(angles)[:, None] * e2
        if draw(st.booleans()):
            w = np.full(k, draw(weights(min_value=1e-3)))
        else:
            w = np.array([draw(weights(min_value=1e-3)) for _ in range(k)])
        measure = measure + mo.DiscreteMeasure(w, chain / np.linalg.norm(chain, axis=1, keepdims=True))
        special = [e1, np.cos(span / 2) * e1 + np.sin(span / 2) * e2]
    elif kind == "antipodal":
        theta = draw(unit_vectors(d))
        w = draw(weights(min_value=1e-6))
        sign = draw(st.sampled_from([1.0, -1.0]))
        measure = measure + mo.DiscreteMeasure([w, sign * w], np.array([theta, -theta]))
        special = [theta, _orthonormal_pair(theta, draw(unit_vectors(d)))[1]]
    choices = [st.floats(-9.0, math.log10(3.5), **FINITE).map(lambda e: 10.0**e), st.sampled_from([2.0, np.pi])]
    if measure.n_atoms > 1:
        s = measure.support
        chords = np.linalg.norm(s[:, None, :] - s[None, :, :], axis=-1)[np.triu_indices(len(s), 1)]
        geodesic = 2.0 * np.arcsin(np.minimum(1.0, chords / 2.0))
        distances = sorted(set(float(x) for x in np.concatenate([chords, geodesic]) if x > 0))
        if distances:
            choices.append(st.tuples(st.sampled_from(distances), st.floats(1.0, 1.2, **FINITE))
                           .map(lambda t: t[0] * t[1]))
    if step is not None and step > 0:
        chain_radius = st.floats(1.0, 1.5, **FINITE).map(lambda f: step * f)
        choices = [chain_radius, chain_radius] + choices  # the chain's scale half the time
    if kind == "antipodal":
        choices = [st.sampled_from([2.0, 2.5, np.pi])] + choices
    radius = draw(st.one_of(*choices))
    X = draw(st.one_of(sphere_points(d, 1, 6),
                       sphere_points(d, 1, 6).map(lambda P: P * np.linspace(0.1, 10.0, len(P))[:, None])))
    if special:
        X = np.concatenate([X, np.array(special).reshape(-1, d)])
    return measure, float(radius), X


# ------------------------------------------------------------ problems
@dataclass
class ProblemCase:
    """The arrays and parameters a problem is built from, and how to build it.

    ``kind``: ``"blasso"`` (raw inputs, ``D = d``) or ``"erm"``
    (:class:`~measureopt.VariationNormERM`, inputs lifted, ``D = d + 1``).
    """

    kind: str
    X: np.ndarray
    y: np.ndarray
    reg: float
    label: str = ""

    @property
    def dim(self):
        return self.X.shape[1] + (1 if self.kind == "erm" else 0)

    def build(self, X=None, y=None, reg=None):
        X = self.X if X is None else X
        y = self.y if y is None else y
        reg = self.reg if reg is None else reg
        if self.kind == "blasso":
            return mo.BLASSO(X, y, reg=reg)
        return mo.VariationNormERM(X, y, reg=reg)

    def __repr__(self):
        return (f"ProblemCase(kind={self.kind!r}, label={self.label!r}, reg={self.reg!r},\n"
                f"  X=np.array({self.X.tolist()!r}),\n  y=np.array({self.y.tolist()!r}))")


def _nonzero_rows(X):
    X = np.array(X, dtype=float)
    zero = np.linalg.norm(X, axis=1) < 1e-8
    X[zero, 0] = 1.0
    return X


@st.composite
def problem_cases(draw, dims=(2, 3), min_n=3, max_n=12, kinds=("sphere", "off_sphere", "teacher", "erm"),
                  reg_max_multiple=True):
    """A :class:`ProblemCase` whose problem lives on :math:`\\mathbb{S}^{D-1}`, ``D`` in ``dims``.

    Inputs: ``"sphere"`` unit rows (BLASSO's Assumption 3.1), ``"off_sphere"``
    rows of any norm (``1e-2 .. 1e2``), ``"teacher"``
    (:func:`measureopt.teacher_student`, noisy or not), ``"erm"`` raw inputs
    in ``R^(D-1)`` lifted by :class:`~measureopt.VariationNormERM`. ``reg``:
    ``10**u`` for ``u`` in ``[-4, 1]``, or (with ``reg_max_multiple``) ``c *
    reg_max`` with ``c`` in ``[1, 10]``, where the zero measure is optimal.
    """
    D = draw(st.sampled_from(list(dims)))
    kind = draw(st.sampled_from([k for k in kinds if not (k == "erm" and D < 2)]))
    n = draw(st.integers(min_n, max_n))
    target = st.floats(-5.0, 5.0, **FINITE)
    if kind == "teacher":
        m = draw(st.integers(1, D))
        seed = draw(st.integers(0, 2**16))
        noise = draw(st.sampled_from([0.0, 0.0, 0.01, 0.3]))
        data = mo.teacher_student(n=n, d=D, m=m, seed=seed, noise=noise)
        X, y, problem_kind = np.array(data.X), np.array(data.y), "blasso"
    elif kind == "sphere":
        X, problem_kind = draw(sphere_points(D, min_size=n, max_size=n)), "blasso"
        y = draw(hnp.arrays(float, n, elements=target))
    elif kind == "off_sphere":
        rows = draw(hnp.arrays(float, (n, D), elements=st.floats(-1.0, 1.0, **FINITE)))
        scales = draw(hnp.arrays(float, n, elements=st.floats(-2.0, 2.0, **FINITE)))
        X, problem_kind = _nonzero_rows(rows * (10.0 ** scales)[:, None]), "blasso"
        y = draw(hnp.arrays(float, n, elements=target))
    else:  # erm: raw inputs in R^(D-1), lifted to S^(D-1)
        X = draw(hnp.arrays(float, (n, D - 1), elements=st.floats(-3.0, 3.0, **FINITE)))
        problem_kind = "erm"
        y = draw(hnp.arrays(float, n, elements=target))
    case = ProblemCase(problem_kind, np.array(X, dtype=float), np.array(y, dtype=float), 1.0, label=kind)
    if reg_max_multiple and draw(st.integers(0, 4)) == 0:
        reg_max = case.build(reg=1.0).reg_max()
        case.reg = float(max(reg_max, 1e-12) * draw(st.floats(1.0, 10.0, **FINITE)))
        case.label += "+above_reg_max"
    else:
        case.reg = float(10.0 ** draw(st.floats(-4.0, 1.0, **FINITE)))
    return case


# ------------------------------------------------------------ bad values
class _Opaque:
    """An object of no numeric meaning."""

    def __repr__(self):
        return "<opaque object>"


#: Values of a wrong type for any numeric argument.
WRONG_TYPES = ["abc", {"a": 1}, _Opaque()]
RAGGED = [[1.0, 2.0], [3.0]]


def nonfinite_arrays(valid):
    """``valid`` with NaN in its first entry, inf in its last, or -inf in its middle one."""
    valid = np.asarray(valid, dtype=float)

    def put(args):
        value, where = args
        bad = np.array(valid, dtype=float, copy=True)
        flat = bad.reshape(-1)
        flat[{"first": 0, "middle": flat.size // 2, "last": flat.size - 1}[where]] = value
        return bad

    return st.sampled_from([(np.nan, "first"), (np.inf, "last"), (-np.inf, "middle")]).map(put)


def complex_arrays(valid):
    """``valid`` as a complex array with a nonzero imaginary part (the data is changed, not only its dtype)."""
    valid = np.asarray(valid, dtype=float)

    def put(args):
        where, imag = args
        bad = valid.astype(complex)
        flat = bad.reshape(-1)
        flat[{"first": 0, "last": flat.size - 1}[where]] += 1j * imag
        return bad

    return st.sampled_from([("first", 1.0), ("last", 1e-3)]).map(put)


def misshaped_arrays(valid, linked_axes=(), broadcast=False):
    """``(value, linked)`` pairs: ``valid`` with an extra axis or one axis fewer (``linked=False``; not for
    arguments that ``broadcast`` together), or one entry short or long along an axis whose length must
    match another argument (``linked=True``)."""
    valid = np.asarray(valid, dtype=float)
    options = []
    if not broadcast:
        options.append((valid[..., None], False))
        if valid.ndim >= 1:
            options.append((valid[0] if valid.ndim > 1 else valid[0].item(), False))
    for axis in linked_axes:
        # one entry short (a length-1 axis broadcasts, so it is no mismatch for broadcasting arguments)
        if valid.shape[axis] > (2 if broadcast else 1):
            options.append((np.take(valid, range(valid.shape[axis] - 1), axis=axis), True))
        options.append((np.concatenate([valid, np.take(valid, [0], axis=axis)], axis=axis), True))
    return st.sampled_from(options)


def bad_values(spec, category):
    """Bad values of ``category`` for an argument described by ``spec`` (see ``tests/test_properties.py``)."""
    kind = spec.kind
    if category == "nonfinite":
        if kind == "array":
            return nonfinite_arrays(spec.valid)
        return st.sampled_from([np.nan, np.inf, -np.inf])
    if category == "complex":
        if kind == "array":
            return complex_arrays(spec.valid)
        return st.sampled_from([complex(1.0, 1.0), np.complex128(0.5 + 2j)])
    if category == "shape":
        if kind == "array":
            return misshaped_arrays(spec.valid, spec.linked_axes, getattr(spec, "broadcast", False))
        return st.sampled_from([[1.0, 2.0], np.array([0.5, 0.5])])
    if category == "type":
        values = list(WRONG_TYPES if getattr(spec, "wrong_types", None) is None else spec.wrong_types)
        if kind == "array":
            values.append(RAGGED)
        if not spec.optional:
            values.append(None)
        if kind in ("float", "int"):
            values.append("1.0")
        return st.sampled_from(values)
    if category == "range":
        return st.sampled_from(spec.out_of_range)
    raise ValueError(f"unknown category {category!r}")
