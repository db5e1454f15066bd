"""Plots of query results and of the diagnostics of
:class:`skactiveml_badge.Badge`.

matplotlib is imported when a function is called
(``pip install 'scikit-activeml-badge[plot]'``).
"""

import numpy as np

from .._optional import import_optional

__all__ = [
    "plot_gradient_norms",
    "plot_pick_assignment",
    "plot_pick_utilities",
]


def _axes(ax):
    if ax is None:
        ax = import_optional("matplotlib.pyplot").gca()
    return ax


def plot_gradient_norms(norms, picks=None, bins=40, ax=None):
    """Histogram of the pool's gradient-embedding norms.

    Parameters
    ----------
    norms : array-like of shape (n_samples,)
        From :meth:`Badge.gradient_norms`.
    picks : array-like of int or None, default=None
        Indices whose norms are marked as ticks below the histogram.
    bins : int, default=40
    ax : matplotlib Axes or None, default=None

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = _axes(ax)
    norms = np.asarray(norms, dtype=float)
    ax.hist(norms, bins=bins, color="tab:blue", alpha=0.7, label="pool")
    if picks is not None:
        ax.plot(
            norms[np.asarray(picks)],
            np.zeros(len(picks)),
            "|",
            color="tab:red",
            ms=20,
            mew=2,
            label="picks",
        )
    ax.set_xlabel("gradient-embedding norm |g|")
    ax.set_ylabel("samples")
    ax.legend()
    return ax


def plot_pick_assignment(X_2d, assignment, picks, ax=None, cmap="tab20"):
    """2-D scatter of the pool coloured by nearest pick in gradient space.

    Parameters
    ----------
    X_2d : array-like of shape (n_samples, 2)
        Coordinates to draw (the features, or a 2-D projection of them).
    assignment : array-like of shape (n_samples,)
        From :meth:`Badge.assign_to_picks`.
    picks : array-like of shape (n_picks,) of int
    ax : matplotlib Axes or None, default=None
    cmap : str, default="tab20"

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = _axes(ax)
    X_2d = np.asarray(X_2d, dtype=float)
    if X_2d.ndim != 2 or X_2d.shape[1] != 2:
        raise ValueError(
            f"`X_2d` must have shape (n_samples, 2), got {X_2d.shape}."
        )
    picks = np.asarray(picks)
    ax.scatter(
        *X_2d.T,
        c=np.asarray(assignment),
        cmap=cmap,
        s=10,
        vmin=0,
        vmax=max(len(picks) - 1, 1),
    )
    ax.scatter(
        *X_2d[picks].T,
        c=np.arange(len(picks)),
        cmap=cmap,
        vmin=0,
        vmax=max(len(picks) - 1, 1),
        marker="*",
        s=250,
        edgecolor="k",
        label="picks",
    )
    ax.legend()
    return ax


def plot_pick_utilities(
    X,
    utilities,
    picks,
    clf=None,
    labeled=None,
    y=None,
    feature_bound=None,
    axes=None,
    res=101,
):
    """One panel per pick: what it was chosen by, over 2-D feature space.

    Each panel draws row ``k`` of the utilities returned by
    ``query(..., return_utilities=True)`` as a filled contour over the
    samples (NaN, i.e. labeled samples and earlier picks, as 0), with the
    classifier's decision boundary, the labeled samples, the earlier picks
    (black crosses) and pick ``k`` (red star). It uses scikit-activeml's
    ``plot_contour_for_samples`` and ``plot_decision_boundary``.

    Parameters
    ----------
    X : array-like of shape (n_samples, 2)
        The samples the utilities refer to.
    utilities : array-like of shape (n_picks, n_samples)
    picks : array-like of shape (n_picks,) of int
    clf : fitted scikit-activeml classifier or None, default=None
        Its decision boundary is drawn if given.
    labeled : array-like of int or None, default=None
        Indices of labeled samples, drawn coloured by ``y``.
    y : array-like of shape (n_samples,) or None, default=None
        Labels (used for the colours of ``labeled``).
    feature_bound : array-like of shape (2, 2) or None, default=None
        ``[[x_min, y_min], [x_max, y_max]]``; default: the data's range
        with a margin of 0.5.
    axes : array of matplotlib Axes or None, default=None
        At least ``n_picks`` axes; default: a new figure with two columns.
    res : int, default=101
        Grid resolution of the contours.

    Returns
    -------
    axes : ndarray of matplotlib Axes
    """
    from skactiveml.visualization import (
        plot_contour_for_samples,
        plot_decision_boundary,
    )

    X = np.asarray(X, dtype=float)
    utilities = np.asarray(utilities, dtype=float)
    picks = np.asarray(picks)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"`X` must have shape (n_samples, 2), got {X.shape}.")
    if utilities.shape != (len(picks), len(X)):
        raise ValueError(
            f"`utilities` must have shape ({len(picks)}, {len(X)}) "
            f"(n_picks, n_samples), got {utilities.shape}."
        )
    if axes is None:
        plt = import_optional("matplotlib.pyplot")
        rows = -(-len(picks) // 2)
        _, axes = plt.subplots(
            rows,
            min(2, len(picks)),
            figsize=(9, 4.2 * rows),
            sharex=True,
            sharey=True,
            squeeze=False,
        )
    axes = np.asarray(axes).ravel()
    if axes.size < len(picks):
        raise ValueError(f"`axes` needs at least {len(picks)} axes.")
    if feature_bound is None:
        feature_bound = [X.min(0) - 0.5, X.max(0) + 0.5]
    for k, ax in enumerate(axes[: len(picks)]):
        plot_contour_for_samples(
            X,
            utilities[k],
            replace_nan=0.0,
            feature_bound=feature_bound,
            ax=ax,
            res=res,
        )
        if clf is not None:
            plot_decision_boundary(clf, feature_bound, ax=ax, confidence=None)
        ax.scatter(*X.T, c="lightgrey", s=6, zorder=2)
        if labeled is not None and len(labeled):
            labeled = np.asarray(labeled)
            ax.scatter(
                *X[labeled].T,
                c=None if y is None else np.asarray(y)[labeled],
                cmap="tab10",
                vmin=0,
                vmax=9,
                s=50,
                edgecolor="k",
                zorder=3,
                label="labeled",
            )
        if k:
            ax.scatter(
                *X[picks[:k]].T, marker="x", c="k", s=60, zorder=4,
                label="earlier picks",
            )  # fmt: skip
        ax.scatter(
            *X[picks[k]], marker="*", c="red", s=250, edgecolor="k",
            zorder=5, label=f"pick {k}",
        )  # fmt: skip
        ax.set_title(f"pick {k}")
        ax.legend(loc="lower left", fontsize=7)
    return axes
