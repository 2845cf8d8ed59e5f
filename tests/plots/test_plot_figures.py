"""Figure functions: panels, axes, labels, legends and bar/point counts (figure objects, not pixels)."""

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib", reason="figures need the 'plot' extra (matplotlib)")

from matplotlib.collections import PathCollection  # noqa: E402

from errorscope.imagenetx._annotations import load_factor_annotations
from errorscope.constants import FACTORS  # noqa: E402
from errorscope.exceptions import InvalidInputError  # noqa: E402
from errorscope.plots import (  # noqa: E402
    FIGURES, build_figures, generate_figures, plot_active_factors, plot_augmentation_effects,
    plot_error_categories, plot_error_ratios, plot_factor_distribution, plot_factor_vs_overall,
    plot_model_comparison, plot_model_metaclasses, plot_spearman_heatmap, save_figure,
)
from errorscope.taxonomy._published import ETH_CATEGORY_NAMES, eth_stats
from errorscope.imagenetx._published import published_table
from errorscope.imagenetx._stats import factor_correlations
from errorscope.imagenetx._model_types import MODEL_TYPE_ORDER, model_types
from errorscope.plots import data as D  # noqa: E402
from errorscope.imagenetx._groups import (
    augmentation_curves,
    augmentation_effects,
    augmentation_points,
    group_comparison,
)


def n_points(ax):
    return sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection))


def legend_labels(obj):
    leg = obj.get_legend() if hasattr(obj, "get_legend") else None
    if leg is None and hasattr(obj, "legends") and obj.legends:
        leg = obj.legends[0]
    return [t.get_text() for t in leg.get_texts()] if leg else []


def test_factor_distribution_four_facets_four_sets():
    sets = {f"{p} {'all factors' if w == 'multi' else 'top factor'}": load_factor_annotations(w, p)
            for p in ("train", "val") for w in ("multi", "top")}
    fig = plot_factor_distribution(D.factor_shares(sets))
    assert len(fig.axes) == 4
    assert fig.axes[0].get_ylabel() == "share of images (%)"
    assert legend_labels(fig.axes[-1]) == ["train all factors", "train top factor", "val all factors", "val top factor"]
    # 4 factors x 4 sets per facet
    assert all(len(ax.patches) == 16 for ax in fig.axes)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()][:2] == ["pose", "background"]
    # bar heights are the shares in percent
    pose_val_top = [p for p in fig.axes[0].patches][3 * 4 + 0]
    assert pose_val_top.get_height() == pytest.approx(100 * 15064 / 46110)


def test_active_factors_histogram():
    counts = D.active_factor_counts({"train": load_factor_annotations("multi", "train"),
                                     "val": load_factor_annotations("multi", "val")})
    fig = plot_active_factors(counts)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "number of active factors"
    assert legend_labels(ax) == ["train", "val"]
    assert len(ax.patches) == len(counts)


def test_spearman_heatmap_masks_and_panels():
    rho, p = factor_correlations(annotations=load_factor_annotations("multi", "val"))
    fig = plot_spearman_heatmap(rho, p, title="val")
    heat = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in heat] == ["factors × metaclasses", "factors × factors"]
    assert heat[0].get_xlabel() == "metaclass" and heat[1].get_xlabel() == "factor"
    texts = {t.get_text() for t in heat[0].texts}
    assert f"{100 * rho.loc['pose', 'dog']:.1f}" in texts  # 10.2, significant
    # the right panel is a strict lower triangle: no cell on or above the diagonal is labelled
    img = heat[1].images[0].get_array()
    rows = [t.get_text() for t in heat[1].get_yticklabels()]
    cols = [t.get_text() for t in heat[1].get_xticklabels()]
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            if FACTORS.index(c.replace(" ", "_")) >= FACTORS.index(r.replace(" ", "_")):
                assert np.ma.is_masked(img[i, j])


def test_factor_vs_overall_with_highlighted_user_models():
    table = published_table("base")
    groups = pd.Series({"DINO": "SSL", "ResNet50": "Supervised", "SimCLR": "SSL", "ViT": "Supervised"})
    points, order = D.factor_scatter_points(table, groups)
    fig = plot_factor_vs_overall(points, order, highlight=["ViT"], x_label="Top-1 accuracy")
    assert len(fig.axes) == 18 and [ax.get_title() for ax in fig.axes] == order
    assert set(order) == {f.replace("_", " ") for f in FACTORS} | {"worst factor", "worst 100 classes"}
    assert all(n_points(ax) == 4 for ax in fig.axes)
    assert legend_labels(fig) == ["SSL", "Supervised"]
    ax = fig.axes[order.index("texture")]
    identity = [ln for ln in ax.lines if ln.get_linestyle() == "--"]
    assert len(identity) == 1 and list(identity[0].get_xdata()) == [0, 1]
    assert fig.axes[0].get_ylabel() == "Top-1 accuracy (factor)"


