"""Active learning on digits with a skorch MLP: BADGE vs random sampling.

What is measured
----------------
Test accuracy along an active-learning loop on scikit-learn's
``load_digits`` (1,797 8x8 images, ``X / 16`` as float32) with a small
MLP (64 -> 64 -> ReLU -> 10) in scikit-activeml's ``SkorchClassifier``
(Adam, ``--epochs`` epochs, minibatches of 32, ``train_split=None``),
for three strategies:

- ``Badge``: ``skactiveml_badge.Badge()`` (k-means++ seeding on the
  gradient embeddings, taken from the input of the net's last ``Linear``
  with a forward hook);
- ``Badge (farthest_first)``: ``Badge(selection="farthest_first")``;
- ``Random``: ``skactiveml.pool.RandomSampling``.

Each seed fixes the stratified 70/30 pool/test split, the ``--start``
random start labels, ``torch.manual_seed`` (set before each strategy's
loop, so all strategies train their first net identically) and the
strategies' ``random_state``. The loop follows scikit-activeml's
conventions: ``y`` holds ``MISSING_LABEL`` for unlabeled pool samples;
each round fits the net on ``(X_pool, y)``, records its test accuracy and
calls ``qs.query(X_pool, y, clf, fit_clf=False, batch_size=...)``
(through ``skactiveml.utils.call_func``, as RandomSampling takes no
``clf``) with the net just evaluated, then sets ``y[idx] = y_true[idx]``.
After ``--rounds`` queries the net is fitted and evaluated once more, so
there are ``rounds + 1`` accuracies per run, from ``start`` to
``start + rounds * batch_size`` labels.

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
    python benchmarks/bench_skorch_digits.py            # about a minute
    python benchmarks/bench_skorch_digits.py \\
        --out benchmarks/_results/skorch_digits.md

Progress goes to stderr; the table goes to stdout (and to ``--out``).
"""

import argparse
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
from skactiveml.classifier import SkorchClassifier
from skactiveml.pool import RandomSampling
from skactiveml.utils import MISSING_LABEL, call_func
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

import skactiveml_badge
from skactiveml_badge import Badge

N_CLASSES = 10
STRATEGIES = ("Badge", "Badge (farthest_first)", "Random")
BASELINE = "Random"


class MLP(nn.Module):
    """64 -> 64 -> ReLU -> 10."""

    def __init__(self, n_in=64, n_hidden=64, n_classes=N_CLASSES):
        super().__init__()
        self.hidden = nn.Sequential(nn.Linear(n_in, n_hidden), nn.ReLU())
        self.out = nn.Linear(n_hidden, n_classes)

    def forward(self, x):
        return self.out(self.hidden(x))


def make_strategy(name, seed):
    if name == "Badge":
        return Badge(random_state=seed)
    if name == "Badge (farthest_first)":
        return Badge(selection="farthest_first", random_state=seed)
    if name == "Random":
        return RandomSampling(random_state=seed)
    raise ValueError(name)


def make_classifier(args, seed):
    return SkorchClassifier(
        MLP,
        neural_net_param_dict=dict(
            max_epochs=args.epochs,
            lr=args.lr,
            optimizer=torch.optim.Adam,
            batch_size=32,
            train_split=None,
            verbose=0,
        ),
        classes=np.arange(N_CLASSES),
        random_state=seed,
    )


