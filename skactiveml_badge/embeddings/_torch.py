"""Last-layer inputs of PyTorch modules, recorded by a forward hook.

Imported only when a torch model is met; ``torch`` is an optional
dependency (``pip install 'scikit-activeml-badge[torch]'``).
"""

import contextlib

import numpy as np

from .._optional import import_optional

torch = import_optional("torch")


def find_last_linear(module, n_classes, layer=None):
    """The ``torch.nn.Linear`` layer whose input is the embedding.

    Parameters
    ----------
    module : torch.nn.Module
        The network.
    n_classes : int
        Number of classes: without ``layer``, the last ``Linear`` (in the
        order of ``module.named_modules()``) with this many outputs is
        taken.
    layer : str or None, default=None
        Name of the layer in ``module.named_modules()`` (e.g.
        ``"head.fc"``), for models with several heads.

    Returns
    -------
    name : str
    linear : torch.nn.Linear
    """
    named = dict(module.named_modules())
    if layer is not None:
        if not isinstance(layer, str) or layer not in named:
            names = [n for n, m in named.items() if _is_linear(m)]
            raise ValueError(
                f"`embedding_layer={layer!r}` is not a layer of the module; "
                f"its Linear layers are {names}."
            )
        if not _is_linear(named[layer]):
            raise ValueError(
                f"`embedding_layer={layer!r}` is a "
                f"{type(named[layer]).__name__}, not a torch.nn.Linear."
            )
        return layer, named[layer]
    found = [
        (name, m)
        for name, m in named.items()
        if _is_linear(m) and m.out_features == n_classes
    ]
    if not found:
        linears = {
            n: m.out_features for n, m in named.items() if _is_linear(m)
        }
        raise ValueError(
            f"The module has no torch.nn.Linear layer with {n_classes} "
            f"outputs (one per class); its Linear layers and output sizes "
            f"are {linears}. Name the layer whose input is the embedding "
            "with `embedding_layer=<name>` (a name from "
            "module.named_modules())."
        )
    return found[-1]


def _is_linear(m):
    return isinstance(m, torch.nn.Linear)


@contextlib.contextmanager
def _eval_mode(module):
    """Evaluation mode inside, every submodule's own mode restored after."""
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield
    finally:
        for m, training in modes:
            m.training = training


def _input_dtype(module, X):
    """Floating inputs take the dtype of the module's first parameter."""
    if not np.issubdtype(X.dtype, np.floating):
        return None  # e.g. token ids for an embedding layer
    floats = (p.dtype for p in module.parameters() if p.is_floating_point())
    return next(floats, None)


def hooked_forward(
    module,
    X,
    proba_fn,
    n_classes,
    *,
    layer=None,
    dl_batch_size=1024,
    device=None,
    include_bias=False,
    as_tensor=False,
):
    """Class probabilities and last-layer inputs in one pass.

    The pass runs in evaluation mode under ``torch.no_grad()``, in
    minibatches of ``dl_batch_size`` samples on the device the module lives
    on; the module's train/eval state is restored and the hook removed
    afterwards, also when the pass fails.

    Parameters
    ----------
    module : torch.nn.Module
    X : ndarray of shape (n_samples, ...)
        Inputs of any shape the module accepts.
    proba_fn : callable
        Maps the module's output (a tensor or a tuple) to probabilities.
    n_classes : int
    layer : str or None, default=None
        See :func:`find_last_linear`.
    dl_batch_size : int, default=1024
    device : str, torch.device or None, default=None
        ``None``: the device of the module's parameters.
    include_bias : bool, default=False
        Append a constant 1 to ``h`` (the gradient of the bias).
    as_tensor : bool, default=False
        Return tensors on ``device`` instead of numpy arrays.

    Returns
    -------
    proba : ndarray or Tensor of shape (n_samples, n_classes)
    h : ndarray or Tensor of shape (n_samples, n_features (+1))
    """
    _, linear = find_last_linear(module, n_classes, layer)
    if device is None:
        device = next(module.parameters()).device
    dtype = _input_dtype(module, X)
    captured = []
    handle = linear.register_forward_hook(
        lambda mod, inputs, out: captured.append(inputs[0].detach())
    )
    probas, hs = [], []
    try:
        with _eval_mode(module), torch.no_grad():
            for start in range(0, X.shape[0], dl_batch_size):
                xb = torch.as_tensor(X[start : start + dl_batch_size])
                xb = xb.to(device=device, dtype=dtype)
                captured.clear()
                probas.append(proba_fn(module(xb)).detach())
                if not captured:
                    raise RuntimeError(
                        "The embedding layer was not called in the forward "
                        "pass; name the right one with `embedding_layer`."
                    )
                hs.append(captured[-1].reshape(xb.shape[0], -1))
    finally:
        handle.remove()
    proba, h = torch.cat(probas), torch.cat(hs)
    if include_bias:
        h = torch.cat([h, torch.ones_like(h[:, :1])], dim=1)
    if as_tensor:
        return proba, h
    return proba.cpu().numpy(), h.cpu().numpy()
