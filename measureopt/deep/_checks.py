r"""Diagnostics of Fang et al. (2022), Sec. VI-VII: the optimality check of Prop. 1 (eq. 28-29) and V(w, u).

Imported lazily (it needs torch for networks): ``measureopt.deep.optimality_check``
and ``measureopt.deep.approximation_variance`` load it.
"""

import numbers
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .._frozen import Record
from .._validation import check_array, check_positive
from ._layered import LayeredMeasure, _frozen
from ._mlp import DeepMLP

__all__ = ["LayerCheck", "OptimalityCheck", "optimality_check", "approximation_variance"]

#: Default relative mass below which an atom of a LayeredMeasure is left out of the check.
CHECK_RTOL = 1e-6


def _stats(u, v):
    """Pearson correlation and least-squares line ``v = slope * u + intercept`` (NaN where undefined)."""
    if u.size < 2 or np.ptp(u) <= 1e-14 * max(np.abs(u).max(), np.finfo(float).tiny):
        return np.nan, np.nan, np.nan
    du, dv = u - u.mean(), v - v.mean()
    slope = float(du @ dv / (du @ du))
    intercept = float(v.mean() - slope * u.mean())
    denom = float(np.sqrt((du @ du) * (dv @ dv)))
    corr = float(du @ dv / denom) if denom > 0 else np.nan
    return corr, slope, intercept


@dataclass(frozen=True, eq=False)
class LayerCheck(Record):
    r"""The quantities of eq. (28)-(29) for one hidden layer :math:`\ell` (see :func:`optimality_check`).

    Attributes
    ----------
    layer : int
        :math:`\ell`, 1-based.
    nodes : ndarray of int
        The nodes (network) or kept atoms (measure) of the layer, in the
        order of ``u`` and ``v``.
    masses : ndarray
        Their masses in :math:`\rho^{(\ell)}`: :math:`1/m_\ell` for a
        network, :math:`\pi_k p_k` for a measure.
    u : ndarray
        :math:`u^{(\ell)}_j = \lambda^{(\ell)} B(z_j)` (eq. 28).
    v : ndarray
        :math:`v^{(\ell)}_j` (eq. 29).
    correlation : float
        Pearson correlation of ``u`` and ``v`` (NaN if either is constant).
    slope, intercept : float
        Least-squares line :math:`v \approx \text{slope}\cdot u +
        \text{intercept}`; Prop. 1 predicts slope 2 and intercept
        :math:`\Lambda^{(\ell)}` at an optimum.
    """

    layer: int
    nodes: np.ndarray
    masses: np.ndarray
    u: np.ndarray
    v: np.ndarray
    correlation: float
    slope: float
    intercept: float

    @property
    def offset(self):
        r"""float: :math:`\Lambda^{(\ell)}` estimated with the slope fixed at 2, the mean of :math:`v - 2u`."""
        return float(np.mean(self.v - 2 * self.u)) if self.u.size else np.nan

    @property
    def deviation(self):
        r"""float: :math:`\max_j |v_j - 2u_j - \Lambda| / \max_j |v_j|`, with :math:`\Lambda` = :attr:`offset`.

        Zero when Prop. 1 holds exactly (up to rounding and the solver's accuracy).
        """
        if not self.u.size:
            return np.nan
        scale = max(float(np.abs(self.v).max()), np.finfo(float).tiny)
        return float(np.abs(self.v - 2 * self.u - self.offset).max()) / scale


