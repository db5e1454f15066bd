"""Active learning with LightGBM: pseudo-BADGE vs random, margin and BADGE.

What is measured
----------------
Test accuracy along pool-based active-learning loops with a LightGBM
classifier, ``SklearnClassifier(LGBMClassifier(...), classes=...)``, on
data sets that ship with scikit-learn: ``load_breast_cancer`` (569
samples, 30 features, 2 classes), ``load_digits`` (1,797 samples, 64
features, 10 classes) and ``load_wine`` (178 samples, 13 features, 3
classes). Five strategies, each with the same classifier:

- ``pseudo-BADGE``: ``skactiveml_badge.Badge(random_state=seed)``. With a
  LightGBM model it uses the leaf embedding ``g = (p - onehot(argmax p))
  (x) z(x)``, ``z`` the one-hot leaves of every tree scaled by
  ``1 / sqrt(n_trees)`` (exact, or hashed into ``leaf_dim=256`` buckets
  when the candidates reach more distinct leaves), and k-means++ seeding;
- ``pseudo-BADGE (ff)``: the same with ``selection="farthest_first"``;
- ``random``: ``skactiveml.pool.RandomSampling``;
- ``margin``: ``skactiveml.pool.UncertaintySampling(method=
  "margin_sampling")``;
- ``skactiveml Badge (X)``: scikit-activeml's own
  ``skactiveml.pool.Badge``, which with this classifier uses the raw
  features ``X`` as embedding (``g = (p - onehot(argmax p)) (x) x``).

Optional (``--strategies``): ``pseudo-BADGE (exact)``, ``Badge(leaf_dim=
None)``, which never hashes the leaf embedding; with the default
``leaf_dim=256`` the report says how many queries were hashed.

Each seed fixes the stratified 70/30 pool/test split, the random start
labels (drawn from the whole pool, so a class may be missing at first),
LightGBM's ``random_state`` and the strategies' ``random_state``. The
loop follows scikit-activeml's conventions: ``y`` holds ``MISSING_LABEL``
for unlabeled pool samples; each round fits the classifier on
``(X_pool, y)``, records its test accuracy and calls ``qs.query(X_pool,
y, clf, fit_clf=False, batch_size=B)`` with the classifier just
evaluated (through ``skactiveml.utils.call_func``, as RandomSampling takes
no ``clf``), then reveals ``y[idx] = y_true[idx]``. After the last query
the classifier is fitted and evaluated once more, so a run has ``rounds +
1`` accuracies, from ``start`` to ``start + rounds * B`` labels.

The compared quantity is the area under the learning curve, normalised:
the mean of those ``rounds + 1`` accuracies (AULC). The report gives,
per data set, the mean ± std over the seeds of the test accuracy at each
number of labels; then the AULC per data set and strategy with the mean
query time per round; then, for each pseudo-BADGE variant and each
baseline, the number of seeds for which pseudo-BADGE has the higher
AULC. The LightGBM settings (``--n-estimators``, ``--num-leaves``,
``--min-child-samples``, ``--learning-rate``; ``n_jobs=1``) were chosen
once, with random sampling, so that learning is visible over the loop,
and are the same for every strategy.

How to run
----------
::

    python benchmarks/bench_trees.py --quick    # 2 seeds, 3 rounds
    python benchmarks/bench_trees.py            # about a minute
    python benchmarks/bench_trees.py --out benchmarks/_results/trees.md

Progress goes to stderr; the report goes to stdout (and to ``--out``).
"""

import argparse
import statistics
import sys
import time
import warnings

import _common
import lightgbm
import numpy as np
import sklearn
from lightgbm import LGBMClassifier
from skactiveml.classifier import SklearnClassifier
from skactiveml.pool import Badge as SkactivemlBadge
from skactiveml.pool import RandomSampling, UncertaintySampling
from skactiveml.utils import MISSING_LABEL, call_func
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.model_selection import train_test_split

