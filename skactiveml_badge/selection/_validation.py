"""Input checks shared by the public selection kernels."""

import numbers

import numpy as np
import scipy.sparse as sp

from ._distances import DEFAULT_CHUNK_SIZE

_DTYPES = {np.dtype(np.float32), np.dtype(np.float64)}


def check_bool(value, name):
    """Raise a TypeError unless ``value`` is a bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be a bool, got {value!r}.")
    return bool(value)


def check_positive_real(value, name):
    """A finite real number > 0, as a float (TypeError, ValueError)."""
    if isinstance(value, bool) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"`{name}` must be a real number, got {value!r}.")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"`{name}` must be finite and > 0, got {value}.")
    return float(value)


def check_dtype(dtype, name="dtype"):
    """Return ``dtype`` as a numpy float32/float64 dtype or raise."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(
            f"`{name}` must be np.float32 or np.float64, got {dtype!r}."
        ) from exc
    if dt not in _DTYPES:
        raise ValueError(
            f"`{name}` must be np.float32 or np.float64, got {dtype!r}."
        )
    return dt


def check_positive_int(value, name, allow_none=False):
    """Return ``value`` as an int >= 1 (or None if allowed) or raise."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(
        value, (numbers.Integral, np.integer)
    ):
        raise TypeError(f"`{name}` must be an int, got {value!r}.")
    if value < 1:
        raise ValueError(f"`{name}` must be >= 1, got {value}.")
    return int(value)


def check_factors(delta, h, dtype, check_finite=True):
    """Validate the rank-one factors and bring them to ``dtype``.

    Parameters
    ----------
    delta : array-like of shape (n_samples, n_classes)
    h : array-like or sparse matrix of shape (n_samples, n_features)
    dtype : numpy dtype
    check_finite : bool, default=True
        Whether to scan for NaN and infinity (skipped by callers that
        checked the classifier's outputs already: a pass over ``h``).

    Returns
    -------
    delta, h : C-contiguous ndarrays of ``dtype`` (copies only if needed).
    """
    out = []
    for name, arr in (("delta", delta), ("h", h)):
        if sp.issparse(arr) and name == "h":
            arr = sp.csr_matrix(arr, dtype=dtype)
            if check_finite and not np.isfinite(arr.data).all():
                raise ValueError("`h` contains NaN or infinite values.")
            out.append(arr)
            continue
        arr = np.asarray(arr)
        if arr.ndim != 2:
            raise ValueError(
                f"`{name}` must be a 2-D array of shape (n_samples, ...), "
                f"got shape {arr.shape}."
            )
        if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
            raise TypeError(f"`{name}` must be real-valued, got {arr.dtype}.")
        arr = np.ascontiguousarray(arr, dtype=dtype)
        if check_finite and not np.isfinite(arr).all():
            raise ValueError(f"`{name}` contains NaN or infinite values.")
        out.append(arr)
    if out[0].shape[0] != out[1].shape[0]:
        raise ValueError(
            "`delta` and `h` must have the same number of rows, got "
            f"{out[0].shape[0]} and {out[1].shape[0]}."
        )
    if out[0].shape[0] == 0:
        raise ValueError("`delta` and `h` must have at least one row.")
    return out[0], out[1]


def check_kernel_args(
    delta, h, n_picks, dtype, chunk_size, backend="auto", device=None
):
    """Validate what a seeding kernel receives; return its distance state.

    Returns
    -------
    state : NearestCentreDistances or TorchNearestCentreDistances
    n_picks : int
    """
    from ._backend import (
        BACKENDS,
        is_torch_tensor,
        make_state,
        resolve_backend,
    )

    dtype = check_dtype(dtype)
    n_picks = check_positive_int(n_picks, "n_picks")
    chunk_size = check_positive_int(chunk_size, "chunk_size", allow_none=True)
    if backend not in BACKENDS:
        raise ValueError(
            f"`backend` must be one of {list(BACKENDS)}, got {backend!r}."
        )
    backend = resolve_backend(backend, h)
    if backend == "numpy":
        if is_torch_tensor(delta) or is_torch_tensor(h):
            delta, h = delta.cpu().numpy(), h.cpu().numpy()
        delta, h = check_factors(delta, h, dtype)
    if delta.shape[0] == 0:
        raise ValueError("`delta` and `h` must have at least one row.")
    if n_picks > delta.shape[0]:
        raise ValueError(
            f"`n_picks={n_picks}` exceeds the number of samples "
            f"({delta.shape[0]})."
        )
    state = make_state(
        delta, h, backend, dtype, chunk_size or DEFAULT_CHUNK_SIZE, device
    )
    return state, n_picks
