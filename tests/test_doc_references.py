"""Docstrings and comments of the package point only at what the package or the repository ships.

The design notes the package was built from (specifications, reviews, a ``shared/`` folder next to the
checkout) are not shipped: source text cites the papers, the upstream code (``imagenet_x``, the authors'
scripts) or the ``docs/*.md`` pages, which the README links.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "errorscope"
FILES = sorted(p for p in SRC.rglob("*") if p.is_file() and p.suffix in {".py", ".toml", ".txt", ".j2", ".js",
                                                                       ".css", ".json"})

UNSHIPPED = [
    (re.compile(r"shared/"), "a path into the unshipped shared/ folder"),
    (re.compile(r"reviews?/"), "a review file"),
    (re.compile(r"\bspec\b\s*(?:[AB]\b|§|sections?\b|'s\b)", re.IGNORECASE), "a section of an unshipped spec"),
    (re.compile(r"§"), "a numbered section of an unshipped document"),
    (re.compile(r"\b(?:architecture|newcomer|error-taxonomy|imagenetx-metrics)\.md\b"), "an unshipped document"),
]
DOC_LINK = re.compile(r"\bdocs/([\w.-]+\.md)\b")


def test_the_patterns_catch_what_they_should() -> None:
    bad = ["see ../shared/reviews/architecture.md", "(spec B §8 figure 4)", "spec section 8 item 5",
           "the spec's recipe", "spec §17.17"]
    for text in bad:
        assert any(p.search(text) for p, _ in UNSHIPPED), text
    assert not any(p.search(t) for p, _ in UNSHIPPED for t in ["ResourceSpec", "spec.name", "for spec in specs"])


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_reference_to_unshipped_documents(path: Path) -> None:
    problems = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        for pattern, what in UNSHIPPED:
            if pattern.search(line):
                problems.append(f"{path.relative_to(ROOT)}:{number}: {what}: {line.strip()}")
    assert not problems, "\n".join(problems)


def test_cited_docs_pages_exist_and_the_readme_links_them() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    cited = {m.group(1) for p in FILES for m in DOC_LINK.finditer(p.read_text(encoding="utf-8"))}
    assert cited  # the package does cite docs pages
    for page in sorted(cited):
        assert (ROOT / "docs" / page).is_file(), f"docs/{page} is cited in src/ but does not exist"
        assert f"docs/{page}" in readme, f"docs/{page} is cited in src/ but the README does not link it"


DOC_PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
#: the pages may name the data mirror (``../shared/data``), but not the design notes beside it
UNSHIPPED_IN_PAGES = [(re.compile(r"shared/(?:spec|reviews|seeds|guides)\b"), "an unshipped design note"),
                      *UNSHIPPED[2:]]


@pytest.mark.parametrize("path", DOC_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_pages_cite_no_unshipped_document(path: Path) -> None:
    problems = [f"{path.relative_to(ROOT)}:{number}: {what}: {line.strip()}"
                for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                for pattern, what in UNSHIPPED_IN_PAGES if pattern.search(line)]
    assert not problems, "\n".join(problems)
