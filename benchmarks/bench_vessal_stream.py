"""Learning curves of VeSSAL and scikit-activeml's stream baselines on a
drifting stream of digits.

The stream: scikit-learn's digits (1,797 images, 10 classes, pixels / 16),
ordered by ``y + U(0, --spread)`` (drawn per seed), so that the class mix
drifts: classes enter and leave the stream over time, about ``--spread``
of them at a time (class 0 alone at the start, class 9 at the end). The
first ``--warmup`` arrivals are labelled for every strategy; then each
arrival is predicted by the current model (prequential accuracy), offered
to the strategy (``query`` then ``update``, one arrival per call), and
labelled if queried. The model, a
logistic regression (``SklearnClassifier``, all 10 classes declared), is
refitted on every label bought so far each ``--refit`` arrivals.

Strategies, all at the same ``--budget``: ``VeSSAL`` (gradient embedding
of the logistic regression: ``h = x``), ``StreamRandomSampling``,
``Split`` and ``VariableUncertainty`` (scikit-activeml's defaults
otherwise). Reported over ``--seeds``: prequential accuracy in
``--blocks`` equal blocks of arrivals, its mean over the stream (the
normalised area under the curve), the labels bought and the seconds per
arrival (query and update only), mean ± std.

Run from the repository root::

    python benchmarks/bench_vessal_stream.py \\
        --out benchmarks/_results/vessal_stream.md

which also writes ``vessal_stream.rst`` next to it for the docs.
"""

import statistics
import time
import warnings

import numpy as np
from _common import (
    check_args,
    command_line,
    end_footer,
    log,
    machine_line,
    make_parser,
    markdown_table,
    mean_std,
    rst_table,
    run_jobs,
    start_load_line,
    versions_line,
    write_text,
)

STRATEGIES = ["VeSSAL", "StreamRandomSampling", "Split", "VariableUncertainty"]


def drifting_digits(seed, spread):
    """Digits ordered so that the class mix drifts over the stream."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    rng = np.random.RandomState(seed)
    key = y + rng.uniform(0.0, spread, len(y))
    order = np.argsort(key, kind="stable")
    return X[order] / 16.0, y[order]


def make_strategy(name, budget, seed):
    from skactiveml.stream import (
        Split,
        StreamRandomSampling,
        VariableUncertainty,
    )

    from skactiveml_badge import VeSSAL

    cls = {
        "VeSSAL": VeSSAL,
        "StreamRandomSampling": StreamRandomSampling,
        "Split": Split,
        "VariableUncertainty": VariableUncertainty,
    }[name]
    return cls(budget=budget, random_state=seed)


def run_stream(name, seed, budget, spread, warmup, refit, blocks):
    """One stream: prequential accuracy per block, labels, s per arrival."""
    from skactiveml.classifier import SklearnClassifier
    from sklearn.linear_model import LogisticRegression

    X, y = drifting_digits(seed, spread)
    clf = SklearnClassifier(
        LogisticRegression(max_iter=1000), classes=np.arange(10)
    )
    qs = make_strategy(name, budget, seed)
    y_train = np.full(len(y), np.nan)
    y_train[:warmup] = y[:warmup]
    correct = np.zeros(len(y) - warmup, dtype=bool)
    seconds = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X[:warmup], y_train[:warmup])
        for t in range(warmup, len(y)):
            cand = X[t : t + 1]
            correct[t - warmup] = clf.predict(cand)[0] == y[t]
            start = time.perf_counter()
            if name == "StreamRandomSampling":
                picks = qs.query(cand)
                qs.update(cand, picks)
            else:
                picks = qs.query(cand, clf)
                qs.update(cand, picks)
            seconds += time.perf_counter() - start
            if len(picks):
                y_train[t] = y[t]
            if (t + 1 - warmup) % refit == 0:
                seen = slice(0, t + 1)
                clf.fit(X[seen], y_train[seen])
    curve = [part.mean() for part in np.array_split(correct, blocks)]
    bought = int(np.sum(~np.isnan(y_train))) - warmup
    return (
        name,
        seed,
        curve,
        float(correct.mean()),
        bought,
        seconds / len(correct),
    )


def main():
    parser = make_parser(
        __doc__,
        quick="2 seeds, coarse refits: a smoke test",
        seeds="random seeds (default 0 1 2 3 4)",
        workers=True,
    )
    parser.add_argument("--budget", type=float, default=0.1)
    parser.add_argument("--spread", type=float, default=3.0)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--refit", type=int, default=20)
    parser.add_argument("--blocks", type=int, default=8)
    args = parser.parse_args()
    check_args(
        parser,
        args,
        positive=("warmup", "refit", "blocks"),
        non_negative=("seeds",),
    )
    seeds = args.seeds or ([0, 1] if args.quick else [0, 1, 2, 3, 4])
    refit = 100 if args.quick else args.refit
    start = time.perf_counter()
    info = [
        f"command: `{command_line()}`",
        machine_line()[2:],
        versions_line()[2:],
        start_load_line()[2:],
        f"digits (1,797), class mix drifting (spread {args.spread:g}), "
        f"{args.warmup} labelled warm-up arrivals, budget "
        f"{args.budget:g}, logistic regression refitted every {refit} "
        f"arrivals, one arrival per query, seeds {seeds}",
    ]
    jobs = [
        (name, seed, args.budget, args.spread, args.warmup, refit, args.blocks)
        for seed in seeds
        for name in STRATEGIES
    ]
    results = {name: [] for name in STRATEGIES}
    for name, seed, curve, acc, bought, spa in run_jobs(
        run_stream, jobs, args.workers
    ):
        log(f"  {name} seed {seed}: accuracy {acc:.3f}, {bought} labels")
        results[name].append((curve, acc, bought, spa))
    n_after = 1797 - args.warmup
    parts = np.array_split(np.arange(n_after), args.blocks)
    ends = [int(part[-1]) + 1 for part in parts]
    curve_rows = [
        [
            f"{args.warmup + e:,}",
            *(
                mean_std([r[0][i] for r in results[name]])
                for name in STRATEGIES
            ),
        ]
        for i, e in enumerate(ends)
    ]
    curve_columns = ["arrivals (block end)", *STRATEGIES]
    summary_columns = [
        "strategy",
        "prequential accuracy (AUC)",
        "labels bought",
        "µs per arrival",
    ]
    summary_rows = [
        [
            name,
            mean_std([r[1] for r in results[name]]),
            mean_std([float(r[2]) for r in results[name]], ".1f"),
            f"{1e6 * statistics.mean(r[3] for r in results[name]):.0f}",
        ]
        for name in STRATEGIES
    ]
    footer = end_footer(time.perf_counter() - start)
    text = (
        "# VeSSAL on a drifting stream of digits\n\n"
        + "\n".join(f"- {line}" for line in info)
        + "\n\nMean prequential accuracy over the stream (the normalised "
        "area under the learning curve), labels bought after the warm-up "
        "and query + update time per arrival, mean ± std over the seeds:"
        "\n\n"
        + markdown_table(summary_columns, summary_rows, left=(0,))
        + f"\n\nPrequential accuracy in {args.blocks} equal blocks of the "
        "arrivals after the warm-up:"
        "\n\n" + markdown_table(curve_columns, curve_rows) + "\n" + footer
    )
    print(text)
    if args.out:
        write_text(args.out, text)
        rst = rst_table(summary_columns, summary_rows, [])
        rst += "\n" + rst_table(
            curve_columns, curve_rows, [*info, footer.strip()]
        )
        write_text(str(args.out)[:-3] + ".rst", rst)


if __name__ == "__main__":
    main()
