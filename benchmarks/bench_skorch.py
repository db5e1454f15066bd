"""Benchmark BADGE end to end on a skorch MLP: embedding pass + selection.

What is measured
----------------
A synthetic pool of ``N`` samples (default 50,000) with 784 float32
features: Gaussian blobs (unit variance) around 10 random class centres,
close enough that the net is uncertain on part of the pool. A 2-layer MLP
(784 -> 256 -> ReLU -> 10) whose ``forward`` returns ``(logits, emb)``,
``emb`` being the 256-d input of the last ``Linear``, is wrapped in
scikit-activeml's ``SkorchClassifier`` with::

    forward_outputs={"proba": (0, Softmax(dim=-1)), "emb": (1, None)}
    criterion_output_keys="proba"

(the criterion receives the *raw* tensor of the named output, i.e. the
logits, so ``CrossEntropyLoss`` trains on logits). It is fitted once with
Adam on ``--n-labeled`` random samples of the pool (the rest of ``y`` is
``MISSING_LABEL``); fitting is not timed. Then, on identical inputs and
the same fitted net, each strategy's real ``query`` is timed::

    qs.query(X, y, clf, fit_clf=False, batch_size=batch)

for three strategies, all with ``random_state=0``:

- ``ours (hook)``: ``skactiveml_badge.Badge()``; no flag, the input of the
  net's last ``Linear`` is recorded with a forward hook.
- ``ours (flag)``: ``skactiveml_badge.Badge(clf_embedding_flag_name=
  {"extra_outputs": "emb"})``; the module's own embedding output.
- ``skactiveml``: ``skactiveml.pool.Badge`` (scikit-activeml 1.0.1) with
  the same flag. It materialises the ``n x (C * D)`` float64 gradient
  matrix (49,000 x 2,560, about 1 GB, at the default sizes) and computes
  distances to it for every pick, so it takes minutes at batch 1000.

Columns of the table:

- ``total (s)``: median wall time of ``--repeats`` calls (default 3, after
  ``--warmup`` untimed calls, default 1) for ours; ``--ref-repeats``
  calls (default 1, no warm-up) for skactiveml.
- ``embedding pass (s)``: median time of the forward pass alone over the
  unlabeled samples, measured once (it does not depend on the batch
  size): ``skactiveml_badge.embeddings.proba_and_embedding(clf,
  X_unlabeled)`` for the hook, the same with the flag (which calls
  ``clf.predict_proba(X_unlabeled, extra_outputs="emb")``, the call
  skactiveml's Badge makes) for the flag and skactiveml rows.
- ``rest (s)``: total minus embedding pass: input checks, gradient factors
  and the selection itself.
- ``speed-up``: skactiveml total / this row's total.
- ``tracemalloc peak MiB``: peak traced bytes during one extra untimed
  call under ``tracemalloc``, as in ``bench_selection.py``. It sees numpy
  buffers but **not** torch's CPU allocator, so the tensors of the forward
  pass are missing from it.
- ``RSS peak MiB``: growth of the process's peak resident set size during
  the first timed call (``/proc/self/clear_refs`` resets the peak after
  glibc's ``malloc_trim(0)`` has returned freed heap memory to the OS;
  Linux only, ``n/a`` elsewhere). It sees every allocator, but memory
  still kept by an allocator from earlier calls and reused is not
  counted, so it is a lower bound.
- ``same first pick``: whether the row's first pick equals skactiveml's
  (the largest gradient norm; later picks are random draws from
  different distributions, see the Notes of ``skactiveml_badge.Badge``).

Torch keeps its default number of threads (printed in the header).

How to run
----------
::

    python benchmarks/bench_skorch.py --quick        # seconds
    python benchmarks/bench_skorch.py                # minutes
    python benchmarks/bench_skorch.py --out benchmarks/_results/skorch.md

Progress goes to stderr; the table goes to stdout (and to ``--out``,
which is rewritten after every batch size).
"""

import platform
import sys
import time

import _common
import numpy as np
import skorch
import torch
from skactiveml.classifier import SkorchClassifier
from skactiveml.pool import Badge as RefBadge
from skactiveml.utils import MISSING_LABEL
from torch import nn

from skactiveml_badge import Badge
from skactiveml_badge.embeddings import proba_and_embedding

N_CLASSES = 10
N_FEATURES = 784
N_HIDDEN = 256
FLAG = {"extra_outputs": "emb"}
FULL = {"n": 50_000, "n_labeled": 1_000, "batch": (100, 1000)}
QUICK = {"n": 5_000, "n_labeled": 500, "batch": (10, 100)}

COLUMNS = (
    "batch",
    "method",
    "total (s)",
    "embedding pass (s)",
    "rest (s)",
    "speed-up (skactiveml/row)",
    "tracemalloc peak MiB",
    "RSS peak MiB",
    "same first pick",
)


