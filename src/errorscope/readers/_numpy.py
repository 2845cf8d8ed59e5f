"""NumPy prediction files.

* ``.npz`` archives with ``top1`` (n,), optionally ``top5``/``topk`` (n, k) and ``prob``/``probs`` (n,) (or
  ``probs`` (n, k), the probabilities of the top-k classes, as ``errorscope predict`` writes them), and
  optionally ``file_names`` (n,) naming each row (any order, any subset) and ``model`` (a string). Without
  ``file_names`` the rows are the canonical validation order. An archive may instead hold ``logits``,
  ``probs`` or ``scores`` of shape (50000, 1000).
* ``.npy`` arrays of logits or probabilities of shape (50000, 1000), rows in canonical order.
"""

from __future__ import annotations

import lzma
import math
import zipfile
import zlib
from collections import Counter
from pathlib import Path

import numpy as np

from ..constants import N_CLASSES
from ..datasets._index import ImageIndex
from ..exceptions import IngestError
from ..predictions import Predictions
from ._common import (
    MAX_EXPANSION,
    MIN_EXPANSION_CHECK,
    align_rows,
    check_kind,
    describe,
    model_name,
    positional,
    scores,
)

SCORE_KEYS = ("logits", "scores", "probs")
TOPK_KEYS = ("topk", "top5")
PROB_KEYS = ("prob", "probs")
NPZ_HINT = ("save np.savez(path, top1=..., [top5=...], [prob=...], [file_names=...]) or "
            "np.savez(path, logits=array (50000, 1000)).")


#: The members an archive may hold that are read; any other member is listed but never decompressed.
KNOWN_KEYS = ("top1", *TOPK_KEYS, *PROB_KEYS, *SCORE_KEYS, "file_names", "model")
#: Element kinds a prediction array may have: numbers (booleans are refused by the value checks), text.
_KINDS = "biufUS"
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate", zipfile.ZIP_BZIP2: "bzip2",
            zipfile.ZIP_LZMA: "lzma"}


def read_npy(path: Path, model: str | None, index: ImageIndex) -> Predictions:
    """Read logits or probabilities of shape (n_images, 1000) from a ``.npy`` file.

    The header is checked (dtype, shape, declared size against the file size) before the data are mapped.
    """
    check_kind(path, "npy")
    size = path.stat().st_size
    with open(path, "rb") as fh:
        dtype, shape, order = _header(path, fh, None)
        offset = fh.tell()
    _check_size(path, None, dtype, shape, size - offset)
    if 0 in shape:
        arr = np.empty(shape, dtype)
    else:
        try:
            arr = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape, order=order)
        except (ValueError, OSError) as exc:
            raise _corrupt(path, exc) from None
    return scores(path, model or path.stem, index, np.asarray(arr), column="array")


def read_npz(path: Path, model: str | None, index: ImageIndex) -> Predictions:
    """Read a ``.npz`` archive of top-1 / top-k / probabilities, or of a (n_images, 1000) score matrix.

    Members are read in sorted order, only those named in ``KNOWN_KEYS``; each member's header and declared
    size are checked, and its expansion ratio limited, before it is decompressed.
    """
    check_kind(path, "npz")
    arrays: dict[str, np.ndarray] = {}
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise _corrupt(path, exc) from None
    with archive:
        infos = sorted(archive.infolist(), key=lambda i: i.filename)
        keys = []
        for info in infos:
            if info.is_dir():
                continue
            if not info.filename.endswith(".npy"):
                raise IngestError(path, f"the archive member {info.filename[:100]!r} is not a NumPy .npy array.",
                                  column=info.filename[:100], fix=NPZ_HINT)
            keys.append(info.filename[:-4])
            _check_ratio(path, info)
        dup = sorted(k for k, n in Counter(keys).items() if n > 1)
        if dup:
            raise IngestError(path, f"the archive holds member {dup[0][:100]!r} more than once.", column=dup[0][:100],
                              fix=NPZ_HINT)
        for info in infos:
            key = info.filename[:-4]
            if key in KNOWN_KEYS:
                arrays[key] = _member(path, archive, info, key)
    name = model or _model_name(path, arrays) or path.stem
    if "top1" in arrays and "probs" in arrays and arrays["probs"].ndim == 2 and arrays["probs"].shape[1] != N_CLASSES:
        # probabilities of the top-k classes (as `errorscope predict` writes them): keep the top-1's
        arrays["probs"] = arrays["probs"][:, 0]
    score_key = next((k for k in SCORE_KEYS if k in arrays and arrays[k].ndim == 2), None)
    if "top1" not in arrays and score_key is None:
        shown = [k[:40] for k in keys[:20]]
        raise IngestError(path, f"expected an array 'top1' (or 'logits'/'probs' of shape ({len(index)}, "
                          f"{N_CLASSES})), but the archive holds {shown or 'nothing'}.", fix=NPZ_HINT)
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
        names = _decode_names(path, names)
    return align_rows(path, name, index, names.astype(object), top1, prob=prob, topk=topk, row_offset=1,
                      name_column="file_names", class_column="top1", prob_column=prob_key or "prob",
                      topk_column=topk_key or "topk")