from skactiveml_badge import Badge

# name: (loader, start labels, batch size, rounds)
DATASETS = {
    "breast_cancer": (load_breast_cancer, 10, 10, 10),
    "digits": (load_digits, 20, 20, 10),
    "wine": (load_wine, 6, 6, 8),
}
PSEUDO = ("pseudo-BADGE", "pseudo-BADGE (ff)", "pseudo-BADGE (exact)")
BASELINES = ("random", "margin", "skactiveml Badge (X)")
STRATEGIES = PSEUDO + BASELINES
# Not run unless asked for with --strategies.
DEFAULT_STRATEGIES = [n for n in STRATEGIES if n != "pseudo-BADGE (exact)"]


def make_strategy(name, seed):
    if name == "pseudo-BADGE":
        return Badge(random_state=seed)
    if name == "pseudo-BADGE (ff)":
        return Badge(selection="farthest_first", random_state=seed)
    if name == "pseudo-BADGE (exact)":
        return Badge(leaf_dim=None, random_state=seed)
    if name == "random":
        return RandomSampling(random_state=seed)
    if name == "margin":
        return UncertaintySampling(method="margin_sampling", random_state=seed)
    if name == "skactiveml Badge (X)":
        return SkactivemlBadge(random_state=seed)
    raise ValueError(name)


def make_classifier(args, classes, seed):
    return SklearnClassifier(
        LGBMClassifier(
            n_estimators=args.n_estimators,
            num_leaves=args.num_leaves,
            min_child_samples=args.min_child_samples,
            learning_rate=args.learning_rate,
            n_jobs=1,
            verbose=-1,
            random_state=seed,
        ),
        classes=classes,
        random_state=seed,
    )


def split(dataset, seed):
    """Pool/test split and the start labels for one data set and seed."""
    loader, n_start = DATASETS[dataset][:2]
    X, y = loader(return_X_y=True)
    X_pool, X_test, y_pool, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    rng = np.random.default_rng(seed)
    start = rng.choice(len(X_pool), size=n_start, replace=False)
    return X_pool, y_pool, X_test, y_test, start, np.unique(y)


def n_leaf_pairs(clf, X):
    """Distinct (tree, leaf) pairs that the rows of ``X`` reach."""
    leaves = np.asarray(clf.estimator_.predict(X, pred_leaf=True))
    leaves = leaves.reshape(X.shape[0], -1)
    return sum(np.unique(col).size for col in leaves.T)


def run_loop(name, seed, data, batch_size, rounds, args):
    """Accuracies, query seconds and leaf-pair counts of one run."""
    X_pool, y_pool, X_test, y_test, start, classes = data
    y = np.full(len(X_pool), MISSING_LABEL)
    y[start] = y_pool[start]
    clf = make_classifier(args, classes, seed)
    qs = make_strategy(name, seed)
    accs, query_s, pairs = [], 0.0, []
    for r in range(rounds + 1):
        clf.fit(X_pool, y)
        accs.append(float(np.mean(clf.predict(X_test) == y_test)))
        if r == rounds:
            break
        hashable = name in PSEUDO and name != "pseudo-BADGE (exact)"
        if hashable and hasattr(clf.estimator_, "booster_"):
            pairs.append(n_leaf_pairs(clf, X_pool[np.isnan(y)]))
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            idx = call_func(
                qs.query,
                X=X_pool,
                y=y,
                clf=clf,
                fit_clf=False,
                batch_size=batch_size,
            )
        query_s += time.perf_counter() - t0
        idx = np.asarray(idx, dtype=int)
        if not np.isnan(y[idx]).all() or len(set(idx.tolist())) != len(idx):
            raise RuntimeError(f"{name} picked labeled or repeated samples")
        y[idx] = y_pool[idx]
    return accs, query_s / rounds, pairs


# ---------------------------------------------------------------- report


