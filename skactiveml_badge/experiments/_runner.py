"""The active-learning loop of the runner, with a resumable tidy CSV."""

import contextlib
import csv
import dataclasses
import errno
import json
import math
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from typing import NamedTuple

import numpy as np
from skactiveml.utils import MISSING_LABEL
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from .._badge import Badge
from .._optional import import_optional
from .._validation import (
    Bool,
    Int,
    check_bool,
    check_choice,
    check_non_negative_int,
    check_positive_int,
    check_positive_real,
    validate_params,
)
from .._warm_start import WarmStartWarning
from ._registry import (
    MODELS,
    STRATEGIES,
    ModelSpec,
    StrategySpec,
    applies,
    cap_samples,
    check_dataset,
    check_task,
    load_dataset,
)
from ._report import (
    COLUMNS,
    MULTILABEL_COLUMNS,
    header_columns,
    parse_results,
    read_bytes,
    read_text,
)

try:
    import fcntl
except ImportError:  # Windows
    import msvcrt

    fcntl = None

#: Columns that differ between two runs of the same configuration.
TIMING_COLUMNS = ("fit_seconds", "query_seconds")

RESULTS_FILE = "results.csv"
CONFIG_FILE = "config.json"
#: Held (locked, with the pid) by the run writing a folder.
LOCK_FILE = ".lock"
#: What the command line writes next to the results (a folder that holds
#: any of them but no config.json is not the runner's).
REPORT_FILES = ("summary.md", "learning_curves.png", "penalty_matrix.png")

# Settings that must not change between a run and its resumption.
_PROTOCOL = (
    "n_start",
    "test_size",
    "label_column",
    "max_samples",
    "pool_on_disk",
)


class OutputFolderError(ValueError):
    """The output folder cannot take the run: not a folder, not writable,
    in use by another run, or holding runs of another configuration."""


class RunnerWarning(UserWarning):
    """A warning of the runner about its output folder."""


class Run(NamedTuple):
    """One learning curve of an experiment: the key of its rows."""

    dataset: str
    model: str
    strategy: str
    batch_size: int
    seed: int


class RoundResult(NamedTuple):
    """One round of an active-learning loop (see :func:`run_rounds`)."""

    #: 0 for the random start set, then 1, 2, ...
    round: int
    #: Labels the model of this round was fitted on (multi-label runs:
    #: labeled rows).
    n_labels: int
    #: Test accuracy of that model (NaN for multi-label runs).
    accuracy: float
    fit_seconds: float
    #: Wall time of the round's query (NaN for round 0).
    query_seconds: float
    #: Pool indices the round's query added (empty for round 0).
    queried: np.ndarray
    #: Multi-label runs: the test micro-F1 of the model (NaN otherwise).
    micro_f1: float = float("nan")
    #: Multi-label runs: the test macro-F1 of the model (NaN otherwise).
    macro_f1: float = float("nan")


