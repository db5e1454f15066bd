"""Warm-start rules: how :class:`~skactiveml_badge.TypiClustThenBadge`
picks while labels are few, and how ``MultilabelBadge`` picks when no row
is labeled.

A warm-start rule returns utility rows like the selection kernels: row
``k`` holds, for every candidate, the finite score pick ``k`` was chosen
by (higher is better), NaN at the earlier picks.
"""

import numpy as np

from .._frames import feature_rows
from .._memory import check_memory
from ..embeddings import check_proba

WARM_START_RULES = (
    "margin",
    "entropy",
    "random",
    "farthest_first",
    "typiclust",
    "maxherding",
)

#: The rules that see the whole pool at once (in memory).
IN_MEMORY_RULES = ("typiclust", "maxherding")


def uncertainty_block(clf, rule, X):
    """``(scores,)`` of the rows ``X`` by ``rule``, ``"margin"`` (minus
    the gap between the two largest probabilities) or ``"entropy"``
    (the predictive entropy): larger is more uncertain (a block function:
    see :meth:`~._pool.Pool.gather`)."""
    return (_uncertainty(check_proba(clf.predict_proba(X), len(X)), rule),)


def score_pick(scores, n_picks, return_util):
    """The ``n_picks`` largest ``scores`` (ties to the lowest index) and
    their rows (:func:`score_rows`) if ``return_util``."""
    idx = np.argsort(-scores, kind="stable")[:n_picks].astype(np.intp)
    return idx, (score_rows(scores, idx) if return_util else None)


def random_pick(n, n_picks, random_state, return_util):
    """``n_picks`` of ``n`` candidates uniformly at random, and their rows
    (ones, NaN at the earlier picks) if ``return_util``."""
    idx = random_state.choice(n, n_picks, replace=False).astype(np.intp)
    return idx, (score_rows(np.ones(n), idx) if return_util else None)


def score_rows(scores, picks):
    """The utility rows of picks made by fixed ``scores``: row ``k`` is
    ``scores`` with NaN at ``picks[:k]``."""
    util = np.tile(np.asarray(scores, dtype=np.float64), (len(picks), 1))
    for k in range(1, len(picks)):
        util[k, picks[:k]] = np.nan
    return util


