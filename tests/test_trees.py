"""Pseudo-BADGE on tree ensembles: leaf embeddings and queries."""

import importlib.util
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from skactiveml.classifier import SklearnClassifier
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)

from skactiveml_badge import Badge, TypiClustThenBadge, WarmStartWarning
from skactiveml_badge.embeddings import UntrainedModelWarning
from skactiveml_badge.embeddings._leaves import (
    _mix64,
    hash_leaves,
    hashed_leaf_embedding,
    leaf_embedding,
)
from skactiveml_badge.embeddings._trees import leaf_indices
from skactiveml_badge.selection import pairwise_sq_distances

lightgbm = pytest.importorskip("lightgbm")
xgboost = pytest.importorskip("xgboost")
catboost = pytest.importorskip("catboost")


def _models():
    return {
        "lightgbm": lightgbm.LGBMClassifier(
            n_estimators=10,
            num_leaves=6,
            min_child_samples=3,
            verbose=-1,
            random_state=0,
        ),
        "xgboost": xgboost.XGBClassifier(
            n_estimators=8, max_depth=3, random_state=0
        ),
        "random_forest": RandomForestClassifier(10, random_state=0),
        "extra_trees": ExtraTreesClassifier(10, random_state=0),
        "gradient_boosting": GradientBoostingClassifier(
            n_estimators=5, max_depth=2, random_state=0
        ),
        "hist_gradient_boosting": HistGradientBoostingClassifier(
            max_iter=5, max_leaf_nodes=6, random_state=0
        ),
        "catboost": catboost.CatBoostClassifier(
            iterations=6,
            depth=3,
            random_seed=0,
            thread_count=1,
            verbose=False,
            allow_writing_files=False,
        ),  # fmt: skip
    }


def _dense(h):
    """``h`` as a dense array (exact leaf embeddings are sparse only when
    their columns are many)."""
    return h.toarray() if sp.issparse(h) else np.asarray(h)


def _data(binary):
    if binary:
        X, y = load_breast_cancer(return_X_y=True)
    else:
        X, y = load_digits(return_X_y=True)
    return X[:300], y[:300]


def test_hash_is_splitmix64_and_fixed():
    # SplitMix64's first output for seed 0 is 0xE220A8397B1DCDAF.
    first = _mix64(np.array([0x9E3779B97F4A7C15], dtype=np.uint64))
    assert int(first[0]) == 0xE220A8397B1DCDAF
    buckets, signs = hash_leaves([0, 0, 1, 7, 123], [0, 5, 0, 3, 4567], 256)
    assert buckets.tolist() == [0, 220, 63, 64, 108]
    assert signs.tolist() == [1.0, -1.0, -1.0, 1.0, 1.0]


def test_hashed_embedding_is_the_same_in_another_process():
    code = (
        "import numpy as np;"
        "from skactiveml_badge.embeddings._leaves import "
        "hashed_leaf_embedding as f;"
        "z = f(np.arange(60).reshape(6, 10) % 7, 8);"
        "print(np.round(z, 6).tolist())"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env=dict(os.environ, PYTHONHASHSEED=seed),
            check=True,
        ).stdout
        for seed in ("0", "12345")
    }
    assert len(outs) == 1
    z = hashed_leaf_embedding(np.arange(60).reshape(6, 10) % 7, 8)
    assert outs.pop().strip() == str(np.round(z, 6).tolist())


