"""The store's default metric suite against the published ImageNet-X tables and a slow loop."""

import numpy as np
import pytest

from errorscope.constants import FACTORS
from errorscope.results import to_published_layout
from errorscope.results._layout import COUNT_COLUMNS, complete_factor_rows
from errorscope.store.metrics import SUMMARY_COLUMNS, imagenetx_factor_metrics

from .conftest import published


@pytest.fixture(scope="module")
def frames(base_population):
    out = imagenetx_factor_metrics(base_population)
    assert list(out["factors"].columns) == COUNT_COLUMNS  # the store keeps the counts of the tidy rows
    out["factors"] = complete_factor_rows(out["factors"])
    return out


def worst(frames, which, error_type):
    w = frames["worst_classes"]
    return w[(w.which == which) & (w.error_type == error_type)].set_index("model")["worst_100_classes"]


@pytest.mark.parametrize("which", ["top", "multi"])
@pytest.mark.parametrize("error_type", ["class", "metaclass", "real_class"])
def test_reproduces_published_base_tables(frames, which, error_type):
    ours = to_published_layout(frames["factors"], which=which, error_type=error_type,
                               worst_classes=worst(frames, which, error_type))
    pub = published(which, "base", error_type).set_index("model").drop(index="human", errors="ignore")
    assert list(ours.columns) == list(pub.columns)
    assert list(ours.index) == list(pub.index)
    np.testing.assert_allclose(ours.to_numpy(), pub.to_numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("which", ["top", "multi"])
@pytest.mark.parametrize("error_type", ["class", "metaclass", "real_class"])
def test_reproduces_published_base_metaclass_tables(frames, which, error_type):
    ours = to_published_layout(frames["factors"], which=which, error_type=error_type, metaclass=True)
    pub = published(which, "base", error_type, "accuracies_per_factor_metaclass.csv")
    pub = pub[pub["model"] != "human"].set_index(["model", "metaclass"])
    assert list(ours.columns) == list(pub.columns)
    assert list(ours.index) == list(pub.index)  # METACLASSES order, then model
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
        got = f[(f.model == "ViT") & (f.which == "multi") & (f.error_type == "class") & (f.factor == factor)
                & (f.metaclass == "all")]
        assert int(got["correct"].iloc[0]) == hit and int(got["total"].iloc[0]) == tot
        assert got["accuracy"].iloc[0] == pytest.approx(hit / tot, abs=1e-15)


def test_summary_top1_and_spec_reference_values(frames):
    s = frames["summary"].set_index("model")
    assert list(frames["summary"].columns) == SUMMARY_COLUMNS
    assert s.loc["ViT", "top1"] == pytest.approx(0.78006, abs=1e-12)
    assert s.loc["ViT", "imagenetx_real_class"] == pytest.approx(0.775255, abs=5e-7)
    assert s.loc["ViT", "worst_factor"] == "texture"
    assert s.loc["ViT", "worst_factor_accuracy"] == pytest.approx(0.524823, abs=5e-7)
    assert worst(frames, "top", "class")["ViT"] == pytest.approx(0.418727, abs=5e-7)


def test_uncovered_images_are_left_out():
    """A model right on the half of the images it covers scores 1.0, not 0.5 (the analyze() convention)."""
    from errorscope.datasets import val_index
    from errorscope.predictions import Population

    idx = val_index()
    top1 = idx.labels.copy()[None, :]
    top1[0, 25_000:] = -1
    s = imagenetx_factor_metrics(Population(["half"], top1, None, idx))["summary"].iloc[0]
    assert s["top1"] == 1.0 and s["n_covered"] == 25_000 and s["coverage"] == 0.5
    assert s["imagenetx_class"] == 1.0
