"""scikit-activeml's pool template checks, adapted to MultilabelBadge.

MultilabelBadge takes a label indicator matrix ``y`` of shape
``(n_samples, n_labels)`` (entries 0, 1 or ``missing_label``) and a bare
multi-label model, so the 1-D suite (``test_template_suite.py``) cannot
run it. This module ports the checks of scikit-activeml's
``TemplatePoolQueryStrategy`` and ``TemplateSingleAnnotatorPoolQueryStrategy``
(``skactiveml/tests/template_query_strategy.py``) to a 2-D ``y``, on the
template's four samples, the first two rows labeled, with an
``MLPClassifier`` (the model MultilabelBadge embeds without a flag), for
both selection rules. Each test names the check it ports. A row counts as
labeled when all its entries are known, as MultilabelBadge defines it;
where the template counts labeled samples, these are the labeled rows.

Template checks that do not apply, and what stands in for them:

- ``test_query_param_utility_weight``, ``test_query_param_reg`` and
  ``test_query_param_fit_reg``: MultilabelBadge has no such parameters
  (``test_param_test_availability`` checks that).
- ``test_query_param_clf``'s generic case ``(GaussianNB(), TypeError)``:
  the template refuses a bare scikit-learn model because its strategies
  want a scikit-activeml classifier. MultilabelBadge wants the bare model
  and refuses scikit-activeml's wrappers (their ``y`` is 1-D) with a
  ``TypeError`` instead; GaussianNB, a bare model that cannot learn a 2-D
  ``y``, is refused by its own ``fit`` (scikit-learn's ``ValueError``).
  Both are cases here.
- ``test_query_param_y``'s cases of ``missing_label`` with ``classes``
  ``[1, 2]`` and ``["A", "B"]``: the entries of an indicator matrix are 0
  and 1, whatever the dtype, so the kinds of ``missing_label`` (NaN in
  float, an int, None in object, ``""`` in str) are checked with entries 0
  and 1; ``0`` cannot mark a missing entry (the template's int case uses
  it) and ``-1`` does instead. There is no ``classes`` to set.
- ``np.vstack([y, y])`` for ``y``: with a 2-D ``y`` it stacks rows and is
  refused as inconsistent with ``X``, as the template expects; a 1-D ``y``
  is added as a case (refused: one label is Badge's job).

Added to the template, as in the 1-D suite: ``test_utilities_are_finite``
(no inf, no -inf, NaN only at labeled rows, non-candidates and earlier
picks), on the template's data, with a partly labeled row, and on 60
samples of three labels with each kind of candidates.
"""

import inspect
import pickle
import warnings

import numpy as np
import pytest
from skactiveml.classifier import SklearnClassifier
from skactiveml.utils import MISSING_LABEL, is_labeled
from sklearn.datasets import make_multilabel_classification
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neural_network import MLPClassifier

from skactiveml_badge import MultilabelBadge

from . import test_template_suite as template

# The template's checks that read the same on a 2-D ``y``: collected here
# with this module's ``suite`` fixture.
from .test_template_suite import (  # noqa: F401
    test_init_param_missing_label,
    test_init_param_random_state,
    test_query_param_batch_size,
    test_query_param_return_utilities,
    test_query_param_X,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)

CONFIGS = {
    "kmeans++": {},
    "farthest_first": {"selection": "farthest_first"},
}


class Dummy:
    """A value of no accepted type (the template's ``Dummy``)."""


class MLPWithEmbeddings(MLPClassifier):
    """An MLP whose ``predict_proba`` can also return ``X`` as the
    embedding (the template's ``ParzenWindowClassifierEmbedding``, for a
    2-D ``y``)."""

    def predict_proba(self, X, return_embeddings=False):
        proba = super().predict_proba(X)
        return (proba, np.asarray(X)) if return_embeddings else proba


def _mlp():
    return MLPClassifier((4,), max_iter=50, random_state=0)


