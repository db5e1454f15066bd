"""The study's summary: mean accuracy over the loop with 95% intervals,
mean ranks per model family, settings lost in paired tests, and compute.

A *setting* is a (data set, model, batch size); a strategy's score in a
setting and seed is its test accuracy averaged over the rounds after the
start set ("mean accuracy over the loop", the area under its learning
curve divided by its length).
"""

from collections import defaultdict

import numpy as np

from .._optional import import_optional
from ._models import MODELS
from ._report import curves, paired_beats, penalty_matrix, save_figure
from ._strategies import STRATEGIES


def loop_means(rows):
    """Per-seed mean accuracy over the query rounds.

    Returns
    -------
    dict
        ``{(dataset, model, batch_size): {strategy: {seed: mean}}}``, only
        for runs whose every round is present.
    """
    acc = defaultdict(lambda: defaultdict(dict))
    last = max((r["round"] for r in rows), default=0)
    by_run = defaultdict(dict)
    for r in rows:
        key = (r["dataset"], r["model"], r["batch_size"], r["strategy"])
        by_run[key + (r["seed"],)][r["round"]] = r["accuracy"]
    for (d, m, b, s, seed), rounds in by_run.items():
        if len(rounds) == last + 1 and last > 0:
            acc[(d, m, b)][s][seed] = float(
                np.mean([rounds[k] for k in range(1, last + 1)])
            )
    return acc


def interval95(values):
    """Mean and half-width of the 95% Student-t interval of the mean."""
    from scipy import stats

    v = np.asarray(values, dtype=float)
    if v.size < 2:
        return float(v.mean()), float("nan")
    half = stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size)
    return float(v.mean()), float(half)


def family_of(model):
    """The model family of a registered model (its own name otherwise)."""
    return MODELS[model].family if model in MODELS else model


def _ranks(scores):
    """Rank 1 = best; ties get the mean of their ranks."""
    from scipy.stats import rankdata

    return rankdata(-np.asarray(scores), method="average")


def family_table(means, family, baselines):
    """Per strategy of a family: mean rank, mean accuracy, settings lost.

    Ranks and mean accuracies are taken over the *complete* settings of
    the family: those in which every strategy of the family has run, on
    the seeds they all have (an unfinished study thus compares like with
    like). A strategy that applies to some of the family's models only
    is left out of that (its rank and accuracy are None). Settings lost
    count every setting a strategy has run.

    Parameters
    ----------
    means : dict
        From :func:`loop_means`.
    family : str
    baselines : sequence of str
        The strategies counted in "beaten by a baseline".

    Returns
    -------
    rows : list of dict
        ``strategy``, ``mean_rank``, ``mean_accuracy``, ``ci`` (the
        half-width of the 95% interval of the mean accuracy over the
        seeds every complete setting has: the family's mean of each seed,
        NaN with fewer than two), ``n_settings`` (settings it has run
        with at least two seeds: those a paired test can decide),
        ``lost`` (of these, the settings in which some baseline beat it),
        sorted by mean rank.
    settings : list of tuple
    """
    settings = [k for k in means if family_of(k[1]) == family]
    every = sorted({s for k in settings for s in means[k]})
    # Ranked: the strategies that apply to every model of the family (one
    # that applies to some models only, e.g. leaf-value gradients to
    # boosted trees, would otherwise drop the other models' settings).
    models = {k[1] for k in settings}
    names = [
        s
        for s in every
        if all(
            any(s in means[k] for k in settings if k[1] == m) for m in models
        )
    ]
    ranks, accs = defaultdict(list), defaultdict(list)
    complete, common = [], None
    for k in settings:
        if not all(s in means[k] for s in names):
            continue
        seeds = set.intersection(*(set(means[k][s]) for s in names))
        if not seeds:
            continue
        complete.append(k)
        common = seeds if common is None else common & seeds
        avg = [np.mean([means[k][s][i] for i in seeds]) for s in names]
        for s, a, r in zip(names, avg, _ranks(avg), strict=True):
            ranks[s].append(r)
            accs[s].append(a)
    out = []
    for s in every:
        got = [k for k in settings if len(means[k].get(s, ())) >= 2]
        lost = sum(
            any(
                paired_beats(means[k][b], means[k][s])
                for b in baselines
                if b in means[k] and b != s
            )
            for k in got
        )
        half = float("nan")
        if s in accs and common and len(common) >= 2:
            # The family's mean of each seed common to its settings.
            per_seed = [
                np.mean([means[k][s][i] for k in complete]) for i in common
            ]
            half = interval95(per_seed)[1]
        out.append(
            {
                "strategy": s,
                "mean_rank": float(np.mean(ranks[s])) if s in ranks else None,
                "mean_accuracy": (
                    float(np.mean(accs[s])) if s in accs else None
                ),
                "ci": half,
                "n_settings": len(got),
                "lost": lost,
            }
        )
    out.sort(key=lambda r: (r["mean_rank"] is None, r["mean_rank"] or 0.0))
    return out, settings, complete


