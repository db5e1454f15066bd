"""The runner's files: one run per folder, files checked before any
change, errors that name the file and line, ``--out`` and ``--help``."""

import inspect
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

from skactiveml_badge.experiments import (
    ExperimentConfig,
    load_dataset,
    run_experiment,
)
from skactiveml_badge.experiments import __main__ as cli

from .bad_inputs_runner import RUNNER_BAD_INPUTS
from .test_experiments import _csv, _without_timing

TINY = dict(datasets=["iris"], models=["logreg"], strategies=["random"],
            batch_sizes=[3], seeds=1, rounds=2, n_start=6)  # fmt: skip
TINY_ARGV = ["--datasets", "iris", "--models", "logreg", "--strategies",
             "random", "--batch-sizes", "3", "--seeds", "1", "--rounds",
             "2", "--n-start", "6"]  # fmt: skip
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _snapshot(folder):
    """{name: bytes} of the files in ``folder``."""
    return {
        name: (folder / name).read_bytes()
        for name in sorted(os.listdir(folder))
    }


def _child(script, **kw):
    """A Python process running ``script`` (the package importable)."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)],
        env=env,
        text=True,
        **kw,
    )


def test_only_the_progress_bar_needs_tqdm(tmp_path, monkeypatch):
    """tqdm (of the experiments extra) is imported for the progress bar
    only; without it such a run fails before it writes to its folder."""
    monkeypatch.setitem(sys.modules, "tqdm", None)  # not installed
    path = run_experiment(ExperimentConfig(**TINY), tmp_path / "a", False)
    assert len(_csv(path)) == 3
    with pytest.raises(
        ImportError, match=r"'tqdm' is required.*\[experiments\]"
    ):
        run_experiment(ExperimentConfig(**TINY), tmp_path / "b", True)
    assert os.listdir(tmp_path / "b") == []


# ------------------------------------------------------- one run a folder


def test_a_second_run_on_a_folder_in_use_is_refused(tmp_path):
    """A run started while another one writes the folder fails at once,
    naming the holder's pid and the folder; the rows are not doubled."""
    config = ExperimentConfig(**TINY)
    refused = []

    def second_run(row):
        if not refused:
            with pytest.raises(ValueError) as exc:
                run_experiment(config, tmp_path, progress=False)
            refused.append(str(exc.value))

    run_experiment(config, tmp_path, progress=False, _after_row=second_run)
    assert f"pid {os.getpid()}" in refused[0]
    assert str(tmp_path) in refused[0] and "in use" in refused[0]
    rows = _csv(tmp_path / "results.csv")
    assert [r["round"] for r in rows] == ["0", "1", "2"]
    assert not (tmp_path / ".lock").exists()  # released


