"""VeSSAL: streaming active learning by approximate volume sampling on
gradient embeddings (Saran et al., ICML 2023)."""

import functools
from copy import deepcopy

import numpy as np
import scipy.sparse as sp
from skactiveml.base import (
    SingleAnnotatorStreamQueryStrategy,
    SkactivemlClassifier,
)
from skactiveml.utils import check_missing_label
from sklearn.utils import check_array

from .._params import (
    EMBEDDING_PARAMS,
    EmbeddingParamsMixin,
    stored_init,
    without,
)
from .._validation import (
    Int,
    Real,
    check_bool,
    check_sample_weight,
    check_samples,
    fit_or_check_classifier,
    validate_params,
)
from ..exceptions import warn
from ..selection import VolumeState, sampling_pass

__all__ = ["VeSSAL"]


class _PositionsError(IndexError, ValueError):
    """Bad ``queried_indices`` of :meth:`VeSSAL.update`.

    Both an ``IndexError`` (what scikit-activeml's stream strategies raise
    for them, and its template tests expect) and a ``ValueError`` (what
    this package raises for a bad value), as numpy's ``AxisError`` is both
    a ``ValueError`` and an ``IndexError``.
    """


@functools.cache
def _param_names(cls):
    """The constructor parameters of ``cls``, in order."""
    return tuple(cls._get_param_names())


def _check_positions_kind(queried_indices):
    """``queried_indices`` as a 1-D integer array (not yet checked against
    the number of candidates)."""
    idx = np.asarray(queried_indices)
    if idx.ndim != 1 or (
        idx.size and not np.issubdtype(idx.dtype, np.integer)
    ):
        raise _PositionsError(
            "`queried_indices` must be a 1-D array-like of integer "
            f"positions in `candidates`, got {queried_indices!r}."
        )
    return idx


def _check_labels(y):
    """``y`` as a 1-D array (TypeError for a scalar or an object that is
    no array, ValueError for another shape)."""
    arr = np.asarray(y)
    if arr.ndim == 0:
        raise TypeError(
            f"`y` must be array-like of shape (n_samples,), got {y!r}."
        )
    if arr.ndim != 1:
        raise ValueError(
            f"`y` must have shape (n_samples,), got shape {arr.shape}."
        )
    return arr


def _check_training_data(X, y, sample_weight, candidates, missing_label):
    """Check whichever of ``X``, ``y`` and ``sample_weight`` is given:
    ``X`` as samples of the candidates' shape, ``y`` 1-D with labels of
    the kind of ``missing_label``, all of one length. Returns them
    checked (None where not given)."""
    n_samples = None
    if X is not None:
        X = check_array(X, allow_nd=True, input_name="X")
        if X.shape[1:] != candidates.shape[1:]:
            raise ValueError(
                "`X` must have the sample shape of `candidates`, "
                f"{candidates.shape[1:]}, got {X.shape[1:]}."
            )
        n_samples = X.shape[0]
    if y is not None:
        y = _check_labels(y)
        if n_samples is not None and y.shape[0] != n_samples:
            raise ValueError(
                f"`X` and `y` must have as many samples, got {n_samples} "
                f"and {y.shape[0]}."
            )
        # A TypeError naming `y` when its dtype cannot hold the missing
        # label (e.g. strings with np.nan).
        check_missing_label(missing_label, target_type=y.dtype, name="y")
        n_samples = y.shape[0]
    if sample_weight is not None:
        if n_samples is None:  # no X nor y: only its own form is checked
            shape = np.shape(sample_weight)
            n_samples = shape[0] if shape else 0
        sample_weight = check_sample_weight(sample_weight, n_samples)
    return X, y, sample_weight


