"""GridConvex against the same LASSO written directly in CVXPY + Clarabel.

Teacher-student data (n=200, d=5, m=3, reg=1e-3) at K = 2,000 and 20,000
grid points. Both runs use the same grid, formulation and backend; the ratio
measures what our layer (validation, features, pruning, the gridded duality
gap, the Result) adds to raw CVXPY. Each configuration is warmed up once,
then timed ``--repeat`` times, alternating the two; medians are reported.

Usage: python benchmarks/blasso_grid.py [--sizes 2000 20000] [--repeat 3]
"""

import argparse
import statistics
import time

import cvxpy as cp
import numpy as np

import measureopt as mo
import solvers


def raw_cvxpy(X, y, reg, grid):
    """The reference: features, model and solve written directly."""
    features = np.maximum(X @ grid.T, 0.0)
    r = cp.Variable(grid.shape[0])
    n = X.shape[0]
    objective = cp.sum_squares(y - features @ r) / (2 * n) + reg * cp.norm1(r)
    problem = cp.Problem(cp.Minimize(objective))
    problem.solve(solver="CLARABEL")
    return problem.value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    data = mo.teacher_student(n=200, d=5, m=3, seed=0)
    prob = mo.BLASSO(data.X, data.y, reg=1e-3)
    print(f"{'K':>7} {'ours (s)':>9} {'raw (s)':>9} {'ratio':>6} {'objective':>14} {'raw obj':>14} {'gap':>9} {'atoms':>5}")
    for K in args.sizes:
        grid = mo.sphere_grid(5, K, seed=0)
        solver = solvers.GridConvex(grid=grid, backend="CLARABEL")
        solver.solve(prob)  # warm-up
        raw_cvxpy(data.X, data.y, 1e-3, grid)
        ours, raw = [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            res = solver.solve(prob)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            raw_value = raw_cvxpy(data.X, data.y, 1e-3, grid)
            raw.append(time.perf_counter() - t)
        t_ours, t_raw = statistics.median(ours), statistics.median(raw)
        print(
            f"{K:>7} {t_ours:>9.3f} {t_raw:>9.3f} {t_ours / t_raw:>6.3f} {res.objective:>14.10f} "
            f"{raw_value:>14.10f} {res.dual_gap:>9.2e} {res.measure.n_atoms:>5}",
            flush=True,
        )


if __name__ == "__main__":
    main()
