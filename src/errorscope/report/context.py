"""The plain tables a report is built from, and how to get them from predictions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..exceptions import InvalidInputError
from .images import png_data_uri  # re-exported: the report and the demo embed PNGs

__all__ = ["ReportContext", "REPORT_FIGURES", "png_data_uri", "user_eth_stats"]

#: The figures embedded in a report (``model_metaclasses`` stands for one ``model_metaclasses_<model>`` per model).
REPORT_FIGURES = ["highlevel_scatter_plot", "model_error_ratios", "model_metaclasses", "error_categories_relative"]


_SUMMARY_COLUMNS = ["model", "top1"]
_FACTOR_COLUMNS = ["model", "error_type", "metaclass", "factor", "total", "accuracy", "ci_low", "ci_high",
                   "error_ratio", "er_low", "er_high"]
_MISTAKE_COLUMNS = ["model", "true_name", "predicted_name", "count"]


def _check(frame, name: str, columns: list[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise InvalidInputError(f"Expected `{name}` to be a pandas DataFrame, but got {type(frame).__name__}.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInputError(f"Expected `{name}` to have columns {columns}, but {missing} are missing "
                                f"(got {list(frame.columns)}).")


@dataclass
class ReportContext:
    """Everything a report shows, as plain tables; :func:`~errorscope.report.build_report` only renders it.

    Attributes
    ----------
    summary : one row per model: ``model, top1`` and optionally ``top5, real, mla, mla_minor, mla_explainable,
        n_covered`` (fractions; ``mla*`` from the taxonomy's ``all`` group).
    factors : tidy factor frame (``model, error_type, which, metaclass, factor, correct, total, accuracy,
        ci_low, ci_high, error_ratio, er_low, er_high``); ``metaclass == "all"`` rows are overall, the others
        the per-metaclass breakdown; ``factor == "average"`` rows hold the overall accuracy.
    mistakes : ``model, rank, true_name, predicted_name, count, share_of_errors``.
    taxonomy : optional ETH stats rows of the models (``non_problematic_stats_<group>.csv`` layout,
        ``model_dir_id`` = model name, optional ``group`` and ``share_<category>`` fraction columns); None renders
        "not computed".
    comparison : optional ``model, factor, value, pop_median, pop_p10, pop_p90, percentile``.
    figures : figure name -> ``data:`` URI (PNG) embedded in the page.
    examples : optional ``group, file_name, caption, src`` (``src`` a ``data:`` URI thumbnail).
    notes : sentences for the "About these numbers" section.
    title : str
        Page title.
    taxonomy_note : str
        Sentence shown with the taxonomy section (its label source and coverage).
    examples_note : str
        Sentence shown in place of the thumbnails when there are none.
    comparison_population : str
        Name of the reference population of ``comparison``.
    compare : CompareViews or None
        The image-by-image sections (:func:`errorscope.report.compare.compare_views`: diff of two models, error
        consistency, hard images, known label errors, worst classes); None renders nothing.
    """

    summary: pd.DataFrame
    factors: pd.DataFrame
    mistakes: pd.DataFrame
    taxonomy: pd.DataFrame | None = None
    comparison: pd.DataFrame | None = None
    figures: dict[str, str] = field(default_factory=dict)
    examples: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    title: str = "errorscope report"
    taxonomy_note: str = ""
    examples_note: str = "run with --images DIR (an ImageNet validation folder) to see thumbnails."
    comparison_population: str = "ImageNet-X testbed"
    compare: object | None = None

    def __post_init__(self) -> None:
        _check(self.summary, "summary", _SUMMARY_COLUMNS)
        _check(self.factors, "factors", _FACTOR_COLUMNS)
        _check(self.mistakes, "mistakes", _MISTAKE_COLUMNS)
        if self.taxonomy is not None:
            _check(self.taxonomy, "taxonomy", ["model_dir_id", "num_group_top1_errors"])
        if self.comparison is not None:
            _check(self.comparison, "comparison", ["model", "factor", "value", "pop_median", "percentile"])
        if self.examples is not None:
            _check(self.examples, "examples", ["group", "file_name", "caption", "src"])
        bad = [k for k, v in self.figures.items() if not str(v).startswith("data:image/")]
        if bad:
            raise InvalidInputError(f"Figures {bad} are not data: URIs; a self-contained report embeds every image.")

    @property
    def models(self) -> list[str]:
        """The report's model names, in summary order."""
        return [str(m) for m in self.summary["model"]]

    def figure_inputs(self, *, which: str = "top", error_type: str = "class"):
        """The report's models as :class:`~errorscope.plots.FigureInputs` (what the figures draw).

        Parameters
        ----------
        which : {"top", "multi"}
            The annotation file of the factor figures.
        error_type : {"class", "metaclass", "real_class"}
            The correctness rule of the factor figures.

        Returns
        -------
        FigureInputs
            The figures' inputs built from the report's tables.
        """
        from ..plots._inputs import FigureInputs

        return FigureInputs.from_tables(self.factors, summary=self.summary, taxonomy=self.taxonomy, which=which,
                                        error_type=error_type)

    @classmethod
    def from_population(cls, pop, *, taxonomy: pd.DataFrame | None = None, taxonomy_images: pd.DataFrame | None = None,
                        taxonomy_labels: str | None = "auto", images_dir: str | Path | None = None,
                        figures: bool = True, comparison: bool = True, title: str | None = None,
                        n_examples: int = 6, dpi: int = 90, progress: bool = False,
                        jobs: int | None = None, compare: bool = False,
                        diff_pair: tuple[str, str] | None = None) -> "ReportContext":
        """Compute every table of the report for a population of models on the ImageNet validation set.

        Numbers come from :func:`errorscope.results.analyze` (via :func:`errorscope.report.tables.report_tables`).
        The error taxonomy is computed with :func:`errorscope.report.tables.taxonomy_tables` from the
        multi-label source ``taxonomy_labels`` (``"auto"``, default: Shankar et al. when available, else
        ``"real"``; or ``"real"``, ``"shankar"``; None skips it), unless
        ``taxonomy`` (ETH stats rows per model, optional ``group`` column) is given, which is shown as given.
        Its ``all`` rows fill the headline MLA.
        ``images_dir`` (an ImageNet val folder, flat or one folder per wnid) adds thumbnails of mistakes per
        factor and per error category (from the computed taxonomy, or ``taxonomy_images`` with columns
        ``model, file_name, category, true_name, predicted_name``).
        The figures are drawn by ``jobs`` worker processes (:class:`~errorscope.plots.FigureDrawer`) while the
        other tables are computed; ``progress`` shows a bar over the steps.

        Parameters
        ----------
        pop : Population
            Predictions on the ImageNet validation index.
        taxonomy : DataFrame, optional
            ETH stats rows per model to show as given instead of computing the taxonomy.
        taxonomy_images : DataFrame, optional
            Per-image categories for the taxonomy thumbnails.
        taxonomy_labels : {"real", "shankar"} or None
            Multi-label source of the computed taxonomy; None skips it.
        images_dir : str or Path, optional
            ImageNet validation images for the thumbnails.
        figures : bool, default True
            Draw the figures.
        comparison : bool, default True
            Compare each model with the published population.
        title : str, optional
            Page title (default "errorscope report").
        n_examples : int, default 6
            Thumbnails per factor and category.
        dpi : int, default 90
            Resolution of the embedded figures.
        progress : bool, default False
            Show a progress bar over the steps.
        jobs : int, optional
            Worker processes drawing the figures.
        compare : bool, default False
            Add the image-by-image sections (:func:`errorscope.report.compare.compare_views`): the diff of
            ``diff_pair``, error consistency, hard images, known label errors and the worst classes.
        diff_pair : (str, str), optional
            The two models of the diff section (default the first two models).

        Returns
        -------
        ReportContext
            Every table of the report.
        """
        import tempfile

        from tqdm.auto import tqdm

        from ..plots._inputs import FigureInputs
        from ..plots.figure_set import FigureDrawer
        from . import tables as T

        steps = ["factor tables", "mistakes"] + (["error taxonomy"] if taxonomy is None and taxonomy_labels else []) \
            + (["comparison"] if comparison else []) + (["examples"] if images_dir is not None else []) \
            + (["image-by-image views"] if compare else []) \
            + (["figures"] if figures else [])
        bar = tqdm(total=len(steps), desc="report", unit="step", disable=not progress)

        def step(name: str) -> None:
            bar.set_postfix_str(name)
            bar.update(1)

        with tempfile.TemporaryDirectory() as tmp, FigureDrawer(jobs if figures else 1) as drawer:
            ctx = cls._build(pop, T, FigureInputs, drawer, tmp, step, taxonomy=taxonomy, taxonomy_images=taxonomy_images,
                             taxonomy_labels=taxonomy_labels, images_dir=images_dir, figures=figures,
                             comparison=comparison, title=title, n_examples=n_examples, dpi=dpi,
                             compare=compare, diff_pair=diff_pair)
        bar.close()
        return ctx

    @classmethod
    def _build(cls, pop, T, FigureInputs, drawer, tmp, step, *, taxonomy, taxonomy_images, taxonomy_labels, images_dir,
               figures, comparison, title, n_examples, dpi, compare=False, diff_pair=None) -> "ReportContext":

        notes = [
            "Top-1, top-5 and ReaL accuracies are over the images a model has a prediction for (a missing "
            "prediction is left out, not counted as wrong; 'images predicted' gives the count).",
            "Factor statistics use the ImageNet-X validation annotations (top factor, the 2,758 prototypical images "
            "removed), CC BY-NC 4.0.",
            "Factor accuracy intervals are 95% Wilson intervals; an error-ratio interval maps the factor "
            "accuracy's interval through (1 − acc) / (1 − overall accuracy), the overall accuracy held fixed.",
            "real_class factor rows count an image with an empty ReaL list as wrong (the ImageNet-X convention); "
            "the headline ReaL accuracy excludes those images (the ReaL protocol).",
        ]
        summary, factors = T.report_tables(pop)
        step("factor tables")
        if figures:  # the factor figures draw in the workers while the rest is computed
            _submit_figures(drawer, tmp, FigureInputs.from_tables(factors, summary=summary), dpi=dpi,
                            names=[n for n in REPORT_FIGURES if not n.startswith("error_categories")])
        mistakes = T.top_mistakes(pop)
        step("mistakes")
        tax_note = ""
        result = None
        if taxonomy is None and taxonomy_labels is not None:
            taxonomy, result = T.taxonomy_tables(pop, labels=taxonomy_labels)
            step("error taxonomy")
            if images_dir is not None and taxonomy_images is None:
                taxonomy_images = T.category_images(result)
        if taxonomy is not None:
            if "group" not in taxonomy.columns:
                taxonomy = taxonomy.assign(group="all")
            summary = T.add_taxonomy_accuracy(summary, taxonomy)
            tax_note = _taxonomy_note(taxonomy)
            notes.append("MLA (multi-label accuracy, Peychev et al. 2023) is the class-averaged accuracy over the "
                         "non-problematic images of the error taxonomy's label source, counting collapsed-mapping "
                         "and multi-label predictions as correct; label source and CLIP step are stated in the "
                         "error-taxonomy section.")
        if figures:
            _submit_figures(drawer, tmp, FigureInputs.from_tables(factors, summary=summary, taxonomy=taxonomy), dpi=dpi,
                            names=[n for n in REPORT_FIGURES if n.startswith("error_categories")])
        if taxonomy is None:
            tax_note = "Run without --no-taxonomy (or pass per-model stats in the ETH non_problematic_stats layout) " \
                       "to fill it; the figure shows the published population only."
        comp = None
        fig_uris: dict[str, str] = {}
        if comparison:
            from ..taxonomy._published import eth_stats
            from ..imagenetx._published import published_table

            comp = pd.concat([T.accuracy_comparison(summary, eth_stats("imagenet", ("all",))["all"]),
                              T.population_comparison(factors, published_table("imagenet_testbed"))],
                             ignore_index=True)
            step("comparison")
        examples, ex_note = None, cls.examples_note
        if images_dir is not None:
            from .images import category_examples, factor_examples

            examples = factor_examples(pop, images_dir, per_group=n_examples)
            if taxonomy_images is not None:
                examples = pd.concat([examples, category_examples(taxonomy_images, images_dir, per_group=n_examples)],
                                     ignore_index=True)
            if examples.empty:
                examples = None
            ex_note = f"no mistake of these models has an image in {images_dir}."
            step("examples")
        views = None
        from ..datasets._index import VAL_INDEX

        if compare and pop.index.name == VAL_INDEX:
            from .compare import compare_views

            views = compare_views(pop, pair=diff_pair, taxonomy_result=result, labels=taxonomy_labels or "real",
                                  images_dir=images_dir, figures=figures, dpi=dpi)
            if views.examples is not None:
                examples = views.examples if examples is None else pd.concat([examples, views.examples],
                                                                             ignore_index=True)
            notes.append("Image-by-image sections: correctness is top-1 against the original labels on the images "
                         "both (diff) or all (error consistency, hard images) models cover; McNemar's test is exact "
                         "(binomial on fixed vs broken), Holm-adjusted within each group type; kappa intervals are "
                         "Wald intervals with Cohen's large-sample standard error. Known label errors: the 2,916 "
                         "images cleanlab's MTurk study confirmed (fewer than 3 of 5 workers kept the label; "
                         "Northcutt et al. 2021) and the images whose original label ReaL rejects.")
            step("image-by-image views")
        if figures:
            fig_uris = {name: png_data_uri(paths[0]) for name, paths in drawer.collect().items()}
            step("figures")
        if views is not None:
            fig_uris.update(views.figures)
        return cls(summary=summary, factors=factors, mistakes=mistakes, taxonomy=taxonomy, comparison=comp,
                   figures=fig_uris, examples=examples, notes=notes, taxonomy_note=tax_note,
                   title=title or f"errorscope report: {', '.join(pop.models[:6])}{' …' if len(pop) > 6 else ''}",
                   examples_note=ex_note, compare=views)


def user_eth_stats(taxonomy: pd.DataFrame | None) -> dict[str, pd.DataFrame] | None:
    """Taxonomy stats rows (with a ``group`` column) as group -> frame, what the ETH figures overlay."""
    if taxonomy is None or "group" not in taxonomy.columns:
        return None
    return {str(g): d.drop(columns="group") for g, d in taxonomy.groupby("group", sort=False)}


def _taxonomy_note(taxonomy: pd.DataFrame) -> str:
    """The sentence stating how the taxonomy was computed (label source, CLIP step, superclasses)."""
    from .tables import LABEL_SOURCE_TEXT

    def one(col: str) -> str | None:
        vals = sorted({str(v) for v in taxonomy[col].dropna()}) if col in taxonomy.columns else []
        return ", ".join(vals) if vals else None

    parts = []
    src = one("label_source")
    if src is not None:
        parts.append("Label source: " + "; ".join(LABEL_SOURCE_TEXT.get(s, s) for s in src.split(", ")) + ".")
    clip = one("clip_step")
    if clip is not None:
        parts.append(f"CLIP step: {clip}" + (" (fine-grained OOV is 0; those errors fall into spurious correlation, "
                                             "non-prototypical or model failure)." if clip == "skipped" else "."))
    sup = one("superclass_source")
    if sup is not None:
        parts.append(f"Superclasses: {sup} (the authors' are not public).")
    parts.append("Counts are over the non-problematic images of the label source (the published 962 models: "
                 "Shankar et al. labels, 18,692 images, with the CLIP step); shares are % of the group's top-1 "
                 "errors. MLA columns are in percent.")
    return " ".join(parts)


#: Above this many models the report draws no per-model matplotlib panel (the page's own charts show the picked
#: model instead).
MAX_PANEL_MODELS = 6


def _submit_figures(drawer, out_dir: str, inputs, *, dpi: int, names: list[str]) -> None:
    """Queue the report figures ``names`` (``model_metaclasses`` = one per model, up to :data:`MAX_PANEL_MODELS`)."""
    few = len(inputs.models) <= MAX_PANEL_MODELS
    kwargs = inputs.build_kwargs(metaclass_models=inputs.models if few else [], max_error_ratio_models=MAX_PANEL_MODELS)
    names = list(names)
    if "model_metaclasses" in names:
        names.remove("model_metaclasses")
        if few and kwargs["user_metaclass_factors"] is not None:
            names += [f"model_metaclasses_{m}" for m in inputs.models]
    if kwargs["user_metaclass_factors"] is not None and not few:
        kwargs["user_metaclass_factors"] = None
    if kwargs["user_factors"] is None and "model_error_ratios" in names:
        names.remove("model_error_ratios")
    if names:
        drawer.submit(out_dir, names=names, dpi=dpi, **kwargs)
