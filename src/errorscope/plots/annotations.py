"""Figures of the ImageNet-X annotations: factor distribution, active factors, Spearman heatmaps (figures 1-3 of
``imagenet_x``'s ``generate_all_plots``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..constants import FACTORS
from ._base import colors_for, pretty, pyplot, require_columns

__all__ = ["plot_factor_distribution", "plot_active_factors", "plot_spearman_heatmap"]


def plot_factor_distribution(shares: pd.DataFrame, *, n_facets: int = 4):
    """Bar chart of each factor's share of images, per annotation set, in ``n_facets`` panels.

    Parameters
    ----------
    shares : output of :func:`errorscope.plots.data.factor_shares` (columns ``set, factor, share``);
        factors are drawn in the frame's (categorical) order.
    n_facets : int, default 4
        Number of panels the factors are spread over.

    Returns
    -------
    matplotlib Figure with ``n_facets`` axes; percent y axis; one legend entry per set.
    """
    require_columns(shares, ["set", "factor", "share"], name="shares")
    plt = pyplot()
    factors = list(pd.unique(shares["factor"].astype(str)))
    sets = list(pd.unique(shares["set"]))
    colors = colors_for(sets)
    per = int(np.ceil(len(factors) / n_facets))
    fig, axes = plt.subplots(1, n_facets, figsize=(3.0 * n_facets, 3.0), sharey=False, squeeze=False)
    width = 0.8 / max(len(sets), 1)
    for k, ax in enumerate(axes[0]):
        chunk = factors[k * per:(k + 1) * per]
        for j, s in enumerate(sets):
            sub = shares[shares["set"] == s]
            sub = sub.set_index(sub["factor"].astype(str))
            vals = [100.0 * float(sub.loc[f, "share"]) if f in sub.index else 0.0 for f in chunk]
            ax.bar(np.arange(len(chunk)) + (j - (len(sets) - 1) / 2) * width, vals, width, color=colors[s],
                   label=s)
        ax.set_xticks(np.arange(len(chunk)), [pretty(f) for f in chunk], rotation=30, ha="right")
        ax.set_ylabel("share of images (%)" if k == 0 else "")
        ax.set_title(f"factors {k * per + 1}-{k * per + len(chunk)}")
    axes[0][-1].legend(frameon=False, fontsize=8)
    fig.suptitle("ImageNet-X factor distribution")
    fig.tight_layout()
    return fig


def plot_active_factors(counts: pd.DataFrame):
    """Histogram of the number of active factors per image (log y), one bar group per annotation set.

    Parameters
    ----------
    counts : DataFrame
        Output of :func:`errorscope.plots.data.active_factor_counts` (columns ``set, n_active, n_images``).

    Returns
    -------
    matplotlib Figure
        One axes, one bar group per set.
    """
    require_columns(counts, ["set", "n_active", "n_images"], name="counts")
    plt = pyplot()
    sets = list(pd.unique(counts["set"]))
    colors = colors_for(sets)
    fig, ax = plt.subplots(figsize=(6, 3))
    width = 0.8 / max(len(sets), 1)
    for j, s in enumerate(sets):
        sub = counts[counts["set"] == s]
        ax.bar(sub["n_active"].to_numpy() + (j - (len(sets) - 1) / 2) * width, sub["n_images"], width,
               color=colors[s], label=s)
    ax.set_yscale("log")
    ax.set_yticks([1, 10, 100, 1000, 10000])
    ax.set_xlabel("number of active factors")
    ax.set_ylabel("images")
    ax.set_title("Active factors per image")
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def plot_spearman_heatmap(rho: pd.DataFrame, pval: pd.DataFrame, *, alpha: float = 0.01, title: str = ""):
    """Two heatmaps sharing rows: factors × metaclasses (left), factors × factors lower triangle (right).

    A cell is shown when ρ ≠ 0 and p ≤ ``alpha``; fully masked rows/columns are dropped. Cells show 100·ρ,
    colour map RdBu on −50..50 (``spearman_val_correlation_heatmap`` of ImageNet-X). ``rho``/``pval`` come from
    :func:`errorscope.imagenetx.factor_correlations`.

    Parameters
    ----------
    rho : DataFrame
        Spearman correlations, factors (+ metaclasses) as index and columns.
    pval : DataFrame
        Their p-values, same layout.
    alpha : float, default 0.01
        Largest p-value of a shown cell.
    title : str
        Figure title.

    Returns
    -------
    matplotlib Figure
        Two heatmap axes and a colour bar.
    """
    plt = pyplot()
    factors = [f for f in FACTORS if f in rho.index]
    metas = [c for c in rho.columns if c not in FACTORS]
    show = (rho.abs() > 0.0) & (pval <= alpha)
    left = rho.loc[factors, metas].where(show.loc[factors, metas])
    right = rho.loc[factors, factors].where(show.loc[factors, factors])
    right = right.where(np.tril(np.ones((len(factors), len(factors)), dtype=bool), k=-1))
    rows = [f for f in factors if left.loc[f].notna().any() or right.loc[f].notna().any()]
    left = left.loc[rows, [c for c in metas if left.loc[rows, c].notna().any()]]
    right = right.loc[rows, [c for c in factors if right.loc[rows, c].notna().any()]]
    fig, axes = plt.subplots(1, 2, figsize=(0.45 * (left.shape[1] + right.shape[1]) + 3, 0.4 * len(rows) + 2),
                             gridspec_kw={"width_ratios": [max(left.shape[1], 1), max(right.shape[1], 1)]},
                             sharey=True)
    mesh = None
    for ax, data, name in ((axes[0], left, "metaclass"), (axes[1], right, "factor")):
        values = 100.0 * data.to_numpy(float)
        mesh = ax.imshow(np.ma.masked_invalid(values), cmap="RdBu", vmin=-50, vmax=50, aspect="auto")
        for (i, j), v in np.ndenumerate(values):
            if np.isfinite(v):
                ax.text(j, i, f"{v:.1f}", ha="center", va="center", fontsize=6)
        ax.set_xticks(range(data.shape[1]), [pretty(c) for c in data.columns], rotation=60, ha="right")
        ax.set_yticks(range(len(rows)), [pretty(r) for r in rows])
        ax.set_xlabel(name)
    axes[0].set_ylabel("factor")
    axes[0].set_title("factors × metaclasses")
    axes[1].set_title("factors × factors")
    fig.colorbar(mesh, ax=list(axes), label="100 · Spearman ρ", shrink=0.8)
    if title:
        fig.suptitle(title)
    return fig
