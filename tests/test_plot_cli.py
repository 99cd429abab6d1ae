import json
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.figure import Figure

import measureopt as mo
import measureopt.plot as moplot
import solvers
from solvers.cli import main


@pytest.fixture(scope="module")
def solved2d():
    import solvers

    data = mo.teacher_student(n=40, d=2, m=2, seed=0)
    prob = mo.BLASSO(data.X, data.y, reg=1e-2)
    return data, prob, solvers.GridConvex(grid=100).solve(prob).measure


def test_plots_return_the_axes_they_were_given(solved2d):
    data, prob, mu = solved2d
    for draw in (
        lambda ax: moplot.plot_measure(mu, ax=ax, teacher=data.teacher),
        lambda ax: moplot.plot_certificate(prob, mu, ax=ax),
        lambda ax: moplot.plot_recovery(mu, data.teacher, ax=ax),
    ):
        ax = Figure().add_subplot()
        assert draw(ax) is ax
        assert ax.lines or ax.collections


def test_plots_without_axes_make_their_own_figure(solved2d):
    import matplotlib.pyplot as plt

    data, prob, mu = solved2d
    before = plt.get_fignums()
    ax = moplot.plot_certificate(prob, mu)
    assert ax.figure is not None
    assert plt.get_fignums() == before  # pyplot state untouched


def test_sphere_and_high_dimensional_plots():
    data = mo.teacher_student(n=30, d=3, m=2, seed=0)
    prob = mo.BLASSO(data.X, data.y, reg=1e-2)
    mu = mo.DiscreteMeasure([0.5, -0.2], mo.sample_sphere(3, 2, seed=0))
    assert moplot.plot_measure(mu, teacher=data.teacher).collections
    assert moplot.plot_certificate(prob, mu, n_points=200).collections
    high = mo.DiscreteMeasure([1.0], mo.sample_sphere(5, 1, seed=0))
    with pytest.raises(ValueError, match="got d=5. Use plot_recovery"):
        moplot.plot_measure(high)
    with pytest.raises(TypeError, match="teacher must be a DiscreteMeasure"):
        moplot.plot_recovery(high, teacher=np.eye(5))


_SMALL = ["--d", "3", "--m", "2", "--n", "60", "--reg", "1e-2", "--grid-size", "300", "--sfw-iter", "20",
          "--width", "20", "--iters", "300", "--certify-budget", "5", "--quiet"]


def test_cli_end_to_end(tmp_path, capsys):
    """The main job: four solutions in one table, certified, compared, saved, drawn and reported."""
    out = tmp_path / "run"
    assert main(["teacher-student", *_SMALL, "--out", str(out)]) == 0
    report = json.loads((out / "results.json").read_text())
    rows = {row["solution"]: row for row in report["rows"]}
    assert list(rows) == ["teacher", "convex", "grid", "network"]
    assert rows["convex"]["status"] == "optimal" and rows["grid"]["status"] == "optimal"
    lower, upper = report["optimum"]["lower"], report["optimum"]["upper"]
    assert lower <= upper and upper - lower <= 1e-5 * upper  # the certified bracket on J* is tight
    for row in rows.values():
        assert row["gap_scope"] == "sphere" and row["gap"] >= 0
        assert row["objective"] >= lower and row["excess"] == row["objective"] - lower
        assert row["atoms"] == len(report["measures"][row["solution"]]["weights"])
    assert rows["teacher"]["w2_teacher"] == 0 and rows["convex"]["w2_convex"] == 0
    assert rows["grid"]["sup_eta"] > 1  # the grid's optimum violates the certificate off the grid
    w2 = np.array(report["w2_matrix"]["values"])
    np.testing.assert_allclose(w2, w2.T, atol=1e-12)
    np.testing.assert_allclose(w2[0, 1], rows["convex"]["w2_teacher"], rtol=1e-9)
    assert set(report["figures"]) == {"measures.png", "certificate.png", "training.png", "w2_matrix.png"}
    for name in report["figures"]:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (out / "report.html").read_text()
    assert all(name in page for name in report["figures"]) and "convex optimum (SFW)" in page
    assert "http" not in page  # a self-contained page
    network = solvers.Result.load(out / report["files"]["network"])
    assert network.objective == rows["network"]["objective"] and len(network.history["objective"]) > 1
    table = capsys.readouterr().out
    assert "gap (scope)" in table and "network (Algorithm 1)" in table and "J* in [" in table


