"""``errorscope plots``: regenerate the figures of both papers, optionally with your own models overlaid."""

from __future__ import annotations

import argparse
from pathlib import Path

from ...options import DEFAULT_ERROR_TYPE, DEFAULT_WHICH, ERROR_TYPES, FIGURE_FORMATS, WHICH


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
    p.add_argument("--figure-format", dest="formats", nargs="+", default=["png"], choices=FIGURE_FORMATS,
                   help="file formats of the figures (default png)")
    p.add_argument("--which", choices=WHICH, default=DEFAULT_WHICH, help="ImageNet-X annotation file")
    p.add_argument("--error-type", choices=ERROR_TYPES, default=DEFAULT_ERROR_TYPE, help="correctness rule")
    p.add_argument("--only", nargs="+", metavar="NAME", default=None,
                   help="figure names to draw (default: all); see --list")
    p.add_argument("--list", action="store_true", help="list the figure names and exit")
    p.add_argument("--dpi", type=int, default=150, help="resolution of PNG figures (default 150)")
    p.add_argument("--jobs", type=int, default=None,
                   help="processes that draw the figures (default 2, or 1 on a one-core machine)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from ...exceptions import InvalidInputError
    from ...plots import FIGURES, generate_figures
    from ...plots._inputs import FigureInputs, as_eth_mapping

    if args.list:
        for name, what in FIGURES.items():
            print(f"{name:42s} {what}")
        return 0
    if args.out is None:
        from ...exceptions import InvalidInputError

        raise InvalidInputError("--out is required: name the folder to write the figures to (or use --list).")
    if args.predictions and args.store:
        raise InvalidInputError("Give either --predictions or --store, not both.")
    if args.models and not args.store:
        raise InvalidInputError("--models picks stored models; give it with --store FILE.")
    inputs = _store_figure_inputs(args) if args.store else None
    if args.predictions:
        from ...readers import read_population
        from ...results import analyze

        pop = read_population(args.predictions, progress=True)
        analysis = analyze(pop, which=(args.which,), error_types=(args.error_type,), labels=None)
        inputs = FigureInputs.from_analysis(analysis, which=args.which, error_type=args.error_type)
    if args.taxonomy is not None:
        if inputs is not None and inputs.eth_stats is not None:
            raise InvalidInputError("--taxonomy replaces the stored error categories; give one of them.")
        import pandas as pd

        stats = as_eth_mapping(pd.read_csv(args.taxonomy))
    kwargs = dict(which=args.which, error_type=args.error_type, include=args.only)
    if inputs is not None:
        kwargs.update(inputs.build_kwargs(max_error_ratio_models=MAX_ERROR_RATIO_MODELS))
        if kwargs["user_factors"] is None:
            print(f"model_error_ratios: {len(inputs.models)} models, more than {MAX_ERROR_RATIO_MODELS}; pick some "
                  "with --models to draw it", file=sys.stderr)
    if args.taxonomy is not None:
        kwargs["user_eth_stats"] = stats
    written = generate_figures(args.out, formats=args.formats, dpi=args.dpi, progress=True, jobs=args.jobs, **kwargs)
    n = sum(len(v) for v in written.values())
    print(f"wrote {n} files ({len(written)} figures) to {args.out}")
    return 0


#: Above this many models the per-model error-ratio figure is not drawn (it would be unreadable).
MAX_ERROR_RATIO_MODELS = 12


def _store_figure_inputs(args):
    """:class:`~errorscope.plots.FigureInputs` of the stored models (``--store``, ``--models``)."""
    import sys

    from ...plots._inputs import FigureInputs
    from ...store import ResultStore

    with ResultStore(args.store, read_only=True) as store:
        inputs = FigureInputs.from_store(store, args.models, which=args.which, error_type=args.error_type)
    if inputs.eth_stats is None:
        print(f"{args.store}: no error_categories table (metric suite without the taxonomy); the ETH figures "
              "show the published models only", file=sys.stderr)
    print(f"{len(inputs.models)} stored model(s) from {args.store}", file=sys.stderr)
    return inputs


def _store_inputs(args) -> dict:
    """The :func:`~errorscope.plots.build_figures` arguments drawing the stored models (``--store``)."""
    return _store_figure_inputs(args).build_kwargs(max_error_ratio_models=MAX_ERROR_RATIO_MODELS)
