"""A short BADGE active-learning experiment on scikit-learn's digits.

Run ``python -m skactiveml_badge.demo`` (or ``skactiveml-badge-demo``). For
each seed the digits are split into a pool (70 %) and a test set (30 %); a
few random labels start the loop, and every round each strategy picks a
batch through scikit-activeml's ``query``, the labels are revealed and a
multinomial logistic regression is refitted. The model is linear, so the
input of its last (only) linear layer is the feature vector itself and
``Badge`` with ``X`` as embedding is exact BADGE.

The command prints the mean test accuracy per round (and its standard
deviation over seeds) and writes a learning-curve plot when matplotlib is
installed (``pip install 'scikit-activeml-badge[plot]'``).
"""

import time

import numpy as np
from skactiveml.classifier import SklearnClassifier
from skactiveml.pool import RandomSampling, UncertaintySampling
from skactiveml.utils import MISSING_LABEL
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from .. import Badge


def make_strategy(name, seed):
    """A query strategy by short name, and whether it takes a classifier."""
    if name == "badge":
        return Badge(random_state=seed)
    if name == "badge-ff":
        return Badge(selection="farthest_first", random_state=seed)
    if name == "random":
        return RandomSampling(random_state=seed)
    if name == "margin":
        return UncertaintySampling(method="margin_sampling", random_state=seed)
    raise ValueError(f"unknown strategy {name!r}")


STRATEGIES = ("badge", "badge-ff", "random", "margin")


def run_one(strategy, seed, n_start, batch_size, n_rounds):
    """Accuracies after each round of one (strategy, seed) run."""
    X, y_true = load_digits(return_X_y=True)
    X = X / 16.0
    X_pool, X_test, y_pool, y_test = train_test_split(
        X, y_true, test_size=0.3, stratify=y_true, random_state=seed
    )
    rng = np.random.RandomState(seed)
    y = np.full(len(y_pool), MISSING_LABEL)
    start = rng.choice(len(y_pool), n_start, replace=False)
    y[start] = y_pool[start]
    clf = SklearnClassifier(
        LogisticRegression(max_iter=300), classes=np.arange(10)
    )
    qs = make_strategy(strategy, seed)
    accuracies = []
    for r in range(n_rounds + 1):
        clf.fit(X_pool, y)
        accuracies.append(clf.score(X_test, y_test))
        if r == n_rounds:
            break
        if strategy == "random":
            idx = qs.query(X_pool, y, batch_size=batch_size)
        else:
            idx = qs.query(X_pool, y, clf, batch_size=batch_size)
        y[idx] = y_pool[idx]
    return np.array(accuracies)


def learning_curves(strategies, seeds, n_start, batch_size, n_rounds, log):
    """Accuracy arrays of shape (n_seeds, n_rounds + 1) per strategy."""
    curves = {}
    for name in strategies:
        t0 = time.perf_counter()
        runs = []
        for seed in seeds:
            runs.append(run_one(name, seed, n_start, batch_size, n_rounds))
        curves[name] = np.vstack(runs)
        log(f"  {name:<9} done in {time.perf_counter() - t0:5.1f} s")
    return curves


def format_table(curves, n_start, batch_size):
    """Markdown table: labels vs mean (std) accuracy per strategy."""
    names = list(curves)
    n_points = next(iter(curves.values())).shape[1]
    lines = [
        "| labels | " + " | ".join(names) + " |",
        "|---:|" + "---:|" * len(names),
    ]
    for r in range(n_points):
        cells = [
            f"{curves[n][:, r].mean():.3f} ± {curves[n][:, r].std():.3f}"
            for n in names
        ]
        row = " | ".join(cells)
        lines.append(f"| {n_start + r * batch_size} | {row} |")
    area = [f"{curves[n].mean():.4f}" for n in names]
    lines.append("| **mean over rounds** | " + " | ".join(area) + " |")
    return "\n".join(lines)


def plot_curves(curves, n_start, batch_size, path):
    """Learning curves with mean and spread over seeds; returns the path."""
    from .._optional import import_optional

    plt = import_optional("matplotlib.pyplot")
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, acc in curves.items():
        x = n_start + batch_size * np.arange(acc.shape[1])
        mean, std = acc.mean(0), acc.std(0)
        ax.plot(x, mean, marker="o", ms=3, label=name)
        ax.fill_between(x, mean - std, mean + std, alpha=0.2)
    ax.set_xlabel("number of labels")
    ax.set_ylabel("test accuracy")
    ax.set_title(f"digits, logistic regression, {len(acc)} seeds")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
