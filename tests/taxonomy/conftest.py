"""Fixtures of the taxonomy tests: the 19 real models of the data mirror and the published pairs."""

from __future__ import annotations

import numpy as np
import pytest

from errorscope.predictions import Population
from .taxonomy_helpers import DATA, ETH, real_model_files


@pytest.fixture(scope="session")
def real_population() -> Population:
    from errorscope.readers import read_population

    files = real_model_files()
    assert len(files) == 19, f"expected 19 real model files under {DATA}, found {len(files)}"
    return read_population(files)


@pytest.fixture(scope="session")
def published_pairs() -> np.ndarray:
    import pandas as pd

    return pd.read_csv(ETH / "common_cooccurrence_pairs.csv")[["class_a", "class_b"]].to_numpy()


