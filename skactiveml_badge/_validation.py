"""Every parameter check of the package, in one place.

Scalar checks (``check_*``) raise a ``TypeError`` or ``ValueError`` naming
the parameter. Strategies declare their parameters' constraints as a table
(``_parameter_constraints``, as scikit-learn does) checked by
:func:`validate_params` before any classifier is fitted or pool embedded;
the kernels and the runner call the same checks.
"""

import numbers

import numpy as np
from skactiveml.base import SkactivemlClassifier
from skactiveml.utils import check_equal_missing_label
from sklearn.base import clone
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "AUTO",
    "Bool",
    "Choice",
    "ClassBalance",
    "Dtype",
    "Int",
    "Real",
    "check_bool",
    "check_choice",
    "check_class_balance",
    "check_dtype",
    "check_non_negative_int",
    "check_positive_int",
    "check_classifier",
    "check_positive_real",
    "check_sample_weight",
    "fit_or_check_classifier",
    "validate_params",
]

AUTO = "auto"
_DTYPES = {np.dtype(np.float32), np.dtype(np.float64)}


def check_sample_weight(sample_weight, n_samples):
    """Validate ``sample_weight`` of shape (n_samples,) or return None."""
    if sample_weight is None:
        return None
    sw = check_array(
        sample_weight,
        ensure_2d=False,
        dtype=np.float64,
        input_name="sample_weight",
    )
    if sw.ndim != 1 or sw.shape[0] != n_samples:
        raise ValueError(
            f"`sample_weight` must have shape ({n_samples},), got {sw.shape}."
        )
    if (sw < 0).any():
        raise ValueError("`sample_weight` must be non-negative.")
    return sw


def check_classifier(clf, missing_label):
    """Raise unless ``clf`` is a scikit-activeml classifier with
    ``missing_label`` whose model has ``predict_proba``."""
    if not isinstance(clf, SkactivemlClassifier):
        raise TypeError(
            "`clf` must be a skactiveml.base.SkactivemlClassifier (wrap a "
            "scikit-learn classifier in skactiveml.classifier."
            f"SklearnClassifier), got {type(clf).__name__}."
        )
    if clf.missing_label is not missing_label:  # e.g. both MISSING_LABEL
        check_equal_missing_label(clf.missing_label, missing_label)
    inner = getattr(clf, "estimator", None)  # SklearnClassifier's model
    if inner is not None and not hasattr(inner, "predict_proba"):
        raise AttributeError(
            f"`clf` wraps a {type(inner).__name__}, which has no "
            "`predict_proba`; the strategies need class probabilities "
            "(for an SVC: CalibratedClassifierCV(SVC(), ensemble=False), "
            "from sklearn.calibration)."
        )


def fit_or_check_classifier(clf, X, y, sample_weight, fit_clf, missing_label):
    """Return a classifier ready for ``predict_proba``.

    The user's ``clf`` is never modified: with ``fit_clf=True`` a clone is
    fitted on ``(X, y, sample_weight)``.

    Parameters
    ----------
    clf : skactiveml.base.SkactivemlClassifier
    X : ndarray of shape (n_samples, ...)
    y : ndarray of shape (n_samples,)
    sample_weight : array-like of shape (n_samples,) or None
    fit_clf : bool
    missing_label : scalar, str or np.nan

    Returns
    -------
    clf : SkactivemlClassifier
    """
    check_classifier(clf, missing_label)
    fit_clf = check_bool(fit_clf, "fit_clf")
    sample_weight = check_sample_weight(sample_weight, X.shape[0])
    if not fit_clf:
        # Predicting with an unfitted wrapper would initialise (and write
        # onto) the caller's model, or pick from random weights.
        check_is_fitted(
            clf,
            msg=f"`fit_clf=False` needs a fitted classifier, but this "
            f"{type(clf).__name__} is not fitted: call its `fit` first or "
            "pass `fit_clf=True`.",
        )
        return clf
    if sample_weight is None:
        return clone(clf).fit(X, y)
    return clone(clf).fit(X, y, sample_weight)


def check_samples(X, name):
    """``check_array(X, allow_nd=True)``, with a fast path for what it
    would return unchanged: a float32/float64 ``numpy.ndarray`` (not a
    subclass) of at least two dimensions, none empty, all finite. One
    arrival of a stream then costs microseconds instead of scikit-learn's
    checks for data-frame libraries (about 0.2 ms per call). Text in
    ``X`` (a data frame's string or categorical columns) raises an error
    that names ``X`` and the remedy."""
    if (
        type(X) is np.ndarray
        and X.dtype in (np.float32, np.float64)
        and X.ndim >= 2
        and 0 not in X.shape
        and np.isfinite(X).all()
    ):
        return X
    try:
        X = check_array(X, allow_nd=True, input_name=name)
        if X.dtype.kind == "O":  # e.g. a data frame's categorical column
            X = X.astype(np.float64)
        return X
    except ValueError as err:
        if "could not convert" not in str(err):
            raise
        raise ValueError(
            f"`{name}` must be numeric, got a value that is not ({err}); "
            "encode text and categorical columns first (e.g. with "
            "sklearn.preprocessing.OrdinalEncoder)."
        ) from err


