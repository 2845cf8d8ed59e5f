"""``errorscope analyze``: a readable summary of one model or a population, plus tidy tables."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "analyze",
        help="summarise accuracies and the most / least robust ImageNet-X factors",
        description="Score prediction files under the original labels, ReaL and the ImageNet-X factors; print "
        "a summary and, with --out, write tidy tables (summary.csv, factors.parquet, factors.csv, calibration.csv "
        "(ECE per factor, when the files have probabilities), misclassification_shifts.csv). "
        "ImageNet-X annotations: CC BY-NC 4.0.",
    )
    p.add_argument("predictions", nargs="+", type=Path, metavar="PREDICTIONS",
                   help="prediction files or directories of them (one model per file)")
    p.add_argument("--out", type=Path, help="directory for the tidy tables")
    p.add_argument("--which", default=DEFAULT_WHICH, choices=WHICH,
                   help="ImageNet-X annotation file for the printed summary (tables hold both)")
    p.add_argument("--error-type", default=DEFAULT_ERROR_TYPE, choices=ERROR_TYPES,
                   help="correctness rule for the printed factors")
    p.add_argument("--real-empty", default=DEFAULT_REAL_EMPTY, choices=MISSING,
                   help="images with an empty ReaL set: excluded (ReaL protocol) or wrong (ImageNet-X tables)")
    p.add_argument("--missing", default=DEFAULT_MISSING, choices=MISSING,
                   help="images a file does not cover: left out of every number (default) or counted as errors")
    p.add_argument("--labels", default=DEFAULT_LABELS, choices=LABEL_SOURCES,
                   help="multi-label source of MLA (auto: Shankar et al. when its file is here, else ReaL)")
    p.add_argument("--factors-csv", action="store_true",
                   help=f"write factors.csv even above {MAX_CSV_FACTOR_ROWS:,} rows (factors.parquet is always written)")
    p.add_argument("--keep-prototypes", action="store_true", help="keep ImageNet-X's 3,000 prototypical images")
    p.add_argument("--n-factors", type=int, default=3, help="how many robust / susceptible factors to print")
    p.add_argument("--quiet", action="store_true",
                   help="print the headline table only (no per-model error ratios): for many models")
    p.set_defaults(func=run)


from ...options import (DEFAULT_ERROR_TYPE, DEFAULT_LABELS, DEFAULT_REAL_EMPTY, DEFAULT_MISSING, DEFAULT_WHICH, ERROR_TYPES,
                        LABEL_SOURCES, MISSING, WHICH)


#: Above this many factor rows (about 300 models with both files and all error types) ``--out`` writes the
#: factor table as Parquet only, unless ``--factors-csv``: the CSV would pass 100 MB.
MAX_CSV_FACTOR_ROWS = 500_000
#: Measured size of one factor row in CSV (2,000 models: 3.46 million rows, 615 MB).
CSV_BYTES_PER_ROW = 178


def _fmt(x: float) -> str:
    return "   n/a" if x != x else f"{100 * x:6.2f}"


def render_summary(analysis, *, which: str, error_type: str, n: int, quiet: bool = False) -> str:
    """The text printed by ``errorscope analyze`` (``quiet``: the headline table and the notes only)."""
    from ..._safe import printable

    s = analysis.summary
    lines = [f"{'model':<28} {'images':>7} {'top-1':>6} {'top-5':>6} {'ReaL':>6} {'MLA':>6} {'IN-X':>6}  worst factor",
             "-" * 90]
    for model, row in s.iterrows():
        lines.append(f"{printable(model)[:28]:<28} {int(row.n_covered):>7,} {_fmt(row.top1)} {_fmt(row.top5)} "
                     f"{_fmt(row.real)} {_fmt(row.get('mla', float('nan')))} "
                     f"{_fmt(row.get(f'imagenetx_{error_type}', float('nan')))}  {printable(row.get('worst_factor', ''))} "
                     f"({_fmt(row.get('worst_factor_accuracy', float('nan'))).strip()}%)")
    lines.append("")
    if not quiet:
        lines.append(f"Error ratios ({which} factors, {error_type} correctness; >1 = more errors than overall; "
                     f"[95% Wilson interval], n = images with the factor):")
        for model in s.index:
            robust, weak = analysis.robust_factors(model, which=which, error_type=error_type, n=n)
            lines.append(f"  {printable(model)}")
            for label, rows in (("most robust     ", robust), ("most susceptible", weak)):
                parts = [f"{r.factor} {r.error_ratio:.2f} [{r.er_low:.2f}, {r.er_high:.2f}] n={r.total}"
                         for r in rows.itertuples()]
                lines.append(f"    {label}: " + "; ".join(parts))
        lines.append("")
    lines.append(f"ReaL: images with no ReaL label {'excluded' if analysis.settings['real_empty'] == 'exclude' else 'counted wrong'}. "
                 + analysis.settings["license"] + ".")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ..._io import write_frame
    from ...results._analyze import analyze
    from ...readers import read_population

    pop = read_population(args.predictions, progress=True)
    which = (args.which,) + tuple(w for w in WHICH if w != args.which)
    error_types = (args.error_type,) + tuple(e for e in ERROR_TYPES if e != args.error_type)
    analysis = analyze(pop, which=which, error_types=error_types, filter_prototypes=not args.keep_prototypes,
                       real_empty=args.real_empty, missing=args.missing, labels=args.labels, progress=True)
    print(render_summary(analysis, which=args.which, error_type=args.error_type, n=args.n_factors,
                         quiet=args.quiet))
    if args.out:
        write_frame(analysis.summary, args.out / "summary.csv")
        write_frame(analysis.factors, args.out / "factors.parquet", index=False)
        rows = len(analysis.factors)
        csv_factors = args.factors_csv or rows <= MAX_CSV_FACTOR_ROWS
        if csv_factors:
            write_frame(analysis.factors, args.out / "factors.csv", index=False)
        else:
            print(f"factors.csv not written: {rows:,} rows would make about {rows * CSV_BYTES_PER_ROW / 1e6:,.0f} MB "
                  f"of CSV (factors.parquet holds the same table); pass --factors-csv to write it anyway.",
                  file=sys.stderr)
        from ..._io import atomic_open
        from ...resources.imagenetx import NOTICE

        with atomic_open(args.out / "NOTICE.txt") as fh:
            fh.write(f"These tables are derived from the ImageNet-X annotations. {NOTICE}\n")
        written = ["summary.csv", *(["factors.csv"] if csv_factors else []), "factors.parquet", "NOTICE.txt"]
        if analysis.calibration is not None:
            write_frame(analysis.calibration, args.out / "calibration.csv")
            written.append("calibration.csv")
        if analysis.shifts is not None:
            write_frame(analysis.shifts, args.out / "misclassification_shifts.csv", index=False)
            written.append("misclassification_shifts.csv")
        print(f"\nwrote {', '.join(str(args.out / w) for w in written)}")
    return 0
