"""The full figure set of both papers, from the published tables plus (optionally) the user's own models.

:func:`generate_figures` loads the published ImageNet-X tables and ETH stats through
:mod:`errorscope.imagenetx`, computes every displayed statistic with :mod:`errorscope.plots.data`,
:mod:`errorscope.imagenetx` and :mod:`errorscope.imagenetx`,
draws with the figure functions and writes one file per figure and format. User tables in the same layouts are
overlaid (highlighted) on the population figures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from .._safe import inside, safe_filename
from ..exceptions import InvalidInputError
from ..imagenetx._stats import factor_correlations
from ..imagenetx._model_types import MODEL_TYPE_ORDER
from ..imagenetx._groups import (
    augmentation_curves,
    augmentation_effects,
    augmentation_points,
    augmentation_strength,
    check_factor_table,
    group_comparison,
    highlevel_population,
)
from ..taxonomy._published import ETH_CATEGORY_NAMES, eth_stats
from ..imagenetx._published import imagenetx_wide, published_table
from . import data as D
from ._base import save_figure

__all__ = ["population_groups", "FIGURES", "POPULATION_FIGURES", "FigureDrawer", "generate_figures", "build_figures"]

_X_LABEL = {"class": "Top-1 accuracy", "real_class": "ReaL accuracy", "metaclass": "Metaclass accuracy"}
_ETH_GROUPS = ("organism", "artifact", "other")


def population_groups(*, which: str = "top", error_type: str = "class") -> tuple[pd.DataFrame, pd.Series]:
    """The ImageNet-X population of the ``highlevel_scatter_plot`` and ``supervision_comparison_prevalence`` figures.

    This is :func:`~errorscope.imagenetx.highlevel_population` of the published imagenet_testbed, modelvshuman
    and base tables (plus the human for real_class).

    Parameters
    ----------
    which : {"top", "multi"}
        The annotation file of the published tables.
    error_type : {"class", "metaclass", "real_class"}
        The correctness rule of the published tables.

    Returns
    -------
    table : DataFrame
        The per-model table, indexed by model.
    model_type : Series
        Model -> model type.
    """
    wide = imagenetx_wide(which=which, error_type=error_type, groups=["imagenet_testbed", "modelvshuman", "base"])
    pop = highlevel_population(wide, include_human=error_type == "real_class").set_index("model")
    return pop.drop(columns=["group", "model_type"]), pop["model_type"]


def _augmentation_groups(which: str, error_type: str) -> tuple[pd.DataFrame, pd.Series]:
    parts, groups = [], {}
    for label, grp, kind in (("Crop", "crop", "crop"), ("Color", "colorjitter", "color")):
        t = published_table(grp, which=which, error_type=error_type)
        t = t.loc[t.index != "human"]
        s = augmentation_strength(list(t.index), kind)
        counts = s.value_counts()
        top = counts[counts >= 5].index.max()
        sel = t.loc[(s == top).to_numpy()]
        parts.append(sel)
        groups.update({m: label for m in sel.index})
    for label, grp in (("Full Color+Crop", "colorjitter_crop"), ("Per class color jitter + crop", "adaptive_colorjitter")):
        t = published_table(grp, which=which, error_type=error_type)
        t = t.loc[t.index != "human"]
        parts.append(t)
        groups.update({m: label for m in t.index})
    table = pd.concat(parts)
    return table[~table.index.duplicated()], pd.Series(groups)


def _paper_model_factors(model: str, which: str, error_type: str) -> pd.DataFrame:
    """Tidy factor rows (with intervals) of an ImageNet-X paper model, from its published predictions."""
    from ..readers import read_population
    from ..resources import resource_path
    from ..results import analyze
    from ._inputs import FigureInputs

    pop = read_population([resource_path(f"imagenetx/model_predictions/base/{model}.csv")])
    analysis = analyze(pop, which=(which,), error_types=(error_type,), labels=None)
    return FigureInputs.from_analysis(analysis, which=which, error_type=error_type).factors


#: name -> (description, paper) of every figure :func:`generate_figures` can write.
FIGURES: dict[str, str] = {
    "factor_distribution_comparison": "share of images per factor, train/val x top/all factors",
    "active_factor_distribution_comparison": "histogram of active factors per image (multi annotations)",
    "spearman_val_correlation_heatmap": "Spearman rho factors x metaclasses / factors, val multi",
    "spearman_train_correlation_heatmap": "Spearman rho factors x metaclasses / factors, train multi",
    "highlevel_scatter_plot": "factor accuracy vs overall accuracy, ImageNet-X population (+ your models)",
    "supervision_comparison_prevalence": "mean error ratio per factor by model type, Alexander-Govern shading",
    "model_error_ratios": "error ratio per factor per model with 95% intervals",
    "model_metaclasses": "a model's most robust / susceptible factors per metaclass",
    "augment_effect": "error ratio vs augmentation strength, most affected factors",
    "augment_comparison_prevalence": "mean error ratio by augmentation type",
    "augment_comparison_accuracy": "mean factor accuracy by augmentation type",
    "error_categories_absolute": "ETH error-category counts vs top-1 accuracy, by class group",
    "error_categories_relative": "ETH error categories as % of multi-label errors vs top-1 accuracy",
    "error_categories_mla": "ETH error categories as % of multi-label errors vs MLA",
}


def build_figures(*, which: str = "top", error_type: str = "class", user_table: pd.DataFrame | None = None,
                  user_metaclass_factors: pd.DataFrame | None = None, user_factors: pd.DataFrame | None = None,
                  user_eth_stats: Mapping[str, pd.DataFrame] | None = None, include: Sequence[str] | None = None,
                  metaclass_model: str | None = None) -> dict[str, Callable[[], object]]:
    """Builders (zero-argument callables returning a Figure) of the figure set, keyed by figure name.

    Parameters
    ----------
    which, error_type : which published tables the population figures use.
    user_table : the user's models in the ``accuracies_per_factor.csv`` layout (index model); overlaid on the
        population scatter and added as their own group to the model-type comparison.
    user_metaclass_factors : tidy factor rows with per-metaclass rows and intervals
        (:attr:`FigureInputs.factors`); gives one ``model_metaclasses_<model>`` figure per model in it.
    user_factors : tidy factor frame (``model, factor, error_ratio, er_low, er_high``; overall rows) for
        ``model_error_ratios``.
    user_eth_stats : group -> ETH stats rows of the user's models, overlaid on the ETH figures.
    include : figure names to build (default: all that apply).
    metaclass_model : with no user model at all, the ImageNet-X paper model (its published predictions, scored by
        :func:`errorscope.results.analyze`) whose metaclass panels are drawn (default ``ViT``, as in the paper).
        With user models but no metaclass rows (a store), no metaclass figure is drawn.

    Returns
    -------
    dict of str to callable
        Figure name -> zero-argument builder returning a matplotlib Figure.

    Notes
    -----
    Use :meth:`FigureInputs.build_kwargs` to fill the ``user_*`` arguments.
    """
    from .annotations import plot_active_factors, plot_factor_distribution, plot_spearman_heatmap
    from .augmentation import plot_augmentation_effects
    from .factors import plot_error_ratios, plot_factor_vs_overall, plot_model_comparison, plot_model_metaclasses
    from .taxonomy import plot_error_categories

    if error_type not in _X_LABEL:
        raise InvalidInputError(f"Expected `error_type` in {sorted(_X_LABEL)}, but got {error_type!r}.")
    if which not in ("top", "multi"):
        raise InvalidInputError(f"Expected `which` to be 'top' or 'multi', but got {which!r}.")
    if user_table is not None:
        user_table = check_factor_table(user_table, name="user_table")
    builders: dict[str, Callable[[], object]] = {}

    def ann_sets():
        from ..imagenetx._annotations import load_factor_annotations

        return {f"{p} {'all factors' if w == 'multi' else 'top factor'}": load_factor_annotations(w, p)
                for p in ("train", "val") for w in ("multi", "top")}

    builders["factor_distribution_comparison"] = lambda: plot_factor_distribution(D.factor_shares(ann_sets()))

    def active():
        from ..imagenetx._annotations import load_factor_annotations

        return plot_active_factors(D.active_factor_counts(
            {p: load_factor_annotations("multi", p) for p in ("train", "val")}))

    builders["active_factor_distribution_comparison"] = active

    def spearman(partition):
        from ..imagenetx._annotations import load_factor_annotations

        rho, p = factor_correlations(annotations=load_factor_annotations("multi", partition))
        return plot_spearman_heatmap(rho, p, title=f"ImageNet-X {partition} (multi factors): 100 · Spearman ρ, p ≤ 0.01")

    builders["spearman_val_correlation_heatmap"] = lambda: spearman("val")
    builders["spearman_train_correlation_heatmap"] = lambda: spearman("train")

    def scatter():
        table, types = population_groups(which=which, error_type=error_type)
        highlight: list[str] = []
        if user_table is not None:
            ut = user_table.loc[:, [c for c in table.columns if c in user_table.columns]]
            table = pd.concat([table.loc[~table.index.isin(ut.index)], ut])
            types = pd.concat([types[~types.index.isin(ut.index)], pd.Series("Your models", index=ut.index)])
            highlight = list(ut.index)
        points, order = D.factor_scatter_points(table, types)
        return plot_factor_vs_overall(points, order, x_label=_X_LABEL[error_type],
                                      group_order=MODEL_TYPE_ORDER + ["Your models"], highlight=highlight)

    builders["highlevel_scatter_plot"] = scatter

    def supervision():
        table, types = population_groups(which=which, error_type=error_type)
        table, types = table.loc[types.index != "human"], types[types.index != "human"]
        order = list(MODEL_TYPE_ORDER)
        if user_table is not None and len(user_table) >= 2:
            table = pd.concat([table.loc[~table.index.isin(user_table.index)], user_table[table.columns.intersection(user_table.columns)]])
            types = pd.concat([types[~types.index.isin(user_table.index)], pd.Series("Your models", index=user_table.index)])
            order.append("Your models")
        comp = group_comparison(table, types, group_order=order)
        return plot_model_comparison(comp, group_order=order)

    builders["supervision_comparison_prevalence"] = supervision

    if user_factors is not None:
        builders["model_error_ratios"] = lambda: plot_error_ratios(user_factors)

    if user_metaclass_factors is not None:
        for m in pd.unique(user_metaclass_factors["model"]):
            builders[f"model_metaclasses_{m}"] = (
                lambda m=m: plot_model_metaclasses(D.metaclass_panels(user_metaclass_factors, m), model=m))
    elif user_table is None and user_factors is None and not user_eth_stats:
        model = metaclass_model or "ViT"

        def paper_model():
            return plot_model_metaclasses(D.metaclass_panels(_paper_model_factors(model, which, error_type), model),
                                          model=model)

        builders["model_metaclasses"] = paper_model

    def augment():
        sweeps = {}
        for label, grp, kind in (("Crop", "crop", "crop"), ("Color", "colorjitter", "color"),
                                 ("Smoothing", "gaussian_blur", "smoothing")):
            pts = augmentation_points(published_table(grp, which=which, error_type=error_type), kind)
            eff = augmentation_effects(pts)
            sig = eff[eff["pvalue"] < 0.05]
            chosen = list(dict.fromkeys(list(sig["factor"].head(3)) + list(sig["factor"].tail(3))))
            sweeps[label] = (pts, eff, augmentation_curves(pts, chosen))
        return plot_augmentation_effects(sweeps)

    builders["augment_effect"] = augment

    def augment_comparison(value):
        table, groups = _augmentation_groups(which, error_type)
        order = ["Crop", "Color", "Full Color+Crop", "Per class color jitter + crop"]
        comp = group_comparison(table, groups, value=value, group_order=order)
        if value == "error_ratio":
            return plot_model_comparison(comp, group_order=order)
        return plot_model_comparison(comp, group_order=order, value_label="Accuracy", baseline=None)

    builders["augment_comparison_prevalence"] = lambda: augment_comparison("error_ratio")
    builders["augment_comparison_accuracy"] = lambda: augment_comparison("accuracy")

    def eth(relative, x, x_label, y_label):
        stats = eth_stats("imagenet", _ETH_GROUPS)
        highlight: list[str] = []
        note = None
        categories = None
        if user_eth_stats:
            if relative == "absolute":  # counts over 18,692 vs ~42,164 images are not comparable: shares
                relative, y_label = "group_top1_err", "% of top-1 errors"
            stats = {g: pd.concat([d, user_eth_stats[g]], ignore_index=True) if g in user_eth_stats else d
                     for g, d in stats.items()}
            highlight = sorted({m for d in user_eth_stats.values() for m in d["model_dir_id"]})
            note, skipped = _taxonomy_protocol(user_eth_stats)
            if skipped:  # fine-grained OOV was not computed for the user's models: leave the panel out
                categories = [c for c in ETH_CATEGORY_NAMES if c != "num_OOV_clip" and (
                    relative != "group_mle" or c not in ("num_collapsed_mappings", "num_ambiguous"))]
        pts = D.eth_points(stats, x=x, relative=relative, categories=categories)
        fits = D.linear_fits(pts[~pts["model"].isin(highlight)])
        return plot_error_categories(pts, fits, x_label=x_label, y_label=y_label, highlight=highlight, note=note)

    builders["error_categories_absolute"] = lambda: eth("absolute", "imagenet_top1_val_acc", "ImageNet top-1 accuracy (%)",
                                                        "errors (count)")
    builders["error_categories_relative"] = lambda: eth("group_mle", "imagenet_top1_val_acc", "ImageNet top-1 accuracy (%)",
                                                        "% of multi-label errors")
    builders["error_categories_mla"] = lambda: eth("group_mle", "imagenet_mla_val_acc", "ImageNet MLA (%)",
                                                   "% of multi-label errors")
    if include is not None:
        unknown = [n for n in include if n not in builders and n not in FIGURES]
        if unknown:
            raise InvalidInputError(f"Unknown figure names {unknown}; known: {sorted(FIGURES)}.")
        builders = {n: b for n, b in builders.items() if n in include or any(n.startswith(i + "_") for i in include)}
    return builders


def _taxonomy_protocol(user: Mapping[str, pd.DataFrame]) -> tuple[str, bool]:
    """The protocol line of the error-category figures, and whether the user's CLIP step was skipped."""
    frame = user.get("all", next(iter(user.values())))

    def values(col: str) -> str:
        if col not in frame.columns:
            return "unknown"
        return ", ".join(sorted({str(v) for v in frame[col].dropna()})) or "unknown"

    n = frame["num_all_samples"] if "num_all_samples" in frame.columns else pd.Series(dtype=float)
    images = (f"{int(n.min()):,}" if n.min() == n.max() else f"{int(n.min()):,}-{int(n.max()):,}") if len(n) else "?"
    clip = values("clip_step")
    skipped = "skipped" in clip
    pairs = f"; pairs {values('cooccurrence_source')}" if "cooccurrence_source" in frame.columns else ""
    text = (f"Published models: Shankar et al. labels, 18,692 images, CLIP step run.  Your models: "
            f"{values('label_source')} labels, {images} images, CLIP step {clip}{pairs}"
            + (" (fine-grained OOV not computed: panel left out)." if skipped else "."))
    return text, skipped


