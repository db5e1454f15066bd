"""Checks and classifier handling shared by every query strategy."""

import numpy as np
from skactiveml.base import SkactivemlClassifier
from skactiveml.utils import check_equal_missing_label, is_labeled
from sklearn.base import clone
from sklearn.utils import check_array
from sklearn.utils.validation import _num_samples

from .selection._validation import check_bool

__all__ = [
    "check_bool",
    "check_choice",
    "check_non_negative_int",
    "check_query_inputs",
    "check_sample_weight",
    "fit_or_check_classifier",
]


def check_query_inputs(X, y, candidates, missing_label):
    """Checks of ``query``'s inputs made before scikit-activeml's own.

    scikit-activeml reports NaN in ``X`` or in sample candidates without
    naming the parameter, and silently sorts and de-duplicates index
    candidates (also dropping labeled ones in some strategies); a strategy
    of this package names the parameter and rejects index candidates that
    are out of range, repeated or labeled.

    Parameters
    ----------
    X : array-like of shape (n_samples, ...)
    y : array-like of shape (n_samples,)
    candidates : None or array-like
    missing_label : scalar, str or np.nan
    """
    check_array(X, allow_nd=True, input_name="X")
    if candidates is None:
        return
    cand = np.asarray(candidates)
    if cand.ndim != 1:
        check_array(cand, allow_nd=True, input_name="candidates")
        return
    if cand.size and not np.issubdtype(cand.dtype, np.integer):
        raise TypeError(
            "`candidates` given as a 1-D array must hold integer indices "
            f"into X, got dtype {cand.dtype}."
        )
    n_samples = _num_samples(y)
    bad = (cand < 0) | (cand >= n_samples)
    if bad.any():
        raise ValueError(
            f"`candidates` holds indices outside [0, {n_samples}): "
            f"{cand[bad][:5].tolist()}."
        )
    if np.unique(cand).size != cand.size:
        raise ValueError("`candidates` holds repeated indices.")
    labeled = is_labeled(np.asarray(y)[cand], missing_label=missing_label)
    if labeled.any():
        raise ValueError(
            "`candidates` holds indices of labeled samples: "
            f"{cand[labeled][:5].tolist()}; only unlabeled samples can be "
            "queried."
        )


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
    if not isinstance(clf, SkactivemlClassifier):
        raise TypeError(
            "`clf` must be a skactiveml.base.SkactivemlClassifier (wrap a "
            "scikit-learn classifier in skactiveml.classifier."
            f"SklearnClassifier), got {type(clf).__name__}."
        )
    check_equal_missing_label(clf.missing_label, missing_label)
    fit_clf = check_bool(fit_clf, "fit_clf")
    sample_weight = check_sample_weight(sample_weight, X.shape[0])
    if not fit_clf:
        return clf
    if sample_weight is None:
        return clone(clf).fit(X, y)
    return clone(clf).fit(X, y, sample_weight)


def check_choice(value, name, options):
    """Raise a ValueError unless ``value`` is one of ``options``."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(
            f"`{name}` must be one of {sorted(options)}, got {value!r}."
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
