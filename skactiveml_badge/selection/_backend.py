"""Choice of the array backend that holds the factors during selection."""

import numpy as np
import scipy.sparse as sp

from ._arrays import is_torch_tensor
from ._distances import NearestCentreDistances

BACKENDS = ("auto", "numpy", "torch")

__all__ = ["BACKENDS", "is_torch_tensor", "make_state", "resolve_backend"]


def resolve_backend(backend, h):
    """``"auto"``: torch for factors held in a CUDA tensor, else numpy."""
    if backend != "auto":
        return backend
    if sp.issparse(h):
        return "numpy"
    if is_torch_tensor(h) and h.device.type != "cpu":
        return "torch"
    return "numpy"


def make_state(
    delta, h, backend, dtype, chunk_size, device=None, check_finite=True
):
    """The distance state of a seeding kernel on the chosen backend.

    Parameters
    ----------
    delta, h : ndarray or torch.Tensor
        Clean factors (numpy arrays for ``"numpy"``).
    backend : {"numpy", "torch"}
    dtype : np.float32 or np.float64
    chunk_size : int
    device : str, torch.device or None
        Torch only; ``None`` keeps tensors where they are.
    check_finite : bool, default=True
        Torch only: scan the tensors for NaN and infinity (callers that
        checked them already skip this pass over ``h``).
    """
    if sp.issparse(h):
        if backend != "numpy":
            raise ValueError(
                "Sparse embeddings (exact leaf embeddings of trees) are "
                "supported by `backend='numpy'` only."
            )
        delta = np.ascontiguousarray(delta, dtype=dtype)
        h = sp.csr_matrix(h, dtype=dtype)
        return NearestCentreDistances(delta, h, chunk_size=chunk_size)
    if backend == "numpy":
        if is_torch_tensor(delta) or is_torch_tensor(h):
            delta, h = delta.cpu().numpy(), h.cpu().numpy()
        delta = np.ascontiguousarray(delta, dtype=dtype)
        h = np.ascontiguousarray(h, dtype=dtype)
        return NearestCentreDistances(delta, h, chunk_size=chunk_size)
    from ._torch import TorchNearestCentreDistances, as_tensors

    delta, h = as_tensors(delta, h, dtype, device, check_finite)
    return TorchNearestCentreDistances(delta, h, chunk_size=chunk_size)
