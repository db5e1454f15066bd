"""scikit-activeml's template checks for stream strategies, on VeSSAL.

scikit-activeml checks every stream strategy with the mixins
``TemplateQueryStrategy`` and ``TemplateSingleAnnotatorStreamQueryStrategy``
of ``skactiveml/tests/template_query_strategy.py`` (not shipped in its
wheel). This module runs the same checks on :class:`VeSSAL` with the
template's data and conventions: a Parzen window classifier fitted on four
samples (two labelled), one candidate ``[[1, 2]]``, ``random_state=42``,
and the ``make_blobs`` stream of ``test_query``. Each test names the
template check it ports; the checks of regression models and budget
managers are left out (VeSSAL has neither).

Where VeSSAL differs from the template, by decision, and the test that
asserts what it does instead:

1. An ``update`` without a classifier on samples the last ``query`` did
   not see (the template updates before the first query) counts them for
   the budget only: the volume cannot learn samples it has no embeddings
   of, and they are not embedded later by another model. It warns
   (``UserWarning``). So ``test_update_before_query`` finds the same
   counts, rate and random stream as the strategy updated after each
   query, but not the same utilities: those of an empty volume with
   these counts (checked against an explicit computation).
2. ``test_query``: the template's four initial labels are counted against
   the budget, 0.1 of the 20 samples, so the rate stays 0 for the whole
   stream: every utility (a labelling probability) is 0 and nothing is
   queried. ``test_query_without_initial_labels`` runs the same stream
   with no initial label, whose probabilities are checked against an
   explicit covariance.
3. ``update`` checks ``candidates`` as ``query`` does (the template's
   ``query`` check expects this ValueError): a value that is no array of
   samples (``Dummy``) is a ValueError, not the template's TypeError
   (what ``len()`` raises in scikit-activeml's strategies, which never
   look at the candidates), and a sample without features (``[[]]``) is
   rejected rather than accepted (``test_update_param_candidates``).
4. Bad ``queried_indices`` raise an error that is an ``IndexError`` (as
   the template expects) and a ``ValueError`` (as this package raises for
   bad values), checked before ``candidates``
   (``test_update_param_queried_indices``).
5. The template's cases that ``update`` accepts only call ``query``; here
   they call ``update`` (with ``[[0]]`` as candidates, see 3).
6. ``query`` checks ``X``, ``y`` and ``sample_weight`` whenever they are
   given, also with ``fit_clf=False`` where they are not used: shapes,
   their numbers of samples, ``X`` of the candidates' sample shape, ``y``
   of a kind that holds ``clf.missing_label``. The template asks this
   only for a few values (``test_query_param_X``, ``_y``,
   ``_sample_weight`` add cases).
"""

import inspect
import pickle
from copy import deepcopy

import numpy as np
import pytest
from skactiveml.classifier import ParzenWindowClassifier, SklearnClassifier
from skactiveml.utils import MISSING_LABEL
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.svm import SVC

from skactiveml_badge import VeSSAL
from skactiveml_badge.selection._volume import HORIZON_LABELS

LAMB = 0.01  # VeSSAL's default ridge
BUDGET = 0.1  # VeSSAL's default budget


class Dummy:
    """A value of no accepted type (the template's ``Dummy``)."""


class ParzenWithEmbeddings(ParzenWindowClassifier):
    """Parzen window classifier whose ``predict_proba`` can also return
    ``X`` as the embedding."""

    def predict_proba(self, X, return_embeddings=False):
        proba = super().predict_proba(X)
        return (proba, np.asarray(X)) if return_embeddings else proba


def init_params(**change):
    return {"random_state": 42} | change


def query_params(**change):
    """The template's default query of a stream strategy: a fitted Parzen
    window classifier, one candidate."""
    X = np.array([[1, 2], [5, 8], [8, 4], [5, 4]])
    y = np.array([0, 1, MISSING_LABEL, MISSING_LABEL])
    clf = ParzenWindowClassifier(random_state=0, classes=[0, 1]).fit(X, y)
    params = {"candidates": np.array([[1, 2]]), "X": X, "y": y, "clf": clf}
    return params | change


