"""Regularization paths: warm against cold starts along a certified path, and cross-validation on diabetes.

Part A (``--part A``), warm against cold starts. Teacher-student data
(``measureopt.teacher_student(n=200, d=5, m=3, seed=0)``) and the path of
``solvers.estimators.reg_path(X, y, lift=False, n_regs=30)``: BLASSO on
S^4, sliding Frank-Wolfe (``solver="sfw"``, what ``"auto"`` picks at D = 5; also
at D = 6 with ``--lift``), every point certified on the
whole sphere at ``tol=1e-6`` (branch-and-bound), each point started from
the previous solution (``warm_start=True``), against the same regs
(``regs=path.regs``) solved cold (``warm_start=False``). One process, side
by side: a warm-up path on a small problem first (imports, Numba), then
``--repeats`` rounds of warm then cold; the totals are the medians of the
rounds, wall (``time.perf_counter``) and CPU (``time.process_time``, one
thread: less sensitive to other users' load), and "cold/warm" is their
ratio. Per mode: SFW outer iterations in all, and where the time goes,
read from ``Result.history``: the iterations that ran the certified oracle
(those whose local gap estimate is at most ``tol * J``; SFW certifies only
then), and the time outside the iterations (the warm start's weights, the
last certificate of a point stopped at ``max_iter``). Per point: status,
certified relative gap, iterations and seconds of both, and
``|J_warm - J_cold| / max(gap_warm, gap_cold)``, at most 1 when both gaps
are valid (both objectives lie within their gap of the same optimum).
``--lift`` adds the same with ``lift=True`` (directions in D = 6) as a
second row: tens of minutes (see below). One round of the default row takes
~2.5 minutes, hence ``--repeats 1`` by default.

Part B (``--part B``), cross-validation on the bundled diabetes data
(``sklearn.datasets.load_diabetes``, n = 442, d = 10; X standardized
per column and y to mean 0 and variance 1, once, on all the data), three
models side by side:

* ``ConvexNetRegressorCV(cv=5, n_regs=30)``: ``solver="auto"`` is the grid
  here (D = 11), ``GridConvex`` on ``grid=2000`` directions
  (``sphere_grid(11, 2000, seed=0)``), celer, gaps certified on the grid;
* the same LASSO through scikit-learn: a pipeline of the ReLU features
  ``relu(<theta_k, (x, 1)>)`` on the same 2,000 directions and
  ``LassoCV(cv=5, alphas=30, fit_intercept=False)`` (``alphas=30`` is what
  ``n_alphas=30`` became in scikit-learn 1.7). Both objectives are
  ``(1/2n)||y - Phi r||^2 + reg ||r||_1`` on the same ``Phi``, the regs
  run from the same ``reg_max`` down to ``1e-3`` times it, and the inner
  folds are the same (``KFold(5)``): the same problem, two solvers;
* ``MLPRegressor(hidden_layer_sizes=(100,), max_iter=2000,
  random_state=0)``, and the same with ``early_stopping=True``.

Outer evaluation: the test R^2 of ``sklearn.model_selection.cross_validate``
over ``KFold(5, shuffle=True, random_state=0)`` with ``--outer kfold``;
by default (``--outer split``) only the first of those five folds (one
train/test split, 353/89), because ConvexNetRegressorCV takes ~10 CPU
minutes per fit here (5 x 5 nested: ~50 minutes). Per model: fit time
(wall, per outer fold; CPU in all), test R^2; for the two L1 models the
chosen reg / alpha and the number of neurons (atoms; nonzero
coefficients); for ConvexNetRegressorCV its ``cv_time_`` (seconds in the
inner folds' paths) and the refit's certified gap. The LassoCV refit's
objective and gridded certified gap (the same certificate
``GridConvex`` uses) are computed on the training part. ``--eps 1e-2``
stops both paths at 1e-2 reg_max (minutes less; the smallest regs, never
chosen here, are where celer at ``GridConvex``'s tol 1e-10 spends ~90% of
the time).

Results go to ``--out`` (``results/paths.json``, written with
``measureopt.io.write_json``), with the arguments, versions and the load
average.

Recorded 2026-12-02, second session (2-core machine; numpy 2.4.6,
scikit-learn 1.9.1, celer 0.7.4, numba 0.68.1), OMP/MKL/OPENBLAS_NUM_THREADS=1,
the defaults, one round. Part A on the otherwise idle machine (load
average 1.0); Part B with a niced scikit-learn check run on the other core
(load average 2.1):

    Part A, lift=False (D = 5), 30 regs from reg_max 0.2326 down to 2.3e-4, tol 1e-6
    mode  wall s  CPU s  iters  cert it  cert s  FW s  outside s  statuses      max rel.gap
    warm    29.7   29.6    229       40    18.8  10.1        0.7  optimal 30    1.00e-06
    cold    48.9   48.9    674       39    16.2  32.5        0.1  optimal 30    1.00e-06
    cold/warm 1.65x wall, 1.65x CPU (goal >= 5x); max |J_warm - J_cold| / gap = 0.090

Before the same session's fix of branch-and-bound's target (``enough``
replaces ``rtol``), the same run gave warm 25.4 s, cold 45.8 s (1.80x),
with one warm point stopped at a certified 1.07e-6 > tol
(``optimal_inaccurate``): the certificates now work to the level asked.

    Part B, one split (train 353, test 89)
    model                                  fit s   test R^2  reg / alpha  neurons  gridded rel. gap
    ConvexNetRegressorCV(cv=5, n_regs=30)   63.2    0.3227     0.01682       28     5.8e-15 (cv_time_ 63.1 s)
    relu features + LassoCV(cv=5, 30)       13.4    0.3229     0.01682       28     1.8e-04 (56 ConvergenceWarnings)
    MLPRegressor((100,), max_iter=2000)      0.74  -0.1273        -          100
    MLPRegressor((100,), early_stopping)     0.06   0.3041        -          100
    LassoCV's inner path (first inner fold, lasso_path at tol 1e-4): gridded relative gaps
    from 0 (largest alpha) to 1.6e-1 (smallest); ConvexNetRegressorCV certifies <= 1e-6 at every reg

Part A. The warm start cuts SFW's iterations 2.9x (Frank-Wolfe time 32.5 s
-> 10.1 s) but not the certificate of each point: branch-and-bound on S^4
evaluates ~100k boxes a call (0.4 s), nearly independent of tol (103k at
1e-4, 109k at 1e-6 on point 10): the boxes are spent bounding the bulk of
the sphere below reg, not near the atoms. Both paths need a certificate per
point, so the certificates (18.8 s warm, 16.2 s cold) cap the ratio at
48.9 / 18.8 = 2.6x even if warm Frank-Wolfe cost nothing. Tried before
that fix and not kept (a niced job on the other core): restarting
branch-and-bound from the previous point's boxes: the leaves
evaluated directly cost 0.25 s instead of 0.43 s on the same q, but along
the path they accumulate (129k leaves by the last point, no time saved);
merged back one level at each call, the boxes dropped 25% and the time 5%
(10.4 s against 10.9 s for the 29 certificates); certifying only below
tol / 2 (fewer failed certificates): 26.8 s warm, 48.1 s cold.

Part B. Both L1 models choose the same reg and reach the same objective
(1.1e-7 relative) there, but LassoCV's coordinate descent stops at its tol
1e-4 or max_iter: its inner paths' gaps reach 0.16 at the smallest
alphas. GridConvex runs celer from tol 1e-3 and polishes on the sign
pattern (``CELER_TOLS``), and leaves the dense regime (>= n/2 atoms) to
Clarabel (``DENSE_FRACTION``): 613 s (the first session's figure, celer
at tol 1e-10 throughout, on a loaded machine) -> 95.5 s (the staged
tolerances, same machine state as above) -> 63.2 s.

``--lift`` (D = 6), the first session's helper's run (not rerun; the
default solver no longer uses SFW at D = 6, ``AUTO_SFW_MAX_DIM`` = 5), warm
and cold at once in two processes on the otherwise idle machine: warm
905 s, cold 620 s (CPU within 1% of wall): cold/warm 0.69x. From reg
~0.004 down (points 16-29) neither path certifies tol = 1e-6: the gaps
stall at 1e-5-4e-4 (``max_iter`` 8 warm / 10 cold, ``optimal_inaccurate``
6 / 4: branch-and-bound's bound is loose in D = 6), and the time goes to
certificates that fail (85 certificate iterations, 629 s, warm; 63, 369 s,
cold). The objectives agree (max |dJ| / gap 0.05).

Usage: python benchmarks/paths.py [--part all|A|B] [--repeats 1] [--lift] [--n 200] [--d 5] [--m 3]
       [--n-regs 30] [--tol 1e-6] [--outer split|kfold] [--eps 1e-3] [--grid 2000] [--out results/paths.json]
"""

