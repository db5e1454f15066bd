"""Embedding sources: every adapter returns ``(proba, features)``."""

from ._base import logit_gradients, proba_and_embedding

__all__ = ["logit_gradients", "proba_and_embedding"]
