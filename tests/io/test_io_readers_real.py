"""Real prediction files of the data mirror, and copies of them in every supported format, read identically."""

from __future__ import annotations

import csv
import pickle
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from errorscope.datasets._index import class_info, val_index
from errorscope.readers import read_population, read_predictions, write_predictions
from errorscope.readers._pickle import imagefolder_order



#: top-1 over all 50,000 images of the ImageNet-X paper models (spec §3)
IMAGENETX_ACCURACY = {"ViT": 0.78006, "ResNet50": 0.76130, "SimCLR": 0.68142, "DINO": 0.76754}

def _reference_read(path, *, header: bool):
    """An independent, slow reader: the csv module and the numeric part of each file name."""
    top1 = np.full(50000, -1, dtype=np.int64)
    prob = np.full(50000, np.nan)
    with open(path, newline="") as fh:
        rows = csv.reader(fh)
        if header:
            next(rows)
        for row in rows:
            i = int(row[0].rsplit("/", 1)[-1][15:23]) - 1
            top1[i] = int(row[1])
            if header:
                prob[i] = float(row[2])
    return top1, prob


def _published_shavit(data_dir) -> dict[str, float]:
    text = (data_dir / "PROVENANCE.md").read_text()
    found = re.findall(r"\| `(topk_ids_[^`]+)\.csv` .*?timm model '[^']+' \((\d+\.\d+)% top-1", text)
    return {stem: float(acc) for stem, acc in found}


@pytest.mark.parametrize("model", sorted(IMAGENETX_ACCURACY))
def test_imagenetx_csv_matches_published_accuracy_and_reference(imagenetx_dir, model):
    pred = read_predictions(imagenetx_dir / f"{model}.csv")
    assert pred.model == model
    assert pred.n_covered == 50000
    assert pred.top1.dtype == np.int16 and pred.prob.dtype == np.float32
    assert int((pred.top1 == val_index().labels).sum()) == round(IMAGENETX_ACCURACY[model] * 50000)
    ref_top1, ref_prob = _reference_read(imagenetx_dir / f"{model}.csv", header=True)
    np.testing.assert_array_equal(pred.top1, ref_top1)
    np.testing.assert_allclose(pred.prob, ref_prob, rtol=1e-6)


def test_shavit_csvs_match_published_accuracies(data_dir, shavit_dir):
    published = _published_shavit(data_dir)
    assert len(published) == 15
    pop = read_population(shavit_dir)
    assert sorted(pop.models) == sorted(published)
    labels = val_index().labels
    for model, top1 in zip(pop.models, pop.top1):
        assert round(100 * float((top1 == labels).mean()), 2) == published[model], model
    ref, _ = _reference_read(shavit_dir / "topk_ids_vgg11.csv", header=False)
    np.testing.assert_array_equal(pop["topk_ids_vgg11"].top1, ref)


def test_population_matches_imagenet_x_package(imagenetx_dir):
    """The imagenet-x package's own loader gives the same top-1 accuracies (a peer implementation)."""
    from imagenet_x.utils import load_model_predictions

    frames, accs = load_model_predictions(str(imagenetx_dir))
    pop = read_population(imagenetx_dir)
    labels = val_index().labels
    for model, top1 in zip(pop.models, pop.top1):
        assert float((top1 == labels).mean()) == pytest.approx(accs[model], abs=1e-12)
        theirs = frames[model]["predicted_class"].reindex(val_index().file_names).to_numpy()
        np.testing.assert_array_equal(top1, theirs)


def test_shuffled_subset_imagenetx_csv_aligns(vit, imagenetx_dir, tmp_path):
    frame = pd.read_csv(imagenetx_dir / "ViT.csv")
    sub = frame.sample(n=20000, random_state=7)
    sub = sub[["predicted_probability", "file_name", "predicted_class"]]  # columns in another order too
    sub.to_csv(tmp_path / "ViT.csv", index=False)
    pred = read_predictions(tmp_path / "ViT.csv")
    pos = val_index().positions(sub["file_name"].to_numpy())
    covered = np.zeros(50000, bool)
    covered[pos] = True
    assert pred.n_covered == 20000
    np.testing.assert_array_equal(pred.covered, covered)
    np.testing.assert_array_equal(pred.top1[covered], vit.top1[covered])
    np.testing.assert_array_equal(pred.prob[covered], vit.prob[covered])
    assert (pred.top1[~covered] == -1).all() and np.isnan(pred.prob[~covered]).all()


