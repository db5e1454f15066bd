"""Bad settings of the experiment runner: each is refused with a clear
error before anything is written.

``RUNNER_BAD_INPUTS`` has the rows of ``BAD_INPUTS`` (``test_hardening``):
``(id, call, exception type, message fragment)``. ``call()`` needs no
fixture (it writes, if at all, to a new temporary folder); a ``call``
that takes ``out`` runs into that folder instead, which must then not
have been made (``test_runner_files``).
"""

import contextlib
import io
import json
import os
import tempfile

from skactiveml_badge.experiments import ExperimentConfig, run_experiment
from skactiveml_badge.experiments import __main__ as cli

#: A run of a fraction of a second: 6 start labels, 2 rounds of 3.
TINY = dict(datasets=["iris"], models=["logreg"], strategies=["random"],
            batch_sizes=[3], seeds=1, rounds=2, n_start=6)  # fmt: skip
TINY_ARGV = ("--datasets", "iris", "--models", "logreg", "--strategies",
             "random", "--batch-sizes", "3", "--seeds", "1", "--rounds",
             "2", "--n-start", "6")  # fmt: skip
#: The strategy that cannot take a pool on disk, and its model.
MC = dict(models=["mlp-dropout"], strategies=["badge-mcdropout"])


def _new_folder():
    return os.path.join(tempfile.mkdtemp(), "out")


def run(out=None, **change):
    """``run_experiment`` of ``TINY`` with ``change`` into ``out``."""
    config = ExperimentConfig(**TINY | change)
    return run_experiment(config, out or _new_folder(), progress=False)


def command(*argv, out=None, tiny=True):
    """The command line with ``argv`` (after ``TINY_ARGV`` if ``tiny``),
    into ``out``; its usage error as a ValueError of what it prints."""
    err = io.StringIO()
    argv = [*(TINY_ARGV if tiny else ()), *argv, "--quiet"]
    argv += ["--out", str(out or _new_folder())]
    with contextlib.redirect_stderr(err):
        try:
            cli.main(argv)
        except SystemExit as exc:
            raise ValueError(f"exit {exc.code}: {err.getvalue()}") from None


def config_file(content, out=None):
    """``command`` with just ``--config``, a file of ``content`` (text;
    a dict: ``TINY`` and these settings, as JSON)."""
    if isinstance(content, dict):
        content = json.dumps(TINY | content)
    path = os.path.join(tempfile.mkdtemp(), "study.json")
    with open(path, "w") as fh:
        fh.write(content)
    return command("--config", path, out=out, tiny=False)


def folder_config(content):
    """A run into a folder of a finished run whose ``config.json`` is
    replaced by ``content`` (text)."""
    folder = _new_folder()
    run(folder)
    with open(os.path.join(folder, "config.json"), "w") as fh:
        fh.write(content)
    return run(folder)


def rounds_seed(seed):
    from skactiveml_badge.experiments import load_dataset, run_rounds

    X, y, _ = load_dataset("iris")
    loop = run_rounds(X, y, "logreg", "random", batch_size=3, seed=seed,
                      rounds=2, n_start=6)  # fmt: skip
    return next(loop)


def _deep(depth):
    nested = []
    for _ in range(depth):
        nested = [nested]
    return nested


