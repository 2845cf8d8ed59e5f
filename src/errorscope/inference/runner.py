"""Run models over an image folder and write one prediction file and one metadata record per model.

The run of one model is cut into chunks of ``chunk_size`` images (in the image set's sorted file order). Each
finished chunk is written atomically to ``OUT/.partial/<stem>/chunk_00012.npz``; when all chunks are there
they are merged into ``OUT/<stem>.npz`` and ``OUT/<stem>.json`` and the partial folder is removed. A
restarted run skips models whose record says ``"status": "ok"`` for the same images, and runs only the
missing chunks of an interrupted model. A model that fails is recorded (``"status": "failed"`` with the error)
and the sweep goes on.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from .._io import atomic_open, atomic_path
from .._optional import require
from ..exceptions import InvalidInputError
from .images import ImageFiles, ImageSet, image_set
from .models import DEFAULT_EVAL_SIZE, LoadedModel, ModelSpec, load_model, output_stem, resolve_model_names, spec_from_name, user_spec
from .preprocessing import Preprocessing

__all__ = ["PredictOptions", "ModelRun", "predict", "run_model", "SCHEMA"]

SCHEMA = "errorscope-predictions/1"


@dataclass(frozen=True)
class PredictOptions:
    """How to run inference.

    Attributes
    ----------
    batch_size : images per batch (a batch that runs out of GPU memory is retried in halves).
    num_workers : DataLoader worker processes that decode and transform images.
    device : ``"auto"`` (CUDA if available, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ...
    amp : float16 autocast; default: on for CUDA, off on the CPU.
    channels_last : channels-last memory format; default: on for CUDA.
    chunk_size : images per resumable chunk.
    keep_logits : also store the full (n, 1000) float32 logits.
    topk : number of best classes stored per image.
    resume : skip finished models and chunks of an earlier run into the same ``out``.
    progress : show a progress bar (images/s).
    """

    batch_size: int = 64
    num_workers: int = 2
    device: str = "auto"
    amp: bool | None = None
    channels_last: bool | None = None
    chunk_size: int = 2048
    keep_logits: bool = False
    topk: int = 5
    resume: bool = True
    progress: bool = True

    def __post_init__(self) -> None:
        for name in ("batch_size", "chunk_size", "topk"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise InvalidInputError(f"Expected `{name}` to be a positive integer, but got {value!r}.")
        if not isinstance(self.num_workers, int) or self.num_workers < 0:
            raise InvalidInputError(f"Expected `num_workers` >= 0, but got {self.num_workers!r}.")


@dataclass
class ModelRun:
    """Outcome of one model: ``status`` is ``"ok"`` (ran now), ``"skipped"`` (finished earlier) or ``"failed"``."""

    name: str
    status: str
    metadata_file: Path
    prediction_file: Path | None = None
    error: str | None = None
    metadata: dict = field(default_factory=dict)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def software_versions() -> dict[str, str]:
    """Versions of Python, errorscope and the inference stack, as recorded in every metadata file."""
    import importlib.metadata as md

    out = {"python": platform.python_version(), "errorscope": __version__, "numpy": np.__version__}
    for dist in ("torch", "torchvision", "timm", "pillow"):
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            out[dist] = "not installed"
    torch = require("torch", extra="torch")
    out["cuda"] = str(torch.version.cuda) if torch.cuda.is_available() else "none"
    return out


def _is_oom(exc: BaseException) -> bool:
    torch = require("torch", extra="torch")
    oom_types = tuple(t for t in (getattr(torch, "OutOfMemoryError", None),
                                  getattr(torch.cuda, "OutOfMemoryError", None)) if t is not None)
    return isinstance(exc, oom_types) or (isinstance(exc, RuntimeError) and "out of memory" in str(exc))


class _Engine:
    """A model on a device with the batch-size backoff state."""

    def __init__(self, loaded: LoadedModel, opts: PredictOptions) -> None:
        torch = require("torch", extra="torch")
        self.torch = torch
        dev = opts.device
        if dev == "auto":
            dev = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(dev)
        cuda = self.device.type == "cuda"
        self.amp = cuda if opts.amp is None else bool(opts.amp)
        self.channels_last = cuda if opts.channels_last is None else bool(opts.channels_last)
        model = loaded.module.to(self.device)
        if self.channels_last:
            model = model.to(memory_format=torch.channels_last)
        self.model = model
        self.max_batch = opts.batch_size
        self.n_oom = 0

    def __call__(self, x):
        torch = self.torch
        x = x.to(self.device, non_blocking=True)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        outs = []
        i, n = 0, x.shape[0]
        while i < n:
            step = min(self.max_batch, n - i)
            try:
                with torch.inference_mode(), torch.autocast(self.device.type, dtype=torch.float16 if
                                                            self.device.type == "cuda" else torch.bfloat16,
                                                            enabled=self.amp):
                    out = self.model(x[i:i + step])
            except Exception as exc:  # noqa: BLE001 - only out-of-memory errors are handled
                if not _is_oom(exc) or step == 1:
                    raise
                self.n_oom += 1
                self.max_batch = max(1, step // 2)
                if self.device.type == "cuda":
                    torch.cuda.empty_cache()
                continue
            if isinstance(out, (tuple, list)):
                out = out[0]
            outs.append(out.float())
            i += step
        logits = torch.cat(outs)
        if logits.ndim != 2 or logits.shape[1] != 1000:
            raise InvalidInputError(f"Expected the model to return (batch, 1000) logits, but got shape "
                                    f"{tuple(logits.shape)}.")
        return logits


def _summarise(logits, subset: np.ndarray | None, topk: int, keep_logits: bool) -> dict[str, np.ndarray]:
    torch = require("torch", extra="torch")
    logits = logits.float()
    probs = torch.softmax(logits, dim=1)
    p, idx = torch.topk(probs, topk, dim=1)
    out = {"top5": idx.cpu().numpy().astype(np.int16), "probs": p.cpu().numpy().astype(np.float32)}
    if subset is not None:
        sub = torch.as_tensor(subset.astype(np.int64), device=logits.device)
        out["top1_subset"] = subset[logits[:, sub].argmax(dim=1).cpu().numpy()].astype(np.int16)
    if keep_logits:
        out["logits"] = logits.cpu().numpy().astype(np.float32)
    return out


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _file_mode() -> int:
    """Mode of a new regular file under the current umask (temporary files are created 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _write_json(path: Path, data: dict) -> None:
    with atomic_open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, default=str)
        fh.write("\n")
        os.chmod(fh.name, _file_mode())


def _save_npz(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
        os.chmod(tmp, _file_mode())


def _accuracy(pred: np.ndarray, labels: np.ndarray) -> float | None:
    known = labels >= 0
    if not known.any():
        return None
    return round(float((pred[known] == labels[known]).mean() * 100), 4)


def _topk_accuracy(topk: np.ndarray, labels: np.ndarray) -> float | None:
    known = labels >= 0
    if not known.any():
        return None
    return round(float((topk[known] == labels[known, None]).any(axis=1).mean() * 100), 4)


def _check_device(device: str) -> None:
    if device == "auto":
        return
    torch = require("torch", extra="torch")
    try:
        dev = torch.device(device)
    except RuntimeError as exc:
        raise InvalidInputError(f"Expected `device` to be 'auto', 'cpu', 'cuda' or 'cuda:N', but got {device!r}.") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InvalidInputError(f"Device {device!r} was requested but CUDA is not available here; use --device cpu.")


def run_model(spec: ModelSpec, images: ImageSet, out: str | Path, opts: PredictOptions = PredictOptions(), *,
              raise_errors: bool = False) -> ModelRun:
    """Run one model over ``images`` into ``out``; see the module docstring for files and resume rules.

    With ``raise_errors`` a failure propagates (after nothing is recorded); otherwise it is recorded in
    ``OUT/<stem>.json`` with ``"status": "failed"`` and returned.
    """
    out = Path(out)
    stem = output_stem(spec.name)
    meta_path, npz_path = out / f"{stem}.json", out / f"{stem}.npz"
    fingerprint = images.fingerprint()
    if opts.resume:
        done = _read_json(meta_path)
        if (done and done.get("status") == "ok" and done.get("images", {}).get("fingerprint") == fingerprint
                and npz_path.is_file() and (done.get("keep_logits") or not opts.keep_logits)
                and done.get("topk") == opts.topk and done.get("eval_size", "train") == spec.eval_size):
            return ModelRun(spec.name, "skipped", meta_path, npz_path, metadata=done)
    base = {
        "schema": SCHEMA, "model": spec.name, "source": spec.source, "arch": spec.arch,
        "pretrained": spec.pretrained, "checkpoint": spec.checkpoint, "eval_size": spec.eval_size,
        "images": {"root": str(images.root), "layout": images.layout, "index": images.index.name,
                   "n_images": len(images), "fingerprint": fingerprint},
    }
    try:
        meta = _run(spec, images, out, stem, opts, base)
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        if raise_errors:
            raise
        record = failure_record(base, exc)
        _write_json(meta_path, record)
        return ModelRun(spec.name, "failed", meta_path, None, record["error"], record)
    return ModelRun(spec.name, "ok", meta_path, npz_path, metadata=meta)


def failure_record(base: dict, exc: BaseException, *, attempts: int = 1) -> dict:
    """The metadata record of a failed model: the error, its type and the end of the traceback."""
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return {**base, "status": "failed", "error": f"{type(exc).__name__}: {exc}", "error_type": type(exc).__name__,
            "traceback": tb[-4000:], "attempts": attempts, "created": _now()}


def _run(spec: ModelSpec, images: ImageSet, out: Path, stem: str, opts: PredictOptions, base: dict) -> dict:
    torch = require("torch", extra="torch")
    t_start = time.perf_counter()
    loaded = load_model(spec)
    state = {"model": spec.name, "fingerprint": base["images"]["fingerprint"], "chunk_size": opts.chunk_size,
             "topk": opts.topk, "keep_logits": opts.keep_logits, "preprocessing": loaded.preprocessing.to_dict()}
    partial = out / ".partial" / stem
    state_path = partial / "state.json"
    if partial.exists() and (not opts.resume or _read_json(state_path) != state):
        shutil.rmtree(partial)
    partial.mkdir(parents=True, exist_ok=True)
    _write_json(state_path, state)

    n = len(images)
    n_chunks = -(-n // opts.chunk_size)
    chunk_path = [partial / f"chunk_{c:05d}.npz" for c in range(n_chunks)]
    pending = [c for c in range(n_chunks) if not chunk_path[c].is_file()]
    batches, batch_chunk = [], []
    for c in pending:
        stop = min(n, (c + 1) * opts.chunk_size)
        for s in range(c * opts.chunk_size, stop, opts.batch_size):
            batches.append(list(range(s, min(stop, s + opts.batch_size))))
            batch_chunk.append(c)
    engine = _Engine(loaded, opts)
    dataset = ImageFiles(images.paths(), loaded.preprocessing.transform())
    loader = torch.utils.data.DataLoader(
        dataset, batch_sampler=batches, num_workers=opts.num_workers,
        pin_memory=engine.device.type == "cuda", persistent_workers=False)
    tqdm = require("tqdm.auto", extra="core").tqdm
    done_images = n - sum(min(n, (c + 1) * opts.chunk_size) - c * opts.chunk_size for c in pending)
    bar = tqdm(total=n, initial=done_images, unit="img", desc=spec.name, disable=not opts.progress,
               dynamic_ncols=True, smoothing=0.1)
    acc: list = []
    t_chunk = time.perf_counter()
    try:
        for b, (x, _) in enumerate(loader):
            acc.append(engine(x))
            bar.update(x.shape[0])
            c = batch_chunk[b]
            if b + 1 == len(batches) or batch_chunk[b + 1] != c:
                arrays = _summarise(torch.cat(acc), images.subset, opts.topk, opts.keep_logits)
                lo, hi = c * opts.chunk_size, min(n, (c + 1) * opts.chunk_size)
                arrays["file_names"] = np.array(images.names[lo:hi], dtype=str)
                arrays["seconds"] = np.array(time.perf_counter() - t_chunk)
                _save_npz(chunk_path[c], arrays)
                acc, t_chunk = [], time.perf_counter()
    finally:
        bar.close()

    parts = []
    for p in chunk_path:
        with np.load(p) as z:
            parts.append({k: z[k] for k in z.files})
    merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0] if k != "seconds"}
    infer_seconds = float(sum(float(p["seconds"]) for p in parts))
    labels = images.labels
    result = {"file_names": merged["file_names"], "top1": merged["top5"][:, 0].copy(), "top5": merged["top5"],
              "probs": merged["probs"], "labels": labels.astype(np.int16)}
    if "top1_subset" in merged:
        result["top1_subset"] = merged["top1_subset"]
    if "logits" in merged:
        result["logits"] = merged["logits"]
    if not np.array_equal(result["file_names"], np.asarray(images.names, dtype=str)):
        raise RuntimeError(f"Chunks in {partial} do not cover the images in order; delete the folder and rerun.")
    npz_path = out / f"{stem}.npz"
    _save_npz(npz_path, result)

    prep = loaded.preprocessing
    meta = {
        **base, "status": "ok",
        "n_params": loaded.n_params, "preprocessing": prep.to_dict(),
        "n_images": n, "topk": opts.topk, "keep_logits": opts.keep_logits,
        "keys": sorted(result),
        "top1_val_acc": _accuracy(result["top1"], labels),
        "top5_val_acc": _topk_accuracy(result["top5"], labels),
        "wall_time_s": round(time.perf_counter() - t_start, 3),
        "inference_time_s": round(infer_seconds, 3),
        "images_per_s": round(n / infer_seconds, 2) if infer_seconds > 0 else None,
        "resumed_chunks": n_chunks - len(pending),
        "device": str(engine.device), "amp": engine.amp, "channels_last": engine.channels_last,
        "batch_size": opts.batch_size, "final_batch_size": engine.max_batch, "oom_retries": engine.n_oom,
        "num_workers": opts.num_workers,
        "versions": software_versions(), "created": _now(),
    }
    if images.subset is not None:
        meta["top1_val_acc_subset_200"] = _accuracy(result["top1_subset"], labels)
    _write_json(out / f"{stem}.json", meta)
    shutil.rmtree(partial, ignore_errors=True)
    try:
        (out / ".partial").rmdir()
    except OSError:
        pass
    return meta


def model_specs(models: Any, *, pretrained: bool = True, checkpoint: str | Path | None = None,
                preprocessing: Preprocessing | None = None, eval_size: str = DEFAULT_EVAL_SIZE) -> list[ModelSpec]:
    """Normalise the ``models`` argument of :func:`predict` to a list of :class:`ModelSpec`.

    Accepts a name (``"timm:resnet50"``, wildcards allowed), a :class:`ModelSpec`, a mapping
    ``{name: torch.nn.Module}``, or a sequence of names and specs.
    """
    if isinstance(models, (str, ModelSpec)):
        models = [models]
    if isinstance(models, Mapping):
        specs = [user_spec(name, module, preprocessing=preprocessing) for name, module in models.items()]
    elif isinstance(models, Iterable):
        specs = []
        for m in models:
            if isinstance(m, ModelSpec):
                specs.append(m)
            elif isinstance(m, str):
                specs.extend(spec_from_name(n, pretrained=pretrained, eval_size=eval_size)
                             for n in resolve_model_names([m], pretrained=pretrained))
            else:
                raise InvalidInputError(f"Expected model names, ModelSpecs or a {{name: module}} mapping, but got "
                                        f"{type(m).__name__}. Wrap an nn.Module as {{'my-model': module}}.")
    else:
        raise InvalidInputError(f"Expected model names, ModelSpecs or a {{name: module}} mapping, but got "
                                f"{type(models).__name__}. Wrap an nn.Module as {{'my-model': module}}.")
    if not specs:
        raise InvalidInputError("No model to run.")
    if checkpoint is not None:
        if len(specs) != 1:
            raise InvalidInputError(f"--checkpoint applies to one model, but {len(specs)} were given.")
        specs = [replace(specs[0], checkpoint=str(checkpoint))]
    if preprocessing is not None:
        specs = [replace(s, preprocessing=preprocessing) for s in specs]
    names = [s.name for s in specs]
    stems = [output_stem(n) for n in names]
    if len(set(stems)) != len(stems):
        dup = next(s for s in stems if stems.count(s) > 1)
        raise InvalidInputError(f"Two models write to the same file stem {dup!r}; give them distinct names.")
    return specs


def predict(models: Any, images: str | Path | ImageSet, out: str | Path, *, pretrained: bool = True,
            checkpoint: str | Path | None = None, layout: str = "auto", preprocessing: Preprocessing | None = None,
            options: PredictOptions | None = None, ray: str | bool | None = None,
            ray_options: Mapping[str, Any] | None = None, eval_size: str = DEFAULT_EVAL_SIZE,
            **option_overrides: Any) -> list[ModelRun]:
    """Run models over an image folder and write ``OUT/<stem>.npz`` + ``OUT/<stem>.json`` per model.

    Parameters
    ----------
    models : ``"timm:resnet50.a1_in1k"``, ``"torchvision:resnet50"``, wildcards (``"timm:resnet*"``), a list
        of those, or ``{"name": torch.nn.Module}`` for your own models.
    images : an image folder (see :func:`~errorscope.inference.images.image_set`) or an :class:`ImageSet`.
    out : output folder.
    pretrained : load pretrained weights (False: random weights).
    checkpoint : a local state-dict file (one model only).
    layout : the folder's layout, default recognised.
    preprocessing : overrides every model's preprocessing.
    eval_size : timm models: ``"test"`` (default; the weights' test input size and crop, as timm's
        ``validate.py``) or ``"train"`` (the train-size config). Recorded as ``eval_size`` and
        ``preprocessing.data_config`` in every ``.json`` record.
    options : a :class:`PredictOptions`; keyword arguments (``batch_size=32``, ...) override its fields.
    ray : run on a Ray cluster: ``True``/``""`` for a local or ``RAY_ADDRESS`` cluster, or an address.
    ray_options : passed to :func:`~errorscope.inference.distributed.predict_ray`.

    Returns
    -------
    list of ModelRun, one per model, in order.

    Examples
    --------
    >>> runs = predict(["timm:resnet18"], "val/", "preds/", pretrained=False)  # doctest: +SKIP
    >>> [r.status for r in runs]  # doctest: +SKIP
    ['ok']
    """
    opts = replace(options or PredictOptions(), **option_overrides)
    if ray is None or ray is False:
        _check_device(opts.device)  # on Ray the workers' devices count
    specs = model_specs(models, pretrained=pretrained, checkpoint=checkpoint, preprocessing=preprocessing,
                        eval_size=eval_size)
    iset = images if isinstance(images, ImageSet) else image_set(images, layout=layout)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if ray is not None and ray is not False:
        from .distributed import predict_ray

        address = None if ray is True or ray == "" else str(ray)
        return predict_ray(specs, iset, out, opts, address=address, **dict(ray_options or {}))
    return [run_model(s, iset, out, opts) for s in specs]


def summary_lines(runs: Sequence[ModelRun]) -> list[str]:
    """One line per model for the command line."""
    lines = []
    for r in runs:
        if r.status == "failed":
            lines.append(f"FAILED  {r.name}: {r.error}  (record: {r.metadata_file})")
        else:
            m = r.metadata
            ips = m.get("images_per_s")
            acc = m.get("top1_val_acc")
            lines.append(f"{r.status.upper():7s} {r.name}: {m.get('n_images')} images"
                         + (f", top-1 {acc:.2f}%" if acc is not None else "")
                         + (f", {ips:.1f} img/s" if ips else "") + f" -> {r.prediction_file}")
    return lines
