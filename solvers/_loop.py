"""What every iterative solver's loop shares: the history it records and its progress bar.

Frank-Wolfe (:mod:`solvers.frank_wolfe`) and the particle loop
(:mod:`solvers.particles`) record one row per iteration (or per record
interval) into a :class:`History`, whose columns always have equal lengths,
and show a :func:`progress` bar when ``verbose``.
"""

import numpy as np

__all__ = ["History", "progress"]


class History:
    """Per-iteration traces with fixed columns; every row fills every column.

    Parameters
    ----------
    columns : sequence of str
    """

    def __init__(self, columns):
        self.columns = tuple(columns)
        self._rows = {c: [] for c in self.columns}

    def record(self, **values):
        """Append one row; ``values`` must name every column exactly once."""
        if set(values) != set(self.columns):
            raise KeyError(f"a history row needs the columns {self.columns}; got {tuple(values)}")
        for c in self.columns:
            self._rows[c].append(values[c])

    def __len__(self):
        return len(self._rows[self.columns[0]]) if self.columns else 0

    def state(self):
        """dict of lists: the rows so far (what a checkpoint stores)."""
        return {c: list(v) for c, v in self._rows.items()}

    @classmethod
    def from_state(cls, state):
        """A :class:`History` holding the rows of :meth:`state`."""
        out = cls(state)
        out._rows = {c: list(v) for c, v in state.items()}
        return out

    def arrays(self):
        """dict of float ndarrays, what :class:`~solvers.Result` stores."""
        return {c: np.asarray(v, dtype=float) for c, v in self._rows.items()}


class _NoBar:
    n = 0

    def update(self, k=1):
        pass

    def set_postfix(self, *args, **kwargs):
        pass

    def close(self):
        pass


def progress(solver, total, initial=0, verbose=None):
    """A tqdm progress bar named after ``solver`` when ``verbose`` (default: ``solver.verbose``), else a no-op bar."""
    verbose = getattr(solver, "verbose", False) if verbose is None else verbose
    if not verbose:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=type(solver).__name__, unit="it", leave=False)
