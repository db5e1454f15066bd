"""TypiClustThenBadge: the study's recipe under its own name.

It makes the picks ``Badge()`` made before issue 23 (recorded cases), hands
over from its warm-start rule at the stated count, keeps scikit-activeml's
query contract (finite utilities included), and passes every shared
parameter on to BADGE unchanged.
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import skactiveml.pool
from skactiveml.classifier import SklearnClassifier
from skactiveml.utils import MISSING_LABEL
from sklearn.linear_model import LogisticRegression

from skactiveml_badge import Badge, TypiClustThenBadge, WarmStartWarning
from skactiveml_badge.pool._switch import model_family
from skactiveml_badge.selection import farthest_first

from ._conformance import QueryStrategyContract, make_pool
from .recipe_cases import MODELS, cases, run_cases
from .test_badge import BadgeParamTests

RECORDED = Path(__file__).parent / "data" / "recipe_picks.json"

# Pools with no label or one class: scikit-activeml's wrapper says that it
# predicts label frequencies, as it should.
pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'base_estimator' could not"),
    pytest.mark.filterwarnings("ignore:Since the 'base_estimator' could"),
]


@pytest.mark.parametrize("model", MODELS)
def test_picks_equal_badge_default_before_the_split(model):
    """The recorded picks of ``Badge()`` at a7bc4b8 (the recipe was its
    default), on every model family, both sides of the switch, query,
    candidates, select_batch and loops (see ``recipe_cases.py``; three
    LightGBM cases recorded again when their kernel changed)."""
    needs = {"lightgbm": ["lightgbm"], "skorch": ["torch", "skorch"]}
    for module in needs.get(model, []):
        pytest.importorskip(module)
    expected = json.loads(RECORDED.read_text())
    names = {name for name in expected if f"/{model}/" in name}
    assert names
    got = run_cases(TypiClustThenBadge, names)
    differ = [name for name in names if got[name] != expected[name]]
    assert not differ, differ


def test_recorded_cases_are_all_checked():
    expected = json.loads(RECORDED.read_text())
    assert all(any(f"/{m}/" in name for m in MODELS) for name in expected)
    assert {name for name, _ in cases()} == set(expected)


def _pool(n_labeled):
    return make_pool(n_labeled=n_labeled)


def _recipe(**kw):
    return TypiClustThenBadge(**({"random_state": 0} | kw))


# -- the switch


def test_switch_happens_at_the_stated_count():
    qs = _recipe(
        warm_start_rule="margin", warm_start_labels=10, warm_start_per_class=0
    )
    X, y, _, clf = _pool(9)
    warm = qs.query(X, y, clf, batch_size=4)
    assert qs.picked_by_ == "margin"
    proba = clf.fit(X, y).predict_proba(X)
    top2 = -np.sort(-proba, axis=1)[:, :2]
    margin = top2[:, 0] - top2[:, 1]
    margin[:9] = np.inf  # labeled
    np.testing.assert_array_equal(warm, np.argsort(margin, kind="stable")[:4])
    X, y, _, clf = _pool(10)
    got = qs.query(X, y, clf, batch_size=4)
    assert qs.picked_by_ == "badge"
    # tree_embedding only matters for trees: Badge's defaults otherwise.
    ref = Badge(random_state=0).query(X, y, clf, batch_size=4)
    np.testing.assert_array_equal(got, ref)


def test_fewer_than_two_classes_keeps_the_warm_start():
    X, y, y_true, clf = _pool(0)
    first = np.flatnonzero(y_true == y_true[0])[:12]
    y[first] = y_true[first]  # 12 labels, one class
    qs = _recipe(warm_start_rule="farthest_first", warm_start_per_class=0)
    idx, util = qs.query(X, y, clf, batch_size=3, return_utilities=True)
    assert qs.picked_by_ == "farthest_first"
    unlabeled = np.flatnonzero(np.isnan(y))
    ref, _ = farthest_first(
        np.ones((len(unlabeled), 1)), X[unlabeled], 3, dtype=np.float64
    )
    np.testing.assert_array_equal(idx, unlabeled[ref])
    assert np.isnan(util[:, first]).all()


def test_per_class_threshold_counts_the_declared_classes():
    X, y, _, clf = _pool(10)  # 10 labels of 3 classes
    for per_class, rule in ((3, "badge"), (4, "random")):
        qs = _recipe(warm_start_rule="random", warm_start_per_class=per_class)
        qs.query(X, y, clf, batch_size=2)
        assert qs.picked_by_ == rule, per_class
    # "auto": 20 per class for a logistic regression (3 x 20 > 10).
    qs = _recipe()
    qs.query(X, y, clf, batch_size=2)
    assert qs.picked_by_ == "typiclust"


def test_no_warning_from_the_recipe():
    """The warm start is the recipe's documented behaviour: it says so in
    ``picked_by_``, not in a warning."""
    X, y, _, clf = _pool(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for rule in ("typiclust", "random", "margin"):
            qs = _recipe(warm_start_rule=rule)
            assert len(qs.query(X, y, clf, batch_size=5)) == 5
            assert qs.picked_by_ == rule


def test_entropy_rule_and_utilities():
    X, y, _, clf = _pool(4)
    qs = _recipe(warm_start_rule="entropy", warm_start_labels=50)
    idx, util = qs.query(X, y, clf, batch_size=3, return_utilities=True)
    proba = clf.fit(X, y).predict_proba(X)
    entropy = -(proba * np.log(np.where(proba > 0, proba, 1.0))).sum(1)
    np.testing.assert_allclose(util[0, 4:], entropy[4:], rtol=1e-9)
    assert idx[0] == 4 + np.argmax(entropy[4:])
    assert np.isnan(util[2, idx[:2]]).all()


def test_model_families_and_their_switch():
    from sklearn.neural_network import MLPClassifier

    logreg = SklearnClassifier(LogisticRegression(), classes=np.arange(3))
    assert model_family(logreg) == "other"
    assert model_family(LogisticRegression()) == "other"
    assert model_family(MLPClassifier()) == "nets"
    assert model_family(SklearnClassifier(MLPClassifier())) == "nets"
    # 30 labels of 3 classes: BADGE for a net (5 per class), TypiClust
    # for a logistic regression (20 per class).
    X, y, _, _ = make_pool(n=90, n_labeled=30)
    mlp = SklearnClassifier(
        MLPClassifier((8,), max_iter=50, random_state=0), classes=[0, 1, 2]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for clf, rule in ((mlp, "badge"), (logreg, "typiclust")):
            qs = _recipe()
            qs.query(X, y, clf, batch_size=2)
            assert qs.picked_by_ == rule


# -- TypiClust: scikit-activeml's, on the candidates and labeled samples


@pytest.fixture
def seeds(monkeypatch):
    """The seeds the recipe gives scikit-activeml's TypiClust."""
    got = []

    class Recording(skactiveml.pool.TypiClust):
        def __init__(self, **kw):
            got.append(kw["random_state"])
            super().__init__(**kw)

    monkeypatch.setattr(skactiveml.pool, "TypiClust", Recording)
    return got


