r"""Pruning a wide network's measure by sampling neurons, then refitting the output weights.

Fang, Dong & Zhang (Sec. VI, Fig. 11): a wide network trained with
regularization has many "wasted" neurons with small output weight. Keep
:math:`k` neurons, sampled uniformly or with probability proportional to
:math:`|r_j|` (importance sampling), fix their directions and refit the
output weights, a convex problem: here the measure problem restricted to the kept
directions,

.. math::

    \min_{r\in\mathbb{R}^k}\ \frac1{2n}\lVert y - \Phi_S r\rVert^2 + \lambda\lVert r\rVert_1,
    \qquad (\Phi_S)_{ij} = \sigma(\langle\theta_j, x_i\rangle),\ j\in S,

solved exactly (:func:`solvers._weights.fit_weights`: any loss, either form).
"""

import numpy as np

from measureopt._validation import check_int, check_random_state
from measureopt.measures import DiscreteMeasure, check_measure
from measureopt.oracles import GridOracle

from ._base import Outcome, Solver
from ._result import Status
from ._weights import fit_weights

__all__ = ["Prune", "prune", "PRUNE_METHODS"]

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


class Prune(Solver):
    r"""Keep ``k`` atoms of ``measure`` and refit their weights on the problem (Fang, Dong & Zhang, Fig. 11).

    Parameters
    ----------
    measure : DiscreteMeasure
        The wide network's measure (e.g. a particle solver's result).
    k : int
        Atoms to keep, ``1 <= k <= measure.n_atoms``.
    method : {"importance", "uniform"}, default="importance"
        ``"importance"`` samples without replacement with probability
        :math:`\propto |r_j|` (fewer than ``k`` atoms when fewer have a
        nonzero weight); ``"uniform"`` ignores the weights.
    random_state : None, int or numpy.random.Generator, default=0
    certificate_oracle : object with ``maximize(features, q)``, optional
        Oracle of ``dual_gap``. By default a grid oracle on the kept
        directions: the gap then certifies the refit (the problem restricted
        to them, scope ``"grid"``). Pass ``problem.default_oracle()`` for the
        gap of the continuous problem.

    Notes
    -----
    :meth:`solve` returns a :class:`~solvers.Result` whose ``measure`` holds
    the kept atoms with refitted weights (zeros dropped);
    ``stats["selected"]`` the indices kept.

    References
    ----------
    C. Fang, H. Dong, T. Zhang. Mathematical models of overparameterized
    neural networks. Sec. VI, Fig. 11 (importance sampling of wasted
    neurons).
    """

    def __init__(self, measure, k, method="importance", random_state=0, certificate_oracle=None):
        self.measure = check_measure(measure, "measure")
        if measure.n_atoms == 0:
            raise ValueError("measure has no atoms to prune")
        if method not in PRUNE_METHODS:
            raise ValueError(f"method must be one of {PRUNE_METHODS}; got {method!r}")
        self.k = check_int(k, "k", minimum=1, maximum=measure.n_atoms)
        self.method = method
        check_random_state(random_state, "random_state")
        self.random_state = random_state
        if certificate_oracle is not None and not callable(getattr(certificate_oracle, "maximize", None)):
            raise TypeError(f"certificate_oracle must have a maximize(features, q) method; got "
                            f"{type(certificate_oracle).__name__}")
        self.certificate_oracle = certificate_oracle

    def _check_solvable(self, problem):
        problem.check_measure(self.measure)

    def _solve(self, problem):
        measure = problem.check_measure(self.measure)
        rng = check_random_state(self.random_state, "random_state")
        selected = _select(measure.weights, self.k, self.method, rng)
        support = measure.support[selected]
        r, sweeps = fit_weights(problem, support, r0=measure.weights[selected])
        keep = r != 0
        refit = DiscreteMeasure(r[keep], support[keep])
        oracle = GridOracle(support) if self.certificate_oracle is None else self.certificate_oracle
        cert = problem.dual_certificate(refit, oracle)
        return Outcome(
            measure=refit, status=Status.OPTIMAL, n_iter=int(sweeps), dual_gap=cert.gap,
            gap_scope=cert.scope,
            message=f"kept {len(selected)} of {measure.n_atoms} atoms ({self.method}); "
                    f"{int(keep.sum())} nonzero after the refit",
            stats={"selected": selected, "sup_eta": cert.sup_eta},
        )


def prune(measure, problem, k, method="importance", random_state=0, certificate_oracle=None):
    """Shorthand for ``Prune(measure, k, method, random_state, certificate_oracle).solve(problem)``."""
    return Prune(measure, k, method, random_state, certificate_oracle).solve(problem)
