"""The scikit-activeml query contract, as a test mixin for every strategy.

scikit-activeml's own template tests are not shipped in its wheel; this
mixin covers the same contract. A subclass sets ``strategy_class`` and
``default_params`` and must define ``test_param_<name>`` for every
constructor parameter (enforced by ``test_every_param_has_a_test``).
``test_template_suite.py`` runs the template's checks themselves, on its
data, for Badge and Bait.
"""

import inspect

import numpy as np
import pytest
from skactiveml.classifier import ParzenWindowClassifier, SklearnClassifier
from skactiveml.exceptions import MappingError
from skactiveml.utils import MISSING_LABEL, is_unlabeled
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression


def make_pool(missing_label=MISSING_LABEL, n=80, n_labeled=10, seed=0):
    X, y_true = make_blobs(n, centers=3, n_features=2, random_state=seed)
    if isinstance(missing_label, str):
        y_true = np.array(["a", "b", "c"])[y_true]
        y = y_true.astype("<U8")
    else:
        y = y_true.astype(float if missing_label is MISSING_LABEL else int)
    y[n_labeled:] = missing_label
    classes = np.unique(y_true)
    clf = SklearnClassifier(
        LogisticRegression(), classes=classes, missing_label=missing_label
    )
    return X, y, y_true, clf


