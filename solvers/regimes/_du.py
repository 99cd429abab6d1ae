r"""Du et al.'s full-batch gradient descent on deep networks, against the linear rate their Gram matrix predicts."""

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from measureopt._frozen import Record
from measureopt._validation import check_array, check_int, check_positive, check_random_state
from measureopt.activations import get_activation

from .._loop import History, progress
from .._torch import resolve_device, resolve_dtype

__all__ = ["DuGradientDescent", "DuRun"]

UNIT_NORM_ATOL = 1e-8


@dataclass(frozen=True, eq=False)
class DuRun(Record):
    r"""A run of :class:`DuGradientDescent`.

    Attributes
    ----------
    history : dict of ndarray
        ``iteration``, ``loss`` :math:`L(\theta(k)) = \frac12\sum_i(f(x_i) - y_i)^2`,
        and ``bound`` :math:`(1 - \eta\lambda/2)^kL(\theta(0))`, one row per
        ``record_every`` steps and at the end.
    holds : bool
        Whether ``loss <= bound`` at every recorded step (slack 1e-12,
        relative): the theorems' conclusion, checked on this run.
    lr : float
        :math:`\eta`.
    lambda_min : float
        :math:`\lambda = \lambda_{\min}(K^{(H)})` of the infinite-width Gram.
    gram : ndarray, shape (n, n)
        :math:`K^{(H)}` (:func:`~measureopt.kernels.du_gram`).
    gram_init : ndarray, shape (n, n)
        :math:`G^{(H)}(0)`, the last hidden layer's Gram at this
        initialization (:func:`~measureopt.kernels.du_gram_finite`).
    ntk_init : ndarray, shape (n, n)
        :math:`G(0)`, the Gram over all parameters
        (:func:`~measureopt.kernels.empirical_ntk` of the network).
    weights, a : list of ndarray, ndarray
        The trained weights :math:`W^{(1)}, \dots, W^{(H)}` and :math:`a`.
    weights0, a0 : list of ndarray, ndarray
        The initialization (:func:`~measureopt.kernels.du_network_init`).
    n_iter, solve_time, status, message
        As in :class:`RegimeRun`.
    """

    history: dict = field(repr=False)
    holds: bool
    lr: float
    lambda_min: float
    gram: np.ndarray = field(repr=False)
    gram_init: np.ndarray = field(repr=False)
    ntk_init: np.ndarray = field(repr=False)
    weights: list = field(repr=False)
    a: np.ndarray = field(repr=False)
    weights0: list = field(repr=False)
    a0: np.ndarray = field(repr=False)
    n_iter: int
    solve_time: float
    status: str
    message: str


