"""Hardening: every bad input gets a clear error before any work, no
kernel can loop forever, and nothing is written onto the caller's objects.

``BAD_INPUTS`` is a table of bad inputs across ``Badge``, ``Bait``,
``select_batch`` and the kernels, each with the exception type and a
fragment of the message it must carry.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from skactiveml.classifier import SklearnClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC

from skactiveml_badge import (
    ActiveLearningByLearning,
    Badge,
    Bait,
    ClusterMargin,
    ExpectedGradientLength,
    GradientUHerding,
    PowerSampling,
    TypiClustThenBadge,
    VeSSAL,
)
from skactiveml_badge.selection import bait, farthest_first, kmeans_plusplus

from .bad_inputs_runner import RUNNER_BAD_INPUTS
from .conftest import LookupClassifier, digits, make_skorch_problem

rng = np.random.RandomState(0)
X = rng.randn(40, 3)
y = np.full(40, np.nan)
y[:10] = np.arange(10) % 2
CLF = SklearnClassifier(LogisticRegression(), classes=[0, 1])
D, H = rng.randn(30, 3), rng.randn(30, 4)


def q(params=None, **kw):
    args = dict(X=X, y=y, clf=CLF, batch_size=2)
    args.update(kw)
    return Badge(**(params or {})).query(**args)


def qr(params=None, **kw):
    """``q`` with the recipe."""
    args = dict(X=X, y=y, clf=CLF, batch_size=2)
    args.update(kw)
    return TypiClustThenBadge(**(params or {})).query(**args)


def sb(params=None, **kw):
    fitted = LogisticRegression().fit(X[:10], y[:10])
    args = dict(model=fitted, unlabeled_x=X[10:], batch_size=2)
    args.update(kw)
    return Badge(**(params or {})).select_batch(**args)


def qb(params=None, **kw):
    args = dict(X=X, y=y, clf=CLF, batch_size=2)
    args.update(kw)
    return Bait(**(params or {})).query(**args)


def qu(params=None, **kw):
    """``q`` with GradientUHerding."""
    args = dict(X=X, y=y, clf=CLF, batch_size=2)
    args.update(kw)
    return GradientUHerding(**(params or {})).query(**args)


def k(**kw):
    args = dict(delta=D, h=H, n_picks=3)
    args.update(kw)
    return kmeans_plusplus(**args)


def f(**kw):
    args = dict(delta=D, h=H, n_picks=3)
    args.update(kw)
    return farthest_first(**args)


def _vessal_scaled():
    """A stream whose third batch of arrivals is scaled by 1e160."""
    clf = SklearnClassifier(LogisticRegression(), classes=[0, 1])
    clf.fit(X[:10], y[:10])
    qs = VeSSAL(budget=0.3, random_state=0, embedding_source="X")
    for rows in (slice(10, 20), slice(20, 30)):
        qs.update(X[rows], qs.query(X[rows], clf, fit_clf=False))
    qs.query(X[30:] * 1e160, clf, fit_clf=False)


def _egl_lookup(scale):
    """EGL on embeddings whose norms exceed float64 (the entries do not)."""
    proba = np.full((40, 2), 0.5)
    emb = np.ones((40, 4)) * scale
    clf = LookupClassifier(proba, emb, classes=[0, 1])
    Xi = np.arange(40, dtype=float)[:, None]
    return ExpectedGradientLength("return_embeddings").query(
        Xi, y, clf.fit(Xi, None), fit_clf=False, batch_size=2
    )


def _nan_query(cls):
    """``cls`` with a classifier whose ``predict_proba`` gives NaN."""
    Xi = np.arange(40, dtype=float)[:, None]
    clf = LookupClassifier(np.full((40, 2), np.nan), Xi, classes=[0, 1])
    return cls().query(Xi, y, clf, batch_size=2)


class _LabeledArm:
    """An arm that returns a labeled sample."""

    def get_params(self, deep=True):
        return {}

    def query(self, X, y, candidates=None, batch_size=1):
        return np.zeros(batch_size, dtype=int)


def _on_disk_kernel(value, **kw):
    import tempfile

    folder = tempfile.mkdtemp()
    h = H.astype(np.float32)
    h[7, 1] = value
    np.save(f"{folder}/d.npy", D.astype(np.float32))
    np.save(f"{folder}/h.npy", h)
    return kmeans_plusplus(
        np.load(f"{folder}/d.npy", mmap_mode="r"),
        np.load(f"{folder}/h.npy", mmap_mode="r"),
        3,
        **kw,
    )


NAN_X = X.copy()
NAN_X[0, 0] = np.nan
BAD_INPUTS = [
    # Badge parameters (checked before any fit)
    (
        "selection",
        lambda: q(dict(selection="kcenter")),
        ValueError,
        "`selection`",
    ),
    ("dtype half", lambda: q(dict(dtype="half")), ValueError, "`dtype`"),
    ("dtype str", lambda: q(dict(dtype="quarter")), TypeError, "`dtype`"),
    ("dtype int", lambda: q(dict(dtype=np.int32)), ValueError, "`dtype`"),
    (
        "chunk_size 0",
        lambda: q(dict(chunk_size=0)),
        ValueError,
        "`chunk_size`",
    ),
    (
        "chunk_size float",
        lambda: q(dict(chunk_size=1.5)),
        TypeError,
        "`chunk_size`",
    ),
    (
        "chunk_size bool",
        lambda: q(dict(chunk_size=True)),
        TypeError,
        "`chunk_size`",
    ),
    ("preset", lambda: q(dict(preset="fast")), TypeError, "preset"),
    (
        "warm_start_rule",
        lambda: qr(dict(warm_start_rule="x")),
        ValueError,
        "`warm_start_rule`",
    ),
    (
        "warm_start_labels -1",
        lambda: qr(dict(warm_start_labels=-1)),
        ValueError,
        "`warm_start_labels`",
    ),
    (
        "warm_start_labels float",
        lambda: qr(dict(warm_start_labels=1.5)),
        TypeError,
        "`warm_start_labels`",
    ),
    (
        "warm_start_per_class -1",
        lambda: qr(dict(warm_start_per_class=-1)),
        ValueError,
        "`warm_start_per_class`",
    ),
    (
        "warm_start_per_class str",
        lambda: qr(dict(warm_start_per_class="many")),
        TypeError,
        "`warm_start_per_class`",
    ),
    (
        "algorithm",
        lambda: q(dict(algorithm="fast")),
        ValueError,
        "`algorithm`",
    ),
    (
        "storage_dtype",
        lambda: q(dict(storage_dtype="int8")),
        ValueError,
        "`storage_dtype`",
    ),
    (
        "storage+plain",
        lambda: q(dict(storage_dtype="float16", algorithm="plain")),
        ValueError,
        "lazy kernels",
    ),
    (
        "bfloat16 numpy",
        lambda: q(dict(storage_dtype="bfloat16", backend="numpy")),
        ValueError,
        "bfloat16",
    ),
    (
        "origin int",
        lambda: q(dict(origin_as_centre=1)),
        TypeError,
        "`origin_as_centre`",
    ),
    (
        "origin str",
        lambda: q(dict(origin_as_centre="yes")),
        TypeError,
        "`origin_as_centre`",
    ),
    (
        "tree_embedding",
        lambda: q(dict(tree_embedding="leaves")),
        ValueError,
        "`tree_embedding`",
    ),
    (
        "mc_dropout -1",
        lambda: q(dict(mc_dropout=-1)),
        ValueError,
        "`mc_dropout`",
    ),
    (
        "mc_dropout bool",
        lambda: q(dict(mc_dropout=True)),
        TypeError,
        "`mc_dropout`",
    ),
    (
        "mc_dropout on logreg",
        lambda: q(dict(mc_dropout=2)),
        ValueError,
        "mc_dropout",
    ),
    (
        "class_balance str",
        lambda: q(dict(class_balance="balanced")),
        ValueError,
        "`class_balance`",
    ),
    (
        "class_balance negative",
        lambda: q(dict(class_balance=[1, -1])),
        ValueError,
        "`class_balance`",
    ),
    (
        "class_balance 2-D",
        lambda: q(dict(class_balance=[[1, 2]])),
        ValueError,
        "`class_balance`",
    ),
    (
        "class_balance nan",
        lambda: q(dict(class_balance=[np.nan, 1])),
        ValueError,
        "`class_balance`",
    ),
    (
        "class_balance zero sum",
        lambda: q(dict(class_balance=[0, 0])),
        ValueError,
        "`class_balance`",
    ),
    (
        "class_balance length",
        lambda: q(dict(class_balance=[1, 1, 1])),
        ValueError,
        "`class_balance`",
    ),
    (
        "class_balance object",
        lambda: q(dict(class_balance=object())),
        ValueError,
        "`class_balance`",
    ),
    (
        "flag name int",
        lambda: q(dict(clf_embedding_flag_name=123)),
        TypeError,
        "`clf_embedding_flag_name`",
    ),
    (
        "flag name unknown",
        lambda: q(dict(clf_embedding_flag_name="return_embeddings")),
        TypeError,
        "return_embeddings",
    ),
    (
        "embedding_layer int",
        lambda: q(dict(embedding_layer=5)),
        TypeError,
        "`embedding_layer`",
    ),
    (
        "include_bias str",
        lambda: q(dict(include_bias="yes")),
        TypeError,
        "`include_bias`",
    ),
    (
        "dl_batch_size 0",
        lambda: q(dict(dl_batch_size=0)),
        ValueError,
        "`dl_batch_size`",
    ),
    ("backend", lambda: q(dict(backend="gpu")), ValueError, "`backend`"),
    ("leaf_dim 0", lambda: q(dict(leaf_dim=0)), ValueError, "`leaf_dim`"),
    (
        "embedding_source",
        lambda: q(dict(embedding_source="hidden")),
        ValueError,
        "`embedding_source`",
    ),
    # query arguments
    ("X nan", lambda: q(X=NAN_X), ValueError, "X"),
    ("y length", lambda: q(y=y[:-1]), ValueError, "inconsistent"),
    (
        "candidates empty list",
        lambda: q(candidates=[]),
        ValueError,
        "`candidates` is empty",
    ),
    (
        "candidates empty int",
        lambda: q(candidates=np.array([], dtype=int)),
        ValueError,
        "`candidates` is empty",
    ),
    (
        "candidates float idx",
        lambda: q(candidates=np.array([11.0, 12.0])),
        TypeError,
        "`candidates`",
    ),
    (
        "candidates out of range",
        lambda: q(candidates=[11, 99]),
        ValueError,
        "outside",
    ),
    (
        "candidates negative",
        lambda: q(candidates=[-1, 12]),
        ValueError,
        "outside",
    ),
    (
        "candidates repeated",
        lambda: q(candidates=[11, 11, 12]),
        ValueError,
        "repeated",
    ),
    (
        "candidates labeled",
        lambda: q(candidates=[0, 12]),
        ValueError,
        "labeled",
    ),
    (
        "candidates wrong width",
        lambda: q(candidates=X[:5, :2]),
        ValueError,
        "`candidates`",
    ),
    (
        "candidates nan samples",
        lambda: q(candidates=NAN_X[:5]),
        ValueError,
        "candidates",
    ),
    ("batch_size 0", lambda: q(batch_size=0), ValueError, "`batch_size`"),
    ("batch_size -1", lambda: q(batch_size=-1), ValueError, "`batch_size`"),
    ("batch_size bool", lambda: q(batch_size=True), TypeError, "`batch_size`"),
    ("batch_size float", lambda: q(batch_size=1.5), TypeError, "`batch_size`"),
    (
        "return_utilities str",
        lambda: q(return_utilities="yes"),
        TypeError,
        "`return_utilities`",
    ),
    ("fit_clf str", lambda: q(fit_clf="no"), TypeError, "`fit_clf`"),
    (
        "sample_weight shape",
        lambda: q(sample_weight=np.ones(3)),
        ValueError,
        "`sample_weight`",
    ),
    (
        "sample_weight negative",
        lambda: q(sample_weight=-np.ones(40)),
        ValueError,
        "`sample_weight`",
    ),
    (
        "clf sklearn bare",
        lambda: q(clf=LogisticRegression()),
        TypeError,
        "`clf`",
    ),
    (
        "clf unfitted fit_clf False",
        lambda: q(clf=CLF, fit_clf=False),
        NotFittedError,
        "not fitted",
    ),
    (
        "missing_label mismatch",
        lambda: q(dict(missing_label=-1)),
        ValueError,
        "missing_label",
    ),
    (
        "clf without predict_proba",
        lambda: q(clf=SklearnClassifier(SVC())),
        AttributeError,
        "predict_proba",
    ),
    # select_batch
    ("sb nan pool", lambda: sb(unlabeled_x=NAN_X), ValueError, "unlabeled_x"),
    ("sb batch 0", lambda: sb(batch_size=0), ValueError, "`batch_size`"),
    ("sb model", lambda: sb(model=object()), TypeError, "`model`"),
    (
        "sb labeled_x only",
        lambda: sb(labeled_x=X[:10]),
        ValueError,
        "labeled_y",
    ),
    (
        "sb lengths",
        lambda: sb(labeled_x=X[:10], labeled_y=y[:9]),
        ValueError,
        "same length",
    ),
    (
        "sb unfitted",
        lambda: sb(model=LogisticRegression()),
        ValueError,
        "not fitted",
    ),
    (
        "sb bad param before fit",
        lambda: sb(
            dict(selection="x"),
            model=LogisticRegression(),
            labeled_x=X[:10],
            labeled_y=y[:10],
        ),
        ValueError,
        "`selection`",
    ),
    # kernels
    ("k delta 1-D", lambda: k(delta=D[:, 0]), ValueError, "`delta`"),
    ("k h 3-D", lambda: k(h=H[:, :, None]), ValueError, "`h`"),
    ("k rows", lambda: k(h=H[:5]), ValueError, "same number of rows"),
    (
        "k nan delta",
        lambda: k(delta=np.where(D > 1, np.nan, D)),
        ValueError,
        "NaN",
    ),
    (
        "k inf h",
        lambda: k(h=np.where(H > 1, np.inf, H)),
        ValueError,
        "NaN or infinite",
    ),
    ("k n_picks 0", lambda: k(n_picks=0), ValueError, "`n_picks`"),
    ("k n_picks big", lambda: k(n_picks=31), ValueError, "`n_picks=31`"),
    ("k n_picks float", lambda: k(n_picks=1.5), TypeError, "`n_picks`"),
    ("k dtype", lambda: k(dtype="x"), TypeError, "`dtype`"),
    ("k chunk_size", lambda: k(chunk_size=0), ValueError, "`chunk_size`"),
    ("k backend", lambda: k(backend="gpu"), ValueError, "`backend`"),
    ("k algorithm", lambda: k(algorithm="x"), ValueError, "`algorithm`"),
    (
        "k storage",
        lambda: k(storage_dtype="int8"),
        ValueError,
        "`storage_dtype`",
    ),
    (
        "k bfloat16 numpy",
        lambda: k(storage_dtype="bfloat16"),
        ValueError,
        "bfloat16",
    ),
    (
        "k half plain",
        lambda: k(storage_dtype="float16", algorithm="plain"),
        ValueError,
        "lazy kernels",
    ),
    (
        "k half overflow",
        lambda: k(h=H * 1e6, storage_dtype="float16"),
        ValueError,
        "float16 range",
    ),
    (
        "k half nan delta",
        lambda: k(delta=np.where(D > 1, np.nan, D), storage_dtype="float16"),
        ValueError,
        "NaN",
    ),
    (
        "k half 1-D delta",
        lambda: k(delta=D[:, 0], storage_dtype="float16"),
        ValueError,
        "`delta`",
    ),
    (
        "k overflow f32",
        lambda: k(h=H * 1e20),
        ValueError,
        "overflow in float32",
    ),
    (
        "f overflow f32 utils",
        lambda: f(h=H * 1e20, return_utilities=True),
        ValueError,
        "overflow in float32",
    ),
    (
        "f overflow f32 lazy",
        lambda: f(h=H * 1e20),
        ValueError,
        "overflow in float32",
    ),
    (
        "k overflow f64",
        lambda: k(h=H * 1e160, dtype=np.float64),
        ValueError,
        "overflow in float64",
    ),
    (
        "k overflow sparse",
        lambda: k(h=sp.csr_matrix(H * 1e20)),
        ValueError,
        "overflow",
    ),
    ("k complex", lambda: k(delta=D + 1j), TypeError, "real-valued"),
    (
        "k strings",
        lambda: k(delta=np.full((30, 3), "a")),
        TypeError,
        "real-valued",
    ),
    (
        "k balance no labels",
        lambda: k(class_balance="equal"),
        ValueError,
        "`class_labels`",
    ),
    (
        "k labels no balance",
        lambda: k(class_labels=np.zeros(30, int)),
        ValueError,
        "`class_balance`",
    ),
    (
        "k labels shape",
        lambda: k(class_balance="equal", class_labels=np.zeros(5, int)),
        ValueError,
        "`class_labels`",
    ),
    (
        "k labels negative",
        lambda: k(class_balance="equal", class_labels=-np.ones(30, int)),
        ValueError,
        "`class_labels`",
    ),
    (
        "k labels float",
        lambda: k(class_balance="equal", class_labels=np.zeros(30)),
        ValueError,
        "`class_labels`",
    ),
    (
        "k prior short",
        lambda: k(class_balance=[1.0], class_labels=np.arange(30) % 2),
        ValueError,
        "`class_balance`",
    ),
    (
        "k return_utilities",
        lambda: k(return_utilities="y"),
        TypeError,
        "`return_utilities`",
    ),
    (
        "k origin",
        lambda: k(origin_as_centre=1),
        TypeError,
        "`origin_as_centre`",
    ),
    ("k check_input", lambda: k(check_input=1), TypeError, "`check_input`"),
    (
        "k sparse lazy",
        lambda: k(h=sp.csr_matrix(H), algorithm="lazy"),
        ValueError,
        "dense",
    ),
    ("k random_state", lambda: k(random_state="seed"), ValueError, "seed"),
    # GradientUHerding
    (
        "UHerding temperature 0",
        lambda: qu(dict(temperature=0.0)),
        ValueError,
        "`temperature`",
    ),
    (
        "UHerding temperature nan",
        lambda: qu(dict(temperature=np.nan)),
        ValueError,
        "`temperature`",
    ),
    (
        "UHerding n_reference 0",
        lambda: qu(dict(n_reference=0)),
        ValueError,
        "`n_reference`",
    ),
    (
        "UHerding n_reference float",
        lambda: qu(dict(n_reference=10.5)),
        TypeError,
        "`n_reference`",
    ),
    (
        "UHerding tree_embedding",
        lambda: qu(dict(tree_embedding="leaves")),
        ValueError,
        "`tree_embedding`",
    ),
    (
        "UHerding NaN proba",
        lambda: _nan_query(GradientUHerding),
        ValueError,
        "classifier returned non-finite probabilities",
    ),
    # Bait
    ("Bait lamb 0", lambda: qb(dict(lamb=0)), ValueError, "`lamb`"),
    ("Bait lamb str", lambda: qb(dict(lamb="1")), TypeError, "`lamb`"),
    (
        "Bait oversample",
        lambda: qb(dict(oversample=0.5)),
        ValueError,
        "`oversample`",
    ),
    ("Bait max_dim", lambda: qb(dict(max_dim=0)), ValueError, "`max_dim`"),
    ("Bait dtype", lambda: qb(dict(dtype="x")), TypeError, "`dtype`"),
    ("Bait backend", lambda: qb(dict(backend="gpu")), ValueError, "`backend`"),
    (
        "bait proba 1-D",
        lambda: bait(np.ones(5), H[:5], 2),
        ValueError,
        "`proba`",
    ),
    (
        "bait labeled range",
        lambda: bait(np.full((30, 2), 0.5), H, 2, labeled=[50]),
        ValueError,
        "`labeled`",
    ),
    (
        "bait candidates repeated",
        lambda: bait(np.full((30, 2), 0.5), H, 2, candidates=[1, 1]),
        ValueError,
        "`candidates`",
    ),
    (
        "bait n_picks big",
        lambda: bait(np.full((30, 2), 0.5), H, 40),
        ValueError,
        "`n_picks=40`",
    ),
    (
        "bait overflow",
        lambda: bait(np.full((30, 2), 0.5), H * 1e200, 2),
        ValueError,
        "overflow",
    ),
    # Numeric states that overflowed silently (checked where formed)
    ("VeSSAL arrivals 1e160", _vessal_scaled, ValueError, "volume state"),
    (
        "EGL overflow",
        lambda: _egl_lookup(1e308),
        ValueError,
        "expected gradient lengths overflow",
    ),
    (
        "Bait 1e10 features",
        lambda: qb(X=X * 1e10),
        ValueError,
        "resolution of lamb",
    ),
    (
        "Bait float32 1e4 features",
        lambda: qb(dict(dtype=np.float32), X=X * 1e4),
        ValueError,
        "dtype=np.float64",
    ),
    # Errors that name what the user gave
    (
        "PowerSampling NaN proba",
        lambda: _nan_query(PowerSampling),
        ValueError,
        "classifier returned non-finite probabilities",
    ),
    (
        "ClusterMargin NaN proba",
        lambda: _nan_query(ClusterMargin),
        ValueError,
        "classifier returned non-finite probabilities",
    ),
    (
        "ALBL arm labeled index",
        lambda: ActiveLearningByLearning(
            strategies=[("bad", _LabeledArm())]
        ).query(X, y, CLF, batch_size=2),
        ValueError,
        "'bad' (_LabeledArm) returned indices that are not candidates",
    ),
    ("disk h NaN", lambda: _on_disk_kernel(np.nan), ValueError, "NaN"),
    (
        "disk h float16 overflow",
        lambda: _on_disk_kernel(1e6, storage_dtype="float16"),
        ValueError,
        "float16 range",
    ),
    *RUNNER_BAD_INPUTS,
]


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize(
    "call, exc, fragment",
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_input_gets_a_clear_error(call, exc, fragment):
    with pytest.raises(exc) as info:
        call()
    assert fragment in str(info.value)


def test_the_table_is_large():
    assert len(BAD_INPUTS) >= 60


def test_lazy_loops_are_bounded(monkeypatch):
    """A state whose exact distances never match its bounds (what
    non-finite distances would do) raises instead of looping forever."""
    from skactiveml_badge.selection import _lazy

    monkeypatch.setattr(_lazy.LazyDistances, "exact", lambda self, i: 0.0)
    monkeypatch.setattr(
        _lazy.LazyDistances, "tighten", lambda self, i, value: None
    )
    for kernel in (kmeans_plusplus, farthest_first):
        with pytest.raises(RuntimeError, match="did not settle"):
            kernel(D, H, 3, algorithm="lazy")


@pytest.mark.parametrize("dtype, scale", [(np.float32, 1e20),
                                          (np.float64, 1e160)])  # fmt: skip
def test_badge_reports_overflowing_embeddings(dtype, scale):
    """Finite features whose gradient embeddings overflow the dtype: a
    ValueError naming the dtype, never duplicate or uniform picks."""
    clf = SklearnClassifier(LogisticRegression(), classes=[0, 1])
    for selection in ("kmeans++", "farthest_first"):
        for util in (False, True):
            qs = Badge(selection=selection, dtype=dtype)
            with pytest.raises(ValueError, match=np.dtype(dtype).name):
                qs.query(
                    X * scale, y, clf, batch_size=3, return_utilities=util
                )


def _clean_pool(family):
    """(X, y, clf): unfitted clf of the family on digits, 60 labels."""
    Xd, y_true = digits(200)
    yd = np.full(len(Xd), np.nan)
    yd[:60] = y_true[:60]
    if family == "skorch":
        Xs, ys, fitted = make_skorch_problem(n=200)
        return Xs, ys, fitted
    if family == "lightgbm":
        lgb = pytest.importorskip("lightgbm")
        est = lgb.LGBMClassifier(n_estimators=5, verbose=-1)
    else:
        est = LogisticRegression(max_iter=200)
    return Xd, yd, SklearnClassifier(est, classes=np.arange(10))


def _snapshot(obj):
    return {k: (id(v), repr(type(v))) for k, v in vars(obj).items()}


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("family", ["logreg", "lightgbm", "skorch"])
def test_public_calls_write_nothing_onto_the_callers_objects(family):
    Xd, yd, clf = _clean_pool(family)
    if family != "skorch":
        with pytest.raises(NotFittedError, match=type(clf).__name__):
            Badge().query(Xd, yd, clf, fit_clf=False)
        clf.fit(Xd, yd)
    X0, y0, before = Xd.copy(), yd.copy(), _snapshot(clf)
    qs = Badge(random_state=0)
    qs.query(Xd, yd, clf, batch_size=3)
    qs.query(Xd, yd, clf, fit_clf=False, batch_size=3,
             return_utilities=True)  # fmt: skip
    qs.select_batch(clf, Xd[60:], batch_size=3)
    qs.gradient_norms(clf, Xd[:20])
    qs.assign_to_picks(clf, Xd[:20], [0, 1])
    Bait(random_state=0).query(Xd, yd, clf, fit_clf=False, batch_size=2)
    assert _snapshot(clf) == before
    np.testing.assert_array_equal(Xd, X0)
    np.testing.assert_array_equal(yd, y0)


def test_unfitted_skorch_with_fit_clf_false_raises_and_stays_unfitted():
    pytest.importorskip("skorch")
    from skactiveml.classifier import SkorchClassifier

    from .conftest import torch_mlp

    Xd, yd, _ = _clean_pool("logreg")
    net = SkorchClassifier(
        torch_mlp(),
        neural_net_param_dict=dict(max_epochs=1, train_split=None),
        classes=np.arange(10),
    )
    before = _snapshot(net)
    for qs in (Badge(), Bait()):
        with pytest.raises(NotFittedError, match="SkorchClassifier"):
            qs.query(Xd.astype(np.float32), yd, net, fit_clf=False)
    assert _snapshot(net) == before


class _CountingLogReg(LogisticRegression):
    """Counts its fits (class-level: clones count too)."""

    fits = 0

    def fit(self, X, y, sample_weight=None):
        type(self).fits += 1
        return super().fit(X, y, sample_weight)


@pytest.mark.parametrize(
    "params",
    [
        dict(class_balance="balanced"),
        dict(class_balance=[1, -1]),
        dict(storage_dtype="int8"),
        dict(clf_embedding_flag_name=123),
        dict(selection="kcenter"),
        dict(dtype=np.int8),
        dict(class_balance=[1, 1, 1]),  # 3 weights, 2 classes
    ],
)
def test_parameter_errors_come_before_any_fit(params):
    clf = SklearnClassifier(_CountingLogReg(), classes=[0, 1])
    _CountingLogReg.fits = 0
    with pytest.raises((TypeError, ValueError)):
        Badge(**params).query(X, y, clf, batch_size=2)
    assert _CountingLogReg.fits == 0
    if params.get("class_balance") == [1, 1, 1]:
        return  # select_batch's model has no classes before its fit
    with pytest.raises((TypeError, ValueError)):
        Badge(**params).select_batch(
            _CountingLogReg(), X[10:], X[:10], y[:10], batch_size=2
        )
    assert _CountingLogReg.fits == 0


LABEL_KINDS = {
    "nan": (np.array([0.0, 1.0, 2.0, 3.0]), np.nan),
    "-1": (np.array([0, 1, 2, 3]), -1),
    "str": (np.array(["a", "b", "c", "d"], dtype="<U4"), "none"),
}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_query_contract_on_random_pools(data):
    """Picks distinct, in range, unlabeled and in the candidates; the
    utilities' shape and NaN pattern; inputs unchanged; one seed, one
    batch, over random pools, label kinds, candidate forms, batch sizes,
    rules, dtypes, strategies (Badge, the recipe, GradientUHerding) and
    backends; the utilities finite wherever they are not NaN."""
    draw = data.draw
    n = draw(st.integers(8, 40), "n")
    n_classes = draw(st.integers(2, 4), "n_classes")
    classes, missing = LABEL_KINDS[draw(st.sampled_from(list(LABEL_KINDS)))]
    classes = classes[:n_classes]
    pool_rng = np.random.RandomState(draw(st.integers(0, 2**16)))
    Xp = pool_rng.randn(n, 3)
    y_true = classes[pool_rng.randint(n_classes, size=n)]
    yp = np.full(n, missing, dtype=classes.dtype)
    n_labeled = draw(st.integers(0, n - 2), "n_labeled")
    yp[:n_labeled] = y_true[:n_labeled]
    unlabeled = np.arange(n_labeled, n)
    form = draw(st.sampled_from(["none", "indices", "samples"]))
    candidates, n_cand = None, unlabeled.size
    if form == "indices":
        n_cand = draw(st.integers(1, unlabeled.size))
        candidates = pool_rng.permutation(unlabeled)[:n_cand]
    elif form == "samples":
        n_cand = draw(st.integers(1, 10))
        candidates = pool_rng.randn(n_cand, 3)
    batch = draw(st.integers(1, n_cand), "batch")
    backends = ["numpy"]
    if __import__("importlib").util.find_spec("torch"):
        backends.append("torch")
    params = dict(
        missing_label=missing,
        random_state=draw(st.integers(0, 100)),
        selection=draw(st.sampled_from(["kmeans++", "farthest_first"])),
        dtype=draw(st.sampled_from([np.float32, np.float64])),
        backend=draw(st.sampled_from(backends)),
    )
    cls = draw(st.sampled_from([Badge, TypiClustThenBadge, GradientUHerding]))
    if cls is GradientUHerding:  # no selection rule, float64 throughout
        params = {
            k: v for k, v in params.items() if k not in ("selection", "dtype")
        }
    clf = SklearnClassifier(
        LogisticRegression(max_iter=200),
        classes=classes,
        missing_label=missing,
    )
    X0, y0 = Xp.copy(), yp.copy()
    with __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("ignore")
        idx, util = cls(**params).query(
            Xp, yp, clf, candidates=candidates, batch_size=batch,
            return_utilities=True,
        )  # fmt: skip
        again = cls(**params).query(
            Xp, yp, clf, candidates=candidates, batch_size=batch
        )
    np.testing.assert_array_equal(idx, again)
    assert idx.dtype.kind == "i" and len(set(idx.tolist())) == batch
    if form == "samples":
        assert util.shape == (batch, n_cand)
        allowed = np.arange(n_cand)
    else:
        assert util.shape == (batch, n)
        allowed = unlabeled if candidates is None else candidates
        assert np.isnan(util[:, :n_labeled]).all()
        outside = np.setdiff1d(np.arange(n), allowed)
        assert np.isnan(util[:, outside]).all()
    assert np.isin(idx, allowed).all()
    for k in range(batch):
        assert np.isnan(util[k, idx[:k]]).all()
        assert np.isfinite(util[k, np.setdiff1d(allowed, idx[:k])]).all()
    np.testing.assert_array_equal(Xp, X0)
    assert (yp == y0).all() or np.isnan(y0.astype(float)).any()


def test_egl_of_huge_finite_embeddings_ranks_as_at_scale_one():
    """|h|^2 overflowed to inf at 1e160 and the picks fell to the random
    tie-break; |h| is now computed without squaring the entries."""
    rng = np.random.RandomState(1)
    proba = rng.dirichlet(np.ones(3), 40)
    emb = rng.randn(40, 5)
    Xi = np.arange(40, dtype=float)[:, None]
    picks = []
    for scale in (1.0, 1e160):
        clf = LookupClassifier(proba, emb * scale, classes=[0, 1, 2])
        picks.append(
            ExpectedGradientLength("return_embeddings").query(
                Xi, y, clf.fit(Xi, None), fit_clf=False, batch_size=5
            )
        )
    np.testing.assert_array_equal(picks[0], picks[1])


@pytest.mark.parametrize(
    "method, beta", [("margin", 1e6), ("entropy", 1e4), ("entropy", 2.0)]
)
def test_power_sampling_rows_describe_the_draw_at_any_beta(method, beta):
    """The rows are ``score^beta`` normalised in log space: finite, summing
    to one, and at large ``beta`` (top-k) peaked on the pick."""
    # Four classes: entropies above 1, whose power overflowed at 1e4.
    proba = np.random.RandomState(0).dirichlet(np.ones(4) * 5, 40)
    Xi = np.arange(40, dtype=float)[:, None]
    clf = LookupClassifier(proba, Xi, classes=[0, 1, 2, 3])
    qs = PowerSampling(method=method, beta=beta, random_state=0)
    idx, util = qs.query(Xi, y, clf, batch_size=4, return_utilities=True)
    rows = util[:, 10:]  # the candidates
    for k in range(4):
        free = np.isfinite(rows[k])
        assert free.sum() == 30 - k  # NaN at the earlier picks only
        np.testing.assert_allclose(rows[k, free].sum(), 1.0)
        assert util[k, idx[k]] > 0  # the pick could be drawn
    if beta >= 1e6:  # top-k: each row is one-hot on its pick
        np.testing.assert_array_equal(np.nanargmax(util, axis=1), idx)


def test_vessal_overflow_leaves_the_state_as_it_was():
    clf = SklearnClassifier(LogisticRegression(), classes=[0, 1])
    clf.fit(X[:10], y[:10])
    qs = VeSSAL(budget=0.3, random_state=0, embedding_source="X")
    for rows in (slice(10, 20), slice(20, 30)):
        qs.update(X[rows], qs.query(X[rows], clf, fit_clf=False))
    before = qs.query(X[30:], clf, fit_clf=False, return_utilities=True)
    with pytest.raises(ValueError, match="volume state overflows"):
        qs.query(X[30:] * 1e160, clf, fit_clf=False)
    after = qs.query(X[30:], clf, fit_clf=False, return_utilities=True)
    np.testing.assert_array_equal(before[0], after[0])
    np.testing.assert_allclose(before[1], after[1])
