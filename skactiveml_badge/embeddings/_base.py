"""Class probabilities and last-layer inputs of a fitted classifier: each
model family's adapter is asked in turn whether it handles the model.

Every adapter module has ``handles(clf) -> bool`` and ``embed(clf, X,
**options) -> (proba, h)``, taking the options of
:func:`proba_and_embedding` by keyword and ignoring those of the others.
"""

from . import _classifier, _mlp, _nets, _pipeline, _protocol, _trees
from ._outputs import logit_gradients

#: The adapters of ``source="auto"``, in the order they are asked: a model
#: that says how to embed it (``encode``, ``leaf_embeddings``) first; a
#: pipeline (the input of its last step) next to last; the classifier's own
#: outputs (or ``X``) come last and take any model.
ADAPTERS = (_protocol, _nets, _mlp, _trees, _pipeline, _classifier)

TREE_EMBEDDINGS = ("proximity", "leaf_gradient", "proximity+X")


def proba_and_embedding(
    clf,
    X,
    clf_embedding_flag_name=None,
    *,
    embedding_layer=None,
    include_bias=False,
    dl_batch_size=1024,
    as_tensor=False,
    leaf_dim=256,
    source="auto",
    tree_embedding="proximity",
    mc_dropout=0,
    mc_seed=0,
    features_scale=None,
    hashed_leaves=False,
):
    """Class probabilities and the input of the last linear layer.

    - ``clf_embedding_flag_name`` given: as scikit-activeml,
      ``clf.predict_proba(X, **{name: True})`` (a str) or
      ``clf.predict_proba(X, **flags)`` (a dict) must return
      ``(proba, embedding)``.
    - Otherwise the model is looked at: a model with ``encode(X)`` is
      embedded by it (the input of a last linear layer), one with
      ``leaf_embeddings(X)`` by its leaf embedding (a tree model, see
      ``tree_embedding``); a torch net (scikit-activeml's
      ``SkorchClassifier``, a skorch net, also inside ``SklearnClassifier``)
      is run once with a forward hook on its last ``Linear`` layer with one
      output per class (or ``embedding_layer``); a scikit-learn
      ``MLPClassifier`` gives its last hidden activation; a tree ensemble
      (LightGBM, XGBoost, scikit-learn forests and gradient boosting) gives
      its leaf embedding (:mod:`._trees`).
    - A scikit-learn ``Pipeline`` (another last step than a tree
      ensemble): what the steps before the last make of ``X``, the input
      of the last step's linear layer.
    - Any other model: ``clf.predict_proba(X)``; a ``(proba, embedding)``
      tuple is used, otherwise ``X`` itself (flattened per sample), which is
      the last linear layer's input of a linear model.

    Parameters
    ----------
    clf : fitted classifier with ``predict_proba``
    X : ndarray of shape (n_samples, ...)
    clf_embedding_flag_name : None, str or dict, default=None
    embedding_layer : str or None, default=None
        Torch nets: name of the layer (in ``module.named_modules()``) whose
        input is the embedding.
    include_bias : bool, default=False
        Append a constant 1 to the embedding (the bias gradient).
    dl_batch_size : int, default=1024
        Torch nets: samples per forward pass.
    as_tensor : bool, default=False
        Torch nets: return tensors on the net's device.
    leaf_dim : int or None, default=256
        Trees: buckets of the hashed leaf embedding (``None``: exact).
    source : {"auto", "classifier", "X"}, default="auto"
        ``"auto"`` as above; ``"classifier"`` skips the model adapters
        (scikit-activeml's behaviour); ``"X"`` always embeds ``X``.
    tree_embedding : {"proximity", "proximity+X"}, default="proximity"
        Trees: the leaf embedding, or the leaf embedding next to ``X``
        scaled to a mean squared row norm of one (both blocks then weigh
        alike). The leaf-gradient embedding is not a rank-one factor; see
        :func:`gradient_factors`.
    mc_dropout : int, default=0
        Torch nets with dropout: average the probabilities over this many
        passes with dropout active (``h`` from the evaluation pass). Any
        other model raises a ``ValueError`` when it is positive.
    mc_seed : int, default=0
        Seed of the MC-dropout passes.
    features_scale : float or None, default=None
        Trees with ``"proximity+X"``: the scale of ``X`` (see
        :func:`._trees.features_scale`); ``None``: from ``X`` itself.
    hashed_leaves : bool, default=False
        Trees: always hash the leaf embedding to ``leaf_dim`` columns (a
        pool embedded block by block needs columns that do not depend on
        the block).

    Returns
    -------
    proba : ndarray (or Tensor) of shape (n_samples, n_classes)
    embedding : ndarray (or Tensor) of shape (n_samples, n_features)
    """
    flags = _classifier.predict_flags(clf_embedding_flag_name)
    auto = source == "auto" and not flags
    if mc_dropout and not auto:
        raise ValueError(
            "`mc_dropout` works through the torch adapter "
            "(embedding_source='auto', no clf_embedding_flag_name)."
        )
    if source == "X":
        return _classifier.embed_x(clf, X, include_bias=include_bias)
    adapter = adapter_of(clf) if auto else _classifier
    if mc_dropout and adapter is not _nets:
        raise ValueError(
            "`mc_dropout` needs a torch net (skorch, or scikit-activeml's "
            f"SkorchClassifier); got {type(clf).__name__}."
        )
    return adapter.embed(
        clf,
        X,
        flags=flags,
        embedding_layer=embedding_layer,
        include_bias=include_bias,
        dl_batch_size=dl_batch_size,
        as_tensor=as_tensor,
        leaf_dim=leaf_dim,
        tree_embedding=tree_embedding,
        mc_dropout=mc_dropout,
        mc_seed=mc_seed,
        features_scale=features_scale,
        hashed_leaves=hashed_leaves,
    )


