"""MaxHerding while labels are few, then uncertainty herding on the
gradient embeddings."""

from .._params import SKACTIVEML_PARAMS, keyword_params, stored_init
from ._switch import WarmStartSwitch, switch_params
from ._uherding import GradientUHerding


class MaxHerdingThenUHerding(WarmStartSwitch, GradientUHerding):
    """MaxHerding while labels are few, then GradientUHerding.

    While fewer samples are labeled than ``warm_start_per_class`` times
    the number of classes (or ``warm_start_labels``, if larger), or fewer
    than two classes have a label, the batch is picked by
    scikit-activeml's :class:`~skactiveml.pool.MaxHerding` (Bae et al.,
    ECCV 2024: greedy kernel coverage of ``X``) on the candidates and the
    labeled samples; from then on by
    :class:`~skactiveml_badge.GradientUHerding`, uncertainty herding on
    the unit gradient embeddings. The switch is the one of
    :class:`~skactiveml_badge.TypiClustThenBadge`: 5 labels per class
    for tree ensembles and nets, 20 for other models.

    It is ``maxherding-then-uherding`` of this package's study at three
    budgets (:doc:`/study_low`, :doc:`/study_mid`, :doc:`/study_high`),
    where it led the stage with 5 seeds at the low budget (20 + 10 x 20
    labels: first of 15 strategies by mean rank on linear models and
    tree ensembles, second on the MLP) and tied the best at the higher
    ones, on the way to the 20-seed comparison that decides the
    recommendation. Past the switch its picks are GradientUHerding's.

    Parameters
    ----------
    clf_embedding_flag_name, missing_label, random_state
        As in :class:`~skactiveml_badge.GradientUHerding`. The MaxHerding
        picks take one seed from ``random_state``.
    warm_start_rule : {"maxherding", "typiclust", "farthest_first", \
"random", "margin", "entropy"}, default="maxherding"
        The rule while labels are few, as in
        :class:`~skactiveml_badge.TypiClustThenBadge`.
    warm_start_per_class : int or "auto", default="auto"
        Labels per class (of ``clf.classes_``, or of the labels seen when
        the classifier declares none) from which GradientUHerding takes
        over. ``"auto"``: 5 for tree ensembles and nets (torch nets and
        scikit-learn MLPs), 20 for any other model.
    warm_start_labels : int, default=0
        Labels from which GradientUHerding takes over, if more than
        ``warm_start_per_class`` times the classes.
    warm_start_until : {"labels", "stable"}, default="labels"
        What ends the warm start: the count above, or (``"stable"``) the
        model's predictions, as in
        :class:`~skactiveml_badge.TypiClustThenBadge`.
    stable_share : float in (0, 1], default=0.95
        As in :class:`~skactiveml_badge.TypiClustThenBadge`.
    temperature, n_reference
        As in :class:`~skactiveml_badge.GradientUHerding`.
    embedding_layer, include_bias, dl_batch_size, backend, leaf_dim, \
embedding_source, tree_embedding, mc_dropout
        As in :class:`~skactiveml_badge.GradientUHerding`.

    Attributes
    ----------
    picked_by_ : str
        The rule of the last batch: the warm-start rule or
        ``"uherding"``.
    predictions_, agreement_, switched_
        ``warm_start_until="stable"``: as in
        :class:`~skactiveml_badge.TypiClustThenBadge`.

    Notes
    -----
    A MaxHerding row ``k`` holds every candidate's gain in kernel
    coverage at pick ``k``; other warm-start rules' rows are those of
    :class:`~skactiveml_badge.TypiClustThenBadge`, and past the switch
    they are GradientUHerding's. Pools on disk and on Dask are refused,
    as by GradientUHerding.

    MaxHerding holds three n x n float64 matrices of the n candidates
    (9.6 GB at 20,000), GradientUHerding ``24 * n_reference * n``
    bytes. A query whose warm start or herding would need more than this
    machine's physical memory is refused with a ``ValueError`` before
    the model is fitted; pass fewer candidates, for example through
    :class:`~skactiveml.pool.SubSamplingWrapper`.

    While the warm start picks, one candidate is still embedded as
    GradientUHerding will embed it, so that a setting the model cannot
    serve raises at the first query, not at the switch.

    References
    ----------
    .. [1] W. Bae, J. Noh and D. J. Sutherland, "Generalized Coverage for
       More Robust Low-Budget Active Learning", ECCV 2024.
    .. [2] W. Bae, G. L. Oliveira and D. J. Sutherland, "Uncertainty
       Herding: One Active Learning Method for All Label Budgets", ICLR
       2025.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactiveml.classifier import SklearnClassifier
    >>> from skactiveml.utils import MISSING_LABEL
    >>> from skactiveml_badge import MaxHerdingThenUHerding
    >>> X, y_true = load_iris(return_X_y=True)
    >>> y = np.full(len(y_true), MISSING_LABEL)
    >>> y[[0, 50, 100]] = y_true[[0, 50, 100]]
    >>> clf = SklearnClassifier(LogisticRegression(), classes=[0, 1, 2])
    >>> qs = MaxHerdingThenUHerding(random_state=0)
    >>> idx = qs.query(X, y, clf, batch_size=3)
    >>> qs.picked_by_  # 3 labels: fewer than 20 per class
    'maxherding'
    """

    __init__ = stored_init(
        SKACTIVEML_PARAMS,
        **switch_params("maxherding"),
        **keyword_params(GradientUHerding),
    )

    _after_switch = "uherding"

    _parameter_constraints = (
        GradientUHerding._parameter_constraints
        | WarmStartSwitch._switch_constraints
    )
