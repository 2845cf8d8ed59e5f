"""The CLIP out-of-vocabulary step end to end on the CPU: a tiny randomly initialised open_clip model, generated
images, a generated train-embedding cache. Checks the gate, the proposal scoring against an independent
computation, the per-(image, prediction) cache and the integration into the decision order."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the CLIP step needs the optional extra errorscope[clip]")
open_clip = pytest.importorskip("open_clip", reason="the CLIP step needs the optional extra errorscope[clip]")

from errorscope.taxonomy import categories as cat  # noqa: E402
from errorscope.taxonomy import classify  # noqa: E402
from errorscope.taxonomy.clip import ClipOOVDetector  # noqa: E402
from errorscope.taxonomy.proposals import in_vocabulary_offsets, make_proposals  # noqa: E402
from errorscope.taxonomy.superclasses import load_superclasses  # noqa: E402
from errorscope.taxonomy.wordnet import wordnet  # noqa: E402
from .taxonomy_helpers import make_labels, make_population  # noqa: E402

V = "ILSVRC2012_val_{:08d}.JPEG".format
# (file, t, M, p): spurious, failure, the published OOV example, a fine-grained error (never reaches step 4)
ROWS = [(V(14358), 796, [796, 970], 795), (V(20883), 707, [707], 480), (V(1409), 872, [872], 843),
        (V(10883), 271, [271], 272)]
GATE_CLOSED = V(20883)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("clip")
    cfg = {"embed_dim": 32, "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 16,
                                           "head_width": 16},
           "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1}}
    (root / "errorscope-tiny-clip.json").write_text(json.dumps(cfg))
    open_clip.add_model_config(root / "errorscope-tiny-clip.json")
    torch.manual_seed(0)
    model, _, preprocess = open_clip.create_model_and_transforms("errorscope-tiny-clip", pretrained=None)
    tokenizer = open_clip.get_tokenizer("errorscope-tiny-clip")
    from PIL import Image

    wn = wordnet()
    rng = np.random.default_rng(0)
    images = root / "val"
    for name, t, _, _ in ROWS:
        folder = images / wn.class_wnids[t]
        folder.mkdir(parents=True)
        Image.fromarray(rng.integers(0, 255, (48, 40, 3), dtype=np.uint8)).save(folder / name)
    return model.eval(), preprocess, tokenizer, images, root


def embed(model, preprocess, path):
    from PIL import Image

    with torch.no_grad():
        e = model.encode_image(preprocess(Image.open(path).convert("RGB")).unsqueeze(0)).numpy()[0]
    return e / np.linalg.norm(e)


@pytest.fixture(scope="module")
def train_cache(tiny):
    model, preprocess, _, images, root = tiny
    sc = load_superclasses()
    wn = wordnet()
    emb, lab = [], []
    for name, t, _, p in ROWS:
        emb.append(embed(model, preprocess, images / wn.class_wnids[t] / name))
        lab.append(999 if name == GATE_CLOSED else p)  # the gate opens through a neighbour of class p itself
    rng = np.random.default_rng(1)
    emb += list(rng.normal(size=(20, 32)))
    lab += [999] * 20
    assert not sc.same[999, 480] and not sc.same[795, 480] and not sc.same[843, 480] and not sc.same[272, 480]
    path = root / "train.npz"
    np.savez(path, embeddings=np.array(emb, dtype=np.float16), labels=np.array(lab, dtype=np.int16))
    return path


def independent_decision(model, tokenizer, image_emb, p, t):
    props = make_proposals(p, wordnet().class_wnids[t], load_superclasses())
    with torch.no_grad():
        text = model.encode_text(tokenizer([f"A photo of a {lemma}" for _, lemma in props.prompts])).numpy()
    text /= np.linalg.norm(text, axis=1, keepdims=True)
    best = int(np.argmax(text @ image_emb))
    return props.prompts[best][0] not in in_vocabulary_offsets(), props.n_prompts


@pytest.mark.slow
def test_clip_step_end_to_end(tiny, train_cache, tmp_path):
    model, preprocess, tokenizer, images, _ = tiny
    labels = make_labels([(f, t, m, False) for f, t, m, _ in ROWS])
    preds = [p for *_, p in ROWS]
    cache = tmp_path / "oov_cache.json"
    det = ClipOOVDetector(model, preprocess, tokenizer, images=images, train_embeddings=train_cache, cache=cache,
                          name="tiny random")
    pop = make_population(labels, {"a": preds, "b": preds, "c": preds})
    res = classify(pop, labels, clip=det)
    assert det.n_scored == 2  # (14358, 795) and (1409, 843): once for the three models; the gate closed on 20883
    assert res.clip_step.startswith("CLIP OOV step: tiny random")
    assert det.results[f"{GATE_CLOSED}|480"] == (False, "gate closed: no train neighbour shares a superclass with "
                                                         "the prediction")
    wn = wordnet()
    oov_code = cat.BY_NAME["OOV_detected_by_clip"].code
    for i, (name, t, _, p) in enumerate(ROWS[:3]):
        if name == GATE_CLOSED:
            assert res.codes[0, i] == cat.BY_NAME["not_classified"].code
            continue
        emb = embed(model, preprocess, images / wn.class_wnids[t] / name)
        expected, n_prompts = independent_decision(model, tokenizer, emb, p, t)
        flag, detail = det.results[f"{name}|{p}"]
        assert flag == expected
        assert detail.endswith(f"| out of {n_prompts}") and detail.startswith("Top-5 alternative proposals: [(")
        assert len(re.findall(r"\((\d+), '", detail)) == 5
        later = cat.BY_NAME["common_co_occurrences"].code if name == V(14358) else cat.BY_NAME["not_classified"].code
        assert (res.codes[:, i] == (oov_code if expected else later)).all()
    assert (res.codes[:, 3] == cat.BY_NAME["same_superclass"].code).all()
    frame = res.per_image_frame()
    assert set(frame.clip_step) == {res.clip_step}
    # the cache is reused: a second detector scores nothing
    det.save_cache()
    det2 = ClipOOVDetector(model, preprocess, tokenizer, images=images, train_embeddings=train_cache, cache=cache,
                           name="tiny random")
    res2 = classify(pop, labels, clip=det2)
    assert det2.n_scored == 0 and np.array_equal(res2.codes, res.codes)
    with pytest.raises(Exception, match="was made with"):
        ClipOOVDetector(model, preprocess, tokenizer, images=images, train_embeddings=train_cache, cache=cache,
                        name="another model")


def test_gate_uses_the_ten_nearest_train_embeddings(tiny):
    model, preprocess, tokenizer, images, _ = tiny
    e = np.eye(32, dtype=np.float32)
    train = np.concatenate([np.tile(e[0], (10, 1)) + 0.01 * np.arange(10)[:, None], np.tile(e[1], (5, 1))])
    labels = np.array([7] * 10 + [8] * 5)
    det = ClipOOVDetector(model, preprocess, tokenizer, images=images, train_embeddings=(train, labels))
    assert det.gate_classes(e[0]).tolist() == [7] * 10
    assert det.gate_classes(e[1])[:5].tolist() == [8] * 5


@pytest.mark.slow
def test_cli_with_the_clip_step(tiny, train_cache, tmp_path):
    from errorscope.cli.main import main
    import pandas as pd

    _, _, _, images, root = tiny
    preds = tmp_path / "m.csv"
    rows = [f"{name},{p}" for name, _, _, p in ROWS]
    preds.write_text("file_name,predicted_class\n" + "\n".join(rows) + "\n")
    # a population on the val index needs all 50,000 rows: give every other image its own label
    from errorscope.datasets._index import val_index

    idx = val_index()
    listed = {name for name, *_ in ROWS}
    rest = [f"{n},{int(t)}" for n, t in zip(idx.file_names, idx.labels) if n not in listed]
    preds.write_text("file_name,predicted_class\n" + "\n".join(rows + rest) + "\n")
    cache = tmp_path / "oov.json"
    assert main(["taxonomy", str(preds), "--labels", "real", "--out", str(tmp_path / "out"), "--per-image", "none",
                 "--clip-images", str(images), "--clip-train-embeddings", str(train_cache),
                 "--clip-model", str(root / "errorscope-tiny-clip.json"), "--clip-pretrained", "none",
                 "--clip-cache", str(cache)]) == 0
    st = pd.read_csv(tmp_path / "out/stats_all.csv")
    assert st.clip_step[0].startswith("CLIP OOV step: open_clip errorscope-tiny-clip (None)")
    saved = json.loads(cache.read_text())
    assert saved["model"] == st.clip_step[0] and len(saved["results"]) >= 1
    # only the three wrong predictions can reach step 4 (every other image is predicted as its label)
    assert {key.split("|")[0] for key in saved["results"]} <= listed
