"""Sliding Frank-Wolfe: the smooth slide against the pattern-restricted corrective step (ReLU).

Noisy teacher-student BLASSO in d = 3 (n = 40 on S^2, two teacher neurons,
reg = 1e-3), where the smooth L-BFGS-B slide stalls at the ReLU kinks. For
each case, ``ExactReLU`` (every pattern of the arrangement) gives J*, and
``SlidingFrankWolfe`` with ``slide="smooth"``, ``"patterns"`` and ``"both"``
are timed: status, outer iterations, relative gap to J*, total time, time in
the sliding steps and per sliding step. With ``--d5`` the n = 200, d = 5
problem of ``blasso_offgrid.py`` is added, stopped on the local oracle's
estimate (no ExactReLU there: the reference is the best of the three). Each solver is warmed up once; the times are
single runs.

Usage: python benchmarks/sfw_patterns.py [--d5]
"""

import argparse

import measureopt as mo
import solvers

from _common import timed

SLIDES = ("smooth", "patterns", "both")
CASES = {
    "d3 seed=3 noise=0.1": dict(n=40, d=3, m=2, seed=3, noise=0.1),
    "d3 seed=0 noise=0.05": dict(n=40, d=3, m=2, seed=0, noise=0.05),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d5", action="store_true", help="add the n=200, d=5 problem (minutes)")
    args = parser.parse_args(argv)

    warm = mo.teacher_student(n=20, d=3, m=2, seed=1, noise=0.05)
    for slide in SLIDES:
        timed(solvers.SlidingFrankWolfe(slide=slide, max_iter=5), mo.BLASSO(warm.X, warm.y, reg=1e-2))

    problems = {name: mo.BLASSO(*_xy(kw), reg=1e-3) for name, kw in CASES.items()}
    if args.d5:
        data = mo.teacher_student(n=200, d=5, m=3, seed=0)
        problems["d5 n=200 (local certificate)"] = mo.BLASSO(data.X, data.y, reg=1e-3)

    print(f"{'case':32s} {'solver':22s} {'status':12s} {'iter':>4s} {'rel. gap to J*':>14s} "
          f"{'time (s)':>9s} {'slide (s)':>9s} {'per slide':>9s}")
    for name, prob in problems.items():
        local = prob.dim > 3
        kw = {"certificate_oracle": mo.LocalOracle()} if local else {}
        runs = {}
        if not local:
            runs["ExactReLU"] = timed(solvers.ExactReLU(), prob)
        for slide in SLIDES:
            runs[f"SFW slide={slide}"] = timed(solvers.SlidingFrankWolfe(slide=slide, **kw), prob)
        j_star = runs["ExactReLU"][0].objective if not local else min(r.objective for r, _ in runs.values())
        for solver, (res, t) in runs.items():
            slide_t = res.stats.get("slide_time", float("nan"))
            steps = res.stats.get("n_programs") or max(res.n_iter - 1, 1)
            print(f"{name:32s} {solver:22s} {res.status:12s} {res.n_iter:4d} "
                  f"{(res.objective - j_star) / j_star:14.2e} {t:9.2f} {slide_t:9.2f} {slide_t / steps:9.3f}")


def _xy(kw):
    data = mo.teacher_student(**kw)
    return data.X, data.y


if __name__ == "__main__":
    main()