def adapter_of(clf):
    """The first of :data:`ADAPTERS` that handles ``clf``."""
    return next(adapter for adapter in ADAPTERS if adapter.handles(clf))


def gradient_factors(clf, X, clf_embedding_flag_name=None, **options):
    """Probabilities and the two factors of the gradient embeddings.

    ``g_i = delta_i (x) h_i``. For every source but one this is
    ``delta = p - onehot(argmax p)`` and ``h`` from
    :func:`proba_and_embedding` (same options). The exception is a boosted
    tree ensemble with ``tree_embedding="leaf_gradient"``: the gradient
    with respect to the leaf values (:mod:`._trees`) is returned whole as
    ``h``, with ``delta`` a column of ones.

    Returns
    -------
    proba : ndarray (or Tensor) of shape (n_samples, n_classes)
    delta : ndarray (or Tensor) of shape (n_samples, n_classes) or \
(n_samples, 1)
    h : ndarray, sparse matrix (or Tensor) of shape (n_samples, n_dims)
    """
    kind = options.get("tree_embedding", "proximity")
    if kind not in TREE_EMBEDDINGS:
        raise ValueError(
            f"`tree_embedding` must be one of {list(TREE_EMBEDDINGS)}, got "
            f"{kind!r}."
        )
    if (
        kind == "leaf_gradient"
        and options.get("source", "auto") == "auto"
        and not _classifier.predict_flags(clf_embedding_flag_name)
        and _trees.has_leaves(clf)
        and not _protocol.handles(clf)
    ):
        return _trees.leaf_gradient_factors(
            clf,
            X,
            leaf_dim=options.get("leaf_dim", 256),
            include_bias=options.get("include_bias", False),
            hashed_leaves=options.get("hashed_leaves", False),
        )
    options = dict(options)
    if kind == "leaf_gradient":  # not a boosted tree model: as proximity
        options["tree_embedding"] = "proximity"
    proba, h = proba_and_embedding(clf, X, clf_embedding_flag_name, **options)
    return proba, logit_gradients(proba), h


def model_kind(clf):
    """``"encoder"`` (a model with ``encode``), ``"leaves"`` (one with
    ``leaf_embeddings``), ``"torch"`` (a torch net: skorch, bare or
    wrapped), ``"mlp"`` (scikit-learn's ``MLPClassifier``), ``"boosted"``
    (LightGBM, XGBoost, scikit-learn's gradient boosting), ``"forest"`` (a
    tree ensemble that averages probabilities) or ``"other"``, for a
    fitted or an unfitted model (a scikit-activeml wrapper: its template
    estimator)."""
    from skactiveml.base import SkactivemlClassifier

    from . import _private_api

    inner = _private_api.inner_estimator(clf)
    if inner is clf and isinstance(clf, SkactivemlClassifier):
        # An unfitted wrapper: its template estimator
        template = getattr(clf, "estimator", None)
        inner = clf if template is None else template
    method = _protocol.method_of(inner)
    if method is not None:
        return "encoder" if method == "encode" else "leaves"
    if _nets.torch_parts(clf) is not None:
        return "torch"
    if _is_skorch(inner):
        return "torch"
    if _mlp.is_mlp(inner):
        return "mlp"
    inner = _trees.final_step(inner)
    if _trees.is_tree_ensemble(inner):
        return "boosted" if _trees.is_boosted(inner) else "forest"
    return "other"


def _is_skorch(est):
    """A skorch net, or scikit-activeml's skorch wrapper (unfitted)."""
    kind = type(est)
    return (
        kind.__module__.split(".")[0] == "skorch"
        or kind.__name__ == "SkorchClassifier"
    )


def check_model_options(clf, *, mc_dropout, tree_embedding, auto, chunked):
    """Refuse, before the model is fitted, an option it cannot serve:
    ``mc_dropout`` without a torch net (or on a chunked pool, whose
    dropout masks would depend on the blocks) and
    ``tree_embedding="leaf_gradient"`` with a forest (``auto``: the
    embedding is found from the model, no flag or source given)."""
    kind = model_kind(clf)
    if mc_dropout:
        if chunked:
            raise ValueError(
                "`mc_dropout` is not available for a pool on disk or on "
                "Dask (its dropout masks depend on the blocks); use "
                "mc_dropout=0."
            )
        if not auto:
            raise ValueError(
                "`mc_dropout` works through the torch adapter "
                "(embedding_source='auto', no clf_embedding_flag_name)."
            )
        if kind != "torch":
            raise ValueError(
                "`mc_dropout` needs a torch net (skorch, or scikit-activeml's "
                f"SkorchClassifier); got {type(clf).__name__}."
            )
    if tree_embedding == "leaf_gradient" and auto and kind == "leaves":
        raise ValueError(
            "tree_embedding='leaf_gradient' needs a boosted ensemble "
            "(LightGBM, XGBoost, GradientBoostingClassifier) whose leaf "
            "values are known; a model's own `leaf_embeddings` has none. "
            "Use tree_embedding='proximity' or 'proximity+X'."
        )
    if tree_embedding == "leaf_gradient" and auto and kind == "forest":
        raise ValueError(
            "tree_embedding='leaf_gradient' needs a boosted ensemble "
            "(LightGBM, XGBoost, GradientBoostingClassifier): a forest "
            "averages class probabilities and has no leaf logits. Use "
            "tree_embedding='proximity'."
        )
