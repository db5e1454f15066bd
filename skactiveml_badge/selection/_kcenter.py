"""Farthest-first traversal (k-center greedy) on gradient embeddings."""

import numpy as np

from ._distances import NearestCentreDistances
from ._validation import check_kernel_args


def farthest_first(
    delta,
    h,
    n_picks,
    *,
    dtype=np.float32,
    chunk_size=None,
    return_utilities=False,
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
        Input of the last linear layer.
    n_picks : int
        Number of samples to pick, at most ``n_samples``.
    dtype : {np.float32, np.float64}, default=np.float32
        Precision of the distance computation.
    chunk_size : int or None, default=None
        Rows processed at once (``None``: 65536).
    return_utilities : bool, default=False
        Whether to return each pick's distances.

    Returns
    -------
    indices : ndarray of shape (n_picks,), dtype=np.intp
        The picks, in order.
    utilities : ndarray of shape (n_picks, n_samples) or None
        Row ``k`` holds every sample's Euclidean distance to its nearest
        earlier pick (row 0: the norm ``|g|``), NaN for earlier picks; pick
        ``k`` is the row's argmax. ``None`` unless ``return_utilities``.

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
    delta, h, n_picks, chunk_size = check_kernel_args(
        delta, h, n_picks, dtype, chunk_size
    )
    return _farthest_first(delta, h, n_picks, chunk_size, return_utilities)


def _farthest_first(delta, h, n_picks, chunk_size, return_utils):
    """Farthest-first on clean factors; see :func:`farthest_first`."""
    state = NearestCentreDistances(delta, h, chunk_size=chunk_size)
    n = delta.shape[0]
    indices = np.empty(n_picks, dtype=np.intp)
    utilities = np.full((n_picks, n), np.nan) if return_utils else None
    for k in range(n_picks):
        sq = state.sq_norms if k == 0 else state.min_sq_dist
        idx = int(np.argmax(sq))
        if sq[idx] == 0.0:
            # Every remaining distance is zero (earlier picks are exactly
            # zero): take the lowest index not picked yet.
            idx = int(np.argmin(state.is_centre))
        if return_utils:
            utilities[k] = np.sqrt(sq)
            utilities[k, indices[:k]] = np.nan
        indices[k] = idx
        state.add_centre(idx, update=k + 1 < n_picks)
    return indices, utilities