def test_exact_embedding_has_unit_rows_and_proximity():
    leaves = np.array([[1, 4, 2], [1, 5, 2], [3, 5, 9]])
    z = leaf_embedding(leaves, leaf_dim=None)
    # 6 columns (at most 8 a tree): dense, for the lazy kernels
    assert isinstance(z, np.ndarray) and z.shape == (3, 6)
    assert (z != 0).sum() == 9
    gram = z @ z.T
    np.testing.assert_allclose(np.diag(gram), 1.0, rtol=1e-6)
    # Rows 0 and 1 share 2 of 3 leaves, rows 1 and 2 one, rows 0 and 2 none.
    np.testing.assert_allclose(
        [gram[0, 1], gram[1, 2], gram[0, 2]], [2 / 3, 1 / 3, 0], atol=1e-6
    )
    # Exact while a row is no longer than leaf_dim (3 trees), else hashed
    # (rescaled to unit rows, with other columns).
    np.testing.assert_array_equal(leaf_embedding(leaves, leaf_dim=5), z)
    hashed = leaf_embedding(leaves, leaf_dim=2)
    assert hashed.shape == (3, 2)
    # Many leaves a tree: sparse (CSR), the same inner products
    many = np.arange(200).reshape(20, 10) % 97  # 20 distinct leaves a tree
    exact = leaf_embedding(many, leaf_dim=None)
    assert sp.issparse(exact) and exact.shape == (20, 200)
    assert sp.issparse(leaf_embedding(many, leaf_dim=100))  # > 100, > 8 x 10
    np.testing.assert_allclose(
        (exact @ exact.T).toarray(),
        (many[:, None, :] == many[None, :, :]).mean(-1),
        atol=1e-6,
    )


def test_exact_and_hashed_give_same_distances_without_collisions(rng):
    est = RandomForestClassifier(30, random_state=0)
    X, y = _data(binary=False)
    leaves = leaf_indices(est.fit(X, y), X)
    dim = 2**20
    buckets, _ = hash_leaves(
        np.broadcast_to(np.arange(leaves.shape[1]), leaves.shape), leaves, dim
    )
    # No two distinct (tree, leaf) pairs share a bucket.
    pairs = np.unique(
        np.stack(
            [
                np.broadcast_to(
                    np.arange(leaves.shape[1]), leaves.shape
                ).ravel(),
                leaves.ravel(),
            ]
        ),
        axis=1,
    )
    assert (
        np.unique(hash_leaves(pairs[0], pairs[1], dim)[0]).size
        == pairs.shape[1]
    )
    exact = leaf_embedding(leaves, leaf_dim=None)
    assert sp.issparse(exact)
    # The hashed rows are 2**20 wide: made for all 300 rows at once they
    # take 5 GB. Each row depends on its own leaves alone, so make them 10
    # at a time and keep the columns of the pairs' buckets, which hold every
    # non-zero entry (the distances are those of the full rows).
    used = np.unique(buckets)
    blocks = []
    for rows in np.array_split(leaves, 30):
        block = hashed_leaf_embedding(rows, dim)
        assert isinstance(block, np.ndarray) and block.shape[1] == dim
        kept = block[:, used]
        assert np.count_nonzero(kept) == np.count_nonzero(block)
        blocks.append(kept)
    hashed = np.vstack(blocks)
    # Compare in float64: float32 round-off of zero self-distances is ~1e-5.
    exact, hashed = exact.astype(np.float64), hashed.astype(np.float64)
    delta = rng.randn(len(X), 10)
    np.testing.assert_allclose(
        pairwise_sq_distances(delta[:50], exact[:50], delta, exact),
        pairwise_sq_distances(delta[:50], hashed[:50], delta, hashed),
        rtol=1e-5,
        atol=1e-6,
    )
    assert buckets.max() < dim


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "multi"])
@pytest.mark.parametrize("name", list(_models()))
def test_query_with_each_tree_model(name, binary):
    X, y_true = _data(binary)
    classes = np.unique(y_true)
    y = np.full(len(X), np.nan)
    y[:80] = y_true[:80]
    clf = SklearnClassifier(_models()[name], classes=classes)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UntrainedModelWarning)
        idx, util = Badge(random_state=0).query(
            X, y, clf, batch_size=6, return_utilities=True
        )
        fitted = clf.fit(X, y)
        sel = Badge(random_state=0).select_batch(fitted, X[80:], batch_size=4)
    assert (idx >= 80).all() and len(set(idx.tolist())) == 6
    np.testing.assert_allclose(np.nansum(util, axis=1), 1.0)
    assert np.isnan(util[:, :80]).all()
    assert sel.shape == (4,)


