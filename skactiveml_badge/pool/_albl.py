"""Active learning by learning: a bandit over query strategies."""

import inspect

import numpy as np
from skactiveml.utils import MISSING_LABEL, is_labeled
from sklearn.base import BaseEstimator, clone

from .._params import POOL_PARAMS, stored_init
from .._validation import Share
from ..exceptions import RepeatedPickWarning, warn
from ._base import PoolStrategy
from ._warm_start import replace_repeats


def default_arms(missing_label=MISSING_LABEL):
    """The default strategies of :class:`ActiveLearningByLearning`."""
    from skactiveml.pool import RandomSampling, UncertaintySampling

    from ._badge import Badge
    from ._baselines import PowerSampling

    kw = dict(missing_label=missing_label)
    return [
        ("badge", Badge(origin_as_centre=False, **kw)),
        (
            "badge-balanced",
            Badge(class_balance="equal", origin_as_centre=False, **kw),
        ),
        ("margin", UncertaintySampling(method="margin_sampling", **kw)),
        ("power-entropy", PowerSampling(method="entropy", **kw)),
        ("typiclust", TypiClustArm(**kw)),
        ("random", RandomSampling(**kw)),
    ]


class TypiClustArm(BaseEstimator):
    """scikit-activeml's TypiClust (its default settings), uniform among
    the candidates when every cluster already holds a label, where 1.0.1
    raises an ``UnboundLocalError`` (a pool of few distinct samples).
    Otherwise its picks are TypiClust's with the same seed."""

    def __init__(self, missing_label=MISSING_LABEL, random_state=None):
        self.missing_label = missing_label
        self.random_state = random_state

    def query(self, X, y, candidates=None, batch_size=1):
        from skactiveml.pool import TypiClust

        qs = TypiClust(
            missing_label=self.missing_label, random_state=self.random_state
        )
        try:
            return qs.query(X, y, candidates=candidates, batch_size=batch_size)
        except UnboundLocalError as err:
            if "cluster_id" not in str(err):
                raise
        if candidates is None:
            candidates = np.flatnonzero(
                ~is_labeled(y, missing_label=self.missing_label)
            )
        pool = np.asarray(candidates)
        return qs.random_state_.choice(
            pool, min(batch_size, pool.size), replace=False
        )


