"""Former home of the model checks, kept for the callers outside this
package that import them from here (``skactiveml_badge/_presets.py`` and
``skactiveml_badge/experiments/_registry.py``); each check now lives with
its model family. Remove once those import from the family modules."""

from ._mlp import is_mlp
from ._nets import torch_parts
from ._private_api import inner_estimator

__all__ = ["inner_estimator", "is_mlp", "torch_parts"]
