"""Multi-label active learning: MultilabelBadge vs random sampling.

What is measured
----------------
Test micro-F1 and macro-F1 (``sklearn.metrics.f1_score``,
``zero_division=0``) along an active-learning loop on the experiment
runner's generated multi-label data set ``multilabel-synth``
(``make_multilabel_classification(n_samples=3000, n_features=40,
n_classes=10, n_labels=3, random_state=0)``: 3,000 bag-of-words-like
samples, 10 labels, about 3 per sample; the features are standardised on
the pool), with the runner's multi-label model ``mlp-multilabel``
(scikit-learn ``MLPClassifier``, one hidden layer of 64 ReLU units, one
sigmoid output per label, Adam lr 0.001, up to 500 epochs), for three
strategies:

- ``random``: the runner's ``multilabel-random`` (uniform picks among the
  unlabeled rows);
- ``MultilabelBadge``: ``skactiveml_badge.MultilabelBadge()`` with its
  defaults (the paper's k-means++ rule; the runner's
  ``multilabel-badge``);
- ``MultilabelBadge (origin)``:
  ``MultilabelBadge(origin_as_centre=True)`` (``multilabel-badge-origin``).

The loop is the experiment runner's
(``skactiveml_badge.experiments.run_rounds``, the loop of ``python -m
skactiveml_badge.experiments``): each seed fixes the random 70/30
pool/test split (2,100 pool rows, 900 test rows) and the ``--start``
random start rows; round 0 fits the model on them (the same model for
every strategy), and every further round builds the strategy, queries
``--batch-size`` rows (all their labels) with the model of the round
before (``fit_clf=False``), labels them and fits a new model (seeded from
the seed and the round). There are ``rounds + 1`` scores per run.

The compared quantity is the mean test micro-F1 over the loop (the mean of
those ``rounds + 1`` scores, i.e. the normalised area under the learning
curve); the macro-F1 is reported next to it. The tables give the mean +-
standard deviation over the seeds at each number of labels and of the mean
over the loop, the per-seed means over the loop and the number of seeds
for which each BADGE variant beats random (paired by seed). The setting
(data set, model, start set, batch size, rounds) was fixed before the
first run and is the same for every strategy.

How to run
----------
::

    python benchmarks/bench_multilabel.py --quick    # seconds
    python benchmarks/bench_multilabel.py            # minutes
    python benchmarks/bench_multilabel.py --workers 2 \\
        --out benchmarks/_results/multilabel.md

Progress goes to stderr; the report goes to stdout (and to ``--out``).
"""

import math
import statistics
import sys
import time
import warnings

import _common
import sklearn
from sklearn.metrics import f1_score

from skactiveml_badge.experiments import (
    MODELS,
    STRATEGIES,
    load_dataset,
    run_rounds,
    split_pool,
)
from skactiveml_badge.experiments._registry import MULTILABEL_SYNTH

DATASET = "multilabel-synth"
MODEL = "mlp-multilabel"
#: Strategies compared, by their name in the report.
COMPARED = {
    "random": "multilabel-random",
    "MultilabelBadge": "multilabel-badge",
    "MultilabelBadge (origin)": "multilabel-badge-origin",
}
BASELINE = "random"
#: Share of the data held out for testing (the runner's default).
TEST_SIZE = 0.3


def run_loop(name, seed, args):
    """``(micro-F1s, macro-F1s, mean query s, loop s)`` of one strategy
    and seed: the runner's loop."""
    X, Y, scale = load_dataset(DATASET)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rounds = list(
            run_rounds(
                X,
                Y,
                MODEL,
                COMPARED[name],
                batch_size=args.batch_size,
                seed=seed,
                rounds=args.rounds,
                n_start=args.start,
                test_size=TEST_SIZE,
                scale=scale,
            )
        )
    return (
        [r.micro_f1 for r in rounds],
        [r.macro_f1 for r in rounds],
        statistics.mean(r.query_seconds for r in rounds[1:]),
        time.perf_counter() - start,
    )