class QueryStrategyContract:
    strategy_class = None
    default_params: dict = {}
    #: Refuses candidates given as samples (scikit-activeml's MappingError).
    needs_index_candidates = False

    def make(self, **params):
        return self.strategy_class(**(self.default_params | params))

    def test_every_param_has_a_test(self):
        params = inspect.signature(self.strategy_class.__init__).parameters
        missing = [
            name
            for name in params
            if name != "self" and not hasattr(self, f"test_param_{name}")
        ]
        assert not missing, f"no test_param_<name> for {missing}"

    def test_init_only_stores_params(self):
        qs = self.make(random_state=0)
        for name, value in qs.get_params().items():
            assert getattr(qs, name) is value
        assert not [a for a in vars(qs) if a.endswith("_")]

    @pytest.mark.parametrize("batch_size", [1, 3, 7])
    def test_query_returns_valid_indices_and_utilities(self, batch_size):
        X, y, _, clf = make_pool()
        idx, util = self.make(random_state=0).query(
            X, y, clf, batch_size=batch_size, return_utilities=True
        )
        assert isinstance(idx, np.ndarray)
        assert np.issubdtype(idx.dtype, np.integer)
        assert idx.shape == (batch_size,)
        assert len(set(idx.tolist())) == batch_size
        assert is_unlabeled(y[idx]).all()
        assert util.shape == (batch_size, len(X))
        assert np.isnan(util[:, ~is_unlabeled(y)]).all()
        for k, i in enumerate(idx):
            assert not np.isnan(util[k, i])
            assert np.isnan(util[k, idx[:k]]).all()
        assert self.make().query(X, y, clf).shape == (1,)

    # No labels (or one class): scikit-activeml's wrapper says it predicts
    # label frequencies, as it should.
    @pytest.mark.filterwarnings("ignore:The 'base_estimator' could not")
    @pytest.mark.filterwarnings("ignore:Since the 'base_estimator' could")
    @pytest.mark.parametrize("n_labeled", [0, 3, 10])
    def test_utilities_are_finite_where_the_contract_has_no_nan(
        self, n_labeled
    ):
        """NaN exactly at labeled samples, non-candidates and earlier
        picks; every other utility finite (no ``inf``, no ``-inf``), from
        a cold start to a warm model."""
        X, y, _, clf = make_pool(n_labeled=n_labeled)
        cand = np.flatnonzero(is_unlabeled(y))[::2]
        for candidates in (None, cand, X[cand] + 0.05):
            if candidates is not None and candidates.ndim == 2:
                if self.needs_index_candidates:
                    with pytest.raises(MappingError):
                        self.make().query(X, y, clf, candidates=candidates)
                    continue
            idx, util = self.make(random_state=0).query(
                X, y, clf, candidates=candidates, batch_size=5,
                return_utilities=True,
            )  # fmt: skip
            if candidates is None:
                allowed = is_unlabeled(y)
            elif candidates.ndim == 1:
                allowed = np.isin(np.arange(len(X)), cand)
            else:
                allowed = np.ones(len(candidates), dtype=bool)
            for k in range(len(idx)):
                expected = allowed.copy()
                expected[idx[:k]] = False
                assert np.array_equal(~np.isnan(util[k]), expected), k
                assert np.isfinite(util[k, expected]).all(), k

    def test_index_candidates(self):
        X, y, _, clf = make_pool()
        cand = np.array([40, 12, 33, 70, 15])
        idx, util = self.make(random_state=0).query(
            X, y, clf, candidates=cand, batch_size=3, return_utilities=True
        )
        assert set(idx.tolist()) <= set(cand.tolist())
        outside = np.setdiff1d(np.arange(len(X)), cand)
        assert np.isnan(util[:, outside]).all()
        assert util.shape == (3, len(X))

    def test_sample_candidates(self):
        X, y, _, clf = make_pool()
        X_cand = X[20:35] + 0.1
        idx, util = self.make(random_state=0).query(
            X, y, clf, candidates=X_cand, batch_size=4, return_utilities=True
        )
        assert idx.max() < len(X_cand)
        assert util.shape == (4, len(X_cand))
        assert np.isnan(util[np.arange(1, 4), idx[:3]]).all()

    def test_batch_size_larger_than_pool_warns_and_shrinks(self):
        X, y, _, clf = make_pool()
        with pytest.warns(UserWarning, match="batch_size"):
            idx = self.make(random_state=0).query(
                X, y, clf, candidates=[20, 30, 40], batch_size=5
            )
        assert sorted(idx.tolist()) == [20, 30, 40]

    def test_no_candidates_left_gives_empty_results(self):
        X, y, y_true, clf = make_pool()
        with pytest.warns(UserWarning, match="batch_size"):
            idx, util = self.make().query(
                X, y_true, clf, batch_size=2, return_utilities=True
            )
        assert idx.shape == (0,) and util.shape == (0, len(X))

    @pytest.mark.parametrize("missing_label", [np.nan, -1, "none"])
    def test_missing_label_kinds(self, missing_label):
        X, y, _, clf = make_pool(missing_label)
        idx, util = self.make(
            missing_label=missing_label, random_state=0
        ).query(X, y, clf, batch_size=3, return_utilities=True)
        assert is_unlabeled(y[idx], missing_label=missing_label).all()
        assert np.isnan(util[:, :10]).all()

    def test_reproducible_with_int_and_random_state_object(self):
        X, y, _, clf = make_pool()

        def run(rs):
            return self.make(random_state=rs).query(
                X, y, clf, batch_size=5, return_utilities=True
            )

        for a, b in [
            (run(1), run(1)),
            (run(np.random.RandomState(2)), run(np.random.RandomState(2))),
        ]:
            np.testing.assert_array_equal(a[0], b[0])
            np.testing.assert_array_equal(a[1], b[1])

    def test_inputs_are_not_modified(self):
        X, y, _, clf = make_pool()
        X0, y0, params0 = X.copy(), y.copy(), clf.get_params()
        fitted = clf.fit(X, y)
        coef0 = fitted.estimator_.coef_.copy()
        self.make(random_state=0).query(X, y, fitted, batch_size=4)
        self.make(random_state=0).query(
            X, y, fitted, fit_clf=False, batch_size=4
        )
        np.testing.assert_array_equal(X, X0)
        np.testing.assert_array_equal(y, y0)
        np.testing.assert_array_equal(fitted.estimator_.coef_, coef0)
        assert str(clf.get_params()) == str(params0)

    def test_fit_clf_and_sample_weight(self):
        X, y, _, _ = make_pool()
        clf = ParzenWindowClassifier(classes=[0, 1, 2])
        qs = self.make(random_state=0)
        with pytest.raises(TypeError, match="fit_clf"):
            qs.query(X, y, clf, fit_clf="yes")
        w = np.linspace(0.5, 2.0, len(X))
        idx = qs.query(X, y, clf, sample_weight=w, batch_size=2)
        assert idx.shape == (2,)
        with pytest.raises(ValueError, match="sample_weight"):
            qs.query(X, y, clf, sample_weight=w[:-1])
        with pytest.raises(ValueError, match="sample_weight"):
            qs.query(X, y, clf, sample_weight=-w)
        fitted = clf.fit(X, y)
        assert qs.query(X, y, fitted, fit_clf=False).shape == (1,)

    @pytest.mark.parametrize(
        "change, exc, match",
        [
            (dict(X="nan"), ValueError, "X"),
            (dict(batch_size=2.5), TypeError, "batch_size"),
            (dict(batch_size=0), ValueError, "batch_size"),
            (dict(candidates=[5, 500]), ValueError, "candidates"),
            (dict(candidates=[15, 15]), ValueError, "candidates"),
            (dict(candidates=[0, 15]), ValueError, "labeled"),
            (dict(candidates=[15.0, 16.0]), TypeError, "candidates"),
            (dict(clf=LogisticRegression()), TypeError, "clf"),
            (dict(return_utilities="no"), TypeError, "return_utilities"),
            (dict(y="short"), ValueError, "inconsistent"),
        ],
    )
    def test_bad_query_input(self, change, exc, match):
        X, y, _, clf = make_pool()
        args = dict(X=X, y=y, clf=clf)
        change = dict(change)
        if change.pop("X", None) == "nan":
            args["X"] = X.copy()
            args["X"][3, 1] = np.nan
        if change.pop("y", None) == "short":
            args["y"] = y[:-1]
        args |= change
        with pytest.raises(exc, match=match):
            self.make().query(**args)

    def test_active_learning_cycle(self):
        X, y, y_true, clf = make_pool(n_labeled=3)
        qs = self.make(random_state=0)
        seen = set()
        for _ in range(4):
            idx = qs.query(X, y, clf, batch_size=4)
            assert not seen & set(idx.tolist())
            seen |= set(idx.tolist())
            y[idx] = y_true[idx]
        assert (~is_unlabeled(y)).sum() == 3 + 16


