r"""Algorithm 1 of Fang et al. (2022): scaled mini-norm subgradient descent on a deep network in the 1/m scaling."""

import copy
import numbers
import time

import numpy as np

from measureopt._validation import check_int, check_positive, check_random_state
from measureopt.deep import DeepConvexProgram, LayeredMeasure

from ._base import Outcome, Solver
from ._loop import History, progress
from ._result import Status
from ._torch import resolve_device, resolve_dtype

__all__ = ["ScaledSubgradientGD", "mininorm_subgradient"]


def _mininorm(w, g, v, coef, inf):
    """:math:`G = g + c s` (eq. 25-26) for one layer: ``v`` the column means of |w|, ``c = coef * v``."""
    import torch

    c = coef * v  # (m_{l-1},), broadcast over the rows j
    s = torch.where(w != 0, torch.sign(w), torch.clamp(-g / torch.where(c > 0, c, inf), -1.0, 1.0))
    return g + c * s


def mininorm_subgradient(network, X, Y, reg, reg_u, loss="squared"):
    r"""The minimum-norm subgradient :math:`\hat{\mathcal G}` of :math:`\hat Q` (eq. 25-26) at a network's weights.

    Parameters
    ----------
    network : DeepMLP
    X : torch.Tensor, shape (N, d)
    Y : torch.Tensor, shape (N, k)
    reg : float or sequence of L floats
        :math:`\lambda^{(1)}, \dots, \lambda^{(L)}` (0 allowed).
    reg_u : float
    loss : {"squared", "cross_entropy"}

    Returns
    -------
    list of torch.Tensor
        :math:`G_{w^{(1)}}, \dots, G_{w^{(L)}}` (shapes of ``network.layers``)
        and :math:`G_u`, unscaled (Algorithm 1 multiplies them by
        :math:`\eta m_{\ell-1} m_\ell` and :math:`\eta m_L`).
    """
    import torch

    from measureopt.deep._mlp import _per_layer, loss_value

    layers, out = list(network.layers), network.out
    L = len(layers)
    lam = _per_layer(reg, L)
    reg_u = check_positive(reg_u, "reg_u", strict=False)
    sizes = [layers[0].shape[1]] + [w.shape[0] for w in layers]
    smooth = loss_value(network(X), Y, loss) + reg_u * torch.mean(torch.sum(out**2, dim=1))
    grads = torch.autograd.grad(smooth, layers + [out])
    inf = torch.tensor(float("inf"), dtype=out.dtype, device=out.device)
    with torch.no_grad():
        G = [_mininorm(w, g, torch.mean(torch.abs(w), dim=0), 2 * lam[l] / (sizes[l] * sizes[l + 1]), inf)
             for l, (w, g) in enumerate(zip(layers, grads))]
    return G + [grads[-1]]


