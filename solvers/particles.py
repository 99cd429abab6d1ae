r"""Particle gradient descent for BLASSO: the papers' gradient methods on two-layer networks.

The network :math:`f(x) = s\sum_{j=1}^M a_j\sigma(\langle w_j, x\rangle)` is a
measure :math:`\nu = s\sum_j a_j\lVert w_j\rVert\delta_{w_j/\lVert w_j\rVert}`
(:func:`measureopt.network_measure`), and its objective

.. math::

    F(a, W) = \frac1{2n}\sum_{i=1}^n\bigl(f(x_i) - y_i\bigr)^2 + \text{penalty}
    \ \ge\ J(\nu)

never falls below the BLASSO objective of its measure, with the same
minimum (Akiyama & Suzuki, 2021, eq. 4-8). The solvers here move the
particles :math:`(a_j, w_j)` by gradient steps and return the measure, so
every result can be checked against the convex optimum.

One loop (:class:`ParticleSolver`) runs every method; a method is a step
rule with ``init`` and ``update`` (the optax/jaxopt pattern):

============================  =================================================
:class:`NormDependentGD`      Akiyama & Suzuki (2021), Algorithm 1, eq. (11), (13)
:class:`ParticleGD`           Chizat & Bach (2018), Berthier et al. (Sec. 4.3, 5)
:class:`NoisyParticleGD`      Fang, Dong & Zhang (Sec. V): noise = entropy
:class:`ConicParticleGD`      Chizat (2022): mirror step on the weights
============================  =================================================

Torch runs inside (``device``, ``dtype``); results hold NumPy arrays.
"""

import os
import time
from abc import abstractmethod
from dataclasses import dataclass

import numpy as np

from measureopt._validation import check_array, check_int, check_positive
from measureopt.crosscheck import effective_neurons
from measureopt.networks import network_measure
from measureopt.oracles import LocalOracle
from measureopt.sphere import sample_sphere

from ._base import Outcome, Solver
from ._result import Status

__all__ = [
    "ParticleSolver",
    "NormDependentGD",
    "ParticleGD",
    "NoisyParticleGD",
    "ConicParticleGD",
    "NormDependentStep",
    "MeanFieldStep",
    "ConicStep",
]

_HISTORY = ("iteration", "objective", "network_objective", "n_effective", "elapsed")


# ---------------------------------------------------------------- step rules
class NormDependentStep:
    r"""Algorithm 1 of Akiyama & Suzuki (2021): :math:`\Theta_{k+1} = \Theta_k - \eta_{j,k}(g_j, h_j)`.

    .. math::

        \eta_{j,k} = \alpha\,\frac{|a_{j,k}|\,\lVert w_{j,k}\rVert}{a_{j,k}^2 +
        \lVert w_{j,k}\rVert^2} \qquad \text{(eq. 11)},

    with :math:`(g_j, h_j)` the subgradients of :math:`F` printed under
    Algorithm 1 (or of the L2 objective, eq. 13). :math:`\eta_{j,k} = 0`
    for a unit with :math:`a_j = 0` or :math:`w_j = 0`.
    """

    def __init__(self, step):
        self.step = step

    def init(self, a, W):
        return {}

    def update(self, a, W, terms, state, model, generator):
        ga, gW = model.gradient(a, W, terms)
        norms = terms.norms
        denom = a**2 + norms**2
        eta = self.step * a.abs() * norms / denom.clamp_min(np.finfo(float).tiny)
        return a - eta * ga, W - eta[:, None] * gW, state


class MeanFieldStep:
    r"""Gradient step on the particles in the mean-field time scale, optionally noisy.

    .. math::

        (a_j, w_j) \leftarrow (a_j, w_j) - \gamma M\,\nabla_{(a_j, w_j)} F
        + \sqrt{2\lambda_p\gamma}\,\xi_j, \qquad \xi_j\sim N(0, I_{1+d}),

    :math:`M\nabla_j F` being the gradient of the first variation
    :math:`g(\rho, u, \theta)` (Fang, Dong & Zhang, eq. 18-20), so that the
    step :math:`\gamma` does not depend on the width. ``noise`` is
    :math:`\lambda_p` (0: Chizat & Bach's particle gradient descent).
    """

    def __init__(self, step, noise=0.0):
        self.step = step
        self.noise = noise

    def init(self, a, W):
        return {}

    def update(self, a, W, terms, state, model, generator):
        import torch

        ga, gW = model.gradient(a, W, terms)
        M = a.shape[0]
        a = a - self.step * M * ga
        W = W - self.step * M * gW
        if self.noise > 0:
            std = float(np.sqrt(2.0 * self.noise * self.step))
            a = a + std * torch.randn(a.shape, generator=generator, dtype=a.dtype, device=a.device)
            W = W + std * torch.randn(W.shape, generator=generator, dtype=W.dtype, device=W.device)
        return a, W, state