#: The bar a recommended recipe must clear (issue 26): lost to some
#: baseline in at most this share of the settings ...
BAR_LOST_SHARE = 0.10
#: ... and a mean accuracy at least the best baseline's plus this.
BAR_MARGIN = 0.005


def _meets_bar(row, best_base, baselines):
    """``yes``/``no`` for this package's strategies, empty for baselines."""
    if row["strategy"] in baselines:
        return ""
    acc = row["mean_accuracy"]
    if acc is None or best_base is None or not row["n_settings"]:
        return "–"  # nothing to rank, or no setting a test can decide
    ok = (
        row["lost"] <= BAR_LOST_SHARE * row["n_settings"]
        and acc >= best_base + BAR_MARGIN - 1e-12
    )
    return "yes" if ok else "no"


def _best_base(table, baselines):
    """The best mean accuracy of the baselines in ``table`` (None: none
    has one)."""
    accs = [r["mean_accuracy"] for r in table if r["strategy"] in baselines]
    return max((a for a in accs if a is not None), default=None)


def run_seconds(rows):
    """Fit and query seconds of every run (its rounds summed), by
    ``(dataset, model, batch_size, strategy)``: a list over its seeds."""
    per_run = defaultdict(float)
    for r in rows:
        q = r["query_seconds"]
        key = (r["dataset"], r["model"], r["batch_size"], r["strategy"])
        per_run[key, r["seed"]] += r["fit_seconds"] + (
            0.0 if np.isnan(q) else q
        )
    runs = defaultdict(list)
    for (key, _), seconds in per_run.items():
        runs[key].append(seconds)
    return dict(runs)


def compute_seconds(rows):
    """Fit and query seconds per (data set, model): for every strategy
    and batch size, the median over its runs of a run's seconds, times
    its number of runs.

    A median per run, not a sum of the rows: the timing columns are wall
    time, so a run whose process was paused (or shared its core) while
    a round was timed would count that time in a sum.
    """
    total = defaultdict(float)
    for (d, m, _, _), seconds in run_seconds(rows).items():
        total[(d, m)] += float(np.median(seconds)) * len(seconds)
    return dict(total)


#: Name prefixes of this package's strategies in the registry.
OURS = (
    "badge",
    "bait",
    "typiclust-then-badge",
    "maxherding-then-badge",
    "maxherding-then-uherding",
    "uherding-grad",
)


def baseline_names(names):
    """The strategies that are not this package's BADGE variants."""
    return [s for s in names if not s.startswith(OURS)]


def _rst_table(header, body):
    """A reStructuredText simple table."""
    cells = [list(map(str, header))] + [list(map(str, r)) for r in body]
    widths = [max(len(row[j]) for row in cells) for j in range(len(header))]
    rule = "  ".join("=" * w for w in widths)

    def line(row):
        return "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))

    return "\n".join(
        [rule, line(cells[0]), rule] + [line(r) for r in cells[1:]] + [rule]
    )


