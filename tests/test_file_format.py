"""The measureopt file format (measureopt.io): round trips, and the files it refuses, each named in the error."""

import io as stdio
import json
import pickle
import re
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import measureopt as mo
import solvers
from measureopt import io
from measureopt.exceptions import FileFormatError
from public_examples import _data, _deep, _mlp, _problem, _result
from strategies import measures


def _bits(a):
    return a.dtype.str, a.shape, np.ascontiguousarray(a).tobytes()


def assert_bit_identical(a, b):
    assert type(a) is type(b)
    assert _bits(a.weights) == _bits(b.weights)
    assert _bits(a.support) == _bits(b.support)


# ------------------------------------------------------------------ round trips
@st.composite
def stored_measures(draw):
    """Signed, empty, duplicated atoms (tests/strategies.py), from float32 or float64 inputs, some off the sphere."""
    d = draw(st.integers(1, 4))
    base = draw(measures(max(d, 2), max_atoms=6))
    w, s = base.weights, base.support[:, :d]
    if draw(st.booleans()):  # off the sphere, signed zeros and extreme magnitudes
        scale = draw(st.sampled_from([0.0, -0.0, 1e-40, 1e30, 3.0]))  # finite in float32
        s = s * scale
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    return mo.DiscreteMeasure(w.astype(dtype), s.astype(dtype))


@given(stored_measures())
def test_measure_round_trips_bit_identical_through_pickle(measure):
    for protocol in (2, 5):
        assert_bit_identical(measure, pickle.loads(pickle.dumps(measure, protocol=protocol)))


@given(measure=stored_measures())
def test_measure_round_trips_bit_identical_through_a_file(measure, tmp_path_factory):
    path = tmp_path_factory.mktemp("m") / "measure.npz"
    measure.save(path)
    loaded = mo.DiscreteMeasure.load(path)
    assert_bit_identical(measure, loaded)
    assert loaded == measure
    with pytest.raises(ValueError, match="read-only"):
        loaded.weights[...] = 0.0 if loaded.n_atoms else np.zeros(0)


def test_result_round_trips_equal_with_its_header(tmp_path):
    res = _result()
    path = res.save(tmp_path / "result.npz")
    loaded = solvers.Result.load(path, problem=_problem())
    assert loaded == res
    assert_bit_identical(res.measure, loaded.measure)
    header, _ = io.read(path)
    assert header["format"] == "measureopt" and header["version"] == io.VERSION
    assert header["library_version"] == mo.__version__ and header["kind"] == "Result"
    assert header["problem"] == io.problem_fingerprint(_problem()) == res.problem
    assert header["problem"]["reg"] == repr(0.05) and header["problem"]["loss"] == "squared"
    summary = header["summary"]
    assert summary["status"] == str(res.status) and summary["gap_scope"] == res.gap_scope
    assert summary["objective"] == res.objective and summary["dual_gap"] == res.dual_gap
    # readable with numpy alone, with pickle off: no object arrays, nothing that runs code
    with np.load(path, allow_pickle=False) as npz:
        meta = json.loads(npz["meta.json"])
        assert meta["kind"] == "Result" and all(npz[k].dtype != object for k in npz.files if k != "meta.json")


def test_result_of_another_problem_is_refused(tmp_path):
    path = _result().save(tmp_path / "result.npz")
    data = _data()
    other = mo.BLASSO(data.X, data.y, reg=0.07)
    with pytest.raises(FileFormatError, match=rf"{re.escape(str(path))} belongs to another problem: reg "
                                              r"\(file 0\.05, now 0\.07\) differs"):
        solvers.Result.load(path, problem=other)
    with pytest.raises(FileFormatError, match="the data"):
        solvers.Result.load(path, problem=mo.BLASSO(data.X, -data.y, reg=0.05))


def test_layered_measure_round_trips(tmp_path):
    X, _, program = _deep()
    measure = mo.deep.LayeredMeasure.from_network(_mlp(), X)
    path = measure.save(tmp_path / "layered.npz", program)
    loaded = mo.deep.LayeredMeasure.load(path, problem=program)
    assert loaded == measure
    for a, b in zip(measure.wt + measure.atoms, loaded.wt + loaded.atoms):
        assert _bits(a) == _bits(b)


def test_values_that_are_not_data_are_left_out_by_name(tmp_path):
    """A torch module in Result.stats is not data: saved without it, with a warning naming it."""
    res = _result()
    with_module = solvers.Result(**{**{f: getattr(res, f) for f in ("measure", "objective", "dual_gap", "status",
                                                                     "n_iter", "gap_scope", "history", "solver",
                                                                     "solve_time", "message", "problem")},
                                   "stats": {**res.stats, "network": _mlp()}})
    with pytest.warns(UserWarning, match=r"left out Result\.stats\['network'\]"):
        path = with_module.save(tmp_path / "r.npz")
    loaded = solvers.Result.load(path)
    assert "network" not in loaded.stats and loaded == res
    assert io.read(path)[0]["omitted"] == ["Result.stats['network']"]


def test_json_tree_keeps_non_finite_numbers_tuples_and_odd_keys(tmp_path):
    value = {"nan": float("nan"), "inf": -np.inf, "t": (1, 2.5), "int keys": {3: "x"}, "__array__": [1],
             "status": solvers.Status.OPTIMAL, "np": np.float32(0.5), "arr": np.arange(3)}
    path = io.write_json(tmp_path / "r.json", value)
    json.loads(path.read_text())  # strict JSON: no NaN literals
    back = io.read_json(path)
    assert np.isnan(back["nan"]) and back["inf"] == -np.inf and back["t"] == (1, 2.5)
    assert back["int keys"] == {3: "x"} and back["__array__"] == [1] and back["status"] == "optimal"
    assert back["np"] == 0.5 and back["arr"] == [0, 1, 2]