@pytest.mark.parametrize("missing_label", [-1, "none"])
def test_tree_query_missing_label_conventions(missing_label):
    X, y_true = _data(binary=True)
    if missing_label == "none":
        y_true = np.array(["benign", "malignant"])[y_true]
        y = y_true.astype("<U9")
    else:
        y = y_true.copy()
    y[60:] = missing_label
    clf = SklearnClassifier(
        RandomForestClassifier(10, random_state=0),
        classes=np.unique(y_true),
        missing_label=missing_label,
    )
    idx = Badge(missing_label=missing_label, random_state=0).query(
        X, y, clf, batch_size=5
    )
    assert (idx >= 60).all()


def test_model_fitted_on_one_class_gives_uniform_picks():
    X, y_true = _data(binary=False)
    y = np.full(len(X), np.nan)
    y[y_true == 3] = 3  # only one class labeled so far
    clf = SklearnClassifier(
        RandomForestClassifier(10, random_state=0), classes=np.arange(10)
    )
    idx, util = Badge(random_state=0, origin_as_centre=False).query(
        X, y, clf, batch_size=4, return_utilities=True
    )
    # Every probability is one-hot on class 3: all gradients are zero and
    # the picks are uniform over the unlabeled samples.
    n_unlabeled = int(np.isnan(y).sum())
    np.testing.assert_allclose(util[0][~np.isnan(util[0])], 1 / n_unlabeled)
    assert np.isnan(y[idx]).all()


