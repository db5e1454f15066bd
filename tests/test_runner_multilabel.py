"""The runner on multi-label data sets: micro- and macro-F1 per round,
no mixing with single-label names, resumption, reports."""

import csv
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import f1_score

from skactiveml_badge.experiments import (
    COLUMNS,
    MODELS,
    MULTILABEL_COLUMNS,
    ExperimentConfig,
    MultilabelRandomSampling,
    OutputFolderError,
    check_task,
    learning_curve_table,
    load_dataset,
    penalty_matrix,
    read_results,
    run_experiment,
    run_rounds,
    split_pool,
)
from skactiveml_badge.experiments import __main__ as cli
from skactiveml_badge.experiments._datasets import cap_samples
from skactiveml_badge.experiments._loop import _seed

#: A smaller, faster net than the registered one, registered by ``fast``.
FAST = "mlp-multilabel-fast"
#: A small multi-label configuration (a second or two).
SMALL = dict(
    datasets=["multilabel-synth"],
    models=[FAST],
    strategies=["multilabel-random", "multilabel-badge"],
    batch_sizes=[10],
    seeds=1,
    rounds=2,
    n_start=20,
    max_samples=300,
)


@pytest.fixture(autouse=True)
def fast(monkeypatch):
    """``MODELS[FAST]``: the runner's multi-label MLP with 16 hidden units
    and at most 100 epochs."""
    spec = MODELS["mlp-multilabel"].with_params(
        hidden_layer_sizes=(16,), max_iter=100
    )
    monkeypatch.setitem(MODELS, FAST, spec)


def _csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _without_timing(rows):
    return [
        {k: v for k, v in r.items() if not k.endswith("_seconds")}
        for r in rows
    ]


def test_multilabel_runs_record_micro_and_macro_f1_of_each_round(tmp_path):
    """Each round's scores equal f1_score of a model fitted, outside the
    runner, on the start rows and the rows queried so far."""
    config = ExperimentConfig(**SMALL)
    path = run_experiment(config, tmp_path, progress=False)
    rows = _csv(path)
    assert tuple(rows[0]) == MULTILABEL_COLUMNS
    assert len(rows) == 2 * 3
    X, Y, scale = load_dataset("multilabel-synth")
    X, Y = cap_samples(X, Y, 300)
    X_pool, Y_pool, X_test, Y_test, start = split_pool(X, Y, scale, 0, 0.3, 20)
    for strategy in SMALL["strategies"]:
        mine = [r for r in rows if r["strategy"] == strategy]
        labeled = list(start)
        for r, row in enumerate(mine):
            queried = [int(i) for i in row["queried"].split()]
            assert len(queried) == (0 if r == 0 else 10)
            assert not set(queried) & set(labeled)  # unlabeled rows only
            labeled += queried
            assert int(row["n_labels"]) == len(labeled) == 20 + 10 * r
            clf = MODELS[FAST].make(X.shape[1], 10, _seed(0, r))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf.fit(X_pool[labeled], Y_pool[labeled])
            pred = clf.predict(X_test)
            for avg in ("micro", "macro"):
                want = f1_score(Y_test, pred, average=avg, zero_division=0)
                assert float(row[f"{avg}_f1"]) == pytest.approx(want, abs=1e-6)
    # The start rows and round 0 are shared; the picks differ.
    first = [r for r in rows if r["round"] == "0"]
    assert first[0]["micro_f1"] == first[1]["micro_f1"]
    assert rows[1]["queried"] != rows[4]["queried"]


