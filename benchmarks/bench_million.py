"""Exact BADGE selection on a million-sample pool: time and peak memory.

What is measured
----------------
Synthetic factors for ``--n`` samples (default 1,000,000), ``C = 10``
classes and ``D = --d`` features (default 512), float32, generated in
chunks straight into their arrays (``delta = p - onehot(argmax p)`` with
Dirichlet(0.5) probabilities, ReLU of Gaussian ``h``): 2 GB for ``h`` at
the defaults. Then, in this process:

- ``lazy``: ``kmeans_plusplus(delta, h, batch, random_state=0)`` (the lazy
  kernel, the default): one timed call, with its number of flushes and
  proposals.
- ``plain``: the plain kernel for ``--plain-picks`` picks (default 20),
  timed, and extrapolated to ``batch`` picks (it costs the same per pick).
- ``floor``: ``--plain-picks`` passes of the two matrix-vector products
  (``h @ h_k``, ``delta @ d_k``), extrapolated to ``batch`` passes.
- peak memory: the process's peak resident set size (``ru_maxrss``) at
  the end, which includes the factors themselves, and the growth of the
  peak during the lazy call.
"""

import argparse
import resource
import time

import numpy as np
from _common import command_line, log, machine_line, versions_line

from skactiveml_badge.selection import kmeans_plusplus
from skactiveml_badge.selection._arrays import as_factors
from skactiveml_badge.selection._lazy import (
    LazyDistances,
    lazy_kmeans_plusplus,
)

C = 10


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def make_factors(n, d, seed=0, chunk=65536, h_dtype=np.float32):
    rng = np.random.default_rng(seed)
    delta = np.empty((n, C), dtype=np.float32)
    h = np.empty((n, d), dtype=h_dtype)
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        p = rng.dirichlet(np.full(C, 0.5), size=stop - start)
        p[np.arange(stop - start), p.argmax(1)] -= 1.0
        delta[start:stop] = p
        block = rng.standard_normal((stop - start, d), dtype=np.float32)
        h[start:stop] = np.maximum(block, 0.0)
    return delta, h


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--d", type=int, default=512)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--plain-picks", type=int, default=20)
    parser.add_argument(
        "--storage",
        choices=["float32", "float16"],
        default="float32",
        help="dtype in which h is generated and held (float16: the "
        "storage_dtype option; the plain kernel and the floor then run "
        "on a float32 copy made after the lazy call)",
    )
    args = parser.parse_args()
    log(f"generating {args.n} x (C={C}, D={args.d}) factors, h {args.storage}")
    delta, h = make_factors(args.n, args.d, h_dtype=np.dtype(args.storage))
    h_bytes = h.nbytes
    base = peak_mib()
    t0 = time.perf_counter()
    # The lazy kernel's own state, to report its flushes (the public
    # kmeans_plusplus runs exactly this).
    storage = "float16" if h.dtype == np.float16 else None
    d_, h_, ops = as_factors(delta, h, storage_dtype=storage)
    st = LazyDistances(d_, h_, ops, args.batch)
    idx = lazy_kmeans_plusplus(st, args.batch, np.random.RandomState(0))
    lazy_s = time.perf_counter() - t0
    lazy_peak = peak_mib()
    assert len(set(idx.tolist())) == args.batch
    log(f"lazy: {lazy_s:.2f} s, {st.n_flushes} flushes")
    if h.dtype == np.float16:
        h = h.astype(np.float32)
    t0 = time.perf_counter()
    kmeans_plusplus(
        delta, h, args.plain_picks, random_state=0, algorithm="plain"
    )
    plain_s = (time.perf_counter() - t0) * args.batch / args.plain_picks
    t0 = time.perf_counter()
    for k in range(args.plain_picks):
        h @ h[k]
        delta @ delta[k]
    floor_s = (time.perf_counter() - t0) * args.batch / args.plain_picks
    # The public function (input checks included) must give the same picks.
    same = np.array_equal(
        idx,
        kmeans_plusplus(
            delta,
            h,
            args.batch,
            random_state=0,
            storage_dtype=None if args.storage == "float32" else "float16",
        )[0],
    )
    text = "\n".join(
        [
            "# Exact k-means++ selection on a large pool",
            "",
            f"- command: `{command_line()}`",
            machine_line(),
            versions_line(),
            "",
            "| N | C | D | h | batch | lazy (s) | flushes | proposals | "
            "plain (s, est.) | floor (s, est.) | lazy/floor | "
            "peak RSS MiB (process) | peak growth in the lazy call MiB |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {args.n:,} | {C} | {args.d} | {args.storage} | {args.batch} "
            f"| {lazy_s:.2f} | "
            f"{st.n_flushes} | {st.n_proposals} | {plain_s:.1f} | "
            f"{floor_s:.1f} | {lazy_s / floor_s:.3f}x | {lazy_peak:.0f} | "
            f"{lazy_peak - base:.0f} |",
            "",
            f"The factors alone take {(delta.nbytes + h_bytes) / 2**20:.0f}"
            f" MiB. plain and floor: {args.plain_picks} picks/passes timed "
            f"and scaled to {args.batch}. Public function gives the same "
            f"picks: {same}.",
        ]
    )
    print(text)


if __name__ == "__main__":
    main()
