"""Farthest-first traversal (k-center greedy) on gradient embeddings."""

import numpy as np

from ._lazy import lazy_farthest_first, use_lazy
from ._validation import check_bool, check_kernel_args


def farthest_first(
    delta,
    h,
    n_picks,
    *,
    dtype=np.float32,
    chunk_size=None,
    return_utilities=False,
    backend="auto",
    device=None,
    algorithm="auto",
    storage_dtype=None,
    origin_as_centre=False,
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
        in blocks: the same picks up to round-off in near-ties, no
        utilities, dense ``h`` only. ``"auto"``: lazy where it applies.
    storage_dtype : None, "float16" or "bfloat16", default=None
        Hold ``h`` in half precision, as for :func:`kmeans_plusplus`.
    origin_as_centre : bool, default=False
        Count the zero embedding as a centre from the second pick on
        (distances ``min(|g|, D)``), as for :func:`kmeans_plusplus`.

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
    if storage_dtype is not None:
        from ._kmeanspp import _half

        return _half("farthest_first", delta, h, n_picks, None, dtype,
                     storage_dtype, backend, device, return_utilities,
                     algorithm, origin_as_centre)  # fmt: skip
    state, n_picks = check_kernel_args(
        delta, h, n_picks, dtype, chunk_size, backend, device
    )
    check_bool(origin_as_centre, "origin_as_centre")
    return run_farthest_first(
        state, n_picks, return_utilities, None, algorithm, origin_as_centre
    )


def run_farthest_first(
    state, n_picks, return_utils, quota, algorithm, origin=False
):
    """The lazy kernel where it applies (and is allowed), else the plain."""
    if not use_lazy(state, return_utils, quota, algorithm):
        return _farthest_first(state, n_picks, return_utils, quota, origin)
    idx, _ = lazy_farthest_first(
        state.delta, state.h, n_picks, norms=state.sq_norms, origin=origin
    )
    return idx, None


def _farthest_first(state, n_picks, return_utils, quota=None, origin=False):
    """Farthest-first on a distance state; see :func:`farthest_first`."""
    if origin:
        state.add_origin()
    indices = np.empty(n_picks, dtype=np.intp)
    n = state.n_samples
    utilities = np.full((n_picks, n), np.nan) if return_utils else None
    for k in range(n_picks):
        sq = state.weights(k)
        idx, value = state.argmax(sq)
        if value == 0.0:
            # Every remaining distance is zero (earlier picks are exactly
            # zero): take the lowest index not picked yet.
            idx = int(state.remaining()[0])
        if return_utils:
            utilities[k] = np.sqrt(state.to_host(sq))
            utilities[k, indices[:k]] = np.nan
        indices[k] = idx
        if quota is not None:
            quota.picked(idx)
        state.add_centre(idx, update=k + 1 < n_picks)
    return indices, utilities
