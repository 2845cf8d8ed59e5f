"""Benchmark: classify a 962-model population (the size of the ETH study) with the vectorised engine.

The population is built from the 19 real models of the data mirror: model j copies real model j % 19 and
replaces a random 0-20 % of its predictions with other real models' predictions for the same images, so the
error structure stays realistic. The peer is the slow loop reference of the tests (one Python call per row),
timed on 2 models and extrapolated. Run with ``ERRORSCOPE_DATA_DIR`` set and ``PYTHONPATH=src``:

    python bench/taxonomy_engine.py [--models 962] [--labels real]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "taxonomy"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=962)
    ap.add_argument("--labels", default="real", choices=["real"])
    args = ap.parse_args()

    from errorscope.predictions import Population
    from errorscope.readers import read_population
    from errorscope.taxonomy import categories as cat
    from errorscope.taxonomy import classify
    from errorscope.taxonomy.collapsed import COLLAPSED_MAPPINGS
    from errorscope.taxonomy.knowledge import build_knowledge
    from errorscope.taxonomy.labels import load_multilabels
    from errorscope.taxonomy.nonproto import non_prototypical_files
    from taxonomy_helpers import real_model_files, reference_classify

    base = read_population(real_model_files())
    rng = np.random.default_rng(0)
    top1 = np.empty((args.models, base.top1.shape[1]), dtype=np.int16)
    for j in range(args.models):
        row = base.top1[j % len(base)].copy()
        swap = rng.random(row.shape) < rng.uniform(0, 0.2)
        row[swap] = base.top1[rng.integers(0, len(base), swap.sum()), np.flatnonzero(swap)]
        top1[j] = row
    pop = Population([f"model_{j:03d}" for j in range(args.models)], top1, None, base.index)
    labels = load_multilabels(args.labels)
    t0 = time.perf_counter()
    knowledge = build_knowledge(labels)
    t_know = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = classify(pop, labels, knowledge=knowledge)
    t_engine = time.perf_counter() - t0
    t0 = time.perf_counter()
    stats = [res.stats(g) for g in ("all", "organism", "artifact", "other")]
    t_stats = time.perf_counter() - t0

    # peer: the loop reference on 2 models
    kn = res.knowledge
    sets = [kn.labels.label_set(i) for i in range(len(kn.labels))]
    t, prob, names = kn.labels.targets.tolist(), kn.labels.problematic.tolist(), kn.labels.file_names.tolist()
    same, cooc = kn.superclasses.same, kn.cooccurrence.matrix
    collapsed = {k: set(v) for k, v in COLLAPSED_MAPPINGS.items()}
    nonproto = non_prototypical_files()
    t0 = time.perf_counter()
    for m in range(2):
        preds = res.preds[m].tolist()
        for i in range(len(t)):
            reference_classify(t[i], sets[i], prob[i], preds[i], names[i], same=same, cooc=cooc,
                               collapsed=collapsed, nonproto=nonproto)
    t_loop = (time.perf_counter() - t0) / 2 * args.models
    n_err = int(np.isin(res.codes, cat.ERROR_CODES).sum())
    print(f"cpus available: {len(os.sched_getaffinity(0))}; population {args.models} x {len(labels)} images "
          f"({args.labels} labels), {n_err:,} rows in an error category")
    print(f"knowledge tables (superclasses, co-occurrence derivation): {t_know:6.2f} s")
    print(f"vectorised engine:                                       {t_engine:6.2f} s")
    print(f"stats for the 4 groups:                                  {t_stats:6.2f} s")
    print(f"loop reference (extrapolated from 2 models):             {t_loop:6.2f} s")
    print(f"ratio loop / engine: {t_loop / t_engine:.1f}x; engine + stats under a minute: "
          f"{t_engine + t_stats + t_know < 60}")
    assert len(stats[0]) == args.models
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
