"""Farthest-first traversal (k-center greedy) on gradient embeddings."""

import numpy as np

from ._kmeanspp import draw_first


def farthest_first_step(
    state, k, random_state, want_row, draw=True, first_pick="largest"
):
    """Pick ``k`` of farthest-first on a :class:`NearestCentreDistances`:
    the largest norm first (``first_pick="draw"``: a draw from
    ``random_state`` with probability ``|g|^2 / sum |g|^2``), then the
    largest distance to the nearest earlier pick (the lowest index on
    ties, and among the remaining samples when every distance is zero).
    No random number is used unless pick 0 is drawn (and ``draw``).

    Returns
    -------
    idx : int
    row : ndarray of shape (n_samples,) or None
        Every sample's distance (row 0: the norm ``|g|``) if ``want_row``.
    """
    ops = state.ops
    sq = state.weights(k)
    idx, value = ops.argmax_first(sq)
    if k == 0 and first_pick == "draw" and draw and value > 0.0:
        idx = draw_first(ops, sq, random_state)
    if value == 0.0:
        # Every remaining distance is zero (earlier picks are exactly
        # zero): take the lowest index not picked yet.
        idx = int(state.remaining()[0])
    return idx, (np.sqrt(ops.to_host(sq)) if want_row else None)
