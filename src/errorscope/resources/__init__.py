"""Data resources: one manifest, resolved from a local mirror, the user cache, or a checked download.

Every file errorscope reads (besides the ``imagenet-x`` package's own data files, see
:mod:`errorscope.resources.imagenetx`) is described once in ``manifest.toml`` by its name (its path inside
a data mirror), a public URL pinned to a commit, its sha256, size, licence and citation.

Resolution order for :func:`resource_path`:

1. ``$ERRORSCOPE_DATA_DIR/<name>``, a local mirror with the layout of the manifest names;
2. ``$ERRORSCOPE_CACHE/<name>`` (default ``~/.cache/errorscope``), filled by earlier downloads;
3. a download from the URL into the cache: progress bar, sha256 check, atomic rename.

Examples
--------
>>> spec = get_spec("wordnet/words.txt")
>>> spec.license
'WordNet-3.0'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources as _ir
from pathlib import Path

from ..exceptions import ResourceError

try:  # Python 3.11+
    import tomllib as _toml
except ModuleNotFoundError:  # pragma: no cover
    import tomli as _toml  # type: ignore[no-redef]

__all__ = [
    "ResourceSpec", "list_resources", "get_spec", "resource_path", "data_dir", "cache_dir",
    "fetch", "verify", "sha256_of", "local_path", "where",
]

DATA_DIR_ENV = "ERRORSCOPE_DATA_DIR"
CACHE_ENV = "ERRORSCOPE_CACHE"


@dataclass(frozen=True)
class ResourceSpec:
    """One data file: where it lives publicly and how to check it."""

    name: str
    url: str
    sha256: str
    size: int
    license: str
    citation: str
    optional: bool = False

    @property
    def group(self) -> str:
        """The first path component (``imagenetx``, ``eth_error_analysis``, ...)."""
        return self.name.split("/", 1)[0]


@lru_cache(maxsize=1)
def _manifest() -> dict[str, ResourceSpec]:
    text = _ir.files(__package__).joinpath("manifest.toml").read_text(encoding="utf-8")
    entries = _toml.loads(text)["resource"]
    return {e["name"]: ResourceSpec(**e) for e in entries}


def list_resources(prefix: str = "") -> list[ResourceSpec]:
    """Every resource of the manifest whose name starts with ``prefix``, sorted by name."""
    return [spec for name, spec in sorted(_manifest().items()) if name.startswith(prefix)]


def get_spec(name: str) -> ResourceSpec:
    """The manifest entry called ``name``; a clear error lists close names if there is none."""
    try:
        return _manifest()[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, list(_manifest()), n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ResourceError(
            f"No data resource named {name!r} in the manifest.{hint} "
            "`errorscope data list` shows every resource."
        ) from None


def data_dir() -> Path | None:
    """The local mirror folder named by ``$ERRORSCOPE_DATA_DIR`` (a relative path is taken from the current
    folder, and checked to exist there), or None when the variable is unset or empty.

    Returns
    -------
    The mirror folder, or None.

    Raises
    ------
    ResourceError
        If the variable names a folder that does not exist; the message gives the folder that was tried.
    """
    value = os.environ.get(DATA_DIR_ENV)
    if not value:
        return None
    path = Path(value).expanduser()
    resolved = path if path.is_absolute() else Path.cwd() / path
    if not resolved.is_dir():
        how = "" if path.is_absolute() else f" (relative to the current folder {Path.cwd()})"
        what = "is not a folder" if resolved.exists() else "does not exist"
        raise ResourceError(
            f"${DATA_DIR_ENV}={value!r} names the folder {resolved}{how}, which {what}. "
            f"Set ${DATA_DIR_ENV} to the data mirror's folder (an absolute path works from anywhere), or unset it "
            "to use the cache and downloads.")
    return path


def cache_dir() -> Path:
    """The user cache (``$ERRORSCOPE_CACHE``, default ``~/.cache/errorscope``)."""
    value = os.environ.get(CACHE_ENV)
    return Path(value).expanduser() if value else Path.home() / ".cache" / "errorscope"


def sha256_of(path: str | Path, *, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def local_path(name: str) -> Path | None:
    """Where ``name`` already is on this machine (mirror first, then cache), or None.

    Only the size is compared here; :func:`verify` checks the hash.
    """
    spec = get_spec(name)
    mirror = data_dir()
    for root in ([mirror] if mirror else []) + [cache_dir()]:
        candidate = root / spec.name
        if candidate.is_file() and candidate.stat().st_size == spec.size:
            return candidate
    return None


def where(name: str) -> tuple[str, Path | None]:
    """Where the file of resource ``name`` is: ``("mirror", path)``, ``("cache", path)`` or ``("missing", None)``.

    The first existing file wins (mirror, then cache), whatever its size; :func:`verify` checks its hash and
    :func:`local_path` its size.
    """
    spec = get_spec(name)
    mirror = data_dir()
    for label, root in ([("mirror", mirror)] if mirror else []) + [("cache", cache_dir())]:
        candidate = root / spec.name
        if candidate.is_file():
            return label, candidate
    return "missing", None


def resource_path(name: str, *, download: bool = True, progress: bool = True) -> Path:
    """Path to the file of resource ``name``, downloading it into the cache if needed.

    Raises
    ------
    ResourceError
        If the file is nowhere on this machine and ``download`` is False or the download fails.
    ChecksumError
        If a downloaded file does not have the manifest's sha256.
    """
    found = local_path(name)
    if found is not None:
        return found
    spec = get_spec(name)
    if not download:
        mirror = data_dir()
        raise ResourceError(
            f"Data resource {name!r} is not on this machine (looked in "
            f"{(mirror / name) if mirror else '$' + DATA_DIR_ENV + ' (unset)'} and {cache_dir() / name}). "
            f"Run `errorscope data fetch {name}` or point ${DATA_DIR_ENV} at a mirror of the data."
        )
    from ._fetch import download_file

    return download_file(spec, cache_dir() / spec.name, progress=progress)


def fetch(names: list[str] | None = None, *, force: bool = False, progress: bool = True) -> list[Path]:
    """Make sure the named resources (default: every non-optional one) are on this machine."""
    from ._fetch import download_file

    specs = [get_spec(n) for n in names] if names else [s for s in list_resources() if not s.optional]
    paths = []
    for spec in specs:
        found = None if force else local_path(spec.name)
        paths.append(found or download_file(spec, cache_dir() / spec.name, progress=progress))
    return paths


def verify(names: list[str] | None = None) -> dict[str, str]:
    """Check the sha256 of every resource present on this machine.

    Returns a mapping name -> ``"ok"``, ``"missing"`` or ``"corrupt: <actual sha256>"``.
    """
    specs = [get_spec(n) for n in names] if names else list_resources()
    status = {}
    for spec in specs:
        _, found = where(spec.name)
        if found is None:
            status[spec.name] = "missing"
            continue
        actual = sha256_of(found)
        status[spec.name] = "ok" if actual == spec.sha256 else f"corrupt: {actual}"
    return status
