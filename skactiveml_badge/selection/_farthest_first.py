"""Farthest-first traversal (k-center greedy) on gradient embeddings."""

import numpy as np


def farthest_first_step(state, k, random_state, want_row, draw=True):
    """Pick ``k`` of farthest-first on a :class:`NearestCentreDistances`:
    the largest norm first, then the largest distance to the nearest
    earlier pick (the lowest index on ties, and among the remaining samples
    when every distance is zero). ``random_state`` and ``draw`` are unused
    (the rule is deterministic).

    Returns
    -------
    idx : int
    row : ndarray of shape (n_samples,) or None
        Every sample's distance (row 0: the norm ``|g|``) if ``want_row``.
    """
    ops = state.ops
    sq = state.weights(k)
    idx, value = ops.argmax_first(sq)
    if value == 0.0:
        # Every remaining distance is zero (earlier picks are exactly
        # zero): take the lowest index not picked yet.
        idx = int(state.remaining()[0])
    return idx, (np.sqrt(ops.to_host(sq)) if want_row else None)
