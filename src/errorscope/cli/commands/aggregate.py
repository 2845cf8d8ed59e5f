"""``errorscope aggregate``: the table tree of ``python -m imagenet_x aggregate``, faster, plus intervals."""

from __future__ import annotations

import argparse
from pathlib import Path

from ...constants import ERROR_TYPES, WHICH_FACTORS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "aggregate",
        help="write the ImageNet-X factor tables for directories of model predictions",
        description="Write TABLE_DIR/val/{top,multi}_factor/<dir name>/<error type>/accuracies_per_factor.csv and "
        "accuracies_per_factor_metaclass.csv (as `python -m imagenet_x aggregate`), Parquet copies and "
        "factor_intervals.csv (Wilson 95%% intervals). ImageNet-X annotations: CC BY-NC 4.0.",
    )
    p.add_argument("--model-dirs", nargs="+", required=True, type=Path, metavar="DIR",
                   help="directories with one prediction file per model; each is one group of tables")
    p.add_argument("--table-dir", type=Path, default=Path("results"), help="output root (default: results)")
    p.add_argument("--error-types", nargs="+", default=list(ERROR_TYPES), choices=ERROR_TYPES,
                   help="correctness rules of the tables (default all three)")
    p.add_argument("--which", "--which-factor", dest="which", nargs="+", default=list(WHICH_FACTORS),
                   choices=WHICH_FACTORS, help="ImageNet-X annotation files (--which-factor as in imagenet-x)")
    p.add_argument("--partitions", nargs="+", default=["val"], choices=["val", "train"],
                   help="val (default), and/or train for prediction files on the 11,233 annotated train images")
    p.add_argument("--keep-prototypes", action="store_true", help="keep the 3,000 prototypical images")
    p.add_argument("--no-parquet", action="store_true", help="write CSV tables only")
    p.add_argument("--no-intervals", action="store_true", help="do not write factor_intervals.csv")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ...results._tree import write_table_tree
    from ...datasets._index import imagenetx_train_index, val_index
    from ...readers import read_population

    for model_dir in args.model_dirs:
        group = Path(model_dir).resolve().name
        for partition in args.partitions:
            index = val_index() if partition == "val" else imagenetx_train_index()
            pop = read_population(model_dir, index=index, progress=not args.quiet)
            files = write_table_tree(pop, args.table_dir, group, error_types=tuple(args.error_types),
                                     which_factors=tuple(args.which), partition=partition,
                                     filter_prototypes=not args.keep_prototypes, parquet=not args.no_parquet,
                                     intervals=not args.no_intervals,
                                     progress=not args.quiet)
            print(f"{group} ({partition}): {len(pop)} models -> {len(files)} files under {args.table_dir}")
    return 0
