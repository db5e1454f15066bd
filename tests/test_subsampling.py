"""scikit-activeml's SubSamplingWrapper around this package's strategies
(issue 27, item 6: the design's ``use_subset``, not rewritten)."""

import numpy as np
import pytest
from skactiveml.classifier import SklearnClassifier
from skactiveml.pool import SubSamplingWrapper
from sklearn.linear_model import LogisticRegression

from skactiveml_badge import (
    Badge,
    Bait,
    GradientUHerding,
    MaxHerdingThenUHerding,
    TypiClustThenBadge,
)

from .conftest import digits

STRATEGIES = [
    Badge,
    Bait,
    GradientUHerding,
    MaxHerdingThenUHerding,
    TypiClustThenBadge,
]


@pytest.fixture(scope="module")
def pool():
    X, y_true = digits(600)
    y = np.full(len(X), np.nan)
    y[:40] = y_true[:40]
    clf = SklearnClassifier(
        LogisticRegression(max_iter=500), classes=np.arange(10)
    )
    return X, y, clf


def _recording(cls):
    """``cls`` that keeps the candidates its ``query`` was given."""

    class Recording(cls):
        def query(self, X, y, clf, candidates=None, **kw):
            Recording.seen = candidates
            return super().query(X, y, clf, candidates=candidates, **kw)

    return Recording


@pytest.mark.parametrize("cls", STRATEGIES, ids=lambda c: c.__name__)
def test_picks_are_the_strategys_on_the_subsample(pool, cls):
    """Inside the wrapper (``exclude_non_subsample=False``: the same X and
    y, so the same seed) a strategy picks what it picks given the
    sub-sample as index candidates, with the same utility rows."""
    X, y, clf = pool
    inner = _recording(cls)
    qs = SubSamplingWrapper(
        inner(random_state=0), max_candidates=150, random_state=1
    )
    idx, util = qs.query(X, y, clf=clf, batch_size=5, return_utilities=True)
    sub = inner.seen  # in the wrapper's (random) order
    assert sub.size == 150 and np.isnan(y[sub]).all()
    ref_idx, ref_util = cls(random_state=0).query(
        X, y, clf, candidates=sub, batch_size=5, return_utilities=True
    )
    np.testing.assert_array_equal(idx, ref_idx)
    # The wrapper marks the candidates it left out with -inf
    # (scikit-activeml's convention); the rest are the strategy's rows.
    left_out = np.setdiff1d(np.flatnonzero(np.isnan(y)), sub)
    assert np.isneginf(util[:, left_out]).all()
    util[:, left_out] = np.nan
    np.testing.assert_allclose(util, ref_util, rtol=1e-12)
    for k in range(5):
        finite = np.flatnonzero(np.isfinite(util[k]))
        np.testing.assert_array_equal(
            finite, np.setdiff1d(np.sort(sub), idx[:k])
        )


@pytest.mark.parametrize("cls", STRATEGIES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("exclude", [False, True])
def test_candidates_as_indices_and_as_samples(pool, cls, exclude):
    X, y, clf = pool
    qs = SubSamplingWrapper(
        cls(random_state=0), max_candidates=60,
        exclude_non_subsample=exclude, random_state=2,
    )  # fmt: skip
    cand = np.arange(200, 500)
    idx, util = qs.query(
        X, y, clf=clf, candidates=cand, batch_size=4, return_utilities=True
    )
    assert np.isin(idx, cand).all() and len(set(idx.tolist())) == 4
    assert util.shape == (4, len(X))
    assert np.isfinite(util[0]).sum() == 60
    assert np.isin(np.flatnonzero(np.isfinite(util[0])), cand).all()
    idx, util = qs.query(
        X, y, clf=clf, candidates=X[200:500] + 0.01, batch_size=4,
        return_utilities=True,
    )  # fmt: skip
    assert util.shape == (4, 300) and np.isfinite(util[0]).sum() == 60
    assert ((idx >= 0) & (idx < 300)).all() and len(set(idx.tolist())) == 4
