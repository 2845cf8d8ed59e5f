"""Plain tables the report shows, derived from :func:`errorscope.results.analyze` and the published populations.

Conventions: annotations ``val``/``top``, prototype-filtered; ``real_class`` counts an image with an empty ReaL
list as wrong (ImageNet-X convention), while the headline ReaL accuracy uses the standard protocol (images
without ReaL labels excluded).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..constants import FACTORS
from ..exceptions import InvalidInputError

__all__ = ["FACTOR_COLUMNS", "report_tables", "top_mistakes", "taxonomy_tables", "category_images",
           "add_taxonomy_accuracy", "TAXONOMY_CATEGORIES", "LABEL_SOURCE_TEXT",
           "wide_factor_table", "wide_metaclass_table", "population_comparison", "accuracy_comparison"]

#: Columns of the tidy factor frame (the layout of ``errorscope.results.Analysis.factors``).
FACTOR_COLUMNS = ["model", "error_type", "which", "metaclass", "factor", "correct", "total", "accuracy",
                  "ci_low", "ci_high", "error_ratio", "er_low", "er_high"]


def report_tables(pop, *, which: str = "top", error_types=("class", "real_class", "metaclass")
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The report's summary and tidy factor frame, computed by :func:`errorscope.results.analyze`.

    Returns ``summary`` (one row per model, column ``model`` first) and ``factors``: the rows of
    ``Analysis.factors`` for the annotation file ``which``, plus one ``factor == "average"`` row per (model,
    error type, metaclass) holding the group's overall accuracy with its Wilson interval (the layout the report
    and its figures read).
    """
    from ..results._analyze import analyze
    from ..metrics._intervals import wilson_interval

    if not pop.index.is_val:
        raise InvalidInputError(f"The report needs predictions on the ImageNet validation index, got {pop.index.name!r}.")
    # labels=None: the report's MLA comes from its own taxonomy run (the same taxonomy statistics), added later.
    result = analyze(pop, which=(which,), error_types=tuple(error_types), labels=None)
    summary = result.summary.reset_index()
    for error_type in error_types:  # the published tables' worst_100_classes, for the figures
        summary[f"worst_100_classes_{error_type}"] = (
            result.tables[(which, error_type)][0]["worst_100_classes"].reindex(summary["model"]).to_numpy())
    if "mla" not in summary.columns:
        summary["mla"] = np.nan
    f = result.factors
    keys = ["model", "error_type", "which", "metaclass"]
    avg = f.drop_duplicates(keys)[keys + ["average_correct", "average_total", "average"]].rename(
        columns={"average_correct": "correct", "average_total": "total", "average": "accuracy"})
    avg["factor"] = "average"
    avg["ci_low"], avg["ci_high"] = wilson_interval(avg["correct"], avg["total"])
    for col in ("error_ratio", "er_low", "er_high"):
        avg[col] = np.nan
    factors = pd.concat([f[FACTOR_COLUMNS], avg[FACTOR_COLUMNS]], ignore_index=True)
    return summary, factors


def top_mistakes(pop, *, k: int = 20) -> pd.DataFrame:
    """The ``k`` most frequent (true class, predicted class) confusions per model over all images.

    Columns ``model, rank, true_id, true_name, predicted_id, predicted_name, count, share_of_errors,
    label_errors``: class names tell duplicates apart (``maillot (n03710637)``), ``label_errors`` counts the
    confusion's images that cleanlab's MTurk study confirmed as label errors (0 off the validation set).
    """
    from ..datasets._index import VAL_INDEX
    from ..datasets._label_errors import cleanlab_label_errors
    from ..datasets._names import distinct_class_names

    names = distinct_class_names()
    labels = pop.index.labels.astype(np.int64)
    le = cleanlab_label_errors().mask if pop.index.name == VAL_INDEX else np.zeros(len(labels), dtype=bool)
    frames = []
    for i, m in enumerate(pop.models):
        pred = pop.top1[i].astype(np.int64)
        wrong = (pred >= 0) & (labels >= 0) & (pred != labels)
        codes = labels[wrong] * 1000 + pred[wrong]
        vals, counts = np.unique(codes, return_counts=True)
        order = np.lexsort((vals, -counts))[:k]
        t, p = vals[order] // 1000, vals[order] % 1000
        le_codes = labels[wrong & le] * 1000 + pred[wrong & le]
        n_le = np.bincount(np.searchsorted(vals, le_codes), minlength=len(vals))[order] if len(vals) else counts[order]
        frames.append(pd.DataFrame({"model": m, "rank": np.arange(1, len(order) + 1), "true_id": t,
                                    "true_name": names[t], "predicted_id": p, "predicted_name": names[p],
                                    "count": counts[order], "share_of_errors": counts[order] / max(int(wrong.sum()), 1),
                                    "label_errors": n_le}))
    return pd.concat(frames, ignore_index=True)


