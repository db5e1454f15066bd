"""Every Python block of the README and of the docs' guide pages runs.

The pages: ``README.md`` (its fenced blocks marked ``python``) and every
hand-written ``docs/*.rst`` page (its ``.. code-block:: python``
directives); the pages the build writes (``docs/study.rst``, written by the
experiment runner, and sphinx-gallery's output) are left out.

Rule: the blocks of one page run in order in one namespace, fresh for each
page, as a reader pasting them in order would run them. A page's first
block therefore imports and loads everything it uses; later blocks may use
what earlier ones defined. Shell commands are marked ``bash`` (or
``text``) and are not run; a fence without a language fails the test, so
that none is skipped by accident. The blocks use the extras that CI
installs (torch, skorch, LightGBM, XGBoost, matplotlib): nothing is skipped.
A block that trains a model whose wrapper could not fit it
(``UntrainedModelWarning``) or stops before convergence fails. Blocks use
small data, nets and ensembles: each page takes seconds on 2 idle cores.
"""

import pathlib
import re
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
# Written by a program, not by hand: the runner's results page and
# sphinx-gallery's timing table.
GENERATED = {"study.rst", "sg_execution_times.rst"}
LANGUAGES = {"python", "bash", "text"}

_FENCE = re.compile(r"^```(\S*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
_DIRECTIVE = re.compile(r"^([ \t]*)\.\. code-block::[ \t]*(\S*)[ \t]*$")


def markdown_blocks(text):
    """``(language, first line number, source)`` of every fenced block."""
    return [
        (m.group(1), text.count("\n", 0, m.start(2)) + 1, m.group(2))
        for m in _FENCE.finditer(text)
    ]


def rst_blocks(text):
    """``(language, first line number, source)`` of every code-block.

    The content is the run of lines indented deeper than the directive
    (blank lines included) after its options, dedented.
    """
    lines = text.split("\n")
    blocks = []
    for i, line in enumerate(lines):
        m = _DIRECTIVE.match(line)
        if not m:
            continue
        indent = len(m.group(1))
        j = i + 1
        while j < len(lines) and lines[j].strip().startswith(":"):
            j += 1  # directive options
        k = j
        while k < len(lines) and (
            not lines[k].strip()
            or len(lines[k]) - len(lines[k].lstrip()) > indent
        ):
            k += 1
        source = textwrap.dedent("\n".join(lines[j:k])).strip("\n")
        first = j + next((n for n, s in enumerate(lines[j:k]) if s.strip()), 0)
        blocks.append((m.group(2), first + 1, source + "\n"))
    return blocks


def guide_pages():
    return sorted(p for p in DOCS.glob("*.rst") if p.name not in GENERATED)


def page_blocks(path):
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        return markdown_blocks(text)
    return rst_blocks(text)


PAGES = [README, *guide_pages()]
PYTHON_PAGES = [
    p for p in PAGES if any(lang == "python" for lang, *_ in page_blocks(p))
]


def _page_id(path):
    return str(path.relative_to(ROOT))


def test_extraction_finds_blocks():
    """A broken extractor must not pass by finding nothing to run."""
    assert any(lang == "python" for lang, *_ in page_blocks(README))
    for name in ("guide_usage", "guide_nets", "guide_trees", "guide_bait"):
        assert DOCS / f"{name}.rst" in PYTHON_PAGES


def test_extractors_on_samples():
    md = "text\n```python\nx = 1\n\ny = 2\n```\n```bash\nls\n```\n"
    assert markdown_blocks(md) == [
        ("python", 3, "x = 1\n\ny = 2\n"),
        ("bash", 8, "ls\n"),
    ]
    rst = (
        "Title\n\n- item\n\n  .. code-block:: python\n     :caption: c\n\n"
        "     a = 1\n\n     if a:\n         b = 2\n\n  back in the list\n"
    )
    assert rst_blocks(rst) == [("python", 8, "a = 1\n\nif a:\n    b = 2\n")]


@pytest.mark.parametrize("path", PAGES, ids=_page_id)
def test_blocks_name_their_language(path):
    """Shell commands are marked so that they are shown, not run."""
    for lang, line, _ in page_blocks(path):
        assert lang in LANGUAGES, f"{_page_id(path)}:{line}: {lang!r}"


# guide_balance.rst shows the warm start, which says so once.
@pytest.mark.filterwarnings("ignore::skactiveml_badge.WarmStartWarning")
@pytest.mark.filterwarnings("error::skactiveml_badge.UntrainedModelWarning")
@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("path", PYTHON_PAGES, ids=_page_id)
def test_python_blocks_run(path, monkeypatch, tmp_path):
    """The page's Python blocks, in order, in one fresh namespace."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].switch_backend("Agg")
    monkeypatch.chdir(tmp_path)  # whatever a block writes lands here
    namespace = {"__name__": "__main__"}
    try:
        for lang, line, source in page_blocks(path):
            if lang != "python":
                continue
            # Pad so that a traceback names the page's own line numbers.
            code = compile("\n" * (line - 1) + source, str(path), "exec")
            exec(code, namespace)
    finally:
        namespace.clear()
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")
