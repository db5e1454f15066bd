"""The base class of the pool strategies: the one ``query`` and
``select_batch``."""

import warnings

import numpy as np
from skactiveml.base import SingleAnnotatorPoolQueryStrategy
from skactiveml.exceptions import MappingError
from skactiveml.utils import check_random_state
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from .._params import EmbeddingParamsMixin
from .._validation import (
    check_bool,
    check_classifier,
    fit_or_check_classifier,
)
from ._pool import Labels, batch_pool, query_pool


class PoolStrategy(SingleAnnotatorPoolQueryStrategy):
    """The one ``query`` and ``select_batch`` of this package's pool
    strategies.

    Both check every parameter (``_check_params``) and input
    (:func:`~._pool.query_pool`, :func:`~._pool.batch_pool`: the same
    checks for a pool in memory, on disk and on Dask), refuse what the
    strategy cannot serve (``_needs_memory``, ``_index_candidates_only``,
    ``_check_before_fit``), then fit the model if asked, call the
    strategy's ``_pick(clf, pool, n_picks, return_util, params)`` (picks
    as positions among the candidates, and their utility rows) and map
    its outputs back (:meth:`~._pool.Pool.output`). A subclass writes its
    pick and the checks it needs, nothing else.
    """

    #: Why the strategy needs the pool in memory, or None if it takes
    #: pools on disk and on Dask.
    _needs_memory = None
    #: Why the strategy needs index candidates, or None if it also takes
    #: candidates given as samples.
    _index_candidates_only = None
    #: Whether the strategy takes a data frame with categorical or text
    #: columns (kept as a frame for the model; see :mod:`.._frames`).
    _takes_frames = False

    def _check_params(self):
        """Check the parameters; return what ``_pick`` needs."""

    def _check_before_fit(self, clf, pool, n_picks, params):
        """Checks of the parameters against the model ``clf`` (not fitted
        yet, or fitted by the user) and the pool; none by default."""

    def _pick(self, clf, pool, n_picks, return_util, params):
        """Picks (positions among ``pool``'s candidates) and their
        utility rows of shape ``(n_picks, n_candidates)`` (or None)."""
        raise NotImplementedError

    #: Whether ``y`` is a label indicator matrix (multi-label).
    _indicator_labels = False

    def _for_labels(self, y, query):
        """The strategy that serves the labels ``y`` (of ``query``, else
        ``select_batch``'s ``labeled_y``): this one, unless a subclass
        serves another kind of ``y`` through another strategy."""
        return self

    def _labels(self):
        return Labels(self.missing_label, self._indicator_labels)

    def _own_checks(self, X, y, return_util):
        """scikit-activeml's checks of a pool in memory (they also set
        ``n_features_in_``); the batch size is reduced later, once the
        candidates are known."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="'batch_size=")
            X, y, *_ = self._validate_data(X, y, None, 1, return_util)
        return X, y

    def _start(self, pool):
        """This query's ``missing_label_``, ``random_state_`` (seeded, as
        scikit-activeml does, by the number of unlabeled samples) and
        ``n_features_in_``."""
        self.missing_label_ = self.missing_label
        self.random_state_ = check_random_state(
            self.random_state, pool.n_samples - pool.labeled.size + 1
        )
        if pool.chunked or pool.frame:
            self.n_features_in_ = pool.X.shape[1]

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
            All samples, labeled and unlabeled: in memory, or a pool on
            disk (``numpy.memmap``) or on Dask (``dask.array``) for the
            strategies that take one (see :doc:`/guide_scale`).
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
            - 1-D integers: indices of unlabeled samples of ``X``, in any
              order.
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
        twin = self._for_labels(y, query=True)
        if twin is not self:
            return twin.query(
                X, y, clf, fit_clf, sample_weight, candidates, batch_size,
                return_utilities,
            )  # fmt: skip
        params = self._check_params()
        pool, batch_size, return_util = query_pool(
            X, y, candidates, batch_size, return_utilities, sample_weight,
            self._labels(), self._own_checks,
        )  # fmt: skip
        self._start(pool)
        fit_clf = check_bool(fit_clf, "fit_clf")
        self._check_model(clf)
        self._refuse(clf, pool, batch_size, params)
        clf = self._fit(clf, pool, fit_clf)
        return self._outputs(clf, pool, batch_size, return_util, params)

    def select_batch(
        self, model, unlabeled_x, labeled_x=None, labeled_y=None, batch_size=32
    ):
        """Pick a batch for a model used outside scikit-activeml loops.

        Parameters
        ----------
        model : classifier with ``predict_proba``
            A fitted classifier: a skorch net (bare or in a scikit-activeml
            wrapper), a scikit-learn ``MLPClassifier`` or any
            scikit-learn-style model; the embedding is found as in
            ``query``. If it is not fitted, a clone is fitted on
            ``(labeled_x, labeled_y)``.
        unlabeled_x : array-like of shape (n_unlabeled, ...)
            The pool to pick from: in memory, on disk (``numpy.memmap``)
            or on Dask (``dask.array``), as ``X`` in ``query``.
        labeled_x : array-like of shape (n_labeled, ...), default=None
            Labeled samples. They fit an unfitted ``model`` and take the
            place of the labeled rows of ``X`` in ``query``.
        labeled_y : array-like of shape (n_labeled,), default=None
            Labels of ``labeled_x``; give both or neither.
        batch_size : int, default=32
            Number of samples to pick; reduced with a warning if it exceeds
            the pool.

        Returns
        -------
        indices : ndarray of shape (batch_size,), dtype=np.intp
            Picks in order, as indices into ``unlabeled_x``.

        Notes
        -----
        The batch is the one ``query`` picks (same seed) for ``X`` the
        labeled samples followed by ``unlabeled_x``, ``y`` their labels
        and missing labels, and the fitted model.
        """
        if labeled_y is not None:
            twin = self._for_labels(labeled_y, query=False)
            if twin is not self:
                return twin.select_batch(
                    model, unlabeled_x, labeled_x, labeled_y, batch_size
                )
        params = self._check_params()
        pool, batch_size = batch_pool(
            unlabeled_x, labeled_x, labeled_y, batch_size, self._labels()
        )
        self._start(pool)
        if not hasattr(model, "predict_proba"):
            raise TypeError(
                "`model` must have a `predict_proba` method, got "
                f"{type(model).__name__}."
            )
        self._refuse(model, pool, batch_size, params)
        model = self._fitted_model(model, pool)
        return self._outputs(model, pool, batch_size, False, params)

    def _refuse(self, clf, pool, n_picks, params):
        """Refuse, before any work, what this strategy cannot serve."""
        name = type(self).__name__
        if pool.chunked and self._needs_memory:
            raise TypeError(
                f"{name} needs the pool in memory ({self._needs_memory}); "
                f"got a pool {'on Dask' if pool.kind == 'dask' else 'on disk'}"
                ". Load it into memory, or use Badge, Bait, MultilabelBadge, "
                "ExpectedGradientLength or PowerSampling, which take pools "
                "on disk and on Dask."
            )
        if pool.frame and not self._takes_frames:
            raise TypeError(
                f"{name} needs numeric samples; got a data frame with "
                "categorical or text columns. Encode them first (e.g. "
                "sklearn.preprocessing.OneHotEncoder), or use Badge, "
                "TypiClustThenBadge or Bait, which keep the frame for a "
                "model with native categorical support."
            )
        if pool.frame:
            _check_frame_model(clf)
        if pool.cand_rows is None and self._index_candidates_only:
            raise MappingError(
                f"{name} {self._index_candidates_only}: give `candidates` as "
                "indices into X (or None), not samples."
            )
        self._check_before_fit(clf, pool, n_picks, params)

    def _check_model(self, clf):
        """Check ``query``'s ``clf`` (a scikit-activeml classifier)."""
        check_classifier(clf, self.missing_label)

    def _fit(self, clf, pool, fit_clf):
        """``clf`` checked (``fit_clf=False``) or a fitted clone of it, for
        ``query``; the user's ``clf`` is never modified."""
        return fit_or_check_classifier(
            clf, *pool.fit_data(), fit_clf, self.missing_label_
        )

    def _fitted_model(self, model, pool):
        """``model`` if fitted, else a clone fitted on the labeled
        samples of ``select_batch``."""
        try:
            check_is_fitted(model)
            return model
        except NotFittedError:
            if pool.labeled.size == 0:
                raise ValueError(
                    "`model` is not fitted; pass a fitted model or both "
                    "`labeled_x` and `labeled_y` to fit a clone of it."
                ) from None
        return clone(model).fit(pool.X_lab, pool.y_lab)

    def _outputs(self, clf, pool, n_picks, return_util, params):
        if n_picks == 0:
            idx, util = np.empty(0, dtype=np.intp), np.empty((0, pool.n_cand))
        else:
            idx, util = self._pick(clf, pool, n_picks, return_util, params)
        return pool.output(idx, util, return_util)


def _check_frame_model(clf):
    """Raise if ``clf`` is scikit-activeml's ``SklearnClassifier``, which
    would turn a data frame into an object array (and lose its
    categories); :class:`~skactiveml_badge.FrameClassifier` keeps it."""
    from skactiveml.classifier import SklearnClassifier

    from .._frame_classifier import FrameClassifier

    if isinstance(clf, SklearnClassifier) and not isinstance(
        clf, FrameClassifier
    ):
        raise TypeError(
            f"`clf` is a {type(clf).__name__}, which turns a data frame "
            "with categorical or text columns into an object array (the "
            "model then cannot use its categories, or cannot be fitted); "
            "wrap the model in skactiveml_badge.FrameClassifier instead "
            "(the same parameters), or encode the columns first."
        )


class EmbeddingPoolStrategy(EmbeddingParamsMixin, PoolStrategy):
    """A :class:`PoolStrategy` that embeds with the classifier."""
