"""The public selection kernels: validate, then the one dispatch."""

import numpy as np

from ._dispatch import select


def kmeans_plusplus(
    delta,
    h,
    n_picks,
    *,
    random_state=None,
    dtype=np.float32,
    chunk_size=None,
    return_utilities=False,
    backend="auto",
    device=None,
    algorithm="auto",
    storage_dtype=None,
    origin_as_centre=False,
    class_labels=None,
    class_balance=None,
    check_input=True,
    first_pick="largest",
):
    """Pick a batch by k-means++ seeding on gradient embeddings.

    The rule of BADGE [1]_: the first pick is the embedding with the largest
    norm; every later pick is drawn with probability proportional to its
    squared distance ``D^2`` to the nearest embedding picked so far. When
    every remaining ``D^2`` is zero (duplicates, or all-zero gradients) the
    pick is drawn uniformly among the samples not yet picked, so picks are
    always distinct. The embeddings ``g_i = delta_i (x) h_i`` are never
    formed: each pick costs one pass over the factors, ``O(n (C + D))``.

    Parameters
    ----------
    delta : array-like of shape (n_samples, n_classes)
        Gradient of the loss with respect to the logits,
        ``p_i - onehot(argmax p_i)`` for BADGE.
    h : array-like of shape (n_samples, n_features)
        Input of the last linear layer.

        Pools beyond memory: ``delta`` and ``h`` may be ``numpy.memmap``
        arrays (``np.load(path, mmap_mode="r")``: read in blocks, the
        process holds vectors of length ``n`` and one block) or
        ``dask.array`` arrays (processed where their blocks live; with a
        ``distributed`` client they are persisted on the workers). The
        lazy kernel then serves the picks on the host's numpy, the same
        picks as in memory for the same seed; see :doc:`/guide_scale`.
    n_picks : int
        Number of samples to pick, at most ``n_samples``.
    random_state : None, int or numpy.random.RandomState, default=None
        Source of the random numbers: one uniform number per pick after the
        first (and one integer per uniform fallback).
    dtype : {np.float32, np.float64}, default=np.float32
        Precision of the distance computation.
    chunk_size : int or None, default=None
        Rows processed at once; bounds the extra memory to a few vectors of
        this length. ``None`` uses 65536.
    backend : {"auto", "numpy", "torch"}, default="auto"
        Where the per-pick pass over the factors runs. ``"auto"`` uses
        torch when ``h`` is a CUDA tensor, numpy otherwise; ``delta`` and
        ``h`` may be numpy arrays or torch tensors for either backend.
        The random numbers are drawn on the host, so both backends make
        the same picks up to floating-point round-off.
    device : str, torch.device or None, default=None
        Torch backend only: where to compute (``None``: where the tensors
        are, the CPU for numpy arrays).
    return_utilities : bool, default=False
        Whether to return each pick's selection probabilities.
    algorithm : {"auto", "plain", "lazy"}, default="auto"
        ``"plain"`` updates every distance after each pick: one pass over
        the factors per pick, ``O(n (C + D))``. ``"lazy"`` draws each pick
        by rejection sampling from stale distances and applies the new
        centres in blocks, with one matrix-matrix product per block
        (:mod:`._lazy`): the same distribution, but other random numbers,
        so other picks for the same seed. It reads the pool only at the
        (rare) flushes; at n=50,000, D=512 and 1,000 picks it takes about
        a tenth of the plain kernel's time. It needs a dense ``h``.
        ``"auto"``: lazy where it applies (a dense ``h``). Utilities never
        change the picks: the chosen kernel draws them, and with
        ``return_utilities`` a plain pass then computes the rows along
        those picks (at the plain kernel's cost).
    storage_dtype : None, "float16" or "bfloat16", default=None
        Hold ``h`` in half precision (half the bytes; ``"bfloat16"`` with
        the torch backend only) and compute in ``dtype``. The picks are
        then exact draws for the rounded embeddings. Lazy kernel only
        (``algorithm="plain"`` raises); the utility pass, if asked for,
        converts ``h`` to ``dtype``.
    origin_as_centre : bool, default=False
        Count the zero embedding as a centre from the second pick on, so
        that each later pick is drawn proportionally to
        ``min(|g|^2, D^2)`` instead of ``D^2``: the rule of scikit-activeml
        1.0.1's ``Badge``, which prefers uncertain samples (small ``|g|``
        cannot weigh more than ``|g|^2``) to far but confident ones. The
        first pick is the largest norm either way. ``False`` is the
        paper's rule.
    class_labels : array-like of shape (n_samples,) of int, default=None
        Class of every sample (for BADGE, the pseudo-labels
        ``argmax p``), in ``0 .. n_classes - 1``; needed by
        ``class_balance``.
    class_balance : None, "equal" or array-like of shape (n_classes,), \
default=None
        Per-class quotas: the batch is split over ``class_labels`` equally
        or in proportion to the given prior (largest remainders; a class
        with too few samples passes its surplus on), and a class leaves
        the draw once its quota is filled. ``None``: no quotas.
    check_input : bool, default=True
        Scan ``delta`` and ``h`` for NaN and infinity (one pass over
        ``h``); callers that checked them already may skip it.
    first_pick : {"largest", "draw"}, default="largest"
        Pick 0: the largest norm ``|g|`` (the paper's rule; ties go to
        the lowest index), or ``"draw"``: drawn from ``random_state`` with
        probability ``|g|^2 / sum |g|^2`` (row 0), as in k-means++ seeding
        proper. For unit embeddings (cosine distances: see
        :func:`unit_rows`), whose norms are all one, ``"draw"`` is a
        uniform draw among the non-zero ones.

    Returns
    -------
    indices : ndarray of shape (n_picks,), dtype=np.intp
        The picks, in order.
    utilities : ndarray of shape (n_picks, n_samples) or None
        Row ``k`` holds the probability with which every sample could have
        been pick ``k`` (NaN for earlier picks). Row 0 is ``|g|^2 / sum |g|^2``
        although the first pick is its argmax, as in BADGE. ``None`` unless
        ``return_utilities``. For dask factors a lazy ``dask.array``
        (computing the row sums takes one pass now).

    References
    ----------
    .. [1] J. T. Ash, C. Zhang, A. Krishnamurthy, J. Langford, A. Agarwal.
       Deep Batch Active Learning by Diverse, Uncertain Gradient Lower
       Bounds. ICLR 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from skactiveml_badge.selection import kmeans_plusplus
    >>> rng = np.random.RandomState(0)
    >>> delta, h = rng.randn(100, 3), rng.randn(100, 5)
    >>> idx, _ = kmeans_plusplus(delta, h, 4, random_state=0)
    >>> idx.shape
    (4,)
    """
    return select("kmeans++", **locals())


