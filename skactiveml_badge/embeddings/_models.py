"""Embedding sources for the models people train: nets and MLPs.

Each adapter returns ``(proba, h)`` with ``h`` the input of the last linear
layer, computed in one pass without changing the model. Models are
recognised by duck typing, so torch is imported only for torch models.
"""

import numpy as np

_ACTIVATIONS = {
    "identity": lambda a: a,
    "logistic": lambda a: 1.0 / (1.0 + np.exp(-a)),
    "tanh": np.tanh,
    "relu": lambda a: np.maximum(a, 0.0),
}


def inner_estimator(clf):
    """The fitted estimator inside a scikit-activeml wrapper, or ``clf``.

    Only scikit-activeml classifiers are unwrapped: scikit-learn's
    ensembles also have an ``estimator_`` (their template tree).
    """
    from skactiveml.base import SkactivemlClassifier

    if isinstance(clf, SkactivemlClassifier):
        return clf.__dict__.get("estimator_", clf)
    return clf


def _is_skorch_net(est):
    return hasattr(est, "module_") and hasattr(est, "forward_iter")


def _skactiveml_skorch_parts(clf):
    """(module, proba_fn) of scikit-activeml's SkorchClassifier."""
    # The first entry of the wrapper's forward_outputs defines its
    # probabilities: (index into the module's outputs, transform).
    idx, transform = next(iter(clf._effective_forward_outputs().values()))

    def proba_fn(out):
        out = out if isinstance(out, tuple) else (out,)
        return out[idx] if transform is None else transform(out[idx])

    return clf.neural_net_.module_, proba_fn


def _skorch_parts(net):
    """(module, proba_fn) of a skorch NeuralNet(Classifier)."""
    nonlinearity = net._get_predict_nonlinearity()

    def proba_fn(out):
        return nonlinearity(out[0] if isinstance(out, tuple) else out)

    return net.module_, proba_fn


def torch_parts(clf):
    """``(module, proba_fn)`` if ``clf`` is (or wraps) a torch net."""
    net = clf.__dict__.get("neural_net_")
    if net is not None and _is_skorch_net(net):
        return _skactiveml_skorch_parts(clf)
    est = inner_estimator(clf)
    if _is_skorch_net(est):
        return _skorch_parts(est)
    return None


def mlp_hidden(mlp, X):
    """Last hidden activation of a fitted scikit-learn MLPClassifier."""
    a = np.asarray(X, dtype=np.float64).reshape(X.shape[0], -1)
    activation = _ACTIVATIONS[mlp.activation]
    for W, b in zip(mlp.coefs_[:-1], mlp.intercepts_[:-1], strict=True):
        a = activation(a @ W + b)
    return a


def is_mlp(est):
    from sklearn.neural_network import MLPClassifier

    return isinstance(est, MLPClassifier)


def n_classes_of(clf, fallback):
    classes = getattr(clf, "classes_", None)
    return fallback if classes is None else len(classes)


class UntrainedModelWarning(UserWarning):
    """The model behind the embeddings was not (properly) trained."""


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
    if clf.__dict__.get("is_fitted_") is False:
        return (
            "its estimator could not be fitted (SklearnClassifier fell back "
            "to label counts; for a skorch net this happens when "
            "missing_label is NaN, since the labels reach skorch as float64)"
        )
    net = clf.__dict__.get("neural_net_")
    if net is None:
        net = inner_estimator(clf)
    history = getattr(net, "history_", None)
    if history is None:
        return None
    losses = [row.get("train_loss") for row in history]
    if not any(loss is not None for loss in losses):
        return "it has made no training step (no labeled samples?)"
    if not np.isfinite([x for x in losses if x is not None]).all():
        return "its training loss is not finite"
    return None
