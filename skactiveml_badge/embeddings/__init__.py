"""Embedding sources: every adapter returns ``(proba, features)``.

One adapter module per model family, asked in this order by
:func:`proba_and_embedding` (:mod:`._base`): models that say how to embed
them with ``encode`` or ``leaf_embeddings`` (:mod:`._protocol`), torch
nets (:mod:`._nets`),
scikit-learn's MLP (:mod:`._mlp`), tree ensembles (:mod:`._trees`, with
the leaf encodings in :mod:`._leaves`), and the classifier's own outputs
or ``X`` (:mod:`._classifier`); the multi-label sigmoid outputs have
their own adapter (:mod:`._multilabel`). Private names of other libraries
are read in :mod:`._private_api` only. The strategies use the names
below, nothing private.
"""

from ..exceptions import UntrainedModelWarning
from ._base import (
    TREE_EMBEDDINGS,
    check_model_options,
    gradient_factors,
    model_kind,
    proba_and_embedding,
)
from ._classifier import predict_flags
from ._multilabel import (
    multilabel_gradient_factors,
    multilabel_proba_and_embedding,
)
from ._outputs import check_proba, logit_gradients
from ._private_api import (
    is_skorch_estimator,
    make_tuple_aware_losses,
    tuple_aware_losses,
)
from ._trees import features_scale, has_leaves, row_sq_sum

__all__ = [
    "TREE_EMBEDDINGS",
    "UntrainedModelWarning",
    "check_proba",
    "check_model_options",
    "features_scale",
    "gradient_factors",
    "has_leaves",
    "is_skorch_estimator",
    "logit_gradients",
    "make_tuple_aware_losses",
    "model_kind",
    "multilabel_gradient_factors",
    "multilabel_proba_and_embedding",
    "predict_flags",
    "proba_and_embedding",
    "row_sq_sum",
    "tuple_aware_losses",
]
