"""The published reference populations, read from the data files through the resource manifest.

``ImageNet-X`` (CC BY-NC 4.0)
    The result tables
    ``imagenetx/results/val/<which>_factor/<group>/<error_type>/accuracies_per_factor[_metaclass].csv``
    of the groups ``base``, ``imagenet_testbed``, ``modelvshuman`` and the ResNet-50 augmentation sweeps
    ``crop``, ``colorjitter``, ``gaussian_blur``, ``colorjitter_crop``, ``adaptive_colorjitter``. The six per-metaclass
    tables of ``crop`` are not published in the mirror.
``ETH`` (Peychev et al.)
    The per-model statistics of 962 models on the 18,692 non-problematic validation images,
    ``eth_error_analysis/stats-<dataset>/non_problematic_stats_<subset>.csv`` for the subsets
    all/organism/artifact/other, and ``models_summary.csv``.

Every file is read once per process (cached); the functions return fresh copies. This is the only module that
reads these files: the figures (:mod:`errorscope.plots`), the report and the store
(:mod:`errorscope.store.reference`) all go through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from .constants import ERROR_TYPES, FACTORS, WHICH_FACTORS
from .exceptions import InvalidInputError, ResourceError
from .resources import get_spec, resource_path

__all__ = ["IMAGENETX_GROUPS", "ETH_SUBSETS", "ETH_CATEGORIES", "ETH_CATEGORY_NAMES", "published_table", "imagenetx_reference",
           "imagenetx_wide", "wide_from_long", "eth_stats", "eth_reference", "eth_wide", "eth_all"]

IMAGENETX_GROUPS = ["base", "imagenet_testbed", "modelvshuman", "crop", "colorjitter", "gaussian_blur",
                    "colorjitter_crop", "adaptive_colorjitter"]
ETH_SUBSETS = ["all", "organism", "artifact", "other"]
#: The ETH error categories: stats column -> display name (the paper's names), in the paper's order.
ETH_CATEGORY_NAMES: dict[str, str] = {
    "num_collapsed_mappings": "overlapping classes",
    "num_ambiguous": "multi-label",
    "num_same_superclass": "fine-grained",
    "num_OOV_clip": "fine-grained OOV",
    "num_common_co_occ": "spurious correlation",
    "num_non_prototypical": "non-prototypical",
    "num_not_classified": "model failure",
}
#: The ETH error-category columns; their counts sum to ``num_all_top1_errors`` for every model and subset.
ETH_CATEGORIES = list(ETH_CATEGORY_NAMES)
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

    Per-model tables are indexed by ``model``; metaclass tables keep ``model`` and ``metaclass`` columns.
    Values are float64 (NaN where the published cell is empty).
    """
    frame = _read_table(_table_name(which, group, error_type, metaclass)).copy()
    return frame if metaclass else frame.set_index("model")


def imagenetx_reference(*, groups=None, whiches=WHICH_FACTORS, error_types=ERROR_TYPES,
                        metaclass: bool = False) -> pd.DataFrame:
    """The ImageNet-X result tables as one tidy frame.

    Columns: group, model, model_type, which, error_type, metaclass (``"all"`` for the per-model tables),
    factor (the 16 factors, worst_factor, average, worst_100_classes), accuracy (float64, NaN where the
    published cell is empty).
    """
    from .model_types import model_type

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
    """Per-model rows (group, model, model_type, published columns) of tidy per-model reference rows,
    groups in the order of ``groups``, models sorted within a group."""
    wide = long.set_index(["group", "model", "model_type", "factor"])["accuracy"].unstack("factor")
    wide = wide.reindex(columns=[c for c in _VALUES if c in wide.columns]).reset_index()
    wide.columns.name = None
    order = {g: i for i, g in enumerate(groups)}
    return wide.sort_values(["group", "model"], key=lambda s: s.map(order) if s.name == "group" else s,
                            kind="stable").reset_index(drop=True)


