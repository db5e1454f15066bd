"""Tree ensembles fitted on labels of one class.

Early in a loop every label may be of one class. scikit-activeml's
``SklearnClassifier`` then fits its trees on that class alone (or, when the
model refuses, predicts label frequencies). LightGBM and XGBoost fit such
trees as a binary model against a class they never saw, and predict two
columns for a ``classes_`` of one; the shortcut that rebuilds LightGBM's
probabilities from its leaves had those two columns to place in the one of
the class seen, and Badge and Bait raised ``ValueError: shape mismatch:
value array of shape (50,2) could not be broadcast to indexing result of
shape (50,1)`` (``embeddings/_trees.py``, ``tree_proba_and_leaves``).

The rule now, for every supported family: trees that know one class
predict it with certainty, one-hot in its column of the wrapper's
``classes`` (as the wrapper predicts for forests), so the pseudo-gradients
and the leaf gradients are zero. Checked here for LightGBM, XGBoost
(boosted and random forest), and scikit-learn's forests and gradient
boosting, directly and through the queries of Badge, Bait and expected
gradient length.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from skactiveml.classifier import SklearnClassifier
from skactiveml.utils import is_labeled
from sklearn.datasets import make_blobs
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    RandomForestClassifier,
)

from skactiveml_badge import Badge, Bait, ExpectedGradientLength
from skactiveml_badge.embeddings import gradient_factors, proba_and_embedding
from skactiveml_badge.embeddings._private_api import could_not_fit
from skactiveml_badge.embeddings._trees import tree_proba_and_leaves

lightgbm = pytest.importorskip("lightgbm")
xgboost = pytest.importorskip("xgboost")

MODELS = {
    "lightgbm": lambda: lightgbm.LGBMClassifier(
        n_estimators=5, verbose=-1, random_state=0
    ),
    "xgboost": lambda: xgboost.XGBClassifier(
        n_estimators=5, max_depth=2, random_state=0
    ),
    "xgboost_rf": lambda: xgboost.XGBRFClassifier(
        n_estimators=5, max_depth=2, random_state=0
    ),
    "random_forest": lambda: RandomForestClassifier(5, random_state=0),
    "extra_trees": lambda: ExtraTreesClassifier(5, random_state=0),
    "gradient_boosting": lambda: GradientBoostingClassifier(
        n_estimators=5, random_state=0
    ),
}
BOOSTED = ("lightgbm", "xgboost", "gradient_boosting")

# (the wrapper's classes, the one class labeled so far)
CASES = {
    "first of two": ([0, 1], 0),
    "second of two": ([0, 1], 1),
    "last of three": ([0, 1, 2], 2),
}

# The models that fit trees on the case's class. XGBoost needs the labels
# 0..k-1 and scikit-learn's gradient boosting two classes: for the others
# the wrapper predicts label frequencies, and the queries embed X.
FITTED = [
    (name, case)
    for name in MODELS
    for case in CASES
    if name != "gradient_boosting"
    and (not name.startswith("xgboost") or case == "first of two")
]

N, N_LABELED = 50, 6


def _fitted(name, case):
    classes, seen = CASES[case]
    X, _ = make_blobs(N, centers=2, random_state=0)
    y = np.full(N, np.nan)
    y[:N_LABELED] = seen
    clf = SklearnClassifier(MODELS[name](), classes=classes, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the wrapper's, for unfit trees
        clf.fit(X, y)
    return X, y, clf


def _one_hot(case):
    classes, seen = CASES[case]
    expected = np.zeros((N, len(classes)))
    expected[:, classes.index(seen)] = 1.0
    return expected


@pytest.mark.parametrize("name, case", FITTED)
def test_trees_of_one_class_predict_it_with_certainty(name, case):
    X, _, clf = _fitted(name, case)
    assert not could_not_fit(clf)
    assert len(clf.estimator_.classes_) == 1
    proba, leaves = tree_proba_and_leaves(clf, clf.estimator_, X)
    np.testing.assert_array_equal(proba, _one_hot(case))
    assert leaves.shape[0] == N
    # Bare trees: one column, of ones.
    bare = clf.estimator_
    proba, _ = tree_proba_and_leaves(bare, bare, X)
    np.testing.assert_array_equal(proba, np.ones((N, 1)))


@pytest.mark.parametrize("name, case", FITTED)
def test_embeddings_of_trees_of_one_class(name, case):
    """The proximity embedding is that of any fitted trees; the
    pseudo-gradient ``delta`` is zero."""
    X, _, clf = _fitted(name, case)
    for kind in ("proximity", "proximity+X"):
        proba, z = proba_and_embedding(clf, X, tree_embedding=kind)
        np.testing.assert_array_equal(proba, _one_hot(case))
        z = z.toarray() if sp.issparse(z) else np.asarray(z)
        assert z.shape[0] == N and np.isfinite(z).all()
        assert np.abs(z).sum() > 0
        proba, delta, _ = gradient_factors(clf, X, tree_embedding=kind)
        np.testing.assert_array_equal(delta, 0.0)


@pytest.mark.parametrize(
    "name, case", [(n, c) for n, c in FITTED if n in BOOSTED]
)
def test_leaf_gradient_of_boosted_trees_of_one_class_is_zero(name, case):
    """The trees score a class the model never saw, of probability zero:
    the gradient with respect to the leaf values is zero."""
    X, _, clf = _fitted(name, case)
    proba, delta, h = gradient_factors(clf, X, tree_embedding="leaf_gradient")
    np.testing.assert_array_equal(proba, _one_hot(case))
    np.testing.assert_array_equal(delta, 1.0)
    h = h.toarray() if sp.issparse(h) else np.asarray(h)
    assert h.shape[0] == N
    np.testing.assert_array_equal(h, 0.0)


STRATEGIES = {
    "badge": lambda: Badge(random_state=0),
    "badge-farthest_first": lambda: Badge(
        random_state=0, selection="farthest_first"
    ),
    "badge-leaf_gradient": lambda: Badge(
        random_state=0, tree_embedding="leaf_gradient"
    ),
    "bait": lambda: Bait(random_state=0),
    "expected_gradient_length": lambda: ExpectedGradientLength(random_state=0),
}


@pytest.mark.parametrize(
    "name, case, strategy",
    [
        (name, case, strategy)
        for name in MODELS
        for case in CASES
        for strategy in STRATEGIES
        if name in BOOSTED or strategy != "badge-leaf_gradient"
    ],
)
def test_queries_on_trees_of_one_class(name, case, strategy):
    """Every strategy that embeds with trees queries a one-class model,
    whether its trees could be fitted or not: a batch of unlabeled samples
    and utilities that are finite wherever they are not NaN by the
    contract."""
    X, y, clf = _fitted(name, case)
    qs = STRATEGIES[strategy]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unfit trees: embedding X
        idx, util = qs.query(X, y, clf, batch_size=4, return_utilities=True)
    assert len(set(idx.tolist())) == 4
    assert not is_labeled(y[idx]).any()
    assert not np.isinf(util).any()
    labeled = is_labeled(y)
    assert np.isnan(util[:, labeled]).all()
    for k in range(len(idx)):
        assert np.isnan(util[k, idx[:k]]).all()
        assert not np.isnan(util[k, idx[k]])
    if strategy != "bait":  # Bait: NaN too for its dropped forward picks
        assert np.isnan(util).sum() == 4 * N_LABELED + 0 + 1 + 2 + 3
