"""Fixtures: tiny generated image folders in every layout, and tiny models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

N_VAL_IMAGES = 24


def _save(path: Path, rng: np.random.Generator, size=(48, 64)) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    h, w = size
    # smooth random images (JPEG-friendly) with a random colour cast
    base = rng.integers(0, 255, (h // 8 + 1, w // 8 + 1, 3), dtype=np.uint8)
    img = Image.fromarray(base).resize((w, h), Image.Resampling.BILINEAR)
    img.save(path, quality=90)


@pytest.fixture(scope="session")
def val_names() -> list[str]:
    """24 validation file names spread over the 50,000 (their labels come from the canonical index)."""
    return [f"ILSVRC2012_val_{i:08d}.JPEG" for i in np.linspace(1, 50000, N_VAL_IMAGES).astype(int)]


@pytest.fixture(scope="session")
def val_flat(tmp_path_factory, val_names) -> Path:
    root = tmp_path_factory.mktemp("val_flat")
    rng = np.random.default_rng(0)
    for k, name in enumerate(val_names):
        _save(root / name, rng, size=(48 + 8 * (k % 3), 64 - 8 * (k % 2)))
    return root


@pytest.fixture(scope="session")
def val_imagefolder(tmp_path_factory, val_flat, val_names) -> Path:
    from errorscope.datasets._index import class_info, val_index

    root = tmp_path_factory.mktemp("val_imagefolder")
    idx, info = val_index(), class_info()
    for name, pos in zip(val_names, idx.positions(val_names)):
        target = root / info.wnids[idx.labels[pos]] / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((val_flat / name).read_bytes())
    return root


def a_only_wnids(k: int) -> list[str]:
    from errorscope.datasets._index import class_info
    from errorscope.datasets import subset_class_ids

    wnids = class_info().wnids
    a, r = set(wnids[subset_class_ids("a")]), set(wnids[subset_class_ids("r")])
    return sorted(a - r)[:k]


@pytest.fixture(scope="session")
def imagenet_a(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("imagenet_a")
    rng = np.random.default_rng(1)
    for w in a_only_wnids(3):
        for j in range(4):
            _save(root / w / f"0.{j}{w[-3:]}.jpg", rng)
    return root


@pytest.fixture(scope="session")
def imagenetx_train(tmp_path_factory) -> tuple[Path, list[str]]:
    """A train folder with 8 ImageNet-X annotated images and 3 other training images (ignored)."""
    from errorscope.datasets._index import imagenetx_train_index

    root = tmp_path_factory.mktemp("train")
    rng = np.random.default_rng(2)
    idx = imagenetx_train_index()
    names = [str(n) for n in idx.file_names[::1400][:8]]
    for n in names:
        _save(root / n.split("_")[0] / n, rng)
    for n in ("n01440764_999999.JPEG", "n01443537_999998.JPEG", "n01443537_999997.JPEG"):
        _save(root / n.split("_")[0] / n, rng)
    return root, names


@pytest.fixture
def tiny_net():
    from ._inference_helpers import TinyNet

    return TinyNet()


@pytest.fixture
def small_prep():
    from errorscope.inference.preprocessing import Preprocessing

    return Preprocessing(input_size=(3, 32, 32), crop_pct=0.875, interpolation="bilinear")
