"""The pool of one query, in memory, on disk (``numpy.memmap``) or on Dask
(``dask.array``): one abstraction for the three.

:func:`query_pool` and :func:`batch_pool` check the caller's input the
same way for every kind of pool and return a :class:`Pool`, through which
a strategy reads what it needs: the labeled rows (the only rows a chunked
pool brings to the caller), the candidates embedded block by block where
they live (:meth:`Pool.embedded`, :meth:`Pool.gather`) and the mapping of
its picks back to the caller's indices (:meth:`Pool.output`).

On Dask the blocks are embedded on the workers, which receive the fitted
model; on disk they are embedded block by block into ``.npy`` files of
factors in a temporary folder. The selection kernels read those factors
as they need them (:mod:`.selection._chunked`): the caller never holds an
``n x D`` array.
"""

import contextlib
import functools
import mmap
import os
import shutil
import tempfile

import numpy as np
from skactiveml.utils import check_missing_label, is_labeled
from sklearn.utils import check_array

from .._frames import (
    check_frame,
    check_same_columns,
    concat_rows,
    is_frame,
    take,
)
from .._validation import (
    check_bool,
    check_positive_int,
    check_sample_weight,
    check_samples,
)
from ..embeddings import (
    features_scale,
    make_tuple_aware_losses,
    row_sq_sum,
    tuple_aware_losses,
)
from ..exceptions import warn
from ..selection import dask_call, is_dask_array

#: Rows of a pool on disk embedded at once.
EMBED_ROWS = 16384


class DiskRows:
    """Arrays on disk (and in memory) seen as one pool: the rows of the
    concatenation of ``parts``, restricted to ``rows`` if given. Read by
    :func:`read_rows`, one block at a time."""

    def __init__(self, parts, rows=None):
        self.parts, self.rows = parts, rows
        self.starts = np.cumsum([0] + [p.shape[0] for p in parts])
        n = self.starts[-1] if rows is None else len(rows)
        self.shape = (int(n), *parts[0].shape[1:])
        self.dtype = np.result_type(*(p.dtype for p in parts))
        self.ndim = len(self.shape)

    def __getitem__(self, rows):
        index = np.arange(self.shape[0])[rows]
        if self.rows is not None:
            index = self.rows[index]
        out = np.empty((index.size, *self.shape[1:]), dtype=self.dtype)
        part = np.searchsorted(self.starts, index, side="right") - 1
        for k, arr in enumerate(self.parts):
            here = part == k
            if here.any():
                out[here] = read_rows(arr, index[here] - self.starts[k])
        return out


def kind_of(X):
    """``"dask"``, ``"disk"`` or None (in memory)."""
    if is_dask_array(X):
        return "dask"
    if isinstance(X, (np.memmap, DiskRows)):
        return "disk"
    return None


def read_rows(X, rows):
    """Rows of ``X`` (a slice or int indices in any order) as an ndarray.

    A whole ``.npy`` memory map is opened anew, in the file's own layout
    (C or Fortran order, as its flags tell), for the read and closed after
    it, so the pages read do not stay in the caller's resident memory; a
    dask array is computed.
    """
    if is_dask_array(X):
        return dask_call(lambda: np.asarray(X[rows].compute()))
    if is_frame(X):
        return take(X, rows)
    if isinstance(X, DiskRows):
        return X[rows]
    if isinstance(X, np.memmap) and isinstance(X.base, mmap.mmap):
        fortran = X.flags.f_contiguous and not X.flags.c_contiguous
        view = np.memmap(
            X.filename, dtype=X.dtype, mode="r", offset=X.offset,
            shape=X.shape, order="F" if fortran else "C",
        )  # fmt: skip
        if isinstance(rows, slice):
            return np.array(view[rows])  # unmapped when `view` goes
        rows = np.asarray(rows)
        order = np.argsort(rows, kind="stable")  # read in file order
        out = np.empty((rows.size, *X.shape[1:]), dtype=X.dtype)
        out[order] = view[rows[order]]
        return out
    return np.array(X[rows])