@dataclasses.dataclass
class ExperimentConfig:
    """What to run: every combination of the lists, ``rounds`` rounds each.

    Parameters
    ----------
    datasets : sequence of str
        Registered names (see ``DATASETS``) or paths to ``.npz``/``.csv``
        files. Either all single-label or all multi-label
        (``DatasetSpec.multilabel``); the models and strategies must be of
        the same kind. Multi-label runs record the test micro- and
        macro-F1 instead of the accuracy (``MULTILABEL_COLUMNS``).
    models : sequence of str
        Names in ``MODELS``.
    strategies : sequence of str
        Names in ``STRATEGIES``.
    batch_sizes : sequence of int
        Labels bought per round.
    seeds : int or sequence of int
        An int ``n`` means seeds ``0..n-1``. The seed fixes the pool/test
        split, the start labels, and the seeds of models and strategies.
    rounds : int
        Query rounds after the start set.
    n_start : int
        Random start labels (the same for every strategy of a seed).
    test_size : float
        Share of each data set held out for testing (stratified).
    label_column : str
        The label's column of a ``.csv`` or array of a ``.npz`` file.
    max_samples : int or None
        Larger data sets are cut to this many samples (a stratified
        subsample, the same for every seed) before the pool/test split.
    workers : int
        Processes that run the runs (each with one thread); the results
        file is written by the calling process only.
    more_seeds : sequence of int
        Further seeds, run for ``more_seeds_strategies`` only (e.g. ten
        seeds where strategies are close); after all of ``seeds``.
    more_seeds_strategies : sequence of str
        Names in ``STRATEGIES``.
    pool_on_disk : bool
        Write every run's pool to an ``.npy`` file and give the
        strategies that select from pools on disk (``Badge`` and its
        variants) a memory map of it instead of the array (see
        :func:`run_rounds`).
    """

    datasets: Sequence[str] = ("digits",)
    models: Sequence[str] = ("mlp",)
    strategies: Sequence[str] = (
        "typiclust-then-badge",
        "badge",
        "random",
        "margin",
    )
    batch_sizes: Sequence[int] = (20,)
    seeds: int | Sequence[int] = 3
    rounds: int = 10
    n_start: int = 20
    test_size: float = 0.3
    label_column: str = "label"
    max_samples: int | None = None
    workers: int = 1
    more_seeds: Sequence[int] = ()
    more_seeds_strategies: Sequence[str] = ()
    pool_on_disk: bool = False

    def is_multilabel(self):
        """Whether the runs are multi-label (of a valid config)."""
        return check_task(
            self.datasets,
            self.models,
            [*self.strategies, *self.more_seeds_strategies],
        )

    def seed_list(self):
        if isinstance(self.seeds, (int, np.integer)):
            return list(range(int(self.seeds)))
        return [int(s) for s in self.seeds]

    def runs(self):
        """Every :class:`Run`, in order: seed by seed (so that an
        interrupted study has whole seeds of every setting), leaving out
        strategies that do not apply to a model (see ``STRATEGIES``)."""
        return self._runs(self.seed_list(), self.strategies) + self._runs(
            [int(s) for s in self.more_seeds], self.more_seeds_strategies
        )

    def _runs(self, seeds, strategies):
        return [
            Run(d, m, s, b, seed)
            for seed in seeds
            for m in self.models
            for d in self.datasets
            for b in self.batch_sizes
            for s in strategies
            if applies(s, m)
        ]

    def validate(self):
        """Check the settings, without loading any data.

        Names must be registered (data sets may also be .npz/.csv paths),
        sizes and seeds be ints in range, lists be lists. Nothing is
        opened or imported: the data sets are loaded, and the models'
        packages imported, when a run starts (:func:`run_experiment`),
        which also checks what needs the data (a pool large enough for
        the rounds).

        Raises
        ------
        TypeError, ValueError
            Naming the setting (also for multi-label data sets with
            single-label models or strategies, and the reverse).
        """
        validate_params(self, _constraints())
        self.is_multilabel()
        more = [int(s) for s in self.more_seeds]
        if set(more) & set(self.seed_list()):
            raise ValueError(
                "`more_seeds` must not be among `seeds`, got "
                f"{list(self.more_seeds)!r}."
            )
        if bool(more) != bool(len(self.more_seeds_strategies)):
            raise ValueError(
                "Give both `more_seeds` and `more_seeds_strategies`, or "
                "neither."
            )


def _constraints():
    """The check of every setting of :class:`ExperimentConfig` (read at
    each call: the registries may have grown)."""
    return {
        "datasets": _ListOf(check_dataset),
        "models": _ListOf(_registered(MODELS)),
        "strategies": _ListOf(_registered(STRATEGIES)),
        "batch_sizes": _ListOf(Int()),
        "seeds": _check_seeds,
        "rounds": Int(),
        "n_start": Int(),
        "test_size": _check_share,
        "label_column": _check_str,
        "max_samples": Int(none=True),
        "workers": Int(),
        "more_seeds": _ListOf(Int(low=0), empty=True, distinct=True),
        "more_seeds_strategies": _ListOf(_registered(STRATEGIES), empty=True),
        "pool_on_disk": Bool(),
    }


class _ListOf:
    """A list (or tuple) whose items pass ``check(item, name)``."""

    def __init__(self, check, empty=False, distinct=False):
        self.check, self.empty, self.distinct = check, empty, distinct

    def __call__(self, value, name):
        what = "a list" if self.empty else "a non-empty list"
        if isinstance(value, str) or not isinstance(
            value, (Sequence, np.ndarray)
        ):
            raise TypeError(f"`{name}` must be {what}, got {value!r}.")
        if not self.empty and not len(value):
            raise ValueError(f"`{name}` must be {what}, got {value!r}.")
        items = [self.check(v, name) for v in value]
        if self.distinct and len(set(items)) != len(items):
            raise ValueError(f"`{name}` must be distinct, got {value!r}.")
        return items


def _registered(registry):
    def check(value, name):
        return check_choice(value, name, registry)

    return check


def _check_seeds(value, name):
    """A number of seeds (an int >= 1) or distinct seeds (ints >= 0)."""
    if isinstance(value, (int, np.integer)):
        return check_positive_int(value, name)
    return _ListOf(Int(low=0), distinct=True)(value, name)


def _check_share(value, name):
    value = check_positive_real(value, name)
    if value >= 1:
        raise ValueError(f"`{name}` must be in (0, 1), got {value}.")
    return value


def _check_str(value, name):
    if not isinstance(value, str):
        raise TypeError(f"`{name}` must be a str, got {value!r}.")
    return value


def _load_data(config):
    """Import the models' packages and load every data set of a valid
    ``config``, checking that its pool holds the runs' labels."""
    for m in config.models:
        for module in MODELS[m].requires:
            import_optional(module)
    data = {}
    for name in config.datasets:
        X, y, scale = load_dataset(name, config.label_column)
        X, y = cap_samples(X, y, config.max_samples)
        batch_size = max(config.batch_sizes)
        _check_pool(
            y,
            config.n_start,
            config.rounds,
            batch_size,
            config.test_size,
            name,
        )
        data[name] = (X, y, scale)
    return data