@dataclass(frozen=True, eq=False)
class OptimalityCheck(Record):
    r"""The optimality check of Prop. 1 (Fang et al. 2022, eq. 28-29), one :class:`LayerCheck` per hidden layer.

    Attributes
    ----------
    layers : tuple of LayerCheck
        Layers :math:`1, \dots, L`.
    reg : tuple of float
        :math:`\lambda^{(1)}, \dots, \lambda^{(L)}`.
    reg_u : float
        :math:`\lambda^{(u)}`.
    source : str
        ``"network"`` (uniform node masses, eq. 28-29 as printed) or
        ``"measure"`` (masses :math:`\pi p` of a :class:`LayeredMeasure`).
    """

    layers: tuple
    reg: tuple
    reg_u: float
    source: str

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, i):
        return self.layers[i]

    @property
    def correlations(self):
        """ndarray: the correlation per layer."""
        return np.array([c.correlation for c in self.layers])

    @property
    def slopes(self):
        """ndarray: the fitted slope per layer (Prop. 1: 2)."""
        return np.array([c.slope for c in self.layers])

    def __str__(self):
        head = f"{'layer':>5}  {'nodes':>5}  {'corr':>10}  {'slope':>10}  {'intercept':>11}  {'deviation':>10}"
        rows = [f"Optimality check of Prop. 1 ({self.source}; Prop. 1: v = 2 u + Lambda)", head]
        for c in self.layers:
            rows.append(f"{c.layer:>5d}  {c.u.size:>5d}  {c.correlation:>10.6f}  {c.slope:>10.6f}  "
                        f"{c.intercept:>11.4e}  {c.deviation:>10.2e}")
        return "\n".join(rows)

    def plot(self, axes=None):
        r"""Scatter :math:`(u_j, v_j)` per layer, with the least-squares line and the line of slope 2.

        Parameters
        ----------
        axes : sequence of L matplotlib Axes, or one Axes when L = 1, optional
            Where to draw; by default a new :class:`matplotlib.figure.Figure`
            with one row of L axes (pyplot's global state is not touched).

        Returns
        -------
        ndarray of Axes
            The L axes drawn on (``axes[0].figure`` is the figure).
        """
        L = len(self.layers)
        if axes is None:
            from matplotlib.figure import Figure

            fig = Figure(figsize=(3.6 * L, 3.2), layout="constrained")
            axes = fig.subplots(1, L, squeeze=False)[0]
        else:
            from matplotlib.axes import Axes

            axes = np.array([axes], dtype=object) if isinstance(axes, Axes) else np.asarray(axes, dtype=object).ravel()
            if axes.size != L or not all(isinstance(ax, Axes) for ax in axes):
                raise ValueError(f"axes must be {L} matplotlib Axes (one per hidden layer); got {axes.size} object(s)")
        for ax, c in zip(axes, self.layers):
            ax.scatter(c.u, c.v, s=12, label="nodes")
            if c.u.size and np.isfinite(c.slope):
                grid = np.linspace(c.u.min(), c.u.max(), 2)
                ax.plot(grid, c.slope * grid + c.intercept, "C1-", lw=1, label=f"fit, slope {c.slope:.3g}")
                ax.plot(grid, 2 * grid + c.offset, "k--", lw=0.8, label="slope 2")
            ax.set_xlabel(rf"$u^{{({c.layer})}}_j$")
            ax.set_ylabel(rf"$v^{{({c.layer})}}_j$")
            ax.set_title(f"layer {c.layer}, r = {c.correlation:.4f}")
            ax.legend(fontsize="small")
        return axes


def _per_layer(reg, L):
    if isinstance(reg, (str, bytes)) or reg is None:
        raise TypeError(f"reg must be a float or a sequence of {L} floats; got {type(reg).__name__}")
    if isinstance(reg, numbers.Real) or np.ndim(reg) == 0:
        return (check_positive(reg, "reg", strict=False),) * L
    reg = list(reg)
    if len(reg) != L:
        raise ValueError(f"reg must be a float or {L} floats (one per hidden layer); got {len(reg)}")
    return tuple(check_positive(r, f"reg[{i}]", strict=False) for i, r in enumerate(reg))


def _network(model, name):
    if isinstance(model, (DeepMLP, nn.Sequential)):
        return DeepMLP.from_module(model)
    raise TypeError(f"{name} must be a DeepMLP or a torch.nn.Sequential; got {type(model).__name__}")


def _layer_graph(model, rtol):
    """Per layer: (lower masses, upper masses, |w| lower x upper), the top-layer output norms, nodes and the source."""
    if isinstance(model, LayeredMeasure):
        rtol = check_positive(rtol, "rtol", strict=False)
        kept, w, u = model.connections(rtol)
        masses = [m[k] for m, k in zip(model.weights, kept)]
        d = model.atoms[0].shape[1]
        lower = [np.full(d, 1.0 / d)] + masses[:-1]
        absw = [np.abs(model.atoms[0][kept[0]]).T] + [np.abs(wl) for wl in w]
        return lower, masses, absw, np.sum(u**2, axis=1), list(kept), "measure"
    if isinstance(model, (DeepMLP, nn.Sequential)):
        net = DeepMLP.from_module(model)
        with torch.no_grad():
            Ws = [w.detach().cpu().numpy().astype(float) for w in net.layers]
            U = net.out.detach().cpu().numpy().astype(float)
        masses = [np.full(W.shape[0], 1.0 / W.shape[0]) for W in Ws]
        lower = [np.full(Ws[0].shape[1], 1.0 / Ws[0].shape[1])] + masses[:-1]
        absw = [np.abs(W).T for W in Ws]  # code: layers[l] rows = upper nodes; here lower x upper
        return lower, masses, absw, np.sum(U**2, axis=1), [np.arange(W.shape[0]) for W in Ws], "network"
    raise TypeError("model must be a DeepMLP, a torch.nn.Sequential or a LayeredMeasure; "
                    f"got {type(model).__name__}")


