"""CSV prediction files.

Two layouts are recognised from the first line:

* the ImageNet-X layout, with a header ``file_name,predicted_class,predicted_probability``;
* headerless ``file,top1[,target]`` rows, as written by many evaluation scripts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..constants import N_CLASSES
from ..exceptions import IngestError
from ..index import ImageIndex
from ..predictions import MISSING, Predictions


def read_csv(path: Path, model: str | None, index: ImageIndex) -> Predictions:
    with open(path, encoding="utf-8", errors="replace") as fh:
        first = fh.readline().strip()
    if not first:
        raise IngestError(path, "the file is empty.", fix="write one row per image.")
    header = [c.strip() for c in first.split(",")]
    if "file_name" in header:
        frame = _read(path, header=0)
        missing = {"file_name", "predicted_class"} - set(frame.columns)
        if missing:
            raise IngestError(path, f"missing column(s) {sorted(missing)}; found {list(frame.columns)}.",
                              fix="name the columns file_name, predicted_class[, predicted_probability].")
        names, cls = frame["file_name"], frame["predicted_class"]
        prob = frame["predicted_probability"] if "predicted_probability" in frame.columns else None
        offset = 2  # header line + 1-based
    else:
        frame = _read(path, header=None)
        if frame.shape[1] < 2:
            raise IngestError(path, f"expected at least 2 columns (file, top1[, target]) but found {frame.shape[1]}.",
                              row=1, fix="write rows as file_name,predicted_class.")
        names, cls, prob = frame[0], frame[1], None
        offset = 1
    return _to_predictions(path, model or path.stem, names, cls, prob, index, offset,
                           cls_column="predicted_class" if offset == 2 else "column 2")


def _read(path: Path, header) -> pd.DataFrame:
    try:
        return pd.read_csv(path, header=header, skipinitialspace=True, dtype={0 if header is None else "file_name": object})
    except pd.errors.ParserError as exc:
        raise IngestError(path, f"not a well-formed CSV file ({exc}).",
                          fix="check that every row has the same number of fields.") from None
    except UnicodeDecodeError:
        raise IngestError(path, "not a text CSV file.", fix="pass a CSV file, or a file with the right extension.") from None


def _to_predictions(path, model, names, cls, prob, index: ImageIndex, offset: int, cls_column: str) -> Predictions:
    pos = index.positions(names.to_numpy())
    if (pos < 0).any():
        bad = int(np.argmax(pos < 0))
        raise IngestError(path, f"unknown file name {names.iloc[bad]!r}; expected a file of the {index.name} index "
                          f"such as {index.file_names[0]!r}.", row=bad + offset, column="file_name",
                          fix="remove the row or correct the file name.")
    dup = pd.Index(pos).duplicated()
    if dup.any():
        bad = int(np.argmax(dup))
        raise IngestError(path, f"file {names.iloc[bad]!r} appears more than once.", row=bad + offset,
                          column="file_name", fix="keep one prediction per image.")
    values = pd.to_numeric(cls, errors="coerce").to_numpy(np.float64)
    bad_mask = ~np.isfinite(values) | (values != np.round(values)) | (values < 0) | (values >= N_CLASSES)
    if bad_mask.any():
        bad = int(np.argmax(bad_mask))
        raise IngestError(path, f"class id {cls.iloc[bad]!r} is not an integer in 0..{N_CLASSES - 1}.",
                          row=bad + offset, column=cls_column, fix="write the predicted class index (sorted-wnid order).")
    top1 = np.full(len(index), MISSING, dtype=np.int16)
    top1[pos] = values.astype(np.int16)
    p = None
    if prob is not None:
        pv = pd.to_numeric(prob, errors="coerce").to_numpy(np.float64)
        bad_mask = ~np.isfinite(pv) | (pv < 0) | (pv > 1)
        if bad_mask.any():
            bad = int(np.argmax(bad_mask))
            raise IngestError(path, f"probability {prob.iloc[bad]!r} is not a number in [0, 1].", row=bad + offset,
                              column="predicted_probability", fix="write the softmax probability of the top-1 class.")
        p = np.full(len(index), np.nan, dtype=np.float32)
        p[pos] = pv
    return Predictions(model, top1, p, None, index, str(path))
