"""Multi-label BADGE: the closed-form gradient factors, the embeddings of
multi-label models, and the batch against brute force on explicit
gradient embeddings."""

import warnings

import numpy as np
import pytest
from skactiveml.utils import check_random_state
from sklearn.datasets import make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from skactiveml_badge import MultilabelBadge, multilabel_gradient_factors
from skactiveml_badge.embeddings import multilabel_proba_and_embedding
from skactiveml_badge.embeddings._mlp import hidden_activation

from ._reference import explicit_embeddings, nearest_sq_dist, paper_rows
from .conftest import FlagModel


class _Truncated:
    """A model whose embedding has too few rows."""

    def __init__(self, model):
        self.model = model

    def predict_proba(self, X, **flags):
        proba, emb = self.model.predict_proba(X, **flags)
        return proba, emb[:-1]


def _pool(seed, n=120, n_labels=4, n_features=6):
    rng = np.random.RandomState(seed)
    proba = 1.0 / (1.0 + np.exp(-2.0 * rng.randn(n, n_labels)))
    h = np.abs(rng.randn(n, n_features))
    return FlagModel(proba, h), np.arange(n)[:, None], proba, h


def select_multilabel_batch(
    clf, X, batch_size, return_utilities=False, n_labels=None, **params
):
    """``MultilabelBadge.query`` on a pool of unlabeled rows with a fitted
    ``clf``: ``(picks, utilities or None)``."""
    if n_labels is None:
        n_labels = clf.proba.shape[1] if isinstance(clf, FlagModel) else 4
    y = np.full((len(X), n_labels), np.nan)
    out = MultilabelBadge(**params).query(
        X, y, clf, fit_clf=False, batch_size=batch_size,
        return_utilities=return_utilities,
    )  # fmt: skip
    return out if return_utilities else (out, None)


@pytest.fixture(scope="module")
def multilabel_mlp():
    X, Y = make_multilabel_classification(
        n_samples=150, n_features=8, n_classes=4, random_state=0
    )
    mlp = MLPClassifier((10,), max_iter=300, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X, Y)
    return mlp, X, Y


@pytest.mark.parametrize("seed", range(3))
def test_closed_form_equals_autograd_gradient_of_summed_bce(seed):
    torch = pytest.importorskip("torch")
    gen = torch.Generator().manual_seed(seed)
    n, L, D = 7, 5, 4
    layer = torch.nn.Linear(D, L).double()
    with torch.no_grad():
        layer.weight.copy_(
            torch.randn(L, D, generator=gen, dtype=torch.double)
        )
        layer.bias.copy_(torch.randn(L, generator=gen, dtype=torch.double))
    h = torch.randn(n, D, generator=gen, dtype=torch.double)
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="sum")
    with torch.no_grad():
        s = torch.sigmoid(layer(h)).numpy()
    delta = multilabel_gradient_factors(s)
    for i in range(n):
        layer.zero_grad()
        z = layer(h[i : i + 1])
        yhat = (torch.sigmoid(z) > 0.5).double().detach()
        loss_fn(z, yhat).backward()
        expected = layer.weight.grad.numpy()
        got = np.outer(delta[i], h[i].numpy())
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)
        np.testing.assert_allclose(
            delta[i], layer.bias.grad.numpy(), rtol=0, atol=1e-5
        )


def test_factors_values_and_threshold():
    delta = multilabel_gradient_factors([[0.0, 0.25, 0.5, 0.75, 1.0]])
    np.testing.assert_allclose(delta, [[0.0, 0.25, 0.5, -0.25, 0.0]])
    assert delta.dtype == np.float64
    assert multilabel_gradient_factors(np.empty((0, 3))).shape == (0, 3)


@pytest.mark.parametrize(
    "proba, error, match",
    [
        ([0.2, 0.7], ValueError, "shape"),
        (np.zeros((2, 2, 2)), ValueError, "shape"),
        (np.zeros((3, 0)), ValueError, "n_labels >= 1"),
        ([[0.2, np.nan]], ValueError, "NaN"),
        ([[0.2, np.inf]], ValueError, "NaN or infinite"),
        ([[0.2, 1.5]], ValueError, r"\[0, 1\]"),
        ([[-0.1, 0.5]], ValueError, r"\[0, 1\]"),
        ([["a", "b"]], TypeError, "numbers"),
        ([[True, False]], TypeError, "numbers"),
    ],
)
def test_factors_reject_bad_proba(proba, error, match):
    with pytest.raises(error, match=match):
        multilabel_gradient_factors(proba)


@pytest.mark.parametrize("seed", range(4))
def test_kmeanspp_picks_and_rows_equal_brute_force(seed):
    clf, X, proba, h = _pool(seed)
    idx, rows = select_multilabel_batch(
        clf,
        X,
        15,
        random_state=seed,
        clf_embedding_flag_name="return_embeddings",
        dtype=np.float64,
        algorithm="plain",
        return_utilities=True,
    )
    G = explicit_embeddings(proba - (proba > 0.5), h)
    # Brute force: largest norm first, then inverse-CDF draws of D^2
    # with one uniform number per pick from the same RandomState.
    draws = check_random_state(seed, len(X) + 1)
    picks = [int(np.argmax((G**2).sum(1)))]
    for _ in range(1, 15):
        w = nearest_sq_dist(G, picks)
        w[picks] = 0.0
        cum = np.cumsum(w)
        u = draws.random_sample() * cum[-1]
        picks.append(int(np.searchsorted(cum, u, side="right")))
    np.testing.assert_array_equal(idx, picks)
    expected = paper_rows(G, idx)
    np.testing.assert_array_equal(np.isnan(rows), np.isnan(expected))
    np.testing.assert_allclose(rows, expected, rtol=0, atol=1e-9)


