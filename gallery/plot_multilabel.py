"""
Multi-label BADGE on 2-D data with three overlapping labels
===========================================================

In multi-label classification every sample carries any subset of ``L``
labels, and a net has ``L`` independent sigmoid outputs
``s_l = sigmoid(z_l)``. :class:`~skactiveml_badge.MultilabelBadge`
treats each output as a binary problem: at the pseudo-labels
``yhat_l = 1[s_l > 1/2]`` the summed binary cross-entropy has the gradient
``g = delta (x) h`` with respect to the last layer's weights, where
``delta_l = s_l - yhat_l`` and ``h`` is the input of that layer. Since
``g`` is rank one, its norm is ``|g| = |delta| |h|``: large where some
labels are uncertain (``s_l`` near 1/2) and ``h`` is large. BADGE's
k-means++ seeding on these embeddings then picks a batch that is
uncertain and diverse.

This example draws 2-D samples with three overlapping labels (two discs
and a half-plane, with soft edges), fits a scikit-learn ``MLPClassifier``
on an indicator matrix, and runs a few rounds of ``MultilabelBadge``,
with the paper's rule and with ``origin_as_centre=True``. The plots show
where each round's picks fall over the gradient norm, the per-label
uncertainty of one round, the per-pick utilities of one batch and the
micro-F1 on a test set against random picks from the same pool.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import f1_score
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from skactiveml_badge import MultilabelBadge, multilabel_gradient_factors

FAST = bool(os.environ.get("SKACTIVEML_BADGE_GALLERY_FAST"))
n_rounds = 4 if FAST else 6
seeds = [0] if FAST else [0, 1, 2]
batch_size = 8
n_start = 8
label_names = ["disc A", "disc B", "lower band"]


def margins(X):
    """Signed distance of every sample to the edge of each label's region
    (positive inside): two overlapping discs and a half-plane."""
    disc_a = 2.0 - np.hypot(X[:, 0] + 0.7, X[:, 1] - 0.5)
    disc_b = 1.8 - np.hypot(X[:, 0] - 0.9, X[:, 1] + 0.2)
    band = -0.9 + 0.4 * X[:, 0] - X[:, 1]
    return np.column_stack([disc_a, disc_b, band])


def sample(n, rng):
    """Uniform samples of the square [-3, 3]^2; label ``l`` is present with
    probability ``sigmoid(6 * margin_l)``, so the edges are soft."""
    X = rng.uniform(-3, 3, size=(n, 2))
    p = 1 / (1 + np.exp(-6 * margins(X)))
    return X, (rng.uniform(size=p.shape) < p).astype(int)


X, Y_true = sample(400, np.random.RandomState(0))
X_test, Y_test = sample(1000, np.random.RandomState(1))
print("samples with 0, 1, 2, 3 labels:", np.bincount(Y_true.sum(1)))


def make_clf():
    """A fresh, unfitted model (``query`` fits a clone of it). It is
    tiny: its fits run with one BLAS thread, as more threads only add
    overhead (a lot of it on a busy machine)."""
    return MLPClassifier(
        (32,),
        activation="tanh",
        solver="lbfgs",
        alpha=0.1,
        max_iter=3000,
        random_state=0,
    )


# %%
# The active-learning loop
# ------------------------
# ``y`` is the indicator matrix with NaN for unknown entries; a row is
# labeled once all three entries are known. Each round: query a batch
# (the strategy fits a clone of ``clf`` on the labeled rows), reveal the
# labels of the picks, fit the model and score it on the test set. Three
# strategies start from the same random labels of the same pool:
# ``MultilabelBadge`` with the paper's rule, with the origin counted as a
# centre, and batches drawn at random.
strategies = {
    "BADGE (paper's rule)": dict(origin_as_centre=False),
    "BADGE (origin as centre)": dict(origin_as_centre=True),
    "random": None,
}


_fits = {}


def fitted(y):
    """The model fitted on the labeled rows of ``y`` (kept for the plots,
    where the same fit is needed again) and the mask of those rows."""
    labeled = ~np.isnan(y).any(axis=1)
    key = labeled.tobytes()
    if key not in _fits:
        with threadpool_limits(limits=1):
            _fits[key] = make_clf().fit(X[labeled], Y_true[labeled])
    return _fits[key], labeled


def run(seed, options):
    """Labels before the round, picks, utilities, number of labels and
    micro-F1 after the round, for every round of one loop."""
    rng = np.random.RandomState(seed)
    y = np.full(Y_true.shape, np.nan)
    start = rng.choice(len(X), n_start, replace=False)
    y[start] = Y_true[start]
    history = []
    for _ in range(n_rounds):
        y_before = y.copy()
        if options is None:
            unlabeled = np.flatnonzero(np.isnan(y).any(axis=1))
            idx = rng.choice(unlabeled, batch_size, replace=False)
            util = None
        else:
            qs = MultilabelBadge(random_state=seed, **options)
            with threadpool_limits(limits=1):  # see make_clf
                idx, util = qs.query(
                    X, y, make_clf(), batch_size=batch_size,
                    return_utilities=True,
                )  # fmt: skip
        y[idx] = Y_true[idx]  # ask the oracle
        clf, labeled = fitted(y)
        f1 = f1_score(Y_test, clf.predict(X_test), average="micro")
        history.append((y_before, idx, util, labeled.sum(), f1))
    return history


runs = {
    name: [run(seed, options) for seed in seeds]
    for name, options in strategies.items()
}
badge = list(strategies)[:2]

# %%
# The gradient norm and the picks of each round
# ---------------------------------------------
# For a one-hidden-layer MLP, ``h`` is the (tanh) activation of the
# hidden layer. ``|g| = |delta| |h|`` is computed here from the model
# fitted on the labels known before the round (the same fit as inside
# ``query``); row 0 of the utilities is ``|g|^2 / sum |g|^2``, which the
# check below confirms. The labeled samples are black dots, the round's
# picks red stars numbered in the order they were picked. The first pick
# is the largest ``|g|`` under both rules. With the paper's rule (top
# row), a later pick is drawn proportionally to ``D^2``, the squared
# distance to the nearest earlier pick; a confident sample (``g`` near 0)
# is at distance about ``|g_pick|`` from every pick, so the many confident
# samples share a large part of the probability, and picks can land where
# ``|g|`` is small. With the origin as a centre (bottom row), ``D^2``
# is capped at ``|g|^2`` and the picks stay on the uncertain edges.


def gradient_norms(clf, X):
    delta = multilabel_gradient_factors(clf.predict_proba(X))
    h = np.tanh(X @ clf.coefs_[0] + clf.intercepts_[0])
    return np.linalg.norm(delta, axis=1) * np.linalg.norm(h, axis=1), delta


shown = range(min(n_rounds, 4))
panels = {}
for name in badge:
    for r in shown:
        y_r, idx, util, _, _ = runs[name][0][r]
        clf, labeled = fitted(y_r)
        norms, _ = gradient_norms(clf, X)
        unl = ~labeled
        rel = norms[unl] ** 2 / np.sum(norms[unl] ** 2)
        assert np.allclose(rel, util[0, unl], atol=1e-6)
        panels[name, r] = norms, labeled, idx
vmax = max(p[0].max() for p in panels.values())
fig, axes = plt.subplots(
    2, len(shown), figsize=(3 * len(shown), 6.2), sharex=True, sharey=True,
    layout="constrained",
)  # fmt: skip
for row, name in zip(axes, badge, strict=True):
    for ax, r in zip(row, shown, strict=True):
        norms, labeled, idx = panels[name, r]
        sc = ax.scatter(*X.T, c=norms, cmap="viridis", vmin=0, vmax=vmax,
                        s=8)  # fmt: skip
        ax.scatter(*X[labeled].T, c="k", s=10)
        ax.scatter(*X[idx].T, marker="*", c="red", s=130, edgecolor="k")
        for k, i in enumerate(idx):
            ax.annotate(str(k), X[i], xytext=(4, 4),
                        textcoords="offset points", fontsize=8)  # fmt: skip
        ax.set_title(f"{name}\nround {r}: {labeled.sum()} labeled", fontsize=8)
        ax.set_aspect("equal")
fig.colorbar(sc, ax=axes, label="|g|", shrink=0.6)
plt.show()

# %%
# The per-label uncertainty
# -------------------------
# ``|delta_l| = |s_l - 1[s_l > 1/2]|`` of each label, for the model of the
# second round (paper's rule), with the true edge of each label's region
# (where a label is present with probability 1/2), the labeled samples
# (white) and the round's picks (green stars). Each label is uncertain
# near its own edge, as far as the few labels have located it; ``|delta|``
# adds the labels up, so where two edges cross, two uncertain labels add
# to the gradient.
r = min(1, n_rounds - 1)
y_r, idx, _, _, _ = runs[badge[0]][0][r]
clf, labeled = fitted(y_r)
_, delta = gradient_norms(clf, X)
grid = np.meshgrid(np.linspace(-3, 3, 121), np.linspace(-3, 3, 121))
edges = margins(np.column_stack([g.ravel() for g in grid]))
fig, axes = plt.subplots(
    1, 3, figsize=(10, 3.5), sharey=True, layout="constrained"
)
for j, ax in enumerate(axes):
    sc = ax.scatter(*X.T, c=np.abs(delta[:, j]), cmap="magma", vmin=0,
                    vmax=0.5, s=10)  # fmt: skip
    ax.contour(*grid, edges[:, j].reshape(grid[0].shape), levels=[0],
               colors="c", linewidths=1.5)  # fmt: skip
    ax.scatter(*X[labeled].T, c="w", edgecolor="k", s=14)
    ax.scatter(*X[idx].T, marker="*", c="lime", s=150, edgecolor="k")
    ax.set_title(f"|delta| of {label_names[j]}", fontsize=9)
    ax.set_aspect("equal")
fig.colorbar(sc, ax=axes, label="|delta_l|", shrink=0.8)
plt.show()

# %%
# The utilities of each pick of one batch
# ---------------------------------------
# ``return_utilities=True`` gives one row per pick: the probability with
# which every candidate could have been that pick (NaN, grey, for the
# labeled samples and the earlier picks). Row 0 is ``|g|^2 / sum |g|^2``,
# and pick 0 its argmax; every later pick is drawn from its row, in which
# the samples near an earlier pick (black crosses) have dropped to zero.
# Round 1 of both loops: the paper's rule (top) spreads the probability of
# the later picks over the confident samples too, the origin as a centre
# (bottom) keeps it on the uncertain ones.
fig, axes = plt.subplots(
    2, 4, figsize=(11, 5.8), sharex=True, sharey=True, layout="constrained"
)
for row, name in zip(axes, badge, strict=True):
    y_r, idx, util, _, _ = runs[name][0][r]
    for k, ax in enumerate(row):
        ax.scatter(*X.T, c="lightgrey", s=6)
        sc = ax.scatter(*X.T, c=util[k], cmap="Greens", s=10, vmin=0)
        ax.scatter(*X[idx[:k]].T, marker="x", c="k", s=40)
        ax.scatter(*X[idx[k]], marker="*", c="red", s=150, edgecolor="k")
        ax.set_title(f"{name}\npick {k}", fontsize=8)
        ax.set_aspect("equal")
        fig.colorbar(sc, ax=ax, shrink=0.7)
plt.show()

# %%
# Micro-F1 against random picks
# -----------------------------
# The micro-F1 on the 1,000 test samples after each round (mean over the
# seeds; one seed in the fast build). Small pools, few rounds and one
# model: the curves illustrate the loop, they are not a benchmark.
curves = {
    name: np.array([[h[3:] for h in hist] for hist in result])
    for name, result in runs.items()
}
fig, ax = plt.subplots(figsize=(5.5, 3.8))
for name, c in curves.items():
    ax.plot(c[0, :, 0], c[:, :, 1].mean(0), marker="o", label=name)
ax.set_xlabel("labeled samples")
ax.set_ylabel("micro-F1 on the test set")
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()
plt.show()
for name, c in curves.items():
    print(f"{name}: mean micro-F1 over the rounds {c[:, :, 1].mean():.3f}")
