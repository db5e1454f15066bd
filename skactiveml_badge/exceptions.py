"""Every warning and exception this package raises of its own."""


class UntrainedModelWarning(UserWarning):
    """The model behind the embeddings was not (properly) trained."""


class WarmStartWarning(UserWarning):
    """A strategy picked by a warm-start rule instead of its own rule
    (``MultilabelBadge`` with no labeled row)."""


class PartlyLabeledWarning(UserWarning):
    """``y`` has rows with some labels known and some missing: they are
    candidates and are left out of the fit (see
    :class:`~skactiveml_badge.MultilabelBadge`)."""


class RepeatedPickWarning(UserWarning):
    """A strategy asked by another (an arm of
    :class:`~skactiveml_badge.ActiveLearningByLearning`) picked a sample
    twice in one batch; the repeat was replaced by a uniform draw among
    the candidates not in the batch."""


class DaskWorkerError(RuntimeError):
    """A Dask worker was lost (or kept failing) during a query."""


# Modules whose frames a warning looks past: this package's, and those of
# the libraries that call back into it.
_INSIDE = ("skactiveml_badge", "skactiveml", "sklearn")


def warn(message, category=UserWarning):
    """``warnings.warn`` pointing at the caller's line: the first frame
    outside this package (and scikit-learn's and scikit-activeml's), on
    whichever route the warning was raised."""
    import sys
    import warnings

    frame, level = sys._getframe(1), 1
    while frame is not None and (
        frame.f_globals.get("__name__", "").partition(".")[0] in _INSIDE
    ):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level + 1)
