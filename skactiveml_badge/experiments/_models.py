"""Models of the runner by short name, and the members of its committees."""

import functools
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from skactiveml.base import SkactivemlClassifier

from .._optional import import_optional


def _mlp(n_features, n_classes, seed, dropout=0.0, max_epochs=50, lr=1e-2):
    torch = import_optional("torch")
    skorch_clf = import_optional("skactiveml.classifier")
    import_optional("skorch")
    nn = torch.nn

    torch.manual_seed(seed)  # the initial weights
    layers = [nn.Linear(n_features, 64), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    module = nn.Sequential(*layers, nn.Linear(64, n_classes))
    return skorch_clf.SkorchClassifier(
        module,
        neural_net_param_dict=dict(
            max_epochs=max_epochs,
            lr=lr,
            optimizer=torch.optim.Adam,
            batch_size=32,
            train_split=None,
            verbose=0,
        ),
        classes=np.arange(n_classes),
        random_state=seed,
    )


def _wrap(estimator, n_classes, seed):
    """scikit-activeml's ``SklearnClassifier`` around ``estimator``."""
    from skactiveml.classifier import SklearnClassifier

    return SklearnClassifier(
        estimator, classes=np.arange(n_classes), random_state=seed
    )


def _lightgbm(n_features, n_classes, seed, **params):
    lightgbm = import_optional("lightgbm")
    defaults = dict(n_estimators=100, num_leaves=8, min_child_samples=2)
    params = defaults | dict(random_state=seed, n_jobs=1, verbose=-1) | params
    return _wrap(lightgbm.LGBMClassifier(**params), n_classes, seed)


def _catboost(n_features, n_classes, seed, **params):
    import_optional("catboost")
    from ._catboost import SklearnCatBoostClassifier

    defaults = dict(iterations=100, depth=3, learning_rate=0.1)
    params = defaults | dict(
        random_seed=seed, thread_count=1, verbose=False,
        allow_writing_files=False,
    ) | params  # fmt: skip
    return _wrap(SklearnCatBoostClassifier(**params), n_classes, seed)


def _xgboost(n_features, n_classes, seed, **params):
    import_optional("xgboost")
    from ._xgb import LabelEncodedXGBClassifier

    defaults = dict(n_estimators=100, max_depth=3, learning_rate=0.1)
    params = defaults | dict(random_state=seed, n_jobs=1, verbosity=0) | params
    return _wrap(LabelEncodedXGBClassifier(**params), n_classes, seed)


def _random_forest(n_features, n_classes, seed, **params):
    from sklearn.ensemble import RandomForestClassifier

    params = dict(n_estimators=100, random_state=seed, n_jobs=1) | params
    return _wrap(RandomForestClassifier(**params), n_classes, seed)


def _hist_gradient_boosting(n_features, n_classes, seed, **params):
    from sklearn.ensemble import HistGradientBoostingClassifier

    params = dict(
        max_iter=100, max_leaf_nodes=8, min_samples_leaf=2,
        early_stopping=False, random_state=seed,
    ) | params  # fmt: skip
    return _wrap(HistGradientBoostingClassifier(**params), n_classes, seed)


def _logreg(n_features, n_classes, seed, **params):
    from sklearn.linear_model import LogisticRegression

    params = dict(max_iter=1000) | params
    return _wrap(LogisticRegression(**params), n_classes, seed)


def _parzen(n_features, n_classes, seed, **params):
    from skactiveml.classifier import ParzenWindowClassifier

    return ParzenWindowClassifier(
        classes=np.arange(n_classes), random_state=seed, **params
    )


def _mlp_multilabel(n_features, n_labels, seed, **params):
    """scikit-learn's MLPClassifier, fitted on the label indicator matrix
    (one sigmoid output per label)."""
    from sklearn.neural_network import MLPClassifier

    params = dict(hidden_layer_sizes=(64,), max_iter=500) | params
    return MLPClassifier(random_state=seed, **params)


def _with_params(spec, params):
    """``spec`` whose ``make`` passes ``params`` on as keywords."""
    settings = ", ".join(f"{k}={v!r}" for k, v in params.items())
    return spec._replace(
        make=functools.partial(spec.make, **params),
        description=f"{spec.description}; {settings}",
    )


class ModelSpec(NamedTuple):
    """A registered model (``MODELS[name]``)."""

    #: ``make(n_features, n_classes, seed, **params)`` gives an unfitted
    #: scikit-activeml classifier; ``params`` override its settings.
    make: Callable
    #: One line for ``--help``: the model and its settings.
    description: str
    #: Packages it needs (imported before any work).
    requires: tuple = ()
    #: "trees", "nets", "linear" or "other": the study's groups.
    family: str = "other"
    #: A multi-label model: ``make(n_features, n_labels, seed)`` gives an
    #: estimator fitted on the labeled rows' indicator matrix (not a
    #: scikit-activeml classifier).
    multilabel: bool = False

    def with_params(self, **params):
        """The same model with other settings, e.g.
        ``MODELS["lightgbm"].with_params(num_leaves=16)``.

        Parameters
        ----------
        **params
            Keywords of the model's ``make`` (the estimator's parameters;
            ``max_epochs``, ``lr`` and ``dropout`` for the MLPs).

        Returns
        -------
        spec : ModelSpec
        """
        return _with_params(self, params)


MODELS = {
    "mlp": ModelSpec(
        make=_mlp,
        description=(
            "skorch MLP (d -> 64 -> ReLU -> C, Adam lr 0.01, 50 epochs)"
        ),
        requires=("torch", "skorch"),
        family="nets",
    ),
    "mlp-dropout": ModelSpec(
        make=functools.partial(_mlp, dropout=0.2),
        description=(
            "skorch MLP with dropout (d -> 64 -> ReLU -> Dropout 0.2 -> C)"
        ),
        requires=("torch", "skorch"),
        family="nets",
    ),
    "lightgbm": ModelSpec(
        make=_lightgbm,
        description="LightGBM (100 rounds, 8 leaves, min_child_samples 2)",
        requires=("lightgbm",),
        family="trees",
    ),
    "xgboost": ModelSpec(
        make=_xgboost,
        description="XGBoost (100 rounds, depth 3, learning rate 0.1)",
        requires=("xgboost",),
        family="trees",
    ),
    "catboost": ModelSpec(
        make=_catboost,
        description="CatBoost (100 rounds, depth 3, learning rate 0.1)",
        requires=("catboost",),
        family="trees",
    ),
    "rf": ModelSpec(
        make=_random_forest,
        description="scikit-learn random forest (100 trees)",
        family="trees",
    ),
    "hgb": ModelSpec(
        make=_hist_gradient_boosting,
        description="scikit-learn HistGradientBoostingClassifier (100 "
        "rounds, 8 leaves, min_samples_leaf 2, no early stopping)",
        family="trees",
    ),
    "parzen": ModelSpec(
        make=_parzen,
        description="scikit-activeml ParzenWindowClassifier",
        family="other",
    ),
    "logreg": ModelSpec(
        make=_logreg,
        description="scikit-learn LogisticRegression",
        family="linear",
    ),
    "mlp-multilabel": ModelSpec(
        make=_mlp_multilabel,
        description="multi-label: scikit-learn MLPClassifier (d -> 64 -> "
        "ReLU -> L sigmoid outputs, Adam lr 0.001, up to 500 epochs)",
        family="nets",
        multilabel=True,
    ),
}


class Committee:
    """A scikit-activeml committee strategy on a committee of the runner's
    model, built at every query.

    - Torch nets with dropout: ``n_members`` MC-dropout samples of the
      fitted net (each member one forward pass with dropout active, under
      its own seed; Gal et al., ICML 2017).
    - Any other model: ``n_members`` clones of the classifier, each fitted
      on a bootstrap sample of the labeled data (``n_members`` fits).
    """

    def __init__(self, strategy, n_members, seed):
        self.strategy = strategy
        self.n_members = n_members
        self.seed = seed

    def query(self, X, y, clf, fit_clf=False, batch_size=1):
        from sklearn.base import clone

        if _has_dropout(clf):
            members = [
                MCDropoutMember(clf, self.seed * 101 + m)
                for m in range(self.n_members)
            ]
        else:
            rs = np.random.RandomState(self.seed)
            labeled = np.flatnonzero(~np.isnan(y))
            members = []
            for m in range(self.n_members):
                boot = rs.choice(labeled, labeled.size, replace=True)
                y_m = np.full(len(y), np.nan)
                y_m[boot] = y[boot]
                member = clone(clf)
                if "random_state" in member.get_params():
                    seed = (self.seed * 101 + m) % 2**32  # numpy's
                    member.set_params(random_state=seed)
                # Duplicates of the bootstrap count through sample weights.
                weight = np.bincount(boot, minlength=len(y)).astype(float)
                members.append(_fit_member(member, X, y_m, weight))
        return self.strategy.query(
            X, y, members, fit_ensemble=False, batch_size=batch_size
        )


def _has_dropout(clf):
    from ..embeddings._nets import torch_parts
    from ..embeddings._private_api import dropout_layers

    parts = torch_parts(clf)
    return parts is not None and bool(dropout_layers(parts[0]))


class MCDropoutMember(SkactivemlClassifier):
    """One MC-dropout sample of a fitted torch net, as a fitted classifier:
    ``predict_proba`` is one forward pass with dropout active under
    ``seed`` (the same sample at every call)."""

    def __init__(self, clf, seed):
        super().__init__(classes=clf.classes_, missing_label=clf.missing_label)
        self.clf = clf
        self.seed = seed
        self.classes_ = clf.classes_  # fitted: a sample of a fitted net

    def fit(self, X, y, sample_weight=None):
        raise NotImplementedError("an MC-dropout sample is not refitted")

    def predict_proba(self, X):
        from ..embeddings import proba_and_embedding

        proba, _ = proba_and_embedding(
            self.clf, X, mc_dropout=1, mc_seed=self.seed
        )
        return proba


def _fit_member(member, X, y, weight):
    try:
        return member.fit(X, y, sample_weight=weight)
    except TypeError:  # a model without sample weights: unweighted
        return member.fit(X, y)
