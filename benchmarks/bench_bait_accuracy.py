"""What BAIT's top-k approximation costs in accuracy: a runner's results.

Reads the ``results.csv`` of a run of ``python -m
skactiveml_badge.experiments`` (default: ``benchmarks/_results/
bait_letter``) and prints, per strategy, the area under the learning curve
(AULC: the mean test accuracy over the rounds, start labels included) as
mean ± std over the seeds, its per-seed wins against exact BAIT (``bait``)
and against random sampling, and the mean query seconds. Only seeds that
every strategy finished count. The table is reStructuredText, for
``docs/guide_bait.rst``.

    python benchmarks/bench_bait_accuracy.py [--results DIR] [--out FILE]
"""

import os
import statistics
import sys
from collections import defaultdict

from _common import make_parser, write_text

from skactiveml_badge.experiments._report import read_results

DEFAULT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "_results", "bait_letter"
)


def aulc_by_seed(rows):
    """``{strategy: {seed: (aulc, mean query s)}}`` over complete runs."""
    acc = defaultdict(lambda: defaultdict(dict))
    secs = defaultdict(lambda: defaultdict(list))
    for r in rows:
        acc[r["strategy"]][r["seed"]][r["round"]] = r["accuracy"]
        if r["round"] > 0:
            secs[r["strategy"]][r["seed"]].append(r["query_seconds"])
    n_rounds = max(len(v) for s in acc.values() for v in s.values())
    out = {}
    for strategy, seeds in acc.items():
        out[strategy] = {
            seed: (
                statistics.mean(curve.values()),
                statistics.mean(secs[strategy][seed]),
            )
            for seed, curve in seeds.items()
            if len(curve) == n_rounds
        }
    common = set.intersection(*(set(v) for v in out.values()))
    return {s: {k: v[k] for k in sorted(common)} for s, v in out.items()}


def _wins(a, b):
    return sum(a[s][0] > b[s][0] for s in a)


def table(results):
    names = sorted(results, key=lambda s: (s != "bait", s == "random", s))
    exact, rand = results.get("bait"), results.get("random")
    head = [
        "strategy",
        "AULC (mean ± std)",
        "wins vs exact",
        "wins vs random",
        "query s (mean)",
    ]
    rows = []
    for name in names:
        res = results[name]
        vals = [v[0] for v in res.values()]
        std = statistics.stdev(vals) if len(vals) > 1 else 0.0
        n = len(res)
        rows.append(
            [
                name,
                f"{statistics.mean(vals):.4f} ± {std:.4f}",
                "" if exact is None or name == "bait" else
                f"{_wins(res, exact)} of {n}",
                "" if rand is None or name == "random" else
                f"{_wins(res, rand)} of {n}",
                f"{statistics.mean(v[1] for v in res.values()):.1f}",
            ]
        )  # fmt: skip
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(5)]

    def line(cells):
        return "  ".join(
            c.ljust(w) for c, w in zip(cells, widths, strict=True)
        ).rstrip()

    rule = line(["=" * w for w in widths])
    lines = [rule, line(head), rule, *(line(r) for r in rows), rule]
    seeds = sorted(next(iter(results.values())))
    return "\n".join(lines), seeds


def main(argv=None):
    parser = make_parser(__doc__, out="table")
    parser.add_argument("--results", default=DEFAULT, help="runner folder")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    rows = read_results(os.path.join(args.results, "results.csv"))
    text, seeds = table(aulc_by_seed(rows))
    text = f"Seeds {seeds}.\n\n{text}\n"
    print(text)
    write_text(args.out, text)


if __name__ == "__main__":
    main()
