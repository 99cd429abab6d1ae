r"""Cross-check a trained deep network against Program (21) on its own features (Fang et al. 2022)."""

from dataclasses import asdict, dataclass

import numpy as np

from measureopt._frozen import Record
from measureopt.deep import DeepConvexProgram, layer_wasserstein

from .deep_convex import KEPT_RTOL, DeepConvex

__all__ = ["DeepCrossCheck", "deep_crosscheck"]


@dataclass(frozen=True, eq=False)
class DeepCrossCheck(Record):
    r"""What :func:`deep_crosscheck` measured.

    Attributes
    ----------
    network_objective : float
        :math:`\hat Q` of the network (eq. 9), which is the objective of
        Program (21) at the network's own point.
    convex_objective : float
        The objective of the solution of Program (21) on the network's atoms.
    convex_lower : float
        A certified lower bound on that program's optimum :math:`J^\star`.
    excess : float
        ``network_objective - convex_lower``: an upper bound on how far the
        network is above the best re-weighting of its own features
        (:math:`\hat Q - J^\star \le` ``excess``).
    gap : float
        The solver's certified gap, ``convex_objective - convex_lower``.
    status : str
        The solver's status.
    w2 : list of float
        Per layer, :math:`W_2` between the network's feature distribution
        (uniform over its nodes) and the solution's (masses
        :math:`\pi p`), see :func:`~measureopt.deep.layer_wasserstein`.
    widths : list of int
        The network's widths.
    atoms_kept : list of int
        Per layer, the atoms of the solution with mass above 1e-6 of the
        layer's largest (``solvers.deep_convex.KEPT_RTOL``).
    solve_time : float
        Seconds of the convex solve.
    """

    network_objective: float
    convex_objective: float
    convex_lower: float
    excess: float
    gap: float
    status: str
    w2: list
    widths: list
    atoms_kept: list
    solve_time: float

    @property
    def relative_excess(self):
        """float: ``excess / max(|network_objective|, tiny)``."""
        return self.excess / max(abs(self.network_objective), np.finfo(float).tiny)

    def to_dict(self):
        """dict: the fields as plain Python numbers, strings and lists."""
        return {k: (list(map(float, v)) if k == "w2" else list(map(int, v)) if isinstance(v, (list, tuple)) else
                    v if isinstance(v, str) else float(v)) for k, v in asdict(self).items()}

    def __str__(self):
        rows = [
            ("network Q-hat (eq. 9)", f"{self.network_objective:.10g}"),
            ("Program (21), same atoms", f"{self.convex_objective:.10g} ({self.status}, gap {self.gap:.2e})"),
            ("optimum J* >=", f"{self.convex_lower:.10g}"),
            ("network excess <=", f"{self.excess:.3e} (relative {self.relative_excess:.2e})"),
        ]
        for l, (w2, m, k) in enumerate(zip(self.w2, self.widths, self.atoms_kept), start=1):
            unit = "(weights)" if l == 1 else "(features, RMS)"
            rows.append((f"layer {l}", f"W2 {w2:.4g} {unit}; atoms kept {k} of {m}"))
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def deep_crosscheck(network, X, Y, reg, reg_u, loss="squared", solver=None):
    r"""How far a deep network is from Program (21) on its own features.

    The network's nodes become the atoms of Program (21)
    (:func:`~measureopt.deep.atoms_from_network`: its layer-1 weight rows and
    its pre-activations on ``X``), with uniform reference weights, and the
    program is solved (:class:`~solvers.DeepConvex`). The network itself is
    a feasible point of that program (:math:`p = 1`), so its objective
    :math:`\hat Q` is at least the optimum, and the certified lower bound
    gives how far above it is at most: the best re-weighting of its own
    features (densities :math:`p`, connections :math:`\tilde w`, outputs
    :math:`\tilde u`). By Theorem 5, a trained network that is a critical
    point of (17) has no such excess.

    Parameters
    ----------
    network : DeepMLP or torch.nn.Sequential
    X : array_like, shape (N, d)
    Y : array_like, shape (N,) or (N, k)
    reg : float or sequence of L floats
        :math:`\lambda^{(\ell)}` (eq. 10); those of layers >= 2 positive.
    reg_u : float
        :math:`\lambda^{(u)} > 0`.
    loss : {"squared", "cross_entropy"}, default="squared"
    solver : DeepConvex, optional
        ``DeepConvex()`` (Clarabel) by default.

    Returns
    -------
    DeepCrossCheck
        Prints as a table; ``to_dict()`` gives plain numbers.
    """
    from torch import nn

    from measureopt.deep import DeepMLP, atoms_from_network  # torch, on first use

    if not isinstance(network, (DeepMLP, nn.Sequential)):
        raise TypeError(f"network must be a DeepMLP or a torch.nn.Sequential; got {type(network).__name__}")
    if solver is not None and not callable(getattr(solver, "solve", None)):
        raise TypeError(f"solver must be a solver such as DeepConvex() or None; got {type(solver).__name__}")
    net = DeepMLP.from_module(network)
    program = DeepConvexProgram(X, Y, atoms_from_network(net, X), reg=reg, reg_u=reg_u, activation=net.activation,
                                loss=loss)
    own = program.represent(net)
    res = (solver or DeepConvex()).solve(program)
    lower = res.objective - res.dual_gap
    q_hat = program.objective(own)
    return DeepCrossCheck(
        network_objective=q_hat,
        convex_objective=res.objective,
        convex_lower=lower,
        excess=q_hat - lower,
        gap=res.dual_gap,
        status=str(res.status),
        w2=layer_wasserstein(own, res.measure),
        widths=net.widths,
        atoms_kept=[int(len(k)) for k in res.measure.kept(KEPT_RTOL)],
        solve_time=res.solve_time,
    )


