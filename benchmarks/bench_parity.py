"""Parity of ``skactiveml_badge.Badge()`` with scikit-activeml's ``Badge``.

The cases of ``tests/test_parity.py``: scikit-activeml's Badge example
data (five 2-D blobs, ``y % 2``, 200 samples) with its
``ParzenWindowClassifier`` (embedding by ``X``) and with a Parzen window
classifier that returns ``(proba, embedding)`` (8 tanh features), from 0,
2 and 20 labels, batches of 4 and 20, seeds 0, 1 and 2. Per case: whether
the first picks agree, the largest absolute difference of row 0 from
scikit-activeml's row 0, and of the later rows from scikit-activeml's rule
(its own running ``D^2``) along our picks.

Run from the repository root::

    python benchmarks/bench_parity.py --out benchmarks/_results/parity.md
"""

import itertools
import sys
import time
import warnings
from pathlib import Path

from _common import (
    command_line,
    end_footer,
    make_parser,
    markdown_table,
    versions_line,
    write_text,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests._parity import compare  # noqa: E402

COLUMNS = [
    "classifier",
    "labels",
    "batch",
    "seed",
    "same first pick",
    "row 0: max abs diff",
    "later rows: max abs diff",
]


def main():
    parser = make_parser(__doc__)
    args = parser.parse_args()
    start = time.perf_counter()
    rows, worst = [], [0.0, 0.0]
    same = 0
    cases = itertools.product(
        ["gallery", "embedding"], [0, 2, 20], [4, 20], [0, 1, 2]
    )
    for kind, n_labels, batch, seed in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # no labels: label frequencies
            first, row0, later = compare(kind, n_labels, batch, seed)
        same += first
        worst = [max(worst[0], row0), max(worst[1], later)]
        name = "Parzen (X)" if kind == "gallery" else "Parzen + embedding"
        rows.append(
            [name, str(n_labels), str(batch), str(seed),
             "yes" if first else "no", f"{row0:.1e}", f"{later:.1e}"]
        )  # fmt: skip
    text = (
        "# Parity with scikit-activeml's Badge\n\n"
        f"- command: `{command_line()}`\n- {versions_line()[2:]}\n"
        f"- same first pick in {same} of {len(rows)} cases; largest "
        f"difference: row 0 {worst[0]:.1e}, later rows {worst[1]:.1e}\n\n"
        + markdown_table(COLUMNS, rows, left=(0,))
        + "\n"
        + end_footer(time.perf_counter() - start)
    )
    print(text)
    write_text(args.out, text)


if __name__ == "__main__":
    main()
