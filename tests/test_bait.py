"""Bait: the kernel against explicit Fisher matrices, backends, contract."""

import numpy as np
import pytest
import scipy.sparse as sp
from skactiveml.classifier import SklearnClassifier
from sklearn.ensemble import RandomForestClassifier

from skactiveml_badge import Bait
from skactiveml_badge.selection import bait
from skactiveml_badge.selection._arrays import NumpyOps
from skactiveml_badge.selection._bait import class_basis, reduce_dimension

from ._conformance import (
    QueryStrategyContract,
    TorchEmbeddingParamTests,
    make_pool,
)
from ._reference import bait_brute_force, random_factors
from .conftest import LookupClassifier


def _problem(seed, n=36, C=4, D=3):
    proba, _, h = random_factors(np.random.RandomState(seed), n, C, D)
    return proba, h


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(
    "lamb, oversample, n_labeled, C",
    [
        (1.0, 2.0, 5, 4),
        (0.1, 2.0, 0, 4),
        (0.01, 1.5, 8, 3),
        (1.0, 1.0, 3, 2),
        (0.5, 3.0, 4, 5),
    ],
)
def test_low_rank_updates_equal_direct_traces(
    seed, lamb, oversample, n_labeled, C
):
    """Picks and every utility row equal tr(A^-1 F) recomputed directly
    from the C*D x C*D matrices (which also checks that dropping the
    all-ones class direction changes no trace)."""
    proba, h = _problem(seed, C=C)
    labeled = np.arange(n_labeled)
    cand = np.arange(n_labeled, len(h))
    k = 4
    n_forward = int(np.ceil(oversample * k))
    idx, util = bait(
        proba,
        h,
        k,
        cand,
        labeled,
        lamb=lamb,
        oversample=oversample,
        return_utilities=True,
    )
    ref_idx, ref_util = bait_brute_force(
        proba, h, k, cand, labeled, lamb, n_forward
    )
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_array_equal(np.isnan(util), np.isnan(ref_util))
    np.testing.assert_allclose(util, ref_util, rtol=1e-9, atol=1e-12)
    for row, pick in zip(util, idx, strict=True):
        assert np.nanargmax(row) == pick


def test_backward_pruning_changes_the_batch():
    """On some pool the pruned batch differs from the first k forward picks
    (so the pruning test above is not vacuous)."""
    differs = 0
    for seed in range(10):
        proba, h = _problem(seed)
        a = bait(proba, h, 4, lamb=0.1, oversample=1.0)[0]
        b = bait(proba, h, 4, lamb=0.1, oversample=2.0)[0]
        differs += set(a.tolist()) != set(b.tolist())
    assert differs >= 1


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_torch_and_numpy_agree_on_cpu(dtype):
    torch = pytest.importorskip("torch")
    for seed in range(3):
        proba, h = _problem(seed, n=400, C=6, D=8)
        args = dict(labeled=np.arange(20), dtype=dtype)
        a, ua = bait(proba, h, 15, return_utilities=True, **args)
        b, ub = bait(
            torch.tensor(proba),
            torch.tensor(h),
            15,
            backend="torch",
            return_utilities=True,
            **args,
        )
        np.testing.assert_array_equal(a, b)
        scale = np.nanmax(np.abs(ua))
        tol = 1e-10 if dtype == np.float64 else 1e-4
        np.testing.assert_allclose(ua / scale, ub / scale, atol=tol)


def test_float32_keeps_the_float64_picks():
    proba, h = _problem(0, n=300, C=5, D=6)
    a = bait(proba, h, 10, labeled=np.arange(10))[0]
    b = bait(proba, h, 10, labeled=np.arange(10), dtype=np.float32)[0]
    np.testing.assert_array_equal(a, b)


def test_class_basis_is_orthonormal_and_sums_to_zero():
    for C in (2, 3, 7):
        Q = class_basis(C)
        np.testing.assert_allclose(Q.T @ Q, np.eye(C - 1), atol=1e-12)
        np.testing.assert_allclose(Q.sum(0), 0, atol=1e-12)


def test_max_dim_projects_on_the_leading_directions():
    proba, h = _problem(1, n=60, C=3, D=10)
    P = reduce_dimension(h, 3, 8, None)
    assert P.shape == (10, 4)
    # Leading right singular vectors of h, up to sign.
    Vt = np.linalg.svd(h, full_matrices=False)[2][:4]
    np.testing.assert_allclose(np.abs(Vt @ P), np.eye(4), atol=1e-8)
    a, ua = bait(proba, h, 3, max_dim=8, return_utilities=True)
    b, ub = bait(proba, h @ P, 3, max_dim=None, return_utilities=True)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(ua, ub, rtol=1e-9)
    # No projection when the cap is not reached.
    assert reduce_dimension(h, 3, 20, None) is None
    with pytest.raises(ValueError, match="max_dim"):
        bait(proba, h, 3, max_dim=1)