def wide_factor_table(factors: pd.DataFrame, *, error_type: str = "class", which: str = "top",
                      summary: pd.DataFrame | None = None) -> pd.DataFrame:
    """The overall rows of a tidy factor frame in the ``accuracies_per_factor.csv`` layout (index model;
    16 factors, worst_factor, average, and ``worst_100_classes`` when ``summary`` has it for ``error_type``)."""
    from ..results._layout import pivot_factor_rows

    sub = factors[(factors["metaclass"] == "all") & (factors["error_type"] == error_type) & (factors["which"] == which)]
    wide = pivot_factor_rows(sub, "model")
    column = f"worst_100_classes_{error_type}"
    if summary is not None and column in summary.columns:
        wide["worst_100_classes"] = summary.set_index("model")[column].reindex(wide.index)
    return wide.reindex(list(pd.unique(sub["model"])))


def wide_metaclass_table(factors: pd.DataFrame, *, error_type: str = "class", which: str = "top") -> pd.DataFrame:
    """The metaclass rows of a tidy factor frame in the ``accuracies_per_factor_metaclass.csv`` layout."""
    from ..results._layout import pivot_factor_rows

    sub = factors[(factors["metaclass"] != "all") & (factors["error_type"] == error_type) & (factors["which"] == which)]
    return pivot_factor_rows(sub, ["model", "metaclass"]).reset_index()


def population_comparison(factors: pd.DataFrame, population: pd.DataFrame, *, error_type: str = "class",
                          which: str = "top", name: str = "ImageNet-X testbed") -> pd.DataFrame:
    """Each model's error ratios against a published population (``accuracies_per_factor.csv`` layout).

    Columns ``model, factor, error_ratio, population, pop_median, pop_p10, pop_p90, percentile`` where
    percentile is the share of population models with a lower error ratio (0 = most robust), in percent.
    The row ``average`` compares the overall accuracy (percentile = share of population models less accurate).
    """
    from ..imagenetx._tables import error_ratios

    pop_er = error_ratios(population.loc[population.index != "human"])
    mine = factors[(factors["metaclass"] == "all") & (factors["error_type"] == error_type) & (factors["which"] == which)]
    label = f"{name} ({int((population.index != 'human').sum())})"
    rows = []
    for _, r in mine.iterrows():
        if r["factor"] == "average":
            ref = population.loc[population.index != "human", "average"].dropna().to_numpy()
            val = r["accuracy"]
        else:
            ref = pop_er[r["factor"]].replace([np.inf, -np.inf], np.nan).dropna().to_numpy()
            val = r["error_ratio"]
        pct = 100.0 * float((ref < val).mean()) if len(ref) and np.isfinite(val) else np.nan
        rows.append((r["model"], r["factor"], val, label, float(np.median(ref)), float(np.percentile(ref, 10)),
                     float(np.percentile(ref, 90)), pct))
    return pd.DataFrame(rows, columns=["model", "factor", "value", "population", "pop_median", "pop_p10",
                                       "pop_p90", "percentile"])


def accuracy_comparison(summary: pd.DataFrame, eth_all: pd.DataFrame, *,
                        name: str = "ETH error-analysis models") -> pd.DataFrame:
    """Each model's top-1 accuracy against the published ETH population (``non_problematic_stats_all.csv``).

    Same columns as :func:`population_comparison`, with ``factor = "top-1 accuracy"``; values are fractions and
    percentile is the share of population models that are less accurate, in percent.
    """
    ref = eth_all["top1_val_acc"].dropna().to_numpy(float) / 100.0
    label = f"{name} ({len(ref)})"
    rows = [(r["model"], "top-1 accuracy", float(r["top1"]), label, float(np.median(ref)),
             float(np.percentile(ref, 10)), float(np.percentile(ref, 90)), 100.0 * float((ref < r["top1"]).mean()))
            for _, r in summary.iterrows()]
    return pd.DataFrame(rows, columns=["model", "factor", "value", "population", "pop_median", "pop_p10",
                                       "pop_p90", "percentile"])


