"""The canonical index, the class table, the annotations and the Predictions / Population types."""

from __future__ import annotations

import numpy as np
import pytest

from errorscope.imagenetx._annotations import load_factor_annotations, prototype_files
from errorscope.datasets._real import real_label_sets
from errorscope.constants import FACTORS, METACLASSES
from errorscope.exceptions import InvalidInputError
from errorscope.datasets._index import class_info, imagenetx_train_index, val_index
from errorscope.predictions import Population, Predictions


def test_val_index_matches_the_label_file(data_dir):
    import pandas as pd

    idx = val_index()
    assert len(idx) == 50000 and idx.file_names[-1] == "ILSVRC2012_val_00050000.JPEG"
    ref = pd.read_csv(data_dir / "imagenetx/annotations/filename_label.csv")
    pos = idx.positions(ref.file_name)
    assert (idx.labels[pos] == ref.label.to_numpy()).all()
    assert idx.positions(["val/n01751748/ILSVRC2012_val_00000001.JPEG", "nope.JPEG"]).tolist() == [0, -1]


def test_class_info_against_the_timm_synsets_and_spec_counts(data_dir):
    info = class_info()
    synsets = (data_dir / "imagenet_meta/imagenet_synsets.txt").read_text().split()
    assert list(info.wnids) == synsets
    counts = dict(zip(METACLASSES, np.bincount(info.metaclass17, minlength=17)))
    assert counts == {"other": 278, "device": 124, "dog": 118, "commodity": 60, "bird": 59, "structure": 57,
                      "covering": 43, "wheeled_vehicle": 41, "food": 38, "equipment": 37, "insect": 27,
                      "vehicle": 24, "furniture": 21, "primate": 20, "vessel": 19, "snake": 17, "natural_object": 17}
    assert info.wnid_to_id("n01440764") == 0
    with pytest.raises(InvalidInputError, match="wnid"):
        info.wnid_to_id("n99999999")


@pytest.mark.parametrize("which", ["top", "multi"])
def test_annotation_counts_from_the_spec(which):
    ann = load_factor_annotations(which)
    assert len(ann) == 46110
    ref = {"top": {"pose": 15064, "background": 14751, "color": 6150, "pattern": 5972, "style": 43,
                   "multiple_objects": 40},
           "multi": {"pose": 39974, "background": 35537, "pattern": 15478, "brighter": 94, "style": 586}}[which]
    counts = dict(zip(FACTORS, ann.factors.sum(axis=0)))
    for f, n in ref.items():
        assert counts[f] == n
    assert (ann.labels == val_index().labels[ann.positions]).all()
    assert len(load_factor_annotations(which, filter_prototypes=False)) == 48868
    assert 899 not in set(ann.labels.tolist())  # water jug has no annotated image
    if which == "multi":
        hist = np.bincount(ann.factors.sum(axis=1))
        assert hist[:4].tolist() == [2, 6382, 18179, 13091]


def test_train_annotations_and_prototypes():
    ann = load_factor_annotations("top", "train")
    assert len(ann) == 11233 == len(imagenetx_train_index())
    assert len(prototype_files()) == 3000
    sets, sizes = real_label_sets()
    assert sets.shape[0] == 50000 and int((sizes == 0).sum()) == 3163 and int(sizes.sum()) == 57553


def test_predictions_validation_and_scores():
    with pytest.raises(InvalidInputError, match="shape"):
        Predictions.from_arrays("m", np.zeros(10, int))
    bad = np.zeros(50000, int)
    bad[3] = 1000
    with pytest.raises(InvalidInputError, match=r"0\.\.999.*position \(3,\)"):
        Predictions.from_arrays("m", bad)
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(50000, 1000)).astype(np.float32)
    p = Predictions.from_scores("m", logits)
    assert (p.top1 == logits.argmax(axis=1)).all()
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(p.prob, (e / e.sum(axis=1, keepdims=True)).max(axis=1), rtol=1e-5)
    assert (p.topk[:, 0] == p.top1).all() and p.topk.shape == (50000, 5)


def test_population_stacking_and_unique_names(base_population):
    assert base_population.top1.dtype == np.int16 and base_population.top1.shape == (4, 50000)
    assert base_population.prob.dtype == np.float32
    vit = base_population["ViT"]
    assert vit.top1_accuracy() == pytest.approx(0.78006)
    sub = base_population.select(["ViT", "DINO"])
    assert sub.models == ["ViT", "DINO"] and (sub.top1[0] == vit.top1).all()
    with pytest.raises(InvalidInputError, match="unique"):
        Population.from_predictions([vit, vit])