def update_params(**change):
    """The template's arguments of ``update`` (no classifier)."""
    return {"candidates": [[]], "queried_indices": []} | change


def check(cases, param, kind="query", init=None, query=None):
    """The template's ``_test_param``: each ``(value, error)`` replaces
    ``param`` of ``__init__`` (kind "init") or ``query``; ``error=None``
    means the query runs."""
    for value, err in cases:
        i_params, q_params = init_params(**(init or {})), query_params()
        q_params |= query or {}
        (i_params if kind == "init" else q_params)[param] = value
        qs = VeSSAL(**i_params)
        if err is None:
            qs.query(**q_params)
        else:
            with pytest.raises(err):
                qs.query(**q_params)


def check_update(cases, param):
    """``update`` with the template's arguments (no classifier, no query
    before), ``param`` replaced; an accepted value is run with ``[[0]]``
    as candidates (difference 5) and counted for the budget only."""
    for value, err in cases:
        qs = VeSSAL(**init_params())
        if err is not None:
            with pytest.raises(err):
                qs.update(**update_params(**{param: value}))
            continue
        params = update_params(candidates=[[0.0]]) | {param: value}
        with pytest.warns(UserWarning, match="budget only"):
            qs.update(**params)
        n = len(params["candidates"])
        assert qs.observed_samples_ == qs.budget_only_samples_ == n
        assert qs.queried_samples_ == len(params["queried_indices"])


def snapshot(model):
    """Everything a model holds, to compare before and after a query."""
    return pickle.dumps(model)


def factors(clf, X):
    """VeSSAL's gradient factors of a classifier embedding ``X`` itself
    (``delta = p - onehot(argmax p)``, ``h = x``)."""
    proba = clf.predict_proba(X)
    delta = proba.copy()
    delta[np.arange(len(X)), proba.argmax(1)] -= 1.0
    return delta, np.asarray(X, dtype=float)


def explicit_probabilities(delta, h, draws, t0, q0, budget=BUDGET):
    """Labelling probabilities and labels of arrivals with gradient
    embeddings ``delta_i (x) h_i``, formed explicitly, after ``t0``
    arrivals with ``q0`` labels counted for the budget only (an empty
    volume, an empty window); arrival ``i`` is labelled when
    ``draws[i] < p_i``."""
    G = np.einsum("ic,id->icd", delta, h).reshape(len(h), -1)
    A = LAMB * np.eye(G.shape[1])
    proba, taken, q = np.empty(len(G)), np.zeros(len(G), bool), q0
    for i in range(len(G)):
        t = t0 + i
        A_inv = np.linalg.inv(A)
        window = G[: i + 1]
        mean = np.trace(window.T @ window @ A_inv) / len(window)
        lev = G[i] @ A_inv @ G[i]
        horizon = min(t + 1, HORIZON_LABELS / budget)
        rate = np.clip(budget + (budget * t - q) / horizon, 0, 1)
        proba[i] = min(1.0, rate * lev / mean) if mean > 0 else rate
        if draws[i] < proba[i]:
            taken[i] = True
            A += np.outer(G[i], G[i])
            q += 1
    return proba, taken


# -- TemplateQueryStrategy


def test_default_params_hold_the_positional_arguments():
    """The template's ``setUp`` (``check_positional_args``)."""
    for func, params in [
        (VeSSAL.__init__, init_params()),
        (VeSSAL.query, query_params()),
        (VeSSAL.update, update_params()),
    ]:
        for name, p in inspect.signature(func).parameters.items():
            if name != "self" and p.default is inspect.Parameter.empty:
                assert name in params, name


def test_init_param_random_state():
    cases = [(np.nan, ValueError), ("state", ValueError), (1, None)]
    check(cases, "random_state", kind="init")


@pytest.mark.parametrize("fit_clf", [False, True])
def test_query_param_fit_clf(fit_clf):
    check([(np.nan, TypeError), ("state", TypeError)], "fit_clf")
    params = query_params(fit_clf=fit_clf)
    if not fit_clf:
        params["clf"].fit(params["X"], params["y"])
    before = snapshot(params["clf"])
    VeSSAL(**init_params()).query(**params)
    assert snapshot(params["clf"]) == before


