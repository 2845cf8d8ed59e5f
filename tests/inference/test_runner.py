"""predict() end to end: random-weight timm / torchvision / user models over generated folders, read back
through the readers and compared with a plain, independent inference loop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the torch extra is not installed")
timm = pytest.importorskip("timm", reason="the torch extra is not installed")
tv = pytest.importorskip("torchvision", reason="the torch extra is not installed")
from PIL import Image  # noqa: E402

from ._inference_helpers import TinyNet  # noqa: E402
from errorscope.datasets._index import val_index
from errorscope.inference import PredictOptions, load_prediction_file, predict, read_metadata  # noqa: E402
from errorscope.inference.images import image_set  # noqa: E402
from errorscope.inference.models import resolve_model_names  # noqa: E402

FAST = dict(batch_size=5, chunk_size=8, num_workers=0, progress=False)
SRC = str(Path(__file__).resolve().parents[2] / "src")


def reference_scores(model, transform, root: Path, files) -> np.ndarray:
    """A plain inference loop, one image at a time: PIL -> transform -> model -> logits."""
    model.eval()
    rows = []
    with torch.inference_mode():
        for f in files:
            with Image.open(root / f) as img:
                x = transform(img.convert("RGB"))[None]
            rows.append(model(x)[0].float().numpy())
    return np.stack(rows)


def top5_and_probs(logits: np.ndarray):
    z = logits - logits.max(1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    order = np.argsort(-p, axis=1, kind="stable")[:, :5]
    return order, np.take_along_axis(p, order, 1)


def load(out: Path, stem: str):
    with np.load(out / f"{stem}.npz") as z:
        return {k: z[k] for k in z.files}


def test_timm_and_torchvision_random_weights_match_plain_loop(tmp_path, val_flat):
    torch.manual_seed(0)
    runs = predict(["timm:test_resnet"], val_flat, tmp_path, pretrained=False, **FAST)
    torch.manual_seed(1)  # squeezenet: random torchvision weights whose logits differ between images
    runs += predict(["torchvision:squeezenet1_1"], val_flat, tmp_path, pretrained=False, **FAST)
    assert [r.status for r in runs] == ["ok", "ok"]
    files = image_set(val_flat).files

    torch.manual_seed(0)
    ref_timm = timm.create_model("test_resnet", pretrained=False)
    tf = timm.data.create_transform(**timm.data.resolve_data_config({}, model=ref_timm))
    torch.manual_seed(1)
    ref_tv = tv.models.squeezenet1_1(weights=None)
    tf_tv = tv.models.SqueezeNet1_1_Weights.DEFAULT.transforms()
    for stem, model, transform in [("timm__test_resnet", ref_timm, tf), ("torchvision__squeezenet1_1", ref_tv, tf_tv)]:
        got = load(tmp_path, stem)
        order, probs = top5_and_probs(reference_scores(model, transform, val_flat, files))
        assert got["file_names"].tolist() == list(files)
        np.testing.assert_array_equal(got["top5"], order)
        np.testing.assert_array_equal(got["top1"], order[:, 0])
        np.testing.assert_allclose(got["probs"], probs, rtol=1e-4, atol=1e-6)
        assert got["top1"].dtype == np.int16 and got["probs"].dtype == np.float32 and "logits" not in got

        # the core readers' view: Predictions aligned to the 50,000-image validation index
        preds = load_prediction_file(tmp_path / f"{stem}.npz")
        pos = val_index().positions(files)
        assert preds.model == ("timm:test_resnet" if stem.startswith("timm") else "torchvision:squeezenet1_1")
        assert preds.n_covered == len(files)
        np.testing.assert_array_equal(preds.top1[pos], order[:, 0])
        np.testing.assert_allclose(preds.prob[pos], probs[:, 0], rtol=1e-4)
        np.testing.assert_array_equal(preds.topk[pos], order)

    meta = read_metadata(tmp_path / "timm__test_resnet.npz")
    assert meta["status"] == "ok" and meta["model"] == "timm:test_resnet" and meta["source"] == "timm"
    assert meta["n_params"] == sum(p.numel() for p in ref_timm.parameters())
    assert meta["preprocessing"]["input_size"] == [3, 160, 160] and meta["preprocessing"]["crop_pct"] == 0.95
    # which data config ran is recorded (test_resnet has no test size: the test config equals the train one)
    assert meta["eval_size"] == "test" and meta["preprocessing"]["data_config"] == "timm-test"
    assert read_metadata(tmp_path / "torchvision__squeezenet1_1.npz")["preprocessing"]["data_config"] == "torchvision-weights"
    assert meta["n_images"] == len(files) and meta["images"]["layout"] == "val-flat"
    assert meta["images_per_s"] > 0 and meta["wall_time_s"] >= meta["inference_time_s"] > 0
    assert {"torch", "torchvision", "timm", "numpy", "python", "errorscope"} <= set(meta["versions"])
    labels = val_index().labels[val_index().positions(files)]
    assert meta["top1_val_acc"] == pytest.approx(100 * float((load(tmp_path, "timm__test_resnet")["top1"] == labels).mean()))


def test_output_folder_reads_back_as_a_population(tmp_path, val_flat, tiny_net, small_prep):
    """`read_population(OUT)` takes the .npz files (skipping the .json records and the hidden .partial folder);
    the aligned arrays equal the raw arrays of the archive, placed by file name here with a plain loop."""
    from errorscope.readers import read_population

    predict({"tiny": tiny_net}, val_flat, tmp_path, preprocessing=small_prep, **FAST)
    assert (tmp_path / "tiny.json").is_file()
    pop = read_population(tmp_path)
    assert pop.models == ["tiny"]
    raw = np.load(tmp_path / "tiny.npz")
    idx = val_index()
    for name, top1, top5, probs in zip(raw["file_names"], raw["top1"], raw["top5"], raw["probs"]):
        pos = int(str(name)[-13:-5]) - 1
        assert idx.file_names[pos] == str(name)
        assert pop.top1[0, pos] == top1 and (pop.topk[0, pos] == top5).all()
        assert pop.prob[0, pos] == pytest.approx(probs[0])
    assert (pop.top1[0] >= 0).sum() == len(raw["top1"])
    b = load_prediction_file(tmp_path / "tiny.npz")
    np.testing.assert_array_equal(pop.top1[0], b.top1)


def test_user_module_keep_logits(tmp_path, val_imagefolder, tiny_net, small_prep):
    runs = predict({"my/tiny": tiny_net}, val_imagefolder, tmp_path, preprocessing=small_prep, keep_logits=True,
                   **FAST)
    assert runs[0].status == "ok" and runs[0].prediction_file == tmp_path / "my_tiny.npz"
    got = load(tmp_path, "my_tiny")
    files = image_set(val_imagefolder).files
    ref = reference_scores(TinyNet(), small_prep.transform(), val_imagefolder, files)
    np.testing.assert_allclose(got["logits"], ref, rtol=1e-4, atol=1e-4)
    assert got["file_names"].tolist() == [f.split("/")[1] for f in files]
    meta = json.loads((tmp_path / "my_tiny.json").read_text())
    assert meta["source"] == "user" and meta["arch"] == "TinyNet" and meta["images"]["layout"] == "imagefolder"


def test_imagenet_a_subset_top1(tmp_path, imagenet_a, tiny_net, small_prep):
    runs = predict({"tiny": tiny_net}, imagenet_a, tmp_path, preprocessing=small_prep, keep_logits=True, **FAST)
    got = load(tmp_path, "tiny")
    s = image_set(imagenet_a)
    subset = s.subset.astype(int)
    # the 200-way argmax over the subset columns (ascending wnid order), as a 1,000-class id
    expect = subset[np.argmax(got["logits"][:, subset], axis=1)]
    np.testing.assert_array_equal(got["top1_subset"], expect)
    np.testing.assert_array_equal(got["top1"], np.argmax(got["logits"], axis=1))
    np.testing.assert_array_equal(got["labels"], s.labels)
    meta = runs[0].metadata
    assert meta["images"]["index"] == "imagenet-a"
    assert meta["top1_val_acc_subset_200"] == pytest.approx(100 * float((expect == s.labels).mean()))
    assert meta["top1_val_acc_subset_200"] >= meta["top1_val_acc"]
    preds = load_prediction_file(tmp_path / "tiny.npz")
    assert preds.index.name == "imagenet-a" and len(preds.index) == 12
    assert preds.top1_accuracy() * 100 == pytest.approx(meta["top1_val_acc"])
    assert (load_prediction_file(tmp_path / "tiny.npz", subset=True).top1 == expect[preds.index.positions(got["file_names"])]).all()


def test_imagenetx_train(tmp_path, imagenetx_train, tiny_net, small_prep):
    root, names = imagenetx_train
    predict({"tiny": tiny_net}, root, tmp_path, preprocessing=small_prep, **FAST)
    preds = load_prediction_file(tmp_path / "tiny.npz")
    assert preds.index.name == "imagenetx-train" and preds.n_covered == 8
    assert set(preds.index.file_names[preds.covered]) == set(names)


def test_resume_after_failure_gives_identical_output(tmp_path, val_flat, small_prep):
    """A model that dies after 3 batches is recorded as failed; the rerun runs only the missing chunks."""

    class Dies(TinyNet):
        def forward(self, x):
            if self.calls >= 3:
                raise RuntimeError("simulated crash")
            return super().forward(x)

    clean = tmp_path / "clean"
    predict({"tiny": TinyNet()}, val_flat, clean, preprocessing=small_prep, **FAST)

    out = tmp_path / "resumed"
    runs = predict({"tiny": Dies()}, val_flat, out, preprocessing=small_prep, **FAST)
    assert runs[0].status == "failed" and "simulated crash" in runs[0].error
    record = json.loads((out / "tiny.json").read_text())
    assert record["status"] == "failed" and record["error_type"] == "RuntimeError" and "Traceback" in record["traceback"]
    assert not (out / "tiny.npz").exists()
    # 24 images, chunks of 8, batches of 5: batches 1-2 fill chunk 0 (5 + 3 images), batch 3 dies in chunk 1
    assert sorted(p.name for p in (out / ".partial" / "tiny").glob("chunk_*.npz")) == ["chunk_00000.npz"]

    net = TinyNet()
    runs = predict({"tiny": net}, val_flat, out, preprocessing=small_prep, **FAST)
    assert runs[0].status == "ok" and runs[0].metadata["resumed_chunks"] == 1
    assert net.calls == 4  # chunks 1 and 2: 2 batches each
    a, b = load(clean, "tiny"), load(out, "tiny")
    assert sorted(a) == sorted(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert not (out / ".partial").exists()

    again = predict({"tiny": net}, val_flat, out, preprocessing=small_prep, **FAST)
    assert again[0].status == "skipped" and net.calls == 4
    forced = predict({"tiny": net}, val_flat, out, preprocessing=small_prep, resume=False, **FAST)
    assert forced[0].status == "ok" and net.calls == 4 + 6


def test_killed_process_resumes(tmp_path, val_flat):
    """A process killed hard (os._exit) mid-run leaves only complete chunk files; the rerun finishes the job."""
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from _inference_helpers import TinyNet
        from errorscope.inference import predict, Preprocessing

        class Killed(TinyNet):
            def forward(self, x):
                if self.calls >= int(os.environ["KILL_AFTER"]):
                    os._exit(17)
                return super().forward(x)

        prep = Preprocessing(input_size=(3, 32, 32))
        predict({{"tiny": Killed()}}, {str(val_flat)!r}, sys.argv[1], preprocessing=prep,
                batch_size=5, chunk_size=8, num_workers=0, progress=False)
    """)
    env = {**os.environ, "PYTHONPATH": SRC, "KILL_AFTER": "5"}
    res = subprocess.run([sys.executable, "-c", script, str(tmp_path / "out")], env=env, capture_output=True)
    assert res.returncode == 17, res.stderr.decode()[-2000:]
    partial = tmp_path / "out" / ".partial" / "tiny"
    assert sorted(p.name for p in partial.glob("chunk_*.npz")) == ["chunk_00000.npz", "chunk_00001.npz"]
    assert not list(partial.glob("*.part"))
    env["KILL_AFTER"] = "1000"
    res = subprocess.run([sys.executable, "-c", script, str(tmp_path / "out")], env=env, capture_output=True)
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    meta = json.loads((tmp_path / "out" / "tiny.json").read_text())
    assert meta["status"] == "ok" and meta["resumed_chunks"] == 2
    ref = tmp_path / "ref"
    predict({"tiny": TinyNet()}, val_flat, ref, preprocessing=__import__("errorscope.inference",
            fromlist=["Preprocessing"]).Preprocessing(input_size=(3, 32, 32)), **FAST)
    a, b = load(ref, "tiny"), load(tmp_path / "out", "tiny")
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_out_of_memory_batches_are_retried_smaller(tmp_path, val_flat, small_prep):
    class SmallMemory(TinyNet):
        def forward(self, x):
            if x.shape[0] > 2:
                raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
            return super().forward(x)

    runs = predict({"tiny": SmallMemory()}, val_flat, tmp_path / "oom", preprocessing=small_prep, **FAST)
    meta = runs[0].metadata
    assert runs[0].status == "ok" and meta["final_batch_size"] == 2 and meta["oom_retries"] == 1
    predict({"tiny": TinyNet()}, val_flat, tmp_path / "ok", preprocessing=small_prep, **FAST)
    np.testing.assert_array_equal(load(tmp_path / "oom", "tiny")["top5"], load(tmp_path / "ok", "tiny")["top5"])


