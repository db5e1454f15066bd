"""The runner's settings: ExperimentConfig, its checks and config.json."""

import collections
import dataclasses
import json
import math
import os
import warnings
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from .._validation import (
    Bool,
    Choice,
    Int,
    check_non_negative_int,
    check_positive_int,
    check_positive_real,
    validate_params,
)
from ._datasets import check_dataset
from ._models import MODELS
from ._report import read_text
from ._strategies import STRATEGIES, applies, check_task, disk_refusal

#: Columns that differ between two runs of the same configuration.
TIMING_COLUMNS = ("fit_seconds", "query_seconds")

RESULTS_FILE = "results.csv"
CONFIG_FILE = "config.json"
#: Held (locked, with the pid) by the run writing a folder.
LOCK_FILE = ".lock"
#: Runs that failed, one block each, appended when the failure happens.
FAILURES_FILE = "failures.log"
#: What the command line writes next to the results (a folder that holds
#: any of them but no config.json is not the runner's).
REPORT_FILES = ("summary.md", "learning_curves.png", "penalty_matrix.png")

#: Seeds are numpy's: 0..2**32 - 1.
MAX_SEED = 2**32 - 1
#: The most runs of a configuration (all are listed first).
MAX_RUNS = 10**6
#: The most worker processes.
MAX_WORKERS = 1024