def test_sparse_and_large_embeddings_are_projected():
    proba, h = _problem(2, n=50, C=3, D=12)
    hs = sp.csr_matrix(np.where(h > 1.0, h, 0.0))
    a, ua = bait(proba, hs, 4, max_dim=None, return_utilities=True)
    b, ub = bait(proba, hs.toarray(), 4, max_dim=None, return_utilities=True)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(ua, ub, rtol=1e-10)
    # A cap on a sparse h goes through a (seeded) randomized SVD.
    c = bait(proba, hs, 4, max_dim=10, random_state=0)[0]
    d = bait(proba, hs, 4, max_dim=10, random_state=0)[0]
    np.testing.assert_array_equal(c, d)
    # With a pool, F and the projection are over the pool's rows only.
    pool = np.arange(30)
    P = reduce_dimension(hs[pool], 3, 10, 0)
    e, ue = bait(
        proba,
        hs,
        4,
        pool=pool,
        max_dim=10,
        random_state=0,
        return_utilities=True,
    )
    f, uf = bait(
        proba, hs @ P, 4, pool=pool, max_dim=None, return_utilities=True
    )
    np.testing.assert_array_equal(e, f)
    np.testing.assert_allclose(ue, uf, rtol=1e-9)
    dense = bait(
        proba, hs.toarray(), 4, pool=pool, max_dim=2, return_utilities=True
    )
    P = reduce_dimension(hs.toarray()[pool], 3, 2, None, NumpyOps(np.float64))
    g = bait(
        proba,
        hs.toarray() @ P,
        4,
        pool=pool,
        max_dim=None,
        return_utilities=True,
    )
    np.testing.assert_array_equal(dense[0], g[0])
    np.testing.assert_allclose(dense[1], g[1], rtol=1e-9)


def test_one_class_gives_distinct_random_picks():
    proba = np.ones((30, 1))
    h = np.random.RandomState(0).rand(30, 4)
    a, ua = bait(proba, h, 5, random_state=0, return_utilities=True)
    b = bait(proba, h, 5, random_state=1)[0]
    assert len(set(a.tolist())) == 5 and not np.array_equal(a, b)
    assert np.nanmax(np.abs(ua)) == 0
    assert np.isnan(ua[4, a[:4]]).all()


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(lamb=0.0), ValueError, "lamb"),
        (dict(lamb="1"), TypeError, "lamb"),
        (dict(oversample=0.5), ValueError, "oversample"),
        (dict(max_dim=0), ValueError, "max_dim"),
        (dict(backend="cupy"), ValueError, "backend"),
        (dict(dtype=np.int32), ValueError, "dtype"),
        (dict(candidates=[0, 0]), ValueError, "candidates"),
        (dict(candidates=[0, 99]), ValueError, "candidates"),
        (dict(labeled=[0.5]), TypeError, "labeled"),
        (dict(n_picks=40), ValueError, "n_picks"),
        (dict(max_classes=0), ValueError, "max_classes"),
        (dict(max_classes=2.0), TypeError, "max_classes"),
        (dict(max_classes=3), ValueError, "max_classes=3"),
        (dict(pool=[]), ValueError, "pool"),
        (dict(pool=[1, 1]), ValueError, "pool"),
    ],
)
def test_kernel_rejects_bad_input(kwargs, exc, match):
    proba, h = _problem(0)
    args = dict(n_picks=3) | kwargs
    with pytest.raises(exc, match=match):
        bait(proba, h, **args)


def test_kernel_rejects_bad_shapes():
    proba, h = _problem(0)
    with pytest.raises(ValueError, match="proba"):
        bait(proba[:, 0], h, 3)
    with pytest.raises(ValueError, match="h"):
        bait(proba, h[:-1], 3)
    with pytest.raises(ValueError, match="h"):
        bait(proba, sp.csr_matrix(h[:-1]), 3)


@pytest.mark.parametrize("n, C, D", [(9, 4, 3), (50, 2, 5), (30, 7, 1)])
def test_mean_fisher_equals_the_explicit_sum(n, C, D, monkeypatch):
    """The blockwise F (O(n d^2)) equals Y^T Y over the explicit factors
    V_x, also when the rows come in chunks of one."""
    from skactiveml_badge.selection import _bait as kernel

    ops = NumpyOps(np.float64)
    proba, h = _problem(n, n=n, C=C, D=D)
    L = kernel.fisher_factors(proba, ops)
    Y = np.einsum("nac,ni->ncai", L, h).reshape(n * C, -1)
    ref = Y.T @ Y / n
    np.testing.assert_allclose(kernel.mean_fisher(L, h, ops), ref, atol=1e-14)
    monkeypatch.setattr(kernel, "_CHUNK_ELEMENTS", 1)
    got = kernel.mean_fisher(L, h, ops)
    np.testing.assert_allclose(got, ref, atol=1e-14)
    np.testing.assert_array_equal(got, got.T)


