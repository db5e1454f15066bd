"""What every adapter returns: ``(proba, h)`` checked, the bias column,
the pseudo-label gradient of ``proba``, and the warning about untrained
models."""

import numpy as np
import scipy.sparse as sp

from .._frames import frame_features, is_frame


def logit_gradients(proba):
    """Loss gradient with respect to the logits at the pseudo-label.

    For cross-entropy at the predicted class ``yhat = argmax p`` the
    gradient with respect to the logits is ``p - onehot(yhat)``; the
    gradient embedding of BADGE is its outer product with the input of the
    last linear layer.

    Parameters
    ----------
    proba : ndarray or torch.Tensor of shape (n_samples, n_classes)
        Class probabilities.

    Returns
    -------
    delta : ndarray or torch.Tensor of shape (n_samples, n_classes)
        ``proba - onehot(argmax proba)``, in the dtype (and on the device)
        of ``proba``; ties go to the lowest class index.
    """
    if _is_torch_tensor(proba):
        delta = proba.clone()
        rows = range(delta.shape[0])
        delta[list(rows), delta.argmax(dim=1)] -= 1.0
        return delta
    delta = np.array(proba, copy=True)
    delta[np.arange(delta.shape[0]), np.argmax(delta, axis=1)] -= 1.0
    return delta


def _is_torch_tensor(x):
    # Recognised without importing torch, which is optional.
    return type(x).__module__.startswith("torch") and hasattr(x, "device")


def n_samples(X):
    """Number of samples of ``X`` (an array or a sequence)."""
    return X.shape[0] if hasattr(X, "shape") else len(X)


def append_ones(emb):
    """``emb`` with a column of ones appended (the bias gradient); sparse
    stays sparse."""
    if sp.issparse(emb):
        ones = sp.csr_matrix(np.ones((emb.shape[0], 1), dtype=emb.dtype))
        return sp.hstack([emb, ones], format="csr")
    return np.hstack([emb, np.ones((emb.shape[0], 1), dtype=emb.dtype)])


def finish(proba, emb, n, include_bias):
    """Checked ``(proba, emb)``, ``emb`` flattened per sample and with the
    bias column if ``include_bias``."""
    proba, emb = check_outputs(proba, emb, n)
    return proba, append_ones(emb) if include_bias else emb


def check_outputs(proba, emb, n_samples):
    """Numeric, finite ``(proba, emb)`` with ``n_samples`` rows each;
    ``emb`` flattened to ``(n_samples, n_features)`` (a sparse ``emb``
    stays sparse, as CSR)."""
    proba = check_proba(proba, n_samples)
    if sp.issparse(emb):
        emb = sp.csr_matrix(emb)
        if emb.shape[0] != n_samples:
            raise ValueError(
                f"Embeddings must have shape ({n_samples}, n_features), "
                f"got {emb.shape}."
            )
        check_numeric(emb.data, "embeddings")
        return proba, emb
    # A data frame (the samples themselves): its numeric features
    emb = frame_features(emb) if is_frame(emb) else np.asarray(emb)
    if emb.ndim < 2 or emb.shape[0] != n_samples:
        raise ValueError(
            f"Embeddings must have shape ({n_samples}, n_features), got "
            f"{emb.shape}."
        )
    return proba, check_numeric(emb.reshape(n_samples, -1), "embeddings")


def check_proba(proba, n_samples):
    """Numeric, finite probabilities of shape ``(n_samples, n_classes)``."""
    proba = np.asarray(proba)
    if proba.ndim != 2 or proba.shape[0] != n_samples:
        raise ValueError(
            f"Class probabilities must have shape ({n_samples}, n_classes), "
            f"got {proba.shape}."
        )
    return check_numeric(proba, "probabilities")


def check_numeric(arr, name):
    """``arr`` if it is numeric and finite; else a TypeError or ValueError
    naming ``name``."""
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"The {name} must be numeric, got {arr.dtype}.")
    if not np.isfinite(arr).all():
        raise ValueError(f"The classifier returned non-finite {name}.")
    return arr


#: The model protocol's methods (:mod:`._protocol`), in the order they are
#: looked for.
METHODS = ("encode", "leaf_embeddings")


def method_of(est):
    """``"encode"``, ``"leaf_embeddings"`` (the first the model ``est``
    has, callable) or None."""
    return next((m for m in METHODS if callable(getattr(est, m, None))), None)
