"""Sphinx configuration for the prefectlite documentation."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Document the checkout being built, whether or not prefectlite is installed.
sys.path.insert(0, str(ROOT))

project = "prefectlite"
author = "prefectlite developers"
copyright = "prefectlite developers"

# Read the version without importing the package (same source setup.cfg uses).
_init = (ROOT / "prefectlite" / "__init__.py").read_text(encoding="utf-8")
_match = re.search(r'^__version__ = "([^"]+)"', _init, re.MULTILINE)
release = _match.group(1) if _match else "0.0.0"
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# MyST: ::: fences for admonitions; {eval-rst} blocks carry the autodoc directives.
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

# autodoc / napoleon: numpydoc-style docstrings, types shown in the signature only.
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
autodoc_typehints = "signature"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
# The dask extra and graphviz are optional; the docs build must not need them.
autodoc_mock_imports = ["dask", "distributed", "graphviz"]

nitpicky = False

html_theme = "alabaster"
html_title = f"prefectlite {release}"
html_theme_options = {
    "description": "Prefect Core 1.4's graph API on a small, fast engine",
    "fixed_sidebar": True,
}
