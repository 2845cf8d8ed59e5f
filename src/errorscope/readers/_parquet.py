"""Parquet prediction files: columns ``file_name``, ``predicted_class``, optionally ``predicted_probability``
and a list column ``top5`` (or ``topk``) of the k best classes, best first. Other columns are ignored."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..exceptions import IngestError
from ..datasets._index import ImageIndex
from ..predictions import Predictions
from ._common import align_rows, check_kind

TOPK_COLUMNS = ("top5", "topk")
FIX = "write columns file_name, predicted_class[, predicted_probability][, top5 (list of ints)]."


def read_parquet(path: Path, model: str | None, index: ImageIndex) -> Predictions:
    """Read a Parquet file of per-image predictions."""
    check_kind(path, "parquet")
    import pyarrow.parquet as pq  # a core dependency

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError subclasses for damaged files
        raise IngestError(path, f"cannot read the Parquet data ({type(exc).__name__}: {exc}); the file is truncated "
                          "or corrupt.", fix="re-export or re-download the file.") from None
    columns = table.column_names
    missing = [c for c in ("file_name", "predicted_class") if c not in columns]
    if missing:
        raise IngestError(path, f"missing column(s) {missing}; the file has {columns}.", column=missing[0], fix=FIX)
    names = table.column("file_name")
    if not (str(names.type) in ("string", "large_string")):
        raise IngestError(path, f"expected column 'file_name' to hold strings, but it holds {names.type}.",
                          column="file_name", fix=FIX)
    names_np = np.asarray(names.to_pylist(), dtype=object)
    if any(v is None for v in names_np):
        i = int(np.argmax([v is None for v in names_np]))
        raise IngestError(path, "the file name is missing (null).", row=i + 1, column="file_name", fix=FIX)
    cls = _numeric(path, table, "predicted_class")
    prob = _numeric(path, table, "predicted_probability") if "predicted_probability" in columns else None
    topk_col = next((c for c in TOPK_COLUMNS if c in columns), None)
    topk = _list_column(path, table, topk_col) if topk_col else None
    return align_rows(path, model or path.stem, index, names_np, cls, prob=prob, topk=topk, row_offset=1,
                      topk_column=topk_col or "top5")


def _numeric(path: Path, table, column: str) -> np.ndarray:
    col = table.column(column)
    values = col.to_numpy(zero_copy_only=False)
    if values.dtype.kind not in "iuf":
        raise IngestError(path, f"expected numbers in column {column!r}, but it holds {col.type}.", column=column,
                          fix=FIX)
    return values.astype(np.float64)  # nulls become NaN and are reported by the checks


def _list_column(path: Path, table, column: str) -> np.ndarray:
    col = table.column(column)
    rows = col.to_pylist()
    lengths = {len(r) if r is not None else -1 for r in rows}
    if len(lengths) != 1 or -1 in lengths or 0 in lengths:
        bad = next(i for i, r in enumerate(rows) if r is None or len(r) != len(rows[0]) or len(r) == 0)
        raise IngestError(path, f"expected every row to list the same number k >= 1 of classes, but row {bad + 1} "
                          f"has {rows[bad]!r} and row 1 has {rows[0]!r}.", row=bad + 1, column=column, fix=FIX)
    try:
        return np.asarray(rows, dtype=np.float64)
    except (TypeError, ValueError):
        raise IngestError(path, f"expected lists of class ids in column {column!r}, but it holds {col.type}.",
                          column=column, fix=FIX) from None