def _check_pool(y, n_start, rounds, batch_size, test_size, name=None):
    """Raise unless the pool/test split of ``y`` is possible and its pool
    holds ``n_start + rounds * batch_size`` labels."""
    label = "the data set" if name is None else repr(name)
    n_pool = _pool_size(len(y), test_size)
    if y.ndim == 1 and len(np.unique(y)) < 2:
        raise ValueError(f"{label} has one class; it needs two or more.")
    if y.ndim == 1 and min(np.bincount(y)) < 2:
        raise ValueError(
            f"A class of {label} has fewer than 2 samples; the stratified "
            "split needs 2."
        )
    if batch_size > n_pool - n_start:
        raise ValueError(
            f"batch size {batch_size} is larger than the unlabeled pool of "
            f"{label} ({n_pool} pool samples - {n_start} start labels)."
        )
    need = n_start + rounds * batch_size
    if need > n_pool:
        raise ValueError(
            f"{n_start} start labels + {rounds} rounds x batch {batch_size}"
            f" = {need} labels exceed the pool of {label} ({n_pool} "
            "samples); use fewer rounds or a smaller batch."
        )


def _pool_size(n_samples, test_size):
    """Pool samples of the stratified split (as ``train_test_split``)."""
    return n_samples - math.ceil(float(test_size) * n_samples)


def run_experiment(
    config, out_dir, progress=True, extend=False, log=None, _after_row=None
):
    """Run (or resume) an experiment, appending to ``out_dir/results.csv``.

    Each round's row is written (and flushed) as soon as it is finished.
    Rerunning with the same ``out_dir`` skips the rounds already there and
    continues every unfinished run where it stopped: the labels bought so
    far are replayed from the ``queried`` column and the model is refitted,
    so the rows equal those of an uninterrupted run (up to the timing
    columns).

    One run at a time writes a folder: it holds the lock file
    ``out_dir/.lock`` (with its pid) until it ends; a lock left by a run
    that was killed is taken over with a :class:`RunnerWarning`. The
    folder's files are checked before anything in it is changed.

    Parameters
    ----------
    config : ExperimentConfig
    out_dir : str or path
        The output folder (made if needed).
    progress : bool, default=True
        Show a progress bar (on stderr).
    extend : bool, default=False
        Add the runs of ``config`` to a folder that holds the runs of
        another configuration (of the same protocol: ``n_start``,
        ``test_size``, ``label_column`` and ``max_samples``); without it
        such a folder is refused.
    log : callable or None, default=None
        Called with a line saying what is resumed or extended.

    Returns
    -------
    path : str
        The results file.

    Raises
    ------
    TypeError, ValueError
        For a bad setting, or a file of the folder that is not the
        runner's (naming the file, the line and what was expected).
    OutputFolderError
        If ``out_dir`` is not a writable folder, is used by another run,
        or holds runs of another configuration (naming the settings).
    """
    check_bool(progress, "progress")
    check_bool(extend, "extend")
    if log is not None and not callable(log):
        raise TypeError(f"`log` must be callable or None, got {log!r}.")
    config.validate()
    out_dir = check_out_dir(out_dir)
    data = _load_data(config)
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise OutputFolderError(
            f"Cannot make the folder {out_dir!r}: {exc.strerror}."
        ) from None
    lock = os.path.join(out_dir, LOCK_FILE)
    fd = _acquire(lock)
    try:
        _run_locked(config, out_dir, data, extend, log, progress, _after_row)
    finally:
        _release(lock, fd)
    return os.path.join(out_dir, RESULTS_FILE)


def _run_locked(config, out_dir, data, extend, log, progress, after_row):
    """The part of :func:`run_experiment` that holds the folder's lock."""
    path = os.path.join(out_dir, RESULTS_FILE)
    content = read_bytes(path) if os.path.exists(path) else b""
    columns = MULTILABEL_COLUMNS if config.is_multilabel() else COLUMNS
    _check_kind(header_columns(content), columns, out_dir)
    rows, end = parse_results(content, path)
    other = _check_config(out_dir, config, extend, bool(content))
    done = _by_run(rows, path)
    _check_queried(done, config, data, path)
    runs = config.runs()
    todo = [
        (run, done.get(run, []))
        for run in runs
        if len(done.get(run, ())) < config.rounds + 1
    ]
    if log is not None and other:
        log(f"adding to {out_dir!r}, which holds runs of another "
            f"configuration ({', '.join(other)} differ)")  # fmt: skip
    if log is not None and any(r in done for r in runs):
        log(f"resuming {out_dir!r}: {len(runs) - len(todo)} of {len(runs)}"
            " runs done")  # fmt: skip
    total = sum(config.rounds + 1 - len(rows) for _, rows in todo)
    tqdm = import_optional("tqdm").tqdm
    with (
        _results_file(path, end, config, out_dir, other, columns) as fh,
        tqdm(
            total=total, disable=not progress, unit="round", file=sys.stderr
        ) as bar,
    ):
        writer = csv.writer(fh)
        for row in _all_rows(todo, data, config, bar):
            writer.writerow(row)
            fh.flush()
            bar.update()
            if after_row is not None:
                after_row(row)


