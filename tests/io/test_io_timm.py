"""timm's inference.py outputs: each format and option, on files written the way timm's script writes them.

``_timm_frame`` rebuilds the table of timm's ``inference.py`` (a file-name column, then ``index``, ``label`` and
``prob``/``logit``, one vector per cell, or one column per rank with ``--results-separate-col``) and
``_save`` writes it the way its ``save_results`` does (``to_csv(index=False)``, ``set_index(...).to_json(
orient="index", indent=4)``, ``to_json(orient="split", index=False, indent=4)``, ``set_index(...).to_parquet()``),
with NumPy's print threshold lifted as the script does. The expected values come from an independent stable
argsort of the same scores.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from errorscope.exceptions import IngestError
from errorscope.readers import read_population, read_predictions


def _scores(n: int = 3000, seed: int = 0):
    """Random logits for a shuffled subset of validation images with ImageFolder paths (``wnid/file``)."""
    from errorscope.datasets import class_info, val_index

    rng = np.random.default_rng(seed)
    index = val_index()
    rows = rng.choice(len(index), size=n, replace=False)
    logits = rng.standard_normal((n, 1000)).astype(np.float32) * 3
    wnids = class_info().wnids
    full = np.array([f"{wnids[index.labels[r]]}/{index.file_names[r]}" for r in rows], dtype=object)
    return rows, logits, full


def _reference(logits: np.ndarray, k: int):
    e = np.exp(logits.astype(np.float64) - logits.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(probs, order, axis=1)


def _timm_frame(names, logits, *, topk=5, include_index=True, label_type="name", separate=False,
                output_type="prob", filename_col="filename"):
    """The table timm's inference.py builds (data_dict -> DataFrame). timm's default --label-type is
    "description"; "name" (wnids) is the default here so that only the description tests need timm."""
    from errorscope.datasets import class_info

    order, probs = _reference(logits, max(topk, 1))
    outputs = (probs if output_type == "prob" else np.take_along_axis(logits, order, axis=1)).astype(np.float32)
    if topk == 0:
        e = np.exp(logits.astype(np.float64) - logits.max(axis=1, keepdims=True))
        outputs = (e / e.sum(axis=1, keepdims=True)).astype(np.float32) if output_type == "prob" else logits
    labels = None
    if label_type == "name":
        labels = np.asarray(class_info().wnids, dtype=object)[order]
    elif label_type in ("description", "detailed"):
        timm_data = pytest.importorskip("timm.data")
        info = timm_data.ImageNetInfo()
        labels = np.vectorize(lambda i: info.index_to_description(int(i), detailed=label_type == "detailed"),
                              otypes=[object])(order)
    indices = order if include_index and topk else None
    if not topk:
        labels = None
    out_col = output_type
    data = {filename_col: list(names)}
    if separate and outputs.shape[-1] > 1:
        if indices is not None:
            for i in range(indices.shape[-1]):
                data[f"index_{i}"] = indices[:, i]
        if labels is not None:
            for i in range(labels.shape[-1]):
                data[f"label_{i}"] = labels[:, i]
        for i in range(outputs.shape[-1]):
            data[f"{out_col}_{i}"] = outputs[:, i]
    else:
        if indices is not None:
            data["index"] = list(indices.squeeze(-1) if indices.shape[-1] == 1 else indices)
        if labels is not None:
            data["label"] = list(labels.squeeze(-1) if labels.shape[-1] == 1 else labels)
        data[out_col] = list(outputs.squeeze(-1) if outputs.shape[-1] == 1 else outputs)
    return pd.DataFrame(data=data)


def _save(df: pd.DataFrame, stem, fmt: str, filename_col="filename"):
    """timm's save_results."""
    ext = {"json": ".json", "json-split": ".json", "parquet": ".parquet", "csv": ".csv"}[fmt]
    path = stem.with_name(stem.name + ext)
    with np.printoptions(threshold=sys.maxsize):
        if fmt == "parquet":
            df.set_index(filename_col).to_parquet(path)
        elif fmt == "json":
            df.set_index(filename_col).to_json(path, indent=4, orient="index")
        elif fmt == "json-split":
            df.to_json(path, indent=4, orient="split", index=False)
        else:
            df.to_csv(path, index=False)
    return path


