"""Read prediction files into :class:`~errorscope.predictions.Predictions`, and write them back.

:func:`read_predictions` reads one file, :func:`read_population` a directory (or a list of files) into a
:class:`~errorscope.predictions.Population`, :func:`write_predictions` writes a CSV, NPZ or Parquet file.

The format is detected from the extension and checked against the content (a ``.csv`` that is binary, a
``.npy`` that is really a zip archive, ... raise an :class:`~errorscope.exceptions.IngestError`). Readers align
rows to the image index by file name, so any row order and any subset of images is accepted; images a file does
not cover are marked missing (class id -1).

==================  ===================================================================================
extension           content
==================  ===================================================================================
``.csv``            ImageNet-X ``file_name,predicted_class[,predicted_probability]`` or headerless
                    ``file,top1[,target]``
``.pickle .pkl``    imagenet-testbed ``{"model": str, "logits": (50000, 1000)}`` in ImageFolder order
``.npz``            ``top1`` [``top5``/``topk``] [``prob``] [``file_names``] [``model``], or a
                    ``logits``/``probs`` matrix (50000, 1000)
``.npy``            logits or probabilities (50000, 1000), canonical order
``.parquet .pq``    ``file_name, predicted_class[, predicted_probability][, top5 list]``
``.json``           timm ``inference.py`` results (its CSV and Parquet outputs, and the older headerless
                    ``topk_ids.csv``, are recognised by their columns under ``.csv`` / ``.parquet``)
==================  ===================================================================================
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..datasets._index import ImageIndex
from ..exceptions import IngestError
from ..predictions import Population, Predictions
from ._common import (
    EXTENSIONS,
    FORMATS_HINT,
    check_regular,
    describe,
    model_name,
    sniff,
)
from ._csv import read_csv
from ._numpy import read_npy, read_npz
from ._parquet import read_parquet
from ._pickle import read_pickle
from ._timm import TIMM_EXTENSIONS, is_timm_csv, is_timm_parquet, read_timm
from ._write import write_predictions

__all__ = ["read_predictions", "read_population", "write_predictions", "READERS", "detect_format"]

Reader = Callable[[Path, "str | None", ImageIndex], Predictions]



def _timm_or(reader: Reader, is_timm: Callable[[Path], bool]) -> Reader:
    """``reader``, or the timm reader when the file has the columns of timm's inference.py."""
    def read(path: Path, model: "str | None", index: ImageIndex) -> Predictions:
        return (read_timm if is_timm(path) else reader)(path, model, index)
    return read


_BY_KIND: dict[str, Reader] = {
    "csv": _timm_or(read_csv, is_timm_csv),
    "pickle": read_pickle,
    "npz": read_npz,
    "npy": read_npy,
    "parquet": _timm_or(read_parquet, is_timm_parquet),
    "json": read_timm,
}

#: file kind -> its extensions
_KINDS = {**EXTENSIONS, **TIMM_EXTENSIONS}

#: extension -> reader(path, model, index) -> Predictions
READERS: dict[str, Reader] = {ext: _BY_KIND[kind] for kind, exts in _KINDS.items() for ext in exts}

#: names of files a directory may hold besides predictions
SKIPPED = {".DS_Store", "Thumbs.db"}


def detect_format(path: str | Path) -> str:
    """The format of a prediction file from its extension.

    The content is checked against the extension when the file is read.

    Parameters
    ----------
    path : str or Path
        A prediction file.

    Returns
    -------
    str
        ``csv``, ``pickle``, ``npz``, ``npy``, ``parquet`` or ``json``.
    """
    path = Path(path)
    for kind, exts in _KINDS.items():
        if path.suffix.lower() in exts:
            return kind
    content = sniff(path) if path.is_file() else None
    hint = ""
    if content in EXTENSIONS:
        hint = f" Its content looks like a {content} file: rename it to {EXTENSIONS[content][0]!r}."
    elif content == "text":
        hint = " Its content is text: if it is a CSV of predictions, rename it to '.csv'."
    raise IngestError(path, f"unknown prediction file type {path.suffix or '(no extension)'!r}; expected one of "
                      f"{sorted(READERS)}.{hint}", fix=f"convert the file to a supported format ({FORMATS_HINT}).")


def read_predictions(path: str | Path, *, model: str | None = None, index: ImageIndex | None = None) -> Predictions:
    """Read one prediction file.

    Parameters
    ----------
    path : the file.
    model : the model's name; default: the name stored in the file (pickle, NPZ), else the file stem.
    index : the image index to align to; default: the 50,000 ImageNet validation images.

    Returns
    -------
    Predictions aligned to ``index``; images the file does not cover have class id -1.

    Raises
    ------
    IngestError
        If the file is missing, of an unknown or mismatched kind, truncated, or holds an invalid value. The
        message names the file, the row or column, what was expected and how to fix it.

    Examples
    --------
    >>> import os
    >>> p = read_predictions(os.environ["ERRORSCOPE_DATA_DIR"] + "/imagenetx/model_predictions/base/ViT.csv")
    >>> p.model, p.n_covered, round(p.top1_accuracy(), 5)
    ('ViT', 50000, 0.78006)
    """
    from ..datasets._index import val_index

    path = Path(path)
    check_regular(path)  # before any open(): a FIFO would block, a broken link or a loop would read as missing
    reader = _BY_KIND[detect_format(path)]
    if model is not None:
        model = model_name(path, model, column="model (argument)")
    try:
        pred = reader(path, model, index or val_index())
    except IngestError:
        raise
    except MemoryError:
        raise IngestError(path, "not enough memory to read the file.", fix="free memory or split the file.") from None
    except RecursionError:
        raise IngestError(path, "the file nests its values too deeply to be read.",
                          fix="re-export the predictions as flat arrays.") from None
    except Exception as exc:  # noqa: BLE001 - the last line of defence: every reader raises a precise IngestError
        raise IngestError(path, f"{UNEXPECTED} ({describe(exc)}).",
                          fix="check that the file is a valid prediction file; if it is, please report this.") from None
    model_name(path, pred.model)
    return pred