def test_cli_skips_stages(tmp_path):
    out = tmp_path / "run"
    assert main(["teacher-student", *_SMALL, "--skip", "network", "grid", "--out", str(out)]) == 0
    report = json.loads((out / "results.json").read_text())
    assert [row["solution"] for row in report["rows"]] == ["teacher", "convex"]
    assert "training.png" not in report["figures"] and set(report["files"]) == {"teacher", "convex"}


def test_cli_bad_arguments(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "solvers.cli", "teacher-student", "--d", "3", "--m", "5",
         "--out", str(tmp_path), "--quiet"],
        capture_output=True, text=True,
    )
    assert proc.returncode == 2
    assert "m must be <= d" in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "solvers.cli", "teacher-student", "--reg", "-1", "--out", str(tmp_path)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 2 and "reg must be finite and > 0" in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "solvers.cli", "teacher-student", "--backend", "mosek", "--out", str(tmp_path)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 2 and "backend must be one of" in proc.stderr


def test_cli_deep_end_to_end(tmp_path, capsys):
    """``measureopt deep``: Algorithm 1, Program (21) on the trained features, the checks, JSON and figures."""
    out = tmp_path / "deep"
    code = main(["deep", "--layers", "2", "--width", "4", "--n", "24", "--iters", "40", "--out", str(out), "--quiet"])
    assert code == 0
    report = json.loads((out / "results.json").read_text())
    check = report["crosscheck"]
    assert check["status"] == "optimal"
    assert check["convex_lower"] <= check["convex_objective"] <= check["network_objective"]
    np.testing.assert_allclose(report["training"]["objective"], check["network_objective"], rtol=1e-10)
    assert report["config"]["widths"] == [8, 4] and len(check["w2"]) == 2
    assert len(report["optimality_check"]["correlation"]) == 2 and np.isfinite(report["approximation_variance"])
    for name in report["figures"]:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = capsys.readouterr().out
    assert "network excess <=" in table and "Prop. 1 check" in table
    with pytest.raises(SystemExit) as exc:
        main(["deep", "--reg-u", "-1", "--out", str(out), "--quiet"])
    assert exc.value.code == 2


def test_projection_and_distance_matrix_plots():
    data = mo.teacher_student(n=20, d=5, m=3, seed=0)
    basis = np.linalg.qr(data.teacher.support.T)[0].T[:2]
    ax = moplot.plot_projection({"teacher": data.teacher, "zero": mo.DiscreteMeasure.zero(5)}, basis)
    xy = ax.collections[0].get_offsets()
    np.testing.assert_allclose(np.abs(xy).max(axis=1)[:2], 1.0, atol=1e-12)  # teacher atoms in the plane: on the rim
    with pytest.raises(ValueError, match=r"basis must have shape \(2, 5\)"):
        moplot.plot_projection({"teacher": data.teacher}, basis[:, :3])
    with pytest.raises(ValueError, match="orthonormal"):
        moplot.plot_projection({"teacher": data.teacher}, 2 * basis)
    with pytest.raises(TypeError, match="non-empty dict"):
        moplot.plot_projection([data.teacher], basis)
    ax = moplot.plot_distance_matrix([[0.0, 1.0], [1.0, np.nan]], ["a", "b"])
    assert [t.get_text() for t in ax.texts] == ["0", "1", "1"]
    with pytest.raises(ValueError, match=r"matrix must have shape \(3, 3\)"):
        moplot.plot_distance_matrix(np.zeros((2, 2)), "abc")
