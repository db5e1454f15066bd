"""The README's main command, on a tiny configuration."""

import pytest

from skactiveml_badge._optional import import_optional
from skactiveml_badge.demo import __main__ as demo


def test_demo_prints_learning_curve_and_writes_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "curve.png"
    argv = [
        "--seeds",
        "2",
        "--rounds",
        "2",
        "--batch-size",
        "5",
        "--strategies",
        "badge",
        "random",
        "--plot",
        str(plot),
        "--quiet",
    ]
    assert demo.main(argv) == 0
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if ln.startswith("|")]
    assert lines[0] == "| labels | badge | random |"
    # Header, separator, 3 rounds (20, 25, 30 labels), mean row.
    assert [ln.split(" | ")[0] for ln in lines[2:5]] == [
        "| 20",
        "| 25",
        "| 30",
    ]
    assert len(lines) == 6
    assert plot.stat().st_size > 10_000


def test_demo_rejects_bad_arguments():
    with pytest.raises(SystemExit):
        demo.main(["--seeds", "0"])
    with pytest.raises(SystemExit):
        demo.main(["--strategies", "nope"])


def test_missing_optional_dependency_names_the_extra():
    with pytest.raises(ImportError, match=r"scikit-activeml-badge\[torch\]"):
        import_optional("skorch.definitely_not_a_module")
