"""Certificates at network scale (issue 11): side by side in one process.

Sections (``--only`` picks some; all by default):

``sfw``
    d = 5, n = 200, teacher with m = 3 (``teacher_student(200, 5, 3,
    seed=0)``), reg = 1e-3. ``SlidingFrankWolfe(tol=1e-6)`` (certified
    relative gap 1e-6 on the whole sphere) against ``GridConvex`` on the
    20,000 directions of ``sphere_grid(5, 20000, seed=0)`` (Clarabel).
    Goal: SFW >= 30x faster, with its objective at or below the grid's.
``gap``
    The default ``BLASSO.duality_gap`` of a gridded solution (``GridConvex``
    on 2,000 directions) of the same problem, and of SFW's near-optimal
    solution with ``tol=1e-6`` (whose residual is almost one-signed).
    Goal: <= 1 s; the relative gap it certifies.
``finish``
    d = 20, n = 2,000: ``NormDependentGD(width=1000, max_iter=200)`` and its
    default finish (budget max(solve time, 10 s)). Goal: the finish takes
    <= 10 s and reports a sound bracket; its width, and the same with
    ``polish=30`` (a warm-started sliding Frank-Wolfe for 30 s).
``scaling``
    One certificate (``BranchAndBound``, rtol 1e-6, at most ``--budget``
    seconds) of the residual of a gridded solution (``GridConvex`` on 1,000
    directions), against n (200, 1,000, 5,000) at d = 5 and against d (3, 5,
    10, 20) at n = 1,000: the ReLU bound with crossing terms enumerated
    (``n_enumerate=4``, the default) and the plain box bound
    (``n_enumerate=0``). Boxes, seconds, and the bracket reached.

Usage: python benchmarks/certificates.py [--only sfw,gap,finish,scaling] [--budget 30]
"""

import argparse
import time
import warnings


import measureopt as mo
import solvers
from measureopt.oracles._relu_kernel import HAVE_NUMBA
from _common import timed


def problem(n, d, m=3, seed=0, reg=1e-3):
    data = mo.teacher_student(n=n, d=d, m=m, seed=seed)
    return mo.BLASSO(data.X, data.y, reg=reg)


def gridded(prob, size):
    res, _ = timed(solvers.GridConvex(grid=mo.sphere_grid(prob.dim, size, seed=0)), prob)
    return res


def section_sfw():
    prob = problem(200, 5)
    sfw, t_sfw = timed(solvers.SlidingFrankWolfe(tol=1e-6), prob)
    both, t_both = timed(solvers.SlidingFrankWolfe(tol=1e-6, slide="both"), prob)
    grid, t_grid = timed(solvers.GridConvex(grid=mo.sphere_grid(5, 20000, seed=0)), prob)
    print("\n[sfw] d = 5, n = 200, m = 3, reg = 1e-3")
    print(f"{'solver':<28}{'time (s)':>10}{'objective':>18}{'rel. gap':>11}  scope   status")
    for name, res, t in (("SlidingFrankWolfe(1e-6)", sfw, t_sfw), ("  slide='both'", both, t_both),
                         ("GridConvex(K=20,000)", grid, t_grid)):
        print(f"{name:<28}{t:>10.2f}{res.objective:>18.12f}{res.relative_gap:>11.2e}  {res.gap_scope:<7} {res.status}")
    print(f"SFW: {sfw.n_iter} iterations, {sfw.stats['slide_time']:.1f} s sliding; slide='both': "
          f"{both.n_iter} iterations, {both.stats['slide_time']:.1f} s sliding")
    ratio = t_grid / t_sfw
    ok = ratio >= 30 and sfw.objective <= grid.objective
    print(f"speedup {ratio:.1f}x (goal >= 30x), SFW objective {'<=' if sfw.objective <= grid.objective else '>'} "
          f"grid's: {'PASS' if ok else 'MISS'}")
    return sfw