def test_chunked_rows_give_the_same_batch(monkeypatch):
    """Chunks of a few rows (forward and backward passes) change nothing."""
    from skactiveml_badge.selection import _bait as kernel

    proba, h = _problem(3, n=40, C=4, D=3)
    args = dict(labeled=np.arange(4), lamb=0.1, return_utilities=True)
    ref = bait(proba, h, 5, oversample=3.0, **args)
    monkeypatch.setattr(kernel, "_CHUNK_ELEMENTS", 40)  # 2 rows of 4 x 4
    got = bait(proba, h, 5, oversample=3.0, **args)
    np.testing.assert_array_equal(got[0], ref[0])
    np.testing.assert_allclose(got[1], ref[1], rtol=1e-12)


@pytest.mark.parametrize(
    "scale, dtype, what",
    [
        (1e200, np.float64, "Fisher matrices"),
        (1e200, np.float32, "embeddings"),
        (1e20, np.float32, "Fisher matrices"),
    ],
)
def test_overflowing_embeddings_raise_with_advice(scale, dtype, what, rng):
    """Issue 14 item 1: features scaled by 1e200 gave numpy's "high <= 0"
    (every trace NaN); now a ValueError says that the embeddings overflow
    in the dtype, and what to do."""
    proba, _, h = random_factors(rng, 40, 3, 4)
    name = np.dtype(dtype).name
    match = f"Non-finite {what} in BAIT: the embeddings overflow in {name}"
    with pytest.raises(ValueError, match=match) as info:
        bait(proba, h * scale, 3, dtype=dtype)
    assert "scale the features" in str(info.value)
    assert ("dtype=np.float64" in str(info.value)) == (name == "float32")
    X = np.arange(40, dtype=float)[:, None]
    clf = LookupClassifier(proba, h * scale, classes=np.arange(3))
    qs = Bait(clf_embedding_flag_name="return_embeddings", dtype=dtype)
    with pytest.raises(ValueError, match=match):
        qs.query(X, np.full(40, np.nan), clf.fit(X, None), False)


def test_nan_inputs_are_not_called_overflow():
    proba, h = _problem(0)
    h[3, 1] = np.nan
    with pytest.raises(ValueError, match="`h` contains NaN"):
        bait(proba, h, 2)
    with pytest.raises(ValueError, match="`h` contains NaN"):
        bait(proba, sp.csr_matrix(h), 2, max_dim=None)
    proba[2, 0] = np.inf
    with pytest.raises(ValueError, match="`proba` contains NaN"):
        bait(proba, h, 2)


def test_overflowing_labeled_rows_outside_the_pool_raise():
    """Labeled rows outside ``pool`` overflow A, not F: caught at A^-1."""
    proba, h = _problem(2)
    h[:2] *= 1e200
    with pytest.raises(ValueError, match="Non-finite inverse Fisher"):
        bait(proba, h, 2, labeled=[0, 1], pool=np.arange(2, len(h)))


def test_overflow_is_reported_before_a_pick(monkeypatch):
    """Fisher quadratic forms, reductions and increases are checked too
    (each stage made to overflow on its own)."""
    from skactiveml_badge.selection import _bait as kernel

    proba, h = _problem(1)
    for name in ("quadratic_forms", "add_reductions", "remove_increases"):
        with monkeypatch.context() as m:
            if name == "quadratic_forms":
                m.setattr(
                    kernel,
                    name,
                    lambda L, h, M, ops: np.full(
                        (len(L), L.shape[2], L.shape[2]), np.inf
                    ),
                )
            else:
                m.setattr(
                    kernel.BaitState,
                    name,
                    lambda self, *a: np.full(self.G.shape[0], np.nan),
                )
            with pytest.raises(ValueError, match="overflow in float64"):
                bait(proba, h, 2, oversample=2.0)


def test_too_many_classes_are_refused_before_any_work(monkeypatch):
    """Issue 14 item 4: 1,000 classes made one pick take minutes (the
    steps cost n C^3); above ``max_classes`` the kernel raises at once,
    naming the class count, the cost and what to do."""
    from skactiveml_badge.selection import _bait as kernel

    rng = np.random.RandomState(0)
    proba = rng.dirichlet(np.ones(201), 60)
    h = rng.rand(60, 3)
    converted = []
    with monkeypatch.context() as m:
        m.setattr(kernel, "as_factors", lambda *a, **k: converted.append(1))
        with pytest.raises(ValueError) as info:
            bait(proba, h, 1)
    assert not converted
    msg = str(info.value)
    assert "Bait with 201 classes exceeds `max_classes=200`" in msg
    # 2 forward steps and 1 backward step, 60 * 201^3 each.
    assert "each of the 3 greedy steps" in msg and "4.9e+08" in msg
    assert "fewer classes" in msg and "Badge" in msg
    assert "max_classes=None" in msg
    a = bait(proba[:10], h[:10], 1, max_classes=None)[0]
    b = bait(proba[:10], h[:10], 1, max_classes=201)[0]
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="max_classes=200"):
        bait(proba[:10], h[:10], 1, max_classes=200)


