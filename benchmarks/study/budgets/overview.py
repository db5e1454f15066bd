"""The study at three budgets on one page: this package's strategies
against the best baseline, per budget and model family, over stage 1's
five seeds and stage 2's twenty (``docs/study_budgets.rst``).

    python benchmarks/study/budgets/overview.py
"""

import json
import os
import sys

from skactiveml_badge.experiments import ExperimentConfig
from skactiveml_badge.experiments._config import rows_of
from skactiveml_badge.experiments._report import read_results
from skactiveml_badge.experiments._study import (
    BAR_LOST_SHARE,
    BAR_MARGIN,
    budget_overview,
)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
BUDGETS = ("low", "mid", "high")
PAGE = os.path.join(ROOT, "docs", "study_budgets.rst")
TITLE = "Label-efficiency study at three budgets: the recipe's bar"


def main(out=PAGE):
    budgets = []
    for name in BUDGETS:
        with open(os.path.join(HERE, f"{name}.json")) as fh:
            config = ExperimentConfig(**json.load(fh))
        path = os.path.join(
            ROOT, "benchmarks", "_results", "study-budgets", name,
            "results.csv",
        )  # fmt: skip
        rows = rows_of(config, read_results(path))
        budgets.append((name, config, rows))
    lines = [
        TITLE,
        "=" * len(TITLE),
        "",
        "Made by ``python benchmarks/study/budgets/overview.py`` from the "
        "results of :doc:`study_low`, :doc:`study_mid` and "
        ":doc:`study_high` (``bash benchmarks/study/budgets/run.sh`` "
        "runs and resumes them).",
        "",
        "Per budget and model family: the best baseline's mean accuracy "
        "over the loop, and each of this package's strategies with its "
        "mean accuracy, the difference, the settings in which some "
        "baseline beat it (paired t-test over the seeds, p < 0.05) and the "
        f"bar (lost in at most {BAR_LOST_SHARE:.0%} of the settings and at "
        f"least {100 * BAR_MARGIN:.1f} points above the best baseline). "
        "*Seeds* 5: stage 1, every strategy and setting on seeds 0..4. "
        "*Seeds* 20: stage 2, the strategies five seeds could not "
        "separate on seeds 0..19, compared among themselves, over the "
        "settings where each has every seed (shown once there are any).",
        "",
        *budget_overview(budgets),
    ]
    with open(out, "w") as fh:
        fh.write("\n".join(lines))
    print(f"wrote {out}")


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