def section_gap(sfw=None):
    prob = problem(200, 5)
    grid = gridded(prob, 2000)
    if sfw is None:
        sfw, _ = timed(solvers.SlidingFrankWolfe(tol=1e-6), prob)
    print("\n[gap] default duality_gap, d = 5, n = 200 (engine: the ReLU cap bound, Numba or NumPy)")
    print(f"{'measure':<34}{'engine':<8}{'time (s)':>10}{'rel. gap':>12}{'sup eta bracket':>30}  exhausted")
    for name, measure, kw in (("GridConvex(K=2,000) solution", grid.measure, {}),
                              ("SFW solution, tol=1e-6", sfw.measure, {"tol": 1e-6})):
        for engine in ("auto", "numpy"):
            oracle = None
            if engine == "numpy":  # the default oracle with the NumPy engine
                oracle = mo.certified_oracle(prob, max_time=60.0)
                oracle.engine = "numpy"
            start = time.perf_counter()
            cert = prob.dual_certificate(measure, oracle=oracle, **kw)
            elapsed = time.perf_counter() - start
            used = engine if engine == "numpy" else ("numba" if HAVE_NUMBA else "numpy")
            bracket = f"[{cert.sup_eta:.8f}, {cert.sup_eta_upper:.8f}]"
            print(f"{name:<34}{used:<8}{elapsed:>10.2f}{cert.relative_gap:>12.3e}{bracket:>30}  {cert.exhausted}")


def section_finish():
    data = mo.teacher_student(n=2000, d=20, m=3, seed=0)
    prob = mo.BLASSO(data.X, data.y, reg=1e-3)
    res, t = timed(solvers.NormDependentGD(width=1000, max_iter=200), prob)
    print("\n[finish] d = 20, n = 2,000, M = 1,000: NormDependentGD(200 iterations) + default finish")
    lo, hi = res.bracket
    finish = res.stats["certificate_time"]
    print(f"total {t:.2f} s (finish {finish:.2f} s); status {res.status}; "
          f"J = {res.objective:.6g}; optimum in [{lo:.6g}, {hi:.6g}] "
          f"(width {res.dual_gap:.3e}, relative {res.relative_gap:.3e}); "
          f"budget exhausted: {res.stats.get('gap_exhausted')}")
    pol, t = timed(solvers.NormDependentGD(width=1000, max_iter=200, polish=30.0), prob)
    lo, hi = pol.bracket
    print(f"with polish=30: total {t:.2f} s (polish {pol.stats.get('polish_time', float('nan')):.2f} s, "
          f"{pol.stats.get('polish_status')}); J = {pol.objective:.6g}; optimum in [{lo:.6g}, {hi:.6g}] "
          f"(width {pol.dual_gap:.3e}, relative {pol.relative_gap:.3e}); the network is at most "
          f"{pol.stats.get('network_gap', float('nan')):.3e} above J*")


def section_scaling(budget):
    print(f"\n[scaling] one certificate, rtol 1e-6, budget {budget:g} s: residual of GridConvex(K=1,000)")
    print(f"{'d':>3}{'n':>6}  {'bound':<12}{'time (s)':>10}{'boxes':>10}{'sup bracket (rel.)':>20}  done")
    for d, n in ((5, 200), (5, 1000), (5, 5000), (3, 1000), (10, 1000), (20, 1000)):
        prob = problem(n, d)
        q = prob.residual(gridded(prob, 1000).measure)
        for name, ne in (("enumerate 4", 4), ("box", 0)):
            oracle = mo.BranchAndBound(rtol=1e-6, n_enumerate=ne, max_time=budget)
            start = time.perf_counter()
            found = oracle.maximize(prob, q)
            elapsed = time.perf_counter() - start
            width = (found.upper - found.value) / found.value
            print(f"{d:>3}{n:>6}  {name:<12}{elapsed:>10.2f}{oracle.last_stats['boxes']:>10}{width:>20.2e}  "
                  f"{'budget' if found.exhausted else 'yes'}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="sfw,gap,finish,scaling")
    parser.add_argument("--budget", type=float, default=30.0)
    args = parser.parse_args()
    only = set(args.only.split(","))
    warnings.simplefilter("ignore", mo.ConvergenceWarning)
    sfw = section_sfw() if "sfw" in only else None
    if "gap" in only:
        section_gap(sfw)
    if "finish" in only:
        section_finish()
    if "scaling" in only:
        section_scaling(args.budget)


if __name__ == "__main__":
    main()
