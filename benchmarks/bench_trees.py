"""Active learning with LightGBM: pseudo-BADGE vs random, margin and BADGE.

What is measured
----------------
Test accuracy along pool-based active-learning loops with a LightGBM
classifier (the runner's ``MODELS["lightgbm"]`` with the settings
below: ``SklearnClassifier(LGBMClassifier(...), classes=...)``), on
data sets that ship with scikit-learn: ``load_breast_cancer`` (569
samples, 30 features, 2 classes), ``load_digits`` (1,797 samples, 64
features, 10 classes) and ``load_wine`` (178 samples, 13 features, 3
classes). Six strategies, each with the same classifier:

- ``TypiClustThenBadge``: ``skactiveml_badge.TypiClustThenBadge()`` (the
  runner's ``typiclust-then-badge``), the study's recipe for tree
  ensembles: scikit-activeml's TypiClust while fewer than 5 labels per
  class are known, then k-means++ seeding with the origin as a centre on
  the leaf embedding next to the scaled features,
  ``g = (p - onehot(argmax p)) (x) [z(x), x]`` ("proximity+X");
- ``pseudo-BADGE``: ``skactiveml_badge.Badge()`` (the runner's
  ``badge``), BADGE from the first query: k-means++ seeding with the
  origin as a centre on the leaf embedding ``g = (p - onehot(argmax p))
  (x) z(x)``, ``z`` the one-hot leaves of every tree scaled to norm one
  (exact, or hashed into ``leaf_dim=256`` buckets when there are more
  trees and the candidates reach more distinct leaves);
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

The loop is the experiment runner's
(``skactiveml_badge.experiments.run_rounds``, the loop of ``python -m
skactiveml_badge.experiments``) on unstandardised features
(``scale=False``; digits as ``X / 16``, the runner's data set): each
seed fixes the stratified 70/30 pool/test split and the random start
labels (drawn from the whole pool, so a class may be missing at first);
round 0 fits the classifier on them (the same model for every strategy),
and every further round builds the strategy, queries ``B`` samples with
the classifier of the round before (``fit_clf=False``), labels them and
fits a new classifier (LightGBM's and the strategy's ``random_state``
derive from the seed and the round). A run has ``rounds + 1``
accuracies, from ``start`` to ``start + rounds * B`` labels.

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
    python benchmarks/bench_trees.py            # minutes
    python benchmarks/bench_trees.py --workers 2
    python benchmarks/bench_trees.py --out benchmarks/_results/trees.md

Progress goes to stderr; the report goes to stdout (and to ``--out``).
"""

import statistics
import sys
import time
from typing import NamedTuple

import _common
import lightgbm
import numpy as np
import sklearn

from skactiveml_badge.experiments import MODELS, STRATEGIES, load_dataset


class Loop(NamedTuple):
    """The loop of a data set."""

    n_start: int
    batch_size: int
    rounds: int


LOOPS = {
    "breast_cancer": Loop(n_start=10, batch_size=10, rounds=10),
    "digits": Loop(n_start=20, batch_size=20, rounds=10),
    "wine": Loop(n_start=6, batch_size=6, rounds=8),
}
#: Strategies compared, by their name in the report.
COMPARED = {
    "TypiClustThenBadge": STRATEGIES["typiclust-then-badge"],
    "pseudo-BADGE": STRATEGIES["badge"],
    "pseudo-BADGE (ff)": STRATEGIES["badge"].with_params(
        selection="farthest_first"
    ),
    "pseudo-BADGE (exact)": STRATEGIES["badge"].with_params(leaf_dim=None),
    "random": STRATEGIES["random"],
    "margin": STRATEGIES["margin"],
    "skactiveml Badge (X)": STRATEGIES["skactiveml-badge"],
}
PSEUDO = (
    "TypiClustThenBadge",
    "pseudo-BADGE",
    "pseudo-BADGE (ff)",
    "pseudo-BADGE (exact)",
)
BASELINES = ("random", "margin", "skactiveml Badge (X)")
HASHED = ("pseudo-BADGE", "pseudo-BADGE (ff)")  # leaf_dim=256
# Not run unless asked for with --strategies.
DEFAULT_STRATEGIES = [n for n in COMPARED if n != "pseudo-BADGE (exact)"]


def n_leaf_pairs(clf, X):
    """Distinct (tree, leaf) pairs that the rows of ``X`` reach, and the
    number of trees."""
    leaves = np.asarray(clf.estimator_.predict(X, pred_leaf=True))
    leaves = leaves.reshape(X.shape[0], -1)
    return sum(np.unique(col).size for col in leaves.T), leaves.shape[1]


class LeafCount:
    """A strategy that first counts the (tree, leaf) pairs its candidates
    reach (into ``counts``, with the seconds it took into ``seconds``)."""

    def __init__(self, qs, counts, seconds):
        self.qs, self.counts, self.seconds = qs, counts, seconds

    def query(self, X, y, clf, fit_clf=False, batch_size=1):
        start = time.perf_counter()
        self.counts.append(n_leaf_pairs(clf, X[np.isnan(y)]))
        self.seconds.append(time.perf_counter() - start)
        return self.qs.query(X, y, clf, fit_clf=fit_clf, batch_size=batch_size)


