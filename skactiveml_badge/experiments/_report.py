"""Learning curves and the pairwise penalty matrix of the BADGE paper."""

import csv
import io
import math
from collections import defaultdict

import numpy as np

from .._optional import import_optional

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
#: Columns of the ``results.csv`` of multi-label runs: ``COLUMNS`` with
#: the test micro- and macro-F1 in place of the accuracy.
MULTILABEL_COLUMNS = (
    *COLUMNS[:7],
    "micro_f1",
    "macro_f1",
    *COLUMNS[8:],
)
#: The scores of each kind of results file, the first the main one.
_SCORES = {
    COLUMNS: ("accuracy",),
    MULTILABEL_COLUMNS: ("micro_f1", "macro_f1"),
}
#: The scores as the tables name them.
SCORE_NAMES = {
    "accuracy": "test accuracy",
    "micro_f1": "test micro-F1",
    "macro_f1": "test macro-F1",
}

_RESULTS = "the runner's results.csv"


def read_bytes(path):
    """The content of a file (a ValueError naming it if unreadable)."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise ValueError(f"Cannot read {path!r}: {exc.strerror}.") from None


def read_text(path, what):
    """The UTF-8 text of a file (a BOM dropped); ``what`` the file should
    be, for the errors, which name the file and the line."""
    return decode(read_bytes(path), path, what)


def decode(content, path, what):
    """``content`` (bytes of the file ``path``) as UTF-8 text."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content.count(b"\n", 0, exc.start) + 1
        raise ValueError(
            f"{path!r}, line {line}: byte {content[exc.start]:#04x} is not "
            f"UTF-8 text; expected {what}."
        ) from None


def header_columns(content):
    """The columns of a ``results.csv`` by its first line (``COLUMNS`` or
    ``MULTILABEL_COLUMNS``), or None if it is neither (or torn)."""
    first = content.split(b"\n", 1)[0].rstrip(b"\r")
    text = first.decode("utf-8-sig", "replace")
    return next((c for c in _SCORES if text == ",".join(c)), None)


def parse_results(content, path):
    """Check and type the rows of a ``results.csv`` (of single-label runs,
    ``COLUMNS``, or of multi-label runs, ``MULTILABEL_COLUMNS``).

    Parameters
    ----------
    content : bytes
        The file's content.
    path : str
        The file, for the errors.

    Returns
    -------
    rows : list of dict
        The complete lines' rows, typed, with ``queried`` as a tuple of
        ints and ``line``, the row's line in the file.
    end : int
        The length of those lines: anything after it is a last line torn
        by an interrupted write.

    Raises
    ------
    ValueError
        Naming the file, the line and what was expected there.
    """
    end = content.rfind(b"\n") + 1
    text = decode(content[:end], path, _RESULTS)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        first = next(reader, None)
        if first is None:  # no whole line; a torn header is cut off
            torn = content.rstrip(b"\r")
            if not any(",".join(c).encode().startswith(torn) for c in _SCORES):
                raise ValueError(f"{path!r}, line 1: {_header(content)}")
            return [], 0
        columns = tuple(first)
        if columns not in _SCORES:
            raise ValueError(f"{path!r}, line 1: {_header(','.join(first))}")
        rows = [_typed(rec, reader.line_num, path, columns) for rec in reader]
    except csv.Error as exc:
        raise ValueError(
            f"{path!r}, line {reader.line_num}: {exc}; expected {_RESULTS}."
        ) from None
    return rows, end


def _header(got):
    got = got if isinstance(got, str) else got.decode("utf-8", "replace")
    return (
        f"expected the header {','.join(COLUMNS)} (multi-label runs: "
        f"{','.join(MULTILABEL_COLUMNS)}), got {got[:80]!r}."
    )


