"""The ``most_common_<category>.txt`` listing: images most often put in one category across a population.

Format of the published ``common_error_samples/*.txt`` files of Peychev et al. (one block per image, blank
line between blocks)::

    1) cnt mistakes = 961, file = n02114712/ILSVRC2012_val_00010883.JPEG
    target = 271, n02114712: red wolf, maned wolf, Canis rufus, Canis niger
    multi_labels:
    271, n02114712: red wolf, maned wolf, Canis rufus, Canis niger
    pred = 272, n02114855: coyote, prairie wolf, brush wolf, Canis latrans

The fg-OOV listing adds the row's label list as a Python list repr after ``pred``.
:func:`parse_listing` reads that format back (used by the tests and the superclass tool).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..exceptions import IngestError

__all__ = ["ListingEntry", "parse_listing", "format_entry"]

_HEAD = re.compile(r"^(\d+)\) cnt mistakes = (\d+), file = (\S+)/(\S+)$")
_ID = re.compile(r"^(?:target = |pred = )?(\d+), (n\d{8}): ")


@dataclass(frozen=True)
class ListingEntry:
    """One block of a listing."""

    rank: int
    count: int
    wnid_folder: str
    file_name: str
    target: int
    multi_labels: tuple[int, ...]
    pred: int
    detail: str = ""


def parse_listing(path: str | Path) -> list[ListingEntry]:
    """Parse a ``most_common_*.txt`` file into entries, in file order."""
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    entries: list[ListingEntry] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        head = _HEAD.match(line)
        if head is None:
            raise IngestError(path, f"expected a block header 'N) cnt mistakes = K, file = wnid/file', got {line!r}.",
                              row=i + 1)
        target = _ID.match(lines[i + 1])
        if target is None or not lines[i + 1].startswith("target = ") or lines[i + 2] != "multi_labels:":
            raise IngestError(path, "expected 'target = id, wnid: ...' then 'multi_labels:'.", row=i + 2)
        j = i + 3
        labels = []
        while j < len(lines) and not lines[j].startswith("pred = "):
            m = _ID.match(lines[j])
            if m is None:
                raise IngestError(path, f"expected a label line 'id, wnid: names', got {lines[j]!r}.", row=j + 1)
            labels.append(int(m.group(1)))
            j += 1
        if j >= len(lines):
            raise IngestError(path, "block without a 'pred = ' line.", row=i + 1)
        pred = _ID.match(lines[j])
        if pred is None:
            raise IngestError(path, f"expected 'pred = id, wnid: names', got {lines[j]!r}.", row=j + 1)
        detail = ""
        if j + 1 < len(lines) and lines[j + 1].startswith("["):
            detail = lines[j + 1]
            j += 1
        entries.append(ListingEntry(int(head.group(1)), int(head.group(2)), head.group(3), head.group(4),
                                    int(target.group(1)), tuple(labels), int(pred.group(1)), detail))
        i = j + 1
    return entries


def format_entry(rank: int, count: int, wnid_folder: str, file_name: str, target: int,
                 multi_labels: Iterable[int], pred: int, describe: Callable[[int], str], detail: str = "") -> str:
    """One block in the published format; ``describe(id)`` returns ``'wnid: names'``."""
    out = [f"{rank}) cnt mistakes = {count}, file = {wnid_folder}/{file_name}",
           f"target = {target}, {describe(target)}", "multi_labels:"]
    out += [f"{c}, {describe(c)}" for c in multi_labels]
    out.append(f"pred = {pred}, {describe(pred)}")
    if detail:
        out.append(detail)
    return "\n".join(out) + "\n"
