"""Download one resource: stream into a temporary file, check size and sha256, rename atomically."""

from __future__ import annotations

import hashlib
import http.client
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

from ..exceptions import ChecksumError, ResourceError

RETRIES = 3
TIMEOUT_S = 60


def download_file(spec, target: Path, *, progress: bool = True, retries: int = RETRIES) -> Path:
    """Download ``spec.url`` to ``target``; on success the file has ``spec.sha256``.

    A transfer that breaks off is retried (``retries`` attempts in all); a complete file whose hash differs
    raises :class:`~errorscope.exceptions.ChecksumError` and is not kept.
    """
    from tqdm.auto import tqdm

    target.parent.mkdir(parents=True, exist_ok=True)
    last_error: Exception | None = None
    for attempt in range(1, retries + 1):
        tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
        try:
            digest = hashlib.sha256()
            received = 0
            with urllib.request.urlopen(spec.url, timeout=TIMEOUT_S) as response, open(tmp, "wb") as out, tqdm(
                total=spec.size, unit="B", unit_scale=True, desc=spec.name, disable=not progress, leave=False
            ) as bar:
                while block := response.read(1 << 16):
                    out.write(block)
                    digest.update(block)
                    received += len(block)
                    bar.update(len(block))
            if received < spec.size:
                raise ResourceError(
                    f"{spec.url}: transfer ended after {received:,} of {spec.size:,} bytes for {spec.name!r}."
                )
            actual = digest.hexdigest()  # a longer file is a different file: the hash check reports it
            if actual != spec.sha256:
                raise ChecksumError(spec.name, spec.url, spec.sha256, actual)
            os.replace(tmp, target)
            return target
        except ChecksumError:
            raise
        except (OSError, urllib.error.URLError, http.client.HTTPException) as exc:
            # includes ResourceError, refused connections, timeouts and transfers cut short (IncompleteRead)
            last_error = exc
            if attempt < retries:
                time.sleep(min(2 ** (attempt - 1), 4) * 0.1)
        finally:
            if tmp.exists():
                tmp.unlink()
    raise ResourceError(
        f"Could not download data resource {spec.name!r} from {spec.url} after {retries} attempts: {last_error}. "
        "Check the network, or set ERRORSCOPE_DATA_DIR to a folder that mirrors the data."
    ) from last_error
