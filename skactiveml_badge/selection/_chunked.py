"""Factors that stay where they are: on disk (``.npy`` files opened as
``numpy.memmap``) or on Dask workers (``dask.array``).

The lazy kernels read the whole pool only to compute the norms and at a
flush (a handful per thousand picks); every other step touches one row.
So the pool can stay chunked: a :class:`ChunkedLazyDistances` holds only
vectors of length ``n`` (the bounds ``U``, the norms, flags) and the
pending centres, and asks its store for

- the squared norms of every row (one pass, block by block),
- the distance of every row to the pending centres (a flush: one matrix
  product per block, the per-row minimum comes back),
- one row (a proposal or a new centre).

Every value of a row is computed from that row alone, by the same
functions as in memory, and every sum over rows (the sampling) runs on the
host in the in-memory order, so a seed gives the same picks whatever the
chunking and wherever the blocks live.
"""

import mmap
import os
from typing import NamedTuple

import numpy as np

from .._validation import check_dtype
from ..exceptions import DaskWorkerError
from ._arrays import NumpyOps, non_finite_message
from ._distances import checked_sq_norms
from ._lazy import (
    _BLOCK,
    FLUSH_ELEMENTS,
    LazyDistances,
    block_distances,
    draw_proposal,
)

#: Rows read from disk at once (64 MiB of float16 at D = 512).
DISK_ROWS = 65536
#: Rows fetched with each row that is not at hand (see
#: ``ChunkedLazyDistances.row``), and rows kept at most.
PREFETCH = 64
CACHE_ROWS = 8192
#: Parallel reads of single rows from disk.
READERS = 16


def is_dask_array(x) -> bool:
    """Whether ``x`` is a ``dask.array.Array`` (without importing dask)."""
    kind = type(x)
    return kind.__module__.startswith("dask.") and kind.__name__ == "Array"


def dask_call(fn):
    """Run ``fn`` (a Dask computation); a lost worker becomes a
    :class:`DaskWorkerError` that names the problem."""
    try:
        return fn()
    except Exception as err:
        kind = type(err).__name__
        if kind in ("KilledWorker", "CommClosedError", "FutureCancelledError"):
            raise DaskWorkerError(
                f"A Dask worker was lost during the query ({kind}: {err}). "
                "Nothing was picked and the caller's data and model are "
                "unchanged; check the workers (memory limits, crashes in "
                "the model's predict_proba) and query again."
            ) from err
        raise


def is_chunked(x) -> bool:
    """Whether ``x`` is a pool the selection reads block by block."""
    return is_dask_array(x) or isinstance(x, np.memmap)


def _compute_rows(block, dtype, storage=None):
    """A block of ``h`` in the compute dtype, rounded to ``storage`` (a
    half-precision dtype) first when one is given, as in memory."""
    block = np.asarray(block)
    if storage is not None and block.dtype != storage:
        with np.errstate(over="ignore"):  # reported by the norm check
            block = block.astype(storage)
    return NumpyOps(dtype).to_compute(np.ascontiguousarray(block))


def _block_sq_norms(delta, h, dtype, storage):
    """``(|delta|^2, |h|^2)`` of a block and whether each row of
    ``delta`` and of ``h`` (rounded to ``storage``) is finite, as four
    columns."""
    ops = NumpyOps(dtype)
    d = np.ascontiguousarray(delta, dtype=dtype)
    h = _compute_rows(h, dtype, storage)
    with np.errstate(over="ignore", invalid="ignore"):  # checked later
        return np.stack(
            [
                ops.row_sq_norms(d),
                ops.row_sq_norms(h),
                np.isfinite(d).all(1),
                np.isfinite(h).all(1),
            ],
            axis=1,
        )