def imagenetx_wide(*, which: str = "top", error_type: str = "class", groups=None) -> pd.DataFrame:
    """Per-model ImageNet-X tables of ``groups`` stacked, in the published column layout.

    Columns: group, model, model_type, the 16 factors, worst_factor, average, worst_100_classes.
    """
    groups = list(groups or IMAGENETX_GROUPS)
    return wide_from_long(imagenetx_reference(groups=groups, whiches=[which], error_types=[error_type]), groups)


@lru_cache(maxsize=32)
def _read_eth(dataset: str, subset: str) -> pd.DataFrame:
    return pd.read_csv(resource_path(f"eth_error_analysis/stats-{dataset}/non_problematic_stats_{subset}.csv"))


def eth_stats(dataset: str = "imagenet", groups: Sequence[str] = tuple(ETH_SUBSETS)) -> dict[str, pd.DataFrame]:
    """The published ETH stats tables (``eth_error_analysis/stats-<dataset>/non_problematic_stats_<group>.csv``),
    as read, keyed by group."""
    return {g: _read_eth(dataset, g).copy() for g in groups}


def eth_reference() -> pd.DataFrame:
    """The ETH per-model statistics for the four subsets, joined to ``models_summary.csv``.

    Columns: subset, prefix, model_id, model_dir_id, then the statistics columns (integers as int64, rates
    as float64, ``extra_annotations`` as str), then ``source``, ``dataset``, ``idx`` from the summary, and
    ``top1`` = imagenet_top1_val_acc / 100 plus ``share_<category>`` = count / num_group_top1_errors (the
    subset's top-1 errors, which the seven category counts sum to).
    """
    summary = pd.read_csv(resource_path("eth_error_analysis/models_summary.csv"), dtype={"model_id": str})
    frames = []
    for subset, stats in eth_stats("imagenet", ETH_SUBSETS).items():
        split = stats["model_dir_id"].str.split("--", n=1, expand=True)
        if split.shape[1] != 2 or split[1].isna().any():
            raise InvalidInputError("ETH stats: every model_dir_id must look like '<prefix>--<model_id>'.")
        stats.insert(0, "subset", subset)
        stats.insert(1, "prefix", split[0])
        stats.insert(2, "model_id", split[1])
        frames.append(stats)
    stats = pd.concat(frames, ignore_index=True)
    joined = stats.merge(summary[["model_id", "idx", "source", "dataset"]], on="model_id", how="left",
                         validate="many_to_one")
    missing = joined.loc[joined["idx"].isna(), "model_id"].unique()
    if len(missing):
        raise InvalidInputError(f"ETH stats name models absent from models_summary.csv: {list(missing[:3])}.")
    joined["idx"] = joined["idx"].astype(np.int64)
    joined["extra_annotations"] = joined["extra_annotations"].astype(str)
    joined["top1"] = joined["imagenet_top1_val_acc"].astype(np.float64) / 100.0
    errors = joined["num_group_top1_errors"].astype(np.float64)  # the subset's errors; the categories sum to it
    for c in ETH_CATEGORIES:
        joined[f"share_{c[4:]}"] = joined[c].astype(np.float64) / errors
    return joined


def eth_wide(*, subset: str = "all") -> pd.DataFrame:
    """One ETH subset of :func:`eth_reference`, one row per model (``model`` = the ETH model_id)."""
    if subset not in ETH_SUBSETS:
        raise InvalidInputError(f"Expected `subset` in {ETH_SUBSETS}, but got {subset!r}.")
    frame = eth_reference()
    frame = frame[frame["subset"] == subset]
    return frame.rename(columns={"model_id": "model"}).reset_index(drop=True)


@lru_cache(maxsize=1)
def _eth_all() -> pd.DataFrame:
    frame = eth_reference()
    return frame[frame["subset"] == "all"].reset_index(drop=True)


def eth_all() -> pd.DataFrame:
    """The ``all`` subset of :func:`eth_reference` (``model_id`` column kept), cached."""
    return _eth_all().copy()
