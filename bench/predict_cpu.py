"""Images/s of `errorscope predict` on the CPU against a plain timm inference loop on the same images.

    PYTHONPATH=src python bench/predict_cpu.py [--model resnet18] [--images 256] [--batch-size 32] [--workers 2]

Both sides use the model's timm preprocessing, the same DataLoader settings and torch.inference_mode; the
plain loop keeps softmax top-5 in memory, errorscope also writes resumable chunks and the final files.
Prints both rates and the ratio errorscope / plain (target: >= 0.9).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np


def make_images(root: Path, n: int) -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    for i in range(1, n + 1):
        h, w = rng.integers(300, 500, size=2)
        base = rng.integers(0, 255, (h // 16 + 1, w // 16 + 1, 3), dtype=np.uint8)
        Image.fromarray(base).resize((int(w), int(h)), Image.Resampling.BILINEAR).save(
            root / f"ILSVRC2012_val_{i:08d}.JPEG", quality=90)


class _Files:
    def __init__(self, paths, transform):
        self.paths, self.transform = paths, transform

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        from PIL import Image

        with Image.open(self.paths[i]) as img:
            return self.transform(img.convert("RGB")), i


def plain_timm(arch: str, root: Path, batch_size: int, workers: int) -> tuple[float, np.ndarray]:
    import timm
    import torch

    torch.manual_seed(0)
    model = timm.create_model(arch, pretrained=False).eval()
    transform = timm.data.create_transform(**timm.data.resolve_data_config({}, model=model))
    paths = sorted(str(p) for p in root.iterdir())
    loader = torch.utils.data.DataLoader(_Files(paths, transform), batch_size=batch_size, num_workers=workers)
    top5 = []
    t = time.perf_counter()
    with torch.inference_mode():
        for x, _ in loader:
            p = torch.softmax(model(x).float(), dim=1)
            top5.append(torch.topk(p, 5, dim=1).indices.numpy())
    return len(paths) / (time.perf_counter() - t), np.concatenate(top5)


def errorscope_predict(arch: str, root: Path, out: Path, batch_size: int, workers: int) -> tuple[float, np.ndarray]:
    import torch

    from errorscope.inference import predict

    torch.manual_seed(0)
    t = time.perf_counter()
    runs = predict([f"timm:{arch}"], root, out, pretrained=False, batch_size=batch_size, num_workers=workers,
                   progress=False, resume=False)
    elapsed = time.perf_counter() - t
    assert runs[0].status == "ok", runs[0].error
    with np.load(runs[0].prediction_file) as z:
        top5 = z["top5"]
    return runs[0].metadata["n_images"] / elapsed, top5


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="resnet18")
    ap.add_argument("--images", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2, help="alternating runs of each; the best rate counts")
    args = ap.parse_args()
    import torch

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "val"
        root.mkdir()
        make_images(root, args.images)
        ours, theirs = [], []
        for r in range(args.repeats):
            rate, top5_plain = plain_timm(args.model, root, args.batch_size, args.workers)
            theirs.append(rate)
            rate, top5_ours = errorscope_predict(args.model, root, Path(tmp) / f"out{r}", args.batch_size,
                                                 args.workers)
            ours.append(rate)
            assert np.array_equal(top5_plain, top5_ours), "errorscope and the plain loop disagree"
    best_ours, best_theirs = max(ours), max(theirs)
    print(f"model timm:{args.model}, {args.images} images, batch {args.batch_size}, {args.workers} workers, "
          f"{torch.get_num_threads()} torch threads")
    print(f"plain timm loop      : {best_theirs:8.1f} img/s  (runs: {', '.join(f'{x:.1f}' for x in theirs)})")
    print(f"errorscope predict   : {best_ours:8.1f} img/s  (runs: {', '.join(f'{x:.1f}' for x in ours)}; "
          "wall time incl. model build and file writes)")
    print(f"ratio errorscope / plain: {best_ours / best_theirs:.3f}  (target >= 0.9)")


if __name__ == "__main__":
    main()
