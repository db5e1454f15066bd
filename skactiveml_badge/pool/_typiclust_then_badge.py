"""The study's recipe: typical samples first, BADGE once the model has
enough labels per class."""

import functools
import warnings

import numpy as np

from .._frames import concat_rows, frame_features
from .._params import SKACTIVEML_PARAMS, keyword_params, stored_init
from .._validation import Choice, Int
from ..embeddings import model_kind
from ..selection import farthest_first
from ._badge import Badge, classes_of
from ._pool import read_rows
from ._warm_start import (
    IN_MEMORY_RULES,
    WARM_START_RULES,
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


class TypiClustThenBadge(Badge):
    """TypiClust while labels are few, then BADGE: the study's recipe.

    While fewer samples are labeled than ``warm_start_per_class`` times
    the number of classes (or ``warm_start_labels``, if larger), or fewer
    than two classes have a label, the batch is picked by
    scikit-activeml's :class:`~skactiveml.pool.TypiClust` (Hacohen et
    al., ICML 2022: the most typical sample of each of the largest
    clusters without a label) on the candidates and the labeled samples;
    from then on by :class:`~skactiveml_badge.Badge` with the origin kept
    as a centre and, for tree ensembles, the leaf embedding next to ``X``
    (``tree_embedding="proximity+X"``).

    This is the most label-efficient choice of this package's
    label-efficiency study (``docs/study.rst``: 11 data sets, LightGBM,
    XGBoost, random forest, a skorch MLP and logistic regression, 20
    start labels and 10 rounds of 20, 5 to 10 seeds), where it was
    ``Badge()``'s default until version 0.1.0's issue 23: it ranks first
    in every model family, tied with BADGE on ties of the switch. Typical
    samples pay while the model knows little; gradient embeddings pay
    once it has a few labels of every class.

    Parameters
    ----------
    clf_embedding_flag_name, missing_label, random_state
        As in :class:`~skactiveml_badge.Badge`. The TypiClust picks take
        one seed from ``random_state``.
    warm_start_rule : {"typiclust", "maxherding", "farthest_first", \
"random", "margin", "entropy"}, default="typiclust"
        The rule while labels are few. ``"typiclust"`` is the study's
        choice. The others are the alternatives it compared:
        scikit-activeml's :class:`~skactiveml.pool.MaxHerding` (kernel
        coverage of ``X``), farthest-first traversal on ``X`` (k-center
        greedy), uniformly at random, smallest margin, largest entropy.
        Pools on disk or on Dask take every rule but ``"typiclust"`` and
        ``"maxherding"``, which see the whole pool in memory (``query``
        raises a ``ValueError`` before fitting the model when they would
        pick).
    warm_start_per_class : int or "auto", default="auto"
        Labels per class (of ``clf.classes_``, or of the labels seen when
        the classifier declares none) from which BADGE takes over.
        ``"auto"``: the study's switch for the model's family, 5 for tree
        ensembles and nets (torch nets and scikit-learn MLPs), 20 for any
        other model.
    warm_start_labels : int, default=0
        Labels from which BADGE takes over, if more than
        ``warm_start_per_class`` times the classes.
    origin_as_centre : bool, default=True
        As in :class:`~skactiveml_badge.Badge`.
    tree_embedding : {"proximity", "leaf_gradient", "proximity+X"}, \
default="proximity+X"
        As in :class:`~skactiveml_badge.Badge`; the default is the
        study's choice for tree ensembles.
    selection, dtype, chunk_size, embedding_layer, include_bias
        As in :class:`~skactiveml_badge.Badge`.
    dl_batch_size, backend, leaf_dim, embedding_source, class_balance
        As in :class:`~skactiveml_badge.Badge`.
    algorithm, storage_dtype, mc_dropout, metric, reduction, n_components
        As in :class:`~skactiveml_badge.Badge`.

    Attributes
    ----------
    picked_by_ : str
        The rule of the last batch: the warm-start rule or ``"badge"``.

    Notes
    -----
    The utilities of a warm-start batch (see :doc:`/guide_balance`): row
    ``k`` holds the finite score pick ``k`` was chosen by, higher is
    better, NaN at labeled samples, non-candidates and earlier picks.
    For TypiClust it is the typicality (the inverse mean distance to the
    nearest neighbours, positive) of the candidates in the cluster pick
    ``k`` came from, and 0 for the candidates of other clusters, where
    scikit-activeml writes ``-inf``. When fewer uncovered clusters than
    picks are left (for instance a pool of identical samples), the rest
    of the batch is drawn uniformly among the candidates not yet picked,
    as TypiClust does once every cluster holds a label, with rows of
    ones (scikit-activeml 1.0.1's TypiClust can repeat an earlier pick
    there, or fail when every cluster holds a label). Margin and entropy
    rows are the uncertainty scores, random rows are ones, farthest-first
    rows are the distances to the nearest earlier pick on ``X``.

    While the warm start picks, one candidate is still embedded as BADGE
    will embed it, so that a setting the model cannot serve (an
    ``embedding_layer`` it lacks, a flag its ``predict_proba`` refuses,
    non-finite probabilities) raises at the first query, not when BADGE
    takes over.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactiveml.classifier import SklearnClassifier
    >>> from skactiveml.utils import MISSING_LABEL
    >>> from skactiveml_badge import TypiClustThenBadge
    >>> X, y_true = load_iris(return_X_y=True)
    >>> y = np.full(len(y_true), MISSING_LABEL)
    >>> y[[0, 50, 100]] = y_true[[0, 50, 100]]
    >>> clf = SklearnClassifier(LogisticRegression(), classes=[0, 1, 2])
    >>> qs = TypiClustThenBadge(random_state=0)
    >>> idx = qs.query(X, y, clf, batch_size=3)
    >>> qs.picked_by_  # 3 labels: fewer than 20 per class
    'typiclust'
    """

    __init__ = stored_init(
        SKACTIVEML_PARAMS,
        warm_start_rule="typiclust",
        warm_start_per_class="auto",
        warm_start_labels=0,
        **keyword_params(Badge) | {"tree_embedding": "proximity+X"},
    )

    _serves_multilabel_y = False  # its warm start is single-label

    _parameter_constraints = Badge._parameter_constraints | {
        "warm_start_rule": Choice(*WARM_START_RULES),
        "warm_start_per_class": Int(low=0, auto=True),
        "warm_start_labels": Int(low=0),
    }

    def _check_before_fit(self, clf, pool, n_picks, params):
        super()._check_before_fit(clf, pool, n_picks, params)
        rule = self.warm_start_rule
        if pool.chunked and rule in IN_MEMORY_RULES:
            if self._warm_start_rule(pool.y_lab, clf) is not None:
                raise ValueError(
                    f"warm_start_rule={rule!r} needs the pool in memory "
                    "(it sees every candidate at once), and it picks this "
                    "batch (too few labels for BADGE); for a pool on disk "
                    "or on Dask use another warm_start_rule, or Badge."
                )

    def _pick(self, clf, pool, n_picks, return_util, params):
        rule = self._warm_start_rule(pool.y_lab, clf)
        self.picked_by_ = rule or "badge"
        if rule is None:
            return super()._pick(clf, pool, n_picks, return_util, params)
        self._probe_embedding(clf, pool)
        rs = self.random_state_
        if rule in IN_MEMORY_RULES:
            pick = typiclust_pick if rule == "typiclust" else maxherding_pick
            X_lab, X_cand = pool.X_lab, pool.candidates()
            if pool.frame:  # one encoding of both: the same columns
                both = frame_features(concat_rows(X_lab, X_cand))
                X_lab, X_cand = both[: len(X_lab)], both[len(X_lab) :]
            return pick(
                X_lab, pool.y_lab, X_cand, n_picks, rs, self.missing_label_,
                return_util,
            )  # fmt: skip
        if rule == "random":
            return random_pick(pool.n_cand, n_picks, rs, return_util)
        if rule == "farthest_first":
            block_fn = pool.block_fn(feature_block, np.float64)
            with pool.embedded(block_fn) as (_, ones, features):
                return farthest_first(
                    ones, features, n_picks, dtype=np.float64,
                    return_utilities=return_util,
                )  # fmt: skip
        scores = functools.partial(uncertainty_block, clf, rule)
        return score_pick(pool.gather(scores)[0], n_picks, return_util)

    def _probe_embedding(self, clf, pool):
        """Embed one candidate as BADGE will, so that a setting the model
        cannot serve (an ``embedding_layer`` it lacks, a flag its
        ``predict_proba`` refuses, probabilities that are not) raises now,
        not once the warm start is over. No random number is drawn, and
        no warning is passed on (a model that is not trained yet is
        expected here)."""
        first = read_rows(pool.candidates(), slice(0, 1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._gradient_factors(
                clf, first, False, self.tree_embedding,
                **self._mc_options(seed=0),
            )  # fmt: skip

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


def model_family(clf):
    """``"trees"`` (tree ensembles, models with ``leaf_embeddings``),
    ``"nets"`` (torch nets, scikit-learn MLPs) or ``"other"`` (models
    with ``encode`` among them): the model family whose study switch
    applies to ``clf``."""
    kind = model_kind(clf)
    if kind in ("torch", "mlp"):
        return "nets"
    return "trees" if kind in ("boosted", "forest", "leaves") else "other"
