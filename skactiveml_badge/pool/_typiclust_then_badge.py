"""The study's recipe: typical samples first, BADGE once the model has
enough labels per class."""

from .._params import SKACTIVEML_PARAMS, keyword_params, stored_init
from ._badge import Badge
from ._switch import WarmStartSwitch, switch_params


class TypiClustThenBadge(WarmStartSwitch, Badge):
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
        pick). ``"maxherding"`` holds three n x n float64 matrices of the
        n candidates (9.6 GB at 20,000); a batch it would pick on a pool
        whose matrices exceed this machine's physical memory is refused
        the same way (pass fewer candidates, for example through
        :class:`~skactiveml.pool.SubSamplingWrapper`).
    warm_start_per_class : int or "auto", default="auto"
        Labels per class (of ``clf.classes_``, or of the labels seen when
        the classifier declares none) from which BADGE takes over.
        ``"auto"``: the study's switch for the model's family, 5 for tree
        ensembles and nets (torch nets and scikit-learn MLPs), 20 for any
        other model.
    warm_start_labels : int, default=0
        Labels from which BADGE takes over, if more than
        ``warm_start_per_class`` times the classes.
    warm_start_until : {"labels", "stable"}, default="labels"
        What ends the warm start. ``"labels"``: the count above
        (``warm_start_per_class``, ``warm_start_labels``). ``"stable"``: a
        signal of the loop instead of a count; the warm start picks until
        the labels the model predicts for the unlabeled samples of ``X``
        agree with those the previous query's model predicted on at least
        ``stable_share`` of them (and two classes are labeled), then
        BADGE picks for good. The first query on a pool is the warm
        start's (nothing to compare yet). It keeps state between queries
        (use one instance through the loop, on the same ``X``) and needs
        ``query`` on a pool in memory.
    stable_share : float in (0, 1], default=0.95
        The agreement that ends the warm start with
        ``warm_start_until="stable"`` (fixed before any study run, not
        tuned).
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
    predictions_, agreement_, switched_
        ``warm_start_until="stable"``: the model's predicted labels on
        ``X`` at the last query before the switch, their agreement with
        the query before on the unlabeled samples (None at a pool's first
        query), and whether the warm start is over.

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
        **switch_params("typiclust"),
        **keyword_params(Badge) | {"tree_embedding": "proximity+X"},
    )

    _after_switch = "badge"

    _serves_multilabel_y = False  # its warm start is single-label

    _parameter_constraints = (
        Badge._parameter_constraints | WarmStartSwitch._switch_constraints
    )
