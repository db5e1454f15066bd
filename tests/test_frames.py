"""Data frames with categorical and text columns (issue 27, item 3): the
model gets the frame (its native categorical support), the leaves come
from the model, the features of X are the numeric columns next to one-hot
categories; Badge, the recipe and Bait take such a frame through ``query``
(with :class:`FrameClassifier`) and ``select_batch``; every other strategy
refuses it before any work."""

import warnings

import numpy as np
import pytest
from skactiveml.classifier import SklearnClassifier
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skactiveml_badge import (
    Badge,
    Bait,
    ClusterMargin,
    ExpectedGradientLength,
    FrameClassifier,
    GradientUHerding,
    MaxHerdingThenUHerding,
    PowerSampling,
    TypiClustThenBadge,
    UntrainedModelWarning,
)
from skactiveml_badge._frames import MAX_CATEGORIES, frame_features, is_frame
from skactiveml_badge.embeddings import gradient_factors
from skactiveml_badge.embeddings._trees import leaf_indices

from ._reference import explicit_embeddings, paper_rows

pd = pytest.importorskip("pandas")
lightgbm = pytest.importorskip("lightgbm")
xgboost = pytest.importorskip("xgboost")
catboost = pytest.importorskip("catboost")

N, N_LAB = 240, 40


def _frame(seed=0, n=N):
    """Two numeric columns, a boolean, a categorical (with a category no
    row has, and missing values) and a text column; the label depends on
    the categories."""
    rng = np.random.default_rng(seed)
    colour = rng.choice(["red", "green", "blue"], n).astype(object)
    colour[rng.random(n) < 0.05] = None
    X = pd.DataFrame(
        {
            "size": rng.normal(size=n),
            "weight": rng.gamma(2.0, size=n),
            "fresh": rng.random(n) < 0.5,
            "colour": pd.Categorical(
                colour, categories=["blue", "green", "red", "violet"]
            ),
            "shop": rng.choice(["north", "south"], n),
        }
    )
    y = ((X["colour"] == "red") ^ (X["size"] > 0.5)).astype(int).to_numpy()
    return X, y


def _models():
    """Each library with its own categorical support switched on."""
    return {
        "lightgbm": lightgbm.LGBMClassifier(
            n_estimators=8,
            num_leaves=6,
            min_child_samples=3,
            verbose=-1,
            random_state=0,
        ),  # fmt: skip
        "xgboost": xgboost.XGBClassifier(
            n_estimators=6,
            max_depth=3,
            enable_categorical=True,
            tree_method="hist",
            random_state=0,
        ),  # fmt: skip
        "catboost": catboost.CatBoostClassifier(
            iterations=6,
            depth=3,
            random_seed=0,
            thread_count=1,
            verbose=False,
            allow_writing_files=False,
            cat_features=("colour", "shop"),
        ),  # fmt: skip
        "hist_gradient_boosting": HistGradientBoostingClassifier(
            max_iter=5, max_leaf_nodes=6, random_state=0
        ),
    }


def _for(name, X):
    """The frame a model takes: LightGBM, XGBoost and scikit-learn's
    boosting need the text column as a category; CatBoost takes text."""
    if name == "catboost":  # it takes no missing category: a category
        colour = X["colour"].cat.add_categories("none").fillna("none")
        return X.assign(colour=colour)
    return X.assign(shop=X["shop"].astype("category"))


def _native_leaves(name, model, X):
    """Leaf indices from each library's own API, on the frame."""
    if name == "lightgbm":
        return model.booster_.predict(X, pred_leaf=True)
    if name == "xgboost":
        return model.apply(X)
    if name == "catboost":
        return model.calc_leaf_indexes(X)
    return leaf_indices(model, X)  # checked against _raw_predict elsewhere


def _uses_categories(name, model):
    """Whether the fitted model treats the categorical columns as such."""
    if name == "lightgbm":
        return model.booster_.pandas_categorical is not None
    if name == "xgboost":
        return "c" in model.get_booster().feature_types
    if name == "catboost":
        return len(model.get_cat_feature_indices()) == 2
    return bool(model.is_categorical_.any())


def _brute_features(X):
    """The numeric columns as they are, each categorical or text column
    one-hot (a missing value: zeros), built column by column."""
    cols = []
    for name in X.columns:
        col = X[name]
        if name in ("size", "weight", "fresh"):
            cols.append(col.to_numpy(dtype=float)[:, None])
            continue
        cats = (
            list(col.cat.categories)
            if isinstance(col.dtype, pd.CategoricalDtype)
            else sorted(set(col))
        )
        cols.append(
            np.array([[float(v == c) for c in cats] for v in col], dtype=float)
        )
    return np.hstack(cols)


