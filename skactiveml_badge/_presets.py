"""What Badge's ``"auto"`` settings become, per preset and model family.

``"study"`` holds the settings the label-efficiency study chose for each
model family (``docs/study.rst``, made by ``python -m
skactiveml_badge.experiments --config
benchmarks/study/label_efficiency.json ...``); ``"paper"`` is Ash et al.'s
rule exactly.
"""

from typing import NamedTuple

PRESETS = ("study", "paper")
FAMILIES = ("trees", "nets", "other")
AUTO = "auto"


class Settings(NamedTuple):
    """The settings of one query."""

    origin_as_centre: bool
    tree_embedding: str
    warm_start_rule: str | None
    warm_start_per_class: int


PAPER = Settings(
    origin_as_centre=False,
    tree_embedding="proximity",
    warm_start_rule=None,
    warm_start_per_class=0,
)

# The study's choice per model family (trees: LightGBM, XGBoost, random
# forest; nets: a skorch MLP with dropout; other: logistic regression).
STUDY = {
    "trees": Settings(True, "proximity+X", "typiclust", 5),
    "nets": Settings(True, "proximity+X", "typiclust", 5),
    "other": Settings(True, "proximity+X", "typiclust", 20),
}


def model_family(clf):
    """``"trees"``, ``"nets"`` (torch nets, scikit-learn MLPs) or
    ``"other"``: the model family whose study settings apply to ``clf``."""
    from skactiveml.base import SkactivemlClassifier

    from .embeddings._mlp import is_mlp
    from .embeddings._nets import torch_parts
    from .embeddings._private_api import inner_estimator
    from .embeddings._trees import is_tree_ensemble

    if torch_parts(clf) is not None:
        return "nets"
    inner = inner_estimator(clf)
    if inner is clf and isinstance(clf, SkactivemlClassifier):
        # An unfitted wrapper: its template estimator
        if _is_skorch(clf):
            return "nets"
        template = getattr(clf, "estimator", None)
        inner = clf if template is None else template
        if _is_skorch(inner):
            return "nets"
    if is_mlp(inner):
        return "nets"
    if is_tree_ensemble(inner):
        return "trees"
    return "other"


def _is_skorch(est):
    """A skorch net, or scikit-activeml's skorch wrapper (unfitted)."""
    kind = type(est)
    return (
        kind.__module__.split(".")[0] == "skorch"
        or kind.__name__ == "SkorchClassifier"
    )


def resolve(preset, clf, **params):
    """The settings of a query: each ``"auto"`` in ``params`` (the fields
    of :class:`Settings`) replaced by the preset's value for ``clf``'s
    family."""
    chosen = PAPER if preset == "paper" else STUDY[model_family(clf)]
    return Settings(
        **{
            name: getattr(chosen, name) if _is_auto(value) else value
            for name, value in params.items()
        }
    )


def _is_auto(value):
    return isinstance(value, str) and value == AUTO
