"""Leaf embeddings of tree ensembles, for pseudo-BADGE on trees.

A tree ensemble has no last linear layer. Two embeddings stand in for the
gradient embedding of a net:

- *proximity* (rank one): ``z(x)`` one-hot encodes the leaf that ``x``
  reaches in every tree, scaled by ``1 / sqrt(n_trees)``: then ``|z| = 1``
  and ``z(x) . z(x')`` is the fraction of trees in which ``x`` and ``x'``
  share a leaf, the random-forest proximity. Combined with the
  pseudo-gradient ``delta = p - onehot(yhat)`` it gives ``g = delta (x) z``.
- *leaf gradient* (boosted models only): a boosted model's leaf values are
  its last layer, and the gradient of the loss with respect to them has,
  at the leaf ``x`` reaches in tree ``t``, the entry ``delta_c(t)(x)`` for
  the class ``c(t)`` that tree scores (:func:`leaf_gradient_values`). It is
  the full gradient, used with a constant ``delta = 1``.

Two encodings of either:

- exact: a sparse CSR matrix with one column per (tree, leaf) pair reached
  by the samples and ``n_trees`` non-zeros per row, so an inner product
  costs ``O(n_trees)``;
- hashed: every (tree, leaf) pair goes to one of ``leaf_dim`` buckets with
  a sign (feature hashing, Weinberger et al., ICML 2009), a dense
  ``(n, leaf_dim)`` array whose rows are rescaled to their exact norms.
  The hash is a fixed integer mix (SplitMix64's finaliser), the same in
  every process and on every platform; Python's ``hash`` is not. Inner
  products equal the exact ones when no two pairs of a row share a bucket,
  and are unbiased otherwise (up to the norm rescaling).

The exact encoding is used when a row has no more entries than
``leaf_dim`` (``n_trees <= leaf_dim``) or the samples reach no more than
``leaf_dim`` distinct leaves in all; the hashed one otherwise.
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
    if _kind(est) == "LGBMClassifier":
        # The booster in blocks of rows: LightGBM builds a float64 result
        # before its int32 one, which costs more than the traversal when
        # the trees are many.
        booster = est.booster_
        X = np.asarray(X)
        return np.concatenate(
            [
                booster.predict(X[s : s + _PREDICT_ROWS], pred_leaf=True)
                for s in range(0, X.shape[0], _PREDICT_ROWS)
            ]
        ).reshape(X.shape[0], -1)
    leaves = np.asarray(est.apply(X)).reshape(X.shape[0], -1)
    return leaves.astype(np.int64)


_PREDICT_ROWS = 2048


def lightgbm_proba(est, leaves):
    """LightGBM's class probabilities from its leaf indices, or None.

    The raw score of a class is the sum of the outputs of the leaves its
    trees reach (LightGBM folds the initial score into the first trees),
    so the probabilities need no second pass over the trees: a gather of
    leaf outputs, a sum per class and a softmax (a sigmoid for two
    classes). ``None`` unless ``est`` is a LightGBM classifier with the
    ``multiclass`` or ``binary`` objective (others predict otherwise).

    Parameters
    ----------
    est : fitted LGBMClassifier
    leaves : ndarray of shape (n_samples, n_trees), int
        From :func:`leaf_indices`.

    Returns
    -------
    proba : ndarray of shape (n_samples, len(est.classes_)) or None
    """
    if _kind(est) != "LGBMClassifier" or est.objective_ not in (
        "multiclass",
        "binary",
    ):
        return None
    booster = est.booster_
    n, n_trees = leaves.shape
    reached = leaves.max(axis=0)
    width = int(reached.max()) + 1
    table = np.zeros((n_trees, width))
    for t in range(n_trees):
        for leaf in range(int(reached[t]) + 1):
            table[t, leaf] = booster.get_leaf_output(t, leaf)
    table = table.ravel()
    offset = np.arange(n_trees, dtype=np.int64) * width
    n_out = 1 if est.objective_ == "binary" else len(est.classes_)
    raw = np.empty((n, n_out))
    for s in range(0, n, _GATHER_ROWS):
        block = table[leaves[s : s + _GATHER_ROWS] + offset]
        raw[s : s + _GATHER_ROWS] = block.reshape(
            block.shape[0], -1, n_out
        ).sum(1)
    if n_out == 1:
        p1 = 1.0 / (1.0 + np.exp(-raw[:, 0]))
        return np.column_stack([1.0 - p1, p1])
    raw -= raw.max(axis=1, keepdims=True)
    np.exp(raw, out=raw)
    raw /= raw.sum(axis=1, keepdims=True)
    return raw


_GATHER_ROWS = 256


_BOOSTED_KINDS = ("LGBMClassifier", "XGBClassifier", "XGBRFClassifier")


def _kind(est):
    """The LightGBM or XGBoost classifier class ``est`` is (or derives
    from), by name, without importing either package; else ``""``."""
    for cls in type(est).__mro__:
        if cls.__module__.split(".")[0] in ("lightgbm", "xgboost"):
            if cls.__name__ in _BOOSTED_KINDS:
                return cls.__name__
    return ""


def is_tree_ensemble(est):
    """Whether ``est`` is one of the supported tree classifiers."""
    if _kind(est):
        return True
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


def tree_classes(est, n_trees):
    """Which logit every tree of a boosted ensemble adds to.

    Boosted models sum the values of the leaves their trees reach into one
    raw score (logit) per class: LightGBM, XGBoost and scikit-learn's
    gradient boosting grow one tree per class and round, ordered round by
    round (class ``t % K`` for tree ``t``), or one tree per round for two
    classes, which scores the second class against the first.

    Parameters
    ----------
    est : fitted LGBMClassifier, XGBClassifier or GradientBoostingClassifier
    n_trees : int
        Columns of :func:`leaf_indices`.

    Returns
    -------
    classes : ndarray of shape (n_trees,), int
        Position in ``est.classes_`` of the class each tree scores (1 for
        all trees of a binary model).
    n_rounds : int
        Boosting rounds (trees per class).

    Raises
    ------
    ValueError
        For forests, which average the trees' class probabilities and have
        no leaf logits.
    """
    name = _kind(est) or type(est).__name__
    if name not in _BOOSTED_KINDS and not hasattr(est, "init_"):
        raise ValueError(
            "tree_embedding='leaf_gradient' needs a boosted ensemble "
            f"(LightGBM, XGBoost, GradientBoostingClassifier), got {name}: "
            "a forest averages class probabilities and has no leaf logits. "
            "Use tree_embedding='proximity'."
        )
    n_classes = len(est.classes_)
    per_round = 1 if n_classes <= 2 else n_classes
    parallel = 1
    if name.startswith("XGB"):
        parallel = int(est.get_params().get("num_parallel_tree") or 1)
    if n_trees % (per_round * parallel):
        raise ValueError(
            f"{name} has {n_trees} trees, not a multiple of {per_round} "
            f"classes x {parallel} parallel trees per round."
        )
    t = np.arange(n_trees)
    if per_round == 1:
        return np.ones(n_trees, dtype=np.intp), n_trees // parallel
    return (t // parallel) % per_round, n_trees // (per_round * parallel)


def leaf_embedding(leaves, leaf_dim=256, values=None):
    """Exact (sparse) or hashed (dense) leaf embedding of leaf indices.

    Row ``i`` has, in the column of every (tree, leaf) pair that sample
    ``i`` reaches, the value ``values[i, t]`` (``1 / sqrt(n_trees)`` by
    default: the proximity embedding, rows of norm one).

    Parameters
    ----------
    leaves : ndarray of shape (n_samples, n_trees), int
    leaf_dim : int or None, default=256
        Buckets of the hashed embedding. The exact sparse embedding is used
        when the samples reach at most ``leaf_dim`` distinct (tree, leaf)
        pairs in all or when ``n_trees <= leaf_dim`` (a sparse row of
        ``n_trees`` entries then costs no more per distance than a dense
        one of ``leaf_dim``). ``None``: always exact.
    values : None, ndarray of shape (n_samples, n_trees) or tuple
        The entries; ``None`` for ``1 / sqrt(n_trees)``; a tuple
        ``(class_values, classes)`` for entries ``class_values[i,
        classes[t]]`` (:func:`leaf_gradient_values`), which are then never
        formed for the hashed embedding.

    Returns
    -------
    z : scipy.sparse.csr_matrix or ndarray of shape (n_samples, n_dims)
        float32. The hashed rows are rescaled to the exact row norms
        ``sqrt(sum_t values[i, t]^2)``; only their inner products carry
        hashing noise.
    """
    n_trees = leaves.shape[1]
    if leaf_dim is not None and n_trees > leaf_dim:
        # At least one pair per tree: more than leaf_dim pairs in all.
        return hashed_leaf_embedding(leaves, leaf_dim, values)
    cols, n_pairs = _pair_columns(leaves)
    if leaf_dim is None or n_pairs <= leaf_dim or n_trees <= leaf_dim:
        if values is None:
            values = np.full(leaves.shape, 1 / np.sqrt(n_trees), np.float32)
        return _exact(cols, n_pairs, _values_block(values, 0, len(leaves)))
    return hashed_leaf_embedding(leaves, leaf_dim, values)


def leaf_gradient_values(leaves, est, delta_inner):
    """Entries of the leaf-value gradient embedding of a boosted model.

    A boosted model's raw scores are sums of leaf values, its last layer:
    the gradient of the cross-entropy loss (at the pseudo-label) with
    respect to the value of the leaf that sample ``x`` reaches in tree
    ``t`` is ``delta_c(x)`` for the class ``c`` that tree ``t`` scores,
    and zero for every other leaf. Divided by ``sqrt(n_rounds)``, the
    embedding's norm is ``|delta|`` for several classes (``|delta_1|`` for
    two), as a rank-one BADGE embedding with ``|h| = 1``.

    Parameters
    ----------
    leaves : ndarray of shape (n_samples, n_trees), int
    est : fitted boosted classifier (see :func:`tree_classes`)
    delta_inner : ndarray of shape (n_samples, len(est.classes_))
        ``p - onehot(argmax p)`` over the classes the model knows.

    Returns
    -------
    values : tuple ``(class_values, classes)``
        The entries in compact form: entry ``(i, t)`` is
        ``class_values[i, classes[t]]``, with ``class_values`` of shape
        ``(n_samples, len(est.classes_))`` (float32) and ``classes`` of
        shape ``(n_trees,)`` (see :func:`leaf_embedding`).
    """
    classes, n_rounds = tree_classes(est, leaves.shape[1])
    class_values = np.asarray(delta_inner, dtype=np.float32)
    class_values = class_values * np.float32(1.0 / np.sqrt(n_rounds))
    return class_values, classes


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


# Rows hashed at once: bounds the (rows x n_trees) temporaries (8 MiB each
# at 2,600 trees).
_HASH_ROWS = 1024


def hashed_leaf_embedding(leaves, leaf_dim, values=None):
    """(tree, leaf) pairs hashed into ``leaf_dim`` signed buckets; dense.

    Every distinct (tree, leaf) pair is hashed once (a table per tree over
    its range of leaf ids), and the samples' buckets and signs are
    gathered from that table, in blocks of rows. Rows are rescaled to
    their exact norms (see :func:`leaf_embedding`).
    """
    n, n_trees = leaves.shape
    low = leaves.min(axis=0)
    width = int((leaves.max(axis=0) - low).max()) + 1
    grid_t = np.repeat(np.arange(n_trees), width).reshape(n_trees, width)
    grid_l = low[:, None] + np.arange(width)[None, :]
    table_b, table_s = hash_leaves(grid_t, grid_l, leaf_dim)
    # One flat table: entry t * width + (leaf - low[t]); the sign folded
    # into the bucket's table as a separate float32 table.
    table_b = table_b.ravel().astype(np.int32)
    table_s = table_s.ravel()
    small = n_trees * width < 2**31
    offset = np.arange(n_trees) * width - low
    offset = offset.astype(np.int32 if small else np.int64)
    z = np.empty((n, leaf_dim), dtype=np.float64)
    for start in range(0, n, _HASH_ROWS):
        stop = min(start + _HASH_ROWS, n)
        key = leaves[start:stop].astype(offset.dtype, copy=False) + offset
        m = stop - start
        buckets = table_b[key]
        buckets += (np.arange(m, dtype=np.int32) * leaf_dim)[:, None]
        weights = table_s[key]
        if values is not None:
            weights *= _values_block(values, start, stop)
        # Pairs of one row that share a bucket are summed (a collision).
        z[start:stop] = np.bincount(
            buckets.ravel(), weights=weights.ravel(), minlength=m * leaf_dim
        ).reshape(m, leaf_dim)
    exact = _values_sq_norms(values, n, n_trees)
    hashed = np.einsum("ij,ij->i", z, z)
    scale = np.ones(n)
    ok = hashed > 0
    scale[ok] = np.sqrt(exact[ok] / hashed[ok])
    z *= scale[:, None]
    return z.astype(np.float32)
