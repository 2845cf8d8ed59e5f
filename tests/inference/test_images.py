"""Image folder layouts: detection, alignment to the right index, and errors that name the offending file."""

from __future__ import annotations

import numpy as np
import pytest

from errorscope.exceptions import InvalidInputError
from errorscope.datasets._index import class_info, imagenetx_train_index, val_index
from errorscope.datasets import subset_class_ids
from errorscope.inference.images import image_set


def test_val_flat(val_flat, val_names):
    s = image_set(val_flat)
    assert s.layout == "val-flat" and s.index is val_index()
    assert list(s.names) == sorted(val_names) and list(s.files) == sorted(val_names)
    expected = [val_index().labels[int(n[15:23]) - 1] for n in sorted(val_names)]
    assert s.labels.tolist() == expected


def test_val_imagefolder(val_imagefolder, val_names):
    s = image_set(val_imagefolder)
    assert s.layout == "imagefolder" and s.index is val_index()
    info = class_info()
    for f, name, label in zip(s.files, s.names, s.labels):
        wnid, bare = f.split("/")
        assert bare == name and info.wnid_to_id(wnid) == label
    assert sorted(s.names) == sorted(val_names)


def test_imagenet_a(imagenet_a):
    s = image_set(imagenet_a)
    assert s.layout == "imagenet-a" and s.index.name == "imagenet-a" and len(s) == 12
    info = class_info()
    assert [info.wnids[label] for label in s.labels] == [f.split("/")[0] for f in s.files]
    assert s.subset is not None and np.isin(s.labels, s.subset).all()


def test_imagenet_r_layout_is_rejected_for_a_only_classes(imagenet_a):
    with pytest.raises(InvalidInputError, match="not one of the 200 ImageNet-R classes"):
        image_set(imagenet_a, layout="imagenet-r")


def test_imagenetx_train_keeps_only_annotated_images(imagenetx_train):
    root, names = imagenetx_train
    s = image_set(root)
    assert s.layout == "imagenetx-train" and s.index is imagenetx_train_index()
    assert sorted(s.names) == sorted(names) and len(s) == 8
    idx = imagenetx_train_index()
    assert s.labels.tolist() == idx.labels[idx.positions(s.names)].tolist()


@pytest.mark.parametrize("which", ["a", "r"])
def test_subset_ids_match_timm(which):
    """The 200 class ids equal timm's own packaged subset lists (the manifest pins the same commit)."""
    import pkgutil

    pytest.importorskip("timm", reason="the torch extra is not installed")
    text = pkgutil.get_data("timm.data", f"_info/imagenet_{which}_indices.txt").decode()
    assert subset_class_ids(which).tolist() == [int(x) for x in text.split()]
    synsets = pkgutil.get_data("timm.data", f"_info/imagenet_{which}_synsets.txt").decode().split()
    assert list(class_info().wnids[subset_class_ids(which)]) == synsets


def test_errors_name_the_problem(tmp_path, val_flat):
    with pytest.raises(InvalidInputError, match="does not exist"):
        image_set(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInputError, match="holds no images"):
        image_set(tmp_path / "empty")
    bad = tmp_path / "bad"
    (bad / "cats").mkdir(parents=True)
    (bad / "cats" / "x.jpg").write_bytes((val_flat / sorted(p.name for p in val_flat.iterdir())[0]).read_bytes())
    with pytest.raises(InvalidInputError, match="'cats' is not an ImageNet wnid"):
        image_set(bad)
    with pytest.raises(InvalidInputError, match="val-flat layout has all images directly in"):
        image_set(bad, layout="val-flat")
    (bad / "cats" / "x.jpg").rename(bad / "x.jpg")
    with pytest.raises(InvalidInputError, match=r"x\.jpg: not an ImageNet validation file name"):
        image_set(bad, layout="val-flat")
    with pytest.raises(InvalidInputError, match="layout"):
        image_set(val_flat, layout="coco")


def test_ambiguous_a_and_r_needs_a_layout(tmp_path, val_flat):
    wnids = class_info().wnids
    both = sorted(set(wnids[subset_class_ids("a")]) & set(wnids[subset_class_ids("r")]))[0]
    src = next(val_flat.iterdir())
    (tmp_path / both).mkdir()
    (tmp_path / both / "img.jpg").write_bytes(src.read_bytes())
    with pytest.raises(InvalidInputError, match="both ImageNet-A and ImageNet-R"):
        image_set(tmp_path)
    assert image_set(tmp_path, layout="imagenet-r").index.name == "imagenet-r"


def test_fingerprint_changes_with_the_file_list(val_flat, val_imagefolder):
    a, b = image_set(val_flat), image_set(val_imagefolder)
    assert a.fingerprint() == image_set(val_flat).fingerprint()
    assert a.fingerprint() != b.fingerprint()
