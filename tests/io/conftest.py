"""Fixtures of the ingestion and data-resource tests: the real prediction files of the data mirror."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest



@pytest.fixture(scope="session")
def data_dir() -> Path:
    value = os.environ.get("ERRORSCOPE_DATA_DIR")
    if not value or not Path(value).is_dir():
        pytest.fail("These tests need the data mirror: set ERRORSCOPE_DATA_DIR (for example ../shared/data).")
    return Path(value)


@pytest.fixture(scope="session")
def imagenetx_dir(data_dir) -> Path:
    return data_dir / "imagenetx" / "model_predictions" / "base"


@pytest.fixture(scope="session")
def shavit_dir(data_dir) -> Path:
    return data_dir / "predictions" / "shavit_analysing_relations"


@pytest.fixture(scope="session")
def vit(imagenetx_dir):
    from errorscope.readers import read_predictions

    return read_predictions(imagenetx_dir / "ViT.csv")


@pytest.fixture(scope="session")
def vit_logits(vit) -> np.ndarray:
    """Logits (canonical order) whose softmax has ViT's top-1 class and top-1 probability.

    Every other class gets logit 0, so p = e^a / (e^a + 999), i.e. a = log(999 p / (1 - p)).
    """
    p = vit.prob.astype(np.float64)
    a = np.log(999.0 * p / (1.0 - p))
    logits = np.zeros((len(p), 1000), dtype=np.float32)
    logits[np.arange(len(p)), vit.top1] = a
    return logits
