"""Parameter sweeps on Dask: ``measureopt sweep SPEC`` and ``measureopt sweep-plot STORE``.

A *spec* (a TOML file, :mod:`solvers.sweeps.spec`) names an *experiment*
(a registered function, :mod:`solvers.sweeps.experiments`) and a parameter
grid. Each grid point is a *task*; the runner (:mod:`solvers.sweeps.runner`)
submits the tasks to a Dask ``distributed`` cluster and writes each finished
task at once, as one row, into a *store* (SQLite, :mod:`solvers.sweeps.store`)
keyed by the experiment, its parameters and the code version. A re-run of the
same spec skips the tasks already done, so an interrupted sweep (Ctrl-C, a
killed client or worker) is resumed by running it again.
:func:`plot_phase_diagram` (:mod:`solvers.sweeps.plot`) draws a metric over
two parameters from the store.

Nothing here imports ``distributed`` or :mod:`matplotlib` at import time;
the runner and the plot import them when they run.

Examples
--------
>>> from solvers.sweeps import parse_spec
>>> spec = parse_spec('''
... experiment = "sleep"
... [params]
... seconds = 0.0
... [grid]
... index = [0, 1, 2]
... ''')
>>> len(spec.tasks())
3
"""

from .experiments import EXPERIMENTS, Experiment, code_version, get_experiment, register
from .spec import SpecError, Spec, Task, load_spec, parse_spec, task_key
from .store import Store
from .runner import SweepSummary, run_sweep
from .plot import plot_phase_diagram, reduce_metric

__all__ = [
    "EXPERIMENTS",
    "Experiment",
    "Spec",
    "SpecError",
    "Store",
    "SweepSummary",
    "Task",
    "code_version",
    "get_experiment",
    "load_spec",
    "parse_spec",
    "plot_phase_diagram",
    "reduce_metric",
    "register",
    "run_sweep",
    "task_key",
]
