"""Every gallery example executes top to bottom."""

import gc
import pathlib
import runpy

import pytest

GALLERY = pathlib.Path(__file__).resolve().parents[1] / "gallery"
EXAMPLES = sorted(GALLERY.glob("plot_*.py"))


def test_gallery_has_examples():
    assert EXAMPLES


@pytest.mark.filterwarnings("ignore:Animation was deleted:UserWarning")
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path, monkeypatch):
    """Fast settings (fewer seeds and rounds) through the environment."""
    monkeypatch.setenv("SKACTIVEML_BADGE_GALLERY_FAST", "1")
    plt = pytest.importorskip("matplotlib.pyplot")
    plt.switch_backend("Agg")
    monkeypatch.setattr(plt, "show", lambda *a, **k: None)
    namespace = runpy.run_path(str(path), run_name="__main__")
    # Drop the example's objects (an unrendered animation warns when it
    # is collected) while this test's warning filter is active.
    namespace.clear()
    plt.close("all")
    gc.collect()
