"""Evaluation preprocessing of a model: resize, center crop, normalise.

:class:`Preprocessing` holds the few numbers that define the standard ImageNet evaluation transform (timm's
data config: input size, crop fraction, crop mode, interpolation, mean and std; torchvision's
``ImageClassification`` weight transforms reduce to the same numbers). :meth:`Preprocessing.transform` builds
the transform with torchvision; for timm models it equals ``timm.data.create_transform(**resolve_data_config(
{}, model=model))`` (tested on several models).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from .._optional import require
from ..exceptions import InvalidInputError

__all__ = ["Preprocessing", "IMAGENET_MEAN", "IMAGENET_STD", "from_timm_config", "from_torchvision_weights"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CROP_MODES = ("center", "squash", "border")
INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "box", "hamming", "lanczos")


@dataclass(frozen=True)
class Preprocessing:
    """The evaluation transform of one model.

    Attributes
    ----------
    input_size : (channels, height, width) the model takes.
    crop_pct : fraction of the resized image that the center crop keeps.
    crop_mode : ``"center"`` (resize the short side to size / crop_pct, then center crop), ``"squash"`` (resize
        both sides to size / crop_pct, ignoring the aspect ratio, then center crop) or ``"border"`` (resize the
        long side, pad with the mean colour, then crop), as in timm.
    interpolation : resampling filter name (``"bilinear"``, ``"bicubic"``, ...).
    mean, std : per-channel normalisation of the [0, 1] image.
    resize_size : the resize target in pixels; by default ``floor(size / crop_pct)`` per side as in timm.
        torchvision weights state it directly (e.g. 232 for a 224 crop).
    data_config : where the numbers come from, recorded in every prediction's metadata: ``"timm-test"``
        (timm's evaluation config, ``use_test_size=True``, as timm's ``validate.py``), ``"timm-train"`` (the
        train-size config), ``"torchvision-weights"``, or ``"default"`` (given / errorscope's default).
    """

    input_size: tuple[int, int, int] = (3, 224, 224)
    crop_pct: float = 0.875
    crop_mode: str = "center"
    interpolation: str = "bilinear"
    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD
    resize_size: tuple[int, int] | None = field(default=None)
    data_config: str = "default"

    def __post_init__(self) -> None:
        size = tuple(int(s) for s in self.input_size)
        if len(size) != 3 or min(size) < 1:
            raise InvalidInputError(f"Expected `input_size` to be (channels, height, width), but got {self.input_size!r}.")
        object.__setattr__(self, "input_size", size)
        if not 0 < float(self.crop_pct) <= 1.0 + 1e-9:
            raise InvalidInputError(f"Expected `crop_pct` in (0, 1], but got {self.crop_pct!r}.")
        if self.crop_mode not in CROP_MODES:
            raise InvalidInputError(f"Expected `crop_mode` to be one of {CROP_MODES}, but got {self.crop_mode!r}.")
        if self.interpolation not in INTERPOLATIONS:
            raise InvalidInputError(
                f"Expected `interpolation` to be one of {INTERPOLATIONS}, but got {self.interpolation!r}.")
        if len(self.mean) != size[0] or len(self.std) != size[0]:
            raise InvalidInputError(
                f"Expected `mean` and `std` to have {size[0]} values (one per channel), "
                f"but got {len(self.mean)} and {len(self.std)}.")
        object.__setattr__(self, "mean", tuple(float(m) for m in self.mean))
        object.__setattr__(self, "std", tuple(float(s) for s in self.std))
        object.__setattr__(self, "crop_pct", float(self.crop_pct))
        if self.resize_size is None:
            object.__setattr__(self, "resize_size", (math.floor(size[1] / self.crop_pct),
                                                     math.floor(size[2] / self.crop_pct)))
        else:
            object.__setattr__(self, "resize_size", tuple(int(s) for s in self.resize_size))

    @property
    def crop_size(self) -> tuple[int, int]:
        return self.input_size[1], self.input_size[2]

    def to_dict(self) -> dict:
        """A JSON-ready dict (lists instead of tuples)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> "Preprocessing":
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})

    def transform(self):
        """The torchvision transform: PIL image -> normalised float tensor of shape ``input_size``."""
        T = require("torchvision.transforms", extra="torch", feature="Image preprocessing")
        interp = T.InterpolationMode(self.interpolation)
        steps: list = []
        h, w = self.crop_size
        rh, rw = self.resize_size
        if self.crop_mode == "squash":
            steps += [T.Resize((rh, rw), interpolation=interp), T.CenterCrop((h, w))]
        elif self.crop_mode == "border" or rh != rw:
            tt = require("timm.data.transforms", extra="torch", feature="Border / non-square crops")
            if self.crop_mode == "border":
                fill = [round(255 * v) for v in self.mean]
                steps += [tt.ResizeKeepRatio((rh, rw), interpolation=self.interpolation, longest=1.0),
                          tt.CenterCropOrPad((h, w), fill=fill)]
            else:
                steps += [tt.ResizeKeepRatio((rh, rw), interpolation=self.interpolation), T.CenterCrop((h, w))]
        else:
            steps += [T.Resize(rh, interpolation=interp), T.CenterCrop((h, w))]
        steps += [T.ToTensor(), T.Normalize(mean=self.mean, std=self.std)]
        return T.Compose(steps)


def from_timm_config(config: dict, *, data_config: str = "timm-test") -> Preprocessing:
    """Preprocessing from a timm data config.

    Parameters
    ----------
    config : ``timm.data.resolve_data_config({}, model=model, use_test_size=...)``.
    data_config : the name recorded (``"timm-test"`` or ``"timm-train"``).

    Returns
    -------
    Preprocessing
    """
    return Preprocessing(
        data_config=data_config,
        input_size=tuple(config["input_size"]),
        crop_pct=float(config.get("crop_pct") or 0.875),
        crop_mode=config.get("crop_mode") or "center",
        interpolation=config.get("interpolation") or "bilinear",
        mean=tuple(config["mean"]),
        std=tuple(config["std"]),
    )


def from_torchvision_weights(weights) -> Preprocessing:
    """Preprocessing of a torchvision weights enum entry (its ``transforms()`` numbers; nothing is downloaded)."""
    tf = weights.transforms()
    crop = int(tf.crop_size[0])
    resize = int(tf.resize_size[0])
    return Preprocessing(
        data_config="torchvision-weights",
        input_size=(3, crop, crop),
        crop_pct=crop / resize,
        crop_mode="center",
        interpolation=tf.interpolation.value,
        mean=tuple(tf.mean),
        std=tuple(tf.std),
        resize_size=(resize, resize),
    )
