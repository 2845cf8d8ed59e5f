"""Figures of the ImageNet-X and error-taxonomy papers (needs ``pip install 'errorscope[plot]'``).

Each figure function takes tables and returns a matplotlib Figure; it never computes a metric. The statistics a
figure shows (Spearman matrices, error ratios, Alexander-Govern tests, augmentation effects, linear fits) come
from the table-producing functions of :mod:`errorscope.plots.data`. :func:`generate_figures` writes the whole set.
matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

from ._inputs import FigureInputs
from .figure_set import FIGURES, POPULATION_FIGURES, FigureDrawer, build_figures, generate_figures, population_groups

__all__ = [
    "FigureInputs", "FIGURES", "POPULATION_FIGURES", "FigureDrawer", "build_figures", "generate_figures", "population_groups",
    "plot_factor_distribution", "plot_active_factors", "plot_spearman_heatmap", "plot_factor_vs_overall",
    "plot_model_comparison", "plot_model_metaclasses", "plot_error_ratios", "plot_augmentation_effects",
    "plot_error_categories", "plot_consistency_heatmap", "plot_diff_factors", "save_figure",
]

_LAZY = {
    "plot_factor_distribution": "annotations", "plot_active_factors": "annotations",
    "plot_spearman_heatmap": "annotations", "plot_factor_vs_overall": "factors",
    "plot_model_comparison": "factors", "plot_model_metaclasses": "factors", "plot_error_ratios": "factors",
    "plot_augmentation_effects": "augmentation", "plot_error_categories": "taxonomy", "save_figure": "_base",
    "plot_consistency_heatmap": "consistency", "plot_diff_factors": "consistency",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
