"""``errorscope report``: one self-contained HTML report for a model or a set of models."""

from __future__ import annotations

import argparse
from pathlib import Path

from ...options import DEFAULT_LABELS, LABEL_SOURCES


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "report", help="write a self-contained HTML report",
        description="Headline accuracies, ImageNet-X factor error ratios with intervals, per-metaclass breakdown, "
        "error taxonomy, comparison with the published populations and the most frequent mistakes, in one HTML "
        "file that opens without network. ImageNet-X annotations are CC BY-NC 4.0.")
    p.add_argument("predictions", nargs="*", metavar="PREDICTIONS", help="prediction files or folders (one model per file)")
    p.add_argument("--store", default=None, metavar="FILE",
                   help="a results store: report on its models (their stored predictions) instead of files")
    p.add_argument("--models", nargs="+", default=None, metavar="MODEL",
                   help="with --store: the stored models to report on (default: all)")
    p.add_argument("--out", type=Path, default=Path("errorscope-report"), metavar="DIR",
                   help="output folder; the report is DIR/report.html (default errorscope-report/)")
    p.add_argument("--images", type=Path, default=None, help="ImageNet validation image folder, for thumbnails")
    p.add_argument("--labels", choices=LABEL_SOURCES, default=DEFAULT_LABELS,
                   help="multi-label source of the error taxonomy and MLA: auto (Shankar et al. when its file is "
                   "here, else real), real (ReaL lists, errorscope extension) or shankar (the paper's)")
    p.add_argument("--no-taxonomy", action="store_true", help="skip the error taxonomy (and MLA)")
    p.add_argument("--taxonomy", type=Path, default=None,
                   help="CSV of precomputed ETH error-taxonomy stats (non_problematic_stats layout, optional "
                   "`group` column; e.g. from `errorscope taxonomy`) to show instead of computing them")
    p.add_argument("--title", default=None, help="title of the report page")
    p.add_argument("--no-figures", action="store_true", help="skip the embedded matplotlib figures (faster)")
    p.add_argument("--diff", nargs=2, default=None, metavar=("A", "B"),
                   help="the two models of the image-by-image diff section (default: the first two models)")
    p.add_argument("--no-compare", action="store_true",
                   help="skip the image-by-image sections (diff, error consistency, hard images, label errors, "
                   "worst classes)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ...readers import read_population
    from ...report import ReportContext, write_report

    from ...exceptions import InvalidInputError

    if bool(args.predictions) == bool(args.store):
        raise InvalidInputError("Give prediction files or folders, or --store FILE (one of them).")
    if args.models and not args.store:
        raise InvalidInputError("--models picks stored models; give it with --store FILE.")
    if args.store:
        from ...store import ResultStore

        with ResultStore(args.store, read_only=True) as store:
            unknown = [m for m in (args.models or []) if m not in store]
            if unknown:
                raise InvalidInputError(f"{args.store}: no stored model(s) {unknown}; see `errorscope store list`.")
            if not len(store):
                raise InvalidInputError(f"{args.store}: the store holds no models.")
            pop = store.population(args.models)
    else:
        pop = read_population(args.predictions, progress=True)
    taxonomy = None
    if args.taxonomy is not None:
        import pandas as pd

        taxonomy = pd.read_csv(args.taxonomy)
    ctx = ReportContext.from_population(pop, taxonomy=taxonomy, images_dir=args.images,
                                        taxonomy_labels=None if args.no_taxonomy else args.labels,
                                        figures=not args.no_figures, title=args.title, progress=True,
                                        compare=not args.no_compare, diff_pair=tuple(args.diff) if args.diff else None)
    path = write_report(ctx, args.out / "report.html")
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, {len(pop)} models)")
    return 0
