"""The embedding parameters, declared once for every strategy that
embeds with the classifier (pool and stream)."""

from ._validation import Bool, Choice, Int, validate_params
from .embeddings import gradient_factors, predict_flags, proba_and_embedding
from .selection import BACKENDS

EMBEDDING_SOURCES = ("auto", "classifier", "X")


def _layer_name(value, name):
    if value is not None and not isinstance(value, str):
        raise TypeError(
            f"`{name}` must be None or a layer name (str), got {value!r}."
        )
    return value


def _flag_name(value, name):
    predict_flags(value)  # raises the TypeError for anything else
    return value


EMBEDDING_CONSTRAINTS = {
    "clf_embedding_flag_name": _flag_name,
    "backend": Choice(*BACKENDS),
    "embedding_source": Choice(*EMBEDDING_SOURCES),
    "leaf_dim": Int(none=True),
    "include_bias": Bool(),
    "dl_batch_size": Int(),
    "embedding_layer": _layer_name,
}


class EmbeddingParamsMixin:
    """Checks and use of ``clf_embedding_flag_name``, ``embedding_layer``,
    ``include_bias``, ``dl_batch_size``, ``backend``, ``leaf_dim`` and
    ``embedding_source`` (see :class:`~skactiveml_badge.Badge`)."""

    def _check_embedding_params(self):
        checks = {
            name: check
            for name, check in EMBEDDING_CONSTRAINTS.items()
            if hasattr(self, name)
        }
        validate_params(self, checks)

    def _embed(self, clf, X, as_tensor):
        """``(proba, h)`` of ``X`` with this strategy's embedding settings."""
        return proba_and_embedding(
            clf,
            X,
            self.clf_embedding_flag_name,
            **self._embed_options(as_tensor),
        )

    def _gradient_factors(self, clf, X, as_tensor, tree_embedding, **extra):
        """``(proba, delta, h)`` of ``X`` (see ``gradient_factors``);
        ``extra``: further options of ``proba_and_embedding``."""
        return gradient_factors(
            clf,
            X,
            self.clf_embedding_flag_name,
            tree_embedding=tree_embedding,
            **self._embed_options(as_tensor),
            **extra,
        )

    def _embed_options(self, as_tensor):
        return dict(
            embedding_layer=self.embedding_layer,
            include_bias=self.include_bias,
            dl_batch_size=self.dl_batch_size,
            as_tensor=as_tensor,
            leaf_dim=self.leaf_dim,
            source=self.embedding_source,
        )