import argparse
import datetime
import importlib
import os
import statistics
import time
import warnings

import numpy as np

import measureopt as mo
from measureopt.io import write_json
from solvers.estimators import ConvexNetRegressorCV, reg_path


# ----------------------------------------------------------------------------------------------- Part A


def timed_path(X, y, **kw):
    """``(path, wall s, CPU s)`` of one :func:`reg_path`, its ConvergenceWarning silenced (statuses are reported)."""
    wall, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = reg_path(X, y, **kw)
    return path, time.perf_counter() - wall, time.process_time() - cpu


def breakdown(path, tol):
    """Where the path's time goes, from ``Result.history``: the certificate iterations, the time outside iterations."""
    cert_calls = cert_time = iter_time = 0.0
    for r in path.results:
        h = r.history
        if "time" not in h or len(h["time"]) == 0:
            continue
        ran = h["gap_estimate"] <= tol * h["objective"]  # SFW runs the certified oracle exactly then
        cert_calls += int(np.sum(ran))
        cert_time += float(np.sum(h["time"][ran]))
        iter_time += float(np.sum(h["time"]))
        cert_calls += int(str(r.status) == "max_iter")  # the final certificate, outside the iterations
    total = float(path.times.sum())
    return {"iterations": int(path.n_iters.sum()), "certificate_iterations": int(cert_calls),
            "certificate_iteration_s": cert_time, "other_iteration_s": iter_time - cert_time,
            "outside_iterations_s": total - iter_time, "path_s": total}


