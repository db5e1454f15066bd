"""Property tests of the selection kernels against brute force."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from skactiveml_badge.selection import (
    farthest_first,
    kmeans_plusplus,
    pairwise_sq_distances,
    sq_norms,
)
from skactiveml_badge.selection._arrays import NumpyOps
from skactiveml_badge.selection._distances import NearestCentreDistances

from ._reference import (
    explicit_embeddings,
    nearest_sq_dist,
    paper_rows,
    random_factors,
)

KERNELS = [
    pytest.param(
        lambda d, h, k, **kw: kmeans_plusplus(d, h, k, random_state=0, **kw),
        id="kmeans++",
    ),
    pytest.param(farthest_first, id="farthest_first"),
]

finite = st.floats(-10, 10, allow_nan=False, width=64)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 12).flatmap(
        lambda n: st.tuples(
            arrays(np.float64, (n, 3), elements=finite),
            arrays(np.float64, (n, 4), elements=finite),
        )
    )
)
def test_factored_distances_equal_explicit(factors):
    delta, h = factors
    G = explicit_embeddings(delta, h)
    explicit = ((G[:, None] - G[None]) ** 2).sum(-1)
    np.testing.assert_allclose(
        pairwise_sq_distances(delta, h, delta, h),
        explicit,
        rtol=1e-9,
        atol=1e-9 * max(1.0, explicit.max()),
    )
    np.testing.assert_allclose(
        sq_norms(delta, h), (G**2).sum(1), rtol=1e-12, atol=1e-300
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("chunk_size", [1, 7, 10_000])
def test_running_distances_equal_explicit(rng, dtype, chunk_size):
    _, delta, h = random_factors(rng, 50, 5, 9, dtype=dtype)
    G = explicit_embeddings(delta, h)
    state = NearestCentreDistances(delta, h, chunk_size=chunk_size)
    for c in [3, 17, 41]:
        state.add_centre(c)
    expected = nearest_sq_dist(G, [3, 17, 41])
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(state.min_sq_dist, expected, rtol=rtol)
    assert state.min_sq_dist[[3, 17, 41]].tolist() == [0.0, 0.0, 0.0]


def test_duplicates_of_a_centre_get_exactly_zero_distance(rng):
    # float32 round-off of the factored formula must not leave a duplicate
    # of a centre with a small positive weight.
    _, delta, h = random_factors(rng, 5, 10, 512, dtype=np.float32)
    delta, h = np.repeat(delta, 4, axis=0), np.repeat(h, 4, axis=0)
    state = NearestCentreDistances(delta, h)
    state.add_centre(0)
    assert np.all(state.min_sq_dist[:4] == 0.0)
    assert np.all(state.min_sq_dist[4:] > 0.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(5))
def test_kmeanspp_rows_equal_brute_force_paper_rule(dtype, seed):
    rng = np.random.RandomState(seed)
    _, delta, h = random_factors(rng, 200, 6, 11)
    idx, rows = kmeans_plusplus(
        delta, h, 25, random_state=seed, dtype=dtype, return_utilities=True
    )
    expected = paper_rows(explicit_embeddings(delta, h), idx)
    np.testing.assert_array_equal(np.isnan(rows), np.isnan(expected))
    np.testing.assert_allclose(rows, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.nansum(rows, axis=1), 1.0, rtol=1e-9)
    assert idx[0] == np.argmax((explicit_embeddings(delta, h) ** 2).sum(1))


def test_kmeanspp_pick_frequencies_match_exact_distribution():
    # A 6-sample pool, 3 picks: the first is deterministic (largest norm),
    # the next two follow D^2. Enumerate the exact probability of every
    # ordered pick sequence and compare 20,000 draws by a chi-square test.
    rng = np.random.RandomState(42)
    _, delta, h = random_factors(rng, 6, 3, 2)
    G = explicit_embeddings(delta, h)
    first = int(np.argmax((G**2).sum(1)))
    exact = {}
    for a, b in itertools.permutations(set(range(6)) - {first}, 2):
        p_a = paper_rows(G, [first, a])[1, a]
        p_b = paper_rows(G, [first, a, b])[2, b]
        exact[(first, a, b)] = p_a * p_b
    n_runs = 20_000
    draws = np.random.RandomState(7)
    counts = dict.fromkeys(exact, 0)
    for _ in range(n_runs):
        idx, _ = kmeans_plusplus(delta, h, 3, random_state=draws)
        counts[tuple(int(i) for i in idx)] += 1
    observed = np.array([counts[s] for s in exact])
    expected = np.array([exact[s] for s in exact]) * n_runs
    assert observed.sum() == n_runs
    assert abs(expected.sum() - n_runs) < 1e-6
    _, p_value = stats.chisquare(observed, expected)
    assert p_value > 1e-3, (observed, expected.round(1))


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize(
    "pool",
    ["duplicates", "zeros", "two_points"],
)
def test_picks_are_distinct_on_degenerate_pools(rng, kernel, pool):
    _, delta, h = random_factors(rng, 30, 3, 4)
    if pool == "duplicates":
        delta, h = np.tile(delta[:1], (30, 1)), np.tile(h[:1], (30, 1))
    elif pool == "zeros":
        delta = np.zeros_like(delta)
    else:
        delta, h = np.tile(delta[:2], (15, 1)), np.tile(h[:2], (15, 1))
    idx, rows = kernel(delta, h, 30, return_utilities=True)
    assert sorted(idx.tolist()) == list(range(30))
    for k in range(30):
        assert not np.isnan(rows[k, idx[k]])
        assert np.isnan(rows[k, idx[:k]]).all()


def test_kmeanspp_uniform_when_all_distances_zero(rng):
    _, delta, h = random_factors(rng, 8, 3, 4)
    delta, h = np.tile(delta[:1], (8, 1)), np.tile(h[:1], (8, 1))
    idx, rows = kmeans_plusplus(
        delta, h, 4, random_state=1, dtype=np.float32, return_utilities=True
    )
    assert idx[0] == 0  # largest norm, ties to the lowest index
    for k in range(1, 4):
        np.testing.assert_allclose(rows[k][~np.isnan(rows[k])], 1 / (8 - k))


def test_kmeanspp_is_reproducible_and_uses_random_state(rng):
    _, delta, h = random_factors(rng, 500, 5, 8)
    a = kmeans_plusplus(delta, h, 40, random_state=3)[0]
    b = kmeans_plusplus(delta, h, 40, random_state=3)[0]
    c = kmeans_plusplus(delta, h, 40, random_state=4)[0]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("kernel", KERNELS)
def test_chunk_size_does_not_change_the_picks(rng, kernel):
    _, delta, h = random_factors(rng, 300, 5, 8)
    ref = kernel(delta, h, 30, dtype=np.float64)[0]
    for chunk_size in [1, 16, 299, 5000]:
        got = kernel(delta, h, 30, dtype=np.float64, chunk_size=chunk_size)
        np.testing.assert_array_equal(got[0], ref)


def test_farthest_first_equals_brute_force_and_radius_never_grows(rng):
    _, delta, h = random_factors(rng, 150, 4, 6)
    G = explicit_embeddings(delta, h)
    idx, rows = farthest_first(
        delta, h, 20, dtype=np.float64, return_utilities=True
    )
    assert idx[0] == np.argmax((G**2).sum(1))
    radii = []
    for k in range(1, 20):
        d = np.sqrt(nearest_sq_dist(G, idx[:k]))
        assert idx[k] == np.argmax(d)
        d[idx[:k]] = np.nan
        np.testing.assert_allclose(rows[k], d, rtol=1e-9, atol=1e-12)
        radii.append(np.nanmax(rows[k]))
    assert np.all(np.diff(radii) <= 1e-12)


@pytest.mark.parametrize("kernel", KERNELS)
def test_inputs_are_not_modified(rng, kernel):
    _, delta, h = random_factors(rng, 40, 3, 4, dtype=np.float32)
    d0, h0 = delta.copy(), h.copy()
    kernel(delta, h, 10, dtype=np.float32)
    np.testing.assert_array_equal(delta, d0)
    np.testing.assert_array_equal(h, h0)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(n_picks=0), ValueError, "n_picks"),
        (dict(n_picks=2.0), TypeError, "n_picks"),
        (dict(n_picks=11), ValueError, "n_picks"),
        (dict(dtype=np.int32), ValueError, "dtype"),
        (dict(dtype="half-precision"), TypeError, "dtype"),
        (dict(chunk_size=0), ValueError, "chunk_size"),
        (dict(delta=np.ones((9, 3))), ValueError, "same number of rows"),
        (dict(h=np.ones(10)), ValueError, "`h` must be a 2-D"),
        (dict(h=np.full((10, 4), np.nan)), ValueError, "`h` contains NaN"),
        (dict(delta=np.full((10, 3), "a")), TypeError, "`delta` must be"),
    ],
)
def test_kernel_input_errors(rng, kernel, kwargs, exc, match):
    _, delta, h = random_factors(rng, 10, 3, 4)
    args = dict(delta=delta, h=h, n_picks=3) | kwargs
    with pytest.raises(exc, match=match):
        kernel(args.pop("delta"), args.pop("h"), args.pop("n_picks"), **args)


class _FixedUniforms:
    """A stand-in RandomState whose random_sample returns given values."""

    def __init__(self, values):
        self.values = iter(values)

    def random_sample(self):
        return next(self.values)


@pytest.mark.parametrize("n", [1, 1023, 1024, 3000, 5 * 1024])
def test_two_level_draw_equals_inverse_cdf_of_all_weights(rng, n):
    from skactiveml_badge.selection._kmeanspp import _BLOCK, _draw

    state = NumpyOps(np.float32)

    def _block_sums(w):
        return state.block_sums(w, _BLOCK)

    weights = rng.rand(n).astype(np.float32)
    weights[rng.rand(n) < 0.3] = 0.0  # picked / duplicate samples
    weights[: min(n, 1024) // 2] = 0.0  # a (partly) zero block
    weights[-1] = 1.0  # at least one positive weight
    cum = np.cumsum(weights, dtype=np.float64)
    us = np.linspace(0.0, 1.0, 4001)[:-1]
    drawn = [
        _draw(state, weights, _block_sums(weights), _FixedUniforms([u]))
        for u in us
    ]
    expected = np.searchsorted(cum, us * cum[-1], side="right")
    np.testing.assert_array_equal(drawn, expected)
    assert np.all(weights[drawn] > 0)
    if n == 1:
        return
    # u just below 1: round-off must not run past the last positive weight.
    weights[-1] = 0.0
    weights[-2] = 0.5
    top = _draw(
        state, weights, _block_sums(weights), _FixedUniforms([1 - 1e-17])
    )
    assert top == np.flatnonzero(weights)[-1]


def test_draw_frequencies_match_weights_across_blocks():
    from skactiveml_badge.selection._kmeanspp import _BLOCK, _draw

    state = NumpyOps(np.float64)
    rs = np.random.RandomState(5)
    weights = np.zeros(2500)
    support = [3, 1023, 1024, 2047, 2100, 2499]
    weights[support] = [1.0, 2.0, 3.0, 4.0, 5.0, 5.0]
    sums = state.block_sums(weights, _BLOCK)
    counts = np.bincount(
        [_draw(state, weights, sums, rs) for _ in range(20_000)],
        minlength=2500,
    )
    assert counts.sum() == counts[support].sum()
    expected = weights[support] / weights.sum() * 20_000
    assert stats.chisquare(counts[support], expected).pvalue > 1e-3
