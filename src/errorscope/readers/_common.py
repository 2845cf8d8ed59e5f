"""Shared checks of the readers: what a file holds (by its first bytes), and rows -> aligned arrays.

Every reader turns its rows into arrays (file names, class ids, probabilities, top-k) and hands them to
:func:`align_rows` (rows named by file) or :func:`positional` (rows in the index's own order). Both check
every value and raise one :class:`~errorscope.exceptions.IngestError` naming the file, the row or column,
what was expected and how to fix it.
"""

from __future__ import annotations

import errno
import os
import stat
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from ..constants import N_CLASSES
from ..datasets._index import ImageIndex
from ..exceptions import IngestError
from ..predictions import MISSING, Predictions, top_k_from_scores

#: What a file holds, told from its first bytes.
KIND_BY_MAGIC = (
    (b"\x93NUMPY", "npy"),
    (b"PK\x03\x04", "npz"),
    (b"PK\x05\x06", "npz"),  # empty zip archive
    (b"PAR1", "parquet"),
)

#: The file kinds and the extensions that announce them.
EXTENSIONS = {
    "csv": (".csv",),
    "pickle": (".pickle", ".pkl"),
    "npz": (".npz",),
    "npy": (".npy",),
    "parquet": (".parquet", ".pq"),
}

#: Limits checked before any work is done on a file (documented in docs/data-and-ingestion.md).
MAX_LINE_BYTES = 16 * 1024          # longest CSV line
MAX_FIELDS = 256                    # fields in a CSV line
MAX_CSV_BYTES = 1 << 30             # whole CSV file (1 GiB; the 50,000 validation rows take 2-5 MB)
MAX_MODEL_NAME = 256                # characters of a model name
MAX_EXPANSION = 100                 # decompressed / compressed size of an archive member ...
MIN_EXPANSION_CHECK = 16 << 20      # ... checked once a member decompresses to more than 16 MiB
MAX_PICKLE_DEPTH = 32               # nesting of containers in a pickle

FORMATS_HINT = "ImageNet-X CSV, headerless CSV file,top1[,target], .pickle {model, logits}, .npz, .npy, .parquet"


