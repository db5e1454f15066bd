"""Embedding sources: (proba, h) from a classifier, and their checks."""

import warnings

import numpy as np
import pytest
from skactiveml.classifier import SklearnClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skactiveml_badge import Badge
from skactiveml_badge.embeddings import _private_api as api
from skactiveml_badge.embeddings import (
    gradient_factors,
    logit_gradients,
    proba_and_embedding,
)
from skactiveml_badge.embeddings._base import ADAPTERS, adapter_of
from skactiveml_badge.selection import kmeans_plusplus

from .conftest import digits


class _Returns:
    """A classifier whose predict_proba returns a fixed object."""

    def __init__(self, out):
        self.out = out

    def predict_proba(self, X, **kwargs):
        return self.out


def test_logit_gradients_is_cross_entropy_gradient_at_pseudo_label():
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    expected = np.array([[-0.3, 0.2, 0.1], [0.1, 0.3, -0.4]])
    np.testing.assert_allclose(logit_gradients(proba), expected)
    assert proba[0, 0] == 0.7  # input untouched


def test_embedding_of_images_is_flattened(rng):
    X = rng.rand(5, 1, 4, 4)
    proba = np.full((5, 2), 0.5)
    p, h = proba_and_embedding(_Returns(proba), X)
    assert h.shape == (5, 16)
    np.testing.assert_array_equal(h, X.reshape(5, 16))


def test_lookup_classifier_embedding(lookup_problem):
    """What the classifier returns under the flag (a str or a dict) comes
    back row for row, with the bias column on request; without the flag
    its probabilities come with X."""
    X, proba, delta, h, clf = lookup_problem
    rows = [5, 2, 59]
    for flag in ("return_embeddings", {"return_embeddings": True}):
        p, e = proba_and_embedding(clf, X[rows], flag)
        np.testing.assert_array_equal(p, proba[rows])
        np.testing.assert_array_equal(e, h[rows])
    _, e = proba_and_embedding(clf, X, "return_embeddings", include_bias=True)
    np.testing.assert_array_equal(e, np.hstack([h, np.ones((len(h), 1))]))
    p, e = proba_and_embedding(clf, X)
    np.testing.assert_array_equal(p, proba)
    np.testing.assert_array_equal(e, X)
    p, d, e = gradient_factors(clf, X, "return_embeddings")
    np.testing.assert_array_equal(p, proba)
    np.testing.assert_array_equal(d, delta)  # p - onehot(argmax p)
    np.testing.assert_array_equal(e, h)


@pytest.mark.parametrize(
    "out, exc, match",
    [
        ((np.ones((3, 2)),) * 3, ValueError, "tuple of length 3"),
        (np.ones((2, 2)), ValueError, r"probabilities must have shape \(3"),
        ((np.ones((3, 2)), np.ones(3)), ValueError, "Embeddings must have"),
        ((np.ones((3, 2)), np.full((3, 2), "x")), TypeError, "numeric"),
        ((np.full((3, 2), np.nan), np.ones((3, 2))), ValueError, "non-fin"),
    ],
)
def test_bad_classifier_outputs_are_reported(out, exc, match):
    with pytest.raises(exc, match=match):
        proba_and_embedding(_Returns(out), np.ones((3, 4)))


def test_empty_factors_are_rejected():
    with pytest.raises(ValueError, match="at least one row"):
        kmeans_plusplus(np.ones((0, 2)), np.ones((0, 3)), 1)


def test_one_adapter_per_model_family_asked_in_order():
    names = [a.__name__.rsplit(".", 1)[1] for a in ADAPTERS]
    assert names == [
        "_protocol", "_nets", "_mlp", "_trees", "_pipeline", "_classifier"
    ]  # fmt: skip
    for adapter in ADAPTERS:
        assert callable(adapter.handles) and callable(adapter.embed)
    X, y = digits(60)
    models = {
        "_mlp": MLPClassifier((4,), max_iter=5, random_state=0),
        "_trees": RandomForestClassifier(3, random_state=0),
        "_pipeline": make_pipeline(StandardScaler(), LogisticRegression()),
        "_classifier": LogisticRegression(max_iter=5),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 5 iterations do not converge
        for name, est in models.items():
            wrapped = SklearnClassifier(est, classes=np.arange(10))
            for model in (est.fit(X, y), wrapped.fit(X, y.astype(float))):
                assert adapter_of(model).__name__.endswith(name)


def test_private_api_of_skactiveml_wrappers():
    """The undocumented names of scikit-activeml's SklearnClassifier that
    the adapters read (embeddings/_private_api.py), on real models."""
    X, y = digits(40)
    y = y.astype(float)
    fitted = SklearnClassifier(LogisticRegression(), classes=np.arange(10))
    fitted.fit(X, y)
    assert fitted.__dict__.get("is_fitted_") is True
    assert isinstance(fitted.__dict__.get("estimator_"), LogisticRegression)
    failed = SklearnClassifier(LogisticRegression(), classes=np.arange(10))
    with pytest.warns(UserWarning, match="could not be fitted"):
        failed.fit(X, np.full(len(X), np.nan))
    assert failed.__dict__.get("is_fitted_") is False
    # The module reads them as above; bare estimators are left alone.
    assert api.inner_estimator(fitted) is fitted.__dict__["estimator_"]
    assert not api.could_not_fit(fitted) and api.could_not_fit(failed)
    forest = RandomForestClassifier(2).fit(X, y)
    assert api.inner_estimator(forest) is forest  # has its own estimator_
    assert not api.could_not_fit(forest)
    assert api.skorch_wrapper_net(fitted) is None


def test_sklearn_mlp_hidden_activation():
    """The hidden activation reproduces the MLP's own output layer; no
    torch needed."""
    X, y_true = digits()
    mlp = MLPClassifier((24, 16), max_iter=50, random_state=0)
    clf = SklearnClassifier(mlp, classes=np.arange(10))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 50 iterations do not converge
        mlp.fit(X[:100], y_true[:100])
        clf.fit(X[:100], y_true[:100].astype(float))
    proba, h = proba_and_embedding(clf, X)
    assert h.shape == (len(X), 16)
    logits = h @ clf.estimator_.coefs_[-1] + clf.estimator_.intercepts_[-1]
    soft = np.exp(logits - logits.max(1, keepdims=True))
    soft /= soft.sum(1, keepdims=True)
    np.testing.assert_allclose(soft, proba, rtol=1e-6, atol=1e-9)
    y = np.full(len(X), np.nan)
    y[:100] = y_true[:100]
    idx = Badge(random_state=0).query(X, y, clf, False, batch_size=3)
    assert (idx >= 100).all()
    idx = Badge(random_state=0).select_batch(mlp, X[100:], batch_size=3)
    assert idx.shape == (3,)
