"""Squared distances between rank-one gradient embeddings.

A gradient embedding is the outer product ``g_i = delta_i (x) h_i``. For two
such embeddings

    |g_i - g_j|^2 = |delta_i|^2 |h_i|^2 + |delta_j|^2 |h_j|^2
                    - 2 (delta_i . delta_j) (h_i . h_j),

so every distance needs only the factors (``O(C + D)`` per pair) and the
``n x (C * D)`` embedding matrix never has to exist.
"""

import numpy as np
import scipy.sparse as sp

from ._arrays import NumpyOps, csr_row_sq_norms

# Rows processed at once when updating distances to one new centre: the
# extra memory is four vectors of this length (1 MiB in float32). Smaller
# chunks split each matrix-vector product into more BLAS calls, which
# measurably slows it down (about 12 % at 16384 rows, N=50,000, D=512).
DEFAULT_CHUNK_SIZE = 65536

#: A sparse h's column non-zero in more than ``1 / _DENSE_COLUMN_SHARE`` of
#: the rows is held dense by the plain kernel (NearestCentreDistances).
_DENSE_COLUMN_SHARE = 4


def roundoff_tolerance(dtype, n_terms: int) -> float:
    """Relative size below which a factored squared distance is round-off.

    The factored formula subtracts two terms of size ``|g_i|^2 + |g_j|^2``;
    when the true distance is zero, what is left is accumulated rounding of
    the dot products (about ``sqrt(n_terms)`` units in the last place) and
    of the subtraction. Values below ``tol * (|g_i|^2 + |g_j|^2)`` cannot be
    told apart from zero and are set to zero, so that duplicates of a chosen
    embedding get exactly zero weight, as they do in exact arithmetic.

    Parameters
    ----------
    dtype : numpy dtype
        The floating-point type of the computation.
    n_terms : int
        Length of the longer dot product (``max(C, D)``).

    Returns
    -------
    tol : float
        The relative tolerance.
    """
    return 4.0 * np.finfo(dtype).eps * np.sqrt(max(int(n_terms), 1))


