"""MultilabelBadge: scikit-activeml's pool contract on a 2-D ``y``, the
models it fits (MLPClassifier, skorch nets with L outputs), partly labeled
rows, and ``query``/``select_batch`` agreement."""

import inspect
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from skactiveml.classifier import SklearnClassifier
from skactiveml.utils import check_random_state
from sklearn.base import BaseEstimator
from sklearn.datasets import make_multilabel_classification
from sklearn.neural_network import MLPClassifier

from skactiveml_badge import (
    Badge,
    MultilabelBadge,
    PartlyLabeledWarning,
    TypiClustThenBadge,
    WarmStartWarning,
    multilabel_gradient_factors,
)
from skactiveml_badge.embeddings import multilabel_proba_and_embedding

from ._reference import explicit_embeddings, nearest_sq_dist, paper_rows
from .conftest import FlagModel

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)

L = 4


def _flag_pool(seed, n=60, n_labels=L, n_features=5):
    rng = np.random.RandomState(seed)
    proba = 1.0 / (1.0 + np.exp(-2.0 * rng.randn(n, n_labels)))
    h = np.abs(rng.randn(n, n_features))
    return FlagModel(proba, h), np.arange(n, dtype=float)[:, None]


def _data(n=200, seed=0):
    X, Y = make_multilabel_classification(
        n, n_features=8, n_classes=L, random_state=seed
    )
    y = np.full(Y.shape, np.nan)
    y[:25] = Y[:25]
    return X, Y, y


def _mlp():
    return MLPClassifier((12,), max_iter=200, random_state=0)


def _net(max_epochs=15):
    torch = pytest.importorskip("torch")
    skorch = pytest.importorskip("skorch")

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = torch.nn.Linear(8, 16)
            self.out = torch.nn.Linear(16, L)

        def forward(self, x):
            return self.out(torch.relu(self.hidden(x)))

    return skorch.NeuralNetClassifier(
        Net,
        criterion=torch.nn.BCEWithLogitsLoss,
        max_epochs=max_epochs,
        lr=0.05,
        train_split=None,
        verbose=0,
    )


def seed_torch():
    try:
        import torch
    except ImportError:
        return
    torch.manual_seed(0)


# The contract of scikit-activeml's pool strategies


@pytest.mark.parametrize("candidates", ["none", "indices", "samples"])
def test_query_shapes_and_nan_pattern(candidates):
    X, _, y = _data()
    unl = np.flatnonzero(np.isnan(y).all(1))
    cand = {"none": None, "indices": unl[::2], "samples": X[unl[:40]]}[
        candidates
    ]
    qs = MultilabelBadge(random_state=0)
    idx, util = qs.query(
        X, y, _mlp(), candidates=cand, batch_size=6, return_utilities=True
    )
    assert idx.shape == (6,) and idx.dtype == np.intp
    assert len(set(idx.tolist())) == 6
    n_cols = 40 if candidates == "samples" else len(X)
    assert util.shape == (6, n_cols)
    if candidates != "samples":
        allowed = unl if candidates == "none" else cand
        assert np.isin(idx, allowed).all()
        others = np.setdiff1d(np.arange(len(X)), allowed)
        assert np.isnan(util[:, others]).all()
    for k in range(6):
        assert np.isnan(util[k, idx[:k]]).all()
        assert np.isfinite(util[k, idx[k]])
    # Without utilities: the same picks.
    again = MultilabelBadge(random_state=0).query(
        X, y, _mlp(), candidates=cand, batch_size=6
    )
    np.testing.assert_array_equal(again, idx)


def test_missing_label_of_any_kind_gives_the_same_picks():
    X, Y, y = _data()
    known = ~np.isnan(y)
    as_int = np.where(known, y, -1).astype(int)
    digits = np.nan_to_num(y).astype(int).astype(str)
    as_str = np.where(known, digits, "none")
    picks = [
        MultilabelBadge(missing_label=ml, random_state=3).query(
            X, yy, _mlp(), batch_size=5
        )
        for ml, yy in [(np.nan, y), (-1, as_int)]
    ]
    np.testing.assert_array_equal(picks[0], picks[1])
    # Labels as strings "0"/"1" with a string missing label.
    strings = MultilabelBadge(missing_label="none", random_state=3).query(
        X, as_str, _mlp(), batch_size=5
    )
    np.testing.assert_array_equal(strings, picks[0])


