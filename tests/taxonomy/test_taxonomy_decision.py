"""Hand-built cases for every branch of the decision procedure (spec §9, §11, §17) and a randomised check."""

from __future__ import annotations

import numpy as np
import pytest

from errorscope.taxonomy import categories as cat
from errorscope.taxonomy import classify
from errorscope.taxonomy.collapsed import COLLAPSED_MAPPINGS
from errorscope.taxonomy.knowledge import build_knowledge
from errorscope.taxonomy.nonproto import non_prototypical_files

from .taxonomy_helpers import make_labels, make_population, reference_classify

V = "ILSVRC2012_val_{:08d}.JPEG".format


@pytest.fixture(scope="module")
def tables():
    kn = build_knowledge(make_labels([(V(1), 0, [0], False)]))
    return kn.superclasses.same, kn.cooccurrence.matrix


def run(rows, preds, **kw):
    labels = make_labels(rows)
    res = classify(make_population(labels, {"m": preds}), labels, **kw)
    first = [cat.BY_CODE[int(c)].name if c >= 0 else "missing" for c in res.codes[0]]
    second = [cat.BY_CODE[int(c)].name if c != cat.NO_CODE else None for c in res.codes2[0]]
    return res, first, second


def test_worked_examples_of_the_spec(tables):
    same, cooc = tables
    # preconditions on our tables for the rows whose outcome depends on them
    assert same[271, 272] and not same[796, 795] and not same[970, 795] and cooc[970, 795]
    assert cooc[175, 226] and not same[175, 226]
    assert not same[799, 757] and not cooc[799, 757] and not same[707, 480] and not cooc[707, 480]
    assert V(45789) in non_prototypical_files() and V(20883) not in non_prototypical_files()
    rows = [
        (V(1), 271, [271], False),                      # 1 correct
        (V(2598), 782, [664, 782], False),              # 2 collapsed mapping before p in M
        (V(8636), 356, [356, 358, 357, 359], False),    # 3 collapsed (weasel family)
        (V(2101), 55, [55, 64], False),                 # 4 multi-label
        (V(10883), 271, [271], False),                  # 5 fine-grained
        (V(14358), 796, [796, 970], False),             # 7 spurious via 970
        (V(22982), 175, [175], False),                  # 8 spurious, two dogs
        (V(45789), 799, [799], False),                  # 9 non-prototypical file
        (V(20883), 707, [707], False),                  # 10 model failure
        (V(3), 5, [], True),                            # 11 problematic, empty M, p = t
        (V(4), 10, [12], True),                         # 12 problematic, t not in M, p = t
    ]
    preds = [271, 664, 358, 64, 272, 795, 226, 757, 480, 5, 10]
    res, first, second = run(rows, preds)
    assert first == ["correct", "correct_collapsed_mapping", "correct_collapsed_mapping", "correct_multi_label",
                     "same_superclass", "common_co_occurrences", "common_co_occurrences", "non_prototypical",
                     "not_classified", "empty_multi_label_correct", "correct_but_wrong_label"]
    expected12 = "same_superclass" if same[12, 10] else "OOV_similar_to_target"
    assert second == [None] * 9 + ["OOV_similar_to_target", expected12]
    frame = res.per_image_frame().set_index("file_name")
    sc = res.knowledge.superclasses
    assert frame.loc[V(10883), "superclasses"] == "[" + ", ".join(sc.of(272)) + "]"
    assert frame.loc[V(10883), "shared_superclass_labels"] == "271"
    # our pairs are derived without held-out files, so 796 ski mask ~ 795 ski may co-occur too (not in the 1,019)
    expected7 = ",".join(str(c) for c in (796, 970) if cooc[c, 795])
    assert "970" in expected7 and frame.loc[V(14358), "cooccurring_labels"] == expected7
    assert frame.loc[V(22982), "cooccurring_labels"] == "175"
    assert frame.loc[V(3), "superclasses"] == "[" + ", ".join(sc.of(5)) + "]"
    assert frame.loc[V(3), "category2"] == "OOV_similar_to_target"
    assert (frame["label_source"] == "test").all() and (frame["clip_step"] == "skipped").all()


def test_collapsed_mapping_is_keyed_by_target_and_one_way(tables):
    same, _ = tables
    rows = [(V(1), 248, [248], False), (V(2), 248, [248, 250], False), (V(3), 250, [250], False)]
    _, first, _ = run(rows, [250, 250, 248])
    # Eskimo dog target, husky prediction: not forgiven unless p in M
    assert first[0] == ("same_superclass" if same[248, 250] else first[0]) and first[0] != "correct_collapsed_mapping"
    assert first[1] == "correct_multi_label"
    assert first[2] == "correct_collapsed_mapping"


def test_fine_grained_wins_over_spurious(tables):
    same, cooc = tables
    # find (a, b, p): same(a, p), cooc(b, p), p not in {a, b}, no collapsed mapping from a
    found = None
    for b, p in zip(*np.nonzero(np.triu(cooc))):
        partners = np.flatnonzero(same[:, p])
        partners = [a for a in partners if a not in (p, b) and not cooc[a, p]]
        if partners:
            found = (int(partners[0]), int(b), int(p))
            break
    assert found is not None
    a, b, p = found
    _, first, _ = run([(V(1), a, [a, b], False), (V(2), b, [b], False)], [p, p])
    assert first == ["same_superclass", "common_co_occurrences"]