#: Libraries whose versions can change what a run picks or scores, with
#: the distributions that install each (the first installed counts).
CODE_LIBRARIES = {
    "numpy": ("numpy",),
    "scipy": ("scipy",),
    "scikit-learn": ("scikit-learn",),
    "scikit-activeml": ("scikit-activeml",),
    "torch": ("torch",),
    "skorch": ("skorch",),
    "lightgbm": ("lightgbm",),
    "xgboost": ("xgboost", "xgboost-cpu"),
    "catboost": ("catboost",),
}

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
        split, the start labels, and the seeds of models and strategies;
        seeds are numpy's, ``0..MAX_SEED``. No list may name an item
        twice, and a configuration has at most ``MAX_RUNS`` runs.
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
        subsample, the same for every seed) before the pool/test split;
        at least enough for the start set and the rounds.
    workers : int
        Processes that run the runs (each with one thread; at most
        ``MAX_WORKERS``); the results file is written by the calling
        process only.
    more_seeds : sequence of int
        Further seeds, run for ``more_seeds_strategies`` only (e.g. ten
        seeds where strategies are close); after all of ``seeds``.
    more_seeds_strategies : sequence of str
        Names in ``STRATEGIES``.
    pool_on_disk : bool
        Write every run's pool to an ``.npy`` file and give the
        strategies that select from pools on disk (``Badge`` and its
        variants) a memory map of it instead of the array (see
        :func:`run_rounds`); not with a strategy that cannot serve one
        (MC dropout, a TypiClust warm start).
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
        if _is_int(self.seeds):
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
        sizes and seeds be ints in range, lists be lists of distinct
        items. Nothing is opened or imported: the data sets are loaded,
        and the models' packages imported, when a run starts
        (:func:`run_experiment`), which also checks what needs the data
        (a pool large enough for the rounds, classes for the stratified
        splits).

        Raises
        ------
        TypeError, ValueError
            Naming the setting (also for multi-label data sets with
            single-label models or strategies, and the reverse, and for
            settings that cannot go together).
        """
        for key, check in _constraints().items():
            try:
                validate_params(self, {key: check})
            except RecursionError:  # in the message's repr of the value
                raise ValueError(f"`{key}` is nested too deeply.") from None
        self.is_multilabel()
        n_seeds = self.seeds if _is_int(self.seeds) else len(self.seeds)
        n_runs = int(n_seeds) * len(self.strategies)
        n_runs += len(self.more_seeds) * len(self.more_seeds_strategies)
        for key in ("datasets", "models", "batch_sizes"):
            n_runs *= len(getattr(self, key))
        if n_runs > MAX_RUNS:
            raise ValueError(
                "`seeds`, `datasets`, `models`, `batch_sizes` and "
                f"`strategies` (and `more_seeds`) make {n_runs:,} runs; "
                f"a configuration has at most {MAX_RUNS:,}: split it (into "
                "one folder with --extend)."
            )
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
        self._check_combinations()

    def _check_combinations(self):
        """Raise for settings that cannot go together."""
        strategies, models = list(self.strategies), list(self.models)
        if not any(applies(s, m) for s in strategies for m in models):
            only = {s: list(STRATEGIES[s].applies_to) for s in strategies}
            raise ValueError(
                f"`strategies`: none of the strategies {strategies} applies "
                f"to the models {models}; they run with {only} (models or "
                "model families)."
            )
        batch, t = max(self.batch_sizes), self.test_size
        need = self.n_start + self.rounds * batch
        if self.max_samples and _pool_size(self.max_samples, t) < need:
            raise ValueError(
                "`max_samples` (--max-samples) must be at least "
                f"{_min_samples(need, t)} for {self.n_start} start labels + "
                f"{self.rounds} rounds x batch {batch} = {need} pool samples "
                f"at test_size={t}, got {self.max_samples}."
            )
        for key in ("strategies", "more_seeds_strategies"):
            for name in getattr(self, key) if self.pool_on_disk else ():
                why = disk_refusal(STRATEGIES[name].make(0))
                if why:
                    raise ValueError(
                        f"`{key}`: {name!r} cannot take a pool on disk "
                        f"(`pool_on_disk`, --pool-on-disk): {why}."
                    )


def _constraints():
    """The check of every setting of :class:`ExperimentConfig` (read at
    each call: the registries may have grown)."""
    return {
        "datasets": _ListOf(check_dataset),
        "models": _ListOf(Choice(*MODELS)),
        "strategies": _ListOf(Choice(*STRATEGIES)),
        "batch_sizes": _ListOf(Int()),
        "seeds": _check_seeds,
        "rounds": Int(),
        "n_start": Int(),
        "test_size": _check_share,
        "label_column": _check_str,
        "max_samples": Int(none=True),
        "workers": _at_most(Int(), MAX_WORKERS, " (processes)"),
        "more_seeds": _ListOf(check_seed, empty=True),
        "more_seeds_strategies": _ListOf(Choice(*STRATEGIES), empty=True),
        "pool_on_disk": Bool(),
    }


class _ListOf:
    """A list (or tuple) of distinct items that pass ``check(item,
    name)`` (an item twice would give rows of the same key)."""

    def __init__(self, check, empty=False):
        self.check, self.empty = check, empty

    def __call__(self, value, name):
        what = "a list" if self.empty else "a non-empty list"
        if isinstance(value, str) or not isinstance(
            value, (Sequence, np.ndarray)
        ):
            raise TypeError(f"`{name}` must be {what}, got {value!r}.")
        if not self.empty and not len(value):
            raise ValueError(f"`{name}` must be {what}, got {value!r}.")
        items = [self.check(v, name) for v in value]
        twice = [v for v, n in collections.Counter(items).items() if n > 1]
        if twice:
            raise ValueError(
                f"`{name}` names {twice[0]!r} twice; list each once."
            )
        return items


def _is_int(value):
    return isinstance(value, (int, np.integer))


def _at_most(check, high, why=""):
    """``check``, and the value at most ``high`` (``why``: the reason)."""

    def checked(value, name):
        value = check(value, name)
        if value > high:
            raise ValueError(
                f"`{name}` must be at most {high}{why}, got {value}."
            )
        return value

    return checked


#: A seed: numpy's (an int in 0..MAX_SEED).
check_seed = _at_most(check_non_negative_int, MAX_SEED, " (numpy's seeds)")


def _check_seeds(value, name):
    """A number of seeds (an int >= 1) or distinct seeds."""
    if _is_int(value):
        return check_positive_int(value, name)
    return _ListOf(check_seed)(value, name)


def _check_share(value, name):
    value = check_positive_real(value, name)
    if value >= 1:
        raise ValueError(f"`{name}` must be in (0, 1), got {value}.")
    return value


def _check_str(value, name):
    if not isinstance(value, str):
        raise TypeError(f"`{name}` must be a str, got {value!r}.")
    return value


def _name(run):
    return "/".join(map(str, run))


def _run_of(row):
    """The :class:`Run` of a (typed) row of ``results.csv``."""
    return Run(*(row[c] for c in Run._fields))


def rows_of(config, rows):
    """The rows of ``config``'s runs and rounds (a folder may hold more:
    another configuration's, added with ``extend``)."""
    wanted = set(config.runs())
    return [
        r for r in rows if _run_of(r) in wanted and r["round"] <= config.rounds
    ]


_CONFIG = "the runner's config.json (a JSON object with 'protocol' and "
_CONFIG += "'last_run' objects)"


def read_json(path, what):
    """The JSON value of the file ``path``; ``what`` it should be, for the
    errors, which name the file (and the line)."""
    text = read_text(path, what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{path!r}, line {exc.lineno}, column {exc.colno}: not JSON "
            f"({exc.msg}); expected {what}."
        ) from None
    except RecursionError:
        raise ValueError(
            f"{path!r}: nested too deeply; expected {what}."
        ) from None
    except ValueError as exc:  # e.g. a number of too many digits
        raise ValueError(f"{path!r}: not {what} ({exc}).") from None


