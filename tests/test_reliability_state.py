"""Issue 14, "state changes are safe": merge, large-p Wasserstein, checkpoints and resume, CLI arguments.

Each test reproduces one finding of the issue; it fails on the code before
the fix and passes after.
"""

import itertools
import os
import re
import time

import numpy as np
import pytest

import measureopt as mo
import solvers
from solvers.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::measureopt.ConvergenceWarning")


# ----------------------------------------------------------------- merge
def _ring(n=40):
    t = 2 * np.pi * np.arange(n) / n
    return mo.DiscreteMeasure(np.ones(n), np.c_[np.cos(t), np.sin(t)])


def _relu_prediction(measure, X):
    return np.maximum(X @ measure.support.T, 0.0) @ measure.weights


def test_merge_does_not_chain_through_a_ring():
    ring = _ring(40)
    spacing = 2 * np.pi / 40
    tol = 0.2  # > spacing: neighbours may merge, the whole ring may not
    merged = ring.merge(tol)
    assert merged.n_atoms > 1
    np.testing.assert_allclose(merged.mass, 40.0)
    np.testing.assert_allclose(np.linalg.norm(merged.support, axis=1), 1.0)
    # unit weights: an atom of weight k merged k consecutive ring atoms, of diameter (k - 1) * spacing
    sizes = np.rint(merged.weights).astype(int)
    np.testing.assert_allclose(merged.weights, sizes)
    assert np.all((sizes - 1) * spacing <= tol + 1e-12)
    # and every ring atom lies within tol of the atom it went into
    assert np.all(ring.nearest_distance(merged) <= tol)


def test_merge_keeps_an_antipodal_pair_and_never_makes_nan():
    pair = mo.DiscreteMeasure([1.0, 1.0], [[1.0, 0.0], [-1.0, 0.0]])
    for tol in (2.5, np.pi, 4.0):  # chord 2 < 2.5; geodesic pi <= pi, 4
        merged = pair.merge(tol)
        assert merged.n_atoms == 2
        assert np.all(np.isfinite(merged.support))
    # near-antipodal with slightly unequal weights: the mean direction is rounding noise, keep both
    near = mo.DiscreteMeasure([1.0, 0.999], [[1.0, 0.0], [-1.0, 1e-9]])
    assert near.merge(4.0).n_atoms == 2
    # opposite signs on antipodal atoms
    signed = mo.DiscreteMeasure([1.0, -1.0], [[0.0, 1.0], [0.0, -1.0]])
    assert signed.merge(4.0).n_atoms == 2


@pytest.mark.parametrize("tol", [1e-3, 0.05, 0.2, 0.5])
def test_merged_prediction_within_the_documented_bound(tol):
    # |f_merged(x) - f(x)| <= Lip(sigma) * |x| * tol * (|weight| of the merged atoms) <= |x| * tol * TV
    rng = np.random.default_rng(1)
    centres = mo.sample_sphere(3, 6, seed=2)
    support = np.repeat(centres, 5, axis=0) + 0.3 * tol * rng.standard_normal((30, 3))
    support /= np.linalg.norm(support, axis=1, keepdims=True)
    mu = mo.DiscreteMeasure(rng.uniform(-1, 1, 30), support)
    X = rng.standard_normal((200, 3))
    for measure in (mu, _ring(40)):
        Xm = X[:, : measure.dim]
        merged = measure.merge(tol)
        err = np.abs(_relu_prediction(merged, Xm) - _relu_prediction(measure, Xm))
        bound = np.linalg.norm(Xm, axis=1) * tol * measure.total_variation
        assert np.all(err <= bound + 1e-12)


