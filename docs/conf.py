"""Sphinx configuration for measureopt.

The documentation builds and reads offline: no intersphinx, MathJax served
from the build's own ``_static/mathjax`` (``sphinx-mathjax-offline``), a theme
that bundles its fonts and scripts (``pydata-sphinx-theme``), and the
sphinx-gallery timing pages stripped of their CDN scripts.
``docs/check_offline.py`` checks the built HTML for remote scripts and
stylesheets; ``.ci/run`` runs it after the build.
"""

import os

# One BLAS/OpenMP thread for the whole build, set before numpy, scipy or torch load their
# libraries: the gallery's problems are small, and busy-waiting BLAS threads made some examples
# ten times slower on two shared cores (_ext/gallery_reset.py limits torch and what is loaded).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import importlib  # noqa: E402
import inspect  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402

from sphinx.util.nodes import make_refnode  # noqa: E402
from sphinx_gallery.sorting import ExplicitOrder  # noqa: E402

sys.path.insert(0, os.path.abspath(".."))
sys.path.insert(0, os.path.abspath("_ext"))

project = "measureopt"
author = "the measureopt developers"
copyright = "2026, the measureopt developers"
release = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax 3 copied into _static/mathjax: math renders offline
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

# Every cross-reference must resolve (``-n`` in .ci/run; set here too so that
# every build checks it).
nitpicky = True
# Without intersphinx (offline build) references to other projects cannot
# resolve; they render as plain text. Only these outside names are let through.
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|scipy|matplotlib|torch|cvxpy|ot|sklearn|abc|enum|functools|collections|os|pathlib|typing)"
     r"(\..*)?"),
]

autosummary_generate = True
autodoc_default_options = {"members": True}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "subsection_order": ExplicitOrder([
        "../examples/grid",
        "../examples/off_the_grid",
        "../examples/particles",
        "../examples/variation_norm",
        "../examples/deep",
        "../examples/kernels",
        "../examples/estimators",
    ]),
    "within_subsection_order": "FileNameSortKey",
    # "Examples using this" mini-galleries on the API pages
    # (_templates/autosummary/*.rst hold the ``minigallery`` directive).
    "backreferences_dir": "api/generated/backreferences",
    "doc_module": ("measureopt", "solvers"),
    "reference_url": {"measureopt": None, "solvers": None},
    # Every example starts with matplotlib reset, one torch and one BLAS thread
    # (_ext/gallery_reset.py).
    "reset_modules": ("matplotlib", "gallery_reset.one_thread"),
}



templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/**/*.ipynb", "auto_examples/**/*.py", "sg_execution_times.rst"]

html_theme = "pydata_sphinx_theme"
html_static_path = []
html_title = "measureopt"
html_theme_options = {
    "navbar_align": "left",
    "header_links_before_dropdown": 6,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "quickstart": [], "references": []}

# Inherited members: a solver's page shows ``solve()`` and the rest of the
# base class, but not what comes from Python or torch.
_BUILTIN_BASES = ("object", "BaseException", "Exception", "Warning", "UserWarning", "RuntimeWarning",
                  "ValueError", "TypeError", "AttributeError", "ImportError", "str", "Enum", "Module",
                  "ABC", "Frozen",
                  # scikit-learn's estimator API (get_params, set_params, score, metadata routing) on the
                  # pages of solvers.estimators: its docstrings link into scikit-learn's own documentation
                  "BaseEstimator", "RegressorMixin", "ClassifierMixin", "_MetadataRequester", "ReprHTMLMixin",
                  "_HTMLDocumentationLinkMixin")
autosummary_context = {"inherited_exclude": ", ".join(_BUILTIN_BASES)}

_SKLEARN_REQUEST_SETTER = re.compile(r"^set_\w+_request$")


def _skip_sklearn_generated(app, what, name, obj, skip, options):
    """Skip scikit-learn's metadata-routing setters (``set_score_request``, ...).

    scikit-learn generates them on each estimator class (so they are not
    inherited members that the list above could exclude); their docstrings
    link into scikit-learn's documentation.
    """
    if what == "class" and _SKLEARN_REQUEST_SETTER.match(name):
        return True
    return None


# -- sphinx-gallery's timing pages load jQuery and DataTables from CDNs ------

_SG_REMOTE = re.compile(r"^  \.\. raw:: html\n.*?(?=^  \.\. list-table::)", re.S | re.M)


