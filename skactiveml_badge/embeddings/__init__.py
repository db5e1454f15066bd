"""Embedding sources: every adapter returns ``(proba, features)``."""

from ._base import (
    TREE_EMBEDDINGS,
    gradient_factors,
    logit_gradients,
    proba_and_embedding,
)
from ._models import UntrainedModelWarning

__all__ = [
    "TREE_EMBEDDINGS",
    "UntrainedModelWarning",
    "gradient_factors",
    "logit_gradients",
    "proba_and_embedding",
]
