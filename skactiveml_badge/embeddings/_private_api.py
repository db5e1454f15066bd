"""Every private or undocumented name of another library that the adapters
read, in one place.

A release of skorch, scikit-activeml or torch that changes one of these
should fail in ``tests/test_torch.py::test_private_api_of_skorch`` or
``tests/test_embeddings.py::test_private_api_of_skactiveml_wrappers``,
which check each name on real fitted models, rather than deep inside a
query.

- scikit-activeml's wrappers (``SklearnClassifier``): ``estimator_``
  (documented, but read from ``__dict__``, as the wrapper's
  ``__getattr__`` forwards unknown names to the estimator) and the
  undocumented ``is_fitted_`` (False when the estimator's ``fit`` failed
  and the wrapper predicts label frequencies).
- scikit-activeml's ``SkorchClassifier``: ``neural_net_`` (the skorch net
  that ``fit`` builds) and ``_effective_forward_outputs()``.
- skorch's ``NeuralNet``: ``module_`` and ``forward_iter`` (which tell a
  fitted net), ``history_`` and ``_get_predict_nonlinearity()``.
- torch: ``torch.nn.modules.dropout._DropoutNd``, the base class of its
  dropout layers.
- scikit-learn's ``HistGradientBoostingClassifier``, which has no
  ``apply``: its ``_predictors`` (per round, one ``TreePredictor`` per
  class), a predictor's ``nodes`` (a structured array with a ``value``
  field) and ``raw_left_cat_bitsets``/``binned_left_cat_bitsets``,
  ``TreePredictor(nodes, binned, raw).predict(X, known_cat_bitsets,
  f_idx_map, n_threads)``, the estimator's ``_preprocess_X(X,
  reset=False)`` and ``_bin_mapper.make_known_categories_bitsets()``, and
  ``sklearn.utils._openmp_helpers._openmp_effective_n_threads``; checked
  by ``tests/test_trees.py::test_private_api_of_hist_gradient_boosting``.
- scikit-activeml's ``SklearnClassifier``, subclassed by
  :class:`~skactiveml_badge.FrameClassifier` (``_frame_classifier.py``,
  which keeps data frames away from ``check_array``): it overrides
  ``_validate_data(X, y, sample_weight, **kwargs)``, which ``_fit`` calls
  with ``reset``, and reads ``_label_counts``, ``_le`` and
  ``random_state_``. ``tests/test_frames.py::test_frame_classifier_on_frames``
  and ``::test_frame_classifier_is_sklearn_classifier_on_arrays`` check
  them on real fits.
- scikit-activeml's ``make_criterion_tuple_aware`` (in
  ``skactiveml.utils._functions``): the loss classes it makes when a
  ``SkorchClassifier`` is fitted live only in the process that made them,
  so a fitted ``SkorchClassifier`` cannot be unpickled elsewhere (a Dask
  worker) until they are made there too.
"""

import numpy as np

# scikit-activeml's wrappers


def inner_estimator(clf):
    """The fitted estimator inside a scikit-activeml wrapper, or ``clf``.

    Only scikit-activeml classifiers are unwrapped: scikit-learn's
    ensembles also have an ``estimator_`` (their template tree).
    """
    from skactiveml.base import SkactivemlClassifier

    if isinstance(clf, SkactivemlClassifier):
        return clf.__dict__.get("estimator_", clf)
    return clf


def could_not_fit(clf):
    """Whether ``clf`` is a scikit-activeml ``SklearnClassifier`` whose
    estimator failed to fit (it then predicts label frequencies)."""
    return clf.__dict__.get("is_fitted_") is False


# scikit-activeml's SkorchClassifier


def skorch_wrapper_net(clf):
    """The net that scikit-activeml's ``SkorchClassifier`` built in
    ``fit`` (``neural_net_``), or None for any other model."""
    return clf.__dict__.get("neural_net_")


def wrapper_proba_output(clf):
    """``(index, transform)`` of a ``SkorchClassifier``'s probabilities.

    The first entry of its effective ``forward_outputs`` defines them:
    the index into the module's outputs and a transform (or None).
    """
    return next(iter(clf._effective_forward_outputs().values()))


# skorch


def is_skorch_net(est):
    """Whether ``est`` is an initialized skorch net."""
    return hasattr(est, "module_") and hasattr(est, "forward_iter")


def is_skorch_estimator(est):
    """Whether ``est`` is a skorch net, initialized or not."""
    return hasattr(est, "forward_iter") and hasattr(est, "module")


def net_module(net):
    """The torch module of an initialized skorch net."""
    return net.module_


def predict_nonlinearity(net):
    """What a skorch net applies to the module's output in
    ``predict_proba`` (softmax for a ``NeuralNetClassifier`` trained with
    cross-entropy)."""
    return net._get_predict_nonlinearity()


def train_losses(net):
    """The ``train_loss`` of every epoch in a skorch net's history (None
    where an epoch has none), or None without a history."""
    history = getattr(net, "history_", None)
    if history is None:
        return None
    return [row.get("train_loss") for row in history]


# torch


def dropout_layers(module):
    """The dropout layers (``torch.nn.Dropout`` and the like) of a torch
    module."""
    from torch.nn.modules.dropout import _DropoutNd

    return [m for m in module.modules() if isinstance(m, _DropoutNd)]


# scikit-activeml's tuple-aware loss classes

_TUPLE_AWARE_MODULE = "skactiveml.utils._functions"


def tuple_aware_losses():
    """``(base loss class, selector)`` of every loss class that
    scikit-activeml made in this process (``TupleAware<Loss>Idx<...>``)."""
    import sys

    module = sys.modules.get(_TUPLE_AWARE_MODULE)
    if module is None:
        return []
    return [
        (cls.__mro__[1], cls._criterion_output_selector)
        for name, cls in sorted(vars(module).items())
        if name.startswith("TupleAware")
        and isinstance(cls, type)
        and hasattr(cls, "_criterion_output_selector")
    ]


def make_tuple_aware_losses(specs):
    """Make the loss classes of :func:`tuple_aware_losses` in this
    process (before unpickling a fitted ``SkorchClassifier``)."""
    if not specs:
        return
    from skactiveml.utils._functions import make_criterion_tuple_aware

    for base, selector in specs:
        indices = [selector] if isinstance(selector, int) else selector
        outputs = {f"output{i}": (int(i), None) for i in indices}
        make_criterion_tuple_aware(
            base,
            criterion_output_keys=list(outputs),
            forward_outputs=outputs,
        )


# scikit-learn's HistGradientBoostingClassifier


def hist_gradient_boosting_leaves(est, X):
    """Leaf (node) index of every sample in every tree of a fitted
    ``HistGradientBoostingClassifier``: (n_samples, n_trees), int64, the
    trees round by round and, within a round, class by class.

    scikit-learn's own traversal (missing values and categories included)
    on a copy of each tree whose leaves hold their node index as their
    value, so a prediction is the leaf reached.
    """
    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

    X = est._preprocess_X(X, reset=False)
    known, f_idx_map = est._bin_mapper.make_known_categories_bitsets()
    n_threads = _openmp_effective_n_threads()
    columns = []
    for round_ in est._predictors:
        for predictor in round_:
            nodes = predictor.nodes.copy()
            nodes["value"] = np.arange(len(nodes))
            probe = type(predictor)(
                nodes,
                predictor.binned_left_cat_bitsets,
                predictor.raw_left_cat_bitsets,
            )
            columns.append(probe.predict(X, known, f_idx_map, n_threads))
    return np.column_stack(columns).astype(np.int64)
