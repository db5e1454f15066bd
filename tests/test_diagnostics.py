"""Diagnostics: gradient norms and nearest-pick assignment, and plots."""

import numpy as np
import pytest
import scipy.sparse as sp
from skactiveml.classifier import SklearnClassifier
from sklearn.ensemble import RandomForestClassifier

from skactiveml_badge import Badge
from skactiveml_badge.embeddings import gradient_factors
from skactiveml_badge.visualization import (
    plot_gradient_norms,
    plot_pick_assignment,
)

from ._conformance import make_pool
from ._reference import explicit_embeddings


def test_norms_and_assignment_equal_brute_force(lookup_problem):
    X, _, delta, h, clf = lookup_problem
    qs = Badge("return_embeddings", random_state=0)
    G = explicit_embeddings(delta, h)
    np.testing.assert_allclose(
        qs.gradient_norms(clf, X), np.linalg.norm(G, axis=1), rtol=1e-10
    )
    picks = np.array([5, 17, 42])
    assignment, distance = qs.assign_to_picks(clf, X, picks)
    d = np.linalg.norm(G[:, None] - G[picks][None], axis=-1)
    np.testing.assert_array_equal(assignment, d.argmin(1))
    np.testing.assert_allclose(distance, d.min(1), atol=1e-7)
    assert (assignment[picks] == np.arange(3)).all()
    with pytest.raises(ValueError, match="picks"):
        qs.assign_to_picks(clf, X, np.array([0, 60]))
    with pytest.raises(TypeError, match="picks"):
        qs.assign_to_picks(clf, X, np.array([0.5]))


@pytest.mark.parametrize("tree_embedding", ["proximity", "proximity+X"])
def test_diagnostics_with_sparse_leaf_embeddings(tree_embedding):
    """On the exact (sparse) leaf embedding, the norms and nearest picks
    are those of the materialised gradient embeddings: one column per
    (tree, leaf) pair, 1/sqrt(n_trees) where the sample lands, and for
    "proximity+X" the features scaled to a mean squared norm of one."""
    X, _, y_true, _ = make_pool()
    # Two deep trees fitted on every label: more than 8 leaves a tree, so
    # the exact embedding stays sparse
    n_trees = 2
    clf = SklearnClassifier(
        RandomForestClassifier(n_trees, random_state=0), classes=[0, 1, 2]
    ).fit(X, y_true)
    qs = Badge(
        leaf_dim=None,
        tree_embedding=tree_embedding,
        origin_as_centre=False,  # picks by BADGE: distinct gradients
        random_state=0,
    )
    assert sp.issparse(gradient_factors(clf, X, leaf_dim=None)[2])
    leaves = clf.estimator_.apply(X)
    Z = np.hstack(
        [leaves[:, [t]] == np.unique(leaves[:, t]) for t in range(n_trees)]
    ) / np.sqrt(n_trees)
    if tree_embedding == "proximity+X":
        X32 = X.astype(np.float32).astype(np.float64)
        Z = np.hstack([Z, X32 / np.sqrt(np.mean((X32**2).sum(1)))])
    proba = clf.predict_proba(X)
    G = explicit_embeddings(proba - np.eye(3)[proba.argmax(1)], Z)
    np.testing.assert_allclose(
        qs.gradient_norms(clf, X), np.linalg.norm(G, axis=1), rtol=1e-6
    )
    picks = qs.select_batch(clf, X, batch_size=4)
    assignment, distance = qs.assign_to_picks(clf, X, picks)
    d = np.linalg.norm(G[:, None] - G[picks][None], axis=-1)
    # The assigned pick is a nearest one (ties may go either way).
    nearest = d[np.arange(len(X)), assignment]
    np.testing.assert_allclose(nearest, d.min(1), atol=1e-6)
    np.testing.assert_allclose(distance, d.min(1), atol=1e-6)
    assert (assignment[picks] == np.arange(4)).all()


def test_plots_draw(lookup_problem):
    plt = pytest.importorskip("matplotlib.pyplot")
    plt.switch_backend("Agg")
    X, _, _, _, clf = lookup_problem
    qs = Badge("return_embeddings", random_state=0)
    norms = qs.gradient_norms(clf, X)
    fig, (a, b) = plt.subplots(1, 2)
    assert plot_gradient_norms(norms, picks=[1, 2], ax=a) is a
    X2 = np.c_[X[:, 0], norms]
    assignment, _ = qs.assign_to_picks(clf, X, [3, 9])
    assert plot_pick_assignment(X2, assignment, [3, 9], ax=b) is b
    assert len(b.collections) == 2
    with pytest.raises(ValueError, match="X_2d"):
        plot_pick_assignment(X, assignment, [3, 9], ax=b)
    plt.sca(a)
    assert plot_gradient_norms(norms) is a  # the current axes
    plt.close(fig)


def test_plot_pick_utilities_draws_one_panel_per_pick():
    plt = pytest.importorskip("matplotlib.pyplot")
    plt.switch_backend("Agg")
    from skactiveml.classifier import ParzenWindowClassifier
    from sklearn.datasets import make_blobs

    from skactiveml_badge.visualization import plot_pick_utilities

    X, y_true = make_blobs(60, centers=3, random_state=0)
    y = np.full(60, np.nan)
    y[:6] = y_true[:6]
    clf = ParzenWindowClassifier(classes=[0, 1, 2]).fit(X, y)
    idx, util = Badge(random_state=0).query(
        X, y, clf, batch_size=3, return_utilities=True
    )
    axes = plot_pick_utilities(
        X, util, idx, clf=clf, labeled=np.arange(6), y=y, res=21
    )
    assert len(axes) == 4 and not axes[3].has_data()
    for k, ax in enumerate(axes[:3]):
        assert ax.get_title() == f"pick {k}"
        labels = ax.get_legend_handles_labels()[1]
        assert f"pick {k}" in labels
        assert ("earlier picks" in labels) == (k > 0)
    with pytest.raises(ValueError, match="utilities"):
        plot_pick_utilities(X, util[:, :10], idx)
    with pytest.raises(ValueError, match="X"):
        plot_pick_utilities(np.c_[X, X], util, idx)
    with pytest.raises(ValueError, match="axes"):
        plot_pick_utilities(X, util, idx, axes=axes[:2])
    plt.close("all")
