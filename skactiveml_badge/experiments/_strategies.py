"""Query strategies of the runner by short name, and the task checks."""

import functools
import importlib
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import sklearn.base

from ..pool import Badge
from ..pool._warm_start import replace_repeats
from ._datasets import is_multilabel
from ._models import MODELS, Committee, _with_params


def _make_strategy(module, cls_name, seed, **params):
    cls = getattr(importlib.import_module(module), cls_name)
    return cls(random_state=seed, **params)


def _ours(cls_name="Badge", **params):
    """``make(seed)``: a strategy of this package."""
    return functools.partial(
        _make_strategy, "skactiveml_badge", cls_name, **params
    )


def _skactiveml(cls_name, **params):
    """``make(seed)``: a strategy of scikit-activeml."""
    return functools.partial(
        _make_strategy, "skactiveml.pool", cls_name, **params
    )


class EstimatorQuery:
    """A scikit-activeml strategy whose ``query`` calls the model
    ``estimator`` (``Clue``), queried as the others are.

    scikit-activeml 1.0.1's ``Clue`` runs its entropy-weighted k-means in
    the dtype of ``X``; on ``float32`` inputs of a net that is certain of
    most of the pool (zero and subnormal entropies), a cluster's weighted
    centre overflows and scikit-learn refuses it ("Input contains
    infinity"). That query is repeated once, by a fresh ``Clue`` of the
    same settings and seed, on ``X`` as ``float64``; every other query is
    Clue's own.
    """

    def __init__(self, qs):
        self.qs = qs
        self.n_retried_ = 0

    def query(self, X, y, clf, fit_clf=True, batch_size=1):
        kw = dict(fit_estimator=fit_clf, batch_size=batch_size)
        try:
            return self.qs.query(X, y, clf, **kw)
        except ValueError as exc:
            X = np.asarray(X)
            if "contains infinity" not in str(exc) or X.dtype != np.float32:
                raise
        self.n_retried_ += 1
        fresh = sklearn.base.clone(self.qs)  # the seed's first draws again
        return fresh.query(X.astype(np.float64), y, clf, **kw)


def _make_clustering(cls_name, seed, **params):
    """A scikit-activeml strategy that clusters with ``KMeans``, the
    clustering seeded too (scikit-activeml 1.0.1 leaves it unseeded, so
    DropQuery and CLUE reorder or change their picks between calls)."""
    params.setdefault("cluster_algo_dict", {"random_state": seed})
    qs = _make_strategy("skactiveml.pool", cls_name, seed, **params)
    return EstimatorQuery(qs) if cls_name == "Clue" else qs


class DistinctPicks:
    """scikit-activeml 1.0.1's ``Badge`` with its repeated picks replaced.

    When every unlabeled gradient embedding is at distance zero from some
    pick (a net whose probabilities are exactly 0 and 1 on most of the
    pool), 1.0.1's fallback draws uniformly but forgets the earlier picks,
    so it can pick a sample twice (upstream issue #586, fixed after 1.0.1).
    Each repeat is replaced by a uniform draw among the unlabeled samples
    not picked, the distribution its fallback means; batches without a
    repeat are returned as they are.
    """

    def __init__(self, qs, seed):
        self.qs = qs
        self.seed = seed
        self.n_replaced_ = 0

    def query(self, X, y, clf, fit_clf=True, batch_size=1):
        picks = self.qs.query(
            X, y, clf, fit_clf=fit_clf, batch_size=batch_size
        )
        free = np.isnan(np.asarray(y, dtype=float))
        rng = np.random.default_rng(self.seed)
        picks, self.n_replaced_ = replace_repeats(picks, free, rng)
        return picks


def _make_distinct(cls_name, seed):
    return DistinctPicks(
        _make_strategy("skactiveml.pool", cls_name, seed), seed
    )


def _make_multilabel_random(seed):
    return MultilabelRandomSampling(random_state=seed)


def _make_committee(cls_name, seed, n_members=5, **params):
    from skactiveml import pool

    inner = getattr(pool, cls_name)(random_state=seed, **params)
    return Committee(inner, n_members, seed)


def _committee(cls_name):
    """``make(seed)``: a scikit-activeml committee strategy."""
    return functools.partial(_make_committee, cls_name)


