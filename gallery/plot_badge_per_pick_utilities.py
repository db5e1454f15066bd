"""
Per-pick utilities of a BADGE batch on 2-D data
===============================================

BADGE picks a batch one sample at a time. The first pick is the sample
whose gradient embedding has the largest norm; under the paper's rule
(``origin_as_centre=False``) every later pick is drawn with probability
proportional to the squared distance of its gradient embedding to the
nearest earlier pick. ``return_utilities=True`` returns, for every pick,
the probabilities it was drawn from. (``Badge()``'s default is
scikit-activeml's rule, which also caps that distance at the pick's own
norm ``|g|``: see the previous example.)

This example runs an active-learning cycle on four 2-D blobs with
scikit-activeml's Parzen window classifier (as in
``skactiveml.pool.Badge``, the embedding ``h`` is ``X`` itself), draws the
utilities of every pick of a batch of four over the feature space with the
decision boundary, and follows the test accuracy over the cycles.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from skactiveml.classifier import ParzenWindowClassifier
from skactiveml.utils import MISSING_LABEL, labeled_indices
from skactiveml.visualization import (
    plot_contour_for_samples,
    plot_decision_boundary,
)
from sklearn.datasets import make_blobs

from skactiveml_badge import Badge
from skactiveml_badge.visualization import plot_pick_utilities

FAST = bool(os.environ.get("SKACTIVEML_BADGE_GALLERY_FAST"))
n_cycles = 3 if FAST else 8

X, y_true = make_blobs(400, centers=4, cluster_std=1.4, random_state=3)
X_test, y_test = X[300:], y_true[300:]
X, y_true = X[:300], y_true[:300]
y = np.full(len(X), MISSING_LABEL)
start = np.random.RandomState(0).choice(len(X), 4, replace=False)
y[start] = y_true[start]

clf = ParzenWindowClassifier(classes=np.arange(4), random_state=0)
# The paper's rule: D^2 to the nearest earlier pick, without the origin.
qs = Badge(random_state=0, origin_as_centre=False)
bound = [X.min(0) - 0.5, X.max(0) + 0.5]

# %%
# The active-learning cycle: fit, query a batch of four, reveal the labels.
# Every cycle's state is kept for the plots below.
history = []
for _ in range(n_cycles):
    clf.fit(X, y)
    accuracy = clf.score(X_test, y_test)
    idx, utilities = qs.query(X, y, clf, batch_size=4, return_utilities=True)
    history.append((y.copy(), idx, utilities, accuracy))
    y[idx] = y_true[idx]

# %%
# The utilities of each pick of the first batch
# ---------------------------------------------
# Earlier picks (black crosses) have probability zero, and so have the
# samples near them in gradient space; the pick itself is the red star.
# Pick 0 is the largest gradient norm: near the decision boundary of the
# few labels, where the model is unsure.
y0, idx0, util0, _ = history[0]
clf.fit(X, y0)
axes = plot_pick_utilities(
    X, util0, idx0, clf=clf, labeled=labeled_indices(y0), y=y_true
)
axes[0].figure.suptitle("BADGE utilities of each pick in a batch of 4")
axes[0].figure.tight_layout()
plt.show()

# %%
# The rows are probability distributions over the unlabeled samples.
print("row sums:", np.round(np.nansum(util0, axis=1), 6))
print("picks:", idx0)

# %%
# Test accuracy over the cycles
# -----------------------------
labels = [int((~np.isnan(h[0])).sum()) for h in history]
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(labels, [h[3] for h in history], marker="o")
ax.set_xlabel("labels")
ax.set_ylabel("test accuracy")
ax.set_title("Parzen window classifier, BADGE batches of 4")
ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %%
# The cycles as an animation
# --------------------------
# Each frame shows one cycle: the decision boundary fitted on the labels of
# that cycle, the utilities of its first pick (proportional to the squared
# gradient norm, i.e. the model's uncertainty) and the four samples it
# picked.
fig, ax = plt.subplots(figsize=(5.5, 4.5))


def draw(cycle):
    ax.clear()
    y_c, idx_c, util_c, acc = history[cycle]
    clf.fit(X, y_c)
    plot_contour_for_samples(
        X, util_c[0], replace_nan=0.0, feature_bound=bound, ax=ax, res=61
    )
    plot_decision_boundary(clf, bound, ax=ax, confidence=None)
    lab = labeled_indices(y_c)
    ax.scatter(*X.T, c="lightgrey", s=6)
    ax.scatter(*X[lab].T, c=y_true[lab], cmap="tab10", vmin=0, vmax=9,
               s=40, edgecolor="k")  # fmt: skip
    ax.scatter(*X[idx_c].T, marker="*", c="red", s=200, edgecolor="k")
    ax.set_title(f"cycle {cycle}: {len(lab)} labels, accuracy {acc:.3f}")
    return []


anim = FuncAnimation(fig, draw, frames=len(history), interval=900)
plt.show()
