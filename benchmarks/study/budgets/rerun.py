"""Drop runs from a budget's results so that the runner makes them again.

Every row of the runs of ``--strategies`` on ``--models`` (all data
sets, seeds and rounds) is removed from
``benchmarks/_results/study-budgets/<budget>/results.csv`` (the file is
rewritten through a temporary file and renamed); the next
``bash benchmarks/study/budgets/run.sh`` reruns them before anything
else. Used when a change of the package changes what those runs pick
(``drift.py`` shows which): the study then holds one version's runs.

    python benchmarks/study/budgets/rerun.py low \\
        --models lightgbm xgboost rf --strategies badge uherding-grad
"""

import argparse
import csv
import os

from skactiveml_badge.experiments._config import (
    LOCK_FILE,
    RESULTS_FILE,
    OutputFolderError,
)
from skactiveml_badge.experiments._store import _acquire, _release

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "..", "..", "_results", "study-budgets")


def drop_runs(path, models, strategies):
    """Rewrite ``path`` without the rows of ``strategies`` on ``models``;
    returns the numbers of rows kept and dropped."""
    kept = dropped = 0
    tmp = path + ".tmp"
    with open(path, newline="") as src, open(tmp, "w", newline="") as dst:
        reader = csv.reader(src)
        writer = csv.writer(dst)
        header = next(reader)
        writer.writerow(header)
        model, strategy = header.index("model"), header.index("strategy")
        for row in reader:
            if row[model] in models and row[strategy] in strategies:
                dropped += 1
                continue
            writer.writerow(row)
            kept += 1
    os.replace(tmp, path)
    return kept, dropped


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("budget")
    parser.add_argument("--models", nargs="+", required=True)
    parser.add_argument("--strategies", nargs="+", required=True)
    args = parser.parse_args(argv)
    folder = os.path.normpath(os.path.join(RESULTS, args.budget))
    path = os.path.join(folder, RESULTS_FILE)
    # The runner's lock: refused while a run writes the folder, taken
    # over (with a warning) from one that was killed.
    try:
        fd = _acquire(os.path.join(folder, LOCK_FILE))
    except OutputFolderError as exc:
        raise SystemExit(str(exc)) from None
    try:
        kept, dropped = drop_runs(path, set(args.models), set(args.strategies))
    finally:
        _release(os.path.join(folder, LOCK_FILE), fd)
    print(f"{path}: dropped {dropped:,} rows, kept {kept:,}")


if __name__ == "__main__":
    main()