#: The seven error categories of the ETH stats, in the paper's order: stats column -> display name.
TAXONOMY_CATEGORIES = {
    "num_collapsed_mappings": "overlapping classes", "num_ambiguous": "multi-label",
    "num_same_superclass": "fine-grained", "num_OOV_clip": "fine-grained OOV",
    "num_common_co_occ": "spurious correlation", "num_non_prototypical": "non-prototypical",
    "num_not_classified": "model failure",
}

#: How the report names a multi-label source.
LABEL_SOURCE_TEXT = {
    "real": "ReaL (errorscope extension: the ReaL lists of Beyer et al. 2020 as multi-label sets over the "
            "50,000 validation images)",
    "shankar": "Shankar et al. 2020 multi-labels (v3.0.0, 20,000 images; the paper's source)",
}


def taxonomy_tables(pop, *, labels: str = "auto", groups=("all", "organism", "artifact", "other")):
    """The error taxonomy of every model (Peychev et al. 2023) for the report.

    Runs :func:`errorscope.taxonomy.classify` with the multi-label source ``labels`` (``"auto"``,
    ``"real"`` or ``"shankar"``; :func:`errorscope.taxonomy.resolve_label_source`) and no CLIP step, then :meth:`~errorscope.taxonomy.TaxonomyResult.stats` per group.

    Returns
    -------
    stats : the ETH ``non_problematic_stats_<group>.csv`` rows of every model and group, stacked, with a
        ``group`` column after ``model_dir_id`` and ``share_<category>`` = count / ``num_group_top1_errors``, a fraction
        (:func:`errorscope.taxonomy.category_shares`)
        for the seven categories.
    result : the :class:`~errorscope.taxonomy.TaxonomyResult` (for :func:`category_images`).
    """
    from ..taxonomy import category_shares, classify, load_multilabels, resolve_label_source

    labels = resolve_label_source(labels)
    result = classify(pop, load_multilabels(labels))
    frames = []
    for g in groups:
        st = result.stats(g)
        st.insert(1, "group", g)
        frames.append(pd.concat([st, category_shares(st)], axis=1))
    return pd.concat(frames, ignore_index=True), result


def add_taxonomy_accuracy(summary: pd.DataFrame, stats: pd.DataFrame) -> pd.DataFrame:
    """``summary`` with ``mla`` (and ``mla_minor``, ``mla_explainable``) from the taxonomy stats' ``all``
    group (``mla_all`` / 100 etc.), matched on the model name (``/`` written ``--`` in ``model_dir_id``)."""
    out = summary.copy()
    rows = stats[stats["group"] == "all"] if "group" in stats.columns else stats
    rows = rows.set_index("model_dir_id")
    key = out["model"].astype(str).str.replace("/", "--", regex=False)
    for col, src in (("mla", "mla_all"), ("mla_minor", "mla_all_minor_error"),
                     ("mla_explainable", "mla_all_explainable_error")):
        if src in rows.columns:
            out[col] = key.map(rows[src].astype(float) / 100.0).to_numpy(np.float64)
    return out


def category_images(result) -> pd.DataFrame:
    """Misclassified non-problematic images per error category, for thumbnails.

    Columns ``model, file_name, category, true_name, predicted_name``: one row per (model, image) top-1 error,
    ``category`` the paper's name (fine-grained, spurious correlation, ...); within a category, images that
    more models put there come first (ties by file order).
    """
    from ..datasets._names import distinct_class_names
    from ..taxonomy.categories import BY_NAME

    names = distinct_class_names()
    frame = result.per_image_frame(errors_only=True)
    frame = frame[~frame["problematic"].to_numpy()]
    display = {c.name: TAXONOMY_CATEGORIES[c.stats_column] for c in BY_NAME.values()
               if c.stats_column in TAXONOMY_CATEGORIES}
    cat = frame["category"].astype(str).map(display)
    out = pd.DataFrame({"model": frame["model"].astype(str).to_numpy(), "file_name": frame["file_name"].astype(str).to_numpy(),
                        "category": cat.to_numpy(), "true_name": names[frame["target"].to_numpy(np.int64)],
                        "predicted_name": names[frame["predicted_class"].to_numpy(np.int64)]})
    out = out[out["category"].notna()]
    n = out.groupby(["category", "file_name"])["model"].transform("size")
    out = out.assign(_n=n.to_numpy()).sort_values(["_n", "file_name"], ascending=[False, True], kind="stable")
    order = [v for v in TAXONOMY_CATEGORIES.values()]
    out["_c"] = out["category"].map({v: i for i, v in enumerate(order)})
    return out.sort_values("_c", kind="stable").drop(columns=["_n", "_c"]).reset_index(drop=True)