def optimality_check(model, reg, reg_u, rtol=CHECK_RTOL):
    r"""The optimality check of Prop. 1 (Fang et al. 2022, eq. 28-29): per layer, :math:`v_j` against :math:`u_j`.

    Write :math:`\rho^{(\ell)} = \sum_k q^{(\ell)}_k\,\delta_{z_k}` for the
    feature distribution of hidden layer :math:`\ell` and
    :math:`w^{(\ell)}(z^{(\ell-1)}, z^{(\ell)})` for the weight from node
    :math:`z^{(\ell-1)}` of layer :math:`\ell-1` to node :math:`z^{(\ell)}` of
    layer :math:`\ell`. Layer 0 is the :math:`d` inputs with
    :math:`q^{(0)}_i = 1/d` and :math:`w^{(1)}(i, z) = z_i`. For node
    :math:`z_j` of layer :math:`\ell`:

    .. math::

        A^{(\ell)}(z^{(\ell-1)}) = \int |w^{(\ell)}(z^{(\ell-1)}, z')|\,d\rho^{(\ell)}(z'),
        \qquad
        u^{(\ell)}_j = \lambda^{(\ell)} B(z_j) = \lambda^{(\ell)} \int A^{(\ell)}(z^{(\ell-1)})\,
            |w^{(\ell)}(z^{(\ell-1)}, z_j)|\,d\rho^{(\ell-1)}(z^{(\ell-1)}),

    .. math::

        v^{(\ell)}_j = \lambda^{(\ell+1)} A^{(\ell+1)}(z_j)^2 \quad (\ell < L), \qquad
        v^{(L)}_j = \lambda^{(u)} \lVert u(z_j)\rVert^2 .

    Prop. 1 states :math:`v^{(\ell)}_j = 2u^{(\ell)}_j + \Lambda^{(\ell)}` on
    the support of an optimal :math:`\rho^{(\ell)}`.

    * For a network (:class:`DeepMLP` or ``torch.nn.Sequential``) the masses
      are uniform, :math:`q^{(\ell)}_j = 1/m_\ell`, and these are eq. (28)-(29)
      as printed. The paper writes :math:`w^{(\ell)}_{k,j}` with :math:`k`
      in layer :math:`\ell-1` (lower index first); the code stores
      ``net.layers[l-1]`` with rows the nodes of layer :math:`\ell` and
      columns those of layer :math:`\ell-1`, so :math:`w^{(\ell)}_{k,j}` of
      eq. (28) is ``net.layers[l-1][j, k]``:
      :math:`u^{(\ell)}_j = \frac{\lambda^{(\ell)}}{m_\ell m_{\ell-1}}\sum_k
      \big(\sum_{j'}|W_{j',k}|\big)|W_{j,k}|` and, in eq. (29),
      :math:`v^{(\ell)}_j = \lambda^{(\ell+1)}\big(\frac{1}{m_{\ell+1}}
      \sum_i |W^{(\ell+1)}_{i,j}|\big)^2` with ``W^(l+1) = net.layers[l]``.
    * For a :class:`LayeredMeasure` the masses are
      :math:`q_k = \pi_k p_k` (:attr:`LayeredMeasure.weights`) and
      :math:`w`, :math:`u` are the recovered weights of
      :meth:`LayeredMeasure.connections` (:math:`w = \tilde w/(p\,p)`,
      :math:`u = \tilde u/p`), on the atoms whose mass exceeds ``rtol`` times
      the layer's largest (the integrals run over these atoms).

    On a solution of the discretized Program (21)
    (:class:`DeepConvexProgram`) the relation holds *exactly*, with slope 2,
    for these quantities: scaling the density :math:`p_k` of a kept atom of
    layer :math:`\ell` by :math:`1+\varepsilon` together with column
    :math:`k` of :math:`\tilde w^{(\ell)}` keeps every constraint (the
    network's forward pass is unchanged, and row :math:`k` of
    :math:`\tilde w^{(\ell+1)}` or :math:`\tilde u` stays put), changes the
    :math:`\ell`-th regularizer at rate :math:`2\lambda^{(\ell)} q_k B(z_k)`,
    the :math:`(\ell+1)`-th (or the output) one at rate :math:`-q_k v_k`, and
    the normalization :math:`\pi^\top p = 1` at rate :math:`q_k`. Stationarity
    with a multiplier :math:`\Lambda^{(\ell)}` of the normalization gives
    :math:`q_k(2u_k - v_k + \Lambda^{(\ell)}) = 0`, i.e. Prop. 1 with
    :math:`\Lambda^{(\ell)}` the (sign-flipped) multiplier. Atoms of zero
    mass only satisfy :math:`v_k \le 2u_k + \Lambda^{(\ell)}` (where
    :math:`v_k` has a limit), which is why near-zero atoms are left out.

    Parameters
    ----------
    model : DeepMLP, torch.nn.Sequential or LayeredMeasure
        A network in the 1/m scaling (eq. 1-2; a ``Sequential`` is read by
        :meth:`DeepMLP.from_module`) or a point of Program (21).
    reg : float or sequence of L floats
        :math:`\lambda^{(1)}, \dots, \lambda^{(L)}` (:math:`\ge 0`).
    reg_u : float
        :math:`\lambda^{(u)}` (:math:`\ge 0`).
    rtol : float, default=1e-6
        For a :class:`LayeredMeasure`: atoms of mass at most ``rtol`` times
        the layer's largest are left out (an interior-point solver leaves
        the atoms of zero mass near 1e-10). Ignored for networks.

    Returns
    -------
    OptimalityCheck
        One :class:`LayerCheck` per layer with ``u``, ``v``, their
        correlation and the least-squares line; ``str()`` gives a table and
        :meth:`OptimalityCheck.plot` the scatter plots (as Fig. 1 of the paper).

    Raises
    ------
    TypeError
        For a model of another type, or a non-numeric ``reg``/``reg_u``.
    ValueError
        For ``reg`` of the wrong length, or negative or non-finite lambdas.

    References
    ----------
    Fang, C., Gu, Y., Zhang, W., Zhang, T. (2022). Convex formulation of
    overparameterized deep neural networks. IEEE Trans. Inf. Theory.
    Prop. 1 (Sec. VI-A), eq. (28)-(29) (Sec. VII).

    Examples
    --------
    >>> from measureopt.deep import DeepMLP, optimality_check
    >>> check = optimality_check(DeepMLP(2, [6, 4], seed=0), reg=1e-3, reg_u=1e-3)
    >>> len(check), check[0].u.shape, check[1].v.shape
    (2, (6,), (4,))
    """
    lower, masses, absw, unorm2, nodes, source = _layer_graph(model, rtol)
    L = len(masses)
    regs = _per_layer(reg, L)
    reg_u = check_positive(reg_u, "reg_u", strict=False)
    records = []
    for l in range(L):
        fan_out = absw[l] @ masses[l]  # A^(l+1) at the lower nodes
        u = regs[l] * ((lower[l] * fan_out) @ absw[l])  # lambda B(z_j), j in this layer
        if l < L - 1:
            v = regs[l + 1] * (absw[l + 1] @ masses[l + 1]) ** 2
        else:
            v = reg_u * unorm2
        corr, slope, intercept = _stats(u, v)
        records.append(LayerCheck(layer=l + 1, nodes=np.asarray(nodes[l], dtype=int), masses=_frozen(masses[l]),
                                  u=_frozen(u), v=_frozen(v), correlation=corr, slope=slope,
                                  intercept=intercept))
    return OptimalityCheck(layers=tuple(records), reg=regs, reg_u=reg_u, source=source)