def per_point(path):
    return [{"reg": float(reg), "status": str(r.status), "objective": float(r.objective),
             "dual_gap": float(r.dual_gap), "relative_gap": float(r.relative_gap), "gap_scope": str(r.gap_scope),
             "n_iter": int(r.n_iter), "n_neurons": int(r.measure.n_atoms), "seconds": float(t)}
            for reg, r, t in zip(path.regs, path.results, path.times)]


def objective_agreement(warm, cold):
    """Per point ``|J_w - J_c| / max(gap_w, gap_c)`` (0 where equal; inf where both gaps are 0 and they differ)."""
    dj = np.abs(warm.objectives - cold.objectives)
    gap = np.maximum(warm.dual_gaps, cold.dual_gaps)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(dj == 0, 0.0, dj / gap)


def part_a(args, lift):
    data = mo.teacher_student(n=args.n, d=args.d, m=args.m, seed=0)
    small = mo.teacher_student(n=30, d=args.d, m=2, seed=1)
    for warm_start in (True, False):  # warm-up: imports, Numba compilation of branch-and-bound
        timed_path(small.X, small.y, lift=lift, n_regs=3, tol=args.tol, warm_start=warm_start, solver="sfw")
    label = f"lift={lift} (D = {args.d + int(lift)})"
    print(f"\nPart A, {label}: teacher_student(n={args.n}, d={args.d}, m={args.m}, seed=0), "
          f"reg_path(n_regs={args.n_regs}, tol={args.tol:g}), {args.repeats} round(s) of warm then cold", flush=True)
    rounds = {"warm": [], "cold": []}
    regs = None
    for k in range(args.repeats):
        warm, w_wall, w_cpu = timed_path(data.X, data.y, lift=lift, n_regs=args.n_regs, regs=regs, tol=args.tol,
                                         warm_start=True, solver="sfw")
        regs = warm.regs
        cold, c_wall, c_cpu = timed_path(data.X, data.y, lift=lift, regs=regs, tol=args.tol, warm_start=False,
                                         solver="sfw")
        rounds["warm"].append((warm, w_wall, w_cpu))
        rounds["cold"].append((cold, c_wall, c_cpu))
        print(f"  round {k + 1}: warm {w_wall:.1f} s wall, {w_cpu:.1f} s CPU; cold {c_wall:.1f} s wall, "
              f"{c_cpu:.1f} s CPU; cold/warm {c_wall / w_wall:.2f} (wall), {c_cpu / w_cpu:.2f} (CPU)", flush=True)
    warm, cold = rounds["warm"][-1][0], rounds["cold"][-1][0]
    out = {"lift": lift, "D": args.d + int(lift), "n": args.n, "d": args.d, "m": args.m, "seed": 0,
           "tol": args.tol, "reg_max": float(warm.reg_max), "regs": warm.regs, "repeats": args.repeats}
    for mode in ("warm", "cold"):
        walls = [w for _, w, _ in rounds[mode]]
        cpus = [c for _, _, c in rounds[mode]]
        path = rounds[mode][-1][0]
        out[mode] = {"wall_s": walls, "cpu_s": cpus, "median_wall_s": statistics.median(walls),
                     "median_cpu_s": statistics.median(cpus), **breakdown(path, args.tol),
                     "statuses": {str(s): path.statuses.count(s) for s in set(path.statuses)},
                     "max_relative_gap": float(np.max(path.relative_gaps)), "points": per_point(path)}
    agree = objective_agreement(warm, cold)
    out["ratio_wall"] = out["cold"]["median_wall_s"] / out["warm"]["median_wall_s"]
    out["ratio_cpu"] = out["cold"]["median_cpu_s"] / out["warm"]["median_cpu_s"]
    out["max_objective_difference_over_gap"] = float(np.max(agree))
    out["objective_difference_over_gap"] = agree

    print(f"{'k':>2} {'reg':>9} | {'warm: status':>18} {'rel.gap':>8} {'it':>3} {'s':>6} | "
          f"{'cold: status':>18} {'rel.gap':>8} {'it':>3} {'s':>6} | {'|dJ|/gap':>8}")
    for k, (pw, pc) in enumerate(zip(out["warm"]["points"], out["cold"]["points"])):
        print(f"{k:2d} {pw['reg']:9.3g} | {pw['status']:>18} {pw['relative_gap']:8.1e} {pw['n_iter']:3d} "
              f"{pw['seconds']:6.2f} | {pc['status']:>18} {pc['relative_gap']:8.1e} {pc['n_iter']:3d} "
              f"{pc['seconds']:6.2f} | {agree[k]:8.2f}")
    print(f"max |J_warm - J_cold| / max(gap_warm, gap_cold) = {out['max_objective_difference_over_gap']:.3f} "
          f"(<= 1: both certificates consistent)")
    return out


