"""Pool-based strategies: BADGE and its family, the recipe and the
baselines, each a ``_pick`` behind the one ``query`` and ``select_batch``
of :class:`~._base.PoolStrategy`, taking pools in memory, on disk and on
Dask through :mod:`._pool`."""

from ._albl import ActiveLearningByLearning
from ._badge import Badge
from ._bait import Bait
from ._baselines import ClusterMargin, ExpectedGradientLength, PowerSampling
from ._maxherding_then_uherding import MaxHerdingThenUHerding
from ._multilabel_badge import MultilabelBadge
from ._typiclust_then_badge import TypiClustThenBadge
from ._uherding import GradientUHerding

__all__ = [
    "ActiveLearningByLearning",
    "Badge",
    "Bait",
    "ClusterMargin",
    "ExpectedGradientLength",
    "GradientUHerding",
    "MaxHerdingThenUHerding",
    "MultilabelBadge",
    "PowerSampling",
    "TypiClustThenBadge",
]