def _block_min_distance(delta, h, norms, Pd, Ph, Pa, tol, dtype, storage):
    """Each row's squared distance to its nearest pending centre (rows in
    slices that bound the ``rows x centres`` temporaries as in memory)."""
    norms = np.asarray(norms).reshape(-1)
    out = np.empty(norms.shape[0], dtype=dtype)
    step = max(1, FLUSH_ELEMENTS // max(Pd.shape[0], 1))
    for start in range(0, out.shape[0], step):
        rows = slice(start, start + step)
        d = np.ascontiguousarray(delta[rows], dtype=dtype)
        dist = block_distances(
            d, _compute_rows(h[rows], dtype, storage), norms[rows],
            Pd, Ph, Pa, tol,
        )  # fmt: skip
        out[rows] = dist.min(1)
    return out


class DiskStore:
    """Factors in ``.npy`` files, read in blocks of rows with ``pread``
    (the page cache keeps what fits; the process holds one block).

    Parameters
    ----------
    delta, h : numpy.memmap of shape (n, C), (n, D)
        Whole C-contiguous arrays as ``np.load(path, mmap_mode="r")``
        returns them are read with ``pread``; other arrays by slicing.
    dtype : numpy dtype
        The compute dtype.
    storage : numpy dtype or None
        Half precision to round ``h`` to (``storage_dtype``).
    rows : int or None, default=None
        Rows per read (``None``: :data:`DISK_ROWS`).
    """

    def __init__(self, delta, h, dtype, storage=None, rows=None):
        self.delta, self.h = delta, h
        self.dtype, self.storage = np.dtype(dtype), storage
        self.n = h.shape[0]
        self.block_rows = int(DISK_ROWS if rows is None else rows)
        self.norms = None

    def _read(self, arr, start, stop):
        """Rows ``start:stop`` of ``arr`` as an in-memory array."""
        if not (isinstance(arr.base, mmap.mmap) and arr.flags.c_contiguous):
            return np.array(arr[start:stop])
        row_bytes = int(np.prod(arr.shape[1:])) * arr.dtype.itemsize
        out = np.empty((stop - start, *arr.shape[1:]), dtype=arr.dtype)
        view = memoryview(out.reshape(-1).view(np.uint8))
        offset = arr.offset + start * row_bytes
        fd = os.open(arr.filename, os.O_RDONLY)
        try:
            done = 0
            while done < view.nbytes:
                got = os.preadv(fd, [view[done:]], offset + done)
                if got <= 0:
                    raise OSError(f"{arr.filename!r} ended early.")
                done += got
        finally:
            os.close(fd)
        return out

    def _blocks(self):
        """``(rows, delta block, h block)`` in order; the next block is
        read (in a thread: ``pread`` releases the GIL) while the caller
        works on this one."""
        from concurrent.futures import ThreadPoolExecutor

        def read(start):
            stop = min(start + self.block_rows, self.n)
            return (
                slice(start, stop),
                self._read(self.delta, start, stop),
                self._read(self.h, start, stop),
            )

        starts = range(0, self.n, self.block_rows)
        with ThreadPoolExecutor(max_workers=1) as pool:
            ahead = pool.submit(read, starts[0])
            for start in starts[1:]:
                block = ahead.result()
                ahead = pool.submit(read, start)
                yield block
            yield ahead.result()

    def sq_norms(self):
        return np.concatenate(
            [
                _block_sq_norms(d, h, self.dtype, self.storage)
                for _, d, h in self._blocks()
            ]
        )

    def share_norms(self, norms):
        self.norms = norms

    def min_distance(self, Pd, Ph, Pa, tol):
        out = np.empty(self.n, dtype=self.dtype)
        for rows, d, h in self._blocks():
            out[rows] = _block_min_distance(
                d, h, self.norms[rows], Pd, Ph, Pa, tol, self.dtype,
                self.storage,
            )  # fmt: skip
        return out

    def rows(self, indices):
        """``(delta[indices], h[indices])`` in the compute dtype, read in
        parallel (random reads of a disk gain from a deep queue)."""
        from concurrent.futures import ThreadPoolExecutor

        def one(i):
            return self._read(self.delta, i, i + 1), self._read(
                self.h, i, i + 1
            )

        with ThreadPoolExecutor(min(READERS, len(indices))) as pool:
            got = list(pool.map(one, indices.tolist()))
        d = np.concatenate([g[0] for g in got])
        h = np.concatenate([g[1] for g in got])
        return (
            np.ascontiguousarray(d, dtype=self.dtype),
            _compute_rows(h, self.dtype, self.storage),
        )

    def utilities(self, plan, labels):
        """Utility rows as an ndarray: one pass over the pool for the
        weights and their row totals, then the rows made in place."""
        index = np.arange(self.n)
        out = np.empty((plan.Pd.shape[0], self.n))
        for rows, d, h in self._blocks():
            out[:, rows] = _block_weights(
                d, h, self.norms[rows], index[rows], labels[rows], plan
            )
        plan = plan._replace(totals=out.sum(1))
        for start in range(0, self.n, self.block_rows):
            rows = slice(start, start + self.block_rows)
            _finish(out[:, rows], index[rows], labels[rows], plan)
        return out


def _client():
    """The current ``distributed`` client, or None (local scheduler)."""
    try:
        from distributed import get_client
    except ImportError:
        return None
    try:
        return get_client()
    except ValueError:
        return None


def _rows_of(delta, h, rows):
    return np.array(delta[rows]), np.array(h[rows])


class DaskStore:
    """Factors in ``dask.array`` arrays: blocks are processed where they
    live and only per-row results come back.

    Parameters
    ----------
    delta, h : dask.array.Array of shape (n, C), (n, D)
        Known chunk sizes; ``delta`` is rechunked to the row chunks of
        ``h`` and both to one column chunk.
    dtype : numpy dtype
        The compute dtype.
    storage : numpy dtype or None
        Half precision to round ``h`` to (``storage_dtype``).
    """

    def __init__(self, delta, h, dtype, storage=None):
        self.dtype, self.storage = np.dtype(dtype), storage
        self.h = h.rechunk({1: -1})
        self.delta = delta.rechunk((self.h.chunks[0], -1))
        self.n = h.shape[0]
        self.norms = None
        self.client = _client()
        if self.client is not None:
            # Kept on the workers (a no-op for persisted arrays); a row
            # is then one small task on its block.
            self.delta, self.h = dask_call(
                lambda: self.client.persist([self.delta, self.h])
            )
        self.starts = np.cumsum((0,) + self.h.chunks[0])

    def sq_norms(self):
        import dask.array as da

        both = da.map_blocks(
            _block_sq_norms, self.delta, self.h, self.dtype, self.storage,
            chunks=(self.h.chunks[0], (4,)), dtype=self.dtype,
        )  # fmt: skip
        return np.asarray(dask_call(both.compute))

    def share_norms(self, norms):
        """Keep a copy of the host's norms on the workers, chunked as the
        rows, for the flushes."""
        import dask.array as da

        self.norms = da.from_array(norms, chunks=(self.h.chunks[0],))
        self.norms = dask_call(self.norms.persist)

    def _blockwise(self, fn, out, *args, **kwargs):
        """``fn(delta, h, *row_vectors, *args)`` on every row block: the
        dask arrays among ``args`` are vectors chunked as the rows."""
        import dask.array as da

        pairs = [(a, "j" if is_dask_array(a) else None) for a in args]
        return da.blockwise(
            fn, out, self.delta, "jc", self.h, "jd",
            *(x for pair in pairs for x in pair),
            concatenate=True, **kwargs,
        )  # fmt: skip

    def min_distance(self, Pd, Ph, Pa, tol):
        dist = self._blockwise(
            _block_min_distance, "j", self.norms, Pd, Ph, Pa, tol,
            self.dtype, self.storage, dtype=self.dtype,
        )  # fmt: skip
        return np.asarray(dask_call(dist.compute))

    def utilities(self, plan, labels):
        """Utility rows as a lazy ``dask.array`` (the row totals are
        computed now: one pass)."""
        import dask.array as da

        chunks = (self.h.chunks[0],)
        index = da.arange(self.n, chunks=chunks)
        labels = da.from_array(labels, chunks=chunks)
        vectors = (self.norms, index, labels)
        new = {"k": plan.Pd.shape[0]}
        weights = self._blockwise(
            _block_weights, "kj", *vectors, plan, new_axes=new,
            dtype=self.dtype,
        )  # fmt: skip
        totals = dask_call(weights.sum(axis=1, dtype=np.float64).compute)
        return self._blockwise(
            _block_utilities, "kj", *vectors, plan._replace(totals=totals),
            new_axes=new, dtype=np.float64,
        )  # fmt: skip

    def rows(self, indices):
        """``(delta[indices], h[indices])`` in the compute dtype: with a
        client, one small task on each block concerned, gathered in one
        round trip."""
        if self.client is None:
            import dask

            d, h = dask.compute(self.delta[indices], self.h[indices])
        else:
            from distributed import Future

            blocks = np.searchsorted(self.starts, indices, side="right") - 1
            tasks, where = [], []
            for b in np.unique(blocks):
                at = np.flatnonzero(blocks == b)
                futures = [
                    Future(arr.__dask_keys__()[b][0], self.client)
                    for arr in (self.delta, self.h)
                ]
                local = indices[at] - int(self.starts[b])
                tasks.append(
                    self.client.submit(_rows_of, *futures, local, pure=False)
                )
                where.append(at)
            got = dask_call(lambda: self.client.gather(tasks))
            d = np.empty((len(indices), self.delta.shape[1]), self.delta.dtype)
            h = np.empty((len(indices), self.h.shape[1]), self.h.dtype)
            for at, (d_part, h_part) in zip(where, got, strict=True):
                d[at], h[at] = d_part, h_part
        return (
            np.ascontiguousarray(d, dtype=self.dtype),
            _compute_rows(np.asarray(h), self.dtype, self.storage),
        )


def as_store(delta, h, options):
    """The store of a pool on disk or on Dask, after checking the factors
    and the options that apply (``options``: the dispatch's
    ``Options``)."""
    dtype = check_dtype(options.dtype)
    if options.backend == "torch" or options.device is not None:
        raise ValueError(
            "A pool on disk or on Dask is selected with numpy on the host: "
            "use backend='auto' or 'numpy' and device=None."
        )
    if options.storage_dtype not in (None, "float16"):
        raise ValueError(
            "A pool on disk or on Dask takes storage_dtype=None or "
            f"'float16', got {options.storage_dtype!r}."
        )
    storage = None if options.storage_dtype is None else np.dtype("float16")
    for name, arr in (("delta", delta), ("h", h)):
        _check_factor(name, arr)
    if delta.shape[0] != h.shape[0]:
        raise ValueError(
            "`delta` and `h` must have the same number of rows, got "
            f"{delta.shape[0]} and {h.shape[0]}."
        )
    if h.shape[0] == 0:
        raise ValueError("`delta` and `h` must have at least one row.")
    if is_dask_array(delta) or is_dask_array(h):
        import dask.array as da

        if not is_dask_array(h):
            h = da.from_array(h, chunks=(DISK_ROWS, -1))
        if not is_dask_array(delta):
            delta = da.from_array(np.asarray(delta), chunks=(h.chunks[0], -1))
        return DaskStore(delta, h, dtype, storage)
    return DiskStore(delta, h, dtype, storage)


def _check_factor(name, arr):
    shape = getattr(arr, "shape", None)
    if shape is None or len(shape) != 2:
        raise ValueError(
            f"`{name}` must be a 2-D array of shape (n_samples, ...), got "
            f"shape {shape}."
        )
    kind = np.dtype(arr.dtype)
    if kind.kind not in "iuf":
        raise TypeError(f"`{name}` must be real-valued, got {kind}.")
    if is_dask_array(arr) and any(
        np.isnan(size) for sizes in arr.chunks for size in sizes
    ):
        raise ValueError(
            f"`{name}` is a dask array with unknown chunk sizes (from a "
            f"boolean mask or from_delayed); call `{name}."
            "compute_chunk_sizes()` first."
        )


class ChunkedLazyDistances(LazyDistances):
    """:class:`~._lazy.LazyDistances` on a store: the factors stay in the
    store; the vectors of length ``n`` and the pending centres are on the
    host (numpy, compute dtype ``dtype``)."""

    def __init__(self, store, dtype, max_pending):
        self.store = store
        self._cache = {}
        self._rs = None
        super().__init__(store.delta, store.h, NumpyOps(dtype), max_pending)

    def _norms(self):
        both = self.store.sq_norms()
        storage = self.store.storage
        for col, name in ((2, "delta"), (3, "h")):
            bad = np.flatnonzero(both[:, col] == 0)
            if bad.size:  # as in memory: NaN, infinity, half overflow
                raise ValueError(
                    non_finite_message(
                        name, None if storage is None else storage.name
                    )
                    + f" First row: {bad[0]}."
                )
        norms = checked_sq_norms(self.ops, both[:, 0], both[:, 1])
        self.store.share_norms(norms)
        return norms

    def propose(self, random_state):
        self._rs = random_state  # for the prediction of later proposals
        return super().propose(random_state)

    def row(self, i):
        """Row ``i``, fetched with the rows the next proposals will likely
        ask for (one round trip, or parallel reads, instead of one each:
        a row on a cold disk or a remote worker costs milliseconds)."""
        hit = self._cache.get(i)
        if hit is None:
            if len(self._cache) > CACHE_ROWS:
                self._cache.clear()
            want = [i, *(j for j in self._predict(i) if j not in self._cache)]
            deltas, hs = self.store.rows(np.asarray(want, dtype=np.intp))
            for k, j in enumerate(want):
                self._cache[j] = (deltas[k], hs[k])
            hit = self._cache[i]
        return hit

    def _predict(self, i):
        """The next proposals if ``i`` and they are all accepted: k-means++
        replayed on a copy of the random state (the real draws are not
        touched); the largest bounds for farthest-first (no random state).
        A wrong guess costs a fetch, never a different pick."""
        U = self.U
        if self._rs is None:
            k = min(PREFETCH, self.n - 1)
            return np.argpartition(-U, k)[:k].tolist() if k > 0 else []
        sim = np.random.RandomState()
        sim.set_state(self._rs.get_state())
        sums = self.block_sums.copy()
        zeroed = []

        def remove(j):
            if np.isfinite(U[j]):
                sums[j // _BLOCK] -= float(U[j])
            zeroed.append(j)

        def block_of(start):
            block = U[start : start + _BLOCK].copy()
            for j in zeroed:
                if start <= j < start + _BLOCK:
                    block[j - start] = 0.0
            return block

        remove(i)
        out = []
        for _ in range(PREFETCH - 1):
            sim.random_sample()  # the acceptance test of the last one
            j = draw_proposal(sim, sums, block_of)
            if j < 0 or j in zeroed:
                break
            out.append(j)
            remove(j)
        return out

    def _apply_pending(self, Pd, Ph, Pa):
        dist = self.store.min_distance(Pd, Ph, Pa, self.tol)
        np.minimum(self.U, dist, out=self.U)


# ------------------------------------------------------------- utilities


class UtilityPlan(NamedTuple):
    """What every block needs for the utility rows (host arrays).

    ``Pd, Ph, Pa``: the picks' factors and squared norms; ``order``:
    the picks sorted, ``rank``: their position in the batch; ``is_open``:
    ``(n_picks, n_classes)`` whether a class may still be picked before
    pick ``k`` (None without quotas); ``totals``: the float64 sums of the
    weights of each row (``None`` before they are known); ``counts``: the
    samples a uniform row (all weights zero) spreads over.
    """

    rule: str
    Pd: np.ndarray
    Ph: np.ndarray
    Pa: np.ndarray
    order: np.ndarray
    rank: np.ndarray
    origin: bool
    tol: float
    is_open: object
    dtype: object
    storage: object
    totals: object = None
    counts: object = None


def _block_weights(delta, h, norms, index, labels, plan):
    """The plain pass's weights ``(n_picks, rows)`` of a block: row ``k``
    is pick ``k``'s ``D^2`` (the squared norms for ``k = 0``), zero for
    ineligible samples and for picks from their own pick on."""
    norms = np.asarray(norms).reshape(-1)
    index = np.asarray(index).reshape(-1)
    d = np.ascontiguousarray(delta, dtype=plan.dtype)
    rows = _compute_rows(h, plan.dtype, plan.storage)
    dist = block_distances(d, rows, norms, plan.Pd, plan.Ph, plan.Pa, plan.tol)
    n_picks = plan.Pd.shape[0]
    w = np.empty((n_picks, d.shape[0]), dtype=plan.dtype)
    w[0] = norms
    if n_picks > 1:
        w[1:] = np.minimum.accumulate(dist, axis=1)[:, :-1].T
        if plan.origin:
            np.minimum(w[1:], norms[None, :], out=w[1:])
    for col, k in _picked(index, plan):
        w[k + 1 :, col] = 0.0
    if plan.is_open is not None:
        w *= plan.is_open[:, np.asarray(labels).reshape(-1)]
    return w


def _picked(index, plan):
    """``(column, k)`` of the rows of a block that are pick ``k``."""
    at = np.searchsorted(plan.order, index)
    at = np.minimum(at, plan.order.size - 1)
    cols = np.flatnonzero(plan.order[at] == index)
    return zip(cols, plan.rank[at[cols]], strict=True)


def _block_utilities(delta, h, norms, index, labels, plan):
    """Utility rows ``(n_picks, rows)`` of a block, as the plain pass
    gives them (``plan.totals`` known)."""
    w = _block_weights(delta, h, norms, index, labels, plan)
    return _finish(w.astype(float), index, labels, plan)


def _finish(w, index, labels, plan):
    """Utility rows from a block's float64 weights (in place)."""
    index = np.asarray(index).reshape(-1)
    if plan.rule == "farthest_first":
        np.sqrt(w, out=w)
    else:
        zero = plan.totals == 0.0
        w[~zero] /= plan.totals[~zero, None]
        if zero.any():  # uniform over the samples left
            free = np.ones(w.shape, dtype=bool)
            if plan.is_open is not None:
                free &= plan.is_open[:, np.asarray(labels).reshape(-1)]
            for col, k in _picked(index, plan):
                free[k + 1 :, col] = False
            w[zero] = free[zero] / plan.counts[zero, None]
    for col, k in _picked(index, plan):
        w[k + 1 :, col] = np.nan
    return w


def utility_plan(st, rule, picks, origin, quota_labels, quotas, storage):
    """The :class:`UtilityPlan` of the picks (``quotas``: the per-class
    quotas, with ``quota_labels`` the class of every sample)."""
    n_picks = len(picks)
    Pd, Ph = st.store.rows(np.asarray(picks, dtype=np.intp))
    rank = np.argsort(picks, kind="stable")
    is_open = counts = None
    n_left = np.full(n_picks, st.n) - np.arange(n_picks)
    if quotas is not None:
        left = np.array(quotas, dtype=np.int64)
        sizes = np.bincount(quota_labels, minlength=left.size)
        is_open = np.empty((n_picks, left.size), dtype=bool)
        picked = np.zeros(left.size, dtype=np.int64)
        for k in range(n_picks):
            is_open[k] = left > 0
            n_left[k] = int(((sizes - picked) * is_open[k]).sum())
            c = quota_labels[picks[k]]
            left[c] -= 1
            picked[c] += 1
        counts = n_left
    return UtilityPlan(
        rule=rule, Pd=Pd, Ph=Ph, Pa=st.norms[np.asarray(picks)],
        order=np.asarray(picks)[rank], rank=rank, origin=origin,
        tol=st.tol, is_open=is_open, dtype=st.ops.dtype, storage=storage,
        counts=n_left if counts is None else counts,
    )  # fmt: skip
