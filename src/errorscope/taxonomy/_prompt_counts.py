"""Held-out check of a superclass definition against the CLIP prompt counts of the published fg-OOV listing.

``eth_error_analysis/common_error_samples/most_common_fg-OOV.txt`` prints, for each of its 722 entries, the
number of CLIP prompts the authors scored ("... | out of N"). In the authors' proposal step, N is the number of lemmas of the
proposal set: the prediction p, **every ImageNet class sharing one of the authors' superclasses with p**
(step 2), the siblings of p and its ancestors from the first meta-label node, de-duplicated by offset and
without the nodes on the target's hypernym paths. Steps 1, 3 and 4 do not depend on the superclasses (the
spec and ``tests/taxonomy/test_taxonomy_proposals.py`` check them on the entries without step-2 members), so
N is evidence of the authors' unpublished superclass-mates of p that no fitting target of ours contains.

The entries are split by the parity of p's WordNet offset: the **even** half may guide the construction of a
superclass file (``tools/build_superclasses.py`` reads only that half), the **odd** half is held out and is
only measured on the finished file.

>>> from errorscope.taxonomy import load_superclasses                      # doctest: +SKIP
>>> prompt_count_agreement(load_superclasses()).rate("odd")                 # doctest: +SKIP
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from ..exceptions import IngestError, InvalidInputError
from ..resources import resource_path
from .listing import parse_listing
from .proposals import make_proposals
from .superclasses import Superclasses, load_superclasses
from .wordnet import offset_of, wordnet

__all__ = ["HALVES", "PromptCountEvidence", "PromptCountAgreement", "prompt_count_evidence",
           "prompt_count_agreement"]

#: The halves of the listing: by parity of the predicted class's WordNet offset, and both together.
HALVES: tuple[str, ...] = ("even", "odd", "all")
#: The listing, by manifest name.
LISTING = "eth_error_analysis/common_error_samples/most_common_fg-OOV.txt"
_OUT_OF = re.compile(r"\| out of (\d+)$")


def _check_half(half: str) -> str:
    if half not in HALVES:
        raise InvalidInputError(f"Expected `half` to be one of {list(HALVES)}, but got {half!r}.")
    return half


@dataclass(frozen=True, eq=False)
class PromptCountEvidence:
    """The published prompt counts and the superclass-free part of our proposals, one row per listing entry.

    Attributes
    ----------
    frame : DataFrame with columns ``rank``, ``file_name``, ``target_wnid``, ``pred``, ``pred_offset``,
        ``half`` (``"even"`` / ``"odd"``), ``published_n`` (the printed "out of N") and ``base_n`` (our prompt
        count of steps 1, 3 and 4 alone).
    base_offsets : per row, the offsets already proposed by steps 1, 3 and 4.
    class_lemmas : (1000,) number of lemmas (prompts) of each ImageNet class.
    class_offsets : (1000,) WordNet offset of each class.
    source : the listing file the counts come from.
    """

    frame: pd.DataFrame
    base_offsets: tuple[frozenset[int], ...]
    class_lemmas: np.ndarray
    class_offsets: np.ndarray
    source: str

    def rows(self, half: str = "all") -> np.ndarray:
        """Row positions of ``half`` (``"even"``, ``"odd"`` or ``"all"``)."""
        _check_half(half)
        if half == "all":
            return np.arange(len(self.frame))
        return np.flatnonzero(self.frame["half"].to_numpy() == half)

    def predicted_n(self, mates_of: Callable[[int], Iterable[int]], rows: Iterable[int] | None = None) -> np.ndarray:
        """Prompt counts when ``mates_of(p)`` (class ids, p may be included) are the superclass-mates of p.

        The count is ``base_n`` plus the lemmas of every mate whose offset steps 1, 3 and 4 did not propose
        already (the proposal set is de-duplicated by offset; step 2 adds mates without the blocked test).
        """
        rows = range(len(self.frame)) if rows is None else rows
        preds = self.frame["pred"].to_numpy()
        base_n = self.frame["base_n"].to_numpy()
        out = []
        for r in rows:
            base = self.base_offsets[r]
            extra = sum(int(self.class_lemmas[c]) for c in mates_of(int(preds[r]))
                        if int(self.class_offsets[c]) not in base)
            out.append(int(base_n[r]) + extra)
        return np.asarray(out, dtype=np.int64)


@lru_cache(maxsize=1)
def prompt_count_evidence() -> PromptCountEvidence:
    """Read the fg-OOV listing (through the manifest) and compute the superclass-free proposals of each entry.

    Returns
    -------
    PromptCountEvidence
        722 rows for the published listing (360 with an even predicted offset, 362 odd).
    """
    path = resource_path(LISTING)
    entries = parse_listing(path)
    wn = wordnet()
    unused = load_superclasses()  # steps 1, 3 and 4 do not read the superclasses
    rows, bases = [], []
    for e in entries:
        try:
            detail = ast.literal_eval(e.detail)[1]
            match = _OUT_OF.search(detail)
        except (ValueError, SyntaxError, IndexError, TypeError):
            match = None
        if match is None:
            raise IngestError(path, "expected the row's label list with a final '... | out of N' string.",
                              column=f"entry {e.rank}",
                              fix="use the published most_common_fg-OOV.txt listing.")
        props = make_proposals(e.pred, e.wnid_folder, unused, superclass_members=False)
        off = offset_of(wn.class_wnids[e.pred])
        rows.append((e.rank, e.file_name, e.wnid_folder, e.pred, off, "even" if off % 2 == 0 else "odd",
                     int(match.group(1)), props.n_prompts))
        bases.append(frozenset(offset_of(s) for s in props.synsets))
    frame = pd.DataFrame(rows, columns=["rank", "file_name", "target_wnid", "pred", "pred_offset", "half",
                                        "published_n", "base_n"])
    lemmas = np.array([len(wn.lemmas.get(w, ())) for w in wn.class_wnids], dtype=np.int64)
    offsets = np.array([offset_of(w) for w in wn.class_wnids], dtype=np.int64)
    return PromptCountEvidence(frame, tuple(bases), lemmas, offsets, str(path))


@dataclass(frozen=True, eq=False)
class PromptCountAgreement:
    """Our prompt count next to the published one for every entry of the fg-OOV listing.

    Attributes
    ----------
    frame : the evidence frame plus ``ours_n`` and ``match`` (``ours_n == published_n``).
    superclass_source : the superclass definitions checked.
    listing : the listing file the published counts come from.
    """

    frame: pd.DataFrame
    superclass_source: str
    listing: str

    def counts(self, half: str = "all") -> tuple[int, int]:
        """(entries that reproduce, entries) in ``half``."""
        _check_half(half)
        f = self.frame if half == "all" else self.frame[self.frame["half"] == half]
        return int(f["match"].sum()), len(f)

    def rate(self, half: str = "all") -> float:
        """Fraction of the entries of ``half`` whose prompt count we reproduce."""
        hit, n = self.counts(half)
        return hit / n if n else float("nan")

    def summary(self) -> pd.DataFrame:
        """One row per half: ``half``, ``matched``, ``entries``, ``rate``, ``predicted_classes`` (distinct p),
        with the basis of the numbers in ``basis``."""
        rows = []
        for half in HALVES:
            hit, n = self.counts(half)
            f = self.frame if half == "all" else self.frame[self.frame["half"] == half]
            rows.append((half, hit, n, hit / n if n else float("nan"), int(f["pred"].nunique())))
        out = pd.DataFrame(rows, columns=["half", "matched", "entries", "rate", "predicted_classes"])
        out["basis"] = (f"'out of N' of {self.listing} (the authors' proposal step) vs our proposals with superclasses "
                        f"{self.superclass_source}; halves by parity of the predicted class's WordNet offset")
        return out


def prompt_count_agreement(superclasses: Superclasses, half: str = "all") -> PromptCountAgreement:
    """Compare the prompt counts implied by ``superclasses`` with the published ones.

    Parameters
    ----------
    superclasses : the superclass definitions to check (for example :func:`load_superclasses`).
    half : ``"even"``, ``"odd"`` or ``"all"``: which entries to compute (a construction tool passes
        ``"even"`` so that it never sees the held-out half).

    Returns
    -------
    PromptCountAgreement
        One row per entry of ``half``.
    """
    _check_half(half)
    ev = prompt_count_evidence()
    rows = ev.rows(half)
    same = superclasses.same
    ours = ev.predicted_n(lambda p: np.flatnonzero(same[p]), rows)
    frame = ev.frame.iloc[rows].reset_index(drop=True).copy()
    frame["ours_n"] = ours
    frame["match"] = frame["ours_n"] == frame["published_n"]
    return PromptCountAgreement(frame, superclasses.source, ev.source)
