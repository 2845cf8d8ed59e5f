"""Atomic file output: write to a temporary file next to the target, then rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ._safe import neutralise_formulas


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` if the block succeeds.

    Readers never see a half-written file, and a failed or killed write leaves the old file in place.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp creates the file 0600; give the final file the permissions a plain open() would (umask applied).
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextlib.contextmanager
def atomic_open(target: str | Path, mode: str = "w", **kwargs) -> Iterator[IO]:
    """Open a temporary file for writing that replaces ``target`` only when the block succeeds."""
    with atomic_path(target) as tmp:
        with open(tmp, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())


def write_frame(frame, target: str | Path, *, index: bool = True, **kwargs) -> Path:
    """Write a DataFrame atomically as CSV or Parquet, chosen by the file extension.

    In CSV, a text cell or label starting with ``= + - @``, tab or CR gets a leading ``'`` so a spreadsheet
    does not run it as a formula (:func:`errorscope._safe.neutralise_formulas`); Parquet keeps the values as
    they are.
    """
    target = Path(target)
    with atomic_path(target) as tmp:
        if target.suffix == ".parquet":
            frame.to_parquet(tmp, index=index, **kwargs)
        else:
            neutralise_formulas(frame).to_csv(tmp, index=index, **kwargs)
    return target
