"""
k-means++, farthest-first and class-balanced batches
====================================================

``Badge(selection="kmeans++")`` is the paper's rule: it samples each pick
with probability proportional to the squared gradient distance to the
nearest earlier pick. ``selection="farthest_first"`` takes the farthest
sample instead (k-center greedy), which reaches the outskirts of the
gradient space first. ``class_balance="equal"`` splits the batch into
equal quotas over the pseudo-labels ``argmax p``, so a rare class gets its
share even when its gradients are small.

The pool here is imbalanced: 400, 80 and 20 samples in three blobs. A
logistic regression is fitted on a few labels of each class, and each rule
picks a batch of 12.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from skactiveml.classifier import SklearnClassifier
from skactiveml.utils import MISSING_LABEL
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression

from skactiveml_badge import Badge

X, y_true = make_blobs(
    [400, 80, 20],
    centers=[[0, 0], [4, 3], [-1, 5]],
    cluster_std=[1.6, 1.0, 0.6],
    random_state=1,
)
y = np.full(len(X), MISSING_LABEL)
rng = np.random.RandomState(0)
start = np.concatenate(
    [rng.choice(np.flatnonzero(y_true == c), 2, replace=False)
     for c in range(3)]
)  # fmt: skip
y[start] = y_true[start]
clf = SklearnClassifier(LogisticRegression(), classes=np.arange(3))
clf.fit(X, y)
pseudo = clf.predict(X)

rules = {
    # The paper's rule (the origin not kept as a centre) and its variants.
    "k-means++": Badge(random_state=0, origin_as_centre=False),
    "farthest-first": Badge(
        selection="farthest_first", origin_as_centre=False
    ),
    "k-means++, equal class quotas": Badge(
        class_balance="equal", random_state=0, origin_as_centre=False
    ),
}

# %%
# Each panel shows the pool coloured by pseudo-label, the labeled samples
# (black rings) and the batch (stars, numbered in pick order). The title
# counts the batch's picks per pseudo-label.
fig, axes = plt.subplots(1, 3, figsize=(14, 4.6), sharex=True, sharey=True)
for ax, (name, qs) in zip(axes, rules.items(), strict=True):
    idx = qs.query(X, y, clf, fit_clf=False, batch_size=12)
    counts = np.bincount(pseudo[idx], minlength=3)
    ax.scatter(*X.T, c=pseudo, cmap="tab10", vmin=0, vmax=9, s=8, alpha=0.4)
    ax.scatter(*X[start].T, facecolor="none", edgecolor="k", s=70)
    ax.scatter(*X[idx].T, c=pseudo[idx], cmap="tab10", vmin=0, vmax=9,
               marker="*", s=260, edgecolor="k")  # fmt: skip
    for k, i in enumerate(idx):
        ax.annotate(str(k), X[i], xytext=(4, 4), textcoords="offset points")
    ax.set_title(f"{name}\npicks per pseudo-label: {counts.tolist()}")
fig.tight_layout()
plt.show()

# %%
# Farthest-first is deterministic: it starts at the largest gradient and
# then always takes the sample farthest (in gradient space) from all earlier
# picks. k-means++ samples, so other seeds give other batches. With equal
# quotas each pseudo-label gets 4 of the 12 picks; without them the rare
# class gets what its gradients earn.
for name, qs in rules.items():
    idx = qs.query(X, y, clf, fit_clf=False, batch_size=12)
    print(f"{name:<32} {np.bincount(pseudo[idx], minlength=3)}")