def _warm(**kw):
    return TypiClustThenBadge(warm_start_labels=100, **kw)


@pytest.mark.parametrize("missing_label", [MISSING_LABEL, -1, "none"])
def test_typiclust_warm_start_is_typiclust(seeds, missing_label):
    X, y, _, clf = make_pool(missing_label, n=90, n_labeled=12)
    idx, util = _warm(random_state=4, missing_label=missing_label).query(
        X, y, clf, batch_size=5, return_utilities=True
    )
    # The reference: TypiClust on the candidates followed by the labeled
    # samples (the first 12), under the seed the recipe drew for it.
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
    # Its rows, with 0 where scikit-activeml has -inf (outside the
    # cluster a pick came from); finite everywhere else.
    ref = ref_util[:, :78]
    assert np.isneginf(ref).any()
    np.testing.assert_array_equal(util[:, 12:], np.where(ref < 0, 0.0, ref))
    for k in range(5):
        assert np.isnan(util[k, idx[:k]]).all()
        rest = np.setdiff1d(np.arange(12, 90), idx[:k])
        assert np.isfinite(util[k, rest]).all()
        assert util[k, idx[k]] == np.nanmax(util[k])


def test_maxherding_warm_start_is_maxherding(monkeypatch):
    """``warm_start_rule="maxherding"``: scikit-activeml's MaxHerding on
    the candidates followed by the labeled samples, under the seed the
    recipe drew, its rows over the candidates."""
    seeds = []

    class Recording(skactiveml.pool.MaxHerding):
        def __init__(self, **kw):
            seeds.append(kw["random_state"])
            super().__init__(**kw)

    monkeypatch.setattr(skactiveml.pool, "MaxHerding", Recording)
    X, y, _, clf = make_pool(n=90, n_labeled=12)
    qs = _warm(random_state=4, warm_start_rule="maxherding")
    idx, util = qs.query(X, y, clf, batch_size=5, return_utilities=True)
    assert qs.picked_by_ == "maxherding"
    order = np.r_[12:90, 0:12]
    ref_idx, ref_util = skactiveml.pool.MaxHerding(
        random_state=seeds[0]
    ).query(
        X[order], y[order], candidates=np.arange(78), batch_size=5,
        return_utilities=True,
    )  # fmt: skip
    np.testing.assert_array_equal(idx, order[ref_idx])
    assert np.isnan(util[:, :12]).all()
    np.testing.assert_allclose(util[:, 12:], ref_util[:, :78])
    for k in range(5):
        assert np.isnan(util[k, idx[:k]]).all()
        assert util[k, idx[k]] == np.nanmax(util[k])


