"""The study's cheap baselines: contract, and their rules by brute force."""

import numpy as np
import pytest
from skactiveml.classifier import SklearnClassifier
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skactiveml_badge import (
    ClusterMargin,
    ExpectedGradientLength,
    PowerSampling,
)
from skactiveml_badge.pool._baselines import uncertainty_scores

from ._conformance import QueryStrategyContract, make_pool
from ._reference import explicit_embeddings, random_factors
from .conftest import LookupClassifier


def _lookup(rng, n=40, n_classes=3, n_features=4):
    proba, delta, h = random_factors(rng, n, n_classes, n_features)
    clf = LookupClassifier(proba, h, classes=np.arange(n_classes))
    X = np.arange(n, dtype=float)[:, None]
    return X, np.full(n, np.nan), clf.fit(X, np.zeros(n)), proba, delta, h


def test_uncertainty_scores():
    p = np.array([[0.5, 0.3, 0.2], [1.0, 0.0, 0.0], [0.4, 0.4, 0.2]])
    np.testing.assert_allclose(
        uncertainty_scores(p, "margin"), [0.8, 0.0, 1.0]
    )
    ent = -(p * np.log(np.where(p > 0, p, 1))).sum(1)
    np.testing.assert_allclose(uncertainty_scores(p, "entropy"), ent)
    np.testing.assert_array_equal(
        uncertainty_scores(np.ones((3, 1)), "margin"), 0.0
    )


class CommonParamTests:
    """``missing_label`` and ``random_state``, as every strategy has them."""

    @pytest.mark.parametrize("missing_label", [-1, "none"])
    def test_param_missing_label(self, missing_label):
        X, y, _, clf = make_pool(missing_label)
        idx = self.make(missing_label=missing_label).query(
            X, y, clf, batch_size=2
        )
        assert (y[idx] == missing_label).all()

    def test_param_random_state(self):
        X, y, _, clf = make_pool()
        a = self.make(random_state=0).query(X, y, clf, batch_size=5)
        b = self.make(random_state=0).query(X, y, clf, batch_size=5)
        np.testing.assert_array_equal(a, b)


class TestPowerSampling(CommonParamTests, QueryStrategyContract):
    strategy_class = PowerSampling

    def test_param_method(self):
        X, y, _, clf = make_pool()
        for method in ("margin", "entropy"):
            assert self.make(method=method).query(X, y, clf).shape == (1,)
        with pytest.raises(ValueError, match="method"):
            self.make(method="bald").query(X, y, clf)

    def test_param_beta(self, rng):
        X, y, clf, proba, _, _ = _lookup(rng)
        for beta in (0.5, 1.0, 4.0):
            _, util = self.make(beta=beta, random_state=0).query(
                X, y, clf, fit_clf=False, batch_size=3, return_utilities=True
            )
            w = uncertainty_scores(proba, "margin") ** beta
            np.testing.assert_allclose(util[0], w / w.sum())
        for bad, exc in (
            (0, ValueError),
            (-1.0, ValueError),
            ("2", TypeError),
        ):
            with pytest.raises(exc, match="beta"):
                self.make(beta=bad).query(X, y, clf, fit_clf=False)

    def test_first_pick_follows_score_power(self, rng):
        """Gumbel-top-k's first pick is drawn with probability
        score^beta / sum score^beta (chi-square over 4,000 draws)."""
        from scipy import stats

        X, y, clf, proba, _, _ = _lookup(rng, n=6)
        w = uncertainty_scores(proba, "margin") ** 2
        counts = np.zeros(6)
        for seed in range(4000):
            qs = self.make(beta=2.0, random_state=seed)
            counts[qs.query(X, y, clf, fit_clf=False)[0]] += 1
        p = stats.chisquare(counts, 4000 * w / w.sum()).pvalue
        assert p > 1e-3

    def test_utility_rows_are_the_draw_distributions(self, rng):
        X, y, clf, proba, _, _ = _lookup(rng)
        idx, util = self.make(random_state=1).query(
            X, y, clf, fit_clf=False, batch_size=4, return_utilities=True
        )
        w = uncertainty_scores(proba, "margin")
        for k in range(4):
            free = np.ones(len(w), bool)
            free[idx[:k]] = False
            np.testing.assert_allclose(util[k, free], w[free] / w[free].sum())