def approximation_variance(network, X, return_terms=False):
    r"""The approximation variance :math:`V(w, u)` of a network (Fang et al. 2022, Sec. VII).

    With :math:`\hat f_j^{(\ell)} = h(\hat g_j^{(\ell)})` and :math:`\hat f` the
    network's output (eq. 1-2, 1/m scaling), :math:`w^{(\ell)}_{i,j}` the
    weight from node :math:`j` of layer :math:`\ell-1` to node :math:`i` of
    layer :math:`\ell` (``network.layers[l-1][i, j]``) and
    :math:`a_i(x) = \partial\hat f(x)/\partial\hat g^{(\ell)}_i(x) \in
    \mathbb{R}^k` (with its 1/m factors; by autograd, vectorized over
    :math:`x`):

    .. math::

        V(w, u) = \mathbb{E}_x\Big[\frac{1}{m_L^2}\sum_{j=1}^{m_L}
            \big\lVert u_j \hat f^{(L)}_j(x) - \hat f(x)\big\rVert^2
          + \sum_{\ell=2}^L \frac{1}{m_{\ell-1}^2}\sum_{j=1}^{m_{\ell-1}}
            \Big\lVert\sum_{i=1}^{m_\ell} a_i(x)\big(\hat f^{(\ell-1)}_j(x)\,
            w^{(\ell)}_{i,j} - \hat g^{(\ell)}_i(x)\big)\Big\rVert^2\Big].

    The paper writes :math:`\mathbb{E}_x` on the second term only and leaves
    the first at a point :math:`x`; here both are averaged over the rows of
    ``X`` (the empirical :math:`\mathbb{E}_x`). For :math:`k > 1` outputs the
    squares are squared Euclidean norms. Each term is the variance of the
    mean over the nodes of layer :math:`\ell-1` (or :math:`L`) that the
    layer's 1/m average computes, propagated to the output: it vanishes when
    the nodes of every layer are identical copies. The inputs (layer 0) are
    not sampled and have no term.

    Parameters
    ----------
    network : DeepMLP or torch.nn.Sequential
        See :meth:`DeepMLP.from_module`. (For a :class:`LayeredMeasure`, pass
        :meth:`LayeredMeasure.to_network`.)
    X : array_like or torch.Tensor, shape (N, d)
    return_terms : bool, default=False
        Also return the terms.

    Returns
    -------
    V : float
    terms : ndarray, shape (L,)
        Only with ``return_terms``: the terms of layers :math:`2, \dots, L`,
        then the output term; ``V = terms.sum()``.

    References
    ----------
    Fang, C., Gu, Y., Zhang, W., Zhang, T. (2022). Convex formulation of
    overparameterized deep neural networks. IEEE Trans. Inf. Theory. Sec. VII
    (the approximation variance, after Theorem 2).

    Examples
    --------
    >>> import numpy as np
    >>> from measureopt.deep import DeepMLP, approximation_variance
    >>> net = DeepMLP(2, [1, 1], seed=0)  # one node per layer: nothing to sample
    >>> round(approximation_variance(net, np.ones((5, 2))), 12)
    0.0
    >>> approximation_variance(DeepMLP(2, [8, 8], seed=0), np.ones((5, 2))) > 0
    True
    """
    if isinstance(network, LayeredMeasure):
        raise TypeError("network must be a DeepMLP or a torch.nn.Sequential; for a LayeredMeasure pass "
                        "measure.to_network()")
    net = _network(network, "network")
    dtype, device = net.out.dtype, net.out.device
    d = net.layers[0].shape[1]
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    X = check_array(X, "X", ndim=2, shape=("N", d))
    if X.shape[0] == 0:
        raise ValueError("X must hold at least one row")
    L = len(net.layers)
    with torch.enable_grad():
        x = torch.tensor(X, dtype=dtype, device=device, requires_grad=True)
        g = net.preactivations(x)
        fs = [net._h(gl) for gl in g]
        out = fs[-1] @ net.out / net.out.shape[0]  # (N, k)
        k = out.shape[1]
        if L > 1:
            grads = [torch.autograd.grad(out[:, c].sum(), g[1:], retain_graph=c < k - 1) for c in range(k)]
            # a[l]: (N, m_l, k), the derivative of each output at x_n in g^(l)(x_n) (rows are independent)
            a = [torch.stack([gr[l] for gr in grads], dim=-1) for l in range(L - 1)]
    with torch.no_grad():
        terms = []
        for l in range(1, L):
            A, W = a[l - 1], net.layers[l]  # (N, m_l, k), (m_l, m_{l-1})
            f_low, g_up = fs[l - 1], g[l]  # (N, m_{l-1}), (N, m_l)
            S = f_low[:, :, None] * torch.einsum("nic,ij->njc", A, W) - torch.einsum("nic,ni->nc", A, g_up)[:, None, :]
            terms.append(torch.sum(S**2, dim=(1, 2)).mean() / W.shape[1] ** 2)
        U, fL = net.out, fs[-1]
        D = fL[:, :, None] * U[None, :, :] - out[:, None, :]
        terms.append(torch.sum(D**2, dim=(1, 2)).mean() / U.shape[0] ** 2)
    terms = np.array([float(t) for t in terms])
    V = float(terms.sum())
    return (V, terms) if return_terms else V
