"""The package's imports form no circle and never run from a lower layer to a higher one.

Every ``import`` / ``from ... import`` in ``src/errorscope`` (module level and inside functions) is read with
``ast``, resolved to the part of the package it names (a top-level module or subpackage), and the part graph is
checked: no cycle between parts, and each import goes to a part of the same or a lower layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "errorscope"

#: Layers, lowest first: data flows files -> predictions -> counts -> result tables -> figures, reports, CLI.
LAYERS = [
    {"constants", "exceptions", "_optional", "_safe", "_io", "options"},
    {"resources"},
    {"datasets", "metrics"},
    {"predictions"},
    {"readers"},
    {"imagenetx", "taxonomy"},
    {"results"},
    {"pairwise", "store", "inference", "torch"},
    {"plots"},
    {"report"},
    {"cli", "__main__"},
]
LEVEL = {part: i for i, layer in enumerate(LAYERS) for part in layer}


def _part(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "errorscope":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def _edges() -> set[tuple[str, str, str]]:
    edges = set()
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        mod = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        pkg = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        src = _part(mod)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = pkg.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    targets.append(".".join(base + ([node.module] if node.module else [])))
                elif node.module:
                    targets.append(node.module)
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for t in targets:
                dst = _part(t)
                if dst and src and dst != src and src != "__init__" and dst != "__init__":
                    edges.add((src, dst, str(path.relative_to(SRC))))
    return edges


def test_every_part_has_a_layer():
    parts = {p.stem if p.is_file() else p.name for p in SRC.iterdir()
             if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists())) and p.stem != "__init__"}
    assert parts <= set(LEVEL), f"parts without a layer: {sorted(parts - set(LEVEL))}"


def test_no_import_runs_up_a_layer():
    upward = sorted(f"{f}: {a} -> {b}" for a, b, f in _edges() if LEVEL[b] > LEVEL[a])
    assert not upward, "imports from a lower layer to a higher one:\n" + "\n".join(upward)


def test_no_import_circles():
    graph: dict[str, set[str]] = {}
    for a, b, _ in _edges():
        graph.setdefault(a, set()).add(b)
    state: dict[str, int] = {}
    cycles = []

    def visit(node, stack):
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt] if nxt in stack else [node, nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n, [n])
    assert not cycles, f"import circles between parts: {cycles}"


def test_the_checker_sees_a_planted_upward_import(tmp_path, monkeypatch):
    """The test can fail: an import from metrics to report is reported."""
    edges = _edges() | {("metrics", "report", "metrics/_planted.py")}
    assert any(LEVEL[b] > LEVEL[a] for a, b, _ in edges)
