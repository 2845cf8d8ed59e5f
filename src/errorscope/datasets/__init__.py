"""The image sets errorscope scores: the ImageNet validation index, its classes, the ReaL labels, ImageNet-A, the known
label errors (cleanlab's MTurk study, ReaL rejections) and class names that tell duplicates apart.

``val_index()`` is the canonical order of the 50,000 validation images (every prediction is aligned to it by file
name); ``class_info()`` holds the 1,000 classes with wnids, names and the ImageNet-X metaclasses;
``real_label_sets()`` the ReaL labels of Beyer et al. (2020); ``imagenet_a_index()`` the ImageNet-A images.
"""

from ._imagenet_a import imagenet_a_classes, imagenet_a_index, subset_class_ids
from ._index import (
    IMAGENET_A_INDEX,
    IMAGENETX_TRAIN_INDEX,
    VAL_INDEX,
    ClassInfo,
    ImageIndex,
    class_info,
    imagenetx_train_index,
    val_file_name,
    val_index,
)
from ._label_errors import LabelErrors, cleanlab_label_errors, real_rejects_label
from ._names import distinct_class_names
from ._real import real_label_sets

__all__ = [
    "ImageIndex", "val_index", "imagenetx_train_index", "val_file_name", "VAL_INDEX", "IMAGENETX_TRAIN_INDEX",
    "IMAGENET_A_INDEX", "ClassInfo", "class_info", "real_label_sets", "subset_class_ids", "imagenet_a_classes",
    "imagenet_a_index", "LabelErrors", "cleanlab_label_errors", "real_rejects_label", "distinct_class_names",
]
