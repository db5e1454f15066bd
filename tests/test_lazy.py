"""The lazy k-means++ kernel: its state against brute force, and its pick
distribution against the exact one and the plain kernel's."""

import itertools
import warnings

import numpy as np
import pytest
from scipy import stats

from skactiveml_badge.selection import kmeans_plusplus
from skactiveml_badge.selection._arrays import as_factors
from skactiveml_badge.selection._lazy import (
    MAX_PENDING,
    LazyDistances,
    lazy_farthest_first,
    lazy_kmeans_plusplus,
)

from ._reference import (
    explicit_embeddings,
    nearest_sq_dist,
    paper_rows,
    random_factors,
)


def _lazy_state(delta, h, max_pending=MAX_PENDING):
    """A fresh lazy state on numpy factors of their dtype."""
    d, hh, ops = as_factors(delta, h, dtype=delta.dtype, backend="numpy")
    return LazyDistances(d, hh, ops, max_pending)


def test_flushed_and_pending_distances_equal_brute_force():
    rng = np.random.RandomState(0)
    _, delta, h = random_factors(rng, 300, 4, 6)
    G = explicit_embeddings(delta, h)
    st = _lazy_state(delta, h, max_pending=3)
    centres = [11, 250, 3, 77, 140]
    for k, c in enumerate(centres):
        st.add(c)
        if k == 0:
            st.flush()
        ref = nearest_sq_dist(G, centres[: k + 1])
        exact = np.array([st.exact(i) for i in range(300)])
        np.testing.assert_allclose(exact, ref, rtol=1e-9, atol=1e-12)
        # U is an upper bound of D^2 at every step ...
        assert (st.U >= ref - 1e-9).all()
        # ... and its block sums are the sums of U.
        np.testing.assert_allclose(st.block_sums.sum(), st.U.sum())
    # add() flushed at 3 pending; the last flush makes U exact.
    assert st.n_flushes == 2
    st.flush()
    np.testing.assert_allclose(st.U, ref, rtol=1e-9, atol=1e-12)


def _sequence_frequencies(kernel_kwargs, delta, h, n_runs, seed):
    draws = np.random.RandomState(seed)
    counts = {}
    for _ in range(n_runs):
        idx, _ = kmeans_plusplus(
            delta, h, 3, random_state=draws, dtype=np.float64, **kernel_kwargs
        )
        key = tuple(int(i) for i in idx)
        counts[key] = counts.get(key, 0) + 1
    return counts


def _exact_sequences(G, rows):
    """Probability of every ordered 3-pick sequence under a rule given by
    ``rows(G, picks)`` (the brute-force utility rows); the first pick is
    the largest norm."""
    first = int(np.argmax((G**2).sum(1)))
    exact = {}
    for a, b in itertools.permutations(set(range(len(G))) - {first}, 2):
        r = rows(G, [first, a, b])
        exact[(first, a, b)] = r[1, a] * r[2, b]
    return exact


def test_lazy_picks_follow_the_exact_distribution():
    """Chi-square against the enumerated distribution of ordered pick
    sequences, for the lazy kernel with and without forced flushes, and the
    total variation between lazy and plain frequencies."""
    rng = np.random.RandomState(3)
    _, delta, h = random_factors(rng, 7, 3, 2)
    exact = _exact_sequences(explicit_embeddings(delta, h), paper_rows)
    keys = list(exact)
    n_runs = 20_000
    freq = {}
    for name, kw in [
        ("plain", dict(algorithm="plain")),
        ("lazy", dict(algorithm="lazy")),
    ]:
        counts = _sequence_frequencies(kw, delta, h, n_runs, seed=11)
        assert set(counts) <= set(keys)
        observed = np.array([counts.get(s, 0) for s in keys])
        expected = np.array([exact[s] for s in keys]) * n_runs
        assert stats.chisquare(observed, expected).pvalue > 1e-3, name
        freq[name] = observed / n_runs
    tv = 0.5 * np.abs(freq["plain"] - freq["lazy"]).sum()
    # Two samples of 20,000 over 30 sequences: TV about 0.02 by chance.
    assert tv < 0.05, tv


