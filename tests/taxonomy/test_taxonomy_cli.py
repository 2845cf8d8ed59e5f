"""``errorscope taxonomy`` end to end on two real models."""

from __future__ import annotations

import json

import pandas as pd

from errorscope.cli.main import main
from errorscope.taxonomy.listing import parse_listing
from .taxonomy_helpers import DATA, ETH

FILES = [str(DATA / "imagenetx/model_predictions/base/DINO.csv"), str(DATA / "imagenetx/model_predictions/base/ViT.csv")]


def test_cli_writes_per_image_and_stats(tmp_path, capsys):
    assert main(["taxonomy", *FILES, "--labels", "real", "--out", str(tmp_path), "--expert-agreement"]) == 0
    agreement = pd.read_csv(tmp_path / "expert_agreement.csv")
    assert set(agreement.model) <= {"DINO", "ViT"} and len(agreement) > 0
    assert set(agreement.expert_model) == {"greedy_soups", "vit3b"}
    per_image = pd.read_parquet(tmp_path / "per_image.parquet")
    assert len(per_image) == 2 * 50000
    for col in ("model", "file_name", "target", "predicted_class", "category", "superclasses",
                "shared_superclass_labels", "cooccurring_labels", "label_source", "clip_step"):
        assert col in per_image.columns
    assert set(per_image.label_source) == {"real"} and set(per_image.clip_step) == {"skipped"}
    published = pd.read_csv(ETH / "stats-imagenet/non_problematic_stats_all.csv", nrows=1).columns
    for g in ("all", "organism", "artifact", "other"):
        st = pd.read_csv(tmp_path / f"stats_{g}.csv")
        assert list(st.columns[:28]) == [c for c in published if "imagenet-m" not in c]
        assert list(st.model_dir_id) == ["DINO", "ViT"]
        counts = per_image[(per_image.model == "DINO") & ~per_image.problematic]
        if g == "all":
            assert st.num_same_superclass[0] == (counts.category == "same_superclass").sum()
            assert st.num_group_correct[0] == (counts.category == "correct").sum()
    assert main(["taxonomy", *FILES, "--labels", "real", "--out", str(tmp_path / "e"), "--per-image", "errors"]) == 0
    errors = pd.read_parquet(tmp_path / "e/per_image.parquet")
    assert (errors.target != errors.predicted_class).all()
    assert len(errors) == (per_image.target != per_image.predicted_class).sum()
    meta = json.loads((tmp_path / "taxonomy.json").read_text())
    assert meta["label_source"] == "real" and meta["clip_step"] == "skipped"
    assert "CLIP OOV step: skipped" in capsys.readouterr().err


def test_cli_most_common(tmp_path, capsys):
    assert main(["taxonomy", *FILES, "--labels", "real", "--most-common", "fg", "--top", "20"]) == 0
    out = capsys.readouterr().out
    path = tmp_path / "l.txt"
    path.write_text(out)
    entries = parse_listing(path)
    assert 0 < len(entries) <= 20 and all(e.count <= 2 for e in entries)


def test_cli_errors(tmp_path, capsys):
    assert main(["taxonomy", *FILES, "--labels", "real"]) == 1
    assert "Nothing to do" in capsys.readouterr().err
    assert main(["taxonomy", *FILES, "--labels", "real", "--most-common", "nonsense"]) == 1
    assert "Unknown error category" in capsys.readouterr().err
    assert main(["taxonomy", *FILES, "--labels", "shankar", "--out", str(tmp_path)]) == 1
    assert "--labels real" in capsys.readouterr().err


def test_cli_count_spurious_pairs(capsys, real_population):
    from errorscope.taxonomy import categories as cat
    from errorscope.taxonomy import classify
    from errorscope.taxonomy.most_common import count_spurious_pairs

    assert main(["taxonomy", *FILES, "--labels", "real", "--count-spurious-pairs"]) == 0
    printed = int(capsys.readouterr().out.split()[0])
    res = classify(real_population.select(["DINO", "ViT"]), "real")
    pairs = set()
    kn = res.knowledge
    for m in range(2):
        for i in range(len(kn.labels)):
            if res.codes[m, i] == cat.BY_NAME["common_co_occurrences"].code and not kn.problematic[i]:
                p = int(res.preds[m, i])
                pairs |= {(min(c, p), max(c, p)) for c in kn.labels.label_set(i) if kn.cooccurrence.matrix[c, p]}
    assert printed == len(pairs) == len(count_spurious_pairs(res))


def test_cli_imagenet_a(tmp_path):
    import numpy as np

    from errorscope.datasets._index import class_info
    from errorscope.datasets import imagenet_a_classes

    wnids = class_info().wnids
    classes = imagenet_a_classes()
    root = tmp_path / "imagenet-a"
    names = []
    for i, c in enumerate(np.resize(classes, 400)):
        path = root / wnids[c] / f"{i:04d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
        names.append((f"{wnids[c]}/{i:04d}.jpg", int(c) if i % 3 else 0))
    preds = tmp_path / "model_a.csv"
    preds.write_text("file_name,predicted_class\n" + "\n".join(f"{n},{p}" for n, p in names) + "\n")
    assert main(["taxonomy", str(preds), "--imagenet-a", str(root), "--out", str(tmp_path / "out")]) == 0
    st = pd.read_csv(tmp_path / "out/stats_all.csv")
    assert st.num_all_samples[0] == 400 and st.num_group_correct[0] == sum(1 for i in range(400) if i % 3)
    assert st.num_ambiguous[0] == 0 and st.label_source[0] == "imagenet-a"
    assert "top1_val_acc_subset_200" in st.columns and "num_imagenet-m_errors" not in st.columns


def test_cli_pairs_source_is_named_and_derived_needs_held_out(tmp_path, capsys):
    import json

    import pandas as pd

    from errorscope.cli.main import main
    from errorscope.datasets import val_index

    preds = tmp_path / "m.csv"
    labels = val_index().labels.copy()
    labels[:100] = (labels[:100] + 1) % 1000
    pd.DataFrame({"file_name": val_index().file_names, "predicted_class": labels}).to_csv(preds, index=False)
    assert main(["taxonomy", str(preds), "--labels", "real", "--out", str(tmp_path / "a"), "--per-image", "errors"]) == 0
    meta = json.loads((tmp_path / "a" / "taxonomy.json").read_text())
    assert meta["cooccurrence_source"] == "published" and meta["cooccurrence_pairs"] == 1019
    assert "co-occurrence pairs: published: 1019 pairs" in capsys.readouterr().out
    assert pd.read_parquet(tmp_path / "a" / "per_image.parquet")["cooccurrence_source"].unique().tolist() == ["published"]
    assert main(["taxonomy", str(preds), "--labels", "real", "--out", str(tmp_path / "b"), "--pairs", "derived"]) == 1
    assert "--pairs-held-out" in capsys.readouterr().err
    held = tmp_path / "held.txt"
    held.write_text("\n".join(val_index().file_names[40000:]) + "\n")
    assert main(["taxonomy", str(preds), "--labels", "real", "--out", str(tmp_path / "b"), "--pairs", "derived",
                 "--pairs-held-out", str(held), "--per-image", "none"]) == 0
    st = pd.read_csv(tmp_path / "b" / "stats_all.csv")
    assert st["cooccurrence_source"][0] == "derived" and "10000 held-out images" in st["cooccurrence_pairs"][0]
    # the 10,000 held-out images are left out: fewer non-problematic images than the 42,164 of ReaL
    assert st["num_all_samples"][0] < 42164
