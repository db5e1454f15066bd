"""XGBoost for the runner's loops, where a class may have no label yet.

``XGBClassifier`` requires the labels ``0..K-1`` with every class present;
scikit-activeml's wrapper passes the labels as they are, so a missing
class makes the fit fail (the wrapper then predicts label frequencies).
This subclass encodes the labels present and reports them as
``classes_``. Imported only where XGBoost is used.
"""

import numpy as np
import xgboost


class LabelEncodedXGBClassifier(xgboost.XGBClassifier):
    """``XGBClassifier`` fitted on whichever labels are present."""

    def fit(self, X, y, **kwargs):
        self.__dict__.pop("labels_", None)
        labels, y_enc = np.unique(np.asarray(y), return_inverse=True)
        super().fit(X, y_enc, **kwargs)
        self.labels_ = labels
        return self

    @property
    def classes_(self):
        if "labels_" in self.__dict__:
            return self.labels_
        return np.arange(self.n_classes_)

    def predict(self, X, **kwargs):
        out = super().predict(X, **kwargs)
        if kwargs.get("output_margin"):
            return out
        return self.labels_[np.asarray(out, dtype=int)]
