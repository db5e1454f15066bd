"""Data frames with categorical columns: what keeping the frame costs.

A generated pool of ``--n`` rows (20,000): 6 numeric columns and 4
categorical ones (5, 12, 30 and 50 categories, 2 % missing), a label that
depends on both. LightGBM (``--trees`` trees, 100) fitted on ``--labeled``
rows (500), side by side in one run, median of ``--repeats`` (5):

- ``FrameClassifier`` on the frame (LightGBM's own categorical splits):
  ``Badge`` with the leaves (``"proximity"``) and with the leaves next to
  the encoded features (``"proximity+X"``: numeric columns and one-hot
  categories);
- scikit-activeml's ``SklearnClassifier`` on the same data as a numeric
  array (the categories' integer codes, which LightGBM splits as numbers):
  ``Badge`` with the same two embeddings;
- margin sampling on the frame (one ``predict_proba`` and a top-k), the
  cheapest query there is.

Every query gets the fitted classifier (``fit_clf=False``), so the times
are the embedding pass and the selection. The report also gives each
model's accuracy on ``--n`` held-out rows, and whether scikit-activeml's
own ``SklearnClassifier`` could fit LightGBM on the frame.
"""

import argparse
import time
import warnings

import numpy as np
from _common import (
    command_line,
    finish_report,
    log,
    machine_line,
    markdown_table,
    median_time,
    start_load_line,
    versions_line,
)

CARDINALITIES = (5, 12, 30, 50)


def make_frame(n, seed):
    """The generated pool and its labels (see the module's notes)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    num = rng.normal(size=(n, 6))
    cols = {f"x{i}": num[:, i] for i in range(6)}
    effect = np.zeros(n)
    for j, k in enumerate(CARDINALITIES):
        codes = rng.integers(0, k, n)
        weights = np.random.default_rng(100 + j).normal(size=k)
        effect += weights[codes]
        values = np.array([f"c{j}_{c}" for c in range(k)], dtype=object)[codes]
        values[rng.random(n) < 0.02] = None
        cols[f"cat{j}"] = pd.Categorical(
            values, categories=[f"c{j}_{c}" for c in range(k)]
        )
    score = effect + np.sin(2 * num[:, 0]) + num[:, 1] * num[:, 2]
    y = np.digitize(score, np.quantile(score, [0.33, 0.66]))
    return pd.DataFrame(cols), y


def as_codes(X):
    """The frame as a float array: the categories' integer codes, -1 for
    a missing value (scikit-activeml's wrapper refuses NaN in arrays)."""
    out = np.empty(X.shape, dtype=np.float64)
    for j, col in enumerate(X.columns):
        values = X[col]
        if hasattr(values, "cat"):
            out[:, j] = values.cat.codes.to_numpy()
        else:
            out[:, j] = values.to_numpy()
    return out


def margin_query(clf, X, y, batch):
    """The cheapest margin query: one ``predict_proba`` and a top-k."""
    proba = np.sort(clf.predict_proba(X), axis=1)
    margin = proba[:, -1] - proba[:, -2]
    margin[~np.isnan(y)] = np.inf
    return np.argpartition(margin, batch)[:batch]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--labeled", type=int, default=500)
    parser.add_argument("--trees", type=int, default=100)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", help="also write the markdown report here")
    args = parser.parse_args()
    from lightgbm import LGBMClassifier
    from skactiveml.classifier import SklearnClassifier

    from skactiveml_badge import Badge, FrameClassifier

    start_all = time.perf_counter()
    X, y_true = make_frame(args.n, 0)
    X_test, y_test = make_frame(args.n, 1)
    y = np.full(args.n, np.nan)
    y[: args.labeled] = y_true[: args.labeled]
    classes = [0, 1, 2]

    def model():
        return LGBMClassifier(
            n_estimators=args.trees, num_leaves=15, verbose=-1, random_state=0
        )

    frame_clf = FrameClassifier(model(), classes=classes).fit(X, y)
    codes, codes_test = as_codes(X), as_codes(X_test)
    codes_clf = SklearnClassifier(model(), classes=classes).fit(codes, y)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        try:
            fitted = SklearnClassifier(model(), classes=classes).fit(X, y)
            theirs = f"is_fitted_ = {fitted.is_fitted_}"
        except (TypeError, ValueError) as err:
            theirs = f"raises {type(err).__name__}: {err}"
    runs = [
        ("frame", "FrameClassifier", "Badge, proximity", frame_clf, X,
         "proximity"),
        ("frame", "FrameClassifier", "Badge, proximity+X", frame_clf, X,
         "proximity+X"),
        ("codes", "SklearnClassifier", "Badge, proximity", codes_clf, codes,
         "proximity"),
        ("codes", "SklearnClassifier", "Badge, proximity+X", codes_clf, codes,
         "proximity+X"),
        ("frame", "FrameClassifier", "margin (top-k)", frame_clf, X, None),
    ]  # fmt: skip
    rows, times = [], {}
    for data, _, name, clf, pool, emb in runs:
        if emb is None:

            def query(clf=clf, pool=pool):
                return margin_query(clf, pool, y, args.batch)
        else:
            qs = Badge(random_state=0, tree_embedding=emb)

            def query(qs=qs, clf=clf, pool=pool):
                return qs.query(pool, y, clf, fit_clf=False,
                                batch_size=args.batch)  # fmt: skip

        query()  # warm-up
        t = median_time(query, args.repeats)[0]
        times[(data, name)] = t
        log(f"{data} {name}: {t:.3f} s")
    margin = times[("frame", "margin (top-k)")]
    accuracy = {
        "frame": float((frame_clf.predict(X_test) == y_test).mean()),
        "codes": float((codes_clf.predict(codes_test) == y_test).mean()),
    }
    for data, wrapper, name, *_ in runs:
        t = times[(data, name)]
        rows.append(
            [data, wrapper, name, f"{t:.3f}", f"{t / margin:.2f}",
             f"{accuracy[data]:.3f}"]
        )  # fmt: skip
    header = [
        "# Data frames with categorical columns: LightGBM, Badge and margin",
        "",
        f"- pool: {args.n:,} rows, 6 numeric and 4 categorical columns "
        f"({', '.join(map(str, CARDINALITIES))} categories), 3 classes; "
        f"{args.labeled} labeled; LightGBM {args.trees} trees, 15 leaves; "
        f"batch {args.batch}; median of {args.repeats}",
        "- scikit-activeml's SklearnClassifier fitted on the frame itself "
        f"(it checks it with check_array): {theirs}",
        machine_line(),
        versions_line(),
        start_load_line(),
        f"- command: `{command_line()}`",
        "",
    ]
    table = markdown_table(
        ["X", "wrapper", "query", "median s", "/ margin",
         f"test accuracy ({args.labeled} labels)"],
        rows,
        left=(0, 1, 2),
    )  # fmt: skip
    finish_report(header, table, start_all, args.out)


if __name__ == "__main__":
    main()
