"""The store's default metric suite against the published ImageNet-X tables and a slow loop."""

import numpy as np
import pytest

from errorscope.constants import FACTORS
from errorscope.store.metrics import imagenetx_factor_metrics, published_layout

from .conftest import published


@pytest.fixture(scope="module")
def frames(base_population):
    return imagenetx_factor_metrics(base_population)


@pytest.mark.parametrize("which", ["top", "multi"])
@pytest.mark.parametrize("error_type", ["class", "metaclass", "real_class"])
def test_reproduces_published_base_tables(frames, which, error_type):
    ours = published_layout(frames["factors"], frames["summary"], which=which, error_type=error_type)
    pub = published(which, "base", error_type).set_index("model").drop(index="human", errors="ignore")
    assert list(ours.columns) == list(pub.columns)
    assert list(ours.index) == list(pub.index)
    np.testing.assert_allclose(ours.to_numpy(), pub.to_numpy(), rtol=0, atol=1e-12)


def test_factor_accuracy_matches_slow_loop(frames, base_population):
    from errorscope.imagenetx._annotations import load_factor_annotations

    ann = load_factor_annotations("multi")
    vit = base_population["ViT"].top1
    f = frames["factors"]
    for j, factor in enumerate(FACTORS):
        hit = tot = 0
        for pos, label, row in zip(ann.positions, ann.labels, ann.factors):
            if row[j]:
                tot += 1
                hit += int(vit[pos] == label)
        got = f[(f.model == "ViT") & (f.which == "multi") & (f.error_type == "class") & (f.factor == factor)]
        assert int(got["correct"].iloc[0]) == hit and int(got["total"].iloc[0]) == tot
        assert got["accuracy"].iloc[0] == pytest.approx(hit / tot, abs=1e-15)


def test_summary_top1_and_spec_reference_values(frames):
    s = frames["summary"].set_index(["model", "which", "error_type"])
    assert s.loc[("ViT", "top", "class"), "top1"] == pytest.approx(0.78006, abs=1e-12)
    assert s.loc[("ViT", "top", "class"), "worst_100_classes"] == pytest.approx(0.418727, abs=5e-7)
    assert s.loc[("ViT", "top", "real_class"), "average"] == pytest.approx(0.775255, abs=5e-7)
    assert s.loc[("ViT", "top", "metaclass"), "worst_factor"] == pytest.approx(0.733333, abs=5e-7)
