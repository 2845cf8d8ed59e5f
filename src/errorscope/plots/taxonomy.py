"""Figures of the ETH error taxonomy over a population (Peychev et al., NeurIPS 2023): error counts against accuracy."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._base import colors_for, pyplot, require_columns

__all__ = ["plot_error_categories"]


def plot_error_categories(points: pd.DataFrame, fits: pd.DataFrame | None = None, *, x_label: str = "Top-1 accuracy (%)",
                          y_label: str = "errors", group_order: Sequence[str] | None = None,
                          highlight: Sequence[str] = (), ncols: int | None = None, note: str | None = None):
    """One panel per error category: count (or share) per model against accuracy, coloured by group, with
    least-squares lines and confidence bands.

    Parameters
    ----------
    points : columns ``model, group, category, x, y`` (:func:`errorscope.plots.data.eth_points`).
    fits : columns ``category, group, x, fit, lo, hi`` (:func:`errorscope.plots.data.linear_fits`), or None.
    x_label : str
        X axis label.
    y_label : str
        Y axis label.
    group_order : sequence of str, optional
        Legend order of the groups (default: order of appearance).
    highlight : models drawn large with a black edge (e.g. the user's own models).
    ncols : panels per row (default 4 for more than 6 categories, else 3).
    note : the comparison's protocol (labels, images, CLIP step of each side), printed on the figure.

    Returns
    -------
    Figure with one axes per category (extra cells removed); legend entries = groups.
    """
    require_columns(points, ["model", "group", "category", "x", "y"], name="points")
    plt = pyplot()
    cats = list(pd.unique(points["category"]))
    groups = [g for g in (list(group_order or []) or list(pd.unique(points["group"]))) if g in set(points["group"])]
    colors = colors_for(groups)
    ncols = ncols or (4 if len(cats) > 6 else 3)
    nrows = int(np.ceil(len(cats) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.0 * ncols, 2.6 * nrows), squeeze=False)
    highlight = set(highlight)
    for k, cat in enumerate(cats):
        ax = axes.flat[k]
        for g in groups:
            s = points[(points["category"] == cat) & (points["group"] == g)]
            base = s[~s["model"].isin(highlight)]
            ax.scatter(base["x"], base["y"], s=5, color=colors[g], alpha=0.35, linewidths=0,
                       label=g if k == 0 else None)
            hi = s[s["model"].isin(highlight)]
            if len(hi):
                ax.scatter(hi["x"], hi["y"], s=36, color=colors[g], edgecolors="black", linewidths=0.8, zorder=3)
            if fits is not None and len(fits):
                f = fits[(fits["category"] == cat) & (fits["group"] == g)]
                if len(f):
                    ax.plot(f["x"], f["fit"], color=colors[g], lw=1.2)
                    ax.fill_between(f["x"], f["lo"], f["hi"], color=colors[g], alpha=0.2, linewidth=0)
        ax.set_title(cat, fontsize=9)
        ax.set_xlabel(x_label, fontsize=8)
        ax.set_ylabel(y_label, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes.flat[len(cats):]:
        fig.delaxes(ax)
    fig.legend(loc="lower center", ncol=max(1, len(groups)), frameon=False, bbox_to_anchor=(0.5, -0.02), markerscale=3)
    top = 1.0
    if note:
        import textwrap

        wrapped = textwrap.fill(note, width=int(30 * ncols))
        fig.text(0.5, 0.995, wrapped, ha="center", va="top", fontsize=7)
        top = 1.0 - (wrapped.count("\n") + 1.5) * 0.13 / (2.6 * nrows)  # text lines of ~0.13 in, figure 2.6 in/row
    fig.tight_layout(rect=(0, 0.05, 1, top))
    return fig
