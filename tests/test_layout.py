"""Package layering: :mod:`measureopt` never imports :mod:`solvers`.

The contract lives in ``[tool.importlinter]`` of ``pyproject.toml`` and is
checked by import-linter's ``lint-imports``, which analyses the imports
statically, including imports inside functions. It is run from the
repository root, with the root first on ``sys.path``, so that it analyses
the source tree whatever copy of the packages is installed.

``python -m importlinter.cli`` is *not* used: that module has no
``__main__`` block, so it does nothing and exits 0.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = "measureopt never imports solvers"

_LINT = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def _lint_imports(cwd):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(cwd), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-c", _LINT, "--no-cache", "--no-logo", "--verbose"],
        cwd=cwd, env=env, capture_output=True, text=True,
    )


def _report(proc):
    return f"lint-imports exited {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


def test_measureopt_never_imports_solvers():
    proc = _lint_imports(ROOT)
    assert proc.returncode == 0, _report(proc)
    assert f"{CONTRACT} KEPT" in proc.stdout, _report(proc)
    assert "0 broken" in proc.stdout, _report(proc)


def test_contract_catches_a_lazy_import(tmp_path):
    # The check above must be able to fail: on a copy of the source tree, an
    # ``import solvers`` inside a function of a measureopt module breaks it.
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("measureopt", "solvers"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "measureopt" / "_layout_probe.py").write_text(
        "def run():\n    import solvers\n\n    return solvers\n"
    )
    proc = _lint_imports(tmp_path)
    assert proc.returncode != 0, _report(proc)
    assert f"{CONTRACT} BROKEN" in proc.stdout, _report(proc)
    assert "measureopt._layout_probe -> solvers" in proc.stdout, _report(proc)


def test_package_import_does_not_load_torch():
    """Heavy optional imports happen in the modules that need them: importing the packages loads no torch."""
    import subprocess
    import sys

    code = ("import sys, measureopt, measureopt.deep, solvers, solvers.cli; "
            "print(sorted(m for m in ('torch', 'cvxpy', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out
