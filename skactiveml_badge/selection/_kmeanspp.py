"""k-means++ seeding on rank-one gradient embeddings (the BADGE rule)."""

import numpy as np
from sklearn.utils import check_random_state

from ._distances import NearestCentreDistances
from ._validation import check_kernel_args


def kmeans_plusplus(
    delta,
    h,
    n_picks,
    *,
    random_state=None,
    dtype=np.float32,
    chunk_size=None,
    return_utilities=False,
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
    n_picks : int
        Number of samples to pick, at most ``n_samples``.
    random_state : None, int or numpy.random.RandomState, default=None
        Source of the random numbers: one uniform number per pick after the
        first (and one integer per uniform fallback).
    dtype : {np.float32, np.float64}, default=np.float32
        Precision of the distance computation.
    chunk_size : int or None, default=None
        Rows processed at once; bounds the extra memory to a few vectors of
        this length. ``None`` uses 16384.
    return_utilities : bool, default=False
        Whether to return each pick's selection probabilities.

    Returns
    -------
    indices : ndarray of shape (n_picks,), dtype=np.intp
        The picks, in order.
    utilities : ndarray of shape (n_picks, n_samples) or None
        Row ``k`` holds the probability with which every sample could have
        been pick ``k`` (NaN for earlier picks). Row 0 is ``|g|^2 / sum |g|^2``
        although the first pick is its argmax, as in BADGE. ``None`` unless
        ``return_utilities``.

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
    delta, h, n_picks, chunk_size = check_kernel_args(
        delta, h, n_picks, dtype, chunk_size
    )
    random_state = check_random_state(random_state)
    return _kmeans_plusplus(
        delta, h, n_picks, random_state, chunk_size, return_utilities
    )


def _kmeans_plusplus(
    delta, h, n_picks, random_state, chunk_size, return_utils
):
    """k-means++ on clean factors; see :func:`kmeans_plusplus`."""
    state = NearestCentreDistances(delta, h, chunk_size=chunk_size)
    n = delta.shape[0]
    indices = np.empty(n_picks, dtype=np.intp)
    utilities = np.full((n_picks, n), np.nan) if return_utils else None
    for k in range(n_picks):
        weights = state.sq_norms if k == 0 else state.min_sq_dist
        cum = np.cumsum(weights, dtype=np.float64)
        total = cum[-1]
        if total > 0.0:
            if k == 0:
                idx = int(np.argmax(weights))
            else:
                idx = _draw(cum, total, weights, random_state)
            if return_utils:
                utilities[k] = weights / total
        else:
            remaining = np.flatnonzero(~state.is_centre)
            idx = int(remaining[random_state.randint(remaining.size)])
            if return_utils:
                utilities[k, remaining] = 1.0 / remaining.size
        if return_utils:
            utilities[k, indices[:k]] = np.nan
        indices[k] = idx
        if k + 1 < n_picks:
            state.add_centre(idx)
        else:
            state.is_centre[idx] = True
    return indices, utilities


def _draw(cum, total, weights, random_state):
    """Inverse-CDF draw of one index with probability ``weights / total``."""
    u = random_state.random_sample() * total
    idx = int(np.searchsorted(cum, u, side="right"))
    if idx >= cum.size:
        # u * total rounded up to total: take the last positive weight.
        idx = int(np.flatnonzero(weights)[-1])
    return idx