class ScaledSubgradientGD(Solver):
    r"""Train a deep network on :math:`\hat Q` (eq. 9) by Algorithm 1 of Fang et al. (2022).

    The objective of the discrete network in the 1/m scaling
    (:class:`~measureopt.deep.DeepMLP`, eq. 1-2) is

    .. math::

        \hat Q(w, u) = \underbrace{\frac1N\sum_{n=1}^N \phi(\hat f(x_n), y_n)
            + \lambda^{(u)} \hat R^{(u)}(u)}_{\hat L(w, u)}
            + \sum_{\ell=1}^L \lambda^{(\ell)} \hat R^{(\ell)}_w(w^{(\ell)}),
        \qquad
        \hat R^{(\ell)}_w = \frac{1}{m_{\ell-1}}\sum_{k=1}^{m_{\ell-1}} V_k^2,
        \quad V_k = \frac{1}{m_\ell}\sum_{j=1}^{m_\ell} |w^{(\ell)}_{j,k}|,

    (eq. 9-12, :math:`m_0 = d`). :math:`\hat L` is smooth; its gradient
    :math:`g` comes from autograd. The :math:`\ell_{1,2}` terms are not
    differentiable where a weight is 0: their subdifferential in
    :math:`w_{j,k}` is :math:`c_k\,s` with :math:`c_k = 2\lambda^{(\ell)} V_k
    / (m_{\ell-1} m_\ell)`, :math:`s = \operatorname{sign}(w_{j,k})` if
    :math:`w_{j,k} \ne 0` and :math:`s \in [-1, 1]` otherwise. The
    minimum-norm subgradient of :math:`\hat Q` (eq. 25) is, elementwise
    (eq. 26),

    .. math::

        G_{j,k} = g_{j,k} + c_k s_{j,k}, \qquad
        s_{j,k} = \begin{cases}
            \operatorname{sign}(w_{j,k}) & w_{j,k} \ne 0, \\
            0 & w_{j,k} = 0,\ V_k = 0, \\
            \operatorname{clip}(-g_{j,k}/c_k, -1, 1) & w_{j,k} = 0,\ V_k > 0,
        \end{cases}

    and :math:`G_u = g_u` (:math:`\hat R^{(u)}` is smooth). A step
    (Algorithm 1, line 5) scales each layer by its fan-in times fan-out, so
    that every layer moves at the rate of the mean-field limit:

    .. math::

        w^{(\ell)} \leftarrow w^{(\ell)} - \eta\, m_{\ell-1} m_\ell\, G_{w^{(\ell)}},
        \qquad u \leftarrow u - \eta\, m_L\, G_u.

    As :math:`\eta \to 0` this is the gradient flow of Sec. VI-B, along which
    :math:`\hat Q` does not increase.

    Parameters
    ----------
    step : float, default=1.0
        :math:`\eta`. The scaled step moves every weight by :math:`O(\eta)`
        whatever the widths, so a step that works does not depend on them.
        Only the flow (:math:`\eta \to 0`) is a descent method. Measured on
        the paper's 1-D task (N = 100, widths (20, 10), tanh, squared loss,
        :math:`\lambda = 10^{-3}`, 4000 steps), :math:`\hat Q` goes from
        0.3065 to:

        * 0.2265 at :math:`\eta = 0.25`, with 16 increases of at most
          2.5e-5 relative;
        * 0.187 at :math:`\eta = 1`, with 1457 increases of up to 11%;
        * 0.2015 at :math:`\eta = 3`, with increases of up to 16%.

        At :math:`\eta = 10` it diverges (status ``"numerical_error"``).
    max_iter : int, default=1000
        Number of steps.
    widths : sequence of int, optional
        :math:`m_1, \dots, m_L` of a fresh network; ``problem.widths`` (the
        program's numbers of atoms) by default. Ignored when ``init`` is
        given (it must then agree with it, if given too).
    init : DeepMLP or torch.nn.Sequential, optional
        The network to start from (read by
        :meth:`~measureopt.deep.DeepMLP.from_module`); it is copied, never
        modified. Its input size, output size and activation must be those
        of the problem. By default a fresh ``DeepMLP(d, widths, k,
        problem.activation, seed=seed)``.
    batch_size : int, optional
        Rows drawn without replacement at every step for a stochastic
        (sub)gradient; ``None`` (or N) for full-batch steps.
    stationary_tol : float, default=1e-10
        Stop (status ``"stationary"``) when the full-batch :math:`\hat Q`
        changes by at most ``stationary_tol * |Q|`` between two records.
    record_every : int, default=10
        Steps between history records (and stationarity checks).
    device : str or torch.device, optional
        Where to train; ``"cpu"`` by default.
    dtype : torch.dtype or str, optional
        ``torch.float64`` by default.
    seed : None, int or numpy.random.Generator, default=0
        Seeds the fresh network (``DeepMLP(..., seed=seed)`` for an int) and
        the minibatches.
    verbose : bool, default=False
        Show a progress bar.

    Notes
    -----
    The program's atoms are not used: the problem supplies the data,
    :math:`\lambda`, the activation and the loss, and the result's measure
    is the point of Program (21) that the trained network is
    (:meth:`~measureopt.deep.LayeredMeasure.from_network`, on the network's
    own nodes), whose objective is the network's :math:`\hat Q`. No duality
    gap is computed (``dual_gap`` is ``nan``, ``gap_scope`` ``"none"``):
    :math:`\hat Q` is not convex in :math:`(w, u)`, and a stationary point is
    not certified to be optimal. Statuses: ``"max_iter"``, ``"stationary"``,
    and ``"numerical_error"`` (a non-finite loss or weight; the result then
    holds the last finite iterate).

    ``history`` holds ``iteration``, ``objective`` (full-batch
    :math:`\hat Q`), ``loss`` (the mean loss), ``reg_1, ..., reg_L``
    (:math:`\hat R^{(\ell)}_w`, without :math:`\lambda`), ``reg_u``
    (:math:`\hat R^{(u)}`) and ``elapsed`` (seconds). ``stats`` holds
    ``network`` (the trained :class:`~measureopt.deep.DeepMLP`, float64 on
    the CPU), ``time_per_step`` (seconds, records included), ``n_steps``,
    ``step_scales`` (:math:`\eta m_{\ell-1} m_\ell` per layer, then
    :math:`\eta m_L`), ``stop_reason``, ``device``, ``dtype`` and
    ``batch_size``.

    Examples
    --------
    >>> import numpy as np
    >>> import solvers
    >>> from measureopt.deep import DeepConvexProgram
    >>> x = np.linspace(-2 * np.pi, 2 * np.pi, 50)
    >>> X, y = np.column_stack([x, np.ones_like(x)]), 2 * (2 * np.cos(x) ** 2 - 1) ** 2 - 1
    >>> prob = DeepConvexProgram.random(X, y, widths=[20, 10], reg=1e-3, reg_u=1e-3)
    >>> res = solvers.ScaledSubgradientGD(max_iter=200).solve(prob)  # doctest: +SKIP
    >>> res.history["objective"][-1] < res.history["objective"][0]  # doctest: +SKIP
    True

    See Also
    --------
    mininorm_subgradient : :math:`\hat{\mathcal G}` at given weights.
    DeepConvex : Program (21) itself, solved with a certified gap.

    References
    ----------
    Fang, C., Gu, Y., Zhang, W., Zhang, T. (2022). Convex formulation of
    overparameterized deep neural networks. IEEE Trans. Inf. Theory.
    Sec. VI-B, eq. (25)-(26) and Algorithm 1; the objective eq. (9)-(12).
    """

    _problem_type = DeepConvexProgram
    _problem_words = "Program (21) (a measureopt.deep.DeepConvexProgram), which supplies the data and regularization"

    def __init__(self, step=1.0, max_iter=1000, widths=None, init=None, batch_size=None, stationary_tol=1e-10,
                 record_every=10, device=None, dtype=None, seed=0, verbose=False):
        self.step = check_positive(step, "step")
        self.max_iter = check_int(max_iter, "max_iter", minimum=0)
        if widths is not None:
            if isinstance(widths, (str, bytes)) or not hasattr(widths, "__len__"):
                raise TypeError(f"widths must be a sequence of positive ints or None; got {type(widths).__name__}")
            widths = tuple(check_int(m, f"widths[{i}]", minimum=1) for i, m in enumerate(widths))
            if not widths:
                raise ValueError("widths must hold at least one hidden layer (L >= 1); got an empty sequence")
        self.widths = widths
        if init is not None:
            from measureopt.deep import DeepMLP
            from torch import nn

            if not isinstance(init, (DeepMLP, nn.Sequential)):
                raise TypeError(f"init must be a DeepMLP or a torch.nn.Sequential; got {type(init).__name__}")
        self.init = init
        self.batch_size = None if batch_size is None else check_int(batch_size, "batch_size", minimum=1)
        self.stationary_tol = check_positive(stationary_tol, "stationary_tol", strict=False)
        self.record_every = check_int(record_every, "record_every", minimum=1)
        resolve_device(device)
        self.device = device
        self.dtype = resolve_dtype(dtype)
        check_random_state(seed, "seed")
        self.seed = seed
        self.verbose = bool(verbose)

    def _convergence_hint(self):
        return ("Increase max_iter or change the step; the objective is not convex in the weights, so a "
                "stationary network need not solve Program (21).")

    # ------------------------------------------------------------ setup
    def _seeds(self):
        """``(network seed, minibatch seed)``: the int itself, or two ints drawn once from None or a Generator."""
        if isinstance(self.seed, numbers.Integral):
            return int(self.seed), int(self.seed)
        if not hasattr(self, "_drawn_seeds"):
            rng = check_random_state(self.seed, "seed")
            self._drawn_seeds = tuple(int(x) for x in rng.integers(0, 2**63 - 1, size=2))
        return self._drawn_seeds

    def _network(self, problem, device, dtype):
        import torch

        from measureopt.deep import DeepMLP

        N, d = problem.X.shape
        k = problem.n_outputs
        if self.init is None:
            widths = list(self.widths if self.widths is not None else problem.widths)
            net = DeepMLP(d, widths, n_outputs=k, activation=problem.activation, seed=self._seeds()[0])
        else:
            source = DeepMLP.from_module(self.init)
            net = copy.deepcopy(source) if source is self.init else source
            got = (net.layers[0].shape[1], net.out.shape[1], net.activation)
            if got != (d, k, problem.activation):
                raise ValueError(
                    f"init has input size {got[0]}, {got[1]} outputs and activation {got[2]!r}; the problem needs "
                    f"{d}, {k} and {problem.activation!r}")
            if self.widths is not None and list(self.widths) != net.widths:
                raise ValueError(f"widths {list(self.widths)} disagree with init's widths {net.widths}")
            for name, param in net.named_parameters():
                if not bool(torch.all(torch.isfinite(param))):
                    raise ValueError(f"init has non-finite weights in {name}")
        return net.to(device=device, dtype=dtype)

    # ------------------------------------------------------------ the loop
    def _solve(self, problem):
        import torch

        from measureopt.deep._mlp import loss_value

        device, dtype = resolve_device(self.device), self.dtype
        net = self._network(problem, device, dtype)
        N = problem.X.shape[0]
        bs = self.batch_size
        if bs is not None and bs > N:
            raise ValueError(f"batch_size must be at most the number of samples N = {N}; got {bs}")
        minibatch = bs is not None and bs < N
        X = torch.tensor(problem.X, dtype=dtype, device=device)
        Y = torch.tensor(problem.Y, dtype=dtype, device=device)
        layers, out = list(net.layers), net.out
        params = layers + [out]
        L = len(layers)
        sizes = [problem.X.shape[1]] + net.widths
        lam = [float(r) for r in problem.reg]
        lam_u, loss = float(problem.reg_u), problem.loss
        # c_k = coef * V_k, and the scaled step eta * m_{l-1} m_l (eta * m_L for u)
        coef = [2 * lam[l] / (sizes[l] * sizes[l + 1]) for l in range(L)]
        scales = [self.step * sizes[l] * sizes[l + 1] for l in range(L)] + [self.step * sizes[-1]]
        generator = None
        if minibatch:
            generator = torch.Generator(device=device)
            generator.manual_seed(self._seeds()[1] % 2**63)
        inf = torch.tensor(float("inf"), dtype=dtype, device=device)

        def smooth_terms(Xb, Yb):
            data = loss_value(net(Xb), Yb, loss)
            top = torch.mean(torch.sum(out**2, dim=1))
            return data, top

        columns = ["iteration", "objective", "loss"] + [f"reg_{l + 1}" for l in range(L)] + ["reg_u", "elapsed"]
        history = History(columns)
        prev = [p.detach().clone() for p in params]
        bar = progress(self, self.max_iter)
        status, reason, message = Status.MAX_ITER, "max_iter", ""
        last_q = None
        k = 0
        start = time.perf_counter()
        while True:
            if minibatch:
                idx = torch.randperm(N, generator=generator, device=device)[:bs]
                Xb, Yb = X[idx], Y[idx]
            else:
                Xb, Yb = X, Y
            data, top = smooth_terms(Xb, Yb)
            smooth = data + lam_u * top
            with torch.no_grad():
                V = [torch.mean(torch.abs(w), dim=0) for w in layers]
                check = smooth + sum(v.sum() for v in V)
                finite = bool(torch.isfinite(check))
            if finite and (k % self.record_every == 0 or k >= self.max_iter):
                with torch.no_grad():
                    if minibatch:
                        data, top = smooth_terms(X, Y)
                    regs = [float(torch.mean(v**2)) for v in V]
                    loss_k, top_k = float(data), float(top)
                q = loss_k + sum(r * v for r, v in zip(lam, regs)) + lam_u * top_k
                finite = bool(np.isfinite(q))
                if finite:
                    history.record(iteration=k, objective=q, loss=loss_k, reg_u=top_k,
                                   elapsed=time.perf_counter() - start,
                                   **{f"reg_{l + 1}": r for l, r in enumerate(regs)})
                    bar.update(k - bar.n)
                    bar.set_postfix(objective=f"{q:.6g}")
                    if last_q is not None and abs(q - last_q) <= self.stationary_tol * abs(q):
                        status, reason = Status.STATIONARY, "stationary"
                        message = (f"{k} steps: the objective changed by at most stationary_tol="
                                   f"{self.stationary_tol:g} (relative) since the previous record; "
                                   "a stationary point of the weights, not certified optimal")
                        break
                    last_q = q
            if not finite:
                status, reason, bad = Status.NUMERICAL_ERROR, "numerical_error", k
                if k > 0:
                    with torch.no_grad():
                        torch._foreach_copy_(params, prev)
                    k -= 1
                    message = (f"non-finite loss or weights at step {bad}; returning the last finite iterate "
                               f"(step {k}). Lower the step.")
                else:
                    message = "non-finite loss at the initial network; returning it. Check the data and init."
                break
            if k >= self.max_iter:
                message = f"{k} steps: iteration limit reached"
                break
            grads = torch.autograd.grad(smooth, params)
            with torch.no_grad():
                torch._foreach_copy_(prev, params)
                for l, (w, g, v) in enumerate(zip(layers, grads, V)):
                    w.sub_(_mininorm(w, g, v, coef[l], inf), alpha=scales[l])
                out.sub_(grads[-1], alpha=scales[-1])
            k += 1
        elapsed = time.perf_counter() - start
        bar.close()
        trained = net.to(device="cpu", dtype=torch.float64)
        measure = LayeredMeasure.from_network(trained, problem.X)
        stats = {
            "network": trained, "time_per_step": elapsed / max(k, 1), "n_steps": k,
            "step_scales": scales, "stop_reason": reason, "device": str(device), "dtype": str(dtype),
            "batch_size": bs if minibatch else None,
        }
        return Outcome(measure=measure, status=status, n_iter=k, dual_gap=float("nan"), message=message,
                       history=history.arrays(), stats=stats, gap_scope="none")
