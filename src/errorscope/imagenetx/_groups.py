"""Statistics over populations of models: the ImageNet-X group comparisons and augmentation sweeps.

One implementation serves the figures (:mod:`errorscope.plots`), the store and its CLI
(:mod:`errorscope.store.groupstats`), on the published tables (:mod:`errorscope.imagenetx`) or the user's own:

* :func:`highlevel_population`: the 209 models of the paper's main figures (ImageNet-X ``highlevel_scatter_plot``);
* :func:`group_comparison`: mean and standard deviation of the error ratio (or accuracy) per factor and group,
  with the Alexander-Govern test across the groups (ImageNet-X ``model_comparison``);
* :func:`parse_augmentation_hparams`, :func:`augmentation_strength`, :func:`augmentation_points`,
  :func:`augmentation_effects`, :func:`augmentation_curves`: the augmentation-strength effect per factor,
  a cubic fit plus Welch's t-test (ImageNet-X ``augmentation_effect``).

Error ratio of factor f: (1 - acc_f) / (1 - average) (:func:`errorscope.imagenetx.error_ratios`).
The ImageNet-X result tables are CC BY-NC 4.0.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..constants import FACTORS
from ..exceptions import InvalidInputError
from ._tables import error_ratios
from ._model_types import HUMAN, MODEL_TYPE_ORDER, model_type, selfsupervised_models

__all__ = [
    "check_factor_table", "highlevel_population", "group_comparison", "AUGMENTATIONS",
    "parse_augmentation_hparams", "augmentation_strength", "augmentation_points", "augmentation_effects",
    "augmentation_curves",
]

#: augmentation kind -> (ImageNet-X group of the sweep, strength column of :func:`parse_augmentation_hparams`)
AUGMENTATIONS = {"crop": ("crop", "Crop strength"), "color": ("colorjitter", "Color strength"),
                 "smoothing": ("gaussian_blur", "Smoothing strength")}
_NUMBER = r"([+-]?[0-9]*[.]?[0-9]+(?:[eE][+-]?[0-9]+)?)"


def check_factor_table(table: pd.DataFrame, *, name: str = "table", need: Sequence[str] = ("average",)) -> pd.DataFrame:
    """Validate a table in the ``accuracies_per_factor.csv`` layout and return it indexed by model.

    Accepts the model as index or as a ``model`` column. Raises :class:`InvalidInputError` naming the missing
    columns otherwise.

    Parameters
    ----------
    table : DataFrame
        Per-model table: the 16 factor accuracies and the ``need`` columns.
    name : str, default "table"
        Name of the argument, for the error message.
    need : sequence of str, default ("average",)
        Columns required besides the 16 factors.

    Returns
    -------
    DataFrame
        ``table`` indexed by model.
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


def highlevel_population(tables: pd.DataFrame, *, include_human: bool = False) -> pd.DataFrame:
    """The models of the paper's main plots (209 models).

    These are the imagenet_testbed models, plus the self-supervised rows of modelvshuman and base, restricted to
    the four model types of ``MODEL_TYPE_ORDER``.

    Parameters
    ----------
    tables : DataFrame
        Tables with the columns of :func:`errorscope.imagenetx.imagenetx_wide` (group, model, model_type, ...).
    include_human : bool, default False
        Keep the ``human`` row (the original labels; published in the real_class tables).

    Returns
    -------
    DataFrame
        The kept rows of ``tables``, ``model_type`` set from the ImageNet-X model-type map.
    """
    ssl = set(selfsupervised_models())
    keep = (tables["group"] == "imagenet_testbed") | (
        tables["group"].isin(["modelvshuman", "base"]) & tables["model"].isin(ssl))
    out = tables[keep].copy()
    out["model_type"] = out["model"].map(model_type)
    allowed = set(MODEL_TYPE_ORDER) | ({HUMAN} if include_human else set())
    return out[out["model_type"].isin(allowed)].reset_index(drop=True)


