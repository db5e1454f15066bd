"""BAIT: greedy A-optimal design on the last layer's Fisher information.

The Fisher information of the last linear layer at a sample with class
probabilities ``p`` and layer input ``h`` is

    I(x) = (diag(p) - p p^T) (x) h h^T,

a Kronecker product of rank at most ``C - 1``. BAIT (Ash et al., NeurIPS
2021) greedily adds the samples that most reduce ``tr(A^-1 F)``, where ``A``
is the regularised Fisher of the labeled set plus the picks and ``F`` the
mean Fisher of the pool, then prunes the over-sampled set back.

Here ``I(x) = V_x V_x^T`` with ``V_x = L_x (x) h_x``, where ``L_x`` is a
``(C - 1) x k`` factor of ``diag(p) - p p^T`` expressed in an orthonormal
basis of the vectors that sum to zero (the Fisher vanishes on the all-ones
direction, so the trace in the ``(C - 1) D`` dimensional space equals the
one in the full ``C D`` space): ``k = C`` columns, or with ``top_k`` only
those of the ``k`` most probable classes (LabelBench's approximation). For
every candidate the kernel keeps two ``k x k`` matrices,

    G_x = V_x^T B V_x,    H_x = V_x^T B F B V_x,    B = A^-1,

so that the trace reduction of adding ``x`` is ``tr((I + G_x)^-1 H_x)``
(Woodbury). After a pick ``s`` both are corrected in rank ``k`` from
``V_x^T B V_s`` and ``V_x^T B F B V_s``, which the Kronecker structure
gives in ``O(n D C k)``; ``B`` and ``B F B`` take the same rank-``k``
corrections lazily (:class:`LowRankInverse`). A step costs ``O(n (D C k +
k^3) + d^2 k)`` with ``d = (C - 1) D``, instead of ``O(n C d^2)`` for the
direct evaluation; the setup (``F``, ``B``, the ``G_x`` and ``H_x``)
``O(n d^2 + d^3)``.
"""

import math

import numpy as np
import scipy.sparse as sp

from .._validation import (
    check_dtype,
    check_positive_int,
    check_positive_real,
)
from ._arrays import NumpyOps, as_factors, to_numpy
from ._threads import one_blas_thread

# Values per chunk of the n x k x k and n x C x C stacks and temporaries.
_CHUNK_ELEMENTS = 1 << 21
# Values of the blocks of the quadratic forms (4 MiB in float64: they stay
# in the CPU cache).
_BLOCK_ELEMENTS = 1 << 19
# Low-rank updates of B and B F B are kept apart until they hold d //
# _FOLD_RATIO columns, then folded into the d x d matrices (one product).
_FOLD_RATIO = 8


def class_basis(n_classes):
    """Orthonormal basis (Helmert) of the vectors in R^C that sum to zero.

    Returns
    -------
    Q : ndarray of shape (n_classes, n_classes - 1)
    """
    Q = np.zeros((n_classes, n_classes - 1))
    for k in range(1, n_classes):
        Q[:k, k - 1] = 1.0 / math.sqrt(k * (k + 1))
        Q[k, k - 1] = -k / math.sqrt(k * (k + 1))
    return Q


def fisher_factors(proba, ops, top_k=None):
    """``L_x`` of shape (n, C - 1, C) with ``L_x L_x^T = Q^T Sigma_x Q``.

    Column ``c`` of the unreduced factor is ``sqrt(p_c) (p - e_c)``, the
    gradient at label ``c`` weighted by its probability. With ``top_k <
    C``, only the columns of every row's ``top_k`` most probable classes,
    shape (n, C - 1, top_k), built without the (n, C, C) stack: ``L_x
    L_x^T`` is then the Fisher restricted to those classes, ``sum_{c in
    top_k(x)} p_c (p - e_c)(p - e_c)^T`` (LabelBench's approximation).
    Ties in ``p`` go to the lower class index.
    """
    n, C = proba.shape
    Q = ops.asarray(class_basis(C))
    if top_k is None or top_k >= C:
        L = (proba[:, :, None] - ops.eye(C)[None]) * ops.sqrt(proba)[:, None]
        return Q.T @ L
    top = np.argsort(-ops.to_host(proba), axis=1, kind="stable")[:, :top_k]
    p_top = proba[ops.asindex(np.arange(n)[:, None]), ops.asindex(top)]
    # Q^T (p - e_c) = Q^T p - Q[c]: (n, C - 1, 1) - (n, C - 1, top_k).
    diff = (proba @ Q)[:, :, None] - Q[ops.asindex(top)].mT
    return diff * ops.sqrt(p_top)[:, None, :]


