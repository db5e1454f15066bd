"""Parity with scikit-activeml 1.0.1's ``Badge``: the import swapped,
nothing else changed.

On scikit-activeml's gallery data with its ``ParzenWindowClassifier``
(embedding by ``X``) and with a classifier that returns ``(proba,
embedding)``, from 0, 2 and 20 labels, batches of 4 and 20, seeds 0-2:
the first pick is scikit-activeml's, row 0 equals its row 0, and every
later row equals the distribution its rule gives after the same earlier
picks (to 1e-6; the draws themselves use other random numbers). The
documented differences are tested as what they are. Last, scikit-activeml's
own ``test_query`` of its ``Badge`` (``skactiveml/pool/tests/
test_badge.py``), rewritten here, on the default ``Badge``.
"""

import numpy as np
import pytest
from skactiveml.classifier import ParzenWindowClassifier, SklearnClassifier
from skactiveml.pool import Badge as SkactivemlBadge
from skactiveml.utils import MISSING_LABEL
from sklearn.linear_model import LogisticRegression

from skactiveml_badge import Badge

from ._parity import compare, skactiveml_rows
from .conftest import LookupClassifier

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'base_estimator' could not"),
    pytest.mark.filterwarnings("ignore:Since the 'base_estimator' could"),
]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("batch_size", [4, 20])
@pytest.mark.parametrize("n_labels", [0, 2, 20])
@pytest.mark.parametrize("kind", ["gallery", "embedding"])
def test_rows_equal_skactiveml(kind, n_labels, batch_size, seed):
    same_first, row0, later = compare(kind, n_labels, batch_size, seed)
    assert same_first
    assert row0 <= 1e-6
    assert later <= 1e-6


def test_the_papers_rule_is_one_parameter_away():
    """``origin_as_centre=False``: the same first pick and row 0, later
    rows that differ from scikit-activeml's rule (D^2 without the
    origin)."""
    same_first, row0, later = compare(
        "gallery", 20, 8, 0, origin_as_centre=False
    )
    assert same_first and row0 <= 1e-6
    assert later > 1e-3


def _certain_pool(n=30):
    """A classifier certain of every sample: every gradient is zero."""
    proba = np.eye(3)[np.arange(n) % 3]
    h = np.random.RandomState(0).randn(n, 4)
    X, y = np.arange(float(n))[:, None], np.full(n, np.nan)
    clf = LookupClassifier(proba, h, classes=np.arange(3)).fit(X, y)
    return X, y, clf


def test_documented_difference_all_gradients_zero():
    """scikit-activeml takes the first candidate; this class draws the
    first pick uniformly. Both give the uniform row 0."""
    X, y, clf = _certain_pool()
    flag = "return_embeddings"
    firsts = set()
    for seed in range(10):
        ours, rows = Badge(flag, random_state=seed).query(
            X, y, clf, fit_clf=False, batch_size=3, return_utilities=True
        )
        theirs, their_rows = SkactivemlBadge(flag, random_state=seed).query(
            X, y, clf, fit_clf=False, batch_size=3, return_utilities=True
        )
        assert theirs[0] == 0
        np.testing.assert_allclose(rows[0], their_rows[0], atol=1e-12)
        np.testing.assert_allclose(rows[0], 1 / 30)
        firsts.add(int(ours[0]))
        assert len(set(ours.tolist())) == 3
    assert len(firsts) > 3


