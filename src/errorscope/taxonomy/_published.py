"""The published population of the error taxonomy (Peychev et al., NeurIPS 2023), through the resource manifest.

The per-model statistics of 962 models on the 18,692 non-problematic validation images,
``eth_error_analysis/stats-<dataset>/non_problematic_stats_<subset>.csv`` for the subsets
all/organism/artifact/other, and ``models_summary.csv``. Every file is read once per process (cached); the
functions return fresh copies. This is the only module that reads these files.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from ..exceptions import InvalidInputError
from ..resources import resource_path

__all__ = ["ETH_SUBSETS", "ETH_CATEGORIES", "ETH_CATEGORY_NAMES", "eth_stats", "eth_reference", "eth_wide", "eth_all"]

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


def category_shares(stats: pd.DataFrame) -> pd.DataFrame:
    """The share of a subset's top-1 errors in each ETH category, as fractions: the one definition.

    Parameters
    ----------
    stats : DataFrame
        Rows in the ETH ``non_problematic_stats`` layout: the seven :data:`ETH_CATEGORIES` counts and
        ``num_group_top1_errors`` (the subset's errors on the non-problematic images, which the counts sum to).

    Returns
    -------
    DataFrame
        Same index as ``stats``; columns ``share_<category>`` (``share_collapsed_mappings``, ...,
        ``share_not_classified``) = count / num_group_top1_errors, a fraction in [0, 1] (NaN without errors).
        Every table, figure and comparison of errorscope uses these columns.
    """
    errors = stats["num_group_top1_errors"].to_numpy(np.float64)
    out = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for c in ETH_CATEGORIES:
            out[f"share_{c[4:]}"] = stats[c].to_numpy(np.float64) / errors
    return pd.DataFrame(out, index=stats.index)


@lru_cache(maxsize=32)
def _read_eth(dataset: str, subset: str) -> pd.DataFrame:
    return pd.read_csv(resource_path(f"eth_error_analysis/stats-{dataset}/non_problematic_stats_{subset}.csv"))


def eth_stats(dataset: str = "imagenet", groups: Sequence[str] = tuple(ETH_SUBSETS)) -> dict[str, pd.DataFrame]:
    """The published ETH stats tables, as read, keyed by group.

    Parameters
    ----------
    dataset : str
        The ETH stats folder (``eth_error_analysis/stats-<dataset>/``), e.g. ``"imagenet"``.
    groups : sequence of str
        Subsets to read (``non_problematic_stats_<group>.csv``).

    Returns
    -------
    dict of str to DataFrame
        Group -> its table (copies; the files are read once per process).
    """
    return {g: _read_eth(dataset, g).copy() for g in groups}


def eth_reference() -> pd.DataFrame:
    """The ETH per-model statistics for the four subsets, joined to ``models_summary.csv``.

    Columns: subset, prefix, model_id, model_dir_id, then the statistics columns (integers as int64, rates
    as float64, ``extra_annotations`` as str), then ``source``, ``dataset``, ``idx`` from the summary, and
    ``top1`` = imagenet_top1_val_acc / 100 plus ``share_<category>`` = count / num_group_top1_errors (the
    subset's top-1 errors, which the seven category counts sum to).

    Returns
    -------
    DataFrame
        One row per (subset, published model).
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
    return pd.concat([joined, category_shares(joined)], axis=1)


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