def study_page(
    rows,
    command,
    n_planned=None,
    title=None,
    config=None,
    figure=None,
    name=None,
):
    """The study's results as a reStructuredText page.

    Parameters
    ----------
    rows : list of dict
        From :func:`~skactiveml_badge.experiments.read_results`.
    command : str
        The command that made (and resumes) the study, shown on the page.
    n_planned : int or None, default=None
        Runs the study's configuration has; the page says so when fewer
        are complete.
    title : str or None, default=None
        The page's title; by default "Label-efficiency study" and, given
        ``config``, its budget (start labels + rounds x batch).
    config : ExperimentConfig or None, default=None
        The study's settings, stated on the page (the compute budget).
    figure : str or None, default=None
        File name (relative to the page) of :func:`plot_family_curves`'s
        figure, shown on the page.
    name : str or None, default=None
        The study's name in the default title (the configuration file's
        name, e.g. ``low``).

    Returns
    -------
    str
    """
    means = loop_means(rows)
    names = sorted({s for k in means for s in means[k]})
    baselines = baseline_names(names)
    families = sorted({family_of(k[1]) for k in means})
    n_runs = sum(len(v) for k in means for v in means[k].values())
    if title is None:
        title = "Label-efficiency study"
        if name:
            title += f", {name}"
        if config is not None:
            batches = ", ".join(map(str, config.batch_sizes))
            title += f": {config.n_start} + {config.rounds} x {batches} labels"
    out = [
        title,
        "=" * len(title),
        "",
        "Made (and resumed, if interrupted) by::",
        "",
        "    " + command,
        "",
        "Add ``--report-only`` to rebuild this page from the results "
        "without running anything.",
        "",
    ]
    if config is not None:
        seeds = config.seed_list()
        out += [
            "Protocol and budget: "
            f"{len(config.datasets)} data sets, each cut to at most "
            f"{config.max_samples or 'all'} samples (stratified, the same "
            f"for every seed) and split {1 - config.test_size:.0%} pool / "
            f"{config.test_size:.0%} test; {config.n_start} random start "
            f"labels, then {config.rounds} rounds of "
            f"{', '.join(map(str, config.batch_sizes))}; seeds "
            f"{seeds[0]}..{seeds[-1]}"
            + (
                f", and {len(config.more_seeds)} more seeds "
                f"({', '.join(map(str, config.more_seeds))}) for "
                f"{', '.join(config.more_seeds_strategies)}"
                if len(config.more_seeds)
                else ""
            )
            + "; one thread per run.",
            "",
        ]
    out += [
        f"{len(means)} settings (data set x model x batch size), "
        f"{len(names)} strategies, {n_runs} complete runs. A run's score is "
        "its test accuracy averaged over the query rounds (the mean "
        "accuracy over the loop); ranks are taken per setting among the "
        "strategies that completed every setting of the family (1 = best), "
        "then averaged. The mean accuracy is over the same settings, with "
        "the half-width of its 95% interval over seeds (the family's "
        "mean of each seed every complete setting has). *Lost* counts "
        "the settings in which some baseline "
        "beat the strategy in a paired two-sided t-test over seeds "
        "(p < 0.05), out of the settings it has run with two seeds or "
        "more. *Beaten* is the column sum of the BADGE paper's "
        "pairwise penalty matrix over the family's settings: for every "
        "round, every other strategy that beat this one in a paired t-test "
        "over seeds adds 1 / (rounds), so it counts settings' worth of "
        "significant losses to any strategy (lower is better). *To "
        "random* is the number of labels at which a strategy's mean "
        "learning curve (over seeds) first reaches random sampling's "
        "accuracy at the last round, interpolated between rounds: the "
        "median over the family's complete settings, and in how many of "
        "them it gets there at all. *Bar* (this package's strategies "
        "only): *yes* if the strategy lost in at most "
        f"{BAR_LOST_SHARE:.0%} of the settings and its mean accuracy is "
        f"at least the best baseline's plus {100 * BAR_MARGIN:.1f} "
        "points, the bar a recommended recipe must clear.",
        "",
    ]
    if n_planned is not None and n_runs < n_planned:
        out += [
            f".. note:: Partial results: {n_runs} of the {n_planned} runs "
            "are complete; the study is resumed by the command above.",
            "",
        ]
    for fam in families:
        table, settings, complete = family_table(means, fam, baselines)
        fam_rows = [r for r in rows if family_of(r["model"]) == fam]
        p_names, P, _ = penalty_matrix(fam_rows)
        beaten = dict(zip(p_names, P.sum(0), strict=True))
        head = f"Model family: {fam}"
        out += [head, "-" * len(head), ""]
        models = sorted({k[1] for k in settings})
        datasets = sorted({k[0] for k in settings})
        partial = [r["strategy"] for r in table if r["mean_rank"] is None]
        out.append(
            f"Models: {', '.join(models)}; {len(datasets)} data sets, "
            f"{len(settings)} settings, {len(complete)} complete (every "
            "strategy ran; ranks and accuracies are over these)."
            + (
                " Not ranked (they apply to some of these models only): "
                + ", ".join(partial)
                + "."
                if partial
                else ""
            )
        )
        out.append("")
        best_base = _best_base(table, baselines)
        to_random = labels_to_random(rows, complete)
        body = []
        for r in table:
            rank = "–" if r["mean_rank"] is None else f"{r['mean_rank']:.2f}"
            body.append(
                [
                    r["strategy"],
                    rank,
                    _accuracy_cell(r),
                    f"{r['lost']}/{r['n_settings']}",
                    f"{beaten.get(r['strategy'], 0.0):.2f}",
                    _to_random_cell(to_random.get(r["strategy"])),
                    _meets_bar(r, best_base, baselines),
                ]
            )
        out.append(
            _rst_table(
                [
                    "strategy",
                    "mean rank",
                    "mean acc. (%)",
                    "lost",
                    "beaten",
                    "to random",
                    "bar",
                ],
                body,
            )
        )
        out.append("")
    if figure is not None:
        head = "Learning curves per model family"
        out += [
            head,
            "-" * len(head),
            "",
            "Mean test accuracy after each round, over the seeds on which "
            "all the strategies drawn ran, then over the family's "
            "settings (``typiclust-then-badge`` is the recommended recipe, "
            "``badge`` the drop-in ``Badge()``; both drawn thicker).",
            "",
            f".. image:: {figure}",
            "   :alt: mean test accuracy per number of labels, per family",
            "",
        ]
        out += _labels_to_match(rows)
    if config is not None and len(config.more_seeds):
        out += _more_seeds_section(means, config, families)
    out += _settings_section(means, names)
    out += _compute_section(rows)
    out += _strategy_section(names)
    return "\n".join(out) + "\n"


