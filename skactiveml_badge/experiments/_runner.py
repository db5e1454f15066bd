"""The active-learning loop of the runner, with a resumable tidy CSV."""

import csv
import dataclasses
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from typing import NamedTuple

import numpy as np
from skactiveml.utils import MISSING_LABEL
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from .._badge import WarmStartWarning
from .._optional import import_optional
from .._validation import (
    Int,
    check_bool,
    check_choice,
    check_non_negative_int,
    check_positive_int,
    check_positive_real,
    validate_params,
)
from ._registry import (
    MODELS,
    STRATEGIES,
    ModelSpec,
    StrategySpec,
    applies,
    cap_samples,
    check_dataset,
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
    #: Labels the model of this round was fitted on.
    n_labels: int
    #: Test accuracy of that model.
    accuracy: float
    fit_seconds: float
    #: Wall time of the round's query (NaN for round 0).
    query_seconds: float
    #: Pool indices the round's query added (empty for round 0).
    queried: np.ndarray


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
            Naming the setting.
        """
        validate_params(self, _constraints())
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
    n_pool = len(y) - math.ceil(float(test_size) * len(y))
    if min(np.bincount(y)) < 2:
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
    check_bool(progress, "progress")
    config.validate()
    data = _load_data(config)
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
    y : array-like of shape (n_samples,)
        Integer labels ``0..n_classes - 1`` (as :func:`load_dataset`
        gives them).
    model : str or ModelSpec
        A name in ``MODELS`` or a record such as
        ``MODELS["lightgbm"].with_params(num_leaves=16)``.
    strategy : str or StrategySpec
        A name in ``STRATEGIES`` or a record.
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
    _check_loop(y, batch_size, seed, rounds, n_start, test_size, scale)
    X_pool, y_pool, X_test, y_test, start = split_pool(
        X, y, scale, seed, test_size, n_start
    )
    n_classes = int(y.max()) + 1
    labels = np.full(len(y_pool), MISSING_LABEL)
    labels[start] = y_pool[start]
    replay = [np.asarray(picks, dtype=int) for picks in replay]
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
                queried, query_seconds = _query(
                    qs, strategy.takes_clf, X_pool, labels, clf, batch_size
                )
                labels[queried] = y_pool[queried]
            clf, fit_seconds = _fit(
                model, n_classes, _seed(seed, r), X_pool, labels
            )
            accuracy = float(np.mean(clf.predict(X_test) == y_test))
        if r < len(replay):  # a replayed round of a stateful strategy
            if not np.array_equal(queried, replay[r]):
                raise RuntimeError(
                    f"Replaying round {r} queried other samples than "
                    "recorded; was the record made with another version?"
                )
            continue
        n_labels = int(np.sum(~np.isnan(labels)))
        yield RoundResult(
            r, n_labels, accuracy, fit_seconds, query_seconds, queried
        )


def _spec(value, registry, record, kind):
    if isinstance(value, record):
        return value
    if isinstance(value, str):
        return registry[check_choice(value, kind, registry)]
    raise TypeError(
        f"`{kind}` must be a name or a {record.__name__}, got {value!r}."
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
    if not np.isnan(y[picks]).all() or len(set(picks.tolist())) < len(picks):
        raise RuntimeError(
            f"{type(qs).__name__} picked labeled or repeated samples."
        )
    return picks, seconds


def _csv_rows(run, rows, data, config):
    """The CSV rows of ``run`` after its recorded ``rows``."""
    X, y, scale = data
    replay = [np.array(r["queried"].split(), dtype=int) for r in rows]
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
    )
    try:
        for res in loop:
            yield [
                *run,
                res.round,
                res.n_labels,
                f"{res.accuracy:.6f}",
                f"{res.fit_seconds:.4f}",
                "" if res.round == 0 else f"{res.query_seconds:.4f}",
                " ".join(str(i) for i in res.queried),
            ]
    except RuntimeError as exc:
        raise RuntimeError(f"{'/'.join(map(str, run))}: {exc}") from exc


def _seed(seed, round_):
    """Seed of the model and strategy of a round (shared by strategies)."""
    return int(seed) * 10007 + int(round_)