def print_part_a(rows):
    print("\nPart A summary (median over rounds; time in the certificate iterations and outside the iterations "
          "from the last round's Result.history)")
    print(f"{'case':22s} {'mode':4s} {'wall s':>8s} {'CPU s':>8s} {'iters':>6s} {'cert it':>7s} {'cert s':>7s} "
          f"{'FW s':>7s} {'outside s':>9s} {'statuses':32s} {'max rel.gap':>11s}")
    for row in rows:
        case = f"lift={row['lift']} D={row['D']}"
        for mode in ("warm", "cold"):
            m = row[mode]
            statuses = ", ".join(f"{k} {v}" for k, v in sorted(m["statuses"].items()))
            print(f"{case:22s} {mode:4s} {m['median_wall_s']:8.1f} {m['median_cpu_s']:8.1f} {m['iterations']:6d} "
                  f"{m['certificate_iterations']:7d} {m['certificate_iteration_s']:7.1f} "
                  f"{m['other_iteration_s']:7.1f} {m['outside_iterations_s']:9.1f} {statuses:32s} "
                  f"{m['max_relative_gap']:11.2e}")
        w = row["warm"]
        ceiling = row["cold"]["path_s"] / max(w["certificate_iteration_s"], 1e-12)
        print(f"{case:22s} cold/warm {row['ratio_wall']:.2f}x wall, {row['ratio_cpu']:.2f}x CPU (goal >= 5x); "
              f"iterations {row['cold']['iterations'] / max(w['iterations'], 1):.2f}x fewer warm; the warm "
              f"certificate iterations are {100 * w['certificate_iteration_s'] / w['path_s']:.0f}% of the warm "
              f"path (cold path / that time = {ceiling:.1f}x: the ratio if warm Frank-Wolfe cost nothing)")


