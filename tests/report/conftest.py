import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

MODELS = ("DINO", "ResNet50", "SimCLR", "ViT")


@pytest.fixture(scope="session")
def population():
    from errorscope.readers import read_population
    from errorscope.resources import resource_path

    return read_population([resource_path(f"imagenetx/model_predictions/base/{m}.csv") for m in MODELS])


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory):
    """Run `errorscope demo` once (report + figures); shared by the CLI and browser tests."""
    from errorscope.cli.main import main

    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--out", str(out)]) == 0
    return out
