"""GradientUHerding: uncertainty herding on unit gradient embeddings,
checked against a brute force on the explicit embeddings."""

import numpy as np
import pytest
import scipy.sparse as sp
from skactiveml.classifier import SklearnClassifier
from sklearn.ensemble import RandomForestClassifier

from skactiveml_badge import GradientUHerding
from skactiveml_badge.pool._uherding import margin_uncertainty
from skactiveml_badge.selection import (
    adaptive_radius,
    uncertainty_herding,
    unit_factors,
)

from ._conformance import (
    QueryStrategyContract,
    TorchEmbeddingParamTests,
    make_pool,
)
from ._reference import explicit_embeddings, random_factors


def _unit(G):
    """Rows of the explicit embeddings scaled to unit length (zero rows
    stay zero)."""
    n = np.linalg.norm(G, axis=1, keepdims=True)
    return np.where(n > 0, G / np.where(n > 0, n, 1.0), 0.0)


def herding_brute_force(G, w, n_picks, sigma, G_lab=None, ref=None):
    """The paper's greedy on explicit unit embeddings: every gain
    recomputed from the full kernel at every pick."""
    U = _unit(G)
    ref = np.arange(len(G)) if ref is None else ref
    if not np.any(w[ref] > 0):
        w = np.ones_like(w)
    sq = ((U[ref][:, None, :] - U[None, :, :]) ** 2).sum(-1)
    K = np.exp(-sq / sigma**2)
    kmax = np.zeros(len(ref))
    if G_lab is not None and len(G_lab):
        L = _unit(G_lab)
        sq_l = ((U[ref][:, None, :] - L[None, :, :]) ** 2).sum(-1)
        kmax = np.exp(-sq_l / sigma**2).max(1)
    picks, rows = [], []
    for _ in range(n_picks):
        gain = (w[ref][:, None] * np.maximum(K - kmax[:, None], 0)).mean(0)
        gain[picks] = np.nan
        rows.append(gain)
        c = int(np.nanargmax(gain))
        picks.append(c)
        kmax = np.maximum(kmax, K[:, c])
    return np.array(picks), np.array(rows)


@pytest.mark.parametrize("labeled", [0, 5])
@pytest.mark.parametrize("n_ref", [None, 25])
@pytest.mark.parametrize("sigma", [0.3, 1.0, 3.0])
def test_kernel_equals_brute_force(rng, labeled, n_ref, sigma):
    proba, delta, h = random_factors(rng, 45, 4, 6)
    delta[3] = 0.0  # a sample the model is certain of
    h[7] = 0.0
    w = rng.rand(40)
    cand = unit_factors(delta[:40], h[:40])
    lab = unit_factors(delta[40:][:labeled], h[40:][:labeled])
    ref = None if n_ref is None else np.sort(rng.choice(40, n_ref, False))
    G = explicit_embeddings(delta, h)
    ref_idx, ref_rows = herding_brute_force(
        G[:40], w, 8, sigma, G[40:][:labeled], ref
    )
    idx, rows = uncertainty_herding(
        cand, w, 8, sigma, np.random.RandomState(0),
        unit_labeled=lab if labeled else None, reference=ref,
        return_utilities=True,
    )  # fmt: skip
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(rows, ref_rows, rtol=1e-9, atol=1e-12)


def test_sparse_h_gives_the_dense_result(rng):
    _, delta, h = random_factors(rng, 30, 3, 8)
    h[h < 0.3] = 0.0
    w = rng.rand(30)
    dense = uncertainty_herding(
        unit_factors(delta, h), w, 6, 0.8, np.random.RandomState(0),
        return_utilities=True,
    )  # fmt: skip
    sparse = uncertainty_herding(
        unit_factors(delta, sp.csr_matrix(h)), w, 6, 0.8,
        np.random.RandomState(0), return_utilities=True,
    )  # fmt: skip
    np.testing.assert_array_equal(dense[0], sparse[0])
    np.testing.assert_allclose(dense[1], sparse[1], rtol=1e-12)