class MultilabelRandomSampling:
    """Random sampling for a multi-label ``y``: ``batch_size`` rows drawn
    uniformly, without replacement, from those not fully labeled.

    Parameters
    ----------
    random_state : None, int or numpy.random.RandomState, default=None
    missing_label : scalar or np.nan, default=np.nan
        Marks the unknown entries of ``y``.
    """

    def __init__(self, random_state=None, missing_label=np.nan):
        self.random_state = random_state
        self.missing_label = missing_label

    def query(self, X, y, batch_size=1):
        """Pool indices of ``batch_size`` rows of ``y`` with a missing
        entry.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            The pool (its samples are not used).
        y : array-like of shape (n_samples, n_labels)
            The label indicator matrix, ``missing_label`` where unknown.
        batch_size : int, default=1

        Returns
        -------
        query_indices : ndarray of shape (batch_size,)
        """
        from skactiveml.utils import is_labeled
        from sklearn.utils import check_random_state

        from .._validation import check_positive_int

        y = np.asarray(y)
        if y.ndim != 2:
            raise ValueError(
                "`y` must be a label indicator matrix of shape (n_samples, "
                f"n_labels), got shape {y.shape}."
            )
        if len(X) != len(y):
            raise ValueError(
                f"`X` and `y` must have the same length, got {len(X)} and "
                f"{len(y)}."
            )
        batch_size = check_positive_int(batch_size, "batch_size")
        unlabeled = np.flatnonzero(
            ~is_labeled(y, missing_label=self.missing_label).all(axis=1)
        )
        if batch_size > unlabeled.size:
            raise ValueError(
                f"`batch_size` ({batch_size}) exceeds the {unlabeled.size} "
                "rows that are not fully labeled."
            )
        rng = check_random_state(self.random_state)
        return rng.choice(unlabeled, batch_size, replace=False)


class StrategySpec(NamedTuple):
    """A registered strategy (``STRATEGIES[name]``)."""

    #: ``make(seed, **params)`` gives the query strategy; ``params``
    #: override its settings.
    make: Callable
    #: One line for ``--help`` and the study page.
    description: str
    #: Whether ``query`` takes the classifier.
    takes_clf: bool = True
    #: Model families or model names it applies to (None: all).
    applies_to: tuple | None = None
    #: One instance through the run (it learns between queries); the
    #: runner replays the recorded rounds to resume it.
    stateful: bool = False
    #: A multi-label strategy: ``query`` takes the indicator matrix ``y``
    #: of shape ``(n_samples, n_labels)`` (and a multi-label model).
    multilabel: bool = False

    def with_params(self, **params):
        """The same strategy with other settings, e.g.
        ``STRATEGIES["badge"].with_params(selection="farthest_first")``.

        Parameters
        ----------
        **params
            Keywords of the strategy's constructor.

        Returns
        -------
        spec : StrategySpec
        """
        return _with_params(self, params)


def applies(strategy, model):
    """Whether a registered strategy is run with a registered model."""
    only = STRATEGIES[strategy].applies_to
    return only is None or model in only or MODELS[model].family in only


_BOOSTED = ("lightgbm", "xgboost", "hgb", "catboost")  # not forests


def _variant(cls_name="Badge", **params):
    """A Badge (or ``cls_name``, a subclass) whose study-relevant settings
    are all explicit, so that a later change of the defaults does not
    change what a name means."""
    base = dict(
        selection="kmeans++",
        origin_as_centre=False,
        tree_embedding="proximity",
        embedding_source="auto",
        leaf_dim=256,
        include_bias=False,
        class_balance=None,
    )
    return _ours(cls_name, **(base | params))


def _typiclust_then_badge(per_class):
    """The recipe with its study settings explicit and the switch at
    ``per_class`` labels per class."""
    return StrategySpec(
        make=_variant(
            "TypiClustThenBadge",
            warm_start_rule="typiclust",
            warm_start_per_class=per_class,
            warm_start_labels=0,
            origin_as_centre=True,
            tree_embedding="proximity+X",
        ),
        description="TypiClustThenBadge switching at "
        f"{per_class} labels per class",
    )


def _without_clf(make, description):
    return StrategySpec(make=make, description=description, takes_clf=False)


