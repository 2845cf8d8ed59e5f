"""Table-producing statistics behind the figures: every number a figure shows is computed here, not in plotting code.

Each function takes tables (the published ``accuracies_per_factor.csv`` layout, the metaclass layout, the ETH
``non_problematic_stats_*.csv`` layout) or annotation arrays and returns a small pandas DataFrame. The plotting
functions in :mod:`errorscope.plots` only draw these frames. Everything here is NumPy/SciPy/pandas; no matplotlib.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..constants import FACTORS, METACLASSES
from ..exceptions import InvalidInputError

__all__ = [
    "ERROR_CATEGORIES", "MODEL_TYPE_ORDER", "check_factor_table", "factor_shares", "active_factor_counts",
    "spearman_table", "error_ratio_table", "model_types", "factor_scatter_points", "group_comparison",
    "robust_susceptible", "metaclass_panels", "augmentation_strength", "augmentation_points",
    "augmentation_effects", "augmentation_curves", "eth_points", "linear_fits",
]

#: The four model types that enter the ImageNet-X population figures, in the paper's order.
MODEL_TYPE_ORDER: list[str] = [
    "Supervised on more data", "Supervised on ImageNet-1K", "Self-supervised", "Robustness intervention",
]

#: ETH error categories: stats column -> display name (paper names), in the paper's order.
ERROR_CATEGORIES: dict[str, str] = {
    "num_collapsed_mappings": "overlapping classes",
    "num_ambiguous": "multi-label",
    "num_same_superclass": "fine-grained",
    "num_OOV_clip": "fine-grained OOV",
    "num_common_co_occ": "spurious correlation",
    "num_non_prototypical": "non-prototypical",
    "num_not_classified": "model failure",
}


def check_factor_table(table: pd.DataFrame, *, name: str = "table", need: Sequence[str] = ("average",)) -> pd.DataFrame:
    """Validate a table in the ``accuracies_per_factor.csv`` layout and return it indexed by model.

    Accepts the model as index or as a ``model`` column. Raises :class:`InvalidInputError` naming the missing
    columns otherwise.
    """
    if not isinstance(table, pd.DataFrame):
        raise InvalidInputError(f"Expected `{name}` to be a pandas DataFrame, but got {type(table).__name__}.")
    if "model" in table.columns and "metaclass" not in table.columns:
        table = table.set_index("model")
    missing = [c for c in list(FACTORS) + list(need) if c not in table.columns]
    if missing:
        raise InvalidInputError(
            f"Expected `{name}` in the accuracies_per_factor.csv layout (index model, the 16 factors, "
            f"worst_factor, average, ...), but columns {missing} are missing. Got columns {list(table.columns)}."
        )
    return table


# ---------------------------------------------------------------------------------------------------------
# Annotation statistics (spec B §8 figures 1-3)

def factor_shares(annotations: Mapping[str, object]) -> pd.DataFrame:
    """Share of images showing each factor, per annotation set.

    Parameters
    ----------
    annotations : mapping label -> :class:`~errorscope.annotations.FactorAnnotations`
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


