"""PyTorch datasets of the ImageNet-X annotated images (``pip install 'errorscope[torch]'``).

:class:`ImageNetXImageFolder` reads ImageNet images in class folders (``root/<wnid>/<file>``),
:class:`ImageNetX` a torchvision ``ImageNet`` root (``root/meta.bin`` + ``root/val/<wnid>/...``). Both keep
only the images annotated by ImageNet-X and return ``(image, target, factors)``: the target is the 1,000-class
id of the image's wnid folder and ``factors`` a bool vector of the 16 ImageNet-X factors (in
:data:`errorscope.constants.FACTORS` order; ``which_factor="top"`` has one True, ``"multi"`` one or more).

They are drop-in replacements of ``imagenet_x.evaluate.ImageNetX`` / ``ImageNetXImageFolder`` that work on
current NumPy (no ``np.bool``) and torchvision, and name the missing folder or file when the data is not there.
The ImageNet-X annotations are CC BY-NC 4.0 (Idrissi et al., ICLR 2023).

:class:`ImageNetXMetric` is the analysis as a training-loop metric in the torchmetrics style (``update`` with
logits or class ids and the images' file names or positions, ``compute``, ``reset``; distributed sync when
torchmetrics is installed): ``compute()`` returns the same summary and factor tables as
:func:`errorscope.results.analyze`.

torch and torchvision are imported when a class is first used, never when ``errorscope`` is imported.
"""

from __future__ import annotations

__all__ = ["ImageNetX", "ImageNetXImageFolder", "ImageNetXMetric"]


def __getattr__(name: str):
    if name == "ImageNetXMetric":
        from ._metric import metric_class

        return metric_class()
    if name in __all__:
        from ._datasets import dataset_classes

        return dataset_classes()[name]
    raise AttributeError(f"module 'errorscope.torch' has no attribute {name!r}")