def test_narrow_kernel_is_uncertainty_sampling_wide_one_spreads(rng):
    """A radius far below every distance: each pick covers only itself,
    so the picks are the largest uncertainties. A wide radius on two far
    groups: the second pick goes to the other group even though the
    first group is more uncertain."""
    _, delta, h = random_factors(rng, 40, 3, 5)
    w = rng.rand(40)
    idx, _ = uncertainty_herding(
        unit_factors(delta, h), w, 6, 1e-4, np.random.RandomState(0)
    )
    np.testing.assert_array_equal(idx, np.argsort(-w)[:6])
    # Two groups of near-identical embeddings, along two axes.
    h2 = np.zeros((20, 2))
    h2[:10, 0] = 1.0 + 0.01 * rng.rand(10)
    h2[10:, 1] = 1.0 + 0.01 * rng.rand(10)
    h2[:10, 1] = 0.01 * rng.rand(10)
    d2 = np.ones((20, 1))
    w2 = np.r_[np.full(10, 1.0), np.full(10, 0.6)]
    idx, _ = uncertainty_herding(
        unit_factors(d2, h2), w2, 2, 0.5, np.random.RandomState(0)
    )
    assert idx[0] < 10 and idx[1] >= 10


def test_adaptive_radius_is_the_smallest_labeled_distance(rng):
    _, delta, h = random_factors(rng, 12, 3, 4)
    U = _unit(explicit_embeddings(delta, h))
    d = np.sqrt(((U[:, None] - U[None]) ** 2).sum(-1))
    lab = unit_factors(delta[:6], h[:6])
    cand = unit_factors(delta[6:], h[6:])
    rs = np.random.RandomState(0)
    got = adaptive_radius(lab, cand, rs)
    np.testing.assert_allclose(got, d[:6, :6][np.triu_indices(6, 1)].min())
    # No labels: the median distance between the candidates.
    got = adaptive_radius(None, cand, rs)
    np.testing.assert_allclose(
        got, np.median(d[6:, 6:][np.triu_indices(6, 1)])
    )


def test_margin_uncertainty_and_temperature():
    p = np.array([[0.7, 0.2, 0.1], [0.4, 0.35, 0.25]])
    np.testing.assert_allclose(margin_uncertainty(p), [0.5, 0.95])
    # Temperature 2: probabilities proportional to sqrt(p).
    q = np.sqrt(p) / np.sqrt(p).sum(1, keepdims=True)
    top = -np.sort(-q, 1)
    np.testing.assert_allclose(
        margin_uncertainty(p, 2.0), 1 - (top[:, 0] - top[:, 1])
    )


def _lookup_query(qs, lookup_problem, labeled=6, batch_size=5):
    X, proba, delta, h, clf = lookup_problem
    y = np.full(len(X), np.nan)
    y[:labeled] = proba[:labeled].argmax(1)
    return qs.query(
        X, y, clf, fit_clf=False, batch_size=batch_size, return_utilities=True
    )


def test_query_equals_brute_force_on_fixed_outputs(lookup_problem):
    """The strategy on a model with fixed probabilities and embeddings:
    the brute force with margin weights and the paper's radius."""
    X, proba, delta, h, clf = lookup_problem
    qs = GradientUHerding(
        clf_embedding_flag_name="return_embeddings", random_state=0
    )
    idx, util = _lookup_query(qs, lookup_problem)
    G = explicit_embeddings(delta, h)
    U = _unit(G[:6])
    d = np.sqrt(((U[:, None] - U[None]) ** 2).sum(-1))
    sigma = d[np.triu_indices(6, 1)].min()
    w = margin_uncertainty(proba[6:])
    ref_idx, ref_rows = herding_brute_force(G[6:], w, 5, sigma, G[:6])
    np.testing.assert_array_equal(idx, ref_idx + 6)
    assert np.isnan(util[:, :6]).all()
    np.testing.assert_allclose(util[:, 6:], ref_rows, rtol=1e-9, atol=1e-12)