@pytest.mark.parametrize(
    "n, C, steps, duration",
    [(60, 201, 3, "1 s"), (600, 1000, 3, "18 min"), (10_000, 1000, 3, "5 h")],
)
def test_class_count_error_estimates_the_time(n, C, steps, duration):
    from skactiveml_badge.selection._bait import check_class_count

    check_class_count(C, None, n, steps)
    check_class_count(C, C, n, steps)
    with pytest.raises(ValueError, match=f"about {duration} on one CPU"):
        check_class_count(C, 200, n, steps)


def test_query_uses_all_of_X_for_F_and_the_labeled_for_A(rng):
    proba, _, h = random_factors(rng, 40, 3, 4)
    X = np.arange(40, dtype=float)[:, None]
    clf = LookupClassifier(proba, h, classes=np.arange(3)).fit(X, None)
    y = np.full(40, np.nan)
    y[[1, 5, 9]] = [0, 1, 2]
    cand = np.array([3, 7, 11, 20, 21, 22, 30, 31, 32, 33])
    qs = Bait(clf_embedding_flag_name="return_embeddings", lamb=0.3)
    idx, util = qs.query(
        X, y, clf, False, candidates=cand, batch_size=3, return_utilities=True
    )
    ref_idx, ref_util = bait_brute_force(
        proba, h, 3, cand, np.array([1, 5, 9]), 0.3, 6
    )
    np.testing.assert_array_equal(idx, cand[ref_idx])
    np.testing.assert_allclose(util[:, cand], ref_util, rtol=1e-9)
    assert np.isnan(np.delete(util, cand, axis=1)).all()


def _first_step_reductions(proba, h, cand, pool, lamb=1.0, k=1):
    """tr(A^-1 F) - tr((A + w I_x)^-1 F) for every candidate, with no
    labels (w = 1), from explicit C*D x C*D matrices, F over ``pool``."""
    fisher = np.stack(
        [
            np.kron(np.diag(p) - np.outer(p, p), np.outer(x, x))
            for p, x in zip(proba, h, strict=True)
        ]
    )
    F = fisher[pool].mean(0)
    A = lamb * np.eye(F.shape[0])
    base = np.trace(np.linalg.solve(A, F))
    return np.array(
        [base - np.trace(np.linalg.solve(A + fisher[r], F)) for r in cand]
    )


def test_sample_candidates_are_picked_but_do_not_enter_F(rng):
    """Candidates given as samples that are not in X: F is the mean over X
    alone (the kernel's ``pool``), checked against explicit traces."""
    proba, _, h = random_factors(rng, 30, 3, 4)
    X = np.arange(30, dtype=float)[:, None]
    clf = LookupClassifier(proba, h, classes=np.arange(3)).fit(X, None)
    y = np.full(20, np.nan)
    qs = Bait(clf_embedding_flag_name="return_embeddings")
    idx, util = qs.query(
        X[:20],
        y,
        clf,
        False,
        candidates=X[20:],
        batch_size=2,
        return_utilities=True,
    )
    ref = _first_step_reductions(proba, h, np.arange(20, 30), np.arange(20))
    np.testing.assert_allclose(util[0], ref, rtol=1e-9)
    kernel = bait(
        proba,
        h,
        2,
        np.arange(20, 30),
        [],
        pool=np.arange(20),
        return_utilities=True,
    )
    np.testing.assert_array_equal(idx, kernel[0])
    np.testing.assert_allclose(util, kernel[1], rtol=1e-12)
    # With F over all 30 rows (the rule before), the utilities differ.
    everything = _first_step_reductions(
        proba, h, np.arange(20, 30), np.arange(30)
    )
    assert not np.allclose(util[0], everything)


@pytest.mark.parametrize("source", ["lookup", "logistic"])
def test_the_three_forms_of_candidates_agree(source, rng):
    """candidates=None, the unlabeled indices and the unlabeled samples
    give the same picks and utilities (F is the mean over X in all three);
    a failure of issue 14 item 5 (sample candidates joined F)."""
    if source == "lookup":
        proba, _, h = random_factors(rng, 40, 4, 3)
        X = np.arange(40, dtype=float)[:, None]
        clf = LookupClassifier(proba, h, classes=np.arange(4)).fit(X, None)
        y = np.full(40, np.nan)
        y[[0, 7, 13]] = [0, 1, 2]
        qs = Bait(clf_embedding_flag_name="return_embeddings", lamb=0.1)
        fit = False
    else:
        X, y, _, clf = make_pool()
        qs, fit = Bait(), True
    unlabeled = np.flatnonzero(np.isnan(y))
    kw = dict(batch_size=3, return_utilities=True)
    idx_none, u_none = qs.query(X, y, clf, fit, candidates=None, **kw)
    idx_idx, u_idx = qs.query(X, y, clf, fit, candidates=unlabeled, **kw)
    idx_smp, u_smp = qs.query(X, y, clf, fit, candidates=X[unlabeled], **kw)
    np.testing.assert_array_equal(idx_none, idx_idx)
    np.testing.assert_array_equal(idx_none, unlabeled[idx_smp])
    np.testing.assert_allclose(u_none, u_idx, rtol=1e-12)
    np.testing.assert_allclose(u_none[:, unlabeled], u_smp, rtol=1e-12)


