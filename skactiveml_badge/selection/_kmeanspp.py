"""k-means++ seeding on rank-one gradient embeddings (the BADGE rule)."""

import numpy as np
from sklearn.utils import check_random_state

from ._lazy import lazy_kmeans_plusplus, use_lazy
from ._validation import check_bool, check_kernel_args


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
        the factors per pick, ``O(n (C + D))``, and it can return the
        utilities. ``"lazy"`` draws each pick by rejection sampling from
        stale distances and applies the new centres in blocks, with one
        matrix-matrix product per block (:mod:`._lazy`): the same
        distribution, but other random numbers, so other picks for the
        same seed. It reads the pool only at the (rare) flushes; at
        n=50,000, D=512 and 1,000 picks it takes about a tenth of the
        plain kernel's time. It needs a dense ``h`` and runs on both
        backends; with ``return_utilities`` it draws the picks and the
        plain kernel computes the rows along them (the same picks as
        without utilities, at the plain kernel's cost). ``"auto"``: lazy
        where it applies.
    storage_dtype : None, "float16" or "bfloat16", default=None
        Hold ``h`` in half precision (half the bytes; ``"bfloat16"`` with
        the torch backend only) and compute in ``dtype``. The picks are
        then exact draws for the rounded embeddings. Lazy kernel only.
    origin_as_centre : bool, default=False
        Count the zero embedding as a centre from the second pick on, so
        that each later pick is drawn proportionally to
        ``min(|g|^2, D^2)`` instead of ``D^2``: the rule of scikit-activeml
        1.0.1's ``Badge``, which prefers uncertain samples (small ``|g|``
        cannot weigh more than ``|g|^2``) to far but confident ones. The
        first pick is the largest norm either way. ``False`` is the
        paper's rule.

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
    random_state = check_random_state(random_state)
    if storage_dtype is not None:
        return _half("kmeans++", delta, h, n_picks, random_state, dtype,
                     storage_dtype, backend, device, return_utilities,
                     algorithm, origin_as_centre)  # fmt: skip
    state, n_picks = check_kernel_args(
        delta, h, n_picks, dtype, chunk_size, backend, device
    )
    check_bool(origin_as_centre, "origin_as_centre")
    return run_kmeans_plusplus(
        state,
        n_picks,
        random_state,
        return_utilities,
        None,
        algorithm,
        origin_as_centre,
    )


def run_kmeans_plusplus(
    state, n_picks, random_state, return_utils, quota, algorithm, origin=False
):
    """The lazy kernel where it applies (and is allowed), else the plain.

    Utilities do not change the picks: the lazy kernel draws them, and the
    plain kernel then computes the rows along those picks (the exact
    distributions they were drawn from). One seed, one batch.
    """
    if not use_lazy(state, False, quota, algorithm):
        return _kmeans_plusplus(
            state, n_picks, random_state, return_utils, quota, origin
        )
    idx, _ = lazy_kmeans_plusplus(
        state.delta,
        state.h,
        n_picks,
        random_state,
        norms=state.sq_norms,
        origin=origin,
    )
    if not return_utils:
        return idx, None
    _, utilities = _kmeans_plusplus(
        state, n_picks, None, True, None, origin, forced=idx
    )
    return idx, utilities


def _kmeans_plusplus(
    state,
    n_picks,
    random_state,
    return_utils,
    quota=None,
    origin=False,
    forced=None,
):
    """k-means++ on a distance state; see :func:`kmeans_plusplus`.

    ``forced``: picks made already (by the lazy kernel); the loop then
    only computes their utility rows and draws nothing.
    """
    if origin:
        state.add_origin()
    n = state.n_samples
    indices = np.empty(n_picks, dtype=np.intp)
    utilities = np.full((n_picks, n), np.nan) if return_utils else None
    for k in range(n_picks):
        weights = state.weights(k)
        block_sums = state.block_sums(weights, _BLOCK)
        total = block_sums.sum()
        if total > 0.0:
            if forced is not None:
                idx = int(forced[k])
            elif k == 0:
                idx = state.argmax(weights)[0]
            else:
                idx = _draw(state, weights, block_sums, random_state)
            if return_utils:
                utilities[k] = state.to_host(weights) / total
        else:
            remaining = state.remaining()
            if forced is not None:
                idx = int(forced[k])
            else:
                idx = int(remaining[random_state.randint(remaining.size)])
            if return_utils:
                utilities[k, remaining] = 1.0 / remaining.size
        if return_utils:
            utilities[k, indices[:k]] = np.nan
        indices[k] = idx
        if quota is not None:
            quota.picked(idx)
        state.add_centre(idx, update=k + 1 < n_picks)
    return indices, utilities


_BLOCK = 1024


def _draw(state, weights, block_sums, random_state):
    """Draw one index with probability ``weights / weights.sum()``.

    Inverse-CDF sampling with one uniform number, in two levels: the block
    first (cumulative sums of the block sums), then the index inside it.
    The same mapping as a cumulative sum over all weights, at a tenth of
    its cost per pick; only one block of weights is read on the host.
    """
    cum_blocks = np.cumsum(block_sums)
    u = random_state.random_sample() * cum_blocks[-1]
    b = _search(cum_blocks, u, block_sums)
    if b > 0:
        u -= cum_blocks[b - 1]
    start = b * _BLOCK
    block = state.block(weights, start, start + _BLOCK)
    return start + _search(np.cumsum(block, dtype=np.float64), u, block)


def _search(cum, u, weights):
    """First ``i`` with ``cum[i] > u``, guarding against round-off."""
    i = int(np.searchsorted(cum, u, side="right"))
    if i >= cum.size:
        # u rounded up to the total: take the last positive weight.
        i = int(np.flatnonzero(weights)[-1])
    return i


def _half(kind, delta, h, n_picks, rs, dtype, storage, backend, device,
          return_utils, algorithm, origin):  # fmt: skip
    """Public kernels with ``storage_dtype``: checks, then a lazy kernel."""
    from ._backend import BACKENDS, resolve_backend
    from ._lazy import half_factors, run_half
    from ._validation import check_positive_int

    use_lazy(None, False, None, algorithm)  # checks the name
    if backend not in BACKENDS:
        raise ValueError(
            f"`backend` must be one of {list(BACKENDS)}, got {backend!r}."
        )
    n_picks = check_positive_int(n_picks, "n_picks")
    delta, h = half_factors(
        delta, h, dtype, storage, resolve_backend(backend, h), device
    )
    if not 0 < n_picks <= delta.shape[0]:
        raise ValueError(
            f"`n_picks={n_picks}` exceeds the number of samples "
            f"({delta.shape[0]})."
        )
    check_bool(origin, "origin_as_centre")
    return run_half(
        kind, delta, h, n_picks, rs, return_utils, algorithm, origin=origin
    )
