"""Fixtures and helpers shared by the test files."""

import functools

import numpy as np
import pytest
from skactiveml.base import SkactivemlClassifier
from skactiveml.utils import MISSING_LABEL
from sklearn.datasets import load_digits

from ._reference import random_factors


class FlagModel:
    """A model without ``fit`` whose ``predict_proba`` gives fixed
    probabilities (per class or per label) and, with
    ``return_embeddings=True``, embeddings of the rows ``X`` indexes
    (``X`` is a column of sample indices)."""

    def __init__(self, proba, embedding):
        self.proba, self.embedding = proba, embedding

    def predict_proba(self, X, return_embeddings=False):
        rows = np.asarray(X, dtype=int).ravel()
        if return_embeddings:
            return self.proba[rows], self.embedding[rows]
        return self.proba[rows]


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


def digits(n=300):
    """The first ``n`` digits, scaled to [0, 1] in float32, and labels."""
    X, y_true = load_digits(return_X_y=True)
    return (X[:n] / 16.0).astype(np.float32), y_true[:n]


@functools.cache
def torch_mlp():
    """The class ``MLP(n_in=64, n_classes=10, return_embedding=False)``:
    64 -> 32 -> C with dropout, optionally also returning the hidden
    embedding.

    Made on first use: torch is optional, and importing it here would
    slow down every test session.
    """
    from torch import nn

    class MLP(nn.Module):
        def __init__(self, n_in=64, n_classes=10, return_embedding=False):
            super().__init__()
            self.body = nn.Sequential(
                nn.Flatten(), nn.Linear(n_in, 32), nn.ReLU(), nn.Dropout(0.2)
            )
            self.head = nn.Linear(32, n_classes)
            self.return_embedding = return_embedding

        def forward(self, x):
            emb = self.body(x)
            logits = self.head(emb)
            return (logits, emb) if self.return_embedding else logits

    return MLP


def make_skorch_problem(module=None, n=300, n_labeled=60, **module_params):
    """A fitted SkorchClassifier on digits and its pool ``(X, y, clf)``.

    ``module`` defaults to :func:`torch_mlp`; ``module_params`` go to its
    constructor. Skips the test without torch or skorch.
    """
    torch = pytest.importorskip("torch")
    pytest.importorskip("skorch")
    from skactiveml.classifier import SkorchClassifier

    X, y_true = digits(n)
    y = np.full(n, MISSING_LABEL)
    y[:n_labeled] = y_true[:n_labeled]
    torch.manual_seed(0)
    params = {f"module__{k}": v for k, v in module_params.items()}
    clf = SkorchClassifier(
        torch_mlp() if module is None else module,
        neural_net_param_dict=dict(
            max_epochs=15, lr=0.1, train_split=None, verbose=0, **params
        ),
        classes=np.arange(10),
    ).fit(X, y)
    return X, y, clf


@pytest.fixture(scope="module")
def client():
    """A ``LocalCluster`` of two worker processes and its client: the
    default scheduler until the module's tests are done."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1,
        dashboard_address=None, memory_limit="2GiB",
    ) as cluster, distributed.Client(cluster) as c:  # fmt: skip
        yield c
