"""Which strategies stage 2 of the budget study reruns, and what it costs.

For every budget and model family, stage 1's mean accuracy over the loop
(seeds 0..4) of this package's best strategy there, and every strategy
within ``--within`` points of it: the pairs five seeds cannot tell
apart. Their union per budget gets seeds 5..19 (``more_seeds``,
``more_seeds_strategies`` in the budget's configuration). With
``--candidate NAME --top-baselines K`` the rule is instead: the
candidate and the ``K`` best baselines of every family (where every
strategy is within a point, which the within rule would rerun whole).
The cost is each strategy's median seconds per run (fit and query, per
data set and model) times the runs stage 2 adds, on two workers.

    python benchmarks/study/budgets/stage2.py low mid
    python benchmarks/study/budgets/stage2.py high \
        --candidate uherding-grad --top-baselines 2
"""

import argparse
import os

import numpy as np

from skactiveml_badge.experiments._report import read_results
from skactiveml_badge.experiments._study import (
    OURS,
    baseline_names,
    family_of,
    family_table,
    loop_means,
    run_seconds,
)

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
RESULTS = os.path.join(ROOT, "benchmarks", "_results", "study-budgets")


def median_seconds(rows):
    """Median seconds of a run per (data set, model, strategy)."""
    return {
        (d, m, s): float(np.median(v))
        for (d, m, _, s), v in run_seconds(rows).items()
    }


def _ranked(means):
    """Per family: its strategies' stage-1 rows (family_table) with a
    mean accuracy, and the baselines among the strategies."""
    names = sorted({s for k in means for s in means[k]})
    base = baseline_names(names)
    for fam in sorted({family_of(k[1]) for k in means}):
        table, _, _ = family_table(means, fam, base)
        yield fam, [r for r in table if r["mean_accuracy"] is not None], base


def close_strategies(means, within):
    """Per family: this package's best strategy, its accuracy and the
    strategies within ``within`` (a share) of it, best first."""
    out = {}
    for fam, ranked, _ in _ranked(means):
        ours = [r for r in ranked if r["strategy"].startswith(OURS)]
        if not ours:  # no setting where every strategy ran
            continue
        best = max(ours, key=lambda r: r["mean_accuracy"])
        close = sorted(
            (r for r in ranked if r["mean_accuracy"] >= best["mean_accuracy"]
             - within),
            key=lambda r: -r["mean_accuracy"],
        )  # fmt: skip
        out[fam] = (best, close)
    return out


def top_baselines(means, candidate, k):
    """Per family: the candidate's row and the ``k`` best baselines."""
    out = {}
    for fam, ranked, base in _ranked(means):
        best = next((r for r in ranked if r["strategy"] == candidate), None)
        if best is None:  # no setting where every strategy ran
            continue
        tops = sorted(
            (r for r in ranked if r["strategy"] in base),
            key=lambda r: -r["mean_accuracy"],
        )[:k]
        out[fam] = (best, [best, *tops])
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("budgets", nargs="+")
    parser.add_argument(
        "--within", type=float, default=1.0, help="points of accuracy"
    )
    parser.add_argument("--candidate", help="the recipe's candidate")
    parser.add_argument(
        "--top-baselines", type=int, help="with --candidate: K baselines"
    )
    parser.add_argument("--more-seeds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    for budget in args.budgets:
        rows = read_results(os.path.join(RESULTS, budget, "results.csv"))
        rows = [r for r in rows if r["seed"] < 5]  # stage 1 only
        means = loop_means(rows)
        print(f"## {budget}\n")
        rule = (
            f"{args.candidate} and the {args.top_baselines} best baselines"
            if args.candidate
            else f"within {args.within:g} point(s)"
        )
        print(f"| family | reference | {rule} (accuracy %) |")
        print("|---|---|---|")
        union = []
        chosen = (
            top_baselines(means, args.candidate, args.top_baselines)
            if args.candidate
            else close_strategies(means, args.within / 100)
        )
        for fam, (best, close) in chosen.items():
            cells = ", ".join(
                f"{r['strategy']} {100 * r['mean_accuracy']:.2f}"
                for r in close
            )
            print(f"| {fam} | {best['strategy']} | {cells} |")
            union += [r["strategy"] for r in close if r["strategy"] not in
                      union]  # fmt: skip
        seconds = median_seconds(rows)
        settings = {(k[0], k[1]) for k in means}
        print("\n| strategy | stage 2 seconds (one core) |")
        print("|---|---:|")
        total = 0.0
        for s in union:
            cost = args.more_seeds * sum(
                seconds.get((d, m, s), 0.0) for d, m in settings
            )
            total += cost
            print(f"| {s} | {cost:,.0f} |")
        hours = total / args.workers / 3600
        print(
            f"| all {len(union)} | {total:,.0f} (about {hours:.1f} h on "
            f"{args.workers} workers) |\n"
        )
        print("more_seeds_strategies:", ", ".join(f'"{s}"' for s in union))
        print()


if __name__ == "__main__":
    main()
