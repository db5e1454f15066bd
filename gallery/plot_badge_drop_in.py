"""
Badge as a drop-in for scikit-activeml's Badge
==============================================

scikit-activeml's own BADGE example with one import changed: five 2-D
blobs (``y % 2``), a ``ParzenWindowClassifier``, no labels at the start,
five cycles of batches of four with ``return_utilities=True`` and one
contour panel per utility row. ``skactiveml_badge.Badge`` is BADGE from the
first query and, by default, draws from scikit-activeml 1.0.1's
distribution: row 0 is ``|g|^2 / sum |g|^2`` (its argmax is the first
pick), and row ``k`` is proportional to ``min(|g|^2, D^2)``, with ``D`` the
distance to the nearest earlier pick in gradient space. The Parzen window
classifier has no last layer, so, as in scikit-activeml, the embedding
``h`` is ``X`` and ``g = (p - onehot(argmax p)) (x) x``.

One cycle is shown beside scikit-activeml's rows: the first pick and row 0
are the same; the later rows follow the same rule, each along its own
picks (the draws use other random numbers; ``tests/test_parity.py``
checks our rows against scikit-activeml's rule along our picks to
``1e-6``).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation
from skactiveml.classifier import ParzenWindowClassifier
from skactiveml.pool import Badge as SkactivemlBadge
from skactiveml.utils import MISSING_LABEL, labeled_indices
from skactiveml.visualization import (
    plot_contour_for_samples,
    plot_decision_boundary,
)
from sklearn.datasets import make_blobs

from skactiveml_badge import Badge  # instead of skactiveml.pool.Badge

random_state = np.random.RandomState(0)
X, y_true = make_blobs(
    n_samples=200,
    n_features=2,
    centers=[[0, 1], [-3, 0.5], [-1, -1], [2, 1], [1, -0.5]],
    cluster_std=0.7,
    random_state=random_state,
)
y_true = y_true % 2
y = np.full(shape=y_true.shape, fill_value=MISSING_LABEL)

clf = ParzenWindowClassifier(classes=[0, 1], random_state=random_state)
qs = Badge(random_state=0)  # scikit-activeml's example: Badge()
feature_bound = [[min(X[:, 0]), min(X[:, 1])], [max(X[:, 0]), max(X[:, 1])]]

# %%
# The active-learning cycles
# --------------------------
# Exactly scikit-activeml's loop; each cycle's state is kept for the plots.
n_cycles = 5
history = []
for _ in range(n_cycles):
    clf.fit(X, y)
    query_idx, utilities = qs.query(
        X=X, y=y, clf=clf, batch_size=4, return_utilities=True
    )
    history.append((y.copy(), query_idx, utilities))
    y[query_idx] = y_true[query_idx]


def draw_rows(axs, y_c, picks, rows, title):
    """One contour panel per utility row, as scikit-activeml's example,
    with the labeled samples (grey) and the picks so far (red)."""
    clf.fit(X, y_c)
    artists = []
    for i, ax in enumerate(axs):
        old = list(ax.collections)
        plot_contour_for_samples(
            X, rows[i], res=25, feature_bound=feature_bound,
            replace_nan=None, ax=ax,
        )  # fmt: skip
        ax.scatter(*X.T, c=y_true, cmap="coolwarm", marker=".", zorder=2)
        lab = X[labeled_indices(y_c)]
        ax.scatter(*lab.T, c="grey", alpha=0.8, marker=".", s=300)
        ax.scatter(*X[picks[: i + 1]].T, c="red", marker="x", s=60, zorder=3)
        plot_decision_boundary(clf, feature_bound, ax=ax)
        ax.set_title(f"{title}, utilities[{i}]", fontsize=9)
        artists += [a for a in ax.collections if a not in old]
    return artists


# %%
# The first cycle: no labels yet
# ------------------------------
# With no labels the classifier predicts 1/2 for both classes everywhere:
# every ``delta`` is the same and ``|g|`` grows with ``|x|``. The first
# pick is the sample farthest from the origin; each later row is zero at
# the earlier picks (red) and grows with the distance to them, capped by
# ``|g|^2``.
fig, axs = plt.subplots(2, 2, figsize=(8, 7), constrained_layout=True)
y0, idx0, util0 = history[0]
draw_rows(axs.ravel(), y0, idx0, util0, "ours")
fig.suptitle("skactiveml_badge.Badge, cycle 1 (0 labels)")
plt.show()

# %%
# scikit-activeml's rows beside ours (cycle 2)
# --------------------------------------------
# The same state (four labels), queried by both. Top: ours; bottom:
# scikit-activeml's. Row 0 is the same distribution and the first picks
# agree; the later picks are draws from the same rule with other random
# numbers, so the rows after them differ where the picks differ.
y1 = history[1][0]
clf.fit(X, y1)
ours = Badge(random_state=1).query(
    X, y1, clf, batch_size=4, return_utilities=True
)
theirs = SkactivemlBadge(random_state=1).query(
    X, y1, clf, batch_size=4, return_utilities=True
)
fig, axs = plt.subplots(2, 4, figsize=(14, 6.5), constrained_layout=True)
draw_rows(axs[0], y1, ours[0], ours[1], "ours")
draw_rows(axs[1], y1, np.asarray(theirs[0]), theirs[1], "scikit-activeml")
fig.suptitle("Cycle 2: skactiveml_badge.Badge (top), skactiveml (bottom)")
plt.show()

row0_diff = np.nanmax(np.abs(ours[1][0] - theirs[1][0]))
print("first pick, ours and scikit-activeml's:", ours[0][0], theirs[0][0])
print(f"largest difference in row 0: {row0_diff:.1e}")
print("row sums (ours):", np.round(np.nansum(ours[1], axis=1), 6))
print("finite utilities at every unlabeled sample:",
      bool(np.isfinite(ours[1][0][np.isnan(y1)]).all()))  # fmt: skip

# %%
# The five cycles as an animation
# -------------------------------
# scikit-activeml's figure: a 2 x 2 grid of the four utility rows of each
# cycle, with the decision boundary of the labels known at that cycle.
fig, axs = plt.subplots(2, 2, figsize=(8, 7), constrained_layout=True)
frames = []
for c, (y_c, idx_c, util_c) in enumerate(history):
    frames.append(draw_rows(axs.ravel(), y_c, idx_c, util_c, f"batch {c + 1}"))
ani = animation.ArtistAnimation(fig, frames, interval=1000, blit=True)
plt.show()
