"""``MultilabelBadge``: BADGE for ``L`` independent sigmoid outputs, with the
conventions of scikit-activeml's pool strategies on a 2-D ``y``."""

import functools
import inspect

import numpy as np
from skactiveml.base import PoolQueryStrategy, SkactivemlClassifier
from skactiveml.utils import is_labeled
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from .._params import (
    EMBEDDING_CONSTRAINTS,
    EMBEDDING_PARAMS,
    SKACTIVEML_PARAMS,
    stored_init,
    without,
)
from .._validation import Bool, Choice, Dtype, check_bool, validate_params
from ..embeddings import (
    is_skorch_estimator,
    model_kind,
    multilabel_gradient_factors,
    multilabel_proba_and_embedding,
    predict_flags,
)
from ..exceptions import PartlyLabeledWarning, WarmStartWarning, warn
from ..selection import ALGORITHMS, farthest_first, kmeans_plusplus
from ._base import EmbeddingPoolStrategy
from ._warm_start import random_pick

_KERNELS = {"kmeans++": kmeans_plusplus, "farthest_first": farthest_first}


class MultilabelBadge(EmbeddingPoolStrategy):
    r"""BADGE for multi-label classification with ``L`` sigmoid outputs.

    For logits ``z = W h + b`` and per-label probabilities
    ``s = sigmoid(z)``, the summed binary cross-entropy at the
    pseudo-labels ``yhat_l = 1[s_l > 1/2]`` has the gradient
    ``delta (x) h`` with respect to ``W``, ``delta_l = s_l - yhat_l``
    (:func:`~skactiveml_badge.multilabel_gradient_factors`). The batch is
    picked by the selection kernels of :class:`~skactiveml_badge.Badge` on
    these rank-one factors, ``L`` taking the place of the number of
    classes; the ``n x (L * D)`` embeddings are never formed.

    scikit-activeml's ``SingleAnnotatorPoolQueryStrategy`` (the base class)
    validates ``y`` as 1-D. This class keeps its conventions for a 2-D
    ``y`` of shape ``(n_samples, L)`` instead: the validation of ``X``,
    ``candidates``, ``batch_size``, ``return_utilities`` and
    ``missing_label`` by scikit-activeml's ``PoolQueryStrategy``, the
    candidates (none, indices, or samples), the shape of the utilities and
    the reduction of ``batch_size`` with a warning.

    ``query`` and ``select_batch`` are those of every pool strategy (see
    :class:`~skactiveml_badge.Badge`), with ``y`` and ``labeled_y`` label
    indicator matrices of shape ``(n_samples, n_labels)`` (0 or 1,
    ``missing_label`` where unknown, ``n_labels >= 2``) and ``clf`` (or
    ``model``) a multi-label model (see Notes), fitted on the labeled rows
    only. Utility rows are those of :class:`~skactiveml_badge.Badge`.

    **Labeled, unlabeled and partly labeled rows.** A row of ``y`` is
    *labeled* when all its ``L`` entries are known (0 or 1) and
    *unlabeled* when all are ``missing_label``. A *partly labeled* row
    (some entries known, some missing) counts as unlabeled: it is a
    candidate, querying it asks the annotator for the whole row, and it is
    left out of the fit, as the supported models cannot train on missing
    targets. A :class:`PartlyLabeledWarning` says how many rows this
    concerns (once per strategy object).

    Parameters
    ----------
    clf_embedding_flag_name : None, str or dict, default=None
        For a model whose ``predict_proba`` returns ``(proba, embedding)``
        when asked: the name of the boolean flag (or the keyword arguments
        themselves). None: the model must be a scikit-learn
        ``MLPClassifier`` or a skorch net (see Notes).
    missing_label : scalar or str or np.nan or None, default=np.nan
        Marks the unknown entries of ``y``.
    random_state : None, int or numpy.random.RandomState, default=None
        Random numbers of ``"kmeans++"`` and of the cold start.
    selection : {"kmeans++", "farthest_first"}, default="kmeans++"
        k-means++ seeding (BADGE's rule) or farthest-first traversal on
        the gradient embeddings.
    origin_as_centre : bool, default=False
        Count the zero embedding as a centre from the second pick on: each
        later pick is drawn proportionally to ``min(|g|^2, D^2)`` instead
        of ``D^2`` (``"farthest_first"``: the largest ``min(|g|, D)``),
        which prefers uncertain samples to far but confident ones. The
        first pick is the largest norm either way. False is the paper's
        rule.
    dtype : {np.float32, np.float64}, default=np.float32
        Precision of the distances.
    algorithm : {"auto", "plain", "lazy"}, default="auto"
        Kernel variant (see
        :func:`~skactiveml_badge.selection.kmeans_plusplus`).
    backend : {"auto", "numpy", "torch"}, default="auto"
        Where the kernels run.
    embedding_layer : str or None, default=None
        Torch nets: the name of the output layer; None takes the last
        ``Linear`` with ``L`` outputs.
    include_bias : bool, default=False
        Include the gradient of the output bias.
    dl_batch_size : int, default=1024
        Torch nets: samples per forward pass.

    Notes
    -----
    Models (``clf``), never modified (a clone is fitted):

    - scikit-learn's ``MLPClassifier`` (fitted on the indicator matrix of
      the labeled rows);
    - a skorch net (``NeuralNet``, ``NeuralNetClassifier``) whose module
      ends in a ``Linear`` layer with ``L`` outputs, trained with
      ``BCEWithLogitsLoss``; it is fitted on ``float32`` inputs and
      targets, and the probabilities are the sigmoid of that layer's
      output (skorch's own ``predict_proba`` gives an array of shape
      ``(n, 2, L)`` for this loss);
    - a model with ``fit(X, Y)``, ``predict_proba(X)`` of shape
      ``(n, L)`` and ``encode(X)``, the input of its last linear layer
      (the design's model protocol, as for :class:`Badge`);
    - any model with ``fit(X, Y)`` and ``predict_proba(X, **flags)``
      returning ``(proba, embedding)`` (``clf_embedding_flag_name``).

    scikit-activeml's classifier wrappers (``SklearnClassifier``,
    ``SkorchClassifier``) take a 1-D ``y`` and are refused.

    With ``fit_clf=True`` and no labeled row (or an unfitted ``model`` and
    no labeled samples in ``select_batch``), the model cannot be fitted:
    the batch is drawn uniformly at random from the candidates, with a
    :class:`~skactiveml_badge.WarmStartWarning`.

    The same ``random_state`` gives the same picks from ``query`` (with
    the default candidates) and from ``select_batch`` on the same pool,
    as long as fitting the model is repeatable (seed an MLP with its
    ``random_state`` and torch with ``torch.manual_seed`` before a skorch
    net is fitted).

    References
    ----------
    .. [1] J. T. Ash, C. Zhang, A. Krishnamurthy, J. Langford, A. Agarwal.
       Deep Batch Active Learning by Diverse, Uncertain Gradient Lower
       Bounds. ICLR 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.neural_network import MLPClassifier
    >>> from skactiveml_badge import MultilabelBadge
    >>> X, Y = make_multilabel_classification(100, n_classes=4, random_state=0)
    >>> y = np.full(Y.shape, np.nan)
    >>> y[:20] = Y[:20]
    >>> qs = MultilabelBadge(random_state=0)
    >>> clf = MLPClassifier((16,), max_iter=2000, random_state=0)
    >>> idx, util = qs.query(X, y, clf, batch_size=5, return_utilities=True)
    >>> idx.shape, util.shape
    ((5,), (5, 100))
    """

    _parameter_constraints = {
        "selection": Choice(*_KERNELS),
        "origin_as_centre": Bool(),
        "dtype": Dtype(),
        "algorithm": Choice(*ALGORITHMS),
        "backend": EMBEDDING_CONSTRAINTS["backend"],
        "clf_embedding_flag_name": EMBEDDING_CONSTRAINTS[
            "clf_embedding_flag_name"
        ],
        "embedding_layer": EMBEDDING_CONSTRAINTS["embedding_layer"],
        "include_bias": EMBEDDING_CONSTRAINTS["include_bias"],
        "dl_batch_size": EMBEDDING_CONSTRAINTS["dl_batch_size"],
    }

    _indicator_labels = True

    __init__ = stored_init(
        SKACTIVEML_PARAMS,
        selection="kmeans++",
        origin_as_centre=False,
        dtype=np.float32,
        algorithm="auto",
        **without(EMBEDDING_PARAMS, "leaf_dim", "embedding_source"),
    )

    def _check_params(self):
        return validate_params(self, self._parameter_constraints)

    def _check_before_fit(self, clf, pool, n_picks, params):
        self._check_model(clf)
        self._check_partly_labeled(pool)

    def _check_model(self, clf):
        if isinstance(clf, SkactivemlClassifier):
            raise TypeError(
                f"`clf` is a scikit-activeml {type(clf).__name__}, which "
                "takes a 1-D `y`; pass the multi-label model itself (e.g. "
                "an MLPClassifier or a skorch net)."
            )
        if not hasattr(clf, "predict_proba"):
            raise TypeError(
                "`clf` must have a `predict_proba` method, got "
                f"{type(clf).__name__}."
            )
        if not predict_flags(self.clf_embedding_flag_name) and (
            model_kind(clf) not in ("mlp", "torch", "encoder")
        ):
            raise TypeError(
                "Multi-label embeddings need a scikit-learn MLPClassifier, "
                "a skorch net, a model with `encode(X)` or "
                "`clf_embedding_flag_name` naming the flag with which "
                "`clf.predict_proba` returns (proba, embedding); got "
                f"{type(clf).__name__}."
            )

    def _check_partly_labeled(self, pool):
        known = is_labeled(pool.y, missing_label=self.missing_label)
        if pool.offset is not None or known.ndim != 2:
            return  # select_batch: partly labeled rows are unlabeled_x
        n_partial = int((known.any(axis=1) & ~known.all(axis=1)).sum())
        if n_partial and not getattr(self, "partly_labeled_warned_", False):
            warn(
                f"{n_partial} row(s) of `y` are partly labeled: they are "
                "candidates and are left out of the fit (a row is labeled "
                "when all its labels are known). This warning is shown "
                "once.",
                PartlyLabeledWarning,
            )
            self.partly_labeled_warned_ = True

    def _fit(self, clf, pool, fit_clf):
        sw = pool.sample_weight
        sw = None if sw is None else sw[pool.labeled]
        return self._model(clf, pool.X_lab, pool.y_lab, sw, fit_clf)

    def _fitted_model(self, model, pool):
        if _is_fitted(model):
            return model
        return self._model(model, pool.X_lab, pool.y_lab, None, True)

    def _validate_data(
        self,
        X,
        y,
        candidates,
        batch_size,
        return_utilities,
        reset=True,
        check_X_dict=None,
    ):
        """scikit-activeml's pool checks, with ``y`` of shape
        ``(n_samples, n_labels)``; ``batch_size`` is reduced later, once
        the candidates are known."""
        X, y, candidates, batch_size, return_utilities = (
            PoolQueryStrategy._validate_data(
                self, X, y, candidates, batch_size, return_utilities, reset,
                check_X_dict,
            )
        )  # fmt: skip
        return (
            X,
            self._labels().check(y),
            candidates,
            batch_size,
            return_utilities,
        )

    def _model(self, clf, X_lab, y_lab, sample_weight, fit_clf):
        """``clf`` itself (``fit_clf=False``, checked to be fitted), a
        fitted clone, or None when there is nothing to fit on."""
        fit_clf = check_bool(fit_clf, "fit_clf")
        if not fit_clf:
            if not _is_fitted(clf):
                raise ValueError(
                    f"`fit_clf=False` needs a fitted model, but this "
                    f"{type(clf).__name__} is not fitted: fit it first or "
                    "pass `fit_clf=True`."
                )
            return clf
        if X_lab is None or len(X_lab) == 0:
            return None
        if not hasattr(clf, "fit"):
            raise TypeError(
                f"`clf` ({type(clf).__name__}) has no `fit`; pass a fitted "
                "model with `fit_clf=False`."
            )
        model = clone(clf)
        targets = y_lab.astype(np.float64).astype(int)
        if is_skorch_estimator(model):
            targets = targets.astype(np.float32)
            if np.issubdtype(X_lab.dtype, np.floating):
                X_lab = X_lab.astype(np.float32)
        if sample_weight is None:
            return model.fit(X_lab, targets)
        if "sample_weight" not in inspect.signature(model.fit).parameters:
            raise TypeError(
                f"`sample_weight` was given, but {type(model).__name__}.fit "
                "takes no `sample_weight`."
            )
        return model.fit(X_lab, targets, sample_weight=sample_weight)

    def _pick(self, model, pool, n_picks, return_util, params):
        """Random picks for a cold start (``model`` None), else
        multi-label BADGE."""
        if model is None:
            if not getattr(self, "warm_start_warned_", False):
                warn(
                    "MultilabelBadge picks at random: no row of `y` is "
                    "labeled, so the model cannot be fitted. This warning "
                    "is shown once.",
                    WarmStartWarning,
                )
                self.warm_start_warned_ = True
            return random_pick(
                pool.n_cand, n_picks, self.random_state_, return_util
            )
        options = dict(
            clf_embedding_flag_name=params["clf_embedding_flag_name"],
            include_bias=params["include_bias"],
            n_labels=pool.y.shape[1] if pool.y.ndim == 2 else None,
            embedding_layer=params["embedding_layer"],
            dl_batch_size=params["dl_batch_size"],
        )
        factors = functools.partial(multilabel_block, model, options)
        kernel = dict(
            dtype=params["dtype"],
            algorithm=params["algorithm"],
            backend=params["backend"],
            origin_as_centre=params["origin_as_centre"],
            return_utilities=return_util,
        )
        if params["selection"] == "kmeans++":
            kernel["random_state"] = self.random_state_
        block_fn = pool.block_fn(factors, params["dtype"])
        with pool.embedded(block_fn) as (_, delta, h):
            return _KERNELS[params["selection"]](delta, h, n_picks, **kernel)


def multilabel_block(model, options, X):
    """``(dummy labels, delta, h)`` of the rows ``X`` (a block function:
    see :meth:`~._pool.Pool.embedded`)."""
    proba, h = multilabel_proba_and_embedding(model, X, **options)
    n_labels = options["n_labels"]
    if n_labels is not None and proba.shape[1] != n_labels:
        raise ValueError(
            f"The model gives probabilities for {proba.shape[1]} labels, "
            f"but `y` has {n_labels} label columns."
        )
    delta = multilabel_gradient_factors(proba)
    return np.zeros(len(delta), dtype=np.intp), delta, h


def _is_fitted(model):
    """Fitted as scikit-learn tells; a model without ``fit`` counts as
    fitted."""
    if not hasattr(model, "fit"):
        return True
    try:
        check_is_fitted(model)
    except NotFittedError:
        return False
    except TypeError:  # not a scikit-learn estimator
        return True
    return True
