"""Command line of the experiment runner.

``python -m skactiveml_badge.experiments`` with no options runs the
README's default experiment: digits, a small skorch MLP, Badge against
random and margin sampling, 3 seeds, 20 start labels and 10 rounds of 20.
"""

import argparse
import dataclasses
import json
import os
import sys

from ._registry import DATASETS, MODELS, STRATEGIES
from ._report import (
    learning_curve_table,
    penalty_matrix,
    penalty_table,
    plot_learning_curves,
    plot_penalty_matrix,
    read_results,
)
from ._runner import RESULTS_FILE, ExperimentConfig, run_experiment
from ._study import plot_family_curves, study_page


def _catalogue():
    lines = []
    for title, registry in (
        ("data sets (or a path to a .npz/.csv file):", DATASETS),
        ("models:", MODELS),
        ("strategies:", STRATEGIES),
    ):
        lines.append(title)
        lines += [f"  {k:<16} {v.description}" for k, v in registry.items()]
    return "\n".join(lines)


def build_parser():
    defaults = ExperimentConfig()
    fields = {f.name for f in dataclasses.fields(ExperimentConfig)}
    parser = argparse.ArgumentParser(
        prog="python -m skactiveml_badge.experiments",
        description=(__doc__ or "").split("\n\n")[0],
        epilog=_catalogue(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--datasets", nargs="+", default=list(defaults.datasets)
    )
    parser.add_argument("--models", nargs="+", default=list(defaults.models))
    parser.add_argument(
        "--strategies", nargs="+", default=list(defaults.strategies)
    )
    parser.add_argument(
        "--batch-sizes",
        nargs="+",
        type=int,
        default=list(defaults.batch_sizes),
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=defaults.seeds,
        help="number of seeds (0..n-1)",
    )
    parser.add_argument("--rounds", type=int, default=defaults.rounds)
    parser.add_argument("--n-start", type=int, default=defaults.n_start)
    parser.add_argument("--test-size", type=float, default=defaults.test_size)
    parser.add_argument(
        "--label-column",
        default=defaults.label_column,
        help="label column (.csv) or array (.npz) of a data file",
    )
    parser.add_argument(
        "--max-samples",
        type=int,
        default=defaults.max_samples,
        help="cut larger data sets to this many samples (stratified)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=defaults.workers,
        help="processes running the runs (one thread each)",
    )
    parser.add_argument(
        "--config",
        help=(
            "a JSON file of settings (keys: "
            + ", ".join(sorted(fields - {"workers"}))
            + "); options given on the command line override it"
        ),
    )
    parser.add_argument(
        "--out",
        default="experiment_results",
        help="output folder; rerunning with the same folder resumes",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no progress bar, no tables"
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help=(
            "run nothing: report (tables, plots, --study-page) on the runs "
            "of this configuration already in --out"
        ),
    )
    parser.add_argument(
        "--study-page",
        metavar="PATH",
        help=(
            "also write the study's results page (reStructuredText: mean "
            "ranks per model family, 95%% intervals, compute) to PATH"
        ),
    )
    return parser


def _settings(parser, args, argv):
    """ExperimentConfig keywords: the config file, then the options that
    were given explicitly."""
    settings = {}
    if args.config:
        try:
            with open(args.config) as fh:
                settings = json.load(fh)
        except (OSError, ValueError) as exc:
            parser.error(f"--config {args.config}: {exc}")
        fields = {f.name for f in dataclasses.fields(ExperimentConfig)}
        unknown = sorted(set(settings) - fields)
        if unknown:
            parser.error(f"--config {args.config}: unknown keys {unknown}")
    given = {
        a.dest
        for a in parser._actions
        for arg in (argv if argv is not None else sys.argv[1:])
        if any(arg == o or arg.startswith(o + "=") for o in a.option_strings)
    }  # fmt: skip
    for field in dataclasses.fields(ExperimentConfig):
        if not hasattr(args, field.name):  # set in config files only
            continue
        if field.name in given or field.name not in settings:
            settings[field.name] = getattr(args, field.name)
    return settings


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    config = ExperimentConfig(**_settings(parser, args, argv))
    try:
        if args.report_only:
            config.validate()
            path = os.path.join(args.out, RESULTS_FILE)
            if not os.path.isfile(path):
                raise ValueError(f"--report-only: {path!r} does not exist.")
        else:
            path = run_experiment(config, args.out, progress=not args.quiet)
    except (ValueError, TypeError, ImportError) as exc:
        parser.error(str(exc))
    except RuntimeError as exc:  # runs that failed; the others are saved
        print(str(exc), file=sys.stderr)
        return 1
    rows = read_results(path)
    # Report only this configuration's runs (the folder may hold more).
    wanted = {tuple(map(str, r)) for r in config.runs()}
    rows = [
        r
        for r in rows
        if tuple(
            str(r[k])
            for k in ("dataset", "model", "strategy", "batch_size", "seed")
        )
        in wanted
        and r["round"] <= config.rounds
    ]
    names, P, n_settings = penalty_matrix(rows)
    curve_png = os.path.join(args.out, "learning_curves.png")
    penalty_png = os.path.join(args.out, "penalty_matrix.png")
    summary = (
        "## Learning curves\n\n"
        + learning_curve_table(rows)
        + "\n\n## Pairwise penalty matrix\n\n"
        "Row beat column (paired t-test over seeds, p < 0.05), as a share "
        f"of the rounds, summed over {n_settings} setting(s).\n\n"
        + penalty_table(names, P)
        + "\n"
    )
    with open(os.path.join(args.out, "summary.md"), "w") as fh:
        fh.write(summary)
    written = [path, os.path.join(args.out, "summary.md")]
    if args.study_page:
        argv = sys.argv[1:] if argv is None else argv
        shown = [a for a in argv if a != "--report-only"]
        command = " ".join([parser.prog, *shown])
        figure = os.path.splitext(args.study_page)[0] + "_curves.png"
        try:
            plot_family_curves(rows, figure)
            written.append(figure)
        except ImportError as exc:
            print(f"no study figure: {exc}", file=sys.stderr)
            figure = None
        with open(args.study_page, "w") as fh:
            page = study_page(
                rows,
                command,
                len(config.runs()),
                config=config,
                figure=None if figure is None else os.path.basename(figure),
            )
            fh.write(page)
        written.append(args.study_page)
    try:
        plot_learning_curves(rows, curve_png)
        plot_penalty_matrix(names, P, n_settings, penalty_png)
        written += [curve_png, penalty_png]
    except ImportError as exc:
        print(f"no plots: {exc}", file=sys.stderr)
    if not args.quiet:
        print(summary)
        print("Written:\n" + "\n".join(f"  {p}" for p in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