#: Figures drawn from the published tables alone: they need no user input, so they can start first.
POPULATION_FIGURES = ("factor_distribution_comparison", "active_factor_distribution_comparison",
                      "spearman_val_correlation_heatmap", "spearman_train_correlation_heatmap", "augment_effect",
                      "augment_comparison_prevalence", "augment_comparison_accuracy")

#: Rough drawing cost of each figure (seconds on one core), to hand the slowest ones out first.
_COST = {"error_categories_absolute": 4.0, "error_categories_relative": 3.0, "error_categories_mla": 2.5,
         "augment_effect": 3.5, "highlevel_scatter_plot": 2.6, "spearman_val_correlation_heatmap": 1.8,
         "spearman_train_correlation_heatmap": 1.5, "factor_distribution_comparison": 1.3,
         "augment_comparison_prevalence": 1.1, "augment_comparison_accuracy": 1.0}


def _draw_one(name: str, kwargs: dict, out_dir: Path, formats: Sequence[str], dpi: int) -> tuple[str, list[Path]]:
    """Build and write one figure (run in a worker process or inline)."""
    from ._base import pyplot

    plt = pyplot()
    # the name may hold a model name read from a prediction file: it must not pick the folder
    # (and a dot in it must not be taken for a suffix: save_figure replaces the ".png" placeholder per format)
    path = inside(out_dir, Path(out_dir) / f"{safe_filename(name)}.png")
    fig = build_figures(include=[name], **kwargs)[name]()
    try:
        return name, save_figure(fig, path, formats=formats, dpi=dpi)
    finally:
        plt.close(fig)