def test_cli_refuses_a_folder_another_process_runs(tmp_path, capsys):
    """Two runners on one ``--out``: the second exits with status 2 and
    names the first one's pid; the first finishes alone."""
    out = tmp_path / "o"
    child = _child(
        f"""
        import sys
        from skactiveml_badge.experiments import ExperimentConfig
        from skactiveml_badge.experiments import run_experiment

        def wait(row):  # hold the folder until the parent says so
            print("row", flush=True)
            sys.stdin.readline()

        run_experiment(ExperimentConfig(**{TINY!r}), {str(out)!r},
                       progress=False, _after_row=wait)
        """,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdout.readline() == "row\n"
        with pytest.raises(SystemExit) as exc:
            cli.main([*TINY_ARGV, "--out", str(out), "--quiet"])
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert f"pid {child.pid}" in err and str(out) in err
        assert "Traceback" not in err
    finally:
        child.communicate("\n" * 5, timeout=60)
    assert child.returncode == 0
    rows = _csv(out / "results.csv")
    assert [r["round"] for r in rows] == ["0", "1", "2"]


def test_kill_9_and_resume_reproduce_an_uninterrupted_run(tmp_path):
    """A run killed with SIGKILL leaves its lock file behind: the next run
    takes it over with a warning naming the dead pid and finishes the
    rows of an uninterrupted run."""
    if not hasattr(signal, "SIGKILL"):
        pytest.skip("no SIGKILL here")
    config = dict(TINY, strategies=["badge", "random"], seeds=2)
    part = tmp_path / "part"
    child = _child(
        f"""
        import os, signal
        from skactiveml_badge.experiments import ExperimentConfig
        from skactiveml_badge.experiments import run_experiment

        rows = []

        def die(row):
            rows.append(row)
            if len(rows) == 4:
                os.kill(os.getpid(), signal.SIGKILL)

        run_experiment(ExperimentConfig(**{config!r}), {str(part)!r},
                       progress=False, _after_row=die)
        """
    )
    child.wait(timeout=120)
    assert child.returncode == -signal.SIGKILL
    assert (part / ".lock").exists()
    assert len(_csv(part / "results.csv")) == 4
    with pytest.warns(UserWarning, match=f"pid {child.pid}"):
        resumed = run_experiment(ExperimentConfig(**config), part, False)
    whole = run_experiment(ExperimentConfig(**config), tmp_path / "w", False)
    assert len(_csv(whole)) == 2 * 2 * 3
    assert _without_timing(_csv(resumed)) == _without_timing(_csv(whole))
    assert not (part / ".lock").exists()


# ---------------------------------------------- files checked before use


def test_a_foreign_results_file_is_not_touched(tmp_path):
    """A ``results.csv`` that is not the runner's (no final newline) is
    refused before anything in its folder is changed."""
    folder = tmp_path / "foreign"
    folder.mkdir()
    (folder / "results.csv").write_bytes(b"a,b,c\n1,2,3\n4,5,6\n7,8,99")
    before = _snapshot(folder)
    with pytest.raises(ValueError, match="results.csv.*line 1.*header"):
        run_experiment(ExperimentConfig(**TINY), folder, progress=False)
    assert _snapshot(folder) == before  # not cut, no config.json


HEADER = (
    b"dataset,model,strategy,batch_size,seed,round,n_labels,accuracy,"
    b"fit_seconds,query_seconds,queried\r\n"
)
ROW0 = b"iris,logreg,random,3,0,0,6,0.500000,0.0100,,\r\n"
ROW1 = b"iris,logreg,random,3,0,1,9,0.600000,0.0100,0.0010,1 2 3\r\n"


R, C = "results.csv", "config.json"


@pytest.mark.parametrize(
    "name, content, match",
    [
        (R, b"\xff\xfe\x00\x01garbage\n", r"line 1: .*UTF-8"),
        (R, HEADER + ROW0 + b"\xff" + ROW1, r"line 3: .*UTF-8"),
        (R, b"a,b,c\r\n", r"line 1: expected the header dataset,model"),
        (R, HEADER + b"iris,logreg\r\n", r"line 2: expected 11 fields"),
        (R, HEADER + ROW0.replace(b",0,6,", b",x,6,"),
         r"line 2: .*'round'.*an integer.*'x'"),
        (R, HEADER + ROW0.replace(b"0.500000", b"abc"),
         r"line 2: .*'accuracy'.*a number in \[0, 1\].*'abc'"),
        (R, HEADER + ROW0 + ROW1.replace(b"1 2 3", b"1 two 3"),
         r"line 3: .*'queried'.*'two'"),
        (R, HEADER + ROW0 + ROW1.replace(b"1 2 3", b"1 2"),
         r"line 3: .*'queried'.*3 indices"),
        (R, HEADER + ROW0 + ROW1 + ROW1,
         r"line 4: round 1 .*again.*line 3"),
        (R, HEADER + ROW0 + ROW1.replace(b",1,9,", b",2,9,"),
         r".*round 1 is missing"),
        (R, HEADER + ROW0 + ROW1.replace(b"1 2 3", b"1 2 9999"),
         r"line 3: queried index 9999 .*pool of 'iris' \(0\.\.104\)"),
        (R, HEADER + ROW0 + ROW1.replace(b"1 2 3", b"1 2 -1"),
         r"line 3: .*'queried'.*-1"),
        (C, b'{"protocol": {,}}', r"line 1, column 15: .*JSON"),
        (C, b'{"a": 1,\n\xff\xff}', r"line 2: .*UTF-8"),
        (C, b"[1, 2]", r"expected .*a JSON object with 'protocol' and"),
        (C, b'{"protocol": {"n_start": 6}, "last_run": {}}',
         r"'protocol' lacks .*'test_size'"),
        (C, b"[" * 100_000 + b"]" * 100_000, r"nested too deeply"),
        (C, b'{"protocol": 1%s}' % (b"0" * 5000), r"not the runner's config"),
    ],
)  # fmt: skip
def test_bad_files_in_a_folder_are_named_and_left_alone(
    tmp_path, name, content, match
):
    folder = tmp_path / "o"
    run_experiment(ExperimentConfig(**TINY), folder, progress=False)
    (folder / name).write_bytes(content)
    before = _snapshot(folder)
    with pytest.raises(ValueError, match=re.escape(name) + "'?[,:] " + match):
        run_experiment(ExperimentConfig(**TINY), folder, progress=False)
    assert _snapshot(folder) == before


def test_results_without_config_are_refused(tmp_path):
    """A folder with the runner's files but no config.json is not the
    runner's: its results and reports are left alone."""
    folder = tmp_path / "o"
    run_experiment(ExperimentConfig(**TINY), folder, progress=False)
    (folder / "config.json").unlink()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "summary.md").write_text("my notes")
    for out, name in ((folder, "results.csv"), (mine, "summary.md")):
        before = _snapshot(out)
        with pytest.raises(ValueError, match=f"holds {name} but no config"):
            run_experiment(ExperimentConfig(**TINY), out, progress=False)
        assert _snapshot(out) == before