DEEP = "[" * 100_000 + "]" * 100_000
DEEP_LIST = _deep(100_000)
RUNNER_BAD_INPUTS = [
    # max_samples: too few for the start set and the rounds
    (
        "runner max_samples 2",
        lambda out=None: run(out, max_samples=2),
        ValueError,
        "`max_samples` (--max-samples) must be at least 18",
    ),
    (
        "runner --max-samples 2",
        lambda out=None: command("--max-samples", "2", out=out),
        ValueError,
        "`max_samples` (--max-samples) must be at least 18",
    ),
    (
        "runner max_samples leaves a class out of the cut",
        lambda out=None: run(out, max_samples=149),
        ValueError,
        "`max_samples` (--max-samples) = 149",
    ),
    (
        "runner test_size below one test sample a class",
        lambda out=None: run(out, test_size=0.01),
        ValueError,
        "`test_size`=0.01",
    ),
    (
        "runner test_size of the cut data",
        lambda out=None: run(out, max_samples=20, test_size=0.1),
        ValueError,
        "'iris' cut to max_samples=20",
    ),
    # what a pool on disk cannot serve
    (
        "runner pool_on_disk mc_dropout",
        lambda out=None: run(out, pool_on_disk=True, **MC),
        ValueError,
        "`strategies`: 'badge-mcdropout' cannot take a pool on disk",
    ),
    (
        "runner --pool-on-disk mc_dropout",
        lambda out=None: command(
            "--pool-on-disk",
            "--models",
            "mlp-dropout",
            "--strategies",
            "badge-mcdropout",
            out=out,
        ),
        ValueError,
        "mc_dropout=10 needs the pool in memory",
    ),
    (
        "runner pool_on_disk typiclust warm start",
        lambda out=None: run(
            out, pool_on_disk=True, strategies=["typiclust-then-badge-5"]
        ),
        ValueError,
        "`strategies`: 'typiclust-then-badge-5' cannot take a pool on disk",
    ),
    (
        "runner pool_on_disk more_seeds_strategies",
        lambda out=None: run(
            out,
            pool_on_disk=True,
            more_seeds=[5],
            more_seeds_strategies=["typiclust-then-badge"],
        ),
        ValueError,
        "`more_seeds_strategies`: 'typiclust-then-badge' cannot take",
    ),
    # a name or number twice: rows of the same key
    (
        "runner strategy twice",
        lambda out=None: run(out, strategies=["random", "margin", "random"]),
        ValueError,
        "`strategies` names 'random' twice",
    ),
    (
        "runner --strategies twice",
        lambda out=None: command("--strategies", "random", "random", out=out),
        ValueError,
        "`strategies` names 'random' twice",
    ),
    (
        "runner data set twice",
        lambda out=None: run(out, datasets=["iris", "wine", "iris"]),
        ValueError,
        "`datasets` names 'iris' twice",
    ),
    (
        "runner model twice",
        lambda out=None: run(out, models=["logreg", "logreg"]),
        ValueError,
        "`models` names 'logreg' twice",
    ),
    (
        "runner batch size twice",
        lambda out=None: run(out, batch_sizes=[3, 3]),
        ValueError,
        "`batch_sizes` names 3 twice",
    ),
    (
        "runner seed twice",
        lambda out=None: run(out, seeds=[1, 0, 1]),
        ValueError,
        "`seeds` names 1 twice",
    ),
    (
        "runner more_seeds_strategies twice",
        lambda out=None: run(
            out, more_seeds=[5], more_seeds_strategies=["random", "random"]
        ),
        ValueError,
        "`more_seeds_strategies` names 'random' twice",
    ),
    # seeds: numpy's range, and not more runs than can be listed
    (
        "runner seeds 10**30",
        lambda out=None: run(out, seeds=10**30),
        ValueError,
        "`seeds`",
    ),
    (
        "runner seeds 10**7",
        lambda out=None: run(out, seeds=10**7),
        ValueError,
        "10,000,000 runs",
    ),
    (
        "runner seed 2**40",
        lambda out=None: run(out, seeds=[0, 2**40]),
        ValueError,
        "`seeds` must be at most 4294967295",
    ),
    (
        "runner more_seeds 2**32",
        lambda out=None: run(
            out, more_seeds=[2**32], more_seeds_strategies=["random"]
        ),
        ValueError,
        "`more_seeds` must be at most 4294967295",
    ),
    (
        "runner run_rounds seed 2**32",
        lambda: rounds_seed(2**32),
        ValueError,
        "`seed` must be at most 4294967295",
    ),
    (
        "runner --config seeds 10**30",
        lambda out=None: config_file({"seeds": 10**30}, out=out),
        ValueError,
        "`seeds`",
    ),
    # config files: JSON objects, not nested without end
    (
        "runner --config nested 100,000 deep",
        lambda out=None: config_file(DEEP, out=out),
        ValueError,
        "study.json': nested too deeply",
    ),
    (
        "runner --config a setting nested 100,000 deep",
        lambda out=None: config_file(f'{{"datasets": {DEEP}}}', out=out),
        ValueError,
        "study.json': nested too deeply",
    ),
    (
        "runner --config number too long",
        lambda out=None: config_file(f'{{"rounds": 1{"0" * 5000}}}', out=out),
        ValueError,
        "study.json': not a JSON object of settings",
    ),
    (
        "runner config.json nested 100,000 deep",
        lambda: folder_config(DEEP),
        ValueError,
        "config.json': nested too deeply",
    ),
    (
        "runner a setting nested 100,000 deep",
        lambda out=None: run(out, models=[DEEP_LIST]),
        ValueError,
        "`models` is nested too deeply",
    ),
    # other sizes and combinations
    (
        "runner no strategy applies to the models",
        lambda out=None: run(out, strategies=["badge-leafgrad"]),
        ValueError,
        "none of the strategies ['badge-leafgrad'] applies",
    ),
    (
        "runner workers 10**6",
        lambda out=None: run(out, workers=10**6),
        ValueError,
        "`workers` must be at most 1024",
    ),
    (
        "runner workers 0",
        lambda out=None: run(out, workers=0),
        ValueError,
        "`workers` must be >= 1",
    ),
    (
        "runner n_start 0",
        lambda out=None: run(out, n_start=0),
        ValueError,
        "`n_start` must be >= 1",
    ),
    (
        "runner batch size 0",
        lambda out=None: run(out, batch_sizes=[3, 0]),
        ValueError,
        "`batch_sizes` must be >= 1",
    ),
    (
        "runner rounds 10**30",
        lambda out=None: run(out, rounds=10**30),
        ValueError,
        "exceed the pool of 'iris'",
    ),
]
