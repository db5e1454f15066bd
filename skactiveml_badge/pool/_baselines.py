"""Cheap batch strategies that recent work compares with BADGE.

scikit-activeml 1.0.1 has none of them; they share the query skeleton of
this package's strategies (:class:`~._base.EmbeddingPoolStrategy`)
and its embedding sources.
"""

import functools

import numpy as np
import scipy.sparse as sp

from .._params import (
    EMBEDDING_PARAMS,
    POOL_PARAMS,
    SKACTIVEML_PARAMS,
    stored_init,
    without,
)
from .._validation import check_choice, check_positive_int, check_positive_real
from ..embeddings import check_proba, proba_and_embedding
from ..selection._arrays import csr_row_sq_norms
from ._base import EmbeddingPoolStrategy, PoolStrategy
from ._warm_start import score_rows

_SCORES = ("margin", "entropy")


def uncertainty_scores(proba, method):
    """Non-negative uncertainty scores, largest for the most uncertain.

    scikit-activeml's ``uncertainty_scores``: ``"margin"`` is its
    ``"margin_sampling"``, ``1 - (p_(1) - p_(2))``; ``"entropy"`` is
    ``-sum_c p_c log p_c``.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
    method : {"margin", "entropy"}

    Returns
    -------
    scores : ndarray of shape (n_samples,), float64
    """
    from skactiveml.pool._uncertainty_sampling import (
        uncertainty_scores as skactiveml_scores,
    )

    name = "margin_sampling" if method == "margin" else method
    proba = np.asarray(proba, dtype=np.float64)
    if proba.shape[1] < 2:  # one class: no uncertainty
        return np.zeros(proba.shape[0])
    return np.maximum(skactiveml_scores(proba, method=name), 0.0)


class PowerSampling(PoolStrategy):
    """Stochastic power sampling of uncertainty scores (Kirsch et al.).

    Draws the batch without replacement with probability proportional to
    ``score^beta`` (margin or entropy uncertainty), implemented as
    Gumbel-top-k on ``beta * log(score)`` [1]_. The authors report it
    matching BatchBALD and BADGE at a fraction of their cost; with
    ``beta -> inf`` it becomes top-k uncertainty sampling.

    Parameters
    ----------
    method : {"margin", "entropy"}, default="margin"
        The uncertainty score (see :func:`uncertainty_scores`).
    beta : float, default=1.0
        Power of the scores (the paper's default is 1).
    missing_label : scalar, str, np.nan or None, default=np.nan
    random_state : None, int or numpy.random.RandomState, default=None

    Notes
    -----
    Row ``k`` of the utilities is the distribution pick ``k`` was drawn
    from: ``score^beta`` over the candidates not yet picked, normalised.

    References
    ----------
    .. [1] A. Kirsch, S. Farquhar, P. Atighehchian, A. Jesson,
       F. Branchaud-Charron, Y. Gal. Stochastic Batch Acquisition: A Simple
       Baseline for Deep Active Learning. TMLR 2023.
    """

    __init__ = stored_init(POOL_PARAMS, method="margin", beta=1.0)

    def _check_params(self):
        check_choice(self.method, "method", _SCORES)
        beta = check_positive_real(self.beta, "beta")
        return beta

    def _pick(self, clf, pool, batch_size, return_util, beta):
        scores = pool.gather(
            functools.partial(_scores_block, clf, self.method)
        )[0]
        with np.errstate(divide="ignore"):
            log_w = beta * np.log(scores)  # log(score^beta), -inf at 0
        keys = log_w + self.random_state_.gumbel(size=log_w.shape)
        # Zero scores (keys -inf) come last, in random order.
        order = np.lexsort(
            (self.random_state_.random_sample(keys.size), -keys)
        )
        idx = order[:batch_size].astype(np.intp)
        return idx, _draw_rows(log_w, idx) if return_util else None