class DuGradientDescent:
    r"""Full-batch gradient descent on Du et al.'s fully connected or residual network, recording the predicted rate.

    The network is eq. (2) (``architecture="fc"``) or eq. (3) (``"resnet"``)
    at the i.i.d. :math:`N(0, 1)` initialization of Sec. 4 (``DuNet``);
    every layer and :math:`a` take the same step :math:`\eta` on the sum
    loss :math:`L(\theta) = \frac12\sum_i(f(\theta, x_i) - y_i)^2` (eq. 1).
    Theorems 5.1 and 6.1 say that at large enough width

    .. math:: L(\theta(k)) \le \Bigl(1 - \frac{\eta\lambda}{2}\Bigr)^kL(\theta(0)),
              \qquad \lambda = \lambda_{\min}(K^{(H)}),

    for :math:`\eta` small enough; the constants are not given. The default
    step is the practical :math:`\eta = 1/\lambda_{\max}(G(0))` of the seed
    notes, with :math:`G(0)` the Gram of the network's Jacobian at
    initialization. :attr:`DuRun.holds` reports whether the bound held.

    Parameters
    ----------
    width : int, default=2000
        :math:`m`.
    depth : int, default=2
        :math:`H`, the number of hidden layers.
    architecture : {"fc", "resnet"}, default="fc"
    activation : str or Activation, default="softplus"
        Analytic and not a polynomial in the theorems (softplus); ReLU runs too.
    c_res : float, default=0.5
        The residual scale :math:`c_{res} \in (0, 1)` of eq. (3).
    lr : float, optional
        :math:`\eta`; :math:`1/\lambda_{\max}(G(0))` by default.
    max_iter : int, default=500
    record_every : int, default=1
    random_state, dtype, device, verbose
        As in :class:`TwoLayerTraining`.

    References
    ----------
    Du, S., Lee, J., Li, H., Wang, L., Zhai, X. Gradient descent finds global
    minima of deep neural networks. ICML 2019, eq. (1)-(3), Thm 5.1, 6.1.
    """

    def __init__(self, width=2000, depth=2, architecture="fc", activation="softplus", c_res=0.5, lr=None,
                 max_iter=500, record_every=1, random_state=None, dtype=None, device=None, verbose=False):
        self.width = check_int(width, "width", minimum=1)
        self.depth = check_int(depth, "depth", minimum=1)
        if architecture not in ("fc", "resnet"):
            raise ValueError(f"architecture must be 'fc' or 'resnet'; got {architecture!r}")
        self.architecture = architecture
        self.activation = get_activation(activation)
        self.c_res = check_positive(c_res, "c_res")
        if self.c_res >= 1:
            raise ValueError(f"c_res must be in (0, 1) (eq. 3); got {c_res!r}")
        self.lr = None if lr is None else check_positive(lr, "lr")
        self.max_iter = check_int(max_iter, "max_iter", minimum=0)
        self.record_every = check_int(record_every, "record_every", minimum=1)
        check_random_state(random_state, "random_state")
        self.random_state = random_state
        resolve_dtype(dtype)
        resolve_device(device)
        self.dtype, self.device, self.verbose = dtype, device, verbose

    def run(self, X, y):
        """Train from a fresh initialization; returns a :class:`DuRun`.

        Parameters
        ----------
        X : array_like, shape (n, d)
            Unit-norm rows, as the theorems assume.
        y : array_like, shape (n,)
        """
        import torch

        from measureopt.kernels import (c_sigma, du_gram, du_gram_finite, du_network_init, empirical_ntk, lambda_min,
                                        predicted_rate)

        from ._torch_models import DuNet

        X = check_array(X, "X", ndim=2)
        norms = np.linalg.norm(X, axis=1)
        if np.any(np.abs(norms - 1) > UNIT_NORM_ATOL):
            i = int(np.argmax(np.abs(norms - 1)))
            raise ValueError(f"X must have unit-norm rows (Du et al.'s theorems assume ||x_i|| = 1); "
                             f"row {i} has norm {norms[i]:.6g}")
        y = check_array(y, "y", ndim=1, shape=(len(X),))
        rng = check_random_state(self.random_state, "random_state")
        weights, a = du_network_init(X.shape[1], self.width, self.depth, seed=rng)
        kw = dict(activation=self.activation, architecture=self.architecture, c_res=self.c_res)
        gram = du_gram(X, self.depth, **kw)
        lam = lambda_min(gram)
        gram_init = du_gram_finite(X, weights, a, **kw)
        dtype, device = resolve_dtype(self.dtype), resolve_device(self.device)
        tt = lambda v: torch.as_tensor(v, dtype=dtype, device=device)  # noqa: E731
        net = DuNet([tt(W) for W in weights], tt(a), self.activation, c_sigma(self.activation),
                    self.architecture, self.c_res)
        ntk_init = empirical_ntk(net, X)
        lr = self.lr if self.lr is not None else 1.0 / float(np.linalg.eigvalsh(ntk_init)[-1])
        rate = predicted_rate(lam, lr, self.max_iter)
        Xt, yt = tt(X), tt(y)
        history = History(("iteration", "loss", "bound"))
        start, status, message = time.perf_counter(), "completed", ""
        bar = progress(self, self.max_iter, verbose=self.verbose)
        loss0 = None
        it = 0
        for it in range(0, self.max_iter + 1):
            net.zero_grad()
            loss = 0.5 * ((net(Xt) - yt) ** 2).sum()
            value = float(loss.detach())
            loss0 = value if loss0 is None else loss0
            if it % self.record_every == 0 or it == self.max_iter:
                history.record(iteration=it, loss=value, bound=rate[it] * loss0)
            if not np.isfinite(value):
                status = "numerical_error"
                message = f"the loss is {value} at step {it}: lr = {lr:.3g} is too large"
                warnings.warn(f"DuGradientDescent diverged: {message}", RuntimeWarning, stacklevel=2)
                break
            if it == self.max_iter:
                break
            loss.backward()
            with torch.no_grad():
                for p in net.parameters():
                    p -= lr * p.grad
            bar.update()
        bar.close()
        h = history.arrays()
        holds = bool(np.all(h["loss"] <= h["bound"] * (1 + 1e-12) + 1e-300))
        if not message:
            message = (f"{it} steps at eta = {lr:.3g}, lambda_min(K^(H)) = {lam:.3g}: loss {h['loss'][0]:.3g} -> "
                       f"{h['loss'][-1]:.3g}, bound {h['bound'][-1]:.3g}; the bound "
                       + ("held at every step" if holds else "was exceeded"))
        numpy = lambda p: p.detach().cpu().numpy().astype(float)  # noqa: E731
        return DuRun(history=h, holds=holds, lr=lr, lambda_min=lam, gram=gram, gram_init=gram_init,
                     ntk_init=ntk_init, weights=[numpy(W) for W in net.weights], a=numpy(net.a),
                     weights0=weights, a0=a, n_iter=it,
                     solve_time=time.perf_counter() - start, status=status, message=message)