def _strip_remote_scripts(app, docname, source):
    """Drop the raw HTML block (CDN scripts and styles) of sg_execution_times pages."""
    if docname.endswith("sg_execution_times"):
        source[0] = _SG_REMOTE.sub("", source[0])


# -- Bases shown on class pages ----------------------------------------------

def _public_bases(cls):
    out = []
    for base in cls.__bases__:
        if base is object or base.__name__ == "ABC":
            continue
        private = base.__name__.startswith("_") or base.__module__.split(".")[-1] == "_frozen"
        if private:
            out.extend(b for b in _public_bases(base) if b not in out)
        elif base not in out:
            out.append(base)
    return out


def _process_bases(app, name, obj, options, bases):
    """Show the public bases: private helpers are replaced by their own public bases."""
    bases[:] = _public_bases(obj)


# -- Cross-references to re-exported names -----------------------------------
# Docstrings name objects by where they are defined
# (``measureopt.oracles.GridOracle``, ``measureopt.problems.MeasureProblem``);
# the API pages document them where users import them (``measureopt.GridOracle``).
# A reference that Sphinx cannot resolve by name is resolved by identity: the
# object it names is imported and looked up among the documented objects.

_DOC_MODULES = ("measureopt", "solvers")


def _import_dotted(name):
    parts = name.split(".")
    if parts[0] not in _DOC_MODULES:
        return None
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for part in parts[i:]:
                obj = getattr(obj, part)
        except AttributeError:
            return None
        return obj
    return None


def _key(obj):
    obj = getattr(obj, "__func__", obj)
    if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismodule(obj) or isinstance(obj, property):
        return id(obj)
    return None


def _documented(env):
    """``{id(object): (fullname, entry)}`` over the documented Python objects (cached per build)."""
    domain = env.get_domain("py")
    cache = getattr(env, "_mo_documented", None)
    if cache is not None and cache[0] == len(domain.objects):
        return cache[1]
    table = {}
    for fullname, entry in domain.objects.items():
        obj = _import_dotted(fullname)
        key = _key(obj) if obj is not None else None
        if key is None:
            continue
        qualname = getattr(getattr(obj, "__func__", obj), "__qualname__", "")
        best = table.get(key)
        # prefer the name on the class that defines the member, then the shortest
        rank = (not fullname.endswith("." + qualname), len(fullname))
        if best is None or rank < best[0]:
            table[key] = (rank, fullname, entry)
    env._mo_documented = (len(domain.objects), table)
    return table


def _candidates(node):
    target = node["reftarget"].lstrip(".~")
    names = [target]
    module, cls = node.get("py:module"), node.get("py:class")
    if module and cls:
        names.append(f"{module}.{cls}.{target}")
    if module:
        names.append(f"{module}.{target}")
    # the module that defines the docstring holding the reference
    source = node.source or ""
    match = re.search(r"docstring of ([\w.]+)", source)
    if match:
        parts = match.group(1).split(".")
        for i in range(len(parts), 0, -1):
            names.append(".".join(parts[:i] + [target]))
    return names


def _resolve_by_identity(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    table = _documented(env)
    objects = env.get_domain("py").objects
    for name in _candidates(node):
        if name in objects:  # e.g. a constant named from inside its own module
            entry = objects[name]
            return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, name)
        obj = _import_dotted(name)
        key = _key(obj) if obj is not None else None
        if key is not None and key in table:
            _, fullname, entry = table[key]
            return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, fullname)
    # an attribute listed in the "Attributes" section of a documented class
    # (numpydoc renders that section as a list, without targets): link the class
    for name in _candidates(node):
        owner_name, _, attr = name.rpartition(".")
        owner = _import_dotted(owner_name) if owner_name else None
        if inspect.isclass(owner) and id(owner) in table and attr in _listed_attributes(owner):
            _, fullname, entry = table[id(owner)]
            return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id, contnode,
                                f"{fullname}.{attr}")
    return None


def _listed_attributes(cls):
    from numpydoc.docscrape import NumpyDocString

    try:
        section = NumpyDocString(inspect.getdoc(cls) or "")["Attributes"]
    except Exception:  # a docstring numpydoc cannot parse lists nothing
        return set()
    return {name.strip() for param in section for name in param.name.split(",")}


def setup(app):
    app.connect("source-read", _strip_remote_scripts)
    app.connect("autodoc-process-bases", _process_bases)
    app.connect("autodoc-skip-member", _skip_sklearn_generated)
    app.connect("missing-reference", _resolve_by_identity)
