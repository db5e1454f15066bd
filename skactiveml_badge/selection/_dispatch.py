"""The one route from factors to picks.

Every caller (the public kernels, the strategies through them, the warm
start) ends here: options are validated before any pass over the factors,
the factors are converted once (:func:`~._arrays.as_factors`), and the
picks come from one kernel whatever else is asked for. One seed gives one
batch: the lazy kernel (where it applies) or the plain kernel draws the
picks, and utilities, when asked for, are the rows of a plain pass along
those picks (exactly the distributions the picks were drawn from).
"""

import functools
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state

from .._validation import (
    check_bool,
    check_choice,
    check_class_balance,
    check_positive_int,
)
from ._arrays import as_factors, to_numpy
from ._chunked import (
    ChunkedLazyDistances,
    as_store,
    is_chunked,
    utility_plan,
)
from ._distances import DEFAULT_CHUNK_SIZE, NearestCentreDistances
from ._farthest_first import farthest_first_step
from ._kmeanspp import kmeans_plusplus_step
from ._lazy import (
    MAX_PENDING,
    LazyDistances,
    lazy_farthest_first,
    lazy_kmeans_plusplus,
)
from ._quota import QuotaTracker, class_quotas

ALGORITHMS = ("auto", "plain", "lazy")
RULES = ("kmeans++", "farthest_first")
FIRST_PICKS = ("largest", "draw")


class Options(NamedTuple):
    """The options of a selection, with the public kernels' defaults (see
    :func:`~skactiveml_badge.selection.kmeans_plusplus`)."""

    random_state: object = None
    dtype: object = np.float32
    chunk_size: object = None
    return_utilities: object = False
    backend: object = "auto"
    device: object = None
    algorithm: object = "auto"
    storage_dtype: object = None
    origin_as_centre: object = False
    class_labels: object = None
    class_balance: object = None
    check_input: object = True
    first_pick: object = "largest"


def select(rule, delta, h, n_picks, **options):
    """Picks and (optionally) utilities of ``rule`` on the factors.

    Parameters
    ----------
    rule : {"kmeans++", "farthest_first"}
    delta, h, n_picks
        As for the public kernels.
    **options
        The fields of :class:`Options`.

    Returns
    -------
    indices : ndarray of shape (n_picks,), dtype=np.intp
    utilities : ndarray of shape (n_picks, n_samples) or None
    """
    o, n_picks = _checked(rule, n_picks, Options(**options))
    # The factors are checked finite, and small enough that no distance
    # overflows (`checked_sq_norms`), before any pass: no operation below
    # can make a NaN. OpenBLAS's kernels nevertheless set the "invalid"
    # floating-point flag now and then on finite input (numpy#24067,
    # OpenBLAS#1924), which numpy reports as a RuntimeWarning of the
    # caller's; overflow stays reported.
    with np.errstate(invalid="ignore"):
        return _select(rule, delta, h, n_picks, o)


def _select(rule, delta, h, n_picks, o):
    """:func:`select` after the options' checks."""
    if is_chunked(delta) or is_chunked(h):
        return _select_chunked(rule, delta, h, n_picks, o)
    delta, h, ops = as_factors(
        delta, h, dtype=o.dtype, backend=o.backend, device=o.device,
        storage_dtype=o.storage_dtype, check_finite=o.check_input,
        half_checked_later=True,  # storage_dtype: always the lazy kernel
    )  # fmt: skip
    quotas = _checked_quotas(o, delta.shape[0], n_picks)
    forced = norms = None
    if _use_lazy(h, o.algorithm):
        st = LazyDistances(delta, h, ops, min(MAX_PENDING, n_picks))
        forced = _lazy_picks(rule, st, n_picks, o, quotas)
        if not o.return_utilities:
            return forced, None
        h = ops.to_compute(h)  # the utility pass needs h in `dtype`
        norms = st.norms  # computed and checked once
    state = NearestCentreDistances(
        delta, h, ops, o.chunk_size or DEFAULT_CHUNK_SIZE, norms
    )
    quota = _prepare(state, o.origin_as_centre, quotas)
    step = kmeans_plusplus_step
    if rule == "farthest_first":
        step = farthest_first_step
    step = functools.partial(step, first_pick=o.first_pick)
    return _plain(step, state, n_picks, o.random_state, o.return_utilities,
                  quota, forced)  # fmt: skip


def _select_chunked(rule, delta, h, n_picks, o):
    """:func:`select` on a pool that stays on disk or on Dask workers: the
    lazy kernels, their picks equal to those in memory."""
    if o.algorithm == "plain":
        raise ValueError(
            "A pool on disk or on Dask is served by the lazy kernels only; "
            "use algorithm='auto' or 'lazy'."
        )
    store = as_store(delta, h, o)
    n = store.n
    quotas = _checked_quotas(o, n, n_picks)
    st = ChunkedLazyDistances(store, o.dtype, min(MAX_PENDING, n_picks))
    picks = _lazy_picks(rule, st, n_picks, o, quotas)
    if not o.return_utilities:
        return picks, None
    labels, counts = (None, None) if quotas is None else quotas
    plan = utility_plan(
        st, rule, picks, o.origin_as_centre, labels, counts, store.storage
    )
    if labels is None:
        labels = np.zeros(n, dtype=np.intp)
    return picks, store.utilities(plan, labels)


