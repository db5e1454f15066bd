"""VeSSAL: the sampling probabilities against an explicit covariance, the
labelling rate, reproducibility, stream loops and parameter checks."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from skactiveml.classifier import SklearnClassifier
from skactiveml.utils import MISSING_LABEL
from sklearn.linear_model import LogisticRegression

from skactiveml_badge import VeSSAL
from skactiveml_badge.selection._volume import HORIZON_LABELS

from ._reference import explicit_embeddings, random_factors
from .conftest import LookupClassifier, make_skorch_problem

FLAG = "return_embeddings"


def lookup(n, n_classes, n_dims, seed=0):
    """Candidates (a column of indices), their factors and a classifier
    returning them."""
    proba, delta, h = random_factors(
        np.random.RandomState(seed), n, n_classes, n_dims
    )
    X = np.arange(n, dtype=float)[:, None]
    clf = LookupClassifier(proba, h, classes=np.arange(n_classes))
    return X, delta, h, clf.fit(X, None)


def brute_force(G, taken, budget, lamb, window, learned=None):
    """The labelling probabilities by the explicit (C D) x (C D) matrix
    ``A = lamb I + sum of labelled g g^T`` and ``tr(Sigma_t A^{-1})``.

    ``learned`` (default: all) marks the arrivals the volume learns: the
    others count for the budget only (no term in ``A``, not in the
    window; their probabilities are NaN)."""
    learned = np.ones(len(G), bool) if learned is None else learned
    A = lamb * np.eye(G.shape[1])
    proba, q = np.full(len(G), np.nan), 0
    for t in range(len(G)):
        horizon = min(t + 1, HORIZON_LABELS / budget)
        rate = np.clip(budget + (budget * t - q) / horizon, 0, 1)
        q += int(taken[t])
        if not learned[t]:
            continue
        A_inv = np.linalg.inv(A)
        seen = np.flatnonzero(learned[: t + 1])
        W = G[seen if window is None else seen[-window:]]
        mean = np.trace(W.T @ W @ A_inv) / len(W)
        lev = G[t] @ A_inv @ G[t]
        proba[t] = min(1.0, rate * lev / mean) if mean > 0 else rate
        if taken[t]:
            A += np.outer(G[t], G[t])
    return proba


def run_stream(qs, X, clf, sizes, extra=None):
    """Feed ``X`` in chunks of ``sizes``; return the probabilities and the
    labelled mask. ``extra(start, picks)`` may change the picks passed to
    ``update``."""
    proba, taken, start = [], np.zeros(len(X), dtype=bool), 0
    for size in sizes:
        batch = X[start : start + size]
        picks, util = qs.query(batch, clf, return_utilities=True)
        if extra is not None:
            picks = extra(start, size, picks)
        qs.update(batch, picks)
        proba.append(util)
        taken[start + np.asarray(picks, dtype=int)] = True
        start += size
    return np.concatenate(proba), taken


def chunk_sizes(n, seed):
    sizes, rng = [], np.random.RandomState(seed)
    while sum(sizes) < n:
        sizes.append(min(int(rng.randint(1, 15)), n - sum(sizes)))
    return sizes


class TestBruteForce:
    @pytest.mark.parametrize("window", [None, 7])
    @pytest.mark.parametrize("budget", [0.1, 0.4])
    def test_probabilities_equal_explicit_covariance(self, window, budget):
        X, delta, h, clf = lookup(80, 3, 4)
        qs = VeSSAL(
            budget=budget,
            window=window,
            clf_embedding_flag_name=FLAG,
            random_state=1,
        )
        proba, taken = run_stream(qs, X, clf, chunk_sizes(80, 0))
        assert taken.sum() >= 5
        G = explicit_embeddings(delta, h)
        ref = brute_force(G, taken, budget, 0.01, window)
        np.testing.assert_allclose(proba, ref, rtol=1e-7, atol=1e-12)
        # The state holds (lamb I + G G^T)^{-1} of the labelled samples.
        Gl = G[taken]
        np.testing.assert_allclose(
            qs.k_inv_,
            np.linalg.inv(0.01 * np.eye(len(Gl)) + Gl @ Gl.T),
            rtol=1e-6,
        )
        assert qs.observed_samples_ == 80
        assert qs.queried_samples_ == taken.sum()

    def test_update_with_other_picks(self):
        """``update`` may be told other labels than ``query`` proposed
        (e.g. an oracle declined): the state follows ``update``. One
        sample per call, as query's probabilities within a call assume
        its own picks."""
        X, delta, h, clf = lookup(60, 3, 4, seed=2)
        qs = VeSSAL(
            budget=0.3, window=9, clf_embedding_flag_name=FLAG, lamb=0.1
        )

        def every_third(start, size, picks):
            return [i for i in range(size) if (start + i) % 3 == 0]

        proba, taken = run_stream(qs, X, clf, [1] * 60, extra=every_third)
        G = explicit_embeddings(delta, h)
        ref = brute_force(G, taken, 0.3, 0.1, 9)
        np.testing.assert_allclose(proba, ref, rtol=1e-7, atol=1e-12)

    @settings(max_examples=15, deadline=None)
    @given(seed=st.integers(0, 10**6), window=st.sampled_from([None, 4]))
    def test_chunking_does_not_matter(self, seed, window):
        """One call per sample or any chunks: the same probabilities and
        labels (the candidates of a call are sequential arrivals)."""
        X, _, _, clf = lookup(40, 3, 4, seed=seed % 50)
        runs = [
            run_stream(
                VeSSAL(
                    budget=0.3,
                    window=window,
                    clf_embedding_flag_name=FLAG,
                    random_state=seed,
                ),
                X,
                clf,
                sizes,
            )
            for sizes in ([1] * 40, chunk_sizes(40, seed), [40])
        ]
        for proba, taken in runs[1:]:
            np.testing.assert_allclose(proba, runs[0][0], rtol=1e-9)
            np.testing.assert_array_equal(taken, runs[0][1])


@pytest.mark.parametrize("budget", [0.01, 0.05, 0.2])
def test_labelling_rate_meets_budget(budget):
    n = 5000
    X, _, _, clf = lookup(n, 10, 16, seed=3)
    qs = VeSSAL(
        budget=budget, window=300, clf_embedding_flag_name=FLAG,
        random_state=0,
    )  # fmt: skip
    proba, taken = run_stream(qs, X, clf, [100] * (n // 100))
    rate = taken.mean()
    assert abs(rate / budget - 1) < 0.1, rate
    assert qs.queried_samples_ == taken.sum()
    assert ((proba >= 0) & (proba <= 1)).all()


class TestReproducibility:
    def test_random_state(self):
        X, _, _, clf = lookup(200, 4, 5)

        def run(seed):
            qs = VeSSAL(
                budget=0.1, clf_embedding_flag_name=FLAG, random_state=seed
            )
            return run_stream(qs, X, clf, [25] * 8)

        a, b, c = run(0), run(0), run(1)
        np.testing.assert_array_equal(a[1], b[1])
        np.testing.assert_array_equal(a[0], b[0])
        assert not np.array_equal(a[1], c[1])
        rs = np.random.RandomState(5)
        d = run(rs)
        assert (
            rs.get_state()[1][0] == np.random.RandomState(5).get_state()[1][0]
        )  # the caller's RandomState is copied, not advanced
        assert d[1].sum() > 0

    def test_query_does_not_change_state(self):
        X, _, _, clf = lookup(100, 4, 5)
        qs = VeSSAL(budget=0.2, clf_embedding_flag_name=FLAG, random_state=0)
        qs.update(X[:50], qs.query(X[:50], clf))
        first = qs.query(X[50:], clf, return_utilities=True)
        second = qs.query(X[50:], clf, return_utilities=True)
        np.testing.assert_array_equal(first[0], second[0])
        np.testing.assert_array_equal(first[1], second[1])
        assert qs.observed_samples_ == 50

    def test_a_query_is_undone_by_the_next(self):
        """A query's simulated pass (here longer than the ring) leaves no
        trace: the next query or update sees the committed state."""
        X, _, _, clf = lookup(120, 4, 5)

        def fresh():
            qs = VeSSAL(
                budget=0.3,
                window=5,
                clf_embedding_flag_name=FLAG,
                random_state=0,
            )
            run_stream(qs, X[:60], clf, [7] * 8 + [4])
            return qs

        a, b = fresh(), fresh()
        a.query(X[60:100], clf)
        for qs in (a, b):
            qs.update(X[100:103], [0, 2], clf=clf)
        ref = b.query(X[103:], clf, return_utilities=True)
        got = a.query(X[103:], clf, return_utilities=True)
        np.testing.assert_array_equal(got[0], ref[0])
        np.testing.assert_allclose(got[1], ref[1], rtol=1e-12)


class TestStreamLoops:
    @staticmethod
    def loop(qs, clf, X, y_true, refit_every=100, init=20):
        """scikit-activeml's stream loop: query, label, update, refit."""
        y = np.full(len(X), MISSING_LABEL)
        y[:init] = y_true[:init]
        clf = clf.fit(X[:init], y[:init])
        for t in range(init, len(X), 10):
            batch = X[t : t + 10]
            picks = qs.query(batch, clf)
            y[t + picks] = y_true[t + picks]
            qs.update(batch, picks)
            if (t - init) % refit_every == 0:
                clf = clf.fit(X[: t + 10], y[: t + 10])
        return y

    def test_lightgbm(self):
        lgb = pytest.importorskip("lightgbm")
        from sklearn.datasets import make_classification

        X, y_true = make_classification(
            600, n_features=8, n_informative=5, n_classes=3, random_state=0
        )
        clf = SklearnClassifier(
            lgb.LGBMClassifier(n_estimators=15, num_leaves=8, verbose=-1),
            classes=np.arange(3),
        )
        qs = VeSSAL(budget=0.1, random_state=0)
        y = self.loop(qs, clf, X, y_true)
        n_labeled = np.isfinite(y).sum() - 20
        assert n_labeled == qs.queried_samples_
        assert 0.05 * 580 < n_labeled < 0.2 * 580

    def test_logistic_regression_on_X(self):
        from sklearn.datasets import make_blobs

        X, y_true = make_blobs(400, centers=3, random_state=0)
        clf = SklearnClassifier(LogisticRegression(), classes=np.arange(3))
        qs = VeSSAL(budget=0.1, random_state=0, embedding_source="X")
        y = self.loop(qs, clf, X, y_true)
        assert np.isfinite(y).sum() > 20

    def test_skorch(self):
        X, y, clf = make_skorch_problem(n=200, n_labeled=40)
        qs = VeSSAL(budget=0.2, random_state=0)
        y_true = np.asarray(y)
        y_true[40:] = 0  # not used for the check, only as labels to give
        self.loop(qs, clf, X, y_true, refit_every=1000, init=40)
        assert qs.labeled_h_.shape[1] == 32
        assert qs.observed_samples_ == 160

    def test_fit_clf(self):
        X, y_true = np.random.RandomState(0).randn(60, 2), np.arange(60) % 2
        clf = SklearnClassifier(LogisticRegression(), classes=[0, 1])
        qs = VeSSAL(budget=0.5, random_state=0)
        picks = qs.query(X[40:], clf, X=X[:40], y=y_true[:40], fit_clf=True)
        assert picks.dtype == np.intp
        with pytest.raises(ValueError, match="fit_clf"):
            qs.query(X[40:], clf, fit_clf=True)

    def test_update_embeds_other_candidates_with_clf(self):
        """Samples the last query did not see join the volume when
        ``update`` gets a ``clf``. Without one, ``update`` used to raise a
        ValueError; it now counts them for the budget only, with a
        warning (scikit-activeml's stream loops update before the first
        query; see ``TestBudgetOnlyUpdates``)."""
        X, delta, h, clf = lookup(30, 3, 4)
        qs = VeSSAL(budget=0.2, clf_embedding_flag_name=FLAG)
        with pytest.warns(UserWarning, match="pass `clf`"):
            qs.update(X[:10], [0])
        assert qs.queried_samples_ == 1 and qs.labeled_h_.shape[0] == 0
        qs.update(X[10:20], [3], clf=clf)
        assert qs.queried_samples_ == 2 and qs.budget_only_samples_ == 10
        np.testing.assert_array_equal(qs.labeled_h_, h[[13]])