STRATEGIES = {
    # -- this package: BADGE and its variants
    "badge": StrategySpec(
        make=_ours(),
        description="this package's Badge with its defaults: BADGE from "
        "the first query, k-means++ keeping the origin as a centre "
        "(scikit-activeml 1.0.1's rule), proximity leaves for trees",
    ),
    "typiclust-then-badge": StrategySpec(
        make=_ours("TypiClustThenBadge"),
        description="this package's TypiClustThenBadge with its defaults: "
        "TypiClust until 5 labels per class (trees, nets) or 20 (other "
        "models), then Badge keeping the origin (trees: leaves next to X)",
    ),
    "badge-paper": StrategySpec(
        make=_variant(),
        description="Badge, the paper's k-means++ rule (proximity leaves "
        "for trees)",
    ),
    "badge-ff": StrategySpec(
        make=_variant(selection="farthest_first"),
        description="Badge (farthest-first)",
    ),
    "badge-balanced": StrategySpec(
        make=_variant(class_balance="equal"),
        description="Badge with equal class quotas",
    ),
    "badge-leafgrad": StrategySpec(
        make=_variant(tree_embedding="leaf_gradient"),
        description="Badge on leaf-value gradients (boosted trees)",
        applies_to=_BOOSTED,
    ),
    "badge-leafgrad-origin": StrategySpec(
        make=_variant(tree_embedding="leaf_gradient", origin_as_centre=True),
        description="Badge on leaf-value gradients, origin kept as a centre",
        applies_to=_BOOSTED,
    ),
    "badge-exact": StrategySpec(
        make=_variant(leaf_dim=None),
        description="Badge on exact (unhashed) proximity leaves",
        applies_to=("trees",),
    ),
    "badge-leavesX": StrategySpec(
        make=_variant(tree_embedding="proximity+X"),
        description="Badge on proximity leaves next to scaled features",
        applies_to=("trees",),
    ),
    "badge-X": StrategySpec(
        make=_variant(embedding_source="X"),
        description="Badge on the (standardised) features X",
        applies_to=("trees", "nets"),
    ),
    "badge-X-origin": StrategySpec(
        make=_variant(embedding_source="X", origin_as_centre=True),
        description="Badge on the features X, origin kept as a centre",
        applies_to=("trees", "nets"),
    ),
    "badge-mcdropout": StrategySpec(
        make=_variant(mc_dropout=10),
        description="Badge on probabilities averaged over 10 MC-dropout "
        "passes",
        applies_to=("mlp-dropout",),
    ),
    "badge-bias": StrategySpec(
        make=_variant(include_bias=True),
        description="Badge with the last layer's bias gradient",
        applies_to=("nets", "linear"),
    ),
    "typiclust-then-badge-5": _typiclust_then_badge(5),
    "typiclust-then-badge-10": _typiclust_then_badge(10),
    "typiclust-then-badge-20": _typiclust_then_badge(20),
    "maxherding-then-badge": StrategySpec(
        make=_ours("TypiClustThenBadge", warm_start_rule="maxherding"),
        description="the recipe with MaxHerding (on X) as its warm start "
        "instead of TypiClust, the same switch",
    ),
    "uherding-grad": StrategySpec(
        make=_ours("GradientUHerding"),
        description="GradientUHerding: uncertainty herding (Bae et al., "
        "ICLR 2025) on unit gradient embeddings, margin weights, the "
        "paper's shrinking radius (trees: leaves next to X)",
    ),
    "maxherding-then-uherding": StrategySpec(
        make=_ours("MaxHerdingThenUHerding"),
        description="MaxHerding (on X) while labels are few (the recipe's "
        "switch), then GradientUHerding",
    ),
    "maxherding-then-uherding-stable": StrategySpec(
        make=_ours("MaxHerdingThenUHerding", warm_start_until="stable"),
        description="MaxHerding (on X) until the model's predicted labels "
        "of the unlabeled samples agree with the previous round's on 95% "
        "of them, then GradientUHerding",
        stateful=True,
    ),
    "bait": StrategySpec(
        make=_ours("Bait"), description="this package's Bait"
    ),
    "bait-top2": StrategySpec(
        make=_ours("Bait", top_k=2),
        description="Bait, Fisher of the 2 most probable classes",
    ),
    "bait-top5": StrategySpec(
        make=_ours("Bait", top_k=5),
        description="Bait, Fisher of the 5 most probable classes",
    ),
    # -- baselines
    "random": _without_clf(_skactiveml("RandomSampling"), "random sampling"),
    "margin": StrategySpec(
        make=_skactiveml("UncertaintySampling", method="margin_sampling"),
        description="margin sampling",
    ),
    "entropy": StrategySpec(
        make=_skactiveml("UncertaintySampling", method="entropy"),
        description="entropy sampling",
    ),
    "coreset": _without_clf(_skactiveml("CoreSet"), "CoreSet (k-center on X)"),
    "typiclust": _without_clf(_skactiveml("TypiClust"), "TypiClust"),
    "probcover": _without_clf(_skactiveml("ProbCover"), "ProbCover"),
    "maxherding": _without_clf(
        _skactiveml("MaxHerding"),
        "MaxHerding (Bae et al., ECCV 2024): kernel herding on X",
    ),
    "falcun": StrategySpec(
        make=_skactiveml("Falcun"),
        description="Falcun (Gilhuber et al., ECML-PKDD 2024)",
    ),
    "dropquery": StrategySpec(
        make=functools.partial(_make_clustering, "DropQuery"),
        description="DropQuery (Gupte et al., TMLR 2024)",
    ),
    "clue": StrategySpec(
        make=functools.partial(_make_clustering, "Clue"),
        description="CLUE (Prabhu et al., ICCV 2021; a query whose "
        "float32 weighted k-means overflows is repeated in float64)",
    ),
    "skactiveml-badge": StrategySpec(
        make=functools.partial(_make_distinct, "Badge"),
        description="scikit-activeml 1.0.1's Badge (a repeated pick, "
        "upstream issue #586, replaced by a uniform draw among the unlabeled "
        "samples not picked)",
    ),
    "qbc": StrategySpec(
        make=_committee("QueryByCommittee"),
        description="query by committee (KL): 5 MC-dropout samples of a net "
        "with dropout, else 5 bootstrap clones",
    ),
    "batchbald": StrategySpec(
        make=_committee("BatchBALD"),
        description="BatchBALD over 5 MC-dropout samples (nets with dropout) "
        "or 5 bootstrap clones",
    ),
    "egl": StrategySpec(
        make=_ours("ExpectedGradientLength"),
        description="expected gradient length (top-k)",
    ),
    "power-margin": StrategySpec(
        make=_ours("PowerSampling", method="margin"),
        description="stochastic power sampling of margins (beta 1)",
    ),
    "power-entropy": StrategySpec(
        make=_ours("PowerSampling", method="entropy"),
        description="stochastic power sampling of entropies (beta 1)",
    ),
    "albl": StrategySpec(
        make=_ours("ActiveLearningByLearning"),
        description="active learning by learning: EXP3 over Badge, Badge "
        "with class quotas, margin, power-entropy, TypiClust and random",
        stateful=True,
    ),
    "cluster-margin": StrategySpec(
        make=_ours("ClusterMargin"),
        description="Cluster-Margin (average-linkage clusters of X)",
    ),
    # -- multi-label
    "multilabel-badge": StrategySpec(
        make=_ours("MultilabelBadge"),
        description="multi-label: MultilabelBadge, the paper's k-means++ "
        "rule on the sigmoid outputs' gradient embeddings",
        multilabel=True,
    ),
    "multilabel-badge-origin": StrategySpec(
        make=_ours("MultilabelBadge", origin_as_centre=True),
        description="multi-label: MultilabelBadge, k-means++ keeping the "
        "origin as a centre",
        multilabel=True,
    ),
    "multilabel-random": StrategySpec(
        make=_make_multilabel_random,
        description="multi-label: random sampling (uniform among the rows "
        "not labeled)",
        takes_clf=False,
        multilabel=True,
    ),
}


