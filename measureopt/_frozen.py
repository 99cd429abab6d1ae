"""Read-only objects: the one mechanism behind immutable measures, problems and their parts.

A class that mixes in :class:`Frozen` assigns its attributes as usual in
``__init__`` and ends it with ``self._freeze()``. From then on:

* every NumPy array it holds (directly, or inside tuples, lists and dicts) is
  a private, read-only copy: arrays the caller passed in are copied, so
  changing them afterwards does not change the object;
* lists become tuples;
* setting or deleting an attribute raises ``AttributeError`` saying the
  object is immutable.

Classes with ``__slots__`` (no ``__dict__``) are frozen from the start and set
their slots with :meth:`Frozen._set`. A cache that an object computes lazily
also goes through :meth:`Frozen._set`, the one way to write on a frozen
object.

Value records (certificates, reports, results) are frozen dataclasses that
derive from :class:`Record`: ``@dataclass(frozen=True, eq=False)`` and
``class Name(Record)``. Their ``__post_init__`` freezes the fields in the same
way, and dicts become :class:`FrozenDict`.

Pickling, :func:`copy.copy` and :func:`copy.deepcopy` work for both, and the
copy is as immutable as the original: :meth:`Frozen.__setstate__` freezes the
restored attributes again (unpickled arrays come back writeable), and
:class:`FrozenDict` pickles through its constructor. Equality is structural
(:func:`same`): two objects of the same type with equal fields, arrays equal
in dtype, shape and every value (NaN equal to NaN).
"""

import numpy as np

__all__ = ["Frozen", "Record", "FrozenDict", "freeze", "same", "register_kind", "file_kinds", "file_state"]

#: The value types a measureopt file may hold, by class name (:mod:`measureopt.io`).
_KINDS = {}


def register_kind(cls):
    """Class decorator: ``cls`` may be stored in measureopt files (:mod:`measureopt.io`), under its name.

    Its state is ``obj._file_state()`` when it defines one, else its
    dataclass fields; it is rebuilt by ``cls._from_file_state(state)`` when
    defined, else ``cls(**state)``. The first class of a name keeps it.
    """
    _KINDS.setdefault(cls.__name__, cls)
    return cls


def file_kinds():
    """dict of str to type: the registered value types (:func:`register_kind`)."""
    return dict(_KINDS)


def file_state(obj):
    """The dict of constructor arguments that rebuilds ``obj`` (see :func:`register_kind`)."""
    method = getattr(obj, "_file_state", None)
    if method is not None:
        return method()
    import dataclasses

    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.init}


class FrozenDict(dict):
    """A dict that refuses changes: the mappings held by immutable objects (``Result.stats``, ``history``).

    It is a :class:`dict` for every reading purpose (``json.dump``,
    ``{**d}``, ``d == {...}``); writing raises ``TypeError``. It pickles and
    copies through its constructor, so copies are frozen too.
    """

    __slots__ = ()

    def _refuse(self, *args, **kwargs):
        raise TypeError("this mapping belongs to an immutable object and cannot be changed; copy it with dict(...)")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self):
        return (type(self), (dict(self),))

    def __repr__(self):
        return f"FrozenDict({dict.__repr__(self)})"


def freeze(value, _memo=None):
    """A read-only version of ``value``: arrays copied unless already private and read-only, lists as tuples.

    A read-only array that owns its memory is kept as is (it is an
    immutable object's own array, or was frozen here before); any other
    array, writeable or a view of someone else's memory, is copied. Tuples,
    lists and dict values are frozen recursively; other objects are
    returned unchanged. The same array frozen twice in one call gives the
    same copy (``_memo``), so attributes that share an array keep sharing.
    """
    memo = {} if _memo is None else _memo
    key = id(value)
    if key in memo:
        return memo[key]
    if isinstance(value, np.ndarray):
        out = value
        if value.flags.writeable or not value.flags.owndata:
            out = np.array(value, copy=True)
            out.flags.writeable = False
    elif isinstance(value, (tuple, list)) and not hasattr(value, "_fields"):
        out = tuple(freeze(v, memo) for v in value)
    elif isinstance(value, dict):
        out = FrozenDict({k: freeze(v, memo) for k, v in value.items()})
    else:
        out = value
    memo[key] = out
    return out


class Frozen:
    """Mixin for immutable objects (see the module notes): attributes fixed by :meth:`_freeze` at the end of ``__init__``."""

    __slots__ = ()
    #: How the error message ends: what to do instead of setting an attribute.
    _immutable_hint = "build a new one with the values you want"

    def _is_frozen(self):
        state = getattr(self, "__dict__", None)
        return state is None or state.get("_frozen_", False)

    def __setattr__(self, name, value):
        if self._is_frozen():
            raise AttributeError(f"{type(self).__name__} is immutable: cannot set {name!r}; {self._immutable_hint}")
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        if self._is_frozen():
            raise AttributeError(f"{type(self).__name__} is immutable: cannot delete {name!r}")
        object.__delattr__(self, name)

    def _set(self, name, value):
        """Set one attribute of a frozen object, frozen itself: slots in ``__init__``, and lazily computed caches."""
        object.__setattr__(self, name, freeze(value))

    def _freeze(self):
        """End of ``__init__``: freeze every attribute and refuse new ones."""
        memo = {}
        for name, value in list(vars(self).items()):
            object.__setattr__(self, name, freeze(value, memo))
        object.__setattr__(self, "_frozen_", True)

    def __setstate__(self, state):
        # pickle and copy.deepcopy restore attributes here, not through __setattr__
        if isinstance(state, tuple):  # (dict state, slot state)
            state = {**(state[0] or {}), **(state[1] or {})}
        memo = {}
        for name, value in state.items():
            object.__setattr__(self, name, freeze(value, memo))

    def _state(self):
        """The attributes that make the object (``__dict__`` and slots), for equality."""
        state = {k: v for k, v in getattr(self, "__dict__", {}).items() if k != "_frozen_"}
        for cls in type(self).__mro__:
            for name in getattr(cls, "__slots__", ()):
                if hasattr(self, name):
                    state[name] = getattr(self, name)
        return state

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return same(self._state(), other._state())

    def __hash__(self):
        return hash((type(self).__name__, _hash_key(self._state())))


class Record(Frozen):
    """Base of the frozen dataclasses that hold results and certificates (see the module notes).

    Subclasses are ``@dataclass(frozen=True, eq=False)`` (``eq=False`` keeps
    this structural ``__eq__``); one that needs its own ``__post_init__``
    calls ``super().__post_init__()`` at its end.
    """

    __slots__ = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        register_kind(cls)

    def __post_init__(self):
        self._freeze()

    def _state(self):
        import dataclasses

        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def same(a, b):
    """Structural equality: same types, arrays equal in dtype, shape and values (NaN equals NaN), recursively."""
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
                and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")))
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True  # nan
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)) and not hasattr(a, "_fields"):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # objects whose == is elementwise or undefined
        return False


def _hash_key(value):
    """A hashable stand-in for ``value`` consistent with :func:`same` (arrays by dtype, shape and bytes)."""
    if isinstance(value, np.ndarray):
        return (value.dtype.str, value.shape, np.ascontiguousarray(value).tobytes())
    if isinstance(value, dict):
        return tuple(sorted((str(k), _hash_key(v)) for k, v in value.items()))
    if isinstance(value, (tuple, list)):
        return tuple(_hash_key(v) for v in value)
    if isinstance(value, float) and value != value:
        return "nan"
    try:
        hash(value)
    except TypeError:
        return id(value)
    return value
