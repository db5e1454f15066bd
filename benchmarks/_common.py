"""Helpers shared by the benchmark scripts in this folder.

The scripts are run as ``python benchmarks/bench_X.py``, which puts this
folder first on ``sys.path``, so they import this module as ``_common``.
It imports neither torch nor skorch: ``bench_selection.py`` needs neither.
"""

import argparse
import ctypes
import gc
import os
import platform
import shlex
import statistics
import sys
import time
import tracemalloc
import warnings
from typing import NamedTuple

import numpy as np
import skactiveml

import skactiveml_badge
from skactiveml_badge._validation import (
    check_non_negative_int,
    check_positive_int,
)

MIB = 2.0**20


# ---------------------------------------------------------------- logging


def log(msg):
    """Progress message on stderr."""
    print(msg, file=sys.stderr, flush=True)


def load_average():
    """The 1, 5 and 15 minute load averages, or ``unknown``."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def command_line():
    """The command that started this script, quoted for a shell."""
    return "python " + " ".join(
        shlex.quote(a) for a in [sys.argv[0], *sys.argv[1:]]
    )


def machine_line():
    """``- machine: <system> <arch>, <CPU model>, <n> logical CPUs``."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"- machine: {platform.system()} {platform.machine()}, {cpu}, "
        f"{os.cpu_count()} logical CPUs"
    )


def versions_line():
    """``- skactiveml <version>, skactiveml_badge <version>``."""
    return (
        f"- skactiveml {skactiveml.__version__}, "
        f"skactiveml_badge {skactiveml_badge.__version__}"
    )


def log_elapsed(start):
    """Log the time since ``start`` (``time.perf_counter``) and the load."""
    elapsed = time.perf_counter() - start
    log(f"  elapsed {elapsed:.0f} s, load average {load_average()}")


def start_load_line():
    return f"- load average at the start: {load_average()}"


def end_footer(elapsed):
    """Run time and load average, the last lines of a timing report."""
    return (
        f"\nTotal run time: {elapsed:.0f} s; load average at the end: "
        f"{load_average()} (other processes on the machine disturb the "
        "timings)\n"
    )


# ---------------------------------------------------------------- timing


def _malloc_trim():
    """Give freed heap memory back to the OS (glibc), else do nothing."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _reset_hwm():
    _malloc_trim()
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def _status_kib(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def hwm_supported():
    """Whether the peak resident set size can be reset and read."""
    try:
        _reset_hwm()
        return _status_kib("VmHWM") is not None
    except OSError:
        return False


def median_time(fn, repeats, measure_rss=False):
    """Median wall time, the first result and the first call's RSS peak.

    The RSS peak (MiB, see ``hwm_supported``) is ``None`` unless
    ``measure_rss``.
    """
    times, first, rss = [], None, None
    for i in range(repeats):
        gc.collect()
        if measure_rss and i == 0:
            _reset_hwm()
            base = _status_kib("VmRSS")
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
        if measure_rss and i == 0:
            rss = (_status_kib("VmHWM") - base) / 1024.0
        if first is None:
            first = out
        del out
    gc.collect()
    return statistics.median(times), first, rss


def peak_mib(fn):
    """Peak traced memory, in MiB, allocated during one call of ``fn``."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        out = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del out
    gc.collect()
    return (peak - base) / MIB


def query_fn(qs, X, y, clf, batch):
    """``qs.query(X, y, clf, fit_clf=False, batch_size=batch)``, silent."""

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(
                qs.query(X, y, clf, fit_clf=False, batch_size=batch)
            )

    return run


# ---------------------------------------------------------------- output


def mean_std(values, spec=".3f"):
    """``mean ± std`` of ``values`` (the value alone if there is one)."""
    if len(values) < 2:
        return f"{values[0]:{spec}}"
    mean, std = statistics.mean(values), statistics.stdev(values)
    return f"{mean:{spec}} ± {std:{spec}}"


def fmt(value, spec, suffix=""):
    return "n/a" if value is None else f"{value:{spec}}{suffix}"


def yes_no(value):
    return "n/a" if value is None else ("yes" if value else "no")


