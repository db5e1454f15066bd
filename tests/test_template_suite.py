"""scikit-activeml's template suite for every pool strategy of the package.

scikit-activeml checks every pool strategy with the mixins
``TemplatePoolQueryStrategy`` and ``TemplateSingleAnnotatorPoolQueryStrategy``
of ``skactiveml/tests/template_query_strategy.py`` (not shipped in its
wheel). This module runs the same checks, on the same data (four samples,
two labeled, a logistic regression), for every configuration in
``CONFIGS``: Badge with its default rule and the paper's, both selection
rules, TypiClustThenBadge (the study's recipe: TypiClust on this data),
Bait, and, with their default parameters, PowerSampling, ClusterMargin,
ExpectedGradientLength and ActiveLearningByLearning. Each test names the
template check it ports. MultilabelBadge takes a 2-D ``y`` and has its
own adaptation (``test_template_multilabel.py``).

Differences from the template, each a decision tested here:

- The checks of parameters the strategies do not have
  (``utility_weight``, ``reg``/``fit_reg``) are left out, as the template
  leaves them out for strategies without them;
  ``test_param_test_availability`` checks that no strategy has one.
- ``check_positional_args`` (the template's ``setUp``) is a test:
  ``test_default_params_cover_required_args``.
- The template asks for a ``test_init_param_<name>`` per constructor
  parameter in the test class; here each strategy's own module has a
  conformance class (``tests/_conformance.py``) with a
  ``test_param_<name>`` for each, and
  ``test_init_params_tested_in_the_strategy_module`` checks that it
  exists. The template's ``test_query`` (expected outputs) is likewise
  in each strategy's module (brute-force comparisons there).
- Models are compared before and after a query by their pickled state,
  not by the template's ``_cmp_object_dict`` (which compares only some
  attributes).
- ``test_query_candidate_variation``: the template accepts a
  ``MappingError`` for candidates given as samples from any strategy;
  here exactly the strategies in ``NEEDS_INDEX_CANDIDATES``
  (ActiveLearningByLearning, whose bandit state refers to samples of
  ``X``) must raise it, and all others must give the same utilities.
- ``test_init_param_clf_embedding_flag_name`` (from scikit-activeml's
  Badge test, not the template) runs on the strategies that have the
  parameter.

Added to the template: ``test_utilities_are_finite`` (every utility is
finite where the contract does not put NaN, and NaN exactly there, on the
template's data and on a larger pool).
"""

import importlib
import inspect
import pickle
import warnings

import numpy as np
import pytest
from skactiveml.classifier import ParzenWindowClassifier, SklearnClassifier
from skactiveml.exceptions import MappingError
from skactiveml.utils import (
    MISSING_LABEL,
    is_labeled,
    is_unlabeled,
    unlabeled_indices,
)
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.svm import SVC

from skactiveml_badge import (
    ActiveLearningByLearning,
    Badge,
    Bait,
    ClusterMargin,
    ExpectedGradientLength,
    GradientUHerding,
    MaxHerdingThenUHerding,
    PowerSampling,
    TypiClustThenBadge,
)

# The template's cases without labels, with one class or with labels the
# estimator refuses: scikit-activeml's wrapper says it predicts label
# frequencies, as it should.
pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'base_estimator' could not"),
    pytest.mark.filterwarnings("ignore:Since the 'base_estimator' could"),
]

CONFIGS = {
    "badge-kmeans++": (Badge, {}),
    "badge-kmeans++-paper": (Badge, {"origin_as_centre": False}),
    "badge-farthest_first": (Badge, {"selection": "farthest_first"}),
    "badge-farthest_first-paper": (
        Badge,
        {"selection": "farthest_first", "origin_as_centre": False},
    ),
    "typiclust-then-badge": (TypiClustThenBadge, {}),
    "typiclust-then-badge-farthest_first": (
        TypiClustThenBadge,
        {"selection": "farthest_first"},
    ),
    "bait": (Bait, {}),
    "power_sampling": (PowerSampling, {}),
    "cluster_margin": (ClusterMargin, {}),
    "expected_gradient_length": (ExpectedGradientLength, {}),
    "albl": (ActiveLearningByLearning, {}),
    "gradient_uherding": (GradientUHerding, {}),
    "maxherding_then_uherding": (MaxHerdingThenUHerding, {}),
}