def test_select_batch_counts_the_labeled_samples(rng):
    proba, _, h = random_factors(rng, 30, 3, 4)
    X = np.arange(30, dtype=float)[:, None]
    clf = LookupClassifier(proba, h, classes=np.arange(3)).fit(X, None)
    qs = Bait(clf_embedding_flag_name="return_embeddings")
    idx = qs.select_batch(clf, X[6:], X[:6], np.zeros(6), batch_size=3)
    ref_idx, _ = bait_brute_force(
        proba, h, 3, np.arange(6, 30), np.arange(6), 1.0, 6
    )
    np.testing.assert_array_equal(idx, ref_idx)
    alone = qs.select_batch(clf, X[6:], batch_size=3)
    assert alone.shape == (3,)
    with pytest.warns(UserWarning, match="batch_size"):
        assert len(qs.select_batch(clf, X[6:], batch_size=99)) == 24
    with pytest.raises(ValueError, match="labeled_x"):
        qs.select_batch(clf, X[6:], np.zeros((6, 2)), np.zeros(6), 3)


class TestBait(TorchEmbeddingParamTests, QueryStrategyContract):
    strategy_class = Bait
    default_params = {}

    def test_param_clf_embedding_flag_name(self, lookup_problem):
        X, proba, _, h, clf = lookup_problem
        y = np.full(len(X), np.nan)
        a = self.make(clf_embedding_flag_name="return_embeddings").query(
            X, y, clf, False, batch_size=2
        )
        ref = bait_brute_force(proba, h, 2, np.arange(60), [], 1.0, 4)[0]
        np.testing.assert_array_equal(a, ref)
        with pytest.raises(TypeError, match="clf_embedding_flag_name"):
            self.make(clf_embedding_flag_name=3).query(X, y, clf)

    def test_param_missing_label(self):
        X, y, _, clf = make_pool(-1)
        y = y.astype(float)
        y[y == -1] = np.nan
        with pytest.raises(ValueError, match="missing_label"):
            self.make(missing_label=np.nan).query(X, y, clf)

    def test_param_random_state(self):
        # Ties (a one-class model: zero Fisher) are drawn with the seed.
        X, y, _, _ = make_pool()
        y[:10] = 0
        clf = SklearnClassifier(
            RandomForestClassifier(3, random_state=0), classes=[0]
        )
        a = self.make(random_state=0).query(X, y, clf, batch_size=4)
        b = self.make(random_state=1).query(X, y, clf, batch_size=4)
        assert not np.array_equal(a, b)
        with pytest.raises(ValueError):
            self.make(random_state="seed").query(X, y, clf)

    def test_param_lamb(self):
        X, y, _, clf = make_pool()
        with pytest.raises(ValueError, match="lamb"):
            self.make(lamb=-1.0).query(X, y, clf)
        picks = {
            tuple(self.make(lamb=lamb).query(X, y, clf, batch_size=5))
            for lamb in (1e-3, 1.0, 1e3)
        }
        assert len(picks) > 1

    def test_param_oversample(self):
        X, y, _, clf = make_pool()
        with pytest.raises(ValueError, match="oversample"):
            self.make(oversample=0.9).query(X, y, clf)
        with pytest.raises(TypeError, match="oversample"):
            self.make(oversample=None).query(X, y, clf)
        a = self.make(oversample=1.0).query(X, y, clf, batch_size=5)
        b = self.make(oversample=2.0).query(X, y, clf, batch_size=5)
        assert len(a) == len(b) == 5

    def test_param_max_dim(self):
        X, y, _, clf = make_pool()
        with pytest.raises(ValueError, match="max_dim"):
            self.make(max_dim=1).query(X, y, clf)
        with pytest.raises(TypeError, match="max_dim"):
            self.make(max_dim=2.5).query(X, y, clf)
        # 3 classes x 2 features: d = 4; a cap of 2 keeps one direction.
        a = self.make(max_dim=2).query(X, y, clf, batch_size=3)
        b = self.make(max_dim=None).query(X, y, clf, batch_size=3)
        assert len(a) == len(b) == 3

    def test_param_top_k(self, lookup_problem):
        """Top-k classes: the brute force on the restricted Fisher, and
        exact BAIT for ``top_k >= C``."""
        X, proba, _, h, clf = lookup_problem  # 4 classes
        y = np.full(len(X), np.nan)
        qs = self.make(clf_embedding_flag_name="return_embeddings")
        full = qs.query(X, y, clf, False, batch_size=2, return_utilities=True)
        for k in (4, 9):
            got = qs.set_params(top_k=k).query(
                X, y, clf, False, batch_size=2, return_utilities=True
            )
            np.testing.assert_array_equal(got[0], full[0])
            np.testing.assert_allclose(got[1], full[1], rtol=1e-10)
        for k in (1, 2):
            idx, util = qs.set_params(top_k=k).query(
                X, y, clf, False, batch_size=2, return_utilities=True
            )
            ref, rows = bait_brute_force(
                proba, h, 2, np.arange(60), [], 1.0, 4, top_k=k
            )
            np.testing.assert_array_equal(idx, ref)
            np.testing.assert_allclose(util, rows, rtol=1e-7, atol=1e-10)
        with pytest.raises(ValueError, match="top_k"):
            self.make(top_k=0).query(X, y, clf, False)
        with pytest.raises(TypeError, match="top_k"):
            self.make(top_k=1.5).query(X, y, clf, False)

    def test_param_max_classes(self, lookup_problem, monkeypatch):
        """More classes than ``max_classes`` raise before the pool is
        embedded; ``None`` lifts the cap."""
        X, _, _, _, clf = lookup_problem  # 4 classes
        y = np.full(len(X), np.nan)
        qs = self.make(clf_embedding_flag_name="return_embeddings")
        a = qs.set_params(max_classes=4).query(X, y, clf, False, batch_size=2)
        b = qs.set_params(max_classes=None).query(
            X, y, clf, False, batch_size=2
        )
        np.testing.assert_array_equal(a, b)
        assert self.make().max_classes == 200

        def no_embedding(*args, **kwargs):
            raise AssertionError("the pool was embedded")

        monkeypatch.setattr(clf, "predict_proba", no_embedding)
        qs.set_params(max_classes=3)
        with pytest.raises(ValueError, match="4 classes exceeds"):
            qs.query(X, y, clf, False, batch_size=2)
        with pytest.raises(ValueError, match="4 classes exceeds"):
            qs.select_batch(clf, X, batch_size=2)
        with pytest.raises(TypeError, match="max_classes"):
            self.make(max_classes=2.5).query(X, y, clf, False)
        with pytest.raises(ValueError, match="max_classes"):
            self.make(max_classes=0).query(X, y, clf, False)

    def test_param_dtype(self):
        X, y, _, clf = make_pool()
        a = self.make(dtype=np.float32).query(X, y, clf, batch_size=4)
        b = self.make(dtype=np.float64).query(X, y, clf, batch_size=4)
        np.testing.assert_array_equal(a, b)
        with pytest.raises(ValueError, match="dtype"):
            self.make(dtype=np.int64).query(X, y, clf)

    def test_param_include_bias(self, lookup_problem):
        X, proba, _, h, clf = lookup_problem
        y = np.full(len(X), np.nan)
        qs = self.make(
            clf_embedding_flag_name="return_embeddings", include_bias=True
        )
        idx = qs.query(X, y, clf, False, batch_size=2)
        h1 = np.hstack([h, np.ones((len(h), 1))])
        ref = bait_brute_force(proba, h1, 2, np.arange(60), [], 1.0, 4)[0]
        np.testing.assert_array_equal(idx, ref)
        with pytest.raises(TypeError, match="include_bias"):
            self.make(include_bias="yes").query(X, y, clf, False)

    def test_param_backend(self):
        X, y, _, clf = make_pool()
        with pytest.raises(ValueError, match="backend"):
            self.make(backend="cupy").query(X, y, clf)
        ref = self.make(backend="numpy").query(X, y, clf, batch_size=5)
        pytest.importorskip("torch")
        got = self.make(backend="torch").query(X, y, clf, batch_size=5)
        np.testing.assert_array_equal(got, ref)

    def test_param_leaf_dim(self):
        """None and 1024 (at least the 5 trees) give the same, exact leaf
        embedding; leaf_dim=4 hashes the leaves into 4 signed buckets: Bait
        then picks as on that hashed embedding given directly, and not as
        on the exact one."""
        from skactiveml_badge.embeddings._leaves import hashed_leaf_embedding

        X, y, _, _ = make_pool()
        clf = SklearnClassifier(
            RandomForestClassifier(5, random_state=0), classes=[0, 1, 2]
        ).fit(X, y)
        kw = dict(batch_size=3, return_utilities=True)
        got = {
            leaf_dim: self.make(random_state=0, leaf_dim=leaf_dim).query(
                X, y, clf, False, **kw
            )
            for leaf_dim in (None, 4, 1024)
        }
        np.testing.assert_array_equal(got[None][0], got[1024][0])
        np.testing.assert_array_equal(got[None][1], got[1024][1])
        hashed = hashed_leaf_embedding(clf.estimator_.apply(X), 4)
        lookup = LookupClassifier(clf.predict_proba(X), hashed).fit(X, y)
        ids = np.arange(len(X))[:, None]
        qs = self.make(
            random_state=0, clf_embedding_flag_name="return_embeddings"
        )
        idx, util = qs.query(ids, y, lookup, False, **kw)
        np.testing.assert_array_equal(got[4][0], idx)
        np.testing.assert_allclose(got[4][1], util, rtol=1e-9)
        assert not np.allclose(got[None][1], got[4][1], equal_nan=True)
        with pytest.raises(ValueError, match="leaf_dim"):
            self.make(leaf_dim=0).query(X, y, clf)

    def test_param_embedding_source(self, lookup_problem):
        X, proba, _, _, clf = lookup_problem
        y = np.full(len(X), np.nan)
        idx = self.make(embedding_source="X").query(
            X, y, clf, False, batch_size=2
        )
        ref = bait_brute_force(proba, X, 2, np.arange(60), [], 1.0, 4)[0]
        np.testing.assert_array_equal(idx, ref)
        with pytest.raises(ValueError, match="embedding_source"):
            self.make(embedding_source="leaves").query(X, y, clf)


