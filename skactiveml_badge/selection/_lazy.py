"""Exact k-means++ with lazy, blocked distance updates and rejection.

The plain kernel (:mod:`._kmeanspp`) updates every sample's squared distance
``D^2`` to its nearest centre after each pick: two matrix-vector products
over the whole pool per pick, bounded by memory bandwidth. Here the updates
are deferred:

- ``U[i] >= D^2[i]`` holds the distance to the centres up to the last
  *flush*; the centres added since are *pending*.
- A pick is drawn by rejection sampling: propose ``i`` with probability
  ``U[i] / sum(U)``, compute its exact ``D^2[i] = min(U[i], distances to
  the pending centres)`` (``O(p (C + D))`` for ``p`` pending centres) and
  accept with probability ``D^2[i] / U[i]``. An accepted proposal is
  distributed exactly as ``D^2 / sum(D^2)``, whatever ``U`` is, as long as
  ``U >= D^2`` (each trial accepts ``i`` with probability
  ``D^2[i] / sum(U)``).
- A flush applies all pending centres at once: one matrix-matrix product
  per chunk of the pool (compute-bound) instead of one matrix-vector
  product per centre (bandwidth-bound). It happens when ``max_pending``
  centres are pending or when proposals are rejected too often; when it
  happens does not change the distribution of any pick.

The random numbers differ from the plain kernel's (two uniforms per
proposal), so the same seed gives other picks with the same distribution.
"""

import numpy as np

from ._distances import roundoff_tolerance, sq_norms

_BLOCK = 1024
# Pending centres at most before a forced flush. A proposal costs
# O(p (C + D)) for p pending centres and a flush O(n p (C + D)) at GEMM
# speed, so flushing by count pays only when p approaches n; flushes are
# mostly triggered by rejections (a stale U).
MAX_PENDING = 4096
# Elements of the (rows x pending) distance block computed at once.
_FLUSH_ELEMENTS = 1 << 21


