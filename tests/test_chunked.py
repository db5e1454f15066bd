"""Pools that stay chunked: factors and pools on disk (``numpy.memmap``)
and on Dask (``dask.array``, local scheduler and a two-process
``LocalCluster``) give the picks and utilities of the same data in
memory; bad input gets a clear error before any work."""

import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from skactiveml.classifier import SklearnClassifier
from skactiveml.utils import MISSING_LABEL
from sklearn.linear_model import LogisticRegression

from skactiveml_badge import Badge, Bait, TypiClustThenBadge
from skactiveml_badge.pool import _pool as chunked_pool
from skactiveml_badge.selection import (
    _chunked,
    farthest_first,
    kmeans_plusplus,
)
from skactiveml_badge.selection._chunked import DaskWorkerError

from ._reference import random_factors
from .conftest import digits, make_skorch_problem

da = pytest.importorskip("dask.array")

KERNELS = {"kmeans++": kmeans_plusplus, "farthest_first": farthest_first}
OPTIONS = [
    {},
    {"origin_as_centre": True},
    {"storage_dtype": "float16"},
    {"dtype": np.float64},
    {"class_balance": "equal"},
]


def _factors(n=700, C=6, D=24, seed=0):
    proba, delta, h = random_factors(np.random.RandomState(seed), n, C, D)
    return proba.argmax(1), delta.astype(np.float32), h.astype(np.float32)


def _on_disk(tmp_path, **arrays):
    out = []
    for name, arr in arrays.items():
        np.save(tmp_path / f"{name}.npy", arr)
        out.append(np.load(tmp_path / f"{name}.npy", mmap_mode="r"))
    return out


def _run(rule, delta, h, labels, n_picks, options):
    kwargs = dict(options, return_utilities=True)
    if rule == "kmeans++":
        kwargs["random_state"] = 7
    if "class_balance" in options:
        kwargs["class_labels"] = labels
    idx, util = KERNELS[rule](delta, h, n_picks, **kwargs)
    if hasattr(util, "compute"):
        util = util.compute()
    return idx, util


