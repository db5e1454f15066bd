"""Pool-based active-learning experiments: learning curves and the
pairwise penalty matrix of the BADGE paper.

Run ``python -m skactiveml_badge.experiments --help`` (or
``skactiveml-badge-experiments``). Every combination of data set, model,
strategy, batch size and seed is run for a number of rounds from a random
start set; each round's test accuracy and timings go to a tidy CSV as soon
as the round is done, and a rerun with the same output folder resumes.
Multi-label data sets (``DatasetSpec.multilabel``) are run with the
multi-label models and strategies and scored by the test micro- and
macro-F1 instead of the accuracy.
"""

from ._config import (
    TIMING_COLUMNS,
    ExperimentConfig,
    OutputFolderError,
    RoundResult,
    Run,
    RunnerWarning,
)
from ._datasets import DATASETS, DatasetSpec, load_dataset
from ._loop import run_rounds, split_pool
from ._models import MODELS, ModelSpec
from ._report import (
    COLUMNS,
    MULTILABEL_COLUMNS,
    learning_curve_table,
    penalty_matrix,
    penalty_table,
    plot_learning_curves,
    plot_penalty_matrix,
    read_results,
    scores_of,
)
from ._runner import run_experiment
from ._strategies import (
    STRATEGIES,
    MultilabelRandomSampling,
    StrategySpec,
    check_task,
)

__all__ = [
    "COLUMNS",
    "DATASETS",
    "MODELS",
    "MULTILABEL_COLUMNS",
    "STRATEGIES",
    "TIMING_COLUMNS",
    "DatasetSpec",
    "ExperimentConfig",
    "ModelSpec",
    "MultilabelRandomSampling",
    "OutputFolderError",
    "RoundResult",
    "Run",
    "RunnerWarning",
    "StrategySpec",
    "check_task",
    "learning_curve_table",
    "load_dataset",
    "penalty_matrix",
    "penalty_table",
    "plot_learning_curves",
    "plot_penalty_matrix",
    "read_results",
    "run_experiment",
    "run_rounds",
    "scores_of",
    "split_pool",
]
