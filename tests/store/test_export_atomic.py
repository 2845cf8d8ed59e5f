"""`store export` is all or nothing: a failure mid-export leaves no partial file and keeps the previous export;
the temporary folder of a killed export is removed by the next one (issue 13)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from errorscope.exceptions import InvalidInputError
from errorscope.store import ResultStore
from errorscope.store import export as export_mod
from errorscope.store.export import export_parquet

from .conftest import top1_suite


@pytest.fixture(scope="module")
def store_path(tmp_path_factory, base_predictions):
    path = tmp_path_factory.mktemp("exp") / "s.duckdb"
    with ResultStore(path, suite=top1_suite()) as s:
        s.add(base_predictions[:3])
    return path


def _tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


class _Boom(RuntimeError):
    pass


def test_failure_mid_export_leaves_no_partial_file(store_path, tmp_path, monkeypatch):
    parent = tmp_path / "exports"
    with ResultStore(store_path, suite=top1_suite(), read_only=True) as store:
        first = export_parquet(store, parent / "out", chunk=1)
        before = {p: p.read_bytes() for p in first.rglob("*") if p.is_file()}
        assert len([p for p in before if p.name == "part-0.parquet"]) == 3
        assert not any(p.name == ".pid" for p in before)  # the marker is not part of the export
        real = ResultStore.population
        calls = []

        def failing(self, names):
            calls.append(list(names))
            if len(calls) == 2:  # the first model's partition is being written
                raise _Boom("disk full")
            return real(self, names)

        monkeypatch.setattr(ResultStore, "population", failing)
        with pytest.raises(_Boom):
            export_parquet(store, parent / "new", chunk=1)
        # no "new", no .part folder: only the first export
        assert _tree(parent) == sorted(["out"] + [f"out/{p.relative_to(first).as_posix()}" for p in first.rglob("*")])
        calls.clear()
        with pytest.raises(_Boom):
            export_parquet(store, parent / "out", chunk=1, overwrite=True)
        # the previous export is untouched, byte for byte, and nothing else is in the folder
        assert {p: p.read_bytes() for p in first.rglob("*") if p.is_file()} == before
        assert sorted(p.name for p in parent.iterdir()) == ["out"]
        monkeypatch.setattr(ResultStore, "population", real)
        export_parquet(store, parent / "out", overwrite=True)
        assert sorted(p.name for p in parent.iterdir()) == ["out"]
        assert pd.read_parquet(parent / "out" / "models.parquet")["model"].tolist() == ["DINO", "ResNet50", "SimCLR"]


def test_killed_export_folder_is_removed_by_the_next_export(store_path, tmp_path):
    parent = tmp_path / "exports"
    # a real export killed with SIGKILL while it writes (a chunk of one model per step, slowed down)
    script = f"""
import time, sys
sys.path.insert(0, {str(Path(export_mod.__file__).parents[2])!r})
from errorscope.exceptions import InvalidInputError
from errorscope.store import ResultStore
from errorscope.store.export import export_parquet
from tests.store.conftest import top1_suite
real = ResultStore.population
def slow(self, names):
    print("writing", flush=True)
    time.sleep(60)
    return real(self, names)
ResultStore.population = slow
with ResultStore({str(store_path)!r}, suite=top1_suite(), read_only=True) as s:
    export_parquet(s, {str(parent / "out")!r}, chunk=1)
"""
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2], env=os.environ.copy())
    try:
        assert proc.stdout.readline().strip() == "writing"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(30)
    left = [p.name for p in parent.iterdir()]
    assert len(left) == 1 and left[0].startswith(".out.") and left[0].endswith(".part")  # what a kill leaves
    assert int((parent / left[0] / ".pid").read_text()) == proc.pid
    # an abandoned folder of an older version (no marker), untouched for over an hour, goes too;
    # a fresh one without a marker may be an export in progress and stays
    old, fresh = parent / ".out.old1.part", parent / ".out.fresh.part"
    old.mkdir()
    fresh.mkdir()
    t = time.time() - export_mod.STALE_S - 10
    os.utime(old, (t, t))
    with ResultStore(store_path, suite=top1_suite(), read_only=True) as store:
        export_parquet(store, parent / "out")
    assert sorted(p.name for p in parent.iterdir()) == [".out.fresh.part", "out"]


def test_previous_export_set_aside_by_a_killed_overwrite_is_put_back(store_path, tmp_path):
    """A kill between the two renames of ``overwrite`` leaves the old export in ``.out.X.part/previous``
    (marker of the dead process) and no ``out``: the next export restores it before writing."""
    parent = tmp_path / "exports"
    with ResultStore(store_path, suite=top1_suite(), read_only=True) as store:
        export_parquet(store, parent / "out", models=["DINO"])
        aside = parent / ".out.kill.part"
        aside.mkdir()
        (aside / ".pid").write_text(str(2**31 - 1))  # no such process
        (parent / "out").rename(aside / "previous")
        with pytest.raises(InvalidInputError, match="exists; pass overwrite=True"):  # restored first, so refused
            export_parquet(store, parent / "out", models=["DINO"])
        assert sorted(p.name for p in parent.iterdir()) == ["out"]
        assert pd.read_parquet(parent / "out" / "models.parquet")["model"].tolist() == ["DINO"]


def test_model_named_dot_dot_stays_inside_the_export(tmp_path, base_predictions):
    """Hive partition names are URL-encoded by pyarrow, so a hostile model name stays one folder inside DIR and
    reads back unchanged."""
    import pyarrow.dataset as ds

    names = ["../../x", "/abs/y", "a\\b=c"]
    with ResultStore(tmp_path / "evil.duckdb", suite=top1_suite()) as store:
        store.add([p.renamed(n) for p, n in zip(base_predictions, names)])
        out = export_parquet(store, tmp_path / "deep" / "er" / "out")
    # every file written is under DIR (the store's own files aside)
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and out not in p.parents
               and not p.name.startswith("evil.duckdb")]
    assert outside == [] and len(list(out.rglob("*.parquet"))) >= 6
    parts = sorted(p.name for p in (out / "predictions").iterdir())
    assert all(p.startswith("model=") and "/" not in p for p in parts) and len(parts) == 3
    table = ds.dataset(out / "predictions", format="parquet", partitioning="hive").to_table()
    assert sorted(set(table.column("model").to_pylist())) == sorted(names)
