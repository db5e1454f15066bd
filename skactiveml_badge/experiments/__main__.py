"""Command line of the experiment runner.

``python -m skactiveml_badge.experiments`` with no options runs the
README's default experiment: digits, a small skorch MLP, TypiClustThenBadge
and Badge against random and margin sampling, 3 seeds, 20 start labels and
10 rounds of 20.
"""

import argparse
import dataclasses
import os
import sys
import warnings

from ._config import (
    REPORT_FILES,
    RESULTS_FILE,
    ExperimentConfig,
    OutputFolderError,
    RunnerWarning,
    read_json,
    rows_of,
)
from ._datasets import DATASETS
from ._models import MODELS
from ._report import (
    SCORE_NAMES,
    learning_curve_table,
    penalty_matrix,
    penalty_table,
    plot_learning_curves,
    plot_penalty_matrix,
    read_results,
    scores_of,
)
from ._runner import run_experiment
from ._store import check_out_dir
from ._strategies import STRATEGIES
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


def _shown(value):
    """A default as ``--help`` shows it."""
    if isinstance(value, (list, tuple)):
        return " ".join(map(str, value)) or "none"
    return "none" if value is None else str(value)


def build_parser():
    """The parser of the command line; every option's help ends with its
    default."""
    defaults = ExperimentConfig()
    fields = {f.name for f in dataclasses.fields(ExperimentConfig)}
    parser = argparse.ArgumentParser(
        prog="python -m skactiveml_badge.experiments",
        description=(__doc__ or "").split("\n\n")[0],
        epilog=_catalogue(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        # An abbreviated option would not count as given (the config's
        # value would win silently): spell options out.
        allow_abbrev=False,
    )

    def option(name, text, **kw):
        if kw.get("action") == "store_true":
            kw["default"], shown = False, "off"
        else:
            dest = name[2:].replace("-", "_")
            kw.setdefault("default", getattr(defaults, dest, None))
            shown = _shown(kw["default"])
        parser.add_argument(name, help=f"{text} (default: {shown})", **kw)

    listed = dict(nargs="+")
    option("--datasets", "data set names or .npz/.csv paths", **listed)
    option("--models", "model names", **listed)
    option("--strategies", "strategy names", **listed)
    option("--batch-sizes", "labels bought per round", type=int, **listed)
    option("--seeds", "number of seeds (0..n-1)", type=int)
    option("--rounds", "query rounds after the start set", type=int)
    option("--n-start", "random start labels", type=int)
    option("--test-size", "share of samples held out for testing", type=float)
    option(
        "--label-column",
        "label column (.csv) or array (.npz) of a data file",
    )
    option(
        "--max-samples",
        "cut larger data sets to this many samples (stratified)",
        type=int,
    )
    option("--workers", "processes running the runs (one thread each)",
           type=int)  # fmt: skip
    option(
        "--pool-on-disk",
        "write each run's pool to an .npy file and give Badge strategies "
        "its memory map (the out-of-core path)",
        action="store_true",
    )
    option(
        "--config",
        "a JSON file of settings (keys: "
        + ", ".join(sorted(fields - {"workers"}))
        + "); options given on the command line override it",
    )
    option(
        "--out",
        "output folder; rerunning the same configuration resumes it",
        default="experiment_results",
    )
    option(
        "--extend",
        "add this configuration's runs to an --out holding another one's",
        action="store_true",
    )
    option("--quiet", "no progress bar, no tables", action="store_true")
    option(
        "--report-only",
        "run nothing: report (tables, plots, --study-page) on the runs "
        "of this configuration already in --out",
        action="store_true",
    )
    option(
        "--study-page",
        "also write the study's results page (reStructuredText: mean "
        "ranks per model family, 95%% intervals, compute) to PATH",
        metavar="PATH",
    )
    return parser


def _config_file(parser, path):
    """The settings of a ``--config`` file (a usage error if it is not a
    JSON object of settings, naming the file and the line)."""
    what = "a JSON object of settings"
    try:
        settings = read_json(path, what)
    except ValueError as exc:
        parser.error(f"--config: {exc}")
    if not isinstance(settings, dict):
        parser.error(f"--config {path!r}: expected {what}.")
    fields = {f.name for f in dataclasses.fields(ExperimentConfig)}
    unknown = sorted(set(settings) - fields)
    if unknown:
        parser.error(f"--config {path!r}: unknown keys {unknown}")
    return settings


def _settings(parser, args, argv):
    """ExperimentConfig keywords: the config file, then the options that
    were given explicitly."""
    settings = _config_file(parser, args.config) if args.config else {}
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


def _say(message):
    print(message, file=sys.stderr)


def _show_warning(message, category, *args, **kw):
    """The runner's warnings as one line each; others as Python shows
    them."""
    if issubclass(category, RunnerWarning):
        _say(f"warning: {message}")
    else:
        _SHOW_WARNING(message, category, *args, **kw)


_SHOW_WARNING = warnings.showwarning


def _results(parser, args, config):
    """Run (or check, with ``--report-only``) the experiment; the rows of
    this configuration in ``--out``."""
    try:
        config.validate()
        if args.study_page and config.is_multilabel():
            raise ValueError(
                "--study-page: the study page compares accuracies of "
                "single-label runs; these runs are multi-label (the "
                "summary gives their micro- and macro-F1)."
            )
        if args.report_only:
            check_out_dir(args.out, exists=True)
            path = os.path.join(args.out, RESULTS_FILE)
            if not os.path.isfile(path):
                raise ValueError(f"--report-only: {path!r} does not exist.")
        else:
            with warnings.catch_warnings():
                warnings.showwarning = _show_warning
                path = run_experiment(
                    config,
                    args.out,
                    progress=not args.quiet,
                    extend=args.extend,
                    log=None if args.quiet else _say,
                )
        rows = read_results(path)
    except OutputFolderError as exc:
        parser.error(f"--out: {exc}")
    except (ValueError, TypeError, ImportError) as exc:
        parser.error(str(exc))
    return path, rows_of(config, rows)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    config = ExperimentConfig(**_settings(parser, args, argv))
    try:
        path, rows = _results(parser, args, config)
    except RuntimeError as exc:  # runs that failed; the others are saved
        _say(str(exc))
        return 1
    try:
        written = _write_reports(parser, args, argv, config, rows)
    except OSError as exc:
        parser.error(f"cannot write {exc.filename!r}: {exc.strerror}")
    if not args.quiet:
        print("Written:\n" + "\n".join(f"  {p}" for p in [path, *written]))
    return 0


def _write_reports(parser, args, argv, config, rows):
    """Write the summary, plots and study page of ``rows``; the files
    written."""
    names, P, n_settings = penalty_matrix(rows)
    summary_md, curve_png, penalty_png = (
        os.path.join(args.out, name) for name in REPORT_FILES
    )
    score = scores_of(rows)[0]
    compared = "" if score == "accuracy" else f" in {SCORE_NAMES[score]}"
    summary = (
        "## Learning curves\n\n"
        + learning_curve_table(rows)
        + "\n\n## Pairwise penalty matrix\n\n"
        f"Row beat column{compared} (paired t-test over seeds, p < 0.05), "
        "as a share of the rounds, summed over "
        f"{n_settings} setting(s).\n\n" + penalty_table(names, P) + "\n"
    )
    with open(summary_md, "w") as fh:
        fh.write(summary)
    written = [summary_md]
    if args.study_page:
        written += _study_page(parser, args, argv, config, rows)
    try:
        plot_learning_curves(rows, curve_png)
        plot_penalty_matrix(names, P, n_settings, penalty_png)
        written += [curve_png, penalty_png]
    except ImportError as exc:
        _say(f"no plots: {exc}")
    if not args.quiet:
        print(summary)
    return written


def _study_page(parser, args, argv, config, rows):
    argv = sys.argv[1:] if argv is None else argv
    shown = [a for a in argv if a != "--report-only"]
    command = " ".join([parser.prog, *shown])
    figure = os.path.splitext(args.study_page)[0] + "_curves.png"
    written = []
    try:
        plot_family_curves(rows, figure)
        written.append(figure)
    except ImportError as exc:
        _say(f"no study figure: {exc}")
        figure = None
    with open(args.study_page, "w") as fh:
        page = study_page(
            rows,
            command,
            len(config.runs()),
            config=config,
            figure=None if figure is None else os.path.basename(figure),
            name=args.config
            and os.path.splitext(os.path.basename(args.config))[0],
        )
        fh.write(page)
    return [*written, args.study_page]


if __name__ == "__main__":
    sys.exit(main())
