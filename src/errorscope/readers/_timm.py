"""The outputs of timm's ``inference.py``, in each of its formats.

timm's script builds one table with a file-name column and, per image, the k best class ids, their labels
and their probabilities (or logits), then saves it as CSV, JSON or Parquet:

* ``--results-format csv`` (the default): ``filename,index,label,prob`` with one value per cell for
  ``--topk 1`` and a NumPy-printed vector such as ``"[394   0  12]"`` per cell for ``--topk k``;
  ``--results-separate-col`` writes ``index_0 .. index_{k-1}``, ``label_0 ..``, ``prob_0 ..`` instead;
* ``json`` (``orient="index"``: ``{file: {"index": [...], "prob": [...]}}``) and ``json-split``
  (``{"columns": [...], "data": [[...], ...]}``); JSON lines of records are read too, and a ``.json`` file that
  holds CSV text (what ``--results-format json-record`` writes) is read as the CSV it is;
* ``parquet``: the file name is the table's index, the vectors are list columns.

The class id columns (``index``) are written only with ``--include-index``; without them the ``label`` column
is used when it holds wnids (``--label-type name``), or timm's class descriptions (the default
``--label-type description`` and ``detailed``, mapped back with timm's own class list, so timm must be
installed). ``--topk 0`` writes the full 1000-way output instead: the top-k is then computed from it. File names
may be bare (the default) or paths (``--fullname``).

timm's older script wrote ``topk_ids.csv``: no header, one row per image with the file name and its five best
class ids.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..constants import N_CLASSES
from ..datasets._index import ImageIndex
from ..exceptions import IngestError
from ..predictions import Predictions, top_k_from_scores
from ._common import align_rows, check_kind, describe

__all__ = ["read_timm", "is_timm_csv", "is_timm_parquet", "TIMM_EXTENSIONS"]

#: The extensions only timm's outputs use (CSV and Parquet are told apart from the other layouts by their columns).
TIMM_EXTENSIONS = {"json": (".json",)}

#: timm's default column names (``--filename-col``, ``--index-col``, ``--label-col``, the output column).
NAME_COLUMNS = ("filename", "file_name", "file", "path", "image")
INDEX, LABEL, OUTPUTS = "index", "label", ("prob", "logit")
_VECTOR_COLUMN = re.compile(r"^(index|label|prob|logit)(?:_(\d+))?$")
_WNID = re.compile(r"^n\d{8}$")
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")

FIX = ("write the results with timm's inference.py --include-index (and --topk 5 for top-5), or convert them to "
       "file_name,predicted_class[,predicted_probability].")


def is_timm_csv(path: Path) -> bool:
    """Whether a ``.csv`` file is one of timm's: its header has timm's columns, or it is a headerless
    ``topk_ids.csv`` (a file name and five class ids per row, as timm's older script wrote it)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096).decode("utf-8-sig", errors="replace")
    except OSError:
        return False
    line = next((ln for ln in head.splitlines() if ln.strip()), "")
    fields = [f.strip() for f in line.split(",")]
    if "file_name" in fields or len(fields) < 2:
        return False
    if any(_VECTOR_COLUMN.match(f) for f in fields[1:]) and fields[0] and not _is_int(fields[0]):
        return True
    return len(fields) == 6 and all(_is_int(f) for f in fields[1:])


def is_timm_parquet(path: Path) -> bool:
    """Whether a Parquet file has timm's columns rather than ``file_name, predicted_class``."""
    try:
        import pyarrow.parquet as pq

        names = pq.read_schema(path).names
    except Exception:  # a damaged file: the Parquet reader reports it
        return False
    if "file_name" in names and "predicted_class" in names:
        return False
    return any(_VECTOR_COLUMN.match(n) for n in names)


def read_timm(path: Path, model: str | None, index: ImageIndex) -> Predictions:
    """Read one output file of timm's ``inference.py`` (CSV, JSON, Parquet, or the older ``topk_ids.csv``).

    Parameters
    ----------
    path : the file.
    model : the model's name; default: the file stem (timm names its files ``<model>-<img_size>``).
    index : the image index to align the rows to.

    Returns
    -------
    Predictions with the top-1 class, its probability (when the file holds probabilities rather than logits)
    and the top-k classes when k > 1.

    Raises
    ------
    IngestError
        If the file cannot be parsed, has no class ids (nor labels or scores to derive them from), or holds an
        invalid value; the message names the row and column.
    """
    suffix = path.suffix.lower()
    if suffix == ".parquet" or suffix == ".pq":
        check_kind(path, "parquet")
        frame, row_offset = _parquet_frame(path), 1
    else:
        check_kind(path, "csv")
        text = _text(path)
        if suffix == ".json" and text.lstrip()[:1] in ("{", "["):
            frame, row_offset = _json_frame(path, text), 1
        else:
            frame, row_offset = _csv_frame(path, text)
    return _from_frame(path, frame, model or path.stem, index, row_offset)


def _text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(path, f"not a UTF-8 text file (undecodable byte at offset {exc.start}).",
                          fix="save the file as UTF-8, or give it the extension of its real format.") from None


def _csv_frame(path: Path, text: str) -> tuple[pd.DataFrame, int]:
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    fields = [f.strip() for f in first.split(",")]
    headerless = len(fields) >= 2 and all(_is_int(f) for f in fields[1:])
    try:
        if headerless:  # the older topk_ids.csv: file name, then the k best class ids
            names = ["filename"] + [f"index_{i}" for i in range(len(fields) - 1)]
            frame = pd.read_csv(io.StringIO(text), header=None, names=names, dtype={"filename": str},
                                keep_default_na=False, skipinitialspace=True)
        else:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.ParserError as exc:
        raise IngestError(path, f"cannot parse the CSV ({str(exc).strip()}).",
                          fix="check that every row has the same fields as the header.") from None
    except pd.errors.EmptyDataError:
        raise IngestError(path, "the file holds no rows.", fix="write one row per image.") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, 1 if headerless else 2


def _json_frame(path: Path, text: str) -> pd.DataFrame:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        # JSON lines of records (one object per line)
        try:
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError:
            raise IngestError(path, f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); the "
                              "file may be truncated.", row=exc.lineno, fix="re-run inference.py or re-copy the file.") from None
    if isinstance(data, dict) and "columns" in data and "data" in data:  # json-split
        try:
            return pd.DataFrame(data["data"], columns=data["columns"])
        except (ValueError, TypeError) as exc:
            raise IngestError(path, f"the 'data' rows do not match the 'columns' ({describe(exc)}).", fix=FIX) from None
    if isinstance(data, dict):  # orient="index": {file name: {column: value}}
        bad = next((k for k, v in data.items() if not isinstance(v, dict)), None)
        if bad is not None:
            raise IngestError(path, f"expected an object of columns for each file name, but {bad!r} maps to "
                              f"{type(data[bad]).__name__}.", fix=FIX)
        frame = pd.DataFrame.from_records(list(data.values()))
        frame.insert(0, "filename", list(data.keys()))
        return frame
    if isinstance(data, list) and all(isinstance(r, dict) for r in data):  # records
        return pd.DataFrame.from_records(data)
    raise IngestError(path, f"expected timm's JSON results (an object per file name, or 'columns' and 'data'), "
                      f"but the file holds a {type(data).__name__}.", fix=FIX)