def check_chunked_pool(X, name="X"):
    """Raise unless ``X`` is a pool this module can read: at least 2-D,
    real-valued, with known row chunks."""
    shape = getattr(X, "shape", ())
    if len(shape) < 2:
        raise ValueError(
            f"`{name}` must be an array of shape (n_samples, ...) with at "
            f"least 2 dimensions, got shape {shape}."
        )
    if np.dtype(X.dtype).kind not in "iuf":
        raise TypeError(f"`{name}` must be real-valued, got {X.dtype}.")
    if is_dask_array(X) and any(np.isnan(c) for c in X.chunks[0]):
        raise ValueError(
            f"`{name}` is a dask array with unknown chunk sizes (from a "
            f"boolean mask or from_delayed); call `{name}."
            "compute_chunk_sizes()` first."
        )


def reduce_batch(batch_size, n_candidates):
    """``batch_size`` reduced to the number of candidates, with
    scikit-activeml's warning (the one text of every route)."""
    if batch_size > n_candidates:
        warn(
            f"'batch_size={batch_size}' is larger than number of "
            f"candidates. Instead, 'batch_size={n_candidates}' was set.",
            UserWarning,
        )
        return n_candidates
    return batch_size


class Pool:
    """The samples of one query, checked: all samples ``X`` (in memory, on
    disk or on Dask), their labels ``y``, the labeled rows and the
    candidates (rows of ``X``, or samples given apart).

    Parameters
    ----------
    X : ndarray, numpy.memmap, DiskRows or dask.array
    y : ndarray of shape (n_samples,) or (n_samples, n_labels)
    labeled : ndarray of int
        Rows of ``X`` the model is fitted on.
    cand_rows : ndarray of int or None
        Rows of ``X`` that are the candidates (None: ``cand_samples``).
    cand_samples : array or None
        Candidates given as samples.
    sample_weight : ndarray of shape (n_samples,) or None
    offset : int or None
        ``select_batch``: the labeled rows come first in ``X`` and the
        picks are returned as positions after them; None for ``query``.
    """

    def __init__(
        self, X, y, labeled, cand_rows, cand_samples, sample_weight=None,
        offset=None,
    ):  # fmt: skip
        self.X, self.y, self.labeled = X, y, labeled
        self.cand_rows, self.cand_samples = cand_rows, cand_samples
        self.sample_weight, self.offset = sample_weight, offset
        self.labels = None
        self.kind = kind_of(X) or kind_of(cand_samples)
        #: Whether ``X`` is a data frame with categorical or text columns
        #: (:mod:`.._frames`), kept as a frame for the model.
        self.frame = is_frame(X)
        self.n_samples = X.shape[0]
        self.n_cand = (
            cand_samples.shape[0] if cand_rows is None else cand_rows.size
        )

    @property
    def chunked(self):
        """Whether the pool stays on disk or on Dask."""
        return self.kind is not None

    @functools.cached_property
    def X_lab(self):
        """The labeled samples, in memory."""
        return read_rows(self.X, self.labeled)

    @property
    def y_lab(self):
        """The labels of the labeled samples (``select_batch``: as
        given)."""
        if self.labels is not None:
            return self.labels
        return self.y[self.labeled]

    def fit_data(self):
        """``(X, y, sample_weight)`` the model is fitted on: in memory the
        whole pool, as scikit-activeml passes it (a classifier may use the
        unlabeled rows); on disk or on Dask the labeled rows only."""
        sw = self.sample_weight
        if not self.chunked:
            return self.X, self.y, sw
        return self.X_lab, self.y_lab, None if sw is None else sw[self.labeled]

    def candidates(self):
        """The candidates where they live: an ndarray, a dask array or a
        :class:`DiskRows`."""
        if self.cand_rows is None:
            return self.cand_samples
        if self.kind == "disk":
            return DiskRows([self.X], self.cand_rows)
        if self.frame:
            return take(self.X, self.cand_rows)
        return self.X[self.cand_rows]

    def all_rows(self):
        """``X`` followed by the candidate samples, if any, where they
        live (BAIT's pool of the mean Fisher and its candidates)."""
        if self.cand_samples is None:
            return self.X
        if self.kind == "dask":
            import dask.array as da

            return da.concatenate([_as_dask(self.X), _as_dask(
                self.cand_samples)])  # fmt: skip
        if self.kind == "disk":
            return DiskRows([self.X, self.cand_samples])
        return np.concatenate([self.X, self.cand_samples])

    def block_fn(self, factors, dtype, storage=None):
        """``factors`` itself for a pool in memory (its outputs are used as
        they are: tensors, sparse matrices), else its :class:`Embedder`."""
        if not self.chunked:
            return factors
        return Embedder(factors, dtype, storage)

    @contextlib.contextmanager
    def embedded(self, embedder):
        """``embedder``'s ``(labels, a, b)`` of the candidates, where they
        live: in memory at once; on Dask persisted on the workers; on disk
        written to temporary ``.npy`` files, deleted afterwards."""
        X = self.candidates()
        if kind_of(X) == "dask":
            yield embed_on_dask(embedder, X)
        elif kind_of(X) == "disk":
            with embed_on_disk(embedder, X) as out:
                yield out
        else:
            yield embedder(X)

    def gather(self, fn, rows=None):
        """``fn``'s outputs (a tuple of arrays, one row per sample) of the
        candidates (or of ``rows``: an array where it lives), in memory; a
        chunked pool is read block by block."""
        X = self.candidates() if rows is None else rows
        if kind_of(X) is None:
            return fn(X)
        if kind_of(X) == "dask":
            parts = _on_dask_blocks(fn, X)
        else:
            parts = [
                fn(read_rows(X, slice(s, s + EMBED_ROWS)))
                for s in range(0, X.shape[0], EMBED_ROWS)
            ]
        return tuple(np.concatenate(p) for p in zip(*parts, strict=True))

    def scale(self):
        """The features' scale of the candidates
        (:func:`~.embeddings._trees.features_scale`) from block sums."""
        sums = self.gather(_row_sums)
        return features_scale(None, (float(sums[0].sum()), int(
            sums[1].sum())))  # fmt: skip

    def output(self, idx, util, return_util):
        """``query``'s (or ``select_batch``'s) return value from picks
        ``idx`` (positions among the candidates) and their utility rows
        ``util``: indices into ``X`` and rows over ``X`` (NaN off the
        candidates) when the candidates are rows of ``X``, else both as
        they are."""
        idx = np.asarray(idx, dtype=np.intp)
        if self.offset is not None:  # select_batch
            return self.cand_rows[idx] - self.offset
        if self.cand_rows is None:
            return (idx, util) if return_util else idx
        query_indices = self.cand_rows[idx]
        if not return_util:
            return query_indices
        return query_indices, _spread(util, self.cand_rows, self.n_samples)


