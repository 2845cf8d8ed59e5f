"""The co-occurrence recipe (spec §7): hand-built ReaL lists, and the real derivation against the 1,019 pairs."""

from __future__ import annotations

import numpy as np
import pytest

from errorscope.exceptions import InvalidInputError
from errorscope.taxonomy.cooccurrence import Cooccurrence, derive_cooccurrence
from errorscope.taxonomy.superclasses import load_superclasses


def padded(lists):
    k = max(1, max(len(x) for x in lists))
    out = np.full((len(lists), k), -1, dtype=np.int16)
    for i, x in enumerate(lists):
        out[i, : len(x)] = x
    return out, np.array([len(x) for x in lists], dtype=np.int16)


def test_recipe_on_hand_built_lists():
    sc = load_superclasses()
    assert not sc.same[505, 550] and not sc.same[795, 970] and sc.same[271, 272]
    lists = [
        [505, 550],        # pair (505, 550)
        [550],             # t = 505 appended -> pair (505, 550) again
        [],                # empty: skipped, t NOT appended
        [795],             # t = 795, single label: skipped
        [795, 970, 795],   # duplicated label: the pair counts once for the image
        [271, 272],        # same superclass (twice): filtered
        [271, 272],
        [970, 795],        # excluded file
    ]
    targets = np.array([505, 505, 970, 795, 795, 271, 272, 970])
    labels, sizes = padded(lists)
    co = derive_cooccurrence(sc, real_labels=(labels, sizes), targets=targets, exclude=["ILSVRC2012_val_00000008.JPEG"])
    assert co.steps["excluded"] == 1 and co.steps["empty"] == 1 and co.steps["single_label"] == 1
    assert co.steps["contributing"] == 5 and co.steps["distinct_pairs"] == 3 and co.steps["disjoint_pairs"] == 2
    assert co.counts[505, 550] == 2 and co.counts[550, 505] == 2 and co.counts[795, 970] == 1
    assert co.counts[970, 505] == 0  # the empty list of image 3 did not get its target
    assert co.pairs.tolist() == [[505, 550]]  # (795, 970) is seen in one image only
    assert co.matrix[505, 550] and co.matrix[550, 505] and not co.matrix[271, 272]
    co1 = derive_cooccurrence(sc, real_labels=(labels, sizes), targets=targets, min_count=1,
                              exclude=["ILSVRC2012_val_00000008.JPEG"])
    assert co1.pairs.tolist() == [[505, 550], [795, 970]]


def test_derivation_on_real_labels_contains_every_published_pair(published_pairs):
    sc = load_superclasses()
    co = derive_cooccurrence(sc)
    # no file held out (ReaL source): 3,163 empty lists, every published pair is found again
    assert co.steps["excluded"] == 0 and co.steps["empty"] == 3163
    assert co.matrix[published_pairs[:, 0], published_pairs[:, 1]].all()
    assert (co.counts[published_pairs[:, 0], published_pairs[:, 1]] >= 2).all()
    assert co.steps["kept_pairs"] == len(co.pairs) == int(np.triu(co.matrix).sum())
    assert 1019 < len(co.pairs) < 2 * 1019


def test_from_pairs():
    co = Cooccurrence.from_pairs([[550, 505], [1, 2]])
    assert co.pairs.tolist() == [[1, 2], [505, 550]] and co.matrix[505, 550] and co.matrix[550, 505]
    with pytest.raises(InvalidInputError):
        Cooccurrence.from_pairs([[0, 1000]])


def test_invalid_min_count():
    with pytest.raises(InvalidInputError, match="min_count"):
        derive_cooccurrence(load_superclasses(), min_count=0)


def test_published_pairs_are_the_default_source(published_pairs):
    from errorscope.taxonomy.pair_sources import DEFAULT_PAIR_SOURCE, PAIR_SOURCES, load_cooccurrence

    assert DEFAULT_PAIR_SOURCE == "published" and set(PAIR_SOURCES) == {"published", "derived"}
    co = load_cooccurrence()
    assert co.source == "published" and len(co.pairs) == 1019 == len(published_pairs)
    assert co.matrix[published_pairs[:, 0], published_pairs[:, 1]].all()
    assert int(co.matrix.sum()) == 2 * 1019  # both orderings, nothing else
    assert co.description.startswith("published: 1019 pairs")


def test_derived_pairs_need_held_out_images_and_are_refused_on_evaluated_ones():
    from errorscope.datasets import val_index
    from errorscope.taxonomy.knowledge import build_knowledge
    from errorscope.taxonomy.labels import real_multilabels
    from errorscope.taxonomy.pair_sources import load_cooccurrence

    with pytest.raises(InvalidInputError, match="held out"):
        load_cooccurrence("derived")
    held = list(val_index().file_names[:10000])
    co = load_cooccurrence("derived", held_out=held)
    # the same recipe, independently: everything but the first 10,000 files excluded
    ref = derive_cooccurrence(load_superclasses(), exclude=list(val_index().file_names[10000:]))
    assert co.pairs.tolist() == ref.pairs.tolist() and co.n_used_files == 10000
    assert co.steps["excluded"] == 40000 and co.description.startswith(f"derived: {len(co.pairs)} pairs")
    with pytest.raises(InvalidInputError, match="derived on 10000 of the images being classified"):
        build_knowledge(real_multilabels(), cooccurrence=co)
    kn = build_knowledge(real_multilabels().without(held), cooccurrence=co)
    assert len(kn.labels) == 40000 and kn.cooccurrence.source == "derived"
    # the old default (derived on all 50,000 evaluated images) is refused
    with pytest.raises(InvalidInputError, match="derived on 50000"):
        build_knowledge(real_multilabels(), cooccurrence=derive_cooccurrence(load_superclasses()))