def test_rejection_path_is_exercised_and_exact():
    # Stale U, one pending centre per draw: the second pick of a 3-pick
    # batch is proposed from U after the first flush, the third from U
    # that misses the second centre, so rejections happen.
    rng = np.random.RandomState(5)
    _, delta, h = random_factors(rng, 400, 3, 4)
    rejections = 0
    for seed in range(50):
        st = _lazy_state(delta, h, 20)
        idx = lazy_kmeans_plusplus(st, 20, np.random.RandomState(seed))
        assert len(set(idx.tolist())) == 20
        rejections += st.n_proposals - 19
    assert rejections > 0


@pytest.mark.parametrize(
    "pool", ["duplicates", "zeros"], ids=["duplicates", "all-zero"]
)
def test_lazy_picks_are_distinct_on_degenerate_pools(pool):
    rng = np.random.RandomState(0)
    _, delta, h = random_factors(rng, 3, 3, 4)
    delta, h = np.repeat(delta, 10, 0), np.repeat(h, 10, 0)
    if pool == "zeros":
        delta[:] = 0.0
    for seed in range(10):
        idx, _ = kmeans_plusplus(
            delta, h, 10, random_state=seed, algorithm="lazy"
        )
        assert len(set(idx.tolist())) == 10


def test_lazy_flushes_rarely_on_a_large_pool():
    """The point of the kernel: far fewer passes over the pool than picks."""
    rng = np.random.RandomState(0)
    _, delta, h = random_factors(rng, 5000, 10, 32, dtype=np.float32)
    st = _lazy_state(delta, h, 200)
    idx = lazy_kmeans_plusplus(st, 200, np.random.RandomState(0))
    assert len(set(idx.tolist())) == 200
    assert st.n_flushes < 20 and st.n_proposals < 400


def test_lazy_rejects_what_it_cannot_do():
    rng = np.random.RandomState(0)
    _, delta, h = random_factors(rng, 30, 3, 4)
    with pytest.raises(ValueError, match="algorithm"):
        kmeans_plusplus(delta, h, 3, algorithm="fast")
    import scipy.sparse as sp

    with pytest.raises(ValueError, match="dense"):
        kmeans_plusplus(delta, sp.csr_matrix(h), 3, algorithm="lazy")


def test_torch_lazy_equals_numpy_lazy_on_cpu():
    torch = pytest.importorskip("torch")
    rng = np.random.RandomState(1)
    _, delta, h = random_factors(rng, 3000, 10, 24)
    for dtype in (np.float64, np.float32):
        a = kmeans_plusplus(delta, h, 80, random_state=0, dtype=dtype)[0]
        b = kmeans_plusplus(
            torch.tensor(delta),
            torch.tensor(h),
            80,
            random_state=0,
            dtype=dtype,
            backend="torch",
        )[0]
        np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(
    not __import__("importlib").util.find_spec("torch")
    or not __import__("torch").cuda.is_available(),
    reason="needs a GPU",
)
def test_cuda_lazy_equals_numpy_lazy():  # pragma: no cover
    import torch

    rng = np.random.RandomState(1)
    _, delta, h = random_factors(rng, 20000, 10, 64)
    a = kmeans_plusplus(delta, h, 200, random_state=0, dtype=np.float64)[0]
    b = kmeans_plusplus(
        torch.tensor(delta, device="cuda"),
        torch.tensor(h, device="cuda"),
        200,
        random_state=0,
        dtype=np.float64,
    )[0]
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lazy_farthest_first_makes_the_plain_picks(dtype):
    from skactiveml_badge.selection import farthest_first

    rng = np.random.RandomState(2)
    _, delta, h = random_factors(rng, 4000, 10, 48)
    plain = farthest_first(delta, h, 150, dtype=dtype, algorithm="plain")[0]
    auto = farthest_first(delta, h, 150, dtype=dtype)[0]
    np.testing.assert_array_equal(auto, plain)
    # Few allowed loose bounds: more flushes, the same picks.
    d, hh = delta.astype(dtype), h.astype(dtype)
    st = _lazy_state(d, hh, 150)
    idx = lazy_farthest_first(st, 150, max_tighten=2)
    np.testing.assert_array_equal(idx, plain)
    assert st.n_flushes > 1
    # Duplicates and all-zero distances: distinct, lowest index first.
    dup_d, dup_h = np.repeat(delta[:3], 5, 0), np.repeat(h[:3], 5, 0)
    a = farthest_first(dup_d, dup_h, 8, algorithm="lazy")[0]
    b = farthest_first(dup_d, dup_h, 8, algorithm="plain")[0]
    np.testing.assert_array_equal(a, b)
    assert len(set(a.tolist())) == 8
    with pytest.raises(ValueError, match="algorithm"):
        farthest_first(delta, h, 3, algorithm="fast")


