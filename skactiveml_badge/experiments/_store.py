"""The output folder: its lock file and the results.csv it holds."""

import contextlib
import csv
import errno
import os
import warnings

from ._config import (
    OutputFolderError,
    RunnerWarning,
    _name,
    _pool_size,
    _run_of,
    _write_config,
)
from ._report import COLUMNS, MULTILABEL_COLUMNS

try:
    import fcntl
except ImportError:  # Windows
    import msvcrt

    fcntl = None


def _acquire(path):
    """Lock the file ``path`` (made if needed) for this process and write
    its pid there; the descriptor, for :func:`_release`."""
    folder = os.path.dirname(path)
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputFolderError(
                f"Cannot make the lock file {path!r}: {exc.strerror}."
            ) from None
        if not _try_lock(fd, path):
            holder = _read_pid(fd) or "unknown"
            os.close(fd)
            raise OutputFolderError(
                f"{folder!r} is in use by another run (pid {holder}, lock "
                f"file {path!r}); wait for it to end or use another folder."
            )
        with contextlib.suppress(OSError):
            if os.path.samestat(os.fstat(fd), os.stat(path)):
                break
        os.close(fd)  # its holder removed it as we opened it: again
    stale = _read_pid(fd)
    if stale is not None:
        warnings.warn(
            f"{path!r} was left by pid {stale}, which ended without "
            "releasing it (killed?); taking the folder over.",
            RunnerWarning,
            stacklevel=3,
        )
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _try_lock(fd, path):
    """Whether this process got the lock on ``fd`` (the system drops it
    when the process ends, however it ends)."""
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:  # a byte past the pid: the pid stays readable
            os.lseek(fd, 1 << 20, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EDEADLK):
            return False
        warnings.warn(
            f"Cannot lock {path!r} ({exc.strerror}): a second run on this "
            "folder would not be stopped.",
            RunnerWarning,
            stacklevel=4,
        )
    return True


def _read_pid(fd):
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 32).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


def _release(path, fd):
    if fcntl is not None:  # still locked: no other run holds it
        with contextlib.suppress(OSError):
            os.unlink(path)
    os.close(fd)
    if fcntl is None:  # Windows removes no open file
        with contextlib.suppress(OSError):
            os.unlink(path)


def check_out_dir(out_dir, exists=False):
    """``out_dir`` as a str, if it is a writable folder or can be made
    one (``exists=True``: if it is an existing folder).

    Raises
    ------
    TypeError
        Unless ``out_dir`` is a str or a path.
    OutputFolderError
        Naming the folder and what is wrong with it.
    """
    if not isinstance(out_dir, (str, os.PathLike)):
        raise TypeError(f"`out_dir` must be a str or path, got {out_dir!r}.")
    out_dir = os.fspath(out_dir)
    if not out_dir:
        raise OutputFolderError("The output folder must be named, got ''.")
    probe = os.path.abspath(out_dir)
    while not os.path.exists(probe):  # the first part that exists
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        what = "a file" if os.path.isfile(probe) else "not a folder"
        part = probe != os.path.abspath(out_dir)
        raise OutputFolderError(
            f"{out_dir!r} is not a folder: "
            + (f"its part {probe!r} is {what}." if part else f"it is {what}.")
        )
    if exists and probe != os.path.abspath(out_dir):
        raise OutputFolderError(f"{out_dir!r} does not exist.")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputFolderError(
            f"{out_dir!r} cannot be written: {probe!r} is not writable."
        )
    return out_dir


def _check_kind(found, columns, out_dir):
    """Raise unless the results file's columns ``found`` (None: none yet)
    are ``columns``, the kind of runs to add."""
    if found is None or found == columns:
        return
    kinds = {COLUMNS: "single-label", MULTILABEL_COLUMNS: "multi-label"}
    raise OutputFolderError(
        f"{out_dir!r} holds the results of {kinds[found]} runs; the "
        f"{kinds[columns]} runs of this configuration need another output "
        "folder."
    )


@contextlib.contextmanager
def _results_file(
    path, end, config, out_dir, other, columns=COLUMNS, code=None
):
    """``results.csv`` open for appending, after cutting a torn last line
    (anything after ``end``) and writing the header (``columns``) and
    ``config.json`` where they are missing, ``other`` settings are
    added or ``code`` (its new ``code`` records) is given."""
    try:
        if os.path.exists(path) and os.path.getsize(path) > end:
            with open(path, "rb+") as fh:
                fh.truncate(end)
        if other is None or other or code is not None:
            _write_config(config, out_dir, code)
        fh = open(path, "a", newline="", encoding="utf-8")
        if not end:
            csv.writer(fh).writerow(columns)
            fh.flush()
    except OSError as exc:
        raise OutputFolderError(
            f"Cannot write {exc.filename or path!r}: {exc.strerror}."
        ) from None
    with fh:
        yield fh


def _by_run(rows, path):
    """The rows of ``results.csv`` by run, sorted by round; raise if a run
    has a round twice or lacks one."""
    done = {}
    for row in rows:
        done.setdefault(_run_of(row), []).append(row)
    for run, rows in done.items():
        lines = {}
        for row in rows:
            first = lines.setdefault(row["round"], row["line"])
            if first != row["line"]:
                raise ValueError(
                    f"{path!r}, line {row['line']}: round {row['round']} of "
                    f"{_name(run)} again (first on line {first}); was the "
                    "folder written by two runs at once?"
                )
        missing = sorted(set(range(max(lines) + 1)) - set(lines))
        if missing:
            raise ValueError(
                f"{path!r}: {_name(run)} has rounds up to {max(lines)}, but "
                f"round {missing[0]} is missing."
            )
        rows.sort(key=lambda r: r["round"])
    return done


def _check_queried(done, config, data, path):
    """Raise unless the runs of ``config`` bought samples of their pools
    (a sample bought twice is let pass: the study's BatchBALD rows hold
    some)."""
    for run in config.runs():
        y = data[run.dataset][1]
        n_pool = _pool_size(len(y), config.test_size)
        for row in done.get(run, ()):
            bad = [i for i in row["queried"] if i >= n_pool]
            if bad:
                raise ValueError(
                    f"{path!r}, line {row['line']}: queried index {bad[0]} "
                    f"is out of range for the pool of {run.dataset!r} "
                    f"(0..{n_pool - 1})."
                )
