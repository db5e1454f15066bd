"""Reduced embeddings: ``h`` projected to ``n_components`` columns.

The gradient embedding ``g = delta (x) h`` keeps its rank-one form when
``h`` is replaced by ``h W`` for a ``D x k`` matrix ``W``: the kernels then
draw exactly from BADGE's distribution for the reduced embeddings
``delta (x) h W``. Two choices of ``W``:

- ``"svd"``: the top ``k`` right singular vectors of the candidates' ``h``
  (a truncated SVD without centring, since distances between gradient
  embeddings change when ``h`` is shifted): the best rank-``k``
  approximation of ``h``, so inner products ``<h_i, h_j>`` are kept as
  well as ``k`` columns can. It needs every candidate's ``h`` at once.
- ``"random"``: a Gaussian random projection, ``N(0, 1/k)`` entries
  (Johnson-Lindenstrauss: inner products are kept in expectation), made
  from a seed alone, so it is applied block by block to a pool on disk or
  on Dask.
"""

import functools

import numpy as np
import scipy.sparse as sp

from ._arrays import is_torch_tensor

REDUCTIONS = (None, "svd", "random")


@functools.lru_cache(maxsize=4)
def random_projection(n_features, n_components, seed):
    """The ``(n_features, n_components)`` Gaussian projection of a seed,
    entries ``N(0, 1 / n_components)``, float64, read-only. Cached: a pool
    embedded block by block projects every block with one matrix, drawn
    once."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((n_features, n_components)) / np.sqrt(n_components)
    W.flags.writeable = False
    return W


def svd_projection(h, n_components, seed):
    """The top ``n_components`` right singular vectors of ``h`` (dense,
    sparse or a torch tensor), as a ``(D, n_components)`` float64 array
    (scikit-learn's randomized SVD, seeded, its default power
    iterations)."""
    from sklearn.utils.extmath import randomized_svd

    if is_torch_tensor(h):
        h = h.detach().cpu().numpy()
    if not sp.issparse(h):
        h = np.asarray(h)
        if not np.issubdtype(h.dtype, np.floating):
            h = h.astype(np.float64)
    # Computed in h's own precision: no float64 copy of a float32 h.
    _, _, vt = randomized_svd(h, n_components, random_state=seed)
    return np.asarray(vt.T, dtype=np.float64)


def project(h, W):
    """``h @ W`` for a dense or sparse array or a torch tensor, in ``h``'s
    floating dtype (float32 for sparse or integer input)."""
    if is_torch_tensor(h):
        import torch

        return h @ torch.from_numpy(W).to(device=h.device, dtype=h.dtype)
    if sp.issparse(h):
        return np.asarray(h @ W, dtype=np.float32)
    h = np.asarray(h)
    dtype = h.dtype if np.issubdtype(h.dtype, np.floating) else np.float32
    return np.asarray(h @ W.astype(dtype, copy=False), dtype=dtype)


def reduce_h(h, reduction, n_components, seed):
    """``h`` with at most ``n_components`` columns: projected by
    ``reduction`` when it has more, else as it is."""
    if reduction is None or h.shape[1] <= n_components:
        return h
    if reduction == "svd":
        W = svd_projection(h, n_components, seed)
    else:
        W = random_projection(h.shape[1], n_components, seed)
    return project(h, W)
