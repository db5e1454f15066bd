"""Tree ensembles: leaf embeddings, for pseudo-BADGE on trees.

Supported: LightGBM's ``LGBMClassifier``, XGBoost's ``XGBClassifier`` and
``XGBRFClassifier``, scikit-learn's ``RandomForestClassifier``,
``ExtraTreesClassifier``, ``GradientBoostingClassifier`` and
``HistGradientBoostingClassifier``, bare or in a scikit-activeml wrapper.
LightGBM and XGBoost are recognised by name, without being imported.

A tree ensemble has no last linear layer. Two embeddings stand in for the
gradient embedding of a net (encoded exactly or hashed, :mod:`._leaves`):

- *proximity* (rank one): ``z(x)`` one-hot encodes the leaf that ``x``
  reaches in every tree, scaled by ``1 / sqrt(n_trees)``: then ``|z| = 1``
  and ``z(x) . z(x')`` is the fraction of trees in which ``x`` and ``x'``
  share a leaf, the random-forest proximity. Combined with the
  pseudo-gradient ``delta = p - onehot(yhat)`` it gives ``g = delta (x) z``
  (:func:`embed`; ``"proximity+X"`` puts the features next to ``z``).
- *leaf gradient* (boosted models only): a boosted model's leaf values are
  its last layer, and the gradient of the loss with respect to them has,
  at the leaf ``x`` reaches in tree ``t``, the entry ``delta_c(t)(x)`` for
  the class ``c(t)`` that tree scores (:func:`leaf_gradient_values`). It is
  the full gradient, used with a constant ``delta = 1``
  (:func:`leaf_gradient_factors`).
"""

import numpy as np
import scipy.sparse as sp

from .._frames import feature_rows, is_frame
from ..exceptions import UntrainedModelWarning, warn
from ._leaves import in_threads, is_hashed, leaf_embedding
from ._outputs import (
    append_ones,
    check_numeric,
    check_proba,
    finish,
    logit_gradients,
    method_of,
    n_samples,
)
from ._private_api import (
    could_not_fit,
    hist_gradient_boosting_leaves,
    inner_estimator,
)


def handles(clf):
    """A supported tree ensemble, bare or in a scikit-activeml wrapper."""
    return is_tree_ensemble(final_step(inner_estimator(clf)))


def has_leaves(clf):
    """A supported tree ensemble, or a model with ``leaf_embeddings``,
    that was fitted (scikit-activeml's wrapper predicts label frequencies
    when it could not be)."""
    own = method_of(inner_estimator(clf)) == "leaf_embeddings"
    leaves = handles(clf) or own
    return leaves and not could_not_fit(clf)


def embed(
    clf,
    X,
    *,
    leaf_dim=256,
    include_bias=False,
    tree_embedding="proximity",
    features_scale=None,
    hashed_leaves=False,
    **_,
):
    """Probabilities and the leaf (proximity) embedding of a tree model.

    If scikit-activeml's wrapper could not fit the trees (it then predicts
    label frequencies), there are no leaves: warn and embed ``X``.

    Parameters
    ----------
    clf : fitted tree ensemble, or a scikit-activeml wrapper of one
    X : ndarray of shape (n_samples, ...)
        Flattened per sample.
    leaf_dim : int or None, default=256
        Buckets of the hashed embedding (see
        :func:`._leaves.leaf_embedding`); ``None``: exact.
    include_bias : bool, default=False
        Append a constant 1 to the embedding.
    tree_embedding : {"proximity", "proximity+X"}, default="proximity"
        The leaf embedding, or the leaf embedding next to ``X`` scaled to
        a mean squared row norm of one (both blocks then weigh alike). Any
        other value: the leaf embedding.
    features_scale : float or None, default=None
        ``"proximity+X"``: the root mean squared row norm to divide ``X``
        by (:func:`features_scale`); ``None``: that of ``X`` itself. A pool
        embedded block by block passes the whole pool's.
    hashed_leaves : bool, default=False
        Always hash the leaf embedding (see :func:`._leaves.leaf_embedding`).
    **_
        Options of the other adapters, ignored.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
    z : scipy.sparse.csr_matrix or ndarray of shape (n_samples, n_dims)
    """
    n = n_samples(X)
    if could_not_fit(clf):
        proba = clf.predict_proba(X)
        warn(
            f"The tree ensemble in {type(clf).__name__} could not be fitted "
            "(it predicts label frequencies); the selection falls back to "
            "the raw features X.",
            UntrainedModelWarning,
        )
        return finish(proba, X, n, include_bias)
    X2 = model_rows(X)
    est, X_trees = through_pipeline(inner_estimator(clf), X2)
    proba, z = _proba_and_leaf_embedding(
        clf, est, X2, X_trees, leaf_dim, hashed_leaves
    )
    if tree_embedding == "proximity+X":
        z = next_to_features(z, X2, features_scale)
    proba = check_proba(proba, n)
    return proba, append_ones(z) if include_bias else z


