"""Kernels: the deep Gram, the empirical NTK's structured path, and the analytic NTK, side by side in one process.

Sections (``--only`` picks some; all by default). Every timed call follows
a warm-up call on a few inputs; times are the best of ``--repeat`` runs
(one for the per-sample loop); all on ``--threads`` torch threads (1 by
default, torch's and NumPy's BLAS, so that the ratios depend less on what
else the machine runs).

``gram``
    ``measureopt.kernels.du_gram(X, depth=3, activation=...)`` for n = 2,000
    unit inputs in d = 10, ReLU and softplus. Skipped, with a message, when
    ``du_gram`` cannot be imported; a run is first timed at n = 200 and
    skipped when its n^2 extrapolation exceeds ``--gram-budget`` seconds.
    Smooth activations on unit inputs take the equal-variance path (a
    Chebyshev interpolant in the covariance); at n = 200 it is timed against
    the direct bivariate Gauss-Hermite rule per pair, the path for inputs of
    unequal norms, with the largest difference.
``ntk``
    The empirical NTK of ``Sequential(Linear(64, 4096), ReLU(), Linear(4096,
    1))`` (float64, P = 270,337 parameters) on 512 inputs: the structured
    per-layer contraction (``empirical_ntk(method="structured")``), the
    ``torch.func`` path (``method="jacobian"``, vmap of jacrev), and a plain
    loop (``torch.autograd.grad`` per sample, stacked into J, then
    :math:`J J^\\top`). Goal: structured >= 10x faster than the loop; the
    three agree (max abs difference printed).
``analytic``
    The infinite-width NTK :math:`k^u_\\infty + k^\\theta_\\infty`
    (``ntk_kernels``, ReLU) on 512 unit inputs in d = 64, against
    neural-tangents when importable, else against the plain loop (and the
    structured path) on Fang, Dong & Zhang's two-layer model at finite width
    in the NTK scaling :math:`f = m^{-1/2}\\sum_j u_j\\,\\mathrm{relu}(\\theta_j^\\top x)`
    (whose NTK tends to it as :math:`m^{-1/2}`). Prints which.

Usage: python benchmarks/kernels.py [--only gram,ntk,analytic] [--threads 1] [--repeat 3] [--gram-budget 120]
"""

import argparse
import time

import numpy as np
import torch
from torch import nn

import measureopt as mo
from measureopt.kernels import empirical_ntk, ntk_kernels, ntk_kernels_finite


def best_of(fn, repeat):
    """``(result, seconds)``: the best of ``repeat`` calls, after one warm-up call by the caller."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return out, min(times)


def autograd_loop(net, X):
    """The Jacobian Gram of a scalar-output module by a per-sample autograd loop: J (n, P) stacked, then J J^T."""
    params = list(net.parameters())
    rows = []
    for x in X:
        grads = torch.autograd.grad(net(x[None]).sum(), params)
        rows.append(torch.cat([g.reshape(-1) for g in grads]))
    J = torch.stack(rows)
    return (J @ J.T).numpy()


class TwoLayerNTK(nn.Module):
    """FDZ's model in the NTK scaling, f = m^{-1/2} sum_j u_j relu(theta_j x), with the ntk_layers() protocol."""

    def __init__(self, d, m, seed=0):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.theta = nn.Parameter(torch.randn(m, d, generator=gen, dtype=torch.float64))
        self.u = nn.Parameter(torch.randn(m, generator=gen, dtype=torch.float64))

    def forward(self, x):
        return torch.relu(x @ self.theta.T) @ self.u / len(self.u) ** 0.5

    def ntk_layers(self):
        return [{"weight": self.theta}, nn.ReLU(), {"weight": self.u[None, :], "weight_scale": len(self.u) ** -0.5}]


def section_gram(repeat, budget, n=2000, pilot=200):
    print(f"\n[gram] du_gram(X, depth=3, activation=...), n = {n:,} unit inputs in d = 10")
    try:
        from measureopt.kernels import _du, du_gram
    except ImportError as exc:
        print(f"skipped: measureopt.kernels.du_gram cannot be imported ({exc})")
        return
    X = mo.sample_sphere(10, n, seed=0)

    def direct(Z, activation):  # one quadrature per pair: the path for inputs of unequal norms
        saved, _du._CHEB_MIN_UNITS = _du._CHEB_MIN_UNITS, 10**12
        try:
            return du_gram(Z, depth=3, activation=activation)
        finally:
            _du._CHEB_MIN_UNITS = saved

    print(f"{'activation':<12}{f'direct, n = {pilot}':>18}{f'n = {pilot}':>10}{'ratio':>8}{'max |diff|':>12}"
          f"{f'n = {n:,} (s)':>14}{'max |K - K^T|':>15}")
    for activation in ("relu", "softplus"):
        du_gram(X[:20], depth=3, activation=activation)
        K_d, t_direct = best_of(lambda: direct(X[:pilot], activation), 1)
        K_p, t_pilot = best_of(lambda: du_gram(X[:pilot], depth=3, activation=activation), repeat)
        diff = np.abs(np.asarray(K_d) - np.asarray(K_p)).max()
        head = f"{activation:<12}{t_direct:>18.3f}{t_pilot:>10.3f}{t_direct / t_pilot:>8.1f}{diff:>12.1e}"
        guess = t_pilot * (n / pilot) ** 2  # pairs of inputs
        if guess > budget:
            print(f"{head}{f'~{guess:.0f} (skipped)':>14}   n^2 extrapolation > --gram-budget {budget:g} s")
            continue
        K, t = best_of(lambda: du_gram(X, depth=3, activation=activation), repeat)
        K = np.asarray(K)
        print(f"{head}{t:>14.3f}{np.abs(K - K.T).max():>15.2e}")


