"""Superclasses: groups of visually or semantically close classes, defined by WordNet lemma predicates.

Semantics (Peychev et al. 2023, superclasses): a superclass is a list of predicates; a predicate is a list of WordNet lemma names; it
**holds** for a class if every name is a lemma of some node of the class's node list (all hypernym paths,
the class itself included); the class is a member if **any** predicate holds. Classes that match no
superclass get a singleton superclass named by their wnid. ``same(a, b)`` iff their superclass sets meet.

The authors' definitions are not public. errorscope ships two reconstructions, named in :data:`SUPERCLASS_SETS`:

* ``reconstruction-v1`` (default, ``superclasses.toml``): fitted to the published listings and counts; it keeps
  the paper's fine-grained share within 4.4 points on the 14 same-weight models, but some groups chain
  unrelated WordNet branches (one joins two retriever breeds with churches and poles);
* ``wordnet-coherent-v2`` (``superclasses_coherent.toml``, built by ``tools/build_superclasses.py``): every
  group lies under one recorded WordNet ancestor, never a top-level node.

Neither reproduces the held-out half of the authors' CLIP prompt counts well (23.5 % and 24.9 %;
:mod:`errorscope.taxonomy._prompt_counts`, ``docs/taxonomy.md``). Pass a set's name, or ``path=`` to another file
in the same format, for example a JSON-lines file of the authors' format (``{"name": [[lemma, ...], ...]}``
per line).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources as _ir
from pathlib import Path
from typing import Any

import numpy as np

from ..constants import N_CLASSES
from ..exceptions import IngestError
from .wordnet import wordnet

try:  # Python 3.11+
    import tomllib as _toml
except ModuleNotFoundError:  # pragma: no cover
    import tomli as _toml  # type: ignore[no-redef]

__all__ = ["Superclasses", "load_superclasses", "DEFAULT_SOURCE", "SUPERCLASS_SETS", "DEFAULT_SUPERCLASSES"]

#: The superclass sets shipped with the package: name -> (file in this package, label in every output).
SUPERCLASS_SETS: dict[str, tuple[str, str]] = {
    "reconstruction-v1": ("superclasses.toml", "errorscope-reconstruction-v1"),
    "wordnet-coherent-v2": ("superclasses_coherent.toml", "errorscope-wordnet-coherent-v2"),
}
DEFAULT_SUPERCLASSES = "reconstruction-v1"
#: Label of the package's default definitions in every output.
DEFAULT_SOURCE = SUPERCLASS_SETS[DEFAULT_SUPERCLASSES][1]


@dataclass(frozen=True, eq=False)
class Superclasses:
    """Superclass membership of the 1,000 classes.

    Attributes
    ----------
    names : tuple of str, length S
        Superclass names: the defined ones (file order) then one singleton per unmatched class (its wnid).
    membership : bool array (1000, S)
        ``membership[c, s]``: class c is in superclass s.
    predicates : dict name -> list of predicates (defined superclasses only).
    source : where the definitions come from (``DEFAULT_SOURCE`` or a path).
    """

    names: tuple[str, ...]
    membership: np.ndarray
    predicates: dict[str, list[list[str]]]
    source: str

    @cached_property
    def same(self) -> np.ndarray:
        """Bool (1000, 1000): the two classes share a superclass (reflexive, symmetric; read-only)."""
        m = self.membership.astype(np.int32)
        out = (m @ m.T) > 0
        out.flags.writeable = False
        return out

    @property
    def n_singleton(self) -> int:
        """Number of superclasses with a single class."""
        return int((self.membership.sum(axis=0) == 1).sum())

    @property
    def n_non_singleton(self) -> int:
        """Number of superclasses with more than one class."""
        return int((self.membership.sum(axis=0) > 1).sum())

    def of(self, class_id: int) -> list[str]:
        """Names of the superclasses of ``class_id`` (S(c)), in definition order.

        Parameters
        ----------
        class_id : int
            A class id in 0..999.

        Returns
        -------
        list of str
            The superclass names.
        """
        return [self.names[s] for s in np.flatnonzero(self.membership[class_id])]

    def n_same_pairs(self) -> int:
        """Number of unordered class pairs a < b that share a superclass (published: 5,476).

        Returns
        -------
        int
            The pair count.
        """
        return int(np.triu(self.same, 1).sum())


def _read_definitions(path: Path | str | None) -> tuple[dict[str, list[list[str]]], str]:
    if path is None or str(path) in SUPERCLASS_SETS:
        file, label = SUPERCLASS_SETS[DEFAULT_SUPERCLASSES if path is None else str(path)]
        text = _ir.files(__package__).joinpath(file).read_text(encoding="utf-8")
        return _parse_toml(text, file), label
    path = Path(path)
    if not path.is_file():
        raise IngestError(path, "no such superclass definition file.", fix="check the path.")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".toml":
        return _parse_toml(text, path), str(path)
    defs: dict[str, list[list[str]]] = {}
    for row, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise IngestError(path, f"not valid JSON ({exc.msg}).", row=row,
                              fix='write one object {"name": [["lemma", ...], ...]} per line.') from None
        if not isinstance(obj, dict) or len(obj) != 1:
            raise IngestError(path, "expected a one-key object per line.", row=row)
        ((name, preds),) = obj.items()
        defs[name] = _check_predicates(preds, path, name, row)
    return defs, str(path)


def _parse_toml(text: str, where: str | Path) -> dict[str, list[list[str]]]:
    try:
        table = _toml.loads(text).get("superclasses")
    except _toml.TOMLDecodeError as exc:
        raise IngestError(where, f"not valid TOML: {exc}.") from None
    if not isinstance(table, dict) or not table:
        raise IngestError(where, "expected a [superclasses] table of name = [[lemma, ...], ...] entries.")
    return {name: _check_predicates(preds, where, name, None) for name, preds in table.items()}


def _check_predicates(preds: Any, where: str | Path, name: str, row: int | None) -> list[list[str]]:
    ok = isinstance(preds, list) and preds and all(
        isinstance(p, list) and p and all(isinstance(x, str) and x for x in p) for p in preds)
    if not ok:
        raise IngestError(where, f"superclass {name!r}: expected a non-empty list of non-empty lists of lemma "
                                 f"names, got {preds!r}.", row=row, column=name)
    known = _known_lemmas()
    for pred in preds:
        for lem in pred:
            if lem not in known:
                raise IngestError(where, f"superclass {name!r}: {lem!r} is no WordNet lemma name.", row=row,
                                  column=name, fix="use NLTK spelling: words joined by '_', case kept.")
    return [list(p) for p in preds]


@lru_cache(maxsize=1)
def _known_lemmas() -> frozenset[str]:
    return frozenset(lem for lems in wordnet().lemmas.values() for lem in lems)


@lru_cache(maxsize=4)
def _load(path: str | None) -> Superclasses:
    defs, source = _read_definitions(None if path is None else Path(path))
    wn = wordnet()
    sets = wn.class_lemma_sets()
    cols = [[any(all(lem in s for lem in pred) for pred in preds) for s in sets] for preds in defs.values()]
    member = np.array(cols, dtype=bool).T.reshape(N_CLASSES, len(defs))
    empty = [name for name, col in zip(defs, member.T) if not col.any()]
    if empty:
        raise IngestError(source, f"superclass(es) {empty[:5]} match no ImageNet class.",
                          fix="check the lemma names against the classes' hypernym paths.")
    alone = np.flatnonzero(~member.any(axis=1))
    single = np.zeros((N_CLASSES, len(alone)), dtype=bool)
    single[alone, np.arange(len(alone))] = True
    names = tuple(defs) + tuple(wn.class_wnids[c] for c in alone)
    return Superclasses(names, np.concatenate([member, single], axis=1), defs, source)


def load_superclasses(path: str | Path | None = None) -> Superclasses:
    """Superclass membership from ``path`` (TOML or the authors' JSON-lines format) or the package default.

    Parameters
    ----------
    path : str or Path, optional
        A name of :data:`SUPERCLASS_SETS` (``"reconstruction-v1"``, ``"wordnet-coherent-v2"``) or a
        definitions file; None reads the default set (:data:`DEFAULT_SUPERCLASSES`).

    Returns
    -------
    Superclasses
        Names, the (1000, S) membership matrix and the definitions.

    Examples
    --------
    >>> sc = load_superclasses()
    >>> bool(sc.same[271, 272]), bool(sc.same[175, 226])  # red wolf ~ coyote; otterhound vs briard
    (True, False)
    """
    if path is None or str(path) in SUPERCLASS_SETS:
        return _load(None if path is None else str(path))
    return _load(str(Path(path).resolve()))
