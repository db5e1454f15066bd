"""Active learning on digits with a skorch MLP: BADGE vs random sampling.

What is measured
----------------
Test accuracy along an active-learning loop on scikit-learn's
``load_digits`` (1,797 8x8 images, ``X / 16`` as float32) with the
experiment runner's small MLP (``MODELS["mlp"]``: 64 -> 64 -> ReLU -> 10
in scikit-activeml's ``SkorchClassifier``, Adam, minibatches of 32,
``train_split=None``) trained for ``--epochs`` epochs with learning rate
``--lr``, for four strategies:

- ``TypiClustThenBadge``: ``skactiveml_badge.TypiClustThenBadge()`` (the
  runner's ``typiclust-then-badge``), the study's recipe: TypiClust until
  5 labels per class (the batches that take the pool from 20 to 60
  labels), then ``Badge``;
- ``Badge``: ``skactiveml_badge.Badge()`` (the runner's ``badge``; BADGE
  from the first query, gradient embeddings taken from the input of the
  net's last ``Linear`` with a forward hook);
- ``Badge (farthest_first)``: ``Badge(selection="farthest_first")``;
- ``Random``: ``skactiveml.pool.RandomSampling`` (the runner's
  ``random``).

The loop is the experiment runner's
(``skactiveml_badge.experiments.run_rounds``, the loop of ``python -m
skactiveml_badge.experiments``): each seed fixes the stratified 70/30
pool/test split and the ``--start`` random start labels; round 0 fits the
net on them (the same net for every strategy), and every further round
builds the strategy, queries ``--batch-size`` samples with the net of the
round before (``fit_clf=False``), labels them and fits a new net (weights
and strategy seeded from the seed and the round). There are ``rounds +
1`` accuracies per run, from ``start`` to ``start + rounds * batch_size``
labels.

The compared quantity is the mean test accuracy over the loop (the mean
of those ``rounds + 1`` accuracies, i.e. the normalised area under the
learning curve). The table gives the mean +- standard deviation over the
seeds at each number of labels and of the mean over the loop; below it
are the per-seed means over the loop and the number of seeds for which
each BADGE variant beats random. The training settings were chosen once,
with random sampling (accuracy from about 0.5 to about 0.9 over the
default loop), and are the same for every strategy.

How to run
----------
::

    python benchmarks/bench_skorch_digits.py --quick    # seconds
    python benchmarks/bench_skorch_digits.py            # minutes
    python benchmarks/bench_skorch_digits.py --workers 2
    python benchmarks/bench_skorch_digits.py \\
        --out benchmarks/_results/skorch_digits.md

Progress goes to stderr; the table goes to stdout (and to ``--out``).
"""

import os
import platform
import statistics
import sys
import time

import _common
import numpy as np
import skactiveml
import skorch
import torch

import skactiveml_badge
from skactiveml_badge.experiments import MODELS, STRATEGIES, load_dataset

#: Strategies compared, by their name in the report.
COMPARED = {
    "TypiClustThenBadge": STRATEGIES["typiclust-then-badge"],
    "Badge": STRATEGIES["badge"],
    "Badge (farthest_first)": STRATEGIES["badge"].with_params(
        selection="farthest_first"
    ),
    "Random": STRATEGIES["random"],
}
BASELINE = "Random"


def run_loop(name, seed, args):
    """The runner's loop of one strategy and seed."""
    X, y, _ = load_dataset("digits")
    model = MODELS["mlp"].with_params(max_epochs=args.epochs, lr=args.lr)
    return _common.run_loop(
        X,
        y,
        model,
        COMPARED[name],
        batch_size=args.batch_size,
        seed=seed,
        rounds=args.rounds,
        n_start=args.start,
    )


def per_seed_lines(results):
    names = list(results)
    seeds = list(results[names[0]])
    rows = [
        [str(seed)]
        + [f"{statistics.mean(results[n][seed]):.4f}" for n in names]
        for seed in seeds
    ]
    summary = []
    if BASELINE in results:
        base = {s: statistics.mean(a) for s, a in results[BASELINE].items()}
        for name in names:
            if name == BASELINE:
                continue
            diffs = [
                statistics.mean(results[name][s]) - base[s] for s in seeds
            ]
            summary.append(_common.win_line(name, BASELINE, diffs, "accuracy"))
    table = _common.markdown_table(["seed", *names], rows)
    return table, "\n".join(summary)


def parse_args(argv):
    parser = _common.make_parser(
        __doc__,
        quick="2 seeds, 4 rounds: a smoke test",
        seeds="seeds (default 0 1 2 3 4)",
        workers=True,
    )
    parser.add_argument("--rounds", type=int, help="query rounds (default 10)")
    parser.add_argument(
        "--batch-size", type=int, default=20, help="labels per round"
    )
    parser.add_argument(
        "--start", type=int, default=20, help="random start labels"
    )
    parser.add_argument(
        "--epochs", type=int, default=100, help="epochs per fit (Adam)"
    )
    parser.add_argument("--lr", type=float, default=1e-2, help="Adam's lr")
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
        args.rounds = 4 if args.quick else 10
    _common.check_args(
        parser,
        args,
        positive=("rounds", "batch_size", "start", "epochs", "workers"),
        non_negative=("seeds",),
    )
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    command = _common.command_line()
    load_start = _common.load_average()

    start_time = time.perf_counter()
    results = {name: {} for name in args.strategies}
    jobs = [(n, seed, args) for seed in args.seeds for n in args.strategies]
    loops = _common.run_jobs(run_loop, jobs, args.workers)
    for (name, seed, _), loop in zip(jobs, loops, strict=True):
        results[name][seed] = loop.accuracies
        _common.log(
            f"seed {seed} {name}: "
            + " ".join(f"{a:.3f}" for a in loop.accuracies)
            + f" (mean {statistics.mean(loop.accuracies):.4f}, "
            f"{loop.seconds:.0f} s)"
        )
    elapsed = time.perf_counter() - start_time

    per_seed, summary = per_seed_lines(results)
    labels = [args.start + r * args.batch_size for r in range(args.rounds + 1)]
    curves = {n: list(results[n].values()) for n in results}
    threads = (
        f"{torch.get_num_threads()} threads"
        if args.workers == 1
        else f"{args.workers} processes of 1 thread"
    )
    text = "\n".join(
        [
            "# Active learning on digits with a skorch MLP",
            "",
            f"Command: `{command}`",
            "",
            f"- machine: {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} logical CPUs; Python "
            f"{platform.python_version()}, numpy {np.__version__}, torch "
            f"{torch.__version__} ({threads}), "
            f"skorch {skorch.__version__}, skactiveml "
            f"{skactiveml.__version__}, skactiveml_badge "
            f"{skactiveml_badge.__version__}",
            "- data: load_digits, X / 16 (float32), stratified 70/30 "
            "pool/test split per seed (1257 pool, 540 test)",
            f"- net: 64 -> 64 -> ReLU -> 10 in SkorchClassifier, Adam lr "
            f"{args.lr}, {args.epochs} epochs, minibatch 32, refitted from "
            "scratch every round",
            f"- loop: the experiment runner's; {args.start} random start "
            f"labels, {args.rounds} rounds of {args.batch_size} "
            f"({labels[-1]} labels at the end), seeds "
            f"{' '.join(map(str, args.seeds))}",
            "",
            "Test accuracy, mean ± std over the seeds:",
            "",
            _common.curve_table(curves, labels, "**mean over the loop**"),
            "",
            "Mean test accuracy over the loop, per seed:",
            "",
            per_seed,
            "",
            summary,
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
