"""``errorscope diff A B``: two models compared image by image.

A and B are prediction files, folders holding one prediction file each, or model names in ``--store``. Only the
images both cover are used (partial coverage warns, n is printed). Prints the error consistency (kappa with its
interval), the fixed and broken counts with McNemar's exact test, and the per-factor table (Holm-adjusted);
``--out FOLDER`` writes diff_per_image.parquet, diff_groups.parquet and diff_transitions.parquet there.
"""

from __future__ import annotations

import argparse
import os
import sys

from pathlib import Path

from ...options import DEFAULT_LABELS, DEFAULT_WHICH, LABEL_SOURCES, WHICH
from .store import STORE_ENV


def register(subparsers) -> None:
    p = subparsers.add_parser("diff", help="compare two models image by image (fixed / broken, McNemar, kappa)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("a", help="model A: a prediction file, a folder with one, or a stored model (with --store)")
    p.add_argument("b", help="model B")
    p.add_argument("--store", default=os.environ.get(STORE_ENV),
                   help=f"read A and B from this store when they are not paths (default ${STORE_ENV})")
    p.add_argument("--labels", choices=LABEL_SOURCES, default=DEFAULT_LABELS,
                   help="multi-label source of the taxonomy categories (auto: Shankar et al.'s when installed, "
                   "else ReaL, which covers all 50,000 images)")
    p.add_argument("--which", choices=WHICH, default=DEFAULT_WHICH, help="ImageNet-X annotation file")
    p.add_argument("--no-taxonomy", action="store_true", help="skip the taxonomy categories")
    p.add_argument("--show", nargs="+", default=["factor"],
                   choices=["overall", "factor", "metaclass", "class", "category"],
                   help="group rows to print besides the summary (default: factor)")
    p.add_argument("--show-files", type=int, default=0, metavar="K",
                   help="also print the first K fixed and broken file names")
    p.add_argument("--out", type=Path, help="a folder to write the per-image, group and transition Parquet tables to")
    p.set_defaults(func=run)


def _load(name: str, store, what: str):
    from pathlib import Path

    from ...pairwise import as_predictions
    from ...exceptions import InvalidInputError

    if Path(name).exists() or store is None:
        return as_predictions(name, what)
    if name not in store.model_names():
        raise InvalidInputError(f"{what} {name!r} is neither a file or folder nor a model of the store "
                                f"{store.path}; `errorscope store list --store {store.path}` lists its models.")
    return store.predictions(name)


def _p(value: float) -> str:
    """A p-value; below the smallest double the binomial tail underflows to 0, printed as such."""
    return "< 1e-300" if value == 0 else f"{value:.3g}"


def run(args) -> int:
    import pandas as pd

    from ...pairwise import diff

    store = None
    if args.store and not (os.path.exists(args.a) and os.path.exists(args.b)):
        from ...store import ResultStore

        store = ResultStore(args.store, read_only=True)
    try:
        a = _load(args.a, store, "model A")
        b = _load(args.b, store, "model B")
    finally:
        if store is not None:
            store.close()
    result = diff(a, b, labels=args.labels, which=args.which, taxonomy=not args.no_taxonomy)
    o = result.overall()
    print(result.header(), file=sys.stderr)
    print(f"n = {result.n:,} images both models cover")
    print(f"error consistency kappa = {result.kappa:.4f}  {result.confidence:.0%} CI [{result.ci_low:.4f}, "
          f"{result.ci_high:.4f}]")
    print(f"accuracy A ({result.model_a}) = {o.acc_a:.4%}   B ({result.model_b}) = {o.acc_b:.4%}")
    print(f"fixed (A wrong, B right) = {int(o.fixed):,}   broken (A right, B wrong) = {int(o.broken):,}   "
          f"McNemar exact p = {_p(o.p_value)}")
    errs = result.per_image
    for status in ("fixed", "broken"):
        rows = errs[errs["status"] == status]
        print(f"  {status}: {int(rows['label_error'].sum()):,} known label errors (cleanlab), "
              f"{int(rows['real_rejects_label'].sum()):,} whose label ReaL rejects")
    if args.show_files:
        k = args.show_files
        print(f"first {k} fixed: {' '.join(result.fixed[:k])}")
        print(f"first {k} broken: {' '.join(result.broken[:k])}")
    cols = ["group", "n", "both_correct", "fixed", "broken", "both_wrong", "acc_a", "acc_b", "p_value", "p_holm"]
    with pd.option_context("display.max_rows", 1100, "display.width", 200):
        for g in args.show:
            table = result.groups[result.groups["group_type"] == g]
            if g == "class":
                table = table.sort_values("p_value", kind="stable")
            plural = {"class": "classes", "category": "categories", "metaclass": "metaclasses"}.get(g, g + "s")
            print(f"\nper {g} (McNemar exact, Holm within {plural}; n = images of the {g} both models cover):")
            print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        moved = result.transitions[result.transitions["both_wrong"]].head(10)
        if len(moved):
            print("\nwhere both err with different predictions or categories, the 10 most frequent moves "
                  f"(taxonomy, {result.label_source} labels):")
            print(moved[["from_category", "to_category", "count"]].to_string(index=False))
    if args.out:
        for path in result.write(args.out):
            print(f"wrote {path}", file=sys.stderr)
    return 0
