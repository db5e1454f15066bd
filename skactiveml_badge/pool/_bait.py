"""BAIT: batch active learning by the Fisher information of the last layer."""

import functools

import numpy as np

from .._params import EMBEDDING_PARAMS, SKACTIVEML_PARAMS, stored_init
from .._validation import Dtype, Int, Real, validate_params
from ..embeddings import proba_and_embedding
from ..selection import BAIT_MAX_CLASSES, bait, check_bait_classes
from ._badge import classes_of
from ._base import EmbeddingPoolStrategy


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
        or 1e20 in float32) raise a ``ValueError`` that says so, as do
        embeddings whose Fisher information is beyond the dtype's
        resolution of ``lamb`` (``|h|^2 / 4 > lamb / eps``: ``A`` is then
        singular to working precision; e.g. features of 1e10 in float64,
        or raw pixel values in float32).
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

    _takes_frames = True

    __init__ = stored_init(
        SKACTIVEML_PARAMS,
        lamb=1.0,
        oversample=2.0,
        max_dim=2048,
        max_classes=BAIT_MAX_CLASSES,
        dtype=np.float64,
        **EMBEDDING_PARAMS,
        top_k=None,
    )

    def _pick(self, clf, pool, n_picks, return_util, params):
        """BAIT's picks: ``F`` is the mean Fisher over the rows of ``X``
        (also when the candidates are samples apart: they are only
        picked), ``A`` starts from the labeled rows."""
        self._check_classes(getattr(clf, "classes_", None), n_picks, pool)
        options = self._embed_options(
            not pool.chunked and self.backend != "numpy"
        )
        if pool.chunked:
            options["hashed_leaves"] = True  # columns fixed across blocks
        outputs = functools.partial(
            bait_outputs, clf, self.clf_embedding_flag_name, options
        )
        _, proba, h = pool.gather(
            pool.block_fn(outputs, np.float64), rows=pool.all_rows()
        )
        n = pool.n_samples
        if pool.cand_rows is None:
            cand_rows, F_rows = n + np.arange(pool.n_cand), np.arange(n)
        else:
            cand_rows, F_rows = pool.cand_rows, None
        return bait(
            proba,
            h,
            n_picks,
            cand_rows,
            pool.labeled,
            pool=F_rows,
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

    def _check_before_fit(self, clf, pool, n_picks, params):
        self._check_classes(classes_of(clf), n_picks, pool)

    def _check_classes(self, classes, n_picks, pool):
        """Refuse too many classes before any embedding work."""
        if classes is not None:
            n_classes = len(classes)
            if self.top_k is not None:
                n_classes = min(n_classes, self.top_k)
            check_bait_classes(
                n_classes,
                self.max_classes,
                n_picks,
                pool.n_cand,
                self.oversample,
            )


def bait_outputs(clf, flag_name, options, X):
    """``(dummy labels, proba, h)`` of ``X`` (a block function: see
    :meth:`~._pool.Pool.gather`)."""
    proba, h = proba_and_embedding(clf, X, flag_name, **options)
    return np.zeros(len(proba), dtype=np.intp), proba, h
