"""CSV prediction files.

Two layouts are recognised from the first line:

* the ImageNet-X layout, with a header naming ``file_name``, ``predicted_class`` and optionally
  ``predicted_probability``, plus, for top-k, either the columns ``top1 .. topK`` (``top1`` equals
  ``predicted_class``) or one column ``top5`` (or ``topk``) holding the k best classes separated by spaces
  (``"394 0 12 9 71"``, brackets and commas allowed); other columns are ignored;
* headerless ``file,top1[,target]`` rows, as written by many evaluation scripts. A ``target`` column must
  equal the canonical label of every image: a mismatch means the file uses another class order.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from ..datasets._index import ImageIndex
from ..exceptions import IngestError
from ..predictions import Predictions
from ._common import (
    MAX_CSV_BYTES,
    MAX_FIELDS,
    MAX_LINE_BYTES,
    align_rows,
    check_kind,
    class_ids,
    describe,
)

_NOT_BLANK = re.compile(rb"[^ \t\n]")
IMAGENETX_COLUMNS = ("file_name", "predicted_class", "predicted_probability")


def read_csv(path: Path, model: str | None, index: ImageIndex) -> Predictions:
    """Read an ImageNet-X CSV or a headerless ``file,top1[,target]`` CSV.

    Line endings may be LF, CRLF or CR; header names may be quoted and have spaces around them. Lines longer
    than ``MAX_LINE_BYTES``, lines of more fields than the header, headers of more than ``MAX_FIELDS`` fields
    and files larger than ``MAX_CSV_BYTES`` are refused before they are parsed.
    """
    check_kind(path, "csv")
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise IngestError(path, f"the file is {size:,} bytes; a prediction CSV is at most {MAX_CSV_BYTES:,} bytes "
                          "(the 50,000 validation images take 2-5 MB).",
                          fix="check that this is a prediction file; split a larger one by model.")
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if b"\r" in raw:  # CRLF and classic-Mac CR line endings -> LF
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    body = _NOT_BLANK.search(raw)
    if body is None:
        raise IngestError(path, "the file holds no rows (only blank lines).", fix="write one row per image.")
    line_start = raw.rfind(b"\n", 0, body.start()) + 1
    line_end = raw.find(b"\n", line_start)
    line_end = len(raw) if line_end < 0 else line_end
    header_line = raw.count(b"\n", 0, line_start) + 1
    if line_end - line_start > MAX_LINE_BYTES:
        raise IngestError(path, f"the first line is {line_end - line_start:,} bytes long; lines of at most "
                          f"{MAX_LINE_BYTES:,} bytes are read.", row=header_line,
                          fix="check the line endings and the delimiter (one row per line, fields separated by ',').")
    try:
        first_text = raw[line_start:line_end].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, raw, line_start + exc.start) from None
    try:
        first = [c.strip() for c in next(csv.reader([first_text], skipinitialspace=True))]
    except csv.Error as exc:
        raise IngestError(path, f"cannot parse the first line ({describe(exc)}).", row=header_line,
                          fix="write a header line file_name,predicted_class[,predicted_probability].") from None
    if len(first) > MAX_FIELDS:
        raise IngestError(path, f"the first line has {len(first):,} fields; at most {MAX_FIELDS} are read.",
                          row=header_line, fix="check the line endings and the delimiter (must be ',').")
    hint = "" if raw.endswith(b"\n") else " The last line ends without a newline: the file may be truncated."
    if "file_name" in first:
        return _read_imagenetx(path, raw, line_end + 1, first, model, index, hint)
    if len(first) >= 2 and index.positions([first[0]])[0] < 0 and not _is_number(first[1]):
        raise IngestError(path, f"unrecognised header {first}; expected the ImageNet-X columns "
                          f"{list(IMAGENETX_COLUMNS)} or headerless rows file,top1[,target].", row=header_line,
                          fix="rename the columns to file_name,predicted_class[,predicted_probability].")
    return _read_headerless(path, raw, first, model, index, hint)


def _not_utf8(path: Path, raw: bytes, offset: int) -> IngestError:
    line = raw[:offset].count(b"\n") + 1
    return IngestError(path, f"not a UTF-8 text file (undecodable byte at offset {offset}, line {line}).",
                       fix="save the CSV as UTF-8, or give the file the extension of its real format.")


def _decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, raw, exc.start) from None


def _check_lines(path: Path, raw: bytes, n_fields: int) -> None:
    """Refuse lines longer than ``MAX_LINE_BYTES``, and (when nothing is quoted) lines of more fields than
    ``n_fields``, before pandas parses the file (a row of a million fields would take minutes)."""
    u8 = np.frombuffer(raw, dtype=np.uint8)
    bounds = np.concatenate(([-1], np.flatnonzero(u8 == 10), [len(raw)]))
    lengths = np.diff(bounds) - 1
    long = lengths > MAX_LINE_BYTES
    if long.any():
        i = int(np.argmax(long))
        raise IngestError(path, f"the line is {int(lengths[i]):,} bytes long; lines of at most {MAX_LINE_BYTES:,} "
                          "bytes are read.", row=i + 1,
                          fix="check the line endings and the delimiter (one row per line, fields separated by ',').")
    if b'"' in raw:
        return  # a quoted field may hold commas: pandas counts the fields
    commas = np.searchsorted(np.flatnonzero(u8 == 44), bounds)
    fields = np.diff(commas) + 1
    extra = fields > n_fields
    if extra.any():
        i = int(np.argmax(extra))
        raise IngestError(path, f"the row has {int(fields[i]):,} fields, but the header (or first row) has "
                          f"{n_fields}.", row=i + 1,
                          fix="remove the extra fields (a trailing comma adds one), or quote file names that contain "
                          "commas.")


def _read_imagenetx(path, raw, body_offset, header, model, index, hint) -> Predictions:
    missing = [c for c in IMAGENETX_COLUMNS[:2] if c not in header]
    if missing:
        raise IngestError(path, f"missing column(s) {missing}; the header has {header}.", row=None,
                          fix="name the columns file_name,predicted_class[,predicted_probability].")
    dups = sorted(c for c, n in Counter(header).items() if n > 1)
    if dups:
        raise IngestError(path, f"column(s) {dups[:10]} appear more than once in the header.", fix="keep one of each.")
    fast = _fast_imagenetx(raw, body_offset, header, index)
    if fast is not None:
        names, pos, top1, prob = fast
        return align_rows(path, model or path.stem, index, names, top1, prob=prob, row_offset=2, positions=pos)
    _check_lines(path, raw, len(header))
    frame = _parse(path, _decode(path, raw), header=0, n_fields=len(header), hint=hint)
    frame.columns = [str(c).strip() for c in frame.columns]
    _check_filled(path, frame, [c for c in IMAGENETX_COLUMNS if c in frame.columns], 2, hint)
    prob = frame["predicted_probability"].to_numpy() if "predicted_probability" in frame.columns else None
    topk, topk_column = _topk_columns(path, frame)
    return align_rows(path, model or path.stem, index, frame["file_name"].astype(str).str.strip().to_numpy(),
                      frame["predicted_class"].to_numpy(), prob=prob, topk=topk, row_offset=2,
                      topk_column=topk_column)


def _topk_columns(path: Path, frame: pd.DataFrame) -> tuple[np.ndarray | None, str]:
    """The top-k of an ImageNet-X CSV: columns ``top1 .. topK``, or one ``top5``/``topk`` column of k ids per cell."""
    cols = list(frame.columns)
    if "top1" in cols:
        k = 1
        while f"top{k + 1}" in cols:
            k += 1
        return frame[[f"top{i}" for i in range(1, k + 1)]].to_numpy(), f"top1..top{k}"
    col = next((c for c in ("top5", "topk") if c in cols), None)
    if col is None:
        return None, "top5"
    cells = [str(v).strip().strip("[]").replace(",", " ").split() for v in frame[col]]
    lengths = {len(c) for c in cells}
    if len(lengths) != 1 or 0 in lengths:
        i = next(i for i, c in enumerate(cells) if len(c) != len(cells[0]) or not c)
        raise IngestError(path, f"expected the same number k >= 1 of class ids in every row, but this row has "
                          f"{len(cells[i])} and row 2 has {len(cells[0])}.", row=i + 2, column=col,
                          fix="write the k best classes of each image, best first, separated by spaces.")
    return np.array(cells, dtype=object), col


def _read_headerless(path, raw, first, model, index, hint) -> Predictions:
    n_fields = len(first)
    if n_fields not in (2, 3):
        raise IngestError(path, f"expected 2 or 3 fields per row (file,top1[,target]), but the first row has "
                          f"{n_fields}.", row=1, fix="write rows as file_name,predicted_class[,target].")
    _check_lines(path, raw, n_fields)
    frame = _parse(path, _decode(path, raw), header=None, n_fields=n_fields, hint=hint)
    frame.columns = ["file", "top1", "target"][:n_fields]
    _check_filled(path, frame, list(frame.columns), 1, hint)
    names = frame["file"].astype(str).str.strip().to_numpy()
    pred = align_rows(path, model or path.stem, index, names, frame["top1"].to_numpy(), row_offset=1,
                      name_column="file (column 1)", class_column="top1 (column 2)")
    if n_fields == 3:
        target = class_ids(path, frame["target"].to_numpy(), column="target (column 3)", row_offset=1)
        expected = index.labels[index.positions(names)]
        off = target != expected
        if off.any():
            i = int(np.argmax(off))
            raise IngestError(
                path, f"the target {int(target[i])} of image {names[i]!r} differs from its canonical label "
                f"{int(expected[i])} ({int(off.sum()):,} of {len(off):,} rows differ). The file uses another class "
                "order or another label set.", row=i + 1, column="target (column 3)",
                fix="map the class ids to the sorted-wnid order (0 = n01440764 tench) or drop the target column.")
    return pred


def _fast_imagenetx(raw: bytes, offset: int, header: list[str], index: ImageIndex):
    """Well-formed ImageNet-X CSV of canonical validation names: parse the bytes with pyarrow's multi-threaded
    reader (no Python-level decode) and validate the columns vectorised.

    Returns ``(names, positions, top1, prob)`` or None whenever anything is unusual (other index, other
    columns, spaces, empty fields, unparsable values, invalid UTF-8...): the careful pandas path then reads the
    file and reports the exact row and column of the problem.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from ..datasets._index import _val_positions

    if index.name != "imagenet-val" or any(c not in IMAGENETX_COLUMNS for c in header):
        return None
    if (b"x" in raw or b"X" in raw) and (b"0x" in raw or b"0X" in raw):
        # pyarrow parses hexadecimal integers; the careful path refuses them (memchr first: "0x" is slow to find)
        return None
    types = {"file_name": pa.string(), "predicted_class": pa.int64(), "predicted_probability": pa.float64()}
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(raw).slice(min(offset, len(raw)))),
            read_options=pacsv.ReadOptions(column_names=header),
            convert_options=pacsv.ConvertOptions(column_types={c: types[c] for c in header}, strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False))
    except (pa.ArrowException, ValueError):
        return None
    if table.num_rows == 0 or any(table.column(c).null_count for c in table.column_names):
        return None
    names = table.column("file_name").combine_chunks()
    pos = _val_positions(names)
    if pos is None:
        return None
    prob = table.column("predicted_probability").to_numpy() if "predicted_probability" in header else None
    return names, pos, table.column("predicted_class").to_numpy(), prob


