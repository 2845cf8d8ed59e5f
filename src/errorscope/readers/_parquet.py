"""Parquet prediction files: columns ``file_name``, ``predicted_class``, optionally ``predicted_probability``
and a list column ``top5`` (or ``topk``) of the k best classes, best first. Other columns are ignored."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..datasets._index import ImageIndex
from ..exceptions import IngestError
from ..predictions import Predictions
from ._common import align_rows, check_kind, describe

TOPK_COLUMNS = ("top5", "topk")
FIX = "write columns file_name, predicted_class[, predicted_probability][, top5 (list of ints)]."


def read_parquet(path: Path, model: str | None, index: ImageIndex) -> Predictions:
    """Read a Parquet file of per-image predictions."""
    check_kind(path, "parquet")
    import pyarrow.parquet as pq  # a core dependency

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError subclasses for damaged files
        raise IngestError(path, f"cannot read the Parquet data ({describe(exc)}); the file is truncated "
                          "or corrupt.", fix="re-export or re-download the file.") from None
    columns = table.column_names
    missing = [c for c in ("file_name", "predicted_class") if c not in columns]
    if missing:
        raise IngestError(path, f"missing column(s) {missing}; the file has {[str(c)[:40] for c in columns[:20]]}.",
                          column=missing[0], fix=FIX)
    dups = sorted({c for c in columns if columns.count(c) > 1} & {"file_name", "predicted_class",
                                                                   "predicted_probability", *TOPK_COLUMNS})
    if dups:
        raise IngestError(path, f"column(s) {dups} appear more than once.", column=dups[0], fix="keep one of each.")
    if table.num_rows == 0:
        raise IngestError(path, "the file holds no prediction rows.", fix="write one row per image.")
    names_np = _strings(path, table, "file_name")
    cls = _numeric(path, table, "predicted_class")
    prob = _numeric(path, table, "predicted_probability") if "predicted_probability" in columns else None
    topk_col = next((c for c in TOPK_COLUMNS if c in columns), None)
    topk = _list_column(path, table, topk_col) if topk_col else None
    return align_rows(path, model or path.stem, index, names_np, cls, prob=prob, topk=topk, row_offset=1,
                      topk_column=topk_col or "top5")


def _plain_column(table, column: str):
    """The column as one array, dictionary-encoded values decoded."""
    import pyarrow as pa

    col = table.column(column)
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    return col


def _strings(path: Path, table, column: str) -> np.ndarray:
    """A text column as an object array of str; nulls and invalid UTF-8 are errors naming the row."""
    import pyarrow as pa

    col = _plain_column(table, column)
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type) or pa.types.is_string_view(col.type)):
        raise IngestError(path, f"expected column {column!r} to hold strings, but it holds {col.type}.",
                          column=column, fix=FIX)
    if col.null_count:
        i = int(np.argmax(col.is_null().to_numpy(zero_copy_only=False)))
        raise IngestError(path, "the file name is missing (null).", row=i + 1, column=column, fix=FIX)
    try:
        return np.asarray(col.to_pylist(), dtype=object)
    except UnicodeDecodeError:
        for i, value in enumerate(col.cast(pa.large_binary()).to_pylist()):
            try:
                value.decode("utf-8")
            except UnicodeDecodeError:
                raise IngestError(path, f"the file name {value[:60]!r} is not valid UTF-8; the file is corrupt.",
                                  row=i + 1, column=column, fix="re-export or re-download the file.") from None
        raise


def _numeric(path: Path, table, column: str) -> np.ndarray:
    import pyarrow as pa

    col = _plain_column(table, column)
    if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)):
        raise IngestError(path, f"expected numbers in column {column!r}, but it holds {col.type}.", column=column,
                          fix=FIX)
    return col.to_numpy(zero_copy_only=False).astype(np.float64)  # nulls become NaN and are reported by the checks


def _list_column(path: Path, table, column: str) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    col = _plain_column(table, column)
    if not (pa.types.is_list(col.type) or pa.types.is_large_list(col.type) or pa.types.is_fixed_size_list(col.type)
            or pa.types.is_list_view(col.type) or pa.types.is_large_list_view(col.type)):
        raise IngestError(path, f"expected column {column!r} to hold lists of class ids, but it holds {col.type}.",
                          column=column, fix=FIX)
    value_type = col.type.value_type
    if pa.types.is_dictionary(value_type):
        value_type = value_type.value_type
    if not (pa.types.is_integer(value_type) or pa.types.is_floating(value_type)):
        raise IngestError(path, f"expected lists of class ids in column {column!r}, but it holds {col.type}.",
                          column=column, fix=FIX)
    lengths = pc.list_value_length(col).to_numpy(zero_copy_only=False)
    lengths = np.where(np.isnan(lengths.astype(np.float64)), -1, lengths).astype(np.int64)
    k = int(lengths[0])
    bad = (lengths != k) | (lengths <= 0)
    if bad.any():
        i = int(np.argmax(bad))
        shown = "null" if lengths[i] < 0 else f"{int(lengths[i])} class(es)"
        raise IngestError(path, f"expected every row to list the same number k >= 1 of classes, but row {i + 1} "
                          f"has {shown} and row 1 has {k}.", row=i + 1, column=column, fix=FIX)
    flat = pc.list_flatten(col.combine_chunks() if hasattr(col, "combine_chunks") else col)
    if pa.types.is_dictionary(flat.type):
        flat = flat.cast(flat.type.value_type)
    values = flat.to_numpy(zero_copy_only=False).astype(np.float64)
    return values.reshape(len(lengths), k)