def _parquet_frame(path: Path) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        frame = pq.read_table(path).to_pandas()
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError subclasses for damaged files
        raise IngestError(path, f"cannot read the Parquet data ({describe(exc)}); the file is truncated "
                          "or corrupt.", fix="re-export or re-download the file.") from None
    if frame.index.name is not None or not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()  # timm stores the file name as the table's index
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _from_frame(path: Path, frame: pd.DataFrame, model: str, index: ImageIndex, row_offset: int) -> Predictions:
    if len(frame) == 0:
        raise IngestError(path, "the file holds no prediction rows.", fix="write one row per image.")
    columns = list(frame.columns)
    name_col = next((c for c in NAME_COLUMNS if c in columns), None)
    if name_col is None:
        raise IngestError(path, f"no file-name column; the columns are {columns} and timm names it 'filename'.",
                          fix="name the file-name column 'filename' (timm's --filename-col default).")
    names = frame[name_col].astype(str).str.strip().to_numpy(dtype=object)
    ids, ids_col = _vectors(path, frame, INDEX, row_offset, integer=True)
    if ids is None:
        ids, ids_col = _labels(path, frame, row_offset)
    output = next(((kind,) + found for kind in OUTPUTS
                   for found in [_vectors(path, frame, kind, row_offset, integer=False)] if found[0] is not None), None)
    if ids is None:
        if output is not None and output[1].shape[1] == N_CLASSES:  # --topk 0: the full output per image
            top1, prob, topk = top_k_from_scores(output[1], k=5)
            return align_rows(path, model, index, names, top1, prob=prob, topk=topk, row_offset=row_offset,
                              name_column=name_col, class_column=output[2], topk_column=output[2])
        raise IngestError(path, f"no class ids: expected timm's '{INDEX}' (or '{INDEX}_0' ...) column, a '{LABEL}' "
                          f"column, or the full {N_CLASSES}-way output, but the columns are {columns}.", fix=FIX)
    prob = None
    if output is not None and output[0] == "prob":
        p = output[1][:, 0]
        prob = np.where((p > 1) & (p <= 1 + 1e-5), 1.0, p)  # float32 softmax may exceed 1 by a rounding step
    topk = ids if ids.shape[1] > 1 else None
    return align_rows(path, model, index, names, ids[:, 0], prob=prob, topk=topk, row_offset=row_offset,
                      name_column=name_col, class_column=ids_col, prob_column=output[2] if output else "prob",
                      topk_column=ids_col)