class MLP(nn.Module):
    """784 -> 256 -> ReLU -> 10, returning ``(logits, embedding)``."""

    def __init__(
        self, n_in=N_FEATURES, n_hidden=N_HIDDEN, n_classes=N_CLASSES
    ):
        super().__init__()
        self.hidden = nn.Sequential(nn.Linear(n_in, n_hidden), nn.ReLU())
        self.out = nn.Linear(n_hidden, n_classes)

    def forward(self, x):
        emb = self.hidden(x)
        return self.out(emb), emb


def make_pool(n, seed, spread):
    """Gaussian blobs around 10 random centres: ``X`` (float32), labels."""
    rng = np.random.default_rng([seed, n])
    centres = spread * rng.standard_normal((N_CLASSES, N_FEATURES))
    y_true = rng.integers(0, N_CLASSES, size=n)
    X = rng.standard_normal((n, N_FEATURES), dtype=np.float32)
    X += centres[y_true].astype(np.float32)
    return X, y_true


def fit_classifier(X, y_true, n_labeled, args):
    """A SkorchClassifier fitted on ``n_labeled`` random pool samples."""
    rng = np.random.default_rng(args.seed)
    y = np.full(len(X), MISSING_LABEL)
    labeled = rng.choice(len(X), size=n_labeled, replace=False)
    y[labeled] = y_true[labeled]
    torch.manual_seed(args.seed)
    clf = SkorchClassifier(
        MLP,
        forward_outputs={
            "proba": (0, nn.Softmax(dim=-1)),
            "emb": (1, None),
        },
        criterion_output_keys="proba",
        neural_net_param_dict=dict(
            max_epochs=args.epochs,
            lr=args.lr,
            optimizer=torch.optim.Adam,
            batch_size=128,
            train_split=None,
            verbose=0,
        ),
        classes=np.arange(N_CLASSES),
        random_state=args.seed,
    )
    clf.fit(X, y)
    return clf, y


def pass_fn(clf, X_unlabeled, flag):
    def run():
        return proba_and_embedding(clf, X_unlabeled, flag)

    return run


def table_rows(batch, results):
    ref = results.get("skactiveml")
    rows = []
    for name, res in results.items():
        speed = same = None
        if ref is not None:
            speed = ref["total"] / res["total"]
            same = bool(res["idx"][0] == ref["idx"][0])
        rest = res["total"] - res["pass"]
        rows.append(
            (
                str(batch),
                name,
                _common.fmt(res["total"], ".3g"),
                _common.fmt(res["pass"], ".3g"),
                _common.fmt(rest, ".3g"),
                _common.fmt(speed, ".1f", "x"),
                _common.fmt(res["tm_mib"], ".1f"),
                _common.fmt(res["rss_mib"], ".0f"),
                _common.yes_no(same),
            )
        )
    return rows