def _proximity(leaves):
    """One column per (tree, leaf), 1 / sqrt(n_trees) where a row lands."""
    leaves = np.asarray(leaves).reshape(len(leaves), -1)
    blocks = [
        (leaves[:, [t]] == np.unique(leaves[:, t])[None, :]).astype(float)
        for t in range(leaves.shape[1])
    ]
    return np.hstack(blocks) / np.sqrt(leaves.shape[1])


def _labels(y):
    y_q = np.full(len(y), -1)
    y_q[:N_LAB] = y[:N_LAB]
    return y_q


def test_frame_features_one_hot_against_brute_force():
    X, _ = _frame()
    assert is_frame(X) and not is_frame(X[["size", "fresh"]])
    got = frame_features(X)
    np.testing.assert_array_equal(got, _brute_features(X))
    # "violet" (no row) is a column of zeros; a missing colour all zeros
    colour = got[:, 3:7]
    assert (colour[:, 3] == 0).all()
    np.testing.assert_array_equal(colour.sum(1), X["colour"].notna())
    # A column with too many categories has no sensible distance: left out
    wide = X.assign(id=[f"row{i}" for i in range(len(X))])
    assert len(X) > MAX_CATEGORIES
    with pytest.warns(UserWarning, match=r"\['id'\] have more than"):
        np.testing.assert_array_equal(frame_features(wide), got)