class TorchEmbeddingParamTests:
    """``embedding_layer`` and ``dl_batch_size`` of a strategy that embeds
    with the model, on a skorch net: the named last layer is the default
    one, a batch size of the embedding pass changes nothing."""

    def test_param_embedding_layer(self):
        pytest.importorskip("torch")
        from .conftest import make_skorch_problem

        X, y, clf = make_skorch_problem()
        a = self.make(random_state=0).query(X, y, clf, False, batch_size=4)
        b = self.make(random_state=0, embedding_layer="head").query(
            X, y, clf, False, batch_size=4
        )
        np.testing.assert_array_equal(a, b)
        with pytest.raises(ValueError, match="embedding_layer"):
            self.make(embedding_layer="nope").query(X, y, clf, False)
        with pytest.raises(TypeError, match="embedding_layer"):
            self.make(embedding_layer=3).query(X, y, clf, False)

    def test_param_dl_batch_size(self):
        pytest.importorskip("torch")
        from .conftest import make_skorch_problem

        X, y, clf = make_skorch_problem()
        args = dict(batch_size=4, return_utilities=True)
        a = self.make(random_state=0).query(X, y, clf, False, **args)
        b = self.make(random_state=0, dl_batch_size=7).query(
            X, y, clf, False, **args
        )
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_allclose(a[1], b[1], rtol=1e-5)
        with pytest.raises(ValueError, match="dl_batch_size"):
            self.make(dl_batch_size=0).query(X, y, clf, False)
