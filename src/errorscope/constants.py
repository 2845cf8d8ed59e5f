"""Constants shared by every module: the ImageNet-X factors and metaclasses, in the package's orders."""

from __future__ import annotations

from typing import Literal

#: The 16 ImageNet-X factors of variation; this order fixes every table's column order.
FACTORS: list[str] = [
    "pose", "background", "pattern", "color", "smaller", "shape", "partial_view", "subcategory",
    "texture", "larger", "darker", "object_blocking", "person_blocking", "style", "brighter",
    "multiple_objects",
]

#: The 17 metaclasses of the ImageNet-X tables (16 named ones and ``other``); this order fixes row order.
METACLASSES: list[str] = [
    "device", "dog", "commodity", "bird", "structure", "covering", "wheeled_vehicle", "food", "equipment",
    "insect", "vehicle", "furniture", "primate", "vessel", "snake", "natural_object", "other",
]

N_CLASSES = 1000
N_VAL = 50_000

ErrorType = Literal["class", "metaclass", "real_class"]
WhichFactor = Literal["top", "multi"]
Partition = Literal["val", "train"]
ERROR_TYPES: tuple[str, ...] = ("class", "metaclass", "real_class")
WHICH_FACTORS: tuple[str, ...] = ("top", "multi")