def _check_kind(found, columns, out_dir):
    """Raise unless the results file's columns ``found`` (None: none yet)
    are ``columns``, the kind of runs to add."""
    if found is None or found == columns:
        return
    kinds = {COLUMNS: "single-label", MULTILABEL_COLUMNS: "multi-label"}
    raise OutputFolderError(
        f"{out_dir!r} holds the results of {kinds[found]} runs; the "
        f"{kinds[columns]} runs of this configuration need another output "
        "folder."
    )


@contextlib.contextmanager
def _results_file(path, end, config, out_dir, other, columns=COLUMNS):
    """``results.csv`` open for appending, after cutting a torn last line
    (anything after ``end``) and writing the header (``columns``) and
    ``config.json`` where they are missing or ``other`` settings are
    added."""
    try:
        if os.path.exists(path) and os.path.getsize(path) > end:
            with open(path, "rb+") as fh:
                fh.truncate(end)
        if other is None or other:
            _write_config(config, out_dir)
        fh = open(path, "a", newline="", encoding="utf-8")
        if not end:
            csv.writer(fh).writerow(columns)
            fh.flush()
    except OSError as exc:
        raise OutputFolderError(
            f"Cannot write {exc.filename or path!r}: {exc.strerror}."
        ) from None
    with fh:
        yield fh


def check_out_dir(out_dir, exists=False):
    """``out_dir`` as a str, if it is a writable folder or can be made
    one (``exists=True``: if it is an existing folder).

    Raises
    ------
    TypeError
        Unless ``out_dir`` is a str or a path.
    OutputFolderError
        Naming the folder and what is wrong with it.
    """
    if not isinstance(out_dir, (str, os.PathLike)):
        raise TypeError(f"`out_dir` must be a str or path, got {out_dir!r}.")
    out_dir = os.fspath(out_dir)
    if not out_dir:
        raise OutputFolderError("The output folder must be named, got ''.")
    probe = os.path.abspath(out_dir)
    while not os.path.exists(probe):  # the first part that exists
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        what = "a file" if os.path.isfile(probe) else "not a folder"
        part = probe != os.path.abspath(out_dir)
        raise OutputFolderError(
            f"{out_dir!r} is not a folder: "
            + (f"its part {probe!r} is {what}." if part else f"it is {what}.")
        )
    if exists and probe != os.path.abspath(out_dir):
        raise OutputFolderError(f"{out_dir!r} does not exist.")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputFolderError(
            f"{out_dir!r} cannot be written: {probe!r} is not writable."
        )
    return out_dir


# -------------------------------------------------- one run in a folder


def _acquire(path):
    """Lock the file ``path`` (made if needed) for this process and write
    its pid there; the descriptor, for :func:`_release`."""
    folder = os.path.dirname(path)
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputFolderError(
                f"Cannot make the lock file {path!r}: {exc.strerror}."
            ) from None
        if not _try_lock(fd, path):
            holder = _read_pid(fd) or "unknown"
            os.close(fd)
            raise OutputFolderError(
                f"{folder!r} is in use by another run (pid {holder}, lock "
                f"file {path!r}); wait for it to end or use another folder."
            )
        with contextlib.suppress(OSError):
            if os.path.samestat(os.fstat(fd), os.stat(path)):
                break
        os.close(fd)  # its holder removed it as we opened it: again
    stale = _read_pid(fd)
    if stale is not None:
        warnings.warn(
            f"{path!r} was left by pid {stale}, which ended without "
            "releasing it (killed?); taking the folder over.",
            RunnerWarning,
            stacklevel=3,
        )
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _try_lock(fd, path):
    """Whether this process got the lock on ``fd`` (the system drops it
    when the process ends, however it ends)."""
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:  # a byte past the pid: the pid stays readable
            os.lseek(fd, 1 << 20, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EDEADLK):
            return False
        warnings.warn(
            f"Cannot lock {path!r} ({exc.strerror}): a second run on this "
            "folder would not be stopped.",
            RunnerWarning,
            stacklevel=4,
        )
    return True


def _read_pid(fd):
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 32).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


def _release(path, fd):
    if fcntl is not None:  # still locked: no other run holds it
        with contextlib.suppress(OSError):
            os.unlink(path)
    os.close(fd)
    if fcntl is None:  # Windows removes no open file
        with contextlib.suppress(OSError):
            os.unlink(path)


