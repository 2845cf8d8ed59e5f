"""Taxonomy result tables from the taxonomy's ETH-layout statistics: the tidy shares and the per-model summary.

Shares are fractions of a subset's top-1 errors on the non-problematic images, defined once by
:func:`errorscope.taxonomy.category_shares`; the ETH stats layout (``stats_<group>.csv``) keeps its counts and
percentages as published.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..taxonomy import ETH_CATEGORIES, category_shares
from ._schema import TAXONOMY_SHARES

__all__ = ["taxonomy_share_table", "taxonomy_summary"]


def taxonomy_share_table(stats: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The :data:`~errorscope.results._schema.TAXONOMY_SHARES` table: one row per (model, subset, category).

    Parameters
    ----------
    stats : mapping of str to DataFrame
        Subset name -> the taxonomy's ``stats(subset)`` rows (ETH layout: ``model_dir_id``, the seven category
        counts, ``num_group_top1_errors``, ``label_source``, ``clip_step``).

    Returns
    -------
    DataFrame
        Columns model, subset, category (the ETH count column without ``num_``, paper order), label_source,
        clip_step, count, share (a fraction of the subset's top-1 errors), n_errors, n_images.
    """
    frames = []
    for subset, st in stats.items():
        shares = category_shares(st)
        for c in ETH_CATEGORIES:
            frames.append(pd.DataFrame({
                "model": st["model_dir_id"].astype(str).to_numpy(), "subset": str(subset), "category": c[4:],
                "label_source": st["label_source"].astype(str).to_numpy(),
                "clip_step": st["clip_step"].astype(str).to_numpy(),
                "count": st[c].to_numpy(np.int64), "share": shares[f"share_{c[4:]}"].to_numpy(np.float64),
                "n_errors": st["num_group_top1_errors"].to_numpy(np.int64),
                "n_images": st["num_group_samples"].to_numpy(np.int64)}))
    table = pd.concat(frames, ignore_index=True)
    order = {c[4:]: i for i, c in enumerate(ETH_CATEGORIES)}
    table = table.sort_values(["model", "subset", "category"], key=lambda s: s.map(order) if s.name == "category"
                              else s, kind="stable").reset_index(drop=True)
    return TAXONOMY_SHARES.validate(table)


def taxonomy_summary(stats: pd.DataFrame) -> pd.DataFrame:
    """One row per model: images, top-1 errors, top-1 and MLA (fractions) and the share of errors per category.

    Parameters
    ----------
    stats : DataFrame
        The ``stats("all")`` rows of a taxonomy result (ETH layout, accuracies in percent).

    Returns
    -------
    DataFrame
        Indexed by model: ``n_images`` (non-problematic images covered), ``errors``, ``top1``, ``mla`` (the
        paper's MLA: collapsed mappings correct, class-averaged), ``mla_shankar`` (Shankar et al. / TFDS: the
        prediction in the label set, image-averaged), the
        ``share_<category>`` fractions of :func:`errorscope.taxonomy.category_shares` and ``label_source``.
    """
    table = pd.DataFrame({"n_images": stats["num_all_samples"].to_numpy(),
                          "errors": stats["num_all_top1_errors"].to_numpy(),
                          "top1": stats["top1_val_acc"].to_numpy() / 100.0,
                          "mla": stats["mla_all"].to_numpy() / 100.0,
                          "mla_shankar": stats["mla_all_shankar"].to_numpy() / 100.0},
                         index=pd.Index(stats["model_dir_id"].to_numpy(), name="model"))
    shares = category_shares(stats)
    for col in shares.columns:
        table[col] = shares[col].to_numpy()
    table["label_source"] = stats["label_source"].to_numpy()
    return table