def describe(exc: BaseException) -> str:
    """An exception as one short line (``Type: message``) for an error message."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:200]


def check_regular(path: Path) -> os.stat_result:
    """Raise unless ``path`` is (or links to) a regular file; never opens it, so a FIFO cannot block.

    Returns the file's ``stat`` result.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise IngestError(path, f"is a broken symbolic link (to {os.readlink(path)!r}).",
                              fix="point the link at an existing prediction file, or remove it.") from None
        raise IngestError(path, "no such file.", fix="check the path.") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise IngestError(path, "is a symbolic link loop (the link points back to itself).",
                              fix="point the link at a real prediction file, or remove it.") from None
        raise IngestError(path, f"cannot be read ({exc.strerror or exc}).", fix="check the path and its permissions.") from None
    if stat.S_ISDIR(st.st_mode):
        raise IngestError(path, "is a directory, expected one prediction file.",
                          fix="use read_population() (or pass the directory to a command that takes a population).")
    if not stat.S_ISREG(st.st_mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a regular file")
        raise IngestError(path, f"is {kind}, expected a regular prediction file.",
                          fix="copy the predictions into a regular file first.")
    return st


def model_name(path: Path, value, *, column: str = "model") -> str:
    """Check a model name read from a file (or its stem): a non-empty string of at most ``MAX_MODEL_NAME``
    characters, without control characters; return it stripped."""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise IngestError(path, "the model name is not valid UTF-8.", column=column,
                              fix="store the model's name as a text string.") from None
    if not isinstance(value, str) or not value.strip():
        shown = type(value).__name__ if not isinstance(value, (str, int, float)) else repr(value)[:80]
        raise IngestError(path, f"expected the model name to be a non-empty string, but got {shown}.",
                          column=column, fix="store the model's name as a short text string.")
    value = value.strip()
    if len(value) > MAX_MODEL_NAME:
        raise IngestError(path, f"the model name is {len(value):,} characters long; at most {MAX_MODEL_NAME} are "
                          "accepted.", column=column, fix="store a short model name (or pass model=... to the reader).")
    bad = next((c for c in value if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")), None)
    if bad is not None:
        raise IngestError(path, f"the model name {value[:40]!r} holds the control character {bad!r}.", column=column,
                          fix="store a model name of printable characters.")
    return value


def sniff(path: Path) -> str:
    """The kind of file ``path`` holds: ``npy``, ``npz``, ``parquet``, ``pickle``, ``text``, ``binary`` or ``empty``.

    Pickles are recognised by their protocol header (protocol 2 or later, which every Python 3 pickle uses).
    ``path`` must be a regular file (anything else raises :class:`IngestError`, a FIFO is never opened).
    """
    check_regular(path)
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head:
        return "empty"
    for magic, kind in KIND_BY_MAGIC:
        if head.startswith(magic):
            return kind
    if head[0] == 0x80 and len(head) > 1 and 2 <= head[1] <= 5:
        return "pickle"
    if b"\x00" in head:
        return "binary"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut by the 4096-byte window is still text
        if exc.start < len(head) - 4:
            return "binary"
    return "text"


def check_kind(path: Path, expected: str) -> None:
    """Raise if the content of ``path`` is not of the kind its extension announces."""
    actual = sniff(path)
    if actual == "empty":
        raise IngestError(path, "the file is empty (0 bytes).",
                          fix="re-export the predictions; an interrupted copy or download leaves empty files.")
    wanted = "text" if expected == "csv" else expected
    if actual == wanted:
        return
    what = {"text": "text (CSV)", "binary": "an unknown binary format"}.get(actual, f"a {actual} file")
    fix = ("a torch.save() file is a zip archive too: save {'model': name, 'logits': logits.numpy()} with "
           "pickle.dump, or rename the file to '.npz' if it is a NumPy archive." if (expected, actual) == ("pickle", "npz")
           else f"rename it to {EXTENSIONS[actual][0]!r}." if actual in EXTENSIONS
           else "rename it to .csv." if actual == "text"
           else f"pass a file in one of the supported formats ({FORMATS_HINT}).")
    raise IngestError(path, f"the extension {path.suffix!r} announces a {expected} file, but the content is {what}.",
                      fix=fix)


def class_ids(path: Path, values, *, column: str, row_offset: int, rows=None) -> np.ndarray:
    """Check that ``values`` (any array-like, possibly strings) are integer class ids in 0..999; return int16.

    ``rows`` maps each value to its 1-based row number when the values are not in file order.
    """
    arr = _plain_array(path, values, column, "integer class ids")
    numeric = _numbers(arr)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(numeric) | (numeric != np.round(numeric)) | (numeric < 0) | (numeric >= N_CLASSES)
    if bad.any():
        first = np.argwhere(bad)[0]
        i = int(first[0])
        got = arr[tuple(first)]
        shown = "an empty value" if isinstance(got, str) and not got.strip() else repr(_plain(got))
        raise IngestError(path, f"expected an integer class id in 0..{N_CLASSES - 1}, but got {shown}.",
                          row=_row(i, row_offset, rows), column=column,
                          fix="write the predicted class index in sorted-wnid order (0 = n01440764 tench).")
    return numeric.astype(np.int16)


def probabilities(path: Path, values, *, column: str, row_offset: int, rows=None) -> np.ndarray:
    """Check that ``values`` are probabilities in [0, 1] (no NaN); return float32."""
    arr = _plain_array(path, values, column, "probabilities")
    numeric = _numbers(arr).ravel()
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(numeric) | (numeric < 0) | (numeric > 1)
    if bad.any():
        i = int(np.argmax(bad))
        got = arr.ravel()[i]
        shown = "an empty value" if isinstance(got, str) and not got.strip() else repr(_plain(got))
        raise IngestError(path, f"expected a probability in [0, 1], but got {shown}.",
                          row=_row(i, row_offset, rows), column=column,
                          fix="write the softmax probability of the top-1 class (not a logit, not a percentage).")
    return numeric.astype(np.float32)


def align_rows(path: Path, model: str, index: ImageIndex, names, top1, *, prob=None, topk=None,
               row_offset: int, name_column: str = "file_name", class_column: str = "predicted_class",
               prob_column: str = "predicted_probability", topk_column: str = "top5",
               positions: np.ndarray | None = None) -> Predictions:
    """Place rows named by file on ``index``; images no row names stay missing.

    ``names`` are file names or paths ending in them; ``row_offset`` turns a 0-based row into the 1-based row
    number shown in errors (2 for a CSV with a header). ``positions``, when the caller already resolved the
    names (the CSV fast path), skips that lookup; the duplicate and value checks still run.
    """
    n = len(names)
    if n == 0:
        raise IngestError(path, "the file holds no prediction rows.", fix="write one row per image.")
    pos = index.positions(np.asarray(names, dtype=object)) if positions is None else positions
    if (pos < 0).any():
        bad = int(np.argmax(pos < 0))
        raise IngestError(path, f"unknown file name {str(names[bad])!r}; expected an image of the {index.name} index "
                          f"such as {index.file_names[0]!r}.", row=bad + row_offset, column=name_column,
                          fix="remove the row or correct the file name (bare names and paths ending in them both work).")
    if np.bincount(pos, minlength=len(index)).max() > 1:
        dup = pd.Index(pos).duplicated()
        bad = int(np.argmax(dup))
        first = int(np.argmax(pos == pos[bad]))
        raise IngestError(path, f"image {index.file_names[pos[bad]]!r} appears more than once (first at row "
                          f"{first + row_offset}).", row=bad + row_offset, column=name_column,
                          fix="keep one prediction per image.")
    ids = class_ids(path, top1, column=class_column, row_offset=row_offset)
    out_top1 = np.full(len(index), MISSING, dtype=np.int16)
    out_top1[pos] = ids
    out_prob = None
    if prob is not None:
        out_prob = np.full(len(index), np.nan, dtype=np.float32)
        out_prob[pos] = probabilities(path, prob, column=prob_column, row_offset=row_offset)
    out_topk = None
    if topk is not None:
        tk = class_ids(path, topk, column=topk_column, row_offset=row_offset)
        _check_topk(path, tk, ids, topk_column, row_offset)
        out_topk = np.full((len(index), tk.shape[1]), MISSING, dtype=np.int16)
        out_topk[pos] = tk
    return Predictions(model, out_top1, out_prob, out_topk, index, str(path))


def positional(path: Path, model: str, index: ImageIndex, top1, *, prob=None, topk=None,
               what: str = "array") -> Predictions:
    """Build predictions whose rows are already in the order of ``index`` (one row per image)."""
    top1 = np.asarray(top1)
    if top1.ndim != 1 or len(top1) != len(index):
        raise IngestError(path, f"expected {what} 'top1' of shape ({len(index)},) with one row per image of the "
                          f"{index.name} index in its order, but got shape {top1.shape}.", column="top1",
                          fix="store one prediction per image, or add a 'file_names' array naming each row.")
    ids = class_ids(path, top1, column="top1", row_offset=1)
    p = None if prob is None else probabilities(path, _vector(path, prob, len(index), "prob"), column="prob",
                                                 row_offset=1)
    tk = None
    if topk is not None:
        tk = class_ids(path, topk, column="topk", row_offset=1)
        _check_topk(path, tk, ids, "topk", 1)
    return Predictions(model, ids, p, tk, index, str(path))


def scores(path: Path, model: str, index: ImageIndex, values, *, column: str = "scores",
           order: np.ndarray | None = None, k: int = 5) -> Predictions:
    """Predictions from logits or probabilities of shape (n_images, 1000).

    ``order`` gives, for each row, its position in ``index`` (default: rows are in index order).
    """
    arr = np.asarray(values)
    if arr.ndim != 2 or arr.shape != (len(index), N_CLASSES):
        raise IngestError(path, f"expected logits or probabilities of shape ({len(index)}, {N_CLASSES}) (one row per "
                          f"image of the {index.name} index, one column per class), but got shape {arr.shape}.",
                          column=column, fix="store the full score matrix of the validation set.")
    if arr.dtype.kind not in "fiu":
        raise IngestError(path, f"expected numeric scores, but got dtype {arr.dtype}.", column=column,
                          fix="store the scores as a float array.")
    finite = np.isfinite(arr).all(axis=1) if arr.dtype.kind == "f" else np.ones(len(arr), bool)
    if not finite.all():
        bad = int(np.argmax(~finite))
        raise IngestError(path, "expected finite scores, but the row holds NaN or infinity.", row=bad + 1,
                          column=column, fix="recompute the scores of that image.")
    if order is not None:
        aligned = np.empty_like(arr)
        aligned[order] = arr
        arr = aligned
    top1, prob, topk = top_k_from_scores(arr, k=k)
    return Predictions(model, top1, prob, topk, index, str(path))


def _check_topk(path: Path, tk: np.ndarray, top1: np.ndarray, column: str, row_offset: int) -> None:
    if tk.ndim != 2 or tk.shape[1] < 1:
        raise IngestError(path, f"expected a top-k array of shape (n, k), but got shape {tk.shape}.", column=column,
                          fix="store the k best classes of each image, best first.")
    off = tk[:, 0] != top1
    if off.any():
        i = int(np.argmax(off))
        raise IngestError(path, f"the first top-k class {int(tk[i, 0])} differs from the top-1 class {int(top1[i])}.",
                          row=i + row_offset, column=column, fix="list the top-k classes best first.")
    s = np.sort(tk, axis=1)
    rep = (s[:, 1:] == s[:, :-1]).any(axis=1)
    if rep.any():
        i = int(np.argmax(rep))
        raise IngestError(path, f"the top-k classes {tk[i].tolist()} repeat a class.", row=i + row_offset,
                          column=column, fix="list k different classes per image.")


def _vector(path: Path, values, n: int, column: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.shape != (n,):
        raise IngestError(path, f"expected shape ({n},), but got {arr.shape}.", column=column,
                          fix="store one value per image.")
    return arr


#: A decimal number as a CSV writes it: no hex, no booleans, no complex numbers, no digits of other scripts.
_DECIMAL = r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*"


def _plain_array(path: Path, values, column: str, what: str) -> np.ndarray:
    """``values`` as an array of numbers or text; booleans, complex numbers and records are refused."""
    try:
        arr = np.asarray(values)
    except (ValueError, TypeError) as exc:
        raise IngestError(path, f"expected {what}, but the values do not form a regular array ({describe(exc)}).",
                          column=column, fix="store one number per image.") from None
    kind = arr.dtype.kind
    if kind in "iuf" or (kind in "OUS" and arr.dtype.names is None):
        if kind == "O" and arr.size:
            flat = arr.ravel()
            kinds = pd.Series(flat, dtype=object).map(type)
            bad = kinds.isin([bool, np.bool_, complex, np.complex128]).to_numpy()
            if bad.any():
                i = int(np.argmax(bad))
                raise IngestError(path, f"expected {what}, but got {flat[i]!r} ({type(flat[i]).__name__}).",
                                  row=i + 1, column=column, fix="write plain decimal numbers.")
        return arr
    got = {"b": "booleans", "c": "complex numbers", "V": "records (a structured dtype)", "M": "dates",
           "m": "time spans"}.get(kind, f"dtype {arr.dtype}")
    raise IngestError(path, f"expected {what}, but the column holds {got} (dtype {arr.dtype}).", column=column,
                      fix="store plain numbers (class ids as integers, probabilities as floats).")


def _numbers(arr: np.ndarray) -> np.ndarray:
    """Float64 values of a numeric or text array; text that is not a plain decimal number becomes NaN."""
    if arr.dtype.kind in "iuf":
        return arr.astype(np.float64)
    series = pd.Series(arr.ravel(), dtype=object)
    is_str = series.map(lambda v: isinstance(v, str)).to_numpy(bool)
    ok = ~series.map(lambda v: isinstance(v, bytes)).to_numpy(bool)
    if is_str.any():
        ok[is_str] = series[is_str].astype(str).str.fullmatch(_DECIMAL).to_numpy(bool)
    numeric = pd.to_numeric(series.where(ok, None), errors="coerce").to_numpy(np.float64)
    return numeric.reshape(arr.shape)


def _row(i: int, offset: int, rows) -> int:
    return int(rows[i]) if rows is not None else i + offset


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