def check_choice(value, name, options):
    """Raise a ValueError unless ``value`` is one of ``options`` (strings,
    and ``None`` if listed)."""
    if value is None and None in options:
        return None
    names = [o for o in options if o is not None]
    if not isinstance(value, str) or value not in names:
        none = "None or " if None in options else ""
        raise ValueError(
            f"`{name}` must be {none}one of {sorted(names)}, got {value!r}."
        )
    return value


def check_non_negative_int(value, name):
    """Raise unless ``value`` is an int >= 0 (bools are rejected)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, np.integer)
    ):
        raise TypeError(f"`{name}` must be an int, got {value!r}.")
    if value < 0:
        raise ValueError(f"`{name}` must be >= 0, got {value}.")
    return int(value)


def check_bool(value, name):
    """Raise a TypeError unless ``value`` is a bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be a bool, got {value!r}.")
    return bool(value)


def check_positive_real(value, name):
    """A finite real number > 0, as a float (TypeError, ValueError)."""
    if isinstance(value, bool) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"`{name}` must be a real number, got {value!r}.")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"`{name}` must be finite and > 0, got {value}.")
    return float(value)


def check_dtype(dtype, name="dtype"):
    """Return ``dtype`` as a numpy float32/float64 dtype or raise."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(
            f"`{name}` must be np.float32 or np.float64, got {dtype!r}."
        ) from exc
    if dt not in _DTYPES:
        raise ValueError(
            f"`{name}` must be np.float32 or np.float64, got {dtype!r}."
        )
    return dt


def check_positive_int(value, name, allow_none=False):
    """Return ``value`` as an int >= 1 (or None if allowed) or raise."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(
        value, (numbers.Integral, np.integer)
    ):
        raise TypeError(f"`{name}` must be an int, got {value!r}.")
    if value < 1:
        raise ValueError(f"`{name}` must be >= 1, got {value}.")
    return int(value)


def check_class_balance(class_balance, n_classes=None):
    """``None`` for ``"equal"``, else a valid prior (of shape
    ``(n_classes,)`` when ``n_classes`` is given).

    ``class_balance=None`` (no quotas) is the caller's business.
    """
    if isinstance(class_balance, str):
        if class_balance != "equal":
            raise ValueError(
                "`class_balance` must be None, 'equal' or a prior of shape "
                f"(n_classes,), got {class_balance!r}."
            )
        return None
    try:
        prior = np.asarray(class_balance, dtype=float)
    except (TypeError, ValueError):
        prior = np.full(2, np.nan)  # reported below
    size = prior.shape[0] if prior.ndim == 1 else 0
    if (
        prior.ndim != 1
        or (n_classes is not None and size != n_classes)
        or not np.isfinite(prior).all()
        or (prior < 0).any()
        or prior.sum() <= 0
    ):
        what = "as many" if n_classes is None else str(n_classes)
        raise ValueError(
            f"`class_balance` as a prior must hold {what} non-negative "
            "weights as there are classes, with a positive sum, got "
            f"{class_balance!r}."
        )
    return prior


class ClassBalance:
    """None, "equal" or a prior (its length is checked against the
    classes later)."""

    def __call__(self, value, name):
        if value is not None:
            check_class_balance(value)
        return value


# ------------------------------------------------------------ declarative


class Choice:
    """One of ``options`` (strings; ``None`` allowed if listed)."""

    def __init__(self, *options):
        self.options = options

    def __call__(self, value, name):
        return check_choice(value, name, self.options)


class Int:
    """An int ``>= low`` (``None`` and ``"auto"`` if allowed)."""

    def __init__(self, low=1, none=False, auto=False):
        self.low, self.none, self.auto = low, none, auto

    def __call__(self, value, name):
        is_auto = isinstance(value, str) and value == AUTO
        if (value is None and self.none) or (is_auto and self.auto):
            return value
        if self.low == 0:
            return check_non_negative_int(value, name)
        return check_positive_int(value, name)


class Real:
    """A finite real ``> 0`` (``min_value``: and at least this)."""

    def __init__(self, min_value=None):
        self.min_value = min_value

    def __call__(self, value, name):
        value = check_positive_real(value, name)
        if self.min_value is not None and value < self.min_value:
            raise ValueError(
                f"`{name}` must be >= {self.min_value}, got {value}."
            )
        return value


class Share:
    """A finite real in ``(0, 1]``."""

    def __call__(self, value, name):
        value = check_positive_real(value, name)
        if value > 1:
            raise ValueError(f"`{name}` must be in (0, 1], got {value}.")
        return value


class Bool:
    """A bool (``"auto"`` if allowed)."""

    def __init__(self, auto=False):
        self.auto = auto

    def __call__(self, value, name):
        if self.auto and isinstance(value, str) and value == AUTO:
            return value
        return check_bool(value, name)


class Dtype:
    """np.float32 or np.float64."""

    def __call__(self, value, name):
        return check_dtype(value, name)


def validate_params(owner, constraints):
    """Check every parameter of ``owner`` against its constraint.

    Parameters
    ----------
    owner : object
        Holds the parameters as attributes (an estimator).
    constraints : dict of str to callable
        ``check(value, name)`` per parameter name; raises with a message
        naming the parameter, returns the (normalised) value.

    Returns
    -------
    params : dict
        The checked values by name.
    """
    return {
        name: check(getattr(owner, name), name)
        for name, check in constraints.items()
    }