def test_documented_difference_after_an_all_zero_row():
    """Three distinct embeddings, ten copies each, a batch of 6: once
    every ``min(|g|^2, D^2)`` left is zero both draw uniformly, but
    scikit-activeml then measures distances to the newest pick only (the
    copies of older picks come back); this class keeps the minimum over
    all picks, so those rows stay uniform."""
    proba = np.tile(np.array([[0.6, 0.4], [0.3, 0.7], [0.45, 0.55]]), (10, 1))
    h = np.tile(np.random.RandomState(0).randn(3, 2), (10, 1))
    X, y = np.arange(30.0)[:, None], np.full(30, np.nan)
    clf = LookupClassifier(proba, h, classes=np.arange(2)).fit(X, y)
    flag = "return_embeddings"
    picks, rows = Badge(flag, random_state=0, dtype=np.float64).query(
        X, y, clf, fit_clf=False, batch_size=6, return_utilities=True
    )
    theirs = skactiveml_rows(X, y, clf, flag, picks)
    types = [int(p) % 3 for p in picks]
    assert sorted(types[:3]) == [0, 1, 2]  # the three distinct ones first
    np.testing.assert_allclose(rows[:4], theirs[:4], atol=1e-9)
    for k in range(3, 6):  # uniform over the samples not picked
        free = ~np.isnan(rows[k])
        np.testing.assert_allclose(rows[k][free], 1 / free.sum())
    # scikit-activeml's rule along the same picks: after the uniform row,
    # only the copies of the newest pick are at distance zero.
    assert np.nanmax(np.abs(rows[4] - theirs[4])) > 1e-3


# -- scikit-activeml's own test_query of its Badge, on ours


class _ParzenEmbedding(ParzenWindowClassifier):
    def predict_proba(self, X, return_embeddings=False):
        proba = super().predict_proba(X)
        return (proba, X) if return_embeddings else proba


class _ParzenTuple(ParzenWindowClassifier):
    def predict_proba(self, X):
        return super().predict_proba(X), X


def _row_sums_to_one(row):
    values = row[~np.isnan(row)]
    assert (values >= 0).all()
    assert np.isfinite(values).all()
    np.testing.assert_allclose(values.sum(), 1.0, rtol=1e-6)


def test_skactiveml_badge_test_query_on_default_badge():
    badge = Badge(random_state=42)
    X = np.random.RandomState(42).choice(5, size=(10, 2))
    y = np.hstack([[0, 1], np.full(8, MISSING_LABEL)])
    clf = SklearnClassifier(LogisticRegression(), classes=[0, 1])
    # 1: the same random state, the same first pick
    np.testing.assert_array_equal(
        badge.query(X, y, clf), badge.query(X, y, clf)
    )
    # 2, 3: non-negative utilities; rows 0 and 1 sum to one
    _, util = badge.query(X, y, clf, batch_size=2, return_utilities=True)
    _row_sums_to_one(util[0])
    _row_sums_to_one(util[1])
    # 4: index candidates
    _, util = badge.query(
        X, y, clf, batch_size=2, candidates=np.arange(4, 10),
        return_utilities=True,
    )  # fmt: skip
    assert util.shape == (2, 10)
    assert (util[~np.isnan(util)] >= 0).all()
    # 5: candidates given as new samples
    X_cand = np.random.RandomState(0).choice(5, size=(5, 2))
    _, util = badge.query(
        X, y, clf, batch_size=2, candidates=X_cand, return_utilities=True
    )
    assert util.shape == (2, 5)
    # 6: a classifier that knows a single class
    y_one = np.hstack([[0], np.full(9, MISSING_LABEL)])
    _, util = badge.query(X, y_one, clf, batch_size=2, return_utilities=True)
    _row_sums_to_one(util[0])
    _row_sums_to_one(util[1])
    # 7: clf_embedding_flag_name="return_embeddings"
    qs = Badge(clf_embedding_flag_name="return_embeddings", random_state=42)
    clf7 = _ParzenEmbedding(classes=[0, 1], random_state=42)
    np.testing.assert_array_equal(qs.query(X, y, clf7), qs.query(X, y, clf7))
    # 8: predict_proba returns a tuple
    clf8 = _ParzenTuple(classes=[0, 1], random_state=42)
    np.testing.assert_array_equal(
        badge.query(X, y, clf8), badge.query(X, y, clf8)
    )
