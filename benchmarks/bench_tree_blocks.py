"""Tree embeddings of a large pool: at once or in row blocks.

The leaf embedding of ``bench_query.py``'s tree models (LightGBM and
XGBoost with 100 rounds x 10 classes: 1,000 trees, hashed into 256
buckets) on a generated pool of ``--n`` samples (1,000,000), fitted on
1,000. Each mode runs the embedding (probabilities, leaf indices, hashed
rows) once, in a fresh process, and reports its time and the growth of
the process's peak resident memory (``ru_maxrss``):

- ``at once``: the whole pool's leaf indices first (4 GB of int32 at 1M
  samples and 1,000 trees), then the embedding, as before blocks were
  used;
- ``blocks``: blocks of 65,536 rows, each embedded apart (what ``Badge``
  does; the outputs are equal, as ``tests/test_trees.py`` checks).

Run from ``benchmarks/``::

    python bench_tree_blocks.py --out _results/tree_blocks.md
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings

from _common import (
    command_line,
    machine_line,
    make_parser,
    markdown_table,
    versions_line,
    write_text,
)

FAMILIES = ("lightgbm", "xgboost")
MODES = ("at once", "blocks")


def child(family, mode, n):
    """One embedding in this process; prints a JSON line."""
    import bench_query

    from skactiveml_badge.embeddings import _trees

    warnings.simplefilter("ignore")
    X_lab, y_lab = bench_query.make_pool(1000, "tabular", seed=1)
    clf = bench_query.FAMILIES[family][2](False).fit(
        X_lab, y_lab.astype(float)
    )
    X, _ = bench_query.make_pool(n, "tabular", seed=2)
    if mode == "at once":
        _trees._EMBED_ROWS = n
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    _, z = _trees.embed(clf, X)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "growth": peak - base,
                      "columns": int(z.shape[1])}))  # fmt: skip


def main():
    parser = make_parser(__doc__, quick="a pool of 100,000", out="table")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    n = 100_000 if args.quick else args.n
    if args.child:
        return child(*args.child, n)
    rows = []
    for family in FAMILIES:
        result = {}
        for mode in MODES:
            out = subprocess.run(
                [sys.executable, os.path.abspath(__file__), "--n", str(n),
                 "--child", family, mode],
                check=True, capture_output=True, text=True,
            ).stdout  # fmt: skip
            result[mode] = json.loads(out.strip().splitlines()[-1])
            print(family, mode, result[mode], flush=True)
        once = result["at once"]
        for mode in MODES:
            r = result[mode]
            rows.append([
                family, f"{n:,}", mode, f"{r['seconds']:.1f}",
                f"{r['growth']:,.0f}",
                f"{once['seconds'] / r['seconds']:.2f}x",
            ])  # fmt: skip
    table = markdown_table(
        ["model", "pool", "mode", "seconds", "peak growth MiB",
         "speed-up over at once"],
        rows, left=(0, 2),
    )  # fmt: skip
    text = "\n".join([
        "# Tree embeddings of a large pool: at once or in row blocks", "",
        f"`{command_line()}`", "", machine_line(), versions_line(),
        "- models: bench_query.py's LightGBM and XGBoost (1,000 trees), "
        "hashed into 256 buckets; each mode in a fresh process", "", table,
    ])  # fmt: skip
    print(text)
    if args.out:
        write_text(args.out, text + "\n")
    return None


if __name__ == "__main__":
    main()
