"""ActiveLearningByLearning: the contract, EXP3's bookkeeping, a loop."""

import numpy as np
import pytest
from skactiveml.classifier import ParzenWindowClassifier
from skactiveml.exceptions import MappingError
from skactiveml.pool import RandomSampling, UncertaintySampling
from sklearn.base import clone

from skactiveml_badge import ActiveLearningByLearning, Badge

from ._conformance import QueryStrategyContract, make_pool
from .test_baselines import CommonParamTests


class _FitRaises(ParzenWindowClassifier):
    """A classifier that must not be fitted."""

    def fit(self, X, y, sample_weight=None):
        raise RuntimeError("fit was called")


class TestActiveLearningByLearning(CommonParamTests, QueryStrategyContract):
    strategy_class = ActiveLearningByLearning
    needs_index_candidates = True

    def test_param_strategies(self):
        X, y, _, clf = make_pool()
        arms = [
            ("margin", UncertaintySampling(method="margin_sampling")),
            ("random", RandomSampling()),
        ]
        qs = self.make(strategies=arms, random_state=0)
        idx = qs.query(X, y, clf, batch_size=3)
        assert len(set(idx.tolist())) == 3
        assert len(qs.log_weights_) == 2
        for bad in ([], [UncertaintySampling()], [("a", 3)], "margin"):
            with pytest.raises(TypeError, match="strategies"):
                self.make(strategies=bad).query(X, y, clf)

    def test_param_exploration(self):
        X, y, _, clf = make_pool()
        for bad, exc in ((0, ValueError), (1.5, ValueError), ("x", TypeError)):
            with pytest.raises(exc, match="exploration"):
                self.make(exploration=bad).query(X, y, clf)
        qs = self.make(exploration=1.0, random_state=0)
        qs.query(X, y, clf)
        np.testing.assert_allclose(qs.arm_probabilities(), 1 / 6)

    def test_sample_candidates(self):
        """Candidates given as samples raise scikit-activeml's
        MappingError (as its strategies needing index candidates do, and
        as its template and plot_utilities expect), before any fit."""
        X, y, _, _ = make_pool()
        clf = _FitRaises(classes=[0, 1, 2])
        with pytest.raises(MappingError, match="indices"):
            self.make().query(X, y, clf, candidates=X[20:30])
        with pytest.raises(RuntimeError, match="fit"):  # index candidates
            self.make().query(X, y, clf, candidates=np.arange(20, 30))

    def test_inclusion_probabilities_and_the_drawn_arm(self):
        X, y, _, clf = make_pool()
        arms = [
            ("badge", Badge(random_state=0)),
            ("margin", UncertaintySampling(method="margin_sampling")),
        ]
        qs = self.make(strategies=arms, random_state=1)
        idx, util = qs.query(X, y, clf, batch_size=4, return_utilities=True)
        # Each arm adds its probability to its batch: q sums to the batch
        # size, and the picks are one arm's batch.
        np.testing.assert_allclose(np.nansum(util[0]), 4.0)
        assert qs.history_[0]["arm"] in (0, 1)
        np.testing.assert_array_equal(qs.history_[0]["batch"], idx)


def test_exp3_reward_is_the_accuracy_gain_on_the_next_batch():
    """Round 0's arm is rewarded at round 2 from round 1's batch: the
    importance-weighted accuracy of round 1's model minus round 0's."""
    X, y, y_true, clf = make_pool(n=60, n_labeled=10)
    arms = [
        ("margin", UncertaintySampling(method="margin_sampling")),
        ("random", RandomSampling()),
    ]
    qs = ActiveLearningByLearning(
        strategies=arms, exploration=0.2, random_state=0
    )
    for _ in range(2):
        idx = qs.query(X, y, clf, batch_size=5)
        y[idx] = y_true[idx]
    assert np.all(qs.log_weights_ == 0)  # no reward yet
    h0, h1 = qs.history_
    w = 1 / h1["q"]
    truth = y[h1["batch"]]
    gain = (
        np.sum(w * (h1["pred"][h1["batch"]] == truth))
        - np.sum(w * (h0["pred"][h1["batch"]] == truth))
    ) / w.sum()
    qs.query(X, y, clf, batch_size=5)
    expected = np.zeros(2)
    expected[h0["arm"]] = 0.2 * (gain + 1) / 2 / h0["p"] / 2
    np.testing.assert_allclose(qs.log_weights_, expected)
    # A query whose batch is not labeled is replaced by the next one.
    n = len(qs.history_)
    qs.query(X, y, clf, batch_size=5)
    assert len(qs.history_) == n


def test_new_pool_resets_the_state():
    X, y, _, clf = make_pool()
    qs = ActiveLearningByLearning(random_state=0)
    qs.query(X, y, clf, batch_size=2)
    qs.log_weights_[:] = 1.0
    X2, y2, _, clf2 = make_pool(n=50)
    qs.query(X2, y2, clf2, batch_size=2)
    assert len(qs.history_) == 1 and np.all(qs.log_weights_ == 0)


def _exp3(log_weights, gamma):
    """EXP3's probabilities, written out: (1 - gamma) w / sum w + gamma / K
    with w = exp(log_weights)."""
    w = np.exp(np.asarray(log_weights, dtype=float))
    return (1 - gamma) * w / w.sum() + gamma / len(w)