def test_top_k_on_torch_equals_numpy():
    torch = pytest.importorskip("torch")
    rng = np.random.RandomState(3)
    proba = rng.dirichlet(np.ones(6), size=80)
    h = rng.randn(80, 5)
    kw = dict(top_k=2, random_state=0, return_utilities=True)
    a = bait(proba, h, 4, **kw)
    b = bait(torch.tensor(proba), torch.tensor(h), 4, backend="torch", **kw)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_allclose(a[1], b[1], rtol=1e-8, atol=1e-12)


# -- issue 15, item 5: BAIT at scale (top-k factors, packed products, lazy
# low-rank updates)


@pytest.mark.parametrize("k", [1, 2, 4, 6])
def test_top_k_factors_are_the_top_columns_of_the_full_ones(k):
    """Built without the (n, C, C) stack, they equal the full factors'
    columns of each row's k most probable classes (ties to the lower
    class), and L L^T is the restricted Fisher in the class basis."""
    from skactiveml_badge.selection import _bait as kernel

    ops = NumpyOps(np.float64)
    rng = np.random.RandomState(k)
    proba = rng.dirichlet(np.ones(5), size=20)
    proba[0] = [0.3, 0.1, 0.3, 0.2, 0.1]  # ties
    full = kernel.fisher_factors(proba, ops)
    got = kernel.fisher_factors(proba, ops, k)
    if k >= 5:
        np.testing.assert_array_equal(got, full)
        return
    order = np.argsort(-proba, axis=1, kind="stable")[:, :k]
    np.testing.assert_allclose(
        got, np.take_along_axis(full, order[:, None, :], 2), atol=1e-15
    )
    Q = class_basis(5)
    for p, L, top in zip(proba, got, order, strict=True):
        E = np.eye(5)[top] - p  # rows e_c - p
        sigma = (E.T * p[top]) @ E
        np.testing.assert_allclose(L @ L.T, Q.T @ sigma @ Q, atol=1e-15)
    if k == 2:
        np.testing.assert_array_equal(order[0], [0, 2])