def _check(pred, rows, logits, k, *, prob=True):
    order, probs = _reference(logits, max(k, 1))
    assert pred.n_covered == len(rows)
    np.testing.assert_array_equal(pred.top1[rows], order[:, 0])
    assert (pred.top1[np.setdiff1d(np.arange(50000), rows)] == -1).all()
    if k > 1:
        np.testing.assert_array_equal(pred.topk[rows], order)
    else:
        assert pred.topk is None
    if prob:
        np.testing.assert_allclose(pred.prob[rows], probs[:, 0], rtol=1e-5)
    else:
        assert pred.prob is None


FORMATS = ["csv", "json", "json-split", "parquet"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("separate", [False, True])
def test_timm_topk5_index_prob(tmp_path, fmt, separate):
    rows, logits, full = _scores()
    df = _timm_frame([n.rsplit("/", 1)[-1] for n in full], logits, topk=5, separate=separate)
    path = _save(df, tmp_path / "resnet50-224", fmt)
    pred = read_predictions(path)
    assert pred.model == "resnet50-224"
    _check(pred, rows, logits, 5)


@pytest.mark.parametrize("fmt", FORMATS)
def test_timm_fullname_top1_logits(tmp_path, fmt):
    """--fullname (ImageFolder paths), --topk 1 (one value per cell), --output-type logit (no probability)."""
    rows, logits, full = _scores(seed=1)
    df = _timm_frame(full, logits, topk=1, output_type="logit", label_type="none")
    path = _save(df, tmp_path / "vit", fmt)
    _check(read_predictions(path), rows, logits, 1, prob=False)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("label_type", ["name", "description", "detailed"])
def test_timm_labels_without_index(tmp_path, fmt, label_type):
    """Without --include-index the class comes from the label column (wnids, or timm's descriptions)."""
    rows, logits, full = _scores(n=800, seed=2)
    order, _ = _reference(logits, 3)
    keep = ~np.isin(order, [134, 517]).any(axis=1)  # 'crane' names two classes: tested below
    rows, logits, full = rows[keep], logits[keep], full[keep]
    df = _timm_frame(full, logits, topk=3, include_index=False, label_type=label_type)
    _check(read_predictions(_save(df, tmp_path / "m", fmt)), rows, logits, 3)


def test_timm_ambiguous_description_is_refused(tmp_path):
    rows, logits, full = _scores(n=50, seed=3)
    logits[7, 134] = 100.0  # image 8's top class is crane (the bird), whose description is also class 517's
    df = _timm_frame(full, logits, topk=1, include_index=False, label_type="description")
    with pytest.raises(IngestError, match=r"row 9, column 'label'.*'crane' is the name of two classes"):
        read_predictions(_save(df, tmp_path / "m", "csv"))


@pytest.mark.parametrize("fmt", ["csv", "parquet", "json"])
def test_timm_topk0_full_output(tmp_path, fmt):
    """--topk 0 writes the 1000-way probabilities: the reader takes the top-5 from them."""
    rows, logits, full = _scores(n=300, seed=4)
    df = _timm_frame(full, logits, topk=0)
    _check(read_predictions(_save(df, tmp_path / "m", fmt)), rows, logits, 5)


def test_timm_json_record_writes_csv_text(tmp_path):
    """--results-format json-record makes timm's save_results fall through to to_csv into a '.json' file."""
    rows, logits, full = _scores(n=500, seed=5)
    df = _timm_frame(full, logits, topk=5)
    path = tmp_path / "m.json"
    with np.printoptions(threshold=sys.maxsize):
        df.to_csv(path, index=False)
    _check(read_predictions(path), rows, logits, 5)


def test_timm_full_validation_set_equals_imagenetx_csv(tmp_path, vit):
    """All 50,000 images in timm's default CSV layout (filename,index,label,prob, --topk 1) give ViT's numbers."""
    order = np.random.default_rng(6).permutation(50000)
    df = pd.DataFrame({"filename": list(vit.index.file_names[order]), "index": list(vit.top1[order].astype(np.int64)),
                       "label": ["x"] * 50000, "prob": list(vit.prob[order])})
    df.to_csv(tmp_path / "ViT.csv", index=False)
    pred = read_predictions(tmp_path / "ViT.csv")
    np.testing.assert_array_equal(pred.top1, vit.top1)
    np.testing.assert_allclose(pred.prob, vit.prob, rtol=1e-6)
    assert round(pred.top1_accuracy(), 5) == 0.78006


def test_old_topk_ids_csv(tmp_path, vit):
    """timm's older inference.py: topk_ids.csv, no header, 'file,id0,id1,id2,id3,id4' per row."""
    rows, logits, _ = _scores(n=2000, seed=7)
    order, _ = _reference(logits, 5)
    lines = [f"{vit.index.file_names[r]},{','.join(str(int(c)) for c in o)}\n" for r, o in zip(rows, order)]
    (tmp_path / "topk_ids.csv").write_text("".join(lines))
    _check(read_predictions(tmp_path / "topk_ids.csv"), rows, logits, 5, prob=False)


def test_shavit_topk_ids_files_still_read_as_file_top1_target(shavit_dir):
    """The Shavit files named topk_ids_* hold 'file,top1,target' rows: the headerless reader keeps them."""
    pop = read_population(shavit_dir)
    assert pop.top1.shape == (15, 50000) and pop.topk is None
    # first row of topk_ids_densenet121.csv: ILSVRC2012_val_00000293.JPEG,395,0
    assert pop.top1[pop.models.index("topk_ids_densenet121"), 292] == 395


def test_timm_csv_and_json_side_by_side_form_one_model(tmp_path):
    """--results-format csv json writes two files with one stem: a directory of them is one model per stem."""
    rows, logits, full = _scores(n=400, seed=8)
    df = _timm_frame(full, logits, topk=5)
    _save(df, tmp_path / "m", "csv")
    _save(df, tmp_path / "m", "json")
    pop = read_population(tmp_path)
    assert pop.models == ["m"]
    _check(pop["m"], rows, logits, 5, prob=True)


def test_imagenetx_csv_with_topk_columns(tmp_path, vit):
    """An ImageNet-X CSV with extra top-k columns carries top-5: separate top1..top5 columns, or one top5 cell."""
    rows, logits, _ = _scores(n=1500, seed=9)
    order, probs = _reference(logits, 5)
    names = vit.index.file_names[rows]
    sep = pd.DataFrame({"file_name": names, "predicted_class": order[:, 0], "predicted_probability": probs[:, 0],
                        **{f"top{i + 1}": order[:, i] for i in range(5)}})
    sep.to_csv(tmp_path / "sep.csv", index=False)
    one = sep.iloc[:, :3].assign(top5=[" ".join(map(str, o)) for o in order])
    one.to_csv(tmp_path / "one.csv", index=False)
    for name in ("sep.csv", "one.csv"):
        _check(read_predictions(tmp_path / name), rows, logits, 5)
    bad = one.copy()
    bad.loc[4, "top5"] = "1 2 3"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(IngestError, match=r"row 6, column 'top5'"):
        read_predictions(tmp_path / "bad.csv")


@pytest.mark.parametrize("mutate, match", [
    (lambda df: df.drop(columns=["index"]), r"no class ids"),
    (lambda df: df.assign(index=list(df["index"][:1]) + [np.array([1, 2])] + list(df["index"][2:])),
     r"row 3, column 'index'.*expected 5"),
    (lambda df: df.rename(columns={"filename": "img"}), r"no file-name column"),
])
def test_timm_bad_files_name_the_problem(tmp_path, mutate, match):
    rows, logits, full = _scores(n=100, seed=10)
    df = mutate(_timm_frame(full, logits, topk=5, label_type="none"))
    path = tmp_path / "m.csv"
    with np.printoptions(threshold=sys.maxsize):
        df.to_csv(path, index=False)
    with pytest.raises(IngestError, match=match):
        read_predictions(path)