def test_problematic_branches(tables):
    same, cooc = tables
    a, b = (int(x) for x in np.argwhere(np.triu(cooc))[0])
    assert not same[a, b]
    nonproto = sorted(non_prototypical_files())[0]
    rows = [
        (V(1), 250, [], True),         # empty M, collapsed -> then same(t, p) or not
        (V(2), a, [], True),           # empty M, wrong, cooc(t, p)
        (nonproto, 0, [], True),       # empty M, wrong, nothing -> non-prototypical file
        (V(5), 0, [], True),           # empty M, wrong, nothing -> failure
        (V(6), a, [7], True),          # t not in M, cooc(t, p), p unrelated to M
    ]
    _, first, second = run(rows, [248, b, 999, 999, b])
    assert first == ["empty_multi_label_correct_collapsed_mapping", "empty_multi_label_wrong",
                     "empty_multi_label_wrong", "empty_multi_label_wrong", None if False else first[4]]
    assert second[0] == ("OOV_similar_to_target" if same[250, 248] else second[0])
    assert second[1] == "common_co_occurrences_with_target"
    assert second[2] == "non_prototypical" and second[3] == "not_classified"
    # a problematic image with a non-empty M and p not in M starts with the later steps directly
    expected4 = reference_classify(a, [7], True, b, V(6), same=same, cooc=cooc, collapsed=COLLAPSED_MAPPINGS,
                                   nonproto=frozenset())
    assert [first[4]] == expected4 and second[4] is None


class FlagAll:
    """OOV detector flagging every query; counts its calls."""

    def __init__(self):
        self.queries = 0

    def describe(self) -> str:
        return "test detector"

    def decide(self, file_names, targets, preds):
        self.queries += len(preds)
        return np.ones(len(preds), dtype=bool), ["detail"] * len(preds)


def test_oov_step_runs_after_fine_grained_and_before_spurious(tables):
    same, cooc = tables
    a, b = (int(x) for x in np.argwhere(np.triu(cooc))[0])
    rows = [(V(10883), 271, [271], False), (V(14358), 796, [796, 970], False), (V(20883), 707, [707], False),
            (V(2), a, [], True), (V(2101), 55, [55, 64], False), (V(45789), 799, [799], False)]
    det = FlagAll()
    res, first, second = run(rows, [272, 795, 480, b, 64, 757], clip=det)
    assert first == ["same_superclass", "OOV_detected_by_clip", "OOV_detected_by_clip", "empty_multi_label_wrong",
                     "correct_multi_label", "OOV_detected_by_clip"]
    assert second[3] == "common_co_occurrences_with_target"
    assert det.queries == 3 and res.clip_step == "test detector"
    frame = res.per_image_frame().set_index("file_name")
    assert frame.loc[V(14358), "oov_detail"] == "detail"


def test_oov_detector_is_asked_once_per_image_and_prediction():
    rows = [(V(14358), 796, [796, 970], False), (V(20883), 707, [707], False)]
    labels = make_labels(rows)
    det = FlagAll()
    pop = make_population(labels, {f"m{i}": [795, 480] for i in range(5)} | {"other": [795, 481]})
    res = classify(pop, labels, clip=det)
    assert det.queries == 3  # (14358, 795), (20883, 480), (20883, 481)
    assert (res.codes == cat.BY_NAME["OOV_detected_by_clip"].code).all()


def test_missing_prediction_is_excluded():
    rows = [(V(1), 271, [271], False), (V(2), 271, [271], False)]
    labels = make_labels(rows)
    res = classify(make_population(labels, {"m": [271, -1]}), labels)
    assert res.codes[0].tolist() == [0, cat.MISSING_CODE]
    st = res.stats("all")
    assert int(st.num_all_samples[0]) == 1 and int(st.num_missing[0]) == 1
    assert len(res.per_image_frame()) == 1


def test_random_rows_match_the_loop_reference(tables):
    """Random (t, M, problematic, p) rows drawn near each other in class space, engine vs loop."""
    same, cooc = tables
    rng = np.random.default_rng(0)
    collapsed = {t: set(ps) for t, ps in COLLAPSED_MAPPINGS.items()}
    nonproto = sorted(non_prototypical_files())
    rows, preds = [], []
    hubs = [248, 250, 356, 357, 664, 782, 271, 272, 795, 796, 970, 175, 226, 505, 550]
    for i in range(3000):
        base = int(rng.choice(hubs)) if rng.random() < 0.5 else int(rng.integers(0, 1000))
        near = lambda: int(np.clip(base + rng.integers(-3, 4), 0, 999))  # noqa: E731
        t = near()
        m = sorted({near() for _ in range(rng.integers(0, 4))}, key=lambda _: rng.random())
        problematic = not m or t not in m or rng.random() < 0.05
        if not problematic and t not in m:
            m.append(t)
        p = t if rng.random() < 0.2 else (near() if rng.random() < 0.7 else int(rng.integers(0, 1000)))
        if rng.random() < 0.05:
            p = int(rng.choice(np.flatnonzero(cooc[t]))) if cooc[t].any() else p
        name = nonproto[i % len(nonproto)] if rng.random() < 0.03 else V(i + 1)
        if any(r[0] == name for r in rows):
            name = V(i + 1)
        rows.append((name, t, m, problematic))
        preds.append(p)
    res, first, second = run(rows, preds)
    mismatches = 0
    for i, (name, t, m, prob) in enumerate(rows):
        ref = reference_classify(t, m, prob, preds[i], name, same=same, cooc=cooc, collapsed=collapsed,
                                 nonproto=non_prototypical_files())
        ours = [first[i]] + ([second[i]] if second[i] else [])
        mismatches += ref != ours
    assert mismatches == 0
    assert len(set(first)) >= 10  # the sample exercises most branches
