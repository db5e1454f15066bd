"""Side-by-side runs of ``skactiveml_badge.Badge`` and scikit-activeml's
``Badge`` (shared by ``test_parity.py`` and
``benchmarks/bench_parity.py``).

The reference for row ``k`` is scikit-activeml's own rule, run by its own
helper (``skactiveml.pool._badge._d_2``, the running ``D^2``) along *our*
earlier picks: the distribution scikit-activeml would draw pick ``k``
from had it made the same first ``k`` picks.
"""

import numpy as np
from skactiveml.classifier import ParzenWindowClassifier
from skactiveml.pool import Badge as SkactivemlBadge
from skactiveml.pool._badge import _d_2
from skactiveml.utils import MISSING_LABEL, unlabeled_indices
from sklearn.base import clone
from sklearn.datasets import make_blobs

from skactiveml_badge import Badge

#: scikit-activeml's Badge gallery example: five blobs, ``y % 2``.
CENTERS = [[0, 1], [-3, 0.5], [-1, -1], [2, 1], [1, -0.5]]


def gallery_data(n_samples=200):
    """The data of scikit-activeml's Badge example (its pool template)."""
    X, y_true = make_blobs(
        n_samples=n_samples,
        n_features=2,
        centers=CENTERS,
        cluster_std=0.7,
        random_state=np.random.RandomState(0),
    )
    return X, y_true % 2


class ParzenWithFeatures(ParzenWindowClassifier):
    """A Parzen window classifier whose ``predict_proba`` also returns an
    embedding (``return_embeddings=True``): 8 fixed random tanh features
    of ``X``, so that ``h`` is not ``X``."""

    def predict_proba(self, X, return_embeddings=False):
        proba = super().predict_proba(X)
        if not return_embeddings:
            return proba
        W = np.random.RandomState(7).randn(np.shape(X)[1], 8)
        return proba, np.tanh(np.asarray(X) @ W)


def scenario(kind, n_labels):
    """``(X, y, clf, flag)``: the gallery data with ``n_labels`` labels
    (the first of a fixed permutation) and a Parzen window classifier that
    embeds by ``X`` (``"gallery"``) or returns its own embedding
    (``"embedding"``)."""
    X, y_true = gallery_data()
    y = np.full(len(X), MISSING_LABEL)
    lab = np.random.RandomState(1).permutation(len(X))[:n_labels]
    y[lab] = y_true[lab]
    if kind == "gallery":
        return X, y, ParzenWindowClassifier(classes=[0, 1]), None
    flag = "return_embeddings"
    return X, y, ParzenWithFeatures(classes=[0, 1]), flag


def skactiveml_rows(X, y, clf, flag, picks):
    """scikit-activeml's utility rows along the given picks (indices into
    ``X``): row ``k`` is the distribution its rule draws pick ``k`` from
    after ``picks[:k]``, NaN at labeled samples and earlier picks."""
    fitted = clone(clf).fit(X, y)
    unl = unlabeled_indices(y)
    kwargs = {} if flag is None else {flag: True}
    out = fitted.predict_proba(X[unl], **kwargs)
    proba, emb = out if isinstance(out, tuple) else (out, X[unl])
    delta = proba - np.eye(proba.shape[1])[proba.argmax(1)]
    g = (delta[:, :, None] * np.asarray(emb)[:, None, :]).reshape(len(unl), -1)
    pos = {int(i): p for p, i in enumerate(unl)}
    rows = np.full((len(picks), len(X)), np.nan)
    d2, prev = None, []
    for k, pick in enumerate(picks):
        d2 = _d_2(g, []) if k == 0 else _d_2(g, [prev[-1]], d2)
        if d2.sum() == 0:  # scikit-activeml: uniform over the rest
            d2 = np.ones(len(g))
            d2[prev] = 0
        rows[k, unl] = d2 / d2.sum()
        rows[k, np.asarray(picks[:k], dtype=int)] = np.nan
        prev.append(pos[int(pick)])
    return rows


def compare(kind, n_labels, batch_size, seed, **badge_params):
    """One side-by-side query. Returns ``(same_first, row0_err,
    later_err)``: whether the first picks agree, the largest absolute
    difference of row 0 from scikit-activeml's, and of the later rows
    from scikit-activeml's rule along our picks."""
    X, y, clf, flag = scenario(kind, n_labels)
    ours, ours_rows = Badge(flag, random_state=seed, **badge_params).query(
        X, y, clf, batch_size=batch_size, return_utilities=True
    )
    theirs, their_rows = SkactivemlBadge(flag, random_state=seed).query(
        X, y, clf, batch_size=batch_size, return_utilities=True
    )
    expected = skactiveml_rows(X, y, clf, flag, ours)
    # The reference agrees with scikit-activeml's own first row.
    np.testing.assert_allclose(expected[0], their_rows[0], atol=1e-15)
    row0 = _max_abs_diff(ours_rows[0], their_rows[0])
    later = _max_abs_diff(ours_rows[1:], expected[1:])
    return bool(ours[0] == theirs[0]), row0, later


def _max_abs_diff(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.size == 0:
        return 0.0
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        return float("inf")
    return float(np.nanmax(np.abs(a - b)))
