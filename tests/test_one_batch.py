"""One seed, one batch: for a given ``random_state`` the picks do not
depend on whether utilities are asked for, on every model family, both
selection rules, both backends, with and without class quotas."""

import numpy as np
import pytest
from skactiveml.classifier import SklearnClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from skactiveml_badge import Badge

from .conftest import digits, make_skorch_problem

FAMILIES = ["logreg", "mlp", "lightgbm", "forest", "skorch"]


def _fitted(family):
    """``(X, y, clf)``: a fitted classifier of the family on digits, 60
    labels, 240 unlabeled samples."""
    if family == "skorch":
        return make_skorch_problem()
    X, y_true = digits(300)
    y = np.full(len(X), np.nan)
    y[:60] = y_true[:60]
    if family == "lightgbm":
        lgb = pytest.importorskip("lightgbm")
        est = lgb.LGBMClassifier(n_estimators=15, verbose=-1, random_state=0)
    else:
        est = {
            "logreg": LogisticRegression(max_iter=300),
            "mlp": MLPClassifier((24,), max_iter=300, random_state=0),
            "forest": RandomForestClassifier(15, random_state=0),
        }[family]
    clf = SklearnClassifier(est, classes=np.arange(10), random_state=0)
    return X, y, clf.fit(X, y)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("selection", ["kmeans++", "farthest_first"])
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_same_picks_with_and_without_utilities(family, selection, backend):
    if backend == "torch":
        pytest.importorskip("torch")
    X, y, clf = _fitted(family)
    for balance in (None, "equal"):
        for seed in range(2):
            kw = dict(
                random_state=seed,
                selection=selection,
                backend=backend,
                class_balance=balance,
                origin_as_centre=False,  # the paper's rule
            )
            idx = Badge(**kw).query(X, y, clf, fit_clf=False, batch_size=8)
            got, util = Badge(**kw).query(
                X, y, clf, fit_clf=False, batch_size=8, return_utilities=True
            )
            np.testing.assert_array_equal(got, idx)
            assert len(set(idx.tolist())) == 8
            # Row k is what pick k was chosen by: NaN for labeled samples
            # and earlier picks, and pick k is possible under it.
            assert np.isnan(util[:, :60]).all()
            for k, i in enumerate(idx):
                assert np.isnan(util[k, idx[:k]]).all()
                assert util[k, i] > 0 or np.nanmax(util[k]) == 0
            if selection == "farthest_first":
                np.testing.assert_allclose(
                    util[np.arange(8), idx], np.nanmax(util, axis=1)
                )
