"""One query pipeline: every strategy on every pool (in memory, on disk in
C and Fortran order, on Dask) gives the same picks and utility rows, or is
refused before any model is fitted; every input is checked the same way
on every route, before any work."""

import re
import warnings

import numpy as np
import pytest
from skactiveml.classifier import SklearnClassifier
from skactiveml.exceptions import MappingError
from skactiveml.utils import MISSING_LABEL
from sklearn.datasets import make_multilabel_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from skactiveml_badge import (
    ActiveLearningByLearning,
    Badge,
    Bait,
    ClusterMargin,
    ExpectedGradientLength,
    GradientUHerding,
    MaxHerdingThenUHerding,
    MultilabelBadge,
    PowerSampling,
    TypiClustThenBadge,
)

from .conftest import digits

da = pytest.importorskip("dask.array")

SINGLE_LABEL = {
    "badge": lambda: Badge(random_state=3),
    "badge-farthest": lambda: Badge(
        random_state=3, selection="farthest_first", origin_as_centre=False
    ),
    "badge-cosine": lambda: Badge(random_state=3, metric="cosine"),
    "badge-farthest-cosine": lambda: Badge(
        random_state=3, selection="farthest_first", metric="cosine"
    ),
    "recipe-random": lambda: TypiClustThenBadge(
        random_state=3, warm_start_rule="random"
    ),
    "bait": lambda: Bait(random_state=3),
    "egl": lambda: ExpectedGradientLength(random_state=3),
    "power": lambda: PowerSampling(random_state=3),
}


class NoFit(SklearnClassifier):
    """Fails the test if it is fitted (checks must come first)."""

    def fit(self, *args, **kwargs):
        raise AssertionError("fitted before the checks")


class NoFitLR(LogisticRegression):
    def fit(self, *args, **kwargs):
        raise AssertionError("fitted before the checks")


class NoFitMLP(MLPClassifier):
    def fit(self, *args, **kwargs):
        raise AssertionError("fitted before the checks")


def _pool(n=240, n_labeled=60, seed=0):
    X, y_true = digits(n)
    y = np.full(n, MISSING_LABEL)
    lab = np.random.RandomState(seed).choice(n, n_labeled, replace=False)
    y[lab] = y_true[lab]
    return X, y


def _clf():
    return SklearnClassifier(
        LogisticRegression(max_iter=300), classes=np.arange(10)
    )


def _pools(X, tmp_path):
    """The same samples in memory, on disk (C and Fortran order) and on
    Dask."""
    np.save(tmp_path / "c.npy", np.ascontiguousarray(X))
    np.save(tmp_path / "f.npy", np.asfortranarray(X))
    fortran = np.load(tmp_path / "f.npy", mmap_mode="r")
    assert fortran.flags.f_contiguous and not fortran.flags.c_contiguous
    return {
        "memory": X,
        "disk": np.load(tmp_path / "c.npy", mmap_mode="r"),
        "disk-fortran": fortran,
        "dask": da.from_array(X, chunks=(70, -1)),
    }


def _same(ref, got, where):
    np.testing.assert_array_equal(ref[0], got[0], err_msg=where)
    np.testing.assert_allclose(
        ref[1], np.asarray(got[1]), rtol=2e-4, atol=1e-9, err_msg=where
    )