class Suite(template.Suite):
    """MultilabelBadge with one configuration and the template's default
    query, with a 2-D ``y`` (the template's ``check`` as it is)."""

    def __init__(self, params):
        super().__init__(MultilabelBadge, params)

    @staticmethod
    def query_params(**change):
        X = np.array([[1, 2], [5, 8], [8, 4], [5, 4]])
        y = np.array([[0, 1], [1, 0], [np.nan, np.nan], [np.nan, np.nan]])
        return {"X": X, "y": y, "clf": _mlp()} | change


@pytest.fixture(params=list(CONFIGS), ids=list(CONFIGS))
def suite(request):
    return Suite(CONFIGS[request.param])


def _state(model):
    return pickle.dumps(model)


def _unlabeled_rows(y):
    """Rows that are not labeled (not every entry known)."""
    return np.flatnonzero(~is_labeled(y).all(axis=1))


# -- TemplateQueryStrategy


@pytest.mark.parametrize("fit_clf", [False, True])
def test_query_param_fit_clf(suite, fit_clf):
    cases = [(np.nan, TypeError), ("state", TypeError)]
    suite.check(cases, param="fit_clf")
    params = suite.query_params(fit_clf=fit_clf)
    if not fit_clf:
        labeled = is_labeled(params["y"]).all(axis=1)
        params["clf"].fit(
            params["X"][labeled], params["y"][labeled].astype(int)
        )
    before = _state(params["clf"])
    suite.make().query(**params)
    assert _state(params["clf"]) == before


def test_query_param_clf(suite):
    cases = [
        (np.nan, TypeError),
        ("state", TypeError),
        (Dummy(), TypeError),
        # Adapted (see the module's docstring): scikit-activeml's
        # wrappers take a 1-D y; GaussianNB has no multi-label embedding
        # (refused before it is fitted).
        (SklearnClassifier(LogisticRegression()), TypeError),
        (GaussianNB(), TypeError),
        (_mlp(), None),
    ]
    suite.check(cases, param="clf")
    params = suite.query_params()
    before = _state(params["clf"])
    suite.make().query(**params)
    assert _state(params["clf"]) == before


def test_init_param_test_assignments(suite):
    for name in inspect.signature(MultilabelBadge.__init__).parameters:
        if name == "self":
            continue
        value = Dummy()
        qs = suite.make(**{name: value})
        assert getattr(qs, name) is value, name


def test_param_test_availability():
    """Every parameter of ``__init__`` and ``query`` has its check here
    (the template's ``check_test_param_test_availability``)."""
    missing = [
        f"test_{kind}_param_{name}"
        for kind, func in [
            ("init", MultilabelBadge.__init__),
            ("query", MultilabelBadge.query),
        ]
        for name in inspect.signature(func).parameters
        if name != "self" and f"test_{kind}_param_{name}" not in globals()
    ]
    assert not missing


def test_default_params_cover_required_args(suite):
    """The template's ``check_positional_args``."""
    for func, given in [
        (MultilabelBadge.__init__, suite.init_params),
        (MultilabelBadge.query, suite.query_params()),
    ]:
        for name, param in inspect.signature(func).parameters.items():
            if name != "self" and param.default is param.empty:
                assert name in given, name


def test_init_param_clf_embedding_flag_name(suite):
    """scikit-activeml's Badge test: the flag must be None or a str."""
    params = dict(clf=MLPWithEmbeddings((4,), max_iter=50, random_state=0))
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


# -- The other constructor parameters (the template's per-parameter
# checks, ``_test_param`` cases)


def test_init_param_selection(suite):
    cases = [
        ("kmeans++", None),
        ("farthest_first", None),
        ("kcenter", ValueError),
        (1, ValueError),
    ]
    suite.check(cases, param="selection", kind="init")


def test_init_param_origin_as_centre(suite):
    cases = [(True, None), (False, None), ("yes", TypeError), (1, TypeError)]
    suite.check(cases, param="origin_as_centre", kind="init")


