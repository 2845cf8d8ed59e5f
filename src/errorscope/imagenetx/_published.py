"""The published ImageNet-X populations, read from the data files through the resource manifest.

``ImageNet-X`` (CC BY-NC 4.0)
    The result tables
    ``imagenetx/results/val/<which>_factor/<group>/<error_type>/accuracies_per_factor[_metaclass].csv``
    of the groups ``base``, ``imagenet_testbed``, ``modelvshuman`` and the ResNet-50 augmentation sweeps
    ``crop``, ``colorjitter``, ``gaussian_blur``, ``colorjitter_crop``, ``adaptive_colorjitter``. The six per-metaclass
    tables of ``crop`` are not published in the mirror.
Every file is read once per process (cached); the functions return fresh copies. This is the only module that
reads these files: the figures (:mod:`errorscope.plots`), the report and the store
(:mod:`errorscope.store.reference`) all go through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from ..constants import ERROR_TYPES, FACTORS, WHICH_FACTORS
from ..exceptions import InvalidInputError, ResourceError
from ..resources import get_spec, resource_path

__all__ = ["IMAGENETX_GROUPS", "POPULATIONS", "DEFAULT_POPULATION", "resolve_groups", "reference_populations",
           "published_table", "imagenetx_reference", "imagenetx_wide", "wide_from_long"]

IMAGENETX_GROUPS = ["base", "imagenet_testbed", "modelvshuman", "crop", "colorjitter", "gaussian_blur",
                    "colorjitter_crop", "adaptive_colorjitter"]
#: Named reference populations: name -> the published groups they join. ``main`` is the population of the
#: paper's figures 4/5 (the ImageNet testbed, model-vs-human and the paper's base models); ``all`` adds the
#: ResNet-50 augmentation sweeps. Every comparison, in the library and on the command line, defaults to
#: :data:`DEFAULT_POPULATION`.
POPULATIONS: dict[str, tuple[str, ...]] = {
    "main": ("imagenet_testbed", "modelvshuman", "base"),
    "all": tuple(IMAGENETX_GROUPS),
}
DEFAULT_POPULATION = "main"


def resolve_groups(groups: Sequence[str] | str | None = None) -> list[str]:
    """The published groups of a reference population.

    Parameters
    ----------
    groups : str, sequence of str or None
        None: the default population (:data:`DEFAULT_POPULATION`); a population name of :data:`POPULATIONS`
        (alone or as the only element); or a list of group names of :data:`IMAGENETX_GROUPS`.

    Returns
    -------
    list of str
        Group names.
    """
    if groups is None:
        return list(POPULATIONS[DEFAULT_POPULATION])
    if isinstance(groups, str):
        groups = [groups]
    groups = list(groups)
    if len(groups) == 1 and groups[0] in POPULATIONS:
        return list(POPULATIONS[groups[0]])
    bad = [g for g in groups if g not in IMAGENETX_GROUPS]
    if bad:
        raise InvalidInputError(f"Unknown ImageNet-X group(s) {bad}; expected population names {list(POPULATIONS)} "
                                f"or groups {IMAGENETX_GROUPS}.")
    return groups


_VALUES = FACTORS + ["worst_factor", "average", "worst_100_classes"]


def _table_name(which: str, group: str, error_type: str, metaclass: bool) -> str:
    table = "accuracies_per_factor_metaclass.csv" if metaclass else "accuracies_per_factor.csv"
    return f"imagenetx/results/val/{which}_factor/{group}/{error_type}/{table}"


def _has(name: str) -> bool:
    try:
        get_spec(name)
        return True
    except ResourceError:
        return False


@lru_cache(maxsize=256)
def _read_table(name: str) -> pd.DataFrame:
    frame = pd.read_csv(resource_path(name), dtype={"model": str, "metaclass": str})
    numeric = [c for c in frame.columns if c not in ("model", "metaclass")]
    bad = [c for c in numeric if not pd.api.types.is_float_dtype(frame[c])]
    for c in bad:
        frame[c] = pd.to_numeric(frame[c], errors="raise").astype(np.float64)
    return frame


def published_table(group: str, *, which: str = "top", error_type: str = "class",
                    metaclass: bool = False) -> pd.DataFrame:
    """One published ImageNet-X table (``imagenetx/results/val/<which>_factor/<group>/<error_type>/...``).

    Parameters
    ----------
    group : str
        One of ``IMAGENETX_GROUPS`` (``base``, ``imagenet_testbed``, ``modelvshuman``, the augmentation sweeps).
    which : {"top", "multi"}
        The annotation file.
    error_type : {"class", "metaclass", "real_class"}
        The correctness rule.
    metaclass : bool, default False
        The per-metaclass table (``accuracies_per_factor_metaclass.csv``) instead of the per-model one.

    Returns
    -------
    DataFrame
        Per-model tables are indexed by ``model``; metaclass tables keep ``model`` and ``metaclass`` columns.
        Values are float64 (NaN where the published cell is empty).
    """
    frame = _read_table(_table_name(which, group, error_type, metaclass)).copy()
    return frame if metaclass else frame.set_index("model")


def imagenetx_reference(*, groups: Sequence[str] | None = None, whiches: Sequence[str] = WHICH_FACTORS,
                        error_types: Sequence[str] = ERROR_TYPES, metaclass: bool = False) -> pd.DataFrame:
    """The ImageNet-X result tables as one tidy frame.

    Parameters
    ----------
    groups : sequence of str, optional
        Published groups to read (default all of ``IMAGENETX_GROUPS``).
    whiches : sequence of {"top", "multi"}
        Annotation files (default both).
    error_types : sequence of {"class", "metaclass", "real_class"}
        Correctness rules (default all three).
    metaclass : bool, default False
        Also read the per-metaclass tables.

    Returns
    -------
    DataFrame
        Columns: group, model, model_type, which, error_type, metaclass (``"all"`` for the per-model tables),
        factor (the 16 factors, worst_factor, average, worst_100_classes), accuracy (float64, NaN where the
        published cell is empty).
    """
    from ._model_types import model_type

    groups = list(groups or IMAGENETX_GROUPS)
    unknown = sorted(set(groups) - set(IMAGENETX_GROUPS))
    if unknown:
        raise InvalidInputError(f"Unknown ImageNet-X group(s) {unknown}; expected some of {IMAGENETX_GROUPS}.")
    frames = []
    for which in whiches:
        for error_type in error_types:
            for group in groups:
                for per_mc in ([False, True] if metaclass else [False]):
                    name = _table_name(which, group, error_type, per_mc)
                    if per_mc and not _has(name):
                        continue  # the crop metaclass tables are not published in the mirror
                    wide = _read_table(name)
                    ids = ["model", "metaclass"] if per_mc else ["model"]
                    long = wide.melt(id_vars=ids, value_vars=[c for c in _VALUES if c in wide.columns],
                                     var_name="factor", value_name="accuracy")
                    if not per_mc:
                        long.insert(1, "metaclass", "all")
                    long.insert(0, "group", group)
                    long.insert(2, "which", which)
                    long.insert(3, "error_type", error_type)
                    frames.append(long)
    out = pd.concat(frames, ignore_index=True)
    types = {m: model_type(m) for m in out["model"].unique()}
    out.insert(2, "model_type", out["model"].map(types))
    out["accuracy"] = out["accuracy"].astype(np.float64)
    return out[["group", "model", "model_type", "which", "error_type", "metaclass", "factor", "accuracy"]]


def wide_from_long(long: pd.DataFrame, groups: Sequence[str]) -> pd.DataFrame:
    """Per-model rows in the published column layout, from tidy per-model reference rows.

    Parameters
    ----------
    long : DataFrame
        Per-model rows of :func:`imagenetx_reference` (metaclass ``"all"``).
    groups : sequence of str
        Order of the groups in the output.

    Returns
    -------
    DataFrame
        Columns group, model, model_type and the published columns; groups in the order of ``groups``, models
        sorted within a group.
    """
    wide = long.set_index(["group", "model", "model_type", "factor"])["accuracy"].unstack("factor")
    wide = wide.reindex(columns=[c for c in _VALUES if c in wide.columns]).reset_index()
    wide.columns.name = None
    order = {g: i for i, g in enumerate(groups)}
    return wide.sort_values(["group", "model"], key=lambda s: s.map(order) if s.name == "group" else s,
                            kind="stable").reset_index(drop=True)


def imagenetx_wide(*, which: str = "top", error_type: str = "class",
                   groups: Sequence[str] | None = None) -> pd.DataFrame:
    """Per-model ImageNet-X tables of ``groups`` stacked, in the published column layout.

    Parameters
    ----------
    which : {"top", "multi"}
        The annotation file.
    error_type : {"class", "metaclass", "real_class"}
        The correctness rule.
    groups : sequence of str, optional
        Published groups to stack, in this order (default all of ``IMAGENETX_GROUPS``).

    Returns
    -------
    DataFrame
        Columns: group, model, model_type, the 16 factors, worst_factor, average, worst_100_classes.
    """
    groups = list(groups or IMAGENETX_GROUPS)
    return wide_from_long(imagenetx_reference(groups=groups, whiches=[which], error_types=[error_type]), groups)




def reference_populations(*, which: str = "top", error_type: str = "class") -> pd.DataFrame:
    """The named reference populations with their model counts (what ``compare`` fits against).

    Parameters
    ----------
    which : str
        ImageNet-X annotation file of the published tables counted.
    error_type : str
        Correctness rule of the published tables counted.

    Returns
    -------
    DataFrame
        One row per :data:`POPULATIONS` name: ``population``, ``groups`` (space-separated), ``n_models`` (models
        with a published table of ``which`` / ``error_type``) and ``default`` (True for
        :data:`DEFAULT_POPULATION`).
    """
    wide = imagenetx_wide(which=which, error_type=error_type, groups=list(IMAGENETX_GROUPS))
    rows = []
    for name, groups in POPULATIONS.items():
        rows.append({"population": name, "groups": " ".join(groups),
                     "n_models": int(wide["group"].isin(groups).sum()), "default": name == DEFAULT_POPULATION})
    return pd.DataFrame(rows)
