r"""Pruning a wide network's measure by sampling neurons, then refitting the output weights.

Fang, Dong & Zhang (Sec. VI, Fig. 11): a wide network trained with
regularization has many "wasted" neurons with small output weight. Keep
:math:`k` neurons, sampled uniformly or with probability proportional to
:math:`|r_j|` (importance sampling), fix their directions and refit the
output weights, a convex problem: here the BLASSO restricted to the kept
directions,

.. math::

    \min_{r\in\mathbb{R}^k}\ \frac1{2n}\lVert y - \Phi_S r\rVert^2 + \lambda\lVert r\rVert_1,
    \qquad (\Phi_S)_{ij} = \sigma(\langle\theta_j, x_i\rangle),\ j\in S,

solved exactly (:func:`solvers._lasso.lasso`).
"""

import time

import numpy as np

from measureopt._validation import check_int, check_random_state
from measureopt.measures import DiscreteMeasure
from measureopt.oracles import GridOracle

from . import _lasso
from .result import Result, Status

__all__ = ["prune", "PRUNE_METHODS"]

PRUNE_METHODS = ("importance", "uniform")


def _select(weights, k, method, rng):
    n_atoms = len(weights)
    if method == "uniform":
        return np.sort(rng.choice(n_atoms, size=k, replace=False))
    mass = np.abs(weights)
    nonzero = np.flatnonzero(mass > 0)
    if len(nonzero) <= k:
        return nonzero
    return np.sort(rng.choice(n_atoms, size=k, replace=False, p=mass / mass.sum()))


def prune(measure, problem, k, method="importance", seed=0, certificate_oracle=None):
    r"""Keep ``k`` atoms of ``measure`` and refit their weights on ``problem`` (Fang, Dong & Zhang, Fig. 11).

    Parameters
    ----------
    measure : DiscreteMeasure
        The wide network's measure (e.g. a particle solver's result).
    problem : BLASSO
        The problem whose data and :math:`\lambda` the refit uses.
    k : int
        Atoms to keep, ``1 <= k <= measure.n_atoms``.
    method : {"importance", "uniform"}, default="importance"
        ``"importance"`` samples without replacement with probability
        :math:`\propto |r_j|` (fewer than ``k`` atoms when fewer have a
        nonzero weight); ``"uniform"`` ignores the weights.
    seed : None, int or numpy.random.Generator, default=0
    certificate_oracle : object with ``maximize(problem, q)``, optional
        Oracle of ``dual_gap``. By default a grid oracle on the kept
        directions: the gap then certifies the refit (the problem restricted
        to them, scope ``"grid"``). Pass ``problem.default_oracle()`` for the
        gap of the continuous problem.

    Returns
    -------
    Result
        ``measure`` holds the kept atoms with refitted weights (zeros
        dropped); ``stats["selected"]`` the indices kept.

    References
    ----------
    C. Fang, H. Dong, T. Zhang. Mathematical models of overparameterized
    neural networks. Sec. VI, Fig. 11 (importance sampling of wasted
    neurons).
    """
    problem.check_measure(measure)
    if method not in PRUNE_METHODS:
        raise ValueError(f"method must be one of {PRUNE_METHODS}; got {method!r}")
    k = check_int(k, "k", minimum=1, maximum=max(measure.n_atoms, 1))
    if measure.n_atoms == 0:
        raise ValueError("measure has no atoms to prune")
    start = time.perf_counter()
    rng = check_random_state(seed)
    selected = _select(measure.weights, k, method, rng)
    support = measure.support[selected]
    phi = problem.features(support)
    r, sweeps = _lasso.lasso(phi, problem.y, problem.reg, r0=measure.weights[selected])
    keep = r != 0
    refit = DiscreteMeasure(r[keep], support[keep])
    oracle = GridOracle(support) if certificate_oracle is None else certificate_oracle
    cert = problem.dual_certificate(refit, oracle)
    return Result(
        measure=refit,
        objective=problem.objective(refit),
        dual_gap=cert.gap,
        status=Status.OPTIMAL,
        n_iter=int(sweeps),
        solver=f"prune(k={k}, method={method!r})",
        solve_time=time.perf_counter() - start,
        message=f"kept {len(selected)} of {measure.n_atoms} atoms ({method}); {int(keep.sum())} nonzero after the refit",
        stats={"gap_scope": cert.scope, "selected": selected, "sup_eta": cert.sup_eta},
    )