class TestGradientUHerding(TorchEmbeddingParamTests, QueryStrategyContract):
    strategy_class = GradientUHerding

    def test_param_clf_embedding_flag_name(self, lookup_problem):
        X, proba, delta, h, clf = lookup_problem
        with_flag = _lookup_query(
            self.make(clf_embedding_flag_name="return_embeddings"),
            lookup_problem,
        )
        # Without the flag the strategy embeds X itself (the indices).
        without = _lookup_query(self.make(), lookup_problem)
        assert not np.array_equal(with_flag[1], without[1], equal_nan=True)
        with pytest.raises(TypeError, match="clf_embedding_flag_name"):
            self.make(clf_embedding_flag_name=3).query(
                X, np.full(len(X), np.nan), clf
            )

    def test_param_missing_label(self):
        X, y, _, clf = make_pool(-1)
        idx = self.make(missing_label=-1).query(X, y, clf, batch_size=3)
        assert (y[idx] == -1).all()
        y = y.astype(float)
        y[y == -1] = np.nan
        with pytest.raises(ValueError, match="missing_label"):
            self.make(missing_label=np.nan).query(X, y, clf)

    def test_param_random_state(self):
        """Exact ties (a one-class model: every weight 0, so plain
        coverage, and identical samples) are broken with the seed."""
        X, y, _, clf = make_pool()
        X = np.repeat(X[:8], 10, axis=0)
        y = np.full(len(X), np.nan)
        picks = {
            tuple(self.make(random_state=s).query(X, y, clf, batch_size=4))
            for s in range(6)
        }
        assert len(picks) > 1
        a = self.make(random_state=3).query(X, y, clf, batch_size=4)
        b = self.make(random_state=3).query(X, y, clf, batch_size=4)
        np.testing.assert_array_equal(a, b)
        with pytest.raises(ValueError):
            self.make(random_state="seed").query(X, y, clf)

    def test_param_temperature(self, lookup_problem):
        X, proba, delta, h, clf = lookup_problem
        kw = dict(clf_embedding_flag_name="return_embeddings")
        rows = {
            t: _lookup_query(self.make(temperature=t, **kw), lookup_problem)[1]
            for t in (0.5, 1.0, 3.0)
        }
        assert not np.allclose(rows[0.5], rows[3.0], equal_nan=True)
        for bad, exc in (
            (0.0, ValueError),
            (-1.0, ValueError),
            ("1", TypeError),
        ):
            with pytest.raises(exc, match="temperature"):
                self.make(temperature=bad).query(
                    X, np.full(len(X), np.nan), clf
                )

    def test_param_n_reference(self, lookup_problem):
        """All 54 candidates (any n_reference >= 54) give the exact
        result; 20 give the brute force summed over the 20 candidates the
        seed draws."""
        X, proba, delta, h, clf = lookup_problem
        kw = dict(clf_embedding_flag_name="return_embeddings", random_state=0)
        full = _lookup_query(self.make(**kw), lookup_problem)
        same = _lookup_query(self.make(n_reference=54, **kw), lookup_problem)
        np.testing.assert_array_equal(full[0], same[0])
        np.testing.assert_allclose(full[1], same[1])
        sub = _lookup_query(self.make(n_reference=20, **kw), lookup_problem)
        from skactiveml.utils import check_random_state

        # scikit-activeml's seeding: the seed and the unlabeled count + 1.
        rs = check_random_state(0, 54 + 1)
        ref = np.sort(rs.choice(54, 20, replace=False))
        G = explicit_embeddings(delta, h)
        U = _unit(G[:6])
        d = np.sqrt(((U[:, None] - U[None]) ** 2).sum(-1))
        sigma = d[np.triu_indices(6, 1)].min()
        w = margin_uncertainty(proba[6:])
        ref_idx, ref_rows = herding_brute_force(G[6:], w, 5, sigma, G[:6], ref)
        np.testing.assert_array_equal(sub[0], ref_idx + 6)
        np.testing.assert_allclose(
            sub[1][:, 6:], ref_rows, rtol=1e-9, atol=1e-12
        )
        with pytest.raises(ValueError, match="n_reference"):
            self.make(n_reference=0).query(X, np.full(len(X), np.nan), clf)

    def test_param_include_bias(self, lookup_problem):
        X, proba, delta, h, clf = lookup_problem
        kw = dict(clf_embedding_flag_name="return_embeddings", random_state=0)
        a = _lookup_query(self.make(include_bias=True, **kw), lookup_problem)
        h1 = np.hstack([h, np.ones((len(h), 1))])
        G = explicit_embeddings(delta, h1)
        U = _unit(G[:6])
        d = np.sqrt(((U[:, None] - U[None]) ** 2).sum(-1))
        sigma = d[np.triu_indices(6, 1)].min()
        w = margin_uncertainty(proba[6:])
        ref_idx, _ = herding_brute_force(G[6:], w, 5, sigma, G[:6])
        np.testing.assert_array_equal(a[0], ref_idx + 6)
        with pytest.raises(TypeError, match="include_bias"):
            self.make(include_bias="yes").query(X, np.full(len(X), 0.0), clf)

    def test_param_backend(self):
        X, y, _, clf = make_pool()
        with pytest.raises(ValueError, match="backend"):
            self.make(backend="cupy").query(X, y, clf)
        ref = self.make(backend="numpy", random_state=0).query(
            X, y, clf, batch_size=5
        )
        got = self.make(backend="auto", random_state=0).query(
            X, y, clf, batch_size=5
        )
        np.testing.assert_array_equal(got, ref)

    def test_param_leaf_dim(self):
        """Exact leaves (None) and hashed ones with room for every leaf
        give one kernel; 2 buckets give another."""
        X, y, _, _ = make_pool()
        clf = SklearnClassifier(
            RandomForestClassifier(5, random_state=0), classes=[0, 1, 2]
        ).fit(X, y)
        kw = dict(batch_size=4, return_utilities=True, fit_clf=False)
        got = {
            d: self.make(
                random_state=0, leaf_dim=d, tree_embedding="proximity"
            ).query(X, y, clf, **kw)
            for d in (None, 2, 4096)
        }
        np.testing.assert_allclose(got[None][1], got[4096][1], rtol=1e-9)
        assert not np.allclose(got[None][1], got[2][1], equal_nan=True)
        with pytest.raises(ValueError, match="leaf_dim"):
            self.make(leaf_dim=0).query(X, y, clf)

    def test_param_embedding_source(self, lookup_problem):
        X, proba, delta, h, clf = lookup_problem
        a = _lookup_query(self.make(embedding_source="X"), lookup_problem)
        b = _lookup_query(self.make(), lookup_problem)
        np.testing.assert_array_equal(a[0], b[0])  # X is what both embed
        with pytest.raises(ValueError, match="embedding_source"):
            self.make(embedding_source="leaves").query(
                X, np.full(len(X), np.nan), clf
            )

    def test_param_tree_embedding(self):
        lightgbm = pytest.importorskip("lightgbm")
        X, y, _, _ = make_pool()
        clf = SklearnClassifier(
            lightgbm.LGBMClassifier(
                n_estimators=5, min_child_samples=2, verbose=-1
            ),
            classes=[0, 1, 2],
        ).fit(X, y)
        rows = {}
        for kind in ("proximity", "leaf_gradient", "proximity+X"):
            qs = self.make(random_state=0, tree_embedding=kind)
            idx, rows[kind] = qs.query(
                X, y, clf, fit_clf=False, batch_size=3, return_utilities=True
            )
            assert idx.shape == (3,)
        assert not np.allclose(
            rows["proximity"], rows["proximity+X"], equal_nan=True
        )
        with pytest.raises(ValueError, match="tree_embedding"):
            self.make(tree_embedding="leaves").query(X, y, clf)

    def test_param_mc_dropout(self):
        pytest.importorskip("torch")
        from .conftest import make_skorch_problem

        X, y, clf = make_skorch_problem()
        a = self.make(random_state=0, mc_dropout=4).query(
            X, y, clf, False, batch_size=4, return_utilities=True
        )
        b = self.make(random_state=0, mc_dropout=4).query(
            X, y, clf, False, batch_size=4, return_utilities=True
        )
        np.testing.assert_array_equal(a[0], b[0])
        c = self.make(random_state=0).query(
            X, y, clf, False, batch_size=4, return_utilities=True
        )
        assert not np.allclose(a[1], c[1], equal_nan=True)
        with pytest.raises(ValueError, match="mc_dropout"):
            self.make(mc_dropout=-1).query(X, y, clf, False)