def test_query_param_clf():
    """The stream template fits the classifier (``fit_clf=True``)."""
    cases = [
        (np.nan, TypeError),
        ("state", TypeError),
        (Dummy(), TypeError),
        (GaussianNB(), TypeError),
        # The cases of scikit-activeml's own stream strategies' tests.
        (SklearnClassifier(SVC()), AttributeError),
        (SklearnClassifier(GaussianNB()), None),
        (SklearnClassifier(LogisticRegression(), classes=[0, 1]), None),
        (ParzenWindowClassifier(classes=[0, 1]), None),
    ]
    check(cases, "clf", query={"fit_clf": True})
    for fit_clf in (True, False):
        params = query_params(fit_clf=fit_clf)
        before = snapshot(params["clf"])
        VeSSAL(**init_params()).query(**params)
        assert snapshot(params["clf"]) == before, fit_clf


def test_init_param_test_assignments():
    for name in inspect.signature(VeSSAL.__init__).parameters:
        if name == "self":
            continue
        value = Dummy()
        qs = VeSSAL(**init_params(**{name: value}))
        assert getattr(qs, name) is value, name


def test_param_test_availability():
    """A ``test_<method>_param_<name>`` for every parameter of
    ``__init__``, ``query`` and ``update``, and tests of ``query`` and
    ``update``."""
    for method, func in [
        ("init", VeSSAL.__init__),
        ("query", VeSSAL.query),
        ("update", VeSSAL.update),
    ]:
        for name in inspect.signature(func).parameters:
            if name != "self":
                assert f"test_{method}_param_{name}" in globals(), name
    assert "test_query" in globals()
    assert "test_update_before_query" in globals()


# -- TemplateSingleAnnotatorStreamQueryStrategy: __init__


def test_init_param_budget():
    cases = [
        (None, None),
        (0.5, None),
        (Dummy, TypeError),
        (0.0, ValueError),
        (1.1, ValueError),
        ("0.0", TypeError),
        (1, TypeError),  # a float is asked for, as the template does
        (1.0, None),
    ]
    check(cases, "budget", kind="init")


def test_init_param_lamb():
    cases = [
        (0, ValueError),
        (-1.0, ValueError),
        (np.inf, ValueError),
        ("a", TypeError),
        (True, TypeError),
        (1, None),
        (0.5, None),
    ]
    check(cases, "lamb", kind="init")


def test_init_param_window():
    cases = [
        (0, ValueError),
        (2.5, TypeError),
        ("a", TypeError),
        (None, None),
        (1, None),
    ]
    check(cases, "window", kind="init")


def test_init_param_clf_embedding_flag_name():
    clf = ParzenWithEmbeddings(classes=[0, 1], random_state=0)
    cases = [
        (1, TypeError),
        (True, TypeError),
        (None, None),
        ("return_embeddings", None),
    ]
    check(
        cases,
        "clf_embedding_flag_name",
        kind="init",
        query={"clf": clf, "fit_clf": True},
    )


def test_init_param_embedding_layer():
    cases = [(3, TypeError), (None, None)]
    check(cases, "embedding_layer", kind="init")


def test_init_param_include_bias():
    cases = [(1, TypeError), ("yes", TypeError), (True, None), (False, None)]
    check(cases, "include_bias", kind="init")


def test_init_param_dl_batch_size():
    cases = [(0, ValueError), ("a", TypeError), (1.5, TypeError), (8, None)]
    check(cases, "dl_batch_size", kind="init")


def test_init_param_leaf_dim():
    cases = [(0, ValueError), ("a", TypeError), (None, None), (16, None)]
    check(cases, "leaf_dim", kind="init")


def test_init_param_embedding_source():
    cases = [
        ("z", ValueError),
        (None, ValueError),
        ("auto", None),
        ("classifier", None),
        ("X", None),
    ]
    check(cases, "embedding_source", kind="init")


# -- query