def _accuracy_cell(row):
    acc = row["mean_accuracy"]
    if acc is None:
        return "–"
    cell = f"{100 * acc:.2f}"
    if np.isfinite(row.get("ci", np.nan)):
        cell += f" ± {100 * row['ci']:.2f}"
    return cell


def _to_random_cell(stat):
    if stat is None:
        return "–"
    median, reached, total = stat
    shown = "never" if median is None else f"{median:.0f}"
    return f"{shown} ({reached}/{total})"


def labels_to_random(rows, settings, baseline="random"):
    """Labels each strategy needs to reach ``baseline``'s final accuracy.

    Per setting of ``settings``: the strategy's mean learning curve over
    the seeds it shares with ``baseline``, and the labels at which it
    first reaches ``baseline``'s mean accuracy at the last round
    (:func:`labels_to_match`).

    Returns
    -------
    dict
        ``{strategy: (median, reached, total)}``: the median of those
        labels over the settings where the curve gets there (None if in
        none), in how many it does, out of how many it was measured in.
    """
    by_setting = curves(rows)
    got = defaultdict(list)
    total = defaultdict(int)
    for k in settings:
        runs = by_setting.get(k, {})
        if baseline not in runs:
            continue
        for s, per_seed in runs.items():
            seeds = [
                i
                for i in set(per_seed) & set(runs[baseline])
                if len(per_seed[i]) == len(runs[baseline][i])
            ]
            if not seeds:
                continue
            labels = np.array(sorted(per_seed[seeds[0]]))
            curve = [np.mean([per_seed[i][n] for i in seeds]) for n in labels]
            target = np.mean([runs[baseline][i][labels[-1]] for i in seeds])
            total[s] += 1
            n = labels_to_match(labels, curve, target)
            if n is not None:
                got[s].append(n)
    return {
        s: (float(np.median(got[s])) if got[s] else None, len(got[s]), t)
        for s, t in total.items()
    }


