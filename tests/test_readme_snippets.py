"""The README's Python snippets run from the repository root as written (with ERRORSCOPE_DATA_DIR set)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_python_snippets():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("i", range(len(BLOCKS)))
def test_readme_snippet_runs_from_the_repository_root(i):
    data = os.environ.get("ERRORSCOPE_DATA_DIR")
    if not data:
        pytest.fail("set ERRORSCOPE_DATA_DIR (the README's test command does)")
    env = {**os.environ, "ERRORSCOPE_DATA_DIR": data, "PYTHONPATH": str(ROOT / "src")}
    res = subprocess.run([sys.executable, "-c", BLOCKS[i]], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0, f"README python block {i + 1} failed:\n{BLOCKS[i]}\n{res.stderr[-3000:]}"
