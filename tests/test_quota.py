"""Class-balanced selection: quotas and their use by both kernels."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skactiveml_badge import Badge
from skactiveml_badge.embeddings import logit_gradients
from skactiveml_badge.selection._distances import NearestCentreDistances
from skactiveml_badge.selection._kcenter import _farthest_first
from skactiveml_badge.selection._kmeanspp import _kmeans_plusplus
from skactiveml_badge.selection._quota import QuotaTracker, class_quotas

from ._reference import explicit_embeddings, nearest_sq_dist, random_factors


def test_equal_quotas_with_remainder_and_capacity():
    labels = np.array([0] * 10 + [1] * 10 + [2] * 2)
    np.testing.assert_array_equal(class_quotas(labels, 3, 7), [3, 2, 2])
    # Class 2 has 2 candidates only: its surplus goes to the others.
    np.testing.assert_array_equal(class_quotas(labels, 3, 12), [5, 5, 2])
    np.testing.assert_array_equal(
        class_quotas(labels, 3, 10, prior=[0.7, 0.2, 0.1]), [7, 2, 1]
    )
    # A zero prior gets nothing until the others are full.
    np.testing.assert_array_equal(
        class_quotas(labels, 3, 21, prior=[1, 1, 0]), [10, 10, 1]
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 4), min_size=1, max_size=60),
    st.lists(st.floats(0, 5), min_size=5, max_size=5),
    st.data(),
)
def test_quota_properties(labels, prior, data):
    labels = np.array(labels)
    batch = data.draw(st.integers(1, len(labels)))
    prior = None if sum(prior) == 0 else prior
    q = class_quotas(labels, 5, batch, prior)
    available = np.bincount(labels, minlength=5)
    assert q.sum() == batch
    assert (q >= 0).all() and (q <= available).all()
    if prior is not None and (q < available).all():
        # No cap binds: the largest-remainder split of the prior.
        target = batch * np.asarray(prior) / sum(prior)
        assert np.abs(q - target).max() < 1.0


def _balanced(kernel, rng, n=300, batch=30, prior=None):
    proba, delta, h = random_factors(rng, n, 4, 6)
    labels = proba.argmax(1)
    state = NearestCentreDistances(delta, h)
    quotas = class_quotas(labels, 4, batch, prior)
    tracker = QuotaTracker(state, labels, quotas)
    if kernel == "kmeans++":
        idx, util = _kmeans_plusplus(state, batch, rng, True, tracker)
    else:
        idx, util = _farthest_first(state, batch, True, tracker)
    return proba, delta, h, labels, quotas, idx, util


@pytest.mark.parametrize("kernel", ["kmeans++", "farthest_first"])
def test_quotas_hold_exactly(rng, kernel):
    for prior in (None, [0.1, 0.2, 0.3, 0.4]):
        *_, labels, quotas, idx, util = _balanced(kernel, rng, prior=prior)
        np.testing.assert_array_equal(
            np.bincount(labels[idx], minlength=4), quotas
        )
        assert len(set(idx.tolist())) == len(idx)
        if kernel == "kmeans++":
            np.testing.assert_allclose(np.nansum(util, axis=1), 1.0)


def test_farthest_first_order_is_kept_within_quotas(rng):
    _, delta, h, labels, quotas, idx, _ = _balanced("farthest_first", rng)
    G = explicit_embeddings(delta, h)
    left = quotas.copy()
    for k, i in enumerate(idx):
        eligible = left[labels] > 0
        score = (G**2).sum(1) if k == 0 else nearest_sq_dist(G, idx[:k])
        score = np.where(eligible, score, -1.0)
        score[idx[:k]] = -1.0
        assert score[i] == pytest.approx(score.max(), rel=1e-6)
        left[labels[i]] -= 1


def test_badge_class_balance_on_a_pool(lookup_problem):
    X, proba, _, _, clf = lookup_problem
    y = np.full(len(X), np.nan)
    labels = logit_gradients(proba).argmin(1)  # the pseudo-labels
    idx = Badge(
        "return_embeddings",
        class_balance="equal",
        random_state=0,
        preset="paper",
    ).query(X, y, clf, fit_clf=False, batch_size=8)
    counts = np.bincount(labels[idx], minlength=4)
    np.testing.assert_array_equal(counts, class_quotas(labels, 4, 8, None))


@pytest.mark.parametrize("kernel", ["kmeans++", "farthest_first"])
def test_torch_backend_balances_like_numpy(kernel):
    pytest.importorskip("torch")
    from skactiveml_badge.selection._backend import make_state

    rng = np.random.RandomState(3)
    proba, delta, h = random_factors(rng, 200, 4, 6)
    labels = proba.argmax(1)
    quotas = class_quotas(labels, 4, 40, [0.1, 0.2, 0.3, 0.4])
    picks = []
    for backend in ("numpy", "torch"):
        state = make_state(delta, h, backend, np.float64, 64)
        tracker = QuotaTracker(state, labels, quotas)
        if kernel == "kmeans++":
            run = _kmeans_plusplus(
                state, 40, np.random.RandomState(0), False, tracker
            )
        else:
            run = _farthest_first(state, 40, False, tracker)
        picks.append(run[0])
    np.testing.assert_array_equal(picks[0], picks[1])
    np.testing.assert_array_equal(
        np.bincount(labels[picks[1]], minlength=4), quotas
    )


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_quotas_hold_when_all_distances_are_zero(backend):
    # Identical samples: after the first pick every D^2 is zero and the
    # uniform fallback must still respect the quotas.
    if backend == "torch":
        pytest.importorskip("torch")
    from skactiveml_badge.selection._backend import make_state

    labels = np.repeat([0, 1, 2], 10)
    quotas = np.array([1, 4, 2])
    for kernel in ("kmeans++", "farthest_first"):
        state = make_state(
            np.ones((30, 3)), np.ones((30, 2)), backend, np.float64, 8
        )
        tracker = QuotaTracker(state, labels, quotas)
        if kernel == "kmeans++":
            idx, _ = _kmeans_plusplus(
                state, 7, np.random.RandomState(0), False, tracker
            )
        else:
            idx, _ = _farthest_first(state, 7, False, tracker)
        np.testing.assert_array_equal(
            np.bincount(labels[idx], minlength=3), quotas
        )
        assert len(set(idx.tolist())) == 7