def test_init_param_dtype(suite):
    cases = [
        (np.float32, None),
        (np.float64, None),
        (int, ValueError),
        ("x", TypeError),
    ]
    suite.check(cases, param="dtype", kind="init")


def test_init_param_algorithm(suite):
    cases = [("auto", None), ("plain", None), ("lazy", None)]
    cases += [("fast", ValueError)]
    suite.check(cases, param="algorithm", kind="init")


def test_init_param_backend(suite):
    cases = [("auto", None), ("numpy", None), ("cuda", ValueError)]
    suite.check(cases, param="backend", kind="init")


def test_init_param_embedding_layer(suite):
    # The MLP's last hidden layer is the only one: a name is not used.
    cases = [(None, None), ("out", None), (1, TypeError)]
    suite.check(cases, param="embedding_layer", kind="init")


def test_init_param_include_bias(suite):
    cases = [(True, None), (False, None), ("yes", TypeError)]
    suite.check(cases, param="include_bias", kind="init")


def test_init_param_dl_batch_size(suite):
    cases = [(1, None), (0, ValueError), (1.5, TypeError), ("x", TypeError)]
    suite.check(cases, param="dl_batch_size", kind="init")


# -- TemplatePoolQueryStrategy


def test_query_param_y(suite):
    y = suite.query_params()["y"]
    cases = [
        (np.nan, TypeError),
        (Dummy, TypeError),
        (y, None),
        (np.vstack([y, y]), ValueError),
        (y[:, 0], ValueError),  # added: one label is Badge's job
    ]
    suite.check(cases, param="y")


@pytest.mark.parametrize(
    "missing_label, dtype",
    [(np.nan, float), (-1, int), (None, object), ("", str)],
)
def test_query_param_y_missing_label_kinds(suite, missing_label, dtype):
    """The template's kinds of ``missing_label``, with entries 0 and 1."""
    y = np.full((4, 2), missing_label, dtype=dtype)
    y[:2] = np.array([[0, 1], [1, 0]]).astype(dtype)
    suite.check([(y, None)], init={"missing_label": missing_label}, param="y")


def test_query_param_candidates(suite):
    first = _unlabeled_rows(suite.query_params()["y"])[0]
    cases = [(np.nan, ValueError), (Dummy, TypeError), ([first], None)]
    suite.check(cases, param="candidates")


def test_query_reproducibility(suite):
    qs = suite.make(random_state=np.random.RandomState(0))
    params = suite.query_params(return_utilities=True)
    id1, u1 = qs.query(**params)
    id2, u2 = qs.query(**params)
    assert len(u1[0]) == len(params["X"])
    np.testing.assert_array_equal(id1, id2)
    np.testing.assert_allclose(u1, u2)


# -- TemplateSingleAnnotatorPoolQueryStrategy


def test_query_al_cycles(suite):
    """A query with no labeled row, one, and all but one unlabeled row."""
    params = suite.query_params()
    y0 = params["y"]
    unlabeled = _unlabeled_rows(y0)
    y_true = y0.copy()
    y_true[unlabeled] = y0[is_labeled(y0).all(axis=1)][0]
    qs = suite.make()
    for n_labels in [0, 1, len(unlabeled) - 1]:
        y = np.full(y_true.shape, MISSING_LABEL)
        y[:n_labels] = y_true[:n_labels]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the cold start's warning
            idx = qs.query(**(params | {"y": y}))
        assert not is_labeled(y[idx]).all(axis=1).any()
        y[idx] = y_true[idx]


