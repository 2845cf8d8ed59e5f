"""Group statistics of the ImageNet-X paper in the store's (and ``errorscope store groupstats``') layout.

The statistics are computed by :mod:`errorscope.imagenetx`; this module feeds them the stored models
(:func:`stored_table`) or the published tables, and names the columns as the store CLI prints them:

* :func:`model_type_error_ratios`: :func:`~errorscope.imagenetx.group_comparison` over the ``model_type``
  column (the paper's Figure 1 bar chart; ImageNet-X ``supervision_comparison_prevalence``);
* :func:`augmentation_effect_table`: :func:`~errorscope.imagenetx.augmentation_effects` of one sweep
  (the paper's data-augmentation figure; ImageNet-X ``augment_effect``).
"""

from __future__ import annotations

import pandas as pd

from ..exceptions import InvalidInputError
from ..imagenetx._model_types import MODEL_TYPE_ORDER
from ..imagenetx._groups import augmentation_effects, augmentation_points, check_factor_table, group_comparison

__all__ = ["stored_table", "model_type_error_ratios", "augmentation_effect_table"]


def stored_table(store, *, which: str = "top", error_type: str = "class") -> pd.DataFrame:
    """The stored models' factor accuracies in the published layout, with their ``model_type``.

    Parameters
    ----------
    store : a :class:`~errorscope.store.ResultStore` filled with the default metric suite.
    which, error_type : the table.

    Returns
    -------
    DataFrame with columns model, model_type, the 16 factors, worst_factor, average, worst_100_classes
    (:meth:`~errorscope.store.ResultStore.published_table`).
    """
    wide = store.published_table(which=which, error_type=error_type)
    types = store.list().set_index("model")["model_type"]
    wide.insert(0, "model_type", types.reindex(wide.index).to_numpy())
    return wide.reset_index()


def model_type_error_ratios(table: pd.DataFrame, *, alpha: float = 0.05,
                            order: list[str] | None = None) -> pd.DataFrame:
    """Mean error ratio per factor and model type, with the Alexander-Govern test across types.

    :func:`~errorscope.imagenetx.group_comparison` of the models whose ``model_type`` column is in ``order``
    (default: the paper's four types). Returns one row per (factor, model_type): mean, std (ddof 1), n, and per
    factor the test's statistic, p_value and ``significant`` (p < alpha); ``factor`` and ``model_type`` are
    ordered categoricals (factors by mean error ratio over all the models, ascending, as in the paper's figure).
    """
    order = list(order or MODEL_TYPE_ORDER)
    table = check_factor_table(table)
    if "model_type" not in table.columns:
        raise InvalidInputError(f"Expected a `model_type` column, but the table has {list(table.columns)}.")
    types = table["model_type"]
    types = types[types.isin(order)]
    out = group_comparison(table, types, group_order=order, alpha=alpha)
    out = out.rename(columns={"group": "model_type", "pvalue": "p_value"})
    out["factor"] = pd.Categorical(out["factor"], categories=list(pd.unique(out["factor"])), ordered=True)
    out["model_type"] = pd.Categorical(out["model_type"], categories=order, ordered=True)
    return out


def augmentation_effect_table(table: pd.DataFrame, kind: str, *, min_models: int = 5) -> pd.DataFrame:
    """Effect of ``kind``'s strength on each factor's error ratio, over the sweep models of ``table``.

    :func:`~errorscope.imagenetx.augmentation_effects` of
    :func:`~errorscope.imagenetx.augmentation_points` (``human`` dropped, strengths with at least
    ``min_models`` models). One row per factor: effect, p_value, low_strength, high_strength, n_low, n_high,
    sorted by effect descending.
    """
    eff = augmentation_effects(augmentation_points(table, kind, min_models=min_models))
    return eff.rename(columns={"pvalue": "p_value"})
