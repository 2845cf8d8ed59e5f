"""NumPy prediction files.

* ``.npz`` archives with ``top1`` (n,), optionally ``top5``/``topk`` (n, k) and ``prob``/``probs`` (n,) (or
  ``probs`` (n, k), the probabilities of the top-k classes, as ``errorscope predict`` writes them), and
  optionally ``file_names`` (n,) naming each row (any order, any subset) and ``model`` (a string). Without
  ``file_names`` the rows are the canonical validation order. An archive may instead hold ``logits``,
  ``probs`` or ``scores`` of shape (50000, 1000).
* ``.npy`` arrays of logits or probabilities of shape (50000, 1000), rows in canonical order.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ..constants import N_CLASSES
from ..exceptions import IngestError
from ..datasets._index import ImageIndex
from ..predictions import Predictions
from ._common import align_rows, check_kind, positional, scores

SCORE_KEYS = ("logits", "scores", "probs")
TOPK_KEYS = ("topk", "top5")
PROB_KEYS = ("prob", "probs")
NPZ_HINT = ("save np.savez(path, top1=..., [top5=...], [prob=...], [file_names=...]) or "
            "np.savez(path, logits=array (50000, 1000)).")


def read_npy(path: Path, model: str | None, index: ImageIndex) -> Predictions:
    """Read logits or probabilities of shape (n_images, 1000) from a ``.npy`` file."""
    check_kind(path, "npy")
    arr = _load(path, lambda: np.load(path, mmap_mode="r", allow_pickle=False))
    try:
        arr = np.asarray(arr)
    except (ValueError, OSError) as exc:
        raise _corrupt(path, exc) from None
    return scores(path, model or path.stem, index, arr, column="array")


def read_npz(path: Path, model: str | None, index: ImageIndex) -> Predictions:
    """Read a ``.npz`` archive of top-1 / top-k / probabilities, or of a (n_images, 1000) score matrix."""
    check_kind(path, "npz")
    with _load(path, lambda: np.load(path, allow_pickle=False)) as archive:
        keys = set(archive.files)
        arrays = {k: _member(path, archive, k) for k in keys}
    name = model or _model_name(path, arrays) or path.stem
    if "top1" in arrays and "probs" in arrays and arrays["probs"].ndim == 2 and arrays["probs"].shape[1] != N_CLASSES:
        # probabilities of the top-k classes (as `errorscope predict` writes them): keep the top-1's
        arrays["probs"] = arrays["probs"][:, 0]
    score_key = next((k for k in SCORE_KEYS if k in arrays and arrays[k].ndim == 2), None)
    if "top1" not in arrays and score_key is None:
        raise IngestError(path, f"expected an array 'top1' (or 'logits'/'probs' of shape ({len(index)}, "
                          f"{N_CLASSES})), but the archive holds {sorted(keys) or 'nothing'}.", fix=NPZ_HINT)
    if "top1" not in arrays:
        if "file_names" in arrays:
            raise IngestError(path, f"'file_names' cannot be combined with a score matrix {score_key!r}.",
                              column="file_names", fix="store the scores of every image in canonical order.")
        return scores(path, name, index, arrays[score_key], column=score_key)
    topk_key = next((k for k in TOPK_KEYS if k in arrays), None)
    prob_key = next((k for k in PROB_KEYS if k in arrays and arrays[k].ndim == 1), None)
    top1, topk = arrays["top1"], arrays.get(topk_key) if topk_key else None
    prob = arrays[prob_key] if prob_key else None
    n = len(top1) if top1.ndim == 1 else None
    for key, arr, ndim in (("top1", top1, 1), (topk_key, topk, 2), (prob_key, prob, 1)):
        if arr is not None and (arr.ndim != ndim or len(arr) != n):
            want = "(n,)" if ndim == 1 else "(n, k)"
            raise IngestError(path, f"expected {key!r} of shape {want} with n = {n if n is not None else 'rows'} "
                              f"like 'top1', but got shape {arr.shape}.", column=key, fix=NPZ_HINT)
    if "file_names" not in arrays:
        return positional(path, name, index, top1, prob=prob, topk=topk, what="array")
    names = arrays["file_names"]
    if names.shape != (n,):
        raise IngestError(path, f"expected 'file_names' of shape ({n},) like 'top1', but got {names.shape}.",
                          column="file_names", fix="store one file name per row.")
    if names.dtype.kind not in "US":
        raise IngestError(path, f"expected 'file_names' to be strings, but got dtype {names.dtype}.",
                          column="file_names", fix="store np.array(names, dtype=str).")
    if names.dtype.kind == "S":
        names = np.char.decode(names, "utf-8")
    return align_rows(path, name, index, names.astype(object), top1, prob=prob, topk=topk, row_offset=1,
                      name_column="file_names", class_column="top1", prob_column=prob_key or "prob",
                      topk_column=topk_key or "topk")


def _model_name(path: Path, arrays: dict) -> str | None:
    if "model" not in arrays:
        return None
    value = arrays["model"]
    if value.ndim != 0 or value.dtype.kind not in "US" or not str(value).strip():
        raise IngestError(path, f"expected 'model' to be a non-empty string, but got {value!r}.", column="model",
                          fix="store model=np.array('name').")
    return str(value).strip()


def _load(path: Path, loader):
    try:
        return loader()
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        if "allow_pickle" in str(exc) or "Python objects" in str(exc):
            raise _objects(path, None) from None
        raise _corrupt(path, exc) from None


def _objects(path: Path, key: str | None) -> IngestError:
    what = f"the array {key!r}" if key else "the array"
    return IngestError(path, f"{what} holds Python objects, which are not read (a pickle can run code).",
                       column=key, fix="store numbers as a numeric array and strings as np.array(names, dtype=str).")


def _member(path: Path, archive, key: str) -> np.ndarray:
    try:
        return archive[key]
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise _objects(path, key) from None
        raise _corrupt(path, exc, key) from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise _corrupt(path, exc, key) from None


def _corrupt(path: Path, exc: Exception, key: str | None = None) -> IngestError:
    return IngestError(path, f"cannot read the NumPy data ({type(exc).__name__}: {exc}); the file is truncated or "
                       "corrupt.", column=key, fix="re-export or re-download the file.")
