"""The one array layer of the selection kernels: numpy or torch.

The factors are converted once, at the edge (:func:`as_factors`), into
arrays of one backend, together with an ``ops`` object (:class:`NumpyOps`
or :class:`TorchOps`) holding the few operations whose spelling differs
between numpy and torch. Algorithm code calls ``ops`` and the operators
both libraries share (``@``, ``*``, slicing) and never asks which backend
it runs on. torch is imported only when a tensor is met or asked for.
"""

import functools

import numpy as np
import scipy.sparse as sp

from .._validation import check_dtype

BACKENDS = ("auto", "numpy", "torch")
HALF_DTYPES = ("float16", "bfloat16")


def is_torch_tensor(x) -> bool:
    """Whether ``x`` is a torch tensor (without importing torch)."""
    return type(x).__module__.startswith("torch") and hasattr(x, "device")


def to_numpy(x):
    """``x`` as a numpy array (a torch tensor is brought to the host)."""
    if is_torch_tensor(x):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def resolve_backend(backend, h):
    """``"auto"``: torch for factors held in a CUDA tensor, else numpy."""
    if backend != "auto":
        return backend
    if is_torch_tensor(h) and h.device.type != "cpu":
        return "torch"
    return "numpy"


class NumpyOps:
    """Backend-neutral operations on numpy arrays of one float dtype.

    Parameters
    ----------
    dtype : numpy float dtype
        The compute dtype.
    """

    name = "numpy"
    # Functions with numpy's ``out=`` convention, shared by both backends.
    mul, add, greater, minimum = np.multiply, np.add, np.greater, np.minimum

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)
        self.np_dtype = self.dtype

    # -- creation and transfer
    def empty(self, shape, dtype=None):
        return np.empty(shape, dtype=self.dtype if dtype is None else dtype)

    def full(self, shape, value):
        return np.full(shape, value, dtype=self.dtype)

    def eye(self, n):
        return np.eye(n, dtype=self.dtype)

    def asarray(self, a):
        return np.asarray(a, dtype=self.dtype)

    def asindex(self, idx):
        """Host integer indices in a form that indexes the backend."""
        return idx

    def to_host(self, a):
        """``a`` as a float64 numpy array."""
        return np.asarray(a, dtype=np.float64)

    def host_slice(self, a, start, stop):
        return a[start:stop]

    def to_compute(self, block):
        """Rows of a half-precision array in the compute dtype."""
        if block.dtype == self.dtype:
            return block
        if _torch_available():
            # numpy's float16 -> float32 cast is scalar code (about 5 ns
            # per value here); torch's is vectorised (under 1 ns).
            import torch

            t = torch.from_numpy(np.ascontiguousarray(block))
            return t.to(getattr(torch, self.dtype.name)).numpy()
        return block.astype(self.dtype)

    # -- reductions
    def matvec(self, a, v, out):
        return np.dot(a, v, out=out)

    def row_sq_norms(self, a):
        return np.einsum("ij,ij->i", a, a)

    def row_min(self, a):
        return a.min(1)

    def block_sums(self, weights, block):
        """Float64 sums of consecutive blocks of ``block`` weights, on the
        host (the last block may be shorter)."""
        n = weights.shape[0]
        n_full = n // block * block
        sums = weights[:n_full].reshape(-1, block).sum(1, dtype=np.float64)
        if n_full < n:
            sums = np.append(sums, weights[n_full:].sum(dtype=np.float64))
        return sums

    def argmax_first(self, weights):
        """Index and value of the largest weight, the lowest on ties."""
        idx = int(np.argmax(weights))
        return idx, float(weights[idx])

    def all_finite(self, a):
        return bool(np.isfinite(a).all())

    # -- linear algebra (BAIT)
    def einsum(self, spec, *operands):
        return np.einsum(spec, *operands, optimize=True)

    def permute(self, a, axes):
        return np.transpose(a, axes)

    def cat(self, arrays, axis=0):
        return np.concatenate(arrays, axis=axis)

    def solve(self, a, b):
        return np.linalg.solve(a, b)

    def inv(self, a):
        return np.linalg.inv(a)

    def eigh(self, a):
        return np.linalg.eigh(a)

    def sqrt(self, a):
        """Square root, clipping negative round-off to zero."""
        return np.sqrt(np.maximum(a, 0))