def test_query_param_candidates():
    first = query_params()["candidates"][0]
    cases = [
        (np.nan, ValueError),
        (Dummy, ValueError),
        ([first], None),
        # Not in the template:
        (np.zeros((1, 3)), ValueError),  # not the sample shape of X
        (np.array([[np.nan, 1.0]]), ValueError),
        (np.zeros((0, 2)), ValueError),
    ]
    check(cases, "candidates")
    with pytest.raises(ValueError, match="`candidates`"):
        check([(Dummy, None)], "candidates")


def test_query_param_X():
    X = query_params()["X"]
    cases = [
        ("string", (ValueError, TypeError)),
        (Dummy, (ValueError, TypeError)),
    ]
    check(cases, "X")
    cases += [(X, None), (np.vstack([X, X]), ValueError)]
    check(cases, "X", query={"fit_clf": True})
    # Difference 6: X is checked without fit_clf too (the template's
    # string gave an AttributeError from deep inside before).
    cases = [
        ("string", ValueError),
        (np.vstack([X, X]), ValueError),  # y has 4 samples
        (X[:, :1], ValueError),  # not the candidates' sample shape
        (X, None),
    ]
    check(cases, "X")
    with pytest.raises(ValueError, match="`X` and `y`"):
        check([(np.vstack([X, X]), None)], "X")
    check([(X, None)], "X", query={"y": None})  # X alone is fine


def test_query_param_y():
    y = query_params()["y"]
    check([(np.nan, TypeError), (Dummy, TypeError)], "y")
    check([(y, None), (np.vstack([y, y]), ValueError)], "y")
    # Difference 6: more cases without fit_clf.
    cases = [
        (y[:3], ValueError),
        (np.array(["a", "b", "", ""]), TypeError),  # cannot hold np.nan
        (None, None),
    ]
    check(cases, "y")
    with pytest.raises(TypeError, match="'y'"):
        check([(np.array(["a", "b", "", ""]), None)], "y")
    with pytest.raises(ValueError, match="fit_clf"):
        check([(None, None)], "y", query={"fit_clf": True})


@pytest.mark.parametrize(
    "missing_label, classes, dtype, wrong_kind",
    [
        (np.nan, [1.0, 2.0], float, np.full(4, "x")),
        (0, [1, 2], int, np.full(4, "x")),
        (None, [1, 2], object, None),
        (None, ["A", "B"], object, None),
        ("", ["A", "B"], str, np.zeros(4)),
    ],
)
def test_query_param_y_missing_label_kinds(
    missing_label, classes, dtype, wrong_kind
):
    """The template's missing-label kinds, with the classifier fitted;
    without fitting, ``y`` of a kind that cannot hold the classifier's
    missing label is a TypeError (difference 6)."""
    clf = clone(query_params()["clf"])
    clf.missing_label = missing_label
    clf.classes = classes
    y = np.full_like(query_params()["y"], missing_label, dtype=dtype)
    y[0], y[1] = classes
    check([(y, None)], "y", query={"clf": clf, "fit_clf": True})
    check([(y, None)], "y", query={"clf": clf.fit(y=y, X=query_params()["X"])})
    if wrong_kind is not None:
        check([(wrong_kind, TypeError)], "y", query={"clf": clf})


def test_query_param_sample_weight():
    n = len(query_params()["y"])
    cases = [
        (np.nan, (ValueError, TypeError)),
        (Dummy, (ValueError, TypeError)),
        (None, None),
    ]
    check(cases, "sample_weight")
    cases = [(np.ones(n), None), (np.ones(n + 1), ValueError)]
    check(cases, "sample_weight", query={"fit_clf": True})
    # Difference 6: also without fit_clf.
    cases = [
        (np.ones(n + 1), ValueError),
        (-np.ones(n), ValueError),
        (np.ones(n), None),
    ]
    check(cases, "sample_weight")
    check(
        [(np.ones(3), None), (np.ones((3, 1)), ValueError)],
        "sample_weight",
        query={"X": None, "y": None},
    )


def test_query_param_return_utilities():
    cases = [("string", TypeError), (Dummy, TypeError), (True, None)]
    check(cases, "return_utilities")