def test_typiclust_warm_start_seed_and_return_utilities():
    X, y, _, clf = make_pool(n=90)
    a = _warm(random_state=1).query(X, y, clf, batch_size=6)
    b, _ = _warm(random_state=1).query(
        X, y, clf, batch_size=6, return_utilities=True
    )
    np.testing.assert_array_equal(a, b)
    assert len(set(a.tolist())) == 6
    assert set(a.tolist()).isdisjoint(range(10))  # never a labeled sample


def test_typiclust_warm_start_candidates():
    X, y, _, clf = make_pool(n=90)
    cand = np.arange(40, 70)
    idx, util = _warm(random_state=0).query(
        X, y, clf, candidates=cand, batch_size=4, return_utilities=True
    )
    assert set(idx.tolist()) <= set(cand.tolist())
    assert len(set(idx.tolist())) == 4
    outside = np.setdiff1d(np.arange(90), cand)
    assert np.isnan(util[:, outside]).all()
    # Candidates given as samples: positions in them, the same picks.
    pos, util_s = _warm(random_state=0).query(
        X, y, clf, candidates=X[cand], batch_size=4, return_utilities=True
    )
    np.testing.assert_array_equal(cand[pos], idx)
    np.testing.assert_array_equal(util_s, util[:, cand])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("n_labeled", [0, 2])
def test_identical_samples_give_distinct_picks(n_labeled):
    """scikit-activeml 1.0.1's TypiClust repeats picks on such a pool (no
    labels) or fails with an UnboundLocalError (every cluster labeled):
    the rest of the batch is drawn uniformly, with rows of ones."""
    X = np.ones((50, 2))
    y = np.full(50, np.nan)
    y[:n_labeled] = [0, 1][:n_labeled]
    clf = SklearnClassifier(LogisticRegression(), classes=[0, 1])
    for seed in range(5):
        qs = _recipe(random_state=seed)
        idx, util = qs.query(X, y, clf, batch_size=10, return_utilities=True)
        assert qs.picked_by_ == "typiclust"
        assert len(set(idx.tolist())) == 10
        assert set(idx.tolist()).isdisjoint(range(n_labeled))
        for k in range(10):
            free = np.setdiff1d(np.arange(n_labeled, 50), idx[:k])
            assert np.isfinite(util[k, free]).all()
            assert np.isnan(util[k, idx[:k]]).all()
        assert (util[-1][~np.isnan(util[-1])] == 1).all()
        again = _recipe(random_state=seed).query(X, y, clf, batch_size=10)
        np.testing.assert_array_equal(again, idx)


def test_typiclust_hands_over_to_badge_and_select_batch():
    X, y, _, clf = make_pool(n=90)  # 10 labels, 3 classes
    kw = dict(random_state=0, warm_start_rule="typiclust")
    badge = Badge(random_state=0).query(X, y, clf, batch_size=3)
    got = TypiClustThenBadge(**kw, warm_start_per_class=3).query(
        X, y, clf, batch_size=3
    )
    np.testing.assert_array_equal(got, badge)
    qs = TypiClustThenBadge(**kw, warm_start_per_class=4)
    warm = qs.query(X, y, clf, batch_size=3)
    assert qs.picked_by_ == "typiclust"
    assert not np.array_equal(warm, badge)
    fitted = clf.fit(X, y)
    qs.select_batch(fitted, X[10:], X[:5], y[:5])
    assert qs.picked_by_ == "typiclust"


