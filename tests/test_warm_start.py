"""Warm start: Badge hands over from a simple rule at the stated count."""

import warnings

import numpy as np
import pytest
import skactiveml.pool
from skactiveml.utils import MISSING_LABEL

from skactiveml_badge import Badge, WarmStartWarning
from skactiveml_badge.selection import farthest_first

from ._conformance import make_pool


def _pool(n_labeled):
    X, y, y_true, clf = make_pool(n_labeled=n_labeled)
    return X, y, y_true, clf


def test_switch_happens_at_the_stated_count():
    qs = Badge(
        warm_start_rule="margin",
        warm_start_labels=10,
        random_state=0,
        preset="paper",
    )
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
    ref = Badge(random_state=0, preset="paper").query(X, y, clf, batch_size=4)
    np.testing.assert_array_equal(got, ref)


@pytest.mark.filterwarnings("ignore:The 'base_estimator' could not be fitted")
def test_fewer_than_two_classes_keeps_the_warm_start():
    X, y, y_true, clf = _pool(0)
    first = np.flatnonzero(y_true == y_true[0])[:12]
    y[first] = y_true[first]  # 12 labels, one class
    qs = Badge(
        warm_start_rule="farthest_first", warm_start_labels=5, preset="paper"
    )
    with pytest.warns(WarmStartWarning, match="1 class"):
        idx, util = qs.query(X, y, clf, batch_size=3, return_utilities=True)
    # "kcenter", the rule's former name, still works, with a FutureWarning
    # at the caller's line.
    old = Badge(warm_start_rule="kcenter", warm_start_labels=5, preset="paper")
    with pytest.warns(FutureWarning, match="farthest_first") as record:
        np.testing.assert_array_equal(old.query(X, y, clf, batch_size=3), idx)
    assert any(r.filename == __file__ for r in record)
    unlabeled = np.flatnonzero(np.isnan(y))
    ref, _ = farthest_first(
        np.ones((len(unlabeled), 1)), X[unlabeled], 3, dtype=np.float64
    )
    np.testing.assert_array_equal(idx, unlabeled[ref])
    assert np.isnan(util[:, first]).all()


def test_warning_is_shown_once_per_strategy():
    X, y, _, clf = _pool(3)
    qs = Badge(
        warm_start_rule="random",
        warm_start_labels=50,
        random_state=0,
        preset="paper",
    )
    with pytest.warns(WarmStartWarning):
        a = qs.query(X, y, clf, batch_size=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", WarmStartWarning)
        b = qs.query(X, y, clf, batch_size=5)
    assert len(set(a.tolist())) == len(set(b.tolist())) == 5


def test_entropy_rule_and_utilities():
    X, y, _, clf = _pool(4)
    qs = Badge(warm_start_rule="entropy", warm_start_labels=50, preset="paper")
    with pytest.warns(WarmStartWarning):
        idx, util = qs.query(X, y, clf, batch_size=3, return_utilities=True)
    proba = clf.fit(X, y).predict_proba(X)
    entropy = -(proba * np.log(np.where(proba > 0, proba, 1.0))).sum(1)
    np.testing.assert_allclose(util[0, 4:], entropy[4:], rtol=1e-9)
    assert idx[0] == 4 + np.argmax(entropy[4:])
    assert np.isnan(util[2, idx[:2]]).all()


# -- TypiClust: scikit-activeml's, on the candidates and labeled samples


@pytest.fixture
def seeds(monkeypatch):
    """The seeds Badge gives scikit-activeml's TypiClust."""
    got = []

    class Recording(skactiveml.pool.TypiClust):
        def __init__(self, **kw):
            got.append(kw["random_state"])
            super().__init__(**kw)

    monkeypatch.setattr(skactiveml.pool, "TypiClust", Recording)
    return got


def _warm(**kw):
    return Badge(warm_start_rule="typiclust", warm_start_labels=100, **kw)


def _query(qs, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WarmStartWarning)
        return qs.query(*args, **kw)


@pytest.mark.parametrize("missing_label", [MISSING_LABEL, -1, "none"])
def test_typiclust_warm_start_is_typiclust(seeds, missing_label):
    X, y, _, clf = make_pool(missing_label, n=90, n_labeled=12)
    idx, util = _query(
        _warm(random_state=4, missing_label=missing_label),
        X, y, clf, batch_size=5, return_utilities=True,
    )  # fmt: skip
    # The reference: TypiClust on the candidates followed by the labeled
    # samples (the first 12), under the seed Badge drew for it.
    order = np.r_[12:90, 0:12]
    ref_idx, ref_util = skactiveml.pool.TypiClust(
        random_state=seeds[0], missing_label=missing_label
    ).query(
        X[order],
        y[order],
        candidates=np.arange(78),
        batch_size=5,
        return_utilities=True,
    )
    np.testing.assert_array_equal(idx, order[ref_idx])
    assert util.shape == (5, 90)
    assert np.isnan(util[:, :12]).all()
    np.testing.assert_array_equal(util[:, 12:], ref_util[:, :78])
    for k in range(1, 5):
        assert np.isnan(util[k, idx[:k]]).all()


def test_typiclust_warm_start_seed_and_return_utilities():
    X, y, _, clf = make_pool(n=90)
    a = _query(_warm(random_state=1), X, y, clf, batch_size=6)
    b, _ = _query(
        _warm(random_state=1), X, y, clf, batch_size=6, return_utilities=True
    )
    np.testing.assert_array_equal(a, b)
    assert len(set(a.tolist())) == 6
    assert set(a.tolist()).isdisjoint(range(10))  # never a labeled sample


def test_typiclust_warm_start_candidates():
    X, y, _, clf = make_pool(n=90)
    cand = np.arange(40, 70)
    idx, util = _query(
        _warm(random_state=0), X, y, clf, candidates=cand, batch_size=4,
        return_utilities=True,
    )  # fmt: skip
    assert set(idx.tolist()) <= set(cand.tolist())
    assert len(set(idx.tolist())) == 4
    outside = np.setdiff1d(np.arange(90), cand)
    assert np.isnan(util[:, outside]).all()
    # Candidates given as samples: positions in them, the same picks.
    pos, util_s = _query(
        _warm(random_state=0), X, y, clf, candidates=X[cand], batch_size=4,
        return_utilities=True,
    )  # fmt: skip
    np.testing.assert_array_equal(cand[pos], idx)
    np.testing.assert_array_equal(util_s, util[:, cand])


def test_typiclust_warm_start_hands_over_to_badge():
    X, y, _, clf = make_pool(n=90)  # 10 labels, 3 classes
    badge = Badge(random_state=0, preset="paper").query(
        X, y, clf, batch_size=3
    )

    def query(per_class):
        return Badge(
            random_state=0,
            warm_start_rule="typiclust",
            warm_start_per_class=per_class,
            preset="paper",
        ).query(X, y, clf, batch_size=3)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = query(3)
    np.testing.assert_array_equal(got, badge)
    with pytest.warns(WarmStartWarning, match="typiclust") as caught:
        warm = query(4)
    assert not np.array_equal(warm, badge)
    assert caught[0].filename == __file__  # the caller's line
    with pytest.warns(WarmStartWarning) as caught:
        Badge(random_state=0).select_batch(clf.fit(X, y), X[10:], X[:5], y[:5])
    assert caught[0].filename == __file__