def test_failed_download_is_recorded_and_the_sweep_goes_on(tmp_path, val_flat, monkeypatch):
    import urllib.error

    import torchvision.models._api as api

    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(api, "load_state_dict_from_url", offline)
    # timm:test_vit has no pretrained weights to download: run it with random weights next to the failing ones
    from errorscope.inference.models import ModelSpec

    runs = predict([ModelSpec("torchvision:mobilenet_v3_small", "torchvision", "mobilenet_v3_small"),
                    ModelSpec("timm:test_vit", "timm", "test_vit", pretrained=False),
                    ModelSpec("timm:no_such_model", "timm", "no_such_model", pretrained=False)],
                   val_flat, tmp_path, **FAST)
    assert [r.status for r in runs] == ["failed", "ok", "failed"]
    assert "WeightsUnavailableError" in runs[0].error and "--checkpoint" in runs[0].error
    assert "Name or service not known" in runs[0].error
    assert "no_such_model" in runs[2].error
    assert json.loads((tmp_path / "torchvision__mobilenet_v3_small.json").read_text())["status"] == "failed"


def test_checkpoint_is_loaded(tmp_path, val_flat):
    torch.manual_seed(3)
    model = timm.create_model("test_vit", pretrained=False)
    torch.save(model.state_dict(), tmp_path / "w.pth")
    runs = predict(["timm:test_vit"], val_flat, tmp_path / "out", checkpoint=tmp_path / "w.pth", **FAST)
    assert runs[0].status == "ok" and runs[0].metadata["checkpoint"] == str(tmp_path / "w.pth")
    files = image_set(val_flat).files
    tf = timm.data.create_transform(**timm.data.resolve_data_config({}, model=model))
    order, _ = top5_and_probs(reference_scores(model, tf, val_flat, files))
    np.testing.assert_array_equal(load(tmp_path / "out", "timm__test_vit")["top5"], order)


