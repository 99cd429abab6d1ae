"""A solve in another process returns the same Result: concurrent.futures, joblib and a Dask LocalCluster.

The problem and the solver travel to the worker by pickle, the Result comes
back by pickle; the worker is a fresh interpreter (spawn, loky, a Dask
nanny), so nothing is inherited from this process.
"""

import multiprocessing
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

import measureopt as mo
import solvers


@pytest.fixture(scope="module")
def job():
    data = mo.teacher_student(n=40, d=3, m=2, seed=3)
    problem = mo.BLASSO(data.X, data.y, reg=2e-2)
    solver = solvers.SlidingFrankWolfe(max_iter=30, oracle=mo.GridOracle(mo.sphere_grid(3, 300, seed=0)),
                                       certificate_oracle=mo.GridOracle(mo.sphere_grid(3, 600, seed=1)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        here = solver.solve(problem)
    return problem, solver, here


def assert_same_result(remote, here):
    assert type(remote) is type(here) and remote.status == here.status
    assert remote.measure.n_atoms == here.measure.n_atoms and remote.n_iter == here.n_iter
    np.testing.assert_allclose(remote.measure.weights, here.measure.weights, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(remote.measure.support, here.measure.support, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(remote.objective, here.objective, rtol=1e-12)
    np.testing.assert_allclose(remote.dual_gap, here.dual_gap, rtol=1e-6, atol=1e-14)
    assert remote.gap_scope == here.gap_scope and remote.problem == here.problem
    with pytest.raises(ValueError, match="read-only"):
        remote.measure.weights[0] = 0.0


def test_concurrent_futures_process_pool(job):
    problem, solver, here = job
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        remote = pool.submit(solver.solve, problem).result(timeout=300)
    assert_same_result(remote, here)


def test_joblib_parallel(job):
    import joblib
    problem, solver, here = job
    remote = joblib.Parallel(n_jobs=2, backend="loky")(joblib.delayed(solver.solve)(problem) for _ in range(2))
    for r in remote:
        assert_same_result(r, here)


def test_dask_local_cluster(job):
    import distributed
    problem, solver, here = job
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster, distributed.Client(cluster) as client:
        remote = client.submit(solver.solve, problem, pure=False).result(timeout=300)
        measure = client.submit(lambda r: r.measure, remote, pure=False).result(timeout=60)
    assert_same_result(remote, here)
    assert measure == remote.measure
