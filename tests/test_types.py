"""mypy passes on the metric core, ``errorscope.imagenetx`` and ``errorscope.taxonomy``.

``[tool.mypy]`` in pyproject.toml sets ``disallow_untyped_defs`` for these three packages, so every function
there is annotated; third-party libraries without stubs are ignored (``ignore_missing_imports``).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ["src/errorscope/metrics", "src/errorscope/imagenetx", "src/errorscope/taxonomy"]

pytestmark = pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                                reason="mypy is a test dependency (pip install mypy)")


def _mypy(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
                           "--no-error-summary", "--hide-error-context", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=600)


def test_config_requires_annotations_on_the_checked_packages() -> None:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert sorted(config["files"]) == sorted(CHECKED)
    strict = {m for o in config["overrides"] if o.get("disallow_untyped_defs") for m in o["module"]}
    assert strict == {"errorscope.metrics.*", "errorscope.imagenetx.*", "errorscope.taxonomy.*"}


@pytest.mark.slow
def test_mypy_finds_no_error() -> None:
    # paths (not -p) so that the checkout's own source is checked, not an installed copy of errorscope
    result = _mypy(*CHECKED)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error:" not in result.stdout


@pytest.mark.slow
def test_mypy_reports_an_untyped_def(tmp_path: Path) -> None:
    # the same configuration catches a missing annotation in a strict package (the check can fail)
    pkg = tmp_path / "errorscope" / "metrics"
    pkg.mkdir(parents=True)
    (tmp_path / "errorscope" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "_probe.py").write_text("def f(x):\n    return x\n")
    result = _mypy("--cache-dir", str(tmp_path / ".mypy_cache"), "errorscope/metrics/_probe.py", cwd=tmp_path)
    assert result.returncode == 1
    assert "[no-untyped-def]" in result.stdout
