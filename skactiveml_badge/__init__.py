"""Fast, exact BADGE-family batch active learning for scikit-activeml."""

from ._frame_classifier import FrameClassifier
from .embeddings import multilabel_gradient_factors
from .exceptions import (
    DaskWorkerError,
    PartlyLabeledWarning,
    RepeatedPickWarning,
    UntrainedModelWarning,
    WarmStartWarning,
)
from .pool import (
    ActiveLearningByLearning,
    Badge,
    Bait,
    ClusterMargin,
    ExpectedGradientLength,
    GradientUHerding,
    MaxHerdingThenUHerding,
    MultilabelBadge,
    PowerSampling,
    TypiClustThenBadge,
)
from .stream import VeSSAL

__version__ = "0.1.0"

__all__ = [
    "ActiveLearningByLearning",
    "Badge",
    "Bait",
    "ClusterMargin",
    "DaskWorkerError",
    "ExpectedGradientLength",
    "FrameClassifier",
    "GradientUHerding",
    "MaxHerdingThenUHerding",
    "MultilabelBadge",
    "PartlyLabeledWarning",
    "PowerSampling",
    "RepeatedPickWarning",
    "TypiClustThenBadge",
    "UntrainedModelWarning",
    "VeSSAL",
    "WarmStartWarning",
    "__version__",
    "multilabel_gradient_factors",
]
