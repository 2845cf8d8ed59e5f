"""Derived metrics computed when models are added to a store, in one vectorised pass over the M x N matrix.

A :class:`MetricSuite` is a versioned function ``Population -> dict[str, DataFrame]``; every frame has a
``model`` column and becomes the store table ``derived_<name>``. The store records the suite's version with
every model and recomputes models whose version differs (:meth:`ResultStore.refresh`).

The default suite, :func:`imagenetx_suite`, computes the ImageNet-X factor accuracies for ``which`` in
top/multi and error types class/metaclass/real_class with the conventions of the published tables
(prototype images removed, 46,110 annotated images; ReaL: an image without ReaL labels counts as an error;
``worst_100_classes`` is the image-weighted accuracy of the 100 worst classes after a stable sort). On the
four ImageNet-X base models it reproduces ``results/val/*/base/*/accuracies_per_factor.csv``. It also
classifies every error into the Peychev et al. taxonomy (:func:`errorscope.taxonomy.classify`, ReaL labels by
default, CLIP step skipped) and writes the derived table ``error_categories`` (:func:`taxonomy_metrics`), which
``errorscope compare MODEL --population eth`` and ``errorscope plots --store`` read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..constants import ERROR_TYPES, FACTORS, WHICH_FACTORS
from ..exceptions import InvalidInputError
from ..predictions import Population

__all__ = ["MetricSuite", "imagenetx_suite", "imagenetx_factor_metrics", "taxonomy_metrics", "published_layout",
           "eth_stats_from_categories", "factor_error_ratios", "TAXONOMY_COUNT_COLUMNS"]

#: Count / MLA columns of the ETH stats layout copied into ``error_categories`` (per model and subset).
TAXONOMY_COUNT_COLUMNS = [
    "num_all_samples", "num_group_samples", "num_group_correct", "num_all_top1_errors", "num_group_top1_errors",
    "mla_all", "mla_all_minor_error", "mla_all_explainable_error", "mla_group", "mla_group_minor_error",
    "mla_group_explainable_error", "num_collapsed_mappings", "num_ambiguous", "num_same_superclass",
    "num_common_co_occ", "num_non_prototypical", "num_OOV_clip", "num_not_classified", "num_missing",
]


@dataclass(frozen=True)
class MetricSuite:
    """A versioned metric function.

    Attributes
    ----------
    name : short identifier.
    version : changes whenever the numbers the function returns change; stored with every model.
    compute : ``compute(population) -> {table name: DataFrame with a 'model' column}``.
    """

    name: str
    version: str
    compute: Callable[[Population], dict[str, pd.DataFrame]]

    @property
    def tag(self) -> str:
        """``name/version``, the value recorded in the store."""
        return f"{self.name}/{self.version}"


def imagenetx_factor_metrics(population: Population, *, whiches: Sequence[str] = WHICH_FACTORS,
                             error_types: Sequence[str] = ERROR_TYPES, worst_k: int = 100) -> dict[str, pd.DataFrame]:
    """ImageNet-X factor accuracies of every model as tidy frames, from :func:`errorscope.imagenetx.count_factors`.

    Returns
    -------
    dict with
        ``factors`` : model, which, error_type, factor (16 factors and ``"average"``), correct, total, accuracy
        (NaN when no image has the factor).
        ``summary`` : model, which, error_type, average, worst_factor, worst_100_classes, and ``top1``
        (accuracy over all 50,000 validation images against the original labels), ``n_covered``.
    """
    from ..imagenetx._tables import accuracy_table
    from ..imagenetx._counts import count_factor_sets

    if not population.index.is_val:
        raise InvalidInputError(
            f"ImageNet-X metrics need predictions on the ImageNet validation index, got {population.index.name!r}."
        )
    models = np.asarray(population.models, dtype=object)
    m = len(models)
    top1_all = (population.top1 == population.index.labels).mean(axis=1)
    n_cov = (population.top1 >= 0).sum(axis=1).astype(np.int64)
    names = FACTORS + ["average"]
    factor_frames, summary_frames = [], []
    all_counts = count_factor_sets(population, whiches=tuple(whiches), error_types=tuple(error_types))
    for error_type in error_types:
        for which in whiches:
            counts = all_counts[(which, error_type)]
            correct = np.column_stack([counts.factors.correct, counts.overall.correct])
            total = np.column_stack([counts.factors.total, counts.overall.total])
            with np.errstate(invalid="ignore", divide="ignore"):
                acc = correct / total
            factor_frames.append(pd.DataFrame({
                "model": np.repeat(models, len(names)), "which": which, "error_type": error_type,
                "factor": np.tile(names, m), "correct": correct.ravel().astype(np.int64),
                "total": total.ravel().astype(np.int64), "accuracy": acc.ravel(),
            }))
            table = accuracy_table(counts, worst_k=worst_k).reindex(list(models))
            worst = np.where(np.isnan(acc[:, :-1]).all(1), np.nan, np.nanmin(np.where(np.isnan(acc[:, :-1]), np.inf, acc[:, :-1]), 1))
            summary_frames.append(pd.DataFrame({
                "model": models, "which": which, "error_type": error_type, "average": acc[:, -1],
                "worst_factor": worst, f"worst_{worst_k}_classes": table[f"worst_{worst_k}_classes"].to_numpy(),
                "top1": top1_all, "n_covered": n_cov,
            }))
    factors = pd.concat(factor_frames, ignore_index=True)
    factors["model"] = factors["model"].astype(str)
    summary = pd.concat(summary_frames, ignore_index=True)
    summary["model"] = summary["model"].astype(str)
    return {"factors": factors, "summary": summary}


def taxonomy_metrics(population: Population, *, labels: str = "real", chunk: int = 256) -> dict[str, pd.DataFrame]:
    """The error taxonomy of every model as the derived table ``error_categories``.

    :func:`errorscope.taxonomy.classify` with the multi-label source ``labels`` (``"real"`` or ``"shankar"``),
    CLIP step skipped, then :meth:`~errorscope.taxonomy.TaxonomyResult.stats` for the subsets all, organism,
    artifact and other, ``chunk`` models at a time (the numbers do not depend on it).

    Returns
    -------
    dict with ``error_categories``: one row per (model, subset) with ``model, subset, label_source,
    clip_step, top1`` (fraction of the 50,000 validation images whose prediction equals the original label,
    the ETH ``imagenet_top1_val_acc`` / 100), ``mla`` (``mla_all`` / 100), the count and MLA columns
    :data:`TAXONOMY_COUNT_COLUMNS` of the ETH stats layout, and ``share_<category>`` = count /
    ``num_group_top1_errors`` for the seven ETH categories (the shares ``errorscope compare --population eth``
    compares; the same definition as :func:`errorscope.store.reference.eth_reference`).
    """
    from ..taxonomy import classify
    from ..taxonomy.wordnet import GROUPS
    from ..taxonomy._published import ETH_CATEGORIES

    if not population.index.is_val:
        raise InvalidInputError(
            f"The error taxonomy needs predictions on the ImageNet validation index, got {population.index.name!r}."
        )
    if chunk < 1:
        raise InvalidInputError(f"Expected `chunk` to be a positive integer, but got {chunk}.")
    frames = []
    for start in range(0, len(population), chunk):  # every statistic is per model: chunks bound the memory
        sub = Population(population.models[start:start + chunk], population.top1[start:start + chunk], None,
                         population.index)
        result = classify(sub, _multilabels(labels), knowledge=_knowledge(labels))
        names = {m.replace("/", "--"): m for m in sub.models}
        for subset in GROUPS:
            st = result.stats(subset, metadata=_NO_METADATA)  # model metadata is not stored here
            frame = pd.DataFrame({"model": st["model_dir_id"].map(names).astype(str), "subset": subset,
                                  "label_source": st["label_source"].astype(str),
                                  "clip_step": st["clip_step"].astype(str),
                                  "top1": st["imagenet_top1_val_acc"].to_numpy(np.float64) / 100.0,
                                  "mla": st["mla_all"].to_numpy(np.float64) / 100.0})
            for c in TAXONOMY_COUNT_COLUMNS:
                frame[c] = st[c].to_numpy(np.float64 if c.startswith("mla") else np.int64)
            errors = st["num_group_top1_errors"].to_numpy(np.float64)
            with np.errstate(invalid="ignore", divide="ignore"):
                for c in ETH_CATEGORIES:
                    frame[f"share_{c[4:]}"] = st[c].to_numpy(np.float64) / errors
            frames.append(frame)
    return {"error_categories": pd.concat(frames, ignore_index=True)}


_NO_METADATA = pd.DataFrame(index=pd.Index([], name="model_dir_id"))


def _multilabels(labels: str):
    from ..taxonomy import load_multilabels

    return load_multilabels(labels)


_KNOWLEDGE: dict[str, object] = {}


def _knowledge(labels: str):
    """The taxonomy's lookup tables for a label source, built once per process (reused across add chunks)."""
    from ..taxonomy import build_knowledge

    ml = _multilabels(labels)
    kn = _KNOWLEDGE.get(labels)
    if kn is None or kn.labels is not ml:
        kn = _KNOWLEDGE[labels] = build_knowledge(ml)
    return kn


