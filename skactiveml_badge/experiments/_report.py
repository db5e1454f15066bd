"""Learning curves and the pairwise penalty matrix of the BADGE paper."""

import csv
from collections import defaultdict

import numpy as np

from .._optional import import_optional


def read_results(path):
    """Rows of ``results.csv`` with typed values (``queried`` dropped)."""
    rows = []
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            rows.append(
                {
                    "dataset": row["dataset"],
                    "model": row["model"],
                    "strategy": row["strategy"],
                    "batch_size": int(row["batch_size"]),
                    "seed": int(row["seed"]),
                    "round": int(row["round"]),
                    "n_labels": int(row["n_labels"]),
                    "accuracy": float(row["accuracy"]),
                    "fit_seconds": float(row["fit_seconds"]),
                    "query_seconds": float(row["query_seconds"] or "nan"),
                }
            )
    return rows


def curves(rows):
    """Accuracies by setting and strategy.

    Returns
    -------
    dict
        ``{(dataset, model, batch_size): {strategy: {seed: {n_labels:
        accuracy}}}}``, settings and strategies in order of appearance.
    """
    out = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        setting = (r["dataset"], r["model"], r["batch_size"])
        out[setting][r["strategy"]].setdefault(r["seed"], {})[
            r["n_labels"]
        ] = r["accuracy"]
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


def learning_curve_table(rows):
    """Markdown tables: mean ± std test accuracy over seeds, per setting.

    The last row is the mean over rounds (area under the learning curve
    divided by its length); the best one is in bold.
    """
    blocks = []
    for (dataset, model, batch), by_strategy in curves(rows).items():
        names = list(by_strategy)
        mats = {s: _matrix(by_strategy[s]) for s in names}
        labels = sorted({int(n) for lab, _ in mats.values() for n in lab})
        n_seeds = max(A.shape[0] for _, A in mats.values())
        lines = [
            f"**{dataset}, {model}, batch {batch}** "
            f"(test accuracy, mean ± std over {n_seeds} seeds)",
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


def penalty_matrix(rows, alpha=0.05):
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
    settings.

    Returns
    -------
    names : list of str
    P : ndarray of shape (n_strategies, n_strategies)
        ``P[i, j]``: how much ``i`` beat ``j``.
    n_settings : int
    """
    by_setting = curves(rows)
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
    from scipy import stats

    seeds = sorted(set(acc_a) & set(acc_b))
    labels = sorted(set().union(*(acc_a[s] for s in seeds)) if seeds else [])
    wins = compared = 0
    for n in labels[1:]:  # the start set is shared: skip it
        z = np.array(
            [
                acc_a[s][n] - acc_b[s][n]
                for s in seeds
                if n in acc_a[s] and n in acc_b[s]
            ]
        )
        if z.size < 2:
            continue
        compared += 1
        sd = z.std(ddof=1)
        if sd == 0:
            wins += bool(z.mean() > 0)
            continue
        t = np.sqrt(z.size) * z.mean() / sd
        wins += bool(t > stats.t.ppf(1 - alpha / 2, z.size - 1))
    return wins, compared


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


def plot_learning_curves(rows, path=None):
    """One panel per setting: mean test accuracy and ± one std over seeds.

    Parameters
    ----------
    rows : list of dict
        From :func:`read_results`.
    path : str or None, default=None
        Where to save the figure (it is then closed).

    Returns
    -------
    fig : matplotlib Figure
    """
    plt = import_optional("matplotlib.pyplot")
    by_setting = curves(rows)
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
        ax.set_ylabel("test accuracy")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig


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
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig
