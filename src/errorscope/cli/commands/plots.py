"""``errorscope plots``: regenerate the figures of both papers, optionally with your own models overlaid."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "plots", help="draw the ImageNet-X and error-taxonomy figures",
        description="Regenerate every figure of the ImageNet-X paper (factor distribution, active factors, Spearman "
        "heatmaps, factor vs overall accuracy, model-type comparison, metaclass panels, augmentation effects) and "
        "of the error-taxonomy paper (error categories vs accuracy), from the published tables. With --predictions, "
        "your models are added to the population figures. ImageNet-X annotations are CC BY-NC 4.0.")
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.add_argument("--predictions", nargs="+", metavar="PATH", default=None,
                   help="prediction files or folders of your models (overlaid on the population figures)")
    p.add_argument("--taxonomy", type=Path, default=None,
                   help="CSV of your models' ETH stats (non_problematic_stats layout, optional `group` column)")
    p.add_argument("--format", dest="formats", nargs="+", default=["png"], choices=["png", "pdf", "svg"])
    p.add_argument("--which", choices=["top", "multi"], default="top", help="annotation file of the tables")
    p.add_argument("--error-type", choices=["class", "real_class", "metaclass"], default="class")
    p.add_argument("--only", nargs="+", metavar="NAME", default=None,
                   help="figure names to draw (default: all); see --list")
    p.add_argument("--list", action="store_true", help="list the figure names and exit")
    p.add_argument("--dpi", type=int, default=150)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ...plots import FIGURES, generate_figures

    if args.list:
        for name, what in FIGURES.items():
            print(f"{name:42s} {what}")
        return 0
    kwargs = dict(which=args.which, error_type=args.error_type, include=args.only)
    if args.predictions:
        from ...readers import read_population
        from ...report import tables as T

        pop = read_population(args.predictions, progress=True)
        _, factors = T.report_tables(pop, which=args.which, error_types=(args.error_type,))
        kwargs.update(user_table=T.wide_factor_table(factors, error_type=args.error_type, which=args.which),
                      user_metaclass_table=T.wide_metaclass_table(factors, error_type=args.error_type, which=args.which),
                      user_factors=factors[(factors["metaclass"] == "all") & (factors["factor"] != "average")])
    if args.taxonomy is not None:
        import pandas as pd

        stats = pd.read_csv(args.taxonomy)
        kwargs["user_eth_stats"] = ({g: d for g, d in stats.groupby("group")} if "group" in stats.columns
                                    else {"all": stats})
    written = generate_figures(args.out, formats=args.formats, dpi=args.dpi, progress=True, **kwargs)
    n = sum(len(v) for v in written.values())
    print(f"wrote {n} files ({len(written)} figures) to {args.out}")
    return 0