def _as_dask(X):
    import dask.array as da

    if is_dask_array(X):
        return X.rechunk({i: -1 for i in range(1, X.ndim)})
    return da.from_array(np.asarray(X), chunks=(EMBED_ROWS, *X.shape[1:]))


def _row_sums(X_block):
    sq, n = row_sq_sum(X_block)
    return np.array([sq]), np.array([n])


def _spread(util, rows, n):
    """Utilities over the candidates placed in ``(batch, n)`` with NaN
    elsewhere (lazily for a dask array)."""
    if is_dask_array(util):
        import dask.array as da

        pos = np.full(n, util.shape[1], dtype=np.intp)
        pos[rows] = np.arange(rows.size)
        pad = da.full((util.shape[0], 1), np.nan, chunks=(util.chunks[0], 1))
        return da.concatenate([util, pad], axis=1)[:, pos]
    out = np.full((util.shape[0], n), np.nan)
    out[:, rows] = util
    return out


# ------------------------------------------------------------ the checks


class Labels:
    """How a strategy reads ``y``: one label per sample or, with
    ``indicator``, a label indicator matrix of shape ``(n_samples, L)``,
    ``L >= 2``, whose known entries are 0 or 1 (a row is labeled when all
    its labels are known); ``missing_label`` marks what is unknown."""

    def __init__(self, missing_label, indicator=False):
        self.missing_label, self.indicator = missing_label, indicator

    def labeled(self, y):
        """Which rows of ``y`` are labeled."""
        known = is_labeled(y, missing_label=self.missing_label)
        return known.all(axis=1) if known.ndim == 2 else known

    def check(self, y, name="y"):
        """``y`` checked."""
        y = np.asarray(y)
        if not self.indicator:
            if y.ndim != 1:
                raise ValueError(
                    f"`{name}` must be 1-D (one label per sample), got "
                    f"shape {y.shape}."
                )
            return y
        if y.ndim != 2 or y.shape[1] < 2:
            raise ValueError(
                f"`{name}` must be a label indicator matrix of shape "
                "(n_samples, n_labels) with n_labels >= 2, got shape "
                f"{y.shape}; for one label use Badge."
            )
        values = y[is_labeled(y, missing_label=self.missing_label)]
        try:
            numbers = values.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"The known entries of `{name}` must be 0 or 1, got values "
                f"of dtype {y.dtype}."
            ) from None
        if not np.isin(numbers, (0.0, 1.0)).all():
            bad = np.unique(values[~np.isin(numbers, (0.0, 1.0))])[:5]
            raise ValueError(
                f"The known entries of `{name}` must be 0 or 1 (with "
                f"missing_label={self.missing_label!r} for unknown ones), "
                f"got {bad.tolist()}."
            )
        return y


