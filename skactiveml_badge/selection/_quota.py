"""Per-class quotas for class-balanced batch selection."""

import numpy as np


def class_quotas(pseudo_labels, n_classes, batch_size, prior=None):
    """How many picks each pseudo-label class gets.

    ``batch_size * prior`` apportioned by largest remainders (ties to the
    lower class index), capped by the number of candidates of each class;
    what a class cannot take goes to the others, again in proportion to
    the prior (uniformly among classes with room once the prior has none).

    Parameters
    ----------
    pseudo_labels : ndarray of shape (n_samples,), int in [0, n_classes)
    n_classes : int
    batch_size : int, at most n_samples
    prior : array-like of shape (n_classes,) or None
        Non-negative class weights; ``None``: equal.

    Returns
    -------
    quotas : ndarray of shape (n_classes,), int, summing to ``batch_size``
    """
    available = np.bincount(pseudo_labels, minlength=n_classes)
    weights = np.ones(n_classes) if prior is None else np.asarray(prior, float)
    quotas = np.zeros(n_classes, dtype=np.int64)
    left = batch_size
    while left > 0:
        room = available - quotas
        w = np.where(room > 0, weights, 0.0)
        if w.sum() == 0:
            w = (room > 0).astype(float)
        share = np.minimum(_apportion(left, w), room)
        quotas += share
        left -= int(share.sum())
    return quotas


def _apportion(total, weights):
    """Largest-remainder split of ``total`` in proportion to ``weights``."""
    target = total * weights / weights.sum()
    base = np.floor(target).astype(np.int64)
    order = np.argsort(-(target - base), kind="stable")
    base[order[: total - int(base.sum())]] += 1
    return base


class QuotaTracker:
    """Removes a class from the draw once its quota is filled."""

    def __init__(self, state, pseudo_labels, quotas):
        self.state = state
        self.labels = pseudo_labels
        self.left = np.array(quotas, dtype=np.int64)
        state.set_eligible(self.left[pseudo_labels] > 0)

    def picked(self, idx):
        c = self.labels[idx]
        self.left[c] -= 1
        if self.left[c] == 0:
            self.state.set_eligible(self.left[self.labels] > 0)