def checked_sq_norms(ops, delta_sq, h_sq):
    """``|g|^2 = |delta|^2 |h|^2`` from the factors' squared row norms,
    after checking that no distance computation can overflow.

    Every squared distance is at most ``4 max |g|^2`` and every dot
    product at most a product of two norms, so a largest squared norm
    (of ``delta``, ``h`` and ``g``) below a quarter of the dtype's range
    keeps all of them finite; the float64 sums of ``n`` weights need
    ``4 n max |g|^2`` to stay in float64's range.

    Raises
    ------
    ValueError
        Naming the dtype, the largest squared norm and the remedies.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # checked below
        g_sq = delta_sq * h_sq
    n = max(int(g_sq.shape[0]), 1)
    limit = float(np.finfo(ops.np_dtype).max) / 4
    total_limit = float(np.finfo(np.float64).max) / (4 * n)
    for name, values, lim in (
        ("delta", delta_sq, limit),
        ("h", h_sq, limit),
        ("g = delta (x) h", g_sq, min(limit, total_limit)),
    ):
        top = float(values.max())
        if not top < lim:  # also NaN
            fix = "Scale the features"
            if ops.np_dtype != np.float64:
                fix = "Use dtype=np.float64 or scale the features"
            raise ValueError(
                f"The gradient embeddings overflow in {ops.np_dtype.name}: "
                f"the squared norms of `{name}` reach {top:.3g} (the "
                f"distances need them below {lim:.3g}). {fix}."
            )
    return g_sq


def sq_norms(delta, h):
    """Squared norms ``|delta_i (x) h_i|^2 = |delta_i|^2 |h_i|^2``.

    Parameters
    ----------
    delta : ndarray of shape (n_samples, n_classes)
        Loss gradients with respect to the logits.
    h : ndarray of shape (n_samples, n_features)
        Inputs of the last linear layer.

    Returns
    -------
    norms : ndarray of shape (n_samples,)
        Squared norms of the gradient embeddings, in the dtype of ``h``.
    """
    dn = np.einsum("ij,ij->i", delta, delta)
    if sp.issparse(h):
        hn = csr_row_sq_norms(h)
    else:
        hn = np.einsum("ij,ij->i", h, h)
    return dn * hn


def pairwise_sq_distances(delta_a, h_a, delta_b, h_b):
    """All squared distances between two sets of rank-one embeddings.

    Parameters
    ----------
    delta_a, h_a : ndarray of shape (n_a, n_classes), (n_a, n_features)
        Factors of the first set.
    delta_b, h_b : ndarray of shape (n_b, n_classes), (n_b, n_features)
        Factors of the second set.

    Returns
    -------
    dist : ndarray of shape (n_a, n_b)
        ``|g_a - g_b|^2``, non-negative.
    """
    na = sq_norms(delta_a, h_a)
    nb = sq_norms(delta_b, h_b)
    hh = h_a @ h_b.T
    if sp.issparse(hh):
        hh = hh.toarray()
    dist = (delta_a @ delta_b.T) * hh
    dist *= -2.0
    dist += na[:, None]
    dist += nb[None, :]
    # Round-off can make the difference slightly negative.
    np.maximum(dist, 0.0, out=dist)
    return dist


class NearestCentreDistances:
    """Running squared distance of every sample to its nearest centre.

    The state of the plain seeding loops: ``min_sq_dist[i]`` is the squared
    distance of embedding ``i`` to the nearest centre added so far
    (``inf`` before the first), and exactly zero for the centres
    themselves. Adding a centre costs one pass over the factors, in chunks
    of ``chunk_size`` rows, with ``O(chunk_size)`` extra memory. The
    arrays live on the backend of ``ops``; what the loops read back
    (block sums, one block of weights, argmax) comes to the host.

    Parameters
    ----------
    delta : array of shape (n_samples, n_classes)
        Loss gradients with respect to the logits, C-contiguous.
    h : array or scipy.sparse.csr_matrix of shape (n_samples, n_features)
        Inputs of the last linear layer (or leaf embeddings), C-contiguous
        or CSR (numpy only), in the compute dtype. For a sparse ``h`` each
        centre costs ``O(n_samples * n_classes)`` plus the non-zeros of
        the columns where the centre's ``h`` is non-zero (see
        :meth:`_split_columns`).
    ops : NumpyOps or TorchOps, default=None
        The backend of ``delta`` and ``h`` (``None``: numpy).
    chunk_size : int, default=DEFAULT_CHUNK_SIZE
        Rows per chunk.
    sq_norms : array of shape (n_samples,) or None, default=None
        ``|g|^2`` if already computed and checked (by the lazy state);
        ``None``: computed and checked here.
    """

    def __init__(
        self,
        delta,
        h,
        ops=None,
        chunk_size=DEFAULT_CHUNK_SIZE,
        sq_norms=None,
    ):
        self.ops = NumpyOps(h.dtype) if ops is None else ops
        self.delta, self.h = delta, h
        self.sparse = sp.issparse(h)
        if self.sparse:
            self._split_columns()
        self.chunk_size = int(chunk_size)
        n = delta.shape[0]
        self.sq_norms = sq_norms
        if sq_norms is None:
            self.sq_norms = self._checked_norms()
        self.min_sq_dist = self.ops.full(n, np.inf)
        self.is_centre = np.zeros(n, dtype=bool)
        self.eligible = None
        self._eligible = None
        self._tol = roundoff_tolerance(
            self.ops.np_dtype, max(delta.shape[1], h.shape[1])
        )
        size = min(self.chunk_size, n)
        self._hh, self._dd, self._tmp = (self.ops.empty(size) for _ in "abc")
        self._mask = self.ops.empty(size, dtype=bool)

    def _split_columns(self):
        """A sparse ``h`` by columns, for :meth:`_sparse_products`: the
        columns non-zero in more than a quarter of the rows (the features
        next to leaves in ``"proximity+X"``) as a dense block, the others
        in CSC: at most twice the memory of ``h``."""
        columns = self.h.tocsc()
        n = self.h.shape[0]
        dense = np.diff(columns.indptr) * _DENSE_COLUMN_SHARE > n
        self._columns = columns[:, ~dense] if dense.any() else columns
        self._dense = dense
        # Each column's position in its part.
        self._pos = np.where(dense, np.cumsum(dense), np.cumsum(~dense)) - 1
        self._dense_block = (
            np.ascontiguousarray(columns[:, dense].toarray())
            if dense.any()
            else None
        )

    def _sparse_products(self, idx):
        """``h @ h[idx]`` for a sparse ``h``: from the columns where
        ``h[idx]`` is non-zero (for leaf embeddings the few rows of each
        leaf), the dense block by a matrix-vector product."""
        row = self.h[idx]
        cols, vals = row.indices, row.data
        in_block = self._dense[cols]
        out = self._columns[:, self._pos[cols[~in_block]]] @ vals[~in_block]
        if in_block.any():
            v = np.zeros(self._dense_block.shape[1], dtype=self.h.dtype)
            v[self._pos[cols[in_block]]] = vals[in_block]
            out += self._dense_block @ v
        return np.asarray(out, dtype=self.h.dtype)

    def _checked_norms(self):
        """``|g|^2``, after the overflow check of :func:`checked_sq_norms`."""
        h = self.h
        with np.errstate(over="ignore", invalid="ignore"):  # checked
            if self.sparse:
                h_sq = csr_row_sq_norms(h)
            else:
                h_sq = self.ops.row_sq_norms(h)
            d_sq = self.ops.row_sq_norms(self.delta)
        return checked_sq_norms(self.ops, d_sq, h_sq)

    @property
    def n_samples(self) -> int:
        return self.is_centre.shape[0]

    def add_centre(self, idx: int, update: bool = True) -> None:
        """Make embedding ``idx`` a centre.

        With ``update=False`` (the last pick of a batch) the pass over the
        pool that updates the distances is skipped.
        """
        self.is_centre[idx] = True
        if not update:
            return
        d_c, a_c = self.delta[idx], self.sq_norms[idx]
        if self.sparse:
            hh_all, h_c = self._sparse_products(idx), None
        else:
            h_c, hh_all = self.h[idx], None
        n = self.n_samples
        for start in range(0, n, self.chunk_size):
            stop = min(start + self.chunk_size, n)
            self._update_chunk(start, stop, d_c, h_c, a_c, hh_all)
        self.min_sq_dist[idx] = 0.0

    def add_origin(self) -> None:
        """Make the zero embedding a centre: ``D^2`` starts at ``|g|^2``."""
        self.ops.minimum(self.min_sq_dist, self.sq_norms, out=self.min_sq_dist)

    def weights(self, k: int):
        """Pick ``k``'s squared distances: norms first, then ``D^2``.

        Zero where ``set_eligible`` excluded a sample (class quotas).
        """
        w = self.sq_norms if k == 0 else self.min_sq_dist
        return w if self._eligible is None else w * self._eligible

    def set_eligible(self, mask):
        """Restrict the draw to ``mask`` (distances are kept for all)."""
        self.eligible = np.asarray(mask, dtype=bool)
        self._eligible = self.ops.asarray(self.eligible)

    def remaining(self):
        """Indices of the eligible samples that are not centres."""
        free = ~self.is_centre
        if self.eligible is not None:
            free &= self.eligible
        return np.flatnonzero(free)

    def _update_chunk(self, start, stop, d_c, h_c, a_c, hh_all=None):
        ops, m = self.ops, stop - start
        hh, dd, tmp = self._hh[:m], self._dd[:m], self._tmp[:m]
        mask = self._mask[:m]
        if hh_all is None:
            ops.matvec(self.h[start:stop], h_c, out=hh)
        else:
            hh[:] = hh_all[start:stop]
        ops.matvec(self.delta[start:stop], d_c, out=dd)
        ops.mul(dd, hh, out=dd)
        # dist = a_i + a_c - 2 (delta_i . delta_c)(h_i . h_c)
        ops.add(self.sq_norms[start:stop], a_c, out=tmp)
        ops.mul(dd, -2.0, out=hh)
        ops.add(hh, tmp, out=hh)
        # Round-off: what is below the formula's resolution is zero (this
        # also clips negative values).
        ops.mul(tmp, self._tol, out=tmp)
        # (A multiplication by the mask is ~30x faster than copyto(where=).)
        ops.greater(hh, tmp, out=mask)
        ops.mul(hh, mask, out=hh)
        current = self.min_sq_dist[start:stop]
        ops.minimum(current, hh, out=current)