def _decode_names(path: Path, names: np.ndarray) -> np.ndarray:
    out = np.empty(len(names), dtype=object)
    for i, raw in enumerate(names.tolist()):
        try:
            out[i] = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise IngestError(path, f"the file name {raw[:60]!r} is not valid UTF-8.", row=i + 1, column="file_names",
                              fix="store the names as np.array(names, dtype=str).") from None
    return out


def _model_name(path: Path, arrays: dict) -> str | None:
    if "model" not in arrays:
        return None
    value = arrays["model"]
    if value.ndim != 0 or value.dtype.kind not in "US":
        raise IngestError(path, f"expected 'model' to be a non-empty string, but got an array of dtype {value.dtype} and "
                          f"shape {value.shape}.", column="model", fix="store model=np.array('name').")
    return model_name(path, value.item(), column="model")


def _header(path: Path, fh, key: str | None) -> tuple[np.dtype, tuple[int, ...], str]:
    """Read and check an NPY header: a plain numeric or text dtype, a shape of non-negative ints."""
    from numpy.lib import format as npformat

    try:
        version = npformat.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = npformat.read_array_header_1_0(fh)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = npformat.read_array_header_2_0(fh)
        else:
            raise ValueError(f"unsupported NPY format version {version}")
    except (ValueError, OSError, EOFError, SyntaxError, TypeError, zipfile.BadZipFile, zlib.error,
            NotImplementedError, RuntimeError, KeyError) as exc:
        text = str(exc)
        if "max_header_size" in text or "allow_pickle" in text:
            raise IngestError(path, "the NPY header is larger than NumPy's limit of 10,000 bytes.", column=key,
                              fix="re-save the array with np.save.") from None
        raise _corrupt(path, exc, key) from None
    if dtype.hasobject:
        raise _objects(path, key)
    if dtype.names is not None or dtype.subdtype is not None or dtype.kind not in _KINDS:
        raise IngestError(path, f"the array has dtype {dtype} ({'records' if dtype.names else dtype.kind}); "
                          "expected plain numbers or text.", column=key,
                          fix="store class ids as integers, probabilities and scores as floats, names as str.")
    if not isinstance(shape, tuple) or any(not isinstance(d, int) or d < 0 for d in shape):
        raise IngestError(path, f"the NPY header declares the invalid shape {shape!r}.", column=key,
                          fix="re-export or re-download the file.")
    return dtype, shape, "F" if fortran else "C"


def _check_size(path: Path, key: str | None, dtype: np.dtype, shape: tuple[int, ...], available: int) -> int:
    """Raise unless the data the header declares fit in the bytes the file (or member) holds."""
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes != available:
        what = "file" if key is None else "archive member"
        raise IngestError(path, f"the header declares an array of shape {shape} and dtype {dtype} "
                          f"({nbytes:,} bytes), but the {what} holds {max(available, 0):,} bytes of data; the file "
                          "is truncated or corrupt.", column=key, fix="re-export or re-download the file.")
    return nbytes


def _member(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, key: str) -> np.ndarray:
    """One archive member as an array, refusing what cannot be (or should not be) decompressed."""
    if info.flag_bits & 0x1:
        raise IngestError(path, "the archive member is encrypted.", column=key,
                          fix="save the arrays with np.savez or np.savez_compressed (no password).")
    if info.compress_type not in _METHODS:
        raise IngestError(path, f"the archive member uses compression method {info.compress_type}, which is not "
                          f"read (supported: {', '.join(_METHODS.values())}).", column=key,
                          fix="save the arrays with np.savez or np.savez_compressed.")
    _check_ratio(path, info)
    try:
        with archive.open(info) as fh:
            dtype, shape, order = _header(path, fh, key)
            nbytes = _check_size(path, key, dtype, shape, info.file_size - fh.tell())
            data = fh.read(nbytes)
            if len(data) != nbytes or fh.read(1):
                raise zipfile.BadZipFile(f"member data ends after {len(data):,} of {nbytes:,} bytes")
    except IngestError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError,
            KeyError, lzma.LZMAError) as exc:
        raise _corrupt(path, exc, key) from None
    return np.frombuffer(data, dtype=dtype).reshape(shape, order=order)


def _check_ratio(path: Path, info: zipfile.ZipInfo) -> None:
    """Refuse a member that would expand more than ``MAX_EXPANSION`` times (from the archive's directory)."""
    if info.file_size > MIN_EXPANSION_CHECK and info.file_size > MAX_EXPANSION * max(info.compress_size, 1):
        raise IngestError(path, f"the archive member expands from {info.compress_size:,} to {info.file_size:,} "
                          f"bytes, more than {MAX_EXPANSION} times; this is refused as a decompression bomb.",
                          column=info.filename[:100],
                          fix="store real predictions (a member this compressible holds no information).")


def _objects(path: Path, key: str | None) -> IngestError:
    what = f"the array {key!r}" if key else "the array"
    return IngestError(path, f"{what} holds Python objects, which are not read (a pickle can run code).",
                       column=key, fix="store numbers as a numeric array and strings as np.array(names, dtype=str).")


def _corrupt(path: Path, exc: Exception, key: str | None = None) -> IngestError:
    return IngestError(path, f"cannot read the NumPy data ({describe(exc)}); the file is "
                       "truncated or corrupt.", column=key, fix="re-export or re-download the file.")