def test_report_names_the_bad_line(tmp_path):
    from skactiveml_badge.experiments import read_results

    path = tmp_path / "results.csv"
    path.write_bytes(HEADER + ROW0 + ROW1.replace(b",9,", b",nine,"))
    with pytest.raises(ValueError, match="results.csv', line 3: .*n_labels"):
        read_results(str(path))
    path.write_bytes(HEADER + ROW0 + ROW1[:20])  # a torn last line
    assert [r["round"] for r in read_results(str(path))] == [0]


def test_replayed_indices_are_checked():
    from skactiveml_badge.experiments import run_rounds

    X, y, _ = load_dataset("iris")
    kw = dict(batch_size=3, seed=0, rounds=2, n_start=6)
    loop = run_rounds(X, y, "logreg", "random", replay=[[], [1, 2, 500]], **kw)
    with pytest.raises(ValueError, match=r"`replay\[1\]`.*0\.\.104.*500"):
        next(loop)


# ------------------------------------------------------------ data files


def _data_error(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match) as exc:
        load_dataset(str(path))
    assert str(path) in str(exc.value)


@pytest.mark.parametrize(
    "content, match",
    [
        (b"a,b,label\n1,2,0\n3,4\n", r"line 3: expected 3 fields.*got 2"),
        (b"a,b,label\n", r"a header but no data rows"),
        (b"a,b,label\n1,x,0\n", r"line 2, column 'b': expected a number"),
        (b"a,b,label\n1,nan,0\n", r"line 2, column 'b'.*finite"),
        (b"a,b,label\n1,2,\n", r"line 2: .*empty label"),
        (b"label\n1\n2\n", r"no feature columns"),
        (b"a,label\n1,0\n\xff\xff,1\n", r"line 3: .*UTF-8"),
        (b"", r"is empty"),
    ],
)
def test_bad_csv_data_files_name_the_file_and_line(tmp_path, content, match):
    _data_error(tmp_path, "d.csv", content, match)


