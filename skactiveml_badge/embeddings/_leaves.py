"""Leaf embeddings of leaf indices: exact (sparse) or hashed (dense).

Row ``i`` has, in the column of every (tree, leaf) pair that sample ``i``
reaches, an entry: ``1 / sqrt(n_trees)`` for the proximity embedding, or
given values (the leaf-gradient embedding, :mod:`._trees`). Two encodings:

- exact: one column per (tree, leaf) pair reached by the samples and
  ``n_trees`` non-zeros per row; a dense array when the columns are few
  (at most ``leaf_dim``, or at most 1,024 and 8 per tree), so that the
  lazy kernels serve it, else a sparse CSR matrix (an inner product then
  costs ``O(n_trees)``, and the plain kernel draws the picks);
- hashed: every (tree, leaf) pair goes to one of ``leaf_dim`` buckets with
  a sign (feature hashing, Weinberger et al., ICML 2009), a dense
  ``(n, leaf_dim)`` array whose rows are rescaled to their exact norms.
  The hash is a fixed integer mix (SplitMix64's finaliser), the same in
  every process and on every platform; Python's ``hash`` is not. Inner
  products equal the exact ones when no two pairs of a row share a bucket,
  and are unbiased otherwise (up to the norm rescaling).

The exact encoding is used when a row has no more entries than
``leaf_dim`` (``n_trees <= leaf_dim``); the hashed one otherwise.
"""

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix64(x):
    """SplitMix64 finaliser on uint64 arrays (wrapping arithmetic)."""
    x = x.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return x & _MASK64


def hash_leaves(tree_ids, leaf_ids, leaf_dim):
    """Bucket and sign of every (tree, leaf) pair.

    Parameters
    ----------
    tree_ids, leaf_ids : array-like of non-negative ints, same shape
    leaf_dim : int

    Returns
    -------
    buckets : ndarray of int64, same shape, in ``[0, leaf_dim)``
    signs : ndarray of float32, same shape, ``+1`` or ``-1``
    """
    key = (np.asarray(tree_ids, dtype=np.uint64) << np.uint64(32)) | (
        np.asarray(leaf_ids, dtype=np.uint64)
    )
    mixed = _mix64(key)
    buckets = (mixed % np.uint64(leaf_dim)).astype(np.int64)
    signs = np.where(mixed >> np.uint64(63), -1.0, 1.0).astype(np.float32)
    return buckets, signs


def leaf_embedding(leaves, leaf_dim=256, values=None, hashed=False):
    """Exact (sparse) or hashed (dense) leaf embedding of leaf indices.

    Row ``i`` has, in the column of every (tree, leaf) pair that sample
    ``i`` reaches, the value ``values[i, t]`` (``1 / sqrt(n_trees)`` by
    default: the proximity embedding, rows of norm one).

    Parameters
    ----------
    leaves : ndarray of shape (n_samples, n_trees), int
    leaf_dim : int or None, default=256
        Buckets of the hashed embedding, used when ``n_trees > leaf_dim``;
        otherwise (and always for ``None``) the embedding is exact. The
        exact embedding is a dense array when it has at most ``leaf_dim``
        columns, or at most :data:`DENSE_PAIRS` and 8 per tree (the lazy
        kernels then serve it), and a sparse CSR matrix otherwise.
    values : None, ndarray of shape (n_samples, n_trees) or tuple
        The entries; ``None`` for ``1 / sqrt(n_trees)``; a tuple
        ``(class_values, classes)`` for entries ``class_values[i,
        classes[t]]`` (:func:`._trees.leaf_gradient_values`), which are never
        formed for the hashed embedding.
    hashed : bool, default=False
        Always hash (``leaf_dim`` must be an int): the columns then do not
        depend on the samples, so blocks of a pool embedded apart agree
        (the exact encoding numbers the pairs the samples reach).

    Returns
    -------
    z : scipy.sparse.csr_matrix or ndarray of shape (n_samples, n_dims)
        float32. The hashed rows are rescaled to the exact row norms
        ``sqrt(sum_t values[i, t]^2)``; only their inner products carry
        hashing noise.
    """
    n_trees = leaves.shape[1]
    if hashed and leaf_dim is None:
        raise ValueError(
            "A pool embedded block by block needs hashed leaf embeddings: "
            "give `leaf_dim` as an int, not None."
        )
    if is_hashed(n_trees, leaf_dim, hashed):
        # At least one pair per tree: more than leaf_dim pairs in all.
        return hashed_leaf_embedding(leaves, leaf_dim, values)
    cols, n_pairs = _pair_columns(leaves)
    if values is None:
        values = np.full(leaves.shape, 1 / np.sqrt(n_trees), np.float32)
    z = _exact(cols, n_pairs, _values_block(values, 0, len(leaves)))
    if n_pairs <= (leaf_dim or 0) or (
        n_pairs <= DENSE_PAIRS and n_pairs <= 8 * n_trees
    ):
        return z.toarray()
    return z


