"""--ray: a local Ray cluster (2 CPUs) runs one task per model; failures are retried once, then recorded."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch", reason="the torch extra is not installed")
ray = pytest.importorskip("ray", reason="ray (errorscope[distributed]) is not installed")

from errorscope.inference import predict  # noqa: E402

SRC = str(Path(__file__).resolve().parents[2] / "src")
FAST = dict(batch_size=8, chunk_size=16, num_workers=0, progress=False)


@pytest.fixture(scope="module")
def local_cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": SRC,
                                       "ERRORSCOPE_DATA_DIR": os.environ.get("ERRORSCOPE_DATA_DIR", "")}})
    yield
    ray.shutdown()


def load(path: Path):
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


@pytest.mark.slow
def test_ray_sweep_matches_local_run(tmp_path, val_flat, local_cluster):
    import torch

    names = ["timm:test_vit", "timm:test_efficientnet", "timm:not_a_model"]
    torch.manual_seed(0)
    runs = predict(names, val_flat, tmp_path / "ray", pretrained=False, ray=True, **FAST)
    assert [r.status for r in runs] == ["ok", "ok", "failed"]
    assert {r.metadata["images"]["n_images"] for r in runs} == {24}
    failed = json.loads((tmp_path / "ray" / "timm__not_a_model.json").read_text())
    assert failed["status"] == "failed" and failed["attempts"] == 2 and "not_a_model" in failed["error"]

    # the same models run locally give the same predictions: the checkpoint pins the random weights
    import timm

    for name in names[:2]:
        arch = name.split(":")[1]
        stem = f"timm__{arch}"
        # rerun locally with the weights of a fresh seeded model, and on Ray in "return" mode with the same ones
        torch.manual_seed(5)
        torch.save(timm.create_model(arch).state_dict(), tmp_path / f"{arch}.pth")
        local = predict([name], val_flat, tmp_path / "local", checkpoint=tmp_path / f"{arch}.pth", **FAST)
        remote = predict([name], val_flat, tmp_path / "returned", checkpoint=tmp_path / f"{arch}.pth", ray=True,
                         ray_options={"mode": "return"}, **FAST)
        assert local[0].status == remote[0].status == "ok"
        a, b = load(tmp_path / "local" / f"{stem}.npz"), load(tmp_path / "returned" / f"{stem}.npz")
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])
        meta = json.loads((tmp_path / "returned" / f"{stem}.json").read_text())
        assert meta["ray"]["mode"] == "return" and meta["status"] == "ok"

    again = predict(names[:2], val_flat, tmp_path / "ray", pretrained=False, ray=True, **FAST)
    assert [r.status for r in again] == ["skipped", "skipped"]