def _parse(path: Path, text: str, *, header, n_fields: int, hint: str) -> pd.DataFrame:
    """Parse with pandas; numbers are parsed by the C parser, anything odd stays text for the checks."""
    try:
        return pd.read_csv(io.StringIO(text), header=header, dtype={0: str} if header is None else {"file_name": str},
                           keep_default_na=False, skipinitialspace=True, skip_blank_lines=True)
    except pd.errors.ParserError as exc:
        msg = str(exc)
        line = _parser_line(msg)
        shown = " ".join(msg.split())[:300]
        raise IngestError(path, f"row has more fields than the {n_fields} expected ({shown}).", row=line,
                          fix="check the delimiter (must be ',') and quote file names that contain commas.") from None
    except pd.errors.EmptyDataError:
        raise IngestError(path, "the file holds no rows.", fix="write one row per image.") from None


def _check_filled(path: Path, frame: pd.DataFrame, columns: list[str], row_offset: int, hint: str) -> None:
    """A row with fewer fields than the header, or an empty field, is an error naming the row."""
    for col in columns:
        if frame[col].dtype.kind in "iufb":
            continue  # parsed as numbers: no field is empty
        empty = frame[col].astype(str).str.strip().eq("").to_numpy()
        if empty.any():
            i = int(np.argmax(empty))
            last = i == len(frame) - 1
            raise IngestError(path, f"row has an empty or missing field.{hint if last else ''}", row=i + row_offset,
                              column=col, fix="re-export the file; every row needs a value in every column.")


def _parser_line(message: str) -> int | None:
    import re

    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