def _mean_std(values, spec=".3f"):
    if len(values) < 2:
        return f"{values[0]:{spec}}"
    mean, std = statistics.mean(values), statistics.stdev(values)
    return f"{mean:{spec}} ± {std:{spec}}"


def _aulc(results, dataset, name):
    """Per-seed AULC (mean accuracy over the loop), in seed order."""
    return [statistics.mean(a) for a in results[dataset][name].values()]


def accuracy_table(results, dataset, names):
    n_start, batch_size = DATASETS[dataset][1:3]
    runs = {n: list(results[dataset][n].values()) for n in names}
    rounds = len(runs[names[0]][0]) - 1
    rows = []
    for r in range(rounds + 1):
        cells = [_mean_std([a[r] for a in runs[n]]) for n in names]
        rows.append([str(n_start + r * batch_size), *cells])
    cells = [_mean_std(_aulc(results, dataset, n)) for n in names]
    rows.append(["**AULC**", *cells])
    return _common.markdown_table(["labels", *names], rows)


def aulc_table(results, query_times, names):
    rows = []
    for dataset in results:
        means = {n: statistics.mean(_aulc(results, dataset, n)) for n in names}
        best = max(means, key=means.get)
        for name in names:
            aulc = _mean_std(_aulc(results, dataset, name), ".4f")
            if name == best:
                aulc = f"**{aulc}**"
            q_ms = 1e3 * statistics.mean(query_times[dataset][name])
            rows.append([dataset, name, aulc, f"{q_ms:.1f}"])
    return _common.markdown_table(
        ["data set", "strategy", "AULC (mean ± std)", "query ms / round"],
        rows,
        left=(0, 1),
    )


def wins_table(results, names):
    pseudo = [n for n in PSEUDO if n in names]
    bases = [n for n in BASELINES if n in names]
    rows = []
    for dataset in results:
        for p in pseudo:
            a = _aulc(results, dataset, p)
            for b in bases:
                base = _aulc(results, dataset, b)
                diffs = [x - y for x, y in zip(a, base, strict=True)]
                wins = sum(d > 0 for d in diffs)
                ties = sum(d == 0 for d in diffs)
                rows.append(
                    [
                        dataset,
                        p,
                        b,
                        f"{wins}/{len(diffs)}"
                        + (f" ({ties} tied)" if ties else ""),
                        f"{statistics.mean(diffs):+.4f}",
                        ", ".join(f"{d:+.3f}" for d in diffs),
                    ]
                )
    return _common.markdown_table(
        [
            "data set",
            "variant",
            "vs",
            "seeds won",
            "mean AULC diff",
            "per seed",
        ],
        rows,
        left=(0, 1, 2, 5),
    )


