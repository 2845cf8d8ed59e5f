"""imagenet-testbed pickles: a dict ``{"model": str, "logits": array (50000, 1000)}``.

The rows of ``logits`` follow ``filename_label.csv`` of the ``imagenet-x`` package, which is the order of
torchvision's ``ImageFolder`` on the validation set: label ascending, then file name. They are mapped to the
canonical validation order before the top-k and the top-1 probability are taken.

Pickles can run code when loaded. This reader never calls :func:`pickle.load`: a restricted unpickler accepts
only built-in containers and NumPy arrays, and refuses everything else with a clear error.
"""

from __future__ import annotations

import pickle
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..exceptions import IngestError
from ..datasets._index import ImageIndex
from ..predictions import Predictions
from ._common import check_kind, scores

#: (module, name) pairs a prediction pickle may reference: NumPy array reconstruction only.
ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("collections", "OrderedDict"),
    ("builtins", "bytearray"),
}


class _SafeUnpickler(pickle.Unpickler):
    def __init__(self, fh, path: Path):
        super().__init__(fh)
        self._path = path

    def find_class(self, module: str, name: str):
        if (module, name) in ALLOWED:
            return super().find_class(module, name)
        raise IngestError(self._path, f"the pickle references {module}.{name}; only dicts of NumPy arrays are "
                          "accepted (a pickle can run code, so other objects are refused).",
                          fix="save {'model': name, 'logits': numpy_array} (convert tensors with .numpy()).")


def read_pickle(path: Path, model: str | None, index: ImageIndex) -> Predictions:
    """Read an imagenet-testbed pickle ``{model, logits}``."""
    from ..datasets._index import val_index

    check_kind(path, "pickle")
    try:
        with open(path, "rb") as fh:
            obj = _SafeUnpickler(fh, path).load()
    except IngestError:
        raise
    except (EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, IndexError,
            MemoryError, OverflowError) as exc:
        raise IngestError(path, f"cannot read the pickle ({type(exc).__name__}: {exc}); the file is truncated or "
                          "corrupt.", fix="re-export or re-download the file.") from None
    if not isinstance(obj, dict):
        raise IngestError(path, f"expected a dict with keys 'model' and 'logits', but the pickle holds a "
                          f"{type(obj).__name__}.", fix="save {'model': name, 'logits': array (50000, 1000)}.")
    missing = [k for k in ("model", "logits") if k not in obj]
    if missing:
        raise IngestError(path, f"the pickle lacks key(s) {missing}; it has {sorted(map(str, obj))}.",
                          column=missing[0], fix="save {'model': name, 'logits': array (50000, 1000)}.")
    name = obj["model"]
    if not isinstance(name, str) or not name.strip():
        raise IngestError(path, f"expected the model name to be a non-empty string, but got {name!r}.",
                          column="model", fix="store the model's name under 'model'.")
    if index is not val_index() and index.name != "imagenet-val":
        raise IngestError(path, f"imagenet-testbed pickles cover the ImageNet validation set, not {index.name!r}.",
                          fix="read the pickle with the default (validation) index.")
    return scores(path, model or name.strip(), index, obj["logits"], column="logits", order=imagefolder_order())


@lru_cache(maxsize=1)
def imagefolder_order() -> np.ndarray:
    """For row i of an ImageFolder-ordered array, its position in the canonical validation index."""
    import pandas as pd

    from ..datasets._index import val_index
    from ..resources.imagenetx import package_file

    table = pd.read_csv(package_file("filename_label.csv"))
    table = table.sort_values(["label", "file_name"], kind="stable")
    return val_index().positions(table["file_name"].to_numpy())