class TestClusterMargin(CommonParamTests, QueryStrategyContract):
    strategy_class = ClusterMargin

    def test_param_n_clusters(self):
        X, y, _, clf = make_pool()
        for n_clusters in (None, 1, 5):
            idx = self.make(n_clusters=n_clusters, random_state=0).query(
                X, y, clf, batch_size=4
            )
            assert len(set(idx.tolist())) == 4
        with pytest.raises(ValueError, match="n_clusters"):
            self.make(n_clusters=0).query(X, y, clf)

    def test_param_margin_factor(self):
        X, y, _, clf = make_pool()
        with pytest.raises(ValueError, match="margin_factor"):
            self.make(margin_factor=0.5).query(X, y, clf)
        # factor 1: exactly the batch_size smallest margins.
        proba = clf.fit(X, y).predict_proba(X)
        scores = uncertainty_scores(proba, "margin")
        scores[~np.isnan(y)] = -np.inf
        idx = self.make(margin_factor=1.0, random_state=0).query(
            X, y, clf, batch_size=5
        )
        assert set(idx.tolist()) == set(np.argsort(-scores)[:5].tolist())

    def test_round_robin_over_clusters_smallest_first(self):
        """Two far-apart groups of low-margin samples: the batch
        alternates between them, starting with the smaller group."""
        rng = np.random.RandomState(0)
        X = np.vstack([rng.randn(10, 2), rng.randn(20, 2) + 100.0])
        proba = np.tile([0.5, 0.5], (30, 1))  # every margin is zero
        qs = ClusterMargin(n_clusters=2, random_state=0)
        idx = _query_on_features(qs, X, np.full(30, np.nan), proba)
        groups = (idx >= 10).astype(int)
        assert groups.tolist() == [0, 1, 0, 1, 0, 1]


def _query_on_features(qs, X, y, proba):
    """ClusterMargin on features X with fixed probabilities."""

    class Fixed(LookupClassifier):
        def predict_proba(self, X_):
            rows = [int(np.flatnonzero((X == r).all(1))[0]) for r in X_]
            return self.proba[rows]

    clf = Fixed(proba, classes=[0, 1]).fit(X[:2], [0, 1])
    return qs.query(X, y, clf, fit_clf=False, batch_size=6)


class TestExpectedGradientLength(CommonParamTests, QueryStrategyContract):
    strategy_class = ExpectedGradientLength

    def test_param_clf_embedding_flag_name(self, rng):
        X, y, clf, proba, _, h = _lookup(rng)
        idx, util = self.make(
            clf_embedding_flag_name="return_embeddings"
        ).query(X, y, clf, fit_clf=False, batch_size=3, return_utilities=True)
        np.testing.assert_allclose(util[0], _egl_brute_force(proba, h))
        assert idx.tolist() == np.argsort(-util[0])[:3].tolist()

    def test_param_embedding_layer(self):
        X, y, _, clf = make_pool()
        with pytest.raises(TypeError, match="embedding_layer"):
            self.make(embedding_layer=3).query(X, y, clf)

    def test_param_include_bias(self, rng):
        X, y, clf, proba, _, h = _lookup(rng)
        _, util = self.make(
            clf_embedding_flag_name="return_embeddings", include_bias=True
        ).query(X, y, clf, fit_clf=False, return_utilities=True)
        h1 = np.hstack([h, np.ones((len(h), 1))])
        np.testing.assert_allclose(util[0], _egl_brute_force(proba, h1))

    def test_param_dl_batch_size(self):
        X, y, _, clf = make_pool()
        with pytest.raises(ValueError, match="dl_batch_size"):
            self.make(dl_batch_size=0).query(X, y, clf)

    def test_param_leaf_dim(self):
        X, y, _, clf = make_pool()
        with pytest.raises(ValueError, match="leaf_dim"):
            self.make(leaf_dim=0).query(X, y, clf)

    def test_param_embedding_source(self):
        X, y, _, clf = make_pool()
        proba = clf.fit(X, y).predict_proba(X)
        _, util = self.make(embedding_source="X").query(
            X, y, clf, return_utilities=True
        )
        ref = _egl_brute_force(proba, X)
        ref[~np.isnan(y)] = np.nan
        np.testing.assert_allclose(util[0], ref)


def _egl_brute_force(proba, h):
    """sum_c p_c |grad at label c| on materialised embeddings."""
    out = np.zeros(len(proba))
    for c in range(proba.shape[1]):
        delta = proba - np.eye(proba.shape[1])[c]
        G = explicit_embeddings(delta, h)
        out += proba[:, c] * np.linalg.norm(G, axis=1)
    return out


def test_baselines_in_a_digits_loop():
    X, y_true = load_digits(return_X_y=True)
    X = X / 16.0
    clf = SklearnClassifier(
        LogisticRegression(max_iter=300), classes=np.arange(10)
    )
    for qs in (
        PowerSampling(random_state=0),
        ClusterMargin(random_state=0),
        ExpectedGradientLength(random_state=0),
    ):
        y = np.full(len(X), np.nan)
        y[:20] = y_true[:20]
        for _ in range(2):
            idx = qs.query(X, y, clf, batch_size=10)
            assert np.isnan(y[idx]).all()
            y[idx] = y_true[idx]
        assert (~np.isnan(y)).sum() == 40
