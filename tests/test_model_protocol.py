"""The design's model protocol (issue 27, item 1): a model with
``encode(X)`` is embedded by it, one with ``leaf_embeddings(X)`` by its
leaf embedding, in ``query`` (through scikit-activeml's wrapper) and in
``select_batch``; checked against BADGE on the explicit embeddings."""

import numpy as np
import pytest
import scipy.sparse as sp
from skactiveml.classifier import SklearnClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from skactiveml_badge import Badge, TypiClustThenBadge
from skactiveml_badge.embeddings import model_kind
from skactiveml_badge.embeddings._trees import features_scale
from skactiveml_badge.pool._switch import model_family

from ._reference import explicit_embeddings, paper_rows
from .conftest import digits


class Encoder(LogisticRegression):
    """Logistic regression with an ``encode``: a fixed random feature map
    (the input of a last linear layer, as a network's would be)."""

    def encode(self, X):
        W = np.random.RandomState(7).randn(np.shape(X)[1], 12)
        return np.tanh(np.asarray(X, dtype=np.float64) @ W)


class OwnLeaves(LogisticRegression):
    """A model that gives its own leaf embedding (here: a fixed one-hot
    bucketing of the first two features), dense or sparse."""

    def __init__(self, sparse=False, max_iter=500):
        super().__init__(max_iter=max_iter)
        self.sparse = sparse

    def leaf_embeddings(self, X):
        X = np.asarray(X)
        a = np.clip((X[:, 0] * 4).astype(int), 0, 3)
        b = 4 + np.clip((X[:, 1] * 4).astype(int), 0, 3)
        z = np.zeros((len(X), 8))
        z[np.arange(len(X)), a] = 1.0
        z[np.arange(len(X)), b] = 1.0
        return sp.csr_matrix(z) if self.sparse else z


@pytest.fixture(scope="module")
def data():
    X, y_true = digits(200)
    X = X[:, 18:]  # columns 0 and 1 of these vary
    y = np.full(len(X), np.nan)
    y[:40] = y_true[:40]
    return X, y, y_true


def _brute_force(model, X_cand, h):
    """Picks and rows of the paper's BADGE on the explicit embeddings."""
    proba = model.predict_proba(X_cand)
    delta = proba.copy()
    delta[np.arange(len(delta)), proba.argmax(1)] -= 1.0
    return explicit_embeddings(delta, h)


def _query(qs, model, X, y, n_picks):
    """``qs.query`` with ``model`` wrapped by scikit-activeml, and the
    fitted model (its fit is deterministic: the one inside the query)."""
    clf = SklearnClassifier(model, classes=np.arange(10))
    idx, util = qs.query(X, y, clf, batch_size=n_picks, return_utilities=True)
    return idx, util[:, 40:], clf.fit(X, y)


def test_encode_in_select_batch_and_query(data):
    X, y, y_true = data
    qs = Badge(random_state=0, origin_as_centre=False, dtype=np.float64)
    idx, util, fitted = _query(qs, Encoder(max_iter=500), X, y, 5)
    G = _brute_force(fitted, X[40:], fitted.estimator_.encode(X[40:]))
    np.testing.assert_allclose(util, paper_rows(G, idx - 40), atol=1e-9)
    # select_batch with the bare model: the same picks.
    model = Encoder(max_iter=500).fit(X[:40], y_true[:40])
    got = qs.select_batch(model, X[40:], X[:40], y_true[:40], batch_size=5)
    np.testing.assert_array_equal(got, idx - 40)
    assert model_kind(model) == "encoder"
    assert model_family(SklearnClassifier(Encoder())) == "other"


