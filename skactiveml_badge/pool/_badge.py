"""BADGE: batch active learning by diverse gradient embeddings."""

import functools

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_array

from .._params import EMBEDDING_PARAMS, SKACTIVEML_PARAMS, stored_init
from .._validation import (
    Bool,
    Choice,
    ClassBalance,
    Dtype,
    Int,
    check_class_balance,
    validate_params,
)
from ..embeddings import (
    TREE_EMBEDDINGS,
    check_model_options,
    gradient_factors,
    has_leaves,
    predict_flags,
)
from ..selection import (
    ALGORITHMS,
    DEFAULT_CHUNK_SIZE,
    HALF_DTYPES,
    METRICS,
    RULES,
    farthest_first,
    kmeans_plusplus,
    pairwise_sq_distances,
    sq_norms,
    unit_rows,
)
from ..selection._reduce import REDUCTIONS, reduce_h
from ._base import EmbeddingPoolStrategy


class Badge(EmbeddingPoolStrategy):
    """Batch Active Learning by Diverse Gradient Embeddings (BADGE).

    A drop-in replacement for :class:`skactiveml.pool.Badge` [1]_: the same
    constructor (plus keyword-only options), the same ``query`` and, by
    default, the same selection rule, much faster. Each candidate is
    represented by the gradient of the cross-entropy loss at its
    pseudo-label with respect to the last linear layer,
    ``g = (p - onehot(argmax p)) (x) h``, where ``p`` are the class
    probabilities and ``h`` the layer's input; a batch is picked by
    k-means++ seeding on these embeddings (or by farthest-first
    traversal). It is BADGE from the first query, whatever the model and
    the number of labels; for a warm start while labels are few, see
    :class:`~skactiveml_badge.TypiClustThenBadge`.

    The embeddings are rank one, so distances come from the factors alone
    and the ``n x (C * D)`` matrix is never formed: a pick costs
    ``O(n (C + D))`` time and ``O(n)`` extra memory instead of
    ``O(n C D)`` for both.

    Parameters
    ----------
    clf_embedding_flag_name : None, str or dict, default=None
        How the embedding ``h`` is obtained, as in scikit-activeml:

        - ``None``: ``clf.predict_proba(X)``; if it returns
          ``(proba, embedding)`` the embedding is used, otherwise ``X``
          (exact BADGE for linear models such as logistic regression,
          whose last linear layer sees ``X``). Nets, MLPs and tree
          ensembles are recognised first (see Notes).
        - a str ``s``: ``clf.predict_proba(X, **{s: True})`` must return
          ``(proba, embedding)``.
        - a dict ``d``: ``clf.predict_proba(X, **d)`` must return
          ``(proba, embedding)``.
    missing_label : scalar, str, np.nan or None, default=np.nan
        Value that marks an unlabeled sample in ``y``.
    random_state : None, int or numpy.random.RandomState, default=None
        Seed of the k-means++ draws. An int gives reproducible queries;
        as in scikit-activeml, the seed actually used also depends on the
        number of unlabeled samples, so successive cycles differ.
    selection : {"kmeans++", "farthest_first"}, default="kmeans++"
        ``"kmeans++"`` is the paper's rule (first pick the largest
        gradient, then sample proportionally to the squared distance to
        the nearest pick); ``"farthest_first"`` is its deterministic
        counterpart (k-center greedy).
    origin_as_centre : bool, default=True
        Count the zero embedding as a centre from the second pick on: each
        later pick is then drawn proportionally to ``min(|g|^2, D^2)``
        (farthest-first: the largest ``min(|g|, D)``) instead of ``D^2``.
        This is the rule of scikit-activeml 1.0.1's ``Badge`` (its running
        ``D^2`` starts from ``|g|^2``), so the default gives its batch
        distribution; it prefers uncertain samples (small ``|g|``) to far
        but confident ones. ``False`` is the paper's rule. The first pick
        is the largest ``|g|`` either way.
    dtype : {np.float32, np.float64}, default=np.float32
        Precision of the distance computation. float32 halves the bytes
        read per pick; use float64 when the exact selection probabilities
        matter to more than about six digits.
    chunk_size : int or None, default=None
        Rows processed at once in each distance update of the plain
        kernels; the extra memory is a few vectors of this length.
        ``None`` uses 65536. (The lazy kernels update in blocks of about
        two million distances, a few times 8 MiB.)
    embedding_layer : str or None, default=None
        Torch nets: name (in ``module.named_modules()``) of the
        ``torch.nn.Linear`` layer whose input is the embedding. ``None``
        takes the last ``Linear`` layer with one output per class.
    include_bias : bool, default=False
        Append a constant 1 to the embedding, i.e. include the gradient of
        the last layer's bias. The paper does not.
    dl_batch_size : int, default=1024
        Torch nets: samples per forward pass of the embedding pass.
    backend : {"auto", "numpy", "torch"}, default="auto"
        Where the selection runs. ``"auto"``: torch (on the net's device)
        for a net on a GPU, numpy otherwise. The random numbers come from
        ``random_state`` on the host, so both backends make the same picks
        up to floating-point round-off.
    leaf_dim : int or None, default=256
        Tree ensembles (LightGBM, XGBoost, scikit-learn forests and
        gradient boosting): the leaf embedding one-hot encodes the leaf of
        every tree, scaled by ``1 / sqrt(n_trees)``. Exact and sparse when
        the ensemble has at most ``leaf_dim`` trees or the candidates reach
        at most ``leaf_dim`` distinct leaves in all, else hashed into
        ``leaf_dim`` signed buckets. ``None``: always exact.
    embedding_source : {"auto", "classifier", "X"}, default="auto"
        ``"auto"`` recognises nets, MLPs and tree ensembles (see Notes);
        ``"classifier"`` uses only what ``predict_proba`` returns, as
        scikit-activeml does; ``"X"`` always uses the input features.
    class_balance : None, "equal" or array-like of shape (n_classes,), \
default=None
        Class-balanced selection: the batch is split into per-class quotas
        over the pseudo-labels ``argmax p`` (equal, or in proportion to the
        given prior, by largest remainders; a class with too few
        candidates passes its surplus on), and a class leaves the draw
        once its quota is filled. Within the quotas the k-means++ or
        farthest-first order is kept. ``None``: no quotas.
    algorithm : {"auto", "plain", "lazy"}, default="auto"
        The kernel (see :func:`skactiveml_badge.selection.kmeans_plusplus`
        and :func:`~skactiveml_badge.selection.farthest_first`). For
        k-means++, ``"lazy"`` draws from exactly the same distribution by
        rejection sampling with blocked distance updates, about ten times
        faster on large pools, with other random numbers than ``"plain"``;
        for farthest-first it makes the same picks (lazy greedy) up to
        exact ties in distance. ``"auto"`` uses the lazy kernel for a
        dense embedding (class quotas included) and the plain one for
        sparse leaf embeddings. One seed gives one batch: with
        ``return_utilities`` the chosen kernel still draws the picks, and
        a plain pass then computes the rows along them (the distributions
        they were drawn from).
    storage_dtype : None, "float16" or "bfloat16", default=None
        Hold the embeddings ``h`` in half precision during the selection
        (half the memory and bytes read; ``"bfloat16"`` with the torch
        backend only) and compute distances in ``dtype``. The picks are
        exact draws for the rounded embeddings (see the performance
        guide for the measured effect). Served by the lazy kernels only
        (``algorithm="plain"`` raises); the utility pass, if asked for,
        converts ``h`` to ``dtype``.
    tree_embedding : {"proximity", "leaf_gradient", "proximity+X"}, \
default="proximity"
        Tree ensembles only (see ``leaf_dim``):

        - ``"proximity"``: ``g = delta (x) z`` with ``z`` the leaf one-hot
          embedding scaled to norm one (shared leaves = proximity).
        - ``"leaf_gradient"``: boosted models (LightGBM, XGBoost,
          scikit-learn's gradient boosting), whose leaf values are their
          last layer: the exact gradient of the loss at the pseudo-label
          with respect to the leaf values, ``delta_c(t)`` at the leaf of
          every tree ``t`` (scoring class ``c(t)``), scaled so that
          ``|g| = |delta|``. Forests (no leaf logits) raise a
          ``ValueError``.
        - ``"proximity+X"``: ``z`` next to the features ``X`` scaled to a
          mean squared row norm of one (the study's choice for trees in
          :class:`~skactiveml_badge.TypiClustThenBadge`).
    mc_dropout : int, default=0
        Torch nets with dropout layers: the probabilities (hence ``delta``)
        are the mean over this many forward passes with dropout active
        (MC dropout, Gal and Ghahramani, ICML 2016); ``h`` still comes from
        the evaluation pass. Seeded from ``random_state``. ``0``: one
        evaluation pass, as in the paper. Other models raise a
        ``ValueError`` when it is positive.
    metric : {"euclidean", "cosine"}, default="euclidean"
        The distance between gradient embeddings. ``"cosine"``:
        ``1 - cos(g_i, g_j)``, the direction of the gradient without its
        size. The unit embedding ``g / |g|`` is again rank one (both
        factors scaled to norm one, see
        :func:`~skactiveml_badge.selection.unit_rows`), so every kernel,
        backend and pool serves it, and ``D^2`` between unit embeddings
        is twice the cosine distance: k-means++ draws proportionally to
        the cosine distance to the nearest pick, farthest-first takes the
        largest. Since every non-zero unit embedding has norm one, pick 0
        is drawn uniformly among them (row 0) instead of being the
        largest; a zero gradient (a certain model) stays zero, at cosine
        distance one half from every pick. With ``origin_as_centre`` the
        distances are capped at one (cosine distance one half).

    Notes
    -----
    A multi-label ``y`` (2-D, ``(n_samples, n_labels)``, with
    scikit-activeml's development-branch convention that a row is all
    labeled or all missing) is served by
    :class:`~skactiveml_badge.MultilabelBadge` with these settings, so one
    import takes both; the settings multi-label BADGE lacks
    (``class_balance``, ``chunk_size``, ``storage_dtype``, the tree and
    MC-dropout options, ``embedding_source``) must keep their defaults,
    and partly labeled rows are refused (``MultilabelBadge`` itself takes
    them as candidates).

    The utilities: row ``k`` of ``query(..., return_utilities=True)`` is
    what pick ``k`` was chosen by, finite everywhere but at labeled
    samples, non-candidates and earlier picks (NaN): its selection
    probabilities (``"kmeans++"``; row 0 is ``|g|^2 / sum |g|^2``, whose
    argmax is the first pick; each row sums to one) or the distances to
    the nearest earlier pick (``"farthest_first"``).

    Where the embedding ``h`` comes from, when ``clf_embedding_flag_name``
    is None: for scikit-activeml's ``SkorchClassifier`` and for skorch nets
    inside ``SklearnClassifier``, a forward hook records the input of the
    last ``Linear`` layer (one pass, evaluation mode, ``torch.no_grad()``,
    on the net's device; the net's train/eval state is restored); for
    scikit-learn's ``MLPClassifier`` the last hidden activation is computed
    from its fitted weights; for tree ensembles the leaf embedding (with
    ``delta = p - onehot(argmax p)`` the pseudo-gradient with respect to
    the ensemble's logits); for any other model, as in scikit-activeml,
    a ``(proba, embedding)`` tuple from ``predict_proba`` or else ``X``.
    A model that could not be fitted yet (no labels, or one class for an
    estimator that needs two) predicts label frequencies in
    scikit-activeml's wrappers; then ``h`` is ``X``, as in
    scikit-activeml, with an
    :class:`~skactiveml_badge.UntrainedModelWarning` for nets and trees.

    Pools beyond memory: ``X`` (in ``query``, or ``unlabeled_x`` in
    ``select_batch``) may be a ``numpy.memmap`` (an ``.npy`` file opened
    with ``mmap_mode="r"``) or a ``dask.array``. Only the labeled rows
    are read to fit the model; the candidates are embedded block by block
    (on the Dask workers, which receive the fitted model, or into
    temporary ``.npy`` files) and the lazy kernel selects from there: the
    picks equal those on the same data in memory. There, tree leaf
    embeddings are always hashed to ``leaf_dim`` columns (the exact
    encoding's columns depend on the whole pool), ``mc_dropout`` is not
    available, and with a dask pool the utilities are a lazy
    ``dask.array``. A worker lost during the query raises
    :class:`DaskWorkerError`. See the guide :doc:`/guide_scale`.

    Where this class and scikit-activeml 1.0.1's ``Badge`` agree and
    differ (``tests/test_parity.py`` measures it):

    - The default rule is scikit-activeml's: from the second pick on it
      keeps the zero vector as a hidden centre and samples proportionally
      to ``min(|g|^2, D^2)``. The first pick and row 0 are identical;
      every later row is the distribution scikit-activeml's rule gives
      after the same earlier picks. The draws use other random numbers
      (the lazy kernel's rejection sampling), so the same seed gives
      another batch from the same distribution.
    - When every gradient is zero (a model certain of every candidate),
      scikit-activeml takes the first candidate; this class draws the
      first pick uniformly. When every remaining ``min(|g|^2, D^2)`` is
      zero, both draw uniformly among the samples not yet picked, but
      scikit-activeml then measures later distances to the newest pick
      only (so it can return a copy of an earlier pick); this class keeps
      the minimum over all picks.
    - Nets and tree ensembles are embedded as above; scikit-activeml uses
      ``X`` for both (which is not BADGE for a net), and knows no leaf
      embedding for trees (BADGE needs a last linear layer: the leaf
      one-hot is the input of the ensemble's last, additive, layer).
    - It returns a Python list; this class returns an ``np.ndarray`` of
      integers.
    - It silently drops labeled or repeated indices from ``candidates``;
      this class raises a ``ValueError``.

    References
    ----------
    .. [1] J. T. Ash, C. Zhang, A. Krishnamurthy, J. Langford, A. Agarwal.
       Deep Batch Active Learning by Diverse, Uncertain Gradient Lower
       Bounds. ICLR 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactiveml.classifier import SklearnClassifier
    >>> from skactiveml.utils import MISSING_LABEL
    >>> from skactiveml_badge import Badge
    >>> X, y_true = load_iris(return_X_y=True)
    >>> y = np.full(len(y_true), MISSING_LABEL)
    >>> y[[0, 50, 100]] = y_true[[0, 50, 100]]
    >>> clf = SklearnClassifier(LogisticRegression(), classes=[0, 1, 2])
    >>> qs = Badge(random_state=0)
    >>> idx, util = qs.query(X, y, clf, batch_size=3, return_utilities=True)
    >>> idx.shape, util.shape
    ((3,), (3, 150))
    >>> bool(np.allclose(np.nansum(util, axis=1), 1))
    True
    """

    _takes_frames = True

    __init__ = stored_init(
        SKACTIVEML_PARAMS,
        selection="kmeans++",
        origin_as_centre=True,
        dtype=np.float32,
        chunk_size=None,
        **EMBEDDING_PARAMS,
        class_balance=None,
        algorithm="auto",
        storage_dtype=None,
        tree_embedding="proximity",
        mc_dropout=0,
        metric="euclidean",
        reduction=None,
        n_components=256,
    )

    def _pick(self, clf, pool, n_picks, return_util, params):
        """BADGE's picks among the candidates and their utility rows."""
        dtype, _ = params
        # The reduction's seed comes first (every route draws it alike).
        seed = None
        if self.reduction is not None:
            seed = self.random_state_.randint(2**31 - 1)
        options = dict(
            self._embed_options(not pool.chunked and self.backend != "numpy"),
            tree_embedding=self.tree_embedding,
        )
        storage = None
        if pool.chunked:
            # Columns that do not depend on the block, and the scale of
            # the features of the whole pool (one pass over X).
            options["hashed_leaves"] = True
            if self._uses_features_scale(clf):
                options["features_scale"] = pool.scale()
            if self.storage_dtype is not None:
                storage = np.dtype(self.storage_dtype)
        else:
            options.update(self._mc_options())
        transform = functools.partial(
            transform_factors, self.metric, self.reduction,
            self.n_components, seed,
        )  # fmt: skip
        factors = functools.partial(
            badge_factors, clf, self.clf_embedding_flag_name, options,
            transform,
        )  # fmt: skip
        classes = classes_of(clf)
        with pool.embedded(pool.block_fn(factors, dtype, storage)) as (
            labels, delta, h,
        ):  # fmt: skip
            if self.reduction == "svd":  # in memory: every candidate's h
                h = reduce_h(h, "svd", self.n_components, seed)
                if self.metric == "cosine":
                    h = unit_rows(h)
            n_classes = delta.shape[1] if classes is None else len(classes)
            return self._run_kernel(
                delta, h, labels, n_classes, n_picks, params, return_util
            )

    #: Whether a 2-D ``y`` is served by :class:`MultilabelBadge` (Badge
    #: itself; not the recipe, whose warm start is single-label).
    _serves_multilabel_y = True

    def _for_labels(self, y, query):
        """A :class:`MultilabelBadge` with these settings for a 2-D ``y``
        (scikit-activeml's development-branch conventions: a row all
        labeled or all missing), else this strategy."""
        if not (type(self)._serves_multilabel_y and np.ndim(y) == 2):
            return self
        from ._multilabel_badge import MultilabelBadge

        changed = sorted(
            name
            for name, default in _SINGLE_LABEL_ONLY.items()
            if _differs(getattr(self, name), default)
        )
        if changed:
            kept = ", ".join(f"{n}={_SINGLE_LABEL_ONLY[n]!r}" for n in changed)
            raise ValueError(
                "With a multi-label `y` (2-D), Badge runs multi-label "
                f"BADGE, which has no {', '.join(changed)}: leave {kept}."
            )
        if query:
            from skactiveml.utils import is_labeled

            known = is_labeled(np.asarray(y), missing_label=self.missing_label)
            partial = int((known.any(axis=1) & ~known.all(axis=1)).sum())
            if partial:
                raise ValueError(
                    f"{partial} row(s) of the multi-label `y` are partly "
                    "labeled; Badge takes a row all labeled or all missing "
                    "(scikit-activeml's convention). MultilabelBadge takes "
                    "partly labeled rows as candidates."
                )
        return MultilabelBadge(
            self.clf_embedding_flag_name, self.missing_label,
            self.random_state, selection=self.selection,
            origin_as_centre=self.origin_as_centre, dtype=self.dtype,
            algorithm=self.algorithm, backend=self.backend,
            embedding_layer=self.embedding_layer,
            include_bias=self.include_bias, dl_batch_size=self.dl_batch_size,
        )  # fmt: skip

    def _uses_features_scale(self, clf):
        """Whether the embedding puts ``X`` next to the leaves (trees with
        ``"proximity+X"``): only then is the pool's scale needed."""
        return (
            self.tree_embedding == "proximity+X"
            and self.embedding_source == "auto"
            and self.clf_embedding_flag_name is None
            and has_leaves(clf)
        )

    def gradient_norms(self, clf, X):
        """Norms ``|g| = |delta| |h|`` of the gradient embeddings of ``X``.

        A diagnostic of the pool: BADGE's first pick is the largest norm,
        and the norms measure how uncertain the model is about each sample
        (zero where it is certain).

        Parameters
        ----------
        clf : fitted classifier
            As for ``select_batch``; the embedding is found as in ``query``.
        X : array-like of shape (n_samples, ...)

        Returns
        -------
        norms : ndarray of shape (n_samples,)
        """
        delta, h = self._factors(clf, X)
        return np.sqrt(sq_norms(delta, h).astype(np.float64))

    def assign_to_picks(self, clf, X, picks):
        """Nearest pick of every sample in gradient-embedding space.

        Parameters
        ----------
        clf : fitted classifier
        X : array-like of shape (n_samples, ...)
        picks : array-like of shape (n_picks,) of int
            Indices into ``X`` (e.g. the result of ``query`` or
            ``select_batch`` on ``X``).

        Returns
        -------
        assignment : ndarray of shape (n_samples,), int
            Position in ``picks`` of the nearest pick.
        distance : ndarray of shape (n_samples,)
            Euclidean distance to it.
        """
        delta, h = self._factors(clf, X)
        picks = np.asarray(picks)
        if picks.ndim != 1 or not np.issubdtype(picks.dtype, np.integer):
            raise TypeError("`picks` must be a 1-D array of int indices.")
        if picks.size == 0 or picks.min() < 0 or picks.max() >= len(delta):
            raise ValueError(
                "`picks` must be non-empty indices into X "
                f"(0..{len(delta) - 1})."
            )
        assignment = np.empty(len(delta), dtype=np.intp)
        distance = np.empty(len(delta))
        for start in range(0, len(delta), DEFAULT_CHUNK_SIZE // 16):
            rows = slice(start, start + DEFAULT_CHUNK_SIZE // 16)
            d = pairwise_sq_distances(
                delta[rows], h[rows], delta[picks], h[picks]
            )
            assignment[rows] = d.argmin(1)
            distance[rows] = np.sqrt(d.min(1))
        return assignment, distance

    def _factors(self, clf, X):
        """Host float64 factors (delta, h) of X, for the diagnostics."""
        X = check_array(X, allow_nd=True, input_name="X")
        self._check_params()
        tree_embedding = self.tree_embedding
        _, delta, h = self._gradient_factors(
            clf, X, False, tree_embedding, **self._mc_options(0)
        )
        delta = np.asarray(delta, dtype=np.float64)
        h = h.astype(np.float64) if sp.issparse(h) else np.asarray(h, float)
        if self.metric == "cosine":
            delta, h = unit_rows(delta), unit_rows(h)
        return delta, h

    _parameter_constraints = {
        "selection": Choice(*RULES),
        "dtype": Dtype(),
        "chunk_size": Int(none=True),
        "algorithm": Choice(*ALGORITHMS),
        "storage_dtype": Choice(None, *HALF_DTYPES),
        "origin_as_centre": Bool(),
        "tree_embedding": Choice(*TREE_EMBEDDINGS),
        "mc_dropout": Int(low=0),
        "metric": Choice(*METRICS),
        "reduction": Choice(*REDUCTIONS),
        "n_components": Int(low=1),
        # Its length is checked against the classes once the pool is
        # embedded.
        "class_balance": ClassBalance(),
    }

    def _check_params(self):
        self._check_embedding_params()
        params = validate_params(self, self._parameter_constraints)
        return params["dtype"], params["chunk_size"] or DEFAULT_CHUNK_SIZE

    def _check_before_fit(self, clf, pool, n_picks, params):
        classes = classes_of(clf)
        if self.class_balance is not None and classes is not None:
            check_class_balance(self.class_balance, len(classes))
        check_model_options(
            clf, mc_dropout=self.mc_dropout,
            tree_embedding=self.tree_embedding,
            auto=self.embedding_source == "auto"
            and not predict_flags(self.clf_embedding_flag_name),
            chunked=pool.chunked,
        )  # fmt: skip
        if self.reduction == "svd" and pool.chunked:
            raise ValueError(
                "reduction='svd' fits the projection on every candidate's "
                "h at once; a pool on disk or on Dask takes "
                "reduction='random' (applied block by block)."
            )

    def _run_kernel(
        self, delta, h, labels, n_classes, n_picks, params, return_util
    ):
        """The selection rule on the factors with this strategy's options
        (``labels``: the pseudo-labels among ``n_classes``, for
        ``class_balance``), in memory or on a pool on disk or on Dask."""
        dtype, chunk_size = params
        balance = {}
        if self.class_balance is not None:
            check_class_balance(self.class_balance, n_classes)
            balance = dict(
                class_balance=self.class_balance, class_labels=labels
            )
        options = dict(
            dtype=dtype, chunk_size=chunk_size, return_utilities=return_util,
            backend=self.backend, algorithm=self.algorithm,
            storage_dtype=self.storage_dtype,
            origin_as_centre=self.origin_as_centre,
            # The embedding sources checked them for NaN and infinity.
            check_input=False, **balance,
        )  # fmt: skip
        if self.metric == "cosine":
            # Every non-zero unit embedding has norm one: pick 0 is drawn.
            options["first_pick"] = "draw"
        if self.selection == "kmeans++" or self.metric == "cosine":
            options["random_state"] = self.random_state_
        if self.selection == "kmeans++":
            return kmeans_plusplus(delta, h, n_picks, **options)
        return farthest_first(delta, h, n_picks, **options)

    def _mc_options(self, seed=None):
        """MC-dropout options; the seed is drawn from ``random_state_``
        only when MC dropout is on (other picks keep their random
        numbers)."""
        if not self.mc_dropout:
            return {}
        if seed is None:
            seed = self.random_state_.randint(2**31 - 1)
        return dict(mc_dropout=self.mc_dropout, mc_seed=seed)


#: Badge's settings that a multi-label ``y`` cannot serve, with the
#: default it must keep.
_SINGLE_LABEL_ONLY = {
    "chunk_size": None,
    "class_balance": None,
    "storage_dtype": None,
    "tree_embedding": "proximity",
    "mc_dropout": 0,
    "leaf_dim": 256,
    "embedding_source": "auto",
    "metric": "euclidean",
    "reduction": None,
    "n_components": 256,
}


def _differs(value, default):
    """Whether a setting was changed from its default."""
    if default is None:
        return value is not None
    return not (type(value) is type(default) and value == default)


def classes_of(clf):
    """The classes a classifier knows: its ``classes_`` once fitted, else
    the ``classes`` it declares (scikit-activeml's wrappers), else
    None."""
    classes = getattr(clf, "classes_", None)
    if classes is None:
        classes = getattr(clf, "classes", None)
    return classes


def badge_factors(clf, flag_name, options, transform, X):
    """``(pseudo-labels, delta, h)`` of ``X`` (a block function: see
    :meth:`~._pool.Pool.embedded`), the factors passed through
    ``transform`` (:func:`transform_factors`)."""
    proba, delta, h = gradient_factors(clf, X, flag_name, **options)
    return (proba.argmax(1), *transform(delta, h))


def transform_factors(metric, reduction, n_components, seed, delta, h):
    """The factors of one block for ``metric`` and ``reduction``: ``h``
    randomly projected (``"random"``: the same projection for every block
    of one seed), then both factors scaled to unit rows for
    ``"cosine"``. The ``"svd"`` reduction needs every candidate and is
    applied afterwards (and ``h`` scaled after it)."""
    if reduction == "random":
        h = reduce_h(h, "random", n_components, seed)
    if metric == "cosine":
        delta = unit_rows(delta)
        if reduction != "svd":
            h = unit_rows(h)
    return delta, h