def test_query_reproducibility():
    """One strategy with one RandomState object gives the same result
    twice (``query`` does not change the state)."""
    qs = VeSSAL(**init_params(random_state=np.random.RandomState(0)))
    params = query_params(return_utilities=True)
    id1, u1 = qs.query(**params)
    id2, u2 = qs.query(**params)
    assert len(u1) == len(params["candidates"])
    np.testing.assert_array_equal(id1, id2)
    np.testing.assert_allclose(u1, u2)


def template_stream():
    """The data of the template's ``test_query``."""
    X_all, centers = make_blobs(
        n_samples=20, centers=3, random_state=np.random.RandomState(0)
    )
    y_all = centers % 2
    return X_all[:4], y_all[:4], X_all[4:]


def run_template_query(queried_indices):
    """The template's ``test_query``: two strategies updated with the
    first four samples before any query, one queried once, the other
    three times; returns both results and the strategy."""
    X, y, candidates = template_stream()
    params = query_params(
        X=X, y=y, fit_clf=True, candidates=candidates, return_utilities=True
    )
    strategies = [
        VeSSAL(**init_params(random_state=np.random.RandomState(0)))
        for _ in range(2)
    ]
    for qs in strategies:
        with pytest.warns(UserWarning, match="budget only"):
            qs.update(X, queried_indices)
    first = strategies[0].query(**params)
    for _ in range(3):
        second = strategies[1].query(**params)
    return first, second, strategies[0]


def test_query():
    """Difference 2: the four initial labels are counted against the
    budget (0.1 of 20 samples), so the rate, and with it every labelling
    probability, is 0 over the whole stream."""
    (out, util), (out2, util2), qs = run_template_query(np.arange(4))
    expected_output, expected_utilities = [], np.zeros(16)
    np.testing.assert_almost_equal(util, expected_utilities)
    np.testing.assert_almost_equal(util2, util)
    assert isinstance(out, np.ndarray)
    assert len(out) == len(expected_output) == len(out2)
    assert qs.observed_samples_ == qs.queried_samples_ == 4


