"""End-to-end query time: ``Badge`` against margin sampling, per model.

What is measured
----------------
For every model family (a skorch MLP and a small skorch CNN on 28 x 28
images, LightGBM, XGBoost, CatBoost, a random forest and a logistic
regression on 50 tabular features; 10 classes), pools of ``--pools``
unlabeled samples (default 50,000 and 1,000,000, generated: Gaussian
blobs around 10 class centres) and batches of ``--batches`` (100 and
1,000), side by side in one run on the same fitted model
(``fit_clf=False``; the model is fitted once on ``--labeled`` samples,
1,000, and its fit is not timed):

- ``margin``: the cheapest margin query there is, one ``predict_proba``
  over the pool and a top-k (scikit-activeml's ``UncertaintySampling``
  also builds a utility row per pick, which costs more at large batches);
- ``Badge``: ``Badge(random_state=0).query(...)``;
- ``recipe``: ``TypiClustThenBadge(random_state=0)`` once BADGE has taken
  over (100 labels a class; the benchmark checks ``picked_by_``). Its
  BADGE differs from ``Badge``'s defaults for trees (``"proximity+X"``).

Columns: the median wall time of ``--repeats`` interleaved calls (3, after
one warm-up; each round of calls starts with another query), split into
the model pass (``predict_proba`` for margin; the strategy's gradient
factors, probabilities and ``h``, for the others,
timed inside the call) and the rest (checks, the top-k or the selection);
the ratio to margin's total; the growth of the process's peak RSS during
the first timed call (every allocator, torch's included; a lower bound:
memory reused from earlier calls is not counted); and whether the target
of issue 28 holds (``Badge`` within 1.2x of margin for nets and trees,
within 2x for linear models).

Every library keeps its default number of threads (printed in the header).

How to run
----------
::

    python benchmarks/bench_query.py --quick     # a smoke test, seconds
    python benchmarks/bench_query.py --out benchmarks/_results/query.md
        # also writes query.rst next to it, which the docs include
    python benchmarks/bench_query.py --families lightgbm logreg --pools 50000

Progress goes to stderr; the table goes to stdout (and to ``--out``,
rewritten after every family).
"""

import contextlib
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
    median_time,
    rst_table,
    versions_line,
    write_text,
)

N_CLASSES = 10
N_TABULAR = 50
SIDE = 28
TARGETS = {"nets": 1.2, "trees": 1.2, "linear": 2.0}


# ------------------------------------------------------------------ data


def make_pool(n, kind, seed=0):
    """``n`` samples of ``kind`` (``"images"``: 1 x 28 x 28, else 50
    features), float32, and their labels: unit-variance blobs around 10
    class centres, close enough that the model is unsure on part of the
    pool. Made block by block (a million images take 3 GiB)."""
    rng = np.random.default_rng([seed, n])
    d = SIDE * SIDE if kind == "images" else N_TABULAR
    spread = 0.12 if kind == "images" else 0.45
    centres = (spread * rng.standard_normal((N_CLASSES, d))).astype(np.float32)
    y = rng.integers(0, N_CLASSES, size=n)
    X = np.empty((n, d), dtype=np.float32)
    for s in range(0, n, 65536):
        block = rng.standard_normal((min(65536, n - s), d), dtype=np.float32)
        X[s : s + len(block)] = block + centres[y[s : s + len(block)]]
    if kind == "images":
        X = X.reshape(n, 1, SIDE, SIDE)
    return X, y


# ---------------------------------------------------------------- models


def _skorch(module, quick):
    import torch
    from skactiveml.classifier import SkorchClassifier

    return SkorchClassifier(
        module,
        neural_net_param_dict=dict(
            max_epochs=2 if quick else 10,
            lr=1e-3,
            optimizer=torch.optim.Adam,
            batch_size=64,
            # predictions in large batches: the cheapest margin pass
            iterator_valid__batch_size=1024,
            train_split=None,
            verbose=0,
        ),
        classes=np.arange(N_CLASSES),
        random_state=0,
    )


def make_mlp(quick):
    import torch
    from torch import nn

    torch.manual_seed(0)
    module = nn.Sequential(
        nn.Flatten(),
        nn.Linear(SIDE * SIDE, 256),
        nn.ReLU(),
        nn.Linear(256, N_CLASSES),
    )
    return _skorch(module, quick)


def make_cnn(quick):
    import torch
    from torch import nn

    torch.manual_seed(0)
    module = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 7 * 7, 64),
        nn.ReLU(),
        nn.Linear(64, N_CLASSES),
    )
    return _skorch(module, quick)