def test_query_batch_variation(suite):
    params = suite.query_params(return_utilities=True)
    y = params["y"]
    n_unlabeled = len(_unlabeled_rows(y))
    batch_size = min(5, n_unlabeled)
    assert batch_size > 1
    qs = suite.make()
    idx, util = qs.query(**params, batch_size=batch_size)
    assert len(idx) == batch_size and len(util) == batch_size
    assert len(util[0]) == len(params["X"])
    n_labeled = len(y) - n_unlabeled
    assert np.isnan(util[0]).sum() == n_labeled
    with pytest.warns(Warning):
        qs.query(**params, batch_size=n_unlabeled + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idx, _ = qs.query(**params, batch_size=n_unlabeled + 1)
    assert len(idx) == n_unlabeled


def test_query_candidate_variation(suite):
    qs = suite.make()
    params = suite.query_params(return_utilities=True)
    unlabeled = _unlabeled_rows(params["y"])
    _, u_none = qs.query(**params, candidates=None)
    _, u_idx = qs.query(**params, candidates=unlabeled)
    np.testing.assert_allclose(u_none, u_idx)
    _, u_one = qs.query(**params, candidates=unlabeled[:1])
    expected = np.full_like(u_none, np.nan)
    expected[0, unlabeled[:1]] = u_one[0, unlabeled[:1]]
    np.testing.assert_allclose(u_one, expected)
    _, u_samples = qs.query(**params, candidates=params["X"][unlabeled])
    np.testing.assert_allclose(u_none[0][unlabeled], u_samples[0])


# -- Added: finite utilities


def _pool():
    """60 samples of three labels, the first six rows labeled."""
    X, Y = make_multilabel_classification(
        60, n_features=4, n_classes=3, random_state=0
    )
    y = np.full(Y.shape, MISSING_LABEL)
    y[:6] = Y[:6]
    clf = MLPClassifier((8,), max_iter=100, random_state=0)
    return {"X": X, "y": y, "clf": clf}


def _finite_cases():
    template = Suite.query_params()
    no_labels = np.full(template["y"].shape, MISSING_LABEL)
    partly = template["y"].copy()
    partly[2, 0] = 1  # a partly labeled row: a candidate
    pool = _pool()
    return [
        ("template", template | {"batch_size": 2}),
        ("template, batch 1", template | {"batch_size": 1}),
        ("template, no labels", template | {"y": no_labels, "batch_size": 2}),
        ("template, a partly labeled row", template | {"y": partly}),
        ("pool", pool | {"batch_size": 5}),
        (
            "pool, index candidates",
            pool | {"candidates": np.arange(10, 40), "batch_size": 5},
        ),
        (
            "pool, sample candidates",
            pool | {"candidates": pool["X"][10:40] + 0.1, "batch_size": 5},
        ),
    ]


def _contract_nan(params, idx):
    """NaN at labeled rows and non-candidates, and at earlier picks."""
    cand = params.get("candidates")
    if cand is not None and np.ndim(cand) == 2:
        off = np.zeros(len(cand), dtype=bool)
    else:
        off = is_labeled(params["y"]).all(axis=1)
        if cand is not None:
            off |= ~np.isin(np.arange(len(off)), cand)
    expected = np.tile(off, (len(idx), 1))
    for k in range(1, len(idx)):
        expected[k:, idx[k - 1]] = True
    return expected


def test_utilities_are_finite(suite):
    """No inf, no -inf, and NaN exactly where the contract puts it."""
    for case, params in _finite_cases():
        params = dict(params, batch_size=params.get("batch_size", 2))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # cold start, partly labeled
            idx, util = suite.make().query(**params, return_utilities=True)
        assert not np.isinf(util).any(), case
        np.testing.assert_array_equal(
            np.isnan(util), _contract_nan(params, idx), err_msg=case
        )


@pytest.mark.skipif(
    "sample_weight" not in inspect.signature(MLPClassifier.fit).parameters,
    reason="MLPClassifier.fit takes sample_weight from scikit-learn 1.7",
)
def test_query_param_sample_weight(suite):
    """The template's check; the MLP of this suite takes weights from
    scikit-learn 1.7 on (before, MultilabelBadge refuses them with a
    TypeError, ``test_multilabel_badge.py``)."""
    template.test_query_param_sample_weight(suite)
