"""errorscope.torch.ImageNetXMetric: fed the four real ImageNet-X prediction files batch by batch in shuffled order,
it yields the tables analyze() gives on the files (summary, tidy factors and the published-layout tables)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

MODELS = ("DINO", "ResNet50", "SimCLR", "ViT")


def _base() -> Path:
    return Path(os.environ["ERRORSCOPE_DATA_DIR"]) / "imagenetx" / "model_predictions" / "base"


@pytest.fixture(scope="module")
def files():
    from errorscope.readers import read_predictions

    return {m: read_predictions(_base() / f"{m}.csv") for m in MODELS}


@pytest.fixture(scope="module")
def reference(files):
    from errorscope.predictions import Population
    from errorscope.results import analyze

    return {m: analyze(Population.from_predictions([p])) for m, p in files.items()}


def _batches(n_images: int, seed: int, size: int = 4096):
    order = np.random.default_rng(seed).permutation(n_images)
    return [order[s:s + size] for s in range(0, n_images, size)]


def _logits(pred, rows):
    """Logits whose softmax has the file's top-1 class and top-1 probability (every other logit 0)."""
    p = pred.prob[rows].astype(np.float64)
    out = torch.zeros(len(rows), 1000)
    out[torch.arange(len(rows)), torch.as_tensor(pred.top1[rows].astype(np.int64))] = torch.as_tensor(
        np.log(999.0 * p / (1.0 - p)), dtype=torch.float32)
    return out


def _assert_same(got, ref, *, exact_prob=True, skip=()):
    cols = [c for c in ref.summary.columns if c not in ("ece",) + tuple(skip)]
    pd.testing.assert_frame_equal(got.summary[cols], ref.summary[cols])
    np.testing.assert_allclose(got.summary["ece"], ref.summary["ece"], rtol=0 if exact_prob else 1e-4, atol=1e-7)
    pd.testing.assert_frame_equal(got.factors, ref.factors)
    assert got.tables.keys() == ref.tables.keys()
    for key in ref.tables:
        for a, b in zip(got.tables[key], ref.tables[key]):
            pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("model", MODELS)
def test_class_ids_by_file_name_equal_analyze(files, reference, model):
    from errorscope.torch import ImageNetXMetric

    pred = files[model]
    metric = ImageNetXMetric(model)
    for rows in _batches(50000, seed=MODELS.index(model)):
        metric.update(torch.as_tensor(pred.top1[rows].astype(np.int64)), list(pred.index.file_names[rows]),
                      prob=torch.as_tensor(pred.prob[rows]))
    got = metric.compute()
    _assert_same(got, reference[model])
    assert got.summary.loc[model, "n_covered"] == 50000


def test_logits_by_index_equal_analyze(files, reference):
    """Logits and image positions; the top-5 the logits imply is kept (top-1 of every row matches the file)."""
    from errorscope.torch import ImageNetXMetric

    pred = files["ViT"]
    metric = ImageNetXMetric("ViT")
    for rows in _batches(50000, seed=11, size=2500):
        metric.update(_logits(pred, rows), torch.as_tensor(rows))
    got = metric.compute()
    ref = reference["ViT"]
    assert got.summary.loc["ViT", "top1"] == ref.summary.loc["ViT", "top1"] == 0.78006
    # the other 999 logits tie at 0 and ties go to the lower class id: ranks 2..5 are the four lowest classes
    # other than the top-1, i.e. 0..4 without the top-1 when it is one of them, else 0..3
    labels, top1 = pred.index.labels, pred.top1
    in_rest = np.where(top1 < 5, labels < 5, labels < 4) & (labels != top1)
    extra = (top1 != labels) & in_rest
    assert got.summary.loc["ViT", "top5"] == pytest.approx(0.78006 + extra.mean(), abs=1e-12)
    _assert_same(got, ref, exact_prob=False, skip=("top5",))


