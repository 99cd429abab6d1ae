r"""Program (21) of Fang et al. (2022): deep networks as a convex program over feature distributions."""

from dataclasses import dataclass

import numpy as np

from .._frozen import Frozen, Record
from .._validation import check_array, check_positive
from ..activations import get_activation
from ._layered import LayeredMeasure

__all__ = ["DeepConvexProgram", "DeepGap", "DEEP_LOSSES"]

#: Singular values of a layer's feature matrix below this fraction of the largest are zero.
RANK_RTOL = 1e-9
#: An atom whose relative distance to the span of the features below exceeds this is not
#: representable: a feasible point gives it density 0.
SPAN_RTOL = 1e-6
#: The repair's least squares ignore singular values below this fraction of the largest.
REPAIR_RCOND = 1e-6
#: The losses of Program (21): the squared loss is 1/2 |f - y|^2.
DEEP_LOSSES = ("squared", "cross_entropy")
_ACTIVATIONS = ("tanh", "relu", "sigmoid", "softplus")


def _loss(F, Y, loss):
    """Mean loss and its gradient in ``F`` (N, k), divided by N."""
    N = F.shape[0]
    if loss == "squared":
        R = F - Y
        return 0.5 * np.sum(R**2) / N, R / N
    shift = F.max(axis=1, keepdims=True)
    E = np.exp(F - shift)
    lse = shift[:, 0] + np.log(E.sum(axis=1))
    P = E / E.sum(axis=1, keepdims=True)
    return float(np.mean(lse - np.sum(F * Y, axis=1))), (P - Y) / N


