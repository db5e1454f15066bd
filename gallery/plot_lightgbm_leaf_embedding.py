"""
Pseudo-BADGE for LightGBM: the leaf embedding
=============================================

A gradient-boosted ensemble has no last linear layer, but it has a natural
feature map: the leaf every tree sends a sample to. ``Badge`` represents a
sample by its *leaf embedding* ``z(x)``, the one-hot code of its leaf in
every tree, scaled by ``1 / sqrt(T)`` for ``T`` trees, so that
``z(x) . z(x')`` is the share of trees in which ``x`` and ``x'`` fall in
the same leaf (the random-forest proximity). The pseudo-gradient is then
``g = (p - onehot(argmax p)) (x) z(x)``, and BADGE selects on it exactly as
for a net.

This example fits LightGBM on a few labels of the wine data set, looks at
the proximity the leaf embedding defines, shows where a batch lands, and
compares learning curves with random and margin sampling.
"""

# %%
import os
import tempfile

import lightgbm
import matplotlib.pyplot as plt
import numpy as np
from skactiveml.classifier import SklearnClassifier
from skactiveml.utils import MISSING_LABEL
from sklearn.decomposition import PCA

from skactiveml_badge import Badge
from skactiveml_badge.embeddings import proba_and_embedding
from skactiveml_badge.experiments import (
    ExperimentConfig,
    learning_curve_table,
    load_dataset,
    plot_learning_curves,
    read_results,
    run_experiment,
    split_pool,
)

FAST = bool(os.environ.get("SKACTIVEML_BADGE_GALLERY_FAST"))

X, y_all, _ = load_dataset("wine")
X_pool, y_pool, _, _, start = split_pool(X, y_all, True, 0, 0.3, 20)
y = np.full(len(X_pool), MISSING_LABEL)
y[start] = y_pool[start]
clf = SklearnClassifier(
    lightgbm.LGBMClassifier(
        n_estimators=100, num_leaves=8, min_child_samples=2, verbose=-1
    ),
    classes=np.arange(3),
).fit(X_pool, y)

# %%
# The proximity of the leaf embedding
# -----------------------------------
# ``proba_and_embedding`` returns what ``Badge`` selects on. With 3 classes
# LightGBM grows 3 trees per round, 300 in all; the embedding has one
# non-zero per tree (exact and sparse while the pool reaches at most
# ``leaf_dim`` distinct leaves, else hashed into ``leaf_dim`` buckets).
proba, z = proba_and_embedding(clf, X_pool, leaf_dim=None)
order = np.argsort(y_pool, kind="stable")
proximity = (z @ z.T).toarray() if hasattr(z, "toarray") else z @ z.T
print(f"embedding: {z.shape[1]} leaves, {z[0].count_nonzero()} per sample")
fig, ax = plt.subplots(figsize=(5, 4.4))
im = ax.imshow(proximity[np.ix_(order, order)], cmap="viridis")
ax.set_title("z(x) . z(x'): share of trees with a shared leaf\n"
             "(pool sorted by true class)")  # fmt: skip
fig.colorbar(im, ax=ax)
fig.tight_layout()
plt.show()

# %%
# Where a batch lands
# -------------------
# The pool on the first two principal components of the features, coloured
# by the norm of the pseudo-gradient ``|g| = |p - onehot(argmax p)| |z|``
# (``Badge.gradient_norms``): samples the ensemble is sure of have ``p``
# close to one-hot and a norm near zero. The batch of 8 (stars) goes to
# large norms, spread over the pool.
qs = Badge(random_state=0)  # BADGE from the first query
picks = qs.query(X_pool, y, clf, fit_clf=False, batch_size=8)
norms = qs.gradient_norms(clf, X_pool)
X_2d = PCA(2, random_state=0).fit_transform(X_pool)
fig, ax = plt.subplots(figsize=(5.8, 4.5))
sc = ax.scatter(*X_2d.T, c=norms, cmap="viridis", s=14)
ax.scatter(*X_2d[start].T, facecolor="none", edgecolor="k", s=60,
           label="labeled")  # fmt: skip
ax.scatter(*X_2d[picks].T, marker="*", c="red", s=250, edgecolor="k",
           label="BADGE batch")  # fmt: skip
fig.colorbar(sc, ax=ax, label="|g|")
ax.legend()
ax.set_title("pseudo-gradient norms and the batch (PCA of X)")
fig.tight_layout()
plt.show()
print(f"median |g|: pool {np.median(norms):.3f}, "
      f"batch {np.median(norms[picks]):.3f}")  # fmt: skip

# %%
# Learning curves
# ---------------
# LightGBM on wine: 20 random labels, then batches of 10.
config = ExperimentConfig(
    datasets=["wine"],
    models=["lightgbm"],
    strategies=["badge", "random", "margin"],
    batch_sizes=[10],
    seeds=2 if FAST else 5,
    rounds=2 if FAST else 6,
)
out = tempfile.mkdtemp()
rows = read_results(run_experiment(config, out, progress=False))
plot_learning_curves(rows)
plt.show()
print(learning_curve_table(rows))