def _all_rows(todo, data, config, bar):
    """The rows of every unfinished run: round by round in this process,
    or run by run from ``config.workers`` processes (a run's rows are
    written when the run is done, so an interruption loses at most the
    runs in progress)."""
    if config.workers == 1:
        with _one_thread(config):  # as in a worker: one thread
            for run, rows in todo:
                bar.set_description(_name(run))
                yield from _csv_rows(run, rows, data[run.dataset], config)
        return
    import concurrent.futures as cf
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(
        config.workers,
        mp_context=ctx,
        initializer=_init_worker,
        initargs=(data,),
    ) as pool:
        futures = [
            pool.submit(_worker_run, run, rows, config) for run, rows in todo
        ]
        failed = []
        try:
            for fut in cf.as_completed(futures):
                run, rows, error = fut.result()
                yield from rows
                if error:
                    failed.append(f"{_name(run)}: {error}")
        finally:
            for fut in futures:
                fut.cancel()
    if failed:
        # The other runs went on; their rows are written.
        raise RuntimeError(
            f"{len(failed)} run(s) failed:\n" + "\n".join(failed)
        )


_WORKER_DATA = {}


@contextlib.contextmanager
def _one_thread(config):
    """One thread for BLAS, OpenMP and torch while the runs of ``config``
    run in this process (restored after): small models fit faster on one
    thread, and far faster than on threads other processes compete
    with."""
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    if torch is None and any(
        "torch" in MODELS[m].requires for m in config.models
    ):
        import torch
    before = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(1):
        if torch is not None:
            torch.set_num_threads(1)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(before)


