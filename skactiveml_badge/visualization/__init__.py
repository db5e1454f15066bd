"""Plots of the diagnostics of :class:`skactiveml_badge.Badge`.

matplotlib is imported when a function is called
(``pip install 'scikit-activeml-badge[plot]'``).
"""

import numpy as np

from .._optional import import_optional

__all__ = ["plot_gradient_norms", "plot_pick_assignment"]


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
