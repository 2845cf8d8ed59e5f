"""The clustered error-consistency heatmap (draw only: kappas and the ordering come from :mod:`errorscope.pairwise`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..exceptions import InvalidInputError
from ._base import pyplot

__all__ = ["plot_consistency_heatmap", "plot_diff_factors"]


def plot_consistency_heatmap(kappa: np.ndarray, models: Sequence[str], order: Sequence[int] | None = None, *,
                             title: str = "Error consistency (Cohen's kappa)", note: str = "", max_labels: int = 60):
    """Heatmap of an M x M kappa matrix, rows and columns in ``order``.

    Parameters
    ----------
    kappa : float array (M, M)
        Error consistencies (:func:`errorscope.pairwise.error_consistency_matrix`).
    models : sequence of str (M)
        Model names.
    order : sequence of int, optional
        Row order (:func:`errorscope.pairwise.cluster_order`); default the given order.
    title : str
        Figure title.
    note : str
        A line under the plot (the basis: n images, labels).
    max_labels : int
        Tick labels are drawn only up to this many models.

    Returns
    -------
    matplotlib Figure
    """
    kappa = np.asarray(kappa)
    m = len(models)
    if kappa.shape != (m, m):
        raise InvalidInputError(f"Expected a ({m}, {m}) kappa matrix for {m} models, got {kappa.shape}.")
    idx = np.arange(m) if order is None else np.asarray(order)
    plt = pyplot()
    size = min(12.0, 5.0 + 0.18 * min(m, max_labels))
    fig, ax = plt.subplots(figsize=(size + 1.2, size))
    shown = np.array(kappa[np.ix_(idx, idx)], dtype=float)
    np.fill_diagonal(shown, np.nan)  # the diagonal (1) would squash the colour range of the pairs
    finite = shown[np.isfinite(shown)]
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    im = ax.imshow(shown, cmap="viridis", vmin=vmin, vmax=vmax, interpolation="nearest")
    if m <= max_labels:
        names = [str(models[i]) for i in idx]
        ax.set_xticks(range(m), names, rotation=90, fontsize=7)
        ax.set_yticks(range(m), names, fontsize=7)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(f"{m} models (clustered order)")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="kappa (diagonal blank)")
    ax.set_title(title, fontsize=10)
    if note:
        fig.text(0.01, 0.005, note, fontsize=7, ha="left", va="bottom")
    fig.tight_layout()
    return fig


def plot_diff_factors(groups, *, model_a: str, model_b: str, alpha: float = 0.05, note: str = ""):
    """Fixed and broken images per group of a diff (``diff_groups`` rows of one group type), as paired bars.

    Parameters
    ----------
    groups : DataFrame
        Rows with ``group, fixed, broken, p_holm`` (e.g. :meth:`errorscope.pairwise.DiffResult.factor_table`).
    model_a, model_b : str
        Names for the legend.
    alpha : float
        Groups with ``p_holm < alpha`` get a star.
    note : str
        A line under the plot (the basis).

    Returns
    -------
    matplotlib Figure
    """
    missing = [c for c in ("group", "fixed", "broken", "p_holm") if c not in groups.columns]
    if missing:
        raise InvalidInputError(f"Expected diff group rows with columns group, fixed, broken, p_holm; {missing} missing.")
    plt = pyplot()
    from ._base import PALETTE, pretty

    y = np.arange(len(groups))
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(groups) + 1.6))
    ax.barh(y - 0.2, groups["fixed"], height=0.4, color=PALETTE[1], label=f"fixed: {model_a} wrong, {model_b} right")
    ax.barh(y + 0.2, groups["broken"], height=0.4, color=PALETTE[4], label=f"broken: {model_a} right, {model_b} wrong")
    labels = [pretty(g) + (" *" if p < alpha else "") for g, p in zip(groups["group"], groups["p_holm"])]
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("images")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(f"Fixed and broken images per group (* Holm-adjusted McNemar p < {alpha:g})", fontsize=9)
    if note:
        fig.text(0.01, 0.005, note, fontsize=7, ha="left", va="bottom")
    fig.tight_layout()
    return fig
