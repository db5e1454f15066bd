"""The switch of the recipes: a warm-start rule while labels are few,
then the strategy the recipe is named for.

:class:`WarmStartSwitch` is mixed in before that strategy's class
(``class Recipe(WarmStartSwitch, Badge)``): its ``_pick`` decides, from
the labels, whether this batch is the warm start's or the strategy's.
"""

import functools
import warnings

import numpy as np

from .._frames import concat_rows, frame_features
from .._validation import Choice, Int, Share
from ..embeddings import model_kind
from ..selection import farthest_first
from ._badge import classes_of
from ._pool import read_rows
from ._warm_start import (
    IN_MEMORY_RULES,
    WARM_START_RULES,
    check_maxherding_memory,
    feature_block,
    maxherding_pick,
    random_pick,
    score_pick,
    typiclust_pick,
    uncertainty_block,
)

#: The study's switch, in labels per class, per model family
#: (``docs/study.rst``: ``typiclust-then-badge-5``, ``-10`` and ``-20``).
PER_CLASS = {"trees": 5, "nets": 5, "other": 20}


#: What ends the warm start: enough labels, or stable predictions.
WARM_START_UNTIL = ("labels", "stable")


def switch_params(rule):
    """The switch's parameters and their defaults (``rule``: the default
    warm-start rule), for ``stored_init``."""
    return dict(
        warm_start_rule=rule,
        warm_start_per_class="auto",
        warm_start_labels=0,
        warm_start_until="labels",
        stable_share=0.95,
    )


