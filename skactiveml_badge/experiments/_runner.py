"""run_experiment: a configuration's runs, in this or in worker processes."""

import contextlib
import csv
import datetime
import functools
import importlib.util
import os
import sys
import warnings

import numpy as np

from .._optional import import_optional
from .._validation import check_bool
from ._config import (
    FAILURES_FILE,
    LOCK_FILE,
    RESULTS_FILE,
    OutputFolderError,
    RunnerWarning,
    _check_code,
    _check_config,
    _name,
)
from ._datasets import cap_samples, load_dataset
from ._loop import _check_pool, run_rounds
from ._models import MODELS
from ._report import (
    COLUMNS,
    MULTILABEL_COLUMNS,
    header_columns,
    parse_results,
    read_bytes,
)
from ._store import (
    _acquire,
    _by_run,
    _check_kind,
    _check_queried,
    _release,
    _results_file,
    check_out_dir,
)


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
        Show a progress bar (on stderr; it needs tqdm, of the
        ``experiments`` extra).
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
    code = _check_code(out_dir, len(rows))
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
    tqdm = import_optional("tqdm").tqdm if progress else None
    with (
        _results_file(path, end, config, out_dir, other, columns, code) as fh,
        tqdm(total=total, unit="round", file=sys.stderr)
        if tqdm
        else contextlib.nullcontext() as bar,
    ):
        writer = csv.writer(fh)
        failed = functools.partial(_record_failure, out_dir)
        for row in _all_rows(todo, data, config, bar, failed):
            writer.writerow(row)
            fh.flush()
            if bar is not None:
                bar.update()
            if after_row is not None:
                after_row(row)


def _load_data(config):
    """Import the models' packages and load every data set of a valid
    ``config``, checking that its pool holds the runs' labels."""
    for m in config.models:
        for module in MODELS[m].requires:
            import_optional(module)
    data = {}
    for name in config.datasets:
        X, y, scale = load_dataset(name, config.label_column)
        n_samples = len(y)
        X, y = cap_samples(X, y, config.max_samples, repr(name))
        label = repr(name)
        if len(y) < n_samples:
            label += f" cut to max_samples={config.max_samples}"
        batch_size = max(config.batch_sizes)
        _check_pool(
            y,
            config.n_start,
            config.rounds,
            batch_size,
            config.test_size,
            label,
        )
        data[name] = (X, y, scale)
    return data


def _record_failure(out_dir, run, error):
    """Append the failure of ``run`` to the folder's failures file and
    warn at once: the other runs go on, and the error is raised when
    they are done."""
    stamp = datetime.datetime.now().isoformat(timespec="seconds")
    path = os.path.join(out_dir, FAILURES_FILE)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"{stamp} {_name(run)}\n{error.rstrip()}\n\n")
    warnings.warn(
        f"{_name(run)} failed ({_last_line(error)}); its rows so far are "
        f"kept and the other runs go on. Traceback in {path!r}.",
        RunnerWarning,
        stacklevel=2,
    )


def _all_rows(todo, data, config, bar, failed=None):
    """The rows of every unfinished run: round by round in this process,
    or run by run from ``config.workers`` processes (a run's rows are
    written when the run is done, so an interruption loses at most the
    runs in progress)."""
    if config.workers == 1:
        with _one_thread(config):  # as in a worker: one thread
            for run, rows in todo:
                if bar is not None:
                    bar.set_description(_name(run))
                try:
                    yield from _csv_rows(run, rows, data[run.dataset], config)
                except Exception:
                    if failed is not None:
                        failed(run, _traceback())
                    raise
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
        failures = []
        try:
            for fut in cf.as_completed(futures):
                run, rows, error = fut.result()
                yield from rows
                if error:
                    failures.append(f"{_name(run)}: {_last_line(error)}")
                    if failed is not None:
                        failed(run, error)
        finally:
            for fut in futures:
                fut.cancel()
    if failures:
        # The other runs went on; their rows are written.
        raise RuntimeError(
            f"{len(failures)} run(s) failed (tracebacks in {FAILURES_FILE} "
            "of the output folder):\n" + "\n".join(failures)
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
    if "torch" in sys.modules or importlib.util.find_spec("torch"):
        import torch

        torch.set_num_threads(1)
    _WORKER_DATA.update(data)


def _worker_run(run, rows, config):
    """``(run, rows, error)``: the rows made, and the error that ended the
    run early (an empty string if none)."""
    out = []
    try:
        for row in _csv_rows(run, rows, _WORKER_DATA[run.dataset], config):
            out.append(row)
    except Exception:  # reported by the parent
        return run, out, _traceback()
    return run, out, ""


def _traceback():
    """The traceback of the exception being handled."""
    import traceback

    return traceback.format_exc()


def _last_line(error):
    """The last line of a traceback: the exception and its message."""
    lines = error.strip().splitlines()
    return lines[-1] if lines else ""


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
