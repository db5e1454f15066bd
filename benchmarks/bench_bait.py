"""Benchmark BAIT selection against a port of the authors' algorithm.

What is measured
----------------
Synthetic last-layer outputs: ``--n-labeled`` labeled and ``--n-pool``
unlabeled samples (default 100 and 5,000), ``C`` classes (default 10),
``D`` features (default 64). Probabilities are a softmax of Gaussian
logits (scale 3, so the model is confident on part of the pool), ``h`` is
a ReLU of Gaussian features. A fixed-output classifier returns them, and
``skactiveml_badge.Bait(...).query(X, y, clf, fit_clf=False,
batch_size=k)`` (default ``k = 100``: 200 forward steps, 100 backward) is
timed: median of ``--repeats`` calls after one warm-up call, for the numpy
backend in float64 and float32 and the torch backend (CPU) in float64.

The reference is a CPU (torch) port of the algorithm of the authors' code
(``query_strategies/bait_sampling.py`` of github.com/JordanAsh/badge,
which runs on CUDA only), written for this benchmark from its description:
it holds the ``n x C x C D`` tensor of Fisher factors and at every forward
step evaluates, for every candidate, ``(I + V B V^T)^-1`` and
``V B F B V^T`` with ``B`` the explicit ``C D x C D`` inverse: ``O(n C
(C D)^2)`` per step. Its forward steps are timed one by one (median of
``--ref-steps``, default 5) and its whole run is estimated as ``2 k``
forward steps (the backward steps work on ``2 k`` samples only and are
left out, which favours the reference). Its first picks are compared with
ours.

A second, small configuration (``--small``: 1,000 samples, C=10, D=16,
batch 20) runs the reference to the end, so both full runs are timed side
by side and their batches compared.

Memory: ``tracemalloc`` peak of one extra query (numpy backend), and the
size of the reference's factor tensor (float64).
"""

import argparse
import math
import time

import numpy as np
from _common import (
    MIB,
    command_line,
    fixed_outputs_class,
    log,
    machine_line,
    markdown_table,
    median_time,
    peak_mib,
    start_load_line,
    versions_line,
    write_text,
)
from skactiveml.utils import MISSING_LABEL

from skactiveml_badge import Bait

FixedOutputs = fixed_outputs_class()


def make_problem(n_labeled, n_pool, C, D, seed=0):
    rng = np.random.RandomState(seed)
    n = n_labeled + n_pool
    logits = 3.0 * rng.randn(n, C)
    proba = np.exp(logits - logits.max(1, keepdims=True))
    proba /= proba.sum(1, keepdims=True)
    h = np.maximum(rng.randn(n, D), 0.0)
    X = np.arange(n, dtype=float)[:, None]
    y = np.full(n, MISSING_LABEL)
    y[:n_labeled] = rng.randint(C, size=n_labeled)
    clf = FixedOutputs(proba, h, classes=np.arange(C)).fit(X, y)
    return X, y, clf


def reference_bait(proba, h, labeled, cand, k, lamb, max_steps=None):
    """The authors' algorithm on dense factors (torch, CPU).

    Returns the picks and the seconds of each forward step.
    """
    import torch

    p = torch.as_tensor(proba, dtype=torch.float64)
    x = torch.as_tensor(h, dtype=torch.float64)
    n, C = p.shape
    CD = C * x.shape[1]
    # Row c of V_x: sqrt(p_c) (p - e_c) (x) h, so that V^T V = I(x).
    grads = (p[:, None, :] - torch.eye(C, dtype=p.dtype)) * p.sqrt()[
        :, :, None
    ]
    V = (grads[:, :, :, None] * x[:, None, None, :]).reshape(n, C, CD)
    fisher = torch.einsum("nci,ncj->ij", V, V) / n
    w = k / (len(labeled) + k)
    A = lamb * torch.eye(CD, dtype=p.dtype)
    if len(labeled):
        VL = V[labeled]
        A += torch.einsum("nci,ncj->ij", VL, VL) / len(labeled) * (1 - w)
    B = torch.linalg.inv(A)
    Vc = V[cand] * math.sqrt(w)
    eye = torch.eye(C, dtype=p.dtype)
    chosen, times = [], []
    steps = 2 * k if max_steps is None else min(max_steps, 2 * k)
    for _ in range(steps):
        t0 = time.perf_counter()
        VB = Vc @ B
        inner = torch.linalg.inv(eye + VB @ Vc.mT)
        est = torch.einsum("nij,nji->n", VB @ fisher @ VB.mT, inner).numpy()
        est[chosen] = -np.inf
        s = int(np.argmax(est))
        chosen.append(s)
        u = B @ Vc[s].T
        B = B - u @ torch.linalg.inv(eye + Vc[s] @ u) @ u.T
        times.append(time.perf_counter() - t0)
    if max_steps is not None:
        return chosen, times
    while len(chosen) > k:
        VS = Vc[chosen]
        VB = VS @ B
        inner = torch.linalg.inv(-eye + VB @ VS.mT)
        est = torch.einsum("nij,nji->n", VB @ fisher @ VB.mT, inner)
        drop = int(torch.argmin(-est))
        u = B @ VS[drop].T
        B = B - u @ torch.linalg.inv(-eye + VS[drop] @ u) @ u.T
        del chosen[drop]
    return chosen, times


