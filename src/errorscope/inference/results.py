"""Read the prediction files written by :func:`~errorscope.inference.predict` back as Predictions.

File format (``OUT/<stem>.npz``, ``numpy.savez``; every array is plain, no pickle needed):

``file_names`` (n,) str, ``top1`` (n,) int16, ``top5`` (n, k) int16 (best first), ``probs`` (n, k) float32
(softmax probabilities of ``top5``), ``labels`` (n,) int16 (original label, -1 unknown); optional
``top1_subset`` (n,) int16 (ImageNet-A/-R: best of the 200 subset classes, as a 1,000-class id) and
``logits`` (n, 1000) float32 (``keep_logits``). The sidecar ``OUT/<stem>.json`` holds the metadata.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..exceptions import IngestError
from ..datasets._index import ImageIndex, imagenetx_train_index, val_index
from ..predictions import Predictions

__all__ = ["load_prediction_file", "read_metadata", "index_for"]

REQUIRED = ("file_names", "top1", "top5", "probs")


def read_metadata(path: str | Path) -> dict:
    """The JSON record next to a prediction file (``x.npz`` -> ``x.json``), or of ``path`` itself if JSON."""
    path = Path(path)
    meta = path if path.suffix == ".json" else path.with_suffix(".json")
    if not meta.is_file():
        raise IngestError(meta, "no metadata record next to the prediction file.",
                          fix="rerun `errorscope predict` into the same --out folder; it writes <stem>.json.")
    return json.loads(meta.read_text(encoding="utf-8"))


def index_for(name: str, file_names: np.ndarray, labels: np.ndarray) -> ImageIndex:
    """The image index a prediction file refers to: the canonical val / ImageNet-X train index, or one built
    from the file's own names and labels (ImageNet-A/-R and other class folders)."""
    if name == "imagenet-val":
        return val_index()
    if name == "imagenetx-train":
        return imagenetx_train_index()
    return ImageIndex(name, np.asarray(file_names, dtype=object), np.asarray(labels, dtype=np.int16))


def load_prediction_file(path: str | Path, *, model: str | None = None, index: ImageIndex | None = None,
                         subset: bool = False) -> Predictions:
    """Read one ``errorscope predict`` NPZ into :class:`~errorscope.predictions.Predictions`.

    Parameters
    ----------
    path : the ``.npz`` file.
    model : the model name; default: the name in the metadata record, else the file stem.
    index : the index to align to; default: the one named in the metadata record (validation images when there
        is no record).
    subset : use the 200-way ``top1_subset`` (ImageNet-A/-R) as top-1 instead of the 1,000-way top-1.
    """
    path = Path(path)
    if not path.is_file():
        raise IngestError(path, "no such file.", fix="check the path.")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError) as exc:
        raise IngestError(path, f"not a readable NPZ file ({exc}).") from exc
    missing = [k for k in REQUIRED if k not in arrays]
    if missing:
        raise IngestError(path, f"missing arrays {missing}; found {sorted(arrays)}.",
                          fix="write the file with `errorscope predict`, which stores " + ", ".join(REQUIRED) + ".")
    try:
        meta = read_metadata(path)
    except IngestError:
        meta = {}
    names = arrays["file_names"].astype(str)
    labels = arrays.get("labels", np.full(len(names), -1, np.int16))
    if index is None:
        index = index_for(meta.get("images", {}).get("index", "imagenet-val"), names, labels)
    pos = index.positions(names)
    if (pos < 0).any():
        bad = names[int(np.argmax(pos < 0))]
        raise IngestError(path, f"file name {bad!r} is not in the {index.name} index.", column="file_names",
                          row=int(np.argmax(pos < 0)) + 1)
    name = model or meta.get("model") or path.stem
    if not subset:
        from ..readers import read_predictions

        return read_predictions(path, model=name, index=index)
    if "top1_subset" not in arrays:
        raise IngestError(path, "no `top1_subset` array (only ImageNet-A/-R runs have one).")
    top1 = np.full(len(index), -1, np.int16)
    top1[pos] = arrays["top1_subset"]
    return Predictions.from_arrays(name, top1, index=index, source=str(path))
