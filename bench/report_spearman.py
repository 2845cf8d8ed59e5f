"""Benchmark: Spearman heatmap data (33 x 33 rho and p) against the imagenet_x package, same input.

Prints the time of each, the speed-up, and the largest absolute difference of rho and p.
Run: ERRORSCOPE_DATA_DIR=... PYTHONPATH=src python bench/report_spearman.py
"""

import time

import numpy as np
import pandas as pd


def main() -> None:
    import scipy.stats  # noqa: F401  (import time is not what we measure)
    from imagenet_x.aggregate import spearman_corr_heatmaps

    from errorscope.imagenetx._annotations import load_factor_annotations
    from errorscope.constants import FACTORS, METACLASSES
    from errorscope.imagenetx._stats import factor_correlations

    ann = load_factor_annotations("multi", "val")
    frame = pd.DataFrame(ann.factors.astype(int), columns=FACTORS)
    frame["metaclass"] = pd.Categorical([METACLASSES[m] for m in ann.metaclass], categories=METACLASSES)

    t = time.perf_counter()
    rho, p = factor_correlations(annotations=ann)
    ours = time.perf_counter() - t
    t = time.perf_counter()
    ref_rho, ref_p = spearman_corr_heatmaps(frame, list(FACTORS), list(METACLASSES))
    peer = time.perf_counter() - t
    print(f"errorscope factor_correlations: {ours:.3f} s; imagenet_x spearman_corr_heatmaps: {peer:.3f} s; "
          f"speed-up x{peer / ours:.0f}")
    print(f"max |rho diff| = {np.nanmax(np.abs(rho.to_numpy() - ref_rho.to_numpy())):.2e}; "
          f"max |p diff| = {np.nanmax(np.abs(p.to_numpy() - ref_p.to_numpy())):.2e}")


if __name__ == "__main__":
    main()
