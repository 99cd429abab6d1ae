r"""Fang, Dong & Zhang's two-layer model trained in the regime its scale :math:`\alpha` sets, beside its linearization."""

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from measureopt._frozen import Record
from measureopt._validation import check_array, check_int, check_positive, check_random_state
from measureopt.activations import get_activation

from .._loop import History, progress
from .._torch import resolve_device, resolve_dtype

__all__ = ["TwoLayerTraining", "RegimeRun", "LR_CONVENTIONS"]

#: The learning rate of the u-block, :math:`\eta_u`, in units of :math:`\eta` (FDZ eq. 11-13; :math:`\eta_\theta = \eta`).
LR_CONVENTIONS = {
    "practical": lambda m, alpha: m / alpha,   # (11): (alpha/m) eta_u = eta
    "theoretical": lambda m, alpha: 1 / alpha,  # (12): alpha eta_u = eta
    "ntk": lambda m, alpha: 1.0,                # (13): eta_u = eta_theta = eta
}
LOSSES = ("squared", "cross_entropy")
#: What to do with the initial output :math:`f_0` (seed notes, F8): keep it (the authors' code), subtract it,
#: or start from pairs of opposite neurons so that it vanishes.
INIT_OUTPUTS = ("keep", "subtract", "symmetric")


def _forward(X, u, theta, alpha, h):
    return (alpha / len(theta)) * h(X @ theta.T) @ u


@dataclass(frozen=True, eq=False)
class RegimeRun(Record):
    r"""A training run of :class:`TwoLayerTraining`.

    Attributes
    ----------
    u, theta : ndarray, shape (m, k) and (m, d)
        The trained weights of :math:`f = \frac{\alpha}{m}\sum_j u_jh(\theta_j^\top x)`.
    u0, theta0 : ndarray
        The initialization :math:`(\tilde u, \tilde\theta)`.
    alpha : float
    activation : Activation
    history : dict of ndarray
        Equal-length columns, one row every ``record_every`` iterations and
        at the end: ``iteration``, ``train_loss`` and ``test_loss`` (the
        data term of eq. 2, without the regularizer), ``train_accuracy`` and
        ``test_accuracy`` (NaN for the squared loss or without test data),
        ``dist_theta`` :math:`= \frac1m\sum_j\lVert\theta_j - \tilde\theta_j\rVert`,
        ``dist_u`` :math:`= \frac1m\sum_j\lVert u_j - \tilde u_j\rVert` (the
        authors' distances), and with ``linearize``: ``linear_train_loss``,
        ``linear_test_loss`` and ``linear_gap``, the root mean square of
        :math:`\lVert f - f_{lin}\rVert` on the test inputs (the training
        inputs without test data).
    n_iter : int
    solve_time : float
    status : {"completed", "numerical_error"}
    message : str
    linear_u, linear_theta : ndarray or None
        The linearized model's trained weights (``linearize=True``).
    init_output : str
        As in :class:`TwoLayerTraining`; :meth:`predict` subtracts
        :math:`f_0` for ``"subtract"``.
    """

    u: np.ndarray
    theta: np.ndarray
    u0: np.ndarray
    theta0: np.ndarray
    alpha: float
    activation: object
    history: dict = field(repr=False)
    n_iter: int
    solve_time: float
    status: str
    message: str
    linear_u: np.ndarray = field(default=None, repr=False)
    linear_theta: np.ndarray = field(default=None, repr=False)
    init_output: str = "keep"

    def _offset(self, X):
        return _forward(X, self.u0, self.theta0, self.alpha, self.activation) if self.init_output == "subtract" else 0.0

    def predict(self, X):
        """ndarray, shape (n, k): the trained network's outputs."""
        X = check_array(X, "X", ndim=2, shape=("n", self.theta.shape[1]))
        return _forward(X, self.u, self.theta, self.alpha, self.activation) - self._offset(X)

    def predict_linear(self, X):
        r"""ndarray, shape (n, k): the trained linearized model's outputs (eq. 8, :math:`f_0` kept)."""
        if self.linear_u is None:
            raise ValueError("this run has no linearized model; train with linearize=True")
        X = check_array(X, "X", ndim=2, shape=("n", self.theta.shape[1]))
        h, m = self.activation, len(self.theta0)
        Z0 = X @ self.theta0.T
        tangent = h.derivative(Z0) * (X @ (self.linear_theta - self.theta0).T)
        return (self.alpha / m) * (h(Z0) @ self.linear_u + tangent @ self.u0) - self._offset(X)