def farthest_first(
    delta,
    h,
    n_picks,
    *,
    random_state=None,
    dtype=np.float32,
    chunk_size=None,
    return_utilities=False,
    backend="auto",
    device=None,
    algorithm="auto",
    storage_dtype=None,
    origin_as_centre=False,
    class_labels=None,
    class_balance=None,
    check_input=True,
    first_pick="largest",
):
    """Pick a batch by farthest-first traversal on gradient embeddings.

    The deterministic counterpart of :func:`kmeans_plusplus`: the first pick
    is the embedding with the largest norm, every later pick the one
    farthest from its nearest earlier pick (k-center greedy, Gonzalez'
    2-approximation of the k-center problem). Ties go to the lowest index;
    when every remaining distance is zero the lowest-index sample not yet
    picked is taken, so picks are always distinct. The covering radius
    ``max_i D(i)`` never increases from one pick to the next.

    Parameters
    ----------
    delta : array-like of shape (n_samples, n_classes)
        Gradient of the loss with respect to the logits.
    h : array-like of shape (n_samples, n_features)
        Input of the last linear layer. Both may be ``numpy.memmap`` or
        ``dask.array`` arrays, as for :func:`kmeans_plusplus`.
    n_picks : int
        Number of samples to pick, at most ``n_samples``.
    random_state : None, int or numpy.random.RandomState, default=None
        Used only to draw pick 0 (``first_pick="draw"``).
    dtype : {np.float32, np.float64}, default=np.float32
        Precision of the distance computation.
    chunk_size : int or None, default=None
        Rows processed at once (``None``: 65536).
    backend : {"auto", "numpy", "torch"}, default="auto"
        Where the per-pick pass over the factors runs. ``"auto"`` uses
        torch when ``h`` is a CUDA tensor, numpy otherwise; ``delta`` and
        ``h`` may be numpy arrays or torch tensors for either backend.
        The random numbers are drawn on the host, so both backends make
        the same picks up to floating-point round-off.
    device : str, torch.device or None, default=None
        Torch backend only: where to compute (``None``: where the tensors
        are, the CPU for numpy arrays).
    return_utilities : bool, default=False
        Whether to return each pick's distances.
    algorithm : {"auto", "plain", "lazy"}, default="auto"
        ``"plain"`` updates every distance after each pick. ``"lazy"``
        keeps stale upper bounds and computes the exact distance only for
        the current farthest candidates (lazy greedy), applying new centres
        in blocks: the same picks up to round-off in near-ties, dense ``h``
        only. ``"auto"``: lazy where it applies. With ``return_utilities``
        a plain pass computes the rows along the picks, which stay the
        same.
    storage_dtype : None, "float16" or "bfloat16", default=None
        Hold ``h`` in half precision, as for :func:`kmeans_plusplus`.
    origin_as_centre : bool, default=False
        Count the zero embedding as a centre from the second pick on
        (distances ``min(|g|, D)``), as for :func:`kmeans_plusplus`.
    class_labels : array-like of shape (n_samples,) of int, default=None
        Class of every sample; needed by ``class_balance``.
    class_balance : None, "equal" or array-like of shape (n_classes,), \
default=None
        Per-class quotas, as for :func:`kmeans_plusplus`.
    check_input : bool, default=True
        Scan ``delta`` and ``h`` for NaN and infinity.
    first_pick : {"largest", "draw"}, default="largest"
        Pick 0: the largest norm, or drawn from ``random_state`` with
        probability ``|g|^2 / sum |g|^2``, as for :func:`kmeans_plusplus`.

    Returns
    -------
    indices : ndarray of shape (n_picks,), dtype=np.intp
        The picks, in order.
    utilities : ndarray of shape (n_picks, n_samples) or None
        Row ``k`` holds every sample's Euclidean distance to its nearest
        earlier pick (row 0: the norm ``|g|``), NaN for earlier picks; pick
        ``k`` is the row's argmax. ``None`` unless ``return_utilities``;
        a lazy ``dask.array`` for dask factors.

    Examples
    --------
    >>> import numpy as np
    >>> from skactiveml_badge.selection import farthest_first
    >>> rng = np.random.RandomState(0)
    >>> idx, util = farthest_first(
    ...     rng.randn(50, 3), rng.randn(50, 4), 3, return_utilities=True
    ... )
    >>> bool(np.nanmax(util[1]) >= np.nanmax(util[2]))
    True
    """
    return select("farthest_first", **locals())
