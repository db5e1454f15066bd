"""scikit-learn's ``MLPClassifier``: its last hidden activation.

The input of the output layer is recomputed from the fitted weights
(``coefs_``, ``intercepts_``, ``activation``) in one pass, without torch
and without changing the model.
"""

import numpy as np

from ..exceptions import UntrainedModelWarning, warn
from ._outputs import finish, n_samples
from ._private_api import could_not_fit, inner_estimator

_ACTIVATIONS = {
    "identity": lambda a: a,
    "logistic": lambda a: 1.0 / (1.0 + np.exp(-a)),
    "tanh": np.tanh,
    "relu": lambda a: np.maximum(a, 0.0),
}


def is_mlp(est):
    """Whether ``est`` is a scikit-learn ``MLPClassifier``."""
    from sklearn.neural_network import MLPClassifier

    return isinstance(est, MLPClassifier)


def handles(clf):
    """An ``MLPClassifier``, bare or in a scikit-activeml wrapper."""
    return is_mlp(inner_estimator(clf))


def hidden_activation(mlp, X):
    """Last hidden activation of a fitted scikit-learn MLPClassifier.

    Parameters
    ----------
    mlp : fitted MLPClassifier
    X : ndarray of shape (n_samples, ...)
        Flattened per sample.

    Returns
    -------
    h : ndarray of shape (n_samples, mlp.hidden_layer_sizes[-1])
    """
    a = np.asarray(X, dtype=np.float64).reshape(X.shape[0], -1)
    activation = _ACTIVATIONS[mlp.activation]
    for W, b in zip(mlp.coefs_[:-1], mlp.intercepts_[:-1], strict=True):
        a = activation(a @ W + b)
    return a


def embed(clf, X, *, include_bias=False, **_):
    """``clf.predict_proba(X)`` and the last hidden activation of its MLP,
    of shape ``(n_samples, n_hidden)`` (one more column of ones with
    ``include_bias``); the options of the other adapters are ignored.

    A scikit-activeml wrapper whose MLP could not be fitted (no labels,
    or a single class) predicts label frequencies and has no weights:
    ``X`` is the embedding then, as in scikit-activeml, with an
    :class:`UntrainedModelWarning`.
    """
    n = n_samples(X)
    proba = clf.predict_proba(X)
    if could_not_fit(clf):
        warn(
            f"The MLP in {type(clf).__name__} could not be fitted (it "
            "predicts label frequencies); the selection falls back to the "
            "raw features X.",
            UntrainedModelWarning,
        )
        return finish(proba, X, n, include_bias)
    h = hidden_activation(inner_estimator(clf), X)
    return finish(proba, h, n, include_bias)