@pytest.mark.parametrize("name", list(SINGLE_LABEL))
def test_every_strategy_gives_the_same_batch_on_every_pool(
    name, tmp_path, monkeypatch
):
    """``query`` (index candidates in any order, and candidates given as
    samples) and ``select_batch``, the pool read in blocks smaller than
    itself."""
    from skactiveml_badge.pool import _pool as pool_module

    monkeypatch.setattr(pool_module, "EMBED_ROWS", 50)
    X, y = _pool()
    unl = np.flatnonzero(np.isnan(y))
    cand = np.random.RandomState(1).permutation(unl)[:90]
    lab = ~np.isnan(y)
    model = LogisticRegression(max_iter=300).fit(X[lab], y[lab])
    samples = X[unl[:40]] + 0.01
    runs = {}
    for kind, pool in _pools(X, tmp_path).items():
        qs = SINGLE_LABEL[name]()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            runs[kind] = (
                qs.query(pool, y, _clf(), candidates=cand, batch_size=6,
                         return_utilities=True),
                qs.query(pool, y, _clf(), candidates=samples, batch_size=4,
                         return_utilities=True),
                SINGLE_LABEL[name]().select_batch(
                    model, _rows(pool, unl), X[lab], y[lab], batch_size=5
                ),
            )  # fmt: skip
    ref = runs.pop("memory")
    for kind, got in runs.items():
        _same(ref[0], got[0], f"{kind}: index candidates")
        _same(ref[1], got[1], f"{kind}: sample candidates")
        np.testing.assert_array_equal(ref[2], got[2], err_msg=kind)
    assert np.isnan(ref[0][1][:, lab]).all()


def _rows(pool, rows):
    """Rows of a pool, where it lives (the unlabeled part of it)."""
    if isinstance(pool, np.memmap):
        out = str(pool.filename).replace(".npy", "-rows.npy")
        sub = np.asarray(pool)[rows]
        np.save(out, np.asfortranarray(sub) if pool.flags.f_contiguous
                else sub)  # fmt: skip
        return np.load(out, mmap_mode="r")
    return pool[rows]


def _multilabel(n=150, n_labeled=40):
    X, Y = make_multilabel_classification(
        n, n_features=8, n_classes=4, random_state=0
    )
    y = np.full(Y.shape, np.nan)
    y[:n_labeled] = Y[:n_labeled]
    return X.astype(np.float32), Y, y


def test_multilabel_badge_gives_the_same_batch_on_every_pool(tmp_path):
    X, Y, y = _multilabel()
    mlp = MLPClassifier((16,), max_iter=500, random_state=0)
    fitted = MLPClassifier((16,), max_iter=500, random_state=0)
    fitted.fit(X[:40], Y[:40])
    runs = {}
    for kind, pool in _pools(X, tmp_path).items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            runs[kind] = (
                MultilabelBadge(random_state=2).query(
                    pool, y, mlp, batch_size=6, return_utilities=True
                ),
                MultilabelBadge(random_state=2).select_batch(
                    fitted, _rows(pool, np.arange(40, 150)), batch_size=4
                ),
            )
    ref = runs.pop("memory")
    for kind, got in runs.items():
        _same(ref[0], got[0], kind)
        np.testing.assert_array_equal(ref[1], got[1], err_msg=kind)


@pytest.mark.parametrize(
    "make",
    [
        ClusterMargin,
        ActiveLearningByLearning,
        GradientUHerding,
        MaxHerdingThenUHerding,
    ],
    ids=lambda c: c.__name__,
)
def test_strategies_that_need_memory_refuse_chunked_pools_first(
    make, tmp_path
):
    X, y = _pool()
    no_fit = NoFit(LogisticRegression(), classes=np.arange(10))
    for kind, pool in _pools(X, tmp_path).items():
        if kind == "memory":
            continue
        with pytest.raises(TypeError, match="needs the pool in memory"):
            make(random_state=0).query(pool, y, no_fit, batch_size=3)


def test_a_fortran_ordered_npy_pool_is_read_in_its_layout(tmp_path):
    """``read_rows`` reopened the file in C order: on a Fortran-ordered
    pool Badge picked [20 21 39] where memory gives [49 21 40]."""
    X, y = _pool()
    np.save(tmp_path / "f.npy", np.asfortranarray(X))
    pool = np.load(tmp_path / "f.npy", mmap_mode="r")
    for make in (Badge, Bait):
        ref = make(random_state=0).query(X, y, _clf(), batch_size=5)
        got = make(random_state=0).query(pool, y, _clf(), batch_size=5)
        np.testing.assert_array_equal(ref, got)


