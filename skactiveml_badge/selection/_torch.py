"""Torch backend of the distance state: the factors stay on their device.

The seeding loops (``_kmeanspp``, ``_kcenter``) are shared with the numpy
backend; only the per-pick pass over the pool runs here, on CPU or GPU.
Random numbers are drawn on the host from the caller's RandomState, so both
backends pick the same indices up to floating-point round-off.
"""

import numpy as np

from .._optional import import_optional
from ._arrays import argmax_first, block_sums
from ._distances import DEFAULT_CHUNK_SIZE, roundoff_tolerance

torch = import_optional("torch")

_TORCH_DTYPES = {
    np.dtype(np.float32): "float32",
    np.dtype(np.float64): "float64",
}


def as_tensors(delta, h, dtype, device=None, check_finite=True):
    """Bring the factors to torch tensors of ``dtype`` on ``device``.

    ``device=None`` keeps tensors where they are and puts numpy arrays on
    the CPU. Raises like the numpy checks on NaN, infinity and shapes.
    """
    tdtype = getattr(torch, _TORCH_DTYPES[np.dtype(dtype)])
    out = []
    for name, arr in (("delta", delta), ("h", h)):
        t = torch.as_tensor(arr)
        if device is not None:
            t = t.to(device)
        t = t.to(dtype=tdtype).contiguous()
        if t.ndim != 2:
            raise ValueError(
                f"`{name}` must be a 2-D array of shape (n_samples, ...), "
                f"got shape {tuple(t.shape)}."
            )
        if check_finite and not bool(torch.isfinite(t).all()):
            raise ValueError(f"`{name}` contains NaN or infinite values.")
        out.append(t)
    if out[0].shape[0] != out[1].shape[0] or out[0].device != out[1].device:
        raise ValueError(
            "`delta` and `h` must have the same number of rows and live on "
            "the same device."
        )
    return out[0], out[1]


class TorchNearestCentreDistances:
    """Torch twin of :class:`~._distances.NearestCentreDistances`.

    Parameters
    ----------
    delta, h : torch.Tensor of shape (n_samples, C), (n_samples, D)
        Contiguous, same dtype and device.
    chunk_size : int, default=DEFAULT_CHUNK_SIZE
    """

    def __init__(self, delta, h, chunk_size=DEFAULT_CHUNK_SIZE):
        self.delta, self.h = delta, h
        self.chunk_size = int(chunk_size)
        self.sq_norms = (delta * delta).sum(1) * (h * h).sum(1)
        n = delta.shape[0]
        self.min_sq_dist = torch.full_like(self.sq_norms, float("inf"))
        self.is_centre = np.zeros(n, dtype=bool)
        self.eligible = None
        self._eligible_t = None
        np_dtype = np.float32 if h.dtype == torch.float32 else np.float64
        self._tol = roundoff_tolerance(
            np_dtype, max(delta.shape[1], h.shape[1])
        )

    @property
    def n_samples(self):
        return self.sq_norms.shape[0]

    def add_centre(self, idx, update=True):
        self.is_centre[idx] = True
        if not update:
            return
        d_c, h_c, a_c = self.delta[idx], self.h[idx], self.sq_norms[idx]
        n = self.n_samples
        for start in range(0, n, self.chunk_size):
            stop = min(start + self.chunk_size, n)
            dist = self.delta[start:stop] @ d_c
            dist.mul_(self.h[start:stop] @ h_c).mul_(-2.0)
            bound = self.sq_norms[start:stop] + a_c
            dist.add_(bound)
            # Below the formula's round-off (or negative): zero.
            dist.mul_(dist > bound.mul_(self._tol))
            torch.minimum(
                self.min_sq_dist[start:stop],
                dist,
                out=self.min_sq_dist[start:stop],
            )
        self.min_sq_dist[idx] = 0.0

    def add_origin(self):
        torch.minimum(self.min_sq_dist, self.sq_norms, out=self.min_sq_dist)

    def weights(self, k):
        w = self.sq_norms if k == 0 else self.min_sq_dist
        return w if self._eligible_t is None else w * self._eligible_t

    def set_eligible(self, mask):
        self.eligible = np.asarray(mask, dtype=bool)
        self._eligible_t = torch.as_tensor(
            self.eligible, device=self.sq_norms.device
        ).to(self.sq_norms.dtype)

    def block_sums(self, weights, block):
        return block_sums(weights, block)

    def block(self, weights, start, stop):
        return weights[start:stop].cpu().numpy()

    def argmax(self, weights):
        return argmax_first(weights)

    def to_host(self, weights):
        return weights.cpu().numpy().astype(np.float64)

    def remaining(self):
        free = ~self.is_centre
        if self.eligible is not None:
            free &= self.eligible
        return np.flatnonzero(free)