def test_merge_tol_zero_merges_only_coincident_atoms():
    mu = mo.DiscreteMeasure([1.0, 2.0, 3.0], [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    merged = mu.merge(0.0)
    assert merged.n_atoms == 2
    np.testing.assert_allclose(np.sort(merged.weights), [3.0, 3.0])
    # a solver that allows merge_tol=0 runs
    data = mo.teacher_student(n=20, d=3, m=2, seed=0)
    prob = mo.BLASSO(data.X, data.y, reg=1e-2)
    res = solvers.SlidingFrankWolfe(max_iter=3, merge_tol=0.0, warm_start=data.teacher).solve(prob)
    assert np.isfinite(res.objective)


# ----------------------------------------------------------------- Wasserstein at large p
def _geodesic(a, b):
    return np.arccos(np.clip(a @ b.T, -1.0, 1.0))


def _exact_uniform_wp(cost, p):
    """W_p between uniform measures with as many atoms: min over permutations, in log space."""
    n = cost.shape[0]
    best = -np.inf
    logs = []
    for perm in itertools.permutations(range(n)):
        terms = p * np.log(cost[np.arange(n), list(perm)])
        top = terms.max()
        logs.append(top + np.log(np.exp(terms - top).sum()))
    best = min(logs)
    return float(np.exp((best - np.log(n)) / p))


@pytest.fixture
def close_pair():
    """Two measures 0.02-0.08 rad apart atom by atom, spread over the sphere."""
    rng = np.random.default_rng(5)
    base = mo.sample_sphere(3, 5, seed=6)
    moved = base + 0.05 * rng.standard_normal((5, 3))
    moved /= np.linalg.norm(moved, axis=1, keepdims=True)
    return mo.DiscreteMeasure(np.ones(5), base), mo.DiscreteMeasure(np.ones(5), moved)


@pytest.mark.parametrize("p", [2, 50, 400, 700, 5000])
def test_wasserstein_large_p_is_exact(close_pair, p):
    mu, nu = close_pair
    expected = _exact_uniform_wp(_geodesic(mu.support, nu.support), p)
    np.testing.assert_allclose(mo.wasserstein(mu, nu, p=p), expected, rtol=1e-9)


def test_wasserstein_large_p_finite_and_monotone():
    rng = np.random.default_rng(0)
    for mu, nu in [
        (mo.DiscreteMeasure(rng.uniform(0.1, 1, 5), mo.sample_sphere(3, 5, seed=1)),
         mo.DiscreteMeasure(rng.uniform(0.1, 1, 7), mo.sample_sphere(3, 7, seed=2))),
        # nearly identical measures with atoms across the sphere: cost ratio 1e-2 underflows at p = 400
        (mo.DiscreteMeasure([1.0, 2.0, 0.5], [[1, 0, 0], [0, 1, 0], [0, 0, -1.0]]),
         mo.DiscreteMeasure([1.0, 2.0, 0.5], [[np.cos(0.01), np.sin(0.01), 0], [0, 1, 0], [0, 0, -1.0]])),
        # far apart: cost near pi overflows pi**700
        (mo.DiscreteMeasure([1.0, 1.0], [[1, 0, 0], [0, 1, 0]]),
         mo.DiscreteMeasure([1.0, 1.0], [[-1, 0, 0], [0, -np.cos(0.1), np.sin(0.1)]])),
    ]:
        ps = [1, 2, 10, 100, 400, 700, 2000]
        values = [mo.wasserstein(mu, nu, p=p) for p in ps]
        winf = mo.wasserstein(mu, nu, p=np.inf)
        assert np.all(np.isfinite(values))
        assert values[0] > 0
        assert np.all(np.diff(values) >= -1e-12 * winf)
        assert values[-1] <= winf * (1 + 1e-12)
        details = mo.wasserstein_details(mu, nu, p=700)
        np.testing.assert_allclose(details.distance, values[ps.index(700)], rtol=1e-12)
        assert np.isfinite(details.positive)


def test_layer_wasserstein_large_p_is_finite():
    from measureopt.deep import LayeredMeasure, layer_wasserstein

    def layered(seed):
        r = np.random.default_rng(seed)
        atoms = [r.standard_normal((3, 2)) * 4, r.standard_normal((2, 6)) * 4]
        return LayeredMeasure(atoms, [np.full(3, 1 / 3), np.full(2, 0.5)], [np.ones(3), np.ones(2)],
                              [r.standard_normal((3, 2))], r.standard_normal((2, 1)), "tanh")

    mu, nu = layered(1), layered(2)
    w2, w700, winf = (np.array(layer_wasserstein(mu, nu, p=p)) for p in (2, 700, np.inf))
    assert np.all(np.isfinite(w700)) and np.all(w700 > 0)
    assert np.all(w2 <= w700 * (1 + 1e-12)) and np.all(w700 <= winf * (1 + 1e-12))


# ----------------------------------------------------------------- checkpoints and resume
@pytest.fixture(scope="module")
def small():
    data = mo.teacher_student(n=12, d=3, m=2, seed=3, noise=0.05)
    return data, mo.BLASSO(data.X, data.y, reg=0.02)


_KW = dict(width=6, step_size=0.05, random_state=3, record_every=5, tol=None, certify=False)


@pytest.fixture
def saved(small, tmp_path):
    _, prob = small
    path = tmp_path / "run.pt"
    solvers.ParticleGD(max_iter=10, checkpoint=path, checkpoint_every=5, **_KW).solve(prob)
    return path


def test_resume_same_problem_and_solver_still_works(small, saved):
    _, prob = small
    full = solvers.ParticleGD(max_iter=20, **_KW).solve(prob)
    resumed = solvers.ParticleGD(max_iter=20, resume=saved, **_KW).solve(prob)
    np.testing.assert_array_equal(resumed.stats["W"], full.stats["W"])


@pytest.mark.parametrize(
    "change, match",
    [
        ("reg", r"reg \(checkpoint 0\.02, now 0\.03\)"),
        ("y", r"data \(X, y\)"),
        ("X", r"data \(X, y\)"),
        ("activation", r"activation"),
    ],
)
def test_resume_refuses_another_problem(small, saved, change, match):
    data, _ = small
    X, y, reg, act = data.X, data.y, 0.02, "relu"
    if change == "reg":
        reg = 0.03
    elif change == "y":
        y = y + 1e-9
    elif change == "X":
        X = X.copy()
        X[0, 0] += 1e-9
    else:
        act = "sigmoid"
    other = mo.BLASSO(X, y, reg=reg, activation=act)
    with pytest.raises(ValueError, match=match) as exc:
        solvers.ParticleGD(max_iter=20, resume=saved, **_KW).solve(other)
    assert str(saved) in str(exc.value)


@pytest.mark.parametrize(
    "solver, match",
    [
        (solvers.ParticleGD(max_iter=20, **{**_KW, "step_size": 0.1}), r"step_size \(checkpoint 0\.05, now 0\.1\)"),
        (solvers.ParticleGD(max_iter=20, **{**_KW, "random_state": 4}), r"random_state"),
        (solvers.ParticleGD(max_iter=20, alpha=2.0, **_KW), r"alpha"),
        (solvers.ParticleGD(max_iter=20, **{**_KW, "width": 7}), r"width"),
        (solvers.NoisyParticleGD(max_iter=20, **_KW), r"NoisyParticleGD"),
    ],
)
def test_resume_refuses_another_solver_setting(small, saved, solver, match):
    _, prob = small
    solver.resume = saved
    with pytest.raises(ValueError, match=match):
        solver.solve(prob)


def test_resume_ignores_parameters_that_do_not_change_the_trajectory(small, saved):
    _, prob = small
    kw = {**_KW, "record_every": 2, "tol": 1e-3}
    res = solvers.ParticleGD(max_iter=12, resume=saved, check_every=100, verbose=False, **kw).solve(prob)
    assert res.n_iter == 12


@pytest.mark.parametrize("where", ["missing_dir", "is_dir", "under_file"])
def test_bad_checkpoint_path_refused_before_the_first_iteration(small, tmp_path, where):
    _, prob = small
    (tmp_path / "file").write_text("x")
    path = {"missing_dir": tmp_path / "nope" / "run.pt", "is_dir": tmp_path,
            "under_file": tmp_path / "file" / "run.pt"}[where]
    seen = []
    solver = solvers.ParticleGD(max_iter=30, checkpoint=path, checkpoint_every=10,
                                callback=lambda k, a, W: seen.append(k), **_KW)
    with pytest.raises(ValueError, match="checkpoint") as exc:
        solver.solve(prob)
    assert str(path.parent if where != "is_dir" else path) in str(exc.value)
    assert seen == []


def test_checkpoint_must_be_a_path():
    with pytest.raises(TypeError, match="checkpoint"):
        solvers.ParticleGD(checkpoint=3)
    with pytest.raises(TypeError, match="resume"):
        solvers.ParticleGD(resume=["run.pt"])


def test_truncated_or_corrupted_checkpoint_names_the_file(small, saved, tmp_path):
    _, prob = small
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=re.escape(str(saved))):
        solvers.ParticleGD(max_iter=20, resume=saved, **_KW).solve(prob)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint at all")
    with pytest.raises(ValueError, match=re.escape(str(junk))):
        solvers.ParticleGD(max_iter=20, resume=junk, **_KW).solve(prob)


class _Payload:
    def __reduce__(self):
        return (os.getcwd, ())


def test_checkpoint_read_refuses_code(small, tmp_path):
    import torch

    _, prob = small
    path = tmp_path / "evil.pt"
    torch.save({"solver": "ParticleGD", "x": _Payload()}, path)
    with pytest.raises(ValueError, match=re.escape(str(path))):
        solvers.ParticleGD(max_iter=20, resume=path, **_KW).solve(prob)


def test_failed_save_leaves_no_tmp_and_keeps_the_old_checkpoint(small, saved, monkeypatch):
    _, prob = small
    before = saved.read_bytes()

    def failing_write(f, array, *args, **kwargs):  # the disk fills up while the arrays are written
        f.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np.lib.format, "write_array", failing_write)
    with pytest.raises(OSError, match=rf"cannot write {re.escape(str(saved))}: No space left"):
        solvers.ParticleGD(max_iter=10, checkpoint=saved, checkpoint_every=5, **_KW).solve(prob)
    assert sorted(p.name for p in saved.parent.iterdir()) == [saved.name]
    assert saved.read_bytes() == before