def query_pool(
    X, y, candidates, batch_size, return_util, sample_weight, labels, checks
):  # fmt: skip
    """The checked :class:`Pool` of ``query``'s arguments, the batch size
    (reduced to the candidates, with a warning) and ``return_utilities``.

    ``labels``: the :class:`Labels` of the strategy; ``checks(X, y,
    return_util)``: the strategy's own checks of a pool in memory
    (scikit-activeml's), returning ``(X, y)``.
    """
    batch_size = check_positive_int(batch_size, "batch_size")
    return_util = check_bool(return_util, "return_utilities")
    chunked = kind_of(X) is not None or kind_of(candidates) is not None
    if chunked:
        check_chunked_pool(X)
        y = check_array(
            y, ensure_2d=False, ensure_all_finite="allow-nan", dtype=None,
            input_name="y",
        )  # fmt: skip
        if y.shape[0] != X.shape[0]:
            raise ValueError(
                f"`y` must have one label per row of X ({X.shape[0]}), got "
                f"shape {y.shape}."
            )
        check_missing_label(labels.missing_label, target_type=y.dtype)
    elif is_frame(X):
        # scikit-activeml's checks of y (and of the number of rows), on a
        # stand-in for the frame, which its checks would make an array
        check_frame(X, "X")
        _, y = checks(np.zeros((X.shape[0], 1)), y, return_util)
    else:
        X, y = checks(check_samples(X, "X"), y, return_util)
    y = labels.check(y)
    labeled = labels.labeled(y)
    cand_rows, cand_samples = _candidates(candidates, X, labeled)
    n_cand = cand_samples.shape[0] if cand_rows is None else cand_rows.size
    batch_size = reduce_batch(batch_size, n_cand)
    sw = check_sample_weight(sample_weight, X.shape[0])
    pool = Pool(X, y, np.flatnonzero(labeled), cand_rows, cand_samples, sw)
    return pool, batch_size, return_util


def _candidates(candidates, X, labeled):
    """``(rows, samples)``: the candidate rows of ``X`` (None when the
    candidates are samples) and the candidate samples (None when they are
    rows), checked."""
    if candidates is None:
        return np.flatnonzero(~labeled), None
    if kind_of(candidates) is not None:
        check_chunked_pool(candidates, "candidates")
        _check_width(candidates, X)
        return None, candidates
    cand = np.asarray(candidates)
    if is_frame(X) and cand.ndim != 1:
        raise ValueError(
            "With a data frame `X` (categorical or text columns), give "
            "`candidates` as indices into X (or None), not samples."
        )
    if cand.size == 0:
        raise ValueError(
            "`candidates` is empty: there is nothing to pick from (give "
            "None to pick from every unlabeled sample)."
        )
    if cand.ndim != 1:
        cand = check_samples(cand, "candidates")
        _check_width(cand, X)
        return None, cand
    check_index_candidates(cand, labeled)
    return cand.astype(np.intp), None


def _check_width(cand, X):
    if cand.shape[1:] != X.shape[1:]:
        raise ValueError(
            "`candidates` given as samples must have the sample shape "
            f"of X, {X.shape[1:]}, got {cand.shape[1:]}."
        )


def check_index_candidates(cand, labeled):
    """Raise unless ``cand`` (1-D) holds distinct in-range int indices of
    rows that are not ``labeled`` (a mask over the rows)."""
    if not np.issubdtype(cand.dtype, np.integer):
        raise TypeError(
            "`candidates` given as a 1-D array must hold integer indices "
            f"into X, got dtype {cand.dtype}."
        )
    n_samples = labeled.shape[0]
    bad = (cand < 0) | (cand >= n_samples)
    if bad.any():
        raise ValueError(
            f"`candidates` holds indices outside [0, {n_samples}): "
            f"{cand[bad][:5].tolist()}."
        )
    if np.unique(cand).size != cand.size:
        raise ValueError("`candidates` holds repeated indices.")
    if labeled[cand].any():
        raise ValueError(
            "`candidates` holds indices of labeled samples: "
            f"{cand[labeled[cand]][:5].tolist()}; only unlabeled samples "
            "can be queried."
        )


