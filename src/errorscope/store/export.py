"""Export a store as Parquet, predictions partitioned by model, for Spark, Dask, DuckDB or pandas.

Layout written by :func:`export_parquet` into ``out_dir``::

    models.parquet                      one row per model (metadata, metric version)
    tags.parquet                        model, key, value
    derived_<name>.parquet              every derived-metric table
    images.parquet                      image (int32, position in the index), file_name, label
    predictions/model=<name>/part-0.parquet
                                        image, top1 (int16, -1 = missing), prob (float32, NaN = unknown)

The ``model=<name>`` directories are Hive partitions (names URL-encoded by pyarrow), so any engine that reads
Hive-partitioned Parquet recovers the ``model`` column, e.g. DuckDB::

    SELECT p.model, avg((p.top1 = i.label)::INT) AS top1_acc
    FROM read_parquet('out/predictions/*/*.parquet', hive_partitioning = true) p
    JOIN 'out/images.parquet' i USING (image)
    GROUP BY p.model

The export is written to a temporary directory ``.<out>.XXXX.part`` next to ``out_dir`` (every file of it,
then the whole directory, renamed onto ``out_dir`` at the end), so a reader never sees half an export and a
failure leaves no partial file. The temporary directory holds a ``.pid`` marker; one left by a killed export
(its process gone, or without a marker and untouched for :data:`STALE_S` seconds) is removed by the next
export into the same parent folder. With ``overwrite=True`` the old export is first renamed aside, the new
one renamed in, then the old one removed, so a kill at any point leaves a complete export (old or new) at
``out_dir`` or beside it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from .._optional import require
from ..exceptions import InvalidInputError

__all__ = ["export_parquet"]

#: A temporary export directory without a ``.pid`` marker is taken as abandoned after this many seconds.
STALE_S = 3600
_PID_FILE = ".pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return pid > 0  # exists but not ours (PermissionError), or not a pid at all
    return True


def _remove_stale(parent: Path, name: str) -> list[Path]:
    """Remove the ``.<name>.*.part`` directories of killed exports in ``parent``; a previous export set aside by
    an ``overwrite`` that was killed before the new one was renamed in is put back at ``parent / name``."""
    removed = []
    for tmp in parent.glob(f".{name}.*.part"):
        if not tmp.is_dir() or tmp.is_symlink():
            continue
        try:
            pid = int((tmp / _PID_FILE).read_text().strip())
            stale = not _alive(pid)
        except (OSError, ValueError):
            try:
                stale = time.time() - tmp.stat().st_mtime > STALE_S
            except OSError:
                continue
        if stale:
            if (tmp / "previous").is_dir() and not (parent / name).exists():
                (tmp / "previous").rename(parent / name)
            shutil.rmtree(tmp, ignore_errors=True)
            removed.append(tmp)
    return removed


def export_parquet(store, out_dir: str | Path, *, models=None, chunk: int = 64, overwrite: bool = False,
                   progress: bool = False) -> Path:
    """Write the store (or ``models`` of it) as partitioned Parquet into ``out_dir``; returns ``out_dir``."""
    pa = require("pyarrow", extra="core")
    ds = require("pyarrow.dataset", extra="core")
    from tqdm.auto import tqdm

    out_dir = Path(out_dir)
    if out_dir.parent.is_dir():
        _remove_stale(out_dir.parent, out_dir.name)  # first: it may put a previous export back at out_dir
    if out_dir.exists() and not overwrite:
        raise InvalidInputError(f"{out_dir} exists; pass overwrite=True (CLI: --overwrite) to replace it.")
    names = store.model_names() if models is None else list(models)
    if not names:
        raise InvalidInputError(f"{store.path}: nothing to export, the store holds no models.")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".part", dir=out_dir.parent))
    old: Path | None = None
    try:
        (tmp / _PID_FILE).write_text(str(os.getpid()))
        con = store.connection
        con.register("_sel", pd.DataFrame({"model": names}))
        try:
            for table in ["models", "tags"] + [f"derived_{t}" for t in store.derived_tables()]:
                target = str(tmp / f"{table}.parquet").replace("'", "''")
                con.execute(f"COPY (SELECT * FROM {table} WHERE model IN (SELECT model FROM _sel) ORDER BY model) "
                            f"TO '{target}' (FORMAT parquet)")
        finally:
            con.unregister("_sel")
        index = store.index
        image = np.arange(len(index), dtype=np.int32)
        pq = require("pyarrow.parquet", extra="core")
        pq.write_table(pa.table({"image": image, "file_name": pa.array(index.file_names.astype(str)),
                                 "label": pa.array(index.labels)}), tmp / "images.parquet")
        schema = pa.schema([("image", pa.int32()), ("top1", pa.int16()), ("prob", pa.float32()),
                            ("model", pa.string())])

        def batches():
            for start in tqdm(range(0, len(names), chunk), desc="exporting", unit="chunk", disable=not progress):
                pop = store.population(names[start:start + chunk])
                for i, m in enumerate(pop.models):
                    prob = pop.prob[i] if pop.prob is not None else np.full(len(index), np.nan, np.float32)
                    yield pa.record_batch([pa.array(image), pa.array(pop.top1[i]),
                                           pa.array(prob), pa.array(np.full(len(index), m, dtype=object),
                                                                    type=pa.string())], schema=schema)

        ds.write_dataset(batches(), tmp / "predictions", schema=schema, format="parquet",
                         partitioning=ds.partitioning(pa.schema([("model", pa.string())]), flavor="hive"),
                         basename_template="part-{i}.parquet", max_partitions=len(names) + 1,
                         max_open_files=256, existing_data_behavior="error")
        (tmp / _PID_FILE).unlink()
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".part", dir=out_dir.parent))
            (old / _PID_FILE).write_text(str(os.getpid()))
            out_dir.rename(old / "previous")  # aside, not deleted, until the new export is in place
        tmp.rename(out_dir)
    except BaseException:
        if old is not None and (old / "previous").exists() and not out_dir.exists():
            (old / "previous").rename(out_dir)  # put the previous export back
        raise
    finally:
        for leftover in (tmp, old):
            if leftover is not None and leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)
    return out_dir
