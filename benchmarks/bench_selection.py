"""Benchmark the BADGE selection step against scikit-activeml's Badge.

What is measured
----------------
For each synthetic pool (``N`` samples, ``C = 10`` classes, ``D``-dim
embeddings) and batch size, both ``skactiveml_badge.Badge`` ("ours") and
``skactiveml.pool.Badge`` (scikit-activeml 1.0.1, "skactiveml") are called
through their real ``query`` method on identical inputs::

    qs.query(X, y, clf, fit_clf=False, batch_size=batch)

with every sample unlabeled (``y`` all NaN), ``random_state=0``,
``clf_embedding_flag_name="return_embeddings"`` (``Badge`` is BADGE from
the first query: the table times BADGE's step). ``clf`` is a
tiny fake, already "fitted" classifier: ``X`` is a column of sample indices and
``predict_proba(X, return_embeddings=True)`` looks up fixed probabilities
``P`` (rows drawn from a Dirichlet, float32) and embeddings ``H``
(non-negative, ReLU-like, float32). No model is trained, so the timings
are the selection step alone (plus one row lookup of ``P`` and ``H``,
paid equally by both).

Columns of the table:

- ``ours lazy (s)``, ``ours plain (s)``: median wall time of
  ``--repeats`` calls (default 3), after ``--warmup`` untimed calls
  (default 1), of ``Badge(algorithm="lazy")`` (the default: rejection
  sampling from stale distances with blocked updates) and
  ``Badge(algorithm="plain")`` (one pass over the pool per pick; the cost
  ``return_utilities=True`` adds, computing the rows along the lazy picks).
- ``skactiveml (s)``: median of ``--ref-repeats`` calls (default 1); it
  materialises the ``N x (C * D)`` float64 gradient matrix, so it is slow
  and memory-hungry at large ``N * D``. ``n/a`` where skipped
  (``--no-ref`` or ``--no-ref-for``).
- ``factorised ref. (s)``: median of ``--repeats`` calls of
  :func:`factorised_reference`, the plain factorised k-means++ of the
  original BADGE repository and of LabelBench (the strongest peer: it
  never forms the gradient matrix, one pass over the pool per pick).
- ``speed-up``: factorised reference time / ours lazy time, and
  skactiveml time / ours lazy time.
- ``peak MiB``: peak traced bytes during one extra call made under
  ``tracemalloc`` (numpy reports its buffers to it), in MiB. Timing calls
  run without ``tracemalloc``, which slows Python-level code.
- ``floor (s)``: median time of ``batch`` passes of the two matrix-vector
  products any exact rank-one update needs, ``H @ h_k`` (``N x D``) and
  ``delta @ d_k`` (``N x C``), float32, with ``h_k``, ``d_k`` row ``k`` of
  ``H`` and ``delta = P - onehot(argmax P)``.
- ``lazy/floor``, ``plain/floor``: how far ours is from that floor (the
  lazy kernel reads the pool only at its flushes, so it can go below).
  Timings on a shared
  or virtual machine are noisy; raise ``--repeats`` if this ratio is.
- ``same first pick``: whether both picked the same first sample (the
  largest gradient norm; the later picks are random draws and the two
  implementations sample from different distributions, see the Notes of
  ``skactiveml_badge.Badge``).

How to run
----------
::

    python benchmarks/bench_selection.py --quick        # seconds
    python benchmarks/bench_selection.py                # full grid
    python benchmarks/bench_selection.py --no-ref       # ours only
    python benchmarks/bench_selection.py --out benchmarks/_results/sel.md

With ``--out X.md`` the table is also written as reStructuredText to
``X.rst``, which the docs include as it is (``docs/performance.rst``).

The full grid (``N`` in {10000, 50000}, ``D`` in {64, 512}, batch in
{100, 1000}) takes tens of minutes, almost all of it in scikit-activeml's
Badge at ``N = 50000``, which also needs several GiB of memory.
Progress goes to stderr; the table goes to stdout (and to ``--out``,
which is rewritten after every configuration).
"""

import argparse
import gc
import platform
import sys
import time