def _vectors(path: Path, frame: pd.DataFrame, kind: str, row_offset: int, *, integer: bool):
    """The ``kind`` column(s) as an (n, k) float array: one vector column or ``kind_0 .. kind_{k-1}``."""
    if kind in frame.columns:
        return _cells(path, frame[kind].to_numpy(dtype=object), kind, row_offset), kind
    separate = _separate(frame, kind)
    if not separate:
        return None, None
    if [i for i, _ in separate] != list(range(len(separate))):
        raise IngestError(path, f"expected columns {kind}_0 .. {kind}_{len(separate) - 1}, but got "
                          f"{[c for _, c in separate]}.", fix=FIX)
    parts = [_cells(path, frame[c].to_numpy(dtype=object), c, row_offset) for _, c in separate]
    return np.hstack(parts), f"{kind}_0"


def _separate(frame: pd.DataFrame, kind: str) -> list[tuple[int, str]]:
    """The ``kind_<i>`` columns of ``--results-separate-col``, by rank."""
    found = []
    for c in frame.columns:
        m = _VECTOR_COLUMN.match(str(c))
        if m and m.group(1) == kind and m.group(2) is not None:
            found.append((int(m.group(2)), str(c)))
    return sorted(found)


def _cells(path: Path, values: np.ndarray, column: str, row_offset: int) -> np.ndarray:
    """Numbers, lists, arrays or NumPy-printed vectors (``"[394   0  12]"``) -> an (n, k) float array."""
    rows = []
    for i, v in enumerate(values):
        if isinstance(v, str):
            text = v.strip().strip("[]").replace(",", " ")
            try:
                row = [float(t) for t in text.split()]
            except ValueError:
                raise IngestError(path, f"expected numbers, but got {v[:60]!r}.", row=i + row_offset, column=column,
                                  fix=FIX) from None
        elif isinstance(v, (list, tuple, np.ndarray)):
            row = [np.nan if x is None else x for x in np.asarray(v, dtype=object).ravel()]
        elif v is None:
            row = [np.nan]
        else:
            row = [v]
        if i and len(row) != len(rows[0]):
            raise IngestError(path, f"expected {len(rows[0])} value(s) per row, as in the first row, but got "
                              f"{len(row)}.", row=i + row_offset, column=column, fix=FIX)
        rows.append(row)
    try:
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), -1)
    except (TypeError, ValueError):
        raise IngestError(path, "expected numbers in every row.", column=column, fix=FIX) from None


def _labels(path: Path, frame: pd.DataFrame, row_offset: int):
    """Class ids from timm's ``label`` column(s): wnids, or timm's class descriptions."""
    if LABEL in frame.columns:
        cols = [LABEL]
    else:
        cols = [c for _, c in _separate(frame, LABEL)]
    if not cols:
        return None, None
    per_row = [[_label_tokens(v) for v in frame[c].to_numpy(dtype=object)] for c in cols]
    tokens = [sum((col[i] for col in per_row), []) for i in range(len(frame))]
    flat = [t for row in tokens for t in row]
    lookup = _label_lookup(path, flat, cols[0])
    ids = np.empty((len(tokens), len(tokens[0])), dtype=np.float64)
    for i, row in enumerate(tokens):
        if len(row) != ids.shape[1]:
            raise IngestError(path, f"expected {ids.shape[1]} label(s) per row, as in the first row, but got "
                              f"{len(row)}.", row=i + row_offset, column=cols[0], fix=FIX)
        for j, t in enumerate(row):
            cid = lookup.get(t)
            if cid is None or cid < 0:
                what = ("is the name of two classes (134 and 517)" if cid == -2
                        else "is neither a wnid nor a class description of timm's ImageNet class list")
                raise IngestError(path, f"the label {t!r} {what}.", row=i + row_offset, column=cols[0], fix=FIX)
            ids[i, j] = cid
    return ids, cols[0]


def _label_tokens(value) -> list[str]:
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(v) for v in np.asarray(value, dtype=object).ravel()]
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):  # a NumPy-printed array of strings
        found = [a or b for a, b in _QUOTED.findall(text)]
        if found:
            return [t.replace("\\'", "'").replace('\\"', '"') for t in found]
    return [text]


def _label_lookup(path: Path, labels: list[str], column: str) -> dict[str, int]:
    if labels and all(_WNID.match(t) for t in labels):
        from ..datasets import class_info

        return {w: i for i, w in enumerate(class_info().wnids)}
    try:
        from timm.data import ImageNetInfo
    except ImportError:
        raise IngestError(path, f"the labels (such as {labels[0]!r}) are timm's class descriptions, and mapping "
                          "them back to class ids needs timm's class list.", column=column,
                          fix="pip install timm, or write the results with inference.py --include-index "
                          "(or --label-type name).") from None
    info = ImageNetInfo()
    lookup: dict[str, int] = {}
    for detailed in (False, True):
        for i in range(N_CLASSES):
            key = info.index_to_description(i, detailed=detailed)
            lookup[key] = -2 if key in lookup and lookup[key] != i else i
    return lookup


def _is_int(text: str) -> bool:
    return bool(re.fullmatch(r"\s*\d+\s*", text))