#: Start of the message of an error no reader anticipated (the fuzz tests assert it never appears).
UNEXPECTED = "the file could not be read (unexpected error"


def _expand(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            raise IngestError(p, "no such file or directory.", fix="check the path.")
        if not p.is_dir():
            files.append(p)
            continue
        try:
            entries = sorted(f for f in p.iterdir() if f.name not in SKIPPED and not f.name.startswith("."))
        except OSError as exc:
            raise IngestError(p, f"cannot list the directory ({exc.strerror or exc}).",
                              fix="check its permissions.") from None
        # Broken links, link loops, FIFOs, sockets and devices are never skipped silently: a model would be lost.
        odd = [f for f in entries if not f.is_dir() and not f.is_file()]
        for f in odd:
            check_regular(f)
        # `errorscope predict` writes a JSON metadata record next to each prediction file: not a model itself.
        stems = {f.stem for f in entries if f.suffix.lower() in READERS and f.suffix.lower() != ".json"}
        entries = [f for f in entries if not (f.suffix.lower() == ".json" and f.stem in stems)]
        subdirs = [f.name for f in entries if f.is_dir()]
        unknown = [f.name for f in entries if f.is_file() and f.suffix.lower() not in READERS]
        if subdirs or unknown:
            what = ", ".join(repr(n) for n in (subdirs + unknown)[:5]) + (" ..." if len(subdirs + unknown) > 5 else "")
            raise IngestError(p, f"the directory holds {len(subdirs)} sub-directorie(s) and {len(unknown)} file(s) "
                              f"that are not prediction files: {what}. Expected only files ending in {sorted(READERS)}.",
                              fix="move the other files out, or pass the prediction files as a list.")
        inside = [f for f in entries if f.is_file()]
        if not inside:
            raise IngestError(p, "the directory holds no prediction files.",
                              fix=f"put one file per model in it ({FORMATS_HINT}).")
        files.extend(inside)
    if not files:
        raise IngestError("(no paths)", "no prediction files were given.", fix="pass a directory or a list of files.")
    return files


def read_population(paths: str | Path | Iterable[str | Path], *, index: ImageIndex | None = None,
                    progress: bool = False) -> Population:
    """Read a directory of prediction files (one model per file), or a list of files and directories.

    Parameters
    ----------
    paths : a directory, a file, or an iterable of them. Hidden files and ``.DS_Store`` are skipped; any other
        file that is not a prediction file, and any sub-directory, is an error.
    index : the image index to align to; default: the 50,000 ImageNet validation images.
    progress : show a progress bar.

    Returns
    -------
    Population
        One model per file, aligned to ``index``.

    Raises
    ------
    IngestError
        For an empty directory, a file of unknown kind, a malformed file, or two files naming the same model.
    """
    from tqdm.auto import tqdm

    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = _expand(paths)
    origin: dict[str, Path] = {}
    # Each model's arrays are copied into the population's matrices as soon as its file is parsed, so memory
    # holds the population plus a few files in flight, never the population twice (2,500 models x 50,000
    # images with probabilities is 750 MB). Files are parsed on a few threads (pyarrow and NumPy release the
    # GIL); rows keep the file order and the first bad file raises its own IngestError.
    top1 = prob = topk = None
    has_topk = True
    workers = max(1, min(4, os.cpu_count() or 1, len(files)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        parsed = pool.map(lambda f: read_predictions(f, index=index), files)
        for i, (f, pred) in enumerate(zip(tqdm(files, desc="reading predictions", unit="file",
                                                 disable=not progress), parsed)):
            if pred.model in origin:
                raise IngestError(f, f"model name {pred.model!r} is already used by {str(origin[pred.model])!r}; "
                                  "every model of a population needs its own name.",
                                  fix="remove the duplicate, or rename one file (the name is the file stem, or "
                                  "the name stored in a pickle / NPZ).")
            origin[pred.model] = f
            if top1 is None:
                pop_index = pred.index
                top1 = np.empty((len(files), len(pop_index)), dtype=np.int16)
            top1[i] = pred.top1
            if pred.prob is not None:
                if prob is None:
                    prob = np.full(top1.shape, np.nan, dtype=np.float32)
                prob[i] = pred.prob
            if has_topk and pred.topk is not None and (topk is None or topk.shape[2] == pred.topk.shape[1]):
                if topk is None:
                    topk = np.full(top1.shape + (pred.topk.shape[1],), -1, dtype=np.int16)
                topk[i] = pred.topk
            else:
                has_topk, topk = False, None
    return Population(list(origin), top1, prob, pop_index, topk)
