"""The active-learning loop of the runner, with a resumable tidy CSV."""

import csv
import dataclasses
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Sequence

import numpy as np
from skactiveml.utils import MISSING_LABEL
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from .._badge import WarmStartWarning
from .._optional import import_optional
from .._validation import check_non_negative_int
from ..selection._validation import check_positive_int
from ._registry import (
    MODELS,
    STRATEGIES,
    applies,
    cap_samples,
    check_names,
    load_dataset,
)

#: Columns of ``results.csv``, one row per (data set, model, strategy,
#: batch size, seed, round). Round 0 is the random start set; ``queried``
#: lists the pool indices the round's query added (empty for round 0).
COLUMNS = (
    "dataset",
    "model",
    "strategy",
    "batch_size",
    "seed",
    "round",
    "n_labels",
    "accuracy",
    "fit_seconds",
    "query_seconds",
    "queried",
)

#: Columns that differ between two runs of the same configuration.
TIMING_COLUMNS = ("fit_seconds", "query_seconds")

RESULTS_FILE = "results.csv"
CONFIG_FILE = "config.json"

# Settings that must not change between a run and its resumption.
_PROTOCOL = ("n_start", "test_size", "label_column", "max_samples")


@dataclasses.dataclass
class ExperimentConfig:
    """What to run: every combination of the lists, ``rounds`` rounds each.

    Parameters
    ----------
    datasets : sequence of str
        Registered names (see ``DATASETS``) or paths to ``.npz``/``.csv``
        files.
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
    """

    datasets: Sequence[str] = ("digits",)
    models: Sequence[str] = ("mlp",)
    strategies: Sequence[str] = ("badge", "random", "margin")
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

    def seed_list(self):
        if isinstance(self.seeds, (int, np.integer)):
            return list(range(int(self.seeds)))
        return [int(s) for s in self.seeds]

    def runs(self):
        """Every (dataset, model, strategy, batch_size, seed), in order:
        seed by seed (so that an interrupted study has whole seeds of
        every setting), leaving out strategies that do not apply to a
        model (see ``STRATEGIES``)."""
        return self._runs(self.seed_list(), self.strategies) + self._runs(
            [int(s) for s in self.more_seeds], self.more_seeds_strategies
        )

    def _runs(self, seeds, strategies):
        return [
            (d, m, s, b, seed)
            for seed in seeds
            for m in self.models
            for d in self.datasets
            for b in self.batch_sizes
            for s in strategies
            if applies(s, m)
        ]

    def validate(self):
        """Check everything that can be checked before any work.

        Loads the data sets and imports the models' packages. Returns the
        loaded data sets by name.

        Raises
        ------
        ValueError, TypeError, ImportError
        """
        for name in ("datasets", "models", "strategies", "batch_sizes"):
            value = getattr(self, name)
            if isinstance(value, str) or not len(value):
                raise ValueError(
                    f"`{name}` must be a non-empty list, got {value!r}."
                )
        check_names(self.datasets, self.models, self.strategies)
        for name in ("rounds", "n_start", "workers"):
            check_positive_int(getattr(self, name), name)
        check_positive_int(self.max_samples, "max_samples", allow_none=True)
        for b in self.batch_sizes:
            check_positive_int(b, "batch_sizes")
        if isinstance(self.seeds, (int, np.integer)):
            check_positive_int(self.seeds, "seeds")
        else:
            for s in self.seeds:
                check_non_negative_int(s, "seeds")
            if not len(self.seeds) or len(set(self.seeds)) != len(self.seeds):
                raise ValueError("`seeds` must be distinct and non-empty.")
        check_names((), (), self.more_seeds_strategies)
        for s in self.more_seeds:
            check_non_negative_int(s, "more_seeds")
        more = [int(s) for s in self.more_seeds]
        if len(set(more)) != len(more) or set(more) & set(self.seed_list()):
            raise ValueError(
                "`more_seeds` must be distinct and not among `seeds`, got "
                f"{list(self.more_seeds)!r}."
            )
        if bool(more) != bool(len(self.more_seeds_strategies)):
            raise ValueError(
                "Give both `more_seeds` and `more_seeds_strategies`, or "
                "neither."
            )
        if not 0 < float(self.test_size) < 1:
            raise ValueError(
                f"`test_size` must be in (0, 1), got {self.test_size}."
            )
        for m in self.models:
            for module in MODELS[m].modules:
                import_optional(module)
        data = {}
        need = self.n_start + self.rounds * max(self.batch_sizes)
        for name in self.datasets:
            X, y, scale = load_dataset(name, self.label_column)
            X, y = cap_samples(X, y, self.max_samples)
            n_test = math.ceil(float(self.test_size) * len(y))
            n_pool = len(y) - n_test
            if min(np.bincount(y)) < 2:
                raise ValueError(
                    f"Data set {name!r} has a class with fewer than 2 "
                    "samples; the stratified split needs 2."
                )
            if max(self.batch_sizes) > n_pool - self.n_start:
                raise ValueError(
                    f"batch size {max(self.batch_sizes)} is larger than "
                    f"the unlabeled pool of {name!r} ({n_pool} pool "
                    f"samples - {self.n_start} start labels)."
                )
            if need > n_pool:
                raise ValueError(
                    f"{self.n_start} start labels + {self.rounds} rounds x "
                    f"batch {max(self.batch_sizes)} = {need} labels exceed "
                    f"the pool of {name!r} ({n_pool} samples); use fewer "
                    "rounds or a smaller batch."
                )
            data[name] = (X, y, scale)
        return data