# Strategies that refuse candidates given as samples (MappingError).
NEEDS_INDEX_CANDIDATES = (ActiveLearningByLearning,)

# The module with each strategy's conformance test class.
STRATEGY_TEST_MODULES = {
    Badge: "test_badge",
    Bait: "test_bait",
    PowerSampling: "test_baselines",
    ClusterMargin: "test_baselines",
    ExpectedGradientLength: "test_baselines",
    ActiveLearningByLearning: "test_albl",
    TypiClustThenBadge: "test_recipe",
    GradientUHerding: "test_uherding",
    MaxHerdingThenUHerding: "test_maxherding_then_uherding",
}


class Dummy:
    """A value of no accepted type (the template's ``Dummy``)."""


class ParzenWithEmbeddings(ParzenWindowClassifier):
    """Parzen window classifier whose ``predict_proba`` can also return
    ``X`` as the embedding (the template's
    ``ParzenWindowClassifierEmbedding``)."""

    def predict_proba(self, X, return_embeddings=False):
        proba = super().predict_proba(X)
        return (proba, np.asarray(X)) if return_embeddings else proba


class Suite:
    """One strategy configuration and the template's default query."""

    def __init__(self, qs_class, params):
        self.qs_class = qs_class
        self.init_params = {
            "random_state": 42,
            "missing_label": MISSING_LABEL,
        } | params

    def make(self, **params):
        return self.qs_class(**(self.init_params | params))

    @staticmethod
    def query_params(**change):
        X = np.array([[1, 2], [5, 8], [8, 4], [5, 4]])
        y = np.array([0, 1, MISSING_LABEL, MISSING_LABEL])
        clf = SklearnClassifier(
            LogisticRegression(random_state=0), classes=[0, 1], random_state=0
        )
        return {"X": X, "y": y, "clf": clf} | change

    def check(self, cases, init=None, query=None, param=None, kind="query"):
        """The template's ``_test_param``: each ``(value, error)`` of
        ``cases`` replaces ``param`` in the init or query arguments."""
        for value, err in cases:
            init_params = dict(init or {})
            query_params = self.query_params(**(query or {}))
            target = init_params if kind == "init" else query_params
            target[param] = value
            qs = self.make(**init_params)
            if err is None:
                qs.query(**query_params)
            else:
                with pytest.raises(err):
                    qs.query(**query_params)


@pytest.fixture(params=list(CONFIGS), ids=list(CONFIGS))
def suite(request):
    return Suite(*CONFIGS[request.param])


EMBEDDING_CONFIGS = [
    name
    for name, (qs_class, _) in CONFIGS.items()
    if "clf_embedding_flag_name" in inspect.signature(qs_class).parameters
]


@pytest.fixture(params=EMBEDDING_CONFIGS, ids=EMBEDDING_CONFIGS)
def embedding_suite(request):
    """The configurations whose strategy has ``clf_embedding_flag_name``."""
    return Suite(*CONFIGS[request.param])


def _state(model):
    """Everything a model holds, to compare before and after a query."""
    return pickle.dumps(model)


# -- TemplateQueryStrategy


def test_init_param_random_state(suite):
    cases = [(np.nan, ValueError), ("state", ValueError), (1, None)]
    suite.check(cases, param="random_state", kind="init")


@pytest.mark.parametrize("fit_clf", [False, True])
def test_query_param_fit_clf(suite, fit_clf):
    cases = [(np.nan, TypeError), ("state", TypeError)]
    suite.check(cases, param="fit_clf")
    params = suite.query_params(fit_clf=fit_clf)
    if not fit_clf:
        params["clf"].fit(params["X"], params["y"])
    before = _state(params["clf"])
    suite.make().query(**params)
    assert _state(params["clf"]) == before