def test_settings_the_model_cannot_serve_fail_during_the_warm_start():
    """BADGE's own checks run while TypiClust picks: an embedding layer
    the net lacks, a flag ``predict_proba`` refuses, probabilities with
    NaN."""
    from .conftest import make_skorch_problem

    X, y, clf = make_skorch_problem()
    warm = dict(warm_start_labels=10_000, random_state=0)
    with pytest.raises(ValueError, match="nope"):
        TypiClustThenBadge(embedding_layer="nope", **warm).query(
            X, y, clf, fit_clf=False, batch_size=2
        )
    Xp, yp, _, lr = make_pool()
    with pytest.raises(TypeError):
        TypiClustThenBadge("not_a_flag", **warm).query(
            Xp, yp, lr, batch_size=2
        )

    class NaNProba(SklearnClassifier):
        def predict_proba(self, X):
            return np.full((len(X), 3), np.nan)

    nan_clf = NaNProba(LogisticRegression(), classes=[0, 1, 2])
    with pytest.raises(ValueError, match="non-finite probabilities"):
        TypiClustThenBadge(**warm).query(Xp, yp, nan_clf, batch_size=2)
    qs = TypiClustThenBadge(**warm)
    qs.query(Xp, yp, lr, batch_size=2)  # a model it can serve: no error
    assert qs.picked_by_ == "typiclust"


# -- pools on disk


def test_pool_on_disk_refuses_typiclust_before_fitting(tmp_path):
    X, y, _, clf = make_pool(n=90)
    path = tmp_path / "pool.npy"
    np.save(path, X)
    pool = np.load(path, mmap_mode="r")

    class NoFit(SklearnClassifier):
        def fit(self, *args, **kwargs):
            raise AssertionError("fitted before the check")

    no_fit = NoFit(LogisticRegression(), classes=[0, 1, 2])
    with pytest.raises(ValueError, match="warm_start_rule='typiclust'"):
        _recipe().query(pool, y, no_fit, batch_size=3)
    with pytest.raises(ValueError, match="warm_start_rule='maxherding'"):
        _recipe(warm_start_rule="maxherding").query(
            pool, y, no_fit, batch_size=3
        )
    with pytest.raises(ValueError, match="needs the pool in memory"):
        _recipe().select_batch(no_fit, pool, batch_size=3)
    # Past the switch, or with a rule a chunked pool serves: the same
    # picks as in memory.
    for kw in (
        {"warm_start_per_class": 3},
        {"warm_start_rule": "random"},
        {"warm_start_rule": "margin"},
    ):
        on_disk = _recipe(**kw).query(pool, y, clf, batch_size=3)
        in_memory = _recipe(**kw).query(X, y, clf, batch_size=3)
        np.testing.assert_array_equal(on_disk, in_memory)


# -- the contract; shared parameters go to BADGE unchanged

SHARED = {
    "clf_embedding_flag_name": None,
    "selection": "farthest_first",
    "origin_as_centre": False,
    "dtype": np.float64,
    "chunk_size": 7,
    "embedding_layer": None,
    "include_bias": True,
    "dl_batch_size": 16,
    "backend": "numpy",
    "leaf_dim": 8,
    "embedding_source": "X",
    "class_balance": "equal",
    "algorithm": "plain",
    "storage_dtype": None,
    "tree_embedding": "proximity",
    "mc_dropout": 0,
    "metric": "cosine",
    "reduction": "random",
    "n_components": 1,
}


def _passes_on(name, value):
    """A test that ``name=value`` reaches the strategy after the switch
    (``after_class``) unchanged: the same picks and rows past it."""

    def test(self):
        X, y, _, clf = make_pool(n=90, n_labeled=75)  # past the switch
        kw = {name: value, "random_state": 3}
        got = self.make(**kw).query(
            X, y, clf, batch_size=4, return_utilities=True
        )
        ref = self.after_class(**kw).query(
            X, y, clf, batch_size=4, return_utilities=True
        )
        np.testing.assert_array_equal(got[0], ref[0])
        np.testing.assert_allclose(got[1], ref[1])

    test.__name__ = f"test_param_{name}"
    return test


