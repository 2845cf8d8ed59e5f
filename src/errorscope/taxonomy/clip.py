"""The fine-grained out-of-vocabulary step with CLIP (Peychev et al. 2023; optional extra ``errorscope[clip]``).

For an error (image, prediction p) that reaches step 4:

* **gate**: embed the image, take its 10 nearest ImageNet **train** embeddings by cosine similarity;
  the gate passes if one neighbour's class shares a superclass with p;
* **proposals** (:mod:`.proposals`) and **scoring**: encode ``"A photo of a {lemma}"`` for every
  proposal prompt and the image, L2-normalise, softmax over 100 x cosine; if the argmax prompt (first index on
  ties) belongs to a synset outside the 1,000 ImageNet offsets, the error is fine-grained OOV.

Results are cached per (image file, prediction) in memory and optionally in a JSON file, so a population of
thousands of models pays for each distinct error once. Text embeddings are cached per prompt.

The authors ran OpenAI CLIP ViT-L/14@336px in fp16 on CUDA (``ViT-L-14-336`` / ``openai`` in open_clip).
Nothing is downloaded by errorscope itself: ``from_pretrained`` asks open_clip, which needs network access or
a local checkpoint path. The train-neighbour cache (``embeddings`` (N, d) and ``labels`` (N,) of the 1,281,167
train images) is built once with :func:`build_train_embeddings`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any
from pathlib import Path

import numpy as np

from .._optional import require
from ..exceptions import InvalidInputError, ResourceError
from .proposals import in_vocabulary_offsets, make_proposals
from .superclasses import Superclasses, load_superclasses
from .wordnet import wordnet

__all__ = ["ClipOOVDetector", "build_train_embeddings", "PROMPT_TEMPLATE", "GATE_K"]

PROMPT_TEMPLATE = "A photo of a {}"
GATE_K = 10


def _image_files(root: Path) -> dict[str, Path]:
    """Every file under ``root`` (flat or ``<wnid>/<file>``), keyed by bare name and by ``<wnid>/<file>``."""
    out: dict[str, Path] = {}
    for path in root.rglob("*"):
        if path.is_file():
            out.setdefault(path.name, path)
            out[f"{path.parent.name}/{path.name}"] = path
    return out


class ClipOOVDetector:
    """The OOV step as an :class:`~errorscope.taxonomy.engine.OOVDetector`.

    Parameters
    ----------
    model : an open_clip CLIP model (``encode_image``, ``encode_text``).
    preprocess : its image transform.
    tokenizer : its tokenizer.
    images : folder of the evaluated images (``<wnid>/<file>`` or flat).
    train_embeddings : NPZ path with ``embeddings`` (N, d) and ``labels`` (N,), or an (embeddings, labels) tuple.
    superclasses : the superclasses of the gate and the proposals (default: the package's).
    cache : JSON file of earlier decisions (read if present; :meth:`save_cache` writes it).
    name : model description written to every output.
    device : torch device.
    """

    def __init__(self, model: Any, preprocess: Callable[[Any], Any], tokenizer: Callable[..., Any], *,
                 images: str | Path, train_embeddings: str | Path | tuple[np.ndarray, np.ndarray],
                 superclasses: Superclasses | None = None, cache: str | Path | None = None,
                 name: str = "custom CLIP", device: str = "cpu", batch_size: int = 256) -> None:
        self.torch = require("torch", extra="clip", feature="The CLIP out-of-vocabulary step")
        self.model = model.to(device).eval()
        self.preprocess = preprocess
        self.tokenizer = tokenizer
        self.device = device
        self.batch_size = batch_size
        self.name = name
        self.superclasses = superclasses or load_superclasses()
        self.images = Path(images)
        if not self.images.is_dir():
            raise InvalidInputError(f"CLIP image folder {self.images} does not exist.")
        self._files: dict[str, Path] | None = None
        if isinstance(train_embeddings, (str, Path)):
            with np.load(train_embeddings) as data:
                if "embeddings" not in data or "labels" not in data:
                    raise ResourceError(f"{train_embeddings}: expected arrays 'embeddings' and 'labels'; "
                                        f"found {sorted(data.files)}. Build it with build_train_embeddings().")
                emb, lab = data["embeddings"], data["labels"]
        else:
            emb, lab = train_embeddings
        emb = np.asarray(emb, dtype=np.float32)
        lab = np.asarray(lab).astype(np.int64)
        if emb.ndim != 2 or lab.shape != (emb.shape[0],) or emb.shape[0] < GATE_K:
            raise InvalidInputError(f"train embeddings must be (N >= {GATE_K}, d) with N labels; got {emb.shape} "
                                    f"and {lab.shape}.")
        self.train = emb / np.linalg.norm(emb, axis=1, keepdims=True)
        self.train_labels = lab
        self.cache_path = Path(cache) if cache is not None else None
        self.results: dict[str, tuple[bool, str]] = {}
        self._text: dict[str, np.ndarray] = {}
        self.n_scored = 0
        if self.cache_path is not None and self.cache_path.is_file():
            data = json.loads(self.cache_path.read_text(encoding="utf-8"))
            if data.get("model") != self.describe():
                raise InvalidInputError(f"CLIP cache {self.cache_path} was made with {data.get('model')!r}, not "
                                        f"{self.describe()!r}; use another cache file.")
            self.results = {k: (bool(v[0]), str(v[1])) for k, v in data["results"].items()}

    @classmethod
    def from_pretrained(cls, arch: str = "ViT-L-14-336", pretrained: str | None = "openai",
                        **kwargs: Any) -> ClipOOVDetector:
        """Create the model with open_clip (``pretrained`` is a tag or a local checkpoint path)."""
        open_clip = require("open_clip", extra="clip", feature="The CLIP out-of-vocabulary step")
        model, _, preprocess = open_clip.create_model_and_transforms(arch, pretrained=pretrained)
        return cls(model, preprocess, open_clip.get_tokenizer(arch), name=f"open_clip {arch} ({pretrained})",
                   **kwargs)

    def describe(self) -> str:
        return f"CLIP OOV step: {self.name}; gate: top-{GATE_K} of {len(self.train_labels)} train embeddings"

    # --- encoders ------------------------------------------------------------------------------------------

    def _path(self, file_name: str) -> Path:
        direct = self.images / file_name
        if direct.is_file():
            return direct
        if self._files is None:
            self._files = _image_files(self.images)
        found = self._files.get(file_name) or self._files.get(file_name.rsplit("/", 1)[-1])
        if found is None:
            raise ResourceError(f"Image {file_name!r} is not under {self.images}.")
        return found

    def _encode_image(self, file_name: str) -> np.ndarray:
        from PIL import Image

        torch = self.torch
        with Image.open(self._path(file_name)) as img:
            x = self.preprocess(img.convert("RGB")).unsqueeze(0).to(self.device)
        with torch.no_grad():
            e = self.model.encode_image(x).float().cpu().numpy()[0]
        return e / np.linalg.norm(e)

    def _encode_texts(self, texts: list[str]) -> np.ndarray:
        torch = self.torch
        todo = [t for t in dict.fromkeys(texts) if t not in self._text]
        for start in range(0, len(todo), self.batch_size):
            chunk = todo[start:start + self.batch_size]
            with torch.no_grad():
                e = self.model.encode_text(self.tokenizer(chunk).to(self.device)).float().cpu().numpy()
            e /= np.linalg.norm(e, axis=1, keepdims=True)
            self._text.update(zip(chunk, e))
        return np.stack([self._text[t] for t in texts])

    # --- the step ------------------------------------------------------------------------------------------

    def gate_classes(self, image_embedding: np.ndarray) -> np.ndarray:
        """Classes of the 10 nearest train embeddings (most similar first; ties by train order)."""
        sims = self.train @ image_embedding
        top = np.argsort(-sims, kind="stable")[:GATE_K]
        return self.train_labels[top]

    def score(self, image_embedding: np.ndarray, pred: int, target_wnid: str) -> tuple[bool, str]:
        """Proposal scoring of one error: (is OOV, detail string)."""
        props = make_proposals(pred, target_wnid, self.superclasses)
        texts = [PROMPT_TEMPLATE.format(lemma) for _, lemma in props.prompts]
        logits = 100.0 * (self._encode_texts(texts) @ image_embedding)
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        order = np.argsort(-probs, kind="stable")
        best = int(np.argmax(logits))  # first index wins ties
        top5 = [(props.prompts[i][0], props.prompts[i][1], f"{100 * probs[i]:.2f}%") for i in order[:5]]
        detail = f"Top-5 alternative proposals: {top5} | out of {props.n_prompts}"
        self.n_scored += 1
        return props.prompts[best][0] not in in_vocabulary_offsets(), detail

    def decide(self, file_names: Iterable[str], targets: np.ndarray, preds: np.ndarray
               ) -> tuple[np.ndarray, list[str]]:
        """Decide every (file, target, prediction) query; cached results are reused."""
        file_names = [str(f) for f in file_names]
        targets = np.asarray(targets).astype(int)
        preds = np.asarray(preds).astype(int)
        wn = wordnet()
        same = self.superclasses.same
        flags = np.zeros(len(file_names), dtype=bool)
        details: list[str] = [""] * len(file_names)
        by_file: dict[str, list[int]] = {}
        for i, f in enumerate(file_names):
            key = f"{f}|{preds[i]}"
            if key in self.results:
                flags[i], details[i] = self.results[key]
            else:
                by_file.setdefault(f, []).append(i)
        from tqdm.auto import tqdm

        for f, rows in tqdm(by_file.items(), desc="CLIP OOV step", disable=len(by_file) < 50):
            emb = self._encode_image(f)
            neighbours = self.gate_classes(emb)
            for i in rows:
                p = int(preds[i])
                if not same[neighbours, p].any():
                    result = (False, "gate closed: no train neighbour shares a superclass with the prediction")
                else:
                    folder = f.split("/")[-2] if "/" in f else wn.class_wnids[int(targets[i])]
                    result = self.score(emb, p, folder)
                self.results[f"{f}|{p}"] = result
                flags[i], details[i] = result
        return flags, details

    def save_cache(self) -> Path | None:
        """Write the decisions to the cache file (atomically)."""
        if self.cache_path is None:
            return None
        from .._io import atomic_open

        with atomic_open(self.cache_path) as fh:
            json.dump({"model": self.describe(), "results": self.results}, fh)
        return self.cache_path


def build_train_embeddings(model: Any, preprocess: Callable[[Any], Any], train_root: str | Path, out: str | Path, *, device: str = "cpu",
                           batch_size: int = 64, progress: bool = True) -> Path:
    """Embed every image of an ImageNet train folder (``<wnid>/<file>``) into the gate's NPZ cache.

    Writes ``embeddings`` (float16, L2-normalised), ``labels`` (int16 class ids) and ``file_names``.
    """
    torch = require("torch", extra="clip", feature="Building CLIP train embeddings")
    from PIL import Image
    from tqdm.auto import tqdm

    from ..datasets._index import class_info

    info = class_info()
    root = Path(train_root)
    files = sorted(p for p in root.glob("n*/*") if p.is_file())
    if not files:
        raise InvalidInputError(f"No <wnid>/<file> images under {root}.")
    labels = np.array([info.wnid_to_id(p.parent.name) for p in files], dtype=np.int16)
    chunks = []
    model = model.to(device).eval()
    for start in tqdm(range(0, len(files), batch_size), desc="train embeddings", disable=not progress):
        batch = []
        for p in files[start:start + batch_size]:
            with Image.open(p) as img:
                batch.append(preprocess(img.convert("RGB")))
        with torch.no_grad():
            e = model.encode_image(torch.stack(batch).to(device)).float().cpu().numpy()
        chunks.append(e / np.linalg.norm(e, axis=1, keepdims=True))
    from .._io import atomic_path

    out = Path(out)
    with atomic_path(out) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, embeddings=np.concatenate(chunks).astype(np.float16), labels=labels,
                     file_names=np.array([f"{p.parent.name}/{p.name}" for p in files]))
    return out
