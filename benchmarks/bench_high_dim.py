"""What the exact lazy k-means++ kernel costs at very high dimensions.

Issue 27, item 8: would approximate nearest neighbours buy anything?
At ``--n`` samples (default 100,000), C = ``--c`` (1,000) classes and
D = ``--d`` (4,096) features, the gradient embeddings would have
C * D = 4,096,000 columns (1.6 TB in float32 at n = 100,000). The factors
are generated block by block (``--block`` rows: softmax probabilities of
Gaussian logits for ``delta``, ReLU-Gaussian ``h``) into ``.npy`` files,
so the pool never has to fit in memory to be made. Then, side by side in
one run:

- *one pass*: the squared distances of every sample to one centre from
  the factors (what the plain kernel pays per pick; an index of the
  embeddings has to read the pool at least once to be built);
- the lazy k-means++ kernel (``algorithm="lazy"``), for each batch size
  in ``--batches``, on the factors in memory and on the ``.npy`` files
  (memory-mapped: the out-of-core path): median time over ``--seeds``
  seeds, its ratio to one pass (the kernel's cost in passes over the
  pool), the flushes (blocked updates: each reads the whole pool), and
  the peak memory the call allocated (tracemalloc, in memory only);
- the plain kernel (one pass per pick) for the smallest batch.

The question the table answers: an approximate nearest-neighbour index
could at best replace the kernel's passes; if the exact kernel costs a
few passes, an index that must read the pool to be built saves nothing.
"""

import argparse
import os
import statistics
import tempfile
import time

import numpy as np
from _common import (
    command_line,
    finish_report,
    log,
    machine_line,
    markdown_table,
    peak_mib,
    start_load_line,
    versions_line,
)

import skactiveml_badge.selection._lazy as lazy_module
from skactiveml_badge.selection import kmeans_plusplus, pairwise_sq_distances

GIB = 2.0**30