# scikit-activeml's Badge test passes SVC(probability=True), which
# scikit-learn 1.9 deprecates (a FutureWarning at fit; removed in 1.11).
# The case stays, as scikit-activeml has it, while scikit-learn accepts it;
# only its deprecation warning is silenced.
@pytest.mark.filterwarnings(
    "ignore:The `probability` parameter was deprecated:FutureWarning"
)
def test_query_param_clf(suite):
    cases = [
        (np.nan, TypeError),
        ("state", TypeError),
        (Dummy(), TypeError),
        (GaussianNB(), TypeError),
        # The cases of scikit-activeml's Badge test (but one, below).
        (SVC(), TypeError),
        (SklearnClassifier(SVC(probability=True)), None),
        (SklearnClassifier(LogisticRegression(), classes=[0, 1]), None),
    ]
    suite.check(cases, param="clf")
    params = suite.query_params()
    before = _state(params["clf"])
    suite.make().query(**params)
    assert _state(params["clf"]) == before


def test_query_param_clf_without_predict_proba(suite):
    """The last case of scikit-activeml's Badge test of ``clf``."""
    cases = [(SklearnClassifier(SVC()), AttributeError)]
    suite.check(cases, param="clf")


def test_init_param_test_assignments(suite):
    for name in inspect.signature(suite.qs_class.__init__).parameters:
        if name == "self":
            continue
        value = Dummy()
        qs = suite.make(**{name: value})
        assert getattr(qs, name) is value, name


def test_param_test_availability(suite):
    """Every query parameter has a check here; the constructor parameters
    have theirs in the strategy's own module (``test_param_<name>``,
    enforced by the conformance mixin)."""
    names = inspect.signature(suite.qs_class.query).parameters
    missing = [
        name
        for name in names
        if name != "self" and f"test_query_param_{name}" not in globals()
    ]
    assert not missing


def test_init_param_clf_embedding_flag_name(embedding_suite):
    """scikit-activeml's Badge test: the flag must be None or a str."""
    suite = embedding_suite
    params = dict(clf=ParzenWithEmbeddings(classes=[0, 1], random_state=42))
    cases = [
        (1, TypeError),
        (None, None),
        (False, TypeError),
        (True, TypeError),
        ("return_embeddings", None),
    ]
    suite.check(
        cases, query=params, param="clf_embedding_flag_name", kind="init"
    )


# -- TemplatePoolQueryStrategy


def test_init_param_missing_label(suite):
    cases = [(MISSING_LABEL, None), (Dummy, TypeError)]
    suite.check(cases, param="missing_label", kind="init")


def test_query_param_X(suite):
    X = suite.query_params()["X"]
    cases = [
        ("string", (ValueError, TypeError)),
        (Dummy, (ValueError, TypeError)),
        (X, None),
        (np.vstack([X, X]), ValueError),
    ]
    suite.check(cases, param="X")


def test_query_param_y(suite):
    y = suite.query_params()["y"]
    cases = [
        (np.nan, TypeError),
        (Dummy, TypeError),
        (y, None),
        (np.vstack([y, y]), ValueError),
    ]
    suite.check(cases, param="y")


@pytest.mark.parametrize(
    "missing_label, classes, dtype",
    [
        (np.nan, [1.0, 2.0], float),
        (0, [1, 2], int),
        (None, [1, 2], object),
        (None, ["A", "B"], object),
        ("", ["A", "B"], str),
    ],
)
def test_query_param_y_missing_label_kinds(
    suite, missing_label, classes, dtype
):
    clf = clone(suite.query_params()["clf"])
    clf.missing_label = missing_label
    clf.classes = classes
    y = np.full(4, missing_label, dtype=dtype)
    y[:2] = classes
    suite.check(
        [(y, None)],
        init={"missing_label": missing_label},
        query={"clf": clf},
        param="y",
    )


def test_query_param_candidates(suite):
    first = unlabeled_indices(suite.query_params()["y"])[0]
    cases = [(np.nan, ValueError), (Dummy, TypeError), ([first], None)]
    suite.check(cases, param="candidates")