def more_seeds_table(means, family, strategies, seeds):
    """:func:`family_table` for ``strategies`` on ``seeds``: over the
    settings of ``family`` where every one of them ran every seed, lost
    counted against the baselines among them."""
    seeds = set(seeds)
    kept = {
        k: {s: {i: means[k][s][i] for i in seeds} for s in strategies}
        for k in means
        if family_of(k[1]) == family
        and all(seeds <= set(means[k].get(s, ())) for s in strategies)
    }
    table, _, _ = family_table(kept, family, baseline_names(strategies))
    return table


def _more_seeds_section(means, config, families):
    seeds = config.seed_list() + [int(s) for s in config.more_seeds]
    more = f"{config.more_seeds[0]}..{config.more_seeds[-1]}"
    head = f"{len(seeds)} seeds: the closest strategies"
    out = [head, "-" * len(head), ""]
    out.append(
        f"The strategies run with seeds {seeds[0]}..{seeds[-1]}, compared "
        "over all of them on the settings where each ran every seed: "
        "mean rank among these strategies, mean accuracy over the loop "
        f"(over all seeds, and over seeds {more} alone: seeds that played "
        "no part in choosing the recipe), settings lost to one of these "
        "baselines (paired t-test over all the seeds), and the bar as above."
    )
    out.append("")
    n_head = len(out)
    for fam in families:
        names = [
            s
            for s in config.more_seeds_strategies
            if any(family_of(k[1]) == fam and s in means[k] for k in means)
        ]
        table = more_seeds_table(means, fam, names, seeds)
        if not table or not table[0]["n_settings"]:
            continue
        later = {
            r["strategy"]: r["mean_accuracy"]
            for r in more_seeds_table(means, fam, names, config.more_seeds)
        }
        baselines = baseline_names(names)
        best = _best_base(table, baselines)
        body = [
            [
                r["strategy"],
                f"{r['mean_rank']:.2f}",
                f"{100 * r['mean_accuracy']:.2f}",
                f"{100 * later[r['strategy']]:.2f}",
                f"{r['lost']}/{r['n_settings']}",
                _meets_bar(r, best, baselines),
            ]
            for r in table
        ]
        out.append(f"**{fam}** ({table[0]['n_settings']} settings)")
        out.append("")
        out.append(
            _rst_table(
                [
                    "strategy",
                    "mean rank",
                    "mean acc. (%)",
                    f"seeds {more} only",
                    "lost",
                    "bar",
                ],
                body,
            )
        )
        out.append("")
    return out if len(out) > n_head else []  # no setting has every seed


def _on_seeds(means, seeds):
    """``means`` restricted to ``seeds``."""
    seeds = set(seeds)
    return {
        k: {s: {i: v[i] for i in v if i in seeds} for s, v in by.items()}
        for k, by in means.items()
    }


