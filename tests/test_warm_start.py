"""Warm start: Badge hands over from a simple rule at the stated count."""

import warnings

import numpy as np
import pytest

from skactiveml_badge import Badge, WarmStartWarning
from skactiveml_badge.selection import farthest_first

from ._conformance import make_pool


def _pool(n_labeled):
    X, y, y_true, clf = make_pool(n_labeled=n_labeled)
    return X, y, y_true, clf


def test_switch_happens_at_the_stated_count():
    qs = Badge(warm_start_rule="margin", warm_start_labels=10, random_state=0)
    X, y, _, clf = _pool(9)
    with pytest.warns(WarmStartWarning, match="'margin'"):
        warm = qs.query(X, y, clf, batch_size=4)
    proba = clf.fit(X, y).predict_proba(X)
    top2 = -np.sort(-proba, axis=1)[:, :2]
    margin = top2[:, 0] - top2[:, 1]
    margin[:9] = np.inf  # labeled
    np.testing.assert_array_equal(warm, np.argsort(margin, kind="stable")[:4])
    X, y, _, clf = _pool(10)
    with warnings.catch_warnings():
        warnings.simplefilter("error", WarmStartWarning)
        got = qs.query(X, y, clf, batch_size=4)
    ref = Badge(random_state=0).query(X, y, clf, batch_size=4)
    np.testing.assert_array_equal(got, ref)


@pytest.mark.filterwarnings("ignore:The 'base_estimator' could not be fitted")
def test_fewer_than_two_classes_keeps_the_warm_start():
    X, y, y_true, clf = _pool(0)
    first = np.flatnonzero(y_true == y_true[0])[:12]
    y[first] = y_true[first]  # 12 labels, one class
    qs = Badge(warm_start_rule="kcenter", warm_start_labels=5)
    with pytest.warns(WarmStartWarning, match="1 class"):
        idx, util = qs.query(X, y, clf, batch_size=3, return_utilities=True)
    unlabeled = np.flatnonzero(np.isnan(y))
    ref, _ = farthest_first(
        np.ones((len(unlabeled), 1)), X[unlabeled], 3, dtype=np.float64
    )
    np.testing.assert_array_equal(idx, unlabeled[ref])
    assert np.isnan(util[:, first]).all()


def test_warning_is_shown_once_per_strategy():
    X, y, _, clf = _pool(3)
    qs = Badge(warm_start_rule="random", warm_start_labels=50, random_state=0)
    with pytest.warns(WarmStartWarning):
        a = qs.query(X, y, clf, batch_size=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", WarmStartWarning)
        b = qs.query(X, y, clf, batch_size=5)
    assert len(set(a.tolist())) == len(set(b.tolist())) == 5


def test_entropy_rule_and_utilities():
    X, y, _, clf = _pool(4)
    qs = Badge(warm_start_rule="entropy", warm_start_labels=50)
    with pytest.warns(WarmStartWarning):
        idx, util = qs.query(X, y, clf, batch_size=3, return_utilities=True)
    proba = clf.fit(X, y).predict_proba(X)
    entropy = -(proba * np.log(np.where(proba > 0, proba, 1.0))).sum(1)
    np.testing.assert_allclose(util[0, 4:], entropy[4:], rtol=1e-9)
    assert idx[0] == 4 + np.argmax(entropy[4:])
    assert np.isnan(util[2, idx[:2]]).all()