class TorchOps(NumpyOps):
    """The operations of :class:`NumpyOps` on torch tensors of one dtype
    and device (CPU or GPU); results for the host are numpy arrays."""

    name = "torch"

    def __init__(self, dtype, device):
        import torch

        self._t = torch
        self.np_dtype = np.dtype(dtype)
        self.dtype = getattr(torch, self.np_dtype.name)
        self.device = torch.device(device)
        self.mul, self.add = torch.mul, torch.add
        self.greater, self.minimum = torch.gt, torch.minimum

    def empty(self, shape, dtype=None):
        if dtype is bool:
            dtype = self._t.bool
        return self._t.empty(
            shape, dtype=self.dtype if dtype is None else dtype,
            device=self.device,
        )  # fmt: skip

    def full(self, shape, value):
        return self._t.full(
            (shape,) if np.ndim(shape) == 0 else shape, value,
            dtype=self.dtype, device=self.device,
        )  # fmt: skip

    def eye(self, n):
        return self._t.eye(n, dtype=self.dtype, device=self.device)

    def asarray(self, a):
        return self._t.as_tensor(a, dtype=self.dtype, device=self.device)

    def asindex(self, idx):
        return self._t.as_tensor(idx, device=self.device)

    def to_host(self, a):
        return a.detach().cpu().numpy().astype(np.float64)

    def host_slice(self, a, start, stop):
        return a[start:stop].cpu().numpy()

    def to_compute(self, block):
        return block if block.dtype == self.dtype else block.to(self.dtype)

    def matvec(self, a, v, out):
        return self._t.mv(a, v, out=out)

    def row_sq_norms(self, a):
        return (a * a).sum(1)

    def row_min(self, a):
        return a.min(1).values

    def block_sums(self, weights, block):
        f64 = self._t.float64
        n = weights.shape[0]
        n_full = n // block * block
        parts = [weights[:n_full].reshape(-1, block).sum(1, dtype=f64)]
        if n_full < n:
            parts.append(weights[n_full:].sum(dtype=f64).reshape(1))
        return self._t.cat(parts).cpu().numpy()

    def argmax_first(self, weights):
        # torch.argmax does not promise the first index on ties.
        value = weights.max()
        idx = int(self._t.nonzero(weights == value)[0, 0])
        return idx, float(value)

    def all_finite(self, a):
        return bool(self._t.isfinite(a).all())

    def einsum(self, spec, *operands):
        return self._t.einsum(spec, *operands)

    def permute(self, a, axes):
        return a.permute(*axes)

    def cat(self, arrays, axis=0):
        return self._t.cat(arrays, dim=axis)

    def solve(self, a, b):
        return self._t.linalg.solve(a, b)

    def inv(self, a):
        return self._t.linalg.inv(a)

    def eigh(self, a):
        return self._t.linalg.eigh(a)

    def sqrt(self, a):
        return a.clamp(min=0).sqrt()


@functools.cache
def _torch_available():
    """Whether torch can be imported (looked up once: the lazy kernel
    converts half-precision rows on every proposal)."""
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def csr_row_sq_norms(h):
    """Squared row norms of a CSR matrix, summed in float64, in ``h``'s
    dtype (a reduction over ``h.data``: no product matrix is formed)."""
    if not h.has_canonical_format:  # repeated entries add up first
        h = h.copy()
        h.sum_duplicates()
    out = np.zeros(h.shape[0])
    starts = h.indptr[:-1]
    filled = np.diff(h.indptr) > 0
    if filled.any():
        data = h.data.astype(np.float64)
        out[filled] = np.add.reduceat(data * data, starts[filled])
    return out.astype(h.dtype)


