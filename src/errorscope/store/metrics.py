"""Derived metrics computed when models are added to a store, in one vectorised pass over the M x N matrix.

A :class:`MetricSuite` is a versioned function ``Population -> dict[str, DataFrame]``; every frame has a
``model`` column and becomes the store table ``derived_<name>``. The store records the suite's version with
every model and recomputes models whose version differs (:meth:`ResultStore.refresh`).

The default suite, :func:`imagenetx_suite`, stores what :func:`errorscope.results.analyze` reports, built by the
same functions: the tidy factor table (:func:`~errorscope.results.tidy_factor_frame`, ``which`` top/multi,
error types class/metaclass/real_class, overall and per-metaclass rows; their counts are stored and
:meth:`~errorscope.store.ResultStore.factor_table` completes accuracies, intervals and error ratios), one summary
row per model (``analyze().summary``'s columns; an image a model does not cover is left out of every number)
and the ``worst_100_classes`` values. The published layout is rebuilt from those rows by
:func:`errorscope.results.to_published_layout`; on the four ImageNet-X base models it reproduces
``results/val/*/base/*/accuracies_per_factor.csv`` and ``..._metaclass.csv``. It also
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

__all__ = ["MetricSuite", "imagenetx_suite", "imagenetx_factor_metrics", "summary_frame", "SUMMARY_COLUMNS",
           "taxonomy_metrics", "eth_stats_from_categories", "TAXONOMY_COUNT_COLUMNS"]

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
                             error_types: Sequence[str] = ERROR_TYPES, confidence: float = 0.95,
                             worst_k: int = 100) -> dict[str, pd.DataFrame]:
    """The ImageNet-X factor table and the headline numbers of every model, as :func:`errorscope.results.analyze`.

    The same builders as :func:`~errorscope.results.analyze` (:func:`~errorscope.imagenetx.count_factor_sets`,
    :func:`~errorscope.results.tidy_factor_frame`, the accuracy functions of :mod:`errorscope.metrics`) with
    the same coverage convention: an image a model has no prediction for is left out of every number.

    Parameters
    ----------
    population : predictions on the ImageNet validation index (``topk`` optional: ``top5`` is NaN without it).
    whiches : annotation files ("top", "multi").
    error_types : any of "class", "metaclass", "real_class".
    confidence : level of the Wilson intervals of the tidy table (not stored: they follow from the counts).
    worst_k : classes of the ``worst_<k>_classes`` value.

    Returns
    -------
    dict with
        ``factors`` : the tidy factor table of :func:`~errorscope.results.tidy_factor_frame` for every
        (which, error_type), its count columns (``COUNT_COLUMNS``: model, which, error_type, metaclass
        (``"all"`` = overall, and the 17 metaclasses), factor, correct, total, average_correct,
        average_total); rows only where the group has images. The accuracies, intervals and error ratios
        follow from the counts (:meth:`~errorscope.store.ResultStore.factor_table` completes the rows), so the
        store keeps a fifth of the bytes of the full table (about 18 kB instead of 87 kB per model).
        ``summary`` : one row per model with the columns of ``analyze().summary`` (:func:`summary_frame`).
        ``worst_classes`` : model, which, error_type, ``worst_<k>_classes`` (the published column that needs
        per-class counts; :meth:`~errorscope.store.ResultStore.published_table` adds it to the layout).
    """
    from ..imagenetx._counts import count_factor_sets
    from ..metrics._grouped import worst_k_classes
    from ..results import tidy_factor_frame
    from ..results._layout import COUNT_COLUMNS

    if not population.index.is_val:
        raise InvalidInputError(
            f"ImageNet-X metrics need predictions on the ImageNet validation index, got {population.index.name!r}."
        )
    all_counts = count_factor_sets(population, whiches=tuple(whiches), error_types=tuple(error_types))
    tidy, worst = [], []
    for which in whiches:
        for error_type in error_types:
            counts = all_counts[(which, error_type)]
            tidy.append(tidy_factor_frame(counts, confidence=confidence))
            worst.append(pd.DataFrame({"model": list(counts.models), "which": which, "error_type": error_type,
                                       f"worst_{worst_k}_classes": worst_k_classes(counts.classes, worst_k)}))
    factors = pd.concat(tidy, ignore_index=True)[COUNT_COLUMNS]
    factors["model"] = factors["model"].astype(str)
    return {"factors": factors, "summary": summary_frame(population, all_counts, whiches=whiches,
                                                         error_types=error_types),
            "worst_classes": pd.concat(worst, ignore_index=True)}


#: Columns of the store's ``summary`` table, in order: the :data:`~errorscope.results._schema.SUMMARY` columns
#: that need no taxonomy, then the ImageNet-X headline accuracy per error type and the calibration error.
SUMMARY_COLUMNS = ["model", "n_images", "n_covered", "coverage", "missing", "top1", "top1_n", "top5", "real",
                   "real_n", "real_imagenetx", "imagenetx_n", "worst_factor", "worst_factor_accuracy",
                   "imagenetx_class", "imagenetx_metaclass", "imagenetx_real_class", "ece"]


def summary_frame(population: Population, counts: dict, *, whiches: Sequence[str] = WHICH_FACTORS,
                  error_types: Sequence[str] = ERROR_TYPES) -> pd.DataFrame:
    """One row per model: the headline numbers of ``analyze().summary``, built by the same builder.

    Parameters
    ----------
    population : Population
        The models (``topk`` and ``prob`` optional).
    counts : dict
        ``(which, error_type) -> FactorCounts`` of ``population``
        (:func:`~errorscope.imagenetx.count_factor_sets`).
    whiches, error_types : sequence of str
        What ``counts`` holds; the ImageNet-X columns use the first ``which``, the worst factor the first
        (which, error_type), as :func:`~errorscope.results.analyze`.

    Returns
    -------
    DataFrame
        :data:`SUMMARY_COLUMNS`: the rows of :func:`errorscope.results.summary_table` (uncovered images left
        out, every accuracy with the images it rests on), ``imagenetx_<error_type>`` (accuracy over the annotated
        covered images) and ``ece`` (expected calibration error over the annotated images, NaN without
        probabilities).
    """
    from ..results import summary_table

    m = len(population.models)
    first = whiches[0]
    out = summary_table(population, counts=counts[(first, error_types[0])], missing="exclude")
    out["model"] = out["model"].astype(str)
    for error_type in ERROR_TYPES:
        c = counts.get((first, error_type))
        out[f"imagenetx_{error_type}"] = c.overall.accuracy if c is not None else np.nan
    out["ece"] = np.nan
    if population.prob is not None:
        from ..imagenetx._stats import factor_calibration

        with_prob = [i for i in range(m) if np.isfinite(population.prob[i]).any()]
        if with_prob:
            sub = population.select([population.models[i] for i in with_prob])
            ece = factor_calibration(sub, which=first)["average"]
            out.loc[with_prob, "ece"] = ece.reindex(sub.models).to_numpy(np.float64)
    return out[SUMMARY_COLUMNS]


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
    from ..taxonomy._published import category_shares

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
                                  "mla": st["mla_all"].to_numpy(np.float64) / 100.0,
                                  "mla_shankar": st["mla_all_shankar"].to_numpy(np.float64) / 100.0})
            for c in TAXONOMY_COUNT_COLUMNS:
                frame[c] = st[c].to_numpy(np.float64 if c.startswith("mla") else np.int64)
            frame = pd.concat([frame, category_shares(st).set_axis(frame.index)], axis=1)
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


#: Suite versions: 1 = ImageNet-X factor tables; 2 = also the error taxonomy (``error_categories``);
#: 3 = the tidy factor table of :mod:`errorscope.results` (its counts, metaclass rows), one ``summary`` row per
#: model with analyze()'s columns (uncovered images left out; top-5, ReaL, coverage, ECE), ``worst_classes``;
#: 4 = the summary built by :func:`errorscope.results.summary_table` (``missing``, ``top1_n``, ``real_n``,
#: ``imagenetx_n`` columns).
SUITE_VERSION = "4"


def imagenetx_suite(*, taxonomy: str | None = "real") -> MetricSuite:
    """The store's default suite: :func:`imagenetx_factor_metrics` and :func:`taxonomy_metrics`.

    Parameters
    ----------
    taxonomy : multi-label source of the error taxonomy (``"real"``, default, or ``"shankar"``, which needs
        the optional Shankar et al. file); None leaves the taxonomy out (version ``4-no-taxonomy``, the
        factor tables and the summary only).

    Returns
    -------
    MetricSuite with version ``4`` with ReaL labels, ``4-shankar`` with Shankar's: a store whose models were
    computed with another version recomputes them on :meth:`~errorscope.store.ResultStore.refresh`.
    """
    if taxonomy is None:
        return MetricSuite("imagenetx-factors", f"{SUITE_VERSION}-no-taxonomy", imagenetx_factor_metrics)
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
