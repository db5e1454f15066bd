"""Torch nets: scikit-activeml's ``SkorchClassifier`` and skorch nets (also
inside a ``SklearnClassifier``).

The net is run once, in evaluation mode and minibatches, with a forward
hook on its last ``Linear`` layer with one output per class (or a layer
the user names); the hook records that layer's input, ``h``. MC dropout
optionally averages the probabilities over passes with dropout active.
The model's weights and train/eval modes are left as they were.

Models are recognised by duck typing (:mod:`._private_api`), so ``torch``
(an optional dependency, ``pip install 'scikit-activeml-badge[torch]'``)
is imported only when a torch net is met.
"""

import contextlib

import numpy as np

from .._optional import import_optional
from ..exceptions import UntrainedModelWarning, warn
from . import _private_api as api
from ._outputs import check_outputs, n_samples


def _torch():
    return import_optional("torch")


def torch_parts(clf):
    """``(module, proba_fn)`` if ``clf`` is (or wraps) a torch net, else
    None; ``proba_fn`` maps the module's output to probabilities as the
    model's own ``predict_proba`` does."""
    net = api.skorch_wrapper_net(clf)
    if net is not None and api.is_skorch_net(net):
        # The wrapper's first forward output is its probabilities.
        idx, transform = api.wrapper_proba_output(clf)

        def proba_fn(out):
            out = out if isinstance(out, tuple) else (out,)
            return out[idx] if transform is None else transform(out[idx])

        return api.net_module(net), proba_fn
    est = api.inner_estimator(clf)
    if api.is_skorch_net(est):
        nonlinearity = api.predict_nonlinearity(est)

        def proba_fn(out):
            return nonlinearity(out[0] if isinstance(out, tuple) else out)

        return api.net_module(est), proba_fn
    return None


def handles(clf):
    """A fitted torch net, bare or wrapped."""
    return torch_parts(clf) is not None


def embed(
    clf,
    X,
    *,
    embedding_layer=None,
    include_bias=False,
    dl_batch_size=1024,
    as_tensor=False,
    mc_dropout=0,
    mc_seed=0,
    **_,
):
    """Class probabilities and the input of the net's embedding layer.

    Warns (:class:`UntrainedModelWarning`) if the net looks untrained.
    See :func:`hooked_forward` for the parameters; ``**_`` takes the
    options of the other adapters, ignored.

    Returns
    -------
    proba : ndarray or Tensor of shape (n_samples, n_classes)
    h : ndarray or Tensor of shape (n_samples, n_features (+1))
    """
    module, proba_fn = torch_parts(clf)
    reason = untrained_reason(clf)
    if reason is not None:
        warn(
            f"The torch net of {type(clf).__name__} looks untrained: "
            f"{reason}. Its gradient embeddings carry no information "
            "from the labels. skactiveml.classifier.SkorchClassifier "
            "trains skorch modules with any missing_label.",
            UntrainedModelWarning,
        )
    classes = getattr(clf, "classes_", None)
    proba, h = hooked_forward(
        module,
        X,
        proba_fn,
        None if classes is None else len(classes),
        layer=embedding_layer,
        dl_batch_size=dl_batch_size,
        include_bias=include_bias,
        as_tensor=as_tensor,
        mc_dropout=mc_dropout,
        mc_seed=mc_seed,
    )
    if as_tensor:
        return _check_tensor_outputs(proba, h)
    return check_outputs(proba, h, n_samples(X))


def untrained_reason(clf):
    """Why ``clf``'s torch net looks untrained, or None if it looks fine.

    - scikit-activeml's ``SklearnClassifier`` catches a failing ``fit`` of
      the estimator, warns once and falls back to label counts
      (``is_fitted_`` is False); a skorch ``NeuralNetClassifier`` inside it
      fails this way whenever ``missing_label`` is NaN, because the labels
      then reach skorch as float64 and cross-entropy needs int64 targets.
    - A skorch history without a finite ``train_loss`` means no training
      step was made (no labeled sample) or the loss diverged.
    """
    if api.could_not_fit(clf):
        return (
            "its estimator could not be fitted (SklearnClassifier fell back "
            "to label counts; for a skorch net this happens when "
            "missing_label is NaN, since the labels reach skorch as float64)"
        )
    net = api.skorch_wrapper_net(clf)
    if net is None:
        net = api.inner_estimator(clf)
    losses = api.train_losses(net)
    if losses is None:
        return None
    if not any(loss is not None for loss in losses):
        return "it has made no training step (no labeled samples?)"
    if not np.isfinite([x for x in losses if x is not None]).all():
        return "its training loss is not finite"
    return None


