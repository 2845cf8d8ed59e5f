"""Download one resource: stream into a temporary file, check size and sha256, rename atomically.

Limits (so a broken or hostile server cannot fill the disk or hold a download forever):

* **size cap**: the manifest's declared size plus :data:`SIZE_MARGIN`; a ``Content-Length`` above it is
  refused before any byte is read, and a transfer is cut as soon as more bytes arrive (not retried).
* **overall deadline**: :func:`deadline_for` (``max(120 s, size / 50 kB/s)``, or ``$ERRORSCOPE_DOWNLOAD_DEADLINE``
  seconds) for the whole download, retries included; besides it, each socket read times out after
  :data:`TIMEOUT_S` (or what is left of the deadline, if less, when a request starts).
* the temporary ``.<name>.<pid>.part`` file is removed on every failure, Ctrl-C included; ones left by a
  killed process (untouched for longer than the deadline) are removed by the next download into that folder.
"""

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
#: Seconds one socket read may wait.
TIMEOUT_S = 60
#: Bytes a server may send beyond the declared size before the transfer is cut (more is a different file).
SIZE_MARGIN = 64 * 1024
#: The deadline never goes below this many seconds ...
MIN_DEADLINE_S = 120.0
#: ... and otherwise allows this slow a transfer (bytes per second).
MIN_RATE = 50_000
DEADLINE_ENV = "ERRORSCOPE_DOWNLOAD_DEADLINE"
#: Block size of one read.
_BLOCK = 1 << 16


class _Refused(ResourceError):
    """A failure that another attempt would repeat (too many bytes, deadline passed, HTTP 4xx)."""


def deadline_for(size: int) -> float:
    """Seconds a download of ``size`` bytes may take in all: ``$ERRORSCOPE_DOWNLOAD_DEADLINE`` if set,
    else ``max(120, size / 50_000)``.

    Parameters
    ----------
    size : int
        The declared size in bytes.

    Returns
    -------
    float
        The deadline in seconds.

    Raises
    ------
    ResourceError
        If ``$ERRORSCOPE_DOWNLOAD_DEADLINE`` is not a positive number.
    """
    value = os.environ.get(DEADLINE_ENV)
    if value:
        try:
            seconds = float(value)
        except ValueError:
            seconds = float("nan")
        if not seconds > 0 or seconds == float("inf"):
            raise ResourceError(f"${DEADLINE_ENV}={value!r}: expected a positive number of seconds (e.g. 600), "
                                "or unset it for the default max(120 s, size / 50 kB/s).")
        return seconds
    return max(MIN_DEADLINE_S, size / MIN_RATE)


def _remove_stale_parts(folder: Path, older_than_s: float) -> list[Path]:
    """Delete ``.*.part`` files in ``folder`` untouched for ``older_than_s`` seconds (left by killed downloads:
    a live download writes at least every :data:`TIMEOUT_S` seconds, or fails)."""
    removed = []
    now = time.time()
    for part in folder.glob(".*.part"):
        try:
            if part.is_file() and not part.is_symlink() and now - part.stat().st_mtime > older_than_s:
                part.unlink()
                removed.append(part)
        except OSError:  # gone meanwhile, or not ours to delete: leave it
            pass
    return removed


def download_file(spec, target: Path, *, progress: bool = True, retries: int = RETRIES) -> Path:
    """Download ``spec.url`` to ``target``; on success the file has ``spec.sha256``.

    A transfer that breaks off is retried (``retries`` attempts in all); a complete file whose hash differs
    raises :class:`~errorscope.exceptions.ChecksumError` and is not kept. More bytes than ``spec.size`` plus
    :data:`SIZE_MARGIN`, or a download that outlasts :func:`deadline_for`, raise
    :class:`~errorscope.exceptions.ResourceError` at once. No temporary file is left on any failure.

    Parameters
    ----------
    spec : ResourceSpec
        The manifest entry (``url``, ``size``, ``sha256``, ``name``).
    target : Path
        Where the file goes.
    progress : bool, default True
        Show a progress bar.
    retries : int, default RETRIES
        Attempts in all.

    Returns
    -------
    Path
        ``target``.
    """
    from tqdm.auto import tqdm

    target.parent.mkdir(parents=True, exist_ok=True)
    deadline = deadline_for(spec.size)
    _remove_stale_parts(target.parent, max(deadline, 2 * TIMEOUT_S))
    cap = spec.size + SIZE_MARGIN
    end = time.monotonic() + deadline
    last_error: Exception | None = None

    def check_deadline(received: int) -> None:
        if time.monotonic() > end:
            raise _Refused(f"{spec.url}: the download of {spec.name!r} did not finish within {deadline:g} s "
                           f"({received:,} of {spec.size:,} bytes received). Set ${DEADLINE_ENV} to more "
                           "seconds on a slow connection, or set ERRORSCOPE_DATA_DIR to a folder that mirrors "
                           "the data.")

    for attempt in range(1, retries + 1):
        tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
        try:
            digest = hashlib.sha256()
            received = 0
            check_deadline(received)
            timeout = max(0.1, min(TIMEOUT_S, end - time.monotonic()))
            with urllib.request.urlopen(spec.url, timeout=timeout) as response, open(tmp, "wb") as out, tqdm(
                total=spec.size, unit="B", unit_scale=True, desc=spec.name, disable=not progress, leave=False
            ) as bar:
                declared = response.headers.get("Content-Length")
                if declared is not None and declared.strip().isdigit() and int(declared) > cap:
                    raise _Refused(f"{spec.url}: the server announces {int(declared):,} bytes for {spec.name!r}, "
                                   f"which the manifest declares as {spec.size:,} bytes; refused before reading.")
                # read1 returns whatever arrived, so a trickling server is checked against the deadline
                while block := response.read1(_BLOCK):
                    received += len(block)
                    if received > cap:
                        raise _Refused(f"{spec.url}: the server sent more than {cap:,} bytes for {spec.name!r}, "
                                       f"which the manifest declares as {spec.size:,} bytes; transfer cut.")
                    out.write(block)
                    digest.update(block)
                    bar.update(len(block))
                    check_deadline(received)
            if received < spec.size:
                raise ResourceError(
                    f"{spec.url}: transfer ended after {received:,} of {spec.size:,} bytes for {spec.name!r}."
                )
            actual = digest.hexdigest()  # a longer file is a different file: the hash check reports it
            if actual != spec.sha256:
                raise ChecksumError(spec.name, spec.url, spec.sha256, actual)
            os.replace(tmp, target)
            return target
        except (ChecksumError, _Refused):
            raise
        except urllib.error.HTTPError as exc:
            last_error = exc
            if 400 <= exc.code < 500 and exc.code not in (408, 429):  # asking again gives the same answer
                break
            if attempt < retries:
                time.sleep(min(2 ** (attempt - 1), 4) * 0.1)
        except (OSError, urllib.error.URLError, http.client.HTTPException) as exc:
            # includes ResourceError, refused connections, timeouts and transfers cut short (IncompleteRead)
            last_error = exc
            if attempt < retries:
                time.sleep(min(2 ** (attempt - 1), 4) * 0.1)
        finally:  # also on KeyboardInterrupt and any other exception
            try:
                tmp.unlink()
            except FileNotFoundError:
                pass
    raise ResourceError(
        f"Could not download data resource {spec.name!r} from {spec.url} after {attempt} attempt"
        f"{'s' * (attempt != 1)}: {last_error}. "
        "Check the network, or set ERRORSCOPE_DATA_DIR to a folder that mirrors the data."
    ) from last_error