def run_experiment(config, out_dir, progress=True, _after_row=None):
    """Run (or resume) an experiment, appending to ``out_dir/results.csv``.

    Each round's row is written (and flushed) as soon as it is finished.
    Rerunning with the same ``out_dir`` skips the rounds already there and
    continues every unfinished run where it stopped: the labels bought so
    far are replayed from the ``queried`` column and the model is refitted,
    so the rows equal those of an uninterrupted run (up to the timing
    columns).

    Parameters
    ----------
    config : ExperimentConfig
    out_dir : str or path
    progress : bool, default=True
        Show a progress bar (on stderr).

    Returns
    -------
    path : str
        The results file.
    """
    data = config.validate()
    os.makedirs(out_dir, exist_ok=True)
    _check_protocol(config, out_dir)
    path = os.path.join(out_dir, RESULTS_FILE)
    done = _read_done(path)
    todo = []
    for run in config.runs():
        rows = done.get(_key(*run), [])
        if len(rows) < config.rounds + 1:
            todo.append((run, rows))
    total = sum(config.rounds + 1 - len(rows) for _, rows in todo)
    new_file = not os.path.exists(path) or os.path.getsize(path) == 0
    tqdm = import_optional("tqdm").tqdm
    with (
        open(path, "a", newline="") as fh,
        tqdm(
            total=total, disable=not progress, unit="round", file=sys.stderr
        ) as bar,
    ):
        writer = csv.writer(fh)
        if new_file:
            writer.writerow(COLUMNS)
            fh.flush()
        for row in _all_rows(todo, data, config, bar):
            writer.writerow(row)
            fh.flush()
            bar.update()
            if _after_row is not None:
                _after_row(row)
    return path


def _all_rows(todo, data, config, bar):
    """The rows of every unfinished run: round by round in this process,
    or run by run from ``config.workers`` processes (a run's rows are
    written when the run is done, so an interruption loses at most the
    runs in progress)."""
    if config.workers == 1:
        for run, rows in todo:
            bar.set_description("/".join(str(v) for v in run))
            yield from _run_rounds(run, rows, data[run[0]], config)
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
                    failed.append(f"{'/'.join(map(str, run))}: {error}")
        finally:
            for fut in futures:
                fut.cancel()
    if failed:
        # The other runs went on; their rows are written.
        raise RuntimeError(
            f"{len(failed)} run(s) failed:\n" + "\n".join(failed)
        )


_WORKER_DATA = {}


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
        for row in _run_rounds(run, rows, _WORKER_DATA[run[0]], config):
            out.append(row)
    except Exception:  # reported by the parent, after the other runs
        return run, out, traceback.format_exc(limit=4)
    return run, out, ""


def _key(dataset, model, strategy, batch_size, seed):
    return (
        str(dataset),
        str(model),
        str(strategy),
        int(batch_size),
        int(seed),
    )


def _check_protocol(config, out_dir):
    cfg_path = os.path.join(out_dir, CONFIG_FILE)
    protocol = {k: getattr(config, k) for k in _PROTOCOL}
    if os.path.exists(cfg_path):
        with open(cfg_path) as fh:
            old = json.load(fh).get("protocol", {})
        changed = [k for k in _PROTOCOL if old.get(k) != protocol[k]]
        if changed:
            raise ValueError(
                f"{out_dir!r} holds results made with other "
                + ", ".join(f"{k}={old.get(k)!r}" for k in changed)
                + "; use another output folder."
            )
    with open(cfg_path, "w") as fh:
        json.dump(
            {
                "protocol": protocol,
                "last_run": dataclasses.asdict(config),
            },
            fh,
            indent=2,
            default=list,
        )


