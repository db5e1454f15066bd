"""BADGE selection on pools of millions: in memory, on disk and on Dask.

What is measured
----------------
Synthetic factors for pools of ``--sizes`` samples (default 1M, 3M and
10M), ``C = 10`` classes and ``D = --d`` features (default 512):
``delta = p - onehot(argmax p)`` (float32) with Dirichlet(0.5)
probabilities and ``h`` the ReLU of Gaussian features, held in float16
(``storage_dtype="float16"``): 1 GiB per million samples. They are
generated block by block (never whole in memory) into two ``.npy`` files
in ``--dir`` (made once, reused by later runs).

Each mode then selects ``--batch`` samples (default 1,000) with
``kmeans_plusplus(delta, h, batch, random_state=0, origin_as_centre=True,
storage_dtype="float16")`` (Badge's default rule), in a fresh process, and
the table gives its wall time, the lazy kernel's flushes and proposals,
and the peak resident memory (``ru_maxrss``) of that process:

- ``memory``: both ``.npy`` files loaded into memory (where they fit:
  pools up to ``--memory-max`` samples, default 3M);
- ``disk``: the files opened with ``np.load(mmap_mode="r")``; the kernel
  reads them in blocks (``pread``). The files are dropped from the page
  cache first (``posix_fadvise(DONTNEED)``): every read comes from the
  disk;
- ``dask``: a ``distributed.LocalCluster`` with ``--workers`` worker
  processes (default 2, one thread each); the workers load the blocks of
  the files into their memory (``persist``) before the clock starts, and
  the table adds the workers' resident memory after the selection.

All modes must make the same picks (checked). ``--device cuda`` adds a
``cuda`` mode: the factors on the GPU (``h`` in float16), selected with
the torch backend (pools that fit in GPU memory).

Usage: ``python benchmarks/bench_scale.py [--sizes 1000000 3000000
10000000] [--dir /tmp/bench_scale]``; ``--quick`` runs 100k and 300k.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np
from _common import (
    command_line,
    log,
    machine_line,
    markdown_table,
    rst_table,
    versions_line,
    write_text,
)

C = 10
BLOCK = 1 << 16
HERE = os.path.dirname(os.path.abspath(__file__))


def _paths(folder, n, d):
    return (
        os.path.join(folder, f"delta_{n}_{C}.npy"),
        os.path.join(folder, f"h_{n}_{d}_f16.npy"),
    )


def write_factors(folder, n, d, seed=0):
    """Generate the factors block by block into two .npy files."""
    from skactiveml_badge.pool._pool import _NpyWriter

    paths = _paths(folder, n, d)
    if all(os.path.exists(p) for p in paths):
        return paths
    os.makedirs(folder, exist_ok=True)
    log(f"writing {n:,} x (C={C}, D={d}) factors to {folder}")
    tmp = [p + ".part" for p in paths]
    wd = _NpyWriter(tmp[0], (n, C), np.float32)
    wh = _NpyWriter(tmp[1], (n, d), np.float16)
    rng = np.random.default_rng(seed)
    for start in range(0, n, BLOCK):
        m = min(BLOCK, n - start)
        p = rng.dirichlet(np.full(C, 0.5), size=m).astype(np.float32)
        p[np.arange(m), p.argmax(1)] -= 1.0
        wd.write(p)
        block = rng.standard_normal((m, d), dtype=np.float32)
        wh.write(np.maximum(block, 0.0).astype(np.float16))
    wd.close()
    wh.close()
    for a, b in zip(tmp, paths, strict=True):
        os.replace(a, b)
    return paths


def _instrumented():
    """Count the lazy kernel's flushes and proposals (the public kernel
    runs unchanged; its state is read after the call)."""
    from skactiveml_badge.selection import _dispatch, _lazy

    seen = {}
    original = _lazy.lazy_kmeans_plusplus

    def counted(st, *args, **kwargs):
        out = original(st, *args, **kwargs)
        seen.update(flushes=st.n_flushes, proposals=st.n_proposals)
        return out

    _dispatch.lazy_kmeans_plusplus = counted
    return seen


def _dask_pool(client, path, rows):
    """The .npy file as a dask array whose blocks the workers read and
    keep (persisted)."""
    import dask
    import dask.array as da
    import distributed

    mm = np.load(path, mmap_mode="r")
    n = mm.shape[0]
    shape, dtype = mm.shape[1:], mm.dtype
    del mm

    def load(start, stop):
        m = np.load(path, mmap_mode="r")
        return np.array(m[start:stop])

    blocks = [
        da.from_delayed(
            dask.delayed(load)(s, min(s + rows, n)),
            (min(s + rows, n) - s, *shape),
            dtype,
        )
        for s in range(0, n, rows)
    ]
    arr = da.concatenate(blocks).persist()
    distributed.wait(arr)
    return arr


def _evict(*paths):
    """Drop the files' pages from the page cache (``posix_fadvise``)."""
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def child(args):
    """One mode in this (fresh) process; prints a JSON line."""
    from skactiveml_badge.selection import kmeans_plusplus

    seen = _instrumented()
    d_path, h_path = _paths(args.dir, args.n, args.d)
    opts = dict(random_state=0, origin_as_centre=True, storage_dtype="float16")
    extra = {}
    cluster = None
    if args.child == "memory":
        delta, h = np.load(d_path), np.load(h_path)
    elif args.child == "disk":
        _evict(d_path, h_path)  # cold: read from the disk, as after a reboot
        delta = np.load(d_path, mmap_mode="r")
        h = np.load(h_path, mmap_mode="r")
    elif args.child == "cuda":
        import torch

        delta = torch.from_numpy(np.load(d_path)).cuda()
        h = torch.from_numpy(np.load(h_path)).cuda()
        opts["backend"] = "torch"
    else:
        import distributed

        cluster = distributed.LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True,
            dashboard_address=None, memory_limit=0, silence_logs=40,
        )  # fmt: skip
        client = distributed.Client(cluster)
        rows = max(BLOCK, args.n // (4 * args.workers))
        delta = _dask_pool(client, d_path, rows)
        h = _dask_pool(client, h_path, rows)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    idx, _ = kmeans_plusplus(delta, h, args.batch, **opts)
    seconds = time.perf_counter() - t0
    if cluster is not None:
        import psutil

        rss = client.run(lambda: psutil.Process().memory_info().rss)
        extra["workers_mib"] = sum(rss.values()) / 2**20
        client.close()
        cluster.close()
    if args.child == "cuda":
        import torch

        extra["gpu"] = torch.cuda.get_device_name()
        extra["gpu_peak_mib"] = torch.cuda.max_memory_allocated() / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = dict(
        seconds=seconds, peak_mib=peak, before_mib=base,
        picks=np.asarray(idx).tolist(), **seen, **extra,
    )  # fmt: skip
    print(json.dumps(out))


def run_child(args, mode, n):
    cmd = [
        sys.executable, os.path.abspath(__file__), "--child", mode,
        "--n", str(n), "--d", str(args.d), "--batch", str(args.batch),
        "--dir", args.dir, "--workers", str(args.workers),
    ]  # fmt: skip
    log(f"{mode}: n={n:,}")
    out = subprocess.run(
        cmd, capture_output=True, text=True, check=False, cwd=HERE
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-3000:])
        raise SystemExit(f"{mode} at n={n} failed")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    log(
        f"{mode}: {result['seconds']:.1f} s, peak {result['peak_mib']:.0f} "
        f"MiB, {result['flushes']} flushes"
    )
    return result