def test_partial_coverage_and_reset(files):
    """Half the images seen: n_covered says so and top-1 is over those images only; reset() forgets them."""
    from errorscope.torch import ImageNetXMetric

    pred = files["ResNet50"]
    rows = np.arange(0, 50000, 2)
    metric = ImageNetXMetric("r")
    metric.update(torch.as_tensor(pred.top1[rows].astype(np.int64)), torch.as_tensor(rows))
    got = metric.compute().summary.loc["r"]
    assert got["n_covered"] == 25000
    assert got["top1"] == pytest.approx((pred.top1[rows] == pred.index.labels[rows]).mean(), abs=1e-12)
    assert np.isnan(got["top5"])
    metric.reset()
    with pytest.raises(Exception, match="no image seen"):
        metric.compute()


def test_bad_inputs_are_named():
    from errorscope.exceptions import InvalidInputError
    from errorscope.torch import ImageNetXMetric

    metric = ImageNetXMetric()
    with pytest.raises(InvalidInputError, match="Unknown image 'cat.jpg'"):
        metric.update(torch.tensor([1]), ["cat.jpg"])
    with pytest.raises(InvalidInputError, match=r"positions in 0..49999, but got 50000"):
        metric.update(torch.tensor([1]), torch.tensor([50000]))
    with pytest.raises(InvalidInputError, match=r"class ids in 0..999"):
        metric.update(torch.tensor([1000]), torch.tensor([0]))
    with pytest.raises(InvalidInputError, match=r"float scores of shape \(n, 1000\)"):
        metric.update(torch.zeros(1, 1001), torch.tensor([0]))


def test_without_torchmetrics_the_plain_class_gives_the_same(files, reference, monkeypatch):
    from errorscope.torch import _metric

    monkeypatch.setitem(sys.modules, "torchmetrics", None)
    _metric.metric_class.cache_clear()
    try:
        cls = _metric.metric_class()
        assert "torchmetrics" not in str(cls.__mro__)
        pred = files["SimCLR"]
        metric = cls("SimCLR")
        for rows in _batches(50000, seed=5):
            metric.update(torch.as_tensor(pred.top1[rows].astype(np.int64)), torch.as_tensor(rows),
                          prob=torch.as_tensor(pred.prob[rows]))
        _assert_same(metric.compute(), reference["SimCLR"])
    finally:
        _metric.metric_class.cache_clear()


def _rank(rank: int, world: int, port: int, plain: bool, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.distributed.init_process_group("gloo", rank=rank, world_size=world)
    try:
        from errorscope.readers import read_predictions
        from errorscope.torch import _metric

        if plain:
            sys.modules["torchmetrics"] = None  # type: ignore[assignment]
        metric = _metric.metric_class()("DINO")
        pred = read_predictions(_base() / "DINO.csv")
        # DistributedSampler-like split of a shuffled order, with the padding duplicates it adds
        order = np.random.default_rng(3).permutation(50000)
        mine = np.concatenate([order, order[:2]])[rank::world]
        for s in range(0, len(mine), 5000):
            rows = mine[s:s + 5000]
            metric.update(torch.as_tensor(pred.top1[rows].astype(np.int64)), list(pred.index.file_names[rows]),
                          prob=torch.as_tensor(pred.prob[rows]))
        metric.compute().summary.to_pickle(f"{out}.{rank}")
    finally:
        torch.distributed.destroy_process_group()


@pytest.mark.parametrize("plain", [False, True], ids=["torchmetrics", "torch.distributed"])
def test_distributed_sync_two_processes(tmp_path, reference, plain):
    """Two gloo processes each see half the images; compute() on every rank gives the full analysis."""
    import socket

    import torch.multiprocessing as mp

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = str(tmp_path / "summary")
    mp.spawn(_rank, args=(2, port, plain, out), nprocs=2, join=True)
    ref = reference["DINO"].summary
    for rank in range(2):
        pd.testing.assert_frame_equal(pd.read_pickle(f"{out}.{rank}"), ref)