def split(seed, n_start):
    """Pool/test split and the start labels for one seed."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    X_pool, X_test, y_pool, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    rng = np.random.default_rng(seed)
    start = rng.choice(len(X_pool), size=n_start, replace=False)
    return X_pool, y_pool, X_test, y_test, start


def run_loop(name, seed, data, args):
    """Test accuracies after each round of one strategy for one seed."""
    X_pool, y_pool, X_test, y_test, start = data
    y = np.full(len(X_pool), MISSING_LABEL)
    y[start] = y_pool[start]
    torch.manual_seed(seed)
    clf = make_classifier(args, seed)
    qs = make_strategy(name, seed)
    accs = []
    for r in range(args.rounds + 1):
        clf.fit(X_pool, y)
        accs.append(float(np.mean(clf.predict(X_test) == y_test)))
        if r == args.rounds:
            break
        idx = call_func(
            qs.query,
            X=X_pool,
            y=y,
            clf=clf,
            fit_clf=False,
            batch_size=args.batch_size,
        )
        idx = np.asarray(idx)
        if not np.isnan(y[idx]).all() or len(set(idx.tolist())) != len(idx):
            raise RuntimeError(f"{name} picked labeled or repeated samples")
        y[idx] = y_pool[idx]
    return accs


def _mean_std(values):
    if len(values) < 2:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def accuracy_table(results, args):
    """Labels vs accuracy (mean ± std over seeds) per strategy."""
    names = list(results)
    rows = []
    for r in range(args.rounds + 1):
        labels = args.start + r * args.batch_size
        cells = [_mean_std([a[r] for a in results[n].values()]) for n in names]
        rows.append([str(labels), *cells])
    cells = [
        _mean_std([statistics.mean(a) for a in results[n].values()])
        for n in names
    ]
    rows.append(["**mean over the loop**", *cells])
    return _common.markdown_table(["labels", *names], rows)


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
            wins = sum(d > 0 for d in diffs)
            summary.append(
                f"- {name} beat {BASELINE} in mean accuracy over the loop "
                f"for {wins} of {len(seeds)} seeds (mean difference "
                f"{statistics.mean(diffs):+.4f}; per seed: "
                + ", ".join(f"{d:+.4f}" for d in diffs)
                + ")."
            )
    table = _common.markdown_table(["seed", *names], rows)
    return table, "\n".join(summary)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="2 seeds, 4 rounds: a smoke test",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        help="seeds (default 0 1 2 3 4)",
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
        choices=STRATEGIES,
        default=list(STRATEGIES),
        help="strategies to compare",
    )
    _common.add_out_option(parser, "report")
    args = parser.parse_args(argv)
    if args.seeds is None:
        args.seeds = [0, 1] if args.quick else [0, 1, 2, 3, 4]
    if args.rounds is None:
        args.rounds = 4 if args.quick else 10
    if min(args.rounds, args.batch_size, args.start) < 1:
        parser.error("--rounds, --batch-size and --start must be >= 1")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    command = _common.command_line()
    load_start = _common.load_average()

    start_time = time.perf_counter()
    results = {name: {} for name in args.strategies}
    for seed in args.seeds:
        data = split(seed, args.start)
        for name in args.strategies:
            t0 = time.perf_counter()
            accs = run_loop(name, seed, data, args)
            results[name][seed] = accs
            _common.log(
                f"seed {seed} {name}: "
                + " ".join(f"{a:.3f}" for a in accs)
                + f" (mean {statistics.mean(accs):.4f}, "
                f"{time.perf_counter() - t0:.0f} s)"
            )
    elapsed = time.perf_counter() - start_time

    per_seed, summary = per_seed_lines(results)
    end_labels = args.start + args.rounds * args.batch_size
    text = "\n".join(
        [
            "# Active learning on digits with a skorch MLP",
            "",
            f"Command: `{command}`",
            "",
            f"- machine: {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} logical CPUs; Python "
            f"{platform.python_version()}, numpy {np.__version__}, torch "
            f"{torch.__version__} ({torch.get_num_threads()} threads), "
            f"skorch {skorch.__version__}, skactiveml "
            f"{skactiveml.__version__}, skactiveml_badge "
            f"{skactiveml_badge.__version__}",
            "- data: load_digits, X / 16 (float32), stratified 70/30 "
            "pool/test split per seed (1257 pool, 540 test)",
            f"- net: 64 -> 64 -> ReLU -> 10 in SkorchClassifier, Adam lr "
            f"{args.lr}, {args.epochs} epochs, minibatch 32, refitted from "
            "scratch every round",
            f"- loop: {args.start} random start labels, {args.rounds} rounds "
            f"of {args.batch_size} ({end_labels} labels at the end), seeds "
            f"{' '.join(map(str, args.seeds))}",
            "",
            "Test accuracy, mean ± std over the seeds:",
            "",
            accuracy_table(results, args),
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