class ConicStep:
    r"""Conic particle gradient descent (Chizat, 2022): mirror step on masses, retraction on positions.

    With :math:`a_j = \varepsilon_j r_j` (:math:`r_j > 0`, fixed sign
    :math:`\varepsilon_j`), unit :math:`\theta_j = w_j`, and the first
    variation :math:`J'_\nu(\theta) = \lambda(1 - \eta(\theta))` of
    :math:`J` for a positive atom (its sign flipped for a negative one),

    .. math::

        r_j \leftarrow r_j\exp\bigl(-\alpha\,\varepsilon_j J'_\nu(\theta_j)\bigr), \qquad
        \theta_j \leftarrow R_{\theta_j}\bigl(-\beta\,\varepsilon_j
        \operatorname{grad} J'_\nu(\theta_j)\bigr),

    with :math:`R_\theta(v) = (\theta + v)/\lVert\theta + v\rVert` and
    :math:`\operatorname{grad}` the Riemannian gradient on the sphere.
    """

    def __init__(self, step_weight, step_position):
        self.step_weight = step_weight
        self.step_position = step_position

    def init(self, a, W):
        return {}

    def update(self, a, W, terms, state, model, generator):
        import torch

        sign = torch.sign(a)
        first_variation = sign * terms.c + model.reg  # eps_j J'(theta_j)
        a = a * torch.exp(-self.step_weight * first_variation)
        T = W / terms.norms[:, None]
        G = sign[:, None] * terms.B
        G = G - (G * T).sum(dim=1, keepdim=True) * T
        W = T - self.step_position * G
        W = W / torch.linalg.vector_norm(W, dim=1, keepdim=True)
        return a, W, state


# ---------------------------------------------------------------------- loop
@dataclass
class _Run:
    """Mutable state of one run: what a checkpoint stores."""

    iteration: int
    a: object
    W: object
    state: dict
    history: dict
    elapsed: float
    last_check: float


def _resolve_dtype(dtype):
    import torch

    if dtype is None:
        return torch.float64
    if isinstance(dtype, torch.dtype):
        return dtype
    if isinstance(dtype, str) and isinstance(getattr(torch, dtype, None), torch.dtype):
        return getattr(torch, dtype)
    raise ValueError(f"dtype must be a torch floating dtype or its name ('float64'); got {dtype!r}")


