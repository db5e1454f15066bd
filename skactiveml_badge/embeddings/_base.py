"""Class probabilities and last-layer inputs from a fitted classifier."""

import warnings

import numpy as np
import scipy.sparse as sp

from ..selection._backend import is_torch_tensor
from ._trees import (
    is_tree_ensemble,
    leaf_embedding,
    leaf_gradient_values,
    leaf_indices,
    lightgbm_proba,
)


def logit_gradients(proba):
    """Loss gradient with respect to the logits at the pseudo-label.

    For cross-entropy at the predicted class ``yhat = argmax p`` the
    gradient with respect to the logits is ``p - onehot(yhat)``; the
    gradient embedding of BADGE is its outer product with the input of the
    last linear layer.

    Parameters
    ----------
    proba : ndarray or torch.Tensor of shape (n_samples, n_classes)
        Class probabilities.

    Returns
    -------
    delta : ndarray or torch.Tensor of shape (n_samples, n_classes)
        ``proba - onehot(argmax proba)``, in the dtype (and on the device)
        of ``proba``; ties go to the lowest class index.
    """
    if is_torch_tensor(proba):
        delta = proba.clone()
        rows = range(delta.shape[0])
        delta[list(rows), delta.argmax(dim=1)] -= 1.0
        return delta
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


def proba_and_embedding(
    clf,
    X,
    clf_embedding_flag_name=None,
    *,
    embedding_layer=None,
    include_bias=False,
    dl_batch_size=1024,
    as_tensor=False,
    leaf_dim=256,
    source="auto",
    tree_embedding="proximity",
    mc_dropout=0,
    mc_seed=0,
):
    """Class probabilities and the input of the last linear layer.

    - ``clf_embedding_flag_name`` given: as scikit-activeml,
      ``clf.predict_proba(X, **{name: True})`` (a str) or
      ``clf.predict_proba(X, **flags)`` (a dict) must return
      ``(proba, embedding)``.
    - Otherwise the model is looked at: a torch net (scikit-activeml's
      ``SkorchClassifier``, a skorch net, also inside ``SklearnClassifier``)
      is run once with a forward hook on its last ``Linear`` layer with one
      output per class (or ``embedding_layer``); a scikit-learn
      ``MLPClassifier`` gives its last hidden activation; a tree ensemble
      (LightGBM, XGBoost, scikit-learn forests and gradient boosting) gives
      its leaf embedding (:mod:`._trees`).
    - Any other model: ``clf.predict_proba(X)``; a ``(proba, embedding)``
      tuple is used, otherwise ``X`` itself (flattened per sample), which is
      the last linear layer's input of a linear model.

    Parameters
    ----------
    clf : fitted classifier with ``predict_proba``
    X : ndarray of shape (n_samples, ...)
    clf_embedding_flag_name : None, str or dict, default=None
    embedding_layer : str or None, default=None
        Torch nets: name of the layer (in ``module.named_modules()``) whose
        input is the embedding.
    include_bias : bool, default=False
        Append a constant 1 to the embedding (the bias gradient).
    dl_batch_size : int, default=1024
        Torch nets: samples per forward pass.
    as_tensor : bool, default=False
        Torch nets: return tensors on the net's device.
    leaf_dim : int or None, default=256
        Trees: buckets of the hashed leaf embedding (``None``: exact).
    source : {"auto", "classifier", "X"}, default="auto"
        ``"auto"`` as above; ``"classifier"`` skips the model adapters
        (scikit-activeml's behaviour); ``"X"`` always embeds ``X``.
    tree_embedding : {"proximity", "proximity+X"}, default="proximity"
        Trees: the leaf embedding, or the leaf embedding next to ``X``
        scaled to a mean squared row norm of one (both blocks then weigh
        alike). The leaf-gradient embedding is not a rank-one factor; see
        :func:`gradient_factors`.
    mc_dropout : int, default=0
        Torch nets with dropout: average the probabilities over this many
        passes with dropout active (``h`` from the evaluation pass). Any
        other model raises a ``ValueError`` when it is positive.
    mc_seed : int, default=0
        Seed of the MC-dropout passes.

    Returns
    -------
    proba : ndarray (or Tensor) of shape (n_samples, n_classes)
    embedding : ndarray (or Tensor) of shape (n_samples, n_features)
    """
    from . import _models

    kwargs = _predict_kwargs(clf_embedding_flag_name)
    n = _n(X)
    adapters = source == "auto" and not kwargs
    if mc_dropout and not adapters:
        raise ValueError(
            "`mc_dropout` works through the torch adapter "
            "(embedding_source='auto', no clf_embedding_flag_name)."
        )
    if source == "X":
        proba, _ = _classifier_outputs(clf, X, {})
        return _finish(proba, X, n, include_bias)
    parts = _models.torch_parts(clf) if adapters else None
    if parts is not None:
        from ._torch import hooked_forward

        module, proba_fn = parts
        reason = _models.untrained_reason(clf)
        if reason is not None:
            warnings.warn(
                f"The torch net of {type(clf).__name__} looks untrained: "
                f"{reason}. Its gradient embeddings carry no information "
                "from the labels. skactiveml.classifier.SkorchClassifier "
                "trains skorch modules with any missing_label.",
                _models.UntrainedModelWarning,
                stacklevel=4,
            )
        out = hooked_forward(
            module,
            X,
            proba_fn,
            _models.n_classes_of(clf, None),
            layer=embedding_layer,
            dl_batch_size=dl_batch_size,
            include_bias=include_bias,
            as_tensor=as_tensor,
            mc_dropout=mc_dropout,
            mc_seed=mc_seed,
        )
        if as_tensor:
            return _check_tensor_outputs(*out)
        return _check_outputs(*out, n)
    if mc_dropout:
        raise ValueError(
            "`mc_dropout` needs a torch net (skorch, or scikit-activeml's "
            f"SkorchClassifier); got {type(clf).__name__}."
        )
    inner = _models.inner_estimator(clf)
    if adapters and _models.is_mlp(inner):
        return _finish(
            clf.predict_proba(X),
            _models.mlp_hidden(inner, X),
            n,
            include_bias,
        )
    if adapters and is_tree_ensemble(inner):
        return _tree_embedding(
            clf, inner, X, n, leaf_dim, include_bias, tree_embedding
        )
    proba, emb = _classifier_outputs(clf, X, kwargs)
    return _finish(proba, emb, n, include_bias)