def group_comparison(table: pd.DataFrame, groups: pd.Series | Mapping[str, str], *,
                     value: str = "error_ratio", group_order: Sequence[str] | None = None,
                     alpha: float = 0.05) -> pd.DataFrame:
    """Per (factor, group) mean and standard deviation, with an Alexander-Govern test per factor.

    The data of ImageNet-X's ``supervision_comparison_prevalence`` and ``augment_comparison_*`` figures and of ``errorscope store groupstats model-types``:
    ``value="error_ratio"`` gives mean error ratios, ``"accuracy"`` mean factor accuracies. Only models in
    ``groups`` enter; factors are ordered by their mean error ratio over those models, ascending. Each group's
    sample is its models' values with NaN dropped; the Alexander-Govern test runs over the groups with at least
    two values. A factor is significant when the p-value is below ``alpha``; with fewer than two such groups,
    or a NaN p-value, it is not.

    Parameters
    ----------
    table : per-model table in the ``accuracies_per_factor.csv`` layout (index or column ``model``).
    groups : model -> group label.
    value : {"error_ratio", "accuracy"}
        Compare error ratios or factor accuracies.
    group_order : the groups to report, in this order (default: order of first appearance).
    alpha : float, default 0.05
        Significance level of the Alexander-Govern test.

    Returns
    -------
    DataFrame with columns ``factor, group, mean, std, n, statistic, pvalue, significant``, rows in factor then
    group order (std with ddof 1).
    """
    from scipy import stats

    if value not in ("error_ratio", "accuracy"):
        raise InvalidInputError(f"Expected `value` to be 'error_ratio' or 'accuracy', but got {value!r}.")
    table = check_factor_table(table)
    groups = pd.Series(groups)
    table = table.loc[table.index.isin(groups.index)]
    if table.empty:
        raise InvalidInputError("No model of `table` has a group in `groups`; nothing to compare.")
    er = error_ratios(table)
    vals = er if value == "error_ratio" else table[FACTORS]
    order = er.mean().sort_values(kind="stable").index
    group_of = groups.reindex(table.index)
    present = list(pd.unique(group_of))
    g_order = [g for g in (group_order or present) if g in present]
    rows = []
    for f in order:
        samples = [vals.loc[(group_of == g).to_numpy(), f].dropna().to_numpy() for g in g_order]
        usable = [s for s in samples if len(s) >= 2]
        stat, p = np.nan, np.nan
        if len(usable) >= 2:
            with np.errstate(all="ignore"):
                try:
                    res = stats.alexandergovern(*usable)
                    stat, p = float(res.statistic), float(res.pvalue)
                except (ValueError, ZeroDivisionError):
                    stat, p = np.nan, np.nan
        for g, s in zip(g_order, samples):
            rows.append((f, g, float(s.mean()) if len(s) else np.nan,
                         float(s.std(ddof=1)) if len(s) > 1 else np.nan, len(s), stat, p,
                         bool(np.isfinite(p) and p < alpha)))
    return pd.DataFrame(rows, columns=["factor", "group", "mean", "std", "n", "statistic", "pvalue", "significant"])


# ---------------------------------------------------------------------------------------------------------
# Augmentation sweeps (ImageNet-X ``augment_effect``)

def _first(name: str, text: str) -> float:
    m = re.search(re.escape(name) + _NUMBER, text)
    return float(m.group(1)) if m else np.nan


def _check_kind(kind: str) -> str:
    if kind not in AUGMENTATIONS:
        raise InvalidInputError(f"Expected `kind` in {sorted(AUGMENTATIONS)}, but got {kind!r}.")
    return AUGMENTATIONS[kind][1]


def parse_augmentation_hparams(models: Iterable[object], kind: str) -> pd.DataFrame:
    """Hyper-parameters encoded in the sweep model names.

    ``eval_resnet50_crop8.0_wd1e-05_color100.0_smoothing0.0_id1662471601`` gives crop 8.0, wd 1e-05,
    color 100.0, smoothing 0.0, id 1662471601. The strength of ``kind`` is: Crop strength = 100 - crop,
    Color strength = color, Smoothing strength = smoothing; NaN when the name has no such number. Numbers take
    an optional exponent everywhere (ImageNet-X's crop parser does not, so it reads ``wd1e-05`` as 1; only the
    strength is used downstream).

    Parameters
    ----------
    models : iterable of str
        Model names of an augmentation sweep.
    kind : {"crop", "color", "smoothing"}
        The augmentation whose strength to compute.

    Returns
    -------
    DataFrame
        Columns ``model``, the parsed numbers (``crop, wd, id`` and ``kind``) and the strength column
        (e.g. ``Crop strength``).

    Examples
    --------
    >>> row = parse_augmentation_hparams(["eval_resnet50_crop0.2_wd0.0001_id1660252539"], "crop").iloc[0]
    >>> float(row["crop"]), float(row["wd"]), int(row["id"]), round(float(row["Crop strength"]), 1)
    (0.2, 0.0001, 1660252539, 99.8)
    """
    column = _check_kind(kind)
    names = [str(m) for m in models]
    keys = ["crop", "wd", "id"] if kind == "crop" else ["crop", "wd", "id", kind]
    out = pd.DataFrame({"model": names})
    for k in keys:
        out[k] = [_first(k, n) for n in names]
    out[column] = 100.0 - out["crop"] if kind == "crop" else out[kind]
    return out


def augmentation_strength(models: Sequence[str], kind: str) -> pd.Series:
    """The strength column of :func:`parse_augmentation_hparams` as a Series.

    Parameters
    ----------
    models : sequence of str
        Model names of an augmentation sweep.
    kind : {"crop", "color", "smoothing"}
        The augmentation.

    Returns
    -------
    Series
        Float strengths named ``strength``, indexed by ``model``.
    """
    column = _check_kind(kind)
    hp = parse_augmentation_hparams(models, kind)
    return pd.Series(hp[column].to_numpy(np.float64), index=pd.Index(list(models), name="model"), name="strength")


