"""Models that say how to embed them (the design's model protocol).

A model with ``encode(X) -> (n, D)`` next to ``predict_proba`` is embedded
by ``encode``: the input of a last linear layer (the gradient embedding is
``(p - onehot) (x) encode(x)``). A model with ``leaf_embeddings(X) -> (n,
D_leaf)`` (dense or sparse) is a tree model whose leaf embedding that is:
it takes the tree embeddings ``"proximity"`` and ``"proximity+X"`` (the
leaves next to the scaled ``X``). Bare or inside scikit-activeml's
``SklearnClassifier``; ``encode`` wins when a model has both.
"""

from ..exceptions import UntrainedModelWarning, warn
from ._outputs import (
    append_ones,
    check_outputs,
    finish,
    method_of,
)
from ._outputs import n_samples as _n_samples
from ._private_api import could_not_fit, inner_estimator


def handles(clf):
    """A fitted model with ``encode`` or ``leaf_embeddings``, bare or in a
    scikit-activeml wrapper."""
    return method_of(inner_estimator(clf)) is not None


def embed(
    clf,
    X,
    *,
    include_bias=False,
    tree_embedding="proximity",
    features_scale=None,
    **_,
):
    """``clf.predict_proba(X)`` and the model's own embedding: ``encode(X)``,
    or ``leaf_embeddings(X)`` (next to ``X`` with
    ``tree_embedding="proximity+X"``); the options of the other adapters
    are ignored.

    A scikit-activeml wrapper whose model could not be fitted predicts
    label frequencies: ``X`` is the embedding then, with an
    :class:`UntrainedModelWarning`.
    """
    from ._trees import next_to_features

    n = _n_samples(X)
    proba = clf.predict_proba(X)
    if could_not_fit(clf):
        warn(
            f"The model in {type(clf).__name__} could not be fitted (it "
            "predicts label frequencies); the selection falls back to the "
            "raw features X.",
            UntrainedModelWarning,
        )
        return finish(proba, X, n, include_bias)
    est = inner_estimator(clf)
    if method_of(est) == "encode":
        return finish(proba, est.encode(X), n, include_bias)
    proba, z = check_outputs(proba, est.leaf_embeddings(X), n)
    if tree_embedding == "proximity+X":
        z = next_to_features(z, X, features_scale)
    return proba, append_ones(z) if include_bias else z
