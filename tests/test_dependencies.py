"""Every distribution pyproject.toml declares is imported by the code it is declared for.

Core dependencies and the feature extras (store, plot, report, torch, clip, distributed) must be imported
somewhere under ``src/``; the ``test`` extra somewhere under ``tests/``. An import is an ``import`` /
``from ... import`` statement, or a module name passed to ``errorscope._optional.require`` or
``importlib.import_module`` (how the optional extras are loaded on first use), or, in the tests, to
``pytest.importorskip`` / ``importlib.util.find_spec`` (tests that skip without an optional tool).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

#: distribution name (normalised) -> top-level module, where they differ
MODULE_OF = {
    "pillow": "PIL",
    "open-clip-torch": "open_clip",
    "imagenet-x": "imagenet_x",
    "pyyaml": "yaml",
    "scikit-learn": "sklearn",
}


def _normalise(requirement: str) -> str:
    name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement).group(1)
    return re.sub(r"[-_.]+", "-", name).lower()


def _module(distribution: str) -> str:
    return MODULE_OF.get(distribution, distribution.replace("-", "_"))


def _imported_modules(root: Path) -> set[str]:
    found: set[str] = set()
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
            elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in ("require", "import_module", "importorskip", "find_spec"):
                    found.add(node.args[0].value.split(".")[0])
    return found


def _declared() -> list[tuple[str, str]]:
    project = PYPROJECT["project"]
    out = [("core", _normalise(r)) for r in project["dependencies"]]
    for extra, requirements in project["optional-dependencies"].items():
        out += [(extra, _normalise(r)) for r in requirements if not r.startswith(project["name"] + "[")]
    return sorted(set(out))


SRC_IMPORTS = _imported_modules(ROOT / "src")
TEST_IMPORTS = _imported_modules(ROOT / "tests")


def test_the_import_scan_sees_lazy_and_plain_imports() -> None:
    assert {"numpy", "duckdb", "open_clip", "torch", "imagenet_x"} <= SRC_IMPORTS
    assert "seaborn" not in SRC_IMPORTS  # drawn with matplotlib only: seaborn is not a dependency
    assert _normalise("open_clip_torch>=2.20") == "open-clip-torch"
    assert _normalise("tomli>=2; python_version < '3.11'") == "tomli"


@pytest.mark.parametrize(("extra", "distribution"), _declared())
def test_declared_dependency_is_imported(extra: str, distribution: str) -> None:
    imports, where = (TEST_IMPORTS, "tests/") if extra == "test" else (SRC_IMPORTS, "src/")
    module = _module(distribution)
    assert module in imports, (f"{distribution} (extra {extra!r}) is declared in pyproject.toml but no module "
                               f"under {where} imports {module!r}: remove it or use it.")
