"""scikit-activeml's ``SklearnClassifier``, keeping data frames as frames.

``SklearnClassifier`` checks its input with scikit-learn's
``check_array(X, dtype=None)``: a data frame with categorical or text
columns reaches the estimator as an object array (LightGBM and XGBoost
cannot fit that; the wrapper then warns and predicts label frequencies),
or fails in the check itself (a boolean column next to a categorical one).
:class:`FrameClassifier` hands such a frame to its estimator unchanged.
"""

import numpy as np
from skactiveml.classifier import SklearnClassifier
from skactiveml.utils import rand_argmin
from sklearn.utils.validation import check_is_fitted

from ._frames import check_same_columns, is_frame
from .exceptions import warn


class FrameClassifier(SklearnClassifier):
    """A ``SklearnClassifier`` whose estimator gets data frames as frames.

    For a pandas ``DataFrame`` with categorical or text columns (see
    :doc:`/guide_trees`), ``fit``, ``partial_fit``, ``predict_proba`` and
    ``predict`` pass the frame's rows to the estimator as a frame, so that
    LightGBM, XGBoost (``enable_categorical=True``), CatBoost
    (``cat_features``) and scikit-learn's ``HistGradientBoostingClassifier``
    use their own categorical support. The labels, classes, missing labels,
    cost matrix and the fallback to label frequencies (when the estimator
    cannot be fitted) are scikit-activeml's. Any other input is checked
    and passed on exactly as by ``SklearnClassifier``.

    Parameters
    ----------
    estimator : sklearn.base.ClassifierMixin
        A classifier that takes data frames.
    missing_label, classes, cost_matrix, include_unlabeled_samples, \
random_state
        As in ``skactiveml.classifier.SklearnClassifier``.

    Attributes
    ----------
    frame_dtypes_ : pandas.Series or None
        The columns and dtypes of the frame it was fitted on (None when
        fitted on an array). A frame to predict must have the same.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.ensemble import HistGradientBoostingClassifier
    >>> from skactiveml_badge import FrameClassifier
    >>> X = pd.DataFrame({"size": np.arange(8.0),
    ...                   "colour": pd.Categorical(list("rgbrgbrg"))})
    >>> y = np.array([0, 1, 0, 1, np.nan, np.nan, np.nan, np.nan])
    >>> clf = FrameClassifier(HistGradientBoostingClassifier(max_iter=5),
    ...                       classes=[0, 1]).fit(X, y)
    >>> clf.predict_proba(X).shape
    (8, 2)
    """

    def _validate_data(self, X, y, sample_weight=None, **kwargs):
        """scikit-activeml's checks of ``y`` and ``sample_weight`` (on a
        stand-in of the frame's shape); the frame is returned as it is."""
        if not is_frame(X):
            if kwargs.get("reset", True):
                self.frame_dtypes_ = None
            return super()._validate_data(X, y, sample_weight, **kwargs)
        if (
            kwargs.get("reset", True)
            or self.__dict__.get("frame_dtypes_") is None
        ):
            self.frame_dtypes_ = X.dtypes
        else:
            self._check_columns(X)
        stand_in = np.zeros(X.shape)
        _, y, sample_weight = super()._validate_data(
            stand_in, y, sample_weight, **kwargs
        )
        return X, y, sample_weight

    def _check_columns(self, X):
        like = self.__dict__.get("frame_dtypes_")
        if like is None:
            raise ValueError(
                "This FrameClassifier was fitted on an array; predict on "
                "an array too."
            )
        check_same_columns(
            X.dtypes, like, ("X", "the frame the model was fitted on")
        )

    def predict_proba(self, X, **predict_proba_kwargs):
        """Class probabilities of ``X`` (see ``SklearnClassifier``); a frame
        with categorical or text columns goes to the estimator as it is."""
        if not is_frame(X):
            return super().predict_proba(X, **predict_proba_kwargs)
        check_is_fitted(self)
        self._check_columns(X)
        if self.is_fitted_:
            P = self.estimator_.predict_proba(X, **predict_proba_kwargs)
            P = self._placed(np.asarray(P))
            if not np.isnan(P).any():
                return P
        warn(
            "The estimator could not be fitted; the class label "
            f"distribution `_label_counts={self._label_counts}` is used to "
            "make the predictions.",
            UserWarning,
        )
        counts = np.asarray(self._label_counts, dtype=np.float64)
        if counts.sum() == 0:
            return np.full((len(X), len(self.classes_)), 1 / len(counts))
        return np.tile(counts / counts.sum(), (len(X), 1))

    def _placed(self, P):
        """The estimator's probabilities in the columns of ``classes_``
        (zero for classes it has not seen)."""
        est_classes = np.asarray(self.estimator_.classes_)
        if P.shape[1] == len(self.classes_):
            return P
        out = np.zeros((P.shape[0], len(self.classes_)))
        seen = np.isin(est_classes, self.classes_)
        cols = np.searchsorted(self.classes_, est_classes[seen])
        out[:, cols] = 1.0 if len(cols) == 1 else P[:, seen]
        return out

    def predict(self, X, **predict_kwargs):
        """Class labels of ``X`` (see ``SklearnClassifier``); a frame with
        categorical or text columns goes to the estimator as it is."""
        if not is_frame(X):
            return super().predict(X, **predict_kwargs)
        check_is_fitted(self)
        self._check_columns(X)
        if self.is_fitted_ and self.cost_matrix is None:
            y_pred = np.asarray(self.estimator_.predict(X, **predict_kwargs))
            return y_pred.reshape(len(X)).astype(self.classes_.dtype)
        costs = self.predict_proba(X) @ self.cost_matrix_
        y_pred = rand_argmin(costs, random_state=self.random_state_, axis=1)
        y_pred = self._le.inverse_transform(y_pred)
        return y_pred.astype(self.classes_.dtype)
