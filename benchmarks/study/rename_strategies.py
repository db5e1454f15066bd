"""Give the label-efficiency study's strategies their names of issue 23.

Until issue 23, ``Badge()`` was the study's recipe (TypiClust while labels
are few, then BADGE keeping the origin as a centre); it became the class
``TypiClustThenBadge``, and ``Badge()`` became BADGE from the first query
with scikit-activeml's rule (the origin kept as a centre), which the
study ran as ``badge-origin``. The runs are the same runs under the new
names: ``TypiClustThenBadge()`` makes the picks that ``Badge()`` made
(``tests/test_recipe.py``) and ``Badge()`` those of ``badge-origin``. So
the results are renamed rather than rerun::

    python benchmarks/study/rename_strategies.py benchmarks/_results/study

renames the strategies in ``results.csv`` and ``config.json`` of that
folder (and, the first time, in ``benchmarks/study/label_efficiency.json``);
running it twice changes nothing. To check the claim, run some settings
with the old names on the commit before the split and with the new names
today, and compare (the old rows renamed)::

    git worktree add /tmp/before a7bc4b8
    (cd /tmp/before && PYTHONPATH=. python -m skactiveml_badge.experiments \
        --datasets breast_cancer digits --models logreg lightgbm \
        --strategies badge badge-origin badge-typi5 --seeds 2 \
        --out /tmp/old-names --quiet)
    python -m skactiveml_badge.experiments \
        --datasets breast_cancer digits --models logreg lightgbm \
        --strategies typiclust-then-badge badge typiclust-then-badge-5 \
        --seeds 2 --out /tmp/new-names --quiet
    python benchmarks/study/rename_strategies.py --compare \
        /tmp/new-names /tmp/old-names

which prints how many rows (the same picks and accuracy) agree. (The
study's own rows were made by an earlier version of the lazy kernel,
whose random stream has changed since: rerunning them today reproduces
their distributions, not their exact picks.)
"""

import argparse
import csv
import json
from pathlib import Path

#: Old name -> new name (``badge`` first: ``badge-origin`` becomes it).
RENAMES = {
    "badge": "typiclust-then-badge",
    "badge-origin": "badge",
    "badge-typi5": "typiclust-then-badge-5",
    "badge-typi10": "typiclust-then-badge-10",
    "badge-typi20": "typiclust-then-badge-20",
}
#: Written in the folder once renamed (makes the script idempotent).
MARK = "renamed-issue-23"
CONFIG = Path(__file__).with_name("label_efficiency.json")


def _new(name):
    return RENAMES.get(name, name)


def rename_results(folder):
    """Rename the strategies of ``folder``'s ``results.csv`` and
    ``config.json`` in place; returns the number of rows renamed (0 if
    the folder was renamed before)."""
    folder = Path(folder)
    mark = folder / MARK
    if mark.exists():
        return 0
    path = folder / "results.csv"
    with open(path, newline="") as f:  # keep the file's line endings
        lines = f.read().splitlines(keepends=True)
    n = 0
    out = [lines[0]]
    for line in lines[1:]:
        dataset, model, strategy, rest = line.split(",", 3)
        n += strategy in RENAMES
        out.append(",".join([dataset, model, _new(strategy), rest]))
    with open(path, "w", newline="") as f:
        f.write("".join(out))
    cfg_path = folder / "config.json"
    cfg = json.loads(cfg_path.read_text())
    _rename_config(cfg["last_run"])
    cfg_path.write_text(json.dumps(cfg, indent=2))
    mark.write_text(json.dumps(RENAMES, indent=2) + "\n")
    return n


def _rename_config(cfg):
    for key in ("strategies", "more_seeds_strategies"):
        if key in cfg:
            cfg[key] = [_new(s) for s in cfg[key]]


def rename_config_file(path=CONFIG):
    """Rename the strategies of the study's configuration file (its
    layout kept: only the quoted names change)."""
    text = Path(path).read_text()
    for old in json.loads(text)["strategies"]:
        text = text.replace(f'"{old}"', f'"{_new(old)}\0"')
    Path(path).write_text(text.replace("\0", ""))


def _rows(folder, renamed=False):
    with open(Path(folder) / "results.csv", newline="") as f:
        return {
            (r["dataset"], r["model"],
             _new(r["strategy"]) if renamed else r["strategy"],
             r["batch_size"], r["seed"], r["round"]):
            (r["queried"], r["accuracy"])
            for r in csv.DictReader(f)
        }  # fmt: skip


def compare(new, old):
    """Print how many rows of ``new`` (a runner folder with the new
    names) equal the rows of ``old`` (the old names, renamed): the same
    picks and accuracy. Returns the number that differ."""
    got, ref = _rows(new), _rows(old, renamed=True)
    same = [k for k in got if ref.get(k) == got[k]]
    differ = [k for k in got if k in ref and ref[k] != got[k]]
    missing = [k for k in got if k not in ref]
    print(
        f"{len(same)} of {len(got)} rows equal the old names' "
        f"({len(differ)} differ, {len(missing)} not among them)"
    )
    for k in differ[:10]:
        print("differs:", k)
    return len(differ)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?")
    parser.add_argument("--compare", nargs=2, metavar=("NEW", "OLD"))
    args = parser.parse_args(argv)
    if args.compare:
        return 1 if compare(*args.compare) else 0
    n = rename_results(args.folder)
    if n:  # the study's configuration goes with its results, once
        rename_config_file()
    print(f"renamed {n} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
