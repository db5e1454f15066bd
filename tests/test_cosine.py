"""metric="cosine": unit factors, a drawn first pick, every kernel."""

import numpy as np
import pytest
import scipy.sparse as sp

from skactiveml_badge.selection import (
    farthest_first,
    kmeans_plusplus,
    unit_rows,
)

from ._reference import explicit_embeddings, random_factors


def test_unit_rows_scale_every_kind_of_array_and_keep_zero_rows():
    a = np.array([[3.0, 4.0], [0.0, 0.0], [1e-30, 0.0]], dtype=np.float32)
    got = unit_rows(a)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, [[0.6, 0.8], [0.0, 0.0], [1.0, 0.0]])
    s = unit_rows(sp.csr_matrix(a.astype(np.float64)))
    assert sp.issparse(s)
    np.testing.assert_allclose(s.toarray(), got, rtol=1e-7)
    np.testing.assert_allclose(unit_rows(np.array([[2, 0]])), [[1.0, 0.0]])
    torch = pytest.importorskip("torch")
    t = unit_rows(torch.tensor(a))
    assert t.dtype == torch.float32
    np.testing.assert_allclose(t.numpy(), got, rtol=1e-6)


def test_unit_factors_give_the_cosine_distances_of_the_embeddings():
    rng = np.random.RandomState(0)
    _, delta, h = random_factors(rng, 30, 4, 6)
    delta[3] = 0.0  # a certain model: a zero gradient
    G = explicit_embeddings(delta, h)
    U = explicit_embeddings(unit_rows(delta), unit_rows(h))
    norms = np.linalg.norm(G, axis=1)
    alive = norms > 0
    np.testing.assert_allclose(np.linalg.norm(U, axis=1), alive * 1.0)
    cos = (G[alive] @ G[alive].T) / np.outer(norms[alive], norms[alive])
    sq = ((U[alive, None] - U[None, alive]) ** 2).sum(-1)
    np.testing.assert_allclose(sq, 2.0 * (1.0 - cos), atol=1e-12)


@pytest.mark.parametrize("kernel", [kmeans_plusplus, farthest_first])
def test_a_drawn_first_pick_follows_row_0_on_every_kernel(kernel, tmp_path):
    rng = np.random.RandomState(1)
    _, delta, h = random_factors(rng, 50, 3, 4)
    sq = (delta**2).sum(1) * (h**2).sum(1)
    np.save(tmp_path / "d.npy", delta)
    np.save(tmp_path / "h.npy", h)
    disk = [np.load(tmp_path / f, mmap_mode="r") for f in ("d.npy", "h.npy")]
    firsts = []
    for seed in range(300):
        got = [
            kernel(delta, h, 3, random_state=seed, first_pick="draw",
                   algorithm=algorithm)[0][0]
            for algorithm in ("plain", "lazy")
        ] + [
            kernel(*disk, 3, random_state=seed, first_pick="draw")[0][0]
        ]  # fmt: skip
        assert len(set(got)) == 1, got  # one seed, one first pick
        firsts.append(got[0])
    # The draws follow |g|^2 / sum |g|^2: the heaviest tenth of the pool
    # holds this share of the weight and of the draws alike.
    heavy = np.argsort(sq)[-5:]
    share = sq[heavy].sum() / sq.sum()
    drawn = np.isin(firsts, heavy).mean()
    assert abs(drawn - share) < 0.09, (drawn, share)
    # "largest" is the paper's rule; the rows do not change.
    a = kernel(delta, h, 3, random_state=0, return_utilities=True)
    b = kernel(delta, h, 3, random_state=0, first_pick="draw",
               return_utilities=True)  # fmt: skip
    assert a[0][0] == np.argmax(sq)
    np.testing.assert_allclose(a[1][0], b[1][0])
    with pytest.raises(ValueError, match="first_pick"):
        kernel(delta, h, 3, first_pick="random")


def test_cosine_badge_on_the_torch_backend_makes_the_numpy_picks():
    pytest.importorskip("torch")
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from skactiveml_badge import Badge

    X, y = load_iris(return_X_y=True)
    clf = LogisticRegression(max_iter=500).fit(X[::10], y[::10])
    picks = {
        backend: Badge(
            random_state=0, metric="cosine", backend=backend
        ).select_batch(clf, X, batch_size=8)
        for backend in ("numpy", "torch")
    }
    np.testing.assert_array_equal(picks["numpy"], picks["torch"])


def test_multilabel_y_keeps_the_euclidean_metric():
    from skactiveml_badge import Badge

    y = np.full((10, 3), np.nan)
    with pytest.raises(ValueError, match="metric"):
        Badge(metric="cosine").query(np.zeros((10, 2)), y, None)