def _proba_and_leaf_embedding(clf, est, X2, X_trees, leaf_dim, hashed):
    """Probabilities and leaf embedding of the rows ``X2`` (read by the
    trees as ``X_trees``), in blocks of :data:`_EMBED_ROWS` rows.

    A hashed embedding is made block by block (its rows do not depend on
    the other rows), so the leaf indices of the whole pool are never held:
    1,000 trees on a million samples would be 4 GB of int32. The exact one
    numbers the (tree, leaf) pairs of the whole pool: its blocks' leaves
    are joined first. A data frame is one block.
    """
    n = X2.shape[0]
    step = n if is_frame(X2) else _EMBED_ROWS
    proba = z = None
    leaves = []
    for start in range(0, max(n, 1), max(step, 1)):
        stop = min(start + step, n)
        p, L = tree_proba_and_leaves(
            clf, est, _rows(X2, start, stop), _rows(X_trees, start, stop)
        )
        if proba is None:
            proba = np.empty((n, p.shape[1]), dtype=p.dtype)
            hashed = is_hashed(L.shape[1], leaf_dim, hashed)
        proba[start:stop] = p
        if not hashed:
            leaves.append(L)
            continue
        zb = leaf_embedding(L, leaf_dim, hashed=True)
        if z is None:
            z = np.empty((n, zb.shape[1]), dtype=zb.dtype)
        z[start:stop] = zb
    if not hashed:
        leaves = leaves[0] if len(leaves) == 1 else np.concatenate(leaves)
        z = leaf_embedding(leaves, leaf_dim)
    return proba, z


#: Rows whose leaves are computed and hashed at once (256 MiB of int32
#: leaf indices at 1,000 trees).
_EMBED_ROWS = 65536


def _rows(A, start, stop):
    """Rows ``start:stop`` of an array, sparse matrix or data frame."""
    return A.iloc[start:stop] if hasattr(A, "iloc") else A[start:stop]


def features_scale(X2, total=None):
    """The root mean squared row norm of the float32 features ``X2``,
    from float64 sums (``total``: ``(sum of squared norms, rows)`` of a
    whole pool summed block by block, for a pool seen in blocks)."""
    if total is None:
        total = row_sq_sum(X2)
    sq_sum, n = total
    return float(np.float32(np.sqrt(sq_sum / max(n, 1))))


def row_sq_sum(X2):
    """``(sum of squared row norms in float64, rows)`` of ``X2`` as the
    float32 features :func:`features_scale` sees."""
    X2 = np.asarray(X2, dtype=np.float32).reshape(len(X2), -1)
    sq = np.einsum("ij,ij->i", X2, X2)
    return float(sq.sum(dtype=np.float64)), X2.shape[0]


def model_rows(X):
    """The rows a tree model reads: a data frame with categorical or text
    columns as it is (the model handles them), anything else flattened per
    sample."""
    if is_frame(X):
        return X
    X = np.asarray(X)
    return X.reshape(X.shape[0], -1)


def final_step(est):
    """The last step of a scikit-learn ``Pipeline`` (nested ones too), or
    ``est``."""
    from sklearn.pipeline import Pipeline

    while isinstance(est, Pipeline):
        est = est[-1]
    return est


def through_pipeline(est, X):
    """``(model, rows)``: the last step of a scikit-learn ``Pipeline`` and
    what the earlier steps make of ``X`` (the rows that model reads), or
    ``(est, X)`` for any other model."""
    from sklearn.pipeline import Pipeline

    while isinstance(est, Pipeline):
        if len(est) > 1:
            X = est[:-1].transform(X)
        est = est[-1]
    return est, X