class TestBudgetOnlyUpdates:
    """``update`` without embeddings (no query of those candidates, no
    ``clf``) counts the samples for the budget only."""

    @pytest.mark.parametrize("window", [None, 4])
    def test_equal_explicit_covariance_with_budget_only_chunks(self, window):
        """Every third chunk is passed to ``update`` alone: the rate counts
        it, ``A`` and the window (a ring, here shorter than the stream)
        do not hold it."""
        X, delta, h, clf = lookup(90, 3, 4, seed=4)
        qs = VeSSAL(
            budget=0.3,
            window=window,
            clf_embedding_flag_name=FLAG,
            random_state=2,
        )
        sizes = chunk_sizes(90, 3)
        proba = np.full(90, np.nan)
        taken = np.zeros(90, dtype=bool)
        learned = np.ones(90, dtype=bool)
        start = 0
        for k, size in enumerate(sizes):
            batch = X[start : start + size]
            if k % 3 == 1:
                picks = np.arange(0, size, 2)  # labelled elsewhere
                with pytest.warns(UserWarning, match="budget only"):
                    qs.update(batch, picks)
                learned[start : start + size] = False
            else:
                picks, util = qs.query(batch, clf, return_utilities=True)
                qs.update(batch, picks)
                proba[start : start + size] = util
            taken[start + picks] = True
            start += size
        assert (~learned).sum() >= 10 and taken[learned].sum() >= 5
        ref = brute_force(
            explicit_embeddings(delta, h), taken, 0.3, 0.01, window, learned
        )
        np.testing.assert_allclose(proba, ref, rtol=1e-7, atol=1e-12)
        assert qs.observed_samples_ == 90
        assert qs.queried_samples_ == taken.sum()
        assert qs.budget_only_samples_ == (~learned).sum()
        np.testing.assert_array_equal(qs.labeled_h_, h[taken & learned])

    @pytest.mark.parametrize("n, k", [(10, 0), (10, 1), (10, 4), (100, 3)])
    def test_first_probability_is_the_rate_of_the_counts(self, n, k):
        """After ``n`` budget-only arrivals with ``k`` labels, the first
        arrival of an empty volume (its leverage is the mean) is labelled
        with the adaptive rate of ``t = n``, ``q = k``."""
        X, _, _, clf = lookup(n + 1, 3, 4)
        qs = VeSSAL(budget=0.1, clf_embedding_flag_name=FLAG)
        with pytest.warns(UserWarning):
            qs.update(X[:n], np.arange(k))
        _, util = qs.query(X[n:], clf, return_utilities=True)
        horizon = min(n + 1, HORIZON_LABELS / 0.1)
        rate = np.clip(0.1 + (0.1 * n - k) / horizon, 0, 1)
        np.testing.assert_allclose(util, [rate])

    def test_random_state_advances_as_with_a_query(self):
        """A budget-only update consumes the draws of its samples, as an
        update after a query does: the labels that follow do not depend
        on how the earlier samples were passed."""
        X, _, _, clf = lookup(40, 3, 4)
        a = VeSSAL(budget=0.3, clf_embedding_flag_name=FLAG, random_state=0)
        b = VeSSAL(budget=0.3, clf_embedding_flag_name=FLAG, random_state=0)
        with pytest.warns(UserWarning):
            a.update(X[:20], [1, 5])
        b.query(X[:20], clf)
        b.update(X[:20], [1, 5])
        np.testing.assert_array_equal(
            a.random_state_.random_sample(3), b.random_state_.random_sample(3)
        )

    def test_a_pending_query_is_undone(self):
        """A query followed by an update of other samples without ``clf``:
        the query's simulated labels leave no trace."""
        X, _, _, clf = lookup(40, 3, 4)
        qs = VeSSAL(budget=0.9, clf_embedding_flag_name=FLAG, random_state=0)
        assert len(qs.query(X[:20], clf)) > 0
        with pytest.warns(UserWarning):
            qs.update(X[20:], [])
        assert qs.observed_samples_ == 20 and qs.queried_samples_ == 0
        assert qs.labeled_h_.shape[0] == 0