def test_a_kernel_larger_than_memory_is_refused_before_fitting(monkeypatch):
    from sklearn.linear_model import LogisticRegression

    from skactiveml_badge import _memory
    from skactiveml_badge.pool._uherding import herding_bytes

    from ._conformance import make_pool

    X, y, _, clf = make_pool()  # 70 candidates
    assert herding_bytes(70, 30) == 24 * 70 * 30

    class Unfittable(SklearnClassifier):
        def fit(self, *args, **kwargs):
            raise AssertionError("fitted before the refusal")

    bad = Unfittable(LogisticRegression(), classes=[0, 1, 2])
    qs = GradientUHerding(n_reference=30)
    monkeypatch.setattr(_memory, "physical_memory", lambda: 24 * 70 * 30 - 1)
    with pytest.raises(ValueError, match=r"a 30 x 70 kernel.*more than "
                       r"this machine's.*Lower n_reference"):  # fmt: skip
        qs.query(X, y, bad)
    monkeypatch.setattr(_memory, "physical_memory", lambda: 24 * 70 * 30)
    assert len(qs.query(X, y, clf, batch_size=3)) == 3
    # the reference is all candidates when they are fewer
    monkeypatch.setattr(_memory, "physical_memory", lambda: 24 * 70 * 70)
    assert len(GradientUHerding().query(X, y, clf, batch_size=3)) == 3
    monkeypatch.setattr(_memory, "physical_memory", lambda: 24 * 70 * 70 - 1)
    with pytest.raises(ValueError, match="a 70 x 70 kernel"):
        GradientUHerding().query(X, y, clf)
