"""``errorscope store``: the results database (add, list, show, remove, export, refresh, check,
load-reference, groupstats).

Examples::

    errorscope store add preds/*.csv --store runs.duckdb --tag sweep=lr --arch resnet50
    errorscope store list --store runs.duckdb
    errorscope store show ViT --store runs.duckdb
    errorscope store remove ViT --store runs.duckdb
    errorscope store export --store runs.duckdb --format parquet --out runs_parquet/
    errorscope store load-reference imagenetx --store runs.duckdb
    errorscope store groupstats model-types --store runs.duckdb
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ..._safe import printable, printable_frame
from ...exceptions import InvalidInputError
from ...options import DEFAULT_ERROR_TYPE, DEFAULT_WHICH, ERROR_TYPES, WHICH

STORE_ENV = "ERRORSCOPE_STORE"
#: How a table is printed (``--format``): aligned text, CSV or JSON on standard output.
TABLE_FORMATS = ("table", "csv", "json")


def _store_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", default=os.environ.get(STORE_ENV),
                   help=f"the store file (DuckDB; default ${STORE_ENV})")


def _open(args, *, read_only: bool = False):
    from ...store import ResultStore

    if not args.store:
        raise InvalidInputError(f"No store given: pass --store FILE or set ${STORE_ENV}.")
    return ResultStore(args.store, read_only=read_only)


def _emit(frame, args, *, index: bool = False) -> None:
    """Save ``frame`` (``--save``) or print it; printed text has control characters escaped
    (:func:`~errorscope._safe.printable`) and CSV cells that a spreadsheet would run as formulas a leading ``'``."""
    from ..._io import write_frame
    from ..._safe import neutralise_formulas

    if getattr(args, "save", None):
        write_frame(frame, args.save, index=index)
        print(f"wrote {args.save}", file=sys.stderr)
        return
    fmt = getattr(args, "format", "table")
    if fmt == "csv":
        printable_frame(neutralise_formulas(frame)).to_csv(sys.stdout, index=index)
    elif fmt == "json":
        print(frame.to_json(orient="records" if not index else "index", date_format="iso", indent=1))
    else:
        import pandas as pd

        with pd.option_context("display.max_rows", 500, "display.max_columns", 50, "display.width", 200):
            print(printable_frame(frame).to_string(index=index))


def register(subparsers) -> None:
    p = subparsers.add_parser("store", help="the results database: add, list, show, remove, export models",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="store_command", metavar="ACTION")
    sub.required = True

    a = sub.add_parser("add", help="add (or replace) models from prediction files")
    a.add_argument("predictions", nargs="+", help="prediction files or directories (one model per file)")
    _store_arg(a)
    a.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE", help="free tag (repeatable)")
    a.add_argument("--arch", help="architecture, e.g. resnet50")
    a.add_argument("--training-data", help='training data, e.g. "ImageNet-1k (1.2M)"')
    a.add_argument("--params", type=int, help="parameter count")
    a.add_argument("--model-type", help="model-type group (default: the ImageNet-X map, else 'Other')")
    a.add_argument("--name", help="model name (only with one file; default: the file's name)")
    a.add_argument("--no-eth-metadata", action="store_true",
                   help="do not fill architecture/training data/parameters of ETH models from models_summary")
    a.set_defaults(func=run_add)

    ls = sub.add_parser("list", help="list stored models")
    _store_arg(ls)
    ls.add_argument("--format", choices=TABLE_FORMATS, default="table", help="how the table is printed")
    ls.add_argument("--save", metavar="FILE", help="write the listing to a CSV or Parquet file")
    ls.set_defaults(func=run_list)

    sh = sub.add_parser("show", help="metadata, tags and metrics of one model")
    sh.add_argument("model")
    _store_arg(sh)
    sh.add_argument("--which", choices=WHICH, default=DEFAULT_WHICH, help="ImageNet-X annotation file")
    sh.add_argument("--error-type", choices=ERROR_TYPES, default=DEFAULT_ERROR_TYPE, help="correctness rule")
    sh.set_defaults(func=run_show)

    rm = sub.add_parser("remove", help="remove models")
    rm.add_argument("models", nargs="+")
    _store_arg(rm)
    rm.set_defaults(func=run_remove)

    ex = sub.add_parser("export", help="export as Parquet, predictions partitioned by model")
    _store_arg(ex)
    ex.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder (Parquet files)")
    ex.add_argument("--overwrite", action="store_true", help="replace the files of an existing export folder")
    ex.set_defaults(func=run_export)

    rf = sub.add_parser("refresh", help="recompute derived metrics whose metric version is out of date")
    _store_arg(rf)
    rf.add_argument("--force", action="store_true", help="recompute every model")
    rf.set_defaults(func=run_refresh)

    ck = sub.add_parser("check", help="check the store's consistency")
    _store_arg(ck)
    ck.set_defaults(func=run_check)

    lr = sub.add_parser("load-reference", help="load a published population (imagenetx, eth) into the store")
    lr.add_argument("population", choices=["imagenetx", "eth"])
    _store_arg(lr)
    lr.add_argument("--no-metaclass", action="store_true", help="skip the per-metaclass ImageNet-X tables")
    lr.set_defaults(func=run_load_reference)

    gs = sub.add_parser("groupstats", help="ImageNet-X group statistics (model types, augmentation effects)")
    gs.add_argument("analysis", choices=["model-types", "augmentation"])
    gs.add_argument("--store", default=os.environ.get(STORE_ENV),
                    help="read the published tables from this store (default: from the data files)")
    gs.add_argument("--source", choices=["published", "stored"], default="published",
                    help="published ImageNet-X tables (default) or the models in --store (their stored "
                    "metrics and model types; augmentation needs sweep-style names such as crop8.0)")
    gs.add_argument("--which", choices=WHICH, default=DEFAULT_WHICH, help="ImageNet-X annotation file")
    gs.add_argument("--error-type", choices=ERROR_TYPES, default=DEFAULT_ERROR_TYPE, help="correctness rule")
    gs.add_argument("--augmentation", choices=["crop", "color", "smoothing"], default=None,
                    help="augmentation sweep (default: all three)")
    gs.add_argument("--format", choices=TABLE_FORMATS, default="table", help="how the table is printed")
    gs.add_argument("--save", metavar="FILE", help="write the result to a CSV or Parquet file")
    gs.set_defaults(func=run_groupstats)


