"""Where one model lies relative to a reference population of the same overall accuracy.

ImageNet-X observes that a factor's accuracy tracks a model's overall accuracy. For every factor (or ETH error
category) we fit, across the reference models, the ordinary least-squares line

    g(y_f) = a_f + b_f * g(x),      g = logit (default) or identity,

where x is the overall accuracy and y_f the factor accuracy (or the share of errors in a category). For the
compared model with overall accuracy x0 the line predicts g(y_hat); the 95 % *prediction* interval is

    g(y_hat) +- t_{n-2, 0.975} * s * sqrt(1 + 1/n + (g(x0) - mean g(x))^2 / S_xx),

with s^2 the residual variance (n - 2 degrees of freedom) and S_xx the sum of squared deviations of g(x).
The model's studentised residual t = (g(y0) - g(y_hat)) / (s * sqrt(...)) has, under the model, a t
distribution with n - 2 degrees of freedom; a factor is *significantly better (worse) than expected* when the
two-sided p-value is below 0.05 and the residual is positive (negative). Holm-adjusted p-values over the
factors are reported too. The logit keeps the band inside (0, 1) and makes the spread near 100 % comparable;
values are clipped to [1e-4, 1 - 1e-4] before the transform.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..exceptions import InvalidInputError
from ..metrics._regression import fit_line

__all__ = ["accuracy_regression", "holm", "compare_model", "compare_predictions", "check_coverage", "Comparison",
           "ETH_SHARES_TABLE"]

_EPS = 1e-4


def _transform(v, scale: str):
    v = np.asarray(v, dtype=np.float64)
    if scale == "linear":
        return v
    c = np.clip(v, _EPS, 1 - _EPS)
    return np.log(c / (1 - c))


def _inverse(v, scale: str):
    v = np.asarray(v, dtype=np.float64)
    return v if scale == "linear" else 1.0 / (1.0 + np.exp(-v))


def holm(p: Sequence[float]) -> np.ndarray:
    """Holm step-down adjusted p-values (NaN kept).

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p, dtype=np.float64)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    order = ok[np.argsort(p[ok], kind="stable")]
    m = len(order)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def accuracy_regression(reference: pd.DataFrame, target: pd.Series | dict, *, columns: Sequence[str],
                        x: str = "average", scale: str = "logit", level: float = 0.95,
                        exclude: str | None = None, model_column: str = "model",
                        direction_labels: tuple[str, str] = ("better", "worse"),
                        target_n: dict | pd.Series | None = None,
                        min_images: int | None = None) -> pd.DataFrame:
    """Compare ``target`` with the accuracy regression of ``reference``, one row per column.

    Parameters
    ----------
    reference : one row per reference model with ``x`` and every column of ``columns``.
    target : the compared model's values of ``x`` and ``columns``.
    columns : the factors (or error-category shares) to compare.
    x : the overall-accuracy column.
    scale : ``"logit"`` or ``"linear"``.
    level : the prediction interval's coverage; significance is at 1 - level.
    exclude : a model name dropped from ``reference`` first (leave-one-out when the model is published).
    model_column : the column holding model names in ``reference``.
    direction_labels : the words for a significantly positive / negative residual (for error-category
        shares, where higher is not better, pass e.g. ``("higher", "lower")``).
    target_n : images each of the compared model's values rests on (column -> n). The model's own binomial
        sampling error at n images, p(1 - p) / n (on the logit scale by the delta method, 1 / (n p (1 - p))), is
        added to the prediction variance, so a value measured on few images is not significant by chance.
    min_images : a value resting on fewer images is never significant (default: MIN_FINDING_IMAGES when
        ``target_n`` is given).

    Returns
    -------
    DataFrame indexed by factor: observed, expected, pi_low, pi_high, residual (on the fitted scale), t,
    p_value, p_holm, significant, direction (``direction_labels`` or "as expected"), slope, intercept, n_reference.
    """
    if scale not in ("logit", "linear"):
        raise InvalidInputError(f"Expected `scale` 'logit' or 'linear', but got {scale!r}.")
    if not 0 < level < 1:
        raise InvalidInputError(f"Expected `level` in (0, 1), but got {level!r}.")
    target = pd.Series(target, dtype="float64") if isinstance(target, dict) else target
    missing = [c for c in [x, *columns] if c not in reference.columns]
    if missing:
        raise InvalidInputError(f"The reference population has no column(s) {missing}.")
    if x not in target.index or pd.isna(target[x]):
        raise InvalidInputError(f"The compared model has no value for the overall accuracy {x!r}.")
    ref = reference
    if exclude is not None and model_column in ref.columns:
        ref = ref[ref[model_column] != exclude]
    x0 = float(_transform(target[x], scale))
    alpha = 1 - level
    rows = []
    for col in columns:
        sub = ref[[x, col]].dropna()
        n = len(sub)
        y0 = target.get(col, np.nan)
        if n < 3 or pd.isna(y0):
            rows.append({"factor": col, "observed": y0, "n_reference": n})
            continue
        gx = _transform(sub[x].to_numpy(), scale)
        gy = _transform(sub[col].to_numpy(), scale)
        if np.ptp(gx) == 0:
            rows.append({"factor": col, "observed": y0, "n_reference": n})
            continue
        line = fit_line(gx, gy)
        slope, intercept = line.slope, line.intercept
        fit0 = float(line.predict(x0))
        se = float(line.standard_error(x0, prediction=True))
        n_t = np.nan
        if target_n is not None and col in target_n and not pd.isna(target_n[col]):
            n_t = float(target_n[col])
            pc = float(np.clip(y0, 0.5 / max(n_t, 1.0), 1 - 0.5 / max(n_t, 1.0)))
            own = (1.0 / (n_t * pc * (1 - pc))) if scale == "logit" else pc * (1 - pc) / n_t
            se = float(np.sqrt(se ** 2 + own)) if n_t > 0 else float("inf")
        tcrit = line.t_quantile(level)
        r0 = float(_transform(y0, scale)) - fit0
        t = r0 / se
        p = float(2 * stats.t.sf(abs(t), n - 2))
        rows.append({
            "factor": col, "observed": float(y0), "expected": float(_inverse(fit0, scale)),
            "pi_low": float(_inverse(fit0 - tcrit * se, scale)), "pi_high": float(_inverse(fit0 + tcrit * se, scale)),
            "residual": r0, "t": t, "p_value": p, "slope": slope, "intercept": intercept, "n_reference": n,
            "n_images": n_t,
        })
    out = pd.DataFrame(rows).set_index("factor")
    for c in ["expected", "pi_low", "pi_high", "residual", "t", "p_value", "slope", "intercept"]:
        if c not in out.columns:
            out[c] = np.nan
    out["p_holm"] = holm(out["p_value"].to_numpy())
    out["significant"] = out["p_value"] < alpha
    if "n_images" not in out.columns:
        out["n_images"] = np.nan
    if target_n is not None or min_images is not None:
        from ..options import MIN_FINDING_IMAGES

        floor = MIN_FINDING_IMAGES if min_images is None else min_images
        out["significant"] &= ~(out["n_images"] < floor)
    out["direction"] = np.where(~out["significant"], "as expected",
                                np.where(out["residual"] > 0, direction_labels[0], direction_labels[1]))
    out["n_reference"] = out["n_reference"].astype(np.int64)
    return out[["observed", "n_images", "expected", "pi_low", "pi_high", "residual", "t", "p_value", "p_holm",
                "significant", "direction", "slope", "intercept", "n_reference"]]


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare_model`.

    Attributes
    ----------
    model, population : what was compared.
    origin : ``"store"`` (a stored model), ``"file"`` (a prediction file) or ``"published"`` (a published model,
        left out of the fit).
    overall : the model's overall accuracy (the regression's x).
    n_reference : number of reference models.
    table : :func:`accuracy_regression` output.
    """

    model: str
    population: str
    origin: str
    overall: float
    n_reference: int
    table: pd.DataFrame
    note: str = ""

    @property
    def header(self) -> str:
        what = "factor accuracies" if self.population == "imagenetx" else "error-category shares"
        lic = " ImageNet-X tables and annotations: CC BY-NC 4.0." if self.population == "imagenetx" else ""
        sig = self.table[self.table["significant"]]
        flagged = ", ".join(f"{f} ({d})" for f, d in zip(sig.index, sig["direction"])) or "none"
        return (f"{self.model} ({self.origin}), overall accuracy {self.overall:.4f}: {what} against "
                f"{self.n_reference} {self.population} models of the same accuracy. Significant (p < 0.05): "
                f"{flagged}.{lic}{(' ' + self.note) if self.note else ''}")


def _has_table(store, name: str) -> bool:
    rows = store.connection.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                                    [name]).fetchall()[0]
    return bool(rows[0])


#: Derived table a taxonomy metric suite writes to enable ``compare --population eth`` for stored models:
#: columns model, subset, top1 and ``share_<category>`` for the seven ETH categories.
ETH_SHARES_TABLE = "error_categories"


#: The ETH categories that are multi-label errors (the paper's relative_to_all_mle panels).
ETH_MLE_CATEGORIES = ["num_same_superclass", "num_OOV_clip", "num_common_co_occ", "num_non_prototypical",
                      "num_not_classified"]


def _mle_shares(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``mle_share_<category>`` = share of top-1 errors / (1 - collapsed share - multi-label share), i.e. the
    category's fraction of the multi-label errors, for the five multi-label error categories."""
    out = frame.copy()
    mle = 1.0 - out["share_collapsed_mappings"].astype(float) - out["share_ambiguous"].astype(float)
    for c in ETH_MLE_CATEGORIES:
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"mle_share_{c[4:]}"] = out[f"share_{c[4:]}"].astype(float) / mle.where(mle > 0)
    return out


def compare_model(model: str, *, population: str = "imagenetx", store=None, which: str = "top",
                  error_type: str = "class", groups: Sequence[str] | None = None, subset: str = "all",
                  scale: str = "logit", level: float = 0.95, allow_partial: bool = False) -> Comparison:
    """Compare ``model`` (stored, or published) with a published population at equal overall accuracy.

    A stored model is looked up first; otherwise ``model`` must be a published model of the population,
    which is then left out of the fit. The model's own name is always excluded from the reference.
    """
    from ..constants import FACTORS
    from .reference import eth_wide, imagenetx_wide

    note = ""

    target_n = None
    if population == "imagenetx":
        from ..imagenetx._published import resolve_groups

        ref_store = store if store is not None and _has_table(store, "reference_imagenetx") else None
        reference = imagenetx_wide(which=which, error_type=error_type, groups=resolve_groups(groups), store=ref_store)
        columns, x, labels = FACTORS, "average", ("better", "worse")
        if store is not None and model in store and {"factors", "summary"} <= set(store.derived_tables()):
            target = store.published_table([model], which=which, error_type=error_type).loc[model]
            origin = "store"
            summary = store.summary([model])
            coverage = float(summary.loc[model, "coverage"]) if "coverage" in summary else 1.0
            if coverage < 1.0 and not allow_partial:
                raise InvalidInputError(
                    f"Stored model {model!r} covers {coverage:.1%} of the validation images; a partial model is "
                    "not compared with the published (complete) models unless asked: pass allow_partial=True "
                    "(CLI --allow-partial).")
            rows = store.factor_table([model], which=which, error_type=error_type, metaclass="all")
            target_n = dict(zip(rows["factor"], rows["total"]))
        else:
            target, origin = _published_row(reference, model, population, store)
            target_n = _full_coverage_totals(which, error_type)  # a published model covers every image
    elif population == "eth":
        ref_store = store if store is not None and _has_table(store, "reference_eth") else None
        reference = eth_wide(subset=subset, store=ref_store)
        x, labels = "top1", ("higher", "lower")
        note = ("Shares of the multi-label errors (top-1 errors minus overlapping-class and multi-label rows), the "
                "paper's relative_to_all_mle; published models: Shankar et al. labels, 18,692 images, CLIP step run.")
        clip_skipped = False
        if store is not None and model in store and ETH_SHARES_TABLE in store.derived_tables():
            rows = store.derived(ETH_SHARES_TABLE, [model])
            rows = rows[rows["subset"] == subset]
            if rows.empty:
                raise InvalidInputError(f"Stored model {model!r} has no {ETH_SHARES_TABLE} row for subset {subset!r}.")
            target, origin = rows.iloc[0], "store"
            clip_skipped = target.get("clip_step") == "skipped"
            n = target.get("num_all_samples")
            note += (f" This model: {target.get('label_source', 'unknown')} labels"
                     + (f", {int(n):,} images" if n is not None and pd.notna(n) else "")
                     + f", CLIP step {target.get('clip_step', 'unknown')}"
                     + (" (fine-grained OOV not computed: left out)." if clip_skipped else "."))
        else:
            target, origin = _published_row(reference, model, population, store)
        reference = _mle_shares(reference)
        target = _mle_shares(target.to_frame().T).iloc[0]
        columns = [f"mle_share_{c[4:]}" for c in ETH_MLE_CATEGORIES
                   if not (clip_skipped and c == "num_OOV_clip")]
    else:
        raise InvalidInputError(f"Expected `population` 'imagenetx' or 'eth', but got {population!r}.")
    table = accuracy_regression(reference, target, columns=columns, x=x, scale=scale, level=level,
                                exclude=model, direction_labels=labels, target_n=target_n)
    return Comparison(model, population, origin, float(target[x]), int(table["n_reference"].max()), table, note)


def check_coverage(pred, *, allow_partial: bool = False) -> str:
    """Refuse predictions that do not cover every validation image, unless ``allow_partial``.

    Parameters
    ----------
    pred : Predictions of one model.
    allow_partial : compare anyway (the model's numbers then rest on the covered images only).

    Returns
    -------
    A note for the comparison's header ("" when every image is covered).

    Raises
    ------
    InvalidInputError
        If the predictions cover fewer images than the index and ``allow_partial`` is False.
    """
    n, covered = len(pred.index), pred.n_covered
    if covered == n:
        return ""
    share = covered / n
    if not allow_partial:
        raise InvalidInputError(
            f"{pred.source or pred.model}: the predictions cover {covered:,} of the {n:,} validation images "
            f"({share:.1%}); a comparison with published models scored on every image would be biased by the "
            "subset. Predict every image, or pass allow_partial=True (CLI --allow-partial) to compare anyway.")
    return (f"Partial predictions: {covered:,} of {n:,} images ({share:.1%}); the model's accuracies rest on "
            "those images only.")


def compare_predictions(pred, *, population: str = "imagenetx", which: str = "top", error_type: str = "class",
                        groups: Sequence[str] | None = None, scale: str = "logit", level: float = 0.95,
                        allow_partial: bool = False) -> Comparison:
    """Compare the predictions of one model (read from a file) with the published ImageNet-X population.

    Parameters
    ----------
    pred : Predictions on the ImageNet validation images (e.g. from :func:`errorscope.readers.read_predictions`).
    population : ``"imagenetx"``; the ETH population needs the error taxonomy of the model, which
        ``errorscope store add`` with a taxonomy suite computes (then compare the stored model).
    which, error_type : the ImageNet-X annotation file and error definition of the factor accuracies.
    groups : ImageNet-X groups or a population name (default: :data:`errorscope.imagenetx.DEFAULT_POPULATION`).
    scale, level : as :func:`accuracy_regression`.
    allow_partial : compare predictions that do not cover every image (see :func:`check_coverage`).

    Returns
    -------
    Comparison with ``origin == "file"``; a published model of the same name is left out of the fit.

    Raises
    ------
    InvalidInputError
        For partial predictions without ``allow_partial``, or a population other than ``"imagenetx"``.
    """
    from ..constants import FACTORS
    from ..predictions import Population
    from ..results import analyze
    from .reference import imagenetx_wide

    if population != "imagenetx":
        raise InvalidInputError(
            f"Comparing a prediction file with the {population!r} population needs its error taxonomy: add the "
            "file to a store with a taxonomy suite (`errorscope store add FILE --store STORE`) and compare the "
            "stored model, or use population 'imagenetx'.")
    note = check_coverage(pred, allow_partial=allow_partial)
    analysis = analyze(Population.from_predictions([pred]), which=(which,), error_types=(error_type,), labels=None)
    target = analysis.tables[(which, error_type)][0].loc[pred.model]
    from ..imagenetx._published import resolve_groups

    reference = imagenetx_wide(which=which, error_type=error_type, groups=resolve_groups(groups))
    rows = analysis.factors[(analysis.factors["metaclass"] == "all") & (analysis.factors["which"] == which)
                            & (analysis.factors["error_type"] == error_type)]
    table = accuracy_regression(reference, target, columns=FACTORS, x="average", scale=scale, level=level,
                                exclude=pred.model, direction_labels=("better", "worse"),
                                target_n=dict(zip(rows["factor"], rows["total"])))
    return Comparison(pred.model, population, "file", float(target["average"]), int(table["n_reference"].max()),
                      table, note)


def _published_row(reference: pd.DataFrame, model: str, population: str, store):
    hit = reference[reference["model"] == model]
    if hit.empty:
        import difflib

        close = difflib.get_close_matches(model, reference["model"].astype(str).unique().tolist(), n=3)
        where = f"in {store.path} or " if store is not None else ""
        hint = f" Close published names: {', '.join(close)}." if close else ""
        extra = (" A stored model needs a taxonomy metric suite that writes the derived table "
                 f"'{ETH_SHARES_TABLE}'." if population == "eth" and store is not None and model in store else "")
        raise InvalidInputError(f"No model {model!r} {where}in the {population} population.{hint}{extra} "
                                "Add it with `errorscope store add FILE --store STORE`.")
    return hit.iloc[0], "published"


@lru_cache(maxsize=8)
def _full_coverage_totals(which: str, error_type: str) -> dict[str, int]:
    """Images per factor that a model covering every validation image rests on (the published models do)."""
    from ..datasets import val_index
    from ..imagenetx import count_factors
    from ..predictions import Population, Predictions

    full = Population.from_predictions([Predictions.from_arrays("full", val_index().labels)])
    counts = count_factors(full, which=which, error_type=error_type)
    from ..constants import FACTORS

    return {f: int(n) for f, n in zip(FACTORS, counts.factors.total[0])}