def test_chunked_pools_check_every_input_before_fitting(tmp_path):
    X, y = _pool()
    no_fit = NoFit(LogisticRegression(), classes=np.arange(10))
    disk = _pools(X, tmp_path)["disk"]
    with pytest.raises(ValueError, match="sample shape of X"):
        Badge().query(disk, y, no_fit, candidates=X[:5, :10])
    with pytest.raises(ValueError, match="repeated"):
        Badge().query(disk, y, no_fit, candidates=[3, 3])
    with pytest.raises(ValueError, match="`selection`"):
        Badge(selection="best").query(disk, y, no_fit)
    unfitted = NoFitLR()
    with pytest.raises(ValueError, match="both"):
        Badge().select_batch(unfitted, disk, labeled_x=X[:5])
    with pytest.raises(ValueError, match="`selection`"):
        Badge(selection="best").select_batch(unfitted, disk, X[:5], y[:5])
    for pool in (X, disk):
        with pytest.raises(ValueError, match="`lamb`"):
            Bait(lamb=-1.0).select_batch(unfitted, pool, X[:5], y[:5])


def test_options_a_model_cannot_serve_are_refused_before_fitting():
    X, y = _pool()
    lr = NoFit(LogisticRegression(), classes=np.arange(10))
    forest = NoFit(RandomForestClassifier(), classes=np.arange(10))
    with pytest.raises(ValueError, match="needs a torch net"):
        Badge(mc_dropout=2).query(X, y, lr)
    with pytest.raises(ValueError, match="needs a boosted ensemble"):
        Badge(tree_embedding="leaf_gradient").query(X, y, forest)
    with pytest.raises(MappingError, match="indices into X"):
        ActiveLearningByLearning().query(X, y, lr, candidates=X[:5])


def test_multilabel_badge_checks_candidates_and_model_first():
    X, Y, y = _multilabel()
    no_fit = NoFitMLP()
    with pytest.raises(ValueError, match="repeated"):
        MultilabelBadge().query(X, y, no_fit, candidates=[50, 50, 51])
    with pytest.raises(TypeError, match="integer indices"):
        MultilabelBadge().query(X, y, no_fit, candidates=[50.7, 51.2])

    class NoFitForest(RandomForestClassifier):
        def fit(self, *args, **kwargs):
            raise AssertionError("fitted before the checks")

    with pytest.raises(TypeError, match="Multi-label embeddings need"):
        MultilabelBadge().query(X, y, NoFitForest())


def test_a_data_frame_with_text_is_refused_by_name():
    pd = pytest.importorskip("pandas")
    X, y = _pool(n=60, n_labeled=20)
    df = pd.DataFrame(X[:, :3], columns=list("abc"))
    df["d"] = ["x", "y", "z"] * 20
    # Badge keeps such a frame for the model (tests/test_frames.py), but
    # not through scikit-activeml's wrapper, which makes it an object array
    with pytest.raises(TypeError, match="wrap the model in.*FrameClassifier"):
        Badge().query(df, y, NoFit(LogisticRegression(), classes=[0, 1]))
    df["d"] = df["d"].astype("category")
    with pytest.raises(TypeError, match="FrameClassifier"):
        Badge().query(df, y, NoFit(LogisticRegression(), classes=[0, 1]))
    # A strategy that needs numbers says so
    with pytest.raises(TypeError, match="needs numeric samples.*Encode"):
        PowerSampling().query(
            df, y, NoFit(LogisticRegression(), classes=[0, 1])
        )
    # A numeric frame is an array, as before
    df["d"] = np.arange(60.0)
    Badge().query(df, y, _clf())