@pytest.mark.parametrize("kind", ["kmeans++", "farthest_first"])
def test_half_storage_picks_are_exact_for_the_rounded_embeddings(kind):
    from skactiveml_badge.selection import farthest_first

    kernel = kmeans_plusplus if kind == "kmeans++" else farthest_first
    kw = {"random_state": 0} if kind == "kmeans++" else {}
    rng = np.random.RandomState(4)
    _, delta, h = random_factors(rng, 3000, 10, 40)
    rounded = h.astype(np.float16).astype(np.float64)
    half = kernel(delta, h, 120, dtype=np.float64, storage_dtype="float16",
                  **kw)[0]  # fmt: skip
    ref = kernel(delta, rounded, 120, dtype=np.float64, **kw)[0]
    np.testing.assert_array_equal(half, ref)
    with pytest.raises(ValueError, match="float16 range"):
        kernel(delta, h * 1e5, 3, storage_dtype="float16", **kw)
    # The float16 h is checked by the norm pass, not a scan: one NaN or
    # infinity in any row is still refused, with and without check_input.
    for bad in (np.nan, np.inf, -np.inf):
        for check in (True, False):
            h_bad = h.copy()
            h_bad[2999, 39] = bad
            with pytest.raises(ValueError, match="float16 range"):
                kernel(delta, h_bad, 3, storage_dtype="float16",
                       check_input=check, **kw)  # fmt: skip
    with pytest.raises(ValueError, match="lazy kernels"):
        kernel(delta, h, 3, storage_dtype="float16", algorithm="plain",
               **kw)  # fmt: skip
    # Utilities: the same picks, the rows of the rounded embeddings.
    picks, rows = kernel(delta, h, 30, dtype=np.float64,
                         storage_dtype="float16", return_utilities=True,
                         **kw)  # fmt: skip
    ref_picks, ref_rows = kernel(delta, rounded, 30, dtype=np.float64,
                                 return_utilities=True, **kw)  # fmt: skip
    np.testing.assert_array_equal(picks, half[:30])
    np.testing.assert_array_equal(picks, ref_picks)
    np.testing.assert_allclose(rows, ref_rows, rtol=1e-12)
    with pytest.raises(ValueError, match="n_picks"):
        kernel(delta, h, 5000, storage_dtype="float16", **kw)


def test_bfloat16_storage_on_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.RandomState(4)
    _, delta, h = random_factors(rng, 2000, 10, 32)
    rounded = torch.tensor(h).to(torch.bfloat16).to(torch.float64)
    a = kmeans_plusplus(
        torch.tensor(delta), torch.tensor(h), 60, random_state=0,
        dtype=np.float64, backend="torch", storage_dtype="bfloat16",
    )[0]  # fmt: skip
    b = kmeans_plusplus(
        delta, rounded.numpy(), 60, random_state=0, dtype=np.float64
    )[0]
    np.testing.assert_array_equal(a, b)


