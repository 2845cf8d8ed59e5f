"""Helpers of the inference tests that need torch (import after pytest.importorskip("torch"))."""

from __future__ import annotations

import torch


class TinyNet(torch.nn.Module):
    """A small, fast convolutional 1000-way classifier with deterministic weights."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.conv = torch.nn.Conv2d(3, 8, 3, stride=2)
        self.fc = torch.nn.Linear(8, 1000)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=g))
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return self.fc(torch.relu(self.conv(x)).mean(dim=(2, 3)))