def section_ntk(repeat, d=64, width=4096, n=512):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(d, width), nn.ReLU(), nn.Linear(width, 1)).double()
    P = sum(p.numel() for p in net.parameters())
    X = np.random.default_rng(0).normal(size=(n, d))
    print(f"\n[ntk] empirical NTK of Sequential(Linear({d}, {width}), ReLU, Linear({width}, 1)), float64, "
          f"P = {P:,}, n = {n}")
    runs = {"structured": lambda Z: empirical_ntk(net, Z, method="structured"),
            "jacobian (vmap)": lambda Z: empirical_ntk(net, Z, method="jacobian"),
            "per-sample loop": lambda Z: autograd_loop(net, torch.tensor(Z))}
    out, times = {}, {}
    for name, fn in runs.items():
        fn(X[:16])
        out[name], times[name] = best_of(lambda: fn(X), 1 if name == "per-sample loop" else repeat)
    ref = out["per-sample loop"]
    print(f"{'method':<18}{'time (s)':>10}{'loop / this':>13}{'max |K - K_loop|':>19}"
          f"   (max |K| = {np.abs(ref).max():.3g})")
    for name in runs:
        print(f"{name:<18}{times[name]:>10.3f}{times['per-sample loop'] / times[name]:>12.1f}x"
              f"{np.abs(out[name] - ref).max():>19.2e}")
    ratio = times["per-sample loop"] / times["structured"]
    print(f"structured vs loop {ratio:.1f}x (goal >= 10x): {'PASS' if ratio >= 10 else 'MISS'}; "
          f"structured vs vmap {times['jacobian (vmap)'] / times['structured']:.1f}x")


def section_analytic(repeat, d=64, widths=(4096, 16384), n=512):
    X = mo.sample_sphere(d, n, seed=1)
    print(f"\n[analytic] infinite-width NTK k^u + k^theta (ntk_kernels, ReLU), n = {n} unit inputs in d = {d}")
    ntk_kernels(X[:16])
    (ku, kt), t_an = best_of(lambda: ntk_kernels(X), repeat)
    analytic = ku + kt
    try:
        import jax
        from neural_tangents import stax
    except ImportError:
        print("neural-tangents is not installed: against FDZ's two-layer model at finite width m "
              "(f = m^-1/2 sum_j u_j relu(theta_j x)), plain loop and structured path")
        print(f"{'kernel':<34}{'time (s)':>10}{'analytic faster':>17}{'max |K - K_inf|':>17}{'max |K - K_fdz|':>17}")
        print(f"{'ntk_kernels (infinite width)':<34}{t_an:>10.3f}{'':>17}{0.0:>17.2e}{'':>17}")
        for m in widths:
            net = TwoLayerNTK(d, m)
            ku_m, kt_m = ntk_kernels_finite(X, thetas=net.theta.detach().numpy(), u=net.u.detach().numpy())
            exact = ku_m + kt_m  # (alpha^2/m)(k^u_m + k^theta_m) with alpha = sqrt(m)
            runs = {"structured": lambda Z: empirical_ntk(net, Z, method="structured")}
            if m == widths[0]:
                runs["per-sample loop"] = lambda Z: autograd_loop(net, torch.tensor(Z))
            for name, fn in runs.items():
                fn(X[:16])
                K, t = best_of(lambda: fn(X), 1 if name == "per-sample loop" else repeat)
                print(f"{f'{name}, m = {m:,}':<34}{t:>10.3f}{t / t_an:>16.1f}x{np.abs(K - analytic).max():>17.2e}"
                      f"{np.abs(K - exact).max():>17.2e}")
        print(f"(max |K_inf| = {np.abs(analytic).max():.3g}; K_fdz = k^u_m + k^theta_m from ntk_kernels_finite, "
              "the exact finite-width kernel)")
        return
    jax.config.update("jax_enable_x64", True)
    _, _, kernel_fn = stax.serial(stax.Dense(512, W_std=d**0.5), stax.Relu(), stax.Dense(1, W_std=1.0))
    kernel_fn(X[:16], X[:16], "ntk")
    K, t_nt = best_of(lambda: np.asarray(kernel_fn(X, X, "ntk")), repeat)
    print("against neural-tangents (stax.Dense(W_std=sqrt(d)), Relu, Dense(1), get='ntk')")
    print(f"{'kernel':<34}{'time (s)':>10}")
    print(f"{'ntk_kernels':<34}{t_an:>10.3f}")
    print(f"{'neural-tangents kernel_fn':<34}{t_nt:>10.3f}")
    print(f"ratio {t_nt / t_an:.1f}x; max |K_nt - K_inf| = {np.abs(K - analytic).max():.2e}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="gram,ntk,analytic")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--gram-budget", type=float, default=120.0,
                        help="skip a du_gram run whose n^2 extrapolation from n = 200 exceeds this (s)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    try:  # NumPy's BLAS too (du_gram, ntk_kernels)
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.threads)
        blas = f"BLAS limited to {args.threads}"
    except ImportError:
        blas = "BLAS threads not limited (no threadpoolctl)"
    print(f"torch {torch.__version__}, {torch.get_num_threads()} torch thread(s); {blas}")
    only = set(args.only.split(","))
    if "gram" in only:
        section_gram(args.repeat, args.gram_budget)
    if "ntk" in only:
        section_ntk(args.repeat)
    if "analytic" in only:
        section_analytic(args.repeat)


if __name__ == "__main__":
    main()