def test_origin_as_centre_follows_the_hidden_origin_distribution():
    """With the origin as a centre, plain and lazy k-means++ draw ordered
    pick sequences from min(|g|^2, D^2) (chi-square against the enumerated
    distribution of scikit-activeml 1.0.1's rule)."""
    from ._reference import hidden_origin_rows

    rng = np.random.RandomState(4)
    _, delta, h = random_factors(rng, 7, 3, 2)
    exact = _exact_sequences(explicit_embeddings(delta, h), hidden_origin_rows)
    keys = list(exact)
    n_runs = 20_000
    for algorithm in ("plain", "lazy"):
        counts = _sequence_frequencies(
            dict(algorithm=algorithm, origin_as_centre=True),
            delta,
            h,
            n_runs,
            seed=5,
        )
        observed = np.array([counts.get(s, 0) for s in keys])
        expected = np.array([exact[s] for s in keys]) * n_runs
        assert stats.chisquare(observed, expected).pvalue > 1e-3, algorithm
    # The paper's rule is another distribution: the test can tell them
    # apart on this pool.
    counts = _sequence_frequencies({}, delta, h, n_runs, seed=5)
    observed = np.array([counts.get(s, 0) for s in keys])
    assert stats.chisquare(observed, expected).pvalue < 1e-6


def test_origin_as_centre_farthest_first_lazy_equals_plain_and_torch():
    from skactiveml_badge.selection import farthest_first

    rng = np.random.RandomState(6)
    _, delta, h = random_factors(rng, 3000, 6, 20)
    kw = dict(origin_as_centre=True, dtype=np.float64)
    plain, util = farthest_first(
        delta, h, 60, algorithm="plain", return_utilities=True, **kw
    )
    lazy = farthest_first(delta, h, 60, algorithm="lazy", **kw)[0]
    np.testing.assert_array_equal(lazy, plain)
    G = explicit_embeddings(delta, h)
    d2 = np.minimum((G**2).sum(1), nearest_sq_dist(G, plain[:10]))
    np.testing.assert_allclose(util[10] ** 2, np.where(
        np.isin(np.arange(3000), plain[:10]), np.nan, d2
    ), rtol=1e-8)  # fmt: skip
    pytest.importorskip("torch")
    t = farthest_first(delta, h, 60, backend="torch", **kw)[0]
    np.testing.assert_array_equal(t, plain)
    with pytest.raises(TypeError, match="origin_as_centre"):
        farthest_first(delta, h, 3, origin_as_centre=1)
    with pytest.raises(TypeError, match="origin_as_centre"):
        kmeans_plusplus(
            delta, h, 3, storage_dtype="float16", origin_as_centre=1
        )


