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


class DaskWorkerError(RuntimeError):
    """A Dask worker was lost (or kept failing) during a query."""