def run_add(args) -> int:
    from ...readers import read_predictions
    from ...store import ModelInfo, parse_tags

    from ...store.reference import eth_model_info

    tags = parse_tags(args.tag)
    given = ModelInfo(architecture=args.arch, training_data=args.training_data, n_params=args.params,
                      model_type=args.model_type)
    if args.name:
        if len(args.predictions) != 1 or os.path.isdir(args.predictions[0]):
            raise InvalidInputError("--name needs exactly one prediction file.")
        models = [read_predictions(args.predictions[0], model=args.name)]
        names = [args.name]
    else:
        from pathlib import Path

        from tqdm.auto import tqdm

        files = []
        for item in map(Path, args.predictions):
            files += sorted(f for f in item.iterdir() if f.is_file() and not f.name.startswith(".")) \
                if item.is_dir() else [item]
        # one file at a time keeps each model's source path for `store list`
        models = [read_predictions(f) for f in tqdm(files, desc="reading predictions", unit="file")]
        names = [p.model for p in models]
    info = {}
    for name in names:
        eth = None if args.no_eth_metadata else eth_model_info(name)
        info[name] = ModelInfo(
            architecture=given.architecture or (eth.architecture if eth else None),
            training_data=given.training_data or (eth.training_data if eth else None),
            n_params=given.n_params if given.n_params is not None else (eth.n_params if eth else None),
            model_type=given.model_type, tags=dict(eth.tags) if eth else {})
    with _open(args) as store:
        stale = store.stale_models()
        if stale:
            store.refresh(progress=True)
        names = store.add(models, info=info, tags=tags, progress=True)
        print(f"added {len(names)} model(s) to {args.store}: {printable(', '.join(names[:10]))}"
              + (" ..." if len(names) > 10 else ""))
    return 0


def run_list(args) -> int:
    with _open(args, read_only=True) as store:
        frame = store.list()
    if frame.empty:
        print(f"{args.store}: no models", file=sys.stderr)
        return 0
    if args.format == "table" and not args.save:
        keep = [c for c in ["model", "model_type", "architecture", "n_params", "n_covered", "coverage", "top1",
                            "top5", "tags", "stored_bytes", "added_at"] if c in frame.columns]
        frame = frame[keep]
        frame = _blank_missing(frame, "-")  # CSV writes every missing value as an empty cell, JSON as null
    _emit(frame, args)
    return 0