def budget_overview(budgets):
    """One reStructuredText table of this package's strategies against
    the best baseline, per budget and model family: the bar's figures.

    Parameters
    ----------
    budgets : list of (str, ExperimentConfig, list of dict)
        Each budget's name, configuration and rows
        (:func:`~skactiveml_badge.experiments.read_results`).

    Returns
    -------
    list of str
        The lines: for every budget and family, the best baseline's mean
        accuracy, then each of this package's strategies with its mean
        accuracy, its difference to that baseline, the settings it lost
        and the bar, over stage 1's seeds and, where every seed of the
        configuration's ``more_seeds`` has run for every strategy of
        ``more_seeds_strategies`` in some setting, over all of them.
    """
    body = []
    for name, config, rows in budgets:
        means = loop_means(rows)
        names = sorted({s for k in means for s in means[k]})
        seeds = config.seed_list() + [int(s) for s in config.more_seeds]
        for fam in sorted({family_of(k[1]) for k in means}):
            first = _on_seeds(means, config.seed_list())
            views = [(f"{len(config.seed_list())}", names, None)]
            if len(config.more_seeds):
                more = [s for s in config.more_seeds_strategies if s in names]
                views.append((f"{len(seeds)}", more, seeds))
            for n_seeds, strategies, view_seeds in views:
                if view_seeds is None:
                    table, _, _ = family_table(
                        first, fam, baseline_names(strategies)
                    )
                else:
                    table = more_seeds_table(means, fam, strategies, seeds)
                if not table or not table[0]["n_settings"]:
                    continue
                base = baseline_names(strategies)
                best = _best_base(table, base)
                if best is None:
                    continue
                top = max(
                    (r for r in table if r["strategy"] in base),
                    key=lambda r: r["mean_accuracy"] or -1.0,
                )
                body.append(
                    [name, fam, n_seeds, f"{top['strategy']} (best baseline)",
                     f"{100 * best:.2f}", "", "", ""]
                )  # fmt: skip
                for r in table:
                    if r["strategy"] in base or r["mean_accuracy"] is None:
                        continue
                    acc = r["mean_accuracy"]
                    body.append(
                        [name, fam, n_seeds, r["strategy"],
                         f"{100 * acc:.2f}", f"{100 * (acc - best):+.2f}",
                         f"{r['lost']}/{r['n_settings']}",
                         _meets_bar(r, best, base)]
                    )  # fmt: skip
    header = [
        "budget", "family", "seeds", "strategy", "mean acc. (%)",
        "vs best baseline", "lost", "bar",
    ]  # fmt: skip
    return [_rst_table(header, body), ""] if body else []


def _settings_section(means, names):
    head = "Mean accuracy over the loop, per setting"
    out = [head, "-" * len(head), ""]
    out.append(
        "Mean over seeds and the half-width of its 95% interval (points "
        "of accuracy); the best strategy of a setting is in bold."
    )
    out.append("")
    for k in sorted(means):
        d, m, b = k
        sub = f"{d}, {m}, batch {b}"
        out += [sub, "~" * len(sub), ""]
        stats_ = {s: interval95(list(v.values())) for s, v in means[k].items()}
        best = max(mu for mu, _ in stats_.values())
        body = []
        for s in sorted(stats_, key=lambda s: -stats_[s][0]):
            mu, half = stats_[s]
            cell = f"{100 * mu:.2f}"
            if np.isfinite(half):
                cell += f" ± {100 * half:.2f}"
            if mu == best:
                cell = f"**{cell}**"
            body.append([s, cell, len(means[k][s])])
        out.append(_rst_table(["strategy", "accuracy (%)", "seeds"], body))
        out.append("")
    return out


def _section(head, text, header, body):
    """A titled section with one table."""
    lines = [head, "-" * len(head), ""]
    if text:
        lines += [text, ""]
    return lines + [_rst_table(header, body), ""]


def _compute_section(rows):
    total = compute_seconds(rows)
    body = [[d, m, f"{s:.0f}"] for (d, m), s in sorted(total.items())]
    body.append(["all", "", f"{sum(total.values()):.0f}"])
    return _section(
        "Compute",
        "Seconds of fitting and querying per data set and model (one "
        "thread per run): for each strategy, the median seconds of a run "
        "(its rounds summed) times its runs, summed over strategies. The "
        "median keeps out the time of a run whose process was paused.",
        ["data set", "model", "seconds"],
        body,
    )


def _strategy_section(names):
    body = [
        [s, STRATEGIES[s].description if s in STRATEGIES else ""]
        for s in names
    ]
    return _section("Strategies", "", ["name", "what it is"], body)


#: Drawn with a thicker line: the recipe the study recommends and the
#: drop-in ``Badge``.
RECOMMENDED = ("typiclust-then-badge", "badge")