def next_to_features(z, X2, scale=None):
    """``[z, X2 / s]`` with ``s`` the root mean squared row norm of X2
    (or ``scale``)."""
    X2 = check_numeric(
        np.asarray(feature_rows(X2), dtype=np.float32), "features"
    )
    if scale is None:
        scale = features_scale(X2)
    X2 = X2 / np.float32(scale) if scale > 0 else X2
    if sp.issparse(z):
        return sp.hstack([z, sp.csr_matrix(X2)], format="csr")
    return np.hstack([z, X2])


def leaf_gradient_factors(
    clf, X, *, leaf_dim=256, include_bias=False, hashed_leaves=False
):
    """Probabilities and the factors of the leaf-gradient embedding.

    Parameters
    ----------
    clf : fitted boosted ensemble, or a scikit-activeml wrapper of one
        See :func:`tree_classes`; forests raise a ``ValueError``.
    X : ndarray of shape (n_samples, ...)
    leaf_dim : int or None, default=256
        See :func:`._leaves.leaf_embedding`.
    include_bias : bool, default=False
        Must be False: the leaf gradient has no bias counterpart.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
    delta : ndarray of shape (n_samples, 1)
        Ones: the gradient is whole in ``h``.
    h : scipy.sparse.csr_matrix or ndarray of shape (n_samples, n_dims)
        The gradient with respect to the leaf values.
    """
    if include_bias:
        raise ValueError(
            "`include_bias=True` has no leaf-gradient counterpart; use "
            "it with tree_embedding='proximity'."
        )
    n = n_samples(X)
    X2 = model_rows(X)
    inner, X_trees = through_pipeline(inner_estimator(clf), X2)
    proba, leaves = tree_proba_and_leaves(clf, inner, X2, X_trees)
    proba = check_proba(proba, n)
    delta = logit_gradients(proba)
    if _scores_every_class(inner):
        # Every tree adds a vector of logits (CatBoost's multi-class
        # trees): the gradient with respect to its leaf values is
        # delta (x) onehot(leaf), which is the proximity embedding
        # (scaled by 1 / sqrt(n_trees), so that |g| = |delta|).
        return (
            proba,
            delta,
            leaf_embedding(leaves, leaf_dim, hashed=hashed_leaves),
        )
    cols = _class_columns(clf, inner)
    values = leaf_gradient_values(leaves, inner, delta[:, cols])
    h = leaf_embedding(leaves, leaf_dim, values, hashed=hashed_leaves)
    return proba, np.ones((n, 1), dtype=np.float32), h


def _scores_every_class(est):
    """Whether every tree of the boosted ``est`` adds to every class's
    logit (CatBoost with more than two classes)."""
    return _kind(est) == "CatBoostClassifier" and len(est.classes_) > 2


def tree_proba_and_leaves(clf, est, X, X_trees=None):
    """``clf.predict_proba(X)`` and the leaf indices of its trees ``est``
    (on ``X_trees``, the rows the trees read, when ``est`` is the last
    step of a pipeline: see :func:`through_pipeline`).

    For LightGBM and scikit-learn's forests the probabilities come from
    the leaves (:func:`lightgbm_proba`, :func:`forest_proba`: one pass
    over the trees instead of two),
    placed in the columns of ``clf.classes_`` as scikit-activeml's wrapper
    places them (zero for classes the trees have not seen).

    Trees fitted on one class predict it with certainty: one-hot in its
    column of ``clf.classes_``, as scikit-activeml's wrapper predicts for
    such forests (:func:`_one_class_proba`).
    """
    leaves = leaf_indices(est, X if X_trees is None else X_trees)
    if len(est.classes_) == 1:
        return _one_class_proba(clf, est, len(leaves)), leaves
    inner = lightgbm_proba(est, leaves)
    if inner is None:
        inner = forest_proba(est, leaves)
    if inner is None or could_not_fit(clf):
        return clf.predict_proba(X), leaves
    if clf is est:
        return inner, leaves
    cols = _class_columns(clf, est)
    n_classes = len(getattr(clf, "classes_", est.classes_))
    if len(cols) == n_classes:
        proba = inner[:, np.argsort(cols)]
    else:
        proba = np.zeros((len(inner), n_classes))
        proba[:, cols] = inner
    return proba, leaves


def _one_class_proba(clf, est, n):
    """Probabilities of trees ``est`` fitted on one class: one-hot in that
    class's column of ``clf.classes_`` (one column for bare trees).

    Forests fitted on one class predict one column of ones, which
    scikit-activeml's wrapper places in that class's column. LightGBM and
    XGBoost fit a binary model against a second class they never saw:
    their ``predict_proba`` has two columns (the class seen first) for a
    ``classes_`` of one, which the wrapper takes for its first two classes
    (wrong when the class seen is not the first), and
    :func:`lightgbm_proba` would have two columns to place in one. The
    forests' rule, for every model.
    """
    cols = _class_columns(clf, est)
    proba = np.zeros((n, len(getattr(clf, "classes_", est.classes_))))
    proba[:, cols] = 1.0
    return proba


def _class_columns(clf, inner):
    """Column of ``clf.predict_proba`` of each of ``inner.classes_``."""
    outer = list(getattr(clf, "classes_", inner.classes_))
    try:
        return np.array([outer.index(c) for c in inner.classes_])
    except ValueError:
        raise ValueError(
            f"The classes of the fitted trees {list(inner.classes_)} are "
            f"not among the classifier's classes {outer}."
        ) from None


def leaf_indices(est, X):
    """Leaf index of every sample in every tree: (n_samples, n_trees).

    Supported: LightGBM's ``LGBMClassifier`` (``predict(pred_leaf=True)``),
    XGBoost's ``XGBClassifier`` (``apply``) and scikit-learn's
    ``RandomForestClassifier``, ``ExtraTreesClassifier`` and
    ``GradientBoostingClassifier`` (``apply``), and
    ``HistGradientBoostingClassifier`` (node indices, through
    :mod:`._private_api`: it has no ``apply``).
    """
    if _kind(est) == "LGBMClassifier":
        # The booster in blocks of rows: LightGBM builds a float64 result
        # before its int32 one, which costs more than the traversal when
        # the trees are many. A data frame keeps its dtypes.
        booster = est.booster_
        return _in_blocks(
            lambda rows: booster.predict(rows, pred_leaf=True), X
        )
    if _kind(est) in ("XGBClassifier", "XGBRFClassifier"):
        # Its own ``apply`` (iteration range, missing values, categories),
        # in blocks: one DMatrix and float result of the whole pool cost
        # more than the traversal, and their time varies with the memory
        # they take.
        return _in_blocks(est.apply, X)
    if _is_hist_gradient_boosting(est):
        return hist_gradient_boosting_leaves(est, X)
    if _kind(est) == "CatBoostClassifier":
        # Oblivious trees: one leaf index per tree, in tree order.
        return np.asarray(est.calc_leaf_indexes(X), dtype=np.int32)
    leaves = np.asarray(est.apply(X)).reshape(X.shape[0], -1)
    return leaves.astype(np.int32)


def _in_blocks(predict, X):
    """``predict(rows)`` (leaf indices, any dtype) of blocks of
    :data:`_PREDICT_ROWS` rows of ``X`` (an array or a data frame), into
    one int32 array of shape (n_samples, n_trees)."""
    rows = X.iloc if is_frame(X) else np.asarray(X)
    n = X.shape[0]
    out = None
    for s in range(0, n, _PREDICT_ROWS):
        block = np.asarray(predict(rows[s : s + _PREDICT_ROWS]))
        block = block.reshape(block.shape[0], -1)
        if out is None:
            out = np.empty((n, block.shape[1]), dtype=np.int32)
        out[s : s + len(block)] = block
    return np.zeros((0, 0), dtype=np.int32) if out is None else out


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

    def gather(s):
        block = table[leaves[s : s + _GATHER_ROWS] + offset]
        raw[s : s + _GATHER_ROWS] = block.reshape(
            block.shape[0], -1, n_out
        ).sum(1)

    in_threads(gather, range(0, n, _GATHER_ROWS))
    if n_out == 1:
        p1 = 1.0 / (1.0 + np.exp(-raw[:, 0]))
        return np.column_stack([1.0 - p1, p1])
    raw -= raw.max(axis=1, keepdims=True)
    np.exp(raw, out=raw)
    raw /= raw.sum(axis=1, keepdims=True)
    return raw


