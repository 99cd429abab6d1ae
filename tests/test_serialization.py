"""Every public object pickles, copies and stays immutable; measures and results round-trip through files.

The classes come from the packages' ``__all__`` (``tests/public_examples.py``),
so a new public class is covered without editing this file.
"""

import copy
import dataclasses
import inspect
import pickle

import numpy as np
import pytest

import measureopt as mo
from measureopt._frozen import FrozenDict, same
from public_examples import example, public_classes

CONCRETE = [cls for cls in public_classes() if not inspect.isabstract(cls)]


def _has_own_eq(obj):
    return type(obj).__eq__ is not object.__eq__


def assert_equal_objects(a, b, where="object"):
    """``a`` and ``b`` are equal: by their own ``==`` where they define one, else attribute by attribute."""
    import torch

    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, BaseException):
        assert a.args == b.args, where
    elif isinstance(a, torch.nn.Module):
        sa, sb = a.state_dict(), b.state_dict()
        assert sa.keys() == sb.keys(), where
        for key in sa:
            assert torch.equal(sa[key], sb[key]), f"{where}.{key}"
    elif isinstance(a, torch.Tensor):
        assert torch.equal(a, b), where
    elif isinstance(a, np.random.Generator):
        assert same(a.bit_generator.state, b.bit_generator.state), where
    elif isinstance(a, (np.ndarray, dict, list, tuple)) or not hasattr(a, "__dict__") or _has_own_eq(a):
        if isinstance(a, (dict, list, tuple)) and not _has_own_eq(a):
            items = a.items() if isinstance(a, dict) else enumerate(a)
            assert len(a) == len(b), where
            for key, value in items:
                assert_equal_objects(value, b[key], f"{where}[{key!r}]")
        elif callable(a) and not hasattr(a, "__dict__"):
            assert a is b or a == b, where
        else:
            assert same(a, b), f"{where}: {a!r} != {b!r}"
    else:
        va, vb = vars(a), vars(b)
        assert va.keys() == vb.keys(), where
        for key in va:
            assert_equal_objects(va[key], vb[key], f"{where}.{key}")


def _frozen(obj):
    """Whether ``obj`` refuses attribute writes."""
    probe = copy.copy(obj)
    try:
        setattr(probe, "_serialization_probe_", 1)
    except (AttributeError, TypeError):
        return True
    return False


def assert_immutable(obj, where):
    """Attribute writes refused, and every array and dict it holds read-only."""
    name = next(iter(_fields(obj)), "_x")
    with pytest.raises(AttributeError):
        setattr(obj, name, None)
    with pytest.raises(AttributeError):
        setattr(obj, "_serialization_probe_", 1)
    for key, value in _fields(obj).items():
        _assert_read_only(value, f"{where}.{key}")


def _fields(obj):
    if dataclasses.is_dataclass(obj):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    state = dict(getattr(obj, "__dict__", {}))
    for cls in type(obj).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            if hasattr(obj, slot):
                state[slot] = getattr(obj, slot)
    state.pop("_frozen_", None)
    return state


def _assert_read_only(value, where):
    if isinstance(value, np.ndarray):
        assert not value.flags.writeable, f"{where} is a writeable array"
    elif isinstance(value, dict):
        assert isinstance(value, FrozenDict), f"{where} is a mutable {type(value).__name__}"
        for key, item in value.items():
            _assert_read_only(item, f"{where}[{key!r}]")
    elif isinstance(value, list):
        raise AssertionError(f"{where} is a mutable list")
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            _assert_read_only(item, f"{where}[{i}]")


@pytest.fixture(scope="module", params=CONCRETE, ids=lambda cls: cls.__name__)
def instance(request):
    return example(request.param)


@pytest.mark.parametrize("how", ["pickle", "copy", "deepcopy"])
def test_round_trip_equal_and_still_immutable(instance, how):
    """pickle (protocol 5), copy.copy and copy.deepcopy give an equal object, as immutable as the original."""
    if how == "pickle":
        other = pickle.loads(pickle.dumps(instance, protocol=5))
    else:
        other = getattr(copy, how)(instance)
    assert_equal_objects(instance, other, type(instance).__name__)
    if _frozen(instance):
        assert_immutable(instance, type(instance).__name__)
        assert_immutable(other, f"{how}({type(instance).__name__})")


def test_every_public_class_is_collected():
    """The collection finds the classes of every package (a guard on the collection itself)."""
    names = {cls.__name__ for cls in public_classes()}
    for expected in ("DiscreteMeasure", "LayeredMeasure", "BLASSO", "Result", "SlidingFrankWolfe", "CrossCheck",
                     "TeacherStudentData", "KernelRidge", "DuRun", "GridOracle", "ConicStep", "FileFormatError"):
        assert expected in names
    assert len(CONCRETE) >= 60


def test_frozen_dict_refuses_writes_and_pickles_frozen():
    d = FrozenDict({"a": np.arange(3)})
    for write in (lambda m: m.__setitem__("b", 1), lambda m: m.update(b=1), lambda m: m.pop("a"),
                  lambda m: m.clear(), lambda m: m.setdefault("b", 1), lambda m: m.__delitem__("a")):
        with pytest.raises(TypeError, match="immutable"):
            write(d)
    for other in (pickle.loads(pickle.dumps(d, protocol=5)), copy.copy(d), copy.deepcopy(d)):
        assert type(other) is FrozenDict and same(other, d)
        with pytest.raises(TypeError):
            other["b"] = 1


def test_result_mappings_are_read_only():
    from public_examples import _result

    res = _result()
    with pytest.raises(TypeError):
        res.stats["backend"] = "x"
    key = next(iter(res.history))
    with pytest.raises(ValueError, match="read-only"):
        res.history[key][0] = 1.0
    unpickled = pickle.loads(pickle.dumps(res, protocol=5))
    with pytest.raises(ValueError, match="read-only"):
        unpickled.history[key][0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        unpickled.measure.weights[0] = 1.0


def test_structural_equality_distinguishes():
    a = mo.DiscreteMeasure([1.0, -2.0], [[1.0, 0.0], [0.0, 1.0]])
    assert a == mo.DiscreteMeasure([1.0, -2.0], [[1.0, 0.0], [0.0, 1.0]])
    assert hash(a) == hash(mo.DiscreteMeasure([1.0, -2.0], [[1.0, 0.0], [0.0, 1.0]]))
    assert a != mo.DiscreteMeasure([1.0, -2.0 + 1e-15], [[1.0, 0.0], [0.0, 1.0]])
    assert a != mo.DiscreteMeasure([1.0, -2.0], [[0.0, 1.0], [1.0, 0.0]])
    assert a != "a measure"
    assert mo.TV(0.1) != mo.TVBall(0.1)