class ActiveLearningByLearning(PoolStrategy):
    """A bandit that learns during the loop which strategy pays off.

    After Hsu and Lin's ALBL [1]_, adapted to batches: every query asks
    each strategy (an *arm*) for its batch, draws one arm with the EXP3
    probabilities ``p = (1 - gamma) softmax(log_w) + gamma / K``, and labels
    that arm's batch. A sample's chance ``q(x)`` of being labeled in a
    round is the summed probability of the arms whose batches hold it.

    The reward of the arm chosen in round ``t`` is how much its labels
    helped, measured on the next round's batch ``B_{t+1}`` once that is
    labeled: the importance-weighted accuracy (weights ``1 / q(x)``,
    self-normalised) of the model fitted with round ``t``'s labels, minus
    that of the model before them, both on ``B_{t+1}``, which neither has
    seen. Mapped to ``[0, 1]``, divided by the arm's probability and
    added, times ``gamma / K``, to its log-weight (EXP3). The reward thus
    arrives two queries late.

    A call costs one query of every arm plus one prediction over ``X``.
    The state lives on the object between calls (attributes ``log_weights_``
    and ``history_``), so use one instance through the loop, as in
    scikit-activeml's loops, with the same pool ``X``. A call whose
    previous batch is still unlabeled replaces that round rather than
    adding one.

    Parameters
    ----------
    strategies : None or list of (str, query strategy), default=None
        The arms: scikit-activeml pool strategies (with or without a
        ``clf`` argument). ``None``: :func:`default_arms` (this package's
        Badge with the paper's rule, with and without class quotas (the
        TypiClust arm covers Badge's warm start), margin, power sampling of
        entropies, TypiClust and random sampling; random sampling keeps
        every sample's ``q(x)`` positive, which the importance weights
        need).
    exploration : float in (0, 1], default=0.1
        EXP3's ``gamma``: the share of uniform exploration over the arms,
        also the learning rate.
    missing_label : scalar, str, np.nan or None, default=np.nan
    random_state : None, int or numpy.random.RandomState, default=None
        Draws the arm, and seeds the arms.

    Notes
    -----
    Utilities: every row holds ``q(x)`` of the candidates (NaN for earlier
    picks), the probability that the round would label each of them; the
    picks are the drawn arm's batch, not the rows' argmax.

    An arm that picks a candidate twice in one batch (scikit-activeml
    1.0.1's TypiClust does when fewer clusters than picks are left) has
    each repeat replaced by a uniform draw among the candidates not in
    its batch, with a :class:`~skactiveml_badge.RepeatedPickWarning`.
    The default TypiClust arm draws uniformly where 1.0.1's fails (every
    cluster already labeled).

    The bandit tracks the pool between calls and its reward needs the
    model's predictions on every row, so ``candidates`` must be indices
    into ``X`` (or None; samples raise scikit-activeml's
    ``MappingError``, as its strategies that need a mapping to ``X`` do)
    and the pool must be in memory (a pool on disk or on Dask raises a
    ``TypeError``), both before any model is fitted.

    References
    ----------
    .. [1] W.-N. Hsu, H.-T. Lin. Active Learning by Learning. AAAI 2015.
    .. [2] P. Auer, N. Cesa-Bianchi, Y. Freund, R. E. Schapire. The
       Nonstochastic Multiarmed Bandit Problem. SIAM J. Comput., 2002.
    """

    _needs_memory = "its reward needs the predictions on every row"
    _index_candidates_only = "tracks the pool between calls"

    __init__ = stored_init(POOL_PARAMS, strategies=None, exploration=0.1)

    def _check_params(self):
        gamma = Share()(self.exploration, "exploration")
        if self.strategies is None:
            return default_arms(self.missing_label), gamma
        arms = list(self.strategies) if _is_list(self.strategies) else None
        if not arms or not all(
            isinstance(a, tuple)
            and len(a) == 2
            and isinstance(a[0], str)
            and callable(getattr(a[1], "query", None))
            for a in arms
        ):
            raise TypeError(
                "`strategies` must be None or a non-empty list of (name, "
                f"query strategy) pairs, got {self.strategies!r}."
            )
        return arms, gamma

    def _pick(self, clf, pool, batch_size, return_util, params):
        arms, gamma = params
        X, y, mapping = pool.X, pool.y, pool.cand_rows
        n_arms = len(arms)
        self._reset_if_new_pool(X.shape[0], n_arms)
        labeled = is_labeled(y, missing_label=self.missing_label_)
        pred = np.asarray(clf.predict(X))
        hist = self.history_
        if hist and not labeled[hist[-1]["batch"]].any():
            hist.pop()  # the last batch was never labeled: a repeat
        self._reward(y, labeled, pred, gamma, n_arms)
        p = self.arm_probabilities(gamma)
        position = {int(i): j for j, i in enumerate(mapping)}
        batches = []
        for name, arm in arms:
            idx = self._arm_query(arm, X, y, clf, mapping, batch_size)
            bad = [int(i) for i in idx if int(i) not in position]
            if bad:
                raise ValueError(
                    f"The arm {name!r} ({type(arm).__name__}) returned "
                    f"indices that are not candidates: {bad[:5]}; an arm "
                    "must return indices into X among the candidates it "
                    "was given (unlabeled samples)."
                )
            batch = np.array([position[int(i)] for i in idx], dtype=np.intp)
            batches.append(self._distinct(batch, len(mapping), name, arm))
        q = np.zeros(len(mapping))
        for k, b in enumerate(batches):
            q[b] += p[k]
        k = int(self.random_state_.choice(n_arms, p=p))
        chosen = batches[k].astype(np.intp)
        hist.append(
            dict(
                arm=k,
                p=float(p[k]),
                batch=mapping[chosen],
                q=q[chosen],
                pred=pred,
                rewarded=False,
            )
        )
        util = None
        if return_util:
            util = np.tile(q, (len(chosen), 1))
            for j in range(1, len(chosen)):
                util[j:, chosen[j - 1]] = np.nan
        return chosen, util

    def _distinct(self, batch, n_cand, name, arm):
        """``batch`` (positions among the candidates) with each repeated
        pick replaced by a uniform draw among the candidates not in it,
        with a warning naming the arm."""
        mended, n_repeats = replace_repeats(
            batch, np.ones(n_cand, dtype=bool), self.random_state_
        )
        if n_repeats:
            warn(
                f"The arm {name!r} ({type(arm).__name__}) picked "
                f"{n_repeats} candidate(s) twice in one batch; each repeat "
                "is replaced by a uniform draw among the candidates not in "
                "its batch.",
                RepeatedPickWarning,
            )
        return mended

    def arm_probabilities(self, gamma=None):
        """EXP3's current probabilities of the arms.

        Returns
        -------
        p : ndarray of shape (n_arms,)
        """
        gamma = self.exploration if gamma is None else gamma
        w = np.exp(self.log_weights_ - self.log_weights_.max())
        return (1 - gamma) * w / w.sum() + gamma / len(w)

    def _reset_if_new_pool(self, n_samples, n_arms):
        state = getattr(self, "history_", None)
        if (
            state is None
            or self.n_samples_ != n_samples
            or len(self.log_weights_) != n_arms
        ):
            self.log_weights_ = np.zeros(n_arms)
            self.history_ = []
            self.n_samples_ = n_samples

    def _reward(self, y, labeled, pred, gamma, n_arms):
        """EXP3 updates for every round whose reward can now be computed:
        round ``t`` needs round ``t + 1``'s batch labeled."""
        hist = self.history_
        for t in range(len(hist) - 1):
            now, nxt = hist[t], hist[t + 1]
            batch = nxt["batch"]
            if now["rewarded"] or not labeled[batch].all():
                continue
            w = 1.0 / nxt["q"]
            truth = y[batch]
            after = np.sum(w * (nxt["pred"][batch] == truth)) / w.sum()
            before = np.sum(w * (now["pred"][batch] == truth)) / w.sum()
            reward = (after - before + 1.0) / 2.0
            self.log_weights_[now["arm"]] += gamma * reward / now["p"] / n_arms
            now["rewarded"] = True

    def _arm_query(self, arm, X, y, clf, candidates, batch_size):
        arm = clone(arm, safe=False)  # a copy, if not an estimator
        params = arm.get_params() if hasattr(arm, "get_params") else {}
        if "random_state" in params:
            arm.set_params(
                random_state=int(self.random_state_.randint(2**31 - 1))
            )
        if "missing_label" in params:
            arm.set_params(missing_label=self.missing_label)
        kw = dict(candidates=candidates, batch_size=batch_size)
        if "clf" in inspect.signature(arm.query).parameters:
            kw.update(clf=clf, fit_clf=False)
        return np.asarray(arm.query(X, y, **kw), dtype=np.intp)


def _is_list(value):
    return isinstance(value, (list, tuple))