def test_wildcards_and_options():
    assert resolve_model_names(["timm:test_vit*"], pretrained=False) == [f"timm:{m}" for m in timm.list_models("test_vit*")]
    names = resolve_model_names(["torchvision:mobilenet_v3_*", "torchvision:mobilenet_v3_small"], pretrained=False)
    assert names == ["torchvision:mobilenet_v3_large", "torchvision:mobilenet_v3_small"]
    from errorscope.exceptions import InvalidInputError

    with pytest.raises(InvalidInputError, match="source:name"):
        resolve_model_names(["resnet50"])
    with pytest.raises(InvalidInputError, match="Unknown model source 'hf'"):
        resolve_model_names(["hf:resnet50"])
    with pytest.raises(InvalidInputError, match="No timm model matches"):
        resolve_model_names(["timm:zzz*"], pretrained=False)
    with pytest.raises(InvalidInputError, match="batch_size"):
        PredictOptions(batch_size=0)


def test_cli_sweep_with_models_from(tmp_path, val_flat, capsys):
    from errorscope.cli.main import main

    (tmp_path / "models.txt").write_text("# sweep\ntimm:test_vit\n\ntorchvision:not_a_model\n")
    code = main(["predict", "--models-from", str(tmp_path / "models.txt"), "--images", str(val_flat),
                 "--out", str(tmp_path / "out"), "--no-pretrained", "--batch-size", "8", "--workers", "1",
                 "--no-progress"])
    out = capsys.readouterr().out
    assert code == 1
    assert "OK      timm:test_vit: 24 images" in out and "FAILED  torchvision:not_a_model" in out
    assert (tmp_path / "out" / "timm__test_vit.npz").is_file()
    code = main(["predict", "--model", "timm:test_vit", "--images", str(val_flat), "--out", str(tmp_path / "out"),
                 "--no-pretrained", "--no-progress"])
    assert code == 0 and "SKIPPED timm:test_vit" in capsys.readouterr().out
    assert main(["predict", "--images", str(val_flat), "--out", str(tmp_path)]) == 1
    assert "No model given" in capsys.readouterr().err


