"""Helpers shared by the benchmark scripts in this folder.

The scripts are run as ``python benchmarks/bench_X.py``, which puts this
folder first on ``sys.path``, so they import this module as ``_common``.
It imports neither torch nor skorch: ``bench_selection.py`` needs neither.
"""

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

import numpy as np
import skactiveml

import skactiveml_badge

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


def fmt(value, spec, suffix=""):
    return "n/a" if value is None else f"{value:{spec}}{suffix}"


def yes_no(value):
    return "n/a" if value is None else ("yes" if value else "no")


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


def write_text(path, text):
    """Write ``text`` to ``path`` (if given), creating its folder."""
    if path:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(text)


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