# ------------------------------------------------------------------ refusals
@pytest.fixture
def saved(tmp_path):
    return _result().save(tmp_path / "result.npz")


def _rewrite_meta(path, edit):
    """Copy the archive with its meta.json edited by ``edit(dict)``."""
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    meta = json.loads(members["meta.json"])
    edit(meta)
    members["meta.json"] = json.dumps(meta).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def test_a_later_format_version_is_refused_naming_file_and_versions(saved):
    def bump(meta):
        meta["version"] += 1

    _rewrite_meta(saved, bump)
    with pytest.raises(FileFormatError, match=rf"{re.escape(str(saved))} has format version {io.VERSION + 1}, "
                                              rf".*reads format versions 1 to {io.VERSION}: upgrade measureopt"):
        solvers.Result.load(saved)


@pytest.mark.parametrize("keep", [0, 1, 30, 0.5, -1, -22])
def test_truncated_files_are_refused_naming_the_file(saved, keep):
    raw = saved.read_bytes()
    cut = int(keep * len(raw)) if isinstance(keep, float) else keep if keep >= 0 else len(raw) + keep
    saved.write_bytes(raw[:cut])
    with pytest.raises(FileFormatError, match=re.escape(str(saved))):
        solvers.Result.load(saved)


def test_a_corrupted_array_is_refused(saved):
    raw = bytearray(saved.read_bytes())
    start = raw.find(b"\x93NUMPY")  # the first array member's data
    raw[start + 140] ^= 0xFF  # past the 128-byte .npy header, in the data
    saved.write_bytes(bytes(raw))
    with pytest.raises(FileFormatError, match=rf"{re.escape(str(saved))}: corrupted"):
        solvers.Result.load(saved)


def test_foreign_files_are_refused_naming_the_file(tmp_path):
    import torch

    cases = {
        "plain.npz": lambda p: np.savez(p, weights=np.ones(2)),
        "text.npz": lambda p: p.write_text("weights,support\n"),
        "torch.pt": lambda p: torch.save({"weights": torch.ones(2)}, p),
        "other.zip": lambda p: zipfile.ZipFile(p, "w").writestr("meta.json", json.dumps({"format": "other"})),
        "empty.npz": lambda p: p.write_bytes(b""),
    }
    for name, make in cases.items():
        path = tmp_path / name
        make(path)
        with pytest.raises(FileFormatError, match=rf"{re.escape(str(path))} is not a measureopt file"):
            mo.DiscreteMeasure.load(path)


def test_a_file_of_another_kind_is_refused(saved, tmp_path):
    with pytest.raises(FileFormatError, match=rf"{re.escape(str(saved))} holds a Result, not a DiscreteMeasure"):
        mo.DiscreteMeasure.load(saved)
    path = _data().teacher.save(tmp_path / "teacher.npz")
    with pytest.raises(FileFormatError, match="holds a DiscreteMeasure, not a Result"):
        solvers.Result.load(path)


def test_an_unknown_object_kind_is_refused(saved):
    def rename(meta):
        meta["content"]["measure"]["__object__"] = "FutureMeasure"

    _rewrite_meta(saved, rename)
    with pytest.raises(FileFormatError, match=r"kind 'FutureMeasure', which this version of measureopt does not"):
        solvers.Result.load(saved)


def test_missing_file_and_bad_path_types():
    with pytest.raises(FileNotFoundError, match="no file at"):
        mo.DiscreteMeasure.load("/nonexistent/measure.npz")
    with pytest.raises(TypeError, match="path must be a file path"):
        mo.DiscreteMeasure.load(3)
    with pytest.raises(TypeError, match="obj must be one of measureopt's value types"):
        io.save(object(), "x.npz")


# ------------------------------------------------------------------ one writer for the CLI and checkpoints
def test_cli_writes_its_files_with_the_same_format(tmp_path):
    from solvers.main_job import run_teacher_student

    report = run_teacher_student(d=3, m=2, n=30, reg=1e-2, grid_size=60, sfw_iter=10, iters=20, width=5,
                                 skip=["network"], certify_budget=2, out=tmp_path, progress=False)
    assert io.read_json(tmp_path / "results.json")["rows"] == report["rows"]
    data = mo.teacher_student(n=30, d=3, m=2, seed=0, noise=0.0)
    problem = mo.BLASSO(data.X, data.y, reg=1e-2)
    for key in ("convex", "grid"):
        result = solvers.Result.load(tmp_path / report["files"][key], problem=problem)
        row = next(r for r in report["rows"] if r["solution"] == key)
        assert result.objective == row["objective"] and str(result.status) == row["status"]
    assert mo.DiscreteMeasure.load(tmp_path / report["files"]["teacher"], problem=problem) == data.teacher


def test_checkpoints_are_measureopt_files(tmp_path):
    path = tmp_path / "run.ckpt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        solvers.ParticleGD(width=6, max_iter=4, checkpoint=path, checkpoint_every=2, random_state=0).solve(_problem())
    header, content = io.read(path, "checkpoint")
    assert header["problem"] == io.problem_fingerprint(_problem())
    assert content["iteration"] == 4 and tuple(content["W"].shape) == (6, 3)
    with pytest.raises(FileFormatError, match="holds a checkpoint, not a Result"):
        solvers.Result.load(path)
    buf = stdio.BytesIO(path.read_bytes())
    assert zipfile.is_zipfile(buf)