class ParticleSolver(Solver):
    r"""The particle loop shared by every particle method.

    The loop owns iteration, minibatches, stopping, history, callback,
    progress bar, checkpoints and the final certificate; a step rule
    (``_rule()``) owns the update. Subclasses set the scaling :math:`s`,
    whether units read directions, the penalty and the initialization.

    Parameters
    ----------
    width : int
        Number of particles :math:`M \ge 1`.
    max_iter : int
        Iteration limit.
    tol : float, default=1e-10
        Stop (status ``"stationary"``) when :math:`J(\nu)` changes by at
        most ``tol * J`` over ``check_every`` iterations.
    gap_tol : float or None, default=1e-3
        Every ``check_every`` iterations a cheap estimate of the relative
        duality gap (``monitor_oracle``) is computed; the run stops when it
        is at most ``gap_tol``. The final certificate then decides the
        status: ``"optimal"`` if the certified relative gap is at most
        ``gap_tol``, ``"optimal_inaccurate"`` if only the estimate was.
        ``None`` turns the check off.
    check_every : int, default=2000
        Iterations between stopping checks.
    batch_size : int or None, default=None
        Minibatch size (samples drawn without replacement each step);
        ``None`` for full-batch gradients.
    init : tuple (a, W) of arrays, optional
        Initial output weights, shape ``(width,)``, and hidden weights,
        shape ``(width, d)``; overrides the method's initialization.
    seed : int, default=0
        Seeds the initialization, the minibatches and the noise.
    device : str, default="cpu"
        Torch device.
    dtype : torch.dtype or str, default=torch.float64
    record_every : int, default=20
        Iterations between history records (and callback calls).
    callback : callable, optional
        ``callback(iteration, a, W)`` with the current torch tensors, at
        every record.
    checkpoint : str or path, optional
        File to save the run to every ``checkpoint_every`` iterations.
    checkpoint_every : int, default=1000
    resume : str or path, optional
        Checkpoint to continue from; the continued run follows the same
        trajectory as an uninterrupted one.
    certify : bool, default=True
        Compute the final duality gap with ``certificate_oracle``. In
        :math:`d \ge 4` the certified oracle (branch and bound) can take
        tens of seconds; pass a grid oracle or ``certify=False`` (then
        ``dual_gap`` is ``nan``) for quick runs.
    certificate_oracle : object with ``maximize(problem, q)``, optional
        The problem's certified oracle by default.
    monitor_oracle : object with ``maximize(problem, q)``, optional
        Oracle of the in-run gap estimate; ``LocalOracle(grid=1000,
        n_starts=2)`` by default.
    verbose : bool, default=False
        Show a progress bar.

    Notes
    -----
    ``Result.dual_gap`` bounds :math:`J(\nu) - J^\star` for the problem
    ``stats["gap_scope"]`` names (``"sphere"``, the continuous problem, with
    the default oracle). ``Result.objective`` is :math:`J(\nu)`;
    ``stats["network_objective"]`` is :math:`F(a, W) \ge J(\nu)`, and
    ``stats["a"]``, ``stats["W"]`` are the network's parameters. Statuses:
    ``"optimal"`` (certified relative gap :math:`\le` ``gap_tol``; with
    ``certify=False``, the estimate), ``"optimal_inaccurate"`` (see
    ``gap_tol``),
    ``"stationary"`` (the objective stopped changing but the certificate
    does not prove optimality: a spurious stationary point, or particles
    that cannot reach the missing directions), ``"max_iter"``, and
    ``"numerical_error"`` (a non-finite loss; the result holds the last
    finite iterate). ``history`` holds ``iteration``, ``objective``
    (:math:`J(\nu)`, full batch), ``network_objective``, ``n_effective``
    (:func:`~measureopt.effective_neurons`) and ``elapsed`` (seconds since
    the start, resumed runs included).
    """

    _requires = {"loss": ("squared", "logistic"), "penalty": ("tv",)}
    _penalty = "l1"

    def _init_loop(self, width, max_iter, tol=1e-10, gap_tol=1e-3, check_every=2000,
                   batch_size=None, init=None, seed=0, device="cpu", dtype=None, record_every=20,
                   callback=None, checkpoint=None, checkpoint_every=1000, resume=None, certify=True,
                   certificate_oracle=None, monitor_oracle=None, verbose=False):
        self.width = check_int(width, "width", minimum=1)
        self.max_iter = check_int(max_iter, "max_iter", minimum=0)
        self.tol = check_positive(tol, "tol", strict=False)
        self.gap_tol = None if gap_tol is None else check_positive(gap_tol, "gap_tol")
        self.check_every = check_int(check_every, "check_every", minimum=1)
        self.batch_size = None if batch_size is None else check_int(batch_size, "batch_size", minimum=1)
        self.init = init
        self.seed = check_int(seed, "seed", minimum=0)
        self.device = device
        self.dtype = _resolve_dtype(dtype)
        self.record_every = check_int(record_every, "record_every", minimum=1)
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be callable; got {type(callback).__name__}")
        self.callback = callback
        self.checkpoint = checkpoint
        self.checkpoint_every = check_int(checkpoint_every, "checkpoint_every", minimum=1)
        self.resume = resume
        self.certify = bool(certify)
        for name, value in (("certificate_oracle", certificate_oracle), ("monitor_oracle", monitor_oracle)):
            if value is not None and not callable(getattr(value, "maximize", None)):
                raise TypeError(f"{name} must have a maximize(problem, q) method; got {type(value).__name__}")
        self.certificate_oracle = certificate_oracle
        self.monitor_oracle = monitor_oracle
        self.verbose = verbose

    # -- what subclasses define
    @abstractmethod
    def _rule(self):
        """The step rule object (``init``/``update``)."""

    def _scale(self):
        return 1.0

    def _on_sphere(self, problem):
        return False

    @abstractmethod
    def _initial(self, problem, rng):
        """Default initial parameters ``(a, W)`` as NumPy arrays."""

    def _penalty_for(self, problem):
        return self._penalty

    def _convergence_hint(self):
        return "Increase max_iter, the width, or change the step size."

    # -- the loop
    def _check_init(self, problem):
        a, W = self._unpack_init(self.init)
        a = check_array(a, "init[0] (a)", ndim=1, shape=(self.width,))
        W = check_array(W, "init[1] (W)", ndim=2, shape=(self.width, problem.dim))
        return a, W

    @staticmethod
    def _unpack_init(init):
        if not (isinstance(init, (tuple, list)) and len(init) == 2):
            raise TypeError(f"init must be a pair (a, W) of arrays; got {type(init).__name__}")
        return init

    def _model(self, problem):
        from ._torch_model import TwoLayer

        return TwoLayer(problem, self._scale(), self._on_sphere(problem), self._penalty_for(problem),
                        self.device, self.dtype)

    def _start(self, problem):
        import torch

        if self.resume is not None:
            return self._load(self.resume, problem)
        if self.init is not None:
            a, W = self._check_init(problem)
        else:
            a, W = self._initial(problem, np.random.default_rng(self.seed))
        a = torch.as_tensor(a, dtype=self.dtype, device=self.device)
        W = torch.as_tensor(W, dtype=self.dtype, device=self.device)
        rule = self._rule()
        return _Run(0, a, W, rule.init(a, W), {k: [] for k in _HISTORY}, 0.0, np.nan), None

    def _save(self, run, generator_state):
        import torch

        payload = {
            "solver": type(self).__name__, "iteration": run.iteration, "a": run.a.cpu(),
            "W": run.W.cpu(), "state": run.state, "history": run.history, "elapsed": run.elapsed,
            "last_check": run.last_check,
            "generator": generator_state,
        }
        tmp = f"{self.checkpoint}.tmp"
        torch.save(payload, tmp)
        os.replace(tmp, self.checkpoint)

    def _load(self, path, problem):
        import torch

        if not os.path.exists(path):
            raise FileNotFoundError(f"resume: no checkpoint at {path!s}")
        data = torch.load(path, map_location="cpu", weights_only=True)
        if data.get("solver") != type(self).__name__:
            raise ValueError(f"resume: checkpoint {path!s} was written by {data.get('solver')}, not {type(self).__name__}")
        expected = (self.width, problem.dim)
        if tuple(data["W"].shape) != expected:
            raise ValueError(f"resume: checkpoint has W of shape {tuple(data['W'].shape)}; expected {expected}")
        run = _Run(int(data["iteration"]), data["a"].to(self.device, self.dtype),
                   data["W"].to(self.device, self.dtype), data["state"],
                   {k: list(v) for k, v in data["history"].items()}, float(data["elapsed"]),
                   float(data["last_check"]))
        return run, data["generator"]

    def _measure(self, model, a, W):
        return network_measure(a.detach().cpu().double().numpy(), W.detach().cpu().double().numpy(),
                               scale=model.scale, degree=model.degree)

    def _solve(self, problem):
        import torch

        model = self._model(problem)
        rule = self._rule()
        run, gen_state = self._start(problem)
        generator = torch.Generator(device=self.device)
        generator.manual_seed(self.seed)
        if gen_state is not None:
            generator.set_state(gen_state)
        monitor = LocalOracle(grid=1000, n_starts=2) if self.monitor_oracle is None else self.monitor_oracle
        cert_oracle = self.certificate_oracle
        bar = None
        if self.verbose:
            from tqdm.auto import tqdm

            bar = tqdm(total=self.max_iter, initial=run.iteration, desc=type(self).__name__, unit="it", leave=False)
        start = time.perf_counter() - run.elapsed
        status, message, reason = Status.MAX_ITER, "", None
        a, W, state = run.a, run.W, run.state
        n, bs = model.n, self.batch_size
        k = run.iteration
        resumed_at = run.iteration if self.resume is not None else -1
        last = (a, W)
        while True:
            if self.checkpoint is not None:
                gen_state = generator.get_state()  # a checkpoint at k resumes before k's draws
            idx = None
            if bs is not None and bs < n:
                idx = torch.randperm(n, generator=generator, device=self.device)[:bs]
            terms = model.terms(a, W, idx)
            if not bool(torch.isfinite(terms.loss)) or not bool(torch.all(torch.isfinite(terms.c))):
                status = Status.NUMERICAL_ERROR
                message = f"non-finite loss at iteration {k}; returning the last finite iterate (iteration {max(k - 1, 0)})"
                a, W = last
                k = max(k - 1, 0)
                break
            record = (k % self.record_every == 0 or k == self.max_iter) and k != resumed_at
            check = k % self.check_every == 0 and k > run.iteration
            if record or check:
                full = terms if idx is None else model.terms(a, W)
                loss = float(full.loss)
                objective = loss + model.reg * float(model.tv(a, full.norms))
            if record:
                h = run.history
                h["iteration"].append(k)
                h["objective"].append(objective)
                h["network_objective"].append(loss + float(model.penalty(a, full.norms)))
                h["n_effective"].append(effective_neurons(self._measure(model, a, W)))
                h["elapsed"].append(time.perf_counter() - start)
                if self.callback is not None:
                    self.callback(k, a, W)
                if bar is not None:
                    bar.update(k - bar.n)
                    bar.set_postfix(objective=f"{objective:.6g}")
            if check:
                stop, reason = self._check(problem, model, a, W, objective, run, monitor)
                if stop:
                    break
            if k >= self.max_iter:
                break
            if self.checkpoint is not None and k % self.checkpoint_every == 0 and k > run.iteration:
                run.a, run.W, run.state, run.iteration = a, W, state, k
                run.elapsed = time.perf_counter() - start
                self._save(run, gen_state)
            last = (a, W)
            a, W, state = rule.update(a, W, terms, state, model, generator)
            k += 1
        if bar is not None:
            bar.close()
        if self.checkpoint is not None:
            run.a, run.W, run.state, run.iteration = a, W, state, k
            run.elapsed = time.perf_counter() - start
            self._save(run, gen_state)
        return self._finish(problem, model, a, W, k, status, reason, message, run.history, cert_oracle)

    def _check(self, problem, model, a, W, objective, run, monitor):
        """Stopping tests every ``check_every`` iterations: the gap estimate, then the objective change."""
        if self.gap_tol is not None:
            measure = self._measure(model, a, W)
            estimate = problem.dual_certificate(measure, monitor).gap / max(objective, np.finfo(float).tiny)
            if estimate <= self.gap_tol:
                return True, "gap"
        if np.isfinite(run.last_check) and abs(run.last_check - objective) <= self.tol * abs(objective):
            return True, "stationary"
        run.last_check = objective
        return False, None

    def _finish(self, problem, model, a, W, k, status, reason, message, history, cert_oracle):
        import torch

        measure = self._measure(model, a, W)
        full = model.terms(a, W)
        network_objective = float(full.loss + model.penalty(a, full.norms))
        gap, scope, sup_eta, rel = np.nan, "none", np.nan, np.nan
        if self.certify:
            cert = problem.dual_certificate(measure, cert_oracle)
            gap, scope, sup_eta, rel = cert.gap, cert.scope, cert.sup_eta, cert.relative_gap
        if status is not Status.NUMERICAL_ERROR:
            certified = self.gap_tol is not None and rel <= self.gap_tol
            if certified:
                status = Status.OPTIMAL
            elif reason == "gap":
                status = Status.OPTIMAL_INACCURATE if self.certify else Status.OPTIMAL
            elif reason == "stationary":
                status = Status.STATIONARY
        if not message:
            what = {
                Status.OPTIMAL: "optimal" + (" (certified)" if self.certify else " (gap estimate)"),
                Status.OPTIMAL_INACCURATE: f"the gap estimate fell below gap_tol={self.gap_tol} "
                                           "but the final certificate is looser",
                Status.STATIONARY: "the objective stopped changing, but the certificate does not prove optimality",
                Status.MAX_ITER: "iteration limit reached",
            }[status]
            message = f"{k} iterations: {what}; relative gap {rel:.2e} ({scope})"
        stats = {
            "gap_scope": scope, "sup_eta": sup_eta, "network_objective": network_objective,
            "a": a.detach().cpu().double().numpy(), "W": W.detach().cpu().double().numpy(),
            "scale": model.scale, "degree": model.degree, "width": self.width,
            "device": str(torch.device(self.device)), "dtype": str(self.dtype),
            "stop_reason": reason or ("numerical_error" if status is Status.NUMERICAL_ERROR else "max_iter"),
        }
        return Outcome(measure=measure, status=status, n_iter=k, dual_gap=gap, message=message,
                       history={key: np.asarray(v, dtype=float) for key, v in history.items()},
                       stats=stats)



