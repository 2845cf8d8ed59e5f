"""errorscope.torch.ImageNetX / ImageNetXImageFolder against the imagenet-x package's own annotation loader."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the torch extra is not installed")
pytest.importorskip("torchvision", reason="the torch extra is not installed")
imagenet_x = pytest.importorskip("imagenet_x")

from errorscope.constants import FACTORS  # noqa: E402
from errorscope.exceptions import ResourceError  # noqa: E402
from errorscope.datasets._index import class_info


@pytest.fixture(scope="module")
def picked():
    """6 annotated val images (some with several multi factors), 1 prototype and 1 unannotated file."""
    top = imagenet_x.load_annotations("top", "val", True)
    multi = imagenet_x.load_annotations("multi", "val", True).set_index("file_name")
    several = multi.index[multi[FACTORS].sum(axis=1) > 1][:3].tolist()
    names = top.file_name[:3].tolist() + several
    labels = top.set_index("file_name")["class"].reindex(names)
    labels = labels.fillna(multi["class"].reindex(names)).astype(int)
    proto = sorted(set(imagenet_x.load_annotations("top", "val", False).file_name) - set(top.file_name))[0]
    proto_label = int(imagenet_x.load_annotations("top", "val", False).set_index("file_name").loc[proto, "class"])
    return dict(zip(names, labels)), (proto, proto_label)


def _make_folder(root: Path, files: dict[str, int]) -> None:
    from PIL import Image

    wnids = class_info().wnids
    for i, (name, label) in enumerate(files.items()):
        path = root / wnids[label] / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (20 + i, 16), (i * 20, 100, 50)).save(path)


@pytest.fixture(scope="module")
def val_folder(tmp_path_factory, picked):
    files, (proto, proto_label) = picked
    root = tmp_path_factory.mktemp("imagenet") / "val"
    _make_folder(root, {**files, proto: proto_label, "ILSVRC2012_val_99999999.JPEG": 0})
    return root


@pytest.mark.parametrize("which", ["top", "multi"])
def test_image_folder_matches_imagenet_x(val_folder, picked, which):
    from errorscope.torch import ImageNetXImageFolder

    files, (proto, _) = picked
    ds = ImageNetXImageFolder(val_folder, which_factor=which)
    peer = imagenet_x.load_annotations(which, "val", True).drop_duplicates("file_name").set_index("file_name")
    kept = sorted(Path(p).name for p, _ in ds.samples)
    assert kept == sorted(n for n in files if n in peer.index)
    assert proto not in kept and len(ds) == len(kept)
    for i in range(len(ds)):
        img, target, factors = ds[i]
        name = Path(ds.samples[i][0]).name
        assert target == files[name] == int(peer.loc[name, "class"])
        assert factors.dtype == np.bool_ and factors.shape == (16,)
        np.testing.assert_array_equal(factors, peer.loc[name, FACTORS].to_numpy(bool))
        if which == "top":
            assert factors.sum() == 1
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=len(ds), collate_fn=lambda b: b)))
    assert len(batch) == len(ds)


def test_prototypes_kept_without_filter(val_folder, picked):
    from errorscope.torch import ImageNetXImageFolder

    _, (proto, proto_label) = picked
    ds = ImageNetXImageFolder(val_folder, filter_prototypes=False)
    names = [Path(p).name for p, _ in ds.samples]
    assert proto in names and ds.targets[names.index(proto)] == proto_label


def test_imagenet_root_with_meta_bin(tmp_path, picked, val_folder):
    import shutil

    import torchvision.transforms as T

    from errorscope.torch import ImageNetX

    root = tmp_path / "imagenet"
    with pytest.raises(ResourceError, match="ImageNet root .* does not exist"):
        ImageNetX(root)
    root.mkdir()
    with pytest.raises(ResourceError, match="meta.bin is missing"):
        ImageNetX(root)
    info = class_info()
    torch.save(({w: (n,) for w, n in zip(info.wnids, info.names)}, []), root / "meta.bin")
    with pytest.raises(ResourceError, match=r"val is missing .*ILSVRC2012_img_val.tar"):
        ImageNetX(root)
    shutil.copytree(val_folder, root / "val")
    ds = ImageNetX(root, transform=T.ToTensor())
    files, _ = picked
    assert sorted(Path(p).name for p, _ in ds.samples) == sorted(files)
    img, target, factors = ds[0]
    assert img.shape[0] == 3 and target == files[Path(ds.samples[0][0]).name] and factors.sum() == 1
    wnid = info.wnids[target]
    assert ds.wnid_to_idx[wnid] == target and ds.class_to_idx[info.names[target]] == target
    clone = pickle.loads(pickle.dumps(ds))
    assert type(clone).__name__ == "ImageNetX" and len(clone) == len(ds)


def test_errors_name_the_missing_folder(tmp_path):
    from errorscope.torch import ImageNetXImageFolder

    with pytest.raises(ResourceError, match="does not exist"):
        ImageNetXImageFolder(tmp_path / "nope")
    (tmp_path / "cats").mkdir()
    with pytest.raises(ResourceError, match="'cats' is not an ImageNet wnid"):
        ImageNetXImageFolder(tmp_path)
    empty = tmp_path / "e" / "n01440764"
    empty.mkdir(parents=True)
    from PIL import Image

    Image.new("RGB", (8, 8)).save(empty / "not_annotated.JPEG")
    with pytest.raises(ResourceError, match="none of its 1 images is annotated"):
        ImageNetXImageFolder(tmp_path / "e")