def test_farthest_first_picks_and_rows_equal_brute_force():
    clf, X, proba, h = _pool(5)
    idx, rows = select_multilabel_batch(
        clf,
        X,
        10,
        selection="farthest_first",
        clf_embedding_flag_name={"return_embeddings": True},
        include_bias=True,
        dtype=np.float64,
        return_utilities=True,
    )
    h1 = np.hstack([h, np.ones((len(h), 1))])
    G = explicit_embeddings(proba - (proba > 0.5), h1)
    assert idx[0] == np.argmax((G**2).sum(1))
    for k in range(1, 10):
        d = np.sqrt(nearest_sq_dist(G, idx[:k]))
        d[idx[:k]] = np.nan
        assert idx[k] == np.nanargmax(d)
        np.testing.assert_allclose(rows[k], d, rtol=1e-9, atol=1e-12)


def test_reproducible_and_distinct():
    clf, X, _, _ = _pool(1)
    kw = {"clf_embedding_flag_name": "return_embeddings"}
    a, none = select_multilabel_batch(clf, X, 30, random_state=3, **kw)
    b, _ = select_multilabel_batch(clf, X, 30, random_state=3, **kw)
    np.testing.assert_array_equal(a, b)
    assert none is None
    assert len(set(a.tolist())) == 30
    assert a.dtype == np.intp


def test_mlp_on_multilabel_data(multilabel_mlp):
    mlp, X, Y = multilabel_mlp
    proba, h = multilabel_proba_and_embedding(mlp, X)
    np.testing.assert_allclose(proba, mlp.predict_proba(X))
    np.testing.assert_allclose(h, hidden_activation(mlp, X))
    assert proba.shape == Y.shape and h.shape == (len(X), 10)
    # The output layer on h gives the probabilities back.
    z = h @ mlp.coefs_[-1] + mlp.intercepts_[-1]
    np.testing.assert_allclose(proba, 1 / (1 + np.exp(-z)), rtol=1e-10)
    _, h1 = multilabel_proba_and_embedding(mlp, X, include_bias=True)
    np.testing.assert_array_equal(h1[:, -1], 1.0)
    for selection in ["kmeans++", "farthest_first"]:
        idx, rows = select_multilabel_batch(
            mlp,
            X,
            12,
            random_state=0,
            selection=selection,
            return_utilities=True,
        )
        assert len(set(idx.tolist())) == 12
        assert rows.shape == (12, len(X))


def test_mlp_not_fitted_on_multilabel_targets_raises():
    X, Y = make_multilabel_classification(60, n_classes=3, random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        binary = MLPClassifier((4,), max_iter=20).fit(X, Y[:, 0])
        multiclass = MLPClassifier((4,), max_iter=20).fit(X, Y.sum(1))
    for mlp in [binary, multiclass]:
        with pytest.raises(ValueError, match="multi-label targets"):
            multilabel_proba_and_embedding(mlp, X)


def test_other_models_and_bad_outputs_raise():
    clf, X, _, _ = _pool(0, n=20)
    with pytest.raises(TypeError, match="MLPClassifier"):
        multilabel_proba_and_embedding(clf, X)
    with pytest.raises(ValueError, match="must return"):
        multilabel_proba_and_embedding(
            clf, X, clf_embedding_flag_name={"return_embeddings": False}
        )
    with pytest.raises(ValueError, match="Embeddings must have shape"):
        multilabel_proba_and_embedding(
            _Truncated(clf), X, clf_embedding_flag_name="return_embeddings"
        )
    clf, X, _, _ = _pool(0, n=20)
    clf.proba = clf.proba * 3.0
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        select_multilabel_batch(
            clf, X, 2, clf_embedding_flag_name="return_embeddings"
        )


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"batch_size": 2.0}, TypeError, "batch_size"),
        ({"batch_size": True}, TypeError, "batch_size"),
        ({"batch_size": 2, "selection": "kmeans"}, ValueError, "selection"),
        ({"batch_size": 2, "dtype": np.int32}, ValueError, "dtype"),
        ({"batch_size": 2, "algorithm": "fast"}, ValueError, "algorithm"),
        ({"batch_size": 2, "origin_as_centre": "yes"}, TypeError, "origin"),
    ],
)
def test_select_rejects_bad_options(kwargs, error, match):
    clf, X, _, _ = _pool(0, n=20)
    with pytest.raises(error, match=match):
        select_multilabel_batch(
            clf, X, clf_embedding_flag_name="return_embeddings", **kwargs
        )


def test_batch_larger_than_the_pool_is_reduced_with_a_warning():
    clf, X, _, _ = _pool(0, n=20)
    with pytest.warns(UserWarning, match="batch_size=20"):
        idx, _ = select_multilabel_batch(
            clf, X, 21, clf_embedding_flag_name="return_embeddings"
        )
    assert sorted(idx.tolist()) == list(range(20))