COLUMNS = (
    "mode", "n", "time (s)", "µs per sample", "flushes", "proposals",
    "peak RSS (MiB)", "other",
)  # fmt: skip


def _row(mode, n, r):
    other = ""
    if "workers_mib" in r:
        other = f"workers {r['workers_mib']:.0f} MiB"
    if "gpu" in r:
        other = f"{r['gpu']}, peak {r['gpu_peak_mib']:.0f} MiB"
    return [
        mode, f"{n:,}", f"{r['seconds']:.1f}",
        f"{1e6 * r['seconds'] / n:.2f}", str(r["flushes"]),
        str(r["proposals"]), f"{r['peak_mib']:.0f}", other,
    ]  # fmt: skip


def _growth(rows, modes):
    """Per mode: time per sample at each n over that at the smallest n."""
    out = []
    for mode in modes:
        mine = [(n, r) for m, n, r in rows if m == mode]
        if len(mine) > 1:
            n0, r0 = mine[0]
            ratios = ", ".join(
                f"{n:,}: {(r['seconds'] / n) / (r0['seconds'] / n0):.2f}"
                for n, r in mine[1:]
            )
            out.append(
                f"{mode}: time per sample relative to n = {n0:,}: {ratios}"
            )
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+",
        default=[1_000_000, 3_000_000, 10_000_000],
    )  # fmt: skip
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--d", type=int, default=512)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument(
        "--modes", nargs="+", default=["memory", "disk", "dask"]
    )
    parser.add_argument("--memory-max", type=int, default=3_000_000)
    parser.add_argument("--dask-max", type=int, default=10_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--dir", default="/tmp/bench_scale")
    parser.add_argument("--out", default=None, help="also write to this file")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    sizes = [100_000, 300_000] if args.quick else args.sizes
    modes = list(args.modes) + (["cuda"] if args.device == "cuda" else [])
    rows = []
    for n in sizes:
        write_factors(args.dir, n, args.d)
        for mode in modes:
            if mode == "memory" and n > args.memory_max:
                continue
            if mode == "dask" and n > args.dask_max:
                continue
            r = run_child(args, mode, n)
            rows.append((mode, n, r))
    first = {n: None for n in sizes}
    for _, n, r in rows:
        first[n] = first[n] or r["picks"]
    same = all(r["picks"] == first[n] for _, n, r in rows)
    table = [_row(mode, n, r) for mode, n, r in rows]
    info = [
        f"command: `{command_line()}`",
        machine_line().lstrip("- "),
        versions_line().lstrip("- "),
        f"factors: C = {C}, D = {args.d}, h in float16, delta in float32;"
        f" batch {args.batch}, k-means++ with the origin as a centre",
        *_growth(rows, modes),
        f"every mode made the same picks: {'yes' if same else 'NO'}",
    ]
    text = "\n".join(
        ["# BADGE selection on pools of millions", ""]
        + [f"- {line}" for line in info]
        + ["", markdown_table(COLUMNS, table, left=(0, 7))]
    )
    print(text)
    if args.out:
        write_text(args.out, text + "\n")
        write_text(args.out[:-3] + ".rst", rst_table(COLUMNS, table, info))
    return None


if __name__ == "__main__":
    main()
