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
import scipy.sparse as sp

from ._arrays import argmax_first, block_sums, is_torch_tensor
from ._distances import roundoff_tolerance, sq_norms

ALGORITHMS = ("auto", "plain", "lazy")
_BLOCK = 1024
# Pending centres at most before a forced flush. A proposal costs
# O(p (C + D)) for p pending centres and a flush O(n p (C + D)) at GEMM
# speed, so flushing by count pays only when p approaches n; flushes are
# mostly triggered by rejections (a stale U).
MAX_PENDING = 4096
# Elements of the (rows x pending) distance block computed at once.
_FLUSH_ELEMENTS = 1 << 21
# Rows of a half-precision h converted at once (32 MiB at D = 512).
_HALF_ROWS = 16384


def _make_torch_convert():
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return None

    def convert(block, dtype):
        import torch

        t = torch.from_numpy(np.ascontiguousarray(block))
        return t.to(getattr(torch, np.dtype(dtype).name)).numpy()

    return convert


_torch_convert = _make_torch_convert()


class LazyKMeansPP:
    """State of the lazy k-means++ kernel (dense factors).

    The factors, ``U`` and the pending centres stay where the factors are
    (numpy, or torch on CPU or GPU); the block sums of ``U`` and the
    sampling live on the host.

    Parameters
    ----------
    delta : ndarray or torch.Tensor of shape (n, C), C-contiguous float
    h : ndarray or torch.Tensor of shape (n, D), C-contiguous, same dtype
    max_pending : int
        Centres pending at most before a flush.
    norms : ndarray of shape (n,) or None
        ``|delta|^2 |h|^2`` if already computed.
    """

    def __init__(self, delta, h, max_pending=MAX_PENDING, norms=None):
        self.delta, self.h = delta, h
        self.torch = is_torch_tensor(h)
        n = h.shape[0]
        self.n = n
        self.max_pending = int(max_pending)
        self.pend_idx = []
        shape_d = (self.max_pending, delta.shape[1])
        shape_h = (self.max_pending, h.shape[1])
        # Half-precision storage of h (half the bytes): rows are converted
        # to the compute dtype of delta when they are used.
        self.cdtype = delta.dtype
        self.half = h.dtype != delta.dtype
        if self.torch:
            import torch

            self._t = torch
            f32 = delta.dtype == torch.float32
            np_dtype = np.float32 if f32 else np.float64
            if norms is None:
                norms = self._norms()
            self.U = torch.full_like(norms, float("inf"))
            self.pend_d = delta.new_empty(shape_d)
            self.pend_h = delta.new_empty(shape_h)
        else:
            np_dtype = delta.dtype
            if norms is None:
                norms = self._norms()
            self.U = np.full(n, np.inf, dtype=delta.dtype)
            self.pend_d = np.empty(shape_d, delta.dtype)
            self.pend_h = np.empty(shape_h, delta.dtype)
        self.norms = norms
        if self.torch:
            self.pend_a = norms.new_empty(self.max_pending)
        else:
            self.pend_a = np.empty(self.max_pending, norms.dtype)
        self.tol = roundoff_tolerance(
            np_dtype, max(delta.shape[1], h.shape[1])
        )
        self.is_centre = np.zeros(n, dtype=bool)
        self.n_flushes = 0
        self.n_proposals = 0

    def rows(self, start, stop):
        """``h[start:stop]`` in the compute dtype."""
        block = self.h[start:stop]
        if not self.half:
            return block
        if self.torch:
            return block.to(self.cdtype)
        if _torch_convert is not None:
            # numpy's float16 -> float32 cast is scalar code (about 5 ns per
            # value here); torch's is vectorised (under 1 ns).
            return _torch_convert(block, self.cdtype)
        return block.astype(self.cdtype)

    def _norms(self):
        """``|delta|^2 |h|^2`` (in chunks for a half or torch h: no n x D
        temporary)."""
        if not (self.torch or self.half):
            return sq_norms(self.delta, self.h)
        parts = []
        for start in range(0, self.n, _HALF_ROWS):
            hb = self.rows(start, start + _HALF_ROWS)
            if self.torch:
                parts.append((hb * hb).sum(1))
            else:
                parts.append(np.einsum("ij,ij->i", hb, hb))
        h2 = self._t.cat(parts) if self.torch else np.concatenate(parts)
        return (self.delta * self.delta).sum(1) * h2

    # -------------------------------------------------------------- centres

    def add(self, idx):
        """Make ``idx`` a (pending) centre."""
        p = len(self.pend_idx)
        self.pend_d[p] = self.delta[idx]
        self.pend_h[p] = self.rows(idx, idx + 1)[0]
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
            Pd, Ph = self.pend_d[:p], self.pend_h[:p]
            Pa = self.pend_a[:p]
            rows = max(1, _FLUSH_ELEMENTS // p)
            if self.half:  # bound the converted copy of h's rows
                rows = min(rows, _HALF_ROWS)
            for start in range(0, self.n, rows):
                stop = min(start + rows, self.n)
                dist = self._dist(start, stop, Pd, Ph, Pa)
                U = self.U[start:stop]
                if self.torch:
                    self._t.minimum(U, dist.min(1).values, out=U)
                else:
                    np.minimum(U, dist.min(1), out=U)
            self.U[self.pend_idx] = 0.0
            self.pend_idx = []
            self.n_flushes += 1
        self._reset_sums()

    def _dist(self, start, stop, Pd, Ph, Pa):
        a = self.norms[start:stop, None]
        dist = self.rows(start, stop) @ Ph.T
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
        Pa = self.pend_a[:p]
        d = (Ph @ self.rows(i, i + 1)[0]) * (Pd @ self.delta[i])
        base = self.norms[i] + Pa
        d = base - 2.0 * d
        d = d * (d > self.tol * base)
        return min(u, float(d.min()))

    def argmax_u(self):
        """``(i, U[i])`` for the largest ``U`` (lowest index on ties)."""
        return argmax_first(self.U)

    def tighten(self, i, value):
        """Lower ``U[i]`` to ``value`` (still an upper bound of ``D^2``)."""
        self.block_sums[i // _BLOCK] -= float(self.U[i]) - value
        self.U[i] = value

    # ------------------------------------------------------------- sampling

    def largest_norm(self):
        """Index of the largest norm (lowest on ties), -1 if all zero."""
        idx, top = argmax_first(self.norms)
        return idx if top > 0.0 else -1

    def _reset_sums(self):
        """Float64 block sums of ``U``, on the host."""
        self.block_sums = block_sums(self.U, _BLOCK)

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
        if self.torch:
            block = block.cpu().numpy()
        inner = np.cumsum(block, dtype=np.float64)
        j = int(np.searchsorted(inner, u, side="right"))
        if j >= block.size or block[j] <= 0.0:
            j = int(np.flatnonzero(block > 0)[-1])
        self.n_proposals += 1
        return start + j


def _start(delta, h, n_picks, max_pending, norms, if_all_zero, origin):
    """The state with its first centre (the largest norm) applied, and
    the zero embedding as a centre too if ``origin``."""
    st = LazyKMeansPP(delta, h, min(max_pending, n_picks), norms)
    if origin:  # D^2 <= |g|^2 from the start: U = |g|^2 is a bound
        st.U[:] = st.norms
    picks = np.empty(n_picks, dtype=np.intp)
    first = st.largest_norm()
    picks[0] = first if first >= 0 else if_all_zero(st.n)
    st._reset_sums()
    st.add(picks[0])
    st.flush()
    return st, picks


def lazy_kmeans_plusplus(
    delta,
    h,
    n_picks,
    random_state,
    max_pending=MAX_PENDING,
    norms=None,
    origin=False,
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
    origin : bool, default=False
        Count the zero embedding as a centre (``origin_as_centre``).

    Returns
    -------
    indices : ndarray of shape (n_picks,), dtype=np.intp
    state : LazyKMeansPP
        For its counters (``n_flushes``, ``n_proposals``).
    """
    st, picks = _start(
        delta, h, n_picks, max_pending, norms,
        lambda n: int(random_state.randint(n)), origin,
    )  # fmt: skip
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


def lazy_farthest_first(
    delta,
    h,
    n_picks,
    max_pending=MAX_PENDING,
    norms=None,
    max_tighten=32,
    origin=False,
):
    """Farthest-first picks (the plain kernel's) from stale distances.

    Lazy greedy: take the largest upper bound ``U[i]``, compute the exact
    ``D^2[i]``; if the bound was tight, ``i`` is the farthest sample (every
    other ``D^2 <= U <= U[i]``), else lower ``U[i]`` and look again. After
    ``max_tighten`` loose bounds in one pick the pending centres are
    flushed. Ties go to the lowest index, as in the plain kernel.

    Returns
    -------
    indices : ndarray of shape (n_picks,), dtype=np.intp
    state : LazyKMeansPP
    """
    st, picks = _start(
        delta, h, n_picks, max_pending, norms, lambda n: 0, origin
    )
    for k in range(1, n_picks):
        loose = 0
        while True:
            i, u = st.argmax_u()
            if u == 0.0:  # every remaining distance is zero
                i = int(np.flatnonzero(~st.is_centre)[0])
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
        if k + 1 < n_picks:
            st.add(i)
    return picks, st


HALF_DTYPES = ("float16", "bfloat16")


def half_factors(delta, h, dtype, storage_dtype, backend, device=None):
    """``delta`` in ``dtype`` and ``h`` in half precision, on the backend.

    ``h`` is converted without a full-precision copy where it can be (a
    float32 numpy array is rounded straight to float16). Raises if a value
    of ``h`` overflows the half-precision range.
    """
    from ._validation import check_dtype

    if storage_dtype not in HALF_DTYPES:
        raise ValueError(
            f"`storage_dtype` must be None or one of {list(HALF_DTYPES)}, "
            f"got {storage_dtype!r}."
        )
    if sp.issparse(h):
        raise ValueError("`storage_dtype` needs a dense h.")
    dtype = check_dtype(dtype)
    if backend == "torch":
        import torch

        from ._torch import _TORCH_DTYPES

        tdtype = getattr(torch, _TORCH_DTYPES[dtype])
        delta = torch.as_tensor(delta, device=device).to(tdtype).contiguous()
        if not bool(torch.isfinite(delta).all()):
            raise ValueError("`delta` contains NaN or infinite values.")
        h = torch.as_tensor(h, device=delta.device)
        h = h.to(getattr(torch, storage_dtype)).contiguous()
        finite = bool(torch.isfinite(h).all())
    else:
        if storage_dtype != "float16":
            raise ValueError(
                "`storage_dtype='bfloat16'` needs backend='torch' (numpy has "
                "no bfloat16)."
            )
        if is_torch_tensor(delta) or is_torch_tensor(h):
            delta, h = delta.cpu().numpy(), h.cpu().numpy()
        delta = np.ascontiguousarray(delta, dtype=dtype)
        with np.errstate(over="ignore"):  # overflow is reported below
            h = np.ascontiguousarray(h, dtype=np.float16)
        finite = bool(np.isfinite(h).all())
    if not finite:
        raise ValueError(
            f"`h` has values outside the {storage_dtype} range (or NaN); "
            "use storage_dtype=None."
        )
    if delta.shape[0] != h.shape[0] or h.ndim != 2:
        raise ValueError("`delta` and `h` must be 2-D with the same rows.")
    return delta, h


def run_half(
    kind,
    delta,
    h,
    n_picks,
    random_state,
    return_utils,
    algorithm,
    quota=None,
    origin=False,
):
    """A lazy kernel on half-precision ``h`` (from :func:`half_factors`)."""
    why_not = lazy_obstacle(None, return_utils, quota)
    if algorithm == "plain":
        why_not = "is not allowed (algorithm='plain')"
    if why_not:
        raise ValueError(
            "`storage_dtype` is served by the lazy kernels only, and the "
            f"lazy kernel {why_not}."
        )
    if kind == "kmeans++":
        idx, _ = lazy_kmeans_plusplus(
            delta, h, n_picks, random_state, origin=origin
        )
        return idx, None
    return lazy_farthest_first(delta, h, n_picks, origin=origin)[0], None


def use_lazy(state, return_utils, quota, algorithm):
    """Whether a call goes to a lazy kernel; raises for an impossible
    ``algorithm="lazy"`` or an unknown algorithm."""
    if algorithm not in ALGORITHMS:
        raise ValueError(
            f"`algorithm` must be one of {list(ALGORITHMS)}, got "
            f"{algorithm!r}."
        )
    why_not = lazy_obstacle(state, return_utils, quota)
    if algorithm == "lazy" and why_not:
        raise ValueError(f"`algorithm='lazy'` {why_not}.")
    return algorithm != "plain" and not why_not


def lazy_obstacle(state, return_utils, quota):
    """Why the lazy kernel cannot serve a call (or an empty string)."""
    if return_utils:
        return "returns no utilities (use 'plain' or 'auto')"
    if quota is not None:
        return "does not support class quotas (class_balance)"
    if state is not None and sp.issparse(state.h):
        return "needs a dense h (not sparse leaf embeddings)"
    return ""
