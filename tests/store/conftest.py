import os

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("duckdb", reason="the results store needs the optional 'store' extra (duckdb)")

BASE = ["DINO", "ResNet50", "SimCLR", "ViT"]


@pytest.fixture(scope="session", autouse=True)
def _data_dir():
    if not os.environ.get("ERRORSCOPE_DATA_DIR"):
        pytest.fail("ERRORSCOPE_DATA_DIR must point at the data mirror (e.g. /work/shared/data).")


@pytest.fixture(scope="session")
def base_predictions():
    from errorscope.readers import read_predictions
    from errorscope.resources import resource_path

    return [read_predictions(resource_path(f"imagenetx/model_predictions/base/{m}.csv")) for m in BASE]


@pytest.fixture(scope="session")
def base_population(base_predictions):
    from errorscope.predictions import Population

    return Population.from_predictions(base_predictions)


def published(which, group, error_type, table="accuracies_per_factor.csv"):
    from errorscope.resources import resource_path

    return pd.read_csv(resource_path(f"imagenetx/results/val/{which}_factor/{group}/{error_type}/{table}"))


def top1_suite(version="1"):
    """A tiny metric suite for tests: overall top-1 accuracy, computed one model at a time."""
    from errorscope.store import MetricSuite

    def compute(pop):
        rows = []
        for i, m in enumerate(pop.models):
            rows.append({"model": m, "top1": float(np.mean(pop.top1[i] == pop.index.labels))})
        return {"acc": pd.DataFrame(rows)}

    return MetricSuite("top1-test", version, compute)
