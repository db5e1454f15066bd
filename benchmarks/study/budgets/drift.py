"""Do stage 1's runs still come out the same with today's code?

Reruns a sample of a budget's stage-1 runs (the given data sets, models
and strategies on seeds 0..4) in a temporary folder and compares them
with the committed ones: how many runs query exactly the same samples,
and the paired difference of the mean accuracy over the loop (today's
minus the committed, mean and 95% interval over the runs). Stage 2 adds
seeds 5..19 with today's code to stage 1's seeds; this says whether the
two can be pooled.

    python benchmarks/study/budgets/drift.py low --datasets banana segment \\
        --models lightgbm xgboost rf --strategies badge uherding-grad
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from skactiveml_badge.experiments._report import read_results
from skactiveml_badge.experiments._study import interval95, loop_means

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")


def _runs(path, keep):
    """The rows ``keep`` keeps, and each run's queried samples."""
    rows = [r for r in read_results(path) if keep(r)]
    queried = {}
    with open(path, newline="") as fh:
        for r in csv.DictReader(fh):
            key = (r["dataset"], r["model"], r["strategy"], int(r["seed"]))
            queried.setdefault(key, {})[int(r["round"])] = r["queried"]
    return rows, queried


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("budget")
    parser.add_argument("--datasets", nargs="+", required=True)
    parser.add_argument("--models", nargs="+", required=True)
    parser.add_argument("--strategies", nargs="+", required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--out", help="keep today's runs in this folder (resumable)"
    )
    args = parser.parse_args(argv)
    with open(os.path.join(HERE, f"{args.budget}.json")) as fh:
        config = json.load(fh)
    config.pop("more_seeds", None)
    config.pop("more_seeds_strategies", None)
    config.update(
        datasets=args.datasets, models=args.models,
        strategies=args.strategies,
    )  # fmt: skip
    seeds = range(config["seeds"])
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "config.json")
        with open(path, "w") as fh:
            json.dump(config, fh)
        out = args.out or os.path.join(tmp, "out")
        subprocess.run(
            [sys.executable, "-m", "skactiveml_badge.experiments",
             "--config", path, "--out", out, "--quiet",
             "--workers", str(args.workers)],
            check=True,
        )  # fmt: skip
        new_rows, new_q = _runs(os.path.join(out, "results.csv"), bool)

    def keep(r):
        return (
            r["dataset"] in args.datasets and r["model"] in args.models
            and r["strategy"] in args.strategies and r["seed"] in seeds
        )  # fmt: skip

    committed = os.path.join(
        ROOT, "benchmarks", "_results", "study-budgets", args.budget,
        "results.csv",
    )  # fmt: skip
    old_rows, old_q = _runs(committed, keep)
    new, old = loop_means(new_rows), loop_means(old_rows)
    print("| strategy | runs | same picks | today - committed (points) |")
    print("|---|---:|---:|---|")
    for s in args.strategies:
        diffs, same, n = [], 0, 0
        for k in new:
            for seed, acc in new[k].get(s, {}).items():
                if seed not in old.get(k, {}).get(s, {}):
                    continue
                n += 1
                diffs.append(100 * (acc - old[k][s][seed]))
                key = (k[0], k[1], s, seed)
                same += new_q[key] == old_q[key]
        mean, half = interval95(diffs)
        print(f"| {s} | {n} | {same} | {mean:+.3f} ± {half:.3f} "
              f"(mean |diff| {np.mean(np.abs(diffs)):.3f}) |")  # fmt: skip


if __name__ == "__main__":
    main()
