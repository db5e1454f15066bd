"""Selection kernels: pure functions over rank-one gradient factors.

Every kernel takes the factors ``delta`` (n x C) and ``h`` (n x D) of the
gradient embeddings ``g_i = delta_i (x) h_i`` and never forms ``g``. The
public kernels validate their options and go through one private dispatch
(``_dispatch.select``), so a seed gives one batch whatever else is asked.
"""

from ._arrays import BACKENDS, HALF_DTYPES
from ._bait import MAX_CLASSES as BAIT_MAX_CLASSES
from ._bait import bait, check_bait_classes
from ._chunked import dask_call, is_chunked, is_dask_array
from ._dispatch import ALGORITHMS, RULES
from ._distances import DEFAULT_CHUNK_SIZE, pairwise_sq_distances, sq_norms
from ._herding import adaptive_radius, uncertainty_herding, unit_factors
from ._kernels import farthest_first, kmeans_plusplus
from ._metric import METRICS, unit_rows
from ._volume import VolumeState, sampling_pass

__all__ = [
    "ALGORITHMS",
    "BACKENDS",
    "BAIT_MAX_CLASSES",
    "DEFAULT_CHUNK_SIZE",
    "HALF_DTYPES",
    "METRICS",
    "RULES",
    "VolumeState",
    "adaptive_radius",
    "bait",
    "check_bait_classes",
    "dask_call",
    "farthest_first",
    "is_chunked",
    "is_dask_array",
    "kmeans_plusplus",
    "pairwise_sq_distances",
    "sampling_pass",
    "sq_norms",
    "uncertainty_herding",
    "unit_factors",
    "unit_rows",
]