def feature_block(X):
    """Factors whose embedding distances are those between the features,
    with dummy labels: ``|1 (x) x_i - 1 (x) x_j| = |x_i - x_j|``
    (``delta`` a column of ones, ``h`` the flattened features in float64;
    a block function: see :meth:`~._pool.Pool.embedded`)."""
    flat = np.ascontiguousarray(feature_rows(X), dtype=np.float64)
    n = flat.shape[0]
    return np.zeros(n, dtype=np.intp), np.ones((n, 1)), flat


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
    clusters); its seed is one draw from ``random_state``.

    Returns positions in ``X_cand`` and, if ``util``, utilities of shape
    ``(n_picks, n_candidates)``: row ``k`` is the typicality (positive)
    of the candidates in the cluster pick ``k`` came from, 0 for the
    candidates of other clusters (scikit-activeml returns ``-inf``
    there), NaN for earlier picks. When fewer uncovered clusters than
    picks are left (duplicate or too few distinct samples), TypiClust's
    rule for that case applies to the remaining picks: uniformly at
    random among the candidates not yet picked, with rows of ones
    (scikit-activeml 1.0.1 may repeat an earlier pick there, or fail
    with an ``UnboundLocalError`` when every cluster holds a label).
    """
    from skactiveml.pool import TypiClust

    seed = int(random_state.randint(2**31 - 1))
    X_all, y_all, n_cand = _stacked(X, y, X_cand, missing_label)
    qs = TypiClust(missing_label=missing_label, random_state=seed)
    try:
        idx, rows = qs.query(
            X_all,
            y_all,
            candidates=np.arange(n_cand),
            batch_size=n_picks,
            return_utilities=True,
        )
    except UnboundLocalError as err:  # every cluster holds a label
        if "cluster_id" not in str(err):
            raise
        idx, rows = np.empty(0, dtype=np.intp), np.empty((0, n_cand))
    idx, rows = np.asarray(idx, dtype=np.intp), rows[:, :n_cand]
    n_ok = _first_repeat(idx)
    idx, rows = idx[:n_ok], np.where(rows[:n_ok] == -np.inf, 0.0, rows[:n_ok])
    if n_ok < n_picks:
        idx, rows = _uniform_rest(idx, rows, n_cand, n_picks, random_state)
    return idx, (rows if util else None)


def maxherding_pick(X, y, X_cand, n_picks, random_state, missing_label, util):
    """Pick ``n_picks`` candidates by scikit-activeml's MaxHerding.

    MaxHerding (Bae et al., ECCV 2024) greedily maximises the kernel
    coverage of the pool (an RBF kernel on unit-length ``X``), the labeled
    samples of ``X`` covering their neighbourhoods from the start; its
    seed (ties) is one draw from ``random_state``. Returns positions in
    ``X_cand`` and, if ``util``, its rows over the candidates: each
    candidate's gain in coverage, NaN at the earlier picks.
    """
    from skactiveml.pool import MaxHerding

    seed = int(random_state.randint(2**31 - 1))
    X_all, y_all, n_cand = _stacked(X, y, X_cand, missing_label)
    qs = MaxHerding(missing_label=missing_label, random_state=seed)
    idx, rows = qs.query(
        X_all,
        y_all,
        candidates=np.arange(n_cand),
        batch_size=n_picks,
        return_utilities=True,
    )
    return np.asarray(idx, dtype=np.intp), (rows[:, :n_cand] if util else None)


def maxherding_bytes(n_cand, n_lab):
    """Peak bytes of scikit-activeml's MaxHerding on ``n_cand`` candidates
    and ``n_lab`` labeled samples: its candidates' kernel and two
    temporaries of that size in each greedy step (3.05 times the kernel,
    measured with tracemalloc at 3,000 candidates), and the kernel
    between candidates and labeled samples."""
    return 8 * n_cand * (3 * n_cand + n_lab)


def check_maxherding_memory(n_cand, n_lab):
    """Refuse a MaxHerding warm start that cannot fit in this machine's
    memory, before any model is fitted."""
    check_memory(
        maxherding_bytes(n_cand, n_lab),
        "warm_start_rule='maxherding' picks this batch, and scikit-activeml's"
        f" MaxHerding holds three n x n float64 matrices for {n_cand:,} "
        "candidates",
        "Pass fewer candidates (for example through "
        "skactiveml.pool.SubSamplingWrapper(qs, max_candidates=...)) or use "
        "warm_start_rule='typiclust'.",
    )


def _stacked(X, y, X_cand, missing_label):
    """The candidates (unlabeled) stacked on the labeled samples of
    ``X`` as a flat float64 pool, its labels, and the candidates'
    count."""
    from skactiveml.utils import is_labeled

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
    return X_all, y_all, n_cand


def _first_repeat(idx):
    """Length of the prefix of ``idx`` without a repeated index."""
    seen = set()
    for k, i in enumerate(idx.tolist()):
        if i in seen:
            return k
        seen.add(i)
    return len(idx)


def replace_repeats(picks, free, random_state):
    """``picks`` (a copy) with every repeat of an earlier pick replaced by
    a uniform draw (``random_state.choice``) among the positions that are
    ``free`` (a boolean mask) and not picked, and how many were replaced.
    No number is drawn when nothing repeats."""
    picks = np.array(picks, dtype=np.intp)
    _, first = np.unique(picks, return_index=True)
    repeats = np.setdiff1d(np.arange(picks.size), first)
    if repeats.size:
        free = np.array(free, dtype=bool)
        free[picks] = False
        picks[repeats] = random_state.choice(
            np.flatnonzero(free), repeats.size, replace=False
        )
    return picks, int(repeats.size)


def _uniform_rest(idx, rows, n_cand, n_picks, random_state):
    """``idx`` completed to ``n_picks`` picks drawn uniformly among the
    candidates not picked yet; their rows are ones (NaN at the earlier
    picks)."""
    free = np.setdiff1d(np.arange(n_cand), idx)
    rest = random_state.choice(free, n_picks - len(idx), replace=False)
    picks = np.concatenate([idx, rest]).astype(np.intp)
    extra = score_rows(np.ones(n_cand), picks)[len(idx) :]
    return picks, np.concatenate([rows, extra])
