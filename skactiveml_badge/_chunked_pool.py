"""Badge on pools that stay chunked: ``.npy`` files opened as
``numpy.memmap``, or ``dask.array`` arrays (on a ``distributed`` cluster
or the local scheduler).

The model is fitted on the labeled samples (the only rows brought to the
caller), then the candidates are embedded block by block where the blocks
live: on the Dask workers (the fitted model is shipped to them) or, for a
pool on disk, block by block into ``.npy`` files of factors in a temporary
folder. The selection reads those factors as the lazy kernels need them
(:mod:`.selection._chunked`): the caller never holds an ``n x D`` array.
"""

import contextlib
import functools
import mmap
import os
import shutil
import tempfile
import warnings

import numpy as np
from skactiveml.utils import is_labeled

from ._base import batch_for_pool
from ._validation import (
    check_bool,
    check_index_candidates,
    check_positive_int,
    check_sample_weight,
    fit_or_check_classifier,
)
from ._warm_start import feature_factors, random_pick
from .embeddings import gradient_factors, proba_and_embedding
from .embeddings._private_api import (
    make_tuple_aware_losses,
    tuple_aware_losses,
)
from .embeddings._trees import features_scale, has_leaves, row_sq_sum
from .selection import farthest_first
from .selection._chunked import dask_call as _dask_call
from .selection._chunked import is_dask_array

#: Rows of a pool on disk embedded at once.
EMBED_ROWS = 16384


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


def read_rows(X, rows):
    """Rows of ``X`` (a slice or sorted int indices) as an ndarray.

    A whole ``.npy`` memory map is opened anew for the read and closed
    after it, so the pages read do not stay in the caller's resident
    memory; a dask array is computed.
    """
    if is_dask_array(X):
        return _dask_call(lambda: np.asarray(X[rows].compute()))
    if isinstance(X, np.memmap) and isinstance(X.base, mmap.mmap):
        view = np.memmap(
            X.filename, dtype=X.dtype, mode="r", offset=X.offset,
            shape=X.shape, order="C",
        )  # fmt: skip
        return np.array(view[rows])  # unmapped when `view` goes
    return np.array(X[rows])


class Embedder:
    """The block function of an embedding: rows of the pool in, the
    pseudo-labels, ``delta`` (or the probabilities, ``output="proba"``;
    compute dtype) and a dense ``h`` (compute dtype, or float16 with
    ``storage``) out. Picklable: the Dask workers
    get it with the fitted model inside."""

    def __init__(
        self, clf, flag_name, options, dtype, storage, output="delta"
    ):
        self.clf, self.flag_name, self.options = clf, flag_name, options
        self.dtype, self.storage = np.dtype(dtype), storage
        self.output = output

    def __call__(self, X_block):
        if self.output == "proba":  # BAIT: the probabilities, not delta
            proba, h = proba_and_embedding(
                self.clf, np.asarray(X_block), self.flag_name, **self.options
            )
            delta = proba
        else:
            proba, delta, h = gradient_factors(
                self.clf, np.asarray(X_block), self.flag_name, **self.options
            )
        if hasattr(h, "toarray"):  # sparse leaf embeddings
            h = h.toarray()
        labels = np.asarray(proba).argmax(1).astype(np.intp)
        h_dtype = self.dtype if self.storage is None else self.storage
        with np.errstate(over="ignore"):  # reported by the norm check
            h = np.ascontiguousarray(h, dtype=h_dtype)
        return labels, np.ascontiguousarray(delta, dtype=self.dtype), h


def pool_scale(X):
    """:func:`~.embeddings._trees.features_scale` of a whole chunked
    pool, from block sums."""
    if is_dask_array(X):
        import dask

        flat = X.rechunk({i: -1 for i in range(1, X.ndim)})
        flat = flat.reshape(X.shape[0], -1)
        parts = [
            dask.delayed(row_sq_sum)(block)
            for block in flat.to_delayed().ravel()
        ]
        sums = _dask_call(lambda: dask.compute(*parts))
    else:
        sums = [
            row_sq_sum(read_rows(X, slice(s, s + EMBED_ROWS)))
            for s in range(0, X.shape[0], EMBED_ROWS)
        ]
    total = (sum(s for s, _ in sums), sum(n for _, n in sums))
    return features_scale(None, total)