def is_hashed(n_trees, leaf_dim, hashed=False):
    """Whether :func:`leaf_embedding` hashes ``n_trees`` trees' leaves."""
    return hashed or (leaf_dim is not None and n_trees > leaf_dim)


def in_threads(fn, starts):
    """``fn(start)`` for every block start, on a thread per CPU this
    process may run on (for numpy work that releases the GIL and writes
    only its own rows; the result does not depend on the threads)."""
    starts = list(starts)
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    workers = min(len(starts), cpus)
    if workers <= 1:
        for start in starts:
            fn(start)
        return
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(fn, starts))


def _values_block(values, start, stop):
    """Rows ``start:stop`` of the (n_samples, n_trees) entries, or None
    for the constant ``1 / sqrt(n_trees)``."""
    if values is None:
        return None
    if isinstance(values, tuple):
        class_values, classes = values
        return class_values[start:stop][:, classes]
    return values[start:stop]


def _values_sq_norms(values, n, n_trees):
    """Squared row norms of the entries, without forming them."""
    if values is None:
        return np.ones(n)
    if isinstance(values, tuple):
        class_values, classes = values
        counts = np.bincount(classes, minlength=class_values.shape[1])
        cv = class_values.astype(np.float64)
        return (cv * cv) @ counts
    return np.einsum("ij,ij->i", values, values, dtype=np.float64)


def _pair_columns(leaves):
    """Column of every sample's (tree, leaf) pair among the pairs seen.

    Linear time, no sort: leaf ids are offset per tree into one dense
    range, and the ids that occur are renumbered by a cumulative sum, so
    the columns of a row increase with the tree.
    """
    leaves = leaves - leaves.min(axis=0)
    width = leaves.max(axis=0) + 1
    key = leaves + (np.cumsum(width) - width)
    present = np.zeros(int(width.sum()), dtype=bool)
    present[key.ravel()] = True
    renumber = np.cumsum(present) - 1
    return renumber[key], int(present.sum())


def _exact(cols, n_pairs, values):
    n, n_trees = cols.shape
    indptr = np.arange(0, n * n_trees + 1, n_trees)
    data = np.asarray(values, dtype=np.float32).ravel()
    return sp.csr_matrix((data, cols.ravel(), indptr), shape=(n, n_pairs))


#: The exact embedding is dense (the lazy kernels serve it) when its columns
#: number at most ``leaf_dim``, or at most this many and at most 8 per tree
#: (4 KiB a row; 8 leaves a tree is LightGBM's and CatBoost's depth 3).
DENSE_PAIRS = 1024

# Rows hashed at once: bounds the (rows x n_trees) temporaries (8 MiB each
# at 2,600 trees).
_HASH_ROWS = 1024


def hashed_leaf_embedding(leaves, leaf_dim, values=None):
    """(tree, leaf) pairs hashed into ``leaf_dim`` signed buckets; dense.

    Every distinct (tree, leaf) pair is hashed once (a table per tree over
    its range of leaf ids, the sign folded into the bucket: ``bucket +
    leaf_dim`` for a negative one), and the samples' codes are gathered
    from that table and counted (or their values summed) per row, in
    blocks of rows spread over the CPU's cores (numpy releases the GIL in
    both). Rows are rescaled to their exact norms (see
    :func:`leaf_embedding`).
    """
    n, n_trees = leaves.shape
    low = leaves.min(axis=0)
    width = int((leaves.max(axis=0) - low).max()) + 1
    grid_t = np.repeat(np.arange(n_trees), width).reshape(n_trees, width)
    grid_l = low[:, None] + np.arange(width)[None, :]
    table_b, table_s = hash_leaves(grid_t, grid_l, leaf_dim)
    # One flat table of codes: entry t * width + (leaf - low[t]).
    table = (table_b + leaf_dim * (table_s < 0)).ravel().astype(np.int32)
    small = n_trees * width < 2**31
    offset = np.arange(n_trees) * width - low
    offset = offset.astype(np.int32 if small else np.int64)
    z = np.empty((n, leaf_dim), dtype=np.float64)

    def block(start):
        stop = min(start + _HASH_ROWS, n)
        m = stop - start
        key = leaves[start:stop].astype(offset.dtype, copy=False) + offset
        codes = table[key]
        codes += (np.arange(m, dtype=np.int32) * (2 * leaf_dim))[:, None]
        weights = None
        if values is not None:
            weights = np.asarray(_values_block(values, start, stop)).ravel()
        # Pairs of one row that share a bucket are summed (a collision).
        sums = np.bincount(
            codes.ravel(), weights=weights, minlength=m * 2 * leaf_dim
        ).reshape(m, 2, leaf_dim)
        np.subtract(sums[:, 0], sums[:, 1], out=z[start:stop])

    in_threads(block, range(0, n, _HASH_ROWS))
    exact = _values_sq_norms(values, n, n_trees)
    hashed = np.einsum("ij,ij->i", z, z)
    scale = np.ones(n)
    ok = hashed > 0
    scale[ok] = np.sqrt(exact[ok] / hashed[ok])
    z *= scale[:, None]
    return z.astype(np.float32)
