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


@contextlib.contextmanager
def _dropout_active(module, seed):
    """Dropout layers in training mode and torch's RNG seeded with
    ``seed`` inside; the global RNG state and the modes restored after."""
    drops = [
        m
        for m in module.modules()
        if isinstance(m, torch.nn.modules.dropout._DropoutNd)
    ]
    if not drops:
        raise ValueError(
            "`mc_dropout` needs a net with dropout layers (torch.nn.Dropout "
            "and the like); this one has none."
        )
    devices = []
    params = list(module.parameters())
    if params and params[0].device.type == "cuda":
        devices = [params[0].device]
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(int(seed))
        for m in drops:
            m.train()
        try:
            yield
        finally:
            for m in drops:
                m.eval()


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
    mc_dropout=0,
    mc_seed=0,
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
    mc_dropout : int, default=0
        If positive, the probabilities are the mean over this many further
        passes with the dropout layers active (MC dropout, Gal and
        Ghahramani, ICML 2016); ``h`` still comes from the evaluation-mode
        pass. Raises a ``ValueError`` for a net without dropout layers.
    mc_seed : int, default=0
        Seed of torch's RNG for the MC-dropout passes (in a forked RNG:
        the caller's global torch RNG is left as it was).

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
    batches = [
        X[start : start + dl_batch_size]
        for start in range(0, X.shape[0], dl_batch_size)
    ]
    try:
        with _eval_mode(module), torch.no_grad():
            for x in batches:
                xb = torch.as_tensor(x).to(device=device, dtype=dtype)
                captured.clear()
                probas.append(proba_fn(module(xb)).detach())
                if not captured:
                    raise RuntimeError(
                        "The embedding layer was not called in the forward "
                        "pass; name the right one with `embedding_layer`."
                    )
                hs.append(captured[-1].reshape(xb.shape[0], -1))
            if mc_dropout:
                probas = _mc_dropout_proba(
                    module, batches, proba_fn, device, dtype, mc_dropout,
                    mc_seed,
                )  # fmt: skip
    finally:
        handle.remove()
    proba, h = torch.cat(probas), torch.cat(hs)
    if include_bias:
        h = torch.cat([h, torch.ones_like(h[:, :1])], dim=1)
    if as_tensor:
        return proba, h
    return proba.cpu().numpy(), h.cpu().numpy()


def _mc_dropout_proba(module, batches, proba_fn, device, dtype, n, seed):
    """Per batch, the mean probabilities of ``n`` passes with dropout."""
    out = []
    with _dropout_active(module, seed):
        for x in batches:
            xb = torch.as_tensor(x).to(device=device, dtype=dtype)
            total = proba_fn(module(xb)).detach()
            for _ in range(n - 1):
                total = total + proba_fn(module(xb)).detach()
            out.append(total / n)
    return out
