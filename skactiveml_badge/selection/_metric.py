"""Cosine distances between rank-one gradient embeddings.

For ``g = delta (x) h``, ``|g| = |delta| |h|`` and
``<g_i, g_j> = <delta_i, delta_j> <h_i, h_j>``, so the unit embedding
``g / |g|`` is again rank one, ``(delta / |delta|) (x) (h / |h|)``, and
the squared Euclidean distance between unit embeddings is twice the
cosine distance: ``|u_i - u_j|^2 = 2 (1 - cos(g_i, g_j))``. Scaling the
rows of both factors to norm one is all a kernel needs to serve
``metric="cosine"``, on every backend and every kind of pool.
"""

import numpy as np
import scipy.sparse as sp

from ._arrays import csr_row_sq_norms, is_torch_tensor

METRICS = ("euclidean", "cosine")


def unit_rows(a):
    """The rows of ``a`` scaled to Euclidean norm one (zero rows stay
    zero), of ``a``'s kind and dtype.

    Applied to both factors, ``delta`` and ``h``, it gives the factors of
    the unit gradient embeddings ``g / |g|``, whose squared distances are
    twice the cosine distances ``1 - cos(g_i, g_j)``.

    Parameters
    ----------
    a : ndarray, scipy sparse matrix or torch.Tensor of shape (n, d)

    Returns
    -------
    unit : same kind as ``a``, shape (n, d)
        Dense numpy arrays and torch tensors keep their floating dtype
        (the norms are computed in float64 on the host, in the tensor's
        dtype, rows first divided by their largest entry, on its
        device); a sparse matrix comes back as CSR.

    Examples
    --------
    >>> import numpy as np
    >>> from skactiveml_badge.selection import unit_rows
    >>> unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    array([[0.6, 0.8],
           [0. , 0. ]])
    """
    if is_torch_tensor(a):
        # Divided by the largest entry first: no square under- or
        # overflows in the tensor's dtype.
        top = a.abs().amax(dim=1, keepdim=True)
        a = a / top.masked_fill(top == 0, 1.0)
        norms = a.norm(dim=1, keepdim=True)
        return a / norms.masked_fill(norms == 0, 1.0)
    if sp.issparse(a):
        a = sp.csr_matrix(a)
        norms = np.sqrt(csr_row_sq_norms(a))
        inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
        return sp.csr_matrix(sp.diags(inv.astype(a.dtype)) @ a)
    a = np.asarray(a)
    dtype = a.dtype if np.issubdtype(a.dtype, np.floating) else np.float64
    norms = np.linalg.norm(a.astype(np.float64, copy=False), axis=1)
    inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return (a * inv[:, None]).astype(dtype, copy=False)