def win_line(name, baseline, diffs, score):
    """A summary line: on how many seeds ``name`` beat ``baseline`` in
    mean ``score`` over the loop, from the paired per-seed ``diffs``."""
    return (
        f"- {name} beat {baseline} in mean {score} over the loop for "
        f"{sum(d > 0 for d in diffs)} of {len(diffs)} seeds (mean "
        f"difference {statistics.mean(diffs):+.4f}; per seed: "
        + ", ".join(f"{d:+.4f}" for d in diffs)
        + ")."
    )


def markdown_table(columns, rows, left=()):
    """A markdown table, right-aligned but for the columns in ``left``."""
    lines = ["| " + " | ".join(columns) + " |"]
    lines.append(
        "|"
        + "|".join(
            ":---" if i in left else "---:" for i in range(len(columns))
        )
        + "|"
    )
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def curve_table(curves, labels, mean_label):
    """Learning curves as a markdown table: labels vs accuracy.

    Parameters
    ----------
    curves : dict of str to list of list of float
        Per strategy, the accuracies of each seed, one per round.
    labels : sequence of int
        Labels at each round.
    mean_label : str
        First cell of the last row: mean ± std over the seeds of the mean
        accuracy over the loop.
    """
    names = list(curves)
    rows = [
        [str(n), *(mean_std([c[r] for c in curves[s]]) for s in names)]
        for r, n in enumerate(labels)
    ]
    means = [[statistics.mean(c) for c in curves[s]] for s in names]
    rows.append([mean_label, *(mean_std(m) for m in means)])
    return markdown_table(["labels", *names], rows)


def write_text(path, text):
    """Write ``text`` to ``path`` (if given), creating its folder."""
    if path:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(text)


def dirichlet_pool(n, d, n_classes=10):
    """The synthetic pool of the half-precision and reduction benchmarks:
    ``(delta, h)`` in float32, Dirichlet(0.5) probabilities and
    ReLU-Gaussian ``h``, seeded by ``n`` and ``d``."""
    rng = np.random.default_rng([0, n, d])
    p = rng.dirichlet(np.full(n_classes, 0.5), size=n).astype(np.float32)
    delta = p.copy()
    delta[np.arange(n), p.argmax(1)] -= 1.0
    h = np.maximum(rng.standard_normal((n, d), dtype=np.float32), 0.0)
    return delta, h


def finish_report(header, table, start, path):
    """Print the header lines, the table and the timing footer (the run
    began at ``start``, ``time.perf_counter``), and write them to
    ``path`` if given."""
    text = (
        "\n".join(header)
        + table
        + "\n"
        + end_footer(time.perf_counter() - start)
    )
    print(text)
    write_text(path, text)


def report_writer(header, table, path):
    """``write(rows, final, footer="")``: header, table and footer.

    ``write`` returns the report and also writes it to ``path``; a
    report that is not ``final`` ends with a "partial" note.
    """

    def write(rows, final, footer=""):
        text = "\n".join(header) + table(rows) + "\n" + footer
        if not final:
            text += "\n(partial: run in progress)\n"
        write_text(path, text)
        return text

    return write


# ---------------------------------------------------------------- options


def add_timing_options(parser, repeats_help, warmup_help):
    """``--repeats``, ``--warmup``, ``--ref-repeats`` and ``--no-ref``."""
    parser.add_argument("--repeats", type=int, default=3, help=repeats_help)
    parser.add_argument("--warmup", type=int, default=1, help=warmup_help)
    parser.add_argument(
        "--ref-repeats",
        type=int,
        default=1,
        help="timing runs of skactiveml's Badge",
    )
    parser.add_argument(
        "--no-ref", action="store_true", help="skip skactiveml's Badge"
    )


def add_out_option(parser, what="table"):
    parser.add_argument("--out", help=f"also write the markdown {what} here")


def make_parser(doc, quick=None, seeds=None, workers=False, out="report"):
    """An ``ArgumentParser`` with the options the benchmarks share.

    Parameters
    ----------
    doc : str
        The script's docstring; its first line describes the script.
    quick : str, optional
        Help of ``--quick`` (the smoke test); None: no ``--quick``.
    seeds : str, optional
        Help of ``--seeds`` (a list of ints); None: no ``--seeds``.
    workers : bool, default=False
        Add ``--workers``: processes that run the loops (see
        :func:`run_jobs`).
    out : str, default="report"
        What ``--out`` writes.
    """
    parser = argparse.ArgumentParser(description=doc.split("\n", 1)[0])
    if quick is not None:
        parser.add_argument("--quick", action="store_true", help=quick)
    if seeds is not None:
        parser.add_argument("--seeds", type=int, nargs="+", help=seeds)
    if workers:
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="processes running the loops, one thread each (their "
            "query times then share the CPU)",
        )
    add_out_option(parser, out)
    return parser


