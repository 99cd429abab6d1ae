"""docs/check_offline.py, the check that the built documentation loads nothing from the network.

``.ci/run`` runs the checker on the real build (and fails when it checked no page); these tests
show on small hand-made builds that it catches every kind of remote load and lets local ones pass.
"""

import importlib.util
from pathlib import Path

import pytest

CHECKER = Path(__file__).resolve().parents[1] / "docs" / "check_offline.py"


@pytest.fixture(scope="module")
def checker():
    spec = importlib.util.spec_from_file_location("check_offline", CHECKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _build(tmp_path, body, head=""):
    (tmp_path / "_static" / "mathjax").mkdir(parents=True)
    (tmp_path / "_static" / "mathjax" / "tex-chtml.js").write_text("// MathJax")
    (tmp_path / "_static" / "theme.css").write_text("body { color: black; }")
    (tmp_path / "_static" / "theme.js").write_text("// theme")
    (tmp_path / "index.html").write_text(
        "<html><head>"
        '<link rel="stylesheet" href="_static/theme.css?digest=1" />'
        '<script src="_static/theme.js"></script>'
        f"{head}</head><body>{body}"
        '<a href="https://github.com/">a plain link is not a load</a>'
        "</body></html>")
    return tmp_path


def test_a_local_build_passes(checker, tmp_path):
    head = '<script defer="defer" src="_static/mathjax/tex-chtml.js?v=1"></script>'
    n_pages, problems = checker.check(_build(tmp_path, '<span class="math">\\(x\\)</span>', head))
    assert (n_pages, problems) == (1, [])
    assert checker.main([str(tmp_path)]) == 0


@pytest.mark.parametrize("head", [
    '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>',
    '<script src="//code.jquery.com/jquery-3.7.0.js"></script>',
    '<link href="https://cdn.datatables.net/1.13.6/css/dataTables.bootstrap5.min.css" rel="stylesheet" />',
    '<link rel="preload" as="font" href="http://example.org/font.woff2" />',
    '<style>@import url("https://fonts.googleapis.com/css?family=Lato");</style>',
    '<img src="https://example.org/logo.png" />',
])
def test_a_remote_load_fails(checker, tmp_path, head):
    n_pages, problems = checker.check(_build(tmp_path, "", head))
    assert n_pages == 1 and len(problems) == 1
    assert checker.main([str(tmp_path)]) == 1


def test_a_missing_local_script_fails(checker, tmp_path):
    _, problems = checker.check(_build(tmp_path, "", '<script src="_static/missing.js"></script>'))
    assert problems == ["index.html: script loads _static/missing.js, which is not in the build"]


def test_math_without_local_mathjax_fails(checker, tmp_path):
    _, problems = checker.check(_build(tmp_path, '<div class="math notranslate">\\[x\\]</div>'))
    assert problems == ["index.html: has math but loads no local MathJax"]


def test_a_stylesheet_importing_a_remote_url_fails(checker, tmp_path):
    _build(tmp_path, "")
    (tmp_path / "_static" / "theme.css").write_text("@import 'https://fonts.example.org/a.css';")
    _, problems = checker.check(tmp_path)
    assert problems == ["_static/theme.css: imports a remote URL"]


def test_nothing_checked_fails(checker, tmp_path):
    n_pages, problems = checker.check(tmp_path / "missing")
    assert n_pages == 0 and len(problems) == 1
    (tmp_path / "empty").mkdir()
    assert checker.main([str(tmp_path / "empty")]) == 1