class TestParameters:
    X, _, _, clf = lookup(20, 3, 4)

    @pytest.mark.parametrize(
        "params, error, match",
        [
            ({"budget": 1.5}, ValueError, "budget"),
            ({"budget": 0.0}, ValueError, "budget"),
            ({"budget": "a"}, TypeError, "budget"),
            ({"lamb": 0}, ValueError, "lamb"),
            ({"lamb": "a"}, TypeError, "lamb"),
            ({"window": 0}, ValueError, "window"),
            ({"window": 2.5}, TypeError, "window"),
            ({"embedding_source": "z"}, ValueError, "embedding_source"),
            ({"include_bias": 1}, TypeError, "include_bias"),
            ({"dl_batch_size": 0}, ValueError, "dl_batch_size"),
            ({"leaf_dim": "a"}, TypeError, "leaf_dim"),
            ({"embedding_layer": 3}, TypeError, "embedding_layer"),
        ],
    )
    def test_bad_parameters(self, params, error, match):
        qs = VeSSAL(**{"clf_embedding_flag_name": FLAG, **params})
        with pytest.raises(error, match=match):
            qs.query(self.X, self.clf)

    def test_bad_arguments(self):
        qs = VeSSAL(clf_embedding_flag_name=FLAG)
        with pytest.raises(TypeError, match="return_utilities"):
            qs.query(self.X, self.clf, return_utilities=1)
        with pytest.raises(TypeError, match="clf"):
            qs.query(self.X, LogisticRegression())
        picks = qs.query(self.X, self.clf)
        for bad in ([20], [-1], [0.5]):
            with pytest.raises(ValueError, match="queried_indices"):
                qs.update(self.X, bad)
        qs.update(self.X, picks)

    def test_new_embedding_space_starts_a_new_volume(self):
        X, _, _, clf = lookup(40, 3, 4)
        qs = VeSSAL(budget=0.5, clf_embedding_flag_name=FLAG, random_state=0)
        qs.update(X[:20], qs.query(X[:20], clf))
        n_queried = qs.queried_samples_
        assert n_queried > 0
        _, _, _, other = lookup(40, 5, 6)
        picks = qs.query(X[20:], other)
        qs.update(X[20:], picks)
        assert qs.observed_samples_ == 40
        assert qs.queried_samples_ == n_queried + len(picks)
        assert qs.labeled_h_.shape == (len(picks), 6)

    def test_defaults(self):
        qs = VeSSAL()
        assert qs.budget is None and qs.lamb == 0.01
        qs.update(self.X, [], clf=self.clf)  # embeds X: no flag given
        assert qs.budget_ == 0.1
        assert qs.observed_samples_ == 20 and qs.queried_samples_ == 0