def _check_tensor_outputs(proba, emb):
    torch = _torch()
    for name, t in (("probabilities", proba), ("embeddings", emb)):
        if not bool(torch.isfinite(t).all()):
            raise ValueError(
                f"The net returned non-finite {name}; was it trained?"
            )
    return proba, emb


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
    return isinstance(m, _torch().nn.Linear)


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
    torch = _torch()
    drops = api.dropout_layers(module)
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
    proba_of_layer=False,
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
    proba_of_layer : bool, default=False
        Apply ``proba_fn`` to the embedding layer's output instead of the
        module's (e.g. ``torch.sigmoid`` on the logits of a multi-label
        head, whatever the module does after it). Not with
        ``mc_dropout``.

    Returns
    -------
    proba : ndarray or Tensor of shape (n_samples, n_classes)
    h : ndarray or Tensor of shape (n_samples, n_features (+1))
    """
    torch = _torch()
    _, linear = find_last_linear(module, n_classes, layer)
    if device is None:
        device = next(module.parameters()).device
    dtype = _input_dtype(module, X)
    captured = []
    handle = linear.register_forward_hook(
        lambda mod, inputs, out: captured.append(
            (inputs[0].detach(), out.detach())
        )
    )
    probas, hs = [], []
    batches = [
        X[start : start + dl_batch_size]
        for start in range(0, X.shape[0], dl_batch_size)
    ]
    # Numpy results are written batch by batch into their arrays, so that h
    # is not held twice (a list of batches, then their concatenation).
    into = None if as_tensor else _Outputs(X.shape[0], include_bias)
    try:
        with _eval_mode(module), torch.no_grad():
            for x in batches:
                xb = torch.as_tensor(x).to(device=device, dtype=dtype)
                captured.clear()
                out = module(xb)
                if not captured:
                    raise RuntimeError(
                        "The embedding layer was not called in the forward "
                        "pass; name the right one with `embedding_layer`."
                    )
                h, logits = captured[-1]
                out = logits if proba_of_layer else out
                proba_b = proba_fn(out).detach()
                h_b = h.reshape(xb.shape[0], -1)
                if into is None:
                    probas.append(proba_b)
                    hs.append(h_b)
                else:
                    into.add(proba_b, h_b)
            if mc_dropout:
                probas = _mc_dropout_proba(
                    module, batches, proba_fn, device, dtype, mc_dropout,
                    mc_seed,
                )  # fmt: skip
    finally:
        handle.remove()
    if into is not None and into.h is not None:
        if mc_dropout:
            into.proba[:] = torch.cat(probas).cpu().numpy()
        return into.proba, into.finish()
    proba, h = torch.cat(probas), torch.cat(hs)
    if include_bias:
        h = torch.cat([h, torch.ones_like(h[:, :1])], dim=1)
    if as_tensor:
        return proba, h
    return proba.cpu().numpy(), h.cpu().numpy()


class _Outputs:
    """Numpy arrays that :func:`hooked_forward`'s batches are written
    into, made at the first batch (its shapes and dtypes); ``h`` has one
    more column, of ones, with ``include_bias``."""

    def __init__(self, n, include_bias):
        self.n, self.bias = n, bool(include_bias)
        self.proba = self.h = None
        self.filled = 0

    def add(self, proba, h):
        proba, h = proba.cpu().numpy(), h.cpu().numpy()
        if self.h is None:
            self.proba = np.empty((self.n, proba.shape[1]), proba.dtype)
            self.h = np.empty((self.n, h.shape[1] + self.bias), h.dtype)
        stop = self.filled + h.shape[0]
        self.proba[self.filled : stop] = proba
        self.h[self.filled : stop, : h.shape[1]] = h
        self.filled = stop

    def finish(self):
        if self.bias:
            self.h[:, -1] = 1
        return self.h


def _mc_dropout_proba(module, batches, proba_fn, device, dtype, n, seed):
    """Per batch, the mean probabilities of ``n`` passes with dropout."""
    torch = _torch()
    out = []
    with _dropout_active(module, seed):
        for x in batches:
            xb = torch.as_tensor(x).to(device=device, dtype=dtype)
            total = proba_fn(module(xb)).detach()
            for _ in range(n - 1):
                total = total + proba_fn(module(xb)).detach()
            out.append(total / n)
    return out