def batch_pool(unlabeled_x, labeled_x, labeled_y, batch_size, labels):
    """The checked :class:`Pool` of ``select_batch``'s arguments: the
    labeled samples (if any) followed by the pool ``unlabeled_x``, whose
    rows are the candidates, and the batch size (reduced to the pool, with
    a warning); ``labels``: the :class:`Labels` of the strategy."""
    batch_size = check_positive_int(batch_size, "batch_size")
    if (labeled_x is None) != (labeled_y is None):
        raise ValueError("Give both `labeled_x` and `labeled_y`, or neither.")
    kind = kind_of(unlabeled_x)
    if is_frame(unlabeled_x):
        U = check_frame(unlabeled_x, "unlabeled_x")
    elif kind is None:
        U = check_samples(unlabeled_x, "unlabeled_x")
    else:
        U = unlabeled_x
        check_chunked_pool(U, "unlabeled_x")
    n = U.shape[0]
    ml = labels.missing_label
    if labeled_x is None:
        X, y = U, np.full(n, ml)
    else:
        if is_frame(U):
            if not is_frame(labeled_x):
                raise ValueError(
                    "`labeled_x` must be a data frame like `unlabeled_x` "
                    "(the same columns and dtypes)."
                )
            L = check_frame(labeled_x, "labeled_x")
            check_same_columns(
                L.dtypes, U.dtypes, ("labeled_x", "unlabeled_x")
            )
        else:
            L = check_samples(labeled_x, "labeled_x")
        if L.shape[1:] != U.shape[1:]:
            raise ValueError(
                "`labeled_x` and `unlabeled_x` must have the same sample "
                f"shape, got {L.shape[1:]} and {U.shape[1:]}."
            )
        y_lab = labels.check(labeled_y, name="labeled_y")
        if len(y_lab) != len(L):
            raise ValueError(
                "`labeled_x` and `labeled_y` must have the same length, got "
                f"{len(L)} and {len(y_lab)}."
            )
        if not labels.labeled(y_lab).all():
            raise ValueError(
                f"`labeled_y` must have every label known, got missing "
                f"labels ({ml!r}); put those samples into `unlabeled_x`."
            )
        missing = np.full((n, *y_lab.shape[1:]), ml)
        y = np.concatenate([y_lab, missing])
        X = _stacked(L, U, kind)
    n_lab = X.shape[0] - n
    rows = np.arange(n_lab, n_lab + n)
    pool = Pool(X, y, np.arange(n_lab), rows, None, offset=n_lab)
    if labeled_x is not None:
        pool.labels = y_lab
    return pool, reduce_batch(batch_size, n)


def _stacked(L, U, kind):
    """The labeled samples ``L`` (in memory) followed by the pool ``U``."""
    if kind == "dask":
        import dask.array as da

        return da.concatenate([_as_dask(L).astype(U.dtype), U])
    if kind == "disk":
        return DiskRows([L, U])
    if is_frame(U):
        return concat_rows(L, U)
    return np.concatenate([L, U])


# ------------------------------------------------- embedding where it lives


class Embedder:
    """The block function of an embedding: rows of the pool in,
    ``factors(X_block)``'s ``(labels, a, b)`` out, ``a`` in the compute
    dtype and ``b`` dense (the compute dtype, or half precision with
    ``storage``). Picklable: the Dask workers get it with the fitted model
    inside ``factors``."""

    def __init__(self, factors, dtype, storage=None):
        self.factors, self.dtype, self.storage = factors, dtype, storage

    def __call__(self, X_block):
        labels, a, b = self.factors(np.asarray(X_block))
        if hasattr(b, "toarray"):  # sparse leaf embeddings
            b = b.toarray()
        b_dtype = self.dtype if self.storage is None else self.storage
        with np.errstate(over="ignore"):  # reported by the norm check
            b = np.ascontiguousarray(b, dtype=b_dtype)
        labels = np.asarray(labels, dtype=np.intp)
        return labels, np.ascontiguousarray(a, dtype=self.dtype), b


