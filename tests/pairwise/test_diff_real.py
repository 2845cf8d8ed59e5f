"""`errorscope diff` on two timm models of Shavit (2022) against an independent computation; the label-error sets."""

from __future__ import annotations

import csv
import json
import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from errorscope.cli.main import main
from errorscope.exceptions import PartialCoverageWarning

SHAVIT = "predictions/shavit_analysing_relations"
FACTOR_NAMES = ["multiple_objects", "background", "color", "brighter", "darker", "style", "larger", "smaller",
                "object_blocking", "person_blocking", "partial_view", "pattern", "pose", "shape", "subcategory",
                "texture"]


def read_csv_predictions(path) -> dict[str, tuple[int, int]]:
    with open(path, newline="") as fh:
        return {row[0]: (int(row[1]), int(row[2])) for row in csv.reader(fh)}


def independent(data_dir, a_name: str, b_name: str):
    a = read_csv_predictions(data_dir / SHAVIT / f"topk_ids_{a_name}.csv")
    b = read_csv_predictions(data_dir / SHAVIT / f"topk_ids_{b_name}.csv")
    files = sorted(set(a) & set(b))
    fixed = broken = agree = right_a = right_b = 0
    for f in files:
        ra = a[f][0] == a[f][1]
        rb = b[f][0] == b[f][1]
        right_a += ra
        right_b += rb
        agree += ra == rb
        fixed += (not ra) and rb
        broken += ra and not rb
    n = len(files)
    c_obs = agree / n
    p1, p2 = right_a / n, right_b / n
    c_exp = p1 * p2 + (1 - p1) * (1 - p2)
    kappa = (c_obs - c_exp) / (1 - c_exp)
    return a, b, n, fixed, broken, kappa


def factor_counts(a, b):
    """Per factor (ImageNet-X top-factor file, prototypes removed): fixed and broken, from the package's files."""
    import importlib.resources as ir

    root = ir.files("imagenet_x") / "annotations"
    protos = set(r["file_name"] for r in csv.DictReader(open(root / "prototypical_paths.csv")))
    out = {f: [0, 0, 0] for f in FACTOR_NAMES}
    for line in open(root / "imagenet_x_val_top_factor.jsonl"):
        row = json.loads(line)
        name = row["file_name"]
        if name in protos:
            continue
        ra = a[name][0] == a[name][1]
        rb = b[name][0] == b[name][1]
        for f in FACTOR_NAMES:
            if row[f]:
                out[f][0] += 1
                out[f][1] += (not ra) and rb
                out[f][2] += ra and not rb
    return out


def test_cli_diff_equals_independent_computation(data_dir, capsys, tmp_path):
    a, b, n, fixed, broken, kappa = independent(data_dir, "resnet50", "vit_small_patch16_224")
    code = main(["diff", str(data_dir / SHAVIT / "topk_ids_resnet50.csv"),
                 str(data_dir / SHAVIT / "topk_ids_vit_small_patch16_224.csv"), "--out", str(tmp_path / "d")])
    assert code == 0
    out = capsys.readouterr().out
    assert f"n = {n:,} images" in out
    assert f"kappa = {kappa:.4f}" in out
    assert f"fixed (A wrong, B right) = {fixed:,}" in out
    assert f"broken (A right, B wrong) = {broken:,}" in out
    # the per-factor table, row by row
    want = factor_counts(a, b)
    for f, (nf, fx, br) in want.items():
        line = next(l for l in out.splitlines() if re.match(rf"\s*{f}\s", l))
        cols = line.split()
        assert (int(cols[1]), int(cols[3]), int(cols[4])) == (nf, fx, br), f
    per_image = pd.read_parquet(tmp_path / "d" / "diff_per_image.parquet")
    assert len(per_image) == n
    assert (per_image["status"] == "fixed").sum() == fixed
    groups = pd.read_parquet(tmp_path / "d" / "diff_groups.parquet")
    overall = groups[groups.group_type == "overall"].iloc[0]
    k = min(fixed, broken)
    tail = sum(math.comb(fixed + broken, i) for i in range(k + 1)) / 2 ** (fixed + broken)
    assert overall.p_value == pytest.approx(min(1, 2 * tail), rel=1e-6)


def test_diff_partial_coverage_uses_common_images(data_dir):
    import errorscope
    from errorscope.readers import read_predictions

    pa = read_predictions(data_dir / SHAVIT / "topk_ids_convit_tiny.csv")
    pb = read_predictions(data_dir / SHAVIT / "topk_ids_deit_tiny_patch16_224.csv")
    top1 = pa.top1.copy()
    top1[:1000] = -1
    pa = type(pa).from_arrays("convit_tiny_part", top1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = errorscope.diff(pa, pb, taxonomy=False)
    assert any(issubclass(w.category, PartialCoverageWarning) for w in caught)
    assert r.n == 49_000
    t = pa.index.labels[1000:]
    ca, cb = pa.top1[1000:] == t, pb.top1[1000:] == t
    assert len(r.fixed) == int((~ca & cb).sum()) and len(r.broken) == int((ca & ~cb).sum())


def test_cleanlab_label_errors_count_from_file(data_dir):
    from errorscope.datasets import cleanlab_label_errors

    entries = json.load(open(data_dir / "cleanlab_label_errors" / "imagenet_mturk.json"))
    confirmed = {f"ILSVRC2012_val_{e['id']:08d}.JPEG" for e in entries if e["mturk"]["given"] < 3}
    assert len(confirmed) == 2916
    errs = cleanlab_label_errors()
    assert errs.n == 2916
    from errorscope.datasets import val_index

    flagged = set(np.asarray(val_index().file_names)[errs.mask])
    assert flagged == confirmed


def test_real_rejects_label_from_file():
    import importlib.resources as ir

    from errorscope.datasets import real_rejects_label

    root = ir.files("imagenet_x") / "annotations"
    sets = json.load(open(root / "imagenet_real_labels.jsonl"))
    labels = [0] * len(sets)
    for r in csv.DictReader(open(root / "filename_label.csv")):
        labels[int(r["file_name"][15:23]) - 1] = int(r["label"])
    want = [i for i, (s, t) in enumerate(zip(sets, labels)) if s and t not in s]
    got = np.flatnonzero(real_rejects_label())
    assert got.tolist() == want


def test_cli_diff_bad_inputs(data_dir, tmp_path, capsys):
    folder = data_dir / SHAVIT  # 15 prediction files: not one model
    good = str(data_dir / SHAVIT / "topk_ids_resnet50.csv")
    assert main(["diff", str(folder), good, "--no-taxonomy"]) == 1
    err = capsys.readouterr().err
    assert "15 models" in err and "expected one for model A" in err
    assert main(["diff", str(tmp_path / "missing.csv"), good]) == 1
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("ILSVRC2012_val_00000001.JPEG,notanumber,65\n")
    assert main(["diff", str(bad), good]) == 1
    assert "bad.csv" in capsys.readouterr().err
    (tmp_path / "afile").write_text("x")
    assert main(["diff", good, good, "--no-taxonomy", "--out", str(tmp_path / "afile")]) == 1
    assert "is a file" in capsys.readouterr().err
