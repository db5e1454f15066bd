"""Warm-start rules used by Badge before the model has learned enough."""

import numpy as np

from .selection._distances import DEFAULT_CHUNK_SIZE, NearestCentreDistances
from .selection._kcenter import _farthest_first

WARM_START_RULES = ("margin", "entropy", "random", "kcenter")


def warm_start_pick(rule, clf, X_cand, n_picks, random_state, return_util):
    """Pick ``n_picks`` candidates by a simple rule.

    - ``"margin"``: smallest gap between the two largest probabilities;
    - ``"entropy"``: largest predictive entropy;
    - ``"random"``: uniformly at random (``random_state``);
    - ``"kcenter"``: farthest-first traversal on the features ``X``.

    Uncertainty ties go to the lowest index. Returns ``(indices,
    utilities)`` like the seeding kernels: every row of the utilities of an
    uncertainty rule is the same scores (NaN for earlier picks).
    """
    n = X_cand.shape[0]
    if rule == "kcenter":
        flat = np.asarray(X_cand, dtype=np.float64).reshape(n, -1)
        state = NearestCentreDistances(
            np.ones((n, 1)), np.ascontiguousarray(flat), DEFAULT_CHUNK_SIZE
        )
        return _farthest_first(state, n_picks, return_util)
    if rule == "random":
        scores = np.ones(n)
        idx = random_state.choice(n, n_picks, replace=False)
    else:
        scores = _uncertainty(clf.predict_proba(X_cand), rule)
        idx = np.argsort(-scores, kind="stable")[:n_picks]
    util = None
    if return_util:
        util = np.tile(scores, (n_picks, 1))
        for k in range(1, n_picks):
            util[k, idx[:k]] = np.nan
    return idx.astype(np.intp), util


def _uncertainty(proba, rule):
    proba = np.asarray(proba, dtype=np.float64)
    if rule == "entropy":
        with np.errstate(divide="ignore", invalid="ignore"):
            logp = np.where(proba > 0, np.log(proba), 0.0)
        return -(proba * logp).sum(1)
    top2 = -np.sort(-proba, axis=1)[:, :2]
    second = top2[:, 1] if proba.shape[1] > 1 else 0.0
    return -(top2[:, 0] - second)
