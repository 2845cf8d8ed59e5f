"""Table-producing statistics behind the figures that no other part of errorscope needs.

Each function takes tables (the published ``accuracies_per_factor.csv`` layout, the metaclass layout, the ETH
``non_problematic_stats_*.csv`` layout) or annotation arrays and returns a small pandas DataFrame. The plotting
functions in :mod:`errorscope.plots` only draw these frames. The statistics the figures share with the rest of
the package come from their one implementation: error ratios (:func:`errorscope.imagenetx.error_ratios`),
Spearman matrices (:func:`errorscope.imagenetx.factor_correlations`), model types
(:mod:`errorscope.imagenetx`), group comparisons and augmentation effects (:mod:`errorscope.imagenetx`).
Everything here is NumPy/SciPy/pandas; no matplotlib.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..constants import FACTORS
from ..exceptions import InvalidInputError
from ..metrics._regression import fit_line
from ..imagenetx._groups import check_factor_table
from ..taxonomy._published import ETH_CATEGORY_NAMES

__all__ = [
    "factor_shares", "active_factor_counts", "factor_scatter_points", "MIN_IMAGES", "is_finding", "robust_susceptible",
    "metaclass_panels", "eth_points", "linear_fits",
]


# ---------------------------------------------------------------------------------------------------------
# Annotation statistics (ImageNet-X's factor distribution, active factors and Spearman figures)

def factor_shares(annotations: Mapping[str, object]) -> pd.DataFrame:
    """Share of images showing each factor, per annotation set.

    Parameters
    ----------
    annotations : mapping label -> :class:`~errorscope.imagenetx.FactorAnnotations`
        E.g. ``{"val top factor": ..., "val all factors": ...}``.

    Returns
    -------
    DataFrame with columns ``set, factor, count, n_images, share`` (share = count / n_images, so shares of a
    multi-factor set do not sum to 1), factors ranked by their mean share over the sets, descending.
    """
    rows = []
    for label, ann in annotations.items():
        counts = np.asarray(ann.factors, dtype=bool).sum(axis=0)
        n = len(ann)
        for f, c in zip(FACTORS, counts):
            rows.append((label, f, int(c), n, c / n if n else np.nan))
    out = pd.DataFrame(rows, columns=["set", "factor", "count", "n_images", "share"])
    order = out.groupby("factor")["share"].mean().sort_values(ascending=False, kind="stable").index
    out["factor"] = pd.Categorical(out["factor"], categories=list(order), ordered=True)
    return out.sort_values(["factor", "set"], kind="stable").reset_index(drop=True)


def active_factor_counts(annotations: Mapping[str, object]) -> pd.DataFrame:
    """Number of images per count of active factors, per annotation set.

    Returns columns ``set, n_active, n_images`` (only counts that occur).
    """
    frames = []
    for label, ann in annotations.items():
        active = np.asarray(ann.factors, dtype=bool).sum(axis=1)
        values, counts = np.unique(active, return_counts=True)
        frames.append(pd.DataFrame({"set": label, "n_active": values.astype(int), "n_images": counts.astype(int)}))
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------------------------------------------
# Factor tables (ImageNet-X's ``highlevel_scatter_plot`` and ``vit_example`` figures)

def factor_scatter_points(table: pd.DataFrame, groups: pd.Series | Mapping[str, str], *,
                          top_n: int = 20) -> tuple[pd.DataFrame, list[str]]:
    """Points of the "factor accuracy against overall accuracy" figure (ImageNet-X ``highlevel_scatter_plot``).

    Parameters
    ----------
    table : per-model table (index model): 16 factors, ``average``, optional ``worst_factor`` and
        ``worst_100_classes``.
    groups : model -> group label (colour); models absent from it are dropped.
    top_n : facet order: for each facet, mean of y over the ``top_n`` models with the highest x, ascending.

    Returns
    -------
    points : columns ``model, group, facet, x, y`` (NaN rows dropped; facet names with spaces).
    facet_order : list of facet names.
    """
    table = check_factor_table(table)
    groups = pd.Series(groups)
    cols = list(FACTORS) + [c for c in ("worst_factor", "worst_100_classes") if c in table.columns]
    sub = table.loc[table.index.isin(groups.index), cols + ["average"]]
    long = sub.reset_index().melt(id_vars=[sub.index.name or "model", "average"], value_vars=cols,
                                  var_name="facet", value_name="y")
    long = long.rename(columns={sub.index.name or "model": "model", "average": "x"}).dropna(subset=["x", "y"])
    long["group"] = long["model"].map(groups)
    long["facet"] = long["facet"].str.replace("_", " ")
    order = (long.sort_values("x", ascending=False, kind="stable").groupby("facet", sort=False).head(top_n)
             .groupby("facet")["y"].mean().sort_values(kind="stable"))
    return long[["model", "group", "facet", "x", "y"]].reset_index(drop=True), list(order.index)


#: Fewest images a factor cell needs to be coloured or listed as a finding. The Wilson interval of one failed
#: image already lies above 1 when the model's error rate is low (bird/shape of ViT: n = 1, interval [2.8, 13.4]),
#: so the interval alone does not protect against single-image cells.
MIN_IMAGES = 30


def is_finding(error_ratio, er_low, er_high, total, *, min_images: int = MIN_IMAGES):
    """Whether factor cells are findings: at least ``min_images`` images and an interval on one side of 1.

    Works on scalars and arrays alike; NaN bounds are never findings.
    """
    lo, hi, n = (np.asarray(x, dtype=float) for x in (er_low, er_high, total))
    with np.errstate(invalid="ignore"):
        return (n >= min_images) & ((hi < 1) | (lo > 1)) & np.isfinite(np.asarray(error_ratio, dtype=float))


def robust_susceptible(rows: pd.DataFrame, *, k: int = 3, min_images: int = MIN_IMAGES) -> pd.DataFrame:
    """A model's most robust and most susceptible factors, only where the error-ratio interval excludes 1.

    Parameters
    ----------
    rows : tidy factor rows of one group (columns ``factor, error_ratio, er_low, er_high, total``).
    k : at most this many factors of each kind.
    min_images : factors resting on fewer images are never listed (:data:`MIN_IMAGES`).

    Returns
    -------
    DataFrame with columns ``factor, error_ratio, er_low, er_high, total, kind``: up to ``k`` "robust" factors
    (interval upper bound below 1, lowest error ratio first) then up to ``k`` "susceptible" factors (lower bound
    above 1, shown in ascending order, the highest last). A factor on fewer than ``min_images`` images is never
    listed, whatever its interval.
    """
    cols = ["factor", "error_ratio", "er_low", "er_high", "total"]
    r = rows[rows["factor"].isin(FACTORS)][cols].dropna(subset=["error_ratio", "er_low", "er_high"])
    r = r[is_finding(r["error_ratio"], r["er_low"], r["er_high"], r["total"], min_images=min_images)]
    low = r[r["er_high"] < 1].sort_values("error_ratio", kind="stable").head(k)
    high = r[r["er_low"] > 1].sort_values("error_ratio", kind="stable").tail(k)
    return pd.concat([low.assign(kind="robust"), high.assign(kind="susceptible")], ignore_index=True)[cols + ["kind"]]


def metaclass_panels(factors: pd.DataFrame, model: str, *, n_worst: int = 3, extra: Sequence[str] = ("dog",),
                     k: int = 3) -> pd.DataFrame:
    """Panels of a model's most robust and most susceptible factors (ImageNet-X ``vit_example``), interval-aware.

    Parameters
    ----------
    factors : tidy factor rows (``model, metaclass, factor, total, accuracy, error_ratio, er_low, er_high``;
        ``factor == "average"`` rows give each group's accuracy, ``metaclass == "all"`` the overall rows), e.g.
        :attr:`errorscope.plots.FigureInputs.factors`.
    model : the model drawn.
    n_worst : the model's metaclasses with the lowest accuracy drawn first; then ``extra``, then ``overall``.
    k : factors per kind (:func:`robust_susceptible`).

    Returns
    -------
    DataFrame with columns ``panel, average, factor, error_ratio, er_low, er_high, total, kind``; a panel with
    no factor whose interval excludes 1 has one row with ``kind == "none"`` (drawn as "no clear factor").
    """
    missing = [c for c in ("model", "metaclass", "factor", "total", "accuracy", "error_ratio", "er_low", "er_high")
               if c not in factors.columns]
    if missing:
        raise InvalidInputError(f"Expected tidy factor rows; columns {missing} are missing (got {list(factors.columns)}).")
    rows = factors[factors["model"] == model]
    if rows.empty or not (rows["metaclass"] != "all").any():
        raise InvalidInputError(f"Model {model!r} has no per-metaclass factor rows; models with them: "
                                f"{sorted(set(factors.loc[factors['metaclass'] != 'all', 'model']))[:10]}.")
    avg = rows[rows["factor"] == "average"].set_index("metaclass")["accuracy"]
    worst = list(avg.drop(index="all", errors="ignore").sort_values(kind="stable").index[:n_worst])
    panels = worst + [m for m in extra if m in avg.index and m not in worst] + (["overall"] if "all" in avg.index else [])
    frames = []
    for p in panels:
        f = robust_susceptible(rows[rows["metaclass"] == ("all" if p == "overall" else p)], k=k)
        if f.empty:
            f = pd.DataFrame({"factor": [""], "error_ratio": [np.nan], "er_low": [np.nan], "er_high": [np.nan],
                              "total": [0], "kind": ["none"]})
        f.insert(0, "average", float(avg.get("all" if p == "overall" else p, np.nan)))
        f.insert(0, "panel", p)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------------------------------------------
# ETH error-taxonomy population (the authors' ``collect_results`` statistics)

_RELATIVE = {
    "absolute": None,
    "group_mle": lambda d: d["num_group_top1_errors"] - d["num_collapsed_mappings"] - d["num_ambiguous"],
    "group_top1_err": lambda d: d["num_group_top1_errors"],
    "group_samples": lambda d: d["num_group_samples"],
}


def eth_points(stats: Mapping[str, pd.DataFrame] | pd.DataFrame, *, x: str = "imagenet_top1_val_acc",
               relative: str = "absolute", categories: Sequence[str] | None = None) -> pd.DataFrame:
    """Each error category's count per model against an accuracy, from ETH stats tables (``non_problematic_stats_<group>.csv``).

    Parameters
    ----------
    stats : one table, or a mapping group name -> table, in the ``non_problematic_stats_<group>.csv`` layout.
    x : x column (``imagenet_top1_val_acc``, ``top1_val_acc``, ``imagenet_mla_val_acc``, ``mla_group`` ...).
    relative : ``"absolute"`` (counts), ``"group_mle"`` (100 · count / (top-1 errors − collapsed − ambiguous)),
        ``"group_top1_err"`` (100 · count / top-1 errors) or ``"group_samples"`` (100 · count / samples).
    categories : stats columns to use (default: the 7 of :data:`~errorscope.taxonomy.ETH_CATEGORY_NAMES`; for ``"group_mle"`` the 5
        multi-label error categories, without overlapping classes and multi-label).

    Returns
    -------
    DataFrame with columns ``model, group, category, x, y``.
    """
    if relative not in _RELATIVE:
        raise InvalidInputError(f"Expected `relative` in {sorted(_RELATIVE)}, but got {relative!r}.")
    if isinstance(stats, pd.DataFrame):
        stats = {"all": stats}
    if categories is None:
        # relative to multi-label errors, only the categories that are multi-label errors make sense
        categories = [c for c in ETH_CATEGORY_NAMES if relative != "group_mle"
                      or c not in ("num_collapsed_mappings", "num_ambiguous")]
    cats = list(categories)
    frames = []
    for group, d in stats.items():
        missing = [c for c in ["model_dir_id", x, *cats] if c not in d.columns]
        if missing:
            raise InvalidInputError(
                f"ETH stats table of group {group!r} lacks columns {missing}; expected the "
                "non_problematic_stats_<group>.csv layout (Peychev et al. 2023, docs/taxonomy.md)."
            )
        denom = _RELATIVE[relative]
        for c in cats:
            y = d[c].astype(float)
            if denom is not None:
                with np.errstate(divide="ignore", invalid="ignore"):
                    y = 100.0 * y / denom(d).astype(float)
            frames.append(pd.DataFrame({"model": d["model_dir_id"].to_numpy(), "group": group,
                                        "category": ETH_CATEGORY_NAMES.get(c, c), "x": d[x].astype(float).to_numpy(),
                                        "y": y.to_numpy()}))
    return pd.concat(frames, ignore_index=True).replace([np.inf, -np.inf], np.nan).dropna(subset=["x", "y"])


def linear_fits(points: pd.DataFrame, *, by: Sequence[str] = ("category", "group"), level: float = 0.95,
                n: int = 50) -> pd.DataFrame:
    """Least-squares lines y = a + b·x with a pointwise confidence band of the mean, per ``by`` group
    (:func:`errorscope.metrics.fit_line`).

    Returns columns ``*by, x, fit, lo, hi, slope, intercept, r`` on a grid of ``n`` x values spanning the data.
    Groups with fewer than 3 points are skipped.
    """
    frames = []
    for key, g in points.groupby(list(by), sort=False):
        x, y = g["x"].to_numpy(float), g["y"].to_numpy(float)
        if len(x) < 3 or np.ptp(x) == 0:
            continue
        line = fit_line(x, y)
        grid = np.linspace(x.min(), x.max(), n)
        fit = line.predict(grid)
        half = line.t_quantile(level) * line.standard_error(grid)
        f = pd.DataFrame({"x": grid, "fit": fit, "lo": fit - half, "hi": fit + half,
                          "slope": line.slope, "intercept": line.intercept, "r": line.r})
        for name, value in zip(by, key if isinstance(key, tuple) else (key,)):
            f.insert(0, name, value)
        frames.append(f)
    cols = list(by) + ["x", "fit", "lo", "hi", "slope", "intercept", "r"]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