def _init_worker(data):
    """One thread per worker process (BLAS, torch, OpenMP)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    os.environ["OMP_NUM_THREADS"] = "1"
    if "torch" in sys.modules or _has_torch():
        import torch

        torch.set_num_threads(1)
    _WORKER_DATA.update(data)


def _has_torch():
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def _worker_run(run, rows, config):
    """``(run, rows, error)``: the rows made, and the error that ended the
    run early (an empty string if none)."""
    import traceback

    out = []
    try:
        for row in _csv_rows(run, rows, _WORKER_DATA[run.dataset], config):
            out.append(row)
    except Exception:  # reported by the parent, after the other runs
        return run, out, traceback.format_exc(limit=4)
    return run, out, ""


def _key(dataset, model, strategy, batch_size, seed):
    """The :class:`Run` of a CSV row (its fields as strings)."""
    return Run(
        str(dataset), str(model), str(strategy), int(batch_size), int(seed)
    )


_CONFIG = "the runner's config.json (a JSON object with 'protocol' and "
_CONFIG += "'last_run' objects)"


def _read_config(path):
    """The checked content of a ``config.json``."""
    text = read_text(path, _CONFIG)
    try:
        saved = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{path!r}, line {exc.lineno}, column {exc.colno}: not JSON "
            f"({exc.msg}); expected {_CONFIG}."
        ) from None
    parts = ("protocol", "last_run")
    if not isinstance(saved, dict) or not all(
        isinstance(saved.get(k), dict) for k in parts
    ):
        raise ValueError(f"{path!r}: expected {_CONFIG}.")
    missing = [k for k in _PROTOCOL if k not in saved["protocol"]]
    if missing:
        raise ValueError(
            f"{path!r}: 'protocol' lacks {missing}; expected the keys "
            f"{list(_PROTOCOL)}."
        )
    return saved


def _check_config(out_dir, config, extend, has_results):
    """The settings in which ``config`` differs from the one that wrote
    ``out_dir`` (None: a new folder); raise if they are of the protocol,
    or unless ``extend``."""
    path = os.path.join(out_dir, CONFIG_FILE)
    if not os.path.exists(path):
        theirs = [RESULTS_FILE] if has_results else []
        theirs += [
            f for f in REPORT_FILES if os.path.exists(os.path.join(out_dir, f))
        ]
        if theirs:
            raise OutputFolderError(
                f"{out_dir!r} holds {', '.join(theirs)} but no {CONFIG_FILE}:"
                " not a folder of this runner (or its config.json was "
                "removed); use another folder."
            )
        return None
    saved = _read_config(path)
    old, new = saved["protocol"], _jsonable(_protocol(config))
    changed = [k for k in _PROTOCOL if old[k] != new[k]]
    if changed:
        raise OutputFolderError(
            f"{out_dir!r} holds results made with other "
            + ", ".join(f"{k}={old[k]!r}" for k in changed)
            + "; use another output folder."
        )
    old, new = saved["last_run"], _jsonable(dataclasses.asdict(config))
    defaults = _jsonable(dataclasses.asdict(ExperimentConfig()))
    other = [
        k
        for k in new
        if k != "workers"
        and _same_runs(k, old.get(k, defaults[k])) != _same_runs(k, new[k])
    ]
    if other and not extend:
        raise OutputFolderError(
            f"{out_dir!r} holds the runs of another configuration ("
            + "; ".join(
                f"{k}: {_short(old.get(k, defaults[k]))} there, "
                f"{_short(new[k])} here"
                for k in other
            )
            + "); use another output folder (--out), rerun that "
            "configuration to resume it, or add these runs to it "
            "(extend=True, --extend)."
        )
    return other


def _protocol(config):
    return {k: getattr(config, k) for k in _PROTOCOL}


def _jsonable(value):
    """``value`` as it reads back from JSON."""
    return json.loads(json.dumps(value, default=_to_json))


def _to_json(value):
    if isinstance(value, np.generic):
        return value.item()
    return list(value)


def _same_runs(key, value):
    """A setting compared by the runs it gives (``seeds=3`` is 0, 1, 2)."""
    if key == "seeds" and isinstance(value, int):
        return list(range(value))
    return value


def _short(value, width=60):
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _write_config(config, out_dir):
    """Write ``config.json`` whole or not at all (a file moved in)."""
    path = os.path.join(out_dir, CONFIG_FILE)
    settings = {
        "protocol": _protocol(config),
        "last_run": dataclasses.asdict(config),
    }
    with open(path + ".tmp", "w") as fh:
        json.dump(settings, fh, indent=2, default=_to_json)
    os.replace(path + ".tmp", path)


def _by_run(rows, path):
    """The rows of ``results.csv`` by run, sorted by round; raise if a run
    has a round twice or lacks one."""
    done = {}
    for row in rows:
        done.setdefault(_key(*(row[c] for c in COLUMNS[:5])), []).append(row)
    for run, rows in done.items():
        lines = {}
        for row in rows:
            first = lines.setdefault(row["round"], row["line"])
            if first != row["line"]:
                raise ValueError(
                    f"{path!r}, line {row['line']}: round {row['round']} of "
                    f"{_name(run)} again (first on line {first}); was the "
                    "folder written by two runs at once?"
                )
        missing = sorted(set(range(max(lines) + 1)) - set(lines))
        if missing:
            raise ValueError(
                f"{path!r}: {_name(run)} has rounds up to {max(lines)}, but "
                f"round {missing[0]} is missing."
            )
        rows.sort(key=lambda r: r["round"])
    return done


def _check_queried(done, config, data, path):
    """Raise unless the runs of ``config`` bought samples of their pools
    (a sample bought twice is let pass: the study's BatchBALD rows hold
    some)."""
    for run in config.runs():
        y = data[run.dataset][1]
        n_pool = _pool_size(len(y), config.test_size)
        for row in done.get(run, ()):
            bad = [i for i in row["queried"] if i >= n_pool]
            if bad:
                raise ValueError(
                    f"{path!r}, line {row['line']}: queried index {bad[0]} "
                    f"is out of range for the pool of {run.dataset!r} "
                    f"(0..{n_pool - 1})."
                )


def _name(run):
    return "/".join(map(str, run))


def split_pool(X, y, scale, seed, test_size, n_start):
    """Pool/test split (stratified, but for a multi-label ``y`` of shape
    ``(n_samples, n_labels)``), scaled features and the random start
    labels."""
    X_pool, X_test, y_pool, y_test = train_test_split(
        X,
        y,
        test_size=test_size,
        stratify=y if np.ndim(y) == 1 else None,
        random_state=seed,
    )
    if scale:
        scaler = StandardScaler().fit(X_pool)
        X_pool, X_test = scaler.transform(X_pool), scaler.transform(X_test)
    rng = np.random.RandomState(seed)
    start = rng.choice(len(y_pool), n_start, replace=False)
    return (
        X_pool.astype(np.float32),
        y_pool,
        X_test.astype(np.float32),
        y_test,
        start,
    )


def run_rounds(
    X,
    y,
    model: str | ModelSpec,
    strategy: str | StrategySpec,
    *,
    batch_size: int,
    seed: int,
    rounds: int,
    n_start: int = 20,
    test_size: float = 0.3,
    scale: bool = False,
    replay: Sequence = (),
    pool_on_disk: bool = False,
) -> Iterator[RoundResult]:
    """Run one active-learning loop of the runner, round by round.

    The loop of ``python -m skactiveml_badge.experiments`` for one data
    set, model, strategy, batch size and seed: :func:`split_pool` gives
    the pool, the test set and ``n_start`` random start labels; round 0
    fits the model on them; every further round builds the strategy,
    queries ``batch_size`` samples of the pool with the model of the
    previous round (``fit_clf=False``), labels them and refits the model
    from scratch. The seeds of split, models and strategies derive from
    ``seed`` (the same start set and round-0 model for every strategy).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The whole data set (pool and test samples).
    y : array-like of shape (n_samples,) or (n_samples, n_labels)
        Integer labels ``0..n_classes - 1`` (as :func:`load_dataset`
        gives them), or the 0/1 indicator matrix of a multi-label data
        set. A multi-label loop labels whole rows, splits the data
        unstratified, fits the model on the labeled rows' indicator
        matrix and yields the test micro- and macro-F1
        (``zero_division=0``; the accuracy is NaN).
    model : str or ModelSpec
        A name in ``MODELS`` or a record such as
        ``MODELS["lightgbm"].with_params(num_leaves=16)``; multi-label
        (``ModelSpec.multilabel``) if and only if ``y`` is.
    strategy : str or StrategySpec
        A name in ``STRATEGIES`` or a record; multi-label
        (``StrategySpec.multilabel``) if and only if ``y`` is.
    batch_size : int
        Labels bought per round.
    seed : int
        Seed of the run.
    rounds : int
        Query rounds after the start set.
    n_start : int, default=20
        Random start labels.
    test_size : float, default=0.3
        Share of the samples held out for testing (stratified).
    scale : bool, default=False
        Standardise the features on the pool.
    replay : sequence of array-like of int, default=()
        The pool indices queried in the rounds already done (round 0's is
        empty), to resume an interrupted loop: their labels are bought
        again and the loop goes on from round ``len(replay)``. A stateful
        strategy (``StrategySpec.stateful``) reruns those rounds instead,
        unreported, and must query the same indices.
    pool_on_disk : bool, default=False
        Write the pool to an ``.npy`` file (in a temporary folder, deleted
        when the loop ends) and give strategies that select from pools on
        disk (``Badge``) its memory map: the out-of-core path of
        :doc:`/guide_scale`. Other strategies get the array.

    Yields
    ------
    result : RoundResult
        One per round, from round ``len(replay)`` to ``rounds``.

    Raises
    ------
    TypeError, ValueError
        For a bad parameter or a pool too small for the rounds (when the
        first round is asked for).
    RuntimeError
        If a strategy picks a labeled or repeated sample, or a replayed
        round differs from ``replay``.

    Examples
    --------
    >>> from skactiveml_badge.experiments import load_dataset, run_rounds
    >>> X, y, scale = load_dataset("iris")
    >>> loop = run_rounds(X, y, "logreg", "badge", batch_size=5, seed=0,
    ...                   rounds=2, n_start=6, scale=scale)
    >>> [(r.round, r.n_labels) for r in loop]
    [(0, 6), (1, 11), (2, 16)]
    """
    model = _spec(model, MODELS, ModelSpec, "model")
    strategy = _spec(strategy, STRATEGIES, StrategySpec, "strategy")
    y = np.asarray(y)
    _check_specs(y, model, strategy)
    _check_loop(y, batch_size, seed, rounds, n_start, test_size, scale)
    check_bool(pool_on_disk, "pool_on_disk")
    X_pool, y_pool, X_test, y_test, start = split_pool(
        X, y, scale, seed, test_size, n_start
    )
    with _pool_file(X_pool, pool_on_disk) as X_disk:
        yield from _rounds(
            X_pool, y_pool, X_test, y_test, start, X_disk, model, strategy,
            batch_size, seed, rounds, replay, y,
        )  # fmt: skip


@contextlib.contextmanager
def _pool_file(X_pool, on_disk):
    """A memory map of ``X_pool`` written to a temporary ``.npy`` file
    (None unless ``on_disk``)."""
    if not on_disk:
        yield None
        return
    folder = tempfile.mkdtemp(prefix="skactiveml_badge_pool_")
    try:
        path = os.path.join(folder, "X_pool.npy")
        np.save(path, X_pool)
        yield np.load(path, mmap_mode="r")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _rounds(
    X_pool, y_pool, X_test, y_test, start, X_disk, model, strategy,
    batch_size, seed, rounds, replay, y,
):  # fmt: skip
    """The rounds of :func:`run_rounds` after the split."""
    n_classes = y.shape[1] if y.ndim == 2 else int(y.max()) + 1
    labels = np.full(y_pool.shape, MISSING_LABEL)
    labels[start] = y_pool[start]
    replay = _check_replay(replay, len(y_pool))
    first = 1 if strategy.stateful and len(replay) > 1 else len(replay)
    for picks in replay[1:first]:  # labels bought in the rounds not rerun
        labels[picks] = y_pool[picks]
    qs = strategy.make(_seed(seed, 1)) if strategy.stateful else None
    clf = None
    for r in range(first, rounds + 1):
        queried, query_seconds = np.empty(0, dtype=int), float("nan")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", WarmStartWarning)
            if r > 0:
                if clf is None:  # resuming: the model of round r - 1
                    clf, _ = _fit(
                        model, n_classes, _seed(seed, r - 1), X_pool, labels
                    )
                if not strategy.stateful:
                    qs = strategy.make(_seed(seed, r))
                X_query = X_pool
                if X_disk is not None and isinstance(qs, Badge):
                    X_query = X_disk
                queried, query_seconds = _query(
                    qs, strategy.takes_clf, X_query, labels, clf, batch_size
                )
                labels[queried] = y_pool[queried]
            clf, fit_seconds = _fit(
                model, n_classes, _seed(seed, r), X_pool, labels
            )
            scores = _scores(clf.predict(X_test), y_test)
        if r < len(replay):  # a replayed round of a stateful strategy
            if not np.array_equal(queried, replay[r]):
                raise RuntimeError(
                    f"Replaying round {r} queried other samples than "
                    "recorded; was the record made with another version?"
                )
            continue
        n_labels = int(np.sum(_labeled(labels)))
        yield RoundResult(
            r, n_labels, scores[0], fit_seconds, query_seconds, queried,
            *scores[1:],
        )  # fmt: skip


def _labeled(labels):
    """Whether each pool sample (row of a multi-label ``labels``) is
    labeled."""
    known = ~np.isnan(labels)
    return known.all(axis=1) if labels.ndim == 2 else known


def _scores(predicted, y_test):
    """``(accuracy, micro_f1, macro_f1)`` of the predictions; NaN for the
    F1 scores of single-label runs and the accuracy of multi-label ones."""
    if y_test.ndim == 1:
        return float(np.mean(predicted == y_test)), math.nan, math.nan
    return (
        math.nan,
        *(
            float(f1_score(y_test, predicted, average=a, zero_division=0))
            for a in ("micro", "macro")
        ),
    )


def _check_replay(replay, n_pool):
    """``replay`` as int arrays of pool indices."""
    out = []
    for r, picks in enumerate(replay):
        picks = np.asarray(picks)
        if picks.ndim != 1 or (picks.size and picks.dtype.kind not in "iu"):
            raise TypeError(
                f"`replay[{r}]` must be a 1-d array of ints, got {picks!r}."
            )
        bad = picks[(picks < 0) | (picks >= n_pool)]
        if bad.size:
            raise ValueError(
                f"`replay[{r}]` must hold pool indices in 0..{n_pool - 1}, "
                f"got {bad[0]}."
            )
        out.append(picks.astype(int))
    return out


def _spec(value, registry, record, kind):
    if isinstance(value, record):
        return value
    if isinstance(value, str):
        return registry[check_choice(value, kind, registry)]
    raise TypeError(
        f"`{kind}` must be a name or a {record.__name__}, got {value!r}."
    )


def _check_specs(y, model, strategy):
    """Raise unless model and strategy are multi-label if and only if
    ``y`` is."""
    if y.ndim not in (1, 2):
        raise ValueError(
            "`y` must be labels of shape (n_samples,) or a label indicator "
            f"matrix of shape (n_samples, n_labels), got shape {y.shape}."
        )
    multilabel = y.ndim == 2
    want = "multi-label" if multilabel else "single-label"
    for key, spec in (("model", model), ("strategy", strategy)):
        if spec.multilabel != multilabel:
            raise ValueError(
                f"`{key}` is "
                + ("single-label" if multilabel else "multi-label")
                + f" ({spec.description}), but `y` is {want}; use a "
                f"{want} {key}."
            )


def _check_loop(y, batch_size, seed, rounds, n_start, test_size, scale):
    """The checks of :func:`run_rounds`' settings and pool."""
    check_positive_int(batch_size, "batch_size")
    check_non_negative_int(seed, "seed")
    check_positive_int(rounds, "rounds")
    check_positive_int(n_start, "n_start")
    _check_share(test_size, "test_size")
    check_bool(scale, "scale")
    _check_pool(y, n_start, rounds, batch_size, test_size)