class WarmStartSwitch:
    """Picks by ``warm_start_rule`` while fewer samples are labeled than
    the switch asks, by the next class in the method resolution order
    from then on.

    ``_after_switch``: the name ``picked_by_`` takes once the switch is past.
    """

    _after_switch = None

    _switch_constraints = {
        "warm_start_rule": Choice(*WARM_START_RULES),
        "warm_start_per_class": Int(low=0, auto=True),
        "warm_start_labels": Int(low=0),
        "warm_start_until": Choice(*WARM_START_UNTIL),
        "stable_share": Share(),
    }

    def _check_before_fit(self, clf, pool, n_picks, params):
        super()._check_before_fit(clf, pool, n_picks, params)
        rule = self.warm_start_rule
        if self.warm_start_until == "stable":
            if pool.offset is not None or pool.chunked:
                raise ValueError(
                    "warm_start_until='stable' compares the model's "
                    "predictions on the same X from one query to the next: "
                    "use query with the pool in memory (not select_batch, "
                    "nor a pool on disk or on Dask)."
                )
            if self._stable_before(pool):
                return
        elif self._warm_start_rule(pool.y_lab, clf) is None:
            return
        if pool.chunked and rule in IN_MEMORY_RULES:
            raise ValueError(
                f"warm_start_rule={rule!r} needs the pool in memory "
                "(it sees every candidate at once), and it picks this "
                f"batch (too few labels for {self._after_switch}); for "
                "a pool on disk or on Dask use another warm_start_rule."
            )
        if rule == "maxherding":
            check_maxherding_memory(pool.n_cand, pool.y_lab.size)

    def _pick(self, clf, pool, n_picks, return_util, params):
        if self.warm_start_until == "stable":
            rule = self._stability_rule(clf, pool)
        else:
            rule = self._warm_start_rule(pool.y_lab, clf)
        self.picked_by_ = rule or self._after_switch
        if rule is None:
            return super()._pick(clf, pool, n_picks, return_util, params)
        self._probe_embedding(clf, pool)
        return warm_start_pick(
            rule, clf, pool, n_picks, self.random_state_, self.missing_label_,
            return_util,
        )  # fmt: skip

    def _probe_embedding(self, clf, pool):
        """Embed one candidate as the strategy after the switch will, so
        that a setting the model cannot serve (an ``embedding_layer`` it
        lacks, a flag its ``predict_proba`` refuses, probabilities that
        are not) raises now, not once the warm start is over. No random
        number is drawn, and no warning is passed on (a model that is not
        trained yet is expected here)."""
        first = read_rows(pool.candidates(), slice(0, 1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._gradient_factors(
                clf, first, False, self.tree_embedding,
                **self._mc_options(seed=0),
            )  # fmt: skip

    def _stable_before(self, pool):
        """Whether an earlier query on this pool found the predictions
        stable (the switch is past for good)."""
        prev = getattr(self, "predictions_", None)
        return (
            bool(getattr(self, "switched_", False))
            and prev is not None
            and len(prev) == pool.n_samples
        )

    def _stability_rule(self, clf, pool):
        """``warm_start_until="stable"``: ``warm_start_rule`` until the
        labels the model predicts for the unlabeled samples of ``X`` agree
        with those of the previous query's model on ``stable_share`` of
        them (at least two classes labeled), None from then on.

        The state lives on the object: ``predictions_`` (the predictions
        on ``X`` of the last query before the switch), ``agreement_``
        (None at the first query of a pool) and ``switched_``. A pool of
        another size starts over. Past the switch nothing is predicted.
        """
        if self._stable_before(pool):
            return None
        pred = np.asarray(clf.predict(pool.X))
        prev = getattr(self, "predictions_", None)
        self.agreement_ = None
        if prev is not None and len(prev) == len(pred):
            unlabeled = np.ones(len(pred), dtype=bool)
            unlabeled[pool.labeled] = False
            if unlabeled.any():
                self.agreement_ = float(
                    np.mean(prev[unlabeled] == pred[unlabeled])
                )
        self.switched_ = bool(
            self.agreement_ is not None
            and self.agreement_ >= self.stable_share
            and np.unique(pool.y_lab).size >= 2
        )
        self.predictions_ = pred
        return None if self.switched_ else self.warm_start_rule

    def _warm_start_rule(self, y_lab, clf):
        """``warm_start_rule`` while too few labels are known (``y_lab``:
        the labels of the labeled samples), else None.

        ``clf``: the classifier (fitted: its ``classes_``; unfitted: its
        ``classes``).
        """
        n_seen = np.unique(y_lab).size
        classes = classes_of(clf)
        n_classes = n_seen if classes is None else len(classes)
        per_class = self.warm_start_per_class
        if isinstance(per_class, str):  # "auto"
            per_class = PER_CLASS[model_family(clf)]
        threshold = max(self.warm_start_labels, per_class * n_classes)
        if y_lab.size >= threshold and n_seen >= 2:
            return None
        return self.warm_start_rule


def warm_start_pick(
    rule, clf, pool, n_picks, random_state, missing_label, return_util
):
    """Picks (positions among ``pool``'s candidates) and utility rows of
    the warm-start ``rule``."""
    if rule in IN_MEMORY_RULES:
        pick = typiclust_pick if rule == "typiclust" else maxherding_pick
        X_lab, X_cand = pool.X_lab, pool.candidates()
        if pool.frame:  # one encoding of both: the same columns
            both = frame_features(concat_rows(X_lab, X_cand))
            X_lab, X_cand = both[: len(X_lab)], both[len(X_lab) :]
        return pick(
            X_lab, pool.y_lab, X_cand, n_picks, random_state, missing_label,
            return_util,
        )  # fmt: skip
    if rule == "random":
        return random_pick(pool.n_cand, n_picks, random_state, return_util)
    if rule == "farthest_first":
        block_fn = pool.block_fn(feature_block, np.float64)
        with pool.embedded(block_fn) as (_, ones, features):
            return farthest_first(
                ones, features, n_picks, dtype=np.float64,
                return_utilities=return_util,
            )  # fmt: skip
    scores = functools.partial(uncertainty_block, clf, rule)
    return score_pick(pool.gather(scores)[0], n_picks, return_util)


def model_family(clf):
    """``"trees"`` (tree ensembles, models with ``leaf_embeddings``),
    ``"nets"`` (torch nets, scikit-learn MLPs) or ``"other"`` (models
    with ``encode`` among them): the model family whose study switch
    applies to ``clf``."""
    kind = model_kind(clf)
    if kind in ("torch", "mlp"):
        return "nets"
    return "trees" if kind in ("boosted", "forest", "leaves") else "other"
