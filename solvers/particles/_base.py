r"""The particle loop shared by every particle method."""

import os
import time
from abc import abstractmethod
from dataclasses import dataclass

import numpy as np

from measureopt._validation import check_array, check_int, check_positive, check_random_state
from measureopt.measures import effective_neurons
from measureopt.networks import network_measure
from measureopt.oracles import LocalOracle, Scope

from .. import _checkpoint
from .._base import Outcome, Solver
from .._loop import progress
from .._result import Status
from .._torch import resolve_device, resolve_dtype

__all__ = ["ParticleSolver"]

_HISTORY = ("iteration", "objective", "network_objective", "n_effective", "elapsed")


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
    stationary_tol : float, default=1e-10
        Stop (status ``"stationary"``) when :math:`J(\nu)` changes by at
        most ``stationary_tol * J`` over ``check_every`` iterations.
    tol : float or None, default=1e-3
        Every ``check_every`` iterations a cheap estimate of the relative
        duality gap (``monitor_oracle``) is computed; the run stops when it
        is at most ``tol``. The final certificate then decides the
        status: ``"optimal"`` if the certified relative gap is at most
        ``tol``, ``"optimal_inaccurate"`` if only the estimate was.
        ``None`` turns the check off.
    check_every : int, default=2000
        Iterations between stopping checks.
    batch_size : int or None, default=None
        Minibatch size (samples drawn without replacement each step);
        ``None`` for full-batch gradients.
    init : tuple (a, W) of arrays, optional
        Initial output weights, shape ``(width,)``, and hidden weights,
        shape ``(width, d)``; overrides the method's initialization.
    random_state : None, int or numpy.random.Generator, default=0
        Seeds the initialization (NumPy) and the minibatches and noise
        (torch). An int gives the same streams as before; a Generator is
        drawn from once, at the first solve.
    device : str, default="cpu"
        Torch device.
    dtype : torch.dtype or str, default=torch.float64
    record_every : int, default=20
        Iterations between history records (and callback calls).
    callback : callable, optional
        ``callback(iteration, a, W)`` with the current torch tensors, at
        every record.
    checkpoint : str or path, optional
        File to save the run to every ``checkpoint_every`` iterations and at
        the end. Checked when ``solve`` starts (its directory must exist and
        be writable; it must not be a directory); written atomically (a
        temporary file in the same directory, then renamed), so an
        interrupted write keeps the previous checkpoint.
    checkpoint_every : int, default=1000
    resume : str or path, optional
        Checkpoint to continue from; the continued run follows the same
        trajectory as an uninterrupted one. The checkpoint must come from
        the same problem (data, ``reg``, loss, activation) and the same
        solver parameters, except those that do not change the trajectory
        (``max_iter``, ``tol``, ``stationary_tol``, ``check_every``,
        ``record_every``, ``callback``, the checkpoint options,
        ``certify``, the oracles, ``polish``, ``verbose``): a mismatch
        raises ``ValueError`` naming what differs. The file is read as data
        only (``weights_only``); a corrupted or truncated file raises
        ``ValueError`` naming it.
    certify : bool, default=True
        Compute the final duality gap with ``certificate_oracle``. The
        default oracle has a budget of the solve's own time or 10 s,
        whichever is larger: past it the gap is a valid bound but not a
        tight one (``stats["gap_exhausted"]``, and the message says so).
        Pass a grid oracle or ``certify=False`` (then ``dual_gap`` is
        ``nan``) for quick runs.
    certificate_oracle : object with ``maximize(problem, q)``, optional
        The problem's certified oracle (with the budget above) by default.
    polish : float, optional
        Seconds of a :class:`~solvers.SlidingFrankWolfe` warm-started from
        the trained measure (its weights re-solved exactly, then atoms
        added and slid; certificates within the same budget). The result
        then holds the polished measure and its certificate, and
        ``stats["network_measure_objective"]`` :math:`J(\nu_{\text{net}})`,
        ``stats["network_gap"]`` (an upper bound on
        :math:`J(\nu_{\text{net}}) - J^\star`: how far the trained
        network was from the optimum) and ``stats["polish_time"]``.
    monitor_oracle : object with ``maximize(problem, q)``, optional
        Oracle of the in-run gap estimate; ``LocalOracle(grid=1000,
        n_starts=2)`` by default.
    verbose : bool, default=False
        Show a progress bar.

    Notes
    -----
    ``Result.dual_gap`` bounds :math:`J(\nu) - J^\star` for the problem
    ``Result.gap_scope`` names (``"sphere"``, the continuous problem, with
    the default oracle). ``Result.objective`` is :math:`J(\nu)`;
    ``stats["network_objective"]`` is :math:`F(a, W) \ge J(\nu)`, and
    ``stats["a"]``, ``stats["W"]`` are the network's parameters. Statuses:
    ``"optimal"`` (certified relative gap :math:`\le` ``tol``; a run with
    ``certify=False`` or an uncertified oracle is never reported optimal:
    :class:`~solvers.Solver` downgrades it), ``"optimal_inaccurate"`` (see
    ``tol``),
    ``"stationary"`` (the objective stopped changing but the certificate
    does not prove optimality: a spurious stationary point, or particles
    that cannot reach the missing directions), ``"max_iter"``, and
    ``"numerical_error"`` (a non-finite loss; the result holds the last
    finite iterate). ``history`` holds ``iteration``, ``objective``
    (:math:`J(\nu)`, full batch), ``network_objective``, ``n_effective``
    (:func:`~measureopt.effective_neurons`, against the problem's
    :meth:`~measureopt.MeasureProblem.weight_scale`) and ``elapsed``
    (seconds since the start, resumed runs included).

    When ``reg >= reg_max`` is certified the zero measure is optimal and
    :class:`~solvers.Solver` returns it without training (no ``stats["a"]``,
    ``stats["W"]``; ``stats["zero_certificate"]`` is ``True``).
    """

    _requires = {"loss": ("squared", "logistic"), "penalty": ("tv",)}
    _penalty = "l1"

    def _init_loop(self, width, max_iter, stationary_tol=1e-10, tol=1e-3, check_every=2000,
                   batch_size=None, init=None, random_state=0, device="cpu", dtype=None, record_every=20,
                   callback=None, checkpoint=None, checkpoint_every=1000, resume=None, certify=True,
                   certificate_oracle=None, monitor_oracle=None, polish=None, verbose=False):
        self.width = check_int(width, "width", minimum=1)
        self.max_iter = check_int(max_iter, "max_iter", minimum=0)
        self.stationary_tol = check_positive(stationary_tol, "stationary_tol", strict=False)
        self.tol = None if tol is None else check_positive(tol, "tol")
        self.check_every = check_int(check_every, "check_every", minimum=1)
        self.batch_size = None if batch_size is None else check_int(batch_size, "batch_size", minimum=1)
        self.init = init
        check_random_state(random_state, "random_state")
        self.random_state = random_state
        resolve_device(device)
        self.device = device
        self.dtype = resolve_dtype(dtype)
        self.record_every = check_int(record_every, "record_every", minimum=1)
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be callable; got {type(callback).__name__}")
        self.callback = callback
        for name, value in (("checkpoint", checkpoint), ("resume", resume)):
            if value is not None and not isinstance(value, (str, os.PathLike)):
                raise TypeError(f"{name} must be a file path (str or os.PathLike) or None; got {type(value).__name__}")
        self.checkpoint = checkpoint
        self.checkpoint_every = check_int(checkpoint_every, "checkpoint_every", minimum=1)
        self.resume = resume
        self.certify = bool(certify)
        for name, value in (("certificate_oracle", certificate_oracle), ("monitor_oracle", monitor_oracle)):
            if value is not None and not callable(getattr(value, "maximize", None)):
                raise TypeError(f"{name} must have a maximize(problem, q) method; got {type(value).__name__}")
        self.certificate_oracle = certificate_oracle
        self.monitor_oracle = monitor_oracle
        self.polish = None if polish is None else check_positive(polish, "polish")
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

    def _failure_hint(self, status):
        return "Lower the step size (the particles diverged), or rescale the data."

    # -- the loop
    def _check_solvable(self, problem):
        if self.init is not None and self.resume is None:
            self._check_init(problem)

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
        from ._model import TwoLayer

        return TwoLayer(problem, self._scale(), self._on_sphere(problem), self._penalty_for(problem),
                        self.device, self.dtype)

    def _start(self, problem, fingerprint):
        import torch

        if self.resume is not None:
            return self._load(self.resume, problem, fingerprint)
        if self.init is not None:
            a, W = self._check_init(problem)
        else:
            a, W = self._initial(problem, np.random.default_rng(self._seeds()[0]))
        a = torch.as_tensor(a, dtype=self.dtype, device=self.device)
        W = torch.as_tensor(W, dtype=self.dtype, device=self.device)
        rule = self._rule()
        return _Run(0, a, W, rule.init(a, W), {k: [] for k in _HISTORY}, 0.0, np.nan), None

    #: Parameters that do not change the trajectory: a run may resume with other values of these.
    _RESUMABLE = ("max_iter", "stationary_tol", "tol", "check_every", "record_every", "callback", "checkpoint",
                  "checkpoint_every", "resume", "certify", "certificate_oracle", "monitor_oracle", "polish",
                  "verbose")

    def _fingerprint(self, problem):
        return _checkpoint.fingerprint(problem, self, ignore=self._RESUMABLE)

    def _save(self, run, generator_state, fingerprint):
        payload = {
            "solver": type(self).__name__, "fingerprint": fingerprint, "iteration": run.iteration,
            "a": run.a.cpu(), "W": run.W.cpu(), "state": run.state, "history": run.history,
            "elapsed": run.elapsed, "last_check": run.last_check,
            "generator": generator_state,
        }
        _checkpoint.save(self.checkpoint, payload)

    def _load(self, path, problem, fingerprint):
        import torch

        data = _checkpoint.load(path, "resume")
        if data.get("solver") != type(self).__name__:
            raise ValueError(f"resume: checkpoint {path!s} was written by {data.get('solver')}, not {type(self).__name__}")
        _checkpoint.check_fingerprint(data.get("fingerprint"), fingerprint, path)
        expected = (self.width, problem.dim)
        if tuple(data["W"].shape) != expected:
            raise ValueError(f"resume: checkpoint has W of shape {tuple(data['W'].shape)}; expected {expected}")
        state = {k: (v.to(self.device) if isinstance(v, torch.Tensor) else v) for k, v in data["state"].items()}
        run = _Run(int(data["iteration"]), data["a"].to(self.device, self.dtype),
                   data["W"].to(self.device, self.dtype), state,
                   {k: list(v) for k, v in data["history"].items()}, float(data["elapsed"]),
                   float(data["last_check"]))
        return run, data["generator"]

    def _seeds(self):
        """``(numpy seed, torch seed)`` from ``random_state``; an int seeds both, as the loop always did."""
        rs = self.random_state
        if rs is None or isinstance(rs, np.random.Generator):
            if not hasattr(self, "_drawn_seeds"):
                rng = rs if rs is not None else np.random.default_rng()
                self._drawn_seeds = tuple(int(x) for x in rng.integers(0, 2**63 - 1, size=2))
            return self._drawn_seeds
        return int(rs), int(rs)

    def _measure(self, model, a, W):
        return network_measure(a.detach().cpu().double().numpy(), W.detach().cpu().double().numpy(),
                               scale=model.scale, degree=model.degree)

    def _solve(self, problem):
        import torch

        # checkpoint paths are checked before any work, not at the first save
        if self.checkpoint is not None:
            _checkpoint.check_path(self.checkpoint, "checkpoint")
        if self.resume is not None:
            _checkpoint.check_path(self.resume, "resume", must_exist=True)
        fingerprint = self._fingerprint(problem) if self.checkpoint is not None or self.resume is not None else None
        model = self._model(problem)
        rule = self._rule()
        run, gen_state = self._start(problem, fingerprint)
        generator = torch.Generator(device=self.device)
        generator.manual_seed(self._seeds()[1])
        if gen_state is not None:
            generator.set_state(gen_state)
        monitor = LocalOracle(grid=1000, n_starts=2) if self.monitor_oracle is None else self.monitor_oracle
        weight_scale = problem.weight_scale()  # the absolute scale of effective_neurons
        cert_oracle = self.certificate_oracle
        bar = progress(self, self.max_iter, initial=run.iteration)
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
                h["n_effective"].append(effective_neurons(self._measure(model, a, W), scale=weight_scale))
                h["elapsed"].append(time.perf_counter() - start)
                if self.callback is not None:
                    self.callback(k, a, W)
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
                self._save(run, gen_state, fingerprint)
            last = (a, W)
            a, W, state = rule.update(a, W, terms, state, model, generator)
            k += 1
        bar.close()
        if self.checkpoint is not None:
            run.a, run.W, run.state, run.iteration = a, W, state, k
            run.elapsed = time.perf_counter() - start
            self._save(run, gen_state, fingerprint)
        return self._finish(problem, model, a, W, k, status, reason, message, run.history, cert_oracle,
                            solve_time=time.perf_counter() - start)

    def _check(self, problem, model, a, W, objective, run, monitor):
        """Stopping tests every ``check_every`` iterations: the gap estimate, then the objective change."""
        if self.tol is not None:
            measure = self._measure(model, a, W)
            estimate = problem.dual_certificate(measure, monitor).gap / max(objective, np.finfo(float).tiny)
            if estimate <= self.tol:
                return True, "gap"
        if np.isfinite(run.last_check) and abs(run.last_check - objective) <= self.stationary_tol * abs(objective):
            return True, "stationary"
        run.last_check = objective
        return False, None

    def _polish(self, problem, measure, network_gap):
        """Warm-started sliding Frank-Wolfe for ``self.polish`` seconds.

        Returns ``(result, stats)``: the polished :class:`~solvers.Result`,
        or ``None`` when it is not better than ``measure``, and the
        ``network_*`` / ``polish_*`` stats (``network_gap``: the smaller of
        the network's own certified gap and :math:`J(\nu) -` the polished
        lower bound).
        """
        import warnings

        from measureopt.exceptions import ConvergenceWarning, SolverFailureWarning

        from ..sliding_frank_wolfe import SlidingFrankWolfe

        start = time.perf_counter()
        sfw = SlidingFrankWolfe(tol=1e-6 if self.tol is None else self.tol, warm_start=measure,
                                max_time=self.polish)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # the polished status is read below
            warnings.simplefilter("ignore", SolverFailureWarning)
            res = sfw.solve(problem)
        before = problem.objective(measure)
        lower = res.objective - res.dual_gap if np.isfinite(res.dual_gap) else -np.inf
        stats = {"network_measure_objective": before, "polish_time": time.perf_counter() - start,
                 "polish_status": str(res.status), "network_gap": min(before - lower, network_gap)}
        return (res if res.objective <= before else None), stats

    def _finish(self, problem, model, a, W, k, status, reason, message, history, cert_oracle, solve_time):
        import torch

        measure = self._measure(model, a, W)
        full = model.terms(a, W)
        network_objective = float(full.loss + model.penalty(a, full.norms))
        gap, scope, sup_eta, rel, exhausted = np.nan, "none", np.nan, np.nan, False
        tick = time.perf_counter()
        if self.certify:
            # the default certificate costs at most the solve's time, or 10 s
            cert = problem.dual_certificate(measure, cert_oracle, max_time=max(10.0, solve_time))
            gap, scope, sup_eta, rel, exhausted = cert.gap, cert.scope, cert.sup_eta, cert.relative_gap, cert.exhausted
        if status is not Status.NUMERICAL_ERROR:
            certified = self.tol is not None and rel <= self.tol
            if certified:
                status = Status.OPTIMAL
            elif reason == "gap":
                status = Status.OPTIMAL_INACCURATE if self.certify else Status.OPTIMAL
            elif reason == "stationary":
                status = Status.STATIONARY
        polish_stats = {}
        if self.polish is not None and status is not Status.NUMERICAL_ERROR:
            polished, polish_stats = self._polish(problem, measure, gap if scope != "none" else np.inf)
            if polished is not None:
                measure, gap, scope, rel = polished.measure, polished.dual_gap, polished.gap_scope, polished.relative_gap
                sup_eta, exhausted = polished.stats.get("sup_eta", np.nan), polished.stats["gap_exhausted"]
                if polished.status.success:
                    status = polished.status
                message = (f"polished by sliding Frank-Wolfe in {polish_stats['polish_time']:.1f} s: "
                           f"J {polish_stats['network_measure_objective']:.8g} -> {polished.objective:.8g}; "
                           f"the network is at most {polish_stats['network_gap']:.3e} above J*")
        if not message:
            # Solver.solve downgrades "optimal" when the scope is not certified; say so here too
            certified_scope = scope in (Scope.GRID, Scope.SPHERE)
            what = {
                Status.OPTIMAL: "optimal" + (" (certified)" if certified_scope else " (gap estimate)"),
                Status.OPTIMAL_INACCURATE: f"the gap estimate fell below tol={self.tol} "
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
            "certificate_time": time.perf_counter() - tick, **polish_stats,
            "stop_reason": reason or ("numerical_error" if status is Status.NUMERICAL_ERROR else "max_iter"),
        }
        return Outcome(measure=measure, status=status, n_iter=k, dual_gap=gap, message=message,
                       gap_exhausted=exhausted,
                       history={key: np.asarray(v, dtype=float) for key, v in history.items()},
                       stats=stats)
