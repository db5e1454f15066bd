"""Effect of half-precision storage of h on the picks and the time.

At ``--n`` samples (default 50,000), C = 10, D = ``--d`` (512), batch
``--batch`` (1,000), with the pool of ``bench_selection.py`` (Dirichlet(0.5)
probabilities, ReLU-Gaussian h), for ``--seeds`` seeds (5):

- the lazy k-means++ and farthest-first picks with h in float32 and in
  float16 (``storage_dtype="float16"``), the same seed for both;
- the share of picks both make (as sets);
- the k-means potential ``sum_i min_k |g_i - g_pick_k|^2`` of each batch
  and the farthest-first covering radius ``max_i min_k |g_i - g_pick_k|``,
  both measured in float64 on the float32 embeddings, and their ratios
  (float16 / float32);
- the median time of each call.
"""

import argparse
import statistics
import time

import numpy as np
from _common import (
    command_line,
    dirichlet_pool,
    log,
    machine_line,
    versions_line,
)

from skactiveml_badge.selection import (
    farthest_first,
    kmeans_plusplus,
    pairwise_sq_distances,
)


def nearest_sq(delta, h, picks, chunk=8192):
    d, hh = delta.astype(np.float64), h.astype(np.float64)
    out = np.empty(len(d))
    for s in range(0, len(d), chunk):
        out[s : s + chunk] = pairwise_sq_distances(
            d[s : s + chunk], hh[s : s + chunk], d[picks], hh[picks]
        ).min(1)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--d", type=int, default=512)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    delta, h = dirichlet_pool(args.n, args.d)
    rows = []
    for kind in ("kmeans++", "farthest_first"):
        shared, ratios, t32, t16 = [], [], [], []
        for seed in range(args.seeds if kind == "kmeans++" else 1):
            kw = {"random_state": seed} if kind == "kmeans++" else {}
            kernel = kmeans_plusplus if kind == "kmeans++" else farthest_first
            t0 = time.perf_counter()
            a = kernel(delta, h, args.batch, **kw)[0]
            t32.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            b = kernel(delta, h, args.batch, storage_dtype="float16", **kw)[0]
            t16.append(time.perf_counter() - t0)
            shared.append(len(set(a) & set(b)) / args.batch)
            da, db = nearest_sq(delta, h, a), nearest_sq(delta, h, b)
            if kind == "kmeans++":
                ratios.append(db.sum() / da.sum())
            else:
                ratios.append(np.sqrt(db.max() / da.max()))
            log(f"{kind} seed {seed}: shared {shared[-1]:.3f}")
        metric = "potential" if kind == "kmeans++" else "covering radius"
        rows.append(
            f"| {kind} | {len(shared)} | {np.mean(shared):.3f} | {metric} | "
            f"{min(ratios):.4f}–{max(ratios):.4f} | "
            f"{statistics.median(t32):.3f} | {statistics.median(t16):.3f} |"
        )
    print(
        "\n".join(
            [
                "# Half-precision storage of h: effect on the picks",
                "",
                f"- command: `{command_line()}`",
                machine_line(),
                versions_line(),
                f"- N={args.n:,}, C=10, D={args.d}, batch {args.batch}",
                "",
                "| kernel | seeds | shared picks | measure | float16/float32 "
                "| float32 (s) | float16 (s) |",
                "|:---|---:|---:|:---|---:|---:|---:|",
                *rows,
            ]
        )
    )


if __name__ == "__main__":
    main()
