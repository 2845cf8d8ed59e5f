"""errorscope's preprocessing equals timm's resolve_data_config + create_transform, and torchvision's weights
transforms, pixel for pixel."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the torch extra is not installed")
timm = pytest.importorskip("timm", reason="the torch extra is not installed")
tv = pytest.importorskip("torchvision", reason="the torch extra is not installed")
from PIL import Image  # noqa: E402

from errorscope.exceptions import InvalidInputError  # noqa: E402
from errorscope.inference.models import ModelSpec, load_model  # noqa: E402
from errorscope.inference.preprocessing import Preprocessing, from_timm_config  # noqa: E402


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    shapes = [(300, 200), (200, 300), (257, 257), (90, 120), (480, 640)]
    return [Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)) for h, w in shapes]


@pytest.mark.parametrize("arch", ["test_resnet", "test_vit", "resnet10t", "test_efficientnet"])
def test_timm_model_preprocessing_matches_timm(arch, images):
    loaded = load_model(ModelSpec(f"timm:{arch}", "timm", arch, pretrained=False))
    model = timm.create_model(arch, pretrained=False)
    config = timm.data.resolve_data_config({}, model=model, use_test_size=True)  # timm validate.py's default
    assert loaded.preprocessing == from_timm_config(config)
    ours, theirs = loaded.preprocessing.transform(), timm.data.create_transform(**config)
    for img in images:
        torch.testing.assert_close(ours(img), theirs(img), rtol=0, atol=0)


@pytest.mark.parametrize("config", [
    {"input_size": (3, 224, 224), "crop_pct": 1.0, "crop_mode": "squash", "interpolation": "bicubic"},
    {"input_size": (3, 192, 192), "crop_pct": 0.9, "crop_mode": "border", "interpolation": "bilinear"},
    {"input_size": (3, 160, 224), "crop_pct": 0.875, "crop_mode": "center", "interpolation": "bicubic"},
    {"input_size": (3, 64, 64), "crop_pct": 0.95, "crop_mode": "center", "interpolation": "nearest"},
], ids=["squash", "border", "non-square", "nearest"])
def test_timm_configs_match_timm(config, images):
    config = {**config, "mean": (0.5, 0.4, 0.3), "std": (0.2, 0.25, 0.3)}
    ours, theirs = from_timm_config(config).transform(), timm.data.create_transform(**config)
    for img in images:
        a, b = ours(img), theirs(img)
        assert a.shape == (3, *config["input_size"][1:])
        torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.parametrize("arch", ["mobilenet_v3_small", "resnet50", "efficientnet_b0"])
def test_torchvision_preprocessing_matches_weight_transforms(arch, images):
    weights = tv.models.get_model_weights(arch).DEFAULT
    prep = load_model(ModelSpec(f"torchvision:{arch}", "torchvision", arch, pretrained=False)).preprocessing
    tf = weights.transforms()
    assert prep.resize_size == (tf.resize_size[0],) * 2 and prep.crop_size == (tf.crop_size[0],) * 2
    ours = prep.transform()
    for img in images:
        torch.testing.assert_close(ours(img), tf(img), rtol=0, atol=2e-6)


def test_resnet50_v2_weights_resize_232():
    prep = load_model(ModelSpec("torchvision:resnet50", "torchvision", "resnet50", pretrained=False)).preprocessing
    assert prep.resize_size == (232, 232) and prep.input_size == (3, 224, 224)


def test_invalid_preprocessing_is_rejected():
    with pytest.raises(InvalidInputError, match="crop_mode"):
        Preprocessing(crop_mode="zoom")
    with pytest.raises(InvalidInputError, match="crop_pct"):
        Preprocessing(crop_pct=1.5)
    with pytest.raises(InvalidInputError, match="3 values"):
        Preprocessing(mean=(0.5, 0.5))


def test_round_trip_through_dict():
    prep = Preprocessing(input_size=(3, 160, 200), crop_pct=0.95, interpolation="bicubic")
    assert Preprocessing.from_dict(prep.to_dict()) == prep


@pytest.fixture()
def test_size_timm(monkeypatch):
    """timm's tiny ``test_resnet`` (random weights) with a pretrained_cfg that has a distinct test size."""
    real = timm.create_model
    overlay = {"input_size": (3, 160, 160), "crop_pct": 0.875, "test_input_size": (3, 192, 192),
               "test_crop_pct": 1.0, "interpolation": "bicubic"}

    def create(name, pretrained=False, **kw):
        return real(name, pretrained=pretrained, pretrained_cfg_overlay=overlay, **kw)

    monkeypatch.setattr(timm, "create_model", create)
    return real, overlay


def test_timm_eval_size_test_by_default_as_timm_validate(test_size_timm, images):
    from errorscope.inference.models import spec_from_name

    real, overlay = test_size_timm
    model = real("test_resnet", pretrained=False, pretrained_cfg_overlay=overlay)
    loaded = load_model(spec_from_name("timm:test_resnet", pretrained=False))
    p = loaded.preprocessing
    assert p.input_size == (3, 192, 192) and p.crop_pct == 1.0 and p.data_config == "timm-test"
    assert p.resize_size == (192, 192)
    # what timm's validate.py builds by default (use_test_size=not args.use_train_size)
    config = timm.data.resolve_data_config({}, model=model, use_test_size=True)
    theirs = timm.data.create_transform(**config)
    for img in images:
        torch.testing.assert_close(p.transform()(img), theirs(img), rtol=0, atol=0)
    train = load_model(spec_from_name("timm:test_resnet", pretrained=False, eval_size="train")).preprocessing
    assert train.input_size == (3, 160, 160) and train.crop_pct == 0.875 and train.data_config == "timm-train"
    assert train.resize_size == (182, 182)  # floor(160 / 0.875)
    theirs = timm.data.create_transform(**timm.data.resolve_data_config({}, model=model))
    for img in images:
        torch.testing.assert_close(train.transform()(img), theirs(img), rtol=0, atol=0)
    with pytest.raises(InvalidInputError, match="eval_size"):
        spec_from_name("timm:test_resnet", eval_size="huge")