class VeSSAL(EmbeddingParamsMixin, SingleAnnotatorStreamQueryStrategy):
    r"""Volume sampling for streaming active learning (VeSSAL).

    Each arriving sample ``x_t`` is labelled with a probability that grows
    with the volume its gradient embedding ``g_t`` would add to the
    labelled set (Saran et al., 2023). With ``g_t = delta_t (x) h_t``
    (``delta = p - onehot(argmax p)``, ``h`` the embedding of the last
    layer, as in :class:`~skactiveml_badge.Badge`) and
    ``A = lamb I + sum_{labelled i} g_i g_i^T``, the leverage of ``x_t``
    is ``l_t = g_t^T A^{-1} g_t`` (by the matrix determinant lemma,
    ``det(A + g g^T) = det(A) (1 + l_t)``), and

    .. math::

        p_t = \min\Bigl(1, r_t \frac{l_t}{\bar l_t}\Bigr), \quad
        \bar l_t = \operatorname{tr}(\Sigma_t A^{-1})
        = \frac{1}{|W_t|} \sum_{s \in W_t} g_s^T A^{-1} g_s,

    where ``W_t`` holds the last ``window`` arrivals up to and including
    ``x_t`` (``Sigma_t`` their second moment; the reference code takes all
    samples seen, ``window=None``), and ``r_t`` is the rate that meets the
    budget ``b`` over the next ``H = min(t, 5 / b)`` arrivals,

    .. math::

        r_t = \mathrm{clip}\Bigl(b + \frac{b (t - 1) - q_{t-1}}{H},
        0, 1\Bigr),

    with ``t`` the samples seen including ``x_t`` and ``q_{t-1}`` the
    labels queried before it (the reference code uses the rate left for a
    known pool, ``(k - q) / (T - t)``; a stream has no ``T``).
    ``p_t = r_t`` while every leverage in ``W_t`` is zero. The
    candidates given to one :meth:`query` are taken in order as
    arrivals: a label queried for one lowers the leverages of the later
    ones, and the result is the same as one call per sample.

    ``A^{-1}`` is never formed. By Woodbury over the ``m`` labelled
    embeddings ``G``, ``l_t = (|g_t|^2 - c^T K^{-1} c) / lamb`` with
    ``K = lamb I_m + G G^T`` and ``c = G g_t``, whose entries are
    ``(delta_i . delta_t) (h_i . h_t)``. ``K^{-1}`` grows by a
    block-inverse update when a label is queried, and the leverages kept
    for ``W_t`` drop by Sherman-Morrison,
    ``l_s -= (g_s^T A^{-1} g_j)^2 / (1 + l_j)``.

    Cost per arriving sample: ``O(m (C + D) + m^2)`` (the ``m^2`` by one
    matrix product over the candidates of a call), plus per label
    ``O(|W| (C + D + m) + m^2)``; memory ``O((m + |W|) (C + D + m))``.
    This is exact, and cheaper than keeping the ``(C D) x (C D)`` inverse
    (``O((C D)^2)`` per label: 26M flops and 200 MB at ``C = 10``,
    ``D = 512``) while ``m`` stays well below ``C D``, i.e. for streams
    of up to a few thousand labels. The embeddings of labelled samples are
    kept as they were when labelled: refitting the classifier does not
    recompute them (the paper's single pass does the same). When the
    embedding changes shape (a refitted tree ensemble with other leaves),
    ``A`` and ``W_t`` start afresh; the budget's counts go on.

    What :meth:`update` learns: the budget's counts (``t`` and ``q``
    above) take every sample passed to it and every label among them.
    The volume (``A`` and ``W_t``) needs their embeddings: those of the
    last :meth:`query` when ``update`` gets the same candidates, else
    those of the ``clf`` given to ``update``. Without either (an
    ``update`` before any ``query``, as scikit-activeml's stream loops do
    with the first labelled samples, or other candidates and no ``clf``)
    the samples count for the budget only: they join neither ``A`` nor
    ``W_t``, a ``UserWarning`` says so, and ``budget_only_samples_``
    counts them. Such a strategy has the rate of one that embedded them
    but not its leverages. They are not embedded later by another
    classifier: the volume holds each sample as the model of its arrival
    saw it.

    Parameters
    ----------
    budget : float, default=None
        Target fraction of the stream to label, in ``(0, 1]``; None means
        0.1 (as scikit-activeml's stream strategies).
    lamb : float, default=0.01
        Ridge ``lamb`` of ``A`` (the reference's default
        ``cov_inv_scaling=100`` initialises ``A^{-1} = I / lamb``).
    window : int or None, default=1000
        How many of the latest arrivals ``Sigma_t`` is taken over; None
        for all of them, as the reference code (memory then grows with
        the stream).
    clf_embedding_flag_name, embedding_layer, include_bias
        The embedding of the classifier, as in
        :class:`~skactiveml_badge.Badge`.
    dl_batch_size, leaf_dim, embedding_source
        As in :class:`~skactiveml_badge.Badge`.
    random_state : int, RandomState instance or None, default=None
        Seeds the uniforms that decide each label.

    Attributes
    ----------
    random_state_ : RandomState
        Advanced by ``update`` (``query`` leaves it as it was).
    budget_ : float
        The checked budget.
    lamb_ : float
        The checked ridge.
    observed_samples_ : int
        Samples passed to ``update`` so far (the budget's ``t``).
    queried_samples_ : int
        Of those, the labelled ones (the budget's ``q``).
    budget_only_samples_ : int
        Of ``observed_samples_``, those counted without an embedding (see
        above): they are not in the volume.
    labeled_delta_ : ndarray of shape (m, n_classes)
        ``delta`` of the ``m`` labelled samples in the current volume (all
        of them unless the embedding changed shape), as they arrived.
    labeled_h_ : ndarray of shape (m, n_dims)
        Their ``h`` (dense; a sparse tree embedding is made dense).
    k_inv_ : ndarray of shape (m, m)
        ``(lamb I + G G^T)^{-1}`` with ``G`` their gradient embeddings.

    References
    ----------
    .. [1] A. Saran, S. Yousefi, A. Krishnamurthy, J. Langford and J. T.
       Ash, "Streaming Active Learning with Deep Neural Networks", ICML
       2023. https://arxiv.org/abs/2303.02535

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactiveml.classifier import SklearnClassifier
    >>> from skactiveml_badge import VeSSAL
    >>> X, y = make_blobs(300, centers=3, random_state=0)
    >>> clf = SklearnClassifier(LogisticRegression(), classes=[0, 1, 2])
    >>> clf = clf.fit(X[:30], y[:30])
    >>> qs = VeSSAL(budget=0.1, random_state=0)
    >>> for start in range(30, 300, 10):
    ...     batch = X[start : start + 10]
    ...     picks = qs.query(batch, clf)
    ...     qs = qs.update(batch, picks)
    >>> 0 < qs.queried_samples_ < 60
    True
    """

    _parameter_constraints = {"lamb": Real(), "window": Int(none=True)}

    __init__ = stored_init(
        {
            "budget": None,
            "clf_embedding_flag_name": None,
            "random_state": None,
        },
        lamb=0.01,
        window=1000,
        **without(EMBEDDING_PARAMS, "backend"),
    )

    def query(
        self,
        candidates,
        clf,
        X=None,
        y=None,
        sample_weight=None,
        fit_clf=False,
        return_utilities=False,
    ):
        """Decide which of the arriving ``candidates`` to label.

        The candidates are taken in order, each as a new arrival (a label
        queried for one lowers the probabilities of the later ones). The
        state is not changed; call :meth:`update` with the labelled
        positions next.

        Parameters
        ----------
        candidates : array-like of shape (n_candidates, ...)
            The arriving samples, in order.
        clf : skactiveml.base.SkactivemlClassifier
            Classifier with ``predict_proba`` (and the embedding, see
            :class:`~skactiveml_badge.Badge`); never modified.
        X : array-like of shape (n_samples, ...), default=None
            Training samples (of the candidates' sample shape), used only
            if ``fit_clf``; checked whenever given.
        y : array-like of shape (n_samples,), default=None
            Their labels (missing ones as ``clf.missing_label``, whose
            kind ``y`` must be able to hold); checked whenever given.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights for fitting ``clf``; checked whenever given.
        fit_clf : bool, default=False
            Whether to fit a clone of ``clf`` on ``(X, y)`` first.
        return_utilities : bool, default=False
            Whether to also return the labelling probabilities.

        Returns
        -------
        queried_indices : ndarray of shape (n_queried,), dtype=np.intp
            Positions in ``candidates`` to label.
        utilities : ndarray of shape (n_candidates,)
            Only if ``return_utilities``: each candidate's labelling
            probability ``p_t``.

        Raises
        ------
        TypeError
            If ``clf`` is no ``SkactivemlClassifier``, ``fit_clf`` or
            ``return_utilities`` no bool, ``y`` no array or of a kind that
            cannot hold ``clf.missing_label``.
        ValueError
            If ``candidates``, ``X``, ``y`` or ``sample_weight`` have a
            wrong shape or disagree in their numbers of samples, or
            ``fit_clf`` is True without ``X`` and ``y``.
        """
        candidates, return_utilities = self._check_inputs(
            candidates, return_utilities
        )
        clf = self._fitted_clf(clf, candidates, X, y, sample_weight, fit_clf)
        delta, h = self._factors(clf, candidates)
        draws = self._peek_draws(len(candidates))
        state = self._state(delta, h)
        # Rolled back unless update() takes these picks.
        proba, taken = self._pass(state, delta, h, draws=draws)
        queried = np.flatnonzero(taken).astype(np.intp)
        self._pending = (candidates, delta, h, queried)
        if return_utilities:
            return queried, proba
        return queried

    def update(
        self,
        candidates,
        queried_indices,
        budget_manager_param_dict=None,
        clf=None,
    ):
        """Advance the state past ``candidates``, labelled at
        ``queried_indices``.

        Every call counts ``candidates`` and the labels among them for the
        budget. The volume learns them from the embeddings of the last
        :meth:`query` if it had the same candidates, else from ``clf``;
        without either they count for the budget only (see the class
        description), with a ``UserWarning``.

        Parameters
        ----------
        candidates : array-like of shape (n_candidates, ...)
            The samples that arrived, in order (usually those given to the
            last :meth:`query`).
        queried_indices : array-like of shape (n_queried,) of int
            Positions in ``candidates`` that were labelled.
        budget_manager_param_dict : dict or None, default=None
            Accepted for scikit-activeml's stream interface; unused.
        clf : SkactivemlClassifier, default=None
            Fitted classifier that embeds ``candidates`` when they are not
            those of the last :meth:`query` (whose embeddings are reused
            otherwise).

        Returns
        -------
        self : VeSSAL

        Raises
        ------
        IndexError, ValueError
            If ``queried_indices`` are not 1-D integer positions in
            ``candidates`` (the error is both; scikit-activeml's stream
            strategies raise an ``IndexError``).
        TypeError
            If ``budget_manager_param_dict`` is neither None nor a dict, or
            ``clf`` is given and no ``SkactivemlClassifier``.
        ValueError
            If ``candidates`` are no array of samples.
        """
        idx = _check_positions_kind(queried_indices)
        if budget_manager_param_dict is not None and not isinstance(
            budget_manager_param_dict, dict
        ):
            raise TypeError(
                "`budget_manager_param_dict` must be None or a dict, got "
                f"{budget_manager_param_dict!r}."
            )
        candidates, _ = self._check_inputs(candidates, False)
        n = len(candidates)
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise _PositionsError(
                "`queried_indices` must be integer positions in "
                f"`candidates` (0 to {n - 1}), got {queried_indices!r}."
            )
        idx = np.unique(idx).astype(np.intp)
        pending, self._pending = getattr(self, "_pending", None), None
        same = pending is not None and np.array_equal(pending[0], candidates)
        if same and np.array_equal(pending[3], idx):
            self._vessal_state.commit()  # query's pass is this update's
        elif same or clf is not None:
            if same:
                delta, h = pending[1], pending[2]
            else:
                clf = self._fitted_clf(clf, candidates)
                delta, h = self._factors(clf, candidates)
            taken = np.zeros(n, dtype=bool)
            taken[idx] = True
            state = self._state(delta, h)
            self._pass(state, delta, h, taken=taken)
            state.commit()
        else:
            warn(
                f"VeSSAL.update got {n} samples the last `query` did not "
                "see and no `clf` to embed them: they count for the budget "
                "only, the volume does not learn them (pass `clf` to "
                "`update` for that).",
                UserWarning,
            )
            self._committed_state().count(n, idx.size)
        state = self._vessal_state
        self.observed_samples_ = state.n_seen
        self.queried_samples_ = state.n_queried
        self.budget_only_samples_ = state.n_budget_only
        self.labeled_delta_ = state.sel_delta[: state.m]
        self.labeled_h_ = state.sel_h[: state.m]
        self.k_inv_ = state.k_inv
        self._advance(n)
        return self

    # ------------------------------------------------------------ helpers

    def _peek_draws(self, n):
        """The next ``n`` uniform numbers of ``random_state_``, without
        advancing it (:meth:`update` does). They come from a copy of it made
        once, which runs ahead by the numbers kept for the next update (a
        repeated ``query`` sees the same ones); cheaper per call than
        saving and restoring the generator's state."""
        if self.__dict__.get("_peek_of") is not self.random_state_:
            self._peeker = deepcopy(self.random_state_)
            self._peek_of, self._draws = self.random_state_, np.empty(0)
        if len(self._draws) < n:
            more = self._peeker.random_sample(n - len(self._draws))
            self._draws = np.concatenate([self._draws, more])
        return self._draws[:n]

    def _advance(self, n):
        """Advance ``random_state_`` past ``n`` numbers (those the last
        ``query`` peeked, if it saw these arrivals)."""
        self._peek_draws(n)
        self._draws = self._draws[n:]
        self.random_state_.random_sample(n)

    def _check_inputs(self, candidates, return_utilities):
        # The parameters are checked again only when one of them is
        # another object than at the last check (set_params, assignment).
        names = _param_names(type(self))
        values = tuple(getattr(self, name) for name in names)
        checked = self.__dict__.get("_checked_params")
        if checked is None or any(
            a is not b for a, b in zip(checked[0], values, strict=True)
        ):
            self._check_embedding_params()
            params = validate_params(self, self._parameter_constraints)
            self._checked_params = checked = (values, params)
        self.lamb_ = checked[1]["lamb"]
        check_bool(return_utilities, "return_utilities")
        try:
            candidates = check_samples(candidates, "candidates")
        except ValueError as exc:  # scikit-learn's message names no input
            raise ValueError(
                "`candidates` must be array-like of shape "
                f"(n_candidates, ...): {exc}"
            ) from exc
        self._validate_random_state()
        self._validate_budget()
        return candidates, bool(return_utilities)

    def _fitted_clf(
        self,
        clf,
        candidates,
        X=None,
        y=None,
        sample_weight=None,
        fit_clf=False,
    ):
        """``clf`` checked (or a clone fitted on ``(X, y)``), after the
        checks of whatever training data is given."""
        fit_clf = check_bool(fit_clf, "fit_clf")
        if not isinstance(clf, SkactivemlClassifier):
            # Its TypeError before any message about `y` and the labels.
            fit_or_check_classifier(clf, candidates, None, None, False, None)
        missing = clf.missing_label
        X, y, sample_weight = _check_training_data(
            X, y, sample_weight, candidates, missing
        )
        if fit_clf and (X is None or y is None):
            raise ValueError("`fit_clf=True` needs `X` and `y`.")
        if not fit_clf:
            X, y, sample_weight = candidates, None, None
        return fit_or_check_classifier(
            clf, X, y, sample_weight, fit_clf, missing
        )

    def _factors(self, clf, candidates):
        _, delta, h = self._gradient_factors(
            clf, candidates, False, "proximity"
        )
        h = h.toarray() if sp.issparse(h) else h
        return (
            np.asarray(delta, dtype=np.float64),
            np.asarray(h, dtype=np.float64).reshape(len(candidates), -1),
        )

    def _pass(self, state, delta, h, **kwargs):
        """:func:`sampling_pass` from a checkpoint of ``state``, rolled
        back at once if it raises (an overflow)."""
        state.checkpoint()
        try:
            return sampling_pass(
                state, delta, h, self.budget_, self.lamb_, **kwargs
            )
        except ValueError:
            state.rollback()
            self._pending = None
            raise

    def _committed_state(self):
        """The state with a pending ``query`` rolled back; before the
        first ``update``, one with counts only (no embedding yet)."""
        state = getattr(self, "_vessal_state", None)
        if state is None:
            state = self._vessal_state = VolumeState(0, 0, self.window)
        elif state.journal is not None:
            state.rollback()
        return state

    def _state(self, delta, h):
        """The committed state, new if the embedding's shape is not its
        own (the first embedding, or a refitted tree ensemble with other
        leaves): a new volume, the budget's counts go on."""
        state = self._committed_state()
        dims = (state.sel_delta.shape[1], state.sel_h.shape[1])
        if dims != (delta.shape[1], h.shape[1]):
            new = VolumeState(delta.shape[1], h.shape[1], self.window)
            new.n_seen, new.n_queried = state.n_seen, state.n_queried
            new.n_budget_only = state.n_budget_only
            state = self._vessal_state = new
        return state
