"""CatBoost for the runner's loops, through scikit-activeml's wrapper.

scikit-activeml 1.0.1's ``SklearnClassifier`` gives its ``predict`` the
signature of the estimator's, whose first argument CatBoost names
``data``: the wrapper's ``predict(X)`` then fails ("missing 1 required
positional argument: 'X'"). This subclass takes ``X`` (and returns the
labels as a 1-D array, as scikit-learn's classifiers do). Imported only
where CatBoost is used.
"""

import catboost
import numpy as np


class SklearnCatBoostClassifier(catboost.CatBoostClassifier):
    """``CatBoostClassifier`` with scikit-learn's ``predict`` and
    ``predict_proba`` signatures."""

    def predict(self, X):
        return np.asarray(super().predict(X)).reshape(len(X))

    def predict_proba(self, X):
        return super().predict_proba(X)
