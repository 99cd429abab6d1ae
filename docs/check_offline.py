"""Check that the built HTML documentation reads offline.

Usage: ``python docs/check_offline.py [BUILD_DIR]`` (default
``docs/_build/html``). ``.ci/run`` runs it after the Sphinx build.

It fails (exit status 1) when

* the build directory holds no HTML page (nothing was checked);
* a page loads anything from the network: a ``<script src>``, a
  stylesheet, preload or icon ``<link href>``, an ``<img>``, ``<iframe>``,
  ``<source>``, ``<embed>`` or ``<object>`` whose address is remote
  (``http://``, ``https://`` or protocol-relative ``//``), or an inline
  ``<style>`` that imports a remote URL;
* a page loads a local script or stylesheet that is not in the build;
* a stylesheet in the build imports a remote URL;
* a page typesets math without a local MathJax.

Plain links (``<a href="https://...">``) are not loads and are allowed.
"""

import argparse
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

REMOTE = re.compile(r"^\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//")
CSS_REMOTE = re.compile(r"""(?:@import\s+(?:url\()?|url\()\s*['"]?\s*(?:https?:)?//""", re.I)
LOADING_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "icon", "shortcut", "apple-touch-icon",
                "manifest"}
SRC_TAGS = {"script", "img", "iframe", "source", "embed", "audio", "video", "track"}


class _Loads(HTMLParser):
    """Collect what a page loads: ``(kind, address)`` pairs, and inline styles."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.loads = []
        self.styles = []
        self._in_style = False
        self.math = False

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v or "") for k, v in attrs}
        if tag in SRC_TAGS and attrs.get("src"):
            self.loads.append((tag, attrs["src"]))
        elif tag == "object" and attrs.get("data"):
            self.loads.append((tag, attrs["data"]))
        elif tag == "link" and attrs.get("href"):
            rels = set(attrs.get("rel", "").lower().split())
            if rels & LOADING_RELS:
                self.loads.append(("link " + " ".join(sorted(rels)), attrs["href"]))
        elif tag == "style":
            self._in_style = True
        if "math" in attrs.get("class", "").split():
            self.math = True

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def check(build_dir):
    """Return ``(n_pages, problems)`` for the HTML build in ``build_dir``."""
    build_dir = Path(build_dir)
    # the pages; _static holds assets (a theme's template macros, MathJax's own files)
    pages = sorted(p for p in build_dir.rglob("*.html") if "_static" not in p.relative_to(build_dir).parts) \
        if build_dir.is_dir() else []
    problems = []
    for page in pages:
        rel = page.relative_to(build_dir)
        parser = _Loads()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        local_mathjax = False
        for kind, address in parser.loads:
            if REMOTE.match(address):
                problems.append(f"{rel}: {kind} loads a remote resource: {address}")
                continue
            path = unquote(urlsplit(address).path)
            if not path or address.startswith(("data:", "#")):
                continue
            target = (page.parent / path).resolve()
            if kind.split()[0] in {"script", "link"} and not target.is_file():
                problems.append(f"{rel}: {kind} loads {address}, which is not in the build")
            if kind == "script" and "mathjax" in path.lower() and target.is_file():
                local_mathjax = True
        for style in parser.styles:
            if CSS_REMOTE.search(style):
                problems.append(f"{rel}: an inline <style> imports a remote URL")
        if parser.math and not local_mathjax:
            problems.append(f"{rel}: has math but loads no local MathJax")
    for css in sorted(build_dir.rglob("*.css")) if pages else []:
        if CSS_REMOTE.search(css.read_text(encoding="utf-8", errors="replace")):
            problems.append(f"{css.relative_to(build_dir)}: imports a remote URL")
    if not pages:
        problems.append(f"{build_dir}: no HTML page found (nothing was checked)")
    return len(pages), problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_dir", nargs="?", default="docs/_build/html")
    args = parser.parse_args(argv)
    n_pages, problems = check(args.build_dir)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"check_offline: {len(problems)} problem(s) in {n_pages} page(s)", file=sys.stderr)
        return 1
    print(f"check_offline: {n_pages} pages load nothing from the network")
    return 0


if __name__ == "__main__":
    sys.exit(main())