def packed_pairs(D, Cr):
    """Whether products over packed pairs serve the Fisher matrices of
    ``D`` features and ``Cr = C - 1`` class directions: ``D <= Cr^2``.

    Block ``(a, b)`` of a Fisher matrix enters only through
    ``h^T M_ab h = sum_{i <= j} (h_i h_j) (M_ab + M_ab^T)_ij / (1 + [i =
    j])``, so the pairs ``i <= j`` of features against the pairs ``a <=
    b`` of classes make one product of inner dimension ``D (D + 1) / 2``:
    ``O(n d^2 / 2)`` at the speed of a large matrix product, plus ``O(n
    D^2)`` to form the pairs ``h_i h_j``, which pays when ``D <= Cr^2``
    (else the blockwise products win).
    """
    return D <= Cr * Cr


def _pair_index(m, ops, axis):
    """The pairs ``i <= j`` of ``range(m)`` as backend indices, along a
    new ``axis`` (0: columns, shape (1, p); 1: rows, shape (p, 1))."""
    i, j = np.triu_indices(m)
    shape = (1, -1) if axis == 0 else (-1, 1)
    return ops.asindex(i.reshape(shape)), ops.asindex(j.reshape(shape))


def _transposed(h, ops):
    """A row-contiguous copy of ``h.T``: shape (D, n)."""
    out = ops.empty((h.shape[1], h.shape[0]))
    out[...] = h.T
    return out


