"""Command line of the digits demo: ``python -m skactiveml_badge.demo``.

The only module of the demo that prints; see :mod:`skactiveml_badge.demo`.
"""

import argparse
import sys
import warnings

from sklearn.exceptions import ConvergenceWarning

from . import STRATEGIES, format_table, learning_curves, plot_curves
from . import __doc__ as DEMO_DOC


def main(argv=None):
    parser = argparse.ArgumentParser(description=DEMO_DOC.split("\n")[0])
    parser.add_argument(
        "--strategies", nargs="+", default=list(STRATEGIES), choices=STRATEGIES
    )
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-start", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument(
        "--plot",
        default="badge_digits.png",
        help="where to write the plot ('' for none)",
    )
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    for name in ("seeds", "n_start", "batch_size", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")

    def log(msg):
        if not args.quiet:
            print(msg, file=sys.stderr)

    log(
        f"digits: {args.seeds} seeds, {args.n_start} start labels, "
        f"{args.rounds} rounds of {args.batch_size}"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        curves = learning_curves(
            args.strategies,
            range(args.seeds),
            args.n_start,
            args.batch_size,
            args.rounds,
            log,
        )
    print(format_table(curves, args.n_start, args.batch_size))
    if args.plot:
        try:
            path = plot_curves(
                curves, args.n_start, args.batch_size, args.plot
            )
            print(f"\nplot written to {path}")
        except ImportError as exc:
            print(f"\nno plot: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