class ClusterMargin(PoolStrategy):
    """Cluster-Margin (Citovsky et al., NeurIPS 2021).

    The candidates are clustered once per query by average-linkage
    agglomerative clustering of their features; the ``margin_factor *
    batch_size`` candidates of smallest margin are grouped by cluster, and
    the batch is filled round-robin over these groups, smallest group
    first, a random member of each at a time [1]_.

    Parameters
    ----------
    n_clusters : int or None, default=None
        Clusters of the candidate pool; ``None`` uses
        ``max(2, n_candidates // 10)``.
    margin_factor : float, default=10.0
        How many low-margin candidates enter the round-robin, as a multiple
        of the batch size (the paper's ``k_m / k_t``).
    missing_label : scalar, str, np.nan or None, default=np.nan
    random_state : None, int or numpy.random.RandomState, default=None

    Notes
    -----
    The paper clusters a large pool once, before the first round, in the
    embedding of a pre-trained net; here the candidates' features ``X``
    are clustered at every query (they do not change between rounds, so
    the clusters do not either). Utilities: every row holds the margin
    uncertainty ``1 - (p_(1) - p_(2))`` of the candidates (NaN for earlier
    picks); the round-robin, not the row's argmax, chose each pick.
    Agglomerative clustering holds all candidates in memory (its cost is
    quadratic in their number), so pools on disk and on Dask are refused
    before any work.

    References
    ----------
    .. [1] G. Citovsky, G. DeSalvo, C. Gentile, L. Karydas, A. Rajagopalan,
       A. Rostamizadeh, S. Kumar. Batch Active Learning at Scale. NeurIPS
       2021.
    """

    _needs_memory = "agglomerative clustering of all candidates"

    __init__ = stored_init(POOL_PARAMS, n_clusters=None, margin_factor=10.0)

    def _check_params(self):
        n_clusters = check_positive_int(
            self.n_clusters, "n_clusters", allow_none=True
        )
        factor = check_positive_real(self.margin_factor, "margin_factor")
        if factor < 1:
            raise ValueError(
                f"`margin_factor` must be at least 1, got {factor}."
            )
        return n_clusters, factor

    def _pick(self, clf, pool, batch_size, return_util, params):
        from sklearn.cluster import AgglomerativeClustering

        n_clusters, factor = params
        X_cand = pool.candidates()
        n = X_cand.shape[0]
        scores = _scores_block(clf, "margin", X_cand)[0]
        n_clusters = min(n, n_clusters or max(2, n // 10))
        feats = np.asarray(X_cand, dtype=np.float64).reshape(n, -1)
        if n_clusters < 2:
            labels = np.zeros(n, dtype=int)
        else:
            labels = AgglomerativeClustering(
                n_clusters=n_clusters, linkage="average"
            ).fit_predict(feats)
        n_low = min(n, max(batch_size, int(np.ceil(factor * batch_size))))
        # Smallest margins first (ties by index).
        low = np.argsort(-scores, kind="stable")[:n_low]
        groups = {}
        for i in low:
            groups.setdefault(labels[i], []).append(int(i))
        rs = self.random_state_
        order = sorted(groups, key=lambda c: (len(groups[c]), c))
        members = [list(rs.permutation(groups[c])) for c in order]
        idx = []
        while len(idx) < batch_size and any(members):
            for group in members:
                if group and len(idx) < batch_size:
                    idx.append(group.pop(0))
        if len(idx) < batch_size:  # fewer low-margin samples than picks
            rest = np.setdiff1d(np.argsort(-scores, kind="stable"), idx)
            idx += [int(i) for i in rest[: batch_size - len(idx)]]
        idx = np.asarray(idx, dtype=np.intp)
        return idx, score_rows(scores, idx) if return_util else None


class ExpectedGradientLength(EmbeddingPoolStrategy):
    """Expected gradient length (Settles et al., NIPS 2008), from factors.

    The expected norm, under the model's own label distribution, of the
    loss gradient with respect to the last layer:
    ``EGL(x) = sum_c p_c |(p - e_c) (x) h| = |h| sum_c p_c |p - e_c|``,
    with ``h`` found as for :class:`~skactiveml_badge.Badge`; the batch is
    the ``batch_size`` largest (top-k).

    Parameters
    ----------
    clf_embedding_flag_name, embedding_layer, include_bias, dl_batch_size, \
leaf_dim, embedding_source
        Where ``h`` comes from, as for :class:`~skactiveml_badge.Badge`.
    missing_label : scalar, str, np.nan or None, default=np.nan
    random_state : None, int or numpy.random.RandomState, default=None
        Breaks exact ties.

    Notes
    -----
    Every row of the utilities holds the EGL of the candidates (NaN for
    earlier picks); pick ``k`` is the argmax of row ``k``.

    References
    ----------
    .. [1] B. Settles, M. Craven, S. Ray. Multiple-Instance Active
       Learning. NIPS 2008.
    """

    __init__ = stored_init(
        SKACTIVEML_PARAMS, **without(EMBEDDING_PARAMS, "backend")
    )

    def _check_params(self):
        self._check_embedding_params()
        return None

    def _pick(self, clf, pool, batch_size, return_util, params):
        options = self._embed_options(False)
        if pool.chunked:
            options["hashed_leaves"] = True  # columns fixed across blocks
        egl = pool.gather(
            functools.partial(
                _egl_block, clf, self.clf_embedding_flag_name, options
            )
        )[0]
        tie = self.random_state_.random_sample(egl.size)
        idx = np.lexsort((tie, -egl))[:batch_size].astype(np.intp)
        return idx, score_rows(egl, idx) if return_util else None


def _draw_rows(log_w, idx):
    """The distributions the picks ``idx`` were drawn from without
    replacement, in the space of the draw: row ``k`` is ``exp(log_w)``
    over the candidates not yet picked, normalised (uniform where every
    weight left is zero, as the draw is), NaN at the earlier picks."""
    util = np.full((len(idx), log_w.size), np.nan)
    free = np.ones(log_w.size, dtype=bool)
    for k, i in enumerate(idx):
        top = log_w[free].max()
        if np.isfinite(top):
            w = np.exp(log_w[free] - top)
            util[k, free] = w / w.sum()
        else:
            util[k, free] = 1.0 / free.sum()
        free[i] = False
    return util


def _scores_block(clf, method, X):
    """``(uncertainty scores,)`` of the rows ``X`` (a block function: see
    :meth:`~._pool.Pool.gather`)."""
    proba = check_proba(clf.predict_proba(X), len(X))
    return (uncertainty_scores(proba, method),)


def _egl_block(clf, flag_name, options, X):
    """``(EGL,)`` of the rows ``X`` (a block function)."""
    proba, h = proba_and_embedding(clf, X, flag_name, **options)
    proba = np.asarray(proba, dtype=np.float64)
    # |p - e_c|^2 = |p|^2 - 2 p_c + 1
    sq = (proba * proba).sum(1, keepdims=True) - 2.0 * proba + 1.0
    expected = (proba * np.sqrt(np.maximum(sq, 0.0))).sum(1)
    if sp.issparse(h):
        h_norm = np.sqrt(csr_row_sq_norms(sp.csr_matrix(h)))
    else:  # scaled by the largest entry: |h|^2 may overflow, |h| not
        h = np.abs(np.asarray(h, dtype=np.float64))
        top = h.max(axis=1, initial=0.0)
        safe = np.where(top > 0, top, 1.0)[:, None]
        h_norm = top * np.linalg.norm(h / safe, axis=1)
    egl = expected * h_norm
    if not np.isfinite(egl).all():
        raise ValueError(
            "The expected gradient lengths overflow in float64: the "
            f"largest |h| is {h_norm.max():.3g}. Scale the features (e.g. "
            "with StandardScaler)."
        )
    return (egl,)
