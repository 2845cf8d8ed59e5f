"""``errorscope taxonomy``: classify every top-1 error of every model (Peychev et al., NeurIPS 2023).

Examples::

    errorscope taxonomy preds/ --labels real --out results/taxonomy
    errorscope taxonomy preds/ --labels real --most-common fg --top 1000
    errorscope taxonomy preds_a/ --imagenet-a /data/imagenet-a --out results/taxonomy-a
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ...exceptions import InvalidInputError
from ...options import DEFAULT_LABELS, LABEL_SOURCES


def register(subparsers) -> None:
    from ...taxonomy.pair_sources import DEFAULT_PAIR_SOURCE, PAIR_SOURCES

    p = subparsers.add_parser(
        "taxonomy", help="classify model errors into the Peychev et al. taxonomy",
        description="Classify every top-1 prediction of every model: correct, collapsed mapping, multi-label, "
                    "fine-grained, fine-grained OOV (CLIP, optional), spurious correlation, non-prototypical, "
                    "model failure. Writes per_image.parquet, stats_<group>.csv (ETH column layout) and shares.csv "
                    "(one row per model, subset and category; shares as fractions of the top-1 errors).")
    p.add_argument("predictions", nargs="+", help="prediction files or directories (one model per file)")
    p.add_argument("--labels", choices=LABEL_SOURCES, default=DEFAULT_LABELS,
                   help="multi-label source (auto: shankar if its file is on this machine or given with "
                   "--shankar-file, else real)")
    p.add_argument("--shankar-file", type=Path, default=None,
                   help="a human_accuracy_v3.0.0.json to use instead of the data resource")
    p.add_argument("--superclasses", default=None, metavar="NAME|PATH",
                   help="superclass set: reconstruction-v1 (default), wordnet-coherent-v2, or a definitions file "
                   "(TOML of this package's format, or the authors' JSON lines)")
    p.add_argument("--pairs", choices=list(PAIR_SOURCES), default=DEFAULT_PAIR_SOURCE,
                   help="co-occurrence (spurious-correlation) pairs: "
                        + "; ".join(f"{k}: {v.summary}" for k, v in PAIR_SOURCES.items())
                        + f" (default {DEFAULT_PAIR_SOURCE})")
    p.add_argument("--pairs-held-out", type=Path, default=None, metavar="FILE",
                   help="with --pairs derived: validation file names (one per line, or a CSV with a file_name "
                        "column) whose ReaL labels the pairs are learnt on; these images are left out of the "
                        "evaluation")
    p.add_argument("--imagenet-a", type=Path, default=None, metavar="DIR",
                   help="the predictions are on ImageNet-A: its folder (<wnid>/<file>) defines the image index")
    p.add_argument("--out", type=Path, default=None, help="output directory")
    p.add_argument("--most-common", metavar="CATEGORY", default=None,
                   help="list the images most often put in CATEGORY (fg, fg-OOV, multi_label, ...)")
    p.add_argument("--top", type=int, default=1000, help="keys looked at by --most-common (default 1000)")
    p.add_argument("--count-spurious-pairs", action="store_true",
                   help="print how many distinct (label, prediction) co-occurrence pairs the spurious rows use")
    p.add_argument("--expert-agreement", action="store_true",
                   help="also write expert_agreement.csv: our category vs the imagenet-mistakes experts' where a "
                        "model predicts exactly their prediction (ImageNet only)")
    p.add_argument("--per-image", choices=["all", "errors", "none"], default="all",
                   help="rows of per_image.parquet: every (model, image), only top-1 errors, or no file "
                        "(a population of hundreds of models: use errors or none)")
    p.add_argument("--quiet", action="store_true",
                   help="no summary table on stdout (and, with --out, no --most-common listing either)")
    clip = p.add_argument_group("out-of-vocabulary step (needs errorscope[clip])")
    clip.add_argument("--clip-images", type=Path, default=None, metavar="DIR",
                      help="ImageNet val image folder (<wnid>/<file> or flat); enables the CLIP step")
    clip.add_argument("--clip-train-embeddings", type=Path, default=None, metavar="NPZ",
                      help="cached CLIP embeddings + labels of the train images (errorscope.taxonomy.clip."
                           "build_train_embeddings)")
    clip.add_argument("--clip-model", default="ViT-L-14-336",
                      help="open_clip architecture, or a model config JSON file (its stem becomes the name)")
    clip.add_argument("--clip-pretrained", default="openai",
                      help="open_clip pretrained tag or checkpoint path; 'none' = random weights (testing only)")
    clip.add_argument("--clip-cache", type=Path, default=None, help="per (image, prediction) result cache (JSON)")
    clip.add_argument("--device", default="cpu", help="torch device of the CLIP model (default cpu)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ...readers import read_population
    from ...results import taxonomy_share_table, taxonomy_summary
    from ...taxonomy import classify
    from ...taxonomy.wordnet import GROUPS

    if args.top < 1:
        raise InvalidInputError(f"--top must be a positive integer, got {args.top}.")
    if args.out is None and args.most_common is None and not args.count_spurious_pairs:
        raise InvalidInputError("Nothing to do: give --out DIR, --most-common CATEGORY or --count-spurious-pairs.")
    if args.most_common is not None:
        from ...taxonomy.categories import get_category

        get_category(args.most_common)  # fail fast on a bad name
    index = None
    labels = None
    if args.imagenet_a is not None:
        from ...datasets import imagenet_a_index

        index = imagenet_a_index(args.imagenet_a)
        if args.labels != DEFAULT_LABELS:
            raise InvalidInputError("--labels does not apply to ImageNet-A (M = [target]).")
    else:
        from ...taxonomy.labels import load_multilabels, resolve_label_source

        source = resolve_label_source(args.labels, path=args.shankar_file)
        labels = load_multilabels(source, path=args.shankar_file if source == "shankar" else None)
    held_out = None
    if args.pairs_held_out is not None:
        if args.pairs != "derived":
            raise InvalidInputError("--pairs-held-out only applies to --pairs derived.")
        from ...taxonomy.pair_sources import read_held_out

        held_out = read_held_out(args.pairs_held_out)
    elif args.pairs == "derived":
        raise InvalidInputError("--pairs derived needs --pairs-held-out FILE: the images the pairs are learnt on, "
                                "left out of the evaluation (pairs learnt on the evaluated images are refused).")
    population = read_population(args.predictions, index=index, progress=True)
    detector = None
    if args.clip_images is not None:
        from ...taxonomy.clip import ClipOOVDetector

        if args.clip_train_embeddings is None:
            raise InvalidInputError("--clip-images needs --clip-train-embeddings (the train-neighbour cache).")
        arch = args.clip_model
        if arch.endswith(".json") and Path(arch).is_file():
            from ..._optional import require

            require("open_clip", extra="clip").add_model_config(Path(arch))
            arch = Path(arch).stem
        pretrained = None if args.clip_pretrained.lower() == "none" else args.clip_pretrained
        detector = ClipOOVDetector.from_pretrained(arch, pretrained, images=args.clip_images,
                                                   train_embeddings=args.clip_train_embeddings,
                                                   cache=args.clip_cache, device=args.device)
    result = classify(population, labels, clip=detector, superclasses=args.superclasses, progress=True,
                      pairs=args.pairs, held_out=held_out)
    if detector is not None and args.clip_cache is not None:
        detector.save_cache()
    note = (f"label source: {result.label_source}; superclasses: {result.knowledge.superclasses.source}; "
            f"co-occurrence pairs: {result.knowledge.cooc_excluded}; "
            f"{result.labels.n_non_problematic} non-problematic images"
            + (f" ({len(held_out)} held-out images left out)" if held_out else "") + "; "
            f"CLIP OOV step: {result.clip_step}")
    if args.out is not None:
        from ..._io import atomic_open, write_frame

        out = args.out
        out.mkdir(parents=True, exist_ok=True)
        if args.per_image != "none":
            write_frame(result.per_image_frame(errors_only=args.per_image == "errors"), out / "per_image.parquet",
                        index=False)
        stats = {g: result.stats(g) for g in GROUPS}
        for g in GROUPS:
            write_frame(stats[g], out / f"stats_{g}.csv", index=False)
        write_frame(taxonomy_share_table(stats), out / "shares.csv", index=False)
        if args.expert_agreement:
            from ...taxonomy.experts import agreement_summary, expert_agreement

            agreement = expert_agreement(result)
            write_frame(agreement, out / "expert_agreement.csv", index=False)
            print(agreement_summary(agreement).round(3).to_string(), file=sys.stderr)
        with atomic_open(out / "taxonomy.json") as fh:
            json.dump({"label_source": result.label_source, "superclasses": result.knowledge.superclasses.source,
                       "cooccurrence_source": result.knowledge.cooccurrence.source,
                       "cooccurrence_pairs": int(len(result.knowledge.cooccurrence.pairs)),
                       "cooccurrence_description": result.knowledge.cooc_excluded,
                       "cooccurrence_held_out_images": int(result.knowledge.cooccurrence.n_used_files),
                       "clip_step": result.clip_step,
                       "models": result.models, "index": result.index_name}, fh, indent=2)
        print(f"wrote {out} ({len(result.models)} models; {note})", file=sys.stderr)
    if not args.quiet and args.most_common is None and not args.count_spurious_pairs:
        from ..._safe import printable_frame

        print(printable_frame(taxonomy_summary(result.stats("all"))).to_string(float_format=lambda v: f"{v:.4f}"))
        print(f"shares: fractions of each model's top-1 errors; {note}")
    if args.count_spurious_pairs:
        from ...taxonomy.most_common import count_spurious_pairs

        print(f"{len(count_spurious_pairs(result))} distinct spurious-correlation pairs (label, prediction)")
    if args.most_common is not None:
        from ...taxonomy.categories import get_category
        from ...taxonomy.most_common import format_most_common, most_common

        text = format_most_common(most_common(result, args.most_common, top=args.top))
        if args.out is not None:
            from ..._io import atomic_open

            target = args.out / f"most_common_{get_category(args.most_common).cli_name}.txt"
            with atomic_open(target) as fh:
                fh.write(text)
            print(f"wrote {target}", file=sys.stderr)
        elif not args.quiet:
            sys.stdout.write(text)
        print(note, file=sys.stderr)
    return 0
