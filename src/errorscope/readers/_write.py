"""Write :class:`~errorscope.predictions.Predictions` to a file every reader of this package reads back."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._io import atomic_path
from ..exceptions import InvalidInputError
from ..predictions import Predictions

WRITERS = (".csv", ".npz", ".parquet")


def write_predictions(pred: Predictions, path: str | Path) -> Path:
    """Write the covered images of ``pred`` atomically; the format follows the extension.

    ``.csv``
        The ImageNet-X layout ``file_name,predicted_class[,predicted_probability]``.
    ``.npz``
        ``top1``, ``topk`` (when known), ``prob`` (when known), ``file_names`` and ``model``.
    ``.parquet``
        ``file_name``, ``predicted_class``, ``predicted_probability``, ``top5`` (a list column).

    Images the predictions do not cover are left out, so reading the file back gives equal arrays.

    Parameters
    ----------
    pred : the predictions.
    path : the output file; its extension picks the format.

    Returns
    -------
    Path of the written file.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from errorscope.readers import read_predictions
    >>> p = Predictions.from_arrays("toy", np.arange(50000) % 1000)
    >>> out = write_predictions(p, pathlib.Path(tempfile.mkdtemp()) / "toy.npz")
    >>> bool((read_predictions(out).top1 == p.top1).all())
    True
    """
    if not isinstance(pred, Predictions):
        raise InvalidInputError(f"Expected `pred` to be a Predictions, but got {type(pred).__name__}.")
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in WRITERS:
        raise InvalidInputError(f"Expected `path` to end in one of {WRITERS}, but got {path.name!r}.")
    rows = np.flatnonzero(pred.covered)
    if len(rows) == 0:
        raise InvalidInputError(f"Predictions {pred.model!r} cover no image; there is nothing to write.")
    names = pred.index.file_names[rows].astype(str)
    prob = None if pred.prob is None else pred.prob[rows]
    if prob is not None and np.isnan(prob).any():
        prob = None if np.isnan(prob).all() else prob
        if prob is not None:
            raise InvalidInputError(
                f"Predictions {pred.model!r} have a probability for some covered images but not for others; "
                "the file formats need one for every row or none."
            )
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            import pandas as pd

            frame = pd.DataFrame({"file_name": names, "predicted_class": pred.top1[rows]})
            if prob is not None:
                frame["predicted_probability"] = prob.astype(np.float64)
            frame.to_csv(tmp, index=False, float_format="%.9g")
        elif suffix == ".npz":
            arrays = {"top1": pred.top1[rows], "file_names": names, "model": np.array(pred.model)}
            if pred.topk is not None:
                arrays["topk"] = pred.topk[rows]
            if prob is not None:
                arrays["prob"] = prob
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, **arrays)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            cols = {"file_name": pa.array(names), "predicted_class": pa.array(pred.top1[rows])}
            if prob is not None:
                cols["predicted_probability"] = pa.array(prob)
            if pred.topk is not None:
                cols["top5"] = pa.array(pred.topk[rows].tolist(), type=pa.list_(pa.int16()))
            pq.write_table(pa.table(cols), tmp)
    return path