class SwitchContract(QueryStrategyContract):
    """The contract of a recipe with a warm start: its own parameters
    here, the shared ones (``shared``: name to a value that is not the
    default) passed on to ``after_class``."""

    after_class = None
    default_params: dict = {}

    test_param_missing_label = BadgeParamTests.test_param_missing_label

    def test_param_random_state(self):
        X, y, _, clf = make_pool()
        with pytest.raises(ValueError):
            self.make(random_state="seed").query(X, y, clf)
        a = self.make(random_state=2).query(X, y, clf, batch_size=4)
        b = self.make(random_state=2).query(X, y, clf, batch_size=4)
        np.testing.assert_array_equal(a, b)

    def test_param_warm_start_rule(self):
        X, y, _, clf = make_pool()
        with pytest.raises(ValueError, match="warm_start_rule"):
            self.make(warm_start_rule="coreset").query(X, y, clf)
        with pytest.raises(ValueError, match="warm_start_rule"):
            self.make(warm_start_rule=None).query(X, y, clf)
        qs = self.make(warm_start_rule="margin")
        qs.query(X, y, clf, batch_size=2)
        assert qs.picked_by_ == "margin"

    def test_param_warm_start_labels(self):
        X, y, _, clf = make_pool()
        for bad, exc in ((-1, ValueError), (2.0, TypeError)):
            with pytest.raises(exc, match="warm_start_labels"):
                self.make(warm_start_labels=bad).query(X, y, clf)
        qs = self.make(warm_start_per_class=0, warm_start_labels=11)
        qs.query(X, y, clf, batch_size=2)
        assert qs.picked_by_ == qs.warm_start_rule
        qs = self.make(warm_start_per_class=0, warm_start_labels=10)
        qs.query(X, y, clf, batch_size=2)
        assert qs.picked_by_ == qs._after_switch

    def test_param_warm_start_per_class(self):
        X, y, _, clf = make_pool()
        for bad, exc in ((-1, ValueError), (2.0, TypeError), ("x", TypeError)):
            with pytest.raises(exc, match="warm_start_per_class"):
                self.make(warm_start_per_class=bad).query(X, y, clf)

    def test_param_warm_start_until(self):
        X, y, _, clf = make_pool()
        for bad in ("count", None):
            with pytest.raises(ValueError, match="warm_start_until"):
                self.make(warm_start_until=bad).query(X, y, clf)
        # Past the count's switch, "stable" still warm-starts first ...
        Xm, ym, _, clfm = make_pool(n=90, n_labeled=75)
        qs = self.make(warm_start_until="stable", random_state=0)
        qs.query(Xm, ym, clfm, batch_size=2)
        assert qs.picked_by_ == qs.warm_start_rule and qs.agreement_ is None
        # ... then the same labels give the same model: agreement 1
        qs.query(Xm, ym, clfm, batch_size=2)
        assert qs.agreement_ == 1.0 and qs.switched_
        assert qs.picked_by_ == qs._after_switch
        # and stays past it; a pool of another size starts over
        qs.query(Xm, ym, clfm, batch_size=2)
        assert qs.picked_by_ == qs._after_switch
        qs.query(X, y, clf, batch_size=2)
        assert qs.picked_by_ == qs.warm_start_rule and not qs.switched_
        # one labeled class: never stable (the model predicts one class)
        one = np.where(np.arange(len(ym)) < 5, 0.0, np.nan)
        qs = self.make(warm_start_until="stable")
        for _ in range(3):
            qs.query(Xm, one, clfm, batch_size=2)
            assert qs.picked_by_ == qs.warm_start_rule
        assert qs.agreement_ == 1.0 and not qs.switched_
        # select_batch is refused before the model is fitted
        from sklearn.linear_model import LogisticRegression

        with pytest.raises(ValueError, match="warm_start_until='stable'"):
            self.make(warm_start_until="stable").select_batch(
                LogisticRegression(), X[10:], X[:10], y[:10]
            )

    def test_param_stable_share(self):
        X, y_part, y_true, clf = make_pool(n=90, n_labeled=30)
        for bad, exc in ((0, ValueError), (1.5, ValueError), ("x", TypeError)):
            with pytest.raises(exc, match="stable_share"):
                self.make(stable_share=bad).query(X, y_part, clf)
        y_more = y_true.astype(float)
        y_more[60:] = np.nan  # more labels: another model
        qs = self.make(warm_start_until="stable", random_state=0)
        qs.query(X, y_part, clf)
        qs.query(X, y_more, clf)
        agreement = qs.agreement_
        assert 0 < agreement <= 1
        for share, switched in ((agreement, True), (agreement + 1e-9, False)):
            if share > 1:
                continue
            qs = self.make(
                warm_start_until="stable", stable_share=share, random_state=0
            )
            qs.query(X, y_part, clf)
            qs.query(X, y_more, clf)
            assert qs.switched_ is switched


class TestRecipeContract(SwitchContract):
    strategy_class = TypiClustThenBadge
    after_class = Badge

    for _name, _value in SHARED.items():
        locals()[f"test_param_{_name}"] = _passes_on(_name, _value)
    del _name, _value


def test_badge_never_warm_starts():
    """``Badge()`` is BADGE from the first query: no warm-start warning,
    rows that sum to one, from no labels on."""
    X, y, _, clf = make_pool(n_labeled=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", WarmStartWarning)
        idx, util = Badge(random_state=0).query(
            X, y, clf, batch_size=5, return_utilities=True
        )
    np.testing.assert_allclose(np.nansum(util, axis=1), 1.0, rtol=1e-6)
    assert np.isfinite(util[~np.isnan(util)]).all()
