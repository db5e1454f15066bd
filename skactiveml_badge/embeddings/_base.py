"""Class probabilities and last-layer inputs from a fitted classifier."""

import numpy as np


def logit_gradients(proba):
    """Loss gradient with respect to the logits at the pseudo-label.

    For cross-entropy at the predicted class ``yhat = argmax p`` the
    gradient with respect to the logits is ``p - onehot(yhat)``; the
    gradient embedding of BADGE is its outer product with the input of the
    last linear layer.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        Class probabilities.

    Returns
    -------
    delta : ndarray of shape (n_samples, n_classes)
        ``proba - onehot(argmax proba)``, in the dtype of ``proba``.
    """
    delta = np.array(proba, copy=True)
    delta[np.arange(delta.shape[0]), np.argmax(delta, axis=1)] -= 1.0
    return delta


def _predict_kwargs(flag_name):
    if flag_name is None:
        return {}
    if isinstance(flag_name, str):
        return {flag_name: True}
    if isinstance(flag_name, dict):
        return dict(flag_name)
    raise TypeError(
        "`clf_embedding_flag_name` must be None, a str or a dict, got "
        f"{type(flag_name).__name__}."
    )


def proba_and_embedding(clf, X, clf_embedding_flag_name=None):
    """Class probabilities and embeddings, as scikit-activeml obtains them.

    - ``clf_embedding_flag_name=None``: ``clf.predict_proba(X)``; if it
      returns a ``(proba, embedding)`` tuple the embedding is used,
      otherwise ``X`` itself (flattened per sample).
    - a str ``s``: ``clf.predict_proba(X, s=True)`` must return a tuple.
    - a dict ``d``: ``clf.predict_proba(X, **d)`` must return a tuple.

    Parameters
    ----------
    clf : fitted classifier with ``predict_proba``
    X : ndarray of shape (n_samples, ...)
    clf_embedding_flag_name : None, str or dict, default=None

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
    embedding : ndarray of shape (n_samples, n_features)
    """
    kwargs = _predict_kwargs(clf_embedding_flag_name)
    out = clf.predict_proba(X, **kwargs)
    if isinstance(out, tuple):
        if len(out) != 2:
            raise ValueError(
                "`clf.predict_proba` returned a tuple of length "
                f"{len(out)}; expected (proba, embedding)."
            )
        proba, emb = out
    elif kwargs:
        raise ValueError(
            f"`clf.predict_proba(X, **{kwargs!r})` returned a single array; "
            "with `clf_embedding_flag_name` set it must return "
            "(proba, embedding)."
        )
    else:
        proba, emb = out, X
    return _check_outputs(proba, emb, _n(X))


def _n(X):
    return X.shape[0] if hasattr(X, "shape") else len(X)


def _check_outputs(proba, emb, n_samples):
    proba = np.asarray(proba)
    emb = np.asarray(emb)
    if proba.ndim != 2 or proba.shape[0] != n_samples:
        raise ValueError(
            f"Class probabilities must have shape ({n_samples}, n_classes), "
            f"got {proba.shape}."
        )
    if emb.ndim < 2 or emb.shape[0] != n_samples:
        raise ValueError(
            f"Embeddings must have shape ({n_samples}, n_features), got "
            f"{emb.shape}."
        )
    emb = emb.reshape(n_samples, -1)
    for name, arr in (("probabilities", proba), ("embeddings", emb)):
        if not np.issubdtype(arr.dtype, np.number):
            raise TypeError(f"The {name} must be numeric, got {arr.dtype}.")
        if not np.isfinite(arr).all():
            raise ValueError(f"The classifier returned non-finite {name}.")
    return proba, emb