def _quad_over_lin(a, p):
    r""":math:`a^2/p` with the closure :math:`0/0 = 0` (and :math:`a^2/0 = \infty` for :math:`a \ne 0`)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(p > 0, a**2 / np.where(p > 0, p, 1.0), np.where(a == 0, 0.0, np.inf))
    return out


def _simplex_quadratic_lower_bound(B, c, q0=None, iters=5000):
    r"""A certified lower bound of :math:`\min_{q\in\Delta} \lVert B^\top q\rVert^2 + c^\top q` (pairwise Frank-Wolfe).

    ``B`` is (K, d), ``c`` (K,), ``q0`` a starting point in the simplex. The
    objective is convex, so its value at any :math:`q` minus the
    Frank-Wolfe gap :math:`\max_j \nabla f(q)^\top(q - e_j)` is a lower
    bound, whatever the number of iterations; pairwise steps (Lacoste-Julien
    & Jaggi, 2015) converge linearly on the simplex, so the bound is tight.
    """
    K = len(c)
    q = np.full(K, 1.0 / K) if q0 is None else np.maximum(np.asarray(q0, dtype=float), 0.0)
    q /= q.sum()
    v = B.T @ q
    scale = 1.0 + float(np.abs(c).max()) + float(np.max(np.sum(B**2, axis=1)))
    for _ in range(iters):
        grad = 2 * B @ v + c
        j = int(np.argmin(grad))
        if float(grad @ q - grad[j]) <= 1e-15 * scale:
            break
        support = np.flatnonzero(q > 0)
        a = int(support[np.argmax(grad[support])])
        if a == j:
            break
        dv = B[j] - B[a]  # direction e_j - e_a
        slope = float(grad[j] - grad[a])
        curv = 2 * float(dv @ dv)
        step = q[a] if curv <= 0 else min(q[a], -slope / curv)
        q[j] += step
        q[a] -= step
        v += step * dv
    v = B.T @ q
    grad = 2 * B @ v + c
    return float(v @ v + c @ q) - float(grad @ q - grad.min())


@dataclass(frozen=True, eq=False)
class DeepGap(Record):
    r"""A primal point of Program (21), a dual point, and the gap they certify.

    Attributes
    ----------
    gap : float
        ``primal - dual``. When ``residual`` is zero (up to rounding), the
        point is feasible and :math:`J(\text{point}) - J^\star \le` ``gap``.
    primal : float
        The objective at the point.
    dual : float
        The Lagrange dual function at the dual point, a lower bound on the
        optimum :math:`J^\star` of Program (21) over the given atoms, valid for
        any dual point (see :meth:`DeepConvexProgram.dual_bound`).
    residual : float
        The largest violation of the linear constraints of (21), relative
        to the largest entry of the features.
    """

    gap: float
    primal: float
    dual: float
    residual: float

    @property
    def relative_gap(self):
        """float: ``gap / max(|primal|, tiny)``."""
        return self.gap / max(abs(self.primal), np.finfo(float).tiny)


class DeepConvexProgram(Frozen):
    r"""Program (21) of Fang et al. (2022): a deep network as a convex program over feature distributions.

    Each reference measure :math:`\rho_0^{(\ell)}` is discretized by
    :math:`K_\ell` atoms :math:`z^{(\ell)}_k` with weights :math:`\pi^{(\ell)}_k`
    (:math:`\sum_k\pi_k = 1`). Layer-1 atoms are weight vectors in
    :math:`\mathbb{R}^d` with features :math:`h(\theta_1(z))`,
    :math:`\theta_1(z) = Xz/d` (eq. 13); atoms of layers :math:`\ell\ge2` are
    pre-activation vectors in :math:`\mathbb{R}^N` with features
    :math:`h(z)`. Write :math:`H_\ell` (N, K_l) for the features of layer
    :math:`\ell` and :math:`Z_\ell` (K_l, N) for the atoms of layers
    :math:`\ell\ge2`. Over densities :math:`p^{(\ell)}\ge0` with
    :math:`\pi^{(\ell)\top}p^{(\ell)} = 1`, connections :math:`\tilde
    w^{(\ell)}` (K_{l-1}, K_l) and output weights :math:`\tilde u` (K_L, k):

    .. math::

        \min\ \frac1N\sum_{n=1}^N \phi(z^{(L+1)}_n, y_n)
          + \frac{\lambda^{(1)}}{d}\sum_{i=1}^d\Big(\sum_j \pi^{(1)}_j p^{(1)}_j |z^{(1)}_{j,i}|\Big)^2
          + \sum_{\ell=2}^L \lambda^{(\ell)} \sum_j \pi^{(\ell-1)}_j
            \frac{\big(\sum_k \pi^{(\ell)}_k |\tilde w^{(\ell)}_{jk}|\big)^2}{p^{(\ell-1)}_j}
          + \lambda^{(u)} \sum_k \pi^{(L)}_k \frac{\lVert\tilde u_k\rVert^2}{p^{(L)}_k}

    subject to, for :math:`\ell = 2, \dots, L`,

    .. math::

        Z_\ell^\top \operatorname{diag}(p^{(\ell)}) = H_{\ell-1}
            \operatorname{diag}(\pi^{(\ell-1)})\,\tilde w^{(\ell)},
        \qquad z^{(L+1)} = H_L \operatorname{diag}(\pi^{(L)})\,\tilde u.

    This is (21) with the regularizers (22)-(24). The layer-1 term is (23)
    with :math:`p^{(0)} = 1` over the :math:`d` inputs (uniform
    :math:`\rho^{(0)}`) and :math:`\tilde w^{(1)}(i, z) = z_i\,p^{(1)}(z)`.
    Read as in eq. (7): the inner sum is the fan-out of the lower node, with
    :math:`|\tilde w|` (eq. 11 as printed drops the absolute value and
    eq. 23 swaps the arguments). A ratio with :math:`p = 0` is its closure,
    :math:`0/0 = 0`. The quad-over-lin terms are jointly convex, so the
    program is (Theorem 3).

    Each layer's equation is stated on the numerical range of
    :math:`H_{\ell-1}\operatorname{diag}(\pi^{(\ell-1)})` (singular values
    above ``RANK_RTOL`` = 1e-9 times the largest; basis :math:`U_\ell` in
    ``bases``): :math:`U_\ell^\top(Z_\ell^\top\operatorname{diag}(p) -
    H_{\ell-1}\operatorname{diag}(\pi)\tilde w) = 0`. Outside it the
    features carry rounding, not information, and asking for equality there
    costs weights of size 1/(tiny singular value). An atom farther than
    ``SPAN_RTOL`` = 1e-6 (relative) from that range gets density 0; the
    atoms of a network (:func:`~measureopt.deep.atoms_from_network`) are in
    it. The squared loss is :math:`\phi(f, y) =
    \frac12\lVert f - y\rVert^2`; the cross-entropy is
    :math:`\log\sum_c e^{f_c} - \langle f, y\rangle` with :math:`y` a row
    of class probabilities.

    The program is immutable: its arrays are private read-only copies (the
    caller's arrays are left as they were), the per-layer sequences are
    tuples, and its attributes cannot be set.

    Parameters
    ----------
    X : array_like, shape (N, d)
    Y : array_like, shape (N,) or (N, k)
        Targets; for ``loss="cross_entropy"``, integer labels (N,) or class
        probabilities (N, k).
    atoms : sequence of L arrays
        ``atoms[0]`` (K_1, d), ``atoms[l]`` (K_{l+1}, N); e.g.
        :func:`~measureopt.deep.atoms_from_network` of a wide random network
        (:meth:`random`) or of a trained one.
    pi : sequence of L arrays, optional
        Nonnegative weights summing to 1 per layer; uniform by default.
    reg : float or sequence of L floats, default=1e-3
        :math:`\lambda^{(1)}, \dots, \lambda^{(L)}`; those of layers
        :math:`\ge 2` must be positive (with :math:`\lambda = 0` the optimum
        need not be attained, and the dual bound is :math:`-\infty`).
    reg_u : float, default=1e-3
        :math:`\lambda^{(u)} > 0`.
    activation : {"tanh", "relu", "sigmoid", "softplus"}, default="tanh"
    loss : {"squared", "cross_entropy"}, default="squared"
    densities : sequence of L arrays, optional
        Fix the densities :math:`p^{(\ell)}` (each with :math:`\pi^\top p
        = 1`): the program is then over the connections and output weights
        only, for the feature distributions :math:`\rho^{(\ell)} = \sum_k
        \pi_kp_k\delta_{z_k}` (a convex subproblem of (21); the landscape of
        Sec. VII-C mixes the distributions of several networks this way).

    References
    ----------
    Fang, C., Gu, Y., Zhang, W., Zhang, T. (2022). Convex formulation of
    overparameterized deep neural networks. IEEE Trans. Inf. Theory. Sec. V,
    eq. (13)-(24), Theorem 3.
    """

    def __init__(self, X, Y, atoms, pi=None, reg=1e-3, reg_u=1e-3, activation="tanh", loss="squared",
                 densities=None):
        X = check_array(X, "X", ndim=2, shape=("N", "d"))
        N, d = X.shape
        if loss not in DEEP_LOSSES:
            raise ValueError(f"loss must be one of {DEEP_LOSSES}; got {loss!r}")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {_ACTIVATIONS}; got {activation!r}")
        Y = self._check_targets(Y, N, loss)
        atoms = list(atoms) if not isinstance(atoms, np.ndarray) else [atoms]
        L = len(atoms)
        if L < 1:
            raise ValueError("atoms must hold at least one layer (L >= 1); got 0 layers")
        atoms = [check_array(atoms[0], "atoms[0]", ndim=2, shape=("K_1", d))] + [
            check_array(a, f"atoms[{i}]", ndim=2, shape=(f"K_{i + 1}", N)) for i, a in enumerate(atoms[1:], 1)]
        K = [a.shape[0] for a in atoms]
        if min(K) < 1:
            raise ValueError(f"every layer needs at least one atom; got K = {K}")
        if pi is None:
            pi = [np.full(k, 1.0 / k) for k in K]
        if len(pi) != L:
            raise ValueError(f"pi must hold {L} arrays (one per layer); got {len(pi)}")
        pi = [check_array(v, f"pi[{i}]", ndim=1, shape=(K[i],)) for i, v in enumerate(pi)]
        for i, v in enumerate(pi):
            if np.any(v < 0) or abs(v.sum() - 1) > 1e-9:
                raise ValueError(f"pi[{i}] must be nonnegative and sum to 1; got min {v.min():.3g}, sum {v.sum():.12g}")
        if np.ndim(reg) == 0:
            reg = [reg] * L
        if len(reg) != L:
            raise ValueError(f"reg must be a float or {L} floats (one per hidden layer); got {len(reg)}")
        reg = [check_positive(r, f"reg[{i}]", strict=i > 0) for i, r in enumerate(reg)]
        reg_u = check_positive(reg_u, "reg_u")
        if densities is not None:
            if len(densities) != L:
                raise ValueError(f"densities must hold {L} arrays (one per layer); got {len(densities)}")
            densities = [check_array(v, f"densities[{i}]", ndim=1, shape=(K[i],), copy=True)
                         for i, v in enumerate(densities)]
            for i, v in enumerate(densities):
                if np.any(v < 0) or abs(pi[i] @ v - 1) > 1e-9:
                    raise ValueError(f"densities[{i}] must be nonnegative with pi[{i}] @ densities[{i}] = 1; "
                                     f"got min {v.min():.3g}, pi @ p = {pi[i] @ v:.12g}")
        self.X, self.Y, self.atoms, self.pi, self.densities = X, Y, atoms, pi, densities
        self.reg, self.reg_u, self.activation, self.loss = reg, reg_u, activation, loss
        h = get_activation(activation)
        self.features = [h(X @ atoms[0].T / d)] + [h(a.T) for a in atoms[1:]]
        self._check_representable()
        self._freeze()  # private read-only copies; the per-layer lists become tuples

    @staticmethod
    def _check_targets(Y, N, loss):
        Y = np.asarray(Y)
        if loss == "cross_entropy" and Y.ndim == 1:
            labels = check_array(Y, "Y", ndim=1, shape=(N,), dtype=float)
            if np.any(labels != np.round(labels)) or labels.min() < 0:
                raise ValueError("Y must hold integer class labels >= 0 (or class probabilities (N, k))")
            labels = labels.astype(int)
            Y = np.eye(labels.max() + 1)[labels]
        if Y.ndim == 1:
            Y = Y[:, None]
        Y = check_array(Y, "Y", ndim=2, shape=(N, "k"), copy=True)
        if loss == "cross_entropy" and (np.any(Y < 0) or np.max(np.abs(Y.sum(axis=1) - 1)) > 1e-9):
            raise ValueError("Y for the cross-entropy must have rows of class probabilities (>= 0, summing to 1)")
        return Y

    def _check_representable(self):
        r"""Per layer :math:`\ell \ge 2`: an orthonormal basis of the range of :math:`H_{\ell-1}\operatorname{diag}(\pi)`, and which atoms lie in it.

        A feasible point has :math:`p_k = 0` for every atom :math:`z_k` outside
        that range, so (21) is infeasible when no atom of a layer is in it.
        """
        self.bases = []
        for l in range(1, self.n_layers):
            A = self.features[l - 1] * self.pi[l - 1]
            U, S, Vt = np.linalg.svd(A, full_matrices=False)
            r = int(np.sum(S > RANK_RTOL * S[0])) if S.size and S[0] > 0 else 0
            U, SVt = U[:, :r], S[:r, None] * Vt[:r]
            Z = self.atoms[l].T  # (N, K_l)
            inside = U.T @ Z
            res = np.linalg.norm(Z - U @ inside, axis=0) / np.maximum(np.linalg.norm(Z, axis=0), 1e-300)
            representable = res <= SPAN_RTOL
            if not representable.any():
                raise ValueError(
                    f"Program (21) is infeasible: no atom of layer {l + 1} is a combination of the "
                    f"{A.shape[1]} features of layer {l} (smallest relative residual {res.min():.2e}; "
                    f"N = {A.shape[0]}, rank {r}). Take the atoms from a network (atoms_from_network) or use "
                    f"more atoms in layer {l}.")
            # an atom with no mass (pi p = 0) is out of the distribution: its constraint is 0 = H pi wt
            if self.densities is not None and np.any((self.densities[l] * self.pi[l])[~representable] > 0):
                bad = np.flatnonzero(~representable & (self.densities[l] * self.pi[l] > 0))
                raise ValueError(
                    f"Program (21) with these densities is infeasible: atoms {bad[:5].tolist()} of layer {l + 1} "
                    f"have positive mass but are not combinations of the features of layer {l}")
            self.bases.append({"U": U, "SVt": SVt, "atoms": inside, "residual": res,
                               "representable": representable})

    @classmethod
    def random(cls, X, Y, widths, seed=0, **kwargs):
        """The program on the atoms of a random :class:`~measureopt.deep.DeepMLP` with the given widths.

        Its atoms are exactly representable (each is a combination of the
        features below it), so the program is feasible.
        """
        from ._mlp import DeepMLP, atoms_from_network

        X = check_array(X, "X", ndim=2)
        net = DeepMLP(X.shape[1], widths, activation=kwargs.get("activation", "tanh"), seed=seed)
        return cls(X, Y, atoms_from_network(net, X), **kwargs)

    # ------------------------------------------------------------ sizes
    n_layers = property(lambda self: len(self.atoms), doc="int: L.")
    widths = property(lambda self: [a.shape[0] for a in self.atoms], doc="list of int: K_1, ..., K_L.")
    n_outputs = property(lambda self: self.Y.shape[1], doc="int: k.")

    def __repr__(self):
        fixed = "" if self.densities is None else ", densities fixed"
        return (f"DeepConvexProgram(N={self.X.shape[0]}, d={self.X.shape[1]}, K={self.widths}, "
                f"activation={self.activation!r}, loss={self.loss!r}, reg={self.reg}, reg_u={self.reg_u:g}{fixed})")

    # ------------------------------------------------------------ primal
    def check_solution(self, solution, name="solution"):
        """Check that ``solution`` is a :class:`LayeredMeasure` with this program's L, d, N and k."""
        if not isinstance(solution, LayeredMeasure):
            raise TypeError(f"{name} must be a LayeredMeasure; got {type(solution).__name__}")
        want = [self.X.shape[1]] + [self.X.shape[0]] * (self.n_layers - 1)
        got = [a.shape[1] for a in solution.atoms]
        if got != want or solution.ut.shape[1] != self.n_outputs or solution.activation != self.activation:
            raise ValueError(f"{name} has atoms of lengths {got}, k = {solution.ut.shape[1]} and activation "
                             f"{solution.activation!r}; this program needs {want}, k = {self.n_outputs} and "
                             f"{self.activation!r}")
        return solution

    def features_of(self, solution):
        r"""The features :math:`H_\ell` of the atoms of ``solution`` (this program's own when they are the same)."""
        same = all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(solution.atoms, self.atoms))
        if same:
            return self.features
        h = get_activation(self.activation)
        return [h(self.X @ solution.atoms[0].T / self.X.shape[1])] + [h(a.T) for a in solution.atoms[1:]]

    def output(self, solution):
        r""":math:`z^{(L+1)} = H_L\operatorname{diag}(\pi^{(L)})\tilde u`, shape (N, k)."""
        return (self.features_of(solution)[-1] * solution.pi[-1]) @ solution.ut

    def regularizers(self, solution):
        """list of float: the terms of (22) per layer, then the output term (24), without the lambdas."""
        p, pi = solution.p, solution.pi
        A = np.abs(solution.atoms[0]) * (pi[0] * p[0])[:, None]
        terms = [float(np.sum(A.sum(axis=0) ** 2)) / self.X.shape[1]]
        for l, wt in enumerate(solution.wt, start=1):
            fan_out = np.abs(wt) @ pi[l]
            terms.append(float(pi[l - 1] @ _quad_over_lin(fan_out, p[l - 1])))
        terms.append(float(pi[-1] @ _quad_over_lin(np.linalg.norm(solution.ut, axis=1), p[-1])))
        return terms

    def objective(self, solution):
        """The objective of Program (21) at ``solution``, recomputed (the constraints are not checked)."""
        self.check_solution(solution)
        data, _ = _loss(self.output(solution), self.Y, self.loss)
        terms = self.regularizers(solution)
        return float(data + sum(r * t for r, t in zip(self.reg, terms[:-1])) + self.reg_u * terms[-1])

    def constraint_residuals(self, solution):
        r"""Per layer :math:`\ell\ge2`: :math:`U_\ell^\top(Z^\top\operatorname{diag}(p) - H\operatorname{diag}(\pi)\tilde w)`, shape (rank, K_l).

        :math:`U_\ell` is the orthonormal basis of the numerical range of the
        features below (``bases``), on which the program states its
        constraints (see the class notes); for a solution on other atoms than
        the program's, the whole residual (N, K_l).
        """
        H = self.features_of(solution)
        own = H is self.features
        # columns of atoms without mass (pi = 0) are not constraints: such an atom is out of the distribution
        return [(b["U"].T if own else np.eye(self.X.shape[0])) @
                ((solution.atoms[l].T * solution.p[l] - (H[l - 1] * solution.pi[l - 1]) @ solution.wt[l - 1])
                 * (solution.pi[l] > 0))
                for l, b in enumerate(self.bases, start=1)]

    def feasibility(self, solution):
        """float: the largest violation of the constraints, relative to the largest atom entry (0 when feasible)."""
        scale = max(float(np.abs(a).max()) for a in self.atoms[1:]) if self.n_layers > 1 else 1.0
        res = [float(np.abs(r).max(initial=0.0)) for r in self.constraint_residuals(solution)]
        return max(res, default=0.0) / max(scale, np.finfo(float).tiny)

    def repair(self, solution):
        r"""A feasible point near ``solution``: densities normalized, connections corrected by least squares.

        Each :math:`p^{(\ell)}` is clipped at 0, set to 0 on atoms that are
        not representable (``bases``), and scaled to :math:`\pi^\top p =
        1` (and :math:`\tilde w^{(\ell)}` with it: the layer's constraint is
        homogeneous in both). Then the correction :math:`\Delta` of
        :math:`\tilde w^{(\ell)}` with the least :math:`\sum_j
        \lVert\Delta_j\rVert^2/p^{(\ell-1)}_j` (rows of small density barely
        move; rows with :math:`p = 0` must vanish for a finite regularizer)
        solves the constraint, where it is solvable. Rows of :math:`\tilde u`
        with :math:`p^{(L)} = 0` are set to 0.
        """
        p = [np.maximum(v, 0.0) for v in (solution.p if self.densities is None else self.densities)]
        for l in range(1, self.n_layers):
            p[l] = np.where(self.bases[l - 1]["representable"], p[l], 0.0)
        wt = [w.copy() for w in solution.wt]
        for l in range(self.n_layers):
            total = float(self.pi[l] @ p[l])
            if total <= 0:
                raise ValueError(f"solution has no mass in layer {l + 1}: pi^T p = {total:g}")
            p[l] /= total
            if l >= 1:
                wt[l - 1] /= total
        for l in range(1, self.n_layers):
            rows = p[l - 1] > 0
            W = wt[l - 1]
            W[~rows] = 0.0
            scale = np.sqrt(p[l - 1][rows])
            U = self.bases[l - 1]["U"]
            A = U.T @ (self.features[l - 1][:, rows] * self.pi[l - 1][rows])
            R = U.T @ (self.atoms[l].T * p[l]) - A @ W[rows]
            R[:, self.pi[l] == 0] = 0.0  # an atom without mass is out of the distribution
            # directions below REPAIR_RCOND carry residuals of rounding size; following them would
            # cost weights of size residual / (tiny singular value)
            delta, *_ = np.linalg.lstsq(A * scale, R, rcond=REPAIR_RCOND)
            W[rows] += scale[:, None] * delta
        ut = np.where(p[-1][:, None] > 0, solution.ut, 0.0)  # a row with p = 0 must vanish
        return LayeredMeasure(self.atoms, self.pi, p, wt, ut, self.activation)

    def represent(self, network):
        r"""The exact point of Program (21) of ``network`` (:meth:`LayeredMeasure.from_network` on this program's X).

        On the network's own atoms the constraints are its forward pass and
        :meth:`objective` is its :math:`\hat Q` (eq. 9). When the program's
        atoms are the network's (:func:`~measureopt.deep.atoms_from_network`),
        the point is feasible for the program, whose optimum is then at most
        the network's objective.
        """
        solution = LayeredMeasure.from_network(network, self.X)
        return self.check_solution(solution, "network")

    # ------------------------------------------------------------ dual
    def dual_bound(self, solution, multipliers):
        r"""A lower bound on the optimum of Program (21), from any multipliers of its constraints.

        With multipliers :math:`\Gamma_\ell` (N, K_l) of the layer
        constraints and :math:`G = \frac1N\nabla\phi(z^{(L+1)})` at the
        point's output, the Lagrangian separates. Minimizing over the
        output gives :math:`\frac1N\sum_n\phi(\hat z_n) - \langle G, \hat
        z\rangle`; over each row of :math:`\tilde w^{(\ell)}` and
        :math:`\tilde u` (the conjugate of :math:`c\lVert\cdot\rVert_1^2` is
        :math:`\lVert\cdot\rVert_\infty^2/4c`) a term linear in the densities
        below,

        .. math:: -\pi^{(\ell-1)}_j p^{(\ell-1)}_j\,\frac{\max_k
                  |(H_{\ell-1}^\top\Gamma_\ell)_{jk}/\pi^{(\ell)}_k|^2}{4\lambda^{(\ell)}},
                  \qquad -\pi^{(L)}_k p^{(L)}_k\,\frac{\lVert(H_L^\top G)_k\rVert^2}{4\lambda^{(u)}};

        then over each :math:`p^{(\ell)}` in :math:`\{p\ge0, \pi^\top p=1\}`,
        a linear function (minimum at a vertex) for :math:`\ell\ge2`, and
        for :math:`\ell = 1` a convex quadratic, bounded below by Frank-Wolfe
        with its gap. The result is :math:`\le J^\star` for *any*
        :math:`\Gamma`: a solver's multipliers only make it tight.

        Parameters
        ----------
        solution : LayeredMeasure
            Gives :math:`G` (the gradient of the loss at its output).
        multipliers : sequence of L - 1 arrays of shape (N, K_l)
            :math:`\Gamma_2, \dots, \Gamma_L`.

        Returns
        -------
        float
        """
        L, pi = self.n_layers, self.pi
        if len(multipliers) != L - 1:
            raise ValueError(f"multipliers must hold {L - 1} arrays; got {len(multipliers)}")
        gammas = [check_array(g, f"multipliers[{i}]", ndim=2, shape=(self.X.shape[0], self.widths[i + 1]), copy=True)
                  for i, g in enumerate(multipliers)]
        Fhat = self.output(solution)
        value, G = _loss(Fhat, self.Y, self.loss)
        constant = value - float(np.sum(G * Fhat))
        c = self._density_costs(gammas, G)
        # an atom outside the span of the features below has p = 0 at every feasible point: move its
        # multiplier along its residual until it is not the cheapest vertex (any multiplier is valid)
        lifted = False
        for l in range(1, L):
            basis = self.bases[l - 1]
            out = np.flatnonzero(~basis["representable"] & (pi[l] > 0))
            if not out.size:
                continue
            ratio = c[l] / np.where(pi[l] > 0, pi[l], np.inf)
            target = float(np.min(ratio[basis["representable"] & (pi[l] > 0)]))
            Z = self.atoms[l].T[:, out]
            R = Z - basis["U"] @ (basis["U"].T @ Z)
            norms = np.linalg.norm(R, axis=0)
            t = np.maximum(target - ratio[out], 0.0) * pi[l][out] / norms * (1 + 1e-6) + 1e-12
            gammas[l - 1][:, out] -= R / norms * t
            lifted = True
        if lifted:
            c = self._density_costs(gammas, G)
        total = constant
        if self.densities is not None:  # the Lagrangian at the fixed densities, nothing to minimize
            p = self.densities
            A = np.abs(self.atoms[0]) * (pi[0] * p[0])[:, None]
            return total + sum(float(cl @ pl) for cl, pl in zip(c, p)) + \
                self.reg[0] * float(np.sum(A.sum(axis=0) ** 2)) / self.X.shape[1]
        for l in range(1, L):
            total += float(np.min(c[l] / np.where(pi[l] > 0, pi[l], np.inf)))
        # layer 1: (lambda_1/d)|sum_j q_j |z_j||^2 + sum_j (c_j/pi_j) q_j over q = pi*p in the simplex
        kept = pi[0] > 0
        if self.reg[0] > 0:
            B = np.abs(self.atoms[0][kept]) * np.sqrt(self.reg[0] / self.X.shape[1])
            start = pi[0][kept] * np.maximum(solution.p[0][kept], 0.0)
            start = start if start.sum() > 0 else None
            total += _simplex_quadratic_lower_bound(B, c[0][kept] / pi[0][kept], start)
        else:
            total += float(np.min(c[0][kept] / pi[0][kept]))
        return total

    def _density_costs(self, gammas, G):
        """Per layer, the coefficient of each density in the Lagrangian minimized over the connections."""
        L, pi, H = self.n_layers, self.pi, self.features
        c = [np.zeros(k) for k in self.widths]
        c[-1] -= pi[-1] * np.sum((H[-1].T @ G) ** 2, axis=1) / (4 * self.reg_u)
        for l in range(1, L):
            B = (H[l - 1].T @ gammas[l - 1]) / np.where(pi[l] > 0, pi[l], np.inf)
            c[l - 1] -= pi[l - 1] * np.max(np.abs(B), axis=1) ** 2 / (4 * self.reg[l])
            c[l] -= np.sum(gammas[l - 1] * self.atoms[l].T, axis=0)
        return c

    def duality_gap(self, solution, multipliers):
        """:class:`DeepGap` of ``solution`` with the dual bound of ``multipliers`` (:meth:`dual_bound`)."""
        self.check_solution(solution)
        primal = self.objective(solution)
        dual = self.dual_bound(solution, multipliers)
        return DeepGap(gap=primal - dual, primal=primal, dual=dual, residual=self.feasibility(solution))