# ----------------------------------------------------------------------------------------------- Part B


def relu_features(X, grid):
    """``relu(<theta_k, (x, 1)>)``: the features of ``GridConvex`` on ``grid`` with lifted inputs, shape (n, K)."""
    return mo.Features(np.asarray(X, dtype=float), "relu", lift=True)(grid)


def lasso_objective(Phi, y, alpha, coef):
    return float(0.5 * np.mean((y - Phi @ coef) ** 2) + alpha * np.abs(coef).sum())


def lasso_path_accuracy(X, y, train, grid, alphas, D):
    """Gridded certified relative gaps of scikit-learn's ``lasso_path`` (as LassoCV runs it) on the first inner fold."""
    from sklearn.linear_model import lasso_path
    from sklearn.model_selection import KFold

    inner = train[next(iter(KFold(5).split(train)))[0]]
    Phi = relu_features(X[inner], grid)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, coefs, _ = lasso_path(Phi, y[inner], alphas=alphas)
    gaps = []
    for alpha, coef in zip(alphas, coefs.T):
        problem = mo.VariationNormERM(X[inner], y[inner], loss="squared", reg=float(alpha))
        support = np.flatnonzero(coef)
        measure = mo.DiscreteMeasure(coef[support], grid[support]) if support.size else mo.DiscreteMeasure.zero(D)
        gaps.append(float(problem.dual_certificate(measure, oracle=mo.GridOracle(grid)).relative_gap))
    return np.array(gaps)


