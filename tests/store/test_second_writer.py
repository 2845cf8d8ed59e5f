"""A second writer gets a clean error naming the store while another process holds it open for writing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

pytest.importorskip("duckdb")


def test_second_writer_gets_a_clean_lock_error(tmp_path, capsys):
    from errorscope.cli.main import main
    from errorscope.store import ResultStore
    from errorscope.store.backend import StoreError

    path = tmp_path / "runs.duckdb"
    ResultStore(path).close()
    ready = tmp_path / "ready"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time, pathlib
        import duckdb
        con = duckdb.connect({str(path)!r})
        pathlib.Path({str(ready)!r}).write_text("1")
        time.sleep(60)
    """)])
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists(), "the holding process did not open the store"
        with pytest.raises(StoreError, match="open for writing in another process"):
            ResultStore(path)
        assert main(["store", "list", "--store", str(path)]) == 1
        err = capsys.readouterr().err
        assert "open for writing in another process" in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
    finally:
        holder.kill()
        holder.wait()
    with ResultStore(path) as store:  # free again once the writer is gone
        assert len(store) == 0
