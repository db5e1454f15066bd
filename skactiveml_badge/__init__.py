"""Fast, exact BADGE-family batch active learning for scikit-activeml."""

from ._albl import ActiveLearningByLearning
from ._badge import Badge
from ._bait import Bait
from ._baselines import ClusterMargin, ExpectedGradientLength, PowerSampling
from ._multilabel import multilabel_gradient_factors
from ._multilabel_badge import MultilabelBadge, PartlyLabeledWarning
from ._typiclust_then_badge import TypiClustThenBadge
from ._vessal import VeSSAL
from ._warm_start import WarmStartWarning
from .embeddings import UntrainedModelWarning
from .selection._chunked import DaskWorkerError

__version__ = "0.1.0"

__all__ = [
    "ActiveLearningByLearning",
    "Badge",
    "Bait",
    "ClusterMargin",
    "DaskWorkerError",
    "ExpectedGradientLength",
    "MultilabelBadge",
    "PartlyLabeledWarning",
    "PowerSampling",
    "TypiClustThenBadge",
    "UntrainedModelWarning",
    "VeSSAL",
    "WarmStartWarning",
    "__version__",
    "multilabel_gradient_factors",
]
