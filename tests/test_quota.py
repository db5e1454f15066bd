"""Class-balanced selection: quotas and their use by both kernels."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skactiveml_badge import Badge
from skactiveml_badge.embeddings import logit_gradients
from skactiveml_badge.selection import farthest_first, kmeans_plusplus
from skactiveml_badge.selection._quota import class_quotas

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


def _kernel(kernel, delta, h, n_picks, labels, balance, rs, **kw):
    """A public kernel with class quotas over ``labels``."""
    if kernel == "kmeans++":
        kw["random_state"] = rs
    fn = kmeans_plusplus if kernel == "kmeans++" else farthest_first
    return fn(
        delta, h, n_picks, class_labels=labels, class_balance=balance, **kw
    )


def _balanced(kernel, rng, n=300, batch=30, prior=None, **kw):
    proba, delta, h = random_factors(rng, n, 4, 6)
    labels = proba.argmax(1)
    quotas = class_quotas(labels, 4, batch, prior)
    balance = "equal" if prior is None else prior
    seed = rng.randint(1000)
    kw = dict(kw, dtype=np.float64)
    idx, util = _kernel(
        kernel, delta, h, batch, labels, balance, seed,
        return_utilities=True, **kw,
    )  # fmt: skip
    # One seed, one batch: the same picks without utilities.
    again, _ = _kernel(kernel, delta, h, batch, labels, balance, seed, **kw)
    np.testing.assert_array_equal(again, idx)
    return proba, delta, h, labels, quotas, idx, util


@pytest.mark.parametrize("kernel", ["kmeans++", "farthest_first"])
@pytest.mark.parametrize("algorithm", ["auto", "plain"])
def test_quotas_hold_exactly(rng, kernel, algorithm):
    for prior in (None, [0.1, 0.2, 0.3, 0.4]):
        *_, labels, quotas, idx, util = _balanced(
            kernel, rng, prior=prior, algorithm=algorithm
        )
        np.testing.assert_array_equal(
            np.bincount(labels[idx], minlength=4), quotas
        )
        assert len(set(idx.tolist())) == len(idx)
        if kernel == "kmeans++":
            np.testing.assert_allclose(np.nansum(util, axis=1), 1.0)


@pytest.mark.parametrize("algorithm", ["auto", "plain"])
def test_farthest_first_order_is_kept_within_quotas(rng, algorithm):
    _, delta, h, labels, quotas, idx, _ = _balanced(
        "farthest_first", rng, algorithm=algorithm
    )
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
        origin_as_centre=False,
    ).query(X, y, clf, fit_clf=False, batch_size=8)
    counts = np.bincount(labels[idx], minlength=4)
    np.testing.assert_array_equal(counts, class_quotas(labels, 4, 8, None))


@pytest.mark.parametrize("kernel", ["kmeans++", "farthest_first"])
@pytest.mark.parametrize("algorithm", ["auto", "plain"])
def test_torch_backend_balances_like_numpy(kernel, algorithm):
    pytest.importorskip("torch")
    rng = np.random.RandomState(3)
    proba, delta, h = random_factors(rng, 200, 4, 6)
    labels = proba.argmax(1)
    prior = [0.1, 0.2, 0.3, 0.4]
    quotas = class_quotas(labels, 4, 40, prior)
    picks = [
        _kernel(kernel, delta, h, 40, labels, prior, 0, backend=backend,
                dtype=np.float64, chunk_size=64, algorithm=algorithm)[0]
        for backend in ("numpy", "torch")
    ]  # fmt: skip
    np.testing.assert_array_equal(picks[0], picks[1])
    np.testing.assert_array_equal(
        np.bincount(labels[picks[1]], minlength=4), quotas
    )


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("algorithm", ["auto", "plain"])
def test_quotas_hold_when_all_distances_are_zero(backend, algorithm):
    # Identical samples: after the first pick every D^2 is zero and the
    # uniform fallback must still respect the quotas.
    if backend == "torch":
        pytest.importorskip("torch")
    labels = np.repeat([0, 1, 2], 10)
    prior = np.array([1, 4, 2])
    for kernel in ("kmeans++", "farthest_first"):
        idx, _ = _kernel(kernel, np.ones((30, 3)), np.ones((30, 2)), 7,
                         labels, prior, 0, backend=backend,
                         dtype=np.float64, chunk_size=8,
                         algorithm=algorithm)  # fmt: skip
        np.testing.assert_array_equal(
            np.bincount(labels[idx], minlength=3), prior
        )
        assert len(set(idx.tolist())) == 7


def _quota_sequence_probabilities(G, labels, quotas):
    """Exact probability of every ordered pick sequence of k-means++ with
    quotas (brute force on the explicit embeddings)."""
    n_picks = int(np.sum(quotas))
    first = int(np.argmax((G**2).sum(1)))
    out = {}

    def walk(seq, prob):
        if len(seq) == n_picks:
            out[tuple(seq)] = prob
            return
        left = np.array(quotas) - np.bincount(
            labels[seq], minlength=len(quotas)
        )
        w = nearest_sq_dist(G, seq) * (left[labels] > 0)
        w[seq] = 0.0
        for i in np.flatnonzero(w > 0):
            walk(seq + [int(i)], prob * w[i] / w.sum())

    walk([first], 1.0)
    return out


@pytest.mark.parametrize("algorithm", ["plain", "lazy"])
def test_kmeans_plusplus_with_quotas_draws_the_exact_distribution(algorithm):
    """Chi-square of ordered pick sequences against the enumerated
    distribution of the quota rule, for both kernels."""
    from scipy import stats

    rng = np.random.RandomState(7)
    _, delta, h = random_factors(rng, 7, 3, 2)
    labels = np.array([0, 0, 0, 1, 1, 1, 1])
    quotas = [1, 2]
    exact = _quota_sequence_probabilities(
        explicit_embeddings(delta, h), labels, quotas
    )
    draws = np.random.RandomState(1)
    counts = {}
    n_runs = 10_000
    for _ in range(n_runs):
        idx, _ = kmeans_plusplus(
            delta, h, 3, random_state=draws, dtype=np.float64,
            algorithm=algorithm, class_labels=labels, class_balance=quotas,
        )  # fmt: skip
        counts[tuple(idx.tolist())] = counts.get(tuple(idx.tolist()), 0) + 1
    assert set(counts) <= set(exact)
    keys = list(exact)
    observed = np.array([counts.get(s, 0) for s in keys])
    expected = np.array([exact[s] for s in keys]) * n_runs
    assert stats.chisquare(observed, expected).pvalue > 1e-3