def test_one_batch_size_warning_on_every_route(tmp_path):
    X, y = _pool(n=80, n_labeled=70)
    model = LogisticRegression(max_iter=300).fit(X[:20], y[~np.isnan(y)][:20])
    texts = set()
    disk = _pools(X, tmp_path)["disk"]
    Xm, _, ym = _multilabel(n=80, n_labeled=70)
    calls = [
        lambda: Badge().query(X, y, _clf(), batch_size=20),
        lambda: Badge().query(disk, y, _clf(), batch_size=20),
        lambda: Badge().select_batch(model, X[:4], batch_size=20),
        lambda: PowerSampling().query(X, y, _clf(), batch_size=20),
        lambda: MultilabelBadge().query(
            Xm, ym, MLPClassifier((4,), max_iter=50), batch_size=20
        ),
    ]
    for call in calls:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        (w,) = [w for w in caught if "batch_size" in str(w.message)]
        assert w.filename == __file__  # points at the caller's line
        texts.add(re.sub(r"\d+", "N", str(w.message)))
    assert len(texts) == 1


def test_parameters_positional_as_in_scikit_activeml_the_rest_keyword():
    """scikit-activeml's parameters positional in its order, the rest
    keyword-only; the embedding parameters have one default everywhere."""
    import inspect

    from skactiveml_badge import VeSSAL
    from skactiveml_badge._params import EMBEDDING_PARAMS

    sk = ["clf_embedding_flag_name", "missing_label", "random_state"]
    expected = {
        Badge: sk,
        TypiClustThenBadge: sk,
        Bait: sk,
        MultilabelBadge: sk,
        ExpectedGradientLength: sk,
        GradientUHerding: sk,
        PowerSampling: sk[1:],
        ClusterMargin: sk[1:],
        ActiveLearningByLearning: sk[1:],
        VeSSAL: ["budget", "clf_embedding_flag_name", "random_state"],
    }
    for cls, names in expected.items():
        params = inspect.signature(cls).parameters
        positional = [
            n for n, p in params.items() if p.kind == p.POSITIONAL_OR_KEYWORD
        ]
        assert positional == names, cls.__name__
        for name, default in EMBEDDING_PARAMS.items():
            if name in params:
                assert params[name].default == default, (cls, name)
        qs = cls(*[object()] * len(names))
        assert all(getattr(qs, n) is not None for n in names)
    with pytest.raises(TypeError, match=r"Badge\(\).*positional"):
        Badge(None, np.nan, 0, "kmeans++")
    with pytest.raises(TypeError, match=r"Bait\(\).*unexpected.*'lam'"):
        Bait(lam=1.0)


def test_every_strategy_on_a_local_cluster(client):
    """The blocks embedded (and scored) by two worker processes that
    receive the fitted model: the batch of the same data in memory."""
    X, y = _pool()
    Xd = da.from_array(X, chunks=(70, -1))
    for name, make in SINGLE_LABEL.items():
        ref = make().query(X, y, _clf(), batch_size=5, return_utilities=True)
        got = make().query(Xd, y, _clf(), batch_size=5, return_utilities=True)
        _same(ref, got, name)
    Xm, _, ym = _multilabel()
    mlp = MLPClassifier((16,), max_iter=300, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the MLP's convergence
        ref = MultilabelBadge(random_state=1).query(Xm, ym, mlp, batch_size=5)
        got = MultilabelBadge(random_state=1).query(
            da.from_array(Xm, chunks=(50, -1)), ym, mlp, batch_size=5
        )
    np.testing.assert_array_equal(ref, got)


def test_the_public_import_paths_still_work():
    import importlib
    import importlib.util

    import skactiveml_badge

    for name in skactiveml_badge.__all__:
        assert getattr(skactiveml_badge, name) is not None, name
    selection = importlib.import_module("skactiveml_badge.selection")
    assert callable(selection.kmeans_plusplus)
    assert callable(selection.farthest_first)
    main = importlib.util.find_spec("skactiveml_badge.experiments.__main__")
    assert main is not None
    exceptions = importlib.import_module("skactiveml_badge.exceptions")
    assert skactiveml_badge.WarmStartWarning is exceptions.WarmStartWarning
