"""Warm-start rules used by Badge before the model has learned enough."""

import numpy as np

from .selection import farthest_first

WARM_START_RULES = (
    "margin",
    "entropy",
    "random",
    "farthest_first",
    "typiclust",
)


def warm_start_pick(rule, clf, X_cand, n_picks, random_state, return_util):
    """Pick ``n_picks`` candidates by a simple rule.

    - ``"margin"``: smallest gap between the two largest probabilities;
    - ``"entropy"``: largest predictive entropy;
    - ``"random"``: uniformly at random (``random_state``);
    - ``"farthest_first"``: farthest-first traversal on the features
      ``X`` (k-center greedy).

    Uncertainty ties go to the lowest index. Returns ``(indices,
    utilities)`` like the seeding kernels: every row of the utilities of an
    uncertainty rule is the same scores (NaN for earlier picks).
    """
    n = X_cand.shape[0]
    if rule == "farthest_first":
        return farthest_first(
            *feature_factors(X_cand), n_picks, dtype=np.float64,
            return_utilities=return_util,
        )  # fmt: skip
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


def feature_factors(X):
    """Factors whose embedding distances are those between the features:
    ``|1 (x) x_i - 1 (x) x_j| = |x_i - x_j|`` (``delta`` a column of ones,
    ``h`` the flattened features in float64)."""
    X = np.asarray(X)
    n = X.shape[0]
    flat = np.ascontiguousarray(X.reshape(n, -1), dtype=np.float64)
    return np.ones((n, 1)), flat


def _uncertainty(proba, rule):
    proba = np.asarray(proba, dtype=np.float64)
    if rule == "entropy":
        with np.errstate(divide="ignore", invalid="ignore"):
            logp = np.where(proba > 0, np.log(proba), 0.0)
        return -(proba * logp).sum(1)
    top2 = -np.sort(-proba, axis=1)[:, :2]
    second = top2[:, 1] if proba.shape[1] > 1 else 0.0
    return -(top2[:, 0] - second)


def typiclust_pick(X, y, X_cand, n_picks, random_state, missing_label, util):
    """Pick ``n_picks`` candidates by scikit-activeml's TypiClust.

    TypiClust (Hacohen et al., ICML 2022) clusters the samples into as many
    clusters as there will be labels and takes the most typical candidate
    of each of the largest clusters that hold no label yet. Here it sees
    the candidates and the labeled samples of ``X`` (which cover their
    clusters); its seed is one draw from ``random_state``. Returns
    positions in ``X_cand`` and, if ``util``, utilities of shape
    ``(n_picks, n_candidates)``: TypiClust's typicality, ``-inf`` outside
    the cluster a pick came from, NaN for earlier picks.
    """
    from skactiveml.pool import TypiClust
    from skactiveml.utils import is_labeled

    seed = int(random_state.randint(2**31 - 1))
    labeled = is_labeled(y, missing_label=missing_label)
    n_cand = X_cand.shape[0]
    X_lab = np.asarray(X)[labeled]
    n_features = int(np.prod(X_cand.shape[1:]))
    X_all = np.concatenate(
        [X_cand.reshape(n_cand, n_features), X_lab.reshape(-1, n_features)]
    ).astype(np.float64, copy=False)
    dtype = np.result_type(np.asarray(y).dtype, np.asarray(missing_label))
    y_all = np.empty(n_cand + X_lab.shape[0], dtype=dtype)
    y_all[:n_cand] = missing_label
    y_all[n_cand:] = np.asarray(y)[labeled]
    qs = TypiClust(missing_label=missing_label, random_state=seed)
    idx, utilities = qs.query(
        X_all,
        y_all,
        candidates=np.arange(n_cand),
        batch_size=n_picks,
        return_utilities=True,
    )
    idx = np.asarray(idx, dtype=np.intp)
    return idx, (utilities[:, :n_cand] if util else None)
