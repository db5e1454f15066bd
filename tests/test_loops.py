"""Class balance and warm start inside scikit-activeml loops: nets, trees."""

import warnings

import numpy as np
import pytest
from skactiveml.classifier import SklearnClassifier
from skactiveml.utils import MISSING_LABEL
from sklearn.datasets import load_digits

from skactiveml_badge import Badge, TypiClustThenBadge, WarmStartWarning


def _skorch_mlp():
    torch = pytest.importorskip("torch")
    pytest.importorskip("skorch")
    from skactiveml.classifier import SkorchClassifier

    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10)
    )
    return SkorchClassifier(
        module,
        neural_net_param_dict=dict(max_epochs=5, lr=0.1, train_split=None),
        classes=np.arange(10),
    )


def _lightgbm():
    lightgbm = pytest.importorskip("lightgbm")
    return SklearnClassifier(
        lightgbm.LGBMClassifier(
            n_estimators=10, num_leaves=4, min_child_samples=2, verbose=-1
        ),
        classes=np.arange(10),
    )


@pytest.mark.parametrize(
    "make_clf", [_skorch_mlp, _lightgbm], ids=["skorch", "lightgbm"]
)
def test_balanced_warm_started_loop(make_clf):
    X, y_true = load_digits(return_X_y=True)
    X, y_true = (X[:500] / 16).astype(np.float32), y_true[:500]
    y = np.full(len(X), MISSING_LABEL)
    y[:10] = y_true[:10]
    clf = make_clf()
    kw = dict(class_balance="equal", random_state=0, origin_as_centre=False)
    recipe = dict(
        warm_start_rule="margin",
        warm_start_per_class=0,
        tree_embedding="proximity",
        **kw,
    )
    qs = TypiClustThenBadge(warm_start_labels=30, **recipe)
    always_warm = TypiClustThenBadge(warm_start_labels=999, **recipe)
    never_warm = Badge(**kw)
    rules = []
    for _ in range(4):
        fitted = clf.fit(X, y)  # one fit per cycle, shared by all three
        with warnings.catch_warnings():
            warnings.simplefilter("error", WarmStartWarning)
            idx = qs.query(X, y, fitted, fit_clf=False, batch_size=10)
            warm = always_warm.query(X, y, fitted, False, batch_size=10)
        badge = never_warm.query(X, y, fitted, False, batch_size=10)
        assert np.isnan(y[idx]).all() and len(set(idx.tolist())) == 10
        assert np.array_equal(idx, warm) or np.array_equal(idx, badge)
        rules.append("warm" if np.array_equal(idx, warm) else "badge")
        assert qs.picked_by_ == ("margin" if rules[-1] == "warm" else "badge")
        y[idx] = y_true[idx]
    # 10 and 20 labels: the warm-start rule; 30 and 40: BADGE.
    assert rules == ["warm", "warm", "badge", "badge"]
    assert (~np.isnan(y)).sum() == 50


def test_recipe_says_which_rule_picked_in_a_loop():
    """The default recipe on LightGBM: TypiClust until 5 labels per class
    (50 here), then BADGE; ``picked_by_`` tells, without warnings."""
    X, y_true = load_digits(return_X_y=True)
    y = np.full(len(X), MISSING_LABEL)
    y[:30] = y_true[:30]
    clf = _lightgbm()
    qs = TypiClustThenBadge(random_state=0)
    picked_by = []
    for _ in range(3):
        with warnings.catch_warnings():
            warnings.simplefilter("error", WarmStartWarning)
            idx = qs.query(X, y, clf, batch_size=10)
        picked_by.append(qs.picked_by_)
        y[idx] = y_true[idx]
    assert picked_by == ["typiclust", "typiclust", "badge"]


@pytest.mark.parametrize(
    "make_clf", [_skorch_mlp, _lightgbm], ids=["skorch", "lightgbm"]
)
def test_bait_loop(make_clf):
    """Bait in a scikit-activeml loop: each batch equals the kernel run on
    the model's own (proba, h), with the labeled rows of that cycle."""
    from skactiveml_badge import Bait
    from skactiveml_badge.embeddings import proba_and_embedding
    from skactiveml_badge.selection import bait

    X, y_true = load_digits(return_X_y=True)
    X, y_true = (X[:400] / 16).astype(np.float32), y_true[:400]
    y = np.full(len(X), MISSING_LABEL)
    y[:20] = y_true[:20]
    clf = make_clf()
    qs = Bait(random_state=0)
    for _ in range(3):
        fitted = clf.fit(X, y)
        idx = qs.query(X, y, fitted, fit_clf=False, batch_size=8)
        proba, h = proba_and_embedding(fitted, X)
        labeled = np.flatnonzero(~np.isnan(y))
        unlabeled = np.flatnonzero(np.isnan(y))
        ref = bait(proba, h, 8, unlabeled, labeled, random_state=0)[0]
        np.testing.assert_array_equal(idx, unlabeled[ref])
        assert np.isnan(y[idx]).all() and len(set(idx.tolist())) == 8
        y[idx] = y_true[idx]
    assert (~np.isnan(y)).sum() == 44
