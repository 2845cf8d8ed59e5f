"""OOV proposals (spec §8b) against the 722 published fg-OOV entries."""

from __future__ import annotations

import ast
import re

from errorscope.taxonomy.listing import parse_listing
from errorscope.taxonomy.proposals import in_vocabulary_offsets, make_proposals
from errorscope.taxonomy.superclasses import load_superclasses
from errorscope.taxonomy.wordnet import wordnet
from .taxonomy_helpers import ETH


def test_prompt_counts_and_oov_proposals_match_the_published_listing():
    sc = load_superclasses()
    entries = parse_listing(ETH / "common_error_samples/most_common_fg-OOV.txt")
    assert len(entries) == 722
    equal = smaller = 0
    inv = in_vocabulary_offsets()
    for e in entries:
        detail = ast.literal_eval(e.detail)[1]
        published_n = int(re.search(r"out of (\d+)$", detail).group(1))
        top5 = ast.literal_eval(re.search(r"proposals: (\[.*\]) \|", detail).group(1))
        # steps 1, 3 and 4 do not depend on the (unpublished) superclasses
        ours = make_proposals(e.pred, e.wnid_folder, sc, superclass_members=False)
        assert ours.n_prompts <= published_n
        equal += ours.n_prompts == published_n
        smaller += ours.n_prompts < published_n
        offsets = {o for o, _ in ours.prompts}
        # every out-of-vocabulary proposal the authors scored is one of ours, with the same prompt text
        for off, lemma, _ in top5:
            if off not in inv:
                assert (off, lemma) in set(ours.prompts), (e.file_name, off, lemma)
                assert off in offsets
    assert equal == 111 and smaller == 611  # the spec's count of entries without step-2 members


def test_proposal_rules_on_the_tripod_swing_example():
    wn = wordnet()
    props = make_proposals(843, wn.class_wnids[872], load_superclasses())
    assert props.synsets[0] == wn.class_wnids[843]
    assert (4167759, "teetertotter") in props.prompts and (4167759, "seesaw") in props.prompts
    offsets = [o for o, _ in props.prompts]
    blocked = {int(n[1:]) for n in wn.ancestors(wn.class_wnids[872])}
    assert not blocked & set(offsets)
    assert len(props.synsets) == len({int(s[1:]) for s in props.synsets})  # de-duplicated by offset
