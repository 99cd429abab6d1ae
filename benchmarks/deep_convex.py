"""Deep networks of Fang et al. (2022): training cost of Algorithm 1, side by side in one process.

Sections (``--only`` picks some; all by default):

``steps``
    The paper's 1-D task (Sec. VII-A): x uniform on [-2 pi, 2 pi], inputs
    (x, 1), y = 2(2 cos^2 x - 1)^2 - 1, N = 1,000, L = 2, widths (200, 100),
    tanh, reg = reg_u = 1e-3, float64 on the CPU, full batch.
    ``ScaledSubgradientGD`` (Algorithm 1: autograd of the smooth part, the
    mini-norm subgradient (25)-(26) of the l_{1,2} terms, scaled steps)
    against a plain torch loop on the same network and data (autograd of
    the full objective Q-hat, ``torch.optim.SGD`` with the same scaled
    learning rate per layer). Both are warmed up, then timed in alternating
    rounds; the median time per step of each is reported, and both final
    objectives (equal while no weight is exactly 0). Goal: the solver
    costs <= 1.5x the plain loop per step.

``solve``
    ``DeepConvex`` on Program (21) with the atoms of a random network
    (``DeepConvexProgram.random``, seed 0) on the same task, N = 100,
    reg = reg_u = 1e-3: L = 2 and 3, K = 100 and 200 atoms per layer, with
    Clarabel and SCS (``--scs-limit`` seconds at most, SCS's
    ``time_limit_secs``). Reported: the total time, the share of the model
    build and CVXPY compilation, the backend's time and iterations, the
    status, the certified relative gap and the atoms kept. Goal (the issue):
    N = 100, L = 2, K = 200 solves in seconds on 2 cores.

Usage: python benchmarks/deep_convex.py [--only steps,solve] [--rounds 5] [--steps 100] [--scs-limit 120]
"""

import argparse
import time
import warnings

import numpy as np
import torch

import measureopt as mo
import solvers
from measureopt.deep import DeepConvexProgram, DeepMLP


def plain_loop(net, X, Y, reg, reg_u, step, n_steps):
    """Seconds per step of SGD on the full Q-hat with autograd (rate eta m_{l-1} m_l per layer), and the final Q-hat."""
    sizes = [X.shape[1]] + net.widths
    groups = [{"params": [w], "lr": step * sizes[l] * sizes[l + 1]} for l, w in enumerate(net.layers)]
    groups.append({"params": [net.out], "lr": step * sizes[-1]})
    opt = torch.optim.SGD(groups, lr=step)
    start = time.perf_counter()
    for _ in range(n_steps):
        opt.zero_grad(set_to_none=True)
        q = net.objective(X, Y, reg, reg_u)
        q.backward()
        opt.step()
    seconds = (time.perf_counter() - start) / n_steps
    with torch.no_grad():
        return seconds, float(net.objective(X, Y, reg, reg_u))


def section_steps(N=1000, widths=(200, 100), step=1.0, n_steps=100, rounds=5):
    X, y = mo.cosine_task(N)
    prob = DeepConvexProgram.random(X, y, widths=[3, 2], reg=1e-3, reg_u=1e-3)  # the atoms are not used
    net = DeepMLP(2, list(widths), seed=0)
    Xt, Yt = torch.tensor(prob.X), torch.tensor(prob.Y)
    # record once at the end only: the timing is the step itself
    solver = solvers.ScaledSubgradientGD(step=step, max_iter=n_steps, init=net, record_every=n_steps + 1,
                                         stationary_tol=0.0)
    ours, plain = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mo.ConvergenceWarning)
        solver.solve(prob)  # warm-up
        plain_loop(DeepMLP(2, list(widths), seed=0), Xt, Yt, prob.reg, prob.reg_u, step, 10)
        for _ in range(rounds):
            res = solver.solve(prob)
            ours.append(res.stats["time_per_step"])
            seconds, q_plain = plain_loop(DeepMLP(2, list(widths), seed=0), Xt, Yt, prob.reg, prob.reg_u, step, n_steps)
            plain.append(seconds)
    t_ours, t_plain = float(np.median(ours)), float(np.median(plain))
    ratio = t_ours / t_plain
    print(f"\n[steps] N = {N}, L = {len(widths)}, widths {tuple(widths)}, tanh, float64, full batch, "
          f"{n_steps} steps x {rounds} rounds, torch threads {torch.get_num_threads()}")
    print(f"{'method':<44}{'time/step (ms)':>16}")
    print(f"{'ScaledSubgradientGD (Algorithm 1)':<44}{1e3 * t_ours:>16.3f}")
    print(f"{'plain torch loop (autograd Q-hat + SGD)':<44}{1e3 * t_plain:>16.3f}")
    print(f"ratio {ratio:.2f}x (goal <= 1.5x): {'PASS' if ratio <= 1.5 else 'MISS'}; Q-hat after {n_steps} steps "
          f"{res.objective:.12g} (plain loop {q_plain:.12g}: the same steps while no weight is 0)")
    return {"ours": t_ours, "plain": t_plain, "ratio": ratio}


def section_solve(scs_limit=120.0, cases=((2, 100), (2, 200), (3, 100), (3, 200))):
    X, y = mo.cosine_task(100)
    print("\n[solve] DeepConvex, N = 100, random-network atoms, reg = reg_u = 1e-3")
    print(f"{'L':>2}{'K':>5}  {'backend':<9}{'total (s)':>10}{'build+compile':>15}{'backend (s)':>12}{'iters':>7}"
          f"  {'status':<19}{'rel. gap':>10}  atoms kept")
    rows = []
    for L, K in cases:
        prob = DeepConvexProgram.random(X, y, [K] * L, seed=0, reg=1e-3, reg_u=1e-3)
        for backend, options in (("CLARABEL", None), ("SCS", {"time_limit_secs": scs_limit})):
            start = time.perf_counter()
            res = solvers.DeepConvex(backend=backend, backend_options=options).solve(prob)
            total = time.perf_counter() - start
            st = res.stats
            prep = (st["build_time"] or 0.0) + (st["compile_time"] or 0.0)
            backend_time = st["backend_solve_time"] or float("nan")
            print(f"{L:>2}{K:>5}  {backend:<9}{total:>10.2f}{prep:>9.2f} ({prep / total:4.0%}){backend_time:>12.2f}"
                  f"{res.n_iter:>7}  {str(res.status):<19}{res.relative_gap:>10.2e}  {st.get('atoms_kept')}",
                  flush=True)
            rows.append((L, K, backend, total, prep, res.status, res.relative_gap))
    return rows


SECTIONS = {"steps": section_steps, "solve": section_solve}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated among {', '.join(SECTIONS)}")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--scs-limit", type=float, default=120.0, help="SCS time limit per solve in seconds")
    args = parser.parse_args()
    only = [s for s in args.only.split(",") if s]
    unknown = [s for s in only if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {unknown}; choose among {list(SECTIONS)}")
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore", mo.ConvergenceWarning)
    if "steps" in only:
        section_steps(n_steps=args.steps, rounds=args.rounds)
    if "solve" in only:
        section_solve(scs_limit=args.scs_limit)


if __name__ == "__main__":
    main()