def _pool_size(n_samples, test_size):
    """Pool samples of the stratified split (as ``train_test_split``)."""
    return n_samples - math.ceil(float(test_size) * n_samples)


def _min_samples(need, test_size):
    """The fewest samples whose pool holds ``need`` samples."""
    low = math.ceil(need / (1 - test_size))  # up to rounding
    near = range(low - 2, low + 3)
    return next((n for n in near if _pool_size(n, test_size) >= need), low)


def _read_config(path):
    """The checked content of a ``config.json``."""
    saved = read_json(path, _CONFIG)
    parts = ("protocol", "last_run")
    if not isinstance(saved, dict) or not all(
        isinstance(saved.get(k), dict) for k in parts
    ):
        raise ValueError(f"{path!r}: expected {_CONFIG}.")
    code = saved.get("code", [])
    if not isinstance(code, list) or not all(
        isinstance(c, dict) and isinstance(c.get("code"), dict) for c in code
    ):
        raise ValueError(
            f"{path!r}: 'code' must be a list of records of the code that "
            "made the runs."
        )
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
    new = _jsonable(dataclasses.asdict(config))
    # A setting added since the folder was written: its default there.
    old = _jsonable(dataclasses.asdict(ExperimentConfig())) | saved["last_run"]
    other = [
        k
        for k in new
        if k != "workers" and _same_runs(k, old[k]) != _same_runs(k, new[k])
    ]
    if other and not extend:
        raise OutputFolderError(
            f"{out_dir!r} holds the runs of another configuration ("
            + "; ".join(
                f"{k}: {_short(old[k])} there, {_short(new[k])} here"
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


def code_version(root=None):
    """What makes the runs: a digest of this package's Python files (or
    those under ``root``) and the versions of :data:`CODE_LIBRARIES`
    (None: not installed)."""
    import hashlib
    from importlib import metadata

    if root is None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    digest = hashlib.sha256()
    files = sorted(
        os.path.relpath(os.path.join(d, f), root)
        for d, _, names in os.walk(root)
        for f in names
        if f.endswith(".py")
    )
    for name in files:
        digest.update(name.replace(os.sep, "/").encode() + b"\0")
        with open(os.path.join(root, name), "rb") as fh:
            digest.update(fh.read() + b"\0")
    versions = dict.fromkeys(CODE_LIBRARIES)
    for lib, dists in CODE_LIBRARIES.items():
        for dist in dists:
            try:
                versions[lib] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
    return {"package": digest.hexdigest()[:16], "versions": versions}


def code_changes(before, now):
    """What differs between two :func:`code_version` records, in words."""
    out = []
    if before.get("package") != now["package"]:
        out.append(
            f"this package's files ({before.get('package')} -> "
            f"{now['package']})"
        )
    old = before.get("versions", {})
    out += [
        f"{lib} {old.get(lib)} -> {v}"
        for lib, v in now["versions"].items()
        if old.get(lib) != v
    ]
    return out


def _check_code(out_dir, n_rows):
    """The ``code`` records of ``out_dir``'s ``config.json`` with today's
    appended when it differs from the last (with the number of result
    rows made before it), and a :class:`RunnerWarning` then if the folder
    holds results; None if nothing changed."""
    path = os.path.join(out_dir, CONFIG_FILE)
    history = []
    if os.path.exists(path):
        history = _read_config(path).get("code", [])
    now = code_version()
    if history and history[-1]["code"] == now:
        return None
    if history and n_rows:
        warnings.warn(
            f"{out_dir!r} holds {n_rows} result rows made by other code ("
            + "; ".join(code_changes(history[-1]["code"], now))
            + "): the runs made now can pick and score differently from "
            "those (benchmarks/study/budgets/drift.py compares a sample).",
            RunnerWarning,
            stacklevel=4,
        )
    return [*history, {"code": now, "rows_before": n_rows}]


def _write_config(config, out_dir, code=None):
    """Write ``config.json`` whole or not at all (a file moved in); keep
    its ``code`` records unless ``code`` gives new ones."""
    path = os.path.join(out_dir, CONFIG_FILE)
    if code is None and os.path.exists(path):
        code = _read_config(path).get("code")
    settings = {
        "protocol": _protocol(config),
        "last_run": dataclasses.asdict(config),
        "code": code or [],
    }
    with open(path + ".tmp", "w") as fh:
        json.dump(settings, fh, indent=2, default=_to_json)
    os.replace(path + ".tmp", path)