def test_query_param_sample_weight(suite):
    n = len(suite.query_params()["y"])
    cases = [
        (np.nan, (ValueError, TypeError)),
        (Dummy, (ValueError, TypeError)),
        (None, None),
        (np.ones(n), None),
        (np.ones(n + 1), ValueError),
    ]
    suite.check(cases, param="sample_weight")


def test_query_param_batch_size(suite):
    cases = [(0, ValueError), (1.2, TypeError), (1, None)]
    suite.check(cases, param="batch_size")


def test_query_param_return_utilities(suite):
    cases = [("string", TypeError), (Dummy, TypeError), (True, None)]
    suite.check(cases, param="return_utilities")


def test_query_reproducibility(suite):
    """One strategy with one RandomState object gives the same result
    twice."""
    qs = suite.make(random_state=np.random.RandomState(0))
    params = suite.query_params(return_utilities=True)
    id1, u1 = qs.query(**params)
    id2, u2 = qs.query(**params)
    assert len(u1[0]) == len(params["X"])
    np.testing.assert_array_equal(id1, id2)
    np.testing.assert_allclose(u1, u2)


# -- TemplateSingleAnnotatorPoolQueryStrategy


def test_query_al_cycles(suite):
    """A query with no labels, one label and all but one label."""
    params = suite.query_params()
    y0 = params["y"]
    y_true = y0.copy()
    y_true[is_unlabeled(y0)] = y0[is_labeled(y0)][0]
    qs = suite.make()
    for n_labels in [0, 1, int(is_unlabeled(y0).sum()) - 1]:
        y = np.full(y_true.shape, MISSING_LABEL)
        y[:n_labels] = y_true[:n_labels]
        idx = qs.query(**(params | {"y": y}))
        assert is_unlabeled(y[idx]).all()
        y[idx] = y_true[idx]


def test_query_batch_variation(suite):
    params = suite.query_params(return_utilities=True)
    y = params["y"]
    n_unlabeled = int(is_unlabeled(y).sum())
    batch_size = min(5, n_unlabeled)
    assert batch_size > 1
    qs = suite.make()
    idx, util = qs.query(**params, batch_size=batch_size)
    assert len(idx) == batch_size and len(util) == batch_size
    assert len(util[0]) == len(params["X"])
    # The first row is NaN exactly at the labeled samples.
    assert np.isnan(util[0]).sum() == is_labeled(y).sum()
    with pytest.warns(Warning):
        qs.query(**params, batch_size=n_unlabeled + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idx, _ = qs.query(**params, batch_size=n_unlabeled + 1)
    assert len(idx) == n_unlabeled


def test_query_candidate_variation(suite):
    """None, the unlabeled indices and the unlabeled samples as candidates
    give the same utilities; a single candidate gives NaN elsewhere."""
    qs = suite.make()
    params = suite.query_params(return_utilities=True)
    unlabeled = unlabeled_indices(params["y"])
    _, u_none = qs.query(**params, candidates=None)
    _, u_idx = qs.query(**params, candidates=unlabeled)
    np.testing.assert_allclose(u_none, u_idx)
    _, u_one = qs.query(**params, candidates=unlabeled[:1])
    expected = np.full_like(u_none, np.nan)
    expected[0, unlabeled[:1]] = u_one[0, unlabeled[:1]]
    np.testing.assert_allclose(u_one, expected)
    samples = params["X"][unlabeled]
    if issubclass(suite.qs_class, NEEDS_INDEX_CANDIDATES):
        with pytest.raises(MappingError):
            qs.query(**params, candidates=samples)
        return
    _, u_samples = qs.query(**params, candidates=samples)
    np.testing.assert_allclose(u_none[0][unlabeled], u_samples[0])


# -- The template's setUp and test availability, for every strategy


def test_default_params_cover_required_args(suite):
    """The template's ``check_positional_args``: the default init and
    query arguments give every parameter without a default."""
    for func, given in [
        (suite.qs_class.__init__, suite.init_params),
        (suite.qs_class.query, suite.query_params()),
    ]:
        for name, param in inspect.signature(func).parameters.items():
            if name == "self" or param.kind == param.VAR_KEYWORD:
                continue
            assert param.default is not param.empty or name in given, name


def test_init_params_tested_in_the_strategy_module(suite):
    """The template's ``test_init_param_<name>`` availability: the
    strategy's own test module has conformance classes for it, one of
    which has a ``test_param_<name>`` for each constructor parameter."""
    from ._conformance import QueryStrategyContract

    name = STRATEGY_TEST_MODULES.get(suite.qs_class)
    assert name, (
        f"add {suite.qs_class.__name__}'s test module to STRATEGY_TEST_MODULES"
    )
    module = importlib.import_module(f"{__package__}.{name}")
    contracts = [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, QueryStrategyContract)
        and obj.strategy_class is suite.qs_class
    ]
    assert contracts, f"no conformance class for {suite.qs_class.__name__}"
    for name in inspect.signature(suite.qs_class.__init__).parameters:
        if name != "self":
            test = f"test_param_{name}"
            assert any(hasattr(c, test) for c in contracts), test


