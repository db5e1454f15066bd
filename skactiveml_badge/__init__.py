"""Fast, exact BADGE-family batch active learning for scikit-activeml."""

from ._badge import Badge, WarmStartWarning
from ._bait import Bait
from ._baselines import ClusterMargin, ExpectedGradientLength, PowerSampling
from .embeddings import UntrainedModelWarning

__version__ = "0.1.0"

__all__ = [
    "Badge",
    "Bait",
    "ClusterMargin",
    "ExpectedGradientLength",
    "PowerSampling",
    "UntrainedModelWarning",
    "WarmStartWarning",
    "__version__",
]