def leaf_lines(pairs, leaf_dim=256):
    """How often the leaf embedding was exact or hashed."""
    lines = []
    for dataset, counts in pairs.items():
        if not counts:
            continue
        hashed = sum(c > leaf_dim for c in counts)
        lines.append(
            f"- {dataset}: {min(counts)} to {max(counts)} distinct "
            f"(tree, leaf) pairs among the candidates; hashed into "
            f"{leaf_dim} buckets in {hashed} of {len(counts)} queries "
            "(exact otherwise)"
        )
    return lines


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--quick", action="store_true", help="2 seeds, 3 rounds: smoke test"
    )
    parser.add_argument(
        "--seeds", type=int, nargs="+", help="seeds (default 0 1 2 3 4)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        help="query rounds for every data set (default: 10, wine 8)",
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=list(DATASETS),
        default=list(DATASETS),
        help="data sets",
    )
    parser.add_argument(
        "--strategies",
        nargs="+",
        choices=STRATEGIES,
        default=DEFAULT_STRATEGIES,
        help="strategies to compare (default: all but "
        "'pseudo-BADGE (exact)', i.e. Badge(leaf_dim=None))",
    )
    parser.add_argument("--n-estimators", type=int, default=100)
    parser.add_argument("--num-leaves", type=int, default=8)
    parser.add_argument("--min-child-samples", type=int, default=3)
    parser.add_argument("--learning-rate", type=float, default=0.1)
    _common.add_out_option(parser, "report")
    args = parser.parse_args(argv)
    if args.seeds is None:
        args.seeds = [0, 1] if args.quick else [0, 1, 2, 3, 4]
    if args.quick and args.rounds is None:
        args.rounds = 3
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be >= 1")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    command = _common.command_line()
    load_start = _common.load_average()
    names = list(args.strategies)

    start_time = time.perf_counter()
    results, query_times, pairs, loops = {}, {}, {}, []
    for dataset in args.datasets:
        _, n_start, batch_size, rounds = DATASETS[dataset]
        rounds = args.rounds or rounds
        results[dataset] = {n: {} for n in names}
        query_times[dataset] = {n: [] for n in names}
        pairs[dataset] = []
        for seed in args.seeds:
            data = split(dataset, seed)
            for name in names:
                t0 = time.perf_counter()
                accs, q_s, p = run_loop(
                    name, seed, data, batch_size, rounds, args
                )
                results[dataset][name][seed] = accs
                query_times[dataset][name].append(q_s)
                pairs[dataset] += p
                _common.log(
                    f"{dataset} seed {seed} {name}: "
                    + " ".join(f"{a:.3f}" for a in accs)
                    + f" (AULC {statistics.mean(accs):.4f}, "
                    f"{time.perf_counter() - t0:.1f} s)"
                )
        n_pool, n_test = len(data[0]), len(data[2])
        loops.append(
            f"- {dataset}: {len(data[5])} classes, {n_pool} pool / "
            f"{n_test} test, {n_start} random start labels, {rounds} rounds "
            f"of {batch_size} ({n_start + rounds * batch_size} labels at "
            "the end)"
        )
    elapsed = time.perf_counter() - start_time

    text = [
        "# Active learning with LightGBM: pseudo-BADGE on trees",
        "",
        f"Command: `{command}`",
        "",
        _common.machine_line(),
        _common.versions_line()
        + f", lightgbm {lightgbm.__version__}, scikit-learn "
        f"{sklearn.__version__}, numpy {np.__version__}",
        f"- classifier: SklearnClassifier(LGBMClassifier(n_estimators="
        f"{args.n_estimators}, num_leaves={args.num_leaves}, "
        f"min_child_samples={args.min_child_samples}, learning_rate="
        f"{args.learning_rate}, n_jobs=1, random_state=seed)), refitted "
        "every round",
        f"- seeds {' '.join(map(str, args.seeds))}; stratified 70/30 "
        "pool/test split per seed",
        *loops,
        "",
    ]
    for dataset in results:
        text += [
            f"## {dataset}: test accuracy, mean ± std over the seeds",
            "",
            accuracy_table(results, dataset, names),
            "",
        ]
    text += [
        "## Area under the learning curve",
        "",
        "AULC = mean test accuracy over the rounds of a run; mean ± std "
        "over the seeds (best per data set in bold). Query time: mean "
        "wall time of one `query` call.",
        "",
        aulc_table(results, query_times, names),
        "",
    ]
    if any(n in names for n in PSEUDO) and any(n in names for n in BASELINES):
        text += [
            "## Seeds won by pseudo-BADGE",
            "",
            "Seeds for which the pseudo-BADGE variant has the higher AULC "
            "than the baseline; difference = pseudo-BADGE - baseline.",
            "",
            wins_table(results, names),
            "",
        ]
    leaves = leaf_lines(pairs)
    if leaves:
        text += ["Leaf embedding of the pseudo-BADGE queries:", "", *leaves]
        text.append("")
    text += [
        f"Total run time: {elapsed:.0f} s; load average at the start: "
        f"{load_start}, at the end: {_common.load_average()}",
        "",
    ]
    text = "\n".join(text)
    _common.write_text(args.out, text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