#: Suite versions: 1 = ImageNet-X factor tables; 2 = also the error taxonomy (``error_categories``).
SUITE_VERSION = "2"


def imagenetx_suite(*, taxonomy: str | None = "real") -> MetricSuite:
    """The store's default suite: :func:`imagenetx_factor_metrics` and :func:`taxonomy_metrics`.

    Parameters
    ----------
    taxonomy : multi-label source of the error taxonomy (``"real"``, default, or ``"shankar"``, which needs
        the optional Shankar et al. file); None leaves the taxonomy out (version ``1``, the factor tables only).

    The version is ``2`` with ReaL labels, ``2-shankar`` with Shankar's: a store whose models were computed
    with another version recomputes them on :meth:`~errorscope.store.ResultStore.refresh`.
    """
    if taxonomy is None:
        return MetricSuite("imagenetx-factors", "1", imagenetx_factor_metrics)
    if taxonomy not in ("real", "shankar"):
        raise InvalidInputError(f"Expected `taxonomy` 'real', 'shankar' or None, but got {taxonomy!r}.")

    def compute(population: Population) -> dict[str, pd.DataFrame]:
        return {**imagenetx_factor_metrics(population), **taxonomy_metrics(population, labels=taxonomy)}

    return MetricSuite("imagenetx-factors", SUITE_VERSION + ("" if taxonomy == "real" else "-shankar"), compute)