@pytest.mark.parametrize(
    "X",
    [
        np.zeros((3, 2)),
        np.ones((2, 3, 4), dtype=np.float32),
        np.asfortranarray(np.arange(6.0).reshape(3, 2)),
        np.arange(6.0).reshape(3, 2)[:, ::2],  # not contiguous
        [[1.0, 2.0]],
        np.ones((2, 2), dtype=np.float16),
        np.ones((2, 2), dtype=int),
    ],
)
def test_check_samples_equals_check_array(X):
    """The fast path of the stream's input check returns what
    scikit-learn's check_array returns."""
    from sklearn.utils import check_array

    from skactiveml_badge._validation import check_samples

    got = check_samples(X, "candidates")
    expected = check_array(X, allow_nd=True, input_name="candidates")
    assert type(got) is type(expected) and got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    if isinstance(X, np.ndarray) and X.dtype in (np.float32, np.float64):
        assert got is X  # no copy, as check_array


@pytest.mark.parametrize(
    "X, match",
    [
        (np.array([[1.0, np.nan]]), "NaN"),
        (np.array([[np.inf, 1.0]]), "infinity"),
        (np.zeros((0, 3)), "0 sample"),
        (np.zeros((2, 0)), "0 feature"),
        (np.zeros(3), "2D"),
    ],
)
def test_check_samples_rejects_what_check_array_rejects(X, match):
    from skactiveml_badge._validation import check_samples

    with pytest.raises(ValueError, match=match):
        check_samples(X, "candidates")