def _explicit_forms(L, h, M):
    V = np.einsum("nak,ni->naik", L, h).reshape(len(h), -1, L.shape[2])
    return V.mT @ M @ V


@pytest.mark.parametrize("packed", [True, False])
@pytest.mark.parametrize("C, D, k", [(5, 3, 2), (3, 6, 3), (2, 4, 1)])
def test_both_products_give_the_explicit_fisher_forms(
    packed, C, D, k, monkeypatch
):
    """Packed pairs and class blocks give the same F and V^T M V as the
    explicit factors, also in chunks of one row."""
    from skactiveml_badge.selection import _bait as kernel

    ops = NumpyOps(np.float64)
    rng = np.random.RandomState(C * D)
    proba = rng.dirichlet(np.ones(C), size=11)
    h = rng.randn(11, D)
    L = kernel.fisher_factors(proba, ops, k)
    A = rng.randn((C - 1) * D, (C - 1) * D)
    M = A @ A.T
    V = np.einsum("nak,ni->naik", L, h).reshape(11, -1, k)
    F_ref = np.einsum("nik,njk->ij", V, V) / 11
    G_ref = _explicit_forms(L, h, M)
    monkeypatch.setattr(kernel, "packed_pairs", lambda D, Cr: packed)
    for chunk in (1 << 21, 1):
        monkeypatch.setattr(kernel, "_CHUNK_ELEMENTS", chunk)
        monkeypatch.setattr(kernel, "_BLOCK_ELEMENTS", chunk)
        F = kernel.mean_fisher(L, h, ops)
        np.testing.assert_allclose(F, F_ref, atol=1e-14)
        np.testing.assert_array_equal(F, F.T)
        G = kernel.quadratic_forms(L, h, M, ops)
        np.testing.assert_allclose(G, G_ref, rtol=1e-12, atol=1e-12)