def eth_stats_from_categories(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Rows of ``error_categories`` back in the ETH ``non_problematic_stats_<subset>.csv`` layout, per subset.

    Returns subset -> frame with ``model_dir_id`` (the stored model name), ``imagenet_top1_val_acc``,
    ``top1_val_acc``, ``imagenet_mla_val_acc`` (percent) and the count / MLA columns; what the ETH figures
    (:func:`errorscope.plots.build_figures` ``user_eth_stats``) read.
    """
    missing = [c for c in ["model", "subset", "top1", "mla", *TAXONOMY_COUNT_COLUMNS] if c not in table.columns]
    if missing:
        raise InvalidInputError(f"Expected an error_categories table; columns {missing} are missing.")
    out = {}
    for subset, d in table.groupby("subset", sort=False):
        frame = pd.DataFrame({"model_dir_id": d["model"].astype(str).to_numpy(),
                              "top1_val_acc": 100.0 * d["top1"].to_numpy(np.float64),
                              "imagenet_top1_val_acc": 100.0 * d["top1"].to_numpy(np.float64),
                              "imagenet_mla_val_acc": 100.0 * d["mla"].to_numpy(np.float64)})
        for c in TAXONOMY_COUNT_COLUMNS:
            frame[c] = d[c].to_numpy()
        for c in ("label_source", "clip_step"):
            if c in d.columns:
                frame[c] = d[c].to_numpy()
        out[str(subset)] = frame.reset_index(drop=True)
    return out


def published_layout(factors: pd.DataFrame, summary: pd.DataFrame, *, which: str = "top",
                     error_type: str = "class") -> pd.DataFrame:
    """Tidy frames of :func:`imagenetx_factor_metrics` in the layout of ``accuracies_per_factor.csv``.

    Index ``model``; columns the 16 factors, worst_factor, average, worst_100_classes.
    """
    f = factors[(factors["which"] == which) & (factors["error_type"] == error_type)
                & (factors["factor"] != "average")]
    wide = f.pivot(index="model", columns="factor", values="accuracy").reindex(columns=FACTORS)
    s = summary[(summary["which"] == which) & (summary["error_type"] == error_type)].set_index("model")
    wide["worst_factor"] = s["worst_factor"]
    wide["average"] = s["average"]
    wide["worst_100_classes"] = s["worst_100_classes"]
    wide.columns.name = None
    return wide.sort_index()


def factor_error_ratios(factors: pd.DataFrame, *, which: str = "top", error_type: str = "class",
                        confidence: float = 0.95) -> pd.DataFrame:
    """Error ratios with intervals from the stored ``factors`` rows (what ``model_error_ratios`` draws).

    Returns columns ``model, factor, correct, total, accuracy, ci_low, ci_high, error_ratio, er_low, er_high``
    for the 16 factors, with the conventions of :func:`errorscope.results.tidy_factor_frame`: Wilson interval
    of the factor accuracy; the error-ratio interval divides the Wilson interval of the factor's error rate by
    the overall error rate (the ``average`` row of the same model).
    """
    from ..metrics._intervals import wilson_interval
    from ..metrics._ratios import error_ratio, error_ratio_interval

    sel = factors[(factors["which"] == which) & (factors["error_type"] == error_type)]
    if sel.empty:
        raise InvalidInputError(f"No stored factor rows for which={which!r}, error_type={error_type!r}.")
    avg = sel[sel["factor"] == "average"].set_index("model")["accuracy"]
    rows = sel[sel["factor"].isin(FACTORS) & (sel["total"] > 0)].copy()
    average = rows["model"].map(avg).to_numpy(np.float64)
    correct, total = rows["correct"].to_numpy(np.int64), rows["total"].to_numpy(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = correct / total
    rows["accuracy"] = acc
    rows["ci_low"], rows["ci_high"] = wilson_interval(correct, total, confidence=confidence)
    rows["error_ratio"] = error_ratio(acc, average)
    rows["er_low"], rows["er_high"] = error_ratio_interval(correct, total, average, confidence=confidence)
    return rows[["model", "factor", "correct", "total", "accuracy", "ci_low", "ci_high", "error_ratio", "er_low",
                 "er_high"]].reset_index(drop=True)