import _common
import numpy as np
from skactiveml.base import SkactivemlClassifier
from skactiveml.pool import Badge as RefBadge
from skactiveml.utils import MISSING_LABEL

from skactiveml_badge import Badge

N_CLASSES = 10
FULL_GRID = {"n": (10_000, 50_000), "d": (64, 512), "batch": (100, 1000)}
QUICK_GRID = {"n": (2_000,), "d": (64,), "batch": (10, 100)}
FLAG = "return_embeddings"

COLUMNS = (
    "N",
    "D",
    "batch",
    "ours lazy (s)",
    "ours plain (s)",
    "factorised ref. (s)",
    "speed-up (factorised/lazy)",
    "skactiveml (s)",
    "speed-up (skactiveml/lazy)",
    "lazy peak MiB",
    "plain peak MiB",
    "skactiveml peak MiB",
    "floor (s)",
    "lazy/floor",
    "plain/floor",
    "same first pick",
)


class LookupClassifier(SkactivemlClassifier):
    """Fitted stand-in classifier that looks up fixed outputs by index.

    A sample of ``X`` is a single column holding its row index into
    ``proba`` and ``embeddings``.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
    embeddings : ndarray of shape (n_samples, n_features)
    classes : array-like of shape (n_classes,), default=None
        Defaults to ``0, ..., n_classes - 1``.
    missing_label : scalar, str or np.nan, default=np.nan
    """

    def __init__(
        self,
        proba=None,
        embeddings=None,
        classes=None,
        missing_label=MISSING_LABEL,
        cost_matrix=None,
        random_state=None,
    ):
        super().__init__(
            classes=classes,
            missing_label=missing_label,
            cost_matrix=cost_matrix,
            random_state=random_state,
        )
        self.proba = proba
        self.embeddings = embeddings

    def fit(self, X, y, sample_weight=None):
        """Record the classes; nothing is learned."""
        n_classes = np.shape(self.proba)[1]
        if self.classes is None:
            self.classes_ = np.arange(n_classes)
        else:
            self.classes_ = np.asarray(self.classes)
        self.n_features_in_ = np.shape(X)[1]
        self.cost_matrix_ = 1.0 - np.eye(n_classes)
        return self

    def predict_proba(self, X, return_embeddings=False):
        """Return ``proba[idx]`` (and ``embeddings[idx]``), idx = X[:, 0]."""
        idx = np.asarray(X)[:, 0].astype(np.intp)
        if return_embeddings:
            return self.proba[idx], self.embeddings[idx]
        return self.proba[idx]


def make_pool(n, d, seed):
    """Fixed probabilities and embeddings for a pool of ``n`` samples."""
    rng = np.random.default_rng([seed, n, d])
    proba = rng.dirichlet(np.full(N_CLASSES, 0.5), size=n)
    proba = proba.astype(np.float32)
    emb = np.maximum(rng.standard_normal((n, d), dtype=np.float32), 0.0)
    return proba, emb


def floor_passes(proba, emb, batch):
    """Return a function doing ``batch`` rank-one update mat-vecs."""
    delta = proba.copy()
    delta[np.arange(len(delta)), delta.argmax(axis=1)] -= 1.0
    n_pass = min(batch, len(emb))

    def run():
        for k in range(n_pass):
            emb @ emb[k]
            delta @ delta[k]

    return run


