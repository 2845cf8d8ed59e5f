"""Thumbnails of example mistakes, embedded in the report as ``data:`` URIs (needs Pillow, shipped with matplotlib)."""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

from .._optional import require
from ..constants import FACTORS
from ..exceptions import InvalidInputError


def png_data_uri(path: str | Path) -> str:
    """A PNG file as a ``data:`` URI.

    Parameters
    ----------
    path : str or Path
        The PNG file.

    Returns
    -------
    str
        ``data:image/png;base64,...``.
    """
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")

__all__ = ["png_data_uri", "image_files", "thumbnail_uri", "factor_examples", "category_examples", "label_flag_text"]

_EXTS = {".jpeg", ".jpg", ".png"}


def image_files(images_dir: str | Path) -> dict[str, Path]:
    """Map file name -> path of every image under ``images_dir`` (flat, or one sub-folder per wnid)."""
    root = Path(images_dir)
    if not root.is_dir():
        raise InvalidInputError(f"--images {root}: not a directory. Expected an ImageNet validation folder "
                                "(ILSVRC2012_val_*.JPEG files, flat or in wnid sub-folders).")
    found: dict[str, Path] = {}
    for dirpath, _, names in os.walk(root):
        for n in names:
            if Path(n).suffix.lower() in _EXTS:
                found.setdefault(n, Path(dirpath) / n)
    return found


def label_flag_text(file_name: str) -> str:
    """`` · known label error`` (cleanlab MTurk) / `` · ReaL rejects the label`` for a validation image, else ''."""
    from ..datasets._index import val_index
    from ..datasets._label_errors import cleanlab_label_errors, real_rejects_label

    pos = int(val_index().positions([file_name])[0])
    if pos < 0:
        return ""
    flags = []
    if cleanlab_label_errors().mask[pos]:
        flags.append("known label error (cleanlab)")
    if real_rejects_label()[pos]:
        flags.append("ReaL rejects the label")
    return "".join(f" · {f}" for f in flags)


def thumbnail_uri(path: str | Path, *, size: int = 128, quality: int = 80) -> str:
    """A JPEG thumbnail (longest side ``size``) of the image at ``path`` as a ``data:`` URI."""
    image_mod = require("PIL.Image", extra="report", feature="Report thumbnails")
    with image_mod.open(path) as im:
        im = im.convert("RGB")
        im.thumbnail((size, size))
        buf = io.BytesIO()
        im.save(buf, format="JPEG", quality=quality)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def factor_examples(pop, images_dir: str | Path, *, per_group: int = 6, which: str = "top") -> pd.DataFrame:
    """Example mistakes per ImageNet-X factor: annotated images showing the factor, misclassified by the most
    models of ``pop`` (ties by file order), that exist in ``images_dir``.

    Returns columns ``group, file_name, caption, src`` (empty when no such image is in the folder).
    """
    from ..imagenetx._annotations import load_factor_annotations
    from ..datasets._names import distinct_class_names

    files = image_files(images_dir)
    names = distinct_class_names()
    ann = load_factor_annotations(which, "val")
    preds = pop.top1[:, ann.positions]
    wrong = (preds >= 0) & (preds != ann.labels[None, :])
    n_wrong = wrong.sum(axis=0)
    present = np.array([f in files for f in ann.file_names])
    rows = []
    for j, f in enumerate(FACTORS):
        cand = np.flatnonzero(ann.factors[:, j] & present & (n_wrong > 0))
        cand = cand[np.argsort(-n_wrong[cand], kind="stable")][:per_group]
        for i in cand:
            m = int(np.argmax(wrong[:, i]))
            caption = (f"{names[ann.labels[i]]} → {names[preds[m, i]]} ({pop.models[m]}"
                       f"{f', {int(n_wrong[i])}/{len(pop)} models wrong' if len(pop) > 1 else ''})"
                       f"{label_flag_text(ann.file_names[i])}")
            rows.append((f"factor: {f.replace('_', ' ')}", ann.file_names[i], caption,
                         thumbnail_uri(files[ann.file_names[i]])))
    return pd.DataFrame(rows, columns=["group", "file_name", "caption", "src"])


def category_examples(per_image: pd.DataFrame, images_dir: str | Path, *, per_group: int = 6) -> pd.DataFrame:
    """Example mistakes per error category from a per-image taxonomy frame.

    ``per_image`` has columns ``model, file_name, category, true_name, predicted_name`` (one row per
    misclassified image and model). Returns columns ``group, file_name, caption, src``.
    """
    need = ["model", "file_name", "category", "true_name", "predicted_name"]
    missing = [c for c in need if c not in per_image.columns]
    if missing:
        raise InvalidInputError(f"Expected `per_image` to have columns {need}, but {missing} are missing.")
    files = image_files(images_dir)
    rows = []
    for cat, g in per_image.groupby("category", sort=False):
        g = g[g["file_name"].isin(files)].drop_duplicates("file_name").head(per_group)
        for _, r in g.iterrows():
            rows.append((f"category: {cat}", r["file_name"], f"{r['true_name']} → {r['predicted_name']} ({r['model']})"
                         f"{label_flag_text(r['file_name'])}",
                         thumbnail_uri(files[r["file_name"]])))
    return pd.DataFrame(rows, columns=["group", "file_name", "caption", "src"])
