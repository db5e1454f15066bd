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

from ._arrays import non_finite_message
from ._distances import checked_sq_norms, roundoff_tolerance
from ._kmeanspp import draw_first

_BLOCK = 1024
# Pending centres at most before a forced flush. A proposal costs
# O(p (C + D)) for p pending centres and a flush O(n p (C + D)) at GEMM
# speed, so flushing by count pays only when p approaches n; flushes are
# mostly triggered by rejections (a stale U).
MAX_PENDING = 4096
# Elements of the (rows x pending) distance block computed at once.
FLUSH_ELEMENTS = 1 << 21
# Rows of a half-precision h converted at once (32 MiB at D = 512).
_HALF_ROWS = 16384


class LazyDistances:
    """Stale upper bounds of every sample's squared distance to its nearest
    centre, with the centres added since the last flush pending.

    The state of both lazy kernels (k-means++ by rejection, farthest-first
    by lazy greedy). The factors, ``U`` and the pending centres stay on the
    backend of ``ops``; the block sums of ``U`` and the sampling live on
    the host.

    Parameters
    ----------
    delta : array of shape (n, C), C-contiguous, compute dtype
    h : array of shape (n, D), C-contiguous, compute dtype or half
        precision (rows are converted when they are used)
    ops : NumpyOps or TorchOps
        The backend of ``delta`` and ``h``.
    max_pending : int, default=MAX_PENDING
        Centres pending at most before a flush.
    """

    def __init__(self, delta, h, ops, max_pending=MAX_PENDING):
        self.delta, self.h, self.ops = delta, h, ops
        self.n = n = h.shape[0]
        self.max_pending = int(max_pending)
        self.half = h.dtype != delta.dtype
        self.pend_idx = []
        self.pend_d = ops.empty((self.max_pending, delta.shape[1]))
        self.pend_h = ops.empty((self.max_pending, h.shape[1]))
        self.pend_a = ops.empty(self.max_pending)
        self.norms = self._norms()
        self.U = ops.full(n, np.inf)
        self.tol = roundoff_tolerance(
            ops.np_dtype, max(delta.shape[1], h.shape[1])
        )
        self.is_centre = np.zeros(n, dtype=bool)
        self.eligible = None
        self.n_flushes = 0
        self.n_proposals = 0
        self._reset_sums()

    def rows(self, start, stop):
        """``h[start:stop]`` in the compute dtype."""
        return self.ops.to_compute(self.h[start:stop])

    def _norms(self):
        """``|delta|^2 |h|^2``, in chunks (no n x D temporary)."""
        ops = self.ops
        with np.errstate(over="ignore", invalid="ignore"):  # checked
            parts = [
                ops.row_sq_norms(self.rows(start, start + _HALF_ROWS))
                for start in range(0, self.n, _HALF_ROWS)
            ]
            d_sq = ops.row_sq_norms(self.delta)
        h_sq = ops.cat(parts)
        storage = str(self.h.dtype).replace("torch.", "")
        if storage == "float16" and not ops.all_finite(h_sq):
            # |h|^2 of a finite float16 row is finite in float32 (at most
            # D * 65504^2): the check of h that `as_factors` left out.
            raise ValueError(non_finite_message("h", storage))
        return checked_sq_norms(ops, d_sq, h_sq)

    # -------------------------------------------------------------- centres

    def add_origin(self):
        """Make the zero embedding a centre (before any other):
        ``U = |g|^2`` bounds ``D^2`` from the start."""
        self.U[:] = self.norms
        self._reset_sums()

    def set_eligible(self, mask):
        """Restrict the picks to ``mask`` (class quotas): ``U`` is zero
        elsewhere from now on (eligibility only ever shrinks)."""
        self.eligible = np.asarray(mask, dtype=bool)
        out = np.flatnonzero(~self.eligible)
        if out.size:
            self.U[self.ops.asindex(out)] = 0.0
        self._reset_sums()

    def remaining(self):
        """Indices of the eligible samples that are not centres."""
        free = ~self.is_centre
        if self.eligible is not None:
            free &= self.eligible
        return np.flatnonzero(free)

    def largest_norm(self):
        """Eligible index of the largest norm (lowest on ties), -1 if all
        are zero."""
        norms = self.norms
        if self.eligible is not None:
            norms = norms * self.ops.asarray(self.eligible)
        idx, top = self.ops.argmax_first(norms)
        return idx if top > 0.0 else -1

    def row(self, i):
        """``(delta[i], h[i])`` in the compute dtype."""
        return self.delta[i], self.rows(i, i + 1)[0]

    def add(self, idx):
        """Make ``idx`` a (pending) centre."""
        p = len(self.pend_idx)
        self.pend_d[p], self.pend_h[p] = self.row(idx)
        self.pend_a[p] = self.norms[idx]
        self.pend_idx.append(int(idx))
        self.is_centre[idx] = True
        u = float(self.U[idx])
        if np.isfinite(u):
            self.block_sums[idx // _BLOCK] -= u
        self.U[idx] = 0.0
        if len(self.pend_idx) >= self.max_pending:
            self.flush()

    def flush(self):
        """Apply the pending centres to ``U`` (chunked matrix products)."""
        p = len(self.pend_idx)
        if p:
            self._apply_pending(
                self.pend_d[:p], self.pend_h[:p], self.pend_a[:p]
            )
            self.U[self.pend_idx] = 0.0
            self.pend_idx = []
            self.n_flushes += 1
        self._reset_sums()

    def _apply_pending(self, Pd, Ph, Pa):
        """``U = min(U, distance to the nearest pending centre)``."""
        rows = max(1, FLUSH_ELEMENTS // Pd.shape[0])
        if self.half:  # bound the converted copy of h's rows
            rows = min(rows, _HALF_ROWS)
        for start in range(0, self.n, rows):
            stop = min(start + rows, self.n)
            dist = block_distances(
                self.delta[start:stop], self.rows(start, stop),
                self.norms[start:stop], Pd, Ph, Pa, self.tol,
            )  # fmt: skip
            U = self.U[start:stop]
            self.ops.minimum(U, self.ops.row_min(dist), out=U)

    def exact(self, i):
        """Exact ``D^2`` of sample ``i`` (pending centres included)."""
        p = len(self.pend_idx)
        u = float(self.U[i])
        if p == 0:
            return u
        Pd, Ph = self.pend_d[:p], self.pend_h[:p]
        Pa = self.pend_a[:p]
        d_i, h_i = self.row(i)
        d = (Ph @ h_i) * (Pd @ d_i)
        base = self.norms[i] + Pa
        d = base - 2.0 * d
        d = d * (d > self.tol * base)
        return min(u, float(d.min()))

    def argmax_u(self):
        """``(i, U[i])`` for the largest ``U`` (lowest index on ties)."""
        return self.ops.argmax_first(self.U)

    def tighten(self, i, value):
        """Lower ``U[i]`` to ``value`` (still an upper bound of ``D^2``)."""
        self.block_sums[i // _BLOCK] -= float(self.U[i]) - value
        self.U[i] = value

    # ------------------------------------------------------------- sampling

    def _reset_sums(self):
        """Float64 block sums of ``U``, on the host (``inf`` before the
        first centre)."""
        self.block_sums = self.ops.block_sums(self.U, _BLOCK)

    def propose(self, random_state):
        """Index drawn with probability ``U / sum(U)``, or -1 if all zero."""
        i = draw_proposal(
            random_state,
            self.block_sums,
            lambda start: self.ops.host_slice(self.U, start, start + _BLOCK),
        )
        self.n_proposals += i >= 0
        return i


def draw_proposal(random_state, block_sums, block_of):
    """Index drawn with probability ``U / sum(U)`` (-1 if all zero), from
    the float64 ``block_sums`` of ``U`` and ``block_of(start)``, the host
    values of ``U[start:start + 1024]``: one uniform number."""
    cum = np.cumsum(block_sums)
    total = cum[-1]
    if not total > 0.0:
        return -1
    u = random_state.random_sample() * total
    b = min(int(np.searchsorted(cum, u, side="right")), cum.size - 1)
    while block_sums[b] <= 0.0:  # round-off at a block border
        b -= 1
    if b > 0:
        u -= cum[b - 1]
    start = b * _BLOCK
    block = block_of(start)
    inner = np.cumsum(block, dtype=np.float64)
    j = int(np.searchsorted(inner, u, side="right"))
    if j >= block.size or block[j] <= 0.0:
        j = int(np.flatnonzero(block > 0)[-1])
    return start + j


def block_distances(delta, h, norms, Pd, Ph, Pa, tol):
    """Squared distances of rows ``(delta, h)`` (squared norms ``norms``)
    to the centres ``(Pd, Ph)`` (squared norms ``Pa``), with round-off
    below ``tol`` of the norms set to zero: shape ``(rows, centres)``.

    Each entry is computed from its row and centre alone.
    """
    dist = h @ Ph.T
    dist *= delta @ Pd.T
    dist *= -2.0
    base = norms[:, None] + Pa[None, :]
    dist += base
    base *= tol
    dist *= dist > base
    return dist


def _bounded(n):
    """Iterations of one pick's loop, at most a bound that a correct run
    never reaches: every flush makes ``U`` exact, after which a k-means++
    proposal is accepted and a farthest-first bound is tight, and a flush
    comes after at most 32 failed trials."""
    yield from range(64 * (n + 64))
    raise RuntimeError(
        "A lazy kernel did not settle a pick (the distances are not "
        "finite or not consistent); please report this with the data."
    )


def _first_pick(st, picks, if_all_zero, quota, random_state=None):
    """Pick 0, the largest norm (with a ``random_state``: a draw with
    probability ``|g|^2 / sum |g|^2``; ``if_all_zero(remaining)`` if every
    norm is zero), made the first centre. It is applied at once (a pass
    over the pool) only if ``U`` has no finite bound yet; with the origin
    as a centre ``U = |g|^2`` bounds every ``D^2`` and it stays
    pending."""
    first = st.largest_norm()
    if first >= 0 and random_state is not None:
        first = _draw_norm(st, random_state)
    picks[0] = first if first >= 0 else if_all_zero(st.remaining())
    _apply(st, picks[0], quota, len(picks) > 1)
    if not np.isfinite(st.block_sums).all():
        st.flush()


def _draw_norm(st, random_state):
    """An eligible index drawn with probability ``|g|^2 / sum |g|^2`` (the
    plain kernel's draw of pick 0; the sum is positive)."""
    norms = st.norms
    if st.eligible is not None:
        norms = norms * st.ops.asarray(st.eligible)
    return draw_first(st.ops, norms, random_state)


def _apply(st, idx, quota, more):
    if more:
        st.add(idx)
    if quota is not None:
        quota.picked(idx)


def lazy_kmeans_plusplus(
    st, n_picks, random_state, quota=None, first_pick="largest"
):
    """k-means++ picks (the plain kernel's distribution) without utilities.

    Parameters
    ----------
    st : LazyDistances
        Fresh, with ``add_origin`` and the quota's eligibility applied.
    n_picks : int
    random_state : numpy.random.RandomState
    quota : QuotaTracker or None
        Per-class quotas (its eligibility is applied to ``st``).
    first_pick : {"largest", "draw"}, default="largest"
        Pick 0: the largest norm, or drawn proportionally to ``|g|^2``.

    Returns
    -------
    indices : ndarray of shape (n_picks,), dtype=np.intp
    """
    picks = np.empty(n_picks, dtype=np.intp)

    def uniform(free):
        return int(free[random_state.randint(free.size)])

    first_draw = random_state if first_pick == "draw" else None
    _first_pick(st, picks, uniform, quota, first_draw)
    for k in range(1, n_picks):
        rejected = 0
        for _ in _bounded(st.n):
            i = st.propose(random_state)
            if i < 0:
                if st.pend_idx:  # U is stale: flush and retry
                    st.flush()
                    continue
                i = uniform(st.remaining())
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
        _apply(st, i, quota, k + 1 < n_picks)
    return picks


def lazy_farthest_first(
    st, n_picks, quota=None, max_tighten=32, first_draw=None
):
    """Farthest-first picks (the plain kernel's) from stale distances.

    Lazy greedy: take the largest upper bound ``U[i]``, compute the exact
    ``D^2[i]``; if the bound was tight, ``i`` is the farthest sample (every
    other ``D^2 <= U <= U[i]``), else lower ``U[i]`` and look again. After
    ``max_tighten`` loose bounds in one pick the pending centres are
    flushed. Ties go to the lowest index, as in the plain kernel. Pick 0
    is the largest norm, or, given a random state ``first_draw``, drawn
    proportionally to ``|g|^2``.

    Returns
    -------
    indices : ndarray of shape (n_picks,), dtype=np.intp
    """
    picks = np.empty(n_picks, dtype=np.intp)
    _first_pick(st, picks, lambda free: int(free[0]), quota, first_draw)
    for k in range(1, n_picks):
        loose = 0
        for _ in _bounded(st.n):
            i, u = st.argmax_u()
            if u == 0.0:  # every remaining distance is zero
                i = int(st.remaining()[0])
                break
            d = st.exact(i)
            st.n_proposals += 1
            if d >= u:
                break
            st.tighten(i, d)
            loose += 1
            if loose >= max_tighten and st.pend_idx:
                st.flush()
                loose = 0
        picks[k] = i
        _apply(st, i, quota, k + 1 < n_picks)
    return picks