def factorised_reference(proba, emb, batch, seed=0):
    """The factorised exact BADGE of the original BADGE repository and of
    LabelBench (since 2023), the fix discussed for scikit-activeml (its
    issue #589); written here from that description, not copied.

    The gradient embedding is never formed: ``|g_i - g_c|^2 = |d_i|^2
    |h_i|^2 + |d_c|^2 |h_c|^2 - 2 (d_i . d_c)(h_i . h_c)``. The first pick
    is the largest norm; every later pick costs one pass over the pool
    (the distances to the newest centre, in float32, and a running
    minimum) and a draw with probability ``D^2 / sum(D^2)`` (the paper's
    rule: no origin). Returns the picks.
    """
    delta = proba.copy()
    delta[np.arange(len(delta)), delta.argmax(axis=1)] -= 1.0
    norms = np.einsum("ij,ij->i", delta, delta) * np.einsum(
        "ij,ij->i", emb, emb
    )
    rng = np.random.default_rng(seed)
    picks = [int(np.argmax(norms))]
    d2 = np.full(len(emb), np.inf, dtype=np.float32)
    for _ in range(1, min(batch, len(emb))):
        c = picks[-1]
        dist = (delta @ delta[c]) * (emb @ emb[c])
        dist *= -2.0
        dist += norms
        dist += norms[c]
        np.maximum(dist, 0.0, out=dist)
        np.minimum(d2, dist, out=d2)
        d2[c] = 0.0
        w = d2.astype(np.float64)
        picks.append(int(rng.choice(len(w), p=w / w.sum())))
    return np.array(picks)


def bench_config(n, d, batch, pool, args, run_ref):
    """Measure one configuration; return a dict of raw figures."""
    proba, emb = pool
    X = np.arange(n, dtype=float)[:, None]
    y = np.full(n, np.nan)
    clf = LookupClassifier(proba, emb).fit(X, y)
    ref = RefBadge(clf_embedding_flag_name=FLAG, random_state=0)
    res = {"n": n, "d": d, "batch": batch}
    floor = floor_passes(proba, emb, batch)
    for algorithm in ("lazy", "plain"):
        ours = Badge(
            clf_embedding_flag_name=FLAG, random_state=0, algorithm=algorithm
        )
        fn = _common.query_fn(ours, X, y, clf, batch)
        for _ in range(args.warmup):
            fn()
        res[f"{algorithm}_s"], idx, _ = _common.median_time(fn, args.repeats)
        res[f"{algorithm}_mib"] = _common.peak_mib(fn)
        _common.log(
            f"  ours {algorithm}: {res[f'{algorithm}_s']:.3g} s, "
            f"{res[f'{algorithm}_mib']:.1f} MiB"
        )
        if algorithm == "lazy":
            ours_idx = idx
    for _ in range(args.warmup):
        floor()

    res["floor_s"], _, _ = _common.median_time(floor, args.repeats)
    _common.log(f"  floor: {res['floor_s']:.3g} s")

    def factorised():
        return factorised_reference(proba, emb, batch, args.seed)

    for _ in range(args.warmup):
        factorised()
    res["fact_s"], _, _ = _common.median_time(factorised, args.repeats)
    _common.log(f"  factorised reference: {res['fact_s']:.3g} s")

    res["ref_s"] = res["ref_mib"] = res["same_first"] = None
    if run_ref:
        fn = _common.query_fn(ref, X, y, clf, batch)
        res["ref_s"], ref_idx, _ = _common.median_time(fn, args.ref_repeats)
        _common.log(f"  skactiveml: {res['ref_s']:.3g} s")
        res["ref_mib"] = _common.peak_mib(fn)
        _common.log(f"  skactiveml peak: {res['ref_mib']:.1f} MiB")
        res["same_first"] = bool(ours_idx[0] == ref_idx[0])
    return res


def table_row(res):
    speed = None
    if res["ref_s"] is not None:
        speed = res["ref_s"] / res["lazy_s"]
    fact_speed = res["fact_s"] / res["lazy_s"]
    floor = res["floor_s"] if res["floor_s"] > 0 else None
    return (
        str(res["n"]),
        str(res["d"]),
        str(res["batch"]),
        _common.fmt(res["lazy_s"], ".3g"),
        _common.fmt(res["plain_s"], ".3g"),
        _common.fmt(res["fact_s"], ".3g"),
        _common.fmt(fact_speed, ".3g", "x"),
        _common.fmt(res["ref_s"], ".3g"),
        _common.fmt(speed, ".0f", "x"),
        _common.fmt(res["lazy_mib"], ".1f"),
        _common.fmt(res["plain_mib"], ".1f"),
        _common.fmt(res["ref_mib"], ".0f"),
        _common.fmt(floor, ".3g"),
        _common.fmt(floor and res["lazy_s"] / floor, ".2f", "x"),
        _common.fmt(floor and res["plain_s"] / floor, ".2f", "x"),
        _common.yes_no(res["same_first"]),
    )