class TwoLayerTraining:
    r"""SGD on Fang, Dong & Zhang's model in the lazy (NTK) or mean-field regime, with its linearization alongside.

    The network of eq. (1), :math:`f(x) = \frac{\alpha}{m}\sum_{j=1}^m
    u_j\,h(\theta_j^\top x)` with :math:`u_j \in \mathbb{R}^k`, no bias, and
    :math:`u_j, \theta_j \sim N(0, \sigma^2)`, minimizes eq. (2),

    .. math:: \varphi(u, \theta) = \frac1n\sum_{i=1}^n L(f(x_i), y_i)
              + \frac{1}{2m}\sum_j\bigl(\lambda_u\lVert u_j\rVert^2 + \lambda_\theta\lVert\theta_j\rVert^2\bigr),

    by SGD with :math:`\eta_\theta = \eta` and :math:`\eta_u` from
    ``lr_convention`` (eq. 11-13):

    =================  =============================================  =========
    ``practical``      :math:`(\alpha/m)\,\eta_u = \eta`, eq. (11)     default
    ``theoretical``    :math:`\alpha\,\eta_u = \eta`, eq. (12)
    ``ntk``            :math:`\eta_u = \eta_\theta = \eta`, eq. (13)
    =================  =============================================  =========

    The scale :math:`\alpha` sets the regime: :math:`\alpha = O(\sqrt m)`
    and beyond is the NTK (lazy) regime, where the weights stay near their
    initialization and the network follows its linearization (eq. 8);
    :math:`\alpha = 1` is the mean-field regime (eq. 15), where they move
    by :math:`O(1)` (FDZ Sec. IV-V, Fig. 2-4, 7). With ``linearize=True`` the
    linearized model (:class:`RegimeRun.predict_linear`, initial output
    :math:`f_0` kept) is trained on the same batches with the same rates.

    Parameters
    ----------
    width : int
        :math:`m`.
    alpha : float, default=1.0
    activation : str or Activation, default="tanh"
        The authors' MNIST runs use tanh; ReLU, sigmoid, softplus work too.
    sigma : float, default=1.0
        Standard deviation of the initialization.
    loss : {"squared", "cross_entropy"}, default="squared"
        :math:`L(v, y) = \frac12\lVert v - y\rVert^2` (targets of shape (n,)
        or (n, k)), or the softmax loss of eq. (2) (integer labels in
        ``0..k-1``, :math:`k` outputs).
    lr : float, default=0.1
        :math:`\eta`.
    lr_convention : {"practical", "theoretical", "ntk"}, default="practical"
    max_iter : int, default=1000
    batch_size : int, optional
        Samples per step, drawn without replacement each epoch; full batch
        by default.
    reg_u, reg_theta : float, default=0.0
        :math:`\lambda_u, \lambda_\theta`.
    noise : float, default=0.0
        Standard deviation of the Gaussian noise added to every
        :math:`\theta_j` after each step, FDZ's noisy GD (Sec. V, as in the
        authors' Fig. 6 code: the :math:`\theta`-block only).
    linearize : bool, default=False
    init_output : {"keep", "subtract", "symmetric"}, default="keep"
        The initial output :math:`f_0(x) = \frac{\alpha}{m}\sum_j\tilde u_jh(\tilde\theta_j^\top x)` has
        variance :math:`O(\alpha^2/m)`, which eq. (9)-(10) drop: keep it (the
        authors' code), train :math:`f - f_0` instead (``"subtract"``), or
        initialize the neurons in pairs :math:`(\tilde u_j, \tilde\theta_j)`,
        :math:`(-\tilde u_j, \tilde\theta_j)` so that :math:`f_0 \equiv 0`
        (``"symmetric"``, even ``width``).
    record_every : int, default=10
    random_state : int, Generator or None
    dtype, device : torch settings (float64, CPU by default)
    verbose : bool, default=False
        A progress bar.

    References
    ----------
    Fang, C., Dong, H., Zhang, T. Mathematical models of overparameterized
    neural networks. Proc. IEEE 109(5), 2021, eq. (1), (2), (8), (11)-(13), (15).
    """

    def __init__(self, width, alpha=1.0, activation="tanh", sigma=1.0, loss="squared", lr=0.1,
                 lr_convention="practical", max_iter=1000, batch_size=None, reg_u=0.0, reg_theta=0.0, noise=0.0,
                 linearize=False, init_output="keep", record_every=10, random_state=None, dtype=None, device=None,
                 verbose=False):
        self.width = check_int(width, "width", minimum=1)
        if init_output not in INIT_OUTPUTS:
            raise ValueError(f"init_output must be one of {INIT_OUTPUTS}; got {init_output!r}")
        if init_output == "symmetric" and self.width % 2:
            raise ValueError(f"init_output='symmetric' pairs the neurons: width must be even; got {width}")
        self.init_output = init_output
        self.alpha = check_positive(alpha, "alpha")
        self.activation = get_activation(activation)
        self.sigma = check_positive(sigma, "sigma")
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}; got {loss!r}")
        self.loss = loss
        self.lr = check_positive(lr, "lr")
        if lr_convention not in LR_CONVENTIONS:
            raise ValueError(f"lr_convention must be one of {tuple(LR_CONVENTIONS)}; got {lr_convention!r}")
        self.lr_convention = lr_convention
        self.max_iter = check_int(max_iter, "max_iter", minimum=0)
        self.batch_size = None if batch_size is None else check_int(batch_size, "batch_size", minimum=1)
        self.reg_u = check_positive(reg_u, "reg_u", strict=False)
        self.reg_theta = check_positive(reg_theta, "reg_theta", strict=False)
        self.noise = check_positive(noise, "noise", strict=False)
        self.linearize = bool(linearize)
        self.record_every = check_int(record_every, "record_every", minimum=1)
        check_random_state(random_state, "random_state")
        self.random_state = random_state
        resolve_dtype(dtype)
        resolve_device(device)
        self.dtype, self.device, self.verbose = dtype, device, verbose

    @property
    def lr_u(self):
        r"""float: :math:`\eta_u` under ``lr_convention``."""
        return self.lr * LR_CONVENTIONS[self.lr_convention](self.width, self.alpha)

    def _targets(self, y, n, name):
        if self.loss == "cross_entropy":
            y = np.asarray(y)
            if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer) or (n and y.min() < 0):
                raise ValueError(f"{name} must be integer class labels 0..k-1 of shape ({n},) for the "
                                 f"cross-entropy loss; got dtype {y.dtype} and shape {y.shape}")
            return y
        y = check_array(y, name)
        if y.ndim not in (1, 2) or len(y) != n:
            raise ValueError(f"{name} must have shape ({n},) or ({n}, k); got {y.shape}")
        return y.reshape(n, -1)

    def run(self, X, y, X_test=None, y_test=None):
        """Train, returning a :class:`RegimeRun`.

        Parameters
        ----------
        X : array_like, shape (n, d)
        y : array_like, shape (n,) or (n, k)
            Targets (squared loss) or integer labels (cross-entropy).
        X_test, y_test : array_like, optional
            Recorded alongside (``test_loss``, ``test_accuracy``).
        """
        import torch

        X = check_array(X, "X", ndim=2)
        n, d = X.shape
        y = self._targets(y, n, "y")
        if (X_test is None) != (y_test is None):
            raise ValueError("X_test and y_test must be given together")
        if X_test is not None:
            X_test = check_array(X_test, "X_test", ndim=2, shape=("n_test", d))
            y_test = self._targets(y_test, len(X_test), "y_test")
        k = int(max(y.max(), -1 if y_test is None else y_test.max())) + 1 if self.loss == "cross_entropy" \
            else y.shape[1]
        rng = check_random_state(self.random_state, "random_state")
        u0, theta0 = self._initialize(rng, k, d)
        m = self.width
        dtype, device = resolve_dtype(self.dtype), resolve_device(self.device)
        tt = lambda a: torch.as_tensor(a, dtype=dtype, device=device)  # noqa: E731
        from ._torch_models import FDZNet, LinearizedFDZNet

        net = FDZNet(tt(u0), tt(theta0), self.alpha, self.activation)
        lin = LinearizedFDZNet(tt(u0), tt(theta0), self.alpha, self.activation) if self.linearize else None
        as_target = (lambda a: torch.as_tensor(a, device=device)) if self.loss == "cross_entropy" else tt
        # per data set: inputs, targets, the initial output to subtract, the linearization's fixed features
        sets = {}
        for name, (Xa, ya) in {"train": (X, y), "test": (X_test, y_test)}.items():
            if Xa is not None:
                Xa = tt(Xa)
                with torch.no_grad():
                    offset = net(Xa) if self.init_output == "subtract" else torch.zeros((), dtype=dtype)
                    feats = lin.features(Xa) if lin is not None else None
                sets[name] = (Xa, as_target(ya), offset, feats)

        def data_loss(out, target):
            if self.loss == "cross_entropy":
                return torch.nn.functional.cross_entropy(out, target)
            return 0.5 * ((out - target) ** 2).sum(dim=1).mean()

        def accuracy(out, target):
            return float((out.argmax(dim=1) == target).double().mean()) if self.loss == "cross_entropy" else np.nan

        def outputs(Xa, offset, feats, idx=None):
            if idx is not None:
                Xa, offset = Xa[idx], offset[idx] if offset.ndim else offset
                feats = None if feats is None else (feats[0][idx], feats[1][idx])
            return net(Xa) - offset, None if lin is None else lin(Xa, feats) - offset

        extra = ("linear_train_loss", "linear_test_loss", "linear_gap") if self.linearize else ()
        history = History(("iteration", "train_loss", "test_loss", "train_accuracy", "test_accuracy",
                           "dist_theta", "dist_u") + extra)
        theta0_t, u0_t = tt(theta0), tt(u0)

        def record(it):
            row = dict(iteration=it, test_loss=np.nan, test_accuracy=np.nan,
                       **({"linear_test_loss": np.nan} if lin is not None else {}))
            with torch.no_grad():
                for name, (Xa, ya, offset, feats) in sets.items():
                    out, lin_out = outputs(Xa, offset, feats)
                    row[f"{name}_loss"], row[f"{name}_accuracy"] = float(data_loss(out, ya)), accuracy(out, ya)
                    if lin is not None:
                        row[f"linear_{name}_loss"] = float(data_loss(lin_out, ya))
                        if name == "test" or "test" not in sets:
                            row["linear_gap"] = float(((out - lin_out) ** 2).sum(dim=1).mean().sqrt())
                row.update(dist_theta=float((net.theta - theta0_t).norm(dim=1).mean()),
                           dist_u=float((net.u - u0_t).norm(dim=1).mean()))
            history.record(**row)
            return row

        lr_u, lr_t = self.lr_u, self.lr
        Xt, yt, offset, feats = sets["train"]
        batch = n if self.batch_size is None else min(self.batch_size, n)
        order, pos = rng.permutation(n), 0
        start, status, message = time.perf_counter(), "completed", ""
        bar = progress(self, self.max_iter, verbose=self.verbose)
        record(0)
        it = 0
        for it in range(1, self.max_iter + 1):
            idx = None
            if batch < n:
                if pos + batch > n:
                    order, pos = rng.permutation(n), 0
                idx = torch.as_tensor(order[pos:pos + batch], device=device)
                pos += batch
            yb = yt if idx is None else yt[idx]
            step_noise = None if not self.noise else tt(self.noise * rng.normal(size=(m, d)))
            for model, out in zip((net, lin), outputs(Xt, offset, feats, idx)):
                if model is None:
                    continue
                model.zero_grad()
                obj = data_loss(out, yb) + (self.reg_u * (model.u**2).sum()
                                            + self.reg_theta * (model.theta**2).sum()) / (2 * m)
                obj.backward()
                with torch.no_grad():
                    model.u -= lr_u * model.u.grad
                    model.theta -= lr_t * model.theta.grad
                    if step_noise is not None:
                        model.theta += step_noise
            bar.update()
            if it % self.record_every == 0 or it == self.max_iter:
                row = record(it)
                bar.set_postfix(loss=f"{row['train_loss']:.3g}")
                if not np.isfinite(row["train_loss"]):
                    status = "numerical_error"
                    message = (f"the training loss is {row['train_loss']} at iteration {it}: lr = {self.lr} "
                               f"(eta_u = {lr_u:.3g}) is too large for alpha = {self.alpha:g}, m = {m}")
                    warnings.warn(f"TwoLayerTraining diverged: {message}", RuntimeWarning, stacklevel=2)
                    break
        bar.close()
        numpy = lambda p: p.detach().cpu().numpy().astype(float)  # noqa: E731
        h = history.arrays()
        return RegimeRun(u=numpy(net.u), theta=numpy(net.theta), u0=u0, theta0=theta0, alpha=self.alpha,
                         activation=self.activation, history=h, n_iter=it, init_output=self.init_output,
                         solve_time=time.perf_counter() - start, status=status,
                         message=message or f"{it} iterations, final training loss {h['train_loss'][-1]:.6g}",
                         linear_u=None if lin is None else numpy(lin.u),
                         linear_theta=None if lin is None else numpy(lin.theta))

    def _initialize(self, rng, k, d):
        r""":math:`\tilde u, \tilde\theta \sim N(0, \sigma^2)`; ``symmetric`` pairs each neuron with its negated twin."""
        m = self.width
        if self.init_output != "symmetric":
            return self.sigma * rng.normal(size=(m, k)), self.sigma * rng.normal(size=(m, d))
        u, theta = self.sigma * rng.normal(size=(m // 2, k)), self.sigma * rng.normal(size=(m // 2, d))
        return np.concatenate([u, -u]), np.concatenate([theta, theta])
