"""Helpers shared by the benchmark scripts (run them from the repository root or this folder)."""

import time
import warnings

import numpy as np

import measureopt as mo


def timed(solver, problem):
    """``(result, seconds)`` of one solve, convergence warnings silenced (the tables report statuses)."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mo.ConvergenceWarning)
        res = solver.solve(problem)
    return res, time.perf_counter() - start


def time_to_reach(res, target):
    """Cumulative time at the end of the first iteration whose successor's objective is <= target."""
    obj, times = res.history["objective"], np.cumsum(res.history["time"])
    hit = np.flatnonzero(obj <= target)
    if hit.size == 0:
        return float("nan")
    k = hit[0]
    return float(times[k - 1]) if k > 0 else 0.0