def _default_jobs() -> int:
    import os

    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        n = os.cpu_count() or 1
    return max(1, min(2, n))


class FigureDrawer:
    """Draws figures in ``jobs`` worker processes (default: 2, or 1 on a one-core machine).

    :meth:`submit` queues figures and returns at once, so the caller can compute something else meanwhile
    (``errorscope demo`` draws the population figures while it analyses the predictions); :meth:`collect` waits
    for everything queued. Each figure is drawn once, in one process; its inputs are the (small) tables passed
    to :meth:`submit`. With ``jobs=1`` figures are drawn in this process, at :meth:`collect`.
    Use it as a context manager so the workers end.

    Parameters
    ----------
    jobs : int, optional
        Worker processes (default: 2, or 1 on a one-core machine).
    """

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = _default_jobs() if jobs is None else int(jobs)
        if self.jobs < 1:
            raise InvalidInputError(f"Expected `jobs` >= 1, but got {jobs!r}.")
        self._pool = None
        self._pending: list[tuple[str, object]] = []

    def __enter__(self) -> "FigureDrawer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """End the worker processes (figures not collected yet are abandoned)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def _workers(self):
        if self._pool is None:
            import multiprocessing as mp

            method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
            self._pool = mp.get_context(method).Pool(self.jobs)
        return self._pool

    def submit(self, out_dir: str | Path, *, names: Sequence[str] | None = None, formats: Sequence[str] = ("png",),
               dpi: int = 150, **kwargs) -> list[str]:
        """Queue the figures ``names`` (default: all that apply) of :func:`build_figures` with ``kwargs``.

        Parameters
        ----------
        out_dir : folder the files are written to (created).
        names : figure names (as ``include`` of :func:`build_figures`).
        formats, dpi : as :func:`~errorscope.plots.save_figure`.
        **kwargs : the other arguments of :func:`build_figures`.

        Returns
        -------
        The queued figure names, slowest first.
        """
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        chosen = list(build_figures(include=names, **kwargs))  # validates and expands model_metaclasses_<model>
        chosen.sort(key=lambda n: -_COST.get(n, 0.5))
        for name in chosen:
            args = (name, kwargs, out_dir, tuple(formats), dpi)
            job = args if self.jobs == 1 else self._workers().apply_async(_draw_one, args)
            self._pending.append((name, job))
        return chosen

    def collect(self, *, progress: bool = False) -> dict[str, list[Path]]:
        """Wait for every queued figure.

        Parameters
        ----------
        progress : bool, default False
            Show a progress bar.

        Returns
        -------
        dict of str to list of Path
            Figure name -> written paths, in submission order.
        """
        from tqdm.auto import tqdm

        out: dict[str, list[Path]] = {}
        pending, self._pending = self._pending, []
        for name, job in tqdm(pending, desc="figures", disable=not progress):
            out[name] = (_draw_one(*job) if isinstance(job, tuple) else job.get())[1]
        return out


def generate_figures(out_dir: str | Path, *, formats: Sequence[str] = ("png",), dpi: int = 150,
                     progress: bool = False, jobs: int | None = None, **kwargs) -> dict[str, list[Path]]:
    """Draw and write the figure set into ``out_dir`` (one file per figure and format).

    The ImageNet-X annotations and tables used are CC BY-NC 4.0.

    Parameters
    ----------
    out_dir : str or Path
        Folder the figures are written to.
    formats : sequence of {"png", "pdf", "svg"}
        One file per figure and format.
    dpi : int, default 150
        Resolution of raster formats.
    progress : bool, default False
        Show a progress bar.
    jobs : int, optional
        Worker processes drawing (default 2, see :class:`FigureDrawer`).
    **kwargs
        Arguments of :func:`build_figures`.

    Returns
    -------
    dict of str to list of Path
        Figure name -> written paths.
    """
    include = kwargs.pop("include", None)
    with FigureDrawer(jobs) as drawer:
        drawer.submit(out_dir, names=include, formats=formats, dpi=dpi, **kwargs)
        return drawer.collect(progress=progress)
