"""Reduced embeddings (``Badge(reduction=...)``): time, memory, quality.

At ``--n`` samples (default 50,000), C = 10, D = ``--d`` (4,096), batch
``--batch`` (1,000), with the pool of ``bench_half.py`` (Dirichlet(0.5)
probabilities, ReLU-Gaussian ``h``), for ``--seeds`` seeds (3), side by
side in one run:

- the lazy k-means++ kernel on the full ``h``;
- ``h`` projected to ``--components`` columns (256) by a truncated SVD
  (``"svd"``) and by a Gaussian random projection (``"random"``), then
  the same kernel: the time of projection plus selection, and of the
  projection alone;
- the peak memory each allocates (tracemalloc; the reduced copy of ``h``
  included);
- the k-means potential ``sum_i min_k |g_i - g_pick_k|^2`` of each batch
  on the *full* embeddings (float64), and its ratio to the full batch's:
  what the reduction costs in BADGE's own objective.
"""

import argparse
import statistics
import time

import numpy as np
from _common import (
    command_line,
    dirichlet_pool,
    finish_report,
    log,
    machine_line,
    markdown_table,
    peak_mib,
    start_load_line,
    versions_line,
)

from skactiveml_badge.selection import kmeans_plusplus, pairwise_sq_distances
from skactiveml_badge.selection._reduce import reduce_h


def potential(delta, h, picks, chunk=4096):
    """k-means potential of ``picks`` on the full embeddings (float64)."""
    total = 0.0
    pd, ph = delta[picks].astype(np.float64), h[picks].astype(np.float64)
    for s in range(0, len(delta), chunk):
        d = pairwise_sq_distances(
            delta[s : s + chunk].astype(np.float64),
            h[s : s + chunk].astype(np.float64),
            pd,
            ph,
        )
        total += d.min(1).sum()
    return total


def select(delta, h, batch, seed, reduction, k):
    h_used = reduce_h(h, reduction, k, seed)
    return kmeans_plusplus(delta, h_used, batch, random_state=seed)[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--d", type=int, default=4096)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--components", type=int, default=256)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", help="also write the markdown report here")
    args = parser.parse_args()
    start_all = time.perf_counter()
    delta, h = dirichlet_pool(args.n, args.d)
    k = args.components
    rows, base = [], None
    for reduction in (None, "svd", "random"):
        times, proj, pots = [], [], []
        for seed in range(args.seeds):
            start = time.perf_counter()
            reduce_h(h, reduction, k, seed)
            proj.append(time.perf_counter() - start)
            start = time.perf_counter()
            picks = select(delta, h, args.batch, seed, reduction, k)
            times.append(time.perf_counter() - start)
            pots.append(potential(delta, h, picks))
            log(f"{reduction}, seed {seed}: {times[-1]:.2f} s")
        peak = peak_mib(
            lambda r=reduction: select(delta, h, args.batch, 0, r, k)
        )
        pots = np.array(pots)
        if base is None:
            base = pots
        ratio = pots / base
        rows.append(
            [str(reduction or "full h"),
             str(args.d if reduction is None else k),
             f"{statistics.median(times):.2f}",
             "" if reduction is None else f"{statistics.median(proj):.2f}",
             f"{peak:.0f}", f"{pots.mean():.4g}",
             f"{ratio.min():.4f}-{ratio.max():.4f}"]
        )  # fmt: skip
    header = [
        f"# Reduced embeddings at C = 10, D = {args.d}",
        "",
        f"- pool: n = {args.n:,}, h {h.nbytes / 2**20:.0f} MiB in float32; "
        f"batch {args.batch}; seeds 0..{args.seeds - 1}",
        machine_line(),
        versions_line(),
        start_load_line(),
        f"- command: `{command_line()}`",
        "",
    ]
    table = markdown_table(
        ["h", "columns", "median s (projection + selection)",
         "median s (projection)", "peak MiB", "k-means potential (full g)",
         "potential / full h's, per seed"],
        rows,
        left=(0,),
    )  # fmt: skip
    finish_report(header, table, start_all, args.out)


if __name__ == "__main__":
    main()
