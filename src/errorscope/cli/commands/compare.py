"""``errorscope compare MODEL --population imagenetx|eth``: where a model's factor accuracies (or ETH
error-category shares) lie relative to published models of the same overall accuracy.

MODEL is a prediction file (any format ``errorscope analyze`` reads; compared with --population imagenetx),
a model in ``--store``, or, for a leave-one-out check, a published model of the population. A file that does
not cover every validation image is refused unless --allow-partial.
"""

from __future__ import annotations

import argparse
import os
import sys

from .store import STORE_ENV, _emit

from ..._safe import printable

from ...imagenetx._published import DEFAULT_POPULATION, POPULATIONS
from ...options import DEFAULT_CONFIDENCE, DEFAULT_ERROR_TYPE, DEFAULT_WHICH, ERROR_TYPES, WHICH
from .store import TABLE_FORMATS

DEFAULT_GROUPS = list(POPULATIONS[DEFAULT_POPULATION])


def register(subparsers) -> None:
    p = subparsers.add_parser("compare", help="compare a model with a published population at equal accuracy",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="a prediction file, a stored model, or a published model's name")
    p.add_argument("--population", choices=["imagenetx", "eth"], default="imagenetx",
                   help="published population: imagenetx (factor accuracies) or eth (error-category shares)")
    p.add_argument("--store", default=os.environ.get(STORE_ENV), help=f"the store (default ${STORE_ENV})")
    p.add_argument("--which", choices=WHICH, default=DEFAULT_WHICH, help="ImageNet-X annotation file")
    p.add_argument("--error-type", choices=ERROR_TYPES, default=DEFAULT_ERROR_TYPE, help="correctness rule")
    p.add_argument("--groups", nargs="+", default=None,
                   help=f"ImageNet-X groups forming the population (default: {' '.join(DEFAULT_GROUPS)}; "
                   "'all' adds the augmentation sweeps)")
    p.add_argument("--subset", choices=["all", "organism", "artifact", "other"], default="all",
                   help="ETH image subset")
    p.add_argument("--scale", choices=["logit", "linear"], default="logit",
                   help="scale of the accuracy-on-accuracy fit (default logit)")
    p.add_argument("--level", type=float, default=DEFAULT_CONFIDENCE, help="prediction-interval coverage")
    p.add_argument("--format", choices=TABLE_FORMATS, default="table", help="how the table is printed")
    p.add_argument("--save", metavar="FILE", help="write the comparison to a CSV or Parquet file")
    p.add_argument("--allow-partial", action="store_true",
                   help="compare a prediction file that does not cover all 50,000 images")
    p.set_defaults(func=run)


def _is_file(model: str) -> bool:
    from pathlib import Path

    from ...readers import READERS

    path = Path(model)
    return path.is_file() or (path.suffix.lower() in READERS and not path.exists())


def run(args) -> int:
    from ...store import ResultStore
    from ...store.compare import compare_model, compare_predictions

    from ...imagenetx._published import resolve_groups

    groups = resolve_groups(args.groups)
    if _is_file(args.model):
        from ...readers import read_predictions

        result = compare_predictions(read_predictions(args.model), population=args.population, which=args.which,
                                     error_type=args.error_type, groups=groups, scale=args.scale,
                                     level=args.level, allow_partial=args.allow_partial)
        print(printable(result.header), file=sys.stderr)
        _emit(result.table.reset_index(), args)
        return 0
    store = ResultStore(args.store, read_only=True) if args.store else None
    try:
        result = compare_model(args.model, population=args.population, store=store, which=args.which,
                               error_type=args.error_type, groups=groups, subset=args.subset,
                               scale=args.scale, level=args.level, allow_partial=args.allow_partial)
    finally:
        if store is not None:
            store.close()
    frame = result.table.reset_index()
    print(printable(result.header), file=sys.stderr)
    _emit(frame, args)
    return 0