@pytest.mark.parametrize(
    "change, key, names",
    [
        (dict(strategies=["badge"]), "strategies", "['badge']"),
        (dict(models=["logreg", FAST]), "models", "['logreg']"),
        (
            dict(datasets=["iris"], models=["logreg"]),
            "strategies",
            "['multilabel-random', 'multilabel-badge']",
        ),
        (
            dict(datasets=["iris"], strategies=["random"]),
            "models",
            f"['{FAST}']",
        ),
        (
            dict(datasets=["multilabel-synth", "iris"]),
            "datasets",
            "['iris']",
        ),
    ],
)
def test_multilabel_and_single_label_names_do_not_mix(
    tmp_path, change, key, names
):
    """A config mixing kinds fails in validate(), naming the setting and
    the names of the other kind, before any folder is made."""
    config = ExperimentConfig(**(SMALL | change))
    with pytest.raises(ValueError, match=f"`{key}`") as exc:
        config.validate()
    assert names in str(exc.value)
    with pytest.raises(ValueError, match=f"`{key}`"):
        run_experiment(config, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_check_task_tells_the_kind():
    assert check_task(["multilabel-synth"], ["mlp-multilabel"],
                      ["multilabel-badge-origin"])  # fmt: skip
    assert not check_task(["iris", "x.csv"], ["logreg"], ["badge"])


def test_run_rounds_refuses_a_spec_of_the_other_kind():
    X, Y = make_multilabel_classification(120, n_classes=4, random_state=0)
    kw = dict(batch_size=5, seed=0, rounds=1, n_start=10)
    with pytest.raises(ValueError, match="`strategy` is single-label"):
        next(run_rounds(X, Y, "mlp-multilabel", "random", **kw))
    with pytest.raises(ValueError, match="`model` is single-label"):
        next(run_rounds(X, Y, "logreg", "multilabel-random", **kw))
    y = Y[:, 0]
    with pytest.raises(ValueError, match="`strategy` is multi-label"):
        next(run_rounds(X, y, "logreg", "multilabel-badge", **kw))


def test_run_rounds_on_arrays_yields_f1_and_no_accuracy():
    X, Y = make_multilabel_classification(150, n_classes=4, random_state=1)
    loop = list(
        run_rounds(X, Y, MODELS[FAST], "multilabel-badge-origin",
                   batch_size=5, seed=3, rounds=2, n_start=10, scale=True)
    )  # fmt: skip
    assert [(r.round, r.n_labels) for r in loop] == [(0, 10), (1, 15), (2, 20)]
    for r in loop:
        assert np.isnan(r.accuracy)
        assert 0 <= r.micro_f1 <= 1 and 0 <= r.macro_f1 <= 1
    assert len(set(loop[1].queried) | set(loop[2].queried)) == 10


class _Stop(Exception):
    pass


def test_resume_after_interruption_gives_the_same_csv(tmp_path):
    config = ExperimentConfig(**SMALL)
    whole = run_experiment(config, tmp_path / "whole", progress=False)
    written = []

    def interrupt(row):
        written.append(row)
        if len(written) == 4:
            raise _Stop

    part = tmp_path / "part"
    with pytest.raises(_Stop):
        run_experiment(config, part, progress=False, _after_row=interrupt)
    assert len(_csv(part / "results.csv")) == 4
    resumed = run_experiment(config, part, progress=False)
    a, b = _csv(whole), _csv(resumed)
    assert len(a) == 6 and tuple(a[0]) == MULTILABEL_COLUMNS
    assert _without_timing(a) == _without_timing(b)


def test_a_folder_holds_one_kind_of_runs(tmp_path):
    """Multi-label runs are not added to a folder of single-label runs
    (other columns), even with ``extend``, and the reverse."""
    single = ExperimentConfig(datasets=["iris"], models=["logreg"],
                              strategies=["random"], batch_sizes=[3],
                              seeds=1, rounds=1, n_start=6)  # fmt: skip
    run_experiment(single, tmp_path / "a", progress=False)
    with pytest.raises(OutputFolderError, match="single-label runs"):
        run_experiment(ExperimentConfig(**SMALL), tmp_path / "a",
                       progress=False, extend=True)  # fmt: skip
    assert tuple(_csv(tmp_path / "a" / "results.csv")[0]) == COLUMNS
    run_experiment(ExperimentConfig(**(SMALL | dict(rounds=1))),
                   tmp_path / "b", progress=False)  # fmt: skip
    with pytest.raises(OutputFolderError, match="multi-label runs"):
        run_experiment(single, tmp_path / "b", progress=False, extend=True)


def test_cli_reports_micro_and_macro_f1(tmp_path, capsys):
    pytest.importorskip("tqdm")  # the progress bar (experiments extra)
    out = tmp_path / "run"
    argv = [
        "--datasets", "digits-multilabel",
        "--models", FAST,
        "--strategies", "multilabel-random", "multilabel-badge",
        "--batch-sizes", "8", "--seeds", "2", "--rounds", "1",
        "--n-start", "16", "--max-samples", "300", "--out", str(out),
    ]  # fmt: skip
    assert cli.main(argv) == 0
    summary = (out / "summary.md").read_text()
    assert "(test micro-F1, mean ± std over 2 seeds)" in summary
    assert "(test macro-F1, mean ± std over 2 seeds)" in summary
    assert "Row beat column in test micro-F1" in summary
    assert "accuracy" not in summary
    rows = read_results(out / "results.csv")
    assert {"micro_f1", "macro_f1"} <= set(rows[0]) and "accuracy" not in rows[
        0
    ]
    # The tables hold the recorded means over the seeds.
    last = [r["macro_f1"] for r in rows if r["round"] == 1
            and r["strategy"] == "multilabel-badge"]  # fmt: skip
    cell = f"{np.mean(last):.3f} ± {np.std(last):.3f}"
    assert cell in learning_curve_table(rows, "macro_f1")
    names, P, n = penalty_matrix(rows)
    assert names == ["multilabel-random", "multilabel-badge"] and n == 1
    with pytest.raises(SystemExit):
        cli.main([*argv, "--study-page", str(tmp_path / "s.rst")])
    assert "--study-page" in capsys.readouterr().err


def test_multilabel_random_sampling_picks_unlabeled_rows():
    y = np.full((30, 3), np.nan)
    y[:20] = 1
    y[25, 0] = 0  # partly labeled: a candidate
    picks = MultilabelRandomSampling(random_state=0).query(
        np.zeros((30, 2)), y, batch_size=10
    )
    assert sorted(picks) == list(range(20, 30))
    with pytest.raises(ValueError, match="`batch_size`"):
        MultilabelRandomSampling().query(np.zeros((30, 2)), y, batch_size=11)
    with pytest.raises(ValueError, match="`y`"):
        MultilabelRandomSampling().query(np.zeros((30, 2)), y[:, 0])


def test_multilabel_datasets_load_offline():
    X, Y, scale = load_dataset("multilabel-synth")
    assert X.shape == (3000, 40) and Y.shape == (3000, 10) and scale
    assert set(np.unique(Y)) == {0, 1}
    X, Y, _ = load_dataset("digits-multilabel")
    _, digit, _ = load_dataset("digits")
    assert X.shape == (1797, 64) and Y.shape == (1797, 4)
    assert np.array_equal(Y[:, 1], np.isin(digit, (2, 3, 5, 7)))
    X_cut, Y_cut = cap_samples(X, Y, 100)
    assert Y_cut.shape == (100, 4)
    assert np.array_equal(cap_samples(X, Y, 100)[1], Y_cut)
