"""Group statistics of the ImageNet-X paper, from the published tables or from stored models.

* :func:`model_type_error_ratios`: mean error ratio per (factor, model type) and the Alexander-Govern test
  across the types (the paper's Figure 1 bar chart; spec section 8 item 5).
* :func:`parse_augmentation_hparams` and :func:`augmentation_effects`: the augmentation-strength effect per
  factor (the paper's data-augmentation figure; spec section 8 item 8).

Error ratio of factor f: (1 - acc_f) / (1 - average).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy import stats

from ..constants import FACTORS
from ..exceptions import InvalidInputError
from .model_types import MODEL_TYPE_ORDER, model_type, selfsupervised_models

__all__ = ["error_ratios", "stored_table", "highlevel_population", "model_type_error_ratios", "AUGMENTATIONS",
           "parse_augmentation_hparams", "augmentation_effects"]

#: augmentation -> (ImageNet-X group, strength column)
AUGMENTATIONS = {"crop": ("crop", "Crop strength"), "color": ("colorjitter", "Color strength"),
                 "smoothing": ("gaussian_blur", "Smoothing strength")}
_NUMBER = r"([+-]?[0-9]*[.]?[0-9]+(?:[eE][+-]?[0-9]+)?)"


def error_ratios(table: pd.DataFrame) -> pd.DataFrame:
    """(1 - acc_f) / (1 - average) for the 16 factors of a wide table (other columns are kept)."""
    missing = [c for c in FACTORS + ["average"] if c not in table.columns]
    if missing:
        raise InvalidInputError(f"Expected the factor columns and 'average', but {missing} are missing.")
    out = table.copy()
    denom = 1.0 - table["average"].to_numpy(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        for f in FACTORS:
            out[f] = (1.0 - table[f].to_numpy(np.float64)) / denom
    return out


def stored_table(store, *, which: str = "top", error_type: str = "class") -> pd.DataFrame:
    """The stored models' factor accuracies in the published layout, with their ``model_type``.

    Needs the default metric suite's derived tables ``factors`` and ``summary``.
    """
    from .metrics import published_layout

    missing = {"factors", "summary"} - set(store.derived_tables())
    if missing:
        raise InvalidInputError(f"{store.path}: no derived tables {sorted(missing)}; the store was filled with "
                                "another metric suite. Run `errorscope store refresh --force`.")
    wide = published_layout(store.derived("factors"), store.derived("summary"), which=which, error_type=error_type)
    types = store.list().set_index("model")["model_type"]
    wide.insert(0, "model_type", types.reindex(wide.index).to_numpy())
    return wide.reset_index()


def highlevel_population(tables: pd.DataFrame, *, include_human: bool = False) -> pd.DataFrame:
    """The models of the paper's main plots: imagenet_testbed, plus the self-supervised rows of modelvshuman
    and base, restricted to the four model types of ``MODEL_TYPE_ORDER`` (209 models).

    ``tables`` is :func:`~errorscope.store.reference.imagenetx_wide` output (group, model, model_type, ...).
    """
    ssl = set(selfsupervised_models())
    keep = (tables["group"] == "imagenet_testbed") | (
        tables["group"].isin(["modelvshuman", "base"]) & tables["model"].isin(ssl))
    out = tables[keep].copy()
    out["model_type"] = out["model"].map(model_type)
    allowed = set(MODEL_TYPE_ORDER) | ({"Original validation annotations"} if include_human else set())
    return out[out["model_type"].isin(allowed)].reset_index(drop=True)


def model_type_error_ratios(table: pd.DataFrame, *, alpha: float = 0.05,
                            order: list[str] | None = None) -> pd.DataFrame:
    """Mean error ratio per factor and model type, with the Alexander-Govern test across types.

    Returns one row per (factor, model_type): mean, std (ddof 1), n, and per factor the test's statistic,
    p_value and ``significant`` (p < alpha; NaN p is not significant, as in ImageNet-X). Factors are ordered
    by their mean error ratio over all models, ascending, as in the paper's figure.
    """
    order = order or MODEL_TYPE_ORDER
    er = error_ratios(table)
    er = er[er["model_type"].isin(order)]
    rows = []
    for f in FACTORS:
        samples = [er.loc[er["model_type"] == t, f].to_numpy(np.float64) for t in order]
        present = [s for s in samples if len(s)]
        with np.errstate(all="ignore"):
            try:
                res = stats.alexandergovern(*present, nan_policy="propagate")
                stat, p = float(res.statistic), float(res.pvalue)
            except ValueError:
                stat, p = np.nan, np.nan
        for t, s in zip(order, samples):
            rows.append({"factor": f, "model_type": t, "mean": np.nanmean(s) if len(s) else np.nan,
                         "std": np.nanstd(s, ddof=1) if len(s) > 1 else np.nan, "n": len(s),
                         "statistic": stat, "p_value": p, "significant": bool(p < alpha) if p == p else False})
    out = pd.DataFrame(rows)
    rank = er[FACTORS].mean().sort_values(kind="stable")
    out["factor"] = pd.Categorical(out["factor"], categories=list(rank.index), ordered=True)
    out["model_type"] = pd.Categorical(out["model_type"], categories=order, ordered=True)
    return out.sort_values(["factor", "model_type"]).reset_index(drop=True)


def _first(name: str, text: str) -> float:
    m = re.search(re.escape(name) + _NUMBER, text)
    return float(m.group(1)) if m else np.nan


def parse_augmentation_hparams(models, kind: str) -> pd.DataFrame:
    """Hyper-parameters encoded in the sweep model names.

    ``eval_resnet50_crop8.0_wd1e-05_color100.0_smoothing0.0_id1662471601`` gives crop 8.0, wd 1e-05,
    color 100.0, smoothing 0.0, id 1662471601. The strength of ``kind`` is: Crop strength = 100 - crop,
    Color strength = color, Smoothing strength = smoothing. Numbers take an optional exponent everywhere
    (ImageNet-X's crop parser does not, so it reads ``wd1e-05`` as 1; only the strength is used downstream).

    Examples
    --------
    >>> row = parse_augmentation_hparams(["eval_resnet50_crop0.2_wd0.0001_id1660252539"], "crop").iloc[0]
    >>> float(row["crop"]), float(row["wd"]), int(row["id"]), round(float(row["Crop strength"]), 1)
    (0.2, 0.0001, 1660252539, 99.8)
    """
    if kind not in AUGMENTATIONS:
        raise InvalidInputError(f"Expected `kind` in {sorted(AUGMENTATIONS)}, but got {kind!r}.")
    names = [str(m) for m in models]
    keys = ["crop", "wd", "id"] if kind == "crop" else ["crop", "wd", "id", kind]
    out = pd.DataFrame({"model": names})
    for k in keys:
        out[k] = [_first(k, n) for n in names]
    column = AUGMENTATIONS[kind][1]
    out[column] = 100.0 - out["crop"] if kind == "crop" else out[kind]
    return out


def augmentation_effects(table: pd.DataFrame, kind: str, *, min_models: int = 5) -> pd.DataFrame:
    """Effect of augmentation strength on each factor's error ratio (ImageNet-X ``augmentation_effect``).

    For each factor: fit a cubic of error ratio against strength over the models at strengths with at least
    ``min_models`` models (ImageNet-X: more than 4), take the strengths where the cubic, evaluated at the
    observed strengths, is largest and smallest, and run Welch's t-test between the models at the smaller of
    the two strengths and those at the larger. ``effect`` = t, so a positive effect means the error ratio
    falls as the augmentation gets stronger. Rows with a NaN error ratio and the ``human`` row are dropped.

    Returns one row per factor: effect, p_value, low_strength, high_strength, n_low, n_high, sorted by effect
    descending.
    """
    column = AUGMENTATIONS[kind][1] if kind in AUGMENTATIONS else None
    if column is None:
        raise InvalidInputError(f"Expected `kind` in {sorted(AUGMENTATIONS)}, but got {kind!r}.")
    t = table[table["model"] != "human"]
    hp = parse_augmentation_hparams(t["model"], kind)
    er = error_ratios(t).reset_index(drop=True)
    er["strength"] = hp[column].to_numpy()
    counts = er["strength"].value_counts()
    er = er[er["strength"].isin(counts.index[counts >= min_models])]
    rows = []
    for f in FACTORS:
        d = er[["strength", f]].dropna()
        xs = d["strength"].to_numpy(np.float64)
        ys = d[f].to_numpy(np.float64)
        grid = np.unique(xs)
        if len(grid) < 4:
            rows.append({"factor": f, "effect": np.nan, "p_value": np.nan})
            continue
        fit = np.polyval(np.polyfit(xs, ys, 3), grid)
        a, b = grid[int(np.argmax(fit))], grid[int(np.argmin(fit))]
        lo, hi = min(a, b), max(a, b)
        s_lo, s_hi = ys[xs == lo], ys[xs == hi]
        res = stats.ttest_ind(s_lo, s_hi, equal_var=False)
        rows.append({"factor": f, "effect": float(res.statistic), "p_value": float(res.pvalue),
                     "low_strength": lo, "high_strength": hi, "n_low": len(s_lo), "n_high": len(s_hi)})
    return pd.DataFrame(rows).sort_values("effect", ascending=False, kind="stable").reset_index(drop=True)
