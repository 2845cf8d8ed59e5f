"""The published reference populations in the store.

The files are read by :mod:`errorscope.imagenetx` (ImageNet-X result tables, CC BY-NC 4.0; ETH statistics of
Peychev et al.). :func:`load_reference` writes a population into a store (tables ``reference_imagenetx`` /
``reference_eth``) in one transaction; :func:`imagenetx_wide` and :func:`eth_wide` give the wide per-model
frames that :mod:`~errorscope.store.compare` and :mod:`~errorscope.store.groupstats` use, from the store or,
without one, straight from :mod:`errorscope.imagenetx`.
"""

from __future__ import annotations

import pandas as pd

from ..imagenetx import _published as published
from ..taxonomy import _published as eth_published
from ..exceptions import InvalidInputError
from ..taxonomy._published import ETH_SUBSETS
from ..imagenetx._published import IMAGENETX_GROUPS

__all__ = ["POPULATIONS", "eth_model_info", "imagenetx_wide", "eth_wide", "load_reference"]

POPULATIONS = ("imagenetx", "eth")


def imagenetx_wide(*, which: str = "top", error_type: str = "class", groups=None, store=None) -> pd.DataFrame:
    """Per-model ImageNet-X tables of ``groups`` stacked, in the published column layout.

    Columns: group, model, model_type, the 16 factors, worst_factor, average, worst_100_classes.
    Read from ``store`` (after :func:`load_reference`) when given, else from the files
    (:func:`errorscope.imagenetx.imagenetx_wide`).
    """
    if store is None:
        return published.imagenetx_wide(which=which, error_type=error_type, groups=groups)
    groups = list(groups or IMAGENETX_GROUPS)
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
    return published.wide_from_long(long, groups)


def eth_wide(*, subset: str = "all", store=None) -> pd.DataFrame:
    """One ETH subset, one row per model (``model`` = the ETH model_id), from ``store`` or the files
    (:func:`errorscope.taxonomy.eth_wide`)."""
    if store is None:
        return eth_published.eth_wide(subset=subset)
    if subset not in ETH_SUBSETS:
        raise InvalidInputError(f"Expected `subset` in {ETH_SUBSETS}, but got {subset!r}.")
    frame = store.connection.execute("SELECT * FROM reference_eth WHERE subset = ?", [subset]).df()
    if frame.empty:
        raise InvalidInputError(f"{store.path}: no ETH reference rows; run "
                                "`errorscope store load-reference eth` first.")
    return frame.rename(columns={"model_id": "model"}).reset_index(drop=True)


def load_reference(store, population: str, *, metaclass: bool = True) -> int:
    """Write a reference population into ``store`` (replacing an earlier copy) in one transaction.

    Returns the number of rows written.
    """
    if population not in POPULATIONS:
        raise InvalidInputError(f"Unknown population {population!r}; expected one of {POPULATIONS}.")
    from .backend import write_transaction

    store._require_writable()
    frame = (published.imagenetx_reference(metaclass=metaclass) if population == "imagenetx"
             else eth_published.eth_reference())
    table = f"reference_{population}"
    con = store.connection
    with write_transaction(con):
        con.register("_ref", frame)
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM _ref")
        con.unregister("_ref")
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

    table = eth_published.eth_all()
    hit = table[table["model_id"] == model]
    if hit.empty:
        return None
    row = hit.iloc[0]
    tags = {f"eth.{k}": str(row[k]) for k in ("arch_family", "arch_group", "source") if pd.notna(row[k])}
    return ModelInfo(architecture=str(row["arch"]), training_data=str(row["training_data"]),
                     n_params=int(row["num_params"]), tags=tags)
