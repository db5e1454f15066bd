"""Embedding sources: every adapter returns ``(proba, features)``.

One adapter module per model family, asked in this order by
:func:`proba_and_embedding` (:mod:`._base`): torch nets (:mod:`._nets`),
scikit-learn's MLP (:mod:`._mlp`), tree ensembles (:mod:`._trees`, with
the leaf encodings in :mod:`._leaves`), and the classifier's own outputs
or ``X`` (:mod:`._classifier`). Private names of other libraries are read
in :mod:`._private_api` only.
"""

from ._base import TREE_EMBEDDINGS, gradient_factors, proba_and_embedding
from ._outputs import UntrainedModelWarning, logit_gradients

__all__ = [
    "TREE_EMBEDDINGS",
    "UntrainedModelWarning",
    "gradient_factors",
    "logit_gradients",
    "proba_and_embedding",
]