def _assert_same(ref, other):
    np.testing.assert_array_equal(ref[0], other[0])
    np.testing.assert_allclose(ref[1], other[1], rtol=2e-4, atol=1e-9)


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("rule", list(KERNELS))
def test_kernels_on_disk_and_dask_equal_in_memory(
    rule, options, tmp_path, monkeypatch
):
    """Same picks, same utility rows; blocks smaller than the pool."""
    monkeypatch.setattr(_chunked, "DISK_ROWS", 97)
    labels, delta, h = _factors()
    ref = _run(rule, delta, h, labels, 60, options)
    dm, hm = _on_disk(tmp_path, delta=delta, h=h)
    _assert_same(ref, _run(rule, dm, hm, labels, 60, options))
    dd = da.from_array(delta, chunks=(131, -1))
    hd = da.from_array(h, chunks=(200, 7))  # rechunked inside
    _assert_same(ref, _run(rule, dd, hd, labels, 60, options))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    n=st.integers(1, 120),
    chunk=st.integers(1, 50),
    n_picks=st.integers(1, 30),
    seed=st.integers(0, 2**16),
    origin=st.booleans(),
)
def test_dask_picks_do_not_depend_on_the_chunking(
    n, chunk, n_picks, seed, origin
):
    n_picks = min(n_picks, n)
    _, delta, h = _factors(n, 3, 5, seed)
    if seed % 3 == 0:  # duplicates and zero gradients
        delta[n // 2 :] = 0.0
        h[1::2] = h[0]
    for rule in KERNELS:
        options = {"origin_as_centre": origin}
        ref = _run(rule, delta, h, None, n_picks, options)
        got = _run(
            rule, da.from_array(delta, chunks=chunk),
            da.from_array(h, chunks=chunk), None, n_picks, options,
        )  # fmt: skip
        _assert_same(ref, got)


def test_dask_kernel_returns_lazy_utilities():
    _, delta, h = _factors(300)
    idx, util = kmeans_plusplus(
        da.from_array(delta, chunks=100), da.from_array(h, chunks=100), 5,
        random_state=0, return_utilities=True,
    )  # fmt: skip
    assert isinstance(util, da.Array) and util.shape == (5, 300)
    assert np.isnan(util[1, idx[0]].compute())


def _pool(n=400, n_labeled=200, seed=0):
    X, y_true = digits(n)
    y = np.full(n, MISSING_LABEL)
    lab = np.random.RandomState(seed).choice(n, n_labeled, replace=False)
    y[lab] = y_true[lab]
    return X, y


def _lgbm(**params):
    lightgbm = pytest.importorskip("lightgbm")
    est = lightgbm.LGBMClassifier(n_estimators=10, verbose=-1, **params)
    return SklearnClassifier(est, classes=np.arange(10))


def _query_all(qs_params, X, y, clf, tmp_path, cls=Badge, **kwargs):
    """``query`` in memory, on disk and on Dask (utilities computed)."""
    (Xm,) = _on_disk(tmp_path, X=X)
    out = []
    for pool in (X, Xm, da.from_array(X, chunks=(90, -1))):
        qs = cls(random_state=3, **qs_params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            idx, util = qs.query(pool, y, clf, return_utilities=True, **kwargs)
        out.append((idx, np.asarray(util)))
    return out


@pytest.mark.parametrize(
    "qs_params",
    [
        {"leaf_dim": 32},
        {"leaf_dim": 32, "selection": "farthest_first"},
        {"leaf_dim": 32, "class_balance": "equal", "origin_as_centre": False},
        {"leaf_dim": 48, "tree_embedding": "leaf_gradient"},
    ],
)
def test_badge_query_on_disk_and_dask_equals_in_memory(
    qs_params, tmp_path, monkeypatch
):
    """LightGBM (its leaf embeddings hashed: 100 trees > leaf_dim), the
    pool embedded in blocks smaller than the pool."""
    monkeypatch.setattr(chunked_pool, "EMBED_ROWS", 64)
    monkeypatch.setattr(_chunked, "DISK_ROWS", 70)
    X, y = _pool()
    ref, disk, dask_ = _query_all(
        qs_params, X, y, _lgbm(), tmp_path, batch_size=12
    )
    _assert_same(ref, disk)
    _assert_same(ref, dask_)


def test_badge_candidates_and_warm_start_on_chunked_pools(tmp_path):
    X, y = _pool(n_labeled=30)
    clf = SklearnClassifier(LogisticRegression(max_iter=300))
    # Index candidates in any order (the pool on disk is still read in
    # file order).
    cand = np.random.RandomState(0).permutation(np.flatnonzero(np.isnan(y)))
    cand = cand[::3]
    # The recipe's TypiClust clusters the pool in memory: refused before
    # fitting, the other rules named.
    with pytest.raises(ValueError, match="use another warm_start_rule"):
        TypiClustThenBadge(random_state=3).query(
            da.from_array(X, chunks=100), y, clf, batch_size=5
        )
    for cls, params in (
        (TypiClustThenBadge, {"warm_start_rule": "farthest_first"}),
        (TypiClustThenBadge, {"warm_start_rule": "random"}),
        (TypiClustThenBadge, {"warm_start_rule": "margin"}),
        (TypiClustThenBadge, {"warm_start_rule": "entropy"}),
        (Badge, {}),
    ):
        ref, disk, dask_ = _query_all(
            params, X, y, clf, tmp_path, cls=cls, batch_size=5,
            candidates=cand,
        )  # fmt: skip
        _assert_same(ref, disk)
        _assert_same(ref, dask_)
        assert np.isnan(ref[1][:, np.setdiff1d(np.arange(len(y)), cand)]).all()


def test_select_batch_on_chunked_pools(tmp_path):
    X, y = _pool()
    lab = ~np.isnan(y)
    model = LogisticRegression(max_iter=300).fit(X[lab], y[lab])
    (Xm,) = _on_disk(tmp_path, X=X[~lab])
    picks = [
        Badge(random_state=5).select_batch(
            model, pool, X[lab], y[lab], batch_size=8
        )
        for pool in (X[~lab], Xm, da.from_array(X[~lab], chunks=50))
    ]
    np.testing.assert_array_equal(picks[0], picks[1])
    np.testing.assert_array_equal(picks[0], picks[2])


def test_chunked_pools_reject_what_they_cannot_serve(tmp_path):
    X, y = _pool(n_labeled=30)
    clf = SklearnClassifier(LogisticRegression(max_iter=300))
    Xd = da.from_array(X, chunks=100)
    masked = Xd[Xd[:, 10] > 0.1]
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        Badge().query(masked, y[:0], clf)
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        kmeans_plusplus(masked[:, :3], masked, 2)
    with pytest.raises(
        ValueError, match="'typiclust' needs the pool in memory"
    ):
        TypiClustThenBadge(warm_start_rule="typiclust").query(Xd, y, clf)
    with pytest.raises(ValueError, match=r"one label per row of X \(400\)"):
        Badge().query(Xd, y[:-1], clf)
    with pytest.raises(ValueError, match="mc_dropout"):
        Badge(mc_dropout=2).query(Xd, y, clf)
    with pytest.raises(ValueError, match="lazy kernels only"):
        kmeans_plusplus(Xd[:, :2], Xd, 2, algorithm="plain")
    with pytest.raises(ValueError, match="numpy on the host"):
        kmeans_plusplus(Xd[:, :2], Xd, 2, backend="torch")
    _, delta, h = _factors(50)
    dm, hm = _on_disk(tmp_path, delta=delta, h=h * 1e30)
    with pytest.raises(ValueError, match="overflow"):
        kmeans_plusplus(dm, hm, 3)


# ----------------------------------------------------- a process cluster


def test_kernels_on_a_local_cluster(client):
    labels, delta, h = _factors(900)
    for rule in KERNELS:
        for options in OPTIONS[:3] + OPTIONS[4:]:
            ref = _run(rule, delta, h, labels, 40, options)
            dd = da.from_array(delta, chunks=(250, -1))
            hd = da.from_array(h, chunks=(300, -1))
            _assert_same(ref, _run(rule, dd, hd, labels, 40, options))


def test_badge_query_on_a_local_cluster_lightgbm(client, tmp_path):
    X, y = _pool()
    ref, _, dask_ = _query_all(
        {"leaf_dim": 32}, X, y, _lgbm(), tmp_path, batch_size=10
    )
    _assert_same(ref, dask_)


def test_badge_query_on_a_local_cluster_skorch(client):
    pytest.importorskip("torch")
    from ._torch_modules import DigitsMLP

    X, y, clf = make_skorch_problem(DigitsMLP, n=400, n_labeled=100)
    out = []
    for pool in (X, da.from_array(X, chunks=(150, -1))):
        qs = Badge(random_state=2, origin_as_centre=False)
        idx, util = qs.query(
            pool, y, clf, fit_clf=False, batch_size=10, return_utilities=True
        )
        out.append((idx, np.asarray(util)))
    _assert_same(*out)


def test_unpicklable_model_is_named_before_any_work(client):
    import threading

    X, y = _pool()
    clf = _lgbm().fit(X, y)
    clf.lock_ = threading.Lock()  # cannot be pickled
    with pytest.raises(TypeError, match="cannot be pickled to the Dask"):
        Badge(leaf_dim=32).query(
            da.from_array(X, chunks=100), y, clf, fit_clf=False
        )


def test_a_lost_worker_is_reported_and_nothing_changes():
    distributed = pytest.importorskip("distributed")
    import dask

    class Crashes(LogisticRegression):
        """Kills the worker process that predicts with it."""

        def predict_proba(self, X):
            try:
                distributed.get_worker()
            except ValueError:  # on the caller: predict
                return super().predict_proba(X)
            os._exit(1)

    X, y = _pool()
    y_before = y.copy()
    clf = SklearnClassifier(Crashes(max_iter=300), classes=np.arange(10))
    Xd = da.from_array(X, chunks=100)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with distributed.LocalCluster(
            n_workers=1, processes=True, threads_per_worker=1,
            dashboard_address=None,
        ) as cluster, distributed.Client(cluster):  # fmt: skip
            with pytest.raises(DaskWorkerError, match="worker was lost"):
                Badge(origin_as_centre=False).query(Xd, y, clf)
    np.testing.assert_array_equal(y, y_before)
    np.testing.assert_array_equal(Xd.compute(), X)
    assert not hasattr(clf, "estimator_")


def test_runner_pool_on_disk_makes_the_in_memory_picks():
    from skactiveml_badge.experiments import (
        STRATEGIES,
        load_dataset,
        run_rounds,
    )

    X, y, scale = load_dataset("wine")
    badge = STRATEGIES["badge"]
    loops = [
        list(
            run_rounds(
                X,
                y,
                "logreg",
                badge,
                batch_size=5,
                seed=1,
                rounds=3,
                n_start=10,
                scale=scale,
                pool_on_disk=on_disk,
            )
        )  # fmt: skip
        for on_disk in (False, True)
    ]
    for a, b in zip(*loops, strict=True):
        np.testing.assert_array_equal(a.queried, b.queried)
        assert a.accuracy == b.accuracy
    with pytest.raises(TypeError, match="pool_on_disk"):
        next(run_rounds(X, y, "logreg", badge, batch_size=5, seed=1,
                        rounds=1, pool_on_disk="yes"))  # fmt: skip


def test_candidates_given_as_chunked_samples(tmp_path):
    X, y = _pool()
    clf = SklearnClassifier(LogisticRegression(max_iter=300))
    lab = ~np.isnan(y)
    new = digits(600)[0][400:]  # samples that are not in X
    (new_disk,) = _on_disk(tmp_path, new=new)
    out = []
    for cand in (new, new_disk, da.from_array(new, chunks=70)):
        idx, util = Badge(random_state=4, origin_as_centre=False).query(
            X[lab], y[lab], clf, candidates=cand, batch_size=6,
            return_utilities=True,
        )  # fmt: skip
        out.append((idx, util))
    assert isinstance(out[2][1], da.Array)  # the chunked path
    out = [(idx, np.asarray(util)) for idx, util in out]
    _assert_same(out[0], out[1])
    _assert_same(out[0], out[2])
    assert out[0][1].shape == (6, 200)


@pytest.mark.parametrize("params", [{}, {"top_k": 3}])
def test_bait_on_disk_and_dask_equals_in_memory(params, tmp_path, monkeypatch):
    """The rows embedded in blocks (LightGBM: hashed leaves), the same
    picks and utilities."""
    monkeypatch.setattr(chunked_pool, "EMBED_ROWS", 64)
    X, y = _pool(n=300, n_labeled=60)
    (Xm,) = _on_disk(tmp_path, X=X)
    out = []
    for pool in (X, Xm, da.from_array(X, chunks=(90, -1))):
        idx, util = Bait(random_state=0, leaf_dim=32, **params).query(
            pool, y, _lgbm(), batch_size=5, return_utilities=True
        )
        out.append((idx, np.asarray(util)))
    _assert_same(out[0], out[1])
    _assert_same(out[0], out[2])
