"""Uncertainty herding on BADGE's gradient embeddings."""

import numpy as np

from .._memory import check_memory
from .._params import EMBEDDING_PARAMS, SKACTIVEML_PARAMS, stored_init
from .._validation import Choice, Int, Real, validate_params
from ..embeddings import (
    TREE_EMBEDDINGS,
    check_model_options,
    gradient_factors,
    predict_flags,
)
from ..selection import (
    adaptive_radius,
    uncertainty_herding,
    unit_factors,
)
from ._badge import Badge
from ._base import EmbeddingPoolStrategy
from ._pool import read_rows


class GradientUHerding(EmbeddingPoolStrategy):
    """Uncertainty herding (UHerding) on BADGE's gradient embeddings.

    Uncertainty herding (Bae, Oliveira and Sutherland, ICLR 2025) picks,
    one at a time, the candidate that most increases the pool's
    *uncertainty coverage*: every candidate ``i`` counts with its
    uncertainty ``u_i`` times its largest Gaussian-kernel similarity
    ``exp(-|x_i - s|^2 / sigma^2)`` to a labeled sample or an earlier
    pick ``s``. With a wide kernel it spreads the picks over the pool
    (like MaxHerding, a low-budget strategy); as the radius ``sigma``
    shrinks it turns into uncertainty sampling (a high-budget one). As in
    the paper, ``sigma`` is the smallest distance between two labeled
    samples, so the shift follows the labels, with no switch to tune.

    Here the samples are BADGE's gradient embeddings
    ``g = delta (x) h`` normalised to unit length (the direction of the
    last layer's gradient), computed from the rank-one factors so the
    ``n x C*D`` matrix is never formed, and ``u`` is the margin
    uncertainty ``1 - (p_1 - p_2)`` of the model's probabilities (the
    paper's default). The paper tunes a temperature on a held-out part of
    the labels; here ``temperature`` is fixed (1: the model's own
    probabilities), so no extra model is fitted.

    Parameters
    ----------
    clf_embedding_flag_name, missing_label, random_state
        As in :class:`~skactiveml_badge.Badge`. ``random_state`` breaks
        exact ties and draws the reference candidates.
    temperature : float, default=1.0
        Probabilities ``p^(1/T) / sum p^(1/T)`` (logits divided by ``T``)
        give the margins.
    n_reference : int, default=4096
        The coverage is summed over all candidates when there are at most
        this many, else over this many drawn uniformly (an unbiased
        estimate). Memory peaks at ``24 * n_reference * n_candidates``
        bytes (the kernel and two temporaries); a query that would need
        more than this machine's physical memory is refused with a
        ``ValueError`` before the model is fitted.
    embedding_layer, include_bias, dl_batch_size, backend, leaf_dim, \
embedding_source, tree_embedding, mc_dropout
        As in :class:`~skactiveml_badge.Badge`; the default
        ``tree_embedding`` is the recipe's (leaves next to ``X``).

    Notes
    -----
    Row ``k`` of the utilities is every candidate's gain in uncertainty
    coverage at pick ``k`` (non-negative, up to rounding), NaN at the
    earlier picks. Pools on disk and on Dask are refused: the kernel
    between the reference candidates and every candidate is held in
    memory.

    References
    ----------
    .. [1] W. Bae, G. L. Oliveira and D. J. Sutherland, "Uncertainty
       Herding: One Active Learning Method for All Label Budgets", ICLR
       2025.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactiveml.classifier import SklearnClassifier
    >>> from skactiveml.utils import MISSING_LABEL
    >>> from skactiveml_badge import GradientUHerding
    >>> X, y_true = load_iris(return_X_y=True)
    >>> y = np.full(len(y_true), MISSING_LABEL)
    >>> y[[0, 1, 50, 51, 100, 101]] = y_true[[0, 1, 50, 51, 100, 101]]
    >>> clf = SklearnClassifier(LogisticRegression(), classes=[0, 1, 2])
    >>> qs = GradientUHerding(random_state=0)
    >>> idx, util = qs.query(X, y, clf, batch_size=3, return_utilities=True)
    >>> idx.shape, util.shape
    ((3,), (3, 150))
    """

    __init__ = stored_init(
        SKACTIVEML_PARAMS,
        temperature=1.0,
        n_reference=4096,
        **EMBEDDING_PARAMS,
        tree_embedding="proximity+X",
        mc_dropout=0,
    )

    _needs_memory = "it holds the kernel between candidates in memory"

    _parameter_constraints = {
        "temperature": Real(),
        "n_reference": Int(),
        "tree_embedding": Choice(*TREE_EMBEDDINGS),
        "mc_dropout": Int(low=0),
    }

    _mc_options = Badge._mc_options

    def _check_params(self):
        self._check_embedding_params()
        validate_params(self, self._parameter_constraints)

    def _check_before_fit(self, clf, pool, n_picks, params):
        check_model_options(
            clf, mc_dropout=self.mc_dropout,
            tree_embedding=self.tree_embedding,
            auto=self.embedding_source == "auto"
            and not predict_flags(self.clf_embedding_flag_name),
            chunked=False,
        )  # fmt: skip
        n_ref = min(self.n_reference, pool.n_cand)
        check_memory(
            herding_bytes(pool.n_cand, n_ref),
            f"GradientUHerding holds a {n_ref:,} x {pool.n_cand:,} kernel "
            "between reference candidates and candidates, and two "
            "temporaries of its size",
            "Lower n_reference or pass fewer candidates (for example "
            "through skactiveml.pool.SubSamplingWrapper).",
        )

    def _pick(self, clf, pool, n_picks, return_util, params):
        X_cand = read_rows(pool.candidates(), slice(None))
        n_cand = X_cand.shape[0]
        X_lab = np.asarray(pool.X_lab)
        # One pass over candidates and labeled samples together: one
        # feature scale for both (trees: leaves next to X).
        X_all = (
            np.concatenate([X_cand, X_lab.astype(X_cand.dtype, copy=False)])
            if len(X_lab)
            else X_cand
        )
        proba, delta, h = gradient_factors(
            clf, X_all, self.clf_embedding_flag_name,
            tree_embedding=self.tree_embedding,
            **self._embed_options(False), **self._mc_options(),
        )  # fmt: skip
        unit = unit_factors(delta, h)
        cand = tuple(u[:n_cand] for u in unit)
        lab = tuple(u[n_cand:] for u in unit) if len(X_lab) else None
        weights = margin_uncertainty(proba[:n_cand], self.temperature)
        rs = self.random_state_
        ref = None
        if n_cand > self.n_reference:
            ref = np.sort(rs.choice(n_cand, self.n_reference, replace=False))
        sigma = adaptive_radius(lab, cand, rs)
        return uncertainty_herding(
            cand, weights, n_picks, sigma, rs, unit_labeled=lab,
            reference=ref, return_utilities=return_util,
        )  # fmt: skip


def herding_bytes(n_cand, n_reference):
    """Peak bytes of :func:`~skactiveml_badge.selection.uncertainty_herding`
    on ``n_cand`` candidates and ``n_reference`` reference candidates:
    the kernel between them and two temporaries of its size (3.05 times
    the kernel, measured with tracemalloc at 20,000 x 2,000)."""
    return 3 * 8 * n_cand * n_reference


def margin_uncertainty(proba, temperature=1.0):
    """``1 - (p_1 - p_2)`` of the probabilities tempered by
    ``temperature`` (``p^(1/T)``, renormalised)."""
    p = np.asarray(proba, dtype=np.float64)
    if temperature != 1.0:
        with np.errstate(divide="ignore"):
            logp = np.log(p) / temperature
        logp -= logp.max(1, keepdims=True)
        p = np.exp(logp)
        p /= p.sum(1, keepdims=True)
    if p.shape[1] < 2:
        return np.zeros(len(p))
    top2 = -np.sort(-p, axis=1)[:, :2]
    return 1.0 - (top2[:, 0] - top2[:, 1])