def spearman_table(annotations) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Spearman ρ and p-values between the 16 factor and 17 metaclass indicators (spec B §5).

    For 0/1 variables Spearman's ρ is Pearson's φ and its p-value the t-test with n − 2 degrees of freedom.
    As in the original (``squareform`` of the condensed form), the **diagonal is 0** for ρ and p; a constant
    column gives NaN.

    Returns
    -------
    rho, pval : DataFrames of shape (33, 33), index and columns ``FACTORS + METACLASSES``.
    """
    from scipy import stats

    factors = np.asarray(annotations.factors, dtype=np.float64)
    meta = np.asarray(annotations.metaclass)
    onehot = (meta[:, None] == np.arange(len(METACLASSES))[None, :]).astype(np.float64)
    x = np.concatenate([factors, onehot], axis=1)
    n = x.shape[0]
    xc = x - x.mean(axis=0)
    sd = np.sqrt((xc ** 2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.einsum("ni,nj->ij", xc, xc) / np.outer(sd, sd)  # einsum: no BLAS thread contention
        rho = np.clip(rho, -1.0, 1.0)
        t = rho * np.sqrt((n - 2) / ((1.0 - rho) * (1.0 + rho)))
        p = 2 * stats.t.sf(np.abs(t), n - 2)
    p = np.where(np.abs(rho) >= 1.0, 0.0, p)
    p = np.where(np.isnan(rho), np.nan, p)
    np.fill_diagonal(rho, 0.0)
    np.fill_diagonal(p, 0.0)
    names = list(FACTORS) + list(METACLASSES)
    return pd.DataFrame(rho, index=names, columns=names), pd.DataFrame(p, index=names, columns=names)


# ---------------------------------------------------------------------------------------------------------
# Factor tables (spec B §5 error ratio, §8 figures 4-9)

def error_ratio_table(table: pd.DataFrame) -> pd.DataFrame:
    """Error ratios (1 − acc_f) / (1 − average) of the 16 factors, one row per row of ``table``.

    Works on the per-model layout and on the metaclass layout (the ``metaclass`` column is kept).
    """
    keep_meta = "metaclass" in table.columns
    table = check_factor_table(table, name="table") if not keep_meta else table
    with np.errstate(divide="ignore", invalid="ignore"):
        er = (1.0 - table[FACTORS]).div(1.0 - table["average"], axis=0)
    if keep_meta:
        er.insert(0, "metaclass", table["metaclass"])
        if "model" in table.columns:
            er.insert(0, "model", table["model"])
    return er


def model_types(models: Sequence[str], *, mapping: Mapping[str, str] | None = None) -> pd.Series:
    """Model type of each model name (spec B §7): exact-name lookup in ImageNet-X's ``model_types_map``.

    ``"human"`` is "Original validation annotations"; unknown names are "Other". ``mapping`` (name -> type)
    overrides the lookup, so the user's own models can be typed.
    """
    from imagenet_x.model_types import model_types_map

    def one(m: str) -> str:
        if mapping and m in mapping:
            return str(mapping[m])
        if m == "human":
            return "Original validation annotations"
        t = model_types_map.get(m)
        return t.value if t is not None else "Other"

    return pd.Series([one(m) for m in models], index=pd.Index(list(models), name="model"), name="model_type")


def factor_scatter_points(table: pd.DataFrame, groups: pd.Series | Mapping[str, str], *,
                          top_n: int = 20) -> tuple[pd.DataFrame, list[str]]:
    """Points of the "factor accuracy against overall accuracy" figure (spec B §8 figure 4).

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


def group_comparison(table: pd.DataFrame, groups: pd.Series | Mapping[str, str], *,
                     value: str = "error_ratio", group_order: Sequence[str] | None = None,
                     alpha: float = 0.05) -> pd.DataFrame:
    """Per (factor, group) mean and standard deviation, with an Alexander-Govern test per factor.

    The data of spec B §8 figures 5 and 9: ``value="error_ratio"`` gives mean error ratios, ``"accuracy"``
    mean factor accuracies. Factors are ordered by mean error ratio over all models, ascending. A factor is
    significant when the Alexander-Govern p-value over the groups (one sample per group, NaN dropped) is
    below ``alpha``; with one group, or a NaN p-value, it is not.

    Returns
    -------
    DataFrame with columns ``factor, group, mean, std, n, pvalue, significant``, rows in factor then group order.
    """
    from scipy import stats

    if value not in ("error_ratio", "accuracy"):
        raise InvalidInputError(f"Expected `value` to be 'error_ratio' or 'accuracy', but got {value!r}.")
    table = check_factor_table(table)
    groups = pd.Series(groups)
    table = table.loc[table.index.isin(groups.index)]
    if table.empty:
        raise InvalidInputError("No model of `table` has a group in `groups`; nothing to compare.")
    er = error_ratio_table(table)
    vals = er if value == "error_ratio" else table[FACTORS]
    order = er.mean().sort_values(kind="stable").index
    group_of = groups.reindex(table.index)
    present = list(pd.unique(group_of))
    g_order = [g for g in (group_order or present) if g in present]
    rows = []
    for f in order:
        samples = [vals.loc[group_of == g, f].dropna().to_numpy() for g in g_order]
        usable = [s for s in samples if len(s) >= 2]
        p = np.nan
        if len(usable) >= 2:
            with np.errstate(all="ignore"):
                try:
                    p = float(stats.alexandergovern(*usable).pvalue)
                except (ValueError, ZeroDivisionError):
                    p = np.nan
        for g, s in zip(g_order, samples):
            rows.append((f, g, float(s.mean()) if len(s) else np.nan,
                         float(s.std(ddof=1)) if len(s) > 1 else np.nan, len(s), p,
                         bool(np.isfinite(p) and p < alpha)))
    return pd.DataFrame(rows, columns=["factor", "group", "mean", "std", "n", "pvalue", "significant"])


