"""Embedding sources: every adapter returns ``(proba, features)``."""

from ._base import logit_gradients, proba_and_embedding
from ._models import UntrainedModelWarning

__all__ = ["UntrainedModelWarning", "logit_gradients", "proba_and_embedding"]
