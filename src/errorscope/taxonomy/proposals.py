"""Alternative label proposals for the out-of-vocabulary step (Peychev et al. 2023), from WordNet and the superclasses.

For a prediction p on an image whose target folder is t, the proposals are WordNet synsets, de-duplicated by
offset (first insertion wins), that must not lie on t's own hypernym paths (``blocked``):

1. p itself;
2. every ImageNet class sharing a superclass with p, in class-id order;
3. the siblings of p: the hyponyms of each direct hypernym of p;
4. the ancestors of p: on each hypernym path of p (root first), from the first node having one of the
   :data:`META_LABELS` as a lemma down to p.

Each synset gives one prompt per lemma (lower-cased, ``_`` -> space). Synsets whose offset is not one of the
1,000 ImageNet offsets are out of vocabulary.

The hyponym links come from ImageNet's WordNet export (``wordnet.is_a.txt``), which covers 74,401 of the
82,115 noun synsets; siblings outside it are not proposed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .superclasses import Superclasses
from .wordnet import offset_of, wordnet

__all__ = ["META_LABELS", "Proposals", "make_proposals", "in_vocabulary_offsets"]

META_LABELS = ("device", "dog", "commodity", "bird", "structure", "covering", "wheeled_vehicle", "food",
               "equipment", "insect", "vehicle", "furniture", "primate", "vessel", "snake", "natural_object",
               "organism", "geological_formation", "clothing", "container")


@dataclass(frozen=True)
class Proposals:
    """Ordered synsets and their prompts ``(offset, text)``."""

    synsets: tuple[str, ...]
    prompts: tuple[tuple[int, str], ...]

    @property
    def n_prompts(self) -> int:
        return len(self.prompts)


@lru_cache(maxsize=1)
def in_vocabulary_offsets() -> frozenset[int]:
    """The integer WordNet offsets of the 1,000 ImageNet classes."""
    return frozenset(offset_of(w) for w in wordnet().class_wnids)


def make_proposals(pred: int, target_wnid: str, superclasses: Superclasses, *,
                   superclass_members: bool = True) -> Proposals:
    """The proposals for prediction ``pred`` (class id) on an image of folder ``target_wnid``.

    ``superclass_members=False`` leaves out step 2 (used to compare with the published prompt counts, which
    depend on the authors' unpublished superclasses only through that step).
    """
    wn = wordnet()
    p_wnid = wn.class_wnids[pred]
    blocked = {offset_of(n) for n in wn.ancestors(target_wnid)}
    order: list[str] = []
    seen: set[int] = set()

    def add(node: str) -> None:
        off = offset_of(node)
        if off not in seen:
            seen.add(off)
            order.append(node)

    add(p_wnid)
    if superclass_members:
        for c in superclasses.same[pred].nonzero()[0]:
            add(wn.class_wnids[int(c)])
    for parent in wn.parents.get(p_wnid, ()):
        for sibling in wn.children.get(parent, ()):
            if offset_of(sibling) not in blocked:
                add(sibling)
    meta = set(META_LABELS)
    for path in wn.hypernym_paths(p_wnid):
        start = next((i for i, node in enumerate(path) if meta & set(wn.lemmas.get(node, ()))), None)
        if start is None:
            continue
        for node in path[start:]:
            if offset_of(node) not in blocked:
                add(node)
    prompts = tuple((offset_of(node), lem.lower().replace("_", " ")) for node in order for lem in wn.lemmas.get(node, ()))
    return Proposals(tuple(order), prompts)
