"""WordNet 3.0 class knowledge: hypernym paths, lemma names and the organism / artifact / other groups.

Built at run time from ImageNet's WordNet export (resources ``wordnet/wordnet.is_a.txt``, lines
``parent child``, and ``wordnet/words.txt``, lines ``wnid<TAB>lemma, lemma, ...``).

Lemma normalisation: ``words.txt`` writes lemmas as a comma-and-space separated list with spaces inside
multi-word lemmas (``red wolf, maned wolf, Canis rufus``). NLTK's ``lemma_names()`` keeps case and joins the
words of a lemma with underscores (``red_wolf``). :func:`normalise_lemma` turns the first form into the
second (strip, then every run of whitespace becomes one ``_``), so the lemma predicates of the superclass
file are written exactly as NLTK would print them.

A class's **node list** is the flattened union of all its hypernym paths: the class synset itself, every
ancestor, up to ``entity`` (n00001740).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..constants import N_CLASSES
from ..exceptions import InvalidInputError, ResourceError

__all__ = ["WordNet", "wordnet", "normalise_lemma", "class_groups", "GROUPS", "ROOT"]

#: Synset id of ``entity``, the root of every noun hypernym path.
ROOT = "n00001740"
#: The class groups of the stats files, in file order.
GROUPS: tuple[str, ...] = ("all", "organism", "artifact", "other")

_WS = re.compile(r"\s+")


def normalise_lemma(text: str) -> str:
    """NLTK-style lemma name: strip, whitespace runs become ``_`` (case kept).

    >>> normalise_lemma(" red wolf ")
    'red_wolf'
    """
    return _WS.sub("_", text.strip())


def offset_of(wnid: str) -> int:
    """Integer WordNet offset of a wnid (``n04167759`` -> 4167759)."""
    return int(wnid[1:])


@dataclass(frozen=True, eq=False)
class WordNet:
    """The WordNet noun graph restricted to what the taxonomy needs.

    Attributes
    ----------
    parents, children : dict wnid -> tuple of wnids (direct hypernyms / hyponyms, file order).
    lemmas : dict wnid -> tuple of normalised lemma names (``words.txt`` order).
    class_wnids : the 1,000 ImageNet wnids, sorted (class id = position).
    """

    parents: dict[str, tuple[str, ...]]
    children: dict[str, tuple[str, ...]]
    lemmas: dict[str, tuple[str, ...]]
    class_wnids: tuple[str, ...]
    _anc: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def ancestors(self, wnid: str) -> frozenset[str]:
        """The flattened node list of ``wnid``: itself and every ancestor (all hypernym paths)."""
        got = self._anc.get(wnid)
        if got is not None:
            return got
        out = {wnid}
        stack = [wnid]
        while stack:
            for parent in self.parents.get(stack.pop(), ()):
                if parent not in out:
                    out.add(parent)
                    stack.append(parent)
        frozen = frozenset(out)
        self._anc[wnid] = frozen
        return frozen

    def hypernym_paths(self, wnid: str) -> list[list[str]]:
        """Every path from the root down to ``wnid`` (both ends included), like NLTK's ``hypernym_paths()``."""
        parents = self.parents.get(wnid, ())
        if not parents:
            return [[wnid]]
        return [path + [wnid] for parent in parents for path in self.hypernym_paths(parent)]

    def lemma_set(self, wnid: str) -> frozenset[str]:
        """The lemma names of every node of ``wnid``'s node list."""
        return frozenset(lem for node in self.ancestors(wnid) for lem in self.lemmas.get(node, ()))

    def predicate_holds(self, wnid: str, predicate: tuple[str, ...] | list[str]) -> bool:
        """True if every name of ``predicate`` is a lemma of some node of ``wnid``'s node list."""
        names = self.lemma_set(wnid)
        return all(name in names for name in predicate)

    def class_lemma_sets(self) -> list[frozenset[str]]:
        """:meth:`lemma_set` of each of the 1,000 classes, in class-id order."""
        return [self.lemma_set(w) for w in self.class_wnids]

    def name(self, wnid: str) -> str:
        """The first lemma with spaces (``red wolf``), or the wnid when unknown."""
        lem = self.lemmas.get(wnid)
        return lem[0].replace("_", " ") if lem else wnid


@lru_cache(maxsize=1)
def wordnet() -> WordNet:
    """Load the WordNet graph from the ``wordnet/*`` resources (cached).

    Examples
    --------
    >>> wn = wordnet()
    >>> wn.lemmas["n02114712"][:2]
    ('red_wolf', 'maned_wolf')
    >>> "n00001740" in wn.ancestors("n02114712")
    True
    """
    from ..datasets._index import class_info
    from ..resources import resource_path

    parents: dict[str, list[str]] = {}
    children: dict[str, list[str]] = {}
    is_a = resource_path("wordnet/wordnet.is_a.txt")
    with open(is_a, encoding="utf-8") as fh:
        for row, line in enumerate(fh, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2:
                raise ResourceError(f"{is_a}, row {row}: expected 'parent_wnid child_wnid', got {line.strip()!r}.")
            parent, child = parts
            parents.setdefault(child, []).append(parent)
            children.setdefault(parent, []).append(child)
    lemmas: dict[str, tuple[str, ...]] = {}
    words = resource_path("wordnet/words.txt")
    with open(words, encoding="utf-8") as fh:
        for line in fh:
            if "\t" not in line:
                continue
            wnid, text = line.rstrip("\n").split("\t", 1)
            lemmas[wnid] = tuple(normalise_lemma(t) for t in text.split(",") if t.strip())
    class_wnids = tuple(str(w) for w in class_info().wnids)
    missing = [w for w in class_wnids if w not in parents]
    if missing:
        raise ResourceError(f"{is_a}: {len(missing)} ImageNet classes have no hypernym, e.g. {missing[:3]}.")
    return WordNet({k: tuple(v) for k, v in parents.items()}, {k: tuple(v) for k, v in children.items()},
                   lemmas, class_wnids)


@lru_cache(maxsize=1)
def class_groups() -> dict[str, np.ndarray]:
    """Boolean (1000,) membership of each class in the groups ``all``, ``organism``, ``artifact``, ``other``.

    ``organism`` / ``artifact``: the lemma ``organism`` / ``artifact`` is on the class's node list (410 / 522
    classes); ``other``: neither (68 classes).

    Examples
    --------
    >>> g = class_groups()
    >>> [int(g[k].sum()) for k in GROUPS]
    [1000, 410, 522, 68]
    """
    wn = wordnet()
    sets = wn.class_lemma_sets()
    organism = np.array(["organism" in s for s in sets])
    artifact = np.array(["artifact" in s for s in sets])
    if (organism & artifact).any():
        raise ResourceError("WordNet: a class is both organism and artifact; the WordNet files are not 3.0.")
    return {"all": np.ones(N_CLASSES, dtype=bool), "organism": organism, "artifact": artifact,
            "other": ~(organism | artifact)}


def check_group(group: str) -> str:
    """Validate a group name."""
    if group not in GROUPS:
        raise InvalidInputError(f"Expected `group` to be one of {list(GROUPS)}, but got {group!r}.")
    return group