def run_config(name, n_labeled, n_pool, C, D, k, args, rows):
    log(f"{name}: {n_pool} candidates, C={C}, D={D}, batch {k}")
    X, y, clf = make_problem(n_labeled, n_pool, C, D)
    flag = "return_embeddings"
    ours = {}
    variants = [
        ("numpy float64", dict(backend="numpy")),
        ("numpy float32", dict(backend="numpy", dtype=np.float32)),
        ("torch CPU float64", dict(backend="torch")),
    ]
    for label, kw in variants:
        if "torch" in label and args.no_torch:
            continue
        qs = Bait(clf_embedding_flag_name=flag, random_state=0, **kw)

        def call(qs=qs):
            return qs.query(X, y, clf, fit_clf=False, batch_size=k)

        call()
        t, idx, _ = median_time(call, args.repeats)
        ours[label] = (t, idx)
        log(f"  ours, {label}: {t:.2f} s")
    if args.device == "cuda":
        import torch

        from skactiveml_badge.selection import bait

        proba = torch.as_tensor(clf.proba, device="cuda")
        h = torch.as_tensor(clf.h, device="cuda")
        labeled = np.arange(n_labeled)
        cand = np.arange(n_labeled, n_labeled + n_pool)
        for dtype in (np.float64, np.float32):
            label = f"torch CUDA {np.dtype(dtype).name}"

            def call(dtype=dtype):
                idx, _ = bait(
                    proba, h, k, cand, labeled, backend="torch",
                    dtype=dtype, random_state=0,
                )  # fmt: skip
                torch.cuda.synchronize()
                return cand[idx]

            call()
            t, idx, _ = median_time(call, args.repeats)
            ours[f"{label} ({torch.cuda.get_device_name()})"] = (t, idx)
            log(f"  ours, {label}: {t:.2f} s")
    numpy_idx = ours["numpy float64"][1]
    qs = Bait(clf_embedding_flag_name=flag, random_state=0, backend="numpy")
    peak = peak_mib(lambda: qs.query(X, y, clf, fit_clf=False, batch_size=k))
    labeled = np.arange(n_labeled)
    cand = np.arange(n_labeled, n_labeled + n_pool)
    ref_bytes = n_pool * C * C * D * 8 / MIB
    full = name == "small"
    if full:
        start = time.perf_counter()
        ref_idx, _ = reference_bait(clf.proba, clf.h, labeled, cand, k, 1.0)
        ref_t = time.perf_counter() - start
        same = sorted(cand[ref_idx].tolist()) == sorted(numpy_idx.tolist())
        ref_note = f"{ref_t:.2f} (full run)"
        agree = "same batch" if same else "different batch"
    else:
        ref_idx, times = reference_bait(
            clf.proba, clf.h, labeled, cand, k, 1.0, args.ref_steps
        )
        step = float(np.median(times))
        ref_t = step * 2 * k
        ref_note = (
            f"{ref_t:.0f} (est.: {2 * k} x {step:.2f} s/step, "
            f"median of {len(times)})"
        )
        # Pruning may drop early forward picks: compare with our forward
        # selection alone (same k, hence the same weights).
        fw = Bait(
            clf_embedding_flag_name=flag, random_state=0, oversample=1.0
        ).query(X, y, clf, fit_clf=False, batch_size=k)[: len(ref_idx)]
        same = list(cand[ref_idx]) == list(fw)
        agree = f"first {len(ref_idx)} forward picks " + (
            "equal" if same else "differ"
        )
    log(f"  reference: {ref_note}; {agree}")
    for label, (t, _) in ours.items():
        rows.append(
            [
                name,
                f"{n_pool:,}",
                str(C),
                str(D),
                str(k),
                label,
                f"{t:.2f}",
                ref_note,
                f"{ref_t / t:.0f}x",
                f"{peak:.1f}" if label == "numpy float64" else "",
                f"{ref_bytes:.0f}",
                agree,
            ]
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n-pool", type=int, default=5000)
    parser.add_argument("--n-labeled", type=int, default=100)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ref-steps", type=int, default=5)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument(
        "--device",
        choices=["cpu", "cuda"],
        default="cpu",
        help="cuda: also time the kernel on the GPU (the factors as CUDA "
        "tensors), e.g. --n-pool 50000 --classes 10 --features 512",
    )
    parser.add_argument("--out", help="also write the markdown table here")
    args = parser.parse_args()
    import torch

    start = time.perf_counter()
    header = [
        "# BAIT selection: ours against the authors' algorithm (CPU port)",
        "",
        f"- command: `{command_line()}`",
        machine_line(),
        versions_line() + f", torch {torch.__version__} "
        f"({torch.get_num_threads()} threads)",
        start_load_line(),
        "",
    ]
    rows = []
    run_config("small", 50, 1000, 10, 16, 20, args, rows)
    run_config(
        "main",
        args.n_labeled,
        args.n_pool,
        args.classes,
        args.features,
        args.batch,
        args,
        rows,
    )
    columns = [
        "config",
        "candidates",
        "C",
        "D",
        "batch",
        "ours",
        "ours (s)",
        "reference (s)",
        "speed-up",
        "tracemalloc peak MiB",
        "reference factors MiB",
        "picks",
    ]
    text = (
        "\n".join(header)
        + "\n"
        + markdown_table(columns, rows, left=(0, 5, 7, 11))
    )
    text += f"\n\nTotal run time: {time.perf_counter() - start:.0f} s.\n"
    print(text)
    write_text(args.out, text)


if __name__ == "__main__":
    main()