def augmentation_points(table: pd.DataFrame, kind: str, *, min_models: int = 5) -> pd.DataFrame:
    """Per-model error ratios against augmentation strength.

    Only strengths with at least ``min_models`` models are kept (ImageNet-X: more than 4).

    Parameters
    ----------
    table : DataFrame
        Per-model table in the ``accuracies_per_factor.csv`` layout (index or column ``model``); the ``human``
        row is dropped.
    kind : {"crop", "color", "smoothing"}
        The augmentation of the sweep.
    min_models : int, default 5
        Fewest models a strength needs to be kept.

    Returns
    -------
    DataFrame
        Columns ``model, strength, factor, error_ratio`` (NaN error ratios dropped).
    """
    table = check_factor_table(table)
    table = table.loc[table.index != "human"]
    strength = augmentation_strength(list(table.index), kind)
    counts = strength.value_counts()
    keep = strength.isin(counts[counts >= min_models].index).to_numpy()
    er = error_ratios(table.loc[keep])
    er.insert(0, "strength", strength[keep].to_numpy())
    long = er.reset_index().melt(id_vars=[er.index.name or "model", "strength"], value_vars=FACTORS,
                                 var_name="factor", value_name="error_ratio")
    return long.rename(columns={er.index.name or "model": "model"}).dropna(subset=["error_ratio"])


def _cubic(g: pd.DataFrame) -> tuple[np.ndarray, np.ndarray] | None:
    """Unique strengths and cubic coefficients of error ratio against strength; None below 4 strengths."""
    xs = np.unique(g["strength"].to_numpy(np.float64))
    if len(xs) < 4:
        return None
    return xs, np.polyfit(g["strength"].to_numpy(np.float64), g["error_ratio"].to_numpy(np.float64), 3)


def augmentation_effects(points: pd.DataFrame) -> pd.DataFrame:
    """Effect of augmentation strength on each factor's error ratio (ImageNet-X ``augmentation_effect``).

    For each factor: fit a cubic of error ratio against strength over the points of
    :func:`augmentation_points`, take the strengths where the cubic, evaluated at the observed strengths, is
    largest and smallest, and run Welch's t-test between the models at the smaller of the two strengths and
    those at the larger. ``effect`` = t, so a positive effect means the error ratio falls as the augmentation
    gets stronger. A factor with fewer than 4 distinct strengths (no cubic) gets NaN.

    Parameters
    ----------
    points : DataFrame
        The output of :func:`augmentation_points`.

    Returns
    -------
    DataFrame with one row per factor: ``factor, effect, pvalue, low_strength, high_strength, n_low, n_high``,
    sorted by effect descending (NaN last).
    """
    from scipy import stats

    rows = []
    for f in FACTORS:
        g = points[points["factor"] == f]
        fit = _cubic(g)
        if fit is None:
            rows.append({"factor": f, "effect": np.nan, "pvalue": np.nan})
            continue
        xs, coef = fit
        fitted = np.polyval(coef, xs)
        lo, hi = sorted((xs[int(np.argmax(fitted))], xs[int(np.argmin(fitted))]))
        s_lo = g.loc[g["strength"] == lo, "error_ratio"].to_numpy(np.float64)
        s_hi = g.loc[g["strength"] == hi, "error_ratio"].to_numpy(np.float64)
        with np.errstate(all="ignore"):
            res = stats.ttest_ind(s_lo, s_hi, equal_var=False)
        rows.append({"factor": f, "effect": float(res.statistic), "pvalue": float(res.pvalue),
                     "low_strength": lo, "high_strength": hi, "n_low": len(s_lo), "n_high": len(s_hi)})
    out = pd.DataFrame(rows, columns=["factor", "effect", "pvalue", "low_strength", "high_strength", "n_low",
                                      "n_high"])
    return out.sort_values("effect", ascending=False, kind="stable").reset_index(drop=True)


def augmentation_curves(points: pd.DataFrame, factors: Sequence[str], *, n: int = 50) -> pd.DataFrame:
    """The cubic fits of :func:`augmentation_effects` on a grid of strengths spanning the data.

    Parameters
    ----------
    points : DataFrame
        The output of :func:`augmentation_points`.
    factors : sequence of str
        The factors to fit.
    n : int, default 50
        Number of grid points.

    Returns
    -------
    DataFrame
        Columns ``factor, strength, fitted``; factors without a cubic (fewer than 4 strengths) are left out.
    """
    frames = []
    for f in factors:
        fit = _cubic(points[points["factor"] == f])
        if fit is None:
            continue
        xs, coef = fit
        grid = np.linspace(xs.min(), xs.max(), n)
        frames.append(pd.DataFrame({"factor": f, "strength": grid, "fitted": np.polyval(coef, grid)}))
    return (pd.concat(frames, ignore_index=True) if frames
            else pd.DataFrame(columns=["factor", "strength", "fitted"]))