def test_registered_source_runs_and_expands_wildcards(tmp_path, val_flat, small_prep, monkeypatch):
    from errorscope.inference import models as m

    class TinySource(m.ModelSource):
        prefix = "tiny"

        def list(self, pattern, *, pretrained):
            import fnmatch

            return fnmatch.filter(["net0", "net1", "other"], pattern)

        def create(self, spec):
            return TinyNet(seed=int(spec.arch[-1])), small_prep

    monkeypatch.setitem(m.SOURCES, "tiny", TinySource())
    with pytest.raises(Exception, match="already registered"):
        m.register_source(TinySource())
    runs = predict(["tiny:net*"], val_flat, tmp_path, **FAST)
    assert [r.name for r in runs] == ["tiny:net0", "tiny:net1"] and {r.status for r in runs} == {"ok"}
    ref = reference_scores(TinyNet(seed=1), small_prep.transform(), val_flat, image_set(val_flat).files)
    np.testing.assert_array_equal(load(tmp_path, "tiny__net1")["top5"], top5_and_probs(ref)[0])
    assert runs[1].metadata["top5_val_acc"] == pytest.approx(
        100 * float((top5_and_probs(ref)[0] == image_set(val_flat).labels[:, None]).any(1).mean()))


def test_bad_device_is_a_usage_error(tmp_path, val_flat, tiny_net):
    from errorscope.exceptions import InvalidInputError

    with pytest.raises(InvalidInputError, match="device"):
        predict({"tiny": tiny_net}, val_flat, tmp_path, device="tpu:7", **FAST)