def full_pool(seed, args):
    """``(micro-F1, macro-F1)`` of the model fitted on the whole pool of a
    seed (every row labeled): the ceiling of the loop."""
    X, Y, scale = load_dataset(DATASET)
    X_pool, Y_pool, X_test, Y_test, _ = split_pool(
        X, Y, scale, seed, TEST_SIZE, args.start
    )
    clf = MODELS[MODEL].make(X.shape[1], Y.shape[1], seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred = clf.fit(X_pool, Y_pool).predict(X_test)
    return tuple(
        f1_score(Y_test, pred, average=a, zero_division=0)
        for a in ("micro", "macro")
    )


def per_seed_lines(micro, macro):
    """The per-seed table of the means over the loop and the wins of each
    strategy against the baseline."""
    names = list(micro)
    seeds = list(micro[names[0]])

    def mean(res, n, s):
        return statistics.mean(res[n][s])

    rows = [
        [str(s)]
        + [f"{mean(micro, n, s):.4f} / {mean(macro, n, s):.4f}" for n in names]
        for s in seeds
    ]
    summary = []
    for name in names:
        if name == BASELINE or BASELINE not in micro:
            continue
        for label, res in (("micro-F1", micro), ("macro-F1", macro)):
            diffs = [
                mean(res, name, s) - mean(res, BASELINE, s) for s in seeds
            ]
            summary.append(
                f"- {name} beat {BASELINE} in mean {label} over the loop for "
                f"{sum(d > 0 for d in diffs)} of {len(seeds)} seeds (mean "
                f"difference {statistics.mean(diffs):+.4f}; per seed: "
                + ", ".join(f"{d:+.4f}" for d in diffs)
                + ")."
            )
    table = _common.markdown_table(["seed", *names], rows)
    return table, "\n".join(summary)


def parse_args(argv):
    parser = _common.make_parser(
        __doc__,
        quick="2 seeds, 3 rounds: a smoke test",
        seeds="seeds (default 0 1 2 3 4)",
        workers=True,
    )
    parser.add_argument("--rounds", type=int, help="query rounds (default 12)")
    parser.add_argument(
        "--batch-size", type=int, default=25, help="rows labeled per round"
    )
    parser.add_argument(
        "--start", type=int, default=50, help="random start rows"
    )
    parser.add_argument(
        "--strategies",
        nargs="+",
        choices=list(COMPARED),
        default=list(COMPARED),
        help="strategies to compare",
    )
    args = parser.parse_args(argv)
    if args.seeds is None:
        args.seeds = [0, 1] if args.quick else [0, 1, 2, 3, 4]
    if args.rounds is None:
        args.rounds = 3 if args.quick else 12
    _common.check_args(
        parser,
        args,
        positive=("rounds", "batch_size", "start", "workers"),
        non_negative=("seeds",),
    )
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    command = _common.command_line()
    load_start = _common.load_average()

    start_time = time.perf_counter()
    micro = {name: {} for name in args.strategies}
    macro = {name: {} for name in args.strategies}
    seconds = {name: [] for name in args.strategies}
    jobs = [(n, seed, args) for seed in args.seeds for n in args.strategies]
    loops = _common.run_jobs(run_loop, jobs, args.workers)
    for (name, seed, _), (mi, ma, query_s, loop_s) in zip(
        jobs, loops, strict=True
    ):
        micro[name][seed], macro[name][seed] = mi, ma
        seconds[name].append((query_s, loop_s))
        _common.log(
            f"seed {seed} {name}: micro-F1 "
            + " ".join(f"{a:.3f}" for a in mi)
            + f" (mean {statistics.mean(mi):.4f}, {loop_s:.0f} s)"
        )
    ceiling = list(
        _common.run_jobs(
            full_pool, [(s, args) for s in args.seeds], args.workers
        )
    )
    elapsed = time.perf_counter() - start_time
    ceil_micro, ceil_macro = (
        _common.mean_std([c[k] for c in ceiling]) for k in (0, 1)
    )

    per_seed, summary = per_seed_lines(micro, macro)
    labels = [args.start + r * args.batch_size for r in range(args.rounds + 1)]
    mean_label = "**mean over the loop**"
    timing = _common.markdown_table(
        ["strategy", "query s (mean)", "loop s (mean, fits included)"],
        [
            [
                n,
                f"{statistics.mean(q for q, _ in seconds[n]):.3f}",
                f"{statistics.mean(t for _, t in seconds[n]):.1f}",
            ]
            for n in args.strategies
        ],
        left=(0,),
    )
    n_samples = len(load_dataset(DATASET)[1])
    n_test = math.ceil(TEST_SIZE * n_samples)  # as the runner's split
    text = "\n".join(
        [
            "# Multi-label active learning: MultilabelBadge vs random",
            "",
            f"Command: `{command}`",
            "",
            _common.machine_line(),
            _common.versions_line() + f", scikit-learn {sklearn.__version__}"
            f" ({args.workers} process(es))",
            f"- data: `{DATASET}`, make_multilabel_classification("
            + ", ".join(f"{k}={v}" for k, v in MULTILABEL_SYNTH.items())
            + f"), standardised; random 70/30 pool/test split per seed "
            f"({n_samples - n_test} pool rows, {n_test} test rows)",
            f"- model: `{MODEL}`, {MODELS[MODEL].description}; refitted from "
            "scratch every round",
            f"- loop: the experiment runner's; {args.start} random start "
            f"rows, {args.rounds} rounds of {args.batch_size} "
            f"({labels[-1]} labeled rows at the end), seeds "
            f"{' '.join(map(str, args.seeds))}",
            "- strategies: "
            + "; ".join(
                f"{n} = `{s}` ({STRATEGIES[s].description})"
                for n, s in COMPARED.items()
                if n in args.strategies
            ),
            "",
            "Test micro-F1, mean ± std over the seeds:",
            "",
            _common.curve_table(
                {n: list(micro[n].values()) for n in micro},
                labels,
                mean_label,
            ),
            "",
            "Test macro-F1, mean ± std over the seeds:",
            "",
            _common.curve_table(
                {n: list(macro[n].values()) for n in macro},
                labels,
                mean_label,
            ),
            "",
            "For scale: the model fitted on the whole pool (every row "
            f"labeled) scores micro-F1 {ceil_micro} and macro-F1 "
            f"{ceil_macro} (mean ± std over the seeds).",
            "",
            "Mean test micro-F1 / macro-F1 over the loop, per seed:",
            "",
            per_seed,
            "",
            summary,
            "",
            f"Wall time per loop ({args.rounds + 1} fits, {args.rounds} "
            "queries):",
            "",
            timing,
            "",
            f"Total run time: {elapsed:.0f} s; load average at the start: "
            f"{load_start}, at the end: {_common.load_average()}",
            "",
        ]
    )
    _common.write_text(args.out, text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
