"""BLAS threads for loops of small products.

OpenBLAS splits even a small product over its threads. On a machine whose
cores are busy the threads wait for each other: with another job on both
cores, BAIT's forward and backward steps (hundreds of small products) ran
1.9x slower with two threads than with one (``benchmarks/bench_bait.py``;
on an idle machine the two were within noise). :func:`one_blas_thread`
caps BLAS at one thread around such a block, through ``threadpoolctl`` (a
scikit-learn dependency), for the numpy backend only. Setting and
restoring the limit costs from tens to hundreds of microseconds (OpenBLAS
may restart its threads), so it goes around a whole BAIT selection, not
around a VeSSAL arrival or label: there it cost 25-36 % per arrival on an
idle machine in one run.
"""

import contextlib
import functools


@functools.cache
def _controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextlib.contextmanager
def one_blas_thread(numpy_backend=True):
    """BLAS limited to one thread inside the block (numpy backend only;
    the limit is restored on exit)."""
    if not numpy_backend:
        yield
        return
    with _controller().limit(limits=1, user_api="blas"):
        yield
