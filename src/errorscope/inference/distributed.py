"""Run a sweep on a Ray cluster: one Ray task per model (``pip install 'errorscope[distributed]'``).

Ray schedules the tasks (no scheduler of our own): each task asks for ``num_cpus`` CPUs and ``num_gpus`` GPUs,
runs :func:`~errorscope.inference.runner.run_model` for one model and either writes its outputs to ``out``
itself (``mode="shared"``: ``out`` and the image folder must be the same path on every node, e.g. NFS) or
returns the two files' bytes to the driver, which writes them (``mode="return"``: only the images must be
shared). A task that raises is retried once by Ray (``max_retries=1, retry_exceptions=True``); if the retry
fails too, the driver records the failure in ``OUT/<stem>.json``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._optional import require
from ..exceptions import InvalidInputError
from .images import ImageSet
from .models import ModelSpec, output_stem
from .runner import ModelRun, PredictOptions, _file_mode, _read_json, _write_json, failure_record, run_model

__all__ = ["predict_ray"]

MODES = ("shared", "return")


def _task(spec: ModelSpec, images: ImageSet, out: str, opts: PredictOptions, mode: str) -> dict:
    """Body of one Ray task: run the model, raise on failure so that Ray retries it."""
    if mode == "shared":
        run = run_model(spec, images, out, opts, raise_errors=True)
        return {"name": run.name, "status": run.status, "metadata": run.metadata}
    # "return": resume from whatever the driver already has, then ship the files back.
    stem = output_stem(spec.name)
    with tempfile.TemporaryDirectory(prefix="errorscope-ray-") as tmp:
        run = run_model(spec, images, tmp, opts, raise_errors=True)
        files = {p.name: p.read_bytes() for p in (Path(tmp) / f"{stem}.npz", Path(tmp) / f"{stem}.json")}
    return {"name": run.name, "status": run.status, "metadata": run.metadata, "files": files}


def predict_ray(specs: Sequence[ModelSpec], images: ImageSet, out: str | Path, opts: PredictOptions, *,
                address: str | None = None, num_cpus: float = 1, num_gpus: float | None = None,
                mode: str = "shared", max_retries: int = 1, init_kwargs: dict[str, Any] | None = None
                ) -> list[ModelRun]:
    """Run one Ray task per model and collect the outcomes in order.

    Parameters
    ----------
    specs, images, out, opts : as for :func:`~errorscope.inference.runner.run_model`.
    address : a Ray cluster (``"ray://head:10001"``, ``"auto"``); None starts a local cluster unless
        ``RAY_ADDRESS`` is set. An already initialised Ray session is reused.
    num_cpus, num_gpus : resources per task; ``num_gpus`` defaults to 1 if the cluster has GPUs, else 0.
    mode : ``"shared"`` (tasks write to ``out``) or ``"return"`` (tasks return bytes, the driver writes).
    max_retries : Ray retries of a failed task before it is recorded as failed.
    init_kwargs : extra arguments of ``ray.init`` (e.g. ``num_cpus`` for a local cluster, ``runtime_env``).
    """
    ray = require("ray", extra="distributed", feature="--ray")
    if mode not in MODES:
        raise InvalidInputError(f"Expected `mode` to be one of {MODES}, but got {mode!r}.")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if not ray.is_initialized():
        ray.init(address=address, **(init_kwargs or {}))
    if num_gpus is None:
        num_gpus = 1 if ray.cluster_resources().get("GPU", 0) > 0 else 0
    if num_gpus == 0 and opts.device in ("auto",):
        opts = _replace(opts, device="cpu")
    remote = ray.remote(num_cpus=num_cpus, num_gpus=num_gpus, max_retries=max_retries,
                        retry_exceptions=True)(_task)
    pending = {}
    runs: dict[str, ModelRun] = {}
    opts_task = _replace(opts, progress=False)
    for spec in specs:
        stem = output_stem(spec.name)
        done = _read_json(out / f"{stem}.json") if opts.resume else None
        if (done and done.get("status") == "ok" and (out / f"{stem}.npz").is_file()
                and done.get("images", {}).get("fingerprint") == images.fingerprint()):
            runs[spec.name] = ModelRun(spec.name, "skipped", out / f"{stem}.json", out / f"{stem}.npz", metadata=done)
            continue
        pending[remote.remote(spec, images, str(out), opts_task, mode)] = spec
    tqdm = require("tqdm.auto", extra="core").tqdm
    with tqdm(total=len(pending), unit="model", desc="ray sweep", disable=not opts.progress) as bar:
        waiting = list(pending)
        while waiting:
            ready, waiting = ray.wait(waiting, num_returns=1)
            spec = pending[ready[0]]
            stem = output_stem(spec.name)
            meta_path, npz_path = out / f"{stem}.json", out / f"{stem}.npz"
            try:
                result = ray.get(ready[0])
            except Exception as exc:  # noqa: BLE001 - every task failure is recorded
                cause = getattr(exc, "cause", None) or exc
                base = {"schema": "errorscope-predictions/1", "model": spec.name, "source": spec.source,
                        "arch": spec.arch, "pretrained": spec.pretrained, "checkpoint": spec.checkpoint,
                        "images": {"root": str(images.root), "layout": images.layout, "index": images.index.name,
                                   "n_images": len(images), "fingerprint": images.fingerprint()},
                        "ray": {"address": address, "mode": mode}}
                record = failure_record(base, cause, attempts=max_retries + 1)
                _write_json(meta_path, record)
                runs[spec.name] = ModelRun(spec.name, "failed", meta_path, None, record["error"], record)
            else:
                if mode == "return":
                    from .._io import atomic_path

                    for fname, data in sorted(result["files"].items(), key=lambda kv: kv[0].endswith(".json")):
                        with atomic_path(out / fname) as tmp:
                            tmp.write_bytes(data)
                            os.chmod(tmp, _file_mode())
                meta = result["metadata"]
                if mode == "return":
                    meta = {**meta, "ray": {"address": address, "mode": mode}}
                    _write_json(meta_path, meta)
                runs[spec.name] = ModelRun(spec.name, result["status"], meta_path, npz_path, metadata=meta)
            bar.update(1)
    return [runs[s.name] for s in specs]


def _replace(opts: PredictOptions, **kw: Any) -> PredictOptions:
    from dataclasses import replace

    return replace(opts, **kw)

