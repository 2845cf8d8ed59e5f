"""Figure of the effect of training augmentations on factor error ratios (``augment_effect`` of ``imagenet_x``'s ``generate_all_plots``)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ._base import ROBUST, SUSCEPTIBLE, pretty, pyplot, require_columns

__all__ = ["plot_augmentation_effects"]


def plot_augmentation_effects(sweeps: Mapping[str, tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]], *,
                              k: int = 3, alpha: float = 0.05):
    """One row per augmentation: its ``k`` most helped factors (green) and ``k`` most hurt (orange).

    Parameters
    ----------
    sweeps : mapping augmentation name -> ``(points, effects, curves)`` from
        :func:`~errorscope.plots.data.augmentation_points`, :func:`~errorscope.plots.data.augmentation_effects`
        and :func:`~errorscope.plots.data.augmentation_curves`. Factors with p ≥ ``alpha`` are not drawn.
    k : int, default 3
        Factors per direction (most helped, most hurt).
    alpha : float, default 0.05
        Significance level a drawn factor's effect must clear.

    Returns
    -------
    Figure with ``len(sweeps)`` rows × ``2k`` columns; each panel: scatter of error ratio against strength
    plus the cubic fit, factor name and t statistic in the panel.
    """
    plt = pyplot()
    fig, axes = plt.subplots(len(sweeps), 2 * k, figsize=(2.2 * 2 * k, 2.0 * len(sweeps)), squeeze=False)
    for r, (name, (points, effects, curves)) in enumerate(sweeps.items()):
        require_columns(points, ["strength", "factor", "error_ratio"], name=f"points[{name!r}]")
        require_columns(effects, ["factor", "effect", "pvalue"], name=f"effects[{name!r}]")
        sig = effects[effects["pvalue"] < alpha].sort_values("effect", ascending=False, kind="stable")
        high = list(sig["factor"].head(k))
        low = [f for f in sig["factor"].tail(k) if f not in high]  # fewer than 2k significant: no duplicates
        chosen = [(f, ROBUST) for f in high] + [(f, SUSCEPTIBLE) for f in low]
        for c in range(2 * k):
            ax = axes[r][c]
            if c >= len(chosen):
                ax.set_axis_off()
                continue
            f, color = chosen[c]
            p = points[points["factor"] == f]
            ax.scatter(p["strength"], p["error_ratio"], s=6, color=color, alpha=0.15, linewidths=0)
            cv = curves[curves["factor"] == f]
            ax.plot(cv["strength"], cv["fitted"], color=color, lw=1.5)
            t = float(effects.set_index("factor").loc[f, "effect"])
            ax.text(0.04, 0.92, f"{pretty(f)} (t={t:.1f})", transform=ax.transAxes, fontsize=7, va="top")
            ax.set_xlim(0, 100)
            ax.tick_params(labelsize=6)
            if c == 0:
                ax.set_ylabel(f"{name}\nerror ratio", fontsize=8)
            ax.set_xlabel(f"{name} strength", fontsize=7)
    fig.tight_layout()
    return fig
