"""Refusing work that cannot fit in this machine's memory, before it
starts."""

import os


def physical_memory():
    """Bytes of physical memory of this machine, or None where the
    system does not say (``os.sysconf``: Linux and macOS)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def check_memory(need, what, advice):
    """Raise a ``ValueError`` if ``need`` bytes exceed this machine's
    physical memory (nothing is checked where it is unknown).

    ``what``: what holds the bytes (a sentence's subject and verb, as
    "MaxHerding holds three n x n float64 matrices"); ``advice``: how to
    need less.
    """
    have = physical_memory()
    if have is not None and need > have:
        raise ValueError(
            f"{what}: {need / 2**30:.1f} GiB, more than this machine's "
            f"{have / 2**30:.1f} GiB. {advice}"
        )