def test_model_comparison_bars_and_significance_shading():
    table = published_table("imagenet_testbed")
    types = model_types(list(table.index))
    keep = types.isin(MODEL_TYPE_ORDER).to_numpy()
    comp = group_comparison(table.loc[keep], types[keep], group_order=MODEL_TYPE_ORDER)
    fig = plot_model_comparison(comp, group_order=MODEL_TYPE_ORDER)
    ax = fig.axes[0]
    groups = [g for g in MODEL_TYPE_ORDER if g in set(comp.group)]
    assert legend_labels(ax) == groups
    bars = [p for p in ax.patches]
    assert len(bars) == 16 * len(groups)
    assert ax.get_ylabel() == "Error ratio"
    assert [t.get_text() for t in ax.get_xticklabels()] == [f.replace("_", " ") for f in pd.unique(comp.factor)]
    sig = comp.groupby("factor", sort=False)["significant"].first()
    first_group = bars[:16]
    for f, bar in zip(sig.index, first_group):
        assert (bar.get_alpha() == 0.3) == (not sig[f])
        # bar drawn from the baseline 1 to the mean
        mean = comp[(comp.factor == f) & (comp.group == groups[0])]["mean"].iloc[0]
        assert bar.get_y() == 1.0 and bar.get_y() + bar.get_height() == pytest.approx(mean)


def test_error_ratios_with_intervals():
    f = pd.DataFrame({"model": ["a"] * 16 + ["b"] * 16, "factor": FACTORS * 2,
                      "error_ratio": np.linspace(0.5, 2, 32), "er_low": np.linspace(0.4, 1.9, 32),
                      "er_high": np.linspace(0.6, 2.1, 32)})
    fig = plot_error_ratios(f)
    ax = fig.axes[0]
    assert legend_labels(ax) == ["a", "b"] and len(ax.patches) == 32
    assert ax.get_ylabel() == "Error ratio"
    tops = sorted(p.get_y() + p.get_height() for p in ax.patches)
    assert tops == pytest.approx(sorted(f["error_ratio"]))


def test_metaclass_panels_figure():
    nan = np.nan
    rows = pd.DataFrame([dict(model="m", metaclass=m, factor=f, total=n, accuracy=a, error_ratio=e, er_low=lo, er_high=hi)
                         for m, f, n, a, e, lo, hi in [
                             ("all", "average", 46110, 0.8, nan, nan, nan), ("all", "texture", 800, 0.5, 2.0, 1.8, 2.2),
                             ("all", "pose", 5000, 0.9, 0.5, 0.45, 0.56),
                             ("vessel", "average", 900, 0.55, nan, nan, nan), ("vessel", "smaller", 2, 0, 2.2, 0.6, 2.2)]])
    fig = plot_model_metaclasses(D.metaclass_panels(rows, "m"), model="m")
    assert [ax.get_title() for ax in fig.axes] == ["vessel", "overall"]
    assert len(fig.axes[0].patches) == 0 and "interval clear of 1" in fig.axes[0].texts[0].get_text()
    assert len(fig.axes[1].patches) == 2
    assert [t.get_text() for t in fig.axes[1].get_yticklabels()] == ["pose (n=5,000)", "texture (n=800)"]
    assert fig.axes[1].get_xlabel() == "error ratio"


def test_augmentation_effects_figure():
    sweeps = {}
    for label, grp, kind in (("Color", "colorjitter", "color"), ("Smoothing", "gaussian_blur", "smoothing")):
        pts = augmentation_points(published_table(grp), kind)
        eff = augmentation_effects(pts)
        sig = eff[eff.pvalue < 0.05]
        sweeps[label] = (pts, eff, augmentation_curves(pts, list(sig.factor.head(3)) + list(sig.factor.tail(3))))
    fig = plot_augmentation_effects(sweeps)
    assert len(fig.axes) == 12
    first = fig.axes[0]
    assert first.get_ylabel() == "Color\nerror ratio" and first.get_xlim() == (0, 100)
    assert first.texts[0].get_text().startswith("color (t=26.7)")
    assert len(first.lines) == 1 and n_points(first) > 0


