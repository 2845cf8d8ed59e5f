"""Multi-label sources: the Shankar et al. reader on files built in its schema, ReaL, ImageNet-A."""

from __future__ import annotations

import json

import numpy as np
import pytest

from errorscope.exceptions import IngestError, InvalidInputError, ResourceError
from errorscope.datasets._index import class_info, val_index
from errorscope.taxonomy import classify
from errorscope.taxonomy.labels import load_multilabels, read_shankar, real_multilabels
from errorscope.taxonomy.stats import IMAGENET_M_COLUMNS
from errorscope.predictions import Population, Predictions

W = class_info().wnids
V = "ILSVRC2012_val_{:08d}.JPEG".format


def shankar_file(tmp_path, annots, problematic=(), imagenet_m=()):
    path = tmp_path / "human_accuracy_v3.0.0.json"
    path.write_text(json.dumps({"initial_annots": annots, "problematic_images": {k: {} for k in problematic},
                                "imagenet_m": list(imagenet_m), "other_key": 1}))
    return path


def test_shankar_reader_semantics(tmp_path):
    t1, t2, t3 = (int(val_index().labels[i]) for i in range(3))
    annots = {
        V(2): {"correct": [W[t2], W[358]], "wrong": [W[5]], "unclear": [W[357]]},
        V(1): {"correct": [W[t1]]},
        V(3): {"wrong": [W[t3]]},                       # no correct/unclear: empty M
        "n01440764/ILSVRC2012_val_00000004.JPEG": {"correct": [W[0]]},  # key without the prefix: skipped
        "imagenet2012_extra_00001.JPEG": {"correct": [W[0]]},
    }
    ml = read_shankar(shankar_file(tmp_path, annots, problematic=[V(3)], imagenet_m=[V(2)]))
    assert ml.source == "shankar" and ml.has_imagenet_m
    assert ml.file_names.tolist() == [V(1), V(2), V(3)]
    assert ml.label_set(1) == [t2, 358, 357]     # correct then unclear, JSON order kept; wrong unused
    assert ml.label_set(2) == [] and ml.problematic.tolist() == [False, False, True]
    assert ml.imagenet_m.tolist() == [False, True, False]
    assert ml.targets.tolist() == [t1, t2, t3]


def test_shankar_reader_errors(tmp_path):
    with pytest.raises(IngestError, match="missing top-level key 'imagenet_m'"):
        p = tmp_path / "a.json"
        p.write_text(json.dumps({"initial_annots": {}, "problematic_images": {}}))
        read_shankar(p)
    with pytest.raises(IngestError, match="not an ImageNet-1k wnid"):
        read_shankar(shankar_file(tmp_path, {V(1): {"correct": ["n99999999"]}}))
    t1 = int(val_index().labels[0])
    with pytest.raises(InvalidInputError, match="outside its multi-label set"):
        read_shankar(shankar_file(tmp_path, {V(1): {"correct": [W[(t1 + 1) % 1000]]}}))
    with pytest.raises(IngestError, match="no such file"):
        read_shankar(tmp_path / "missing.json")


def test_shankar_source_runs_end_to_end_with_imagenet_m_columns(tmp_path):
    labels = val_index().labels
    annots = {V(i + 1): {"correct": [W[int(labels[i])]]} for i in range(40)}
    annots[V(41)] = {"correct": [W[int(labels[40])], W[(int(labels[40]) + 1) % 1000]]}
    path = shankar_file(tmp_path, annots, problematic=[V(40)], imagenet_m=[V(1), V(2), V(41)])
    ml = load_multilabels("shankar", path=path)
    preds = labels.copy()
    preds[0] = (labels[0] + 500) % 1000          # an ImageNet-M error
    preds[40] = (labels[40] + 1) % 1000           # p in M: multi-label correct, not an ImageNet-M error
    pop = Population.from_predictions([Predictions.from_arrays("m", preds)])
    st = classify(pop, ml).stats("all")
    assert list(st.columns[-10:-7]) == IMAGENET_M_COLUMNS
    assert st["num_all_samples"][0] == 40 and st["num_all_imagenet-m_samples"][0] == 3
    assert st["num_imagenet-m_errors"][0] == 1 and st["num_ambiguous"][0] == 1
    assert st["label_source"][0] == "shankar"
    # default pair source: the authors' published 1,019 pairs, named in the output
    assert st["cooccurrence_source"][0] == "published"
    assert st["cooccurrence_pairs"][0].startswith("published: 1019 pairs")


def test_missing_shankar_resource_says_how_to_get_it():
    with pytest.raises(ResourceError, match="--labels real"):
        load_multilabels("shankar")
    with pytest.raises(InvalidInputError):
        load_multilabels("tsipras")


def test_real_source_counts():
    ml = real_multilabels()
    assert len(ml) == 50000 and int((ml.sizes == 0).sum()) == 3163
    assert int((ml.sizes > 0).sum()) == 46837
    assert ml.n_non_problematic == 42164 and not ml.has_imagenet_m
    t = ml.targets
    inm = (ml.labels == t[:, None]).any(axis=1)
    assert np.array_equal(ml.problematic, (ml.sizes == 0) | ~inm)
