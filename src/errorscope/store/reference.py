"""The published reference populations, read through the resource manifest into tidy typed frames.

``imagenetx``
    The ImageNet-X result tables (CC BY-NC 4.0): groups ``base``, ``imagenet_testbed``, ``modelvshuman`` and the
    ResNet-50 augmentation sweeps ``crop``, ``colorjitter``, ``gaussian_blur``, ``colorjitter_crop``,
    ``adaptive_colorjitter``; for which = top/multi and error types class/metaclass/real_class; per model
    (``metaclass = "all"``) and, where published, per (model, metaclass). The six per-metaclass tables of
    ``crop`` are not published in the mirror and are skipped.
``eth``
    The per-model statistics of Peychev et al. (ETH, 962 models) on the 18,692 non-problematic ImageNet
    validation images, for the subsets all/organism/artifact/other, joined to ``models_summary.csv``
    (``model_dir_id = '<prefix>--<model_id>'``).

:func:`load_reference` writes a population into a store (tables ``reference_imagenetx`` /
``reference_eth``) in one transaction; :func:`imagenetx_wide` and :func:`eth_wide` give the wide per-model
frames that :mod:`~errorscope.store.compare` and :mod:`~errorscope.store.groupstats` use, from the store or
straight from the files.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from ..constants import ERROR_TYPES, FACTORS, WHICH_FACTORS
from ..exceptions import InvalidInputError, ResourceError
from ..resources import get_spec, resource_path
from .model_types import model_type

__all__ = ["IMAGENETX_GROUPS", "ETH_SUBSETS", "ETH_CATEGORIES", "POPULATIONS", "imagenetx_reference", "eth_model_info",
           "imagenetx_wide", "eth_reference", "eth_wide", "load_reference"]

IMAGENETX_GROUPS = ["base", "imagenet_testbed", "modelvshuman", "crop", "colorjitter", "gaussian_blur",
                    "colorjitter_crop", "adaptive_colorjitter"]
ETH_SUBSETS = ["all", "organism", "artifact", "other"]
#: The ETH error categories; their counts sum to ``num_all_top1_errors`` for every model and subset.
ETH_CATEGORIES = ["num_collapsed_mappings", "num_ambiguous", "num_same_superclass", "num_common_co_occ",
                  "num_non_prototypical", "num_OOV_clip", "num_not_classified"]
POPULATIONS = ("imagenetx", "eth")
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


def imagenetx_reference(*, groups=None, whiches=WHICH_FACTORS, error_types=ERROR_TYPES,
                        metaclass: bool = False) -> pd.DataFrame:
    """The ImageNet-X result tables as one tidy frame.

    Columns: group, model, model_type, which, error_type, metaclass (``"all"`` for the per-model tables),
    factor (the 16 factors, worst_factor, average, worst_100_classes), accuracy (float64, NaN where the
    published cell is empty).
    """
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


def imagenetx_wide(*, which: str = "top", error_type: str = "class", groups=None, store=None) -> pd.DataFrame:
    """Per-model ImageNet-X tables of ``groups`` stacked, in the published column layout.

    Columns: group, model, model_type, the 16 factors, worst_factor, average, worst_100_classes.
    Read from ``store`` (after :func:`load_reference`) when given, else from the files.
    """
    groups = list(groups or IMAGENETX_GROUPS)
    if store is not None:
        con = store.connection
        con.register("_groups", pd.DataFrame({"group": groups}))
        try:
            long = con.execute(
                'SELECT "group", model, model_type, factor, accuracy FROM reference_imagenetx '
                "WHERE which = ? AND error_type = ? AND metaclass = 'all' "
                'AND "group" IN (SELECT "group" FROM _groups)', [which, error_type]).df()
        finally:
            con.unregister("_groups")
        if long.empty:
            raise InvalidInputError(f"{store.path}: no ImageNet-X reference rows; run "
                                    "`errorscope store load-reference imagenetx` first.")
    else:
        long = imagenetx_reference(groups=groups, whiches=[which], error_types=[error_type])
    wide = long.set_index(["group", "model", "model_type", "factor"])["accuracy"].unstack("factor")
    wide = wide.reindex(columns=[c for c in _VALUES if c in wide.columns]).reset_index()
    wide.columns.name = None
    order = {g: i for i, g in enumerate(groups)}
    return wide.sort_values(["group", "model"], key=lambda s: s.map(order) if s.name == "group" else s,
                            kind="stable").reset_index(drop=True)


def eth_reference() -> pd.DataFrame:
    """The ETH per-model statistics for the four subsets, joined to ``models_summary.csv``.

    Columns: subset, prefix, model_id, model_dir_id, then the statistics columns (integers as int64, rates
    as float64, ``extra_annotations`` as str), then ``source``, ``dataset``, ``idx`` from the summary, and
    ``top1`` = imagenet_top1_val_acc / 100 plus ``share_<category>`` = count / num_group_top1_errors (the
    subset's top-1 errors, which the seven category counts sum to).
    """
    summary = pd.read_csv(resource_path("eth_error_analysis/models_summary.csv"), dtype={"model_id": str})
    frames = []
    for subset in ETH_SUBSETS:
        stats = pd.read_csv(resource_path(f"eth_error_analysis/stats-imagenet/non_problematic_stats_{subset}.csv"))
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


def eth_wide(*, subset: str = "all", store=None) -> pd.DataFrame:
    """One ETH subset, one row per model (``model`` = the ETH model_id), from ``store`` or the files."""
    if subset not in ETH_SUBSETS:
        raise InvalidInputError(f"Expected `subset` in {ETH_SUBSETS}, but got {subset!r}.")
    if store is not None:
        frame = store.connection.execute("SELECT * FROM reference_eth WHERE subset = ?", [subset]).df()
        if frame.empty:
            raise InvalidInputError(f"{store.path}: no ETH reference rows; run "
                                    "`errorscope store load-reference eth` first.")
    else:
        frame = eth_reference()
        frame = frame[frame["subset"] == subset]
    return frame.rename(columns={"model_id": "model"}).reset_index(drop=True)


def load_reference(store, population: str, *, metaclass: bool = True) -> int:
    """Write a reference population into ``store`` (replacing an earlier copy) in one transaction.

    Returns the number of rows written.
    """
    if population not in POPULATIONS:
        raise InvalidInputError(f"Unknown population {population!r}; expected one of {POPULATIONS}.")
    store._require_writable()
    frame = imagenetx_reference(metaclass=metaclass) if population == "imagenetx" else eth_reference()
    table = f"reference_{population}"
    con = store.connection
    con.execute("BEGIN TRANSACTION")
    try:
        con.register("_ref", frame)
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM _ref")
        con.unregister("_ref")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(frame)


def eth_model_info(model: str):
    """Metadata of ``model`` from the ETH ``models_summary``/stats fields, or None when it is not an ETH model.

    ``model`` is matched against the ETH ``model_id`` (e.g. ``resnet50``, ``convnext-base-224``).

    Returns
    -------
    :class:`~errorscope.store.info.ModelInfo` with architecture (``arch``), training_data and n_params
    (``num_params``), and tags ``eth.arch_family``, ``eth.arch_group``, ``eth.source``; or None.
    """
    from .info import ModelInfo

    table = _eth_all()
    hit = table[table["model_id"] == model]
    if hit.empty:
        return None
    row = hit.iloc[0]
    tags = {f"eth.{k}": str(row[k]) for k in ("arch_family", "arch_group", "source") if pd.notna(row[k])}
    return ModelInfo(architecture=str(row["arch"]), training_data=str(row["training_data"]),
                     n_params=int(row["num_params"]), tags=tags)


@lru_cache(maxsize=1)
def _eth_all() -> pd.DataFrame:
    frame = eth_reference()
    return frame[frame["subset"] == "all"].reset_index(drop=True)
