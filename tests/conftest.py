"""Shared fixtures. Tests read the real data mirror named by ERRORSCOPE_DATA_DIR (CI: ../shared/data)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
if not os.environ.get("ERRORSCOPE_DATA_DIR"):
    default = REPO.parent / "shared" / "data"
    if default.is_dir():
        os.environ["ERRORSCOPE_DATA_DIR"] = str(default)
DATA = Path(os.environ.get("ERRORSCOPE_DATA_DIR", REPO.parent / "shared" / "data")).resolve()
# Downloads during tests go to a throw-away cache, never to the user's.
os.environ.setdefault("ERRORSCOPE_CACHE", str(REPO / ".pytest_cache" / "errorscope-cache"))


def pytest_configure(config):
    if not (DATA / "PROVENANCE.md").is_file():
        raise pytest.UsageError(
            f"The data mirror is not at {DATA}. Set ERRORSCOPE_DATA_DIR to the shared data folder "
            "(e.g. ERRORSCOPE_DATA_DIR=../shared/data python -m pytest)."
        )


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def base_dir(data_dir) -> Path:
    """The four ImageNet-X paper models' predictions (DINO, ResNet50, SimCLR, ViT)."""
    return data_dir / "imagenetx" / "model_predictions" / "base"


@pytest.fixture(scope="session")
def base_population(base_dir):
    from errorscope.readers import read_population

    return read_population(base_dir)


@pytest.fixture
def rng():
    return np.random.default_rng(int(os.environ.get("ERRORSCOPE_TEST_SEED", "0")))
