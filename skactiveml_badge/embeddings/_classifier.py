"""Embeddings a classifier provides itself, and ``X`` as the fallback.

The adapter of last resort: it takes any model with ``predict_proba``. As
in scikit-activeml, ``clf.predict_proba(X, **flags)`` may return
``(proba, embedding)``; a single array means the model has no embedding
to give, and ``X`` itself (flattened per sample) is used, which is the
input of the last linear layer of a linear model.
"""

from ._outputs import finish, n_samples


def predict_flags(flag_name):
    """Keyword arguments of ``predict_proba`` that ask for embeddings.

    Parameters
    ----------
    flag_name : None, str or dict
        ``clf_embedding_flag_name``: nothing, the name of a boolean flag,
        or the keyword arguments themselves.

    Returns
    -------
    flags : dict
    """
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


def handles(clf):
    """Any model: this adapter is asked last."""
    return True


def embed(clf, X, *, flags=None, include_bias=False, **_):
    """``clf.predict_proba(X, **flags)``: its ``(proba, embedding)``, or
    the probabilities and ``X`` when it returns one array (then ``flags``
    must be empty).

    Parameters
    ----------
    clf : fitted classifier with ``predict_proba``
    X : ndarray of shape (n_samples, ...)
    flags : dict or None, default=None
        From :func:`predict_flags`.
    include_bias : bool, default=False
        Append a constant 1 to the embedding.
    **_
        Options of the other adapters, ignored.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
    embedding : ndarray of shape (n_samples, n_features)
    """
    n = n_samples(X)
    proba, emb = _classifier_outputs(clf, X, flags or {})
    return finish(proba, emb, n, include_bias)


def embed_x(clf, X, *, include_bias=False, **_):
    """``clf.predict_proba(X)`` (its probabilities only) and ``X``."""
    n = n_samples(X)
    proba, _ = _classifier_outputs(clf, X, {})
    return finish(proba, X, n, include_bias)


def _classifier_outputs(clf, X, flags):
    out = clf.predict_proba(X, **flags)
    if isinstance(out, tuple):
        if len(out) != 2:
            raise ValueError(
                "`clf.predict_proba` returned a tuple of length "
                f"{len(out)}; expected (proba, embedding)."
            )
        return out
    if flags:
        raise ValueError(
            f"`clf.predict_proba(X, **{flags!r})` returned a single array; "
            "with `clf_embedding_flag_name` set it must return "
            "(proba, embedding)."
        )
    return out, X
