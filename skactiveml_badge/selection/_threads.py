"""BLAS threads for loops of small products.

OpenBLAS splits even a small product over its threads. In a loop of
hundreds of small products (BAIT's forward and backward steps) the threads
cost more than they give, and on a machine whose cores are busy they wait
for each other: BAIT's steps were 2.7-3.5x slower with two threads than
with one while another job ran (``benchmarks/bench_bait.py``, 2 cores).
:func:`one_blas_thread` caps BLAS at one thread around such a loop, through
``threadpoolctl`` (a scikit-learn dependency), for the numpy backend only.
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
