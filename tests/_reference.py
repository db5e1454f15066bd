"""Brute-force references on materialised gradient embeddings.

Deliberately naive: these build the n x (C * D) matrix that the package
never forms, and follow the written rules line by line.
"""

import numpy as np


def explicit_embeddings(delta, h):
    """The n x (C * D) gradient embeddings ``delta_i (x) h_i``."""
    delta = np.asarray(delta, dtype=np.float64)
    h = np.asarray(h, dtype=np.float64)
    return (delta[:, :, None] * h[:, None, :]).reshape(len(delta), -1)


def nearest_sq_dist(G, centres):
    """Squared distance of every row of G to its nearest row in centres."""
    diff = G[:, None, :] - G[np.asarray(centres)][None, :, :]
    return (diff**2).sum(-1).min(axis=1)


def paper_rows(G, picks):
    """BADGE's selection probabilities for each pick, given the picks.

    Row 0: ``|g|^2 / sum |g|^2``; row k: ``D^2 / sum D^2`` with D the
    distance to the nearest of ``picks[:k]``; uniform over the samples not
    yet picked when every D^2 is zero. Earlier picks are NaN.
    """
    rows = np.full((len(picks), len(G)), np.nan)
    for k in range(len(picks)):
        if k == 0:
            w = (G**2).sum(1)
        else:
            w = nearest_sq_dist(G, picks[:k])
        w[list(picks[:k])] = 0.0
        if w.sum() == 0:
            w = np.ones(len(G))
            w[list(picks[:k])] = 0.0
        rows[k] = w / w.sum()
        rows[k, list(picks[:k])] = np.nan
    return rows


def hidden_origin_rows(G, picks):
    """scikit-activeml 1.0.1's rows: the zero vector stays a centre.

    Its running D^2 starts at ``|g|^2`` (distance to the origin) and takes
    the minimum with each new pick, so row k >= 1 is proportional to
    ``min(|g|^2, D^2)``. Earlier picks: NaN.
    """
    rows = np.full((len(picks), len(G)), np.nan)
    d2 = (G**2).sum(1)
    for k in range(len(picks)):
        if k > 0:
            d2 = np.minimum(d2, nearest_sq_dist(G, [picks[k - 1]]))
        rows[k] = d2 / d2.sum()
        rows[k, list(picks[:k])] = np.nan
    return rows


def random_factors(rng, n, n_classes, n_features, dtype=np.float64):
    """Softmax-like gradient factors: delta = p - onehot(argmax p), h."""
    logits = rng.randn(n, n_classes) * 2.0
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    delta = p.copy()
    delta[np.arange(n), p.argmax(1)] -= 1.0
    h = np.abs(rng.randn(n, n_features))
    return p.astype(dtype), delta.astype(dtype), h.astype(dtype)


def bait_brute_force(
    proba, h, n_picks, candidates, labeled, lamb, n_forward, top_k=None
):
    """BAIT by explicit C*D x C*D Fisher matrices and direct traces.

    ``top_k``: every Fisher restricted to the row's ``top_k`` most probable
    classes, ``sum_c p_c (p - e_c)(p - e_c)^T (x) h h^T``.

    Returns the picks (forward order, after pruning) and, for every forward
    step, the trace reduction of adding each candidate (NaN if chosen).
    """
    n, C = proba.shape
    D = h.shape[1]

    def sigma(p):
        if top_k is None:
            return np.diag(p) - np.outer(p, p)
        top = np.argsort(-p, kind="stable")[:top_k]
        return sum(p[c] * np.outer(p - np.eye(C)[c], p - np.eye(C)[c])
                   for c in top)  # fmt: skip

    fisher = np.stack(
        [
            np.kron(sigma(p), np.outer(x, x))
            for p, x in zip(proba, h, strict=True)
        ]
    )
    w = n_picks / (len(labeled) + n_picks)
    A = lamb * np.eye(C * D)
    if len(labeled):
        A = A + fisher[labeled].mean(0) * (1 - w)
    F = fisher.mean(0)

    def trace(M):
        return np.trace(np.linalg.solve(M, F))

    order, rows = [], []
    for _ in range(n_forward):
        base = trace(A)
        red = np.full(len(candidates), np.nan)
        for j, r in enumerate(candidates):
            if j not in order:
                red[j] = base - trace(A + w * fisher[r])
        rows.append(red)
        s = int(np.nanargmax(red))
        order.append(s)
        A = A + w * fisher[candidates[s]]
    kept = list(range(n_forward))
    while len(kept) > n_picks:
        inc = [trace(A - w * fisher[candidates[order[k]]]) for k in kept]
        drop = int(np.argmin(inc))
        A = A - w * fisher[candidates[order[kept[drop]]]]
        del kept[drop]
    picks = np.array([order[k] for k in kept])
    util = np.stack([rows[k] for k in kept])
    for j in range(len(kept)):  # dropped forward picks: 0, not NaN
        earlier = np.asarray(order[: kept[j]], dtype=int)
        util[j, np.setdiff1d(earlier, picks[:j])] = 0.0
    return picks, util
