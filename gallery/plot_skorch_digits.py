"""
Badge with a skorch MLP on digits
=================================

A small multi-layer perceptron, trained with skorch through
scikit-activeml's ``SkorchClassifier``, learns the digits data set from 20
random labels plus batches of 20 chosen by BADGE, by random sampling and by
margin sampling. ``Badge()`` needs no change to the net: a forward hook
records the input of its last ``Linear`` layer, and the gradient embedding
is ``(p - onehot(argmax p)) (x) h``.

The learning curves come from this package's experiment runner
(:func:`skactiveml_badge.experiments.run_experiment`), the same code as
``python -m skactiveml_badge.experiments``.
"""

# %%
import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np
from skactiveml.utils import MISSING_LABEL

from skactiveml_badge import Badge
from skactiveml_badge.experiments import (
    MODELS,
    ExperimentConfig,
    learning_curve_table,
    load_dataset,
    plot_learning_curves,
    read_results,
    run_experiment,
    split_pool,
)
from skactiveml_badge.visualization import plot_gradient_norms

FAST = bool(os.environ.get("SKACTIVEML_BADGE_GALLERY_FAST"))

config = ExperimentConfig(
    datasets=["digits"],
    models=["mlp"],
    strategies=["badge", "random", "margin"],
    batch_sizes=[20],
    seeds=2 if FAST else 3,
    rounds=2 if FAST else 8,
    n_start=20,
)
out = tempfile.mkdtemp()
rows = read_results(run_experiment(config, out, progress=False))

# %%
# Learning curves
# ---------------
# Mean test accuracy over the seeds, with one standard deviation shaded.
plot_learning_curves(rows)
plt.show()
print(learning_curve_table(rows))

# %%
# Where the first batch comes from: the gradient norms
# ----------------------------------------------------
# ``Badge.gradient_norms`` returns ``|g| = |p - onehot(argmax p)| |h|`` for
# every sample of the pool. BADGE's first pick is the largest norm and later
# picks favour large norms far from earlier picks, so the batch (red ticks)
# sits in the upper tail of the distribution, but not only at its very end.
X, y_all, _ = load_dataset("digits")
X_pool, y_pool, _, _, start = split_pool(X, y_all, False, 0, 0.3, 20)
y = np.full(len(X_pool), MISSING_LABEL)
y[start] = y_pool[start]
clf = MODELS["mlp"].make(X_pool.shape[1], 10, 0).fit(X_pool, y)
qs = Badge(random_state=0)
picks = qs.query(X_pool, y, clf, fit_clf=False, batch_size=20)
unlabeled = np.isnan(y)
norms = qs.gradient_norms(clf, X_pool)
fig, ax = plt.subplots(figsize=(6, 3.5))
plot_gradient_norms(norms[unlabeled], ax=ax)
ax.plot(norms[picks], np.zeros(len(picks)), "|", color="tab:red", ms=20,
        mew=2, label="BADGE batch")  # fmt: skip
ax.legend()
ax.set_title("gradient norms of the unlabeled pool after 20 labels")
fig.tight_layout()
plt.show()
print(f"median norm of the pool {np.median(norms[unlabeled]):.3f}, "
      f"of the batch {np.median(norms[picks]):.3f}")  # fmt: skip