def on_disk(qs):
    """Whether the runner gives the query strategy ``qs`` the memory map
    of a pool on disk (``pool_on_disk``): Badge and its variants select
    from pools on disk; the other strategies get the array."""
    return isinstance(qs, Badge)


def disk_refusal(qs):
    """Why the query strategy ``qs`` cannot select from the pool on disk
    the runner would give it, or None."""
    if not on_disk(qs):
        return None
    if getattr(qs, "mc_dropout", 0):
        return f"its mc_dropout={qs.mc_dropout} needs the pool in memory"
    rule = getattr(qs, "warm_start_rule", None)
    if rule in ("typiclust", "maxherding"):
        return (
            f"its warm start (warm_start_rule={rule!r}, while too few "
            "labels are known) needs the pool in memory"
        )
    needs = getattr(type(qs), "_needs_memory", None)
    return needs and f"it needs the pool in memory ({needs})"


def check_task(datasets, models, strategies):
    """Whether the runs are multi-label; raise if they mix multi-label and
    single-label data sets, models or strategies.

    Parameters
    ----------
    datasets, models, strategies : sequence of str
        Registered names (data sets may also be .npz/.csv files, which are
        single-label).

    Returns
    -------
    multilabel : bool

    Raises
    ------
    ValueError
        Naming the setting and the names of the other kind.
    """
    datasets = list(datasets)
    ml = [d for d in datasets if is_multilabel(d)]
    if ml and len(ml) < len(datasets):
        raise ValueError(
            f"`datasets` mixes multi-label data sets ({ml}) with "
            f"single-label ones ({[d for d in datasets if d not in ml]}); "
            "run them in separate experiments."
        )
    multilabel = bool(ml)
    want, other = _kind(multilabel), _kind(not multilabel)
    for key, registry, names in (
        ("models", MODELS, models),
        ("strategies", STRATEGIES, strategies),
    ):
        wrong = [n for n in names if registry[n].multilabel != multilabel]
        if wrong:
            raise ValueError(
                f"`{key}`: {wrong} {'is' if len(wrong) == 1 else 'are'} "
                f"{other}, but the data sets {datasets} are {want}; use the "
                f"{want} {key} {_names(registry, multilabel)}."
            )
    return multilabel


def _kind(multilabel):
    return "multi-label" if multilabel else "single-label"


def _names(registry, multilabel):
    return [k for k, v in registry.items() if v.multilabel == multilabel]