def robust_susceptible(error_ratios: pd.Series, *, k: int = 3) -> pd.DataFrame:
    """The ``k`` lowest (robust) and ``k`` highest (susceptible) error ratios of one row, NaN dropped.

    Returns columns ``factor, error_ratio, kind`` ("robust" then "susceptible", each ascending).
    """
    s = pd.Series(error_ratios, dtype=float)[[f for f in FACTORS if f in error_ratios.index]].dropna()
    s = s.sort_values(kind="stable")
    low, high = s.head(k), s.tail(k)
    return pd.concat([
        pd.DataFrame({"factor": low.index, "error_ratio": low.to_numpy(), "kind": "robust"}),
        pd.DataFrame({"factor": high.index, "error_ratio": high.to_numpy(), "kind": "susceptible"}),
    ], ignore_index=True)


def metaclass_panels(metaclass_table: pd.DataFrame, overall_table: pd.DataFrame, model: str, *,
                     n_worst: int = 3, extra: Sequence[str] = ("dog",), k: int = 3) -> pd.DataFrame:
    """Panels of a model's most robust and most susceptible factors (spec B §8 figure 7).

    Panels: the model's ``n_worst`` metaclasses with the lowest ``average``, then the ``extra`` metaclasses,
    then ``overall`` (from ``overall_table``). Error ratios are relative to each row's own ``average``.

    Returns columns ``panel, average, factor, error_ratio, kind``.
    """
    mt = metaclass_table.reset_index() if "model" not in metaclass_table.columns else metaclass_table
    if model not in set(mt["model"]):
        raise InvalidInputError(f"Model {model!r} is not in the metaclass table; it has {sorted(set(mt['model']))[:10]}.")
    rows = mt[mt["model"] == model].set_index("metaclass")
    worst = list(rows["average"].sort_values(kind="stable").index[:n_worst])
    panels = worst + [m for m in extra if m in rows.index]
    er = error_ratio_table(rows.reset_index()).set_index("metaclass")
    frames = []
    for p in panels:
        f = robust_susceptible(er.loc[p, FACTORS], k=k)
        f.insert(0, "average", float(rows.loc[p, "average"]))
        f.insert(0, "panel", p)
        frames.append(f)
    overall = check_factor_table(overall_table)
    if model in overall.index:
        f = robust_susceptible(error_ratio_table(overall.loc[[model]]).iloc[0], k=k)
        f.insert(0, "average", float(overall.loc[model, "average"]))
        f.insert(0, "panel", "overall")
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------------------------------------------
# Augmentation sweeps (spec B §8 figure 8)

_STRENGTH = {
    "crop": ("crop", r"crop([+-]?[0-9]*[.]?[0-9]+)", True),
    "color": ("color", r"color([+-]?[0-9]*[.]?[0-9]+(?:[eE][+-]?[0-9]+)?)", False),
    "smoothing": ("smoothing", r"smoothing([+-]?[0-9]*[.]?[0-9]+(?:[eE][+-]?[0-9]+)?)", False),
}