def machine_info():
    """Lines describing the machine and the library versions."""
    blas = "unknown"
    try:
        from threadpoolctl import threadpool_info

        libs = [
            info
            for info in threadpool_info()
            if info.get("user_api") == "blas"
            and "numpy" in info.get("filepath", "")
        ] or [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if libs:
            lib = libs[0]
            blas = (
                f"{lib.get('internal_api')} {lib.get('version')} "
                f"({lib.get('architecture')}, "
                f"{lib.get('num_threads')} threads)"
            )
    except ImportError:
        pass
    return [
        _common.machine_line(),
        f"- Python {platform.python_version()}, numpy {np.__version__}, "
        f"BLAS: {blas}",
        _common.start_load_line(),
        _common.versions_line(),
    ]


def parse_config(text):
    try:
        n, d, batch = (int(part) for part in text.split(":"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"expected N:D:batch, got {text!r}"
        ) from exc
    return n, d, batch


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n", 1)[0],
        epilog="Configurations are written N:D:batch, e.g. 50000:512:1000.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small grid for a smoke test"
    )
    _common.add_timing_options(
        parser,
        repeats_help="timing runs of ours/floor",
        warmup_help="untimed calls of ours and of the floor before timing",
    )
    parser.add_argument(
        "--no-ref-for",
        type=parse_config,
        action="append",
        default=[],
        metavar="N:D:batch",
        help="skip skactiveml's Badge for this configuration (repeatable)",
    )
    parser.add_argument(
        "--only",
        type=parse_config,
        action="append",
        default=[],
        metavar="N:D:batch",
        help="run these configurations, in this order, instead of the grid "
        "(repeatable)",
    )
    parser.add_argument("--seed", type=int, default=0, help="data seed")
    _common.add_out_option(parser)
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.ref_repeats < 1:
        parser.error("--repeats and --ref-repeats must be >= 1")
    if args.warmup < 0:
        parser.error("--warmup must be >= 0")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    grid = QUICK_GRID if args.quick else FULL_GRID
    configs = [
        (n, d, b) for n in grid["n"] for d in grid["d"] for b in grid["batch"]
    ]
    if args.only:
        configs = list(dict.fromkeys(args.only))
    no_ref = set(args.no_ref_for)
    header = [
        "# BADGE selection: skactiveml_badge.Badge vs skactiveml.pool.Badge",
        "",
        f"Command: `{_common.command_line()}`",
        "",
        *machine_info(),
        f"- C = {N_CLASSES} classes, float32 inputs, seed {args.seed}, "
        f"repeats {args.repeats} (ours, floor; after {args.warmup} "
        "untimed), "
        f"{args.ref_repeats} (skactiveml)",
        "",
        "",
    ]
    write = _common.report_writer(
        header, lambda rows: _common.markdown_table(COLUMNS, rows), args.out
    )
    rst_path = None
    if args.out and str(args.out).endswith(".md"):
        rst_path = str(args.out)[:-3] + ".rst"

    start = time.perf_counter()
    rows, pools = [], {}
    for n, d, batch in configs:
        if (n, d) not in pools:
            pools.clear()
            gc.collect()
            pools[(n, d)] = make_pool(n, d, args.seed)
        run_ref = not args.no_ref and (n, d, batch) not in no_ref
        _common.log(
            f"N={n} D={d} batch={batch} (ref: {'yes' if run_ref else 'no'})"
        )
        res = bench_config(n, d, batch, pools[(n, d)], args, run_ref)
        rows.append(table_row(res))
        write(rows, final=False)
        _common.log_elapsed(start)
    pools.clear()
    elapsed = time.perf_counter() - start
    print(write(rows, final=True, footer=_common.end_footer(elapsed)), end="")
    if rst_path:
        info = [line.lstrip("- ") for line in header if line.startswith("- ")]
        _common.write_text(rst_path, _common.rst_table(COLUMNS, rows, info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