@pytest.mark.parametrize("tree_embedding", ["proximity", "proximity+X"])
@pytest.mark.parametrize("name", list(_models()))
def test_badge_on_a_frame_is_badge_on_the_models_leaves(name, tree_embedding):
    X, y = _frame()
    X = _for(name, X)
    before = X.copy()
    y_q = _labels(y)
    qs = Badge(
        missing_label=-1, random_state=0, origin_as_centre=False,
        dtype=np.float64, leaf_dim=None, tree_embedding=tree_embedding,
    )  # fmt: skip
    clf = FrameClassifier(_models()[name], classes=[0, 1], missing_label=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback, no conversion
        idx, util = qs.query(X, y_q, clf, batch_size=5, return_utilities=True)
    pd.testing.assert_frame_equal(X, before)
    fitted = clf.fit(X, y_q)
    model = fitted.estimator_
    assert fitted.is_fitted_ and _uses_categories(name, model)
    X_cand = X.iloc[N_LAB:]
    h = _proximity(_native_leaves(name, model, X_cand))
    if tree_embedding == "proximity+X":
        F = _brute_features(X_cand)
        F = F / np.sqrt((F.astype(np.float32) ** 2).sum(1).mean())
        h = np.hstack([h, F])
    proba = model.predict_proba(X_cand)
    delta = proba.copy()
    delta[np.arange(len(delta)), proba.argmax(1)] -= 1.0
    G = explicit_embeddings(delta, h)
    np.testing.assert_allclose(
        util[:, N_LAB:], paper_rows(G, idx - N_LAB), atol=1e-6
    )
    # The bare model in select_batch: the same batch
    bare = _models()[name].fit(X.iloc[:N_LAB], y[:N_LAB])
    got = qs.select_batch(bare, X_cand, X.iloc[:N_LAB], y[:N_LAB], 5)
    np.testing.assert_array_equal(got, idx - N_LAB)


@pytest.mark.parametrize(
    "qs",
    [
        TypiClustThenBadge(missing_label=-1, random_state=0),
        TypiClustThenBadge(
            missing_label=-1, random_state=0, warm_start_rule="maxherding"
        ),
        TypiClustThenBadge(
            missing_label=-1, random_state=0, warm_start_per_class=0
        ),
        Bait(missing_label=-1, random_state=0),
    ],
    ids=["recipe-typiclust", "recipe-maxherding", "recipe-badge", "bait"],
)
def test_recipe_and_bait_on_a_frame(qs):
    X, y = _frame()
    X = _for("lightgbm", X)
    y_q = _labels(y)
    clf = FrameClassifier(
        _models()["lightgbm"], classes=[0, 1], missing_label=-1
    )
    idx, util = qs.query(X, y_q, clf, batch_size=6, return_utilities=True)
    assert len(set(idx.tolist())) == 6 and (idx >= N_LAB).all()
    assert np.isnan(util[:, :N_LAB]).all() and util.shape == (6, N)
    assert np.isfinite(util[0, N_LAB:]).all()
    # index candidates, and the bare model in select_batch: the same
    cand = np.arange(N_LAB, N, 2)
    idx_c = qs.query(X, y_q, clf, candidates=cand, batch_size=3)
    assert np.isin(idx_c, cand).all()
    bare = _models()["lightgbm"].fit(X.iloc[:N_LAB], y[:N_LAB])
    got = qs.select_batch(bare, X.iloc[N_LAB:], X.iloc[:N_LAB], y[:N_LAB], 6)
    np.testing.assert_array_equal(got, idx - N_LAB)


def test_recipe_warm_start_clusters_the_encoded_frame():
    """TypiClust on the frame picks what it picks on the brute-force
    features of the same rows."""
    X, y = _frame()
    X = _for("lightgbm", X)
    y_q = np.full(N, -1)
    y_q[:4] = y[:4]  # too few labels for BADGE
    qs = TypiClustThenBadge(missing_label=-1, random_state=3)
    clf = FrameClassifier(
        _models()["lightgbm"], classes=[0, 1], missing_label=-1
    )
    idx = qs.query(X, y_q, clf, batch_size=4)
    assert qs.picked_by_ == "typiclust"
    F = _brute_features(X)
    clf_num = SklearnClassifier(
        _models()["lightgbm"], classes=[0, 1], missing_label=-1
    )
    np.testing.assert_array_equal(qs.query(F, y_q, clf_num, batch_size=4), idx)


def test_a_tree_model_in_a_pipeline_is_found():
    X, y = _frame()
    X = _for("lightgbm", X)
    bare = _models()["lightgbm"].fit(X.iloc[:N_LAB], y[:N_LAB])
    piped = make_pipeline(FunctionTransformer(), _models()["lightgbm"])
    piped.fit(X.iloc[:N_LAB], y[:N_LAB])
    for a, b in zip(
        gradient_factors(bare, X, leaf_dim=None),
        gradient_factors(piped, X, leaf_dim=None),
        strict=True,
    ):
        a = a.toarray() if hasattr(a, "toarray") else a
        b = b.toarray() if hasattr(b, "toarray") else b
        np.testing.assert_allclose(a, b)


@pytest.mark.parametrize(
    "qs",
    [
        GradientUHerding(missing_label=-1),
        MaxHerdingThenUHerding(missing_label=-1),
        ClusterMargin(missing_label=-1),
        PowerSampling(missing_label=-1),
        ExpectedGradientLength(missing_label=-1),
    ],
    ids=lambda q: type(q).__name__,
)
def test_other_strategies_refuse_a_frame_before_fitting(qs):
    X, y = _frame()

    class NoFit(FrameClassifier):
        def fit(self, *args, **kwargs):
            raise AssertionError("fitted before the check")

    clf = NoFit(_models()["lightgbm"], classes=[0, 1], missing_label=-1)
    with pytest.raises(TypeError, match="categorical or text columns"):
        qs.query(X, _labels(y), clf, batch_size=2)


def test_bad_frames_are_refused_clearly():
    X, y = _frame()
    X = _for("catboost", X)
    y_q = _labels(y)
    clf = FrameClassifier(
        _models()["catboost"], classes=[0, 1], missing_label=-1
    )
    qs = Badge(missing_label=-1)
    bad = X.copy()
    bad.loc[3, "size"] = np.nan
    with pytest.raises(ValueError, match=r"numeric columns \['size'\]"):
        qs.query(bad, y_q, clf)
    with pytest.raises(ValueError, match="indices into X"):
        qs.query(X, y_q, clf, candidates=X.iloc[N_LAB:])
    with pytest.raises(ValueError, match="one label per row|inconsistent"):
        qs.query(X, y_q[:-1], clf)
    model = _models()["catboost"].fit(X.iloc[:N_LAB], y[:N_LAB])
    with pytest.raises(ValueError, match="must be a data frame like"):
        qs.select_batch(
            model, X.iloc[N_LAB:], X.iloc[:N_LAB].to_numpy(), y[:N_LAB]
        )
    other = X.iloc[:N_LAB].assign(
        shop=X["shop"].iloc[:N_LAB].astype("category")
    )
    with pytest.raises(ValueError, match="same columns and dtypes"):
        qs.select_batch(model, X.iloc[N_LAB:], other, y[:N_LAB])


def test_frame_classifier_is_sklearn_classifier_on_arrays():
    X, y = _frame()
    F = frame_features(X)
    y_q = _labels(y).astype(float)
    y_q[y_q < 0] = np.nan
    ours = FrameClassifier(_models()["lightgbm"], classes=[0, 1]).fit(F, y_q)
    theirs = SklearnClassifier(_models()["lightgbm"], classes=[0, 1]).fit(
        F, y_q
    )
    np.testing.assert_array_equal(
        ours.predict_proba(F), theirs.predict_proba(F)
    )
    np.testing.assert_array_equal(ours.predict(F), theirs.predict(F))
    assert ours.frame_dtypes_ is None


def test_frame_classifier_on_frames():
    X, y = _frame()
    X = _for("lightgbm", X)
    y_q = np.where(np.arange(N) < N_LAB, y, np.nan)
    clf = FrameClassifier(_models()["lightgbm"], classes=[0, 1]).fit(X, y_q)
    model = _models()["lightgbm"].fit(X.iloc[:N_LAB], y[:N_LAB])
    np.testing.assert_allclose(clf.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(clf.predict(X), model.predict(X))
    with pytest.raises(ValueError, match="same columns and dtypes"):
        clf.predict_proba(X.drop(columns="shop").assign(shop=1.0))
    with pytest.raises(ValueError, match="fitted on an array"):
        FrameClassifier(
            _models()["lightgbm"], classes=[0, 1]
        ).fit(frame_features(X), y_q).predict(X)  # fmt: skip
    # A class the trees never saw: its column is zero
    three = FrameClassifier(_models()["lightgbm"], classes=[0, 1, 2]).fit(
        X, y_q
    )
    P = three.predict_proba(X)
    assert P.shape == (N, 3) and (P[:, 2] == 0).all()
    # No labels: label frequencies (uniform), with scikit-activeml's warning
    with pytest.warns(UserWarning, match="could not be fitted"):
        empty = FrameClassifier(_models()["lightgbm"], classes=[0, 1]).fit(
            X, np.full(N, np.nan)
        )
    with pytest.warns(UserWarning, match="label distribution"):
        np.testing.assert_allclose(empty.predict_proba(X), 0.5)


def test_unfitted_trees_fall_back_to_the_encoded_frame():
    X, y = _frame()
    X = _for("lightgbm", X)
    y_q = _labels(y)
    clf = FrameClassifier(  # a LightGBM that cannot be fitted
        lightgbm.LGBMClassifier(objective="no-such-objective", verbose=-1),
        classes=[0, 1], missing_label=-1,
    )  # fmt: skip
    qs = Badge(missing_label=-1, random_state=0)
    with pytest.warns(UntrainedModelWarning, match="falls back to the raw"):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The 'base_estimator'")
            warnings.filterwarnings("ignore", message="The estimator could")
            idx = qs.query(X, y_q, clf, batch_size=3)
    assert len(set(idx.tolist())) == 3 and (idx >= N_LAB).all()


def test_a_pipeline_is_embedded_by_its_last_steps_input():
    """StandardScaler then LogisticRegression: the last linear layer sees
    the scaled X, so BADGE's h is the scaled X (scikit-activeml's
    choice, ``embedding_source="classifier"``: X itself)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    X, y = _frame()
    X_num = X[["size", "weight"]].to_numpy() * [1.0, 50.0]
    y_q = _labels(y)
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    clf = SklearnClassifier(pipe, classes=[0, 1], missing_label=-1)
    fitted = clf.fit(X_num, y_q)
    X_cand = X_num[N_LAB:]
    proba = fitted.predict_proba(X_cand)
    delta = proba.copy()
    delta[np.arange(len(delta)), proba.argmax(1)] -= 1.0
    scaled = fitted.estimator_[0].transform(X_cand)
    for source, h in (("auto", scaled), ("classifier", X_cand)):
        qs = Badge(
            missing_label=-1, random_state=0, origin_as_centre=False,
            dtype=np.float64, embedding_source=source,
        )  # fmt: skip
        idx, util = qs.query(X_num, y_q, clf, batch_size=4,
                             return_utilities=True)  # fmt: skip
        G = explicit_embeddings(delta, h)
        np.testing.assert_allclose(
            util[:, N_LAB:], paper_rows(G, idx - N_LAB), atol=1e-9,
            err_msg=source,
        )  # fmt: skip
    # A sparse transform (one-hot) stays sparse
    cats = X[["colour", "shop"]].astype(str).to_numpy()
    onehot = make_pipeline(OneHotEncoder(), LogisticRegression())
    onehot.fit(cats[:N_LAB], y[:N_LAB])
    _, _, h = gradient_factors(onehot, cats[N_LAB:])
    assert h.format == "csr"
    np.testing.assert_array_equal(
        h.toarray(), onehot[0].transform(cats[N_LAB:]).toarray()
    )
