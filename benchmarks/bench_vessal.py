"""Time per arriving sample of VeSSAL at C = 10, D = 512.

Synthetic factors: softmax of ``3 N(0, 1)`` logits over ``C`` classes and
a rectified Gaussian ``h`` of ``D`` dimensions per arrival, returned by a
classifier that looks rows up by index (``FixedOutputs``, as in
``bench_bait.py``) through ``clf_embedding_flag_name``. The stream of
``--arrivals`` samples is fed in mini-batches of 1, 10 and 100 arrivals,
each one ``query`` then ``update`` with the queried positions (the
embeddings of ``query`` are reused), for budgets 0.01, 0.05 and 0.2. The
time per sample is the median over ``--repeats`` runs of the whole stream
(a fresh strategy each run, same seed) divided by the arrivals; it
includes the classifier's look-up and scikit-activeml's input checks.

Run from the repository root::

    python benchmarks/bench_vessal.py --out benchmarks/_results/vessal.md

which also writes ``vessal.rst`` next to it for the docs.
"""

import time
import warnings

import numpy as np
from _common import (
    command_line,
    end_footer,
    fixed_outputs_class,
    machine_line,
    make_parser,
    markdown_table,
    median_time,
    rst_table,
    start_load_line,
    versions_line,
    write_text,
)
from skactiveml.utils import MISSING_LABEL

from skactiveml_badge import VeSSAL

FixedOutputs = fixed_outputs_class()


def make_stream(n, C, D, seed=0):
    rng = np.random.RandomState(seed)
    logits = 3.0 * rng.randn(n, C)
    proba = np.exp(logits - logits.max(1, keepdims=True))
    proba /= proba.sum(1, keepdims=True)
    h = np.maximum(rng.randn(n, D), 0.0)
    X = np.arange(n, dtype=float)[:, None]
    clf = FixedOutputs(proba, h, classes=np.arange(C))
    return X, clf.fit(X, np.full(n, MISSING_LABEL))


def run_stream(X, clf, budget, batch, window):
    def run():
        qs = VeSSAL(
            budget=budget,
            window=window,
            clf_embedding_flag_name="return_embeddings",
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for start in range(0, len(X), batch):
                cand = X[start : start + batch]
                qs.update(cand, qs.query(cand, clf))
        return qs.queried_samples_

    return run


COLUMNS = [
    "budget",
    "arrivals per call",
    "arrivals",
    "labelled",
    "µs per sample",
]


def main():
    parser = make_parser(__doc__, out="table")
    parser.add_argument("--arrivals", type=int, default=2000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--features", type=int, default=512)
    parser.add_argument("--budgets", type=float, nargs="+")
    parser.add_argument("--batches", type=int, nargs="+")
    parser.add_argument("--window", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    budgets = args.budgets or [0.01, 0.05, 0.2]
    batches = args.batches or [1, 10, 100]
    start = time.perf_counter()
    info = [
        f"command: `{command_line()}`",
        machine_line()[2:],
        versions_line()[2:],
        start_load_line()[2:],
        f"C = {args.classes}, D = {args.features}, window = {args.window}, "
        f"median of {args.repeats} runs of the whole stream",
    ]
    X, clf = make_stream(args.arrivals, args.classes, args.features)
    rows = []
    for budget in budgets:
        for batch in batches:
            seconds, labelled, _ = median_time(
                run_stream(X, clf, budget, batch, args.window), args.repeats
            )
            rows.append(
                [
                    f"{budget:g}",
                    str(batch),
                    f"{args.arrivals:,}",
                    str(labelled),
                    f"{1e6 * seconds / args.arrivals:.0f}",
                ]
            )
            print(" | ".join(rows[-1]), flush=True)
    footer = end_footer(time.perf_counter() - start)
    text = (
        "# VeSSAL: time per arriving sample\n\n"
        + "\n".join(f"- {line}" for line in info)
        + "\n\n"
        + markdown_table(COLUMNS, rows)
        + "\n"
        + footer
    )
    print(text)
    if args.out:
        write_text(args.out, text)
        write_text(
            str(args.out)[:-3] + ".rst",
            rst_table(COLUMNS, rows, [*info, footer.strip()]),
        )


if __name__ == "__main__":
    main()
