"""NormDependentGD against a plain hand-written torch loop, and time to the convex optimum.

Part 1 (the overhead of our loop): 200 iterations of Algorithm 1 of Akiyama &
Suzuki (2021) on teacher-student data with n=2000, d=20, M=1000, reg=1e-3,
run by ``solvers.NormDependentGD`` (history every 20 iterations, NaN checks,
no gap checks, no final certificate) and by a plain loop doing the same
gradient step on the same network (the same subgradients g_j, h_j and step
eta_j of eq. 11), in one process, each warmed up once, then alternated
``--repeat`` times; medians and their ratio are reported. The two end at the
same parameters (checked).

Part 2 (time to the optimum): the Fig. 2 setting (d=5, m=5, n=100,
reg=1e-3, M=100). The convex optimum J_ref comes from SlidingFrankWolfe;
for each particle method, the time (from the run's history) at which J(nu)
first falls within 1e-3 relative of J_ref.

Usage: python benchmarks/particles.py [--repeat 5] [--threads 2]
"""

import argparse
import statistics
import time
import warnings

import numpy as np
import torch

import measureopt as mo
import solvers


def plain_loop(X, y, a, W, reg, alpha, n_iter):
    """The reference: Algorithm 1 written directly in torch."""
    n = X.shape[0]
    for _ in range(n_iter):
        Z = X @ W.T
        S = torch.relu(Z)
        r = S @ a - y
        norms = torch.linalg.vector_norm(W, dim=1)
        g = S.T @ r / n + reg * torch.sign(a) * norms
        h = a[:, None] * (((Z >= 0).to(X.dtype) * r[:, None]).T @ X) / n + (reg * a.abs() / norms)[:, None] * W
        eta = alpha * a.abs() * norms / (a**2 + norms**2)
        a = a - eta * g
        W = W - eta[:, None] * h
    return a, W


def overhead(repeat):
    data = mo.teacher_student(n=2000, d=20, m=5, seed=0)
    prob = mo.BLASSO(data.X, data.y, reg=1e-3)
    M, alpha, n_iter = 1000, 2.0, 200
    a0 = np.r_[np.full(M // 2, 2.0 / M), np.full(M - M // 2, -2.0 / M)]
    W0 = mo.sample_sphere(20, M, seed=1)
    X, y = torch.tensor(prob.X), torch.tensor(prob.y)
    solver = solvers.NormDependentGD(width=M, step_size=alpha, max_iter=n_iter, init=(a0, W0), tol=None,
                                     certify=False)

    def ours():
        return solver.solve(prob)

    def plain():
        return plain_loop(X, y, torch.tensor(a0), torch.tensor(W0), prob.reg, alpha, n_iter)

    res, (a_ref, W_ref) = ours(), plain()  # warm-up, and the same answer
    np.testing.assert_allclose(res.stats["a"], a_ref.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(res.stats["W"], W_ref.numpy(), rtol=1e-10, atol=1e-14)
    times = {"NormDependentGD": [], "plain torch loop": []}
    for _ in range(repeat):
        for name, fn in (("NormDependentGD", ours), ("plain torch loop", plain)):
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"Part 1: {n_iter} iterations, n=2000, d=20, M={M} (torch threads: {torch.get_num_threads()})")
    for name, t in med.items():
        print(f"  {name:<18} median {t:.3f} s  ({1e3 * t / n_iter:.2f} ms/it; runs: "
              + ", ".join(f"{x:.3f}" for x in times[name]) + ")")
    print(f"  ratio NormDependentGD / plain = {med['NormDependentGD'] / med['plain torch loop']:.3f} (goal <= 1.5)")


def time_to_optimum():
    data = mo.teacher_student(n=100, d=5, m=5, seed=0)
    prob = mo.BLASSO(data.X, data.y, reg=1e-3)
    t = time.perf_counter()
    ref = solvers.SlidingFrankWolfe(certificate_oracle=mo.LocalOracle()).solve(prob)
    print("Part 2: Fig. 2 setting (d=5, m=5, n=100, reg=1e-3), M=100")
    print(f"  SlidingFrankWolfe: J_ref = {ref.objective:.10g} ({ref.measure.n_atoms} atoms, "
          f"{time.perf_counter() - t:.1f} s)")
    runs = {
        "ConicParticleGD (defaults)": solvers.ConicParticleGD(width=100, certify=False),
        "NormDependentGD (defaults, 20000 its)": solvers.NormDependentGD(width=100, certify=False),
        "ParticleGD (defaults)": solvers.ParticleGD(width=100, certify=False),
    }
    for name, solver in runs.items():
        res = solver.solve(prob)
        rel = (res.history["objective"] - ref.objective) / ref.objective
        hit = np.flatnonzero(rel <= 1e-3)
        when = (f"{res.history['elapsed'][hit[0]]:.2f} s (iteration {int(res.history['iteration'][hit[0]])})"
                if hit.size else "not reached")
        print(f"  {name:<38} 1e-3 relative: {when}; final relative {rel[-1]:.2e} after "
              f"{res.n_iter} its, {res.solve_time:.1f} s")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore", mo.ConvergenceWarning)
    overhead(args.repeat)
    time_to_optimum()


if __name__ == "__main__":
    main()