def augmentation_strength(models: Sequence[str], kind: str) -> pd.Series:
    """Augmentation strength parsed from model names (spec B §8): crop = 100 − value after ``crop``;
    color and smoothing = the value after ``color`` / ``smoothing``. NaN when the name has no match."""
    if kind not in _STRENGTH:
        raise InvalidInputError(f"Expected `kind` in {sorted(_STRENGTH)}, but got {kind!r}.")
    _, pattern, invert = _STRENGTH[kind]
    rx = re.compile(pattern)
    vals = []
    for m in models:
        hit = rx.search(str(m))
        v = float(hit.group(1)) if hit else np.nan
        vals.append(100.0 - v if (invert and hit) else v)
    return pd.Series(vals, index=pd.Index(list(models), name="model"), name="strength")


def augmentation_points(table: pd.DataFrame, kind: str, *, min_models: int = 5) -> pd.DataFrame:
    """Per-model error ratios against augmentation strength, keeping strengths with ≥ ``min_models`` models.

    Returns columns ``model, strength, factor, error_ratio`` (the human row is dropped).
    """
    table = check_factor_table(table)
    table = table.loc[table.index != "human"]
    strength = augmentation_strength(list(table.index), kind)
    counts = strength.value_counts()
    keep = strength.isin(counts[counts >= min_models].index)
    er = error_ratio_table(table.loc[keep.to_numpy()])
    er.insert(0, "strength", strength[keep].to_numpy())
    long = er.reset_index().melt(id_vars=[er.index.name or "model", "strength"], value_vars=FACTORS,
                                 var_name="factor", value_name="error_ratio")
    return long.rename(columns={er.index.name or "model": "model"}).dropna(subset=["error_ratio"])


def augmentation_effects(points: pd.DataFrame) -> pd.DataFrame:
    """Effect of an augmentation on each factor's error ratio (spec B §8 ``augmentation_effect``).

    Fit a cubic of ER against strength, take the strengths of its argmax and argmin over the unique
    strengths, and Welch-test the models at the smaller of the two against those at the larger.
    effect = t (positive: ER falls as the augmentation gets stronger).

    Returns columns ``factor, effect, pvalue``, sorted by effect descending.
    """
    from scipy import stats

    rows = []
    for f, g in points.groupby("factor", sort=False):
        xs = np.sort(g["strength"].unique())
        if len(xs) < 2:
            rows.append((f, np.nan, np.nan))
            continue
        coef = np.polyfit(g["strength"].to_numpy(float), g["error_ratio"].to_numpy(float), min(3, len(xs) - 1))
        fitted = np.polyval(coef, xs)
        lo, hi = sorted((xs[int(np.argmax(fitted))], xs[int(np.argmin(fitted))]))
        a = g.loc[g["strength"] == lo, "error_ratio"].to_numpy(float)
        b = g.loc[g["strength"] == hi, "error_ratio"].to_numpy(float)
        with np.errstate(all="ignore"):
            res = stats.ttest_ind(a, b, equal_var=False)
        rows.append((f, float(res.statistic), float(res.pvalue)))
    out = pd.DataFrame(rows, columns=["factor", "effect", "pvalue"])
    return out.sort_values("effect", ascending=False, kind="stable").reset_index(drop=True)


def augmentation_curves(points: pd.DataFrame, factors: Sequence[str], *, n: int = 50) -> pd.DataFrame:
    """Cubic fits of error ratio against strength for ``factors``: columns ``factor, strength, fitted``."""
    frames = []
    for f in factors:
        g = points[points["factor"] == f]
        xs = np.sort(g["strength"].unique())
        coef = np.polyfit(g["strength"].to_numpy(float), g["error_ratio"].to_numpy(float), min(3, len(xs) - 1))
        grid = np.linspace(xs.min(), xs.max(), n)
        frames.append(pd.DataFrame({"factor": f, "strength": grid, "fitted": np.polyval(coef, grid)}))
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------------------------------------------
# ETH error-taxonomy population (spec A §14)

