"""Multi-label BADGE: rank-one gradient factors for independent sigmoids.

For ``L`` labels with logits ``z = W h + b`` and probabilities
``s = sigmoid(z)``, the summed binary cross-entropy at the pseudo-labels
``yhat_l = 1[s_l > 1/2]`` has the gradient ``delta (x) h`` with respect to
``W``, ``delta_l = s_l - yhat_l``. The selection kernels of
:mod:`skactiveml_badge.selection` therefore apply unchanged, with ``L`` in
place of the number of classes.
"""

import numpy as np

from .._optional import import_optional
from ._classifier import predict_flags
from ._mlp import hidden_activation, is_mlp
from ._nets import _is_linear, hooked_forward
from ._outputs import check_outputs, method_of, n_samples
from ._private_api import inner_estimator, is_skorch_net, net_module


def multilabel_gradient_factors(proba) -> np.ndarray:
    r"""Per-label loss gradients at the pseudo-labels, ``s - 1[s > 1/2]``.

    With ``L`` independent sigmoid outputs ``s_l = sigmoid(z_l)`` and the
    summed binary cross-entropy

    .. math::

        \ell(z, y) = -\sum_{l=1}^{L} y_l \log s_l + (1 - y_l) \log(1 - s_l),

    the gradient with respect to the logits is ``s - y``. At the
    pseudo-labels ``yhat_l = 1[s_l > 1/2]`` (``s_l = 1/2`` counts as
    negative) and for a last layer ``z = W h + b`` with ``W`` of shape
    ``(L, D)``, the gradient with respect to ``W`` is the rank-one matrix
    ``delta h^T`` with ``delta_l = s_l - yhat_l``. Each ``|delta_l|`` is at
    most ``1/2`` and largest for ``s_l`` near ``1/2``: the gradient
    embedding grows with the label-wise uncertainty.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_labels)
        Probability of every label being present, in ``[0, 1]``; the rows
        need not sum to one.

    Returns
    -------
    delta : ndarray of shape (n_samples, n_labels)
        ``proba - (proba > 0.5)``, as float64, in ``[-1/2, 1/2]``.

    Raises
    ------
    TypeError
        If ``proba`` is not numeric.
    ValueError
        If ``proba`` is not 2-D with at least one label, or holds NaN,
        infinity or values outside ``[0, 1]``.

    Examples
    --------
    >>> from skactiveml_badge import multilabel_gradient_factors
    >>> multilabel_gradient_factors([[0.9, 0.2, 0.5]])
    array([[-0.1,  0.2,  0.5]])
    """
    s = np.asarray(proba)
    if not np.issubdtype(s.dtype, np.number) or s.dtype == bool:
        raise TypeError(
            f"`proba` must hold numbers, got an array of dtype {s.dtype}."
        )
    if s.ndim != 2 or s.shape[1] == 0:
        raise ValueError(
            "`proba` must have shape (n_samples, n_labels) with "
            f"n_labels >= 1, got {s.shape}."
        )
    s = s.astype(np.float64)
    if not np.isfinite(s).all():
        raise ValueError("`proba` holds NaN or infinite values.")
    if s.size and (s.min() < 0.0 or s.max() > 1.0):
        raise ValueError(
            "`proba` must lie in [0, 1], got values in "
            f"[{s.min()!r}, {s.max()!r}]."
        )
    return s - (s > 0.5)


