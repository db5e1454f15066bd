"""Leaf embeddings of tree ensembles, for pseudo-BADGE on trees.

A tree ensemble has no last linear layer. Its leaf embedding ``z(x)``
one-hot encodes the leaf that ``x`` reaches in every tree, scaled by
``1 / sqrt(n_trees)``: then ``|z| = 1`` and ``z(x) . z(x')`` is the fraction
of trees in which ``x`` and ``x'`` share a leaf, the random-forest
proximity. Combined with the pseudo-gradient ``delta = p - onehot(yhat)``
it gives the rank-one embedding ``g = delta (x) z`` of the same selection.

Two encodings:

- exact: a sparse CSR matrix with one column per (tree, leaf) pair reached
  by the samples and ``n_trees`` non-zeros per row, so an inner product
  costs ``O(n_trees)``;
- hashed: every (tree, leaf) pair goes to one of ``leaf_dim`` buckets with
  a sign (feature hashing, Weinberger et al., ICML 2009), a dense
  ``(n, leaf_dim)`` array. The hash is a fixed integer mix (SplitMix64's
  finaliser), the same in every process and on every platform; Python's
  ``hash`` is not. Inner products equal the exact ones when no two pairs
  of a row share a bucket, and are unbiased otherwise.

The exact encoding is used when the samples reach no more than
``leaf_dim`` distinct leaves in all, the hashed one otherwise.
"""

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


def leaf_indices(est, X):
    """Leaf index of every sample in every tree: (n_samples, n_trees).

    Supported: LightGBM's ``LGBMClassifier`` (``predict(pred_leaf=True)``),
    XGBoost's ``XGBClassifier`` (``apply``) and scikit-learn's
    ``RandomForestClassifier``, ``ExtraTreesClassifier`` and
    ``GradientBoostingClassifier`` (``apply``).
    """
    if _module(est) == "lightgbm":
        leaves = est.predict(X, pred_leaf=True)
    else:
        leaves = est.apply(X)
    leaves = np.asarray(leaves).reshape(X.shape[0], -1)
    return leaves.astype(np.int64)


def _module(est):
    return type(est).__module__.split(".")[0]


def is_tree_ensemble(est):
    """Whether ``est`` is one of the supported tree classifiers."""
    if _module(est) in ("lightgbm", "xgboost"):
        return type(est).__name__ in (
            "LGBMClassifier",
            "XGBClassifier",
            "XGBRFClassifier",
        )
    from sklearn.ensemble import (
        ExtraTreesClassifier,
        GradientBoostingClassifier,
        RandomForestClassifier,
    )

    kinds = (
        RandomForestClassifier,
        ExtraTreesClassifier,
        GradientBoostingClassifier,
    )
    return isinstance(est, kinds)


def leaf_embedding(leaves, leaf_dim=256):
    """Exact (sparse) or hashed (dense) leaf embedding of leaf indices.

    Parameters
    ----------
    leaves : ndarray of shape (n_samples, n_trees), int
    leaf_dim : int or None, default=256
        Buckets of the hashed embedding; also the largest number of
        distinct (tree, leaf) pairs encoded exactly. ``None``: always
        exact.

    Returns
    -------
    z : scipy.sparse.csr_matrix or ndarray of shape (n_samples, n_dims)
        float32 rows of norm 1 (up to hash collisions).
    """
    cols, n_pairs = _pair_columns(leaves)
    if leaf_dim is None or n_pairs <= leaf_dim:
        return _exact(cols, n_pairs)
    return hashed_leaf_embedding(leaves, leaf_dim)


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


def _exact(cols, n_pairs):
    n, n_trees = cols.shape
    indptr = np.arange(0, n * n_trees + 1, n_trees)
    data = np.full(n * n_trees, 1.0 / np.sqrt(n_trees), dtype=np.float32)
    return sp.csr_matrix((data, cols.ravel(), indptr), shape=(n, n_pairs))


def hashed_leaf_embedding(leaves, leaf_dim):
    """(tree, leaf) pairs hashed into ``leaf_dim`` signed buckets; dense."""
    n, n_trees = leaves.shape
    trees = np.broadcast_to(np.arange(n_trees), leaves.shape)
    buckets, signs = hash_leaves(trees, leaves, leaf_dim)
    flat = (np.arange(n)[:, None] * leaf_dim + buckets).ravel()
    # Pairs of one row that share a bucket are summed (a collision).
    z = np.bincount(flat, weights=signs.ravel(), minlength=n * leaf_dim)
    z *= 1.0 / np.sqrt(n_trees)
    return z.astype(np.float32).reshape(n, leaf_dim)
