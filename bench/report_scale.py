"""Time `errorscope report` on many models and the size of the page it writes.

Builds N synthetic models (default 100) by perturbing the published ImageNet-X ViT predictions (seeded: a random
2-30 % of the images get a random class), writes them as CSVs in a temporary folder, runs
`python -m errorscope report FOLDER --out DIR` (DIR/report.html) in a fresh process and prints the wall time, the file size
and the ratio against the 4-model report of the same script (the peer run).

    ERRORSCOPE_DATA_DIR=... python bench/report_scale.py [--models 100] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def make_models(n: int, out: Path, seed: int = 12) -> Path:
    """n perturbed copies of the published ViT predictions as ImageNet-X CSVs in ``out``."""
    import pandas as pd

    from errorscope.resources import resource_path

    base = pd.read_csv(resource_path("imagenetx/model_predictions/base/ViT.csv"))
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        pred = base["predicted_class"].to_numpy().copy()
        flip = rng.random(pred.size) < rng.uniform(0.02, 0.3)
        pred[flip] = rng.integers(0, 1000, int(flip.sum()))
        base.assign(predicted_class=pred).to_csv(out / f"model{i:03d}.csv", index=False)
    return out


def run_report(folder: Path, html: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "errorscope", "report", str(folder), "--out", str(html.parent)],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=100)
    ap.add_argument("--keep", type=Path, default=None, help="write the models and reports here (kept)")
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="errorscope-report-scale-"))
    many = make_models(args.models, root / f"models{args.models}")
    few = make_models(4, root / "models4")
    h4, hn = root / "report4" / "report.html", root / f"report{args.models}" / "report.html"
    t4 = run_report(few, h4)
    tn = run_report(many, hn)
    s4, sn = h4.stat().st_size, hn.stat().st_size
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(f"4 models:   {t4:6.1f} s  {s4 / 1e6:5.2f} MB")
    print(f"{args.models} models: {tn:6.1f} s  {sn / 1e6:5.2f} MB   (x{tn / t4:.1f} time, x{sn / s4:.1f} size of 4 models)")
    print(f"reports in {root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