def test_error_categories_panels_fits_and_highlight():
    st = eth_stats("imagenet", ("organism", "artifact"))
    pts = D.eth_points(st)
    fits = D.linear_fits(pts)
    fig = plot_error_categories(pts, fits, highlight=["facebook--convnext-base-224"])
    assert len(fig.axes) == 7
    assert [ax.get_title() for ax in fig.axes] == list(ETH_CATEGORY_NAMES.values())
    assert legend_labels(fig) == ["organism", "artifact"]
    ax = fig.axes[2]
    assert n_points(ax) == 2 * 962
    assert len(ax.lines) == 2 and len([c for c in ax.collections if not isinstance(c, PathCollection)]) == 2
    assert ax.get_xlabel() == "Top-1 accuracy (%)"


def test_save_figure_formats(tmp_path):
    f = pd.DataFrame({"model": ["a"] * 16, "factor": FACTORS, "error_ratio": 1.0, "er_low": 0.9, "er_high": 1.1})
    paths = save_figure(plot_error_ratios(f), tmp_path / "x", formats=("png", "pdf", "svg"))
    assert [p.name for p in paths] == ["x.png", "x.pdf", "x.svg"]
    assert paths[0].read_bytes()[:4] == b"\x89PNG" and paths[1].read_bytes()[:4] == b"%PDF"
    assert b"<svg" in paths[2].read_bytes()[:500]
    with pytest.raises(InvalidInputError, match="formats"):
        save_figure(plot_error_ratios(f), tmp_path / "y", formats=("gif",))


def test_figure_functions_reject_wrong_tables():
    with pytest.raises(InvalidInputError, match="model"):
        plot_error_ratios(pd.DataFrame({"factor": ["pose"]}))


def test_build_figures_names_and_generate_subset(tmp_path):
    names = set(build_figures())
    assert names <= set(FIGURES) and "model_metaclasses" in names
    out = generate_figures(tmp_path, include=["supervision_comparison_prevalence", "error_categories_absolute"],
                           formats=("png",), dpi=50)
    assert sorted(out) == ["error_categories_absolute", "supervision_comparison_prevalence"]
    assert all(p.exists() for ps in out.values() for p in ps)
    with pytest.raises(InvalidInputError, match="Unknown figure"):
        build_figures(include=["nope"])


def test_missing_matplotlib_names_the_extra(monkeypatch):
    import sys

    from errorscope.exceptions import MissingDependencyError

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    f = pd.DataFrame({"model": ["a"] * 16, "factor": FACTORS, "error_ratio": 1.0, "er_low": 0.9, "er_high": 1.1})
    with pytest.raises(MissingDependencyError, match=r"errorscope\[plot\]"):
        plot_error_ratios(f)


def test_error_category_figures_compare_shares_and_print_the_protocol():
    """User models (ReaL, no CLIP) overlaid on the ETH population: shares, no fg-OOV panel, protocol printed."""
    import os
    from pathlib import Path

    from errorscope.plots.figure_set import build_figures
    from errorscope.readers import read_population
    from errorscope.taxonomy import classify

    data = Path(os.environ.get("ERRORSCOPE_DATA_DIR", "../shared/data"))
    pop = read_population([data / "predictions/shavit_analysing_relations/topk_ids_vgg11.csv"])
    res = classify(pop, "real")
    user = {g: res.stats(g) for g in ("all", "organism", "artifact", "other")}
    builders = build_figures(user_eth_stats=user, include=["error_categories_absolute", "error_categories_relative"])
    fig = builders["error_categories_absolute"]()
    titles = [ax.get_title() for ax in fig.axes]
    assert "fine-grained OOV" not in titles and "fine-grained" in titles and "overlapping classes" in titles
    assert {ax.get_ylabel() for ax in fig.axes} == {"% of top-1 errors"}
    text = " ".join(t.get_text() for t in fig.texts).replace("\n", " ")
    assert "Shankar et al. labels, 18,692 images, CLIP step run" in text
    assert "real labels, 42,164 images, CLIP step skipped; pairs published" in text
    # the user's point is its share: 100 x fine-grained / top-1 errors of the stats row (not its count)
    st = user["organism"].iloc[0]  # the figures draw the organism / artifact / other groups
    ax = fig.axes[titles.index("fine-grained")]
    ys = np.concatenate([c.get_offsets()[:, 1] for c in ax.collections if len(c.get_offsets()) == 1])
    want = 100.0 * st["num_same_superclass"] / st["num_group_top1_errors"]
    assert np.isclose(ys, want, rtol=0, atol=1e-9).any() and not np.isclose(ys, st["num_same_superclass"]).any()
    rel = builders["error_categories_relative"]()
    assert "fine-grained OOV" not in [ax.get_title() for ax in rel.axes]