def embed_on_dask(embedder, X):
    """``(labels, delta, h)`` of the dask pool ``X``, persisted where the
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
        dask.delayed(_embed_block, nout=3, pure=True)(payload, block)
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
    labels, delta, h = _dask_call(lambda: dask.persist(*arrays))
    labels = _dask_call(lambda: np.asarray(labels.compute()))
    return labels, delta, h


def _pickled(embedder):
    """``(loss classes to make, embedder bytes)``; a model that cannot be
    pickled is named here, before any work."""
    import cloudpickle

    try:
        data = cloudpickle.dumps(embedder)
    except Exception as err:  # any pickling failure
        raise TypeError(
            f"The fitted model ({_model_name(embedder)}) cannot be pickled"
            " to the Dask workers, which embed the pool where it "
            f"lives: {type(err).__name__}: {err}. Make the model picklable "
            "or run the query with the pool in memory."
        ) from err
    return tuple_aware_losses(), data


def _model_name(embedder):
    return type(getattr(embedder, "clf", embedder)).__name__


@functools.lru_cache(maxsize=4)
def _unpickled(specs, data):
    import cloudpickle

    make_tuple_aware_losses(specs)
    return cloudpickle.loads(data)


def _embed_block(payload, X_block):
    specs, data = payload
    return _unpickled(tuple(specs), data)(X_block)


@contextlib.contextmanager
def embed_on_disk(embedder, X, rows):
    """``(labels, delta, h)`` of the rows ``rows`` (sorted indices, or
    None for all) of the pool on disk ``X``: the factors are written block
    by block to ``.npy`` files in a temporary folder, yielded as memory
    maps and deleted afterwards."""
    folder = tempfile.mkdtemp(prefix="skactiveml_badge_")
    try:
        n = X.shape[0] if rows is None else len(rows)
        labels = np.empty(n, dtype=np.intp)
        writers = {}
        for start in range(0, n, EMBED_ROWS):
            stop = min(start + EMBED_ROWS, n)
            part = slice(start, stop) if rows is None else rows[start:stop]
            lab, delta, h = embedder(read_rows(X, part))
            labels[start:stop] = lab
            for name, block in (("delta", delta), ("h", h)):
                if name not in writers:
                    writers[name] = _NpyWriter(
                        os.path.join(folder, f"{name}.npy"),
                        (n, *block.shape[1:]),
                        block.dtype,
                    )
                writers[name].write(block)
        for writer in writers.values():
            writer.close()
        yield (
            labels,
            np.load(writers["delta"].path, mmap_mode="r"),
            np.load(writers["h"].path, mmap_mode="r"),
        )
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


def query_chunked(
    qs, X, y, clf, fit_clf, sample_weight, candidates, batch_size, return_util
):
    """``Badge.query`` on a chunked pool ``X`` (same contract; with a dask
    pool the utilities are a lazy ``dask.array``)."""
    return _query(
        qs, X, y, clf, fit_clf, sample_weight, candidates, batch_size,
        return_util, _badge_pick,
    )  # fmt: skip


def bait_query_chunked(
    qs, X, y, clf, fit_clf, sample_weight, candidates, batch_size, return_util
):
    """``Bait.query`` on a chunked pool ``X``: the rows are embedded block
    by block where they live, then ``proba`` and ``h`` (``n x (C + D)``)
    come to the caller for the selection."""
    return _query(
        qs, X, y, clf, fit_clf, sample_weight, candidates, batch_size,
        return_util, _bait_pick,
    )  # fmt: skip


def _query(
    qs, X, y, clf, fit_clf, sample_weight, candidates, batch_size,
    return_util, pick,
):  # fmt: skip
    """The checks, fit and result of ``query`` on a chunked pool, with
    ``pick(qs, clf, y, X, X_cand, cand_rows, labeled, n_picks,
    return_util, params)`` choosing the batch."""
    from skactiveml.utils import check_missing_label
    from skactiveml.utils import check_random_state as seeded

    check_chunked_pool(X)
    batch_size = check_positive_int(batch_size, "batch_size")
    return_util = check_bool(return_util, "return_utilities")
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"`y` must have shape ({X.shape[0]},) like the rows of X, got "
            f"{y.shape}."
        )
    check_missing_label(qs.missing_label, target_type=y.dtype)
    qs.missing_label_ = ml = qs.missing_label
    unlabeled = ~is_labeled(y, missing_label=ml)
    cand_rows, X_cand = _candidates(candidates, X, y, unlabeled, ml)
    n_cand = X.shape[0] if X_cand is None else X_cand.shape[0]
    if cand_rows is not None:
        n_cand = cand_rows.size
    if batch_size > n_cand:
        warnings.warn(
            f"'batch_size={batch_size}' is larger than the number of "
            f"candidates; 'batch_size={n_cand}' is used instead.",
            UserWarning,
            stacklevel=5,
        )
        batch_size = n_cand
    params = qs._check_params()
    qs._check_before_fit(clf, y, True)
    _check_mc_dropout(qs)
    qs.random_state_ = seeded(qs.random_state, int(unlabeled.sum()) + 1)
    labeled = np.flatnonzero(~unlabeled)
    sw = check_sample_weight(sample_weight, X.shape[0])
    clf = fit_or_check_classifier(
        clf, read_rows(X, labeled), y[labeled],
        None if sw is None else sw[labeled], fit_clf, ml,
    )  # fmt: skip
    if batch_size == 0:
        idx = np.empty(0, dtype=np.intp)
        util = np.empty((0, n_cand))
    else:
        idx, util = pick(
            qs, clf, y, X, X_cand, cand_rows, labeled, batch_size,
            return_util, params,
        )  # fmt: skip
    if cand_rows is not None:
        idx = cand_rows[idx]
    if not return_util:
        return idx
    if cand_rows is not None:
        util = _spread(util, cand_rows, X.shape[0])
    return idx, util


def _check_mc_dropout(qs):
    if getattr(qs, "mc_dropout", 0):
        raise ValueError(
            "`mc_dropout` is not available for a pool on disk or on Dask "
            "(its dropout masks depend on the blocks); use mc_dropout=0."
        )


def _badge_pick(
    qs, clf, y, X, X_cand, cand_rows, labeled, n_picks, return_util, params
):
    pool = _Pool(X if X_cand is None else X_cand, cand_rows)
    return _pick(qs, clf, y, pool, n_picks, return_util, params)


def _bait_pick(
    qs, clf, y, X, X_cand, cand_rows, labeled, n_picks, return_util, params
):
    """BAIT's picks (positions among the candidates): ``F`` is the mean
    Fisher over the rows of ``X``, as in memory."""
    if X_cand is not None:
        raise ValueError(
            "Bait on a pool on disk or on Dask takes candidates as indices "
            "into X (or None), not as samples."
        )
    qs._check_classes_before_embedding(clf, n_picks, len(cand_rows))
    embedder = Embedder(
        clf, qs.clf_embedding_flag_name,
        dict(qs._embed_options(False), hashed_leaves=True),
        np.float64, None, output="proba",
    )  # fmt: skip
    with _Pool(X, None).factors(embedder) as (_, proba, h):
        proba = _dask_call(lambda: np.asarray(proba))
        h = _dask_call(lambda: np.asarray(h))
    return qs._bait_select(proba, h, cand_rows, labeled, n_picks, return_util)


def _candidates(candidates, X, y, unlabeled, missing_label):
    """``(rows, X_cand)``: sorted-or-given candidate rows of ``X`` (None
    when candidates are samples) and the candidate samples (None when
    they are rows of ``X``)."""
    if candidates is None:
        return np.flatnonzero(unlabeled), None
    if is_dask_array(candidates) or isinstance(candidates, np.memmap):
        check_chunked_pool(candidates, "candidates")
        return None, candidates
    cand = np.asarray(candidates)
    if cand.ndim != 1:
        return None, cand
    if cand.size == 0:
        raise ValueError(
            "`candidates` is empty: there is nothing to pick from (give "
            "None to pick from every unlabeled sample)."
        )
    check_index_candidates(cand, y, missing_label)
    return cand.astype(np.intp), None


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


class _Pool:
    """The candidates: rows ``rows`` of ``X`` (or all of ``X``)."""

    def __init__(self, X, rows):
        self.X, self.rows = X, rows
        self.dask = is_dask_array(X)
        self.n = X.shape[0] if rows is None else rows.size

    @contextlib.contextmanager
    def factors(self, embedder):
        """``(labels, delta, h)`` of the candidates, where they live."""
        if self.dask:
            X = self.X if self.rows is None else self.X[self.rows]
            yield embed_on_dask(embedder, X)
            return
        if self.rows is not None and np.any(np.diff(self.rows) < 0):
            raise ValueError(
                "Index `candidates` of a pool on disk must be sorted "
                "(the pool is read in order)."
            )
        with embed_on_disk(embedder, self.X, self.rows) as out:
            yield out

    def scale(self):
        X = self.X
        if self.rows is not None:
            X = X[self.rows] if self.dask else _RowView(X, self.rows)
        return pool_scale(X)


class _RowView:
    """Rows ``rows`` of a pool on disk, read by :func:`read_rows`."""

    def __init__(self, X, rows):
        self.X, self.rows = X, rows
        self.shape = (rows.size, *X.shape[1:])

    def __getitem__(self, part):
        return read_rows(self.X, self.rows[part])


def _pick(qs, clf, y, pool, n_picks, return_util, params):
    """Picks (positions among the candidates) and utilities."""
    rule = qs._warm_start_rule(y, clf, qs.missing_label_)
    if rule is not None:
        return _warm_start(qs, rule, pool, n_picks, return_util)
    settings = qs._settings()
    options = dict(
        qs._embed_options(False),
        tree_embedding=settings.tree_embedding,
        hashed_leaves=True,
    )
    if _uses_features_scale(qs, clf, settings):
        options["features_scale"] = pool.scale()  # one pass over X
    storage = None
    if qs.storage_dtype is not None:
        storage = np.dtype(qs.storage_dtype)
    embedder = Embedder(
        clf, qs.clf_embedding_flag_name, options, params[0], storage
    )
    n_classes = len(getattr(clf, "classes_", ())) or None
    with pool.factors(embedder) as (labels, delta, h):
        return qs._run_kernel(
            delta, h, labels, n_classes or delta.shape[1], n_picks, params,
            return_util, settings,
        )  # fmt: skip


def _uses_features_scale(qs, clf, settings):
    """Whether the embedding puts ``X`` next to the leaves (trees with
    ``"proximity+X"``): only then is the pool's scale needed."""
    return (
        settings.tree_embedding == "proximity+X"
        and qs.embedding_source == "auto"
        and qs.clf_embedding_flag_name is None
        and has_leaves(clf)
    )


