"""Torch modules defined at module level, so that processes that unpickle
a skorch net holding one (Dask workers) can import them."""

from torch import nn


class DigitsMLP(nn.Module):
    """64 -> 32 -> 10 with dropout (as ``conftest.torch_mlp``)."""

    def __init__(self, n_in=64, n_classes=10):
        super().__init__()
        self.body = nn.Sequential(
            nn.Flatten(), nn.Linear(n_in, 32), nn.ReLU(), nn.Dropout(0.2)
        )
        self.head = nn.Linear(32, n_classes)

    def forward(self, x):
        return self.head(self.body(x))
