"""``errorscope demo``: the whole pipeline on the four ImageNet-X paper models, in about 20 seconds."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ...options import DEFAULT_LABELS, FIGURE_FORMATS, LABEL_SOURCES

DEMO_MODELS = ("DINO", "ResNet50", "SimCLR", "ViT")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "demo", help="run everything on the 4 ImageNet-X paper models",
        description="Read the predictions of DINO, ResNet50, SimCLR and ViT published with ImageNet-X (from the "
        "local mirror $ERRORSCOPE_DATA_DIR or downloaded once into the cache), compute the factor tables and the error taxonomy, write the "
        "HTML report and the figures of both papers. ImageNet-X data is CC BY-NC 4.0.")
    p.add_argument("--out", type=Path, default=Path("errorscope-demo"), help="output folder (default errorscope-demo/)")
    p.add_argument("--images", type=Path, default=None, help="ImageNet validation image folder, for thumbnails")
    p.add_argument("--figure-format", dest="formats", nargs="+", default=["png"], choices=FIGURE_FORMATS,
                   help="file formats of the figures (default png)")
    p.add_argument("--no-figures", action="store_true", help="write the report and tables only")
    p.add_argument("--labels", choices=LABEL_SOURCES, default=DEFAULT_LABELS,
                   help="multi-label source of the error taxonomy and MLA (auto: Shankar et al. when its file is "
                   "here, else the ReaL lists)")
    p.add_argument("--no-taxonomy", action="store_true", help="skip the error taxonomy (and MLA)")
    p.add_argument("--jobs", type=int, default=None,
                   help="processes that draw the figures (default 2, or 1 on a one-core machine)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..._io import write_frame
    from ...plots import FIGURES, POPULATION_FIGURES, FigureDrawer
    from ...readers import read_population
    from ...report import ReportContext, write_report
    from ...report.context import REPORT_FIGURES, png_data_uri
    from ...report import tables as T
    from ...resources import resource_path

    start = time.perf_counter()
    out: Path = args.out
    figures = not args.no_figures
    with FigureDrawer(args.jobs) as drawer:
        if figures:  # the published-population figures need no model: they draw while the models are analysed
            drawer.submit(out / "figures", names=POPULATION_FIGURES, formats=args.formats)
        files = [resource_path(f"imagenetx/model_predictions/base/{m}.csv") for m in DEMO_MODELS]
        pop = read_population(files, progress=True)
        print(f"[{time.perf_counter() - start:5.1f}s] read {len(pop)} models: {', '.join(pop.models)}")
        reuse = figures and "png" in args.formats
        ctx = ReportContext.from_population(pop, images_dir=args.images, figures=figures and not reuse,
                                            taxonomy_labels=None if args.no_taxonomy else args.labels,
                                            title="errorscope demo: the four ImageNet-X paper models", progress=True)
        print(f"[{time.perf_counter() - start:5.1f}s] computed the factor tables"
              + ("" if ctx.taxonomy is None else f" and the error taxonomy ({args.labels} labels, CLIP step skipped)"))
        if figures:
            inputs = ctx.figure_inputs()
            drawer.submit(out / "figures", names=[n for n in FIGURES if n not in POPULATION_FIGURES],
                          formats=args.formats, **inputs.build_kwargs())
        write_frame(ctx.summary, out / "tables" / "summary.csv", index=False)
        write_frame(ctx.factors, out / "tables" / "factors.csv", index=False)
        write_frame(ctx.mistakes, out / "tables" / "top_mistakes.csv", index=False)
        write_frame(T.wide_factor_table(ctx.factors, summary=ctx.summary), out / "tables" / "accuracies_per_factor.csv")
        if ctx.taxonomy is not None:
            write_frame(ctx.taxonomy, out / "tables" / "taxonomy_stats.csv", index=False)
        if figures:
            written = drawer.collect(progress=True)
            print(f"[{time.perf_counter() - start:5.1f}s] wrote {len(written)} figures to {out / 'figures'}")
            if reuse:  # embed the PNGs just written instead of drawing the same figures twice
                ctx.figures = {name: png_data_uri(next(p for p in paths if p.suffix == ".png"))
                               for name, paths in written.items()
                               if any(name == f or name.startswith(f + "_") for f in REPORT_FIGURES)}
    report = write_report(ctx, out / "report.html")
    _write_notices(out, figures=not args.no_figures)
    print(f"[{time.perf_counter() - start:5.1f}s] wrote {report}")
    top = ctx.summary.set_index("model")
    for m in pop.models:
        mla = "" if ctx.taxonomy is None else f"  MLA {100 * top.loc[m, 'mla']:.2f}%"
        print(f"  {m:10s} top-1 {100 * top.loc[m, 'top1']:.2f}%  ReaL {100 * top.loc[m, 'real']:.2f}%{mla}")
    print(f"done in {time.perf_counter() - start:.1f}s; open {report} in a browser.")
    return 0


def _write_notices(out: Path, *, figures: bool) -> None:
    """A NOTICE.txt in the demo folder and in its tables and figures folders: all are built on ImageNet-X."""
    from ..._io import atomic_open
    from ...resources.imagenetx import NOTICE

    for folder in [out, out / "tables"] + ([out / "figures"] if figures else []):
        with atomic_open(folder / "NOTICE.txt") as fh:
            fh.write(f"These files are derived from the ImageNet-X annotations. {NOTICE}\n")