@pytest.mark.parametrize("origin", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_utilities_do_not_change_the_picks(seed, origin):
    """One seed, one batch: with utilities, the lazy kernel still draws,
    and the rows are the exact distributions along its picks."""
    from ._reference import explicit_embeddings, hidden_origin_rows, paper_rows

    rng = np.random.RandomState(seed)
    _, delta, h = random_factors(rng, 300, 4, 6, dtype=np.float64)
    delta[:40] = 0.0  # confident samples: zero gradients
    kw = dict(random_state=seed, dtype=np.float64, origin_as_centre=origin)
    picks, _ = kmeans_plusplus(delta, h, 12, **kw)
    for algorithm in ("auto", "lazy"):
        got, rows = kmeans_plusplus(
            delta, h, 12, return_utilities=True, algorithm=algorithm, **kw
        )
        np.testing.assert_array_equal(got, picks)
        G = explicit_embeddings(delta, h)
        ref = (hidden_origin_rows if origin else paper_rows)(G, picks)
        np.testing.assert_allclose(rows, ref, rtol=1e-9, atol=1e-12)
    # "plain" keeps its own draws (the plain kernel's random numbers).
    plain, _ = kmeans_plusplus(delta, h, 12, algorithm="plain", **kw)
    assert len(set(plain.tolist())) == 12


@pytest.mark.parametrize("algorithm", ["lazy", "plain"])
def test_a_spurious_invalid_flag_of_blas_is_not_a_warning(
    monkeypatch, algorithm
):
    """OpenBLAS kernels set the "invalid" floating-point flag now and then
    on finite input (numpy#24067); the kernels' input is checked finite
    before any pass, so the flag must not surface as the caller's
    RuntimeWarning (the test suite makes those errors). The flag is set
    here as such a kernel does, inside the distance passes."""
    from skactiveml_badge.selection import _distances

    rng = np.random.RandomState(0)
    _, delta, h = random_factors(rng, 80, 3, 4)
    kw = dict(random_state=1, return_utilities=True, algorithm=algorithm)
    expected = kmeans_plusplus(delta, h, 5, **kw)

    def flagging(method):
        def wrapped(*args, **kwargs):
            np.array([np.inf]) - np.array([np.inf])  # raises the flag
            return method(*args, **kwargs)

        return wrapped

    monkeypatch.setattr(LazyDistances, "exact",
                        flagging(LazyDistances.exact))  # fmt: skip
    cls = _distances.NearestCentreDistances
    monkeypatch.setattr(cls, "_update_chunk", flagging(cls._update_chunk))
    with np.errstate(all="warn"), warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        got = kmeans_plusplus(delta, h, 5, **kw)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])


@pytest.mark.parametrize("origin", [False, True], ids=["paper", "origin"])
def test_lazy_second_pick_follows_the_exact_law_across_blocks(origin):
    """The draw crosses block borders (1024 rows): on a pool of three
    blocks, the second pick of many 2-pick batches (the first is the
    largest norm) follows D^2 / sum D^2 (``min(|g|^2, D^2)`` with the
    origin as a centre, drawn by rejection from the pending first pick).
    Chi-square over 40 bins of contiguous indices of equal exact mass, and
    the largest gap between the empirical and the exact CDF over the
    indices against the DKW bound."""
    from ._reference import hidden_origin_rows

    rng = np.random.RandomState(8)
    n, n_runs = 3000, 4000
    _, delta, h = random_factors(rng, n, 3, 4)
    G = explicit_embeddings(delta, h)
    first = int(np.argmax((G**2).sum(1)))
    rows = (hidden_origin_rows if origin else paper_rows)(G, [first, 0])
    exact = np.nan_to_num(rows[1])  # the first pick: probability 0
    # Mass in every block, so that a wrong block offset shows.
    assert (np.add.reduceat(exact, [0, 1024, 2048]) > 0.2).all()
    draws = np.random.RandomState(21)
    picks = np.array([
        kmeans_plusplus(delta, h, 2, random_state=draws, dtype=np.float64,
                        algorithm="lazy", origin_as_centre=origin)[0]
        for _ in range(n_runs)
    ])  # fmt: skip
    assert (picks[:, 0] == first).all()
    counts = np.bincount(picks[:, 1], minlength=n)
    assert counts[first] == 0
    cdf = np.cumsum(exact)
    edges = np.searchsorted(cdf, np.linspace(0, 1, 41)[1:-1])
    observed = np.add.reduceat(counts, np.r_[0, edges])
    expected = np.add.reduceat(exact, np.r_[0, edges]) * n_runs
    assert stats.chisquare(observed, expected).pvalue > 1e-3
    # DKW: P(sup |F_n - F| > eps) <= 2 exp(-2 n eps^2) = 1e-6.
    gap = np.abs(np.cumsum(counts) / n_runs - cdf).max()
    assert gap < np.sqrt(np.log(2e6) / (2 * n_runs)), gap
