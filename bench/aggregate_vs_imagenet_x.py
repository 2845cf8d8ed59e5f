"""Benchmark: `errorscope aggregate` against imagenet-x's `aggregate` on perturbed copies of real predictions.

Each run is a fresh subprocess, so the printed peak memory (max RSS) is that run's alone.

    ERRORSCOPE_DATA_DIR=../shared/data python bench/aggregate_vs_imagenet_x.py --models 64 256 --big 2500

For every population size the same CSV directory (one ImageNet-X CSV per model, in imagenet-x's required row
order) goes to both tools, which write the full table tree (val; top and multi factors; class, metaclass and
real_class; per factor and per metaclass). ``--big N`` times errorscope alone on an in-memory population of N
models (the 2,500-model memory target), since N CSV files would be several GB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time, argparse
t = time.perf_counter()
kind, model_dir, out = sys.argv[1], sys.argv[2], sys.argv[3]
if kind == "imagenet_x":
    from imagenet_x.aggregate import generate_all_tables
    generate_all_tables(argparse.Namespace(model_dirs=[model_dir], partitions=["val"], which_factor=["top", "multi"],
        keep_prototypes=False, verbose=False, table_dir=out, error_types=["class", "metaclass", "real_class"]))
elif kind == "errorscope":
    from errorscope.cli.main import main
    # the same outputs as imagenet-x: CSV tables only (no Parquet copies, no interval tables)
    assert main(["aggregate", "--model-dirs", model_dir, "--table-dir", out, "--quiet", "--no-parquet",
                 "--no-intervals"]) == 0
else:  # errorscope on an in-memory population of int(model_dir) models
    import numpy as np
    from errorscope.imagenetx import write_table_tree
    from errorscope.predictions import Population
    from errorscope.readers import read_population
    base = read_population(sys.argv[4])
    n = int(model_dir)
    rng = np.random.default_rng(0)
    top1 = np.repeat(base.top1, -(-n // len(base)), axis=0)[:n]
    flip = rng.random(top1.shape, dtype=np.float32) < 0.2
    top1[flip] = rng.integers(0, 1000, int(flip.sum()), dtype=np.int16)
    del flip
    pop = Population([f"m{i:05d}" for i in range(n)], top1, None, base.index)
    t = time.perf_counter()
    write_table_tree(pop, out, "big", parquet=False, intervals=False)
print(json.dumps({"seconds": time.perf_counter() - t,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def perturbed(n: int, base_dir: Path):
    """Yield n (top1, prob) pairs: the real predictions with a random 2-30 % of images given a random class."""
    from errorscope.readers import read_predictions

    base = [read_predictions(p) for p in sorted(base_dir.glob("*.csv"))]
    rng = np.random.default_rng(n)
    for i in range(n):
        src = base[i % len(base)]
        top1 = src.top1.copy()
        flip = rng.random(top1.size) < rng.uniform(0.02, 0.3)
        top1[flip] = rng.integers(0, 1000, int(flip.sum()), dtype=np.int16)
        yield top1, src.prob


def make_population(n: int, root: Path, base_dir: Path) -> Path:
    """n perturbed models as ImageNet-X CSVs in the row order imagenet-x requires (filename_label.csv)."""
    import pandas as pd

    from errorscope.datasets._index import val_index
    from errorscope.resources.imagenetx import package_file

    order = pd.read_csv(package_file("filename_label.csv")).file_name
    pos = val_index().positions(order)
    out = root / f"pop{n}"
    out.mkdir(parents=True)
    for i, (top1, prob) in enumerate(perturbed(n, base_dir)):
        pd.DataFrame({"file_name": order, "predicted_class": top1[pos], "predicted_probability": prob[pos]}
                     ).to_csv(out / f"model{i:04d}.csv", index=False)
    return out


def make_npz_population(n: int, root: Path, base_dir: Path) -> Path:
    """n perturbed models as NPZ files (top1 + prob, canonical row order)."""
    out = root / f"npz{n}"
    out.mkdir(parents=True)
    for i, (top1, prob) in enumerate(perturbed(n, base_dir)):
        np.savez(out / f"model{i:05d}.npz", top1=top1, prob=prob)
    return out


def run(kind: str, *args: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    res = subprocess.run([sys.executable, "-c", CHILD, kind, *args], capture_output=True, text=True, env=env)
    if res.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, nargs="*", default=[64, 256])
    parser.add_argument("--big", type=int, default=2500, help="in-memory population size for errorscope alone (0: skip)")
    parser.add_argument("--big-files", type=int, default=0,
                        help="also run `errorscope aggregate` end to end on this many NPZ files (0: skip)")
    args = parser.parse_args()
    data = Path(os.environ.get("ERRORSCOPE_DATA_DIR", REPO.parent / "shared" / "data"))
    base_dir = data / "imagenetx" / "model_predictions" / "base"
    sys.path.insert(0, str(REPO / "src"))
    print(f"{'models':>7} {'imagenet-x s':>13} {'errorscope s':>13} {'speed-up':>9} {'imagenet-x MB':>14} {'errorscope MB':>14}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for n in args.models:
            pop_dir = make_population(n, tmp, base_dir)
            theirs = run("imagenet_x", str(pop_dir), str(tmp / f"ix{n}"))
            ours = run("errorscope", str(pop_dir), str(tmp / f"es{n}"))
            print(f"{n:>7} {theirs['seconds']:>13.1f} {ours['seconds']:>13.2f} {theirs['seconds'] / ours['seconds']:>8.1f}x "
                  f"{theirs['peak_mb']:>14.0f} {ours['peak_mb']:>14.0f}", flush=True)
        if args.big_files:
            pop_dir = make_npz_population(args.big_files, tmp, base_dir)
            ours = run("errorscope", str(pop_dir), str(tmp / "esbig"))
            print(f"\nerrorscope aggregate, {args.big_files} NPZ files end to end (read + 12 tables + CSV): "
                  f"{ours['seconds']:.1f} s, peak {ours['peak_mb']:.0f} MB")
        if args.big:
            big = run("big", str(args.big), str(tmp / "big"), str(base_dir))
            print(f"\nerrorscope, {args.big} models in memory (6 table sets incl. metaclass): "
                  f"{big['seconds']:.1f} s, peak {big['peak_mb']:.0f} MB (process total, population included)")


if __name__ == "__main__":
    main()