def test_headerless_with_paths_shuffled_subset_aligns(shavit_dir, tmp_path):
    full = read_predictions(shavit_dir / "topk_ids_resnet50.csv")
    rows = pd.read_csv(shavit_dir / "topk_ids_resnet50.csv", header=None).sample(frac=0.5, random_state=3)
    wnids = class_info().wnids
    rows[0] = [f"val/{wnids[t]}/{n}" for n, t in zip(rows[0], rows[2])]
    rows.to_csv(tmp_path / "resnet50.csv", header=False, index=False)
    pred = read_predictions(tmp_path / "resnet50.csv")
    assert pred.n_covered == len(rows)
    assert pred.prob is None
    np.testing.assert_array_equal(pred.top1[pred.covered], full.top1[pred.covered])


def test_shavit_file_without_target_column(shavit_dir):
    pred = read_predictions(shavit_dir / "topk_ids_swin_base_patch4_window7_224.csv")
    assert pred.n_covered == 50000
    assert round(100 * pred.top1_accuracy(), 2) == 85.26


@pytest.mark.slow
def test_testbed_pickle_matches_csv_and_imagenet_x_package(vit, vit_logits, tmp_path):
    """Logits in ImageFolder order are mapped back to the canonical order; the imagenet-x package agrees."""
    order = imagefolder_order()
    folder_logits = vit_logits[order]  # row i of the pickle = image order[i]
    (tmp_path / "pk").mkdir()
    with open(tmp_path / "pk" / "vit.pickle", "wb") as fh:
        pickle.dump({"model": "vit_from_testbed", "logits": folder_logits}, fh, protocol=4)
    pred = read_predictions(tmp_path / "pk" / "vit.pickle")
    assert pred.model == "vit_from_testbed"
    np.testing.assert_array_equal(pred.top1, vit.top1)
    np.testing.assert_allclose(pred.prob, vit.prob, rtol=1e-5)
    assert pred.topk.shape == (50000, 5) and (pred.topk[:, 0] == pred.top1).all()

    from imagenet_x.utils import load_model_predictions

    frames, accs = load_model_predictions(str(tmp_path / "pk"))
    theirs = frames["vit_from_testbed"].reindex(val_index().file_names)
    np.testing.assert_array_equal(pred.top1, theirs["predicted_class"].to_numpy())
    np.testing.assert_allclose(pred.prob, theirs["predicted_probability"].to_numpy(), rtol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["npy-logits", "npy-probs", "npz-logits"])
def test_score_matrices_give_the_csv_predictions(vit, vit_logits, tmp_path, kind):
    if kind == "npy-probs":
        p = vit.prob.astype(np.float64)
        scores = np.repeat(((1 - p) / 999)[:, None], 1000, axis=1)
        scores[np.arange(50000), vit.top1] = p
        scores = scores.astype(np.float32)
    else:
        scores = vit_logits
    path = tmp_path / ("vit.npz" if kind.startswith("npz") else "vit.npy")
    if kind == "npz-logits":
        np.savez(path, logits=scores, model=np.array("ViT-npz"))
    else:
        np.save(path, scores)
    pred = read_predictions(path)
    assert pred.model == ("ViT-npz" if kind == "npz-logits" else "vit")
    np.testing.assert_array_equal(pred.top1, vit.top1)
    np.testing.assert_allclose(pred.prob, vit.prob, rtol=1e-5)


def test_npz_top1_prob_canonical_order(vit, tmp_path):
    np.savez(tmp_path / "v.npz", top1=vit.top1.astype(np.int64), prob=vit.prob)
    pred = read_predictions(tmp_path / "v.npz")
    np.testing.assert_array_equal(pred.top1, vit.top1)
    np.testing.assert_array_equal(pred.prob, vit.prob)


def test_npz_with_file_names_shuffled_subset_and_top5(vit, tmp_path):
    rng = np.random.default_rng(0)
    rows = rng.permutation(50000)[:30000]
    top5 = np.stack([vit.top1] + [(vit.top1 + s) % 1000 for s in range(1, 5)], axis=1)
    np.savez(tmp_path / "v.npz", top1=vit.top1[rows], top5=top5[rows], probs=vit.prob[rows],
             file_names=np.array([f"val/{n}" for n in val_index().file_names[rows]]))
    pred = read_predictions(tmp_path / "v.npz", model="renamed")
    assert pred.model == "renamed" and pred.n_covered == 30000
    np.testing.assert_array_equal(pred.top1[rows], vit.top1[rows])
    np.testing.assert_array_equal(pred.topk[rows], top5[rows])
    np.testing.assert_array_equal(pred.prob[rows], vit.prob[rows])
    assert (pred.topk[~pred.covered] == -1).all()