def as_factors(
    delta,
    h,
    *,
    dtype=np.float32,
    backend="auto",
    device=None,
    storage_dtype=None,
    check_finite=True,
    names=("delta", "h"),
    half_checked_later=False,
):
    """Validate the factors and convert them, once, to one backend.

    Parameters
    ----------
    delta : array-like or torch.Tensor of shape (n_samples, n_classes)
    h : array-like, sparse matrix or torch.Tensor of shape \
(n_samples, n_features)
    dtype : np.float32 or np.float64, default=np.float32
        Compute dtype (of ``delta``, and of ``h`` unless ``storage_dtype``).
    backend : {"auto", "numpy", "torch"}, default="auto"
        See :func:`resolve_backend`. A sparse ``h`` stays sparse on numpy
        (for the plain kernels) and is made dense for torch or
        ``storage_dtype``.
    device : str, torch.device or None, default=None
        Torch only; ``None`` keeps tensors where they are (numpy arrays go
        to the CPU).
    storage_dtype : None, "float16" or "bfloat16", default=None
        Hold ``h`` in half precision (``"bfloat16"``: torch only). Raises
        if a value of ``h`` overflows its range.
    check_finite : bool, default=True
        Whether to scan for NaN and infinity (callers that checked the
        classifier's outputs skip this pass over ``h``).
    names : tuple of two str, default=("delta", "h")
        Parameter names in error messages.
    half_checked_later : bool, default=False
        With ``storage_dtype="float16"``, leave the scan of the float16 ``h``
        to the caller's pass over its rows (the lazy kernels' norms,
        :meth:`LazyDistances._norms`, raise the same error). Scanning a
        float16 array takes numpy about as long as the whole selection.

    Returns
    -------
    delta, h : arrays of the backend (``h`` may be a CSR matrix)
    ops : NumpyOps or TorchOps
    """
    dtype = check_dtype(dtype)
    if backend not in BACKENDS:
        raise ValueError(
            f"`backend` must be one of {list(BACKENDS)}, got {backend!r}."
        )
    if storage_dtype is not None and storage_dtype not in HALF_DTYPES:
        raise ValueError(
            f"`storage_dtype` must be None or one of {list(HALF_DTYPES)}, "
            f"got {storage_dtype!r}."
        )
    backend = resolve_backend(backend, h)
    if sp.issparse(h) and (backend == "torch" or storage_dtype is not None):
        # The lazy kernels and torch need a dense h (leaf embeddings have
        # at most ``leaf_dim`` columns, plus the features for
        # "proximity+X").
        h = h.toarray()
    if storage_dtype == "bfloat16" and backend != "torch":
        raise ValueError(
            "`storage_dtype='bfloat16'` needs backend='torch' (numpy has no "
            "bfloat16)."
        )
    convert = _to_torch if backend == "torch" else _to_numpy
    out, ops = convert(delta, h, dtype, storage_dtype, device, names)
    for name, arr in zip(names, out, strict=True):
        if arr.ndim != 2:
            raise ValueError(
                f"`{name}` must be a 2-D array of shape (n_samples, ...), "
                f"got shape {tuple(arr.shape)}."
            )
    _check_rows(out, names)
    if check_finite or storage_dtype is not None:
        for name, arr in zip(names, out, strict=True):
            if (
                name == names[1]
                and storage_dtype == "float16"
                and (half_checked_later)
            ):
                continue
            data = arr.data if sp.issparse(arr) else arr
            if not ops.all_finite(data):
                raise ValueError(non_finite_message(name, storage_dtype))
    return out[0], out[1], ops


def non_finite_message(name, storage_dtype):
    if name == "h" and storage_dtype is not None:
        return (
            f"`h` has values outside the {storage_dtype} range (or NaN); "
            "use storage_dtype=None."
        )
    return f"`{name}` contains NaN or infinite values."


def _check_rows(out, names):
    if out[0].shape[0] != out[1].shape[0]:
        raise ValueError(
            f"`{names[0]}` and `{names[1]}` must have the same number of "
            f"rows, got {out[0].shape[0]} and {out[1].shape[0]}."
        )
    if out[0].shape[0] == 0:
        raise ValueError(
            f"`{names[0]}` and `{names[1]}` must have at least one row."
        )


def _to_numpy(delta, h, dtype, storage_dtype, device, names):
    out = []
    for name, arr in zip(names, (delta, h), strict=True):
        if sp.issparse(arr) and name == names[1]:
            out.append(sp.csr_matrix(arr, dtype=dtype))
            continue
        arr = to_numpy(arr)
        if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
            raise TypeError(f"`{name}` must be real-valued, got {arr.dtype}.")
        target = dtype
        if name == names[1] and storage_dtype is not None:
            target = np.float16
        with np.errstate(over="ignore"):  # overflow is reported later
            out.append(np.ascontiguousarray(arr, dtype=target))
    return out, NumpyOps(dtype)


def _to_torch(delta, h, dtype, storage_dtype, device, names):
    import torch

    out = []
    for name, arr in zip(names, (delta, h), strict=True):
        t = torch.as_tensor(arr)
        if t.is_complex() or t.dtype == torch.bool:
            raise TypeError(f"`{name}` must be real-valued, got {t.dtype}.")
        if device is not None:
            t = t.to(device)
        target = getattr(torch, dtype.name)
        if name == names[1] and storage_dtype is not None:
            target = getattr(torch, storage_dtype)
        out.append(t.to(dtype=target).contiguous())
    if out[0].device != out[1].device:
        raise ValueError(
            f"`{names[0]}` and `{names[1]}` must live on the same device."
        )
    return out, TorchOps(dtype, out[0].device)
