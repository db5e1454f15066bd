"""One active-learning loop: the pool/test split, then fit, query, score."""

import contextlib
import math
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence

import numpy as np
from skactiveml.utils import MISSING_LABEL
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from .._validation import check_bool, check_choice, check_positive_int
from ..exceptions import WarmStartWarning
from ._config import RoundResult, _check_share, _pool_size, check_seed
from ._models import MODELS, ModelSpec
from ._strategies import STRATEGIES, StrategySpec, _kind, on_disk


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
                if X_disk is not None and on_disk(qs):
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
    want, other = _kind(multilabel), _kind(not multilabel)
    for key, spec in (("model", model), ("strategy", strategy)):
        if spec.multilabel != multilabel:
            raise ValueError(
                f"`{key}` is {other} ({spec.description}), but `y` is "
                f"{want}; use a {want} {key}."
            )


def _check_loop(y, batch_size, seed, rounds, n_start, test_size, scale):
    """The checks of :func:`run_rounds`' settings and pool."""
    check_positive_int(batch_size, "batch_size")
    check_seed(seed, "seed")
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


def _check_pool(
    y, n_start, rounds, batch_size, test_size, label="the data set"
):
    """Raise unless the pool/test split of ``y`` is possible and its pool
    holds ``n_start + rounds * batch_size`` labels."""
    n_pool = _pool_size(len(y), test_size)
    n_classes = len(np.unique(y)) if y.ndim == 1 else 0
    if y.ndim == 1 and n_classes < 2:
        raise ValueError(f"{label} has one class; it needs two or more.")
    if y.ndim == 1 and min(np.bincount(y)) < 2:
        raise ValueError(
            f"A class of {label} has fewer than 2 samples; the stratified "
            "split needs 2."
        )
    if min(n_pool, len(y) - n_pool) < n_classes:
        raise ValueError(
            f"`test_size`={test_size} splits {label} into {n_pool} pool and "
            f"{len(y) - n_pool} test samples; the stratified split needs "
            f"{n_classes} (its classes) or more of each."
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


def _seed(seed, round_):
    """Seed of the model and strategy of a round (shared by strategies;
    numpy's, below 2**32)."""
    return (int(seed) * 10007 + int(round_)) % 2**32