def test_packed_pairs_where_they_pay():
    from skactiveml_badge.selection._bait import packed_pairs

    assert packed_pairs(81, 25)  # letter: 26 classes, D = 2048 // 25
    assert packed_pairs(20, 99)
    assert not packed_pairs(2048, 1)  # two classes
    assert not packed_pairs(227, 9)


def test_lazy_low_rank_updates_equal_the_explicit_matrices():
    """B and B F B after rank-k updates of both signs, with folds in
    between, equal the eagerly updated matrices."""
    from skactiveml_badge.selection import _bait as kernel

    ops = NumpyOps(np.float64)
    rng = np.random.RandomState(0)
    Cr, D, k = 3, 4, 2
    d = Cr * D
    A = rng.randn(d, d)
    B = A @ A.T + np.eye(d)
    F = np.cov(rng.randn(d, 3 * d))
    lazy = kernel.LowRankInverse(B, B @ F @ B, ops)
    assert lazy.cap == 1  # d // _FOLD_RATIO: a fold before every update
    lazy.cap = 5
    for sign in [1, 1, -1, 1, -1, 1]:
        L_s, h_s = rng.randn(Cr, k), rng.randn(D)
        V = np.kron(L_s, h_s[:, None])
        BV, PV = lazy.times(L_s, h_s)
        np.testing.assert_allclose(BV, B @ V, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(PV, B @ F @ B @ V, rtol=1e-10, atol=1e-12)
        u = BV * 0.3
        lazy.push(u, B @ F @ u, u.T @ F @ u, sign)
        B = B - sign * u @ u.T
        assert 0 < lazy.m <= lazy.cap
    lazy.fold(lazy.cap)
    np.testing.assert_allclose(lazy.BP[:d], B, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(lazy.BP[d:], B @ F @ B, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("ratio", [1, 10**6])
@pytest.mark.parametrize("C, D, top_k", [(5, 3, 2), (3, 6, 1), (4, 2, None)])
def test_brute_force_with_and_without_folds(ratio, C, D, top_k, monkeypatch):
    """Both products and both fold rates reproduce the brute force on the
    (restricted) Fisher, pruning included."""
    from skactiveml_badge.selection import _bait as kernel

    monkeypatch.setattr(kernel, "_FOLD_RATIO", ratio)
    proba, h = _problem(C + D, n=30, C=C, D=D)
    labeled, cand = np.arange(3), np.arange(3, 30)
    idx, util = bait(
        proba, h, 3, cand, labeled, lamb=0.5, top_k=top_k,
        oversample=2.0, return_utilities=True,
    )  # fmt: skip
    ref, rows = bait_brute_force(
        proba, h, 3, cand, labeled, 0.5, 6, top_k=top_k
    )
    np.testing.assert_array_equal(idx, ref)
    np.testing.assert_allclose(util, rows, rtol=1e-8, atol=1e-11)


@pytest.mark.parametrize("C, D", [(6, 8), (3, 8)])
@pytest.mark.parametrize("ratio", [1, 10**6])
def test_torch_equals_numpy_on_both_products_and_fold_rates(
    C, D, ratio, monkeypatch
):
    torch = pytest.importorskip("torch")
    from skactiveml_badge.selection import _bait as kernel

    monkeypatch.setattr(kernel, "_FOLD_RATIO", ratio)
    proba, h = _problem(C, n=120, C=C, D=D)
    for top_k in (None, 2):
        kw = dict(labeled=np.arange(5), top_k=top_k, return_utilities=True)
        a = bait(proba, h, 6, **kw)
        b = bait(
            torch.tensor(proba), torch.tensor(h), 6, backend="torch", **kw
        )
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_allclose(a[1], b[1], rtol=1e-9, atol=1e-12)


def test_top_k_never_holds_an_n_by_c_by_c_stack(monkeypatch):
    """At C = 100 and top_k = 2 the traced peak (chunks of 2^16 values)
    stays below an eighth of the n x C x C float64 stack that the exact
    factors need: what remains grows as n C, not n C^2."""
    import tracemalloc

    from skactiveml_badge.selection import _bait as kernel

    monkeypatch.setattr(kernel, "_CHUNK_ELEMENTS", 1 << 16)
    rng = np.random.RandomState(0)
    n, C = 4000, 100
    proba = rng.dirichlet(np.ones(C) * 0.1, size=n)
    h = np.abs(rng.randn(n, 3))
    tracemalloc.start()
    try:
        bait(proba, h, 2, labeled=np.arange(10), top_k=2)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < n * C * C * 8 / 8
