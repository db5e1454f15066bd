"""Pandas data frames with categorical or text columns, kept as frames.

A LightGBM, XGBoost or CatBoost user's pool is often a data frame whose
categorical columns the model handles itself. Such a frame is not turned
into an array (scikit-learn's ``check_array`` would make it an object
array, or fail on text): the model gets its rows as a frame
(``X.iloc``), and where the selection needs numeric features of ``X`` (the
features next to the leaves, an embedding by ``X``, the warm starts'
clusters), :func:`frame_features` encodes them:

- numeric and boolean columns as they are (float);
- each categorical or text column one-hot: one column per category (a
  ``category`` column's declared categories; a text column's values in
  the rows encoded, sorted), a missing value all zeros. Two rows that
  differ in such a column are ``sqrt(2)`` apart in it, whatever the
  categories' order;
- a column with more than :data:`MAX_CATEGORIES` categories (an identifier,
  free text) has no sensible distance and is left out, with a warning; the
  leaves then carry it.

A frame whose columns are all numeric is an array as before. pandas is
never imported unless the caller passes a frame.
"""

import numpy as np

from .exceptions import warn

#: Most categories of a column that :func:`frame_features` one-hot
#: encodes; a column with more is left out of the features.
MAX_CATEGORIES = 64


def is_frame(X):
    """Whether ``X`` is a pandas DataFrame with a categorical or text
    column (one that is neither numeric nor boolean)."""
    if type(X).__module__.split(".")[0] != "pandas" or not hasattr(X, "iloc"):
        return False
    if getattr(X, "ndim", 0) != 2:
        return False
    return bool(_encoded_columns(X))


def _encoded_columns(X):
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    return [
        c
        for c, dt in zip(X.columns, X.dtypes, strict=True)
        if not (is_numeric_dtype(dt) or is_bool_dtype(dt))
    ]


def take(X, rows):
    """Rows of the frame ``X`` (a slice or int positions), as a frame."""
    return X.iloc[rows]


def check_frame(X, name):
    """Raise unless the frame ``X`` can be a pool: rows, unique column
    names, finite numeric columns; return it unchanged."""
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(
            f"`{name}` must have at least one row and one column, got shape "
            f"{X.shape}."
        )
    if not X.columns.is_unique:
        raise ValueError(f"`{name}` has repeated column names.")
    encoded = set(_encoded_columns(X))
    numeric = [c for c in X.columns if c not in encoded]
    if numeric:
        values = X[numeric].to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~np.isfinite(values).all(axis=0)
        if bad.any():
            cols = [numeric[i] for i in np.flatnonzero(bad)]
            raise ValueError(
                f"The numeric columns {cols} of `{name}` hold NaN or "
                "infinite values; fill them first (a categorical or text "
                "column may hold missing values)."
            )
    return X


def check_same_columns(a_dtypes, b_dtypes, names):
    """Raise unless two frames' ``dtypes`` (a Series: the columns and
    their dtypes) agree (a categorical column: the same categories)."""
    if list(a_dtypes.index) != list(b_dtypes.index) or list(a_dtypes) != list(
        b_dtypes
    ):
        raise ValueError(
            f"`{names[0]}` and `{names[1]}` must be data frames with the "
            "same columns and dtypes (categorical columns with the same "
            "categories)."
        )


def concat_rows(A, B):
    """The rows of frame ``A`` followed by those of frame ``B``."""
    import pandas as pd

    return pd.concat([A, B], ignore_index=True)


def frame_features(X, dtype=np.float64):
    """The numeric features of the frame ``X``: numeric and boolean
    columns as they are, categorical and text columns one-hot (see the
    module's notes).

    Parameters
    ----------
    X : pandas.DataFrame
    dtype : numpy dtype, default=np.float64

    Returns
    -------
    features : ndarray of shape (n_samples, n_features)
    """
    import pandas as pd

    encoded = set(_encoded_columns(X))
    n = X.shape[0]
    blocks, dropped = [], []
    for col in X.columns:
        values = X[col]
        if col not in encoded:
            blocks.append(values.to_numpy(dtype=dtype).reshape(n, 1))
            continue
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes = values.cat.codes.to_numpy()
            k = len(values.dtype.categories)
        else:
            try:  # sorted: the columns do not depend on the rows' order
                codes, uniques = pd.factorize(values, sort=True)
            except TypeError:  # values that do not compare (mixed types)
                codes, uniques = pd.factorize(values, sort=False)
            k = len(uniques)
        if k > MAX_CATEGORIES:
            dropped.append(col)
            continue
        block = np.zeros((n, k), dtype=dtype)
        known = codes >= 0  # -1: a missing value
        block[np.flatnonzero(known), codes[known]] = 1
        blocks.append(block)
    if dropped:
        warn(
            f"The columns {dropped} have more than {MAX_CATEGORIES} "
            "categories and are left out of the features of X (one-hot "
            "would be mostly columns of one row); the model's own "
            "embedding still sees them.",
            UserWarning,
        )
    if not blocks:
        return np.zeros((n, 0), dtype=dtype)
    return np.hstack(blocks)


def feature_rows(X):
    """``X`` as numeric features per sample: a frame encoded by
    :func:`frame_features`, anything else flattened per sample."""
    if is_frame(X):
        return frame_features(X)
    X = np.asarray(X)
    return X.reshape(X.shape[0], -1)