@pytest.mark.filterwarnings("ignore:Since the 'base_estimator':UserWarning")
def test_unfittable_tree_model_warns_and_falls_back_to_x():
    # XGBoost needs labels 0..k-1; with classes {0, 4} seen it fails to
    # fit inside SklearnClassifier, which then predicts label frequencies.
    X, y_true = _data(binary=False)
    y = np.full(len(X), np.nan)
    sel = np.flatnonzero(np.isin(y_true, [0, 4]))[:40]
    y[sel] = y_true[sel]
    clf = SklearnClassifier(
        xgboost.XGBClassifier(n_estimators=3), classes=np.arange(10)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the wrapper's own
        fitted = clf.fit(X, y)
    with pytest.warns(UntrainedModelWarning, match="raw features"):
        idx = Badge(random_state=0, origin_as_centre=False).query(
            X, y, fitted, False, batch_size=3
        )
    assert np.isnan(y[idx]).all()


def test_sparse_factors_in_public_kernels_bias_and_backend(rng):
    from skactiveml_badge.selection import farthest_first, kmeans_plusplus

    leaves = rng.randint(0, 30, size=(120, 8))  # many leaves: sparse
    z = leaf_embedding(leaves, leaf_dim=None)
    assert sp.issparse(z)
    delta = rng.randn(120, 3)
    for kernel, kw in (
        (kmeans_plusplus, {"random_state": 0, "algorithm": "plain"}),
        (farthest_first, {}),
    ):
        sparse = kernel(delta, z, 10, dtype=np.float64, **kw)[0]
        dense = kernel(delta, z.toarray(), 10, dtype=np.float64, **kw)[0]
        np.testing.assert_array_equal(sparse, dense)
    bad = z.copy()
    bad.data[0] = np.nan
    with pytest.raises(ValueError, match="`h` contains NaN"):
        kmeans_plusplus(delta, bad, 2)
    if importlib.util.find_spec("torch"):
        # torch holds the leaf embedding dense: the same picks.
        np.testing.assert_array_equal(
            kmeans_plusplus(delta, z, 10, random_state=0, backend="torch")[0],
            kmeans_plusplus(delta, z.toarray(), 10, random_state=0)[0],
        )
    # include_bias appends a constant column to the sparse leaf embedding.
    X, y_true = _data(binary=True)
    y = np.full(len(X), np.nan)
    y[:50] = y_true[:50]
    clf = SklearnClassifier(
        RandomForestClassifier(5, random_state=0), classes=[0, 1]
    )
    idx = Badge(include_bias=True, leaf_dim=None, random_state=0).query(
        X, y, clf, batch_size=3
    )
    assert (idx >= 50).all()


def test_sparse_row_norms_with_empty_rows_and_repeated_entries():
    from skactiveml_badge.selection._arrays import csr_row_sq_norms

    # Row 1 is empty; row 2 holds column 0 twice (entries add up).
    h = sp.csr_matrix(
        (np.array([3.0, 4.0, 1.0, 2.0, 2.0], dtype=np.float32),
         np.array([0, 2, 0, 0, 1]), np.array([0, 2, 2, 5, 5])),
        shape=(4, 3),
    )  # fmt: skip
    assert not h.has_canonical_format
    np.testing.assert_array_equal(
        csr_row_sq_norms(h), np.array([25.0, 0.0, 13.0, 0.0], np.float32)
    )


@pytest.mark.parametrize("n_dense", [0, 3])
def test_sparse_h_split_into_column_parts_gives_the_dense_results(
    rng, n_dense
):
    """The plain kernels' products with a new centre on a sparse h (its
    sparse columns gathered, the columns non-zero in most rows as a dense
    block, as "proximity+X" makes them) equal those on the dense h: the
    same picks and utility rows."""
    from skactiveml_badge.selection import farthest_first, kmeans_plusplus

    leaves = rng.randint(0, 25, size=(300, 6))
    z = leaf_embedding(leaves, leaf_dim=None)
    parts = [z, sp.csr_matrix(rng.randn(300, n_dense))]
    h = sp.hstack(parts, format="csr")
    h = sp.csr_matrix(h.multiply(rng.rand(300, 1) + 0.5))
    delta = rng.randn(300, 4)
    for kernel, kw in (
        (kmeans_plusplus, {"random_state": 1, "algorithm": "plain"}),
        (farthest_first, {"algorithm": "plain"}),
    ):
        sparse = kernel(delta, h, 25, dtype=np.float64,
                        return_utilities=True, **kw)  # fmt: skip
        dense = kernel(delta, h.toarray(), 25, dtype=np.float64,
                       return_utilities=True, **kw)  # fmt: skip
        np.testing.assert_array_equal(sparse[0], dense[0])
        np.testing.assert_allclose(sparse[1], dense[1], rtol=1e-12)


@pytest.mark.parametrize(
    "name, leaf_dim", [("lightgbm", 8), ("xgboost", 8), ("catboost", 4),
                       ("random_forest", 256), ("random_forest", None)],
)  # fmt: skip
@pytest.mark.parametrize("tree_embedding", ["proximity", "proximity+X"])
def test_pool_embedded_in_row_blocks_equals_at_once(
    monkeypatch, name, leaf_dim, tree_embedding
):
    """Leaves, probabilities and a hashed embedding made block by block
    (the whole pool's leaf indices never held) equal those of the pool at
    once; an exact embedding joins its blocks' leaves first."""
    from skactiveml_badge.embeddings import _trees

    X, y = load_digits(return_X_y=True)
    clf = SklearnClassifier(_models()[name], classes=np.arange(10))
    clf.fit(X, y)
    kw = dict(leaf_dim=leaf_dim, tree_embedding=tree_embedding)
    proba, z = _trees.embed(clf, X, **kw)
    monkeypatch.setattr(_trees, "_EMBED_ROWS", 97)
    proba_b, z_b = _trees.embed(clf, X, **kw)
    np.testing.assert_array_equal(proba_b, proba)
    assert sp.issparse(z_b) == sp.issparse(z)
    if sp.issparse(z):
        z, z_b = z.toarray(), z_b.toarray()
    np.testing.assert_array_equal(z_b, z)


def _raw_scores_from_leaves(est, X):
    """Each class's raw score rebuilt from leaf values and tree_classes."""
    from skactiveml_badge.embeddings._trees import tree_classes

    leaves = leaf_indices(est, X)
    classes, _ = tree_classes(est, leaves.shape[1])
    n_out = 1 if len(est.classes_) == 2 else len(est.classes_)
    raw = np.zeros((len(X), n_out))
    for t in range(leaves.shape[1]):
        if hasattr(est, "booster_"):  # LightGBM
            values = np.array(
                [
                    est.booster_.get_leaf_output(t, leaf)
                    for leaf in range(leaves[:, t].max() + 1)
                ]
            )
            v = values[leaves[:, t]]
        elif hasattr(est, "_predictors"):  # histogram gradient boosting
            k = est.n_trees_per_iteration_
            nodes = est._predictors[t // k][t % k].nodes
            v = nodes["value"][leaves[:, t]]
        else:  # scikit-learn gradient boosting (leaf = node id)
            n_rounds, k = est.estimators_.shape
            tree = est.estimators_[t // k, t % k].tree_
            v = tree.value[leaves[:, t], 0, 0] * est.learning_rate
        raw[:, classes[t] if n_out > 1 else 0] += v
    return raw


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize(
    "name", ["lightgbm", "gradient_boosting", "hist_gradient_boosting"]
)
def test_tree_classes_rebuild_the_raw_scores(name, binary):
    """Leaf values summed per tree_classes give the models' raw scores (up
    to a per-class constant, the initial score): the tree-to-class map
    that the leaf-gradient embedding uses is the models' own."""
    X, y = _data(binary)
    est = _models()[name].fit(X, y)
    raw = _raw_scores_from_leaves(est, X)
    if name == "lightgbm":
        ref = est.predict(X, raw_score=True).reshape(len(X), -1)
    else:
        ref = est.decision_function(X).reshape(len(X), -1)
    gap = ref - raw
    np.testing.assert_allclose(gap, gap[[0] * len(gap)], atol=1e-8)


@pytest.mark.parametrize("binary", [False, True])
def test_catboost_leaves_rebuild_its_raw_scores_and_leaf_gradients(binary):
    """CatBoost's leaf indices are the leaves its prediction sums, and its
    leaf-value gradient is the brute-force gradient of the loss at the
    pseudo-label with respect to every leaf value (a vector of logits per
    leaf for several classes, one logit for two)."""
    from skactiveml_badge.embeddings._trees import leaf_gradient_factors

    from ._reference import explicit_embeddings

    X, y = _data(binary)
    est = _models()["catboost"].fit(X, y)
    leaves = leaf_indices(est, X)
    n, n_trees = leaves.shape
    dim = 1 if binary else len(est.classes_)
    counts = np.asarray(est.get_tree_leaf_counts(), dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]]) * dim
    values = est.get_leaf_values()
    raw = np.zeros((n, dim))
    grad = np.zeros((n, counts.sum() * dim))  # d loss / d leaf values
    proba = est.predict_proba(X)
    delta = proba - np.eye(proba.shape[1])[proba.argmax(1)]
    for t in range(n_trees):
        at = start[t] + leaves[:, t] * dim
        for j in range(dim):
            raw[:, j] += values[at + j]
            grad[np.arange(n), at + j] = delta[:, 1] if binary else delta[:, j]
    scale, bias = est.get_scale_and_bias()
    ref = est.predict(X, prediction_type="RawFormulaVal").reshape(n, dim)
    np.testing.assert_allclose(scale * raw + np.asarray(bias), ref)
    _, d, h = leaf_gradient_factors(est, X, leaf_dim=None)
    G = explicit_embeddings(np.asarray(d), _dense(h))
    # The same embedding up to the order of the columns and the scale
    # 1 / sqrt(n_trees): equal Gram matrices.
    np.testing.assert_allclose(
        G @ G.T, grad @ grad.T / n_trees, rtol=1e-5, atol=1e-7
    )


def test_private_api_of_hist_gradient_boosting():
    """The names ``hist_gradient_boosting_leaves`` reads exist, and the
    leaves it returns are the ones scikit-learn's prediction sums: with
    missing values and a native categorical feature, the leaf values at
    the returned nodes plus the baseline are ``_raw_predict``. A
    scikit-learn release that changes them fails here."""
    from skactiveml_badge.embeddings._private_api import (
        hist_gradient_boosting_leaves,
    )

    rng = np.random.RandomState(0)
    X, y = load_digits(return_X_y=True)
    X = X[:400].astype(float)
    X[:, 0] = rng.randint(0, 5, len(X))  # a categorical column
    X[rng.rand(*X.shape) < 0.05] = np.nan
    X[:, 0] = np.where(np.isnan(X[:, 0]), 1, X[:, 0])
    for classes in (10, 2):
        yy = y[:400] % classes
        est = HistGradientBoostingClassifier(
            max_iter=4, max_leaf_nodes=8, categorical_features=[0],
            random_state=0,
        ).fit(X, yy)  # fmt: skip
        leaves = hist_gradient_boosting_leaves(est, X)
        k = est.n_trees_per_iteration_
        assert leaves.shape == (len(X), 4 * k)
        raw = np.zeros((len(X), k)) + est._baseline_prediction
        for t in range(leaves.shape[1]):
            nodes = est._predictors[t // k][t % k].nodes
            assert nodes["is_leaf"][leaves[:, t]].all()
            raw[:, t % k] += nodes["value"][leaves[:, t]]
        np.testing.assert_allclose(raw, est._raw_predict(X), rtol=1e-12)
        assert leaf_indices(est, X).tolist() == leaves.tolist()


def test_xgboost_tree_classes_rebuild_the_margins():
    from skactiveml_badge.embeddings._trees import tree_classes

    X, y = _data(False)
    est = _models()["xgboost"].fit(X, y)
    leaves = leaf_indices(est, X)
    classes, n_rounds = tree_classes(est, leaves.shape[1])
    assert n_rounds == 8
    frame = est.get_booster().trees_to_dataframe()
    leaf = frame[frame.Feature == "Leaf"]
    value = dict(
        zip(zip(leaf.Tree, leaf.Node, strict=True), leaf.Gain, strict=True)
    )
    raw = np.zeros((len(X), len(est.classes_)))
    for t in range(leaves.shape[1]):
        raw[:, classes[t]] += [value[(t, n)] for n in leaves[:, t]]
    gap = est.predict(X, output_margin=True) - raw
    np.testing.assert_allclose(gap, gap[[0] * len(gap)], atol=1e-5)


@pytest.mark.parametrize("binary", [False, True])
def test_leaf_gradient_is_the_loss_gradient_wrt_leaf_values(binary):
    """The embedding equals the cross-entropy gradient (at the
    pseudo-label) with respect to every (tree, leaf) value, computed here
    by the chain rule through the rebuilt raw scores, up to the
    1/sqrt(n_rounds) scale."""
    from skactiveml_badge.embeddings import gradient_factors
    from skactiveml_badge.embeddings._trees import tree_classes

    X, y = _data(binary)
    est = _models()["lightgbm"].fit(X, y)
    proba, delta, h = gradient_factors(
        est, X, tree_embedding="leaf_gradient", leaf_dim=None
    )
    assert delta.shape == (len(X), 1) and np.all(delta == 1)
    leaves = leaf_indices(est, X)
    classes, n_rounds = tree_classes(est, leaves.shape[1])
    p = est.predict_proba(X)
    yhat = p.argmax(1)
    # d loss / d raw score of class c: p_c - 1[c = yhat] (binary: the one
    # logit of class 1).
    dlogit = p - np.eye(p.shape[1])[yhat]
    h = _dense(h)
    for i in (0, 7, 123):
        expected = {}
        for t in range(leaves.shape[1]):
            expected[(t, leaves[i, t])] = dlogit[i, classes[t]]
        got = h[i][h[i] != 0] * np.sqrt(n_rounds)
        want = np.array([v for v in expected.values() if v != 0])
        np.testing.assert_allclose(np.sort(got), np.sort(want), rtol=1e-5)


def test_leaf_gradient_rejects_forests_and_bias():
    from skactiveml_badge.embeddings import gradient_factors

    X, y = _data(False)
    rf = _models()["random_forest"].fit(X, y)
    with pytest.raises(ValueError, match="forest"):
        gradient_factors(rf, X, tree_embedding="leaf_gradient")
    gb = _models()["lightgbm"].fit(X, y)
    with pytest.raises(ValueError, match="include_bias"):
        gradient_factors(
            gb, X, tree_embedding="leaf_gradient", include_bias=True
        )


def test_hashed_rows_keep_exact_norms_and_match_the_hash(rng):
    leaves = rng.randint(0, 40, size=(50, 300))
    values = rng.randn(50, 300).astype(np.float32)
    z = hashed_leaf_embedding(leaves, 64, values)
    np.testing.assert_allclose(
        (z.astype(np.float64) ** 2).sum(1),
        (values.astype(np.float64) ** 2).sum(1),
        rtol=1e-5,
    )
    # Before the norm rescaling, row i is the signed bucket sum.
    buckets, signs = hash_leaves(
        np.broadcast_to(np.arange(300), leaves.shape), leaves, 64
    )
    raw = np.zeros((50, 64))
    for i in range(50):
        np.add.at(raw[i], buckets[i], signs[i] * values[i])
    scale = np.linalg.norm(values, axis=1) / np.linalg.norm(raw, axis=1)
    np.testing.assert_allclose(z, raw * scale[:, None], rtol=1e-4, atol=1e-6)


def test_exact_embedding_where_rows_are_short():
    leaves = np.arange(600).reshape(6, 100) % 37
    z = leaf_embedding(leaves, 256)  # 100 trees <= 256: exact
    np.testing.assert_allclose(
        z @ z.T, (leaves[:, None, :] == leaves[None, :, :]).mean(-1),
        atol=1e-6,
    )  # fmt: skip
    # 300 trees > 256: hashed into 256 columns
    assert leaf_embedding(np.tile(leaves, 3), 256).shape == (6, 256)


@pytest.mark.parametrize("labels", ["all", "one missing", "two of ten"])
def test_lightgbm_proba_from_leaves_equals_predict_proba(labels):
    """One pass over the trees: the probabilities rebuilt from the leaves
    equal the wrapper's predict_proba, whichever classes were seen."""
    from skactiveml_badge.embeddings._trees import (
        lightgbm_proba,
        tree_proba_and_leaves,
    )

    X, y = load_digits(return_X_y=True)
    y = y.astype(float)
    if labels == "one missing":
        y[y == 3] = np.nan
    elif labels == "two of ten":
        y[~np.isin(y, [1, 7])] = np.nan
    est = lightgbm.LGBMClassifier(n_estimators=15, verbose=-1)
    clf = SklearnClassifier(est, classes=np.arange(10)).fit(X, y)
    proba, leaves = tree_proba_and_leaves(clf, clf.estimator_, X)
    np.testing.assert_allclose(proba, clf.predict_proba(X), atol=1e-12)
    assert leaves.shape == (len(X), clf.estimator_.booster_.num_trees())
    bare = lightgbm.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y > 4)
    proba, _ = tree_proba_and_leaves(bare, bare, X)
    np.testing.assert_allclose(proba, bare.predict_proba(X), atol=1e-12)
    # Other objectives predict otherwise: no shortcut.
    ova = lightgbm.LGBMClassifier(
        n_estimators=3, objective="multiclassova", verbose=-1
    ).fit(X, load_digits().target)
    assert lightgbm_proba(ova, leaf_indices(ova, X)) is None
    proba, _ = tree_proba_and_leaves(ova, ova, X)
    np.testing.assert_allclose(proba, ova.predict_proba(X))


@pytest.mark.parametrize("labels", ["all", "two of ten"])
@pytest.mark.parametrize("kind", ["random", "extra"])
def test_forest_proba_from_leaves_equals_predict_proba(kind, labels):
    """Forests: the averaged leaf fractions gathered from ``apply``'s node
    indices equal predict_proba (bare, in the wrapper with classes it has
    not seen, class weights); a class overriding predict_proba keeps it."""
    from sklearn.ensemble import ExtraTreesClassifier

    from skactiveml_badge.embeddings._trees import (
        forest_proba,
        tree_proba_and_leaves,
    )

    X, y = load_digits(return_X_y=True)
    y = y.astype(float)
    if labels == "two of ten":
        y[~np.isin(y, [1, 7])] = np.nan
    Forest = RandomForestClassifier if kind == "random" else (
        ExtraTreesClassifier
    )  # fmt: skip
    est = Forest(n_estimators=7, class_weight="balanced", random_state=0)
    clf = SklearnClassifier(est, classes=np.arange(10)).fit(X, y)
    proba, leaves = tree_proba_and_leaves(clf, clf.estimator_, X)
    assert forest_proba(clf.estimator_, leaves) is not None
    np.testing.assert_allclose(proba, clf.predict_proba(X), atol=1e-12)
    bare = Forest(n_estimators=5, max_depth=4, random_state=1).fit(
        X, load_digits().target % 3
    )
    proba, leaves = tree_proba_and_leaves(bare, bare, X)
    assert leaves.shape == (len(X), 5)
    np.testing.assert_allclose(proba, bare.predict_proba(X), atol=1e-12)

    class Sharpened(Forest):
        def predict_proba(self, X):
            return super().predict_proba(X) ** 2

    odd = Sharpened(n_estimators=3, random_state=0).fit(X, y > 4)
    assert forest_proba(odd, leaf_indices(odd, X)) is None
    proba, _ = tree_proba_and_leaves(odd, odd, X)
    np.testing.assert_allclose(proba, odd.predict_proba(X))


def test_compact_leaf_values_equal_the_full_array(rng):
    leaves = rng.randint(0, 6, size=(40, 300))
    class_values = rng.randn(40, 5).astype(np.float32)
    classes = np.arange(300) % 5
    full = class_values[:, classes]
    for leaf_dim in (64, None):
        a = leaf_embedding(leaves, leaf_dim, (class_values, classes))
        b = leaf_embedding(leaves, leaf_dim, full)
        if sp.issparse(a):
            a, b = a.toarray(), b.toarray()
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize("name", list(_models()))
def test_recipe_settings_for_trees(name):
    """Tree ensembles get the trees' study settings in the recipe: leaves
    next to X, the origin kept, TypiClust until 5 labels per class;
    ``Badge()`` keeps the plain leaf embedding."""
    from skactiveml_badge.pool._switch import model_family

    X, y_true = _data(binary=False)
    clf = SklearnClassifier(_models()[name], classes=np.arange(10))
    assert model_family(clf) == "trees"
    assert model_family(_models()[name]) == "trees"  # bare, select_batch
    y = np.full(len(X), np.nan)
    y[:60] = y_true[:60]  # 60 labels >= 5 x 10 classes: BADGE
    fitted = clf.fit(X, y)
    qs = TypiClustThenBadge(random_state=0)
    got = qs.query(X, y, fitted, False, batch_size=4)
    assert qs.picked_by_ == "badge"
    ref = Badge(random_state=0, tree_embedding="proximity+X").query(
        X, y, fitted, False, batch_size=4
    )
    np.testing.assert_array_equal(got, ref)
    y[40:60] = np.nan  # 40 labels: TypiClust
    fitted = clf.fit(X, y)
    qs.query(X, y, fitted, False, batch_size=4)
    assert qs.picked_by_ == "typiclust"
    with warnings.catch_warnings():
        warnings.simplefilter("error", WarmStartWarning)
        Badge(random_state=0).query(X, y, fitted, False, batch_size=4)
