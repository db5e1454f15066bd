"""The base classes of the strategies: the ``query`` skeleton of the
scikit-activeml pool strategies and the embedding parameters."""

import warnings

import numpy as np
from skactiveml.base import SingleAnnotatorPoolQueryStrategy
from sklearn.utils import check_array

from ._validation import (
    Bool,
    Choice,
    Int,
    check_positive_int,
    check_query_inputs,
    fit_or_check_classifier,
    validate_params,
)
from .embeddings import gradient_factors, proba_and_embedding
from .embeddings._classifier import predict_flags
from .selection import BACKENDS
from .selection._chunked import is_chunked

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


class PoolStrategy(SingleAnnotatorPoolQueryStrategy):
    """``query`` for the strategies of this package.

    A subclass implements ``_check_params()`` (returning what
    ``_query_batch`` needs) and ``_query_batch(clf, X, y, X_cand, mapping,
    batch_size, return_utilities, params)``, which returns picks as
    positions in ``X_cand`` and utilities of shape
    ``(batch_size, n_candidates)`` (or None).
    """

    def _check_before_fit(self, clf, y, chunked):
        """Checks of parameters against the classifier ``clf`` (not
        fitted yet, or fitted by the user with ``fit_clf=False``) and the
        labels ``y``, before it is fitted (``chunked``: the pool is on
        disk or on Dask); none by default."""

    def _store_params(self, params):
        """Store the arguments of ``__init__`` verbatim, as scikit-learn
        asks (``params``: the caller's ``locals()``)."""
        params = {k: v for k, v in params.items() if k != "self"}
        SingleAnnotatorPoolQueryStrategy.__init__(
            self,
            missing_label=params.pop("missing_label"),
            random_state=params.pop("random_state"),
        )
        for name, value in params.items():
            setattr(self, name, value)

    def query(
        self,
        X,
        y,
        clf,
        fit_clf=True,
        sample_weight=None,
        candidates=None,
        batch_size=1,
        return_utilities=False,
    ):
        """Determine which candidate samples to label next.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            All samples, labeled and unlabeled.
        y : array-like of shape (n_samples,)
            Labels, ``missing_label`` for unlabeled samples.
        clf : skactiveml.base.SkactivemlClassifier
            Classifier with ``fit`` and ``predict_proba``; never modified.
        fit_clf : bool, default=True
            Whether to fit a clone of ``clf`` on ``(X, y, sample_weight)``
            first; if False, ``clf`` must already be fitted.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples when fitting ``clf``.
        candidates : None, array-like of shape (n_candidates,) of int, or \
array-like of shape (n_candidates, ...), default=None
            - ``None``: the unlabeled samples of ``X``.
            - 1-D integers: indices of unlabeled samples of ``X``.
            - samples: candidates given directly (need not be in ``X``).
        batch_size : int, default=1
            Number of samples to pick. If it exceeds the number of
            candidates, a warning is issued and it is reduced.
        return_utilities : bool, default=False
            Whether to also return each pick's utilities.

        Returns
        -------
        query_indices : ndarray of shape (batch_size,), dtype=np.intp
            Picks in order: indices into ``X``, or into ``candidates`` when
            candidates are samples.
        utilities : ndarray of shape (batch_size, n_samples) or \
(batch_size, n_candidates)
            Only if ``return_utilities``. Row ``k`` is what pick ``k`` was
            chosen by (see the class's Notes). NaN for labeled samples,
            non-candidates and earlier picks.
        """
        if is_chunked(X) or is_chunked(candidates):
            return self._query_chunked(
                X, y, clf, fit_clf, sample_weight, candidates, batch_size,
                return_utilities,
            )  # fmt: skip
        check_query_inputs(
            X, y, candidates, self.missing_label, batch_size, return_utilities
        )
        X, y, candidates, batch_size, return_utilities = self._validate_data(
            X, y, candidates, batch_size, return_utilities, reset=True
        )
        X_cand, mapping = self._transform_candidates(
            candidates, X, y, allow_only_unlabeled=True
        )
        params = self._check_params()
        self._check_before_fit(clf, y, False)
        clf = fit_or_check_classifier(
            clf, X, y, sample_weight, fit_clf, self.missing_label_
        )
        if batch_size == 0:
            idx = np.empty(0, dtype=np.intp)
            util = np.empty((0, X_cand.shape[0]))
        else:
            idx, util = self._query_batch(
                clf,
                X,
                y,
                X_cand,
                mapping,
                batch_size,
                return_utilities,
                params,
            )
        return query_output(idx, util, mapping, X.shape[0], return_utilities)

    def _query_chunked(self, X, *args):
        """``query`` on a pool on disk or on Dask (Badge serves it)."""
        raise TypeError(
            f"{type(self).__name__} needs `X` in memory, got a "
            f"{type(X).__module__}.{type(X).__name__}; Badge and Bait "
            "select from pools on disk (numpy.memmap) and on Dask "
            "(dask.array)."
        )


class EmbeddingPoolStrategy(EmbeddingParamsMixin, PoolStrategy):
    """A :class:`PoolStrategy` that embeds with the classifier."""


def query_output(idx, util, mapping, n_samples, return_utilities):
    """``query``'s return value from picks ``idx`` (positions among the
    candidates) and their utility rows ``util``: indices into ``X`` and
    rows over ``X`` (NaN off the candidates) when the candidates map to
    ``X`` (``mapping``), else both as they are."""
    query_indices = idx if mapping is None else np.asarray(mapping)[idx]
    if not return_utilities:
        return query_indices
    if mapping is None:
        return query_indices, util
    utilities = np.full((util.shape[0], n_samples), np.nan)
    utilities[:, mapping] = util
    return query_indices, utilities


def check_pool_and_batch(unlabeled_x, batch_size):
    """``select_batch`` inputs: the pool as an array and the batch size,
    reduced with a warning (as in ``query``) if it exceeds the pool."""
    X = check_array(unlabeled_x, allow_nd=True, input_name="unlabeled_x")
    return X, batch_for_pool(batch_size, X.shape[0], stacklevel=4)


def batch_for_pool(batch_size, n_pool, stacklevel=3):
    """``batch_size`` checked, reduced with a warning (as in ``query``)
    to ``n_pool`` if it exceeds the pool."""
    batch_size = check_positive_int(batch_size, "batch_size")
    if batch_size > n_pool:
        warnings.warn(
            f"'batch_size={batch_size}' is larger than the pool; "
            f"'batch_size={n_pool}' is used instead.",
            UserWarning,
            stacklevel=stacklevel,
        )
        batch_size = n_pool
    return batch_size