_RELATIVE = {
    "absolute": None,
    "group_mle": lambda d: d["num_group_top1_errors"] - d["num_collapsed_mappings"] - d["num_ambiguous"],
    "group_top1_err": lambda d: d["num_group_top1_errors"],
    "group_samples": lambda d: d["num_group_samples"],
}


def eth_points(stats: Mapping[str, pd.DataFrame] | pd.DataFrame, *, x: str = "imagenet_top1_val_acc",
               relative: str = "absolute", categories: Sequence[str] | None = None) -> pd.DataFrame:
    """Each error category's count per model against an accuracy, from ETH stats tables (spec A §14).

    Parameters
    ----------
    stats : one table, or a mapping group name -> table, in the ``non_problematic_stats_<group>.csv`` layout.
    x : x column (``imagenet_top1_val_acc``, ``top1_val_acc``, ``imagenet_mla_val_acc``, ``mla_group`` ...).
    relative : ``"absolute"`` (counts), ``"group_mle"`` (100 · count / (top-1 errors − collapsed − ambiguous)),
        ``"group_top1_err"`` (100 · count / top-1 errors) or ``"group_samples"`` (100 · count / samples).
    categories : stats columns to use (default: the 7 of :data:`ERROR_CATEGORIES`; for ``"group_mle"`` the 5
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
        categories = [c for c in ERROR_CATEGORIES if relative != "group_mle"
                      or c not in ("num_collapsed_mappings", "num_ambiguous")]
    cats = list(categories)
    frames = []
    for group, d in stats.items():
        missing = [c for c in ["model_dir_id", x, *cats] if c not in d.columns]
        if missing:
            raise InvalidInputError(
                f"ETH stats table of group {group!r} lacks columns {missing}; expected the "
                "non_problematic_stats_<group>.csv layout (spec A §14)."
            )
        denom = _RELATIVE[relative]
        for c in cats:
            y = d[c].astype(float)
            if denom is not None:
                with np.errstate(divide="ignore", invalid="ignore"):
                    y = 100.0 * y / denom(d).astype(float)
            frames.append(pd.DataFrame({"model": d["model_dir_id"].to_numpy(), "group": group,
                                        "category": ERROR_CATEGORIES.get(c, c), "x": d[x].astype(float).to_numpy(),
                                        "y": y.to_numpy()}))
    return pd.concat(frames, ignore_index=True).replace([np.inf, -np.inf], np.nan).dropna(subset=["x", "y"])


def linear_fits(points: pd.DataFrame, *, by: Sequence[str] = ("category", "group"), level: float = 0.95,
                n: int = 50) -> pd.DataFrame:
    """Least-squares lines y = a + b·x with a pointwise confidence band of the mean, per ``by`` group.

    Returns columns ``*by, x, fit, lo, hi, slope, intercept, r`` on a grid of ``n`` x values spanning the data.
    Groups with fewer than 3 points are skipped.
    """
    from scipy import stats

    frames = []
    for key, g in points.groupby(list(by), sort=False):
        x, y = g["x"].to_numpy(float), g["y"].to_numpy(float)
        if len(x) < 3 or np.ptp(x) == 0:
            continue
        res = stats.linregress(x, y)
        resid = y - (res.intercept + res.slope * x)
        dof = len(x) - 2
        s = np.sqrt((resid ** 2).sum() / dof)
        grid = np.linspace(x.min(), x.max(), n)
        se = s * np.sqrt(1.0 / len(x) + (grid - x.mean()) ** 2 / ((x - x.mean()) ** 2).sum())
        tq = stats.t.ppf(0.5 + level / 2, dof)
        fit = res.intercept + res.slope * grid
        f = pd.DataFrame({"x": grid, "fit": fit, "lo": fit - tq * se, "hi": fit + tq * se,
                          "slope": res.slope, "intercept": res.intercept, "r": res.rvalue})
        for name, value in zip(by, key if isinstance(key, tuple) else (key,)):
            f.insert(0, name, value)
        frames.append(f)
    cols = list(by) + ["x", "fit", "lo", "hi", "slope", "intercept", "r"]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
