r"""The solution type of Program (21): a layered measure, with its recovery as a discrete network."""

import numpy as np

from .._frozen import Frozen, register_kind
from .._validation import check_array, check_real, check_torch_dtype

__all__ = ["LayeredMeasure"]


def _frozen(arr):
    arr = np.array(arr, dtype=float, copy=True)
    arr.flags.writeable = False
    return arr


@register_kind
class LayeredMeasure(Frozen):
    r"""A point of Program (21) (Fang et al. 2022, Sec. V): densities and reweighted connections.

    Layer :math:`\ell = 1, \dots, L` has reference atoms :math:`z^{(\ell)}_k`
    with weights :math:`\pi^{(\ell)}_k` (the discretized :math:`\rho_0^{(\ell)}`)
    and densities :math:`p^{(\ell)}_k \ge 0`, :math:`\sum_k \pi_k p_k = 1`;
    the feature distribution of the layer is :math:`\rho^{(\ell)} = \sum_k
    \pi_k p_k\,\delta_{z_k}`. The connections are
    :math:`\tilde w^{(\ell)} = w^{(\ell)} p^{(\ell-1)} p^{(\ell)}` (eq. 18-19),
    shape :math:`(K_{\ell-1}, K_\ell)`, for :math:`\ell \ge 2`, and the output
    weights :math:`\tilde u = u\,p^{(L)}` (eq. 20), shape :math:`(K_L, k)`.

    Parameters
    ----------
    atoms : sequence of L arrays
        ``atoms[0]`` (K_1, d): layer-1 atoms, the weight vectors
        :math:`z^{(1)}` with pre-activations :math:`Xz/d` (eq. 13);
        ``atoms[l]`` (K_{l+1}, N): feature vectors (pre-activations on the
        N training points) of layer ``l + 1``.
    pi, p : sequences of L arrays of shapes (K_l,)
        Reference weights and densities.
    wt : sequence of L - 1 arrays, shapes (K_{l-1}, K_l)
        :math:`\tilde w^{(2)}, \dots, \tilde w^{(L)}`.
    ut : array_like, shape (K_L, k)
        :math:`\tilde u`.
    activation : str
        The activation :math:`h` (a name of :func:`measureopt.get_activation`
        that :class:`~measureopt.deep.DeepMLP` supports).

    Notes
    -----
    Immutable: arrays are copied and read-only. :meth:`connections` and
    :meth:`to_network` recover the discrete network of Sec. IV-C on the
    atoms with :math:`p > 0`.
    """

    __slots__ = ("_atoms", "_pi", "_p", "_wt", "_ut", "_activation")

    def __init__(self, atoms, pi, p, wt, ut, activation="tanh"):
        L = len(atoms)
        if L < 1:
            raise ValueError("atoms must hold at least one layer (L >= 1); got 0 layers")
        if len(pi) != L or len(p) != L or len(wt) != L - 1:
            raise ValueError(
                f"a LayeredMeasure with L = {L} layers needs L arrays pi and p and L - 1 connection "
                f"matrices wt; got {len(pi)}, {len(p)} and {len(wt)}")
        atoms = [_frozen(check_array(a, f"atoms[{i}]", ndim=2)) for i, a in enumerate(atoms)]
        K = [a.shape[0] for a in atoms]
        pi = [_frozen(check_array(v, f"pi[{i}]", ndim=1, shape=(K[i],))) for i, v in enumerate(pi)]
        p = [_frozen(check_array(v, f"p[{i}]", ndim=1, shape=(K[i],))) for i, v in enumerate(p)]
        wt = [_frozen(check_array(w, f"wt[{i}]", ndim=2, shape=(K[i], K[i + 1]))) for i, w in enumerate(wt)]
        ut = _frozen(check_array(ut, "ut", ndim=2, shape=(K[-1], "k")))
        for name, value in (("_atoms", atoms), ("_pi", pi), ("_p", p), ("_wt", wt)):
            self._set(name, tuple(value))
        self._set("_ut", ut)
        self._set("_activation", str(activation))

    def __reduce__(self):
        return (type(self), (list(self._atoms), list(self._pi), list(self._p), list(self._wt), self._ut,
                             self._activation))

    def _file_state(self):
        return {"atoms": self._atoms, "pi": self._pi, "p": self._p, "wt": self._wt, "ut": self._ut,
                "activation": self._activation}

    @classmethod
    def _from_file_state(cls, state):
        return cls(**{k: list(v) if isinstance(v, tuple) else v for k, v in state.items()})

    def save(self, path, problem=None):
        """Save to ``path`` as a measureopt ``.npz`` file (arrays and JSON, no pickle); see :mod:`measureopt.io`.

        ``problem`` (a :class:`~measureopt.deep.DeepConvexProgram`) records its fingerprint.
        """
        from .. import io

        return io.save(self, path, problem)

    @classmethod
    def load(cls, path, problem=None):
        """Load a layered measure saved by :meth:`save` (``problem``: check the file's fingerprint against it)."""
        from .. import io

        return io.load(path, cls, problem)

    # ------------------------------------------------------------ fields
    atoms = property(lambda self: self._atoms, doc="tuple of ndarray: the reference atoms per layer.")
    pi = property(lambda self: self._pi, doc="tuple of ndarray: the reference weights per layer.")
    p = property(lambda self: self._p, doc="tuple of ndarray: the densities per layer.")
    wt = property(lambda self: self._wt, doc="tuple of ndarray: the connections (eq. 18-19), layers 2..L.")
    ut = property(lambda self: self._ut, doc="ndarray (K_L, k): the output weights (eq. 20).")
    activation = property(lambda self: self._activation, doc="str: the activation's name.")

    @property
    def n_layers(self):
        """int: L, the number of hidden layers."""
        return len(self._atoms)

    @property
    def weights(self):
        r"""tuple of ndarray: per layer, the mass :math:`\pi_k p_k` of each atom in :math:`\rho^{(\ell)}`."""
        return tuple(pi * p for pi, p in zip(self._pi, self._p))

    def kept(self, rtol=1e-9):
        """tuple of ndarray of int: per layer, the atoms whose mass exceeds ``rtol`` times the layer's largest."""
        rtol = check_real(rtol, "rtol", 0.0, 1.0, high_open=True)
        return tuple(np.flatnonzero(w > rtol * w.max(initial=0.0)) for w in self.weights)

    @property
    def n_atoms(self):
        """int: atoms kept over all layers (see :meth:`kept`)."""
        return int(sum(len(k) for k in self.kept()))

    def __repr__(self):
        kept = ", ".join(f"{len(k)}/{len(a)}" for k, a in zip(self.kept(), self._atoms))
        return f"LayeredMeasure(L={self.n_layers}, atoms kept per layer {kept}, activation={self._activation!r})"

    @classmethod
    def from_network(cls, network, X):
        r"""The point of Program (21) that a discrete network is, on its own nodes as atoms.

        With :math:`\pi` uniform, :math:`p = 1`, :math:`\tilde w^{(\ell)} =
        w^{(\ell)\top}` and :math:`\tilde u = u`, the constraints of (21)
        are the network's forward pass on ``X`` and the objective is its
        :math:`\hat Q` (eq. 9): the 1/m averages of eq. (1)-(2) are the
        integrals against the empirical feature distributions.

        Parameters
        ----------
        network : DeepMLP or torch.nn.Sequential
        X : array_like, shape (N, d)
        """
        from ._mlp import DeepMLP, atoms_from_network

        net = DeepMLP.from_module(network)
        atoms = atoms_from_network(net, X)
        K = [a.shape[0] for a in atoms]
        wt = [w.detach().cpu().numpy().astype(float).T for w in net.layers[1:]]
        ut = net.out.detach().cpu().numpy().astype(float)
        return cls(atoms, [np.full(k, 1.0 / k) for k in K], [np.ones(k) for k in K], wt, ut, net.activation)

    # ------------------------------------------------------------ recovery (Sec. IV-C)
    def connections(self, rtol=1e-9):
        r"""The weights of the continuous network on the kept atoms (Sec. IV-C).

        :math:`w^{(\ell)}_{jk} = \tilde w^{(\ell)}_{jk} / (p^{(\ell-1)}_j
        p^{(\ell)}_k)` and :math:`u_k = \tilde u_k / p^{(L)}_k`, inverting
        eq. (18)-(20) on the atoms with :math:`p > 0`.

        Returns
        -------
        kept : tuple of ndarray of int
            The atoms kept per layer (:meth:`kept`).
        w : list of ndarray
            ``w[l]`` of shape (kept in layer l + 1, kept in layer l + 2).
        u : ndarray, shape (kept in layer L, k)
        """
        kept = self.kept(rtol)
        w = []
        for i, wt in enumerate(self._wt):
            lo, hi = kept[i], kept[i + 1]
            w.append(wt[np.ix_(lo, hi)] / np.outer(self._p[i][lo], self._p[i + 1][hi]))
        u = self._ut[kept[-1]] / self._p[-1][kept[-1], None]
        return kept, w, u

    def to_network(self, rtol=1e-9, dtype=None):
        r"""The discrete network of eq. (1)-(2) (1/m scaling) that this measure describes.

        Atom :math:`k` of layer :math:`\ell` carries mass :math:`\pi_k p_k`,
        and a network in the 1/m scaling weighs its :math:`m` nodes equally:
        the mass goes into the outgoing weights. With :math:`m_\ell` kept
        atoms, the network has

        .. math:: W^{(1)}_j = z^{(1)}_j, \qquad
                  W^{(\ell)}_{kj} = m_{\ell-1}\,\pi_j p_j\, w^{(\ell)}_{jk}, \qquad
                  U_k = m_L\,\pi_k p_k\, u_k,

        so that its pre-activations on the training inputs are the kept
        atoms :math:`z^{(\ell)}_k`, :math:`\ell \ge 2`, and its output is
        :math:`z^{(L+1)}`, wherever the constraints of Program (21) hold.

        Returns
        -------
        DeepMLP
            A torch module (float64 unless ``dtype`` says otherwise).
        """
        from ._mlp import DeepMLP

        dtype = check_torch_dtype(dtype)  # before any work
        kept, w, u = self.connections(rtol)
        masses = self.weights
        layers = [self._atoms[0][kept[0]]]
        for i, wl in enumerate(w):
            lower = masses[i][kept[i]]
            layers.append((len(kept[i]) * lower[:, None] * wl).T)
        top = masses[-1][kept[-1]]
        out = len(kept[-1]) * top[:, None] * u
        return DeepMLP.from_weights(layers, out, activation=self._activation, dtype=dtype)