def _wrapped(estimator):
    from skactiveml.classifier import SklearnClassifier

    return SklearnClassifier(
        estimator, classes=np.arange(N_CLASSES), random_state=0
    )


def make_lightgbm(quick):
    from lightgbm import LGBMClassifier

    return _wrapped(
        LGBMClassifier(
            n_estimators=10 if quick else 100, num_leaves=8, verbose=-1,
            random_state=0,
        )
    )  # fmt: skip


def make_xgboost(quick):
    from xgboost import XGBClassifier

    return _wrapped(
        XGBClassifier(
            n_estimators=10 if quick else 100, max_depth=3, random_state=0,
            verbosity=0,
        )
    )  # fmt: skip


def make_catboost(quick):
    from catboost import CatBoostClassifier

    return _wrapped(
        CatBoostClassifier(
            iterations=10 if quick else 100, depth=3, random_seed=0,
            verbose=False, allow_writing_files=False,
        )
    )  # fmt: skip


def make_rf(quick):
    from sklearn.ensemble import RandomForestClassifier

    return _wrapped(
        RandomForestClassifier(
            n_estimators=10 if quick else 100, random_state=0, n_jobs=-1
        )
    )


def make_logreg(quick):
    from sklearn.linear_model import LogisticRegression

    return _wrapped(LogisticRegression(max_iter=300))


#: name: (family, data kind, model maker, description)
FAMILIES = {
    "mlp": ("nets", "images", make_mlp, "skorch MLP 784-256-10"),
    "cnn": ("nets", "images", make_cnn,
            "skorch CNN (conv 8, conv 16, 64, 10) on 28 x 28"),
    "lightgbm": ("trees", "tabular", make_lightgbm,
                 "LightGBM, 100 rounds x 10 classes, 8 leaves"),
    "xgboost": ("trees", "tabular", make_xgboost,
                "XGBoost, 100 rounds x 10 classes, depth 3"),
    "catboost": ("trees", "tabular", make_catboost,
                 "CatBoost, 100 rounds, depth 3"),
    "rf": ("trees", "tabular", make_rf, "random forest, 100 trees"),
    "logreg": ("linear", "tabular", make_logreg,
               "logistic regression on 50 features"),
}  # fmt: skip


# ------------------------------------------------------------ the queries


class FactorTimer:
    """Time spent in the strategies' gradient factors (``badge_factors``
    of :mod:`skactiveml_badge.pool._badge`, which every BADGE query calls
    once per block of candidates), recorded while active."""

    def __init__(self):
        self.seconds = 0.0

    @contextlib.contextmanager
    def active(self):
        from skactiveml_badge.pool import _badge

        original = _badge.badge_factors

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        _badge.badge_factors = timed
        try:
            yield self
        finally:
            _badge.badge_factors = original


def margin_query(clf, X_cand, batch, split):
    """One ``predict_proba`` and a top-k of the smallest margins; the
    time of the pass is added to ``split["pass"]``."""
    start = time.perf_counter()
    proba = clf.predict_proba(X_cand)
    split["pass"] += time.perf_counter() - start
    part = np.partition(proba, -2, axis=1)
    margin = part[:, -1] - part[:, -2]
    return np.argpartition(margin, batch)[:batch]


def strategy_query(qs, X, y, clf, batch, split):
    timer = FactorTimer()
    with timer.active(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idx = qs.query(X, y, clf, fit_clf=False, batch_size=batch)
    split["pass"] += timer.seconds
    return idx


def run_family(name, args):
    """The rows of one family: every pool and batch."""
    family, kind, make, _ = FAMILIES[name]
    X_lab, y_lab = make_pool(args.labeled, kind, seed=1)
    clf = make(args.quick)
    y_fit = y_lab.astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X_lab, y_fit)
    rows = []
    for n in args.pools:
        X_pool, _ = make_pool(n, kind, seed=2)
        X = np.concatenate([X_lab, X_pool])
        y = np.concatenate([y_fit, np.full(n, np.nan)])
        for batch in args.batches:
            rows.extend(
                time_batch(name, family, clf, X, y, X_pool, batch, args)
            )
        del X, X_pool
    return rows


