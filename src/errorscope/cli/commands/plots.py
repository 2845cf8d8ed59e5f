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
    p.add_argument("--out", type=Path, help="output folder (required unless --list)")
    p.add_argument("--predictions", nargs="+", metavar="PATH", default=None,
                   help="prediction files or folders of your models (overlaid on the population figures)")
    p.add_argument("--store", default=None, metavar="FILE",
                   help="a results store: overlay its models (factor tables from its derived tables, error "
                   "categories from its error_categories table)")
    p.add_argument("--models", nargs="+", default=None, metavar="MODEL",
                   help="with --store: the stored models to draw (default: all)")
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
    if args.out is None:
        from ...exceptions import InvalidInputError

        raise InvalidInputError("--out is required: name the folder to write the figures to (or use --list).")
    kwargs = dict(which=args.which, error_type=args.error_type, include=args.only)
    if args.predictions and args.store:
        from ...exceptions import InvalidInputError

        raise InvalidInputError("Give either --predictions or --store, not both.")
    if args.store:
        kwargs.update(_store_inputs(args))
    if args.predictions:
        from ...readers import read_population
        from ...report import tables as T

        pop = read_population(args.predictions, progress=True)
        summary, factors = T.report_tables(pop, which=args.which, error_types=(args.error_type,))
        kwargs.update(user_table=T.wide_factor_table(factors, error_type=args.error_type, which=args.which,
                                                     summary=summary),
                      user_metaclass_table=T.wide_metaclass_table(factors, error_type=args.error_type, which=args.which),
                      user_factors=factors[(factors["metaclass"] == "all") & (factors["factor"] != "average")])
    if args.taxonomy is not None and "user_eth_stats" in kwargs:
        from ...exceptions import InvalidInputError

        raise InvalidInputError("--taxonomy replaces the stored error categories; give one of them.")
    if args.taxonomy is not None:
        import pandas as pd

        stats = pd.read_csv(args.taxonomy)
        kwargs["user_eth_stats"] = ({g: d for g, d in stats.groupby("group")} if "group" in stats.columns
                                    else {"all": stats})
    written = generate_figures(args.out, formats=args.formats, dpi=args.dpi, progress=True, **kwargs)
    n = sum(len(v) for v in written.values())
    print(f"wrote {n} files ({len(written)} figures) to {args.out}")
    return 0


#: Above this many models the per-model error-ratio figure is not drawn (it would be unreadable).
MAX_ERROR_RATIO_MODELS = 12


def _store_inputs(args) -> dict:
    """The figure inputs of the models of a store: its factor tables and error categories."""
    import sys

    from ...exceptions import InvalidInputError
    from ...store import ResultStore
    from ...store.metrics import eth_stats_from_categories, factor_error_ratios, published_layout

    with ResultStore(args.store, read_only=True) as store:
        models = args.models or store.model_names()
        unknown = [m for m in models if m not in store]
        if unknown:
            raise InvalidInputError(f"{args.store}: no stored model(s) {unknown}; see `errorscope store list`.")
        if not models:
            raise InvalidInputError(f"{args.store}: the store holds no models.")
        tables = store.derived_tables()
        if not {"factors", "summary"} <= set(tables):
            raise InvalidInputError(f"{args.store}: no ImageNet-X factor tables (derived tables: {tables}); "
                                    "run `errorscope store refresh --store FILE` with the default metric suite.")
        factors, summary = store.derived("factors", models), store.derived("summary", models)
        categories = store.derived("error_categories", models) if "error_categories" in tables else None
    out = {"user_table": published_layout(factors, summary, which=args.which, error_type=args.error_type).reindex(models)}
    if len(models) <= MAX_ERROR_RATIO_MODELS:
        out["user_factors"] = factor_error_ratios(factors, which=args.which, error_type=args.error_type)
    else:
        print(f"model_error_ratios: {len(models)} models, more than {MAX_ERROR_RATIO_MODELS}; pick some with "
              "--models to draw it", file=sys.stderr)
    if categories is not None:
        out["user_eth_stats"] = eth_stats_from_categories(categories)
    else:
        print(f"{args.store}: no error_categories table (metric suite without the taxonomy); the ETH figures "
              "show the published models only", file=sys.stderr)
    print(f"{len(models)} stored model(s) from {args.store}", file=sys.stderr)
    return out
