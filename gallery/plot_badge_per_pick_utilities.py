"""
Per-pick utilities of a BADGE batch on 2-D data
===============================================

BADGE picks a batch one sample at a time. The first pick is the sample
whose gradient embedding has the largest norm; every later pick is drawn
with probability proportional to the squared distance of its gradient
embedding to the nearest earlier pick. ``return_utilities=True`` returns,
for every pick, the probabilities it was drawn from. This example draws
them over the feature space for a batch of four, together with the decision
boundary of the classifier (scikit-activeml's Parzen window classifier;
as in ``skactiveml.pool.Badge``, the embedding is ``X`` itself).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from skactiveml.classifier import ParzenWindowClassifier
from skactiveml.utils import MISSING_LABEL, unlabeled_indices
from skactiveml.visualization import (
    plot_contour_for_samples,
    plot_decision_boundary,
)
from sklearn.datasets import make_blobs

from skactiveml_badge import Badge

X, y_true = make_blobs(300, centers=4, cluster_std=1.3, random_state=3)
y = np.full(len(X), MISSING_LABEL)
labeled = np.random.RandomState(0).choice(len(X), 8, replace=False)
y[labeled] = y_true[labeled]

clf = ParzenWindowClassifier(classes=np.arange(4), random_state=0)
qs = Badge(random_state=0)
idx, utilities = qs.query(X, y, clf, batch_size=4, return_utilities=True)
clf.fit(X, y)

# %%
# Each panel shows what pick ``k`` was chosen by. Earlier picks (black
# crosses) have zero probability, and so have the samples near them in
# gradient space; the pick itself is the red star.
bound = [X.min(0) - 0.5, X.max(0) + 0.5]
unlbld = unlabeled_indices(y)
fig, axes = plt.subplots(2, 2, figsize=(9, 8), sharex=True, sharey=True)
for k, ax in enumerate(axes.ravel()):
    plot_contour_for_samples(
        X[unlbld],
        utilities[k, unlbld],
        replace_nan=0.0,
        feature_bound=bound,
        ax=ax,
        res=101,
    )
    plot_decision_boundary(clf, bound, ax=ax, confidence=None)
    ax.scatter(*X[unlbld].T, c="lightgrey", s=8)
    ax.scatter(
        *X[labeled].T,
        c=y_true[labeled],
        cmap="tab10",
        vmin=0,
        vmax=9,
        s=60,
        edgecolor="k",
        label="labeled",
    )
    ax.scatter(*X[idx[:k]].T, marker="x", c="k", s=60, label="earlier picks")
    ax.scatter(
        *X[idx[k]],
        marker="*",
        c="red",
        s=250,
        edgecolor="k",
        label=f"pick {k}",
    )
    ax.set_title(f"pick {k}: max utility {np.nanmax(utilities[k]):.3f}")
    ax.legend(loc="lower left", fontsize=7)
fig.suptitle("BADGE utilities of each pick in a batch of 4")
fig.tight_layout()
plt.show()

# %%
# The rows are probability distributions over the unlabeled samples.
print("row sums:", np.round(np.nansum(utilities, axis=1), 6))
print("picks:", idx)
