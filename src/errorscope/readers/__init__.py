"""Read prediction files into :class:`~errorscope.predictions.Predictions`.

:func:`read_predictions` reads one file, :func:`read_population` a directory (or a list of files) into a
:class:`~errorscope.predictions.Population`. The format is detected from the extension and the content; every
reader aligns rows to the image index by file name, so any row order and any subset of images is accepted.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..exceptions import IngestError
from ..index import ImageIndex
from ..predictions import Population, Predictions
from . import _csv

__all__ = ["read_predictions", "read_population", "READERS"]

#: extension -> reader(path, model, index) -> Predictions
READERS = {
    ".csv": _csv.read_csv,
}

SKIPPED = {".DS_Store"}


def read_predictions(path: str | Path, *, model: str | None = None, index: ImageIndex | None = None) -> Predictions:
    """Read one prediction file.

    Parameters
    ----------
    path : the file.
    model : the model's name; default: the name stored in the file, else the file stem.
    index : the image index to align to; default: the 50,000 ImageNet validation images.
    """
    from ..index import val_index

    path = Path(path)
    if not path.exists():
        raise IngestError(path, "no such file.", fix="check the path.")
    if path.is_dir():
        raise IngestError(path, "is a directory, expected one prediction file.",
                          fix="use read_population() (or pass the directory to a command that takes a population).")
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise IngestError(path, f"unknown prediction file type {path.suffix!r}; expected one of {sorted(READERS)}.",
                          fix="convert the file to one of these formats.")
    return reader(path, model, index or val_index())


def _expand(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            inside = sorted(f for f in p.iterdir() if f.is_file() and f.name not in SKIPPED and not f.name.startswith("."))
            if not inside:
                raise IngestError(p, "the directory holds no prediction files.",
                                  fix="put one file per model in it (ImageNet-X CSV, headerless CSV, pickle, NPZ, NPY, Parquet).")
            files.extend(inside)
        else:
            files.append(p)
    return files


def read_population(paths: str | Path | Iterable[str | Path], *, index: ImageIndex | None = None,
                    progress: bool = False) -> Population:
    """Read a directory of prediction files (one model per file), or a list of files and directories."""
    from tqdm.auto import tqdm

    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = _expand(paths)
    preds = [read_predictions(f, index=index) for f in tqdm(files, desc="reading predictions", disable=not progress)]
    return Population.from_predictions(preds)
