"""Scale benchmark of the results store: ingest, full ImageNet-X re-analysis, the error taxonomy, store size,
versus imagenet-x.

Synthetic populations of 100, 1,000 and 2,500 models are made by perturbing the 19 real prediction files of
the data mirror (the 4 ImageNet-X base models with probabilities, the 15 Shavit timm models without): model i
starts from real model i mod 19, re-draws a random 0-12 % of its predictions uniformly and corrects a random
0-5 % of its errors. Each size runs in its own subprocess so that the peak resident memory is its own.

Measured per size:
* ingest: ``ResultStore.add`` of the whole population with the default metric suite: the derived ImageNet-X
  metrics of all six (which x error type) tables, the error taxonomy (``error_categories``: ReaL labels, CLIP
  step skipped, four subsets), the codec and the DuckDB transactions;
* re-analysis: reopen the store, decode the M x 50,000 matrix (``load``), recompute the six tables
  (``tables``) and the taxonomy of every model (``taxonomy``: classify + stats of the four subsets), timed
  separately. The ingest is the end-to-end run (predictions in memory -> every metric, taxonomy included ->
  stored); the re-analysis repeats the metrics from the stored matrix, so the two are not added;
* store size on disk, bytes per model for top-1 and probabilities.
The peer is imagenet-x's own table pipeline (``generate_all_tables`` minus the metaclass tables) on CSV files
of the first ``--peer-models`` models, timed in the same run; the ratio compares the time per model of the
same six tables (imagenet-x's time grows linearly with the number of models: it joins one long frame).

Usage: PYTHONPATH=src ERRORSCOPE_DATA_DIR=... python bench/store_scale.py [--sizes 100 1000 2500] [--peer-models 20]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def real_predictions():
    from errorscope.readers import read_predictions
    from errorscope.resources import data_dir, resource_path

    preds = [read_predictions(resource_path(f"imagenetx/model_predictions/base/{m}.csv"))
             for m in ["DINO", "ResNet50", "SimCLR", "ViT"]]
    shavit = sorted((data_dir() / "predictions" / "shavit_analysing_relations").glob("topk_ids_*.csv"))
    preds += [read_predictions(p) for p in shavit]
    return preds


def synthetic_population(n_models: int):
    from errorscope.predictions import Population

    real = real_predictions()
    labels = real[0].index.labels
    n = labels.size
    top1 = np.empty((n_models, n), dtype=np.int16)
    prob = np.full((n_models, n), np.nan, dtype=np.float32)
    names = []
    for i in range(n_models):
        base = real[i % len(real)]
        rng = np.random.default_rng(i)
        t = base.top1.copy()
        redraw = rng.random(n) < rng.uniform(0, 0.12)
        t[redraw] = rng.integers(0, 1000, redraw.sum())
        fix = (t != labels) & (rng.random(n) < rng.uniform(0, 0.05))
        t[fix] = labels[fix]
        top1[i] = t
        if base.prob is not None:
            p = base.prob.copy()
            p[redraw | fix] = rng.random((redraw | fix).sum())
            prob[i] = p
        names.append(f"{base.model}_synth{i:05d}")
    return Population(names, top1, prob, real[0].index)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_size(n_models: int, workdir: Path) -> dict:
    from errorscope.store import ResultStore
    from errorscope.store.metrics import imagenetx_factor_metrics, taxonomy_metrics

    pop = synthetic_population(n_models)
    path = workdir / f"store_{n_models}.duckdb"
    t0 = time.perf_counter()
    with ResultStore(path) as store:
        store.add(pop)
    ingest = time.perf_counter() - t0
    del pop
    t0 = time.perf_counter()
    with ResultStore(path, read_only=True) as store:
        stored = store.population(with_prob=False)  # neither the factor tables nor the taxonomy need probabilities
        t1 = time.perf_counter()
        tables = imagenetx_factor_metrics(stored)
        t2 = time.perf_counter()
        taxonomy = taxonomy_metrics(stored)["error_categories"]
        t3 = time.perf_counter()
        stored_rows = len(store.derived("error_categories"))
        sizes = store.connection.execute(
            "SELECT sum(octet_length(top1)), sum(coalesce(octet_length(prob), 0)), count(prob) FROM predictions"
        ).fetchall()[0]
    reanalysis = t3 - t0
    assert len(tables["summary"]) == n_models
    assert len(taxonomy) == 4 * n_models == stored_rows
    return {"models": n_models, "ingest_s": ingest, "reanalysis_s": reanalysis, "load_s": t1 - t0,
            "tables_s": t2 - t1, "taxonomy_s": t3 - t2,
            "store_mb": path.stat().st_size / 1e6, "top1_bytes_per_model": sizes[0] / n_models,
            "prob_bytes_per_model_with_prob": sizes[1] / max(sizes[2], 1), "models_with_prob": sizes[2],
            "peak_rss_mb": peak_rss_mb()}


def run_peer(n_models: int, workdir: Path) -> dict:
    """imagenet-x's own table pipeline (``generate_all_tables`` for val, without the metaclass tables and
    the human row): load the CSVs once, then for top and multi join the annotations and compute the three
    per-factor tables with their worst-100-classes column."""
    import pandas as pd
    from imagenet_x.aggregate import compute_factor_accuracies, worst_k_class_acc
    from imagenet_x.utils import augment_model_predictions, load_annotations, load_model_predictions

    from errorscope.constants import FACTORS
    from errorscope.resources.imagenetx import package_file
    from errorscope.results import to_published_layout
    from errorscope.results._layout import complete_factor_rows
    from errorscope.store.metrics import imagenetx_factor_metrics

    pop = synthetic_population(n_models)
    csv_dir = workdir / "peer_csv"
    csv_dir.mkdir(exist_ok=True)
    # imagenet-x requires the rows in the order of its filename_label.csv
    order = pd.read_csv(package_file("filename_label.csv"))["file_name"]
    pos = pop.index.positions(order)
    for i, m in enumerate(pop.models):
        pd.DataFrame({"file_name": order, "predicted_class": pop.top1[i][pos],
                      "predicted_probability": np.nan_to_num(pop.prob[i][pos], nan=0.5)}).to_csv(
            csv_dir / f"{m}.csv", index=False)
    columns = {"class": "is_correct", "metaclass": "is_metaclass_correct", "real_class": "is_correct_real"}
    t0 = time.perf_counter()
    preds, _ = load_model_predictions(str(csv_dir))
    peer = {}
    for which in ["top", "multi"]:
        ann = load_annotations(which_factor=which, partition="val", filter_prototypes=True)
        joined = augment_model_predictions(ann, preds)
        for error_type, col in columns.items():
            table = compute_factor_accuracies(joined, FACTORS, col)
            table["worst_100_classes"] = worst_k_class_acc(joined, k=100, error_type=col)
            peer[(which, error_type)] = table
    peer_s = time.perf_counter() - t0
    ours = imagenetx_factor_metrics(pop)
    diff = 0.0
    for (which, error_type), table in peer.items():
        w = ours["worst_classes"]
        w = w[(w["which"] == which) & (w["error_type"] == error_type)].set_index("model")["worst_100_classes"]
        mine = to_published_layout(complete_factor_rows(ours["factors"]), which=which, error_type=error_type, worst_classes=w)
        mine = mine.loc[table.index, table.columns]
        diff = max(diff, float(np.nanmax(np.abs(mine.to_numpy() - table.to_numpy()))))
    return {"peer_models": n_models, "peer_six_tables_s": peer_s, "max_abs_diff_vs_peer": diff}


def child(args) -> int:
    workdir = Path(args.workdir)
    out = run_peer(args.child, workdir) if args.peer else run_size(args.child, workdir)
    print("RESULT " + json.dumps(out))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 2500])
    ap.add_argument("--peer-models", type=int, default=20)
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--peer", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--workdir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args)
    results = []
    with tempfile.TemporaryDirectory(prefix="errorscope_bench_") as tmp:
        jobs = [(n, False) for n in args.sizes] + ([(args.peer_models, True)] if args.peer_models else [])
        for n, peer in jobs:
            cmd = [sys.executable, __file__, "--child", str(n), "--workdir", tmp] + (["--peer"] if peer else [])
            proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ)
            line = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
            if proc.returncode or not line:
                print(proc.stderr[-3000:], file=sys.stderr)
                return 1
            results.append(json.loads(line[0][7:]))
            print(json.dumps(results[-1]), flush=True)
    sizes = [r for r in results if "ingest_s" in r]
    peer = next((r for r in results if "peer_models" in r), None)
    print(f"\nload average (1, 5, 15 min) at the end: {os.getloadavg()}, {os.cpu_count()} CPUs")
    print(f"\n{'models':>7} {'ingest s':>9} {'load s':>7} {'tables s':>9} {'taxonomy s':>11} {'re-analysis s':>14} "
          f"{'store MB':>9} {'top1 B/model':>13} {'prob B/model':>13} {'peak RSS MB':>12}")
    for r in sizes:
        print(f"{r['models']:>7} {r['ingest_s']:>9.1f} {r['load_s']:>7.1f} {r['tables_s']:>9.1f} {r['taxonomy_s']:>11.1f} "
              f"{r['reanalysis_s']:>14.1f} {r['store_mb']:>9.1f} "
              f"{r['top1_bytes_per_model']:>13.0f} {r['prob_bytes_per_model_with_prob']:>13.0f} {r['peak_rss_mb']:>12.0f}")
    print("targets (issue): 2,500 models end to end < 60 s on 2 cores, peak < 2 GB. End to end = ingest: it "
          "computes the six tables and the taxonomy (default metric suite v2) and stores them; re-analysis = "
          "load + tables + taxonomy again from the store")
    if peer and sizes:
        peer_per_model = peer["peer_six_tables_s"] / peer["peer_models"]
        for r in sizes:
            ours_per_model = (r["load_s"] + r["tables_s"]) / r["models"]
            print(f"full re-analysis (six tables) at {r['models']} models: store {ours_per_model * 1000:.1f} ms/model, "
                  f"imagenet-x from CSV {peer_per_model * 1000:.0f} ms/model: {peer_per_model / ours_per_model:.0f}x")
        print(f"agreement with imagenet-x on {peer['peer_models']} models, six tables: "
              f"max |diff| = {peer['max_abs_diff_vs_peer']:.2e}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    sys.exit(main())
