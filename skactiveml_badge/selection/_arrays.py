"""Small operations on numpy arrays or torch tensors (torch not imported)."""

import numpy as np


def is_torch_tensor(x):
    """Whether ``x`` is a torch tensor (without importing torch)."""
    return type(x).__module__.startswith("torch") and hasattr(x, "device")


def block_sums(weights, block):
    """Float64 sums of consecutive blocks of ``block`` weights, on the host.

    The last block may be shorter.
    """
    n = weights.shape[0]
    n_full = n // block * block
    if is_torch_tensor(weights):
        import torch

        f64 = torch.float64
        parts = [weights[:n_full].reshape(-1, block).sum(1, dtype=f64)]
        if n_full < n:
            parts.append(weights[n_full:].sum(dtype=f64).reshape(1))
        return torch.cat(parts).cpu().numpy()
    sums = weights[:n_full].reshape(-1, block).sum(1, dtype=np.float64)
    if n_full < n:
        sums = np.append(sums, weights[n_full:].sum(dtype=np.float64))
    return sums


def argmax_first(weights):
    """Index and value of the largest weight, the lowest index on ties.

    (``torch.argmax`` does not promise the first index on ties.)
    """
    if is_torch_tensor(weights):
        import torch

        value = weights.max()
        return int(torch.nonzero(weights == value)[0, 0]), float(value)
    idx = int(np.argmax(weights))
    return idx, float(weights[idx])