def part_b(args):
    from sklearn.datasets import load_diabetes
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LassoCV
    from sklearn.model_selection import KFold, cross_validate
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    y = (y - y.mean()) / y.std()
    D = X.shape[1] + 1
    grid = mo.sphere_grid(D, args.grid, seed=0)
    folds = list(KFold(5, shuffle=True, random_state=0).split(X))
    if args.outer == "split":
        folds = folds[:1]
    models = {
        f"ConvexNetRegressorCV(cv=5, n_regs={args.n_regs})": ConvexNetRegressorCV(
            cv=5, n_regs=args.n_regs, eps=args.eps, grid=args.grid),
        f"relu features + LassoCV(cv=5, alphas={args.n_regs})": make_pipeline(
            FunctionTransformer(relu_features, kw_args={"grid": grid}),
            LassoCV(cv=5, alphas=args.n_regs, eps=args.eps, fit_intercept=False)),
        "MLPRegressor((100,), max_iter=2000)": MLPRegressor(hidden_layer_sizes=(100,), max_iter=2000,
                                                            random_state=0),
        "MLPRegressor((100,), early_stopping)": MLPRegressor(hidden_layer_sizes=(100,), max_iter=2000,
                                                             early_stopping=True, random_state=0),
    }
    protocol = ("cross_validate over KFold(5, shuffle=True, random_state=0)" if args.outer == "kfold" else
                "one train/test split: the first fold of KFold(5, shuffle=True, random_state=0)")
    print(f"\nPart B: diabetes (n={len(y)}, d={X.shape[1]}, D={D}), X and y standardized; grid "
          f"sphere_grid({D}, {args.grid}, seed=0); outer evaluation: {protocol} "
          f"(train {len(folds[0][0])}, test {len(folds[0][1])}); eps={args.eps:g}", flush=True)
    # warm-up (imports: celer, the MLP's first call)
    small = slice(0, 60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ConvexNetRegressorCV(cv=2, n_regs=2, grid=50).fit(X[small], y[small])
        LassoCV(cv=2, alphas=2, fit_intercept=False).fit(relu_features(X[small], grid[:50]), y[small])
        MLPRegressor(hidden_layer_sizes=(5,), max_iter=5).fit(X[small], y[small])

    results = {}
    for name, model in models.items():
        cpu = time.process_time()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cv = cross_validate(model, X, y, cv=folds, scoring="r2", return_estimator=True)
        cpu = time.process_time() - cpu
        conv = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
        row = {"fit_s": cv["fit_time"], "cpu_s": cpu, "test_r2": cv["test_score"],
               "mean_test_r2": float(np.mean(cv["test_score"])), "convergence_warnings": int(conv), "folds": []}
        for est, (train, _) in zip(cv["estimator"], folds):
            fold = {}
            if isinstance(est, ConvexNetRegressorCV):
                fold = {"reg": est.reg_, "reg_index": int(np.flatnonzero(est.regs_ == est.reg_)[0]),
                        "n_neurons": int(est.n_neurons_), "cv_time_s": float(est.cv_time_),
                        "status": str(est.status_), "relative_gap": float(est.relative_gap_),
                        "gap_scope": str(est.gap_scope_), "objective": float(est.objective_),
                        "regs": est.regs_, "inner_mean_r2": est.cv_scores_.mean(axis=1)}
            elif hasattr(est, "steps"):
                lasso = est[-1]
                Phi = relu_features(X[train], grid)
                coef = lasso.coef_
                problem = mo.VariationNormERM(X[train], y[train], loss="squared", reg=float(lasso.alpha_))
                support = np.flatnonzero(coef)
                measure = (mo.DiscreteMeasure(coef[support], grid[support]) if support.size
                           else mo.DiscreteMeasure.zero(D))
                cert = problem.dual_certificate(measure, oracle=mo.GridOracle(grid))
                fold = {"reg": float(lasso.alpha_),
                        "reg_index": int(np.argmin(np.abs(lasso.alphas_ - lasso.alpha_))),
                        "n_neurons": int(support.size), "objective": lasso_objective(Phi, y[train], lasso.alpha_, coef),
                        "relative_gap": float(cert.relative_gap), "gap_scope": str(cert.scope),
                        "regs": lasso.alphas_, "inner_mean_mse": lasso.mse_path_.mean(axis=1)}
            else:
                fold = {"n_iter": int(est.n_iter_)}
            row["folds"].append(fold)
        results[name] = row
        print(f"  {name}: {np.mean(cv['fit_time']):.2f} s wall per fit, {cpu:.2f} s CPU in all, test R^2 "
              f"{row['mean_test_r2']:.4f}", flush=True)

    names = list(models)
    print(f"\n{'model':46s} {'fit s':>8s} {'CPU s':>8s} {'test R^2':>17s} {'reg / alpha':>12s} {'neurons':>8s} "
          f"{'cv_time_ s':>10s} {'rel.gap (scope)':>17s}")
    for name in names:
        row = results[name]
        r2 = (f"{row['mean_test_r2']:.4f}" if len(folds) == 1 else
              f"{row['mean_test_r2']:.4f}+-{np.std(row['test_r2']):.3f}")
        f = row["folds"]
        reg = "/".join(f"{x['reg']:.4g}" for x in f) if "reg" in f[0] else "-"
        neurons = "/".join(str(x["n_neurons"]) for x in f) if "n_neurons" in f[0] else "100 (dense)"
        cvt = "/".join(f"{x['cv_time_s']:.1f}" for x in f) if "cv_time_s" in f[0] else "-"
        gap = (f"{max(x['relative_gap'] for x in f):.1e} ({f[0]['gap_scope']})" if "relative_gap" in f[0] else "-")
        extra = f"  ({row['convergence_warnings']} ConvergenceWarnings)" if row["convergence_warnings"] else ""
        print(f"{name:46s} {np.mean(row['fit_s']):8.2f} {row['cpu_s']:8.2f} {r2:>17s} {reg:>12s} {neurons:>8s} "
              f"{cvt:>10s} {gap:>17s}{extra}")
    convex, lasso = results[names[0]], results[names[1]]
    accuracy = lasso_path_accuracy(X, y, folds[0][0], grid, lasso["folds"][0]["regs"], D)
    lasso["inner_path_relative_gaps"] = accuracy
    print(f"  LassoCV's inner path (its first inner fold, lasso_path at its default tol 1e-4, the same "
          f"alphas): gridded relative gaps from {accuracy[0]:.1e} (largest alpha) to {accuracy[-1]:.1e} "
          f"(smallest), max {np.max(accuracy):.1e}; ConvexNetRegressorCV certifies <= 1e-6 at every reg")
    for k, (fc, fl) in enumerate(zip(convex["folds"], lasso["folds"])):
        same_regs = float(np.max(np.abs(fc["regs"] - fl["regs"]) / fc["regs"]))
        line = (f"  outer fold {k}: regs agree to {same_regs:.1e} (relative); chosen index {fc['reg_index']} "
                f"(ConvexNet: max mean inner R^2) vs {fl['reg_index']} (LassoCV: min mean inner MSE)")
        fc["objective_vs_lasso"] = float("nan")
        if fc["reg_index"] == fl["reg_index"]:
            fc["objective_vs_lasso"] = (fl["objective"] - fc["objective"]) / fc["objective"]
            line += (f"; at that reg, LassoCV's refit objective - ConvexNet's = {fc['objective_vs_lasso']:.1e} "
                     f"(relative), gridded relative gaps {fl['relative_gap']:.1e} (LassoCV) and "
                     f"{fc['relative_gap']:.1e} (ConvexNet)")
        print(line)
    return {"n": int(len(y)), "d": int(X.shape[1]), "D": D, "grid": args.grid, "eps": args.eps,
            "outer": protocol, "models": results}


# ----------------------------------------------------------------------------------------------- main


def versions():
    out = {}
    for module in ("numpy", "scipy", "sklearn", "celer", "numba", "cvxpy", "clarabel", "measureopt"):
        try:
            out[module] = importlib.import_module(module).__version__
        except (ImportError, AttributeError):
            out[module] = None
    return out


def load_average():
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else [float("nan")] * 3


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("all", "A", "B"), default="all")
    parser.add_argument("--repeats", type=int, default=1,
                        help="Part A rounds of warm then cold (median); 1 by default: ~2.5 CPU minutes a round")
    parser.add_argument("--lift", action="store_true",
                        help="Part A: add lift=True (D = d + 1) as a second row (tens of minutes)")
    parser.add_argument("--no-lift-false", action="store_true", help="Part A: skip the lift=False row")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--d", type=int, default=5)
    parser.add_argument("--m", type=int, default=3)
    parser.add_argument("--n-regs", type=int, default=30, help="points of the paths (Part A and B)")
    parser.add_argument("--tol", type=float, default=1e-6, help="Part A: reg_path's tol")
    parser.add_argument("--outer", choices=("split", "kfold"), default="split",
                        help="Part B outer evaluation: one split (default) or 5 folds (~45 minutes)")
    parser.add_argument("--eps", type=float, default=1e-3, help="Part B: smallest reg / reg_max of both CV paths")
    parser.add_argument("--grid", type=int, default=2000, help="Part B: grid directions")
    parser.add_argument("--out", default=os.path.join("results", "paths.json"), help="the JSON file")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")

    threads = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    start_load = load_average()
    print(", ".join(f"{k} {v}" for k, v in versions().items()))
    print(f"machine: {os.cpu_count()} CPUs, load average {start_load[0]:.2f} {start_load[1]:.2f} "
          f"{start_load[2]:.2f} (1, 5, 15 min); threads {threads}")
    report = {"benchmark": "paths", "recorded": datetime.datetime.now().isoformat(timespec="seconds"),
              "args": vars(args), "versions": versions(), "cpu_count": os.cpu_count(), "threads": threads,
              "load_average_start": start_load}
    started = time.perf_counter()
    if args.part in ("all", "A"):
        lifts = ([] if args.no_lift_false else [False]) + ([True] if args.lift else [])
        rows = [part_a(args, lift) for lift in lifts]
        if rows:
            print_part_a(rows)
        report["part_a"] = rows
    if args.part in ("all", "B"):
        report["part_b"] = part_b(args)
    report["load_average_end"] = load_average()
    report["total_wall_s"] = time.perf_counter() - started
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    write_json(args.out, report)
    end = report["load_average_end"]
    print(f"\nload average at the end {end[0]:.2f} {end[1]:.2f} {end[2]:.2f}; total {report['total_wall_s']:.0f} s "
          f"wall; results written to {args.out}")


if __name__ == "__main__":
    main()
