"""Stream-based strategies: VeSSAL, with scikit-activeml's
``SingleAnnotatorStreamQueryStrategy`` contract."""

from ._vessal import VeSSAL

__all__ = ["VeSSAL"]
