"""Superclasses on held-out evidence: the published CLIP prompt counts ("out of N", spec §8b) and WordNet coherence."""

from __future__ import annotations

import ast
import re

import numpy as np
import pytest

from errorscope.exceptions import InvalidInputError
from errorscope.taxonomy._prompt_counts import prompt_count_agreement, prompt_count_evidence
from errorscope.taxonomy.listing import parse_listing
from errorscope.taxonomy.proposals import make_proposals
from errorscope.taxonomy.superclasses import load_superclasses
from errorscope.taxonomy.wordnet import wordnet
from .taxonomy_helpers import ETH


@pytest.fixture(scope="module")
def sc():
    return load_superclasses()


@pytest.fixture(scope="module")
def agreement(sc):
    return prompt_count_agreement(sc)


def test_evidence_reads_all_722_entries_split_by_offset_parity():
    ev = prompt_count_evidence()
    f = ev.frame
    assert len(f) == 722
    assert (f["half"] == np.where(f["pred_offset"] % 2 == 0, "even", "odd")).all()
    assert len(ev.rows("even")) + len(ev.rows("odd")) == 722
    # the first entry, read by hand from the listing: tripod -> swing, "| out of 135"
    assert (f.loc[0, "pred"], f.loc[0, "target_wnid"], f.loc[0, "published_n"]) == (843, "n04485082", 135)
    with pytest.raises(InvalidInputError, match="half"):
        ev.rows("first")


def test_fast_counts_equal_the_full_proposal_generator_on_every_entry(sc, agreement):
    # independent slow loop: build the whole proposal set with step 2 for every published entry
    entries = parse_listing(ETH / "common_error_samples/most_common_fg-OOV.txt")
    slow, published = [], []
    for e in entries:
        slow.append(make_proposals(e.pred, e.wnid_folder, sc).n_prompts)
        published.append(int(re.search(r"out of (\d+)$", ast.literal_eval(e.detail)[1]).group(1)))
    assert agreement.frame["ours_n"].tolist() == slow
    assert agreement.frame["published_n"].tolist() == published
    assert agreement.counts("all") == (int(np.sum(np.array(slow) == np.array(published))), 722)


def test_a_half_is_computed_alone(sc, agreement):
    even = prompt_count_agreement(sc, half="even")
    assert set(even.frame["half"]) == {"even"}
    assert even.counts("even") == agreement.counts("even")
    hit_e, n_e = agreement.counts("even")
    hit_o, n_o = agreement.counts("odd")
    assert (hit_e + hit_o, n_e + n_o) == agreement.counts("all")
    summary = agreement.summary()
    assert summary["half"].tolist() == ["even", "odd", "all"]
    assert summary["entries"].tolist() == [n_e, n_o, 722]
    assert summary["basis"].str.contains("spec §8b").all()