# ----------------------------------------------------------------- CLI
_FAST = {"teacher-student": ["--d", "3", "--m", "2", "--n", "20", "--grid-size", "50", "--quiet"],
         "deep": ["--layers", "1", "--width", "2", "--n", "8", "--iters", "2", "--quiet"]}


@pytest.fixture
def cli_fails(capsys, monkeypatch):
    """Run ``main(argv)``, expect exit status 2 before any work; return the last line of standard error."""
    import solvers.cli
    import solvers.cli_deep

    def no_work(*args, **kwargs):
        raise AssertionError("the job started: the arguments were not checked first")

    monkeypatch.setattr(solvers.cli, "run_teacher_student", no_work)
    monkeypatch.setattr(solvers.cli_deep, "run_deep", no_work)

    def run(argv):
        start = time.perf_counter()
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        assert time.perf_counter() - start < 30
        err = capsys.readouterr().err
        assert "Traceback" not in err
        return err.strip().splitlines()[-1]

    return run


@pytest.mark.parametrize("command", ["teacher-student", "deep"])
@pytest.mark.parametrize("where", ["file", "under_file"])
def test_cli_out_at_a_file_fails_before_the_solve(tmp_path, cli_fails, command, where):
    target = tmp_path / "taken"
    target.write_text("keep me")
    out = target if where == "file" else target / "sub" / "dir"
    line = cli_fails([command, *_FAST[command], "--out", str(out)])
    assert "--out" in line and str(target) in line
    assert target.read_text() == "keep me"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
