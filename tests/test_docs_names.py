"""Every ``errorscope.…`` name that the README and the docs pages mention exists in the package.

The docs describe the tree as it is: a dotted name such as ``errorscope.imagenetx.error_ratios`` must import
(the longest importable module prefix, then attributes), so a moved or renamed module cannot leave a page behind.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NAME = re.compile(r"(?<![\w/.-])errorscope(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


def _names():
    seen = {}
    for page in PAGES:
        for m in NAME.finditer(page.read_text(encoding="utf-8")):
            seen.setdefault(m.group(0).rstrip("."), page.name)
    return sorted(seen.items())


def _resolves(name: str) -> bool:
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return False
        return True
    return False


def test_pages_name_things():
    assert len(_names()) > 30


@pytest.mark.parametrize("name,page", _names())
def test_every_named_module_and_function_exists(name, page):
    if name.split(".")[1] in {"torch", "inference"}:
        pytest.importorskip("torch")
    assert _resolves(name), f"{page} names {name}, which is not in the package"