TREE_EMBEDDINGS = ("proximity", "leaf_gradient", "proximity+X")


def gradient_factors(clf, X, clf_embedding_flag_name=None, **options):
    """Probabilities and the two factors of the gradient embeddings.

    ``g_i = delta_i (x) h_i``. For every source but one this is
    ``delta = p - onehot(argmax p)`` and ``h`` from
    :func:`proba_and_embedding` (same options). The exception is a boosted
    tree ensemble with ``tree_embedding="leaf_gradient"``: the gradient
    with respect to the leaf values (:mod:`._trees`) is returned whole as
    ``h``, with ``delta`` a column of ones.

    Returns
    -------
    proba : ndarray (or Tensor) of shape (n_samples, n_classes)
    delta : ndarray (or Tensor) of shape (n_samples, n_classes) or \
(n_samples, 1)
    h : ndarray, sparse matrix (or Tensor) of shape (n_samples, n_dims)
    """
    from . import _models

    kind = options.get("tree_embedding", "proximity")
    if kind not in TREE_EMBEDDINGS:
        raise ValueError(
            f"`tree_embedding` must be one of {list(TREE_EMBEDDINGS)}, got "
            f"{kind!r}."
        )
    inner = _models.inner_estimator(clf)
    if (
        kind == "leaf_gradient"
        and options.get("source", "auto") == "auto"
        and not _predict_kwargs(clf_embedding_flag_name)
        and is_tree_ensemble(inner)
        and clf.__dict__.get("is_fitted_") is not False
    ):
        if options.get("include_bias"):
            raise ValueError(
                "`include_bias=True` has no leaf-gradient counterpart; use "
                "it with tree_embedding='proximity'."
            )
        n = _n(X)
        proba, leaves = tree_proba_and_leaves(
            clf, inner, np.asarray(X).reshape(n, -1)
        )
        proba = _check_proba(proba, n)
        delta = logit_gradients(proba)
        cols = _class_columns(clf, inner)
        values = leaf_gradient_values(leaves, inner, delta[:, cols])
        h = leaf_embedding(leaves, options.get("leaf_dim", 256), values)
        return proba, np.ones((n, 1), dtype=np.float32), h
    options = dict(options)
    if kind == "leaf_gradient":  # not a boosted tree model: as proximity
        options["tree_embedding"] = "proximity"
    proba, h = proba_and_embedding(clf, X, clf_embedding_flag_name, **options)
    return proba, logit_gradients(proba), h


def tree_proba_and_leaves(clf, est, X):
    """``clf.predict_proba(X)`` and the leaf indices of its trees ``est``.

    For LightGBM the probabilities come from the leaves
    (:func:`~._trees.lightgbm_proba`, one pass over the trees instead of
    two), placed in the columns of ``clf.classes_`` as scikit-activeml's
    wrapper places them (zero for classes the trees have not seen).
    """
    leaves = leaf_indices(est, X)
    inner = lightgbm_proba(est, leaves)
    if inner is None or clf.__dict__.get("is_fitted_") is False:
        return clf.predict_proba(X), leaves
    if clf is est:
        return inner, leaves
    cols = _class_columns(clf, est)
    n_classes = len(getattr(clf, "classes_", est.classes_))
    if len(cols) == n_classes:
        proba = inner[:, np.argsort(cols)]
    else:
        proba = np.zeros((len(inner), n_classes))
        proba[:, cols] = inner
    return proba, leaves