def check_args(parser, args, positive=(), non_negative=()):
    """Exit through ``parser.error`` unless the named options hold ints
    >= 1 (``positive``) or >= 0 (``non_negative``); a list option is
    checked item by item and an option left at None is skipped."""
    checks = [(n, check_positive_int) for n in positive]
    checks += [(n, check_non_negative_int) for n in non_negative]
    try:
        for name, check in checks:
            value = getattr(args, name)
            for item in value if isinstance(value, list) else [value]:
                if item is not None:
                    check(item, "--" + name.replace("_", "-"))
    except (TypeError, ValueError) as exc:
        parser.error(str(exc))


# ---------------------------------------------------------------- loops


class LoopResult(NamedTuple):
    """One active-learning loop of the runner, as a benchmark sees it."""

    #: Test accuracy of every round (round 0: the start labels).
    accuracies: list
    #: Mean wall time of one query.
    query_seconds: float
    #: Wall time of the whole loop.
    seconds: float


def run_loop(X, y, model, strategy, **settings):
    """One loop of the experiment runner, warnings silenced.

    ``skactiveml_badge.experiments.run_rounds(X, y, model, strategy,
    **settings)``, the loop of ``python -m skactiveml_badge.experiments``.
    """
    from skactiveml_badge.experiments import run_rounds

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rounds = list(run_rounds(X, y, model, strategy, **settings))
    return LoopResult(
        accuracies=[r.accuracy for r in rounds],
        query_seconds=statistics.mean(r.query_seconds for r in rounds[1:]),
        seconds=time.perf_counter() - start,
    )


def run_jobs(fn, jobs, workers=1):
    """``fn(*job)`` for every job, yielded in order as they are done.

    With ``workers > 1`` they run in that many processes, each with one
    thread (``fn`` and the jobs must pickle: a function of the script
    and plain values).
    """
    if workers == 1:
        yield from (fn(*job) for job in jobs)
        return
    import concurrent.futures as cf
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_one_thread
    ) as pool:
        yield from pool.map(fn, *zip(*jobs, strict=True))


def _one_thread():
    from threadpoolctl import threadpool_limits

    os.environ["OMP_NUM_THREADS"] = "1"
    threadpool_limits(1)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def rst_table(columns, rows, info):
    """The table as reStructuredText (a simple table), with the machine
    and run lines as a bullet list under it."""
    cells = [list(columns)] + [list(r) for r in rows]
    widths = [max(len(row[j]) for row in cells) for j in range(len(columns))]
    rule = "  ".join("=" * w for w in widths)

    def line(row):
        padded = (c.ljust(w) for c, w in zip(row, widths, strict=True))
        return "  ".join(padded).rstrip()

    body = [rule, line(cells[0]), rule, *map(line, cells[1:]), rule, ""]
    body += [f"- {text.replace('`', '``')}" for text in info]
    return "\n".join(body) + "\n"


def fixed_outputs_class():
    """:class:`FixedOutputs`, made on first use (scikit-activeml is
    imported only by the benchmarks that need it)."""
    from skactiveml.base import SkactivemlClassifier
    from skactiveml.utils import MISSING_LABEL

    class FixedOutputs(SkactivemlClassifier):
        """Returns stored (proba, h) for rows given as a column of
        indices (``predict_proba(X, return_embeddings=True)``)."""

        def __init__(self, proba=None, h=None, classes=None):
            super().__init__(classes=classes, missing_label=MISSING_LABEL)
            self.proba, self.h = proba, h

        def fit(self, X, y, sample_weight=None):
            self.classes_ = np.arange(self.proba.shape[1])
            return self

        def predict_proba(self, X, return_embeddings=False):
            idx = np.asarray(X)[:, 0].astype(int)
            if return_embeddings:
                return self.proba[idx], self.h[idx]
            return self.proba[idx]

    return FixedOutputs