@pytest.mark.parametrize("command", ["teacher-student", "deep"])
def test_cli_out_in_a_read_only_directory_fails(tmp_path, cli_fails, command):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        line = cli_fails([command, *_FAST[command], "--out", str(ro / "run")])
    finally:
        ro.chmod(0o700)
    assert "--out" in line and "writable" in line


@pytest.mark.parametrize("command", ["teacher-student", "deep"])
def test_cli_out_not_writable_fails(tmp_path, cli_fails, monkeypatch, command):
    """The same check as above with the permission answer forced, so that it runs as root too."""
    ro = tmp_path / "ro"
    ro.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if os.fspath(p) == str(ro) else real_access(p, mode, **kw))
    line = cli_fails([command, *_FAST[command], "--out", str(ro / "run")])
    assert "--out" in line and "writable" in line
    line = cli_fails([command, *_FAST[command], "--out", str(ro)])
    assert "--out" in line and "writable" in line


@pytest.mark.parametrize(
    "command, flag, value",
    [
        ("teacher-student", "--seed", "-1"),
        ("teacher-student", "--seed", "1.5"),
        ("teacher-student", "--d", "0"),
        ("teacher-student", "--m", "0"),
        ("teacher-student", "--n", "0"),
        ("teacher-student", "--reg", "nan"),
        ("teacher-student", "--reg", "0"),
        ("teacher-student", "--noise", "-0.1"),
        ("teacher-student", "--noise", "inf"),
        ("teacher-student", "--grid-size", "0"),
        ("teacher-student", "--m", "5"),  # > --d 3
        ("deep", "--seed", "-1"),
        ("deep", "--layers", "0"),
        ("deep", "--width", "0"),
        ("deep", "--n", "1"),
        ("deep", "--reg", "-1"),
        ("deep", "--reg-u", "0"),
        ("deep", "--step", "nan"),
        ("deep", "--iters", "0"),
        ("deep", "--threads", "0"),
        ("deep", "--seed", str(2**70)),
    ],
)
def test_cli_numeric_flags_checked_at_parse_time(tmp_path, cli_fails, command, flag, value):
    line = cli_fails([command, *_FAST[command], "--out", str(tmp_path / "o"), flag, value])
    assert flag in line
    assert not (tmp_path / "o").exists()


def test_cli_deep_zero_reg_needs_one_layer(tmp_path, cli_fails):
    line = cli_fails(["deep", *_FAST["deep"], "--layers", "2", "--reg", "0", "--out", str(tmp_path / "o")])
    assert "--reg" in line