_GATHER_ROWS = 256


def forest_proba(est, leaves):
    """A scikit-learn forest's class probabilities from its leaf indices,
    or None.

    ``RandomForestClassifier`` and ``ExtraTreesClassifier`` average their
    trees' ``predict_proba``, and a tree's is the class fractions held at
    the leaf a sample reaches (``tree_.value``, fractions since
    scikit-learn 1.4): a gather per tree from the node indices of
    ``apply``, instead of a second pass down the trees. ``None`` for other
    models, several outputs, or a forest or tree class that overrides
    ``predict_proba``.

    Parameters
    ----------
    est : fitted estimator
    leaves : ndarray of shape (n_samples, n_trees), int
        Node indices, from :func:`leaf_indices`.

    Returns
    -------
    proba : ndarray of shape (n_samples, len(est.classes_)) or None
    """
    from sklearn.ensemble._forest import ForestClassifier
    from sklearn.tree import DecisionTreeClassifier

    if not (
        isinstance(est, ForestClassifier)
        and type(est).predict_proba is ForestClassifier.predict_proba
        and getattr(est, "n_outputs_", None) == 1
        and all(
            type(tree).predict_proba is DecisionTreeClassifier.predict_proba
            for tree in est.estimators_
        )
    ):
        return None
    n_classes = int(est.n_classes_)
    values = [tree.tree_.value[:, 0, :n_classes] for tree in est.estimators_]
    n = leaves.shape[0]
    proba = np.zeros((n, n_classes))

    def gather(s):
        block, acc = leaves[s : s + _FOREST_ROWS], proba[s : s + _FOREST_ROWS]
        for t, value in enumerate(values):
            acc += value[block[:, t]]

    in_threads(gather, range(0, n, _FOREST_ROWS))
    proba /= len(values)
    return proba


_FOREST_ROWS = 2048


_BOOSTED_KINDS = (
    "LGBMClassifier",
    "XGBClassifier",
    "XGBRFClassifier",
    "CatBoostClassifier",
)


def _kind(est):
    """The LightGBM, XGBoost or CatBoost classifier class ``est`` is (or
    derives from), by name, without importing the package; else ``""``."""
    for cls in type(est).__mro__:
        if cls.__module__.split(".")[0] in ("lightgbm", "xgboost", "catboost"):
            if cls.__name__ in _BOOSTED_KINDS:
                return cls.__name__
    return ""


def _is_hist_gradient_boosting(est):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return isinstance(est, HistGradientBoostingClassifier)


def is_boosted(est):
    """Whether the tree ensemble ``est`` is boosted (its leaf values are
    logits): LightGBM, XGBoost or scikit-learn's (histogram) gradient
    boosting."""
    from sklearn.ensemble import GradientBoostingClassifier

    return (
        bool(_kind(est))
        or isinstance(est, GradientBoostingClassifier)
        or _is_hist_gradient_boosting(est)
    )


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
    return isinstance(est, kinds) or _is_hist_gradient_boosting(est)


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
        all trees of a binary model, and of a model fitted on one class,
        whose trees score a second class it never saw).
    n_rounds : int
        Boosting rounds (trees per class).

    Raises
    ------
    ValueError
        For forests, which average the trees' class probabilities and have
        no leaf logits.
    """
    name = _kind(est) or type(est).__name__
    if not is_boosted(est):
        raise ValueError(
            "tree_embedding='leaf_gradient' needs a boosted ensemble "
            "(LightGBM, XGBoost, scikit-learn's gradient boosting), got "
            f"{name}: "
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
        shape ``(n_trees,)`` (see :func:`._leaves.leaf_embedding`).
    """
    classes, n_rounds = tree_classes(est, leaves.shape[1])
    class_values = np.asarray(delta_inner, dtype=np.float32)
    if class_values.shape[1] == 1:
        # Fitted on one class, the trees score a class never seen (see
        # _one_class_proba), of probability zero: zero gradient.
        class_values = np.zeros((len(class_values), 2), dtype=np.float32)
    class_values = class_values * np.float32(1.0 / np.sqrt(n_rounds))
    return class_values, classes
