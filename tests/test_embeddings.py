"""Embedding sources: (proba, h) from a classifier, and their checks."""

import numpy as np
import pytest

from skactiveml_badge.embeddings import logit_gradients, proba_and_embedding
from skactiveml_badge.selection import kmeans_plusplus

from .conftest import LookupClassifier


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
    X, proba, _, h, clf = lookup_problem
    p, e = proba_and_embedding(clf, X, "return_embeddings")
    np.testing.assert_array_equal(p, proba)
    np.testing.assert_array_equal(e, h)
    assert isinstance(clf, LookupClassifier)


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