def test_inputs_are_not_modified_and_runs_are_reproducible():
    X, _, y = _data()
    X0, y0, clf = X.copy(), y.copy(), _mlp()
    params = clf.get_params()
    qs = MultilabelBadge(random_state=7)
    a = qs.query(X, y, clf, batch_size=8)
    b = qs.query(X, y, clf, batch_size=8)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    assert clf.get_params() == params
    assert not hasattr(clf, "coefs_")  # the user's model stays unfitted
    c = MultilabelBadge(random_state=8).query(X, y, clf, batch_size=8)
    assert not np.array_equal(a, c)
    # A strategy survives pickling with its parameters.
    clone = pickle.loads(pickle.dumps(qs))
    np.testing.assert_array_equal(clone.query(X, y, clf, batch_size=8), a)


def test_batch_larger_than_the_candidates_is_reduced():
    X, _, y = _data(n=40)
    with pytest.warns(UserWarning, match="'batch_size=15' was set"):
        idx = MultilabelBadge(random_state=0).query(
            X, y, _mlp(), batch_size=50
        )
    assert sorted(idx.tolist()) == list(range(25, 40))


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(3, 30),
    n_labels=st.integers(2, 5),
    seed=st.integers(0, 2**16),
    batch=st.integers(1, 8),
    selection=st.sampled_from(["kmeans++", "farthest_first"]),
    origin=st.booleans(),
    candidates_as=st.sampled_from(["none", "indices"]),
)
def test_contract_property(
    n, n_labels, seed, batch, selection, origin, candidates_as
):
    """Any labeled/partly labeled/unlabeled pattern: picks are distinct
    non-labeled candidates, utilities are NaN exactly where the contract
    says, and the same seed gives the same picks."""
    rng = np.random.RandomState(seed)
    clf, X = _flag_pool(seed, n=n, n_labels=n_labels)
    y = rng.randint(0, 2, size=(n, n_labels)).astype(float)
    y[rng.rand(n, n_labels) < 0.6] = np.nan
    labeled = ~np.isnan(y).any(1)
    open_rows = np.flatnonzero(~labeled)
    if open_rows.size == 0:
        return
    cand = None
    if candidates_as == "indices":
        cand = rng.permutation(open_rows)[: max(1, open_rows.size // 2)]
    allowed = open_rows if cand is None else cand
    qs = MultilabelBadge(
        clf_embedding_flag_name="return_embeddings",
        random_state=seed,
        selection=selection,
        origin_as_centre=origin,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        idx, util = qs.query(
            X, y, clf, fit_clf=False, candidates=cand, batch_size=batch,
            return_utilities=True,
        )  # fmt: skip
        again = qs.query(
            X, y, clf, fit_clf=False, candidates=cand, batch_size=batch
        )
    k_exp = min(batch, allowed.size)
    assert idx.shape == (k_exp,) and util.shape == (k_exp, n)
    assert len(set(idx.tolist())) == k_exp
    assert np.isin(idx, allowed).all()
    np.testing.assert_array_equal(again, idx)
    outside = np.setdiff1d(np.arange(n), allowed)
    for k in range(k_exp):
        expect_nan = np.zeros(n, bool)
        expect_nan[outside] = True
        expect_nan[idx[:k]] = True
        np.testing.assert_array_equal(np.isnan(util[k]), expect_nan)


# The maths: brute force on explicit embeddings, autograd on a skorch net


@pytest.mark.parametrize("seed", range(3))
def test_picks_and_rows_with_candidates_equal_brute_force(seed):
    """Index candidates among partly labeled and unlabeled rows: the
    picks and rows of the paper's rule on the materialised embeddings of
    the candidates, with the strategy's documented random stream."""
    clf, X = _flag_pool(seed, n=50)
    y = np.full((50, L), np.nan)
    y[:10] = 1.0
    y[10:15, 0] = 0.0  # partly labeled: still candidates
    cand = np.arange(8, 50, 2)[1:]  # 10, 12, ..., 48
    qs = MultilabelBadge(
        clf_embedding_flag_name="return_embeddings",
        random_state=seed,
        dtype=np.float64,
        algorithm="plain",
    )
    with pytest.warns(PartlyLabeledWarning, match="5 row"):
        idx, util = qs.query(
            X, y, clf, fit_clf=False, candidates=cand, batch_size=9,
            return_utilities=True,
        )  # fmt: skip
    G = explicit_embeddings(
        multilabel_gradient_factors(clf.proba[cand]), clf.embedding[cand]
    )
    draws = check_random_state(seed, 40 + 1)  # 40 rows not labeled
    picks = [int(np.argmax((G**2).sum(1)))]
    for _ in range(1, 9):
        w = nearest_sq_dist(G, picks)
        w[picks] = 0.0
        cum = np.cumsum(w)
        picks.append(
            int(np.searchsorted(cum, draws.random_sample() * cum[-1], "right"))
        )
    np.testing.assert_array_equal(idx, cand[picks])
    expected = np.full((9, 50), np.nan)
    expected[:, cand] = paper_rows(G, picks)
    np.testing.assert_array_equal(np.isnan(util), np.isnan(expected))
    np.testing.assert_allclose(util, expected, rtol=0, atol=1e-9)


def test_skorch_net_factors_equal_autograd():
    """The closed form on a fitted skorch net with L outputs equals
    torch.autograd's gradient of the summed BCE at the pseudo-labels with
    respect to the output layer's weights."""
    torch = pytest.importorskip("torch")
    X, Y, _ = _data(n=80)
    net = _net(max_epochs=5).fit(
        X[:40].astype(np.float32), Y[:40].astype(np.float32)
    )
    proba, h = multilabel_proba_and_embedding(net, X[40:], n_labels=L)
    delta = multilabel_gradient_factors(proba)
    layer = net.module_.out
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="sum")
    for i in range(40, 80, 7):
        layer.zero_grad()
        z = net.module_(torch.as_tensor(X[i : i + 1], dtype=torch.float32))
        yhat = (torch.sigmoid(z) > 0.5).float().detach()
        loss_fn(z, yhat).backward()
        got = np.outer(delta[i - 40], h[i - 40])
        np.testing.assert_allclose(
            got, layer.weight.grad.numpy(), rtol=0, atol=1e-5
        )


def test_skorch_net_uses_the_output_layer_not_predict_proba():
    X, Y, y = _data()
    net = _net().fit(X[:25].astype(np.float32), Y[:25].astype(np.float32))
    # skorch's own predict_proba is (n, 2, L) for BCEWithLogitsLoss.
    assert net.predict_proba(X[:3].astype(np.float32)).shape == (3, 2, L)
    proba, h = multilabel_proba_and_embedding(net, X, n_labels=L)
    assert proba.shape == (len(X), L) and h.shape == (len(X), 16)
    np.testing.assert_allclose(
        proba,
        net.predict_proba(X.astype(np.float32))[:, 1, :],
        rtol=1e-5,
        atol=1e-6,
    )
    # A net named by its layer, and a layer that does not exist.
    named, _ = multilabel_proba_and_embedding(net, X, embedding_layer="out")
    np.testing.assert_allclose(named, proba)
    with pytest.raises(ValueError, match="no torch.nn.Linear layer with 3"):
        multilabel_proba_and_embedding(net, X, n_labels=3)


# Fitting, partly labeled rows, select_batch


def test_partly_labeled_rows_are_candidates_left_out_of_the_fit():
    X, Y, y = _data()
    partial = y.copy()
    partial[25:30, :2] = Y[25:30, :2]  # five rows with two known labels
    qs = MultilabelBadge(random_state=2)
    with pytest.warns(PartlyLabeledWarning, match="5 row"):
        idx, util = qs.query(
            X, partial, _mlp(), batch_size=10, return_utilities=True
        )
    assert np.isfinite(util[0, 25:30]).all()  # candidates
    assert np.isnan(util[0, :25]).all()
    # The same picks as with those rows unlabeled: the same fit, the same
    # candidates, the same random numbers.
    plain = MultilabelBadge(random_state=2).query(X, y, _mlp(), batch_size=10)
    np.testing.assert_array_equal(idx, plain)
    # Warned once per strategy object.
    with warnings.catch_warnings():
        warnings.simplefilter("error", PartlyLabeledWarning)
        qs.query(X, partial, _mlp(), batch_size=2)


@pytest.mark.parametrize("model", ["mlp", "skorch"])
def test_query_and_select_batch_give_the_same_picks(model):
    X, Y, y = _data()
    clf = _mlp() if model == "mlp" else _net()
    lab, unl = np.arange(25), np.arange(25, len(X))
    seed_torch()  # a skorch clone draws its initial weights from torch
    from_query = MultilabelBadge(random_state=4).query(X, y, clf, batch_size=7)
    seed_torch()
    from_select = MultilabelBadge(random_state=4).select_batch(
        clf, X[unl], X[lab], Y[lab], batch_size=7
    )
    np.testing.assert_array_equal(unl[from_select], from_query)
    # A fitted model with fit_clf=False: the same again.
    fitted = _mlp().fit(X[lab], Y[lab]) if model == "mlp" else None
    if fitted is not None:
        np.testing.assert_array_equal(
            MultilabelBadge(random_state=4).query(
                X, y, fitted, fit_clf=False, batch_size=7
            ),
            from_query,
        )
        np.testing.assert_array_equal(
            MultilabelBadge(random_state=4).select_batch(
                fitted, X[unl], batch_size=7
            ),
            from_select,
        )


@pytest.mark.skipif(
    "sample_weight" not in inspect.signature(MLPClassifier.fit).parameters,
    reason="MLPClassifier.fit takes sample_weight from scikit-learn 1.7",
)
def test_sample_weight_reaches_the_fit():
    X, Y, y = _data()
    w = np.linspace(0.1, 2.0, len(X))
    got = MultilabelBadge(random_state=5).query(
        X, y, _mlp(), sample_weight=w, batch_size=6
    )
    fitted = _mlp().fit(X[:25], Y[:25], sample_weight=w[:25])
    expected = MultilabelBadge(random_state=5).query(
        X, y, fitted, fit_clf=False, batch_size=6
    )
    np.testing.assert_array_equal(got, expected)
    unweighted = MultilabelBadge(random_state=5).query(
        X, y, _mlp(), batch_size=6
    )
    assert not np.array_equal(got, unweighted)


def test_cold_start_picks_at_random_with_one_warning():
    X, _, _ = _data(n=60)
    y = np.full((60, L), np.nan)
    qs = MultilabelBadge(random_state=0)
    with pytest.warns(WarmStartWarning, match="at random"):
        idx, util = qs.query(X, y, _mlp(), batch_size=5, return_utilities=True)
    assert len(set(idx.tolist())) == 5
    np.testing.assert_array_equal(util[0], np.ones(60))
    expected = check_random_state(0, 61).choice(60, 5, replace=False)
    np.testing.assert_array_equal(idx, expected)
    with pytest.warns(WarmStartWarning):
        cold = MultilabelBadge(random_state=0).select_batch(
            _mlp(), X, batch_size=5
        )
    np.testing.assert_array_equal(cold, idx)


@pytest.mark.parametrize("model", ["mlp", "skorch"])
def test_active_learning_loop_runs(model):
    X, Y, y = _data(n=150)
    clf = _mlp() if model == "mlp" else _net(max_epochs=5)
    qs = MultilabelBadge(random_state=0)
    for _ in range(3):
        idx = qs.query(X, y, clf, batch_size=10)
        assert np.isnan(y[idx]).all()
        y[idx] = Y[idx]
    assert (~np.isnan(y).any(1)).sum() == 55


# Bad input


@pytest.mark.parametrize(
    "change, error, match",
    [
        (lambda X, y: (X, y[:, 0]), ValueError, "n_labels >= 2"),
        (lambda X, y: (X, y[:, :1]), ValueError, "n_labels >= 2"),
        (lambda X, y: (X, np.where(y == 1, 2.0, y)), ValueError, r"0 or 1"),
        (lambda X, y: (X[:-1], y), ValueError, "inconsistent"),
    ],
)
def test_bad_y_is_rejected(change, error, match):
    X, _, y = _data(n=60)
    X, y = change(X, y)
    with pytest.raises(error, match=match):
        MultilabelBadge().query(X, y, _mlp())


def test_bad_arguments_are_rejected():
    X, Y, y = _data(n=60)
    qs = MultilabelBadge(random_state=0)
    with pytest.raises(TypeError, match="1-D `y`"):
        qs.query(X, y, SklearnClassifier(_mlp()))
    with pytest.raises(TypeError, match="predict_proba"):
        qs.query(X, y, object())
    with pytest.raises(ValueError, match="labeled samples"):
        qs.query(X, y, _mlp(), candidates=[0, 30])
    with pytest.raises(ValueError, match="not fitted"):
        qs.query(X, y, _mlp(), fit_clf=False)
    with pytest.raises(ValueError, match="sample_weight"):
        qs.query(X, y, _mlp(), sample_weight=np.ones(3))
    with pytest.raises(TypeError, match="fit_clf"):
        qs.query(X, y, _mlp(), fit_clf="yes")
    with pytest.raises(TypeError, match="return_utilities"):
        qs.query(X, y, _mlp(), return_utilities=1)
    with pytest.raises(TypeError, match="clf_embedding_flag_name"):
        MultilabelBadge(clf_embedding_flag_name=3).query(X, y, _mlp())
    # A model without fit.
    flag, Xf = _flag_pool(0, n=60)
    flagged = MultilabelBadge("return_embeddings", random_state=0)
    with pytest.raises(TypeError, match="has no `fit`"):
        flagged.query(Xf, y, flag)
    # A model giving another number of labels than y has columns.
    wide = _mlp().fit(X, np.hstack([Y, Y[:, :1]]))
    with pytest.raises(ValueError, match="5 labels"):
        qs.query(X, y, wide, fit_clf=False)
    # select_batch
    with pytest.raises(ValueError, match="both"):
        qs.select_batch(_mlp(), X, labeled_x=X[:5])
    with pytest.raises(ValueError, match="same length"):
        qs.select_batch(_mlp(), X, X[:5], Y[:4])
    part = Y[:5].astype(float)
    part[0, 0] = np.nan
    with pytest.raises(ValueError, match="every label known"):
        qs.select_batch(_mlp(), X, X[:5], part)


def test_sample_weight_needs_a_fit_that_takes_it():
    X, Y, y = _data(n=60)

    class NoWeights(MLPClassifier):
        def fit(self, X, y):
            return super().fit(X, y)

    with pytest.raises(TypeError, match="takes no `sample_weight`"):
        MultilabelBadge().query(
            X, y, NoWeights((4,), max_iter=20), sample_weight=np.ones(60)
        )


# -- issue 27, item 7: a 2-D y in Badge


def _ml_pool():
    X, Y = make_multilabel_classification(90, n_classes=4, random_state=1)
    y = np.full(Y.shape, np.nan)
    y[:20] = Y[:20]
    return X, y, Y, MLPClassifier((16,), max_iter=2000, random_state=0)


@pytest.mark.parametrize("origin", [True, False])
@pytest.mark.parametrize("selection", ["kmeans++", "farthest_first"])
def test_badge_with_a_2d_y_is_multilabel_badge(origin, selection):
    """``Badge`` on a multi-label ``y`` picks what ``MultilabelBadge``
    with the same settings picks, in ``query`` and ``select_batch``."""
    X, y, Y, mlp = _ml_pool()
    kw = dict(random_state=3, origin_as_centre=origin, selection=selection)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the MLP's convergence
        got = Badge(**kw).query(X, y, mlp, batch_size=5, return_utilities=True)
        ref = MultilabelBadge(**kw).query(
            X, y, mlp, batch_size=5, return_utilities=True
        )
        np.testing.assert_array_equal(got[0], ref[0])
        np.testing.assert_allclose(got[1], ref[1])
        fitted = MLPClassifier((16,), max_iter=2000, random_state=0)
        fitted.fit(X[:20], Y[:20])
        a = Badge(**kw).select_batch(fitted, X[20:], X[:20], Y[:20], 4)
        b = MultilabelBadge(**kw).select_batch(
            fitted, X[20:], X[:20], Y[:20], 4
        )
    np.testing.assert_array_equal(a, b)


def test_badge_refuses_partly_labeled_rows_and_single_label_settings():
    """scikit-activeml's convention (a row all labeled or all missing) and
    the settings multi-label BADGE lacks are refused before any fit; the
    recipe takes a 1-D ``y`` only."""

    class NoFit(MLPClassifier):
        def fit(self, *args, **kwargs):
            raise AssertionError("fitted before the check")

    X, y, _, _ = _ml_pool()
    partly = y.copy()
    partly[30, 0] = 1
    with pytest.raises(ValueError, match="1 row.*partly labeled"):
        Badge().query(X, partly, NoFit())
    for params, named in (
        (dict(class_balance="equal"), "class_balance"),
        (dict(leaf_dim=None, mc_dropout=2), "leaf_dim, mc_dropout"),
        (dict(tree_embedding="proximity+X"), "tree_embedding"),
    ):
        with pytest.raises(ValueError, match=named):
            Badge(**params).query(X, y, NoFit())
    with pytest.raises(ValueError, match="1d array"):
        TypiClustThenBadge().query(X, y, NoFit())


class _EncodedLabels(BaseEstimator):
    """Multi-label model of the design's protocol: per-label logistic
    regressions on a fixed feature map, with ``encode`` (that map) and a
    flag giving the same embedding."""

    def __init__(self, seed=0):
        self.seed = seed

    def encode(self, X):
        W = np.random.RandomState(self.seed).randn(np.shape(X)[1], 6)
        return np.tanh(np.asarray(X) @ W)

    def fit(self, X, Y):
        from sklearn.linear_model import LogisticRegression
        from sklearn.multioutput import MultiOutputClassifier

        self.heads_ = MultiOutputClassifier(LogisticRegression())
        self.heads_.fit(self.encode(X), Y)
        return self

    def predict_proba(self, X, return_embeddings=False):
        H = self.encode(X)
        proba = np.column_stack(
            [p[:, 1] for p in self.heads_.predict_proba(H)]
        )
        return (proba, H) if return_embeddings else proba


def test_a_model_with_encode_is_embedded_by_it():
    X, Y, y = _data()
    by_encode = MultilabelBadge(random_state=3).query(
        X, y, _EncodedLabels(), batch_size=6, return_utilities=True
    )
    by_flag = MultilabelBadge(
        random_state=3, clf_embedding_flag_name="return_embeddings"
    ).query(X, y, _EncodedLabels(), batch_size=6, return_utilities=True)
    np.testing.assert_array_equal(by_encode[0], by_flag[0])
    np.testing.assert_allclose(by_encode[1], by_flag[1])
    fitted = _EncodedLabels().fit(X[:25], Y[:25])
    proba, h = multilabel_proba_and_embedding(fitted, X)
    np.testing.assert_allclose(h, fitted.encode(X))
    np.testing.assert_allclose(proba, fitted.predict_proba(X))
