"""Uncertainty herding on rank-one gradient embeddings.

Uncertainty herding (Bae, Oliveira and Sutherland, ICLR 2025) greedily
maximises the *uncertainty coverage* of the pool,

    UC(S) = 1/M sum_i u_i max_{s in S or labeled} k(x_i, s),

for a Gaussian kernel ``k`` of radius ``sigma`` and per-sample
uncertainties ``u_i`` (the sum runs over ``M`` reference candidates).
Each pick is the candidate of largest gain
``1/M sum_i u_i max(k(x_i, c) - kmax_i, 0)``.

Here the samples are the *unit* gradient embeddings
``g / |g| = (delta / |delta|) (x) (h / |h|)``, whose inner products are
``(delta_a . delta_b)(h_a . h_b)`` of the normalised factors, so the
``n x C*D`` matrix is never formed. Zero embeddings (a model certain of a
sample, or ``h = 0``) stay zero: at distance 1 from every unit
embedding.
"""

import numpy as np
import scipy.sparse as sp

from ._metric import unit_rows

#: Reference rows per block when the kernel matrix is built.
_BLOCK = 1024


def unit_factors(delta, h):
    """``(delta / |delta|, h / |h|)`` row by row as float64
    (:func:`~._metric.unit_rows`), and whether each embedding is non-zero
    (both factors of a zero embedding are zero)."""
    dhat = unit_rows(np.asarray(delta, dtype=np.float64))
    if sp.issparse(h):
        hhat = unit_rows(sp.csr_matrix(h, dtype=np.float64))
        h_alive = np.asarray(abs(hhat).sum(1)).ravel() > 0
    else:
        hhat = unit_rows(np.asarray(h, dtype=np.float64))
        h_alive = np.abs(hhat).sum(1) > 0
    alive = (np.abs(dhat).sum(1) > 0) & h_alive
    dhat = dhat * alive[:, None]
    hhat = (
        sp.diags(alive * 1.0) @ hhat
        if sp.issparse(h)
        else hhat * alive[:, None]
    )
    return dhat, hhat, alive


def unit_sq_distances(a, b):
    """Squared distances between the unit embeddings of ``a`` and ``b``
    (each ``(dhat, hhat, alive)`` from :func:`unit_factors`)."""
    da, ha, na = a
    db, hb, nb = b
    hh = ha @ hb.T
    hh = hh.toarray() if sp.issparse(hh) else np.asarray(hh)
    inner = (da @ db.T) * hh
    sq = na[:, None].astype(np.float64) + nb[None, :] - 2.0 * inner
    return np.maximum(sq, 0.0)


def _rows(u, idx):
    d, h, alive = u
    return d[idx], h[idx], alive[idx]


def adaptive_radius(unit_labeled, unit_cand, random_state, n_median=1000):
    """UHerding's radius: the smallest non-zero distance between labeled
    embeddings (it shrinks as labels accumulate, moving the objective
    from coverage towards uncertainty); with fewer than two distinct
    labeled embeddings, the median distance between up to ``n_median``
    candidates; 1 if that is zero too."""
    if unit_labeled is not None and len(unit_labeled[2]) >= 2:
        d = np.sqrt(unit_sq_distances(unit_labeled, unit_labeled))
        d = d[np.triu_indices_from(d, k=1)]
        d = d[d > 1e-12]
        if d.size:
            return float(d.min())
    n = len(unit_cand[2])
    if n >= 2:
        take = np.sort(random_state.choice(n, min(n, n_median), replace=False))
        sub = _rows(unit_cand, take)
        d = np.sqrt(unit_sq_distances(sub, sub))
        d = d[np.triu_indices_from(d, k=1)]
        d = d[d > 1e-12]
        if d.size:
            return float(np.median(d))
    return 1.0


def uncertainty_herding(
    unit_cand,
    weights,
    n_picks,
    sigma,
    random_state,
    unit_labeled=None,
    reference=None,
    return_utilities=False,
):
    """Greedy uncertainty herding over unit gradient embeddings.

    Parameters
    ----------
    unit_cand : tuple
        :func:`unit_factors` of the candidates.
    weights : ndarray of shape (n_candidates,)
        Non-negative uncertainties; all zero means plain coverage (every
        weight 1).
    n_picks : int
    sigma : float
        Kernel radius: ``k(a, b) = exp(-|a - b|^2 / sigma^2)``.
    random_state : numpy.random.RandomState
        Breaks exact ties among the best gains.
    unit_labeled : tuple or None
        :func:`unit_factors` of the labeled samples (they cover the pool
        before the first pick).
    reference : ndarray of int or None
        Candidates the coverage is summed over (None: all).
    return_utilities : bool

    Returns
    -------
    picks : ndarray of shape (n_picks,)
    utilities : ndarray of shape (n_picks, n_candidates) or None
        Row ``k``: every candidate's gain at pick ``k``, NaN at the
        earlier picks.
    """
    n = len(unit_cand[2])
    ref = np.arange(n) if reference is None else np.asarray(reference)
    w = np.asarray(weights, dtype=np.float64)[ref]
    if not np.any(w > 0):
        w = np.ones_like(w)
    gamma = 1.0 / sigma**2
    unit_ref = _rows(unit_cand, ref)
    K = np.empty((ref.size, n))
    for s in range(0, ref.size, _BLOCK):
        block = _rows(unit_ref, slice(s, s + _BLOCK))
        K[s : s + _BLOCK] = unit_sq_distances(block, unit_cand)
    np.multiply(K, -gamma, out=K)
    np.exp(K, out=K)
    if unit_labeled is not None and len(unit_labeled[2]):
        kmax = np.exp(-gamma * unit_sq_distances(unit_ref, unit_labeled))
        kmax = kmax.max(1)
    else:
        kmax = np.zeros(ref.size)
    scale = w / ref.size
    gain = scale @ np.maximum(K - kmax[:, None], 0.0)
    picks = np.empty(n_picks, dtype=np.intp)
    util = np.empty((n_picks, n)) if return_utilities else None
    free = np.ones(n, dtype=bool)
    for k in range(n_picks):
        row = np.where(free, gain, -np.inf)
        best = row.max()
        ties = np.flatnonzero(row == best)
        c = ties[0] if ties.size == 1 else random_state.choice(ties)
        if util is not None:
            util[k] = np.where(free, gain, np.nan)
        picks[k] = c
        free[c] = False
        col = K[:, c]
        up = np.flatnonzero(col > kmax)
        if up.size:
            Ku = K[up]
            lost = np.maximum(Ku - kmax[up, None], 0.0)
            lost -= np.maximum(Ku - col[up, None], 0.0)
            gain -= scale[up] @ lost
            np.maximum(gain, 0.0, out=gain)  # rounding below zero
            kmax[up] = col[up]
    return picks, util