@pytest.mark.parametrize("sparse", [False, True])
def test_leaf_embeddings_as_the_tree_embedding(data, sparse):
    X, y, y_true = data
    X_cand = X[40:]
    z = OwnLeaves().leaf_embeddings(X_cand)
    for kind, h in (
        ("proximity", z),
        (
            "proximity+X",
            np.hstack([z, X_cand / features_scale(X_cand.astype(np.float32))]),
        ),
    ):
        qs = Badge(
            random_state=0, origin_as_centre=False, dtype=np.float64,
            tree_embedding=kind,
        )  # fmt: skip
        idx, util, fitted = _query(qs, OwnLeaves(sparse), X, y, 4)
        G = _brute_force(fitted, X_cand, h)
        np.testing.assert_allclose(
            util, paper_rows(G, idx - 40), atol=1e-6, err_msg=kind
        )
    clf = SklearnClassifier(OwnLeaves(sparse), classes=np.arange(10))
    assert model_kind(clf) == "leaves" and model_family(clf) == "trees"


def test_leaf_gradient_is_refused_before_fitting(data):
    X, y, _ = data

    class NoFit(SklearnClassifier):
        def fit(self, *args, **kwargs):
            raise AssertionError("fitted before the check")

    clf = NoFit(OwnLeaves(), classes=np.arange(10))
    with pytest.raises(ValueError, match="own `leaf_embeddings`"):
        Badge(tree_embedding="leaf_gradient").query(X, y, clf)


def test_encode_wins_over_the_model_family():
    """A random forest with ``encode`` is embedded by ``encode``."""

    class EncodedForest(RandomForestClassifier):
        def encode(self, X):
            return np.asarray(X)[:, :3] ** 2

    X, y_true = digits(120)
    model = EncodedForest(5, random_state=0).fit(X[:40], y_true[:40])
    idx = Badge(random_state=0, origin_as_centre=False).select_batch(
        model, X[40:], batch_size=3
    )
    G = _brute_force(model, X[40:], X[40:, :3] ** 2)
    assert idx[0] == np.argmax((G**2).sum(1))
    assert model_kind(model) == "encoder"


def test_leaves_on_disk_take_the_whole_pools_scale(data, tmp_path):
    """``proximity+X`` on a pool on disk: ``X`` is scaled by the whole
    pool's scale, so the picks are those in memory."""
    X, y, _ = data
    np.save(tmp_path / "pool.npy", X)
    pool = np.load(tmp_path / "pool.npy", mmap_mode="r")
    clf = SklearnClassifier(OwnLeaves(), classes=np.arange(10))
    qs = dict(random_state=0, tree_embedding="proximity+X")
    ref = Badge(**qs).query(X, y, clf, batch_size=5)
    got = Badge(**qs).query(pool, y, clf, batch_size=5)
    np.testing.assert_array_equal(ref, got)


@pytest.mark.parametrize(
    "output, exc, match",
    [
        (lambda X: np.ones((len(X) - 1, 3)), ValueError, "shape"),
        (lambda X: np.full((len(X), 3), "a"), TypeError, "numeric"),
        (lambda X: np.full((len(X), 3), np.nan), ValueError, "non-finite"),
    ],
)
def test_bad_encode_outputs_are_named(data, output, exc, match):
    X, _, y_true = data

    class Bad(LogisticRegression):
        def encode(self, X):
            return output(X)

    model = Bad(max_iter=500).fit(X[:40], y_true[:40])
    with pytest.raises(exc, match=match):
        Badge(random_state=0).select_batch(model, X[40:], batch_size=2)


def test_the_recipe_switches_at_the_trees_count_for_own_leaves(data):
    """A model with ``leaf_embeddings`` is a tree model to the recipe: 5
    labels per class (trees), not 20."""
    X, _, y_true = data
    y = np.full(len(X), np.nan)
    y[:60] = y_true[:60]  # 60 labels, 10 classes: 6 per class
    clf = SklearnClassifier(OwnLeaves(), classes=np.arange(10))
    qs = TypiClustThenBadge(random_state=0)
    qs.query(X, y, clf, batch_size=3)
    assert qs.picked_by_ == "badge"
