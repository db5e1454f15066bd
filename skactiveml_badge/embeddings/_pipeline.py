"""scikit-learn pipelines: the last step's input is the embedding.

A ``Pipeline`` whose last step is a linear model (``StandardScaler`` then
``LogisticRegression``, a ``ColumnTransformer`` then a linear model) has
its last linear layer in that step, and the layer's input is what the
earlier steps make of ``X``, not ``X``. A pipeline whose last step is a
tree ensemble is served by :mod:`._trees` (its leaves, on the same
transformed rows).
"""

from ._outputs import finish, n_samples
from ._private_api import could_not_fit, inner_estimator


def handles(clf):
    """A fitted pipeline of two steps or more, bare or in a
    scikit-activeml wrapper that could fit it."""
    from sklearn.pipeline import Pipeline

    inner = inner_estimator(clf)
    return (
        isinstance(inner, Pipeline)
        and len(inner) > 1
        and not could_not_fit(clf)
    )


def embed(clf, X, *, include_bias=False, **_):
    """``clf.predict_proba(X)`` and ``pipeline[:-1].transform(X)``
    (flattened per sample; sparse stays sparse).

    Parameters
    ----------
    clf : fitted Pipeline, or a scikit-activeml wrapper of one
    X : array-like of shape (n_samples, ...)
    include_bias : bool, default=False
        Append a constant 1 to the embedding.
    **_
        Options of the other adapters, ignored.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
    h : ndarray or scipy.sparse.csr_matrix of shape (n_samples, n_features)
    """
    proba = clf.predict_proba(X)
    h = inner_estimator(clf)[:-1].transform(X)
    return finish(proba, h, n_samples(X), include_bias)
