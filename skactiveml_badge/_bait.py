"""BAIT: batch active learning by the Fisher information of the last layer."""

import numpy as np
from skactiveml.utils import MISSING_LABEL, check_random_state, is_labeled
from sklearn.utils import check_array

from ._badge import _fitted_model
from ._base import EmbeddingPoolStrategy, check_pool_and_batch
from ._chunked_pool import bait_query_chunked
from ._validation import Dtype, Int, Real, validate_params
from .selection import BAIT_MAX_CLASSES, bait, check_bait_classes


class Bait(EmbeddingPoolStrategy):
    """BAIT: greedy selection by the Fisher information of the last layer.

    BAIT [1]_ picks the batch that minimises ``tr(A^-1 F)``, where ``F`` is
    the mean Fisher information of the pool and ``A`` the regularised
    Fisher of the labeled samples plus the batch, the Fisher being that of
    the last linear layer: ``I(x) = (diag(p) - p p^T) (x) h h^T`` for class
    probabilities ``p`` and layer input ``h``. Forward selection greedily
    adds ``oversample * batch_size`` candidates by the largest trace
    reduction, then backward pruning removes, one by one, the pick whose
    removal increases the trace least, down to ``batch_size``.

    Both passes use Woodbury updates on the Kronecker factors: a step
    costs ``O(n (D C^2 + C^3) + d^2 C)`` for ``n`` candidates, ``C``
    classes, ``D`` features (after ``max_dim``) and ``d = (C - 1) D``, and
    memory ``O(n C^2 + d^2)``; the authors' code costs ``O(n C d^2)`` per
    step and holds an ``n x C x C D`` tensor on a GPU. The ``C^3`` terms
    make many classes slow (see Notes), so more than ``max_classes``
    classes are refused; ``top_k`` replaces ``C^2`` by ``C top_k`` and
    ``C^3`` by ``top_k^3``, in time and memory.

    Parameters
    ----------
    clf_embedding_flag_name : None, str or dict, default=None
        How ``h`` is obtained; as for :class:`~skactiveml_badge.Badge`.
    missing_label : scalar, str, np.nan or None, default=np.nan
        Value that marks an unlabeled sample in ``y``.
    random_state : None, int or numpy.random.RandomState, default=None
        BAIT is deterministic except for exact ties between the best
        candidates (e.g. a model that has seen one class, whose Fisher is
        zero), which are drawn with this seed, and the randomized SVD of
        ``max_dim`` when ``D > 4096``.
    lamb : float, default=1.0
        Regulariser: ``A = lamb I + (Fisher of the labeled samples and the
        batch)``. Larger values favour samples with large Fisher
        information (uncertainty); smaller ones, coverage of ``F``.
    oversample : float, default=2.0
        Forward selection picks ``ceil(oversample * batch_size)``
        candidates (at most all), backward pruning removes the surplus.
        ``1`` means forward selection only.
    max_dim : int or None, default=2048
        Cap on the Fisher dimension ``d = (C - 1) D``. Above it, ``h`` is
        projected onto its ``max_dim // (C - 1)`` leading (uncentred)
        principal directions over the pool, so memory stays
        ``O(max_dim^2)`` (three ``d x d`` matrices: about 100 MiB in
        float64 at 2048) and ``n x C x C D`` is never needed. ``None``: no
        cap. The Fisher's all-ones class direction is always dropped,
        which loses nothing (the trace there is zero).
    max_classes : int or None, default=200
        A model with more classes raises a ``ValueError`` before the pool
        is embedded, naming the class count and the estimated cost; use
        fewer classes, :class:`~skactiveml_badge.Badge` (linear in ``C``),
        or ``None`` to lift the cap. With ``top_k``, the cap applies to
        ``top_k``.
    top_k : int or None, default=None
        Restrict every sample's Fisher information to its ``top_k`` most
        probable classes (the approximation of LabelBench): the
        per-candidate ``C x C`` matrices shrink to ``top_k x top_k``, a
        greedy step costs ``O(n (D C top_k + top_k^3) + d^2 top_k)`` and
        memory ``O(n C top_k + d^2)``. Exact when ``top_k >= C``;
        ``None``: all classes (the paper's BAIT). The BAIT guide
        compares the time and accuracy of both on ``letter``.
    dtype : {np.float64, np.float32}, default=np.float64
        Precision of the Fisher matrices. The rank-C downdates accumulate
        round-off over ``2 * batch_size`` steps; float32 is faster on GPUs
        but may change near-tied picks. Embeddings whose Fisher matrices
        or traces overflow in ``dtype`` (e.g. unscaled features of 1e200,
        or 1e20 in float32) raise a ``ValueError`` that says so.
    embedding_layer, include_bias, dl_batch_size, leaf_dim, \
embedding_source
        As for :class:`~skactiveml_badge.Badge`.
    backend : {"auto", "numpy", "torch"}, default="auto"
        Where the selection runs; ``"auto"``: torch on the net's device for
        a net on a GPU, numpy otherwise.

    Notes
    -----
    Weights, as in the authors' code: the labeled samples' mean Fisher
    enters ``A`` with weight ``n_L / (n_L + k)`` and every pick's Fisher
    with weight ``k / (n_L + k)`` for a batch of ``k``.

    ``F`` is the mean Fisher over all samples of ``X`` (labeled or not),
    whatever form the candidates take: candidates given as samples are
    only picked, they do not enter ``F``. So ``candidates=None``, the
    indices of the unlabeled samples and ``X[unlabeled]`` give the same
    picks and utilities. (``select_batch``: ``F`` is the mean over
    ``labeled_x`` and ``unlabeled_x``.)

    Cost of a query of ``k`` samples: ``ceil(oversample k)`` forward and
    ``ceil(oversample k) - k`` backward steps of
    ``O(n (D C^2 + C^3) + d^2 C)`` each, after a setup of
    ``O((n_X + n) (d^2 + C^3) + d^3)`` for ``n_X`` samples in ``X``
    (``F``, ``A^-1`` and every candidate's ``C x C`` forms: about three
    steps' worth). ``max_dim`` bounds ``d`` but not
    ``C``: with many classes the ``n C^3`` terms dominate. Measured for
    ``k = 1`` (3 steps), ``D = 64``, the default ``max_dim`` and one BLAS
    thread, one run each on a shared 2-core machine:

    ============  ======  ======  ======  =======  ==============
    candidates    C = 50  100     200     400      1000
    ============  ======  ======  ======  =======  ==============
    60            3.1 s   2.5 s   3.8 s   9.1 s    80 s
    1,000         5.2 s   7.9 s   26 s    129 s    ~30 min (est.)
    ============  ======  ======  ======  =======  ==============

    Hence the default ``max_classes=200``. The steps grow linearly in
    ``n``, their number in ``k``.

    Pools beyond memory: ``X`` may be a ``numpy.memmap`` or a
    ``dask.array`` in ``query``; the rows are embedded block by block where
    they live and their probabilities and ``h`` (``n x (C + D)``) come to
    the caller for the selection, with the picks of the same data in
    memory (tree leaf embeddings hashed; candidates as indices or None).
    See :doc:`/guide_scale`.

    The utilities: row ``k`` holds every candidate's trace reduction at
    the forward step that chose pick ``k`` (whose argmax it is); the picks
    come in forward order and the backward pass decides which of the
    forward picks stay. NaN for labeled samples, non-candidates and the
    earlier picks of the batch; 0 for candidates chosen at an earlier
    forward step that the backward pass removed later (they were in the
    design at that step), so every other entry is finite.

    References
    ----------
    .. [1] J. T. Ash, S. Goel, A. Krishnamurthy, S. Kakade. Gone Fishing:
       Neural Active Learning with Fisher Embeddings. NeurIPS 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactiveml.classifier import SklearnClassifier
    >>> from skactiveml.utils import MISSING_LABEL
    >>> from skactiveml_badge import Bait
    >>> X, y_true = load_iris(return_X_y=True)
    >>> y = np.full(len(y_true), MISSING_LABEL)
    >>> y[[0, 50, 100]] = y_true[[0, 50, 100]]
    >>> clf = SklearnClassifier(LogisticRegression(), classes=[0, 1, 2])
    >>> idx, util = Bait().query(X, y, clf, batch_size=3,
    ...                          return_utilities=True)
    >>> idx.shape, util.shape
    ((3,), (3, 150))
    """

    def __init__(
        self,
        clf_embedding_flag_name=None,
        missing_label=MISSING_LABEL,
        random_state=None,
        lamb=1.0,
        oversample=2.0,
        max_dim=2048,
        max_classes=BAIT_MAX_CLASSES,
        dtype=np.float64,
        embedding_layer=None,
        include_bias=False,
        dl_batch_size=1024,
        backend="auto",
        leaf_dim=256,
        embedding_source="auto",
        top_k=None,
    ):
        self._store_params(locals())

    def _query_batch(
        self, clf, X, y, X_cand, mapping, batch_size, return_util, params
    ):
        labeled = np.flatnonzero(
            is_labeled(y, missing_label=self.missing_label_)
        )
        if mapping is None:
            # Candidates given as samples are only picked: F stays the
            # mean over X, as for index candidates.
            rows = np.concatenate([X, X_cand])
            cand_rows = X.shape[0] + np.arange(X_cand.shape[0])
            pool = np.arange(X.shape[0])
        else:
            rows, cand_rows, pool = X, np.asarray(mapping), None
        return self._select(
            clf, rows, cand_rows, labeled, batch_size, return_util, pool
        )

    def select_batch(
        self, model, unlabeled_x, labeled_x=None, labeled_y=None, batch_size=32
    ):
        """Pick a batch for a model used outside scikit-activeml loops.

        Parameters
        ----------
        model : classifier with ``predict_proba``
            A fitted classifier (the embedding is found as in ``query``);
            if it is not fitted, a clone is fitted on
            ``(labeled_x, labeled_y)``.
        unlabeled_x : array-like of shape (n_unlabeled, ...)
            The pool to pick from.
        labeled_x : array-like of shape (n_labeled, ...), default=None
            Labeled samples: their Fisher information enters ``A`` and
            ``F``.
        labeled_y : array-like of shape (n_labeled,), default=None
            Labels of ``labeled_x``, used only to fit an unfitted model.
        batch_size : int, default=32
            Number of samples to pick; reduced with a warning if it exceeds
            the pool.

        Returns
        -------
        indices : ndarray of shape (batch_size,), dtype=np.intp
            Picks, as indices into ``unlabeled_x``.
        """
        X, batch_size = check_pool_and_batch(unlabeled_x, batch_size)
        model = _fitted_model(model, labeled_x, labeled_y)
        self._check_params()
        self.random_state_ = check_random_state(
            self.random_state, X.shape[0] + 1
        )
        if labeled_x is None:
            rows, n_lab = X, 0
        else:
            L = check_array(labeled_x, allow_nd=True, input_name="labeled_x")
            if L.shape[1:] != X.shape[1:]:
                raise ValueError(
                    "`labeled_x` and `unlabeled_x` must have the same "
                    f"sample shape, got {L.shape[1:]} and {X.shape[1:]}."
                )
            rows, n_lab = np.concatenate([L, X]), L.shape[0]
        idx, _ = self._select(
            model,
            rows,
            n_lab + np.arange(X.shape[0]),
            np.arange(n_lab),
            batch_size,
            False,
        )
        return idx

    _parameter_constraints = {
        "lamb": Real(),
        "oversample": Real(min_value=1),
        "max_dim": Int(none=True),
        "max_classes": Int(none=True),
        "top_k": Int(none=True),
        "dtype": Dtype(),
    }

    def _check_params(self):
        self._check_embedding_params()
        validate_params(self, self._parameter_constraints)

    def _query_chunked(self, X, y, clf, *args):
        return bait_query_chunked(self, X, y, clf, *args)

    def _check_classes_before_embedding(self, clf, n_picks, n_candidates):
        """Refuse too many classes before any embedding work."""
        classes = getattr(clf, "classes_", None)
        if classes is not None:
            n_classes = len(classes)
            if self.top_k is not None:
                n_classes = min(n_classes, self.top_k)
            check_bait_classes(
                n_classes,
                self.max_classes,
                n_picks,
                n_candidates,
                self.oversample,
            )

    def _select(
        self, clf, rows, cand_rows, labeled, n_picks, return_util, pool=None
    ):
        self._check_classes_before_embedding(clf, n_picks, len(cand_rows))
        proba, h = self._embed(clf, rows, self.backend != "numpy")
        return self._bait_select(
            proba, h, cand_rows, labeled, n_picks, return_util, pool
        )

    def _bait_select(
        self, proba, h, cand_rows, labeled, n_picks, return_util, pool=None
    ):
        """:func:`~skactiveml_badge.selection.bait` with this strategy's
        settings."""
        return bait(
            proba,
            h,
            n_picks,
            cand_rows,
            labeled,
            pool=pool,
            lamb=self.lamb,
            oversample=self.oversample,
            max_dim=self.max_dim,
            max_classes=self.max_classes,
            top_k=self.top_k,
            dtype=self.dtype,
            backend=self.backend,
            random_state=self.random_state_,
            return_utilities=return_util,
        )