def test_exp3_probabilities_follow_the_rewards():
    """Exploration below 1, weights moved by real rewards: every round's
    probabilities (and the drawn arm's recorded one) are EXP3's, and the
    arm rewarded more is the more likely one."""
    X, y, y_true, clf = make_pool(n=60, n_labeled=10)
    arms = [
        ("margin", UncertaintySampling(method="margin_sampling")),
        ("random", RandomSampling()),
    ]
    gamma = 0.3
    qs = ActiveLearningByLearning(
        strategies=arms, exploration=gamma, random_state=2
    )
    for _ in range(6):
        idx = qs.query(X, y, clf, batch_size=4)
        y[idx] = y_true[idx]
        p = _exp3(qs.log_weights_, gamma)
        np.testing.assert_allclose(qs.arm_probabilities(), p, rtol=1e-12)
        last = qs.history_[-1]
        np.testing.assert_allclose(last["p"], p[last["arm"]], rtol=1e-12)
    lw = qs.log_weights_
    assert lw[0] > lw[1] + 0.1  # this seed rewards the margin arm more
    p = qs.arm_probabilities()
    assert p[0] > p[1]
    # The same formula at other weights and explorations.
    qs.log_weights_ = np.array([np.log(4.0), 0.0])
    np.testing.assert_allclose(qs.arm_probabilities(0.2), [0.74, 0.26])
    np.testing.assert_allclose(qs.arm_probabilities(1.0), [0.5, 0.5])


def test_inclusion_probabilities_add_up_over_overlapping_arms():
    """Arms whose batches share samples: a sample's q(x) in the utilities
    is the sum of the probabilities of every arm whose batch holds it."""
    X, y, _, clf = make_pool()
    arms = [
        ("margin", UncertaintySampling(method="margin_sampling")),
        ("entropy", UncertaintySampling(method="entropy")),
        ("margin-again", UncertaintySampling(method="margin_sampling")),
    ]
    gamma = 0.5
    qs = ActiveLearningByLearning(
        strategies=arms, exploration=gamma, random_state=0
    )
    qs.query(X, y, clf, batch_size=6)
    qs.log_weights_[:] = [2.0, 0.5, 0.0]  # the unlabeled round is redone
    idx, util = qs.query(X, y, clf, batch_size=6, return_utilities=True)
    p = _exp3([2.0, 0.5, 0.0], gamma)
    np.testing.assert_allclose(qs.arm_probabilities(), p, rtol=1e-12)
    # The arms' batches, by the arms themselves (deterministic).
    fitted = clone(clf).fit(X, y)
    batches = [
        arm.query(X, y, fitted, fit_clf=False, batch_size=6) for _, arm in arms
    ]
    np.testing.assert_array_equal(batches[0], batches[2])
    shared = np.intersect1d(batches[0], batches[1])
    assert 0 < shared.size < 6  # partly overlapping
    q = np.zeros(len(X))
    for pk, b in zip(p, batches, strict=True):
        q[b] += pk
    unlabeled = np.isnan(y)
    np.testing.assert_allclose(util[0, unlabeled], q[unlabeled], rtol=1e-12)
    np.testing.assert_allclose(util[0, shared], 1.0)
    np.testing.assert_allclose(np.nansum(util[0]), 6 * p.sum())
    assert any(np.array_equal(idx, b) for b in batches)


def _few_distinct(n_labeled, seed=0):
    """60 samples, 6 distinct points: TypiClust runs out of clusters."""
    X, y_true = make_pool(n=6, n_labeled=6)[0], np.arange(6) % 3
    X, y_true = np.repeat(X, 10, axis=0), np.repeat(y_true, 10)
    y = np.full(60, np.nan)
    take = np.random.default_rng(seed).permutation(60)[:n_labeled]
    y[take] = y_true[take]
    return X, y


def test_default_typiclust_arm_where_scikit_activeml_fails():
    from skactiveml.pool import TypiClust

    from skactiveml_badge.pool._albl import TypiClustArm

    X, y = _few_distinct(20)
    with pytest.raises(UnboundLocalError):  # 1.0.1: every cluster labeled
        TypiClust(random_state=0).query(X, y, batch_size=5)
    picks = TypiClustArm(random_state=0).query(X, y, batch_size=5)
    assert len(set(picks.tolist())) == 5 and np.isnan(y[picks]).all()
    clf = ParzenWindowClassifier(classes=[0, 1, 2])
    for seed in range(3):
        idx = ActiveLearningByLearning(random_state=seed).query(
            X, y, clf, batch_size=5
        )
        assert len(set(idx.tolist())) == 5 and np.isnan(y[idx]).all()
    # elsewhere the arm is TypiClust with the same seed
    X, y, _, _ = make_pool()
    for seed in range(3):
        np.testing.assert_array_equal(
            TypiClustArm(random_state=seed).query(X, y, batch_size=4),
            TypiClust(random_state=seed).query(X, y, batch_size=4),
        )


def test_an_arm_that_repeats_a_pick_is_mended_with_a_warning():
    from skactiveml_badge import RepeatedPickWarning

    class Repeats:
        def query(self, X, y, candidates=None, batch_size=1):
            return np.repeat(np.asarray(candidates)[:1], batch_size)

    X, y, _, clf = make_pool()
    qs = ActiveLearningByLearning(
        strategies=[("repeats", Repeats())], random_state=0
    )
    with pytest.warns(RepeatedPickWarning, match="'repeats' .*picked 3"):
        idx, util = qs.query(X, y, clf, batch_size=4, return_utilities=True)
    assert len(set(idx.tolist())) == 4 and np.isnan(y[idx]).all()
    assert idx[0] == np.flatnonzero(np.isnan(y))[0]
    np.testing.assert_allclose(np.nansum(util[0]), 4.0)  # q of 4 picks
    again = ActiveLearningByLearning(
        strategies=[("repeats", Repeats())], random_state=0
    )
    with pytest.warns(RepeatedPickWarning):
        np.testing.assert_array_equal(
            again.query(X, y, clf, batch_size=4), idx
        )