def _read_done(path):
    """Rows already written, by run, sorted by round (a torn last line from
    an interrupted write is cut off)."""
    if not os.path.exists(path):
        return {}
    with open(path, "rb+") as fh:
        content = fh.read()
        if content and not content.endswith(b"\n"):
            fh.truncate(content.rfind(b"\n") + 1)
    done = {}
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        if (
            reader.fieldnames is not None
            and tuple(reader.fieldnames) != COLUMNS
        ):
            raise ValueError(
                f"{path!r} does not have the runner's columns {COLUMNS}."
            )
        for row in reader:
            key = _key(*(row[c] for c in COLUMNS[:5]))
            done.setdefault(key, []).append(row)
    for key, rows in done.items():
        rows.sort(key=lambda r: int(r["round"]))
        if [int(r["round"]) for r in rows] != list(range(len(rows))):
            raise ValueError(f"{path!r} has gaps in the rounds of {key}.")
    return done


def split_pool(X, y, scale, seed, test_size, n_start):
    """Pool/test split, scaled features and the random start labels."""
    X_pool, X_test, y_pool, y_test = train_test_split(
        X, y, test_size=test_size, stratify=y, random_state=seed
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


def _fit(model, n_classes, seed, X, y):
    factory = MODELS[model].factory
    clf = factory(X.shape[1], n_classes, seed)
    if "torch" in sys.modules:  # minibatch order of skorch nets
        sys.modules["torch"].manual_seed(seed)
    start = time.perf_counter()
    clf.fit(X, y)
    return clf, time.perf_counter() - start


def _run_rounds(run, rows, data, config):
    """Yield the CSV rows of one run from round ``len(rows)`` on.

    A stateful strategy (one instance through the run) is resumed by
    replaying the recorded rounds: they are run again, unwritten, and must
    query what the file says.
    """
    dataset, model, strategy, batch_size, seed = run
    X, y_all, scale = data
    n_classes = int(y_all.max()) + 1
    X_pool, y_pool, X_test, y_test, start = split_pool(
        X, y_all, scale, seed, config.test_size, config.n_start
    )
    y = np.full(len(y_pool), MISSING_LABEL)
    y[start] = y_pool[start]
    spec = STRATEGIES[strategy]
    first = 1 if spec.stateful and len(rows) > 1 else len(rows)
    for row in rows[1:first]:  # labels bought in the rounds not rerun
        idx = np.array(row["queried"].split(), dtype=int)
        y[idx] = y_pool[idx]
    make_strategy, takes_clf = spec.make, spec.takes_clf
    qs = make_strategy(_seed(seed, 1)) if spec.stateful else None
    clf = None
    for r in range(first, config.rounds + 1):
        queried, query_seconds = np.empty(0, dtype=int), float("nan")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", WarmStartWarning)
            if r > 0:
                if clf is None:  # resuming: the model of round r - 1
                    clf, _ = _fit(
                        model, n_classes, _seed(seed, r - 1), X_pool, y
                    )
                if not spec.stateful:
                    qs = make_strategy(_seed(seed, r))
                t0 = time.perf_counter()
                if takes_clf:
                    queried = qs.query(
                        X_pool, y, clf, fit_clf=False, batch_size=batch_size
                    )
                else:
                    queried = qs.query(X_pool, y, batch_size=batch_size)
                query_seconds = time.perf_counter() - t0
                queried = np.asarray(queried, dtype=int)
                y[queried] = y_pool[queried]
            clf, fit_seconds = _fit(
                model, n_classes, _seed(seed, r), X_pool, y
            )
            accuracy = float(np.mean(clf.predict(X_test) == y_test))
        if r < len(rows):  # a replayed round of a stateful strategy
            recorded = rows[r]["queried"].split()
            if [str(i) for i in queried] != recorded:
                raise RuntimeError(
                    f"Replaying {'/'.join(map(str, run))} round {r} "
                    "queried other samples than the results file holds; "
                    "was it made with another version?"
                )
            continue
        yield [
            dataset,
            model,
            strategy,
            batch_size,
            seed,
            r,
            int(np.sum(~np.isnan(y))),
            f"{accuracy:.6f}",
            f"{fit_seconds:.4f}",
            "" if r == 0 else f"{query_seconds:.4f}",
            " ".join(str(i) for i in queried),
        ]


def _seed(seed, round_):
    """Seed of the model and strategy of a round (shared by strategies)."""
    return int(seed) * 10007 + int(round_)
