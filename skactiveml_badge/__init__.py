"""Fast, exact BADGE-family batch active learning for scikit-activeml."""

from ._badge import Badge

__version__ = "0.1.0"

__all__ = ["Badge", "__version__"]
