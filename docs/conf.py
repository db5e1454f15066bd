"""Sphinx configuration: API reference from numpydoc docstrings plus the
executed sphinx-gallery examples of ``../gallery``.

Build with ``sphinx-build -W -b html docs docs/_build/html`` (warnings are
errors). ``SKACTIVEML_BADGE_GALLERY_FAST=1`` runs the examples with fewer
seeds and rounds.
"""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

import skactiveml_badge  # noqa: E402

project = "scikit-activeml-badge"
author = "skactiveml-badge developers"
copyright = "2026, skactiveml-badge developers"
release = version = skactiveml_badge.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

autosummary_generate = True
autodoc_default_options = {
    "members": True,
    "inherited-members": False,
    # scikit-learn's metadata-routing setters, which it adds to every
    # estimator class (FrameClassifier): their docstrings cite its glossary.
    "exclude-members": ",".join(
        f"set_{method}_request"
        for method in (
            "fit",
            "partial_fit",
            "predict",
            "predict_proba",
            "score",
        )
    ),
}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# No network on our machines: no intersphinx.

sphinx_gallery_conf = {
    "examples_dirs": ["../gallery"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "matplotlib_animations": (True, "jshtml"),
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "download_all_examples": False,
    # By file name: plot_badge_drop_in.py (scikit-activeml's own example,
    # the import swapped) comes first.
    "within_subsection_order": "FileNameSortKey",
}

templates_path = []
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path = []
