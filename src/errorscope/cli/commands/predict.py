"""``errorscope predict``: run models over an image folder and write prediction files."""

from __future__ import annotations

import argparse
from pathlib import Path

LAYOUT_CHOICES = ("auto", "val-flat", "imagefolder", "imagenet-a", "imagenet-r", "imagenetx-train")


def register(subparsers) -> None:
    from ...inference.models import DEFAULT_EVAL_SIZE, EVAL_SIZES

    p = subparsers.add_parser(
        "predict",
        help="run timm / torchvision models over an image folder and write prediction files",
        description="Run models over an image folder; write OUT/<model>.npz (file_names, top1, top5, probs, labels) "
        "and OUT/<model>.json (metadata) per model. Model names: timm:NAME, torchvision:NAME, wildcards "
        "(timm:resnet*). A restarted run skips finished models and chunks; a failing model is recorded and the "
        "sweep goes on. Needs `pip install 'errorscope[torch]'` (and errorscope[distributed] for --ray).",
    )
    p.add_argument("--model", "--models", dest="models", nargs="+", action="extend", default=[], metavar="NAME",
                   help="model names, e.g. timm:resnet50.a1_in1k torchvision:resnet50 'timm:resnet*'")
    p.add_argument("--models-from", metavar="FILE", help="a text file with one model name per line")
    p.add_argument("--checkpoint", metavar="PATH", help="a local state dict to load (one model only)")
    p.add_argument("--images", required=True, type=Path, metavar="DIR", help="image folder")
    p.add_argument("--layout", default="auto", choices=LAYOUT_CHOICES, help="image folder layout (default: detect)")
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")
    p.add_argument("--no-pretrained", action="store_true", help="random weights (tests; nothing is downloaded)")
    p.add_argument("--eval-size", choices=list(EVAL_SIZES), default=DEFAULT_EVAL_SIZE,
                   help="timm models: 'test' (default) uses the weights' test input size and crop, as timm's "
                        "validate.py; 'train' the train-size config (timm --use-train-size). Recorded in the .json")
    p.add_argument("--batch-size", type=int, default=64, help="images per forward pass (default 64)")
    p.add_argument("--workers", type=int, default=2, help="DataLoader workers (default 2)")
    p.add_argument("--device", default="auto", help="auto (default), cpu, cuda, cuda:1, ...")
    p.add_argument("--no-amp", action="store_true", help="no float16 autocast on the GPU")
    p.add_argument("--no-channels-last", action="store_true", help="no channels-last memory format on the GPU")
    p.add_argument("--chunk-size", type=int, default=2048, help="images per resumable chunk (default 2048)")
    p.add_argument("--keep-logits", action="store_true", help="also store the full (n, 1000) logits")
    p.add_argument("--restart", action="store_true", help="ignore finished models and chunks of an earlier run")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="run one Ray task per model; ADDRESS of a cluster (e.g. auto, ray://head:10001); "
                   "without ADDRESS: RAY_ADDRESS or a new local cluster")
    p.add_argument("--ray-gpus", type=float, default=None, metavar="N",
                   help="GPUs per task (default: 1 if the cluster has GPUs, else 0)")
    p.add_argument("--ray-cpus", type=float, default=1, metavar="N", help="CPUs per task (default 1)")
    p.add_argument("--ray-return", action="store_true",
                   help="tasks return their outputs to this machine, which writes them (no shared --out needed)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ...exceptions import InvalidInputError
    from ...inference.models import read_models_file
    from ...inference.runner import PredictOptions, predict, summary_lines

    names = list(args.models)
    if args.models_from:
        names += read_models_file(args.models_from)
    if not names:
        raise InvalidInputError("No model given: pass --model NAME ... and/or --models-from FILE.")
    opts = PredictOptions(batch_size=args.batch_size, num_workers=args.workers, device=args.device,
                          amp=False if args.no_amp else None, channels_last=False if args.no_channels_last else None,
                          chunk_size=args.chunk_size, keep_logits=args.keep_logits, resume=not args.restart,
                          progress=not args.no_progress)
    ray_options = {"num_cpus": args.ray_cpus, "num_gpus": args.ray_gpus,
                   "mode": "return" if args.ray_return else "shared"}
    runs = predict(names, args.images, args.out, pretrained=not args.no_pretrained, checkpoint=args.checkpoint,
                   layout=args.layout, options=opts, ray=args.ray, ray_options=ray_options,
                   eval_size=args.eval_size)
    from ..._safe import printable

    for line in summary_lines(runs):
        print(printable(line))
    failed = sum(r.status == "failed" for r in runs)
    if failed:
        print(f"{failed} of {len(runs)} models failed; their errors are in the .json records.")
    return 1 if failed else 0