#: Strategies drawn in the study page's figure, where present.
CURVE_STRATEGIES = (
    "typiclust-then-badge",
    "badge",
    "badge-paper",
    "uherding-grad",
    "maxherding-then-badge",
    "maxherding-then-uherding",
    "maxherding",
    "falcun",
    "typiclust",
    "margin",
    "random",
)


def family_curves(rows, strategies=CURVE_STRATEGIES):
    """Mean test accuracy per number of labels, per model family.

    Averaged over the seeds of a setting on which every one of
    ``strategies`` (those present in the family) has a complete run, then
    over the family's settings.

    Returns
    -------
    dict
        ``{family: {strategy: (n_labels, mean_accuracy)}}``.
    """
    by_setting = curves(rows)
    out = {}
    for fam in sorted({family_of(k[1]) for k in by_setting}):
        keys = [k for k in by_setting if family_of(k[1]) == fam]
        names = [
            s for s in strategies if any(s in by_setting[k] for k in keys)
        ]
        if not names:
            continue
        means = defaultdict(list)
        for k in keys:
            runs = by_setting[k]
            if not all(s in runs for s in names):
                continue
            seeds = [
                i
                for i in set.intersection(*(set(runs[s]) for s in names))
                if len({len(runs[s][i]) for s in names}) == 1
            ]  # like with like: no unfinished run
            if not seeds:
                continue
            for s in names:
                labels = sorted(runs[s][seeds[0]])
                means[s].append(
                    [np.mean([runs[s][i][n] for i in seeds]) for n in labels]
                )
        if means:
            out[fam] = {
                s: (np.array(labels), np.mean(means[s], axis=0)) for s in names
            }
    return out


def plot_family_curves(rows, path=None, strategies=CURVE_STRATEGIES):
    """One panel per model family: :func:`family_curves`.

    Returns
    -------
    fig : matplotlib Figure
    """
    plt = import_optional("matplotlib.pyplot")
    data = family_curves(rows, strategies)
    fig, axes = plt.subplots(
        1, max(len(data), 1), figsize=(4.6 * max(len(data), 1), 3.8),
        squeeze=False,
    )  # fmt: skip
    for ax, (fam, by_s) in zip(axes[0], data.items(), strict=False):
        for s, (labels, acc) in by_s.items():
            ax.plot(
                labels, 100 * acc, marker="o", ms=3, label=s,
                lw=2.2 if s in RECOMMENDED else 1.2,
            )  # fmt: skip
        ax.set_title(f"{fam}")
        ax.set_xlabel("labels")
        ax.set_ylabel("test accuracy (%), mean over settings")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return save_figure(plt, fig, path, dpi=100)


def labels_to_match(labels, curve, target):
    """Labels at which ``curve`` (over ``labels``) first reaches
    ``target``, interpolated linearly; None if it never does."""
    reached = np.flatnonzero(np.asarray(curve) >= target)
    if not reached.size:
        return None
    i = int(reached[0])
    if i == 0:
        return float(labels[0])
    lo, hi = curve[i - 1], curve[i]
    return float(
        labels[i - 1] + (target - lo) / (hi - lo) * (labels[i] - labels[i - 1])
    )


def _labels_to_match(rows, ours="typiclust-then-badge"):
    """One line per family: the labels ``ours`` needs to reach each drawn
    baseline's accuracy at the last round."""
    out = []
    for fam, by_s in family_curves(rows).items():
        if ours not in by_s:
            continue
        labels, curve = by_s[ours]
        parts = []
        for s, (_, acc) in by_s.items():
            if s == ours:
                continue
            n = labels_to_match(labels, curve, acc[-1])
            shown = "never" if n is None else f"{n:.0f}"
            parts.append(f"{s} {100 * acc[-1]:.1f}%: {shown}")
        out.append(
            f"- {fam}: labels ``{ours}`` needs to reach each strategy's "
            f"accuracy at {labels[-1]} labels: " + "; ".join(parts) + "."
        )
    return out + [""] if out else out