def _blank_missing(frame, fill: str):
    """``frame`` with every missing cell (None, NaN, <NA>, NaT) shown as ``fill``, so a printed listing
    never mixes None, <NA> and NaN."""
    out = frame.copy()
    for c in out.columns:
        if out[c].isna().any():
            out[c] = out[c].astype(object).where(out[c].notna(), fill)
    return out


def run_show(args) -> int:
    import pandas as pd

    with _open(args, read_only=True) as store:
        shown = store.show(args.model)
        table = None
        if "factors" in shown["derived"]:
            table = store.published_table([args.model], which=args.which, error_type=args.error_type)

    def plain(v):
        if v is None or v is pd.NA or (isinstance(v, float) and v != v):
            return None
        if isinstance(v, (int, float, str, bool)):
            return v
        if hasattr(v, "item"):
            return v.item()
        return str(v)

    meta = {k: plain(v) for k, v in shown["model"].items()}
    derived = shown["derived"]
    summary = {}
    if "summary" in derived and len(derived["summary"]) == 1:
        summary = {k: plain(v) for k, v in derived["summary"].iloc[0].items() if k != "model"}
    print(json.dumps({"model": meta, "tags": shown["tags"], "summary": summary}, indent=1, default=str))
    if table is not None:
        print(f"\nImageNet-X factor accuracies ({args.which} factor, {args.error_type}; annotations CC BY-NC 4.0):")
        print(printable_frame(table.T).to_string())
    return 0


def run_remove(args) -> int:
    with _open(args) as store:
        removed = store.remove(args.models)
    print(f"removed {printable(', '.join(removed))} from {args.store}")
    return 0


def run_export(args) -> int:
    from ...store.export import export_parquet

    with _open(args, read_only=True) as store:
        out = export_parquet(store, args.out, overwrite=args.overwrite, progress=True)
    print(f"wrote {out} (predictions/model=<name>/part-0.parquet, models.parquet, derived_*.parquet)")
    return 0


def run_refresh(args) -> int:
    with _open(args) as store:
        done = store.refresh(force=args.force, progress=True)
    print(f"recomputed metrics of {len(done)} model(s)")
    return 0


def run_check(args) -> int:
    with _open(args, read_only=True) as store:
        problems = store.check()
        n = len(store)
    for p in problems:
        print(printable(p))
    print(f"{args.store}: {n} model(s), {'consistent' if not problems else f'{len(problems)} problem(s)'}")
    return 0 if not problems else 1


def run_load_reference(args) -> int:
    from ...store.reference import load_reference

    with _open(args) as store:
        n = load_reference(store, args.population, metaclass=not args.no_metaclass)
    print(f"loaded {n} rows of the {args.population} population into {args.store}"
          + (" (ImageNet-X tables: CC BY-NC 4.0)" if args.population == "imagenetx" else ""))
    return 0


def run_groupstats(args) -> int:
    import pandas as pd

    from ...imagenetx._groups import AUGMENTATIONS, highlevel_population
    from ...store.groupstats import augmentation_effect_table, model_type_error_ratios, stored_table
    from ...store.reference import imagenetx_wide

    if args.source == "stored" and not args.store:
        raise InvalidInputError("--source stored needs --store FILE (or $ERRORSCOPE_STORE).")
    store = _open(args, read_only=True) if args.store else None
    try:
        def table_of(groups):
            if args.source == "stored":
                return stored_table(store, which=args.which, error_type=args.error_type)
            return imagenetx_wide(which=args.which, error_type=args.error_type, groups=groups, store=store)

        if args.analysis == "model-types":
            if args.source == "stored":
                table = table_of(None)
                result = model_type_error_ratios(table, order=sorted(table["model_type"].unique()))
            else:
                result = model_type_error_ratios(highlevel_population(
                    table_of(["imagenet_testbed", "modelvshuman", "base"])))
        else:
            kinds = [args.augmentation] if args.augmentation else list(AUGMENTATIONS)
            frames = []
            for kind in kinds:
                eff = augmentation_effect_table(table_of([AUGMENTATIONS[kind][0]]), kind)
                eff.insert(0, "augmentation", kind)
                frames.append(eff)
            result = pd.concat(frames, ignore_index=True)
    finally:
        if store is not None:
            store.close()
    _emit(result, args)
    print("ImageNet-X result tables: CC BY-NC 4.0.", file=sys.stderr)
    return 0