def _class_columns(clf, inner):
    """Column of ``clf.predict_proba`` of each of ``inner.classes_``."""
    outer = list(getattr(clf, "classes_", inner.classes_))
    try:
        return np.array([outer.index(c) for c in inner.classes_])
    except ValueError:
        raise ValueError(
            f"The classes of the fitted trees {list(inner.classes_)} are "
            f"not among the classifier's classes {outer}."
        ) from None


def _tree_embedding(clf, est, X, n, leaf_dim, include_bias, kind):
    """Pseudo-gradient probabilities and the leaf embedding of a tree model.

    If scikit-activeml's wrapper could not fit the trees (it then predicts
    label frequencies), there are no leaves: warn and embed ``X``.
    """
    from ._models import UntrainedModelWarning

    if clf.__dict__.get("is_fitted_") is False:
        proba = clf.predict_proba(X)
        warnings.warn(
            f"The tree ensemble in {type(clf).__name__} could not be fitted "
            "(it predicts label frequencies); the selection falls back to "
            "the raw features X.",
            UntrainedModelWarning,
            stacklevel=4,
        )
        return _finish(proba, X, n, include_bias)
    X2 = np.asarray(X).reshape(n, -1)
    proba, leaves = tree_proba_and_leaves(clf, est, X2)
    z = leaf_embedding(leaves, leaf_dim)
    if kind == "proximity+X":
        X2 = _check_numeric(np.asarray(X2, dtype=np.float32), "features")
        scale = np.sqrt(np.mean(np.einsum("ij,ij->i", X2, X2)))
        X2 = X2 / scale if scale > 0 else X2
        if sp.issparse(z):
            z = sp.hstack([z, sp.csr_matrix(X2)], format="csr")
        else:
            z = np.hstack([z, X2])
    proba = _check_proba(proba, n)
    return proba, _append_ones(z) if include_bias else z


def _append_ones(emb):
    if sp.issparse(emb):
        ones = sp.csr_matrix(np.ones((emb.shape[0], 1), dtype=emb.dtype))
        return sp.hstack([emb, ones], format="csr")
    return np.hstack([emb, np.ones((emb.shape[0], 1), dtype=emb.dtype)])


def _finish(proba, emb, n, include_bias):
    proba, emb = _check_outputs(proba, emb, n)
    return proba, _append_ones(emb) if include_bias else emb


def _classifier_outputs(clf, X, kwargs):
    out = clf.predict_proba(X, **kwargs)
    if isinstance(out, tuple):
        if len(out) != 2:
            raise ValueError(
                "`clf.predict_proba` returned a tuple of length "
                f"{len(out)}; expected (proba, embedding)."
            )
        return out
    if kwargs:
        raise ValueError(
            f"`clf.predict_proba(X, **{kwargs!r})` returned a single array; "
            "with `clf_embedding_flag_name` set it must return "
            "(proba, embedding)."
        )
    return out, X


def _check_tensor_outputs(proba, emb):
    import torch

    for name, t in (("probabilities", proba), ("embeddings", emb)):
        if not bool(torch.isfinite(t).all()):
            raise ValueError(
                f"The net returned non-finite {name}; was it trained?"
            )
    return proba, emb


def _n(X):
    return X.shape[0] if hasattr(X, "shape") else len(X)


def _check_outputs(proba, emb, n_samples):
    proba = _check_proba(proba, n_samples)
    emb = np.asarray(emb)
    if emb.ndim < 2 or emb.shape[0] != n_samples:
        raise ValueError(
            f"Embeddings must have shape ({n_samples}, n_features), got "
            f"{emb.shape}."
        )
    return proba, _check_numeric(emb.reshape(n_samples, -1), "embeddings")


def _check_proba(proba, n_samples):
    proba = np.asarray(proba)
    if proba.ndim != 2 or proba.shape[0] != n_samples:
        raise ValueError(
            f"Class probabilities must have shape ({n_samples}, n_classes), "
            f"got {proba.shape}."
        )
    return _check_numeric(proba, "probabilities")


def _check_numeric(arr, name):
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"The {name} must be numeric, got {arr.dtype}.")
    if not np.isfinite(arr).all():
        raise ValueError(f"The classifier returned non-finite {name}.")
    return arr