def _checked_quotas(o, n, n_picks):
    """The class quotas (or None), after checking ``n_picks <= n``."""
    if n_picks > n:
        raise ValueError(
            f"`n_picks={n_picks}` exceeds the number of samples ({n})."
        )
    return _quotas(o.class_balance, o.class_labels, n, n_picks)


def _lazy_picks(rule, st, n_picks, o, quotas):
    """The picks of the lazy kernel of ``rule`` on a fresh state."""
    quota = _prepare(st, o.origin_as_centre, quotas)
    if rule == "kmeans++":
        return lazy_kmeans_plusplus(
            st, n_picks, o.random_state, quota, o.first_pick
        )
    first_draw = o.random_state if o.first_pick == "draw" else None
    return lazy_farthest_first(st, n_picks, quota, first_draw=first_draw)


def _checked(rule, n_picks, o):
    """The scalar options checked (before any pass over the factors)."""
    check_choice(rule, "rule", RULES)
    n_picks = check_positive_int(n_picks, "n_picks")
    check_choice(o.algorithm, "algorithm", ALGORITHMS)
    check_choice(o.first_pick, "first_pick", FIRST_PICKS)
    if o.storage_dtype is not None and o.algorithm == "plain":
        raise ValueError(
            "`storage_dtype` is served by the lazy kernels only; use "
            "algorithm='auto' or 'lazy'."
        )
    o = o._replace(
        chunk_size=check_positive_int(
            o.chunk_size, "chunk_size", allow_none=True
        ),
        origin_as_centre=check_bool(o.origin_as_centre, "origin_as_centre"),
        return_utilities=check_bool(o.return_utilities, "return_utilities"),
        check_input=check_bool(o.check_input, "check_input"),
        random_state=check_random_state(o.random_state),
    )
    return o, n_picks


def _plain(step, state, n_picks, random_state, return_utils, quota, forced):
    """The plain loop: a pass over the pool after every pick.

    ``step(state, k, random_state, want_row, draw)`` chooses pick ``k``;
    with ``forced`` picks (made by the lazy kernel) it only computes their
    utility rows and draws nothing.
    """
    indices = np.empty(n_picks, dtype=np.intp)
    n = state.n_samples
    utilities = np.full((n_picks, n), np.nan) if return_utils else None
    for k in range(n_picks):
        idx, row = step(state, k, random_state, return_utils, forced is None)
        if forced is not None:
            idx = int(forced[k])
        if return_utils:
            utilities[k] = row
            utilities[k, indices[:k]] = np.nan
        indices[k] = idx
        if quota is not None:
            quota.picked(idx)
        state.add_centre(idx, update=k + 1 < n_picks)
    return indices, utilities


def _use_lazy(h, algorithm):
    """Whether the lazy kernel draws the picks (raises where
    ``algorithm="lazy"`` cannot be served)."""
    dense = not sp.issparse(h)
    if algorithm == "lazy" and not dense:
        raise ValueError(
            "`algorithm='lazy'` needs a dense h (not sparse leaf embeddings)."
        )
    return algorithm != "plain" and dense


def _quotas(class_balance, class_labels, n, n_picks):
    """``(labels, quotas)`` of the class quotas, or None."""
    if class_balance is None:
        if class_labels is not None:
            raise ValueError(
                "`class_labels` is used only with `class_balance`; give "
                "both or neither."
            )
        return None
    if class_labels is None:
        raise ValueError("`class_balance` needs `class_labels`.")
    labels = to_numpy(class_labels)
    if (
        labels.shape != (n,)
        or not np.issubdtype(labels.dtype, np.integer)
        or (n and labels.min() < 0)
    ):
        raise ValueError(
            f"`class_labels` must be {n} non-negative int class indices, "
            f"got an array of shape {labels.shape} and dtype {labels.dtype}."
        )
    n_classes = int(labels.max()) + 1
    shape = () if isinstance(class_balance, str) else np.shape(class_balance)
    if len(shape) == 1:  # a prior: its length is the number of classes
        n_classes = max(n_classes, shape[0])
    prior = check_class_balance(class_balance, n_classes)
    return labels, class_quotas(labels, n_classes, n_picks, prior)


def _prepare(state, origin, quotas):
    """The zero embedding as a centre and the quota's eligibility."""
    if origin:
        state.add_origin()
    if quotas is None:
        return None
    return QuotaTracker(state, *quotas)
