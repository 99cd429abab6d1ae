"""``measureopt deep``: Algorithm 1 on the 1-D task of Fang et al. (2022), cross-checked against Program (21).

Trains a deep network in the 1/m scaling by scaled mini-norm subgradient
descent (:class:`solvers.ScaledSubgradientGD`), solves Program (21) on the
trained network's own features (:func:`solvers.deep_crosscheck`), runs the
optimality check of Prop. 1 and :math:`V(w, u)`, prints a table and writes
``results.json`` and PNG figures into ``--out``.
"""

import sys
import warnings
from pathlib import Path

import numpy as np

import measureopt as mo
from measureopt.io import write_json
from measureopt.deep import DeepConvexProgram

from ._cli_args import MAX_SEED, integer, output_dir, real
from .deep_crosscheck import deep_crosscheck
from .scaled_subgradient import ScaledSubgradientGD

__all__ = ["add_deep_parser", "run_deep"]


def add_deep_parser(sub):
    """Register the ``deep`` subcommand on an argparse subparsers object."""
    p = sub.add_parser(
        "deep",
        help="train a deep network by Algorithm 1 and cross-check it against Program (21)",
        description=(
            "Fang et al. (2022): train a deep tanh network in the 1/m scaling on the 1-D task "
            "f(x) = 2(2cos^2 x - 1)^2 - 1 by scaled mini-norm subgradient descent (Algorithm 1), solve "
            "the convex Program (21) on its own features, and report the certified excess, the per-layer "
            "W2, the optimality check of Prop. 1 and V(w, u)."
        ),
    )
    p.add_argument("--layers", type=integer("layers", minimum=1), default=2, help="hidden layers L (default: 2)")
    p.add_argument("--width", type=integer("width", minimum=1), default=10,
                   help="width of the last hidden layer; layer l has width * 2^(L-l) (default: 10)")
    p.add_argument("--n", type=integer("n", minimum=2), default=100, help="training samples, >= 2 (default: 100)")
    p.add_argument("--reg", type=real("reg", minimum=0), default=1e-3,
                   help="lambda of every layer's l_{1,2} term, >= 0 (> 0 when L >= 2) (default: 1e-3)")
    p.add_argument("--reg-u", type=real("reg-u", minimum=0, strict=True), default=1e-3,
                   help="lambda of the output weights, > 0 (default: 1e-3)")
    p.add_argument("--step", type=real("step", minimum=0, strict=True), default=0.5,
                   help="step eta of Algorithm 1 (default: 0.5)")
    p.add_argument("--iters", type=integer("iters", minimum=1), default=5000,
                   help="iterations of Algorithm 1 (default: 5000)")
    p.add_argument("--seed", type=integer("seed", minimum=0, maximum=MAX_SEED), default=0,
                   help=f"seed of the data and the network, 0 to {MAX_SEED} (default: 0)")
    p.add_argument("--threads", type=integer("threads", minimum=1), default=1,
                   help="torch threads (default: 1; small networks step ~10x faster on one thread of a busy machine)")
    p.add_argument("--out", type=output_dir, default="results-deep",
                   help="output directory, created if needed (default: results-deep/)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def run_deep(layers=2, width=10, n=100, reg=1e-3, reg_u=1e-3, step=0.5, iters=5000, seed=0,
             out="results-deep", progress=True, threads=None):
    """Run the ``deep`` job and write its outputs; returns the content of ``results.json`` and the cross-check.

    ``threads`` sets ``torch.set_num_threads`` for the run (the command line's ``--threads``).
    """
    import torch

    from measureopt.deep import approximation_variance, optimality_check  # torch, on first use

    if layers < 1 or width < 1 or n < 2 or iters < 1:
        raise ValueError(f"need layers >= 1, width >= 1, n >= 2 and iters >= 1; got layers={layers}, "
                         f"width={width}, n={n}, iters={iters}")
    if threads is not None and int(threads) < 1:
        raise ValueError(f"threads must be >= 1 or None; got {threads}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)  # before the training: a bad path fails at once
    if threads is not None:
        torch.set_num_threads(int(threads))
    X, y = mo.cosine_task(n, seed)
    widths = [width * 2 ** (layers - l) for l in range(1, layers + 1)]
    # the problem carries the data and the lambdas; its (random) atoms are not used by the training
    problem = DeepConvexProgram.random(X, y, widths, seed=seed, reg=reg, reg_u=reg_u)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", mo.ConvergenceWarning)
        warnings.simplefilter("always", mo.SolverFailureWarning)
        trained = ScaledSubgradientGD(step=step, max_iter=iters, seed=seed, verbose=progress,
                                      record_every=max(1, iters // 200)).solve(problem)
        net = trained.stats["network"]
        check = deep_crosscheck(net, X, y, reg=reg, reg_u=reg_u)
    optimality = optimality_check(net, reg, reg_u)
    variance = approximation_variance(net, X)
    with torch.no_grad():
        fit = net(torch.tensor(X)).numpy()[:, 0]
    figures = _write_figures(trained, optimality, X, y, fit, out)
    report = {
        "config": {"layers": layers, "widths": widths, "n": n, "reg": reg, "reg_u": reg_u, "step": step,
                   "iters": iters, "seed": seed},
        "training": {"status": str(trained.status), "objective": trained.objective,
                     "train_rmse": float(np.sqrt(np.mean((fit - y) ** 2))), "n_iter": trained.n_iter,
                     "solve_time": trained.solve_time, "message": trained.message},
        "crosscheck": check.to_dict(),
        "optimality_check": {"correlation": [float(c) for c in optimality.correlations],
                             "slope": [float(s) for s in optimality.slopes]},
        "approximation_variance": float(variance),
        "warnings": [str(w.message) for w in caught],
        "figures": figures,
        "files": {"measure": "measure.npz"},
    }
    trained.measure.save(out / "measure.npz", problem)  # LayeredMeasure.load; the network is in the report
    write_json(out / "results.json", report)
    return report, check


def _write_figures(trained, optimality, X, y, fit, out):
    from matplotlib.figure import Figure

    names = []
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    hist = trained.history
    ax1.semilogy(hist["iteration"], hist["objective"])
    ax1.set(xlabel="iteration", ylabel=r"$\hat Q$ (eq. 9)", title="Algorithm 1")
    ax2.plot(X[:, 0], y, "k.", ms=3, label="target")
    ax2.plot(X[:, 0], fit, label="network")
    ax2.set(xlabel="x", title="fit")
    ax2.legend()
    fig.savefig(out / "training.png", dpi=110)
    names.append("training.png")
    fig = Figure(figsize=(3.6 * len(optimality.layers), 3.4), layout="constrained")
    optimality.plot(fig.subplots(1, len(optimality.layers), squeeze=False)[0])
    fig.savefig(out / "optimality.png", dpi=110)
    names.append("optimality.png")
    return names


def print_deep_table(report, check, file=None):
    """Print the training summary, the cross-check table and the optimality check."""
    file = sys.stdout if file is None else file
    t = report["training"]
    print(f"Algorithm 1: {t['status']} after {t['n_iter']} iterations ({t['solve_time']:.1f} s), "
          f"Q-hat {t['objective']:.6g}, train RMSE {t['train_rmse']:.3g}", file=file)
    print(check, file=file)
    corr = ", ".join(f"{c:.3f}" for c in report["optimality_check"]["correlation"])
    slope = ", ".join(f"{s:.3g}" for s in report["optimality_check"]["slope"])
    print(f"Prop. 1 check (eq. 28-29) per layer: correlation {corr}; slope {slope} (2 at an optimum)", file=file)
    print(f"approximation variance V(w, u): {report['approximation_variance']:.4g}", file=file)
    for warning in report["warnings"]:
        print(f"warning: {warning}", file=file)
