"""The cases that pin the study recipe's picks (``TypiClustThenBadge``).

Until issue 23, ``Badge()`` was the study's recipe (TypiClust while labels
are few, then BADGE with the origin kept as a centre and, for trees, the
leaves next to ``X``). The recipe became its own class and ``Badge()``
became BADGE from the first query. ``tests/data/recipe_picks.json`` holds
the picks that ``Badge()`` made on these cases at commit ``a7bc4b8`` (the
last commit before the split), made by::

    git worktree add /tmp/head a7bc4b8
    cp tests/recipe_cases.py /tmp/head/tests/
    cd /tmp/head && python -m tests.recipe_cases --strategy Badge \\
        --out /path/to/tests/data/recipe_picks.json

Three cases (``query/lightgbm/60/0``, ``query/lightgbm/60/1`` and
``candidates/lightgbm/60``) were recorded again with
``TypiClustThenBadge`` in issue 28: their exact leaf embedding has few
columns and became dense, so the lazy kernel draws their picks from the
same distribution with other random numbers (the plain kernel drew them
before).

``tests/test_recipe.py`` checks that ``TypiClustThenBadge()`` makes the
same picks today (``--strategy TypiClustThenBadge --check FILE`` does the
same from the command line). The cases cover every model family (the
per-class threshold is 20 for other models, 5 for nets and trees), label
counts on both sides of the switch, ``query`` with default and index
candidates, ``select_batch`` and a loop of cycles with one strategy
object.
"""

import argparse
import functools
import json
import warnings

import numpy as np
from skactiveml.classifier import ParzenWindowClassifier, SklearnClassifier
from skactiveml.utils import MISSING_LABEL
from sklearn.datasets import load_digits, make_blobs
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

MODELS = ("parzen", "logreg", "mlp", "lightgbm", "skorch")
LABELS = (0, 30, 60, 250)
SEEDS = (0, 1)
BATCH = 10


def digits(n=400):
    X, y = load_digits(return_X_y=True)
    return X[:n] / 16, y[:n]


def blobs(n=400):
    """scikit-activeml's Badge gallery data: five blobs, ``y % 2``."""
    X, y = make_blobs(n, centers=5, cluster_std=0.7, random_state=0)
    return X, y % 2


def make_model(name):
    """An unfitted classifier of the case's model family."""
    if name == "parzen":
        return ParzenWindowClassifier(classes=[0, 1], random_state=0)
    classes = np.arange(10)
    if name == "logreg":
        est = LogisticRegression(max_iter=500)
    elif name == "mlp":
        est = MLPClassifier((32,), max_iter=100, random_state=0)
    elif name == "lightgbm":
        from lightgbm import LGBMClassifier

        est = LGBMClassifier(n_estimators=20, verbose=-1, random_state=0)
    else:
        return _skorch(classes)
    return SklearnClassifier(est, classes=classes, random_state=0)


def _skorch(classes):
    from skactiveml.classifier import SkorchClassifier
    from torch import nn

    from tests._torch_modules import DigitsMLP

    return SkorchClassifier(
        DigitsMLP,
        criterion=nn.CrossEntropyLoss,
        neural_net_param_dict=dict(
            max_epochs=5, lr=0.1, train_split=None, verbose=0
        ),
        classes=classes,
    )


def _seed_torch(model):
    if model == "skorch":
        import torch

        torch.manual_seed(0)


def _pool(model, n_labels):
    X, y_true = blobs() if model == "parzen" else digits()
    y = np.full(len(X), MISSING_LABEL)
    y[:n_labels] = y_true[:n_labels]
    return X, y, y_true


def cases():
    """``(name, run)`` pairs; ``run(cls)`` returns the picks (a list of
    ints, or a list of lists for a loop) of a strategy class."""
    out = []
    for model in MODELS:
        for n_labels in LABELS:
            for seed in SEEDS:
                name = f"query/{model}/{n_labels}/{seed}"
                out.append((name, _query_case(model, n_labels, seed)))
    out.append(("candidates/logreg/60", _candidates_case("logreg")))
    out.append(("candidates/lightgbm/60", _candidates_case("lightgbm")))
    for model, n_labels in [("logreg", 30), ("mlp", 60), ("lightgbm", 0)]:
        name = f"select_batch/{model}/{n_labels}"
        out.append((name, _select_case(model, n_labels)))
    out.append(("loop/mlp/30", _loop_case("mlp", 30)))
    out.append(("loop/logreg/180", _loop_case("logreg", 180)))
    return out


def _query_case(model, n_labels, seed):
    def run(cls):
        X, y, _ = _pool(model, n_labels)
        _seed_torch(model)
        idx = cls(random_state=seed).query(
            X, y, make_model(model), batch_size=BATCH
        )
        return [int(i) for i in idx]

    return run


def _candidates_case(model):
    def run(cls):
        X, y, _ = _pool(model, 60)
        cand = np.arange(100, 400, 3)
        idx = cls(random_state=0).query(
            X, y, make_model(model), candidates=cand, batch_size=BATCH
        )
        return [int(i) for i in idx]

    return run


def _select_case(model, n_labels):
    def run(cls):
        X, y_true = digits()
        lab = slice(0, n_labels)
        est = make_model(model)
        if n_labels:
            fitted = est.fit(X[lab], y_true[lab])
        else:
            fitted = est.fit(X[:0], np.full(0, MISSING_LABEL))
        labeled = {}
        if n_labels:
            labeled = dict(labeled_x=X[lab], labeled_y=y_true[lab])
        idx = cls(random_state=0).select_batch(
            fitted, X[200:], batch_size=BATCH, **labeled
        )
        return [int(i) for i in idx]

    return run


def _loop_case(model, n_start):
    def run(cls):
        X, y, y_true = _pool(model, n_start)
        qs = cls(random_state=0)
        picks = []
        for _ in range(4):
            idx = qs.query(X, y, make_model(model), batch_size=BATCH)
            y[idx] = y_true[idx]
            picks.append([int(i) for i in idx])
        return picks

    return run


def run_cases(cls, names=None):
    """``{name: picks}`` of every case (or of ``names``)."""
    results = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, run in cases():
            if names is None or name in names:
                try:
                    results[name] = run(cls)
                except Exception as err:  # recorded: a case that failed
                    results[name] = f"error: {type(err).__name__}"
    return results


def main(argv=None):
    import skactiveml_badge

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--strategy", default="TypiClustThenBadge")
    parser.add_argument(
        "--params", default="{}", help="constructor keywords, as JSON"
    )
    parser.add_argument("--out", help="write the picks to this JSON file")
    parser.add_argument("--check", help="compare with this JSON file")
    args = parser.parse_args(argv)
    cls = functools.partial(
        getattr(skactiveml_badge, args.strategy), **json.loads(args.params)
    )
    results = run_cases(cls)
    if args.out:
        lines = [
            f"{json.dumps(k)}: {json.dumps(v)}"
            for k, v in sorted(results.items())
        ]
        with open(args.out, "w") as f:
            f.write("{\n" + ",\n".join(lines) + "\n}\n")
    if args.check:
        with open(args.check) as f:
            expected = json.load(f)
        differ = [k for k in expected if expected[k] != results.get(k)]
        print(f"{len(expected) - len(differ)} of {len(expected)} cases equal")
        for name in differ:
            print(f"differs: {name}")
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
