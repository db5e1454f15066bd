"""The parameters shared by the strategies, declared once: the
embedding parameters of every strategy that embeds with the classifier
(pool and stream), scikit-activeml's positional parameters, and the
``__init__`` that stores them."""

from inspect import Parameter, Signature

from skactiveml.utils import MISSING_LABEL

from ._validation import Bool, Choice, Int, validate_params
from .embeddings import gradient_factors, predict_flags
from .selection import BACKENDS

EMBEDDING_SOURCES = ("auto", "classifier", "X")

#: scikit-activeml's parameters of ``Badge``, positional in its order.
SKACTIVEML_PARAMS = {
    "clf_embedding_flag_name": None,
    "missing_label": MISSING_LABEL,
    "random_state": None,
}

#: The positional parameters of the strategies that do not embed.
POOL_PARAMS = {"missing_label": MISSING_LABEL, "random_state": None}

#: The embedding parameters (keyword-only) with their defaults; see
#: :class:`~skactiveml_badge.Badge` for what they mean.
EMBEDDING_PARAMS = {
    "embedding_layer": None,
    "include_bias": False,
    "dl_batch_size": 1024,
    "backend": "auto",
    "leaf_dim": 256,
    "embedding_source": "auto",
}


def stored_init(positional, **keyword):
    """An ``__init__`` that stores its arguments verbatim, as
    scikit-learn asks: ``positional`` (name to default, in order), then
    the ``keyword`` parameters, keyword-only. Its signature is what
    ``inspect.signature`` and scikit-learn's ``get_params`` read."""
    kinds = (Parameter.POSITIONAL_OR_KEYWORD, Parameter.KEYWORD_ONLY)
    signature = Signature(
        [Parameter("self", kinds[0])]
        + [Parameter(n, kinds[0], default=d) for n, d in positional.items()]
        + [Parameter(n, kinds[1], default=d) for n, d in keyword.items()]
    )

    def __init__(self, *args, **kwargs):
        try:
            bound = signature.bind(self, *args, **kwargs)
        except TypeError as err:
            raise TypeError(f"{type(self).__name__}(): {err}") from None
        bound.apply_defaults()
        for name, value in list(bound.arguments.items())[1:]:
            setattr(self, name, value)

    __init__.__signature__ = signature
    return __init__


def keyword_params(cls):
    """The keyword-only parameters of ``cls`` and their defaults."""
    params = Signature.from_callable(cls.__init__).parameters.values()
    return {
        p.name: p.default for p in params if p.kind == Parameter.KEYWORD_ONLY
    }


def without(params, *names):
    """``params`` (name to default) but ``names``."""
    return {k: v for k, v in params.items() if k not in names}


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