class LazyKMeansPP:
    """State of the lazy k-means++ kernel (numpy, dense factors).

    Parameters
    ----------
    delta : ndarray of shape (n, C), C-contiguous float
    h : ndarray of shape (n, D), C-contiguous, same dtype
    max_pending : int
        Centres pending at most before a flush.
    norms : ndarray of shape (n,) or None
        ``|delta|^2 |h|^2`` if already computed.
    """

    def __init__(self, delta, h, max_pending=MAX_PENDING, norms=None):
        self.delta, self.h = delta, h
        self.dtype = h.dtype
        n = h.shape[0]
        self.n = n
        self.norms = sq_norms(delta, h) if norms is None else norms
        self.tol = roundoff_tolerance(
            self.dtype, max(delta.shape[1], h.shape[1])
        )
        self.U = np.full(n, np.inf, dtype=self.dtype)
        self.is_centre = np.zeros(n, dtype=bool)
        self.max_pending = int(max_pending)
        self.pend_idx = []
        self.pend_d = np.empty((self.max_pending, delta.shape[1]), self.dtype)
        self.pend_h = np.empty((self.max_pending, h.shape[1]), self.dtype)
        self.n_flushes = 0
        self.n_proposals = 0

    # -------------------------------------------------------------- centres

    def add(self, idx):
        """Make ``idx`` a (pending) centre."""
        p = len(self.pend_idx)
        self.pend_d[p] = self.delta[idx]
        self.pend_h[p] = self.h[idx]
        self.pend_idx.append(int(idx))
        self.is_centre[idx] = True
        if np.isfinite(self.U[idx]):
            b = idx // _BLOCK
            self.block_sums[b] -= float(self.U[idx])
        self.U[idx] = 0.0
        if len(self.pend_idx) >= self.max_pending:
            self.flush()

    def flush(self):
        """Apply the pending centres to ``U`` (chunked matrix products)."""
        p = len(self.pend_idx)
        if p:
            Pd, Ph = self.pend_d[:p], self.pend_h[:p]
            Pa = self.norms[self.pend_idx]
            rows = max(1, _FLUSH_ELEMENTS // p)
            for start in range(0, self.n, rows):
                stop = min(start + rows, self.n)
                dist = self._dist(start, stop, Pd, Ph, Pa)
                U = self.U[start:stop]
                np.minimum(U, dist.min(1), out=U)
            self.U[self.pend_idx] = 0.0
            self.pend_idx = []
            self.n_flushes += 1
        self._reset_sums()

    def _dist(self, start, stop, Pd, Ph, Pa):
        a = self.norms[start:stop, None]
        dist = self.h[start:stop] @ Ph.T
        dist *= self.delta[start:stop] @ Pd.T
        dist *= -2.0
        base = a + Pa[None, :]
        dist += base
        base *= self.tol
        dist *= dist > base
        return dist

    def exact(self, i):
        """Exact ``D^2`` of sample ``i`` (pending centres included)."""
        p = len(self.pend_idx)
        u = float(self.U[i])
        if p == 0:
            return u
        Pd, Ph = self.pend_d[:p], self.pend_h[:p]
        Pa = self.norms[self.pend_idx]
        d = (Ph @ self.h[i]) * (Pd @ self.delta[i])
        base = self.norms[i] + Pa
        d = base - 2.0 * d
        d = np.where(d > self.tol * base, d, 0.0)
        return min(u, float(d.min()))

    # ------------------------------------------------------------- sampling

    def _reset_sums(self):
        n_full = self.n // _BLOCK * _BLOCK
        U = self.U
        sums = U[:n_full].reshape(-1, _BLOCK).sum(1, dtype=np.float64)
        if n_full < self.n:
            sums = np.append(sums, U[n_full:].sum(dtype=np.float64))
        self.block_sums = sums

    def propose(self, random_state):
        """Index drawn with probability ``U / sum(U)``, or -1 if all zero."""
        cum = np.cumsum(self.block_sums)
        total = cum[-1]
        if not total > 0.0:
            return -1
        u = random_state.random_sample() * total
        b = min(int(np.searchsorted(cum, u, side="right")), cum.size - 1)
        while self.block_sums[b] <= 0.0:  # round-off at a block border
            b -= 1
        if b > 0:
            u -= cum[b - 1]
        start = b * _BLOCK
        block = self.U[start : start + _BLOCK]
        inner = np.cumsum(block, dtype=np.float64)
        j = int(np.searchsorted(inner, u, side="right"))
        if j >= block.size or block[j] <= 0.0:
            j = int(np.flatnonzero(block > 0)[-1])
        self.n_proposals += 1
        return start + j


def lazy_kmeans_plusplus(
    delta, h, n_picks, random_state, max_pending=MAX_PENDING, norms=None
):
    """k-means++ picks (the plain kernel's distribution) without utilities.

    Parameters
    ----------
    delta, h : ndarrays of shape (n, C), (n, D)
        Dense, C-contiguous, same float dtype.
    n_picks : int
    random_state : numpy.random.RandomState
    max_pending : int, default=MAX_PENDING
    norms : ndarray of shape (n,) or None, default=None
        Precomputed squared norms of the embeddings.

    Returns
    -------
    indices : ndarray of shape (n_picks,), dtype=np.intp
    state : LazyKMeansPP
        For its counters (``n_flushes``, ``n_proposals``).
    """
    st = LazyKMeansPP(delta, h, min(max_pending, n_picks), norms)
    picks = np.empty(n_picks, dtype=np.intp)
    if st.norms.sum(dtype=np.float64) > 0.0:
        first = int(np.argmax(st.norms))
    else:
        first = int(random_state.randint(st.n))
    picks[0] = first
    st._reset_sums()
    st.add(first)
    st.flush()
    for k in range(1, n_picks):
        rejected = 0
        while True:
            i = st.propose(random_state)
            if i < 0:
                if st.pend_idx:  # U is stale: flush and retry
                    st.flush()
                    continue
                free = np.flatnonzero(~st.is_centre)
                i = int(free[random_state.randint(free.size)])
                break
            u_i = float(st.U[i])
            d_i = st.exact(i)
            if random_state.random_sample() * u_i < d_i:
                break
            rejected += 1
            # Mostly rejections: U is too stale to be worth sampling from.
            if rejected >= 4 and st.pend_idx:
                st.flush()
                rejected = 0
        picks[k] = i
        if k + 1 < n_picks:
            st.add(i)
    return picks, st
