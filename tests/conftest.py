import numpy as np
import pytest
from skactiveml.base import SkactivemlClassifier
from skactiveml.utils import MISSING_LABEL

from ._reference import random_factors


class LookupClassifier(SkactivemlClassifier):
    """Classifier with fixed outputs, for feeding strategies exact inputs.

    ``X`` is a column of sample indices; ``predict_proba`` returns the
    stored probabilities (and embeddings) of those rows.
    """

    def __init__(
        self,
        proba=None,
        embedding=None,
        classes=None,
        missing_label=MISSING_LABEL,
        random_state=None,
    ):
        super().__init__(
            classes=classes,
            missing_label=missing_label,
            random_state=random_state,
        )
        self.proba = proba
        self.embedding = embedding

    def fit(self, X, y, sample_weight=None):
        self.classes_ = np.arange(self.proba.shape[1])
        self.n_fits_ = getattr(self, "n_fits_", 0) + 1
        return self

    def predict_proba(self, X, return_embeddings=False):
        idx = np.asarray(X)[:, 0].astype(int)
        if return_embeddings:
            return self.proba[idx], self.embedding[idx]
        return self.proba[idx]


@pytest.fixture
def rng():
    return np.random.RandomState(0)


@pytest.fixture
def lookup_problem(rng):
    """A 60-sample pool with fixed probabilities and 5-D embeddings."""
    proba, delta, h = random_factors(rng, 60, 4, 5)
    X = np.arange(60, dtype=float)[:, None]
    clf = LookupClassifier(proba, h, classes=np.arange(4)).fit(X, None)
    return X, proba, delta, h, clf