def embed_on_dask(embedder, X):
    """``(labels, a, b)`` of the dask pool ``X``, persisted where the
    blocks are (the labels come to the caller: one int per row).

    The embedder travels as bytes, unpickled by the task that uses it, so
    a model that cannot be unpickled on a worker fails that task with its
    error instead of stalling the worker's connection.
    """
    import dask
    import dask.array as da

    payload = dask.delayed(_pickled(embedder), pure=True)
    X = X.rechunk({i: -1 for i in range(1, X.ndim)})
    probe = embedder(read_rows(X, slice(0, 1)))
    rows = X.chunks[0]
    parts = [
        dask.delayed(_apply_block, nout=3, pure=True)(payload, block)
        for block in X.to_delayed().ravel()
    ]
    arrays = [
        da.concatenate(
            [
                da.from_delayed(p[k], (r, *probe[k].shape[1:]), probe[k].dtype)
                for p, r in zip(parts, rows, strict=True)
            ]
        )
        for k in range(3)
    ]
    labels, a, b = dask_call(lambda: dask.persist(*arrays))
    labels = dask_call(lambda: np.asarray(labels.compute()))
    return labels, a, b


def _on_dask_blocks(fn, X):
    """``fn`` of every row block of the dask array ``X``, computed on the
    workers and brought to the caller."""
    import dask

    payload = dask.delayed(_pickled(fn), pure=True)
    X = X.rechunk({i: -1 for i in range(1, X.ndim)})
    parts = [
        dask.delayed(_apply_block, pure=True)(payload, block)
        for block in X.to_delayed().ravel()
    ]
    return dask_call(lambda: dask.compute(*parts))


def _pickled(fn):
    """``(loss classes to make, fn bytes)``; a model that cannot be
    pickled is named here, before any work."""
    import cloudpickle

    try:
        data = cloudpickle.dumps(fn)
    except Exception as err:  # any pickling failure
        raise TypeError(
            f"The fitted model ({_model_name(fn)}) cannot be pickled to "
            "the Dask workers, which embed the pool where it lives: "
            f"{type(err).__name__}: {err}. Make the model picklable or run "
            "the query with the pool in memory."
        ) from err
    return tuple_aware_losses(), data


def _model_name(fn):
    """The model inside a block function: the first argument of the
    ``functools.partial`` the strategies make (``Embedder.factors``)."""
    fn = getattr(fn, "factors", fn)
    return type(getattr(fn, "args", (fn,))[0]).__name__


@functools.lru_cache(maxsize=4)
def _unpickled(specs, data):
    import cloudpickle

    make_tuple_aware_losses(specs)
    return cloudpickle.loads(data)


def _apply_block(payload, X_block):
    specs, data = payload
    return _unpickled(tuple(specs), data)(X_block)


@contextlib.contextmanager
def embed_on_disk(embedder, X):
    """``(labels, a, b)`` of the pool on disk ``X``: the factors are
    written block by block to ``.npy`` files in a temporary folder,
    yielded as memory maps and deleted afterwards."""
    folder = tempfile.mkdtemp(prefix="skactiveml_badge_")
    try:
        n = X.shape[0]
        labels = np.empty(n, dtype=np.intp)
        writers = []
        for start in range(0, n, EMBED_ROWS):
            stop = min(start + EMBED_ROWS, n)
            lab, *blocks = embedder(read_rows(X, slice(start, stop)))
            labels[start:stop] = lab
            if not writers:
                writers = [
                    _NpyWriter(
                        os.path.join(folder, f"{k}.npy"),
                        (n, *block.shape[1:]),
                        block.dtype,
                    )
                    for k, block in enumerate(blocks)
                ]
            for writer, block in zip(writers, blocks, strict=True):
                writer.write(block)
        for writer in writers:
            writer.close()
        yield (labels, *(np.load(w.path, mmap_mode="r") for w in writers))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class _NpyWriter:
    """Writes an ``.npy`` file row block by row block (plain writes: the
    pages do not stay in the writer's resident memory)."""

    def __init__(self, path, shape, dtype):
        self.path = path
        self._file = open(path, "wb")  # noqa: SIM115 (closed in close())
        header = {
            "descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
            "fortran_order": False,
            "shape": tuple(int(s) for s in shape),
        }
        np.lib.format.write_array_header_2_0(self._file, header)

    def write(self, block):
        self._file.write(np.ascontiguousarray(block).tobytes())

    def close(self):
        self._file.close()