# -- Added: finite utilities


def _blobs_pool():
    """60 samples of 3 classes, the first 6 labeled."""
    X, y_true = make_blobs(60, centers=3, random_state=0)
    y = np.full(len(X), MISSING_LABEL)
    y[:6] = y_true[:6]
    clf = SklearnClassifier(
        LogisticRegression(), classes=[0, 1, 2], random_state=0
    )
    return {"X": X, "y": y, "clf": clf}


def _finite_cases():
    """``(name, query arguments)``: the template's data (two, one and no
    labels) and the blobs with every kind of candidates."""
    template = Suite.query_params()
    no_labels = np.full(len(template["y"]), MISSING_LABEL)
    blobs = _blobs_pool()
    return [
        ("template", template | {"batch_size": 2}),
        ("template, batch 1", template | {"batch_size": 1}),
        ("template, no labels", template | {"y": no_labels, "batch_size": 2}),
        ("blobs", blobs | {"batch_size": 5}),
        (
            "blobs, index candidates",
            blobs | {"candidates": np.arange(10, 40), "batch_size": 5},
        ),
        (
            "blobs, sample candidates",
            blobs | {"candidates": blobs["X"][10:40] + 0.1, "batch_size": 5},
        ),
    ]


def _contract_nan(params, idx):
    """Where the contract puts NaN: labeled samples and non-candidates
    (every row), and the earlier picks."""
    cand = params.get("candidates")
    if cand is not None and np.ndim(cand) == 2:
        off = np.zeros(len(cand), dtype=bool)
    else:
        off = is_labeled(params["y"])
        if cand is not None:
            off |= ~np.isin(np.arange(len(off)), cand)
    expected = np.tile(off, (len(idx), 1))
    for k in range(1, len(idx)):
        expected[k:, idx[k - 1]] = True
    return expected


def _assert_finite_utilities(qs, params, idx, util):
    assert not np.isinf(util).any(), "infinite utilities"
    expected = _contract_nan(params, idx)
    nan = np.isnan(util)
    assert nan[expected].all(), "a finite utility where NaN is due"
    assert not nan[np.arange(len(idx)), idx].any(), "a pick of NaN utility"
    assert not (nan & ~expected).any(), "NaN where the contract puts none"


@pytest.mark.parametrize("config", list(CONFIGS))
def test_utilities_are_finite(config):
    """No inf, no -inf, and NaN only where the contract puts it (labeled
    samples, non-candidates, earlier picks), on the template's data and on
    60 blobs with
    each kind of candidates. Strategies that need index candidates raise
    ``MappingError`` for samples instead."""
    suite = Suite(*CONFIGS[config])
    for case, params in _finite_cases():
        qs = suite.make()
        sample_candidates = np.ndim(params.get("candidates")) == 2
        if sample_candidates and issubclass(
            suite.qs_class, NEEDS_INDEX_CANDIDATES
        ):
            with pytest.raises(MappingError):
                qs.query(**params, return_utilities=True)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unfitted models, warm starts
            idx, util = qs.query(**params, return_utilities=True)
        try:
            _assert_finite_utilities(qs, params, idx, util)
        except AssertionError as err:
            raise AssertionError(f"{case}: {err}") from err