def test_query_without_initial_labels():
    """The template's stream with the first four samples counted but not
    labelled: the probabilities of the explicit covariance."""
    (out, util), (out2, util2), _ = run_template_query([])
    expected_output = [5]
    expected_utilities = [
        0.18,
        0.0036801,
        0.0,
        0.6588839,
        0.8258304,
        1.0,
        0.692466,
        0.0360924,
        0.0547871,
        0.0056031,
        0.0021453,
        2e-07,
        0.0001908,
        2e-07,
        0.0004185,
        0.0005241,
    ]
    np.testing.assert_almost_equal(util, expected_utilities)
    np.testing.assert_array_equal(out, expected_output)
    np.testing.assert_array_equal(out2, out)
    np.testing.assert_almost_equal(util2, util)
    # The same numbers from the explicit (C D) x (C D) covariance.
    X, y, candidates = template_stream()
    clf = clone(query_params()["clf"]).fit(X, y)
    rng = np.random.RandomState(0)
    rng.random_sample(4)  # the update of the first four samples
    proba, taken = explicit_probabilities(
        *factors(clf, candidates), rng.random_sample(16), t0=4, q0=0
    )
    np.testing.assert_allclose(util, proba, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(out, np.flatnonzero(taken))


def test_update_before_query():
    """Difference 1. The template queries and updates one sample at a time
    (refitting the classifier each time) and compares with a strategy
    updated once with all six samples, without a classifier. The counts,
    the rate and the random stream agree; the second strategy's volume has
    learned nothing, so its utilities are those of an empty volume."""
    X = [[0, 0], [0, 1], [1, 0], [1, 1], [0.75, 0.75], [0.5, 0.5]]
    y_true = [0, 0, 1, 1, 1, 0]
    qs, qs2 = (
        VeSSAL(**init_params(random_state=np.random.RandomState(0)))
        for _ in range(2)
    )
    params = query_params(return_utilities=True)
    outputs, utilities = [], []
    for i, x in enumerate(X):
        if i > 0:
            params |= {"X": X[:i], "y": y_true[:i], "fit_clf": True}
        params["candidates"] = np.reshape(x, (1, -1))
        out, util = qs.query(**params)
        qs.update(params["candidates"], out, {"utilities": util})
        outputs.extend(out)  # positions in one-sample candidates, as the
        utilities.extend(util)  # template collects them
    assert len(outputs) == 1  # the fourth sample was labelled
    with pytest.warns(UserWarning, match="budget only"):
        qs2.update(np.array(X), outputs, {"utilities": np.array(utilities)})
    params["candidates"] = X
    _, expected_utilities = qs.query(**params)
    _, util = qs2.query(**params)

    assert qs.observed_samples_ == qs2.observed_samples_ == 6
    assert qs.queried_samples_ == qs2.queried_samples_ == 1
    assert (qs.budget_only_samples_, qs2.budget_only_samples_) == (0, 6)
    state, state2 = qs.random_state_.get_state(), qs2.random_state_.get_state()
    np.testing.assert_array_equal(state[1], state2[1])
    assert state[2] == state2[2]
    # What the template asserts does not hold for a volume ...
    assert not np.allclose(util, expected_utilities)
    # ... which qs2 starts only now, with the counts of six arrivals.
    clf = clone(params["clf"]).fit(params["X"], params["y"])
    draws = deepcopy(qs2.random_state_).random_sample(6)
    proba, _ = explicit_probabilities(
        *factors(clf, np.array(X, dtype=float)), draws, t0=6, q0=1
    )
    np.testing.assert_allclose(util, proba, rtol=1e-9, atol=1e-12)


# -- update


def test_update_param_candidates():
    """Differences 3 and 5."""
    cases = [
        (Dummy, ValueError),  # the template: TypeError
        ([[]], ValueError),  # the template: accepted (never called)
        ([[0]], None),
        (np.zeros((3, 2)), None),
        ([[np.nan]], ValueError),
    ]
    check_update(cases, "candidates")
    with pytest.raises(ValueError, match="`candidates`"):
        VeSSAL().update(Dummy, [])


def test_update_param_queried_indices():
    """Difference 4: the template's IndexError, also a ValueError."""
    cases = [
        ("string", IndexError),
        (Dummy, IndexError),
        ([], None),
        ([0], None),
        ("string", ValueError),
        ([[0]], IndexError),
        ([0.5], IndexError),
        ([True], IndexError),
    ]
    check_update(cases, "queried_indices")
    for bad in ([1], [-1]):  # out of range of one candidate
        with pytest.raises(IndexError, match="queried_indices"):
            VeSSAL().update([[0.0]], bad)
        with pytest.raises(ValueError, match="queried_indices"):
            VeSSAL().update([[0.0]], bad)


def test_update_param_budget_manager_param_dict():
    """Accepted for scikit-activeml's interface and unused."""
    for value in (None, {}, {"utilities": [0.3]}):
        qs = VeSSAL(**init_params())
        with pytest.warns(UserWarning, match="budget only"):
            qs.update([[0.0]], [0], budget_manager_param_dict=value)
        assert qs.queried_samples_ == 1
    with pytest.raises(TypeError, match="budget_manager_param_dict"):
        VeSSAL().update([[0.0]], [0], budget_manager_param_dict="a")


def test_update_param_clf():
    """A classifier lets ``update`` embed samples no query saw: they join
    the volume. Without one they count for the budget only."""
    params = query_params()
    candidates = params["X"][:3].astype(float)
    qs = VeSSAL(**init_params())
    qs.update(candidates, [1], clf=params["clf"])
    assert qs.budget_only_samples_ == 0 and qs.queried_samples_ == 1
    np.testing.assert_array_equal(qs.labeled_h_, candidates[[1]])
    np.testing.assert_allclose(
        qs.labeled_delta_, factors(params["clf"], candidates[[1]])[0]
    )
    qs = VeSSAL(**init_params())
    with pytest.warns(UserWarning, match="pass `clf`"):
        qs.update(candidates, [1], clf=None)
    assert qs.budget_only_samples_ == 3 and qs.labeled_h_.shape[0] == 0
    for bad, err in [
        (np.nan, TypeError),
        (GaussianNB(), TypeError),
        (ParzenWindowClassifier(classes=[0, 1]), NotFittedError),
    ]:
        with pytest.raises(err):
            VeSSAL().update(candidates, [1], clf=bad)