def _typed(rec, line, path, columns=COLUMNS):
    """One row of ``results.csv``, typed (errors name file and line)."""
    where = f"{path!r}, line {line}"
    if len(rec) != len(columns):
        raise ValueError(
            f"{where}: expected {len(columns)} fields ({','.join(columns)}),"
            f" got {len(rec)}."
        )
    row = dict(zip(columns, rec, strict=True))
    for col in COLUMNS[:3]:
        if not row[col]:
            raise ValueError(f"{where}: {col!r}: expected a name, got ''.")
    for col, low in (("batch_size", 1), ("seed", 0), ("round", 0)):
        row[col] = _int(row[col], col, low, where)
    row["n_labels"] = _int(row["n_labels"], "n_labels", 1, where)
    for score in _SCORES[columns]:
        row[score] = _real(row[score], score, 1, where)
    row["fit_seconds"] = _real(row["fit_seconds"], "fit_seconds", None, where)
    first = row["round"] == 0
    seconds = row["query_seconds"]
    if first != (seconds == ""):
        raise ValueError(
            f"{where}: 'query_seconds': expected "
            + ("nothing in round 0" if first else "a number after round 0")
            + f", got {seconds!r}."
        )
    row["query_seconds"] = (
        float("nan") if first else _real(seconds, "query_seconds", None, where)
    )
    row["queried"] = _queried(row, where)
    row["line"] = line
    return row


def _int(value, col, low, where):
    try:
        number = int(value)
    except ValueError:
        number = low - 1
    if number < low:
        raise ValueError(
            f"{where}: {col!r}: expected an integer >= {low}, got {value!r}."
        )
    return number


