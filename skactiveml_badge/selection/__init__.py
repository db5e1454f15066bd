"""Selection kernels: pure functions over rank-one gradient factors.

Every kernel takes the factors ``delta`` (n x C) and ``h`` (n x D) of the
gradient embeddings ``g_i = delta_i (x) h_i`` and never forms ``g``.
"""

from ._bait import bait
from ._distances import pairwise_sq_distances, sq_norms
from ._kcenter import farthest_first
from ._kmeanspp import kmeans_plusplus

__all__ = [
    "bait",
    "farthest_first",
    "kmeans_plusplus",
    "pairwise_sq_distances",
    "sq_norms",
]
