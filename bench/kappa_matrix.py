"""Benchmark: the error-consistency matrix as matrix products against a pairwise NumPy loop, in one script.

    python bench/kappa_matrix.py --models 2500 --images 50000 --loop-models 120

Synthetic correctness: each model's accuracy is drawn in [0.55, 0.9] and its errors follow a shared image
difficulty plus noise, so the kappas are realistic (0.2-0.7). The matrix
(:func:`errorscope.metrics._agreement.consistency_matrix`, float32 products over column chunks) runs on all
models; the pairwise loop (one NumPy kappa per pair) runs on ``--loop-models`` models only and its time is
extrapolated to all M (M - 1) / 2 pairs (the loop's cost is linear in the number of pairs). Both results are
checked against each other on the loop's models. Peak memory is tracemalloc's peak of NumPy allocations during
each computation (the correctness matrix itself, allocated before, is reported separately).
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from errorscope.metrics._agreement import consistency_matrix  # noqa: E402


def synthetic(m: int, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    difficulty = rng.random(n, dtype=np.float32)
    acc = rng.uniform(0.55, 0.9, m).astype(np.float32)
    out = np.empty((m, n), dtype=bool)
    for i in range(m):
        noisy = 0.75 * difficulty + 0.25 * rng.random(n, dtype=np.float32)
        out[i] = noisy < acc[i]
    return out


def pairwise_loop(x: np.ndarray) -> np.ndarray:
    m, n = x.shape
    out = np.ones((m, m), dtype=np.float32)
    for i in range(m):
        for j in range(i + 1, m):
            a, b = x[i], x[j]
            c_obs = np.count_nonzero(a == b) / n
            p1, p2 = np.count_nonzero(a) / n, np.count_nonzero(b) / n
            c_exp = p1 * p2 + (1 - p1) * (1 - p2)
            out[i, j] = out[j, i] = (c_obs - c_exp) / (1 - c_exp)
    return out


def measure(fn, *args, **kwargs):
    tracemalloc.start()
    t = time.perf_counter()
    result = fn(*args, **kwargs)
    seconds = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, seconds, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=2500)
    ap.add_argument("--images", type=int, default=50_000)
    ap.add_argument("--loop-models", type=int, default=120)
    ap.add_argument("--chunk", type=int, default=8192)
    args = ap.parse_args()
    m, n, k = args.models, args.images, min(args.loop_models, args.models)
    x = synthetic(m, n)
    print(f"correctness matrix: {m:,} models x {n:,} images, bool, {x.nbytes / 2**20:.0f} MiB "
          f"(mean accuracy {x.mean():.3f})")
    (kappa, lo, hi), t_mat, peak_mat = measure(consistency_matrix, x, chunk=args.chunk)
    print(f"matrix products (with CIs): {t_mat:.1f} s, peak {peak_mat / 2**20:.0f} MiB beyond the input; "
          f"off-diagonal kappa {np.nanmin(kappa):.3f}..{np.nanmax(kappa[~np.eye(m, dtype=bool)]):.3f}")
    loop, t_loop, peak_loop = measure(pairwise_loop, x[:k])
    pairs_k, pairs_m = k * (k - 1) / 2, m * (m - 1) / 2
    t_loop_all = t_loop / pairs_k * pairs_m
    print(f"pairwise NumPy loop on {k} models ({pairs_k:,.0f} pairs): {t_loop:.2f} s, peak "
          f"{peak_loop / 2**20:.1f} MiB; extrapolated to {m:,} models ({pairs_m:,.0f} pairs): {t_loop_all:,.0f} s")
    sub, t_sub, _ = measure(consistency_matrix, x[:k], chunk=args.chunk, intervals=False)
    diff = float(np.abs(sub - loop).max())
    print(f"matrix vs loop on the {k} models: max |difference| = {diff:.2e}; matrix {t_sub:.3f} s vs loop "
          f"{t_loop:.2f} s (loop / matrix = {t_loop / t_sub:.2f}x at this small size)")
    print(f"ratio at {m:,} models: loop (extrapolated) / matrix = {t_loop_all / t_mat:,.0f}x")


if __name__ == "__main__":
    main()
