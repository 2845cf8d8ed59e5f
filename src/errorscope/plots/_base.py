"""Shared figure helpers: matplotlib import through :func:`~errorscope._optional.require`, palette, saving."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .._io import atomic_path
from .._optional import require
from ..exceptions import InvalidInputError

#: The palette of ``imagenet_x``'s ``generate_all_plots``.
PALETTE: list[str] = ["#264653", "#2a9d8f", "#e9c46a", "#f4a261", "#e76f51"]
ROBUST = "#2a9d8f"
SUSCEPTIBLE = "#f4a261"
FORMATS = ("png", "pdf", "svg")


def pyplot():
    """``matplotlib.pyplot`` with a non-interactive default when no display is set; no LaTeX is used."""
    mpl = require("matplotlib", extra="plot", feature="Figures")
    import os

    if not os.environ.get("DISPLAY") and mpl.get_backend().lower() not in ("agg", "pdf", "svg", "cairo"):
        mpl.use("Agg")
    mpl.rcParams["text.usetex"] = False
    import matplotlib.pyplot as plt

    return plt


def colors_for(labels: Sequence[str], *, order: Sequence[str] | None = None) -> dict[str, str]:
    """A stable colour per label: the palette first, then matplotlib's tab20."""
    plt = pyplot()
    labels = list(dict.fromkeys(list(order or []) + list(labels)))
    extra = [plt.get_cmap("tab20")(i) for i in range(20)]
    out = {}
    for i, lab in enumerate(labels):
        out[lab] = PALETTE[i] if i < len(PALETTE) else extra[(i - len(PALETTE)) % 20]
    return out


def pretty(name: str) -> str:
    """Display form of a factor/metaclass name: underscores become spaces."""
    return str(name).replace("_", " ")


def save_figure(fig, path: str | Path, *, formats: Sequence[str] = ("png",), dpi: int = 150) -> list[Path]:
    """Write ``fig`` as ``path`` with each suffix in ``formats`` (png, pdf, svg), atomically.

    Parameters
    ----------
    fig : matplotlib Figure
        The figure to write.
    path : str or Path
        Output path, taken without its suffix.
    formats : sequence of {"png", "pdf", "svg"}
        One file per format.
    dpi : int, default 150
        Resolution of raster formats.

    Returns
    -------
    list of Path
        The written files.
    """
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise InvalidInputError(f"Expected figure formats among {FORMATS}, but got {bad}.")
    path = Path(path)
    out = []
    for fmt in formats:
        target = path.with_suffix(f".{fmt}")
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight")
        out.append(target)
    return out


def require_columns(frame, columns: Sequence[str], *, name: str) -> None:
    """Raise :class:`InvalidInputError` if ``frame`` lacks any of ``columns``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInputError(
            f"Expected `{name}` to have columns {list(columns)}, but {missing} are missing "
            f"(got {list(frame.columns)}). Build it with the matching function of errorscope.plots.data."
        )