def _fit(model, n_classes, seed, X, y):
    clf = model.make(X.shape[1], n_classes, seed)
    if "torch" in sys.modules:  # minibatch order of skorch nets
        sys.modules["torch"].manual_seed(seed)
    if model.multilabel:  # on the labeled rows only
        labeled = _labeled(y)
        X, y = X[labeled], y[labeled].astype(int)
    start = time.perf_counter()
    clf.fit(X, y)
    return clf, time.perf_counter() - start


def _query(qs, takes_clf, X, y, clf, batch_size):
    """The indices ``qs`` picks and the seconds it took."""
    t0 = time.perf_counter()
    if takes_clf:
        picks = qs.query(X, y, clf, fit_clf=False, batch_size=batch_size)
    else:
        picks = qs.query(X, y, batch_size=batch_size)
    seconds = time.perf_counter() - t0
    picks = np.asarray(picks, dtype=int)
    if _labeled(y)[picks].any() or len(set(picks.tolist())) < len(picks):
        raise RuntimeError(
            f"{type(qs).__name__} picked labeled or repeated samples."
        )
    return picks, seconds


def _csv_rows(run, rows, data, config):
    """The CSV rows of ``run`` after its recorded ``rows``."""
    X, y, scale = data
    replay = [np.array(r["queried"], dtype=int) for r in rows]
    loop = run_rounds(
        X,
        y,
        run.model,
        run.strategy,
        batch_size=run.batch_size,
        seed=run.seed,
        rounds=config.rounds,
        n_start=config.n_start,
        test_size=config.test_size,
        scale=scale,
        replay=replay,
        pool_on_disk=config.pool_on_disk,
    )
    try:
        for res in loop:
            scores = (
                (res.micro_f1, res.macro_f1)
                if np.ndim(y) == 2
                else (res.accuracy,)
            )
            yield [
                *run,
                res.round,
                res.n_labels,
                *(f"{s:.6f}" for s in scores),
                f"{res.fit_seconds:.4f}",
                "" if res.round == 0 else f"{res.query_seconds:.4f}",
                " ".join(str(i) for i in res.queried),
            ]
    except RuntimeError as exc:
        raise RuntimeError(f"{_name(run)}: {exc}") from exc


def _seed(seed, round_):
    """Seed of the model and strategy of a round (shared by strategies)."""
    return int(seed) * 10007 + int(round_)