def _split_signs(width):
    """+1 for the first half of the units, -1 for the second (Algorithm 1's initialization)."""
    signs = -np.ones(width)
    signs[: width // 2] = 1.0
    return signs


# ------------------------------------------------------------------ methods
class NormDependentGD(ParticleSolver):
    r"""Norm-dependent gradient descent (Akiyama & Suzuki, 2021, Algorithm 1).

    Minimizes, for ReLU units :math:`f(x) = \sum_{j=1}^M a_j\sigma(\langle
    w_j, x\rangle)`,

    .. math::

        F(\Theta) = \frac1{2n}\sum_{i=1}^n\bigl(y_i - f(x_i;\Theta)\bigr)^2
        + \lambda\sum_{j=1}^M |a_j|\lVert w_j\rVert \quad\text{(eq. 4)}
        \qquad\text{or}\qquad + \frac\lambda2\sum_j\bigl(a_j^2 +
        \lVert w_j\rVert^2\bigr)\quad\text{(eq. 13)},

    by :math:`a_{j,k+1} = a_{j,k} - \eta_{j,k}g_j`, :math:`w_{j,k+1} =
    w_{j,k} - \eta_{j,k}h_j` with

    .. math::

        g_j = \frac1n\sum_i (f(x_i) - y_i)\,\sigma(\langle w_j, x_i\rangle)
        + \lambda\operatorname{sgn}(a_j)\lVert w_j\rVert, \quad
        h_j = \frac1n\sum_i (f(x_i) - y_i)\,a_j x_i
        \mathbb{1}\{\langle w_j, x_i\rangle \ge 0\} + \lambda\frac{|a_j|
        w_j}{\lVert w_j\rVert},

    and the norm-dependent step :math:`\eta_{j,k} = \alpha|a_{j,k}|\lVert
    w_{j,k}\rVert / (a_{j,k}^2 + \lVert w_{j,k}\rVert^2)` (eq. 11), which
    keeps the sign of each :math:`a_j`. Initialization: :math:`a_{j,0} =
    2/M` for the first half, :math:`-2/M` for the second, :math:`w_{j,0}
    \sim \mathrm{Unif}(\mathbb{S}^{d-1})`. The problem's ``reg`` is
    :math:`\lambda`.

    Parameters
    ----------
    width : int, default=100
        :math:`M`.
    step : float, default=2.0
        :math:`\alpha` of eq. (11).
    penalty : {"l1", "l2"}, default="l1"
        eq. (4) or eq. (13).
    max_iter : int, default=20000
    **kwargs
        Loop options of :class:`ParticleSolver` (``tol``, ``gap_tol``,
        ``batch_size``, ``init``, ``seed``, ``device``, ``dtype``,
        ``callback``, ``checkpoint``, ``resume``, ``verbose``, ...).

    References
    ----------
    S. Akiyama and T. Suzuki. On learnability via gradient method for two-layer
    ReLU neural networks in teacher-student setting. ICML 2021, Algorithm 1,
    eq. (4), (11), (13).

    Examples
    --------
    >>> import warnings
    >>> import measureopt as mo, solvers
    >>> data = mo.teacher_student(n=50, d=3, m=2, seed=0)
    >>> prob = mo.BLASSO(data.X, data.y, reg=1e-2)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     res = solvers.NormDependentGD(width=20, max_iter=200).solve(prob)
    >>> res.measure.n_atoms
    20
    """

    _requires = {"loss": ("squared",), "penalty": ("tv",), "relu": True}
    _what = "is Algorithm 1 for ReLU units"

    def __init__(self, width=100, step=2.0, penalty="l1", max_iter=20000, **kwargs):
        if penalty not in ("l1", "l2"):
            raise ValueError(f"penalty must be 'l1' or 'l2'; got {penalty!r}")
        self.step = check_positive(step, "step")
        self.penalty = penalty
        self._init_loop(width, max_iter, **kwargs)


    def _rule(self):
        return NormDependentStep(self.step)

    def _penalty_for(self, problem):
        return self.penalty

    def _initial(self, problem, rng):
        M = self.width
        return _split_signs(M) * 2.0 / M, sample_sphere(M, problem.dim, seed=rng)


class ParticleGD(ParticleSolver):
    r"""Particle gradient descent of Chizat & Bach (2018), as in Berthier et al. (2020, Sec. 4.3, 5).

    The measure is discretized into :math:`M` particles with the mean-field
    scaling :math:`\mu = \frac{\alpha}{M}\sum_j a_j\delta_{w_j}` (Berthier
    eq. 9; Fang, Dong & Zhang eq. 1 with output scaling :math:`\alpha`):

    .. math::

        F(a, W) = \frac1{2n}\sum_i\Bigl(y_i - \frac{\alpha}{M}\sum_j a_j
        \sigma(\langle w_j, x_i\rangle)\Bigr)^2 + \text{penalty},

    and each particle moves by :math:`(a_j, w_j) \leftarrow (a_j, w_j) -
    \gamma M\nabla_{(a_j, w_j)}F` (:class:`MeanFieldStep`, the
    discretized Wasserstein gradient flow).

    * ReLU (2-homogeneous particle :math:`a\sigma(\langle w, x\rangle)`):
      penalty :math:`\frac{\lambda\alpha}{2M}\sum_j(a_j^2 + \lVert
      w_j\rVert^2) \ge \lambda\lVert\nu\rVert_{TV}` (Fang, Dong & Zhang's
      :math:`R(u, \theta)` with :math:`\lambda_u = \lambda_\theta =
      \alpha\lambda`); initialization :math:`(a_j, w_j)` Gaussian, rescaled
      to the sphere of radius ``r0`` in :math:`\mathbb{R}^{1+d}`
      (Proposition 4.1).
    * Other activations (sigmoid, tanh, ...; 1-homogeneous in :math:`a`
      only): units read the direction :math:`w_j/\lVert w_j\rVert`, so the
      measure lives on the sphere like BLASSO's; penalty
      :math:`\frac{\lambda\alpha}{M}\sum_j|a_j| = \lambda\lVert\nu\rVert_{TV}`;
      initialization :math:`a_j = 0`, :math:`w_j` uniform on the sphere
      (Proposition 4.2's separation condition).

    Parameters
    ----------
    width : int, default=100
        :math:`M`.
    step : float, default=0.05
        :math:`\gamma`.
    r0 : float, default=0.05
        Initial radius of the ReLU particles (Berthier et al. found
        :math:`r_0 \ll r`, the teacher's norm, necessary; large :math:`r_0`
        gives lazy training, Sec. 5.3).
    alpha : float, default=1.0
        Output scaling: 1 is the mean-field regime; large :math:`\alpha`
        (with a step :math:`\propto 1/\alpha^2`) approaches the NTK regime.
    max_iter : int, default=20000
    **kwargs
        Loop options of :class:`ParticleSolver`.

    References
    ----------
    L. Chizat and F. Bach. On the global convergence of gradient descent for
    over-parameterized models using optimal transport. NeurIPS 2018.
    R. Berthier, F. Bach, P. Gaillard (2020), eq. (8)-(9), Prop. 4.1-4.2,
    Sec. 5.1 and 5.3. C. Fang, H. Dong, T. Zhang, eq. (1), (16)-(20).
    """

    _noise = 0.0

    def __init__(self, width=100, step=0.05, r0=0.05, alpha=1.0, max_iter=20000, **kwargs):
        self.step = check_positive(step, "step")
        self.r0 = check_positive(r0, "r0")
        self.alpha = check_positive(alpha, "alpha")
        self._init_loop(width, max_iter, **kwargs)


    def _rule(self):
        return MeanFieldStep(self.step, self._noise)

    def _scale(self):
        return self.alpha / self.width

    def _homogeneous(self, problem):
        return getattr(problem.activation, "degree", None) == 1.0

    def _on_sphere(self, problem):
        return not self._homogeneous(problem)

    def _penalty_for(self, problem):
        return "l2" if self._homogeneous(problem) else "l1"

    def _initial(self, problem, rng):
        M, d = self.width, problem.dim
        if self._homogeneous(problem):
            z = rng.standard_normal((M, d + 1))
            z *= self.r0 / np.linalg.norm(z, axis=1, keepdims=True)
            return z[:, 0], z[:, 1:]
        return np.zeros(M), sample_sphere(M, d, seed=rng)


class NoisyParticleGD(ParticleGD):
    r"""Noisy particle gradient descent: entropy regularization (Fang, Dong & Zhang, Sec. V).

    :class:`ParticleGD` plus Gaussian noise :math:`N(0, 2\lambda_p\gamma)`
    on every coordinate of every particle at each step (:class:`MeanFieldStep`):
    the Euler-Maruyama step of

    .. math::

        d[u, \theta] = -\gamma\nabla g(\rho_t, u, \theta)\,dt +
        \sqrt{2\lambda_p\gamma}\,dB_t,

    which minimizes :math:`\phi(\rho) + \lambda_p\int p\log p` (the entropy
    makes the problem strictly convex; its optimum is a smooth density, so
    the particle measure approaches the BLASSO optimum only as
    :math:`\lambda_p \to 0`).

    Parameters
    ----------
    noise : float, default=1e-5
        :math:`\lambda_p \ge 0`.
    width, step, r0, alpha, max_iter, **kwargs
        As in :class:`ParticleGD`.

    References
    ----------
    C. Fang, H. Dong, T. Zhang. Mathematical models of overparameterized
    neural networks. Sec. V (noisy gradient descent and entropy
    regularization).
    """

    def __init__(self, width=100, step=0.05, noise=1e-5, r0=0.05, alpha=1.0, max_iter=20000, **kwargs):
        self.noise = check_positive(noise, "noise", strict=False)
        self._noise = self.noise
        super().__init__(width=width, step=step, r0=r0, alpha=alpha, max_iter=max_iter, **kwargs)



class ConicParticleGD(ParticleSolver):
    r"""Conic particle gradient descent for BLASSO (Chizat, 2022).

    Particles carry a mass :math:`r_j > 0` with a fixed sign
    :math:`\varepsilon_j` and a position :math:`\theta_j` on the sphere:
    :math:`\nu = \sum_j\varepsilon_j r_j\delta_{\theta_j}` and
    :math:`F = J(\nu)` exactly (penalty :math:`\lambda\sum_j r_j`). Each step
    (:class:`ConicStep`) is a mirror (multiplicative) step on the masses and
    a retracted gradient step on the positions, with separate step sizes

    .. math::

        r_j \leftarrow r_j e^{-\alpha\,\varepsilon_j J'_\nu(\theta_j)},\qquad
        \theta_j \leftarrow R_{\theta_j}\bigl(-\beta\,\varepsilon_j
        \operatorname{grad}J'_\nu(\theta_j)\bigr),\qquad
        J'_\nu(\theta) = \lambda\bigl(1 - \eta(\theta)\bigr).

    Their ratio :math:`\beta/\alpha` balances the Fisher-Rao (mass) and
    Wasserstein (transport) parts of the flow: masses regrow at rate
    :math:`\alpha` wherever :math:`|\eta| > 1`, independently of their size,
    which is what lets the method reach the sparse optimum where plain
    particle descent leaves vanished particles behind. Works for any
    activation of the problem. Initialization: masses :math:`\text{mass}/M`,
    the first half positive, positions uniform on the sphere.

    Parameters
    ----------
    width : int, default=100
    step_weight : float, default=5.0
        :math:`\alpha` (mirror step on the masses).
    step_position : float, default=2.0
        :math:`\beta` (step on the positions).
    mass : float, default=2.0
        Initial total variation :math:`\sum_j r_j`.
    max_iter : int, default=50000
    **kwargs
        Loop options of :class:`ParticleSolver`.

    References
    ----------
    L. Chizat. Sparse optimization on measures with over-parameterized
    gradient descent. Mathematical Programming 194, 2022 (conic particle
    gradient descent).
    """

    def __init__(self, width=100, step_weight=5.0, step_position=2.0, mass=2.0, max_iter=50000, **kwargs):
        self.step_weight = check_positive(step_weight, "step_weight")
        self.step_position = check_positive(step_position, "step_position")
        self.mass = check_positive(mass, "mass")
        self._init_loop(width, max_iter, **kwargs)


    def _rule(self):
        return ConicStep(self.step_weight, self.step_position)

    def _on_sphere(self, problem):
        return True

    def _check_init(self, problem):
        a, W = super()._check_init(problem)
        norms = np.linalg.norm(W, axis=1)
        if np.any(norms == 0):
            raise ValueError("init[1] (W) must have nonzero rows (positions on the sphere)")
        return a, W / norms[:, None]

    def _initial(self, problem, rng):
        M = self.width
        return _split_signs(M) * self.mass / M, sample_sphere(M, problem.dim, seed=rng)