def _warm_start(qs, rule, pool, n_picks, return_util):
    """The warm-start picks of a chunked pool: ``"random"`` or
    ``"farthest_first"`` (the strategy refused the others before the
    model was fitted)."""
    if rule == "random":
        return random_pick(pool.n, n_picks, qs.random_state_, return_util)
    with pool.factors(_FeaturesEmbedder()) as (_, ones, features):
        return farthest_first(
            ones, features, n_picks, dtype=np.float64,
            return_utilities=return_util,
        )  # fmt: skip


class _FeaturesEmbedder:
    """The factors of the farthest-first warm start on ``X``
    (:func:`~._warm_start.feature_factors`), with dummy labels."""

    def __call__(self, X_block):
        ones, flat = feature_factors(X_block)
        return np.zeros(len(ones), dtype=np.intp), ones, flat


def select_batch_chunked(qs, model, unlabeled_x, labeled_x, labeled_y, n):
    """``Badge.select_batch`` on a chunked pool ``unlabeled_x`` (``model``
    already fitted; ``labeled_*`` in memory or None)."""
    from skactiveml.utils import check_random_state as seeded

    check_chunked_pool(unlabeled_x, "unlabeled_x")
    params = qs._check_params()
    _check_mc_dropout(qs)
    n = batch_for_pool(n, unlabeled_x.shape[0], stacklevel=4)
    qs.random_state_ = seeded(qs.random_state, unlabeled_x.shape[0] + 1)
    y_lab = np.empty(0) if labeled_y is None else np.asarray(labeled_y)
    qs.missing_label_ = qs.missing_label
    pool = _Pool(unlabeled_x, None)
    idx, _ = _pick(qs, model, y_lab, pool, n, False, params)
    return np.asarray(idx, dtype=np.intp)