def make_factors(folder, n, c, d, block, seed=0):
    """Write ``delta`` (n, c) and ``h`` (n, d), float32, block by block."""
    paths = os.path.join(folder, "delta.npy"), os.path.join(folder, "h.npy")
    delta = np.lib.format.open_memmap(
        paths[0], mode="w+", dtype=np.float32, shape=(n, c)
    )
    h = np.lib.format.open_memmap(
        paths[1], mode="w+", dtype=np.float32, shape=(n, d)
    )
    for start in range(0, n, block):
        stop = min(start + block, n)
        rng = np.random.default_rng([seed, start])
        logits = 3.0 * rng.standard_normal((stop - start, c))
        p = np.exp(logits - logits.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        p[np.arange(stop - start), p.argmax(1)] -= 1.0
        delta[start:stop] = p
        h[start:stop] = np.maximum(
            rng.standard_normal((stop - start, d), dtype=np.float32), 0.0
        )
    delta.flush()
    h.flush()
    del delta, h
    return paths


def one_pass(delta, h, block):
    """Squared distances of every sample to sample 0, block by block."""
    out = np.empty(len(delta), dtype=np.float32)
    d0, h0 = np.asarray(delta[:1]), np.asarray(h[:1])
    for start in range(0, len(delta), block):
        stop = min(start + block, len(delta))
        out[start:stop] = pairwise_sq_distances(
            np.asarray(delta[start:stop]), np.asarray(h[start:stop]), d0, h0
        )[:, 0]
    return out


class FlushCounter:
    """Counts the flushes of every lazy state made while it is active
    (a diagnostic of this benchmark only)."""

    def __enter__(self):
        self.states = []
        self._init = init = lazy_module.LazyDistances.__init__
        states = self.states

        def counting_init(st, *args, **kwargs):
            init(st, *args, **kwargs)
            states.append(st)

        lazy_module.LazyDistances.__init__ = counting_init
        return self

    def __exit__(self, *exc):
        lazy_module.LazyDistances.__init__ = self._init

    @property
    def flushes(self):
        return sum(st.n_flushes for st in self.states)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--c", type=int, default=1000)
    parser.add_argument("--d", type=int, default=4096)
    parser.add_argument("--batches", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--block", type=int, default=8192)
    parser.add_argument(
        "--dir", default=None, help="where the .npy files go (a temp dir)"
    )
    parser.add_argument("--out", help="also write the markdown report here")
    args = parser.parse_args()
    start_all = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        log(f"writing the factors ({args.n} x ({args.c} + {args.d}))")
        t_make, paths = timed(
            lambda: make_factors(folder, args.n, args.c, args.d, args.block)
        )
        on_disk = [np.load(p, mmap_mode="r") for p in paths]
        in_memory = [np.load(p) for p in paths]
        size = sum(a.nbytes for a in in_memory) / GIB
        passes = [
            timed(lambda: one_pass(*in_memory, args.block))[0]
            for _ in range(3)
        ]
        t_pass = statistics.median(passes)
        t_pass_disk = statistics.median(
            timed(lambda: one_pass(*on_disk, args.block))[0] for _ in range(3)
        )
        log(f"one pass: {t_pass:.2f} s in memory, {t_pass_disk:.2f} s on disk")
        rows = [
            ["one pass (distances to one centre)", "1", "in memory",
             f"{t_pass:.2f}", "1.0", "", ""],
            ["one pass (distances to one centre)", "1", "on disk",
             f"{t_pass_disk:.2f}", "1.0", "", ""],
        ]  # fmt: skip
        for batch in args.batches:
            for where, factors, base in (
                ("in memory", in_memory, t_pass),
                ("on disk", on_disk, t_pass_disk),
            ):
                times, flushes = [], []
                for seed in range(args.seeds):
                    with FlushCounter() as counter:
                        t, _ = timed(
                            lambda s=seed, f=factors, b=batch: kmeans_plusplus(
                                *f, b, random_state=s, algorithm="lazy"
                            )
                        )
                    times.append(t)
                    flushes.append(counter.flushes)
                    log(
                        f"lazy, batch {batch}, {where}, seed {seed}: {t:.2f} s"
                    )
                peak = ""
                if where == "in memory":
                    peak = "{:.0f}".format(
                        peak_mib(
                            lambda f=factors, b=batch: kmeans_plusplus(
                                *f, b, random_state=0, algorithm="lazy"
                            )
                        )
                    )
                med = statistics.median(times)
                rows.append(
                    [f"lazy k-means++, {args.seeds} seeds", str(batch),
                     where, f"{med:.2f}", f"{med / base:.1f}",
                     f"{min(flushes)}-{max(flushes)}", peak]
                )  # fmt: skip
        batch = min(args.batches)
        t_plain, _ = timed(
            lambda: kmeans_plusplus(
                *in_memory, batch, random_state=0, algorithm="plain"
            )
        )
        log(f"plain, batch {batch}: {t_plain:.2f} s")
        rows.append(
            ["plain k-means++ (one pass a pick), 1 seed", str(batch),
             "in memory", f"{t_plain:.2f}", f"{t_plain / t_pass:.1f}",
             "", ""]
        )  # fmt: skip
    emb_tb = args.n * args.c * args.d * 4 / 2.0**40
    header = [
        f"# The exact lazy kernel at C = {args.c}, D = {args.d}",
        "",
        f"- pool: n = {args.n:,}, factors {size:.2f} GiB in float32 "
        f"(written block by block in {t_make:.0f} s); the embeddings "
        f"themselves would have C * D = {args.c * args.d:,} columns, "
        f"{emb_tb:.2f} TiB",
        machine_line(),
        versions_line(),
        start_load_line(),
        f"- command: `{command_line()}`",
        "",
    ]
    table = markdown_table(
        ["kernel", "batch", "pool", "median s", "passes (time / one pass)",
         "flushes", "peak MiB"],
        rows,
        left=(0, 2),
    )  # fmt: skip
    finish_report(header, table, start_all, args.out)


if __name__ == "__main__":
    main()
