"""k-means++ seeding on rank-one gradient embeddings (the BADGE rule)."""

import numpy as np


def kmeans_plusplus_step(
    state, k, random_state, want_row, draw=True, first_pick="largest"
):
    """Pick ``k`` of k-means++ on a :class:`NearestCentreDistances`.

    The first pick is the largest norm (``first_pick="draw"``: a draw with
    probability ``|g|^2 / sum |g|^2``), every later pick a draw with
    probability ``D^2 / sum D^2``; when every weight is zero, a uniform
    draw among the remaining samples.

    Returns
    -------
    idx : int
        The pick (-1 when ``draw`` is False: no random number is used).
    row : ndarray of shape (n_samples,) or None
        The distribution of the pick if ``want_row``.
    """
    ops = state.ops
    weights = state.weights(k)
    block_sums = ops.block_sums(weights, _BLOCK)
    total = block_sums.sum()
    row, idx = None, -1
    if total > 0.0:
        if want_row:
            row = ops.to_host(weights) / total
        if draw:
            idx = (
                ops.argmax_first(weights)[0]
                if k == 0 and first_pick == "largest"
                else _draw(ops, weights, block_sums, random_state)
            )
        return idx, row
    remaining = state.remaining()
    if want_row:
        row = np.full(state.n_samples, np.nan)
        row[remaining] = 1.0 / remaining.size
    if draw:
        idx = int(remaining[random_state.randint(remaining.size)])
    return idx, row


_BLOCK = 1024


def draw_first(ops, weights, random_state):
    """Pick 0 drawn with probability ``weights / weights.sum()`` (the
    caller checked that the sum is positive)."""
    return _draw(ops, weights, ops.block_sums(weights, _BLOCK), random_state)


def _draw(ops, weights, block_sums, random_state):
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
    block = ops.host_slice(weights, start, start + _BLOCK)
    return start + _search(np.cumsum(block, dtype=np.float64), u, block)


def _search(cum, u, weights):
    """First ``i`` with ``cum[i] > u``, guarding against round-off."""
    i = int(np.searchsorted(cum, u, side="right"))
    if i >= cum.size:
        # u rounded up to the total: take the last positive weight.
        i = int(np.flatnonzero(weights)[-1])
    return i