def time_batch(name, family, clf, X, y, X_pool, batch, args):
    """The rows of one pool and batch: interleaved repeats of margin,
    Badge and the recipe after one warm-up round."""
    from skactiveml_badge import Badge, TypiClustThenBadge

    recipe = TypiClustThenBadge(random_state=0)
    calls = {
        "margin": lambda s: margin_query(clf, X_pool, batch, s),
        "Badge": lambda s: strategy_query(
            Badge(random_state=0), X, y, clf, batch, s
        ),
        "recipe": lambda s: strategy_query(recipe, X, y, clf, batch, s),
    }
    totals = {k: [] for k in calls}
    passes = {k: [] for k in calls}
    rss = {}
    labels = list(calls)
    for rep in range(args.repeats + 1):  # the first warms up
        # Each repeat starts with another query: what a query leaves
        # behind (memory, threads) is not always paid by the same one.
        for label in labels[rep % 3 :] + labels[: rep % 3]:
            call = calls[label]
            split = {"pass": 0.0}
            t, _, peak = median_time(
                lambda c=call, s=split: c(s), 1, measure_rss=(rep == 1)
            )
            if rep:
                totals[label].append(t)
                passes[label].append(split["pass"])
                if peak is not None:
                    rss[label] = max(peak, 0.0)
    if recipe.picked_by_ != "badge":
        raise RuntimeError(
            f"the recipe picked by {recipe.picked_by_}, not BADGE"
        )
    base = statistics.median(totals["margin"])
    rows = []
    for label in calls:
        total = statistics.median(totals[label])
        model_pass = statistics.median(passes[label])
        ratio = total / base
        target = ""
        if label == "Badge":
            ok = ratio <= TARGETS[family]
            target = f"{'yes' if ok else 'no'} (<= {TARGETS[family]})"
        rows.append(
            [name, f"{len(X_pool):,}", str(batch), label, f"{total:.3f}",
             f"{model_pass:.3f}", f"{total - model_pass:.3f}",
             f"{ratio:.2f}",
             "n/a" if label not in rss else f"{rss[label]:.0f}", target]
        )  # fmt: skip
        log(f"{name} n={len(X_pool)} batch={batch} {label}: {total:.3f} s")
    return rows


COLUMNS = [
    "model",
    "pool",
    "batch",
    "query",
    "total s",
    "model pass s",
    "rest s",
    "/ margin",
    "RSS peak MiB",
    "target met",
]


def parse_args(argv):
    parser = make_parser(
        __doc__,
        quick="pools of 2,000, batch 20, small models, 1 repeat",
        out="table",
    )
    parser.add_argument(
        "--families", nargs="+", choices=list(FAMILIES), default=None
    )
    parser.add_argument("--pools", nargs="+", type=int, default=None)
    parser.add_argument("--batches", nargs="+", type=int, default=None)
    parser.add_argument("--labeled", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args(argv)
    args.families = args.families or list(FAMILIES)
    args.pools = args.pools or ([2000] if args.quick else [50_000, 1_000_000])
    args.batches = args.batches or ([20] if args.quick else [100, 1000])
    args.labeled = args.labeled or (200 if args.quick else 1000)
    args.repeats = args.repeats or (1 if args.quick else 3)
    check_args(parser, args, positive=("labeled", "repeats"))
    if min(args.pools) <= max(args.batches) or min(args.batches) < 1:
        parser.error("every pool must be larger than every batch (>= 1)")
    return args


def header(args, load_start):
    import torch

    lines = [
        "# End-to-end query time: Badge, the recipe and margin sampling",
        "",
        f"`{command_line()}`",
        "",
        machine_line(),
        versions_line(),
        f"- torch threads: {torch.get_num_threads()}; the other libraries "
        "their defaults",
        f"- {args.labeled} labeled samples (fit not timed); "
        f"{args.repeats} interleaved repeats after one warm-up; "
        f"load average at the start: {load_start}",
    ]
    for name in args.families:
        lines.append(f"- {name}: {FAMILIES[name][3]}")
    return lines


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    load_start = load_average()
    rows = []
    for name in args.families:
        log(f"== {name}")
        rows.extend(run_family(name, args))
        text = "\n".join(
            header(args, load_start)
            + [
                f"- load average at the end: {load_average()}",
                "",
                markdown_table(COLUMNS, rows, left=(0, 3)),
                "",
            ]
        )
        write_text(args.out, text)
        if args.out and str(args.out).endswith(".md"):
            info = [
                line[2:] if line.startswith("- ") else f"command: {line}"
                for line in header(args, load_start)[2:]
                if line
            ]
            write_text(
                str(args.out)[:-3] + ".rst", rst_table(COLUMNS, rows, info)
            )
    print(text)


if __name__ == "__main__":
    main()
