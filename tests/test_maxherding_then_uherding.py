"""MaxHerdingThenUHerding: MaxHerding's picks while labels are few,
GradientUHerding's from the switch on, every parameter passed on, and
the study's ``maxherding-then-uherding`` made by it."""

import numpy as np
import pytest
from skactiveml.classifier import SklearnClassifier
from sklearn.linear_model import LogisticRegression

from skactiveml_badge import (
    GradientUHerding,
    MaxHerdingThenUHerding,
    TypiClustThenBadge,
)

from ._conformance import make_pool
from .test_recipe import SwitchContract, _passes_on

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'base_estimator' could not"),
    pytest.mark.filterwarnings("ignore:Since the 'base_estimator' could"),
]

SHARED = {
    "clf_embedding_flag_name": None,
    "temperature": 2.0,
    "n_reference": 20,
    "embedding_layer": None,
    "include_bias": True,
    "dl_batch_size": 16,
    "backend": "numpy",
    "leaf_dim": 8,
    "embedding_source": "X",
    "tree_embedding": "proximity",
    "mc_dropout": 0,
}


class TestMaxHerdingThenUHerdingContract(SwitchContract):
    strategy_class = MaxHerdingThenUHerding
    after_class = GradientUHerding

    for _name, _value in SHARED.items():
        locals()[f"test_param_{_name}"] = _passes_on(_name, _value)
    del _name, _value


def _model(name):
    if name == "logreg":
        return LogisticRegression(max_iter=500)
    lightgbm = pytest.importorskip("lightgbm")
    return lightgbm.LGBMClassifier(n_estimators=15, verbose=-1)


@pytest.mark.parametrize("model", ["logreg", "lightgbm"])
@pytest.mark.parametrize("seed", [0, 7])
def test_both_sides_of_the_switch(model, seed):
    """Before the switch: the picks and rows of the recipe's MaxHerding
    warm start; from it on: GradientUHerding's with its defaults (for
    trees, leaves next to ``X``)."""
    X, y, y_true, _ = make_pool(n=120, n_labeled=0, seed=seed)
    clf = SklearnClassifier(_model(model), classes=[0, 1, 2])
    switch = 60 if model == "logreg" else 15  # 20 or 5 per class
    for n_labeled, rule, ref_cls in (
        (6, "maxherding", TypiClustThenBadge),
        (switch - 1, "maxherding", TypiClustThenBadge),
        (switch, "uherding", GradientUHerding),
    ):
        y = np.full(len(X), np.nan)
        y[:n_labeled] = y_true[:n_labeled]
        qs = MaxHerdingThenUHerding(random_state=seed)
        got = qs.query(X, y, clf, batch_size=5, return_utilities=True)
        assert qs.picked_by_ == rule
        kw = {"warm_start_rule": "maxherding"} if rule != "uherding" else {}
        ref = ref_cls(random_state=seed, **kw).query(
            X, y, clf, batch_size=5, return_utilities=True
        )
        np.testing.assert_array_equal(got[0], ref[0])
        np.testing.assert_allclose(got[1], ref[1])


def test_pool_on_disk_is_refused_before_fitting(tmp_path):
    X, y, _, clf = make_pool()
    pool = np.lib.format.open_memmap(
        tmp_path / "X.npy", mode="w+", dtype=X.dtype, shape=X.shape
    )
    pool[:] = X

    class Unfittable(SklearnClassifier):
        def fit(self, *args, **kwargs):
            raise AssertionError("fitted before the refusal")

    bad = Unfittable(LogisticRegression(), classes=[0, 1, 2])
    for n_labeled in (3, 75):
        y = np.full(len(X), np.nan)
        y[:n_labeled] = make_pool()[2][:n_labeled]
        with pytest.raises(TypeError, match="needs the pool in memory"):
            MaxHerdingThenUHerding().query(pool, y, bad)


@pytest.mark.parametrize(
    "recipe", [MaxHerdingThenUHerding, TypiClustThenBadge]
)
def test_a_maxherding_kernel_larger_than_memory_is_refused_first(
    recipe, monkeypatch
):
    from skactiveml_badge import _memory
    from skactiveml_badge.pool._uherding import herding_bytes
    from skactiveml_badge.pool._warm_start import maxherding_bytes

    X, _, y_true, _ = make_pool()
    n = len(X)
    y = np.full(n, np.nan)
    y[:3] = y_true[:3]  # few labels: the warm start picks
    need = maxherding_bytes(n - 3, 3)
    assert need == 8 * (n - 3) * (3 * (n - 3) + 3)

    class Unfittable(SklearnClassifier):
        def fit(self, *args, **kwargs):
            raise AssertionError("fitted before the refusal")

    bad = Unfittable(LogisticRegression(), classes=[0, 1, 2])
    qs = recipe(warm_start_rule="maxherding")
    monkeypatch.setattr(_memory, "physical_memory", lambda: need - 1)
    with pytest.raises(ValueError, match=r"warm_start_rule='maxherding'.*"
                       r"more than this machine's"):  # fmt: skip
        qs.query(X, y, bad)
    # within memory, or past the switch (many labels), it runs
    clf = SklearnClassifier(LogisticRegression(), classes=[0, 1, 2])
    monkeypatch.setattr(_memory, "physical_memory", lambda: need)
    assert len(qs.query(X, y, clf, batch_size=2)) == 2
    assert qs.picked_by_ == "maxherding"
    y_many = y_true.astype(float)
    y_many[70:] = np.nan
    after = herding_bytes(10, 10) if recipe is MaxHerdingThenUHerding else 1
    monkeypatch.setattr(_memory, "physical_memory", lambda: after)
    assert len(qs.query(X, y_many, clf, batch_size=2)) == 2
    assert qs.picked_by_ in ("badge", "uherding")
    monkeypatch.setattr(_memory, "physical_memory", lambda: None)
    assert len(qs.query(X, y, clf, batch_size=2)) == 2  # unknown: no check


def test_physical_memory_is_a_positive_size_or_unknown():
    from skactiveml_badge._memory import physical_memory

    have = physical_memory()
    assert have is None or (isinstance(have, int) and have > 2**20)
