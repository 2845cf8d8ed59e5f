"""Figures of per-factor accuracies over a population of models (ImageNet-X's ``highlevel_scatter_plot``, ``model_comparison`` and
``vit_example`` figures)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._base import ROBUST, SUSCEPTIBLE, colors_for, pretty, pyplot, require_columns

__all__ = ["plot_factor_vs_overall", "plot_model_comparison", "plot_model_metaclasses", "plot_error_ratios"]

_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "<", ">", "*"]


def plot_factor_vs_overall(points: pd.DataFrame, facet_order: Sequence[str], *, x_label: str = "Top-1 accuracy",
                           group_order: Sequence[str] | None = None, highlight: Sequence[str] = (),
                           ncols: int = 6):
    """Scatter of each factor's accuracy against overall accuracy, one facet per factor, with the identity line.

    Parameters
    ----------
    points : columns ``model, group, facet, x, y`` (:func:`errorscope.plots.data.factor_scatter_points`).
    facet_order : facet names in drawing order.
    x_label : x axis label; the y label is ``x_label + " (factor)"``.
    group_order : legend order of the groups (colours and markers).
    highlight : models drawn large with a black edge and labelled (e.g. the user's own models).
    ncols : int, default 6
        Facets per row.

    Returns
    -------
    Figure with one axes per facet (extra grid cells removed); legend entries = groups.
    """
    require_columns(points, ["model", "group", "facet", "x", "y"], name="points")
    plt = pyplot()
    groups = list(dict.fromkeys(list(group_order or []) + list(pd.unique(points["group"]))))
    groups = [g for g in groups if g in set(points["group"])]
    colors = colors_for(groups)
    n = len(facet_order)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.2 * ncols, 2.2 * nrows), squeeze=False,
                             sharex=True, sharey=True)
    highlight = set(highlight)
    for k, facet in enumerate(facet_order):
        ax = axes.flat[k]
        sub = points[points["facet"] == facet]
        ax.plot([0, 1], [0, 1], ls="--", color="0.5", lw=0.8)
        for gi, g in enumerate(groups):
            s = sub[(sub["group"] == g) & ~sub["model"].isin(highlight)]
            ax.scatter(s["x"], s["y"], s=9, color=colors[g], marker=_MARKERS[gi % len(_MARKERS)], alpha=0.8,
                       label=g if k == 0 else None, linewidths=0)
        hi = sub[sub["model"].isin(highlight)]
        for gi, g in enumerate(groups):
            s = hi[hi["group"] == g]
            if len(s):
                ax.scatter(s["x"], s["y"], s=40, color=colors[g], marker=_MARKERS[gi % len(_MARKERS)],
                           edgecolors="black", linewidths=0.8, zorder=3)
        ax.set_title(facet, fontsize=9)
        ax.set_yticks(np.arange(0, 1.01, 0.2))
        ax.xaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
        ax.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
    for ax in axes.flat[n:]:
        fig.delaxes(ax)
    lo = float(np.nanmin(points[["x", "y"]].to_numpy())) if len(points) else 0.0
    for ax in axes.flat[:n]:
        ax.set_xlim(max(0.0, lo - 0.05), 1.0)
        ax.set_ylim(max(0.0, lo - 0.05), 1.0)
    for r in range(nrows):
        axes[r][0].set_ylabel(f"{x_label} (factor)", fontsize=8)
    for ax in axes.flat[max(0, n - ncols):n]:
        ax.set_xlabel(x_label, fontsize=8)
    fig.legend(loc="lower center", ncol=max(1, len(groups)), frameon=False, bbox_to_anchor=(0.5, -0.02), markerscale=2)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def plot_model_comparison(comparison: pd.DataFrame, *, value_label: str = "Error ratio", baseline: float | None = 1.0,
                          group_order: Sequence[str] | None = None, figsize=(10, 2.8)):
    """Grouped bars per factor with ±1 std error bars; non-significant factors are shaded (alpha 0.3).

    Parameters
    ----------
    comparison : columns ``factor, group, mean, std, significant``
        (:func:`errorscope.plots.data.group_comparison`), rows in factor drawing order.
    value_label : y axis label.
    baseline : bars are drawn from this value (1 for error ratios, with a solid line and "less robust →");
        ``None`` draws from 0 (accuracies).
    group_order : sequence of str, optional
        Order of the groups' bars (default: order of appearance).
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    Figure with one axes; one bar container per group (legend entries = groups).
    """
    require_columns(comparison, ["factor", "group", "mean", "std", "significant"], name="comparison")
    plt = pyplot()
    factors = list(pd.unique(comparison["factor"]))
    groups = [g for g in (list(group_order or []) or list(pd.unique(comparison["group"])))
              if g in set(comparison["group"])]
    colors = colors_for(groups)
    fig, ax = plt.subplots(figsize=figsize)
    width = 0.8 / max(len(groups), 1)
    base = 0.0 if baseline is None else baseline
    sig = comparison.groupby("factor", sort=False)["significant"].first().to_dict()
    for j, g in enumerate(groups):
        sub = comparison[comparison["group"] == g].set_index("factor").reindex(factors)
        xs = np.arange(len(factors)) + (j - (len(groups) - 1) / 2) * width
        heights = sub["mean"].to_numpy(float) - base
        bars = ax.bar(xs, heights, width, bottom=base, color=colors[g], label=g,
                      yerr=sub["std"].to_numpy(float), error_kw={"elinewidth": 0.7, "capsize": 1.5})
        for f, bar in zip(factors, bars.patches):
            if not sig.get(f, False):
                bar.set_alpha(0.3)
    if baseline is not None:
        ax.axhline(baseline, color="black", lw=1)
        ax.annotate("less robust →", xy=(0.002, 0.98), xycoords="axes fraction", rotation=90, va="top", fontsize=7)
    ax.set_xticks(np.arange(len(factors)), [pretty(f) for f in factors], rotation=40, ha="right")
    ax.set_ylabel(value_label)
    ax.legend(frameon=False, fontsize=7, ncol=min(4, len(groups)), loc="upper left", bbox_to_anchor=(0.025, 1.0))
    ax.set_title(f"{value_label} per factor (faded: not significant, Alexander-Govern p ≥ 0.05)", fontsize=9)
    fig.tight_layout()
    return fig


def plot_model_metaclasses(panels: pd.DataFrame, *, model: str = ""):
    """Horizontal bars from x = 1 of a model's most robust and most susceptible factors, one panel per metaclass.

    ``panels`` is the output of :func:`errorscope.plots.data.metaclass_panels` (columns ``panel, factor,
    error_ratio, er_low, er_high, total, kind``): only factors whose error-ratio interval excludes 1 are there.
    Whiskers are the intervals; each label gives the number of images n. A panel without such a factor says so.

    Parameters
    ----------
    panels : DataFrame
        Output of :func:`errorscope.plots.data.metaclass_panels`.
    model : str
        Model name for the title (none when empty).

    Returns
    -------
    matplotlib Figure
        One axes per panel.
    """
    require_columns(panels, ["panel", "factor", "error_ratio", "er_low", "er_high", "total", "kind"], name="panels")
    plt = pyplot()
    names = list(pd.unique(panels["panel"]))
    fig, axes = plt.subplots(1, len(names), figsize=(2.6 * len(names), 2.3), squeeze=False)
    for ax, p in zip(axes[0], names):
        sub = panels[(panels["panel"] == p) & (panels["kind"] != "none")].reset_index(drop=True)
        ax.axvline(1.0, color="black", lw=0.8)
        ax.set_title(pretty(p), fontsize=9)
        ax.set_xlabel("error ratio", fontsize=8)
        if sub.empty:
            ax.text(0.5, 0.5, "no factor with an\ninterval clear of 1", ha="center", va="center", fontsize=7,
                    transform=ax.transAxes, color="0.35")
            ax.set_yticks([])
            continue
        colors = [ROBUST if k == "robust" else SUSCEPTIBLE for k in sub["kind"]]
        er = sub["error_ratio"].to_numpy(float)
        err = np.vstack([er - sub["er_low"].to_numpy(float), sub["er_high"].to_numpy(float) - er])
        ax.barh(np.arange(len(sub)), er - 1.0, left=1.0, color=colors, xerr=np.clip(err, 0, None),
                error_kw={"elinewidth": 0.7, "capsize": 1.5})
        ax.set_yticks(np.arange(len(sub)), [f"{pretty(f)} (n={int(n):,})" for f, n in zip(sub["factor"], sub["total"])],
                      fontsize=7)
    if model:
        fig.suptitle(f"{model}: most robust (green) and susceptible (orange) factors, 95% interval clear of 1",
                     fontsize=10)
    fig.tight_layout()
    return fig


def plot_error_ratios(factors: pd.DataFrame, *, model_order: Sequence[str] | None = None, figsize=(10, 3.0)):
    """Bars of each model's error ratio per factor, from 1, with the confidence interval as error bars.

    Parameters
    ----------
    factors : tidy frame with columns ``model, factor, error_ratio, er_low, er_high`` (one row per model and
        factor; e.g. the overall rows of ``errorscope.results.Analysis.factors``). Factors are drawn in order of
        mean error ratio, ascending.
    model_order : sequence of str, optional
        Order of the models' bars (default: order of appearance).
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    Figure with one axes; one bar container per model (legend entries = models).
    """
    require_columns(factors, ["model", "factor", "error_ratio", "er_low", "er_high"], name="factors")
    plt = pyplot()
    models = [m for m in (list(model_order or []) or list(pd.unique(factors["model"]))) if m in set(factors["model"])]
    order = factors.groupby("factor")["error_ratio"].mean().sort_values(kind="stable").index.tolist()
    colors = colors_for(models)
    fig, ax = plt.subplots(figsize=figsize)
    width = 0.8 / max(len(models), 1)
    for j, m in enumerate(models):
        sub = factors[factors["model"] == m].set_index("factor").reindex(order)
        er = sub["error_ratio"].to_numpy(float)
        yerr = np.vstack([er - sub["er_low"].to_numpy(float), sub["er_high"].to_numpy(float) - er])
        ax.bar(np.arange(len(order)) + (j - (len(models) - 1) / 2) * width, er - 1.0, width, bottom=1.0,
               color=colors[m], label=m, yerr=np.clip(yerr, 0, None), error_kw={"elinewidth": 0.7, "capsize": 1.5})
    ax.axhline(1.0, color="black", lw=1)
    ax.set_xticks(np.arange(len(order)), [pretty(f) for f in order], rotation=40, ha="right")
    ax.set_ylabel("Error ratio")
    ax.set_title("Error ratio per factor (1 = as often wrong as overall; bars: 95% interval)", fontsize=9)
    ax.legend(frameon=False, fontsize=7, ncol=min(6, len(models)))
    fig.tight_layout()
    return fig
