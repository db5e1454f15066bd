"""
BAIT against BADGE on the same pool
===================================

BAIT (Ash et al., NeurIPS 2021) selects the batch that minimises
``tr(A^-1 F)``: ``F`` is the mean Fisher information of the last layer over
the pool and ``A`` the (regularised) Fisher of the labeled samples plus the
batch. It adds samples greedily by the largest trace reduction (twice the
batch size), then prunes back. BADGE samples gradient embeddings by
k-means++. Both see the same model through the same embedding.

This example compares the two batches on 2-D blobs with a logistic
regression (whose last linear layer sees ``X``, so both are exact), draws
BAIT's per-pick utilities (the trace reduction of every candidate at the
step its pick was chosen), and runs both in an active-learning loop on
digits.
"""

# %%
import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np
from skactiveml.classifier import SklearnClassifier
from skactiveml.utils import MISSING_LABEL
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression

from skactiveml_badge import Badge, Bait
from skactiveml_badge.experiments import (
    ExperimentConfig,
    learning_curve_table,
    plot_learning_curves,
    read_results,
    run_experiment,
)
from skactiveml_badge.visualization import plot_pick_utilities

FAST = bool(os.environ.get("SKACTIVEML_BADGE_GALLERY_FAST"))

X, y_true = make_blobs(300, centers=4, cluster_std=1.5, random_state=7)
y = np.full(len(X), MISSING_LABEL)
start = np.random.RandomState(1).choice(len(X), 8, replace=False)
y[start] = y_true[start]
clf = SklearnClassifier(LogisticRegression(), classes=np.arange(4))
clf.fit(X, y)

# %%
# The two batches
# ---------------
# Batches of 8 from both strategies, on the decision boundary of the fitted
# model. BAIT's picks balance information (a large Fisher, i.e. an
# uncertain prediction) against coverage of the pool's Fisher ``F``.
badge_idx = Badge(random_state=0).query(X, y, clf, False, batch_size=8)
bait_idx, bait_util = Bait().query(
    X, y, clf, False, batch_size=8, return_utilities=True
)
fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), sharex=True, sharey=True)
for ax, (name, idx) in zip(
    axes, [("BADGE", badge_idx), ("BAIT", bait_idx)], strict=True
):
    ax.scatter(*X.T, c=clf.predict(X), cmap="tab10", vmin=0, vmax=9, s=8,
               alpha=0.35)  # fmt: skip
    ax.scatter(*X[start].T, facecolor="none", edgecolor="k", s=70,
               label="labeled")  # fmt: skip
    ax.scatter(*X[idx].T, marker="*", c="red", s=250, edgecolor="k",
               label=f"{name} batch")  # fmt: skip
    ax.set_title(f"{name}: batch of 8")
    ax.legend(loc="lower left")
fig.tight_layout()
plt.show()
print("shared picks:", sorted(set(badge_idx) & set(bait_idx)))

# %%
# BAIT's utilities of its first four picks
# ----------------------------------------
# Row ``k`` is every candidate's trace reduction at the forward step that
# chose pick ``k``; the pick is its maximum. Picks are returned in forward
# order (the backward pass has already removed the 8 surplus candidates).
unlabeled = np.flatnonzero(np.isnan(y))
axes = plot_pick_utilities(
    X, bait_util[:4], bait_idx[:4], clf=clf, labeled=start, y=y_true
)
axes[0].figure.suptitle("BAIT: trace reduction of each candidate per pick")
axes[0].figure.tight_layout()
plt.show()

# %%
# In a loop: digits, logistic regression
# --------------------------------------
# 20 random labels, then batches of 20. The query seconds per round come
# from the same run.
config = ExperimentConfig(
    datasets=["digits"],
    models=["logreg"],
    strategies=["badge", "bait", "random"],
    batch_sizes=[20],
    seeds=2 if FAST else 3,
    rounds=2 if FAST else 6,
)
rows = read_results(run_experiment(config, tempfile.mkdtemp(), False))
plot_learning_curves(rows)
plt.show()
print(learning_curve_table(rows))
for s in config.strategies:
    t = [r["query_seconds"] for r in rows if r["strategy"] == s and r["round"]]
    print(f"{s:<7} median query time {np.median(t):.3f} s")
