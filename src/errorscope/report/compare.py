"""The report's image-by-image sections: a diff of two models, error consistency, hard images, known label errors
and per-class views, computed by :mod:`errorscope.pairwise` and kept as plain tables and figures here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..exceptions import InvalidInputError

__all__ = ["CompareViews", "compare_views"]


@dataclass
class CompareViews:
    """What the comparison sections show.

    Attributes
    ----------
    diff_header : the diff's basis sentence ('' when the population has one model and no pair was given).
    diff_summary : one row: ``model_a, model_b, n, acc_a, acc_b, fixed, broken, p_value, kappa, ci_low, ci_high``.
    diff_groups : the ``diff_groups`` rows (factor, metaclass and category; classes with p_holm < 0.05).
    diff_transitions : the both-wrong category moves (``diff_transitions`` rows).
    consistency : the long ``consistency`` table (group ``all``), most consistent first (for many models only the
        most and least consistent pairs), or None with one model.
    consistency_pairs : the number of pairs of the population.
    consistency_n : images the matrix rests on.
    hard : the hardest images (``hard_images`` rows), at most ``n_hard``.
    hard_header : their definition and basis.
    label_errors : ``label_error_summary`` rows (with ``hard_share``).
    worst_classes : ``per_class`` rows of the worst classes per model.
    figures : name -> data: URI.
    examples : ``group, file_name, caption, src`` thumbnails of hard images (with an image folder).
    """

    diff_header: str = ""
    diff_summary: pd.DataFrame | None = None
    diff_groups: pd.DataFrame | None = None
    diff_transitions: pd.DataFrame | None = None
    consistency: pd.DataFrame | None = None
    consistency_n: int = 0
    consistency_pairs: int = 0
    hard: pd.DataFrame | None = None
    hard_header: str = ""
    label_errors: pd.DataFrame | None = None
    worst_classes: pd.DataFrame | None = None
    figures: dict[str, str] = field(default_factory=dict)
    examples: pd.DataFrame | None = None


def _figure_uri(fig, tmp: Path, name: str, dpi: int) -> str:
    from ..plots._base import pyplot, save_figure
    from .images import png_data_uri

    [path] = save_figure(fig, tmp / name, dpi=dpi)
    pyplot().close(fig)
    return png_data_uri(path)


def compare_views(pop, *, pair: tuple[str, str] | None = None, taxonomy_result=None, labels: str = "real",
                  images_dir: str | Path | None = None, figures: bool = True, n_hard: int = 50,
                  n_worst: int = 10, n_examples: int = 12, dpi: int = 90, max_pairs: int = 500) -> CompareViews:
    """Compute the comparison sections of a report for a population on the ImageNet validation images.

    Parameters
    ----------
    pop : Population
    pair : (A, B), optional
        The two models of the diff section; default the first two models (no diff with one model).
    taxonomy_result : TaxonomyResult, optional
        The report's taxonomy of ``pop`` (reused for the hard images' categories).
    labels : {"real", "shankar", "auto"}
        Multi-label source of the taxonomy categories.
    images_dir : folder of validation images, optional
        Thumbnails of hard images.
    figures : bool
        Draw the diff and consistency figures.
    n_hard, n_worst, n_examples : int
        Rows of the hard-image table, worst classes per model, hard-image thumbnails.
    max_pairs : int
        With more than ``2 * max_pairs`` pairs the pair table keeps the ``max_pairs`` most and least consistent.
    dpi : int
        Figure resolution.

    Returns
    -------
    CompareViews
    """
    import tempfile

    from ..pairwise import (diff, error_consistency_matrix, hard_images, label_error_summary, per_class_accuracy,
                        worst_classes)

    views = CompareViews()
    if pair is not None:
        unknown = [m for m in pair if m not in pop.models]
        if unknown:
            raise InvalidInputError(f"--diff names model(s) {unknown} that are not in the report "
                                    f"(models: {', '.join(pop.models[:10])}).")
    elif len(pop) >= 2:
        pair = (pop.models[0], pop.models[1])
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if pair is not None:
            r = diff(pop[pair[0]], pop[pair[1]], labels=labels)
            o = r.overall()
            views.diff_header = r.header()
            views.diff_summary = pd.DataFrame([{"model_a": r.model_a, "model_b": r.model_b, "n": r.n,
                                                "acc_a": o.acc_a, "acc_b": o.acc_b, "fixed": int(o.fixed),
                                                "broken": int(o.broken), "p_value": o.p_value, "kappa": r.kappa,
                                                "ci_low": r.ci_low, "ci_high": r.ci_high}])
            g = r.groups
            keep = g["group_type"].isin(["factor", "metaclass", "category"]) | \
                ((g["group_type"] == "class") & (g["p_holm"] < 0.05))
            views.diff_groups = g[keep].reset_index(drop=True)
            views.diff_transitions = r.transitions[r.transitions["both_wrong"]].head(20).reset_index(drop=True)
            if figures:
                from ..plots.consistency import plot_diff_factors

                views.figures["diff_factors"] = _figure_uri(
                    plot_diff_factors(r.factor_table(), model_a=r.model_a, model_b=r.model_b,
                                      note=f"n = {r.n:,} images both cover; ImageNet-X top factors"),
                    tmp, "diff_factors", dpi)
        if len(pop) >= 2:
            cons = error_consistency_matrix(pop)
            pairs = cons.table().sort_values("kappa", ascending=False, kind="stable")
            if len(pairs) > 2 * max_pairs:  # hundreds of models: the most and the least consistent pairs
                pairs = pd.concat([pairs.head(max_pairs), pairs.tail(max_pairs)])
            views.consistency = pairs.reset_index(drop=True)
            views.consistency_pairs = len(cons.models) * (len(cons.models) - 1) // 2
            views.consistency_n = cons.n
            if figures:
                from ..plots.consistency import plot_consistency_heatmap

                views.figures["consistency_heatmap"] = _figure_uri(
                    plot_consistency_heatmap(cons.kappa, cons.models, cons.order(),
                                             note=f"n = {cons.n:,} images every model covers; top-1 vs original "
                                                  "labels; average-linkage order on 1 - kappa"),
                    tmp, "consistency_heatmap", dpi)
    hard = hard_images(pop, labels=labels, taxonomy_result=taxonomy_result, min_models=min(2, len(pop)))
    views.hard = hard.table.head(n_hard)
    views.hard_header = hard.header()
    views.label_errors = label_error_summary(pop, hard_share=hard.per_model)
    views.worst_classes = worst_classes(per_class_accuracy(pop), k=n_worst)
    if images_dir is not None and len(hard.table):
        from .images import image_files, label_flag_text, thumbnail_uri

        files = image_files(images_dir)
        rows = []
        for _, h in hard.table[hard.table["file_name"].isin(files)].head(n_examples).iterrows():
            caption = (f"{h['target_name']} → {h['top_prediction']} ({h['error_rate']:.0%} of {h['n_models']} models "
                       f"wrong){label_flag_text(h['file_name'])}")
            rows.append(("hard images", h["file_name"], caption, thumbnail_uri(files[h["file_name"]])))
        views.examples = pd.DataFrame(rows, columns=["group", "file_name", "caption", "src"]) if rows else None
    return views
