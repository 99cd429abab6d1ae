import json
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.figure import Figure

import measureopt as mo
import measureopt.plot as moplot
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


def test_cli_end_to_end(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["teacher-student", "--d", "3", "--m", "2", "--n", "60", "--reg", "1e-2",
                 "--grid-size", "300", "--out", str(out), "--quiet"])
    assert code == 0
    report = json.loads((out / "results.json").read_text())
    assert report["status"] == "optimal"
    assert report["gap_scope"] == "grid"
    assert report["dual_gap"] <= 1e-6
    assert report["n_atoms"] == len(report["measure"]["weights"])
    for key in ("objective", "w2_to_teacher", "winf_to_teacher", "solve_time"):
        assert np.isfinite(report[key])
    for name in report["figures"]:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(report["figures"]) == {"measure.png", "recovery.png", "certificate.png"}
    table = capsys.readouterr().out
    assert "dual gap (grid)" in table and "W_inf to teacher" in table


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