def _real(value, col, high, where):
    """A float in [0, high] (``high=None``: in [0, inf))."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not 0 <= number <= (math.inf if high is None else high):
        span = "[0, 1]" if high == 1 else ">= 0"
        raise ValueError(
            f"{where}: {col!r}: expected a number in {span}, got {value!r}."
        )
    return number


def _queried(row, where):
    """The pool indices of a row: ``batch_size`` of them after round 0."""
    want = 0 if row["round"] == 0 else row["batch_size"]
    picks = row["queried"].split()
    bad = [p for p in picks if not (p.isascii() and p.isdigit())]
    if bad or len(picks) != want:
        got = f"{bad[0]!r}" if bad else f"{len(picks)}"
        raise ValueError(
            f"{where}: 'queried': expected {want} indices (ints >= 0) in "
            f"round {row['round']}, got {got}."
        )
    return tuple(int(p) for p in picks)


def read_results(path):
    """Rows of ``results.csv`` with typed values (``queried`` dropped).

    A last line torn by an interrupted write is left out.

    Raises
    ------
    ValueError
        If the file cannot be read or is not the runner's, naming the
        file and the line.
    """
    rows, _ = parse_results(read_bytes(path), path)
    for row in rows:
        del row["queried"], row["line"]
    return rows


def scores_of(rows):
    """The scores the rows hold, the main one first: ``("accuracy",)``
    (single-label runs) or ``("micro_f1", "macro_f1")`` (multi-label).

    Raises
    ------
    ValueError
        If the rows mix single-label and multi-label runs.
    """
    kinds = {
        scores for scores in _SCORES.values() for r in rows if scores[0] in r
    }
    if len(kinds) > 1:
        raise ValueError(
            "The rows mix single-label (accuracy) and multi-label (micro- "
            "and macro-F1) runs; report them separately."
        )
    return kinds.pop() if kinds else _SCORES[COLUMNS]


def _score(rows, score):
    """``score``, or the main score of ``rows`` if it is None."""
    if score is None:
        return scores_of(rows)[0]
    if score not in SCORE_NAMES:
        raise ValueError(
            f"`score` must be None or one of {sorted(SCORE_NAMES)}, got "
            f"{score!r}."
        )
    return score


def curves(rows, score="accuracy"):
    """Scores by setting and strategy.

    Parameters
    ----------
    rows : list of dict
        From :func:`read_results`.
    score : {"accuracy", "micro_f1", "macro_f1"}, default="accuracy"
        The column read.

    Returns
    -------
    dict
        ``{(dataset, model, batch_size): {strategy: {seed: {n_labels:
        score}}}}``, settings and strategies in order of appearance.
    """
    out = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        setting = (r["dataset"], r["model"], r["batch_size"])
        out[setting][r["strategy"]].setdefault(r["seed"], {})[
            r["n_labels"]
        ] = r[score]
    return out


def _matrix(per_seed):
    """(labels, seeds x labels array with NaN where missing)."""
    labels = sorted({n for acc in per_seed.values() for n in acc})
    seeds = sorted(per_seed)
    A = np.full((len(seeds), len(labels)), np.nan)
    for i, s in enumerate(seeds):
        for j, n in enumerate(labels):
            A[i, j] = per_seed[s].get(n, np.nan)
    return np.array(labels), A


def learning_curve_table(rows, score=None):
    """Markdown tables: mean ± std test score over seeds, per setting.

    The last row is the mean over rounds (area under the learning curve
    divided by its length); the best one is in bold.

    Parameters
    ----------
    rows : list of dict
        From :func:`read_results`.
    score : {"accuracy", "micro_f1", "macro_f1"} or None, default=None
        The score tabled; None: every score of the rows (see
        :func:`scores_of`), a table each.
    """
    if score is None:
        return "\n\n".join(
            learning_curve_table(rows, s) for s in scores_of(rows)
        )
    score = _score(rows, score)
    blocks = []
    for (dataset, model, batch), by_strategy in curves(rows, score).items():
        names = list(by_strategy)
        mats = {s: _matrix(by_strategy[s]) for s in names}
        labels = sorted({int(n) for lab, _ in mats.values() for n in lab})
        n_seeds = max(A.shape[0] for _, A in mats.values())
        lines = [
            f"**{dataset}, {model}, batch {batch}** "
            f"({SCORE_NAMES[score]}, mean ± std over {n_seeds} seeds)",
            "",
            "| labels | " + " | ".join(names) + " |",
            "|---:|" + "---:|" * len(names),
        ]
        for n in labels:
            cells = []
            for s in names:
                lab, A = mats[s]
                col = A[:, lab == n].ravel() if n in lab else np.array([])
                col = col[~np.isnan(col)]
                cells.append(
                    f"{col.mean():.3f} ± {col.std():.3f}" if col.size else ""
                )
            lines.append(f"| {n} | " + " | ".join(cells) + " |")
        means = {s: float(np.nanmean(mats[s][1])) for s in names}
        best = max(means.values())
        cells = [
            f"**{means[s]:.4f}**" if means[s] == best else f"{means[s]:.4f}"
            for s in names
        ]
        lines.append("| mean over rounds | " + " | ".join(cells) + " |")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def penalty_matrix(rows, alpha=0.05, score=None):
    """The pairwise penalty matrix of Ash et al. (ICLR 2020, Fig. 4).

    For every setting (data set, model, batch size), every round after the
    start set and every ordered pair ``(i, j)`` of strategies, a paired
    two-sided t-test over the seeds both have run asks whether ``i`` beat
    ``j``: ``t = sqrt(n) mean(z) / std(z)`` with ``z`` the per-seed
    accuracy differences, and ``i`` wins when ``t`` exceeds the
    ``1 - alpha / 2`` quantile of Student's t with ``n - 1`` degrees of
    freedom (equal differences with a positive mean count as a win).
    ``P[i, j]`` adds ``1 / L`` per win, ``L`` being the number of rounds
    compared in that setting, so an entry is at most the number of
    settings. The score compared is ``score`` (None: the rows' main
    score, the accuracy or, for multi-label runs, the micro-F1).

    Returns
    -------
    names : list of str
    P : ndarray of shape (n_strategies, n_strategies)
        ``P[i, j]``: how much ``i`` beat ``j``.
    n_settings : int
    """
    by_setting = curves(rows, _score(rows, score))
    names = list(dict.fromkeys(r["strategy"] for r in rows))
    index = {s: k for k, s in enumerate(names)}
    P = np.zeros((len(names), len(names)))
    for by_strategy in by_setting.values():
        for a in by_strategy:
            for b in by_strategy:
                if a == b:
                    continue
                wins, compared = _wins(by_strategy[a], by_strategy[b], alpha)
                if compared:
                    P[index[a], index[b]] += wins / compared
    return names, P, len(by_setting)


def _wins(acc_a, acc_b, alpha):
    """(rounds a significantly beat b, rounds compared)."""
    seeds = sorted(set(acc_a) & set(acc_b))
    labels = sorted(set().union(*(acc_a[s] for s in seeds)) if seeds else [])
    wins = compared = 0
    for n in labels[1:]:  # the start set is shared: skip it
        a, b = (
            {s: acc[s][n] for s in seeds if n in acc[s]}
            for acc in (acc_a, acc_b)
        )
        if len(a.keys() & b.keys()) < 2:
            continue
        compared += 1
        wins += paired_beats(a, b, alpha)
    return wins, compared


def paired_beats(a, b, alpha=0.05):
    """Whether ``a`` beat ``b``: paired two-sided t-test over the seeds
    both have, ``p < alpha`` and a positive mean difference (equal
    differences with a positive mean count as a win)."""
    from scipy import stats

    seeds = sorted(set(a) & set(b))
    z = np.array([a[s] - b[s] for s in seeds])
    if z.size < 2:
        return False
    if z.std(ddof=1) == 0:
        return bool(z.mean() > 0)
    t = np.sqrt(z.size) * z.mean() / z.std(ddof=1)
    return bool(t > stats.t.ppf(1 - alpha / 2, z.size - 1))


def penalty_table(names, P):
    """Markdown: ``P[i, j]`` (row beat column), with column sums."""
    lines = [
        "| beats → | " + " | ".join(names) + " |",
        "|:---|" + "---:|" * len(names),
    ]
    for i, a in enumerate(names):
        cells = ["–" if i == j else f"{P[i, j]:.2f}" for j in range(len(P))]
        lines.append(f"| {a} | " + " | ".join(cells) + " |")
    lines.append(
        "| **times beaten** | "
        + " | ".join(f"**{v:.2f}**" for v in P.sum(0))
        + " |"
    )
    return "\n".join(lines)


def save_figure(plt, fig, path, dpi=110):
    """``fig``, laid out; saved to ``path`` and closed unless it is None."""
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=dpi)
        plt.close(fig)
    return fig


def plot_learning_curves(rows, path=None, score=None):
    """One panel per setting: mean test score and ± one std over seeds.

    Parameters
    ----------
    rows : list of dict
        From :func:`read_results`.
    path : str or None, default=None
        Where to save the figure (it is then closed).
    score : {"accuracy", "micro_f1", "macro_f1"} or None, default=None
        The score plotted; None: the rows' main score (the accuracy, or
        the micro-F1 of multi-label runs).

    Returns
    -------
    fig : matplotlib Figure
    """
    plt = import_optional("matplotlib.pyplot")
    score = _score(rows, score)
    by_setting = curves(rows, score)
    n = len(by_setting)
    cols = min(n, 3)
    nrows = -(-n // cols)
    fig, axes = plt.subplots(
        nrows, cols, figsize=(5 * cols, 3.8 * nrows), squeeze=False
    )
    for ax, ((dataset, model, batch), by_strategy) in zip(
        axes.ravel(), by_setting.items(), strict=False
    ):
        for s, per_seed in by_strategy.items():
            labels, A = _matrix(per_seed)
            mean, std = np.nanmean(A, 0), np.nanstd(A, 0)
            ax.plot(labels, mean, marker="o", ms=3, label=s)
            ax.fill_between(labels, mean - std, mean + std, alpha=0.15)
        ax.set_title(f"{dataset}, {model}, batch {batch}")
        ax.set_xlabel("labels")
        ax.set_ylabel(SCORE_NAMES[score])
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return save_figure(plt, fig, path)


def plot_penalty_matrix(names, P, n_settings, path=None):
    """Heat map of the penalty matrix, with its column sums below.

    Parameters
    ----------
    names, P, n_settings
        From :func:`penalty_matrix`.
    path : str or None, default=None
        Where to save the figure (it is then closed).

    Returns
    -------
    fig : matplotlib Figure
    """
    plt = import_optional("matplotlib.pyplot")
    k = len(names)
    fig, ax = plt.subplots(figsize=(1.1 * k + 2.5, 0.9 * k + 2))
    full = np.vstack([P, P.sum(0)])
    shown = np.ma.masked_array(full, mask=np.zeros_like(full, bool))
    shown.mask[np.arange(k), np.arange(k)] = True
    im = ax.imshow(shown[:k], cmap="Reds", vmin=0, vmax=max(n_settings, 1))
    for i in range(k):
        for j in range(k):
            if i != j:
                ax.text(j, i, f"{P[i, j]:.2f}", ha="center", va="center")
    ax.set_xticks(range(k), names, rotation=45, ha="right")
    ax.set_yticks(range(k), names)
    ax.set_xlabel(
        "beaten strategy (column sums: "
        + ", ".join(f"{v:.2f}" for v in full[k])
        + ")"
    )
    ax.set_ylabel("winning strategy")
    ax.set_title(
        f"Pairwise penalty matrix ({n_settings} setting(s));\n"
        "row beat column, summed over settings"
    )
    fig.colorbar(im, ax=ax, shrink=0.8)
    return save_figure(plt, fig, path)