def parse_args(argv):
    parser = _common.make_parser(
        __doc__,
        quick=f"pool {QUICK['n']}, {QUICK['n_labeled']} labeled, batches "
        f"{QUICK['batch']}: a smoke test",
        out="table",
    )
    parser.add_argument("--n", type=int, help="pool size (default 50000)")
    parser.add_argument(
        "--n-labeled", type=int, help="labeled samples (default 1000)"
    )
    parser.add_argument(
        "--batch",
        type=int,
        action="append",
        help="batch size (repeatable; default 100 and 1000)",
    )
    _common.add_timing_options(
        parser,
        repeats_help="timing runs of ours",
        warmup_help="untimed calls of ours first",
    )
    parser.add_argument(
        "--no-tracemalloc-ref",
        action="store_true",
        help="skip the extra tracemalloc call of skactiveml's Badge",
    )
    parser.add_argument(
        "--epochs", type=int, default=10, help="training epochs (Adam)"
    )
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's lr")
    parser.add_argument(
        "--spread",
        type=float,
        default=0.12,
        help="scale of the class centres (noise has unit variance)",
    )
    parser.add_argument("--seed", type=int, default=0, help="data seed")
    args = parser.parse_args(argv)
    grid = QUICK if args.quick else FULL
    args.n = args.n or grid["n"]
    args.n_labeled = args.n_labeled or grid["n_labeled"]
    args.batch = tuple(dict.fromkeys(args.batch or grid["batch"]))
    _common.check_args(
        parser,
        args,
        positive=("repeats", "ref_repeats", "epochs"),
        non_negative=("warmup", "seed"),
    )
    if not 0 < args.n_labeled < args.n:
        parser.error("need 0 < --n-labeled < --n")
    if max(args.batch) > args.n - args.n_labeled or min(args.batch) < 1:
        parser.error("batch sizes must be in [1, n - n_labeled]")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    measure_rss = _common.hwm_supported()

    start = time.perf_counter()
    X, y_true = make_pool(args.n, args.seed, args.spread)
    t0 = time.perf_counter()
    clf, y = fit_classifier(X, y_true, args.n_labeled, args)
    fit_s = time.perf_counter() - t0
    unlabeled = np.isnan(y)
    X_unl = X[unlabeled]
    proba = clf.predict_proba(X_unl)
    acc = float((proba.argmax(axis=1) == y_true[unlabeled]).mean())
    _common.log(
        f"fitted in {fit_s:.1f} s; accuracy on the unlabeled pool {acc:.3f}"
    )

    header = [
        "# BADGE on a skorch MLP: embedding pass + selection",
        "",
        f"Command: `{_common.command_line()}`",
        "",
        _common.machine_line(),
        f"- Python {platform.python_version()}, numpy {np.__version__}, "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads), "
        f"skorch {skorch.__version__}",
        _common.versions_line(),
        _common.start_load_line(),
        f"- pool: {args.n} x {N_FEATURES} float32, {N_CLASSES} Gaussian "
        f"blobs (centre scale {args.spread}), seed {args.seed}; "
        f"{args.n_labeled} labeled, {int(unlabeled.sum())} unlabeled",
        f"- net: {N_FEATURES} -> {N_HIDDEN} -> ReLU -> {N_CLASSES} in "
        f"SkorchClassifier, Adam lr {args.lr}, {args.epochs} epochs "
        f"(fit {fit_s:.1f} s, not timed); accuracy on the unlabeled pool "
        f"{acc:.3f}, mean max probability {proba.max(axis=1).mean():.3f}",
        f"- repeats: ours median of {args.repeats} (after {args.warmup} "
        f"untimed), skactiveml {args.ref_repeats}",
        "",
        "",
    ]
    del proba

    write = _common.report_writer(
        header,
        lambda rows: _common.markdown_table(COLUMNS, rows, left=(1,)),
        args.out,
    )

    # The embedding passes do not depend on the batch size: time them once.
    pass_s = {}
    for name, flag in (("hook", None), ("flag", FLAG)):
        fn = pass_fn(clf, X_unl, flag)
        for _ in range(args.warmup):
            fn()
        pass_s[name], _, _ = _common.median_time(fn, args.repeats, False)
        _common.log(f"embedding pass ({name}): {pass_s[name]:.3g} s")
    h_hook = pass_fn(clf, X_unl, None)()[1]
    h_flag = pass_fn(clf, X_unl, FLAG)()[1]
    same_h = bool(np.array_equal(h_hook, h_flag))
    del h_hook, h_flag

    strategies = {
        "ours (hook)": (Badge(random_state=0), "hook", True),
        "ours (flag)": (
            Badge(clf_embedding_flag_name=FLAG, random_state=0),
            "flag",
            True,
        ),
    }
    if not args.no_ref:
        strategies["skactiveml"] = (
            RefBadge(clf_embedding_flag_name=FLAG, random_state=0),
            "flag",
            False,
        )

    rows, same_batches = [], []
    for batch in args.batch:
        results = {}
        for name, (qs, source, is_ours) in strategies.items():
            _common.log(f"batch={batch} {name}")
            fn = _common.query_fn(qs, X, y, clf, batch)
            if is_ours:
                for _ in range(args.warmup):
                    fn()
            repeats = args.repeats if is_ours else args.ref_repeats
            total, idx, rss = _common.median_time(fn, repeats, measure_rss)
            rss_text = _common.fmt(rss, ".0f")
            _common.log(f"  total {total:.3g} s, RSS peak {rss_text} MiB")
            tm = None
            if is_ours or not args.no_tracemalloc_ref:
                tm = _common.peak_mib(fn)
                _common.log(f"  tracemalloc peak {tm:.1f} MiB")
            results[name] = {
                "total": total,
                "pass": pass_s[source],
                "idx": idx,
                "rss_mib": rss,
                "tm_mib": tm,
            }
            _common.log_elapsed(start)
        same_batches.append(
            (
                batch,
                np.array_equal(
                    results["ours (hook)"]["idx"],
                    results["ours (flag)"]["idx"],
                ),
            )
        )
        rows += table_rows(batch, results)
        write(rows, final=False)

    same = ", ".join(
        f"batch {b}: {_common.yes_no(s)}" for b, s in same_batches
    )
    elapsed = time.perf_counter() - start
    footer = (
        f"\nHooked and flagged embeddings identical: "
        f"{_common.yes_no(same_h)}; ours (hook) and ours (flag) picked "
        f"the same batch: {same}.\n" + _common.end_footer(elapsed)
    )
    print(write(rows, final=True, footer=footer), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
