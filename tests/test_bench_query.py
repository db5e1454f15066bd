"""``benchmarks/bench_query.py`` in its fast mode: a smoke test of the
end-to-end query benchmark (issue 28), every model family."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_bench_query_quick_runs_every_family(tmp_path):
    for module in ("torch", "skorch", "lightgbm", "xgboost", "catboost"):
        pytest.importorskip(module)
    out = tmp_path / "query.md"
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    done = subprocess.run(
        [sys.executable, "benchmarks/bench_query.py", "--quick",
         "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [
        line.split("|")[1:-1]
        for line in out.read_text().splitlines()
        if line.startswith("| ") and "---" not in line
    ][1:]
    families = {"mlp", "cnn", "lightgbm", "xgboost", "catboost", "rf",
                "logreg"}  # fmt: skip
    assert {row[0].strip() for row in rows} == families
    # margin, Badge and the recipe for each; a verdict on Badge's target
    assert len(rows) == 3 * len(families)
    for row in rows:
        total, model_pass = float(row[4]), float(row[5])
        assert 0 <= model_pass <= total
        if row[3].strip() == "Badge":
            assert row[9].strip().startswith(("yes", "no"))
    assert (tmp_path / "query.rst").exists()