def multilabel_proba_and_embedding(
    clf,
    X,
    *,
    clf_embedding_flag_name=None,
    include_bias=False,
    n_labels=None,
    embedding_layer=None,
    dl_batch_size=1024,
):
    """Per-label probabilities and the input of the last linear layer.

    Four model families, asked in this order:

    - ``clf_embedding_flag_name`` given: ``clf.predict_proba(X, **flags)``
      must return ``(proba, embedding)``, as in scikit-activeml; ``proba``
      has one column per label.
    - a model with ``encode(X) -> (n_samples, D)`` (the design's model
      protocol, bare or in a scikit-activeml wrapper):
      ``clf.predict_proba(X)``, one column per label, and ``encode(X)``.
    - otherwise a scikit-learn ``MLPClassifier`` fitted on a multi-label
      indicator matrix (logistic outputs, one per label), bare or in a
      scikit-activeml wrapper: its ``predict_proba`` and its last hidden
      activation, recomputed from the fitted weights.
    - a fitted skorch net (``NeuralNet``, ``NeuralNetClassifier``, ...)
      whose module ends in a ``torch.nn.Linear`` layer with ``L`` outputs,
      the logits of ``torch.nn.BCEWithLogitsLoss`` (a ``Sigmoid`` after it
      for ``BCELoss`` is fine too). One evaluation-mode pass records that
      layer's input ``h`` and output ``z``; the probabilities are
      ``sigmoid(z)``, the quantities of the loss's gradient. The net's own
      ``predict_proba`` is not used: for ``BCEWithLogitsLoss`` skorch stacks
      ``(1 - s, s)`` into an array of shape ``(n_samples, 2, L)``.

    Parameters
    ----------
    clf : fitted multi-label model
    X : array-like of shape (n_samples, ...)
    clf_embedding_flag_name : None, str or dict, default=None
        Keyword argument(s) of ``predict_proba`` that ask for the
        embedding: the name of a boolean flag or the arguments themselves.
    include_bias : bool, default=False
        Append a constant 1 to ``h`` (the gradient of the output bias).
    n_labels : int or None, default=None
        Torch nets only: the embedding layer is the last ``Linear`` with
        this many outputs; None takes the module's last ``Linear``.
    embedding_layer : str or None, default=None
        Torch nets only: the name (in ``module.named_modules()``) of the
        output layer, for nets with several heads.
    dl_batch_size : int, default=1024
        Torch nets only: samples per forward pass.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_labels)
    h : ndarray of shape (n_samples, n_features)

    Raises
    ------
    TypeError
        If the model is neither an ``MLPClassifier``, a skorch net nor a
        model with ``encode``, and no flag is given.
    ValueError
        If an ``MLPClassifier`` was not fitted on multi-label targets, or
        the outputs have the wrong shapes or are not finite.
    """
    n = n_samples(X)
    flags = predict_flags(clf_embedding_flag_name)
    if flags:
        out = clf.predict_proba(X, **flags)
        if not isinstance(out, tuple) or len(out) != 2:
            raise ValueError(
                f"`clf.predict_proba(X, **{flags!r})` must return "
                "(proba, embedding)."
            )
        proba, h = out
    elif method_of(inner_estimator(clf)) == "encode":
        proba, h = clf.predict_proba(X), inner_estimator(clf).encode(X)
    elif is_mlp(inner_estimator(clf)):
        mlp = inner_estimator(clf)
        if mlp.out_activation_ != "logistic" or mlp.n_outputs_ < 2:
            raise ValueError(
                "The MLPClassifier was not fitted on multi-label targets "
                "(an indicator matrix of shape (n_samples, n_labels) with "
                f"n_labels >= 2): out_activation_={mlp.out_activation_!r}, "
                f"n_outputs_={mlp.n_outputs_}."
            )
        proba, h = clf.predict_proba(X), hidden_activation(mlp, X)
    elif is_skorch_net(inner_estimator(clf)):
        proba, h = _sigmoid_net_forward(
            net_module(inner_estimator(clf)),
            X,
            n_labels,
            embedding_layer,
            dl_batch_size,
        )
    else:
        raise TypeError(
            "Multi-label embeddings need a scikit-learn MLPClassifier, a "
            "skorch net, a model with `encode(X)` or "
            "`clf_embedding_flag_name` naming the flag with which "
            "`clf.predict_proba` returns (proba, embedding); got "
            f"{type(clf).__name__}."
        )
    proba, h = check_outputs(proba, h, n)
    if include_bias:
        h = np.hstack([h, np.ones((n, 1), dtype=h.dtype)])
    return proba, h


def _sigmoid_net_forward(module, X, n_labels, layer, dl_batch_size):
    """``(sigmoid(z), h)``: the output ``z`` and input ``h`` of the net's
    last ``Linear`` with ``n_labels`` outputs (the module's last
    ``Linear``, if None), in one evaluation-mode pass."""
    torch = import_optional("torch")
    if layer is None and n_labels is None:
        linears = [m for m in module.modules() if _is_linear(m)]
        if not linears:
            raise ValueError("The module has no torch.nn.Linear layer.")
        n_labels = linears[-1].out_features
    proba, h = hooked_forward(
        module,
        X,
        torch.sigmoid,
        n_labels,
        layer=layer,
        dl_batch_size=dl_batch_size,
        proba_of_layer=True,
    )
    return proba.astype(np.float64), h