def test_parquet_with_top5_shuffled(vit, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = np.random.default_rng(1).permutation(50000)
    top5 = np.stack([vit.top1] + [(vit.top1 + s) % 1000 for s in range(1, 5)], axis=1)
    table = pa.table({"file_name": val_index().file_names[rows].astype(str), "predicted_class": vit.top1[rows],
                      "predicted_probability": vit.prob[rows], "top5": top5[rows].tolist(), "extra": rows})
    pq.write_table(table, tmp_path / "vit.parquet")
    pred = read_predictions(tmp_path / "vit.parquet")
    np.testing.assert_array_equal(pred.top1, vit.top1)
    np.testing.assert_array_equal(pred.prob, vit.prob)
    np.testing.assert_array_equal(pred.topk, top5)


@pytest.mark.parametrize("suffix", [".csv", ".npz", ".parquet"])
@pytest.mark.parametrize("subset", [False, True], ids=["all-images", "subset"])
def test_write_predictions_round_trip(vit, tmp_path, suffix, subset):
    from errorscope.predictions import Predictions

    top1, prob = vit.top1.copy(), vit.prob.copy()
    topk = np.stack([top1] + [(top1 + s) % 1000 for s in range(1, 5)], axis=1).astype(np.int16)
    if subset:
        drop = np.arange(0, 50000, 3)
        top1[drop], prob[drop], topk[drop] = -1, np.nan, -1
    pred = Predictions.from_arrays("ViT", top1, prob, topk)
    out = write_predictions(pred, tmp_path / f"ViT{suffix}")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    back = read_predictions(out)
    assert back.model == "ViT"
    np.testing.assert_array_equal(back.top1, pred.top1)
    np.testing.assert_allclose(back.prob, pred.prob, rtol=1e-7, equal_nan=True)
    if suffix == ".csv":
        assert back.topk is None
    else:
        np.testing.assert_array_equal(back.topk, pred.topk)


def test_mixed_format_population(vit, imagenetx_dir, tmp_path):
    write_predictions(vit.renamed("vit_copy"), tmp_path / "a.npz")
    (tmp_path / "ResNet50.csv").write_bytes((imagenetx_dir / "ResNet50.csv").read_bytes())
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    pop = read_population(tmp_path)
    assert pop.models == ["ResNet50", "vit_copy"]
    np.testing.assert_array_equal(pop["vit_copy"].top1, vit.top1)
    assert pop.top1.shape == (2, 50000) and pop.prob.shape == (2, 50000)


def test_csv_with_bom_crlf_and_spaces_reads_the_same(vit, imagenetx_dir, tmp_path):
    lines = (imagenetx_dir / "ViT.csv").read_text().splitlines()
    lines = [lines[0]] + [", ".join(line.split(",")) for line in lines[1:]]
    (tmp_path / "ViT.csv").write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")
    pred = read_predictions(tmp_path / "ViT.csv")
    np.testing.assert_array_equal(pred.top1, vit.top1)
    np.testing.assert_array_equal(pred.prob, vit.prob)


def test_pickle_needs_the_validation_index(tmp_path):
    from errorscope.exceptions import IngestError
    from errorscope.datasets._index import imagenetx_train_index

    with open(tmp_path / "m.pickle", "wb") as fh:
        pickle.dump({"model": "m", "logits": np.zeros((2, 1000), np.float32)}, fh)
    with pytest.raises(IngestError, match=r"cover the ImageNet validation set, not 'imagenetx-train'"):
        read_predictions(tmp_path / "m.pickle", index=imagenetx_train_index())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 50000), fmt=st.sampled_from(["csv", "headerless", "npz", "parquet"]))
def test_any_subset_in_any_order_in_any_format_aligns(vit, tmp_path, seed, n, fmt):
    """Property: rows of a file are placed by name, whatever subset and order, in every row-based format."""
    rows = np.random.default_rng(seed).permutation(50000)[:n]
    names = val_index().file_names[rows].astype(str)
    path = tmp_path / (f"m{seed}_{n}." + ("csv" if fmt in ("csv", "headerless") else fmt))
    if fmt == "csv":
        pd.DataFrame({"file_name": names, "predicted_class": vit.top1[rows]}).to_csv(path, index=False)
    elif fmt == "headerless":
        pd.DataFrame({0: names, 1: vit.top1[rows]}).to_csv(path, index=False, header=False)
    elif fmt == "npz":
        np.savez(path, top1=vit.top1[rows], file_names=names)
    else:
        pd.DataFrame({"file_name": names, "predicted_class": vit.top1[rows]}).to_parquet(path)
    pred = read_predictions(path)
    expected = np.full(50000, -1, np.int16)
    expected[rows] = vit.top1[rows]
    np.testing.assert_array_equal(pred.top1, expected)


def test_writer_rejects_empty_predictions(tmp_path):
    from errorscope.exceptions import InvalidInputError
    from errorscope.predictions import Predictions

    with pytest.raises(InvalidInputError, match=r"cover no image"):
        write_predictions(Predictions.from_arrays("none", np.full(50000, -1)), tmp_path / "x.csv")
    with pytest.raises(InvalidInputError, match=r"end in one of \('\.csv', '\.npz', '\.parquet'\)"):
        write_predictions(Predictions.from_arrays("m", np.zeros(50000, int)), tmp_path / "x.txt")