def test_data_of_one_class_is_refused(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,label\n" + "1,x\n2,x\n" * 20)
    config = ExperimentConfig(**dict(TINY, datasets=[str(path)]))
    with pytest.raises(ValueError, match="d.csv' has one class"):
        run_experiment(config, tmp_path / "o", progress=False)
    os.mkdir(tmp_path / "e.csv")
    with pytest.raises(ValueError, match="e.csv' is not a file"):
        load_dataset(str(tmp_path / "e.csv"))


def test_bad_npz_data_files_name_the_file(tmp_path):
    _data_error(tmp_path, "a.npz", b"not a zip at all", "not a .npz file")
    np.save(tmp_path / "b.npy", np.zeros(3))
    os.replace(tmp_path / "b.npy", tmp_path / "b.npz")
    with pytest.raises(ValueError, match="b.npz.*one array"):
        load_dataset(str(tmp_path / "b.npz"))
    cases = [
        (dict(X=np.zeros((4, 2)), label=np.array([None] * 4)), "label.*"),
        (dict(X=np.zeros((4, 2)), label=np.zeros(3)), "4 rows.*3 labels"),
        (dict(X=np.array(["a"] * 4), label=np.zeros(4)), "'X'.*numbers"),
        (dict(X=np.zeros((0, 2)), label=np.zeros(0)), "no samples"),
        (dict(X=np.zeros((4, 2)), label=np.zeros((4, 2))), "one label"),
    ]
    for k, (arrays, match) in enumerate(cases):
        path = tmp_path / f"c{k}.npz"
        np.savez(path, **arrays)
        with pytest.raises(ValueError, match=match) as exc:
            load_dataset(str(path))
        assert str(path) in str(exc.value)


# ----------------------------------------------------- --out and --help


def _usage_error(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


def test_out_naming_a_file_is_a_usage_error(tmp_path, capsys):
    target = tmp_path / "file.txt"
    target.write_text("mine")
    for extra in ([], ["--report-only"]):
        argv = [*TINY_ARGV, "--out", str(target), *extra]
        line = _usage_error(argv, capsys)
        assert "--out" in line and "not a folder" in line
    line = _usage_error([*TINY_ARGV, "--out", str(target / "sub")], capsys)
    assert "--out" in line and "not a folder" in line
    assert target.read_text() == "mine"


def _without_root_override():
    """A command prefix under which root, too, respects file modes."""
    if os.name != "posix":
        pytest.skip("POSIX file modes")
    if os.geteuid() != 0:
        return []
    drop = [
        shutil.which("setpriv") or "setpriv",
        "--bounding-set=-dac_override,-dac_read_search,-fowner",
    ]
    try:
        subprocess.run([*drop, "true"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("root writes into read-only folders (no setpriv)")
    return drop


def test_out_in_a_read_only_folder_is_a_usage_error(tmp_path):
    prefix = _without_root_override()
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    script = f"""if True:
        import contextlib, io
        from skactiveml_badge.experiments import __main__ as cli
        for out in {[str(folder), str(folder / "sub")]!r}:
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                try:
                    cli.main({TINY_ARGV!r} + ["--out", out])
                except SystemExit as exc:
                    print(exc.code, err.getvalue().strip().splitlines()[-1])
        """
    try:
        done = subprocess.run(
            [*prefix, sys.executable, "-c", script],
            env=dict(os.environ, PYTHONPATH=ROOT),
            capture_output=True,
            text=True,
        )
    finally:
        folder.chmod(0o755)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and os.listdir(folder) == []
    for line in lines:
        assert line.startswith("2 ") and "--out" in line
        assert "not writable" in line


@pytest.mark.skipif(
    not os.path.isdir("/sys/kernel"), reason="needs Linux's sysfs"
)
def test_out_where_no_folder_can_be_made_is_a_usage_error(capsys):
    """sysfs refuses new folders even to root (the read-only case)."""
    line = _usage_error([*TINY_ARGV, "--out", "/sys/kernel/x"], capsys)
    assert "--out" in line and "/sys/kernel/x" in line


def test_another_configuration_is_not_added_silently(
    tmp_path, monkeypatch, capsys
):
    """Without ``--out`` the default folder is used; a second, different
    run is refused (naming the settings that differ), the same one
    resumes and says so, ``--extend`` adds to the folder."""
    pytest.importorskip("matplotlib")
    pytest.importorskip("tqdm")  # the progress bar (experiments extra)
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "experiment_results"
    assert cli.main(TINY_ARGV) == 0
    capsys.readouterr()
    before = _snapshot(folder)
    other = [*TINY_ARGV, "--datasets", "wine", "--rounds", "1"]
    line = _usage_error(other, capsys)
    assert "datasets" in line and "rounds" in line and "--out" in line
    assert "n_start" not in line
    assert _snapshot(folder) == before  # neither rows nor summary
    assert cli.main(TINY_ARGV) == 0
    assert "resuming" in capsys.readouterr().err
    assert cli.main([*TINY_ARGV, "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert cli.main([*other, "--extend", "--quiet"]) == 0
    rows = _csv(folder / "results.csv")
    assert {r["dataset"] for r in rows} == {"iris", "wine"}
    assert len(rows) == 3 + 2


def test_the_resume_message_counts_runs(tmp_path):
    config = dict(TINY, strategies=["random", "badge"])
    said = []
    run_experiment(
        ExperimentConfig(**config), tmp_path, False, log=said.append
    )
    assert said == []
    path = tmp_path / "results.csv"
    path.write_bytes(path.read_bytes().rsplit(b"\n", 2)[0] + b"\n")
    run_experiment(
        ExperimentConfig(**config), tmp_path, False, log=said.append
    )
    assert said == [f"resuming {str(tmp_path)!r}: 1 of 2 runs done"]
    # The number of workers is not part of the configuration.
    two = ExperimentConfig(**config, workers=2)
    run_experiment(two, tmp_path, progress=False, log=said.append)
    assert said[-1] == f"resuming {str(tmp_path)!r}: 2 of 2 runs done"


def test_help_shows_every_default():
    parser = cli.build_parser()
    for action in parser._actions:
        if action.dest != "help":
            assert "default" in (action.help or ""), action.dest
    text = " ".join(parser.format_help().split())
    assert "(default: digits)" in text
    assert "(default: experiment_results)" in text


# ------------------------------------------------ refused before writing


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize(
    "call, exc, fragment",
    [case[1:] for case in RUNNER_BAD_INPUTS],
    ids=[case[0] for case in RUNNER_BAD_INPUTS],
)
def test_bad_settings_are_refused_before_anything_is_written(
    tmp_path, call, exc, fragment
):
    """Every bad setting of ``RUNNER_BAD_INPUTS`` (see
    ``tests/bad_inputs_runner.py``) fails with its message; those run into
    an output folder leave it unmade."""
    out = tmp_path / "out"
    with pytest.raises(exc) as info:
        if "out" in inspect.signature(call).parameters:
            call(out)
        else:
            call()
    assert fragment in str(info.value)
    assert not out.exists()


# ------------------------------------------------------ the code of runs


def test_config_records_the_code_and_a_change_of_it_warns(tmp_path):
    """config.json records the package's digest and the libraries'
    versions; a resume or extension by other code warns, naming what
    changed, and adds a record; the same code adds none."""
    import json

    from skactiveml_badge.experiments import RunnerWarning
    from skactiveml_badge.experiments._config import CODE_LIBRARIES

    run_experiment(ExperimentConfig(**TINY), tmp_path, progress=False)
    path = tmp_path / "config.json"
    saved = json.loads(path.read_text())
    (record,) = saved["code"]
    assert record["rows_before"] == 0
    assert set(record["code"]["versions"]) == set(CODE_LIBRARIES)
    assert record["code"]["versions"]["numpy"] == np.__version__
    assert len(record["code"]["package"]) == 16
    with warnings.catch_warnings():
        warnings.simplefilter("error", RunnerWarning)
        run_experiment(ExperimentConfig(**TINY), tmp_path, progress=False)
    assert json.loads(path.read_text())["code"] == saved["code"]
    record["code"]["versions"]["numpy"] = "1.0"
    record["code"]["package"] = "0" * 16
    path.write_text(json.dumps(saved))
    more = ExperimentConfig(**(TINY | {"seeds": 2}))
    with pytest.warns(RunnerWarning) as caught:
        run_experiment(more, tmp_path, progress=False, extend=True)
    (message,) = [str(w.message) for w in caught]
    assert "holds 3 result rows made by other code" in message
    assert f"numpy 1.0 -> {np.__version__}" in message
    assert "this package's files (0000000000000000 -> " in message
    old, new = json.loads(path.read_text())["code"]
    assert old == record and new["rows_before"] == 3
    assert new["code"]["versions"]["numpy"] == np.__version__
    saved["code"] = {"package": "x"}
    path.write_text(json.dumps(saved))
    with pytest.raises(ValueError, match="'code' must be a list"):
        run_experiment(ExperimentConfig(**TINY), tmp_path, progress=False)


def test_code_digest_follows_the_python_files(tmp_path):
    from skactiveml_badge.experiments._config import code_version

    (tmp_path / "sub").mkdir()
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "sub" / "b.py").write_text("y = 2\n")
    first = code_version(tmp_path)["package"]
    assert code_version(tmp_path)["package"] == first
    (tmp_path / "notes.txt").write_text("not code")
    assert code_version(tmp_path)["package"] == first
    (tmp_path / "sub" / "b.py").write_text("y = 3\n")
    assert code_version(tmp_path)["package"] != first
    (tmp_path / "sub" / "b.py").write_text("y = 2\n")
    (tmp_path / "sub" / "b.py").rename(tmp_path / "sub" / "c.py")
    assert code_version(tmp_path)["package"] != first  # names count