def _pair_products(hT, start, stop, ops):
    """``h_i h_j`` over the pairs ``i <= j`` (``np.triu_indices`` order)
    of the rows ``start:stop`` of ``h``, from ``hT = h.T``: shape (pairs,
    rows). One product of contiguous rows per feature ``i``: gathering
    the pairs by index takes several times longer."""
    D = hT.shape[0]
    block = hT[:, start:stop]
    out = ops.empty((D * (D + 1) // 2, block.shape[1]))
    at = 0
    for i in range(D):
        ops.mul(block[i:], block[i], out=out[at : at + D - i])
        at += D - i
    return out


def mean_fisher(L, h, ops):
    """``mean_x (L_x L_x^T) (x) h_x h_x^T`` as a d x d matrix (n >= 1).

    Block ``(a, b)`` (``D x D``) is ``mean_x S_x[a, b] h_x h_x^T`` with
    ``S_x = L_x L_x^T``, symmetric in ``(a, b)`` and in ``(i, j)``: with
    :func:`packed_pairs`, one product ``(pairs a <= b) x n @ n x (pairs i
    <= j)`` (``O(n d^2 / 2)``), else one product ``(D x r) @ (r x (C - 1 -
    a) D)`` per class ``a`` and chunk of ``r`` rows (``O(n d^2)``); plus
    ``O(n C^3)`` for the ``S_x``, where ``Y^T Y`` over the ``n C`` rows of
    the ``V_x^T`` would cost ``O(n C d^2)``.
    """
    n, Cr, _ = L.shape
    D = h.shape[1]
    if not packed_pairs(D, Cr):
        return _mean_fisher_blocks(L, h, ops)
    a, b = np.triu_indices(Cr)
    upper = ops.asindex(a * Cr + b)  # pairs a <= b of a flat C x C
    n_cls, n_feat = Cr * (Cr + 1) // 2, D * (D + 1) // 2
    packed = ops.asarray(np.zeros((n_cls, n_feat)))
    hT = _transposed(h, ops)
    rows = max(1, _CHUNK_ELEMENTS // max(Cr * Cr, n_feat))
    for start in range(0, n, rows):
        Lc = L[start : start + rows]
        S = (Lc @ Lc.mT).reshape(Lc.shape[0], Cr * Cr)[:, upper]
        packed += S.mT @ _pair_products(hT, start, start + rows, ops).mT
    F = ops.empty((Cr, D, Cr, D))
    a, b = _pair_index(Cr, ops, 1)
    i, j = _pair_index(D, ops, 0)
    for a1, i1, b1, j1 in ((a, i, b, j), (a, j, b, i), (b, i, a, j)):
        F[a1, i1, b1, j1] = packed
    F[b, j, a, i] = packed
    return F.reshape(Cr * D, Cr * D) / n


def _mean_fisher_blocks(L, h, ops):
    """:func:`mean_fisher` by blocks of ``D`` rows of ``F``."""
    n, Cr, _ = L.shape
    D = h.shape[1]
    d = Cr * D
    upper = ops.asarray(np.zeros((d, d)))
    rows = max(1, _CHUNK_ELEMENTS // max(Cr * Cr, d))
    for start in range(0, n, rows):
        Lc, hc = L[start : start + rows], h[start : start + rows]
        S = Lc @ Lc.mT
        for a in range(Cr):
            W = (S[:, a, a:, None] * hc[:, None, :]).reshape(hc.shape[0], -1)
            upper[a * D : (a + 1) * D, a * D :] += hc.T @ W
    out = upper + upper.T
    for a in range(Cr):  # the diagonal blocks were counted twice
        out[a * D : (a + 1) * D, a * D : (a + 1) * D] /= 2
    return out / n


def quadratic_forms(L, h, M, ops):
    """``V_x^T M V_x`` for every row, ``M`` symmetric: shape (n, k, k)
    for ``L`` of shape (n, C - 1, k).

    ``L_x^T K_x L_x`` with ``K_x = (I (x) h_x)^T M (I (x) h_x)``
    (``(C - 1) x (C - 1)``). With :func:`packed_pairs`, the ``K_x`` of a
    chunk of rows are one product ``(r x pairs i <= j) @ (pairs i <= j x
    pairs a <= b)`` (``O(n d^2 / 2)``), else blockwise (see
    :func:`_class_blocks`).
    """
    n, Cr, _ = L.shape
    D = h.shape[1]
    if not packed_pairs(D, Cr):
        return _class_blocks(L, h, M, ops)
    a, b = _pair_index(Cr, ops, 0)
    i, j = _pair_index(D, ops, 1)
    M4 = M.reshape(Cr, D, Cr, D)
    # (M_ab + M_ab^T)_ij / (1 + [i = j]): (pairs i <= j, pairs a <= b).
    i_host, j_host = np.triu_indices(D)
    half = ops.asarray(np.where(i_host == j_host, 0.5, 1.0)[:, None])
    Mp = (M4[a, i, b, j] + M4[a, j, b, i]) * half
    a, b = np.triu_indices(Cr)
    upper, lower = ops.asindex(a * Cr + b), ops.asindex(b * Cr + a)
    hT = _transposed(h, ops)
    rows = max(1, _CHUNK_ELEMENTS // max(Cr * Cr, Mp.shape[0]))
    parts = []
    for start in range(0, n, rows):
        Lc = L[start : start + rows]
        Kp = _pair_products(hT, start, start + rows, ops).mT @ Mp
        K = ops.empty((Lc.shape[0], Cr * Cr))
        K[:, upper] = Kp
        K[:, lower] = Kp
        parts.append(Lc.mT @ K.reshape(-1, Cr, Cr) @ Lc)
    return ops.cat(parts, 0)


def _class_blocks(L, h, M, ops):
    """:func:`quadratic_forms` by class blocks: row ``a`` of ``K_x`` for
    a block of rows is one product ``(r x D) @ (D x (C - 1 - a) D)`` with
    the upper blocks of ``M`` and a contraction with ``h``: ``O(n d^2)``
    in all, on blocks of ``_BLOCK_ELEMENTS`` values that stay in the CPU
    cache (the whole ``n x (C - 1) x d`` product at once is bound by
    memory and several times slower)."""
    n, Cr, _ = L.shape
    D = h.shape[1]
    d = Cr * D
    rows = max(1, min(_BLOCK_ELEMENTS // d, _CHUNK_ELEMENTS // (Cr * Cr)))
    parts = []
    for start in range(0, n, rows):
        Lc, hc = L[start : start + rows], h[start : start + rows]
        r = hc.shape[0]
        K = ops.empty((r, Cr, Cr))
        for a in range(Cr):
            T = (hc @ M[a * D : (a + 1) * D, a * D :]).reshape(r, -1, D)
            Ka = ops.einsum("rbi,ri->rb", T, hc)
            K[:, a, a:] = Ka
            K[:, a + 1 :, a] = Ka[:, 1:]
        parts.append(Lc.mT @ K @ Lc)
    return ops.cat(parts, 0)


def project(L, h, U, ops):
    """``V_x^T U`` for every row, for ``U`` of shape (d, k): (n, C, k)."""
    n, Cr, C = L.shape
    D = h.shape[1]
    k = U.shape[1]
    U3 = U.reshape(Cr, D, k)
    # W[n, a, b] = sum_i h[n, i] U[a, i, b]
    W = (h @ ops.permute(U3, (1, 0, 2)).reshape(D, Cr * k)).reshape(n, Cr, k)
    return L.mT @ W


def apply_to(M, L_s, h_s):
    """``M V_s`` for one sample: shape (d, C)."""
    Cr, C = L_s.shape
    D = h_s.shape[0]
    d = M.shape[0]
    # One matrix-vector product over (d Cr) x D: a batched (d, Cr, D) @
    # (D,) takes twice as long.
    return (M.reshape(-1, D) @ h_s).reshape(d, Cr) @ L_s


def psd_factor(a, ops):
    """``R`` with ``R R^T = a`` for a symmetric PSD ``a`` (eigh)."""
    vals, vecs = ops.eigh((a + a.T) / 2)
    return vecs * ops.sqrt(vals)


def trace_of_solve(A, Bm, ops):
    """``tr(A_x^-1 B_x)`` for stacks of k x k matrices."""
    return ops.einsum("nii->n", ops.solve(A, Bm))


class LowRankInverse:
    """``B`` and ``P = B F B`` under rank-``k`` updates ``B <- B - sign u
    u^T``, applied lazily.

    ``P`` follows from ``z = P V_s R = B F u`` and ``E = u^T F u``:
    ``P <- P - sign (u z^T + z u^T) + u E u^T``. The updates are kept as
    columns ``U``, ``Z``, signs ``S`` and a block-diagonal ``E``, so that
    ``B = B_0 - U S U^T`` and ``P = P_0 + U E U^T - U S Z^T - Z S U^T``;
    a step reads ``B_0`` and ``P_0`` once (``O(d^2)``) instead of
    rewriting ``B`` (three passes over ``d x d``). Once the columns reach
    ``d // _FOLD_RATIO``, they are folded into ``B_0`` and ``P_0`` in
    ``O(d^2 m)``.
    """

    def __init__(self, B, P, ops):
        d = B.shape[0]
        self.d, self.ops = d, ops
        self.BP = ops.cat([B, P], 0)  # (2d, d): one read for both
        self.cap = max(1, d // _FOLD_RATIO)
        self.U = self.Z = self.signs = self.E = None
        self.m = 0

    def times(self, L_s, h_s):
        """``(B V_s, P V_s)``, each of shape (d, k)."""
        d, m = self.d, self.m
        BV_PV = apply_to(self.BP, L_s, h_s)
        BV, PV = BV_PV[:d], BV_PV[d:]
        if m == 0:
            return BV, PV
        V = (L_s[:, None, :] * h_s[None, :, None]).reshape(d, -1)
        U, Z, signs = self.U[:, :m], self.Z[:, :m], self.signs[:m, None]
        uV, zV = U.T @ V, Z.T @ V
        BV = BV - U @ (signs * uV)
        PV = PV + U @ (self.E[:m, :m] @ uV - signs * zV) - Z @ (signs * uV)
        return BV, PV

    def push(self, u, z, E, sign):
        """Record ``B <- B - sign u u^T`` (``z``, ``E``: see above)."""
        k = u.shape[1]
        if self.U is None or self.m + k > self.U.shape[1]:
            self.fold(max(self.cap, k))
        m = self.m
        self.U[:, m : m + k] = u
        self.Z[:, m : m + k] = z
        self.signs[m : m + k] = sign
        self.E[m : m + k, m : m + k] = E
        self.m = m + k

    def fold(self, cap):
        """Fold the pending columns into ``B_0`` and ``P_0``; room for
        ``cap`` new ones."""
        ops, d, m = self.ops, self.d, self.m
        if m:
            U, Z = self.U[:, :m], self.Z[:, :m]
            SU = U * self.signs[None, :m]
            self.BP[:d] -= SU @ U.T
            self.BP[d:] += U @ (self.E[:m, :m] @ U.T) - SU @ Z.T - Z @ SU.T
        if self.U is None or self.U.shape[1] < cap:
            self.U, self.Z = ops.empty((d, cap)), ops.empty((d, cap))
            self.signs = ops.empty((cap,))
            self.E = ops.full((cap, cap), 0.0)
        else:
            self.E[:m, :m] = 0.0
        self.m = 0


class BaitState:
    """Greedy trace-of-inverse-Fisher design over rank-k factors.

    The ``n x k x k`` stacks are processed in chunks of rows, so their
    temporaries stay within ``_CHUNK_ELEMENTS`` values whatever ``n``.

    Parameters
    ----------
    L : (n, C - 1, k) Fisher factors of the candidates (already weighted).
    h : (n, D) their embeddings.
    B : (d, d) inverse of the regularised Fisher of the labeled set.
    F : (d, d) mean Fisher of the pool.
    ops : NumpyOps or TorchOps
    """

    def __init__(self, L, h, B, F, ops):
        self.L, self.h, self.ops = L, h, ops
        P = B @ F @ B
        P = (P + P.T) / 2
        self.G = quadratic_forms(L, h, B, ops)
        self.H = quadratic_forms(L, h, P, ops)
        self.inverse = LowRankInverse(B, P, ops)
        self.eye = ops.eye(L.shape[2])

    def _chunks(self, rows=None):
        """Row selections of at most ``_CHUNK_ELEMENTS / k^2`` rows: slices
        of all rows, or index arrays of ``rows``."""
        k = self.eye.shape[0]
        step = max(1, _CHUNK_ELEMENTS // (k * k))
        if rows is None:
            n = self.G.shape[0]
            return [slice(i, i + step) for i in range(0, n, step)]
        rows = np.asarray(rows, dtype=np.intp)
        return [
            self.ops.asindex(rows[i : i + step])
            for i in range(0, rows.size, step)
        ]

    def _traces(self, sign, rows=None):
        """``tr((I + sign G_x)^-1 H_x)`` for all rows or ``rows``."""
        ops = self.ops
        return ops.cat(
            [
                trace_of_solve(self.eye + sign * self.G[sel], self.H[sel], ops)
                for sel in self._chunks(rows)
            ]
        )

    def add_reductions(self):
        """Trace reduction of adding each candidate: (n,)."""
        return self._traces(+1)

    def remove_increases(self, rows):
        """Trace increase of removing each of ``rows`` (all selected)."""
        return self._traces(-1, rows)

    def update(self, s, sign, rows=None):
        """Add (``sign=+1``) or remove (``-1``) candidate ``s`` from A.

        With ``U = B V_s`` and ``(I + sign G_s)^-1 = R R^T``:
        ``B <- B - sign U R (U R)^T``, and for every candidate (or
        ``rows``), with ``c = V_x^T U R`` and
        ``f = V_x^T (B F U R - sign U R E / 2)``, ``E = (U R)^T F U R =
        R^T H_s R``: ``G <- G - sign c c^T`` and
        ``H <- H - sign (f c^T + c f^T)``.
        """
        ops = self.ops
        R = psd_factor(ops.inv(self.eye + sign * self.G[s]), ops)
        BV, PV = self.inverse.times(self.L[s], self.h[s])
        UR, BFUR = BV @ R, PV @ R
        E = R.T @ self.H[s] @ R
        E = (E + E.T) / 2
        W = BFUR - UR @ E * (sign / 2)
        UW = ops.cat([UR, W], 1)
        k = self.eye.shape[0]
        for sel in self._chunks(rows):
            cf = project(self.L[sel], self.h[sel], UW, ops)
            c, f = cf[..., :k], cf[..., k:]
            fc = f @ c.mT
            self.G[sel] -= sign * (c @ c.mT)
            self.H[sel] -= sign * (fc + fc.mT)
        self.inverse.push(UR, BFUR, E, sign)


def bait_select(
    L,
    h,
    B,
    F,
    n_picks,
    n_forward,
    random_state,
    return_utilities,
    ops,
):
    """Forward selection of ``n_forward`` candidates, pruned to ``n_picks``.

    Parameters
    ----------
    L, h : candidate factors (see :class:`BaitState`).
    B, F : d x d matrices (see :class:`BaitState`).
    n_picks : int
    n_forward : int
        ``n_picks <= n_forward <= n``.
    random_state : numpy.random.RandomState
        Breaks exact ties between the best candidates.
    return_utilities : bool
    ops : NumpyOps or TorchOps
        The backend of the arrays.

    Returns
    -------
    picks : ndarray of shape (n_picks,), in forward order
    utilities : ndarray of shape (n_picks, n) or None
        Row ``k``: the trace reductions at the forward step that chose pick
        ``k``, NaN for candidates chosen before that step.

    Raises
    ------
    ValueError
        If a trace or a Fisher matrix is not finite (see
        :func:`overflow_message`).
    """
    state = BaitState(L, h, B, F, ops)
    for name in ("G", "H"):
        check_finite(getattr(state, name), "Fisher quadratic forms", ops)
    # The steps are many small products: one BLAS thread (see _threads).
    with one_blas_thread(isinstance(ops, NumpyOps)):
        return _steps(state, L.shape[0], n_picks, n_forward, random_state,
                      return_utilities, ops)  # fmt: skip


def _steps(state, n, n_picks, n_forward, random_state, return_utilities, ops):
    """The forward and backward steps of :func:`bait_select`."""
    chosen = np.zeros(n, dtype=bool)
    order, rows = [], []
    for _ in range(n_forward):
        red = ops.to_host(state.add_reductions())
        check_finite(red[~chosen], "trace reductions", ops)
        red[chosen] = np.nan
        s = _argbest(red, random_state)
        order.append(s)
        if return_utilities:
            rows.append(red)
        chosen[s] = True
        state.update(s, +1)
    kept = list(range(n_forward))
    for _ in range(n_forward - n_picks):
        sel = [order[k] for k in kept]
        inc = ops.to_host(state.remove_increases(sel))
        check_finite(inc, "trace increases", ops)
        drop = int(np.argmin(inc))
        del kept[drop]
        state.update(sel[drop], -1, rows=[order[k] for k in kept])
    picks = np.asarray([order[k] for k in kept], dtype=np.intp)
    util = None
    if return_utilities:
        util = np.stack([rows[k] for k in kept])
        for j in range(len(kept)):
            # Chosen at an earlier forward step but dropped by the
            # backward pass: no reduction left to offer at this step (0);
            # NaN stays at the earlier picks of the batch only.
            dropped = np.isnan(util[j])
            dropped[picks[:j]] = False
            util[j, dropped] = 0.0
    return picks, util


def _argbest(values, random_state):
    """Argmax over the non-NaN values (at least one); exact ties drawn at
    random."""
    best = np.nanmax(values)
    ties = np.flatnonzero(values == best)
    if ties.size == 1:
        return int(ties[0])
    return int(ties[random_state.randint(ties.size)])


def overflow_message(what, dtype):
    """The error of a non-finite Fisher matrix or trace in ``dtype``."""
    name = np.dtype(dtype).name
    advice = "scale the features (e.g. with StandardScaler)"
    if name != "float64":
        advice += " or use dtype=np.float64"
    return (
        f"Non-finite {what} in BAIT: the embeddings overflow in {name} "
        "(the Fisher information grows with their square, its inverse and "
        f"the traces further); {advice}."
    )


def check_finite(values, what, ops):
    """Raise :func:`overflow_message` if ``values`` has NaN or infinity
    (``values``: a host array or one of ``ops``' backend)."""
    finite = (
        bool(np.isfinite(values).all())
        if isinstance(values, np.ndarray)
        else ops.all_finite(values)
    )
    if not finite:
        raise ValueError(overflow_message(what, ops.np_dtype))


def check_resolution(h, lamb, ops):
    """Raise when ``lamb`` is below the resolution of the Fisher
    information in the compute dtype: a sample's Fisher has eigenvalues up
    to ``|h|^2 / 4``, and beyond ``lamb / eps`` the matrix ``A = lamb I +
    F`` is singular to working precision, its inverse and the utilities
    round-off (features scaled by 1e10 gave "Singular matrix" or
    meaningless picks)."""
    top = float(ops.to_host(ops.row_sq_norms(h)).max(initial=0.0)) / 4
    limit = lamb / float(np.finfo(ops.np_dtype).eps)
    if np.isfinite(top) and top > limit:  # overflow: check_finite's
        advice = "scale the features (e.g. with StandardScaler), raise `lamb`"
        if ops.np_dtype != np.float64:
            advice += " or use dtype=np.float64"
        raise ValueError(
            f"BAIT's Fisher information is beyond the {ops.np_dtype.name} "
            f"resolution of lamb={lamb:g}: the largest |h|^2 / 4 is "
            f"{top:.3g}, above lamb / eps = {limit:.3g}, so the Fisher "
            f"matrices are singular to working precision; {advice}."
        )


def reduce_dimension(h_all, n_classes, max_dim, random_state, ops=None):
    """Projection keeping ``(C - 1) D' <= max_dim`` (None if not needed).

    ``D'`` leading right singular vectors of the (uncentred) embeddings of
    the pool, which keep the most of ``sum_x h_x h_x^T``: from the
    eigenvectors of ``h^T h`` on the backend of ``ops``, or by randomized
    SVD on the host for a sparse ``h`` (``ops=None``) or ``D > 4096``.
    """
    D = h_all.shape[1]
    Cr = max(n_classes - 1, 1)
    if max_dim is None or Cr * D <= max_dim:
        return None
    keep = max_dim // Cr
    if keep < 1:
        raise ValueError(
            f"`max_dim={max_dim}` is smaller than n_classes - 1 = {Cr}; "
            "BAIT needs at least one feature per class."
        )
    if ops is None or D > 4096:
        from sklearn.utils.extmath import randomized_svd

        host = h_all if ops is None else ops.to_host(h_all)
        _, _, Vt = randomized_svd(host, keep, random_state=random_state)
        P = np.ascontiguousarray(Vt.T)
        return P if ops is None else ops.asarray(P)
    _, vecs = ops.eigh(h_all.T @ h_all)
    # The eigenvalues ascend: the last ``keep`` columns, largest first.
    return vecs[:, ops.asindex(np.arange(D - 1, D - keep - 1, -1))]


# The default class cap: above it the C^3 terms dominate, and a query of
# one sample from 1,000 candidates takes minutes on one CPU core (26 s at
# 200 classes, 129 s at 400; the table in ``Bait``'s Notes). Seconds per
# unit of ``n C^3``, fitted to those measurements (0.2 to 0.5 ns).
MAX_CLASSES = 200
_SECONDS_PER_UNIT = 3e-10


def n_steps(n_picks, n_candidates, oversample):
    """``(n_forward, n_backward)``: the greedy steps of one query."""
    n_forward = min(math.ceil(oversample * n_picks), n_candidates)
    return n_forward, n_forward - n_picks


def check_bait_classes(
    n_classes, max_classes, n_picks, n_candidates, oversample
):
    """Before any work: refuse more than ``max_classes`` classes for a
    query of ``n_picks`` from ``n_candidates`` (see
    :func:`check_class_count`)."""
    steps = n_steps(n_picks, n_candidates, oversample)
    check_class_count(n_classes, max_classes, n_candidates, sum(steps))


def check_class_count(n_classes, max_classes, n_candidates, steps):
    """Refuse more than ``max_classes`` classes (None: no cap), with the
    estimated cost of the query.

    Parameters
    ----------
    n_classes, n_candidates : int
    max_classes : int or None
    steps : int
        Greedy steps of the query (forward and backward).
    """
    if max_classes is None or n_classes <= max_classes:
        return
    step = n_candidates * float(n_classes) ** 3
    total = (steps + 3) * step  # setup: F, G and H cost ~n C^3 each
    raise ValueError(
        f"Bait with {n_classes} classes exceeds `max_classes={max_classes}`:"
        f" each of the {steps} greedy steps of this query costs at least "
        f"n_candidates * C^3 = {step:.1e} operations, the query at least "
        f"{total:.1e} (about {_duration(total * _SECONDS_PER_UNIT)} on one "
        "CPU core); the cost of a step is O(n (D C^2 + C^3) + d^2 C). Use "
        "fewer classes (e.g. merge rare ones), Badge (whose cost is linear "
        "in C), or max_classes=None to run it anyway."
    )


def _duration(seconds):
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h"


def bait(
    proba,
    h,
    n_picks,
    candidates=None,
    labeled=None,
    *,
    pool=None,
    lamb=1.0,
    oversample=2.0,
    max_dim=2048,
    max_classes=MAX_CLASSES,
    top_k=None,
    dtype=np.float64,
    backend="numpy",
    random_state=None,
    return_utilities=False,
):
    """BAIT batch selection from class probabilities and embeddings.

    Parameters
    ----------
    proba : array-like or torch.Tensor of shape (n_samples, n_classes)
        Class probabilities of every row.
    h : array-like, sparse matrix or torch.Tensor of shape \
(n_samples, n_features)
        Inputs of the last linear layer.
    n_picks : int
        Batch size ``k``.
    candidates : array-like of int, default=None
        Rows that may be picked; default: every row not in ``labeled``.
    labeled : array-like of int, default=None
        Labeled rows; their mean Fisher, weighted ``n_L / (n_L + k)``,
        enters ``A`` next to ``lamb I``, and every pick's Fisher enters
        with weight ``k / (n_L + k)``, as in the authors' code.
    pool : array-like of int, default=None
        Rows whose mean Fisher is ``F`` (and on which the ``max_dim``
        projection is fitted); default: every row. Candidates outside
        ``pool`` are only picked, they do not enter ``F``.
    lamb : float, default=1.0
        Regulariser of ``A = lamb I + ...``.
    oversample : float, default=2.0
        Forward selection picks ``ceil(oversample * k)`` candidates (at
        most all), backward pruning removes the surplus.
    max_dim : int or None, default=2048
        Cap on the Fisher dimension ``(C - 1) D``: above it, ``h`` is
        projected on its ``max_dim // (C - 1)`` leading singular
        directions. Memory is ``O(max_dim^2)``.
    max_classes : int or None, default=200
        More classes raise a ``ValueError`` before any work (the cost of a
        step grows as ``C^3``; see :class:`~skactiveml_badge.Bait`).
        ``None``: no cap. With ``top_k``, the cap applies to ``top_k``.
    top_k : int or None, default=None
        Restrict every sample's Fisher to its ``top_k`` most probable
        classes (LabelBench's approximation): the per-candidate matrices
        shrink from ``C x C`` to ``top_k x top_k`` and a step costs
        ``O(n (D C top_k + top_k^3))``. Exact for ``top_k >= C``; ``None``:
        all classes.
    dtype : np.float32 or np.float64, default=np.float64
    backend : {"numpy", "torch", "auto"}, default="numpy"
        ``"torch"`` keeps tensors on their device (CPU or GPU); ``"auto"``:
        torch for a CUDA tensor ``h``, else numpy.
    random_state : None, int or numpy.random.RandomState
        Breaks exact ties; also seeds the randomized SVD for ``D > 4096``.
    return_utilities : bool, default=False

    Returns
    -------
    picks : ndarray of shape (n_picks,)
        Positions in ``candidates``, in the order of forward selection.
    utilities : ndarray of shape (n_picks, n_candidates)
        Only if ``return_utilities``: row ``k`` holds every candidate's
        reduction of ``tr(A^-1 F)`` at the forward step that chose pick
        ``k``; NaN for the earlier picks of the batch, 0 for candidates
        chosen at an earlier forward step that the backward pass
        dropped.

    Raises
    ------
    ValueError
        For more than ``max_classes`` classes, and if the Fisher matrices
        or traces overflow in ``dtype`` (scale the features, or use
        float64).

    Notes
    -----
    Cost, for ``n`` candidates, ``n_P`` pool rows, ``C`` classes, ``D``
    features after ``max_dim``, ``d = (C - 1) D`` and ``k = min(top_k,
    C)``: setting up ``F``, ``A^-1`` and the candidates' ``k x k`` forms
    takes ``O((n_P + n) (d^2 + C^2 k) + d^3)``, and each of the
    ``ceil(oversample k)`` forward and the backward steps
    ``O(n (D C k + k^3) + d^2 k)``. Memory: ``O(n (C k + k^2) + d^2)``
    plus chunks of ``2^21`` values; with ``top_k`` nothing of size
    ``n C^2`` is formed.
    """
    from sklearn.utils import check_random_state

    rs = check_random_state(random_state)
    dtype = check_dtype(dtype)
    n_picks = check_positive_int(n_picks, "n_picks")
    max_dim = check_positive_int(max_dim, "max_dim", allow_none=True)
    max_classes = check_positive_int(
        max_classes, "max_classes", allow_none=True
    )
    top_k = check_positive_int(top_k, "top_k", allow_none=True)
    lamb = check_positive_real(lamb, "lamb")
    oversample = check_positive_real(oversample, "oversample")
    if oversample < 1:
        raise ValueError(f"`oversample` must be >= 1, got {oversample}.")
    shape = tuple(np.shape(proba))
    if len(shape) != 2:
        raise ValueError(
            f"`proba` must have shape (n_samples, n_classes), got {shape}."
        )
    n, C = shape
    labeled = _rows(labeled, n, "labeled", np.zeros(0, dtype=np.intp))
    rest = np.setdiff1d(np.arange(n), labeled)
    candidates = _rows(candidates, n, "candidates", rest)
    pool = _rows(pool, n, "pool", None)
    if pool is not None and pool.size == 0:
        raise ValueError("`pool` must hold at least one row.")
    if n_picks > candidates.size:
        raise ValueError(
            f"`n_picks={n_picks}` exceeds the {candidates.size} candidates."
        )
    n_forward, n_backward = n_steps(n_picks, candidates.size, oversample)
    k = C if top_k is None else min(top_k, C)
    check_class_count(k, max_classes, candidates.size, n_forward + n_backward)
    with np.errstate(over="ignore", invalid="ignore"):
        # Overflow is reported by check_finite, with advice.
        proba, h, ops = _factors(
            proba, h, n, C, max_dim, pool, dtype, backend, rs
        )
        if C < 2:
            # One class: the Fisher is zero and every candidate ties.
            return _ties_only(candidates.size, n_picks, rs, return_utilities)
        return _design(
            proba,
            h,
            (labeled, candidates, pool),
            (n_picks, n_forward, k),
            lamb,
            rs,
            return_utilities,
            ops,
        )


def _design(proba, h, rows, sizes, lamb, rs, return_util, ops):
    """The Fisher matrices of ``rows = (labeled, candidates, pool)`` and
    the greedy design (see :func:`bait_select`); ``sizes = (n_picks,
    n_forward, top_k)``."""
    labeled, candidates, pool = rows
    n_picks, n_forward, k = sizes
    check_resolution(h, lamb, ops)
    L = fisher_factors(proba, ops, k)
    d = L.shape[1] * h.shape[1]
    w_pick = n_picks / (labeled.size + n_picks)
    A = lamb * ops.eye(d)
    if labeled.size:
        A = A + mean_fisher(L[labeled], h[labeled], ops) * (1 - w_pick)
    if pool is None:
        F = mean_fisher(L, h, ops)
    else:
        F = mean_fisher(L[pool], h[pool], ops)
    check_finite(F, "Fisher matrices", ops)
    B = ops.inv(A)
    check_finite(B, "inverse Fisher matrices", ops)
    Lc = L[candidates] * math.sqrt(w_pick)
    return bait_select(
        Lc, h[candidates], B, F, n_picks, n_forward, rs, return_util, ops
    )


def _factors(proba, h, n, n_classes, max_dim, pool, dtype, backend, rs):
    """``proba`` and ``h`` on the backend, ``h`` projected for
    ``max_dim`` on the rows of ``pool`` (None: all); ``h`` that is finite
    but overflows in ``dtype`` raises :func:`overflow_message`."""
    h_in = h
    if sp.issparse(h):  # reduce on the host, then densify
        if h.shape[0] != n:
            raise ValueError(
                f"`h` must have shape ({n}, n_features), got {h.shape}."
            )
        P = reduce_dimension(
            h if pool is None else h[pool], n_classes, max_dim, rs
        )
        h = h.toarray() if P is None else np.asarray(h @ P)
    proba, h, ops = as_factors(
        proba,
        h,
        dtype=dtype,
        backend=backend,
        check_finite=False,
        names=("proba", "h"),
    )
    if not ops.all_finite(proba):
        raise ValueError("`proba` contains NaN or infinite values.")
    if not ops.all_finite(h):
        source = h_in.data if sp.issparse(h_in) else to_numpy(h_in)
        if np.isfinite(source).all():
            raise ValueError(overflow_message("embeddings", dtype))
        raise ValueError("`h` contains NaN or infinite values.")
    if n_classes >= 2 and not sp.issparse(h_in):
        P = reduce_dimension(
            h if pool is None else h[pool], n_classes, max_dim, rs, ops
        )
        if P is not None:
            h = h @ P
    return proba, h, ops


def _ties_only(n, n_picks, rs, return_utilities):
    picks = rs.choice(n, n_picks, replace=False).astype(np.intp)
    if not return_utilities:
        return picks, None
    util = np.zeros((n_picks, n))
    for k in range(1, n_picks):
        util[k, picks[:k]] = np.nan
    return picks, util


def _rows(index, n, name, default):
    if index is None:
        return default
    index = np.asarray(index)
    if index.ndim != 1 or not (
        index.size == 0 or np.issubdtype(index.dtype, np.integer)
    ):
        raise TypeError(f"`{name}` must be a 1-D array of int row indices.")
    if index.size and (index.min() < 0 or index.max() >= n):
        raise ValueError(f"`{name}` must index rows 0..{n - 1}.")
    if np.unique(index).size != index.size:
        raise ValueError(f"`{name}` contains repeated rows.")
    return index.astype(np.intp)