def run_loop(dataset, name, seed, args):
    """The runner's loop of one data set, strategy and seed, and the leaf
    pairs of its queries (hashed pseudo-BADGE only)."""
    X, y, _ = load_dataset(dataset)
    model = MODELS["lightgbm"].with_params(
        n_estimators=args.n_estimators,
        num_leaves=args.num_leaves,
        min_child_samples=args.min_child_samples,
        learning_rate=args.learning_rate,
    )
    strategy, counts, seconds = COMPARED[name], [], []
    if name in HASHED:
        make = strategy.make
        strategy = strategy._replace(
            make=lambda s: LeafCount(make(s), counts, seconds)
        )
    loop = LOOPS[dataset]
    rounds = args.rounds or loop.rounds
    res = _common.run_loop(
        X,
        y,
        model,
        strategy,
        batch_size=loop.batch_size,
        seed=seed,
        rounds=rounds,
        n_start=loop.n_start,
    )
    # The query time without the counting.
    query_seconds = res.query_seconds - sum(seconds) / rounds
    return res._replace(query_seconds=query_seconds), counts


# ---------------------------------------------------------------- report


def _aulc(results, dataset, name):
    """Per-seed AULC (mean accuracy over the loop), in seed order."""
    return [statistics.mean(a) for a in results[dataset][name].values()]


def accuracy_table(results, dataset, names):
    loop = LOOPS[dataset]
    curves = {n: list(results[dataset][n].values()) for n in names}
    rounds = len(curves[names[0]][0]) - 1
    labels = [loop.n_start + r * loop.batch_size for r in range(rounds + 1)]
    return _common.curve_table(curves, labels, "**AULC**")


def aulc_table(results, query_times, names):
    rows = []
    for dataset in results:
        means = {n: statistics.mean(_aulc(results, dataset, n)) for n in names}
        best = max(means, key=means.get)
        for name in names:
            aulc = _common.mean_std(_aulc(results, dataset, name), ".4f")
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
        # The rule of skactiveml_badge.embeddings._leaves.leaf_embedding:
        # exact (sparse) when there are no more trees than leaf_dim, or no
        # more pairs; hashed otherwise.
        hashed = sum(p > leaf_dim and t > leaf_dim for p, t in counts)
        pairs = [p for p, _ in counts]
        trees = sorted({t for _, t in counts})
        lines.append(
            f"- {dataset}: {min(pairs)} to {max(pairs)} distinct "
            f"(tree, leaf) pairs among the candidates, {trees[0]} to "
            f"{trees[-1]} trees; hashed into {leaf_dim} buckets in "
            f"{hashed} of {len(counts)} queries (exact otherwise: at most "
            f"{leaf_dim} trees or pairs)"
        )
    return lines


def _loop_line(dataset, args):
    X, y, _ = load_dataset(dataset)
    n_test = int(np.ceil(0.3 * len(y)))
    loop = LOOPS[dataset]
    rounds = args.rounds or loop.rounds
    end = loop.n_start + rounds * loop.batch_size
    return (
        f"- {dataset}: {y.max() + 1} classes, {len(y) - n_test} pool / "
        f"{n_test} test, {loop.n_start} random start labels, {rounds} "
        f"rounds of {loop.batch_size} ({end} labels at the end)"
    )


def parse_args(argv):
    parser = _common.make_parser(
        __doc__,
        quick="2 seeds, 3 rounds: a smoke test",
        seeds="seeds (default 0 1 2 3 4)",
        workers=True,
    )
    parser.add_argument(
        "--rounds",
        type=int,
        help="query rounds for every data set (default: 10, wine 8)",
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=list(LOOPS),
        default=list(LOOPS),
        help="data sets",
    )
    parser.add_argument(
        "--strategies",
        nargs="+",
        choices=list(COMPARED),
        default=DEFAULT_STRATEGIES,
        help="strategies to compare (default: all but "
        "'pseudo-BADGE (exact)', i.e. Badge(leaf_dim=None))",
    )
    parser.add_argument("--n-estimators", type=int, default=100)
    parser.add_argument("--num-leaves", type=int, default=8)
    parser.add_argument("--min-child-samples", type=int, default=3)
    parser.add_argument("--learning-rate", type=float, default=0.1)
    args = parser.parse_args(argv)
    if args.seeds is None:
        args.seeds = [0, 1] if args.quick else [0, 1, 2, 3, 4]
    if args.quick and args.rounds is None:
        args.rounds = 3
    _common.check_args(
        parser,
        args,
        positive=("rounds", "n_estimators", "num_leaves", "workers"),
        non_negative=("seeds", "min_child_samples"),
    )
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    command = _common.command_line()
    load_start = _common.load_average()
    names = list(args.strategies)

    start_time = time.perf_counter()
    results = {d: {n: {} for n in names} for d in args.datasets}
    query_times = {d: {n: [] for n in names} for d in args.datasets}
    pairs = {d: [] for d in args.datasets}
    jobs = [
        (d, n, seed, args)
        for d in args.datasets
        for seed in args.seeds
        for n in names
    ]
    loops = _common.run_jobs(run_loop, jobs, args.workers)
    for (dataset, name, seed, _), (res, counts) in zip(
        jobs, loops, strict=True
    ):
        results[dataset][name][seed] = res.accuracies
        query_times[dataset][name].append(res.query_seconds)
        pairs[dataset] += counts
        _common.log(
            f"{dataset} seed {seed} {name}: "
            + " ".join(f"{a:.3f}" for a in res.accuracies)
            + f" (AULC {statistics.mean(res.accuracies):.4f}, "
            f"{res.seconds:.1f} s)"
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
        f"{args.learning_rate}, n_jobs=1, random_state from seed and "
        "round)), refitted every round",
        f"- seeds {' '.join(map(str, args.seeds))}; the experiment "
        "runner's loop, stratified 70/30 pool/test split per seed",
        *(_loop_line(d, args) for d in args.datasets),
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
        "wall time of one `query` call (without the leaf count below).",
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
