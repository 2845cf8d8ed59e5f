"""Superclasses on held-out evidence: the published CLIP prompt counts ("out of N" of the authors' proposal step) and WordNet coherence."""

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
    return load_superclasses("wordnet-coherent-v2")


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
    assert summary["basis"].str.contains("proposal step").all()


# --- the coherent set (wordnet-coherent-v2): WordNet groups, measured on the held-out half ---------------------

TOP_LEVEL = {"entity", "physical_entity", "object", "whole", "artifact", "organism", "living_thing",
             "instrumentality", "abstraction", "matter"}


@pytest.fixture(scope="module")
def recorded_ancestors():
    import tomllib
    from importlib import resources

    text = resources.files("errorscope.taxonomy").joinpath("superclasses_coherent.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)["ancestors"]


def test_every_group_lies_under_its_recorded_ancestor_which_is_not_top_level(sc, recorded_ancestors):
    wn = wordnet()
    defined = list(sc.predicates)
    assert sorted(recorded_ancestors) == sorted(defined) and len(defined) == 157
    under = {}
    for w in wn.class_wnids:
        for node in wn.ancestors(w):
            under[node] = under.get(node, 0) + 1
    for name in defined:
        anchor = recorded_ancestors[name]
        members = np.flatnonzero(sc.membership[:, sc.names.index(name)])
        assert all(anchor in wn.ancestors(wn.class_wnids[c]) for c in members), name
        assert not set(wn.lemmas[anchor]) & TOP_LEVEL, (name, anchor)
        assert under[anchor] <= 130, (name, anchor, under[anchor])


def test_no_group_chains_unrelated_branches(sc):
    from errorscope.taxonomy.wordnet import class_groups

    g = class_groups()
    for s in range(sc.membership.shape[1]):
        col = sc.membership[:, s]
        assert not (col[g["organism"]].any() and col[g["artifact"]].any()), sc.names[s]
    # the old file's 31-class chain put Newfoundland with church, and the retrievers with garments and poles
    assert not sc.same[256, 497]  # Newfoundland / church
    assert not sc.same[205, 497] and not sc.same[205, 733]  # flat-coated retriever / church, pole
    assert sc.same[271, 272] and sc.same[208, 207]  # red wolf ~ coyote; Labrador ~ golden retriever


def test_held_out_prompt_count_agreement(agreement):
    # even offsets guided tools/build_superclasses.py; the odd half was computed once, on the committed file.
    # (The fitted file before the rebuild: 96 / 360, 85 / 362, 181 / 722.)
    assert agreement.counts("even") == (220, 360)
    assert agreement.counts("odd") == (90, 362)
    assert agreement.counts("all") == (310, 722)


def test_default_set_is_the_fitted_reconstruction_and_its_held_out_agreement():
    """The default (reconstruction-v1) keeps the paper's fine-grained share; on the held-out half it does no
    better than the coherent set, and it has a chained group (measured, docs/taxonomy.md)."""
    from errorscope.taxonomy.superclasses import DEFAULT_SOURCE, DEFAULT_SUPERCLASSES

    default = load_superclasses()
    assert DEFAULT_SUPERCLASSES == "reconstruction-v1" and DEFAULT_SOURCE == "errorscope-reconstruction-v1"
    assert default.source == DEFAULT_SOURCE
    agreement = prompt_count_agreement(default)
    assert agreement.counts("even") == (96, 360)
    assert agreement.counts("odd") == (85, 362)
    assert agreement.counts("all") == (181, 722)
    assert default.same[256, 497]  # Newfoundland / church: the chained group the coherent set removes
    coherent = load_superclasses("wordnet-coherent-v2")
    assert coherent.source == "errorscope-wordnet-coherent-v2" and not coherent.same[256, 497]
