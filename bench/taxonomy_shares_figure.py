"""Error-category shares against top-1 accuracy: our 19 real models next to the 962 published ETH models.

Our models (4 ImageNet-X CSVs + 15 Shavit CSVs of the data mirror) are classified with the ReaL labels (the
Shankar et al. file is not available here), without the CLIP step, with our own superclasses. The ETH points are
``stats-imagenet/non_problematic_stats_all.csv``. Shares are relative to the multi-label errors (top-1 errors
minus collapsed mappings minus multi-label correct), the ``relative_to_all_mle`` of the authors' plots.

    PYTHONPATH=src python bench/taxonomy_shares_figure.py [--out docs/figures/taxonomy_shares.png]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "taxonomy"))

SHARES = [("num_same_superclass", "fine-grained"), ("num_OOV_clip", "fine-grained OOV (CLIP)"),
          ("num_common_co_occ", "spurious correlation"), ("num_non_prototypical", "non-prototypical"),
          ("num_not_classified", "model failure")]


def shares(frame: pd.DataFrame) -> pd.DataFrame:
    mle = frame.num_all_top1_errors - frame.num_collapsed_mappings - frame.num_ambiguous
    out = pd.DataFrame({"top1": frame.top1_val_acc, "model": frame.model_dir_id})
    for col, name in SHARES:
        out[name] = 100 * frame[col] / mle
    out["multi-label + collapsed (% of top-1 errors)"] = (
        100 * (frame.num_collapsed_mappings + frame.num_ambiguous) / frame.num_all_top1_errors)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs/figures/taxonomy_shares.png")
    args = ap.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from errorscope.readers import read_population
    from errorscope.resources import resource_path
    from errorscope.taxonomy import classify
    from taxonomy_helpers import real_model_files

    ours_stats = classify(read_population(real_model_files()), "real").stats("all")
    eth_stats = pd.read_csv(resource_path("eth_error_analysis/stats-imagenet/non_problematic_stats_all.csv"))
    ours = shares(ours_stats)
    eth = shares(eth_stats)
    names = [n for _, n in SHARES] + ["multi-label + collapsed (% of top-1 errors)"]
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5), sharex=True)
    for ax, name in zip(axes.flat, names):
        ax.scatter(eth.top1, eth[name], s=6, alpha=0.35, color="tab:gray", label="ETH published (962, Shankar, CLIP)")
        ax.scatter(ours.top1, ours[name], s=22, color="tab:red", label="errorscope (19, ReaL, no CLIP)")
        ax.set_title(name, fontsize=10)
        ax.set_ylabel("% of multi-label errors" if "top-1" not in name else "%")
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("top-1 accuracy (%) on the 50,000 val images")
    axes[0, 0].legend(fontsize=8, loc="upper left")
    fig.suptitle("Error-category shares vs top-1 accuracy", fontsize=12)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")
    # the same comparison as numbers: ETH models in our accuracy range
    lo, hi = ours.top1.min(), ours.top1.max()
    band = eth[(eth.top1 >= lo) & (eth.top1 <= hi)]
    table = pd.DataFrame({"errorscope (median of 19)": ours[names].median(),
                          f"ETH, {len(band)} models with top-1 in [{lo:.1f}, {hi:.1f}] (median)": band[names].median(),
                          "ETH, all 962 (median)": eth[names].median()}).round(1)
    print(table.to_string())
    # the same architecture among the 962: a Shavit model ``topk_ids_<name>`` and ``timm--<name>.<tag>`` whose
    # top-1 accuracies agree within 0.05 points (different evaluation runs of the same weights)
    rows = []
    for _, o in ours_stats.iterrows():
        name = o.model_dir_id.removeprefix("topk_ids_")
        cands = eth_stats[eth_stats.model_dir_id.str.startswith(f"timm--{name}.")]
        cands = cands[(cands.top1_val_acc - o.top1_val_acc).abs() <= 0.05]
        if len(cands) == 1:
            e = cands.iloc[0]
            so, se = shares(o.to_frame().T).iloc[0], shares(e.to_frame().T).iloc[0]
            rows.append({"model": name, "eth_id": e.model_dir_id, "top1 ours/eth": f"{o.top1_val_acc:.2f}/{e.top1_val_acc:.2f}",
                         "mla_all ours/eth": f"{o.mla_all:.1f}/{e.mla_all:.1f}",
                         "fg % ours/eth": f"{so['fine-grained']:.1f}/{se['fine-grained']:.1f}",
                         "spurious %": f"{so['spurious correlation']:.1f}/{se['spurious correlation']:.1f}",
                         "failure %": f"{so['model failure']:.1f}/{se['model failure']:.1f}",
                         "OOV %": f"0/{se['fine-grained OOV (CLIP)']:.1f}"})
    if rows:
        print(pd.DataFrame(rows).to_string(index=False))
    print(f"correlation of model-failure share with top-1: errorscope "
          f"{np.corrcoef(ours.top1, ours['model failure'])[0, 1]:.2f}, ETH {np.corrcoef(eth.top1, eth['model failure'])[0, 1]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
