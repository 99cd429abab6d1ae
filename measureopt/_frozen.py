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
object. Pickling and :func:`copy.deepcopy` work: :meth:`Frozen.__setstate__`
freezes the restored attributes again (unpickled arrays come back writeable).
"""

import numpy as np

__all__ = ["Frozen", "freeze"]


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
        out = {k: freeze(v, memo) for k, v in value.items()}
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
