"""Untrusted names (model names read from inside prediction files) made safe for file names, terminals and CSV.

* :func:`safe_filename` turns a name into one file name component that cannot leave its folder;
  :func:`inside` checks, after resolving, that a path stays inside its folder.
* :func:`printable` and :func:`printable_frame` escape control characters before text reaches a terminal.
* :func:`neutralise_formulas` prefixes spreadsheet-formula cells with ``'`` (OWASP CSV-injection advice).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .exceptions import InvalidInputError

__all__ = ["MAX_FILENAME", "FORMULA_START", "safe_filename", "inside", "printable", "printable_frame",
           "neutralise_formulas"]

#: Longest file name component :func:`safe_filename` returns (well under the 255 bytes of common file systems,
#: leaving room for a figure prefix, a suffix and the ``.<name>.XXXXXXXX.part`` of an atomic write).
MAX_FILENAME = 120

#: Characters kept as they are; every other character becomes ``_``.
_UNSAFE = re.compile(r"[^A-Za-z0-9._+\-=@,]")
#: Marks a changed name; never in an unchanged one, so a changed name cannot equal an unchanged one.
_HASH_SEP = "~"
_HASH_LEN = 10
#: Device names Windows reserves in any folder, with any extension.
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}

#: First characters that make a spreadsheet read a cell as a formula (OWASP): = + - @ tab CR.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_filename(name: str, *, max_length: int = MAX_FILENAME) -> str:
    """One file name component for ``name``: readable ASCII kept, every other character ``_``.

    Letters, digits and ``. _ + - = @ ,`` are kept; any other character (path separators, spaces, control
    characters, non-ASCII) becomes ``_``, a leading ``.`` or ``-`` becomes ``_``, and the result is cut to
    ``max_length`` characters. When anything changed, ``~`` and the first 10 hex digits of the SHA-256 of
    ``name`` are appended, so two different names never give the same file name (an unchanged name has no
    ``~``). ``resnet50.a1_in1k`` stays ``resnet50.a1_in1k``; ``../../x`` becomes ``_._.._x~<hash>``.

    Parameters
    ----------
    name : str
        Any text, e.g. a model name read from a file.
    max_length : int, default MAX_FILENAME
        Longest result, hash suffix included (at least 20).

    Returns
    -------
    str
        A non-empty name without path separators, never ``.`` or ``..``.
    """
    if max_length < 20:
        raise InvalidInputError(f"Expected `max_length` >= 20, but got {max_length!r}.")
    name = str(name)
    clean = _UNSAFE.sub("_", name)
    if clean[:1] in (".", "-"):
        clean = "_" + clean[1:]
    reserved = clean.split(".")[0].upper() in _RESERVED
    if clean == name and clean and len(clean) <= max_length and not reserved:
        return clean
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_LEN]
    return clean[: max_length - _HASH_LEN - 1] + _HASH_SEP + digest


def inside(folder: str | Path, path: str | Path) -> Path:
    """``path`` resolved, after checking that it lies inside ``folder`` (also resolved).

    Parameters
    ----------
    folder : str or Path
        The folder the path must stay in.
    path : str or Path
        The path (relative paths are taken from the working directory, as ``open`` would).

    Returns
    -------
    Path
        The resolved ``path``.

    Raises
    ------
    InvalidInputError
        If ``path`` resolves outside ``folder`` (``..``, an absolute part or a symlink leading out).
    """
    root = Path(folder).resolve()
    target = Path(path).resolve()
    if target != root and root not in target.parents:
        raise InvalidInputError(f"Refusing to write {path}: it resolves to {target}, outside the output folder "
                                f"{root}. Rename the model (its name gives the file name) or pick another folder.")
    return target


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def printable(text: object) -> str:
    """``str(text)`` with control and format characters escaped, so it cannot drive a terminal.

    ESC, BEL, CR, LF, tab, DEL, the C1 controls and Unicode format characters (bidirectional overrides,
    zero-width characters) become ``\\xNN`` / ``\\uNNNN``: ``"a\\x1b[2Kb"`` prints as ``a\\x1b[2Kb``.

    Parameters
    ----------
    text : object
        Anything; non-strings are converted with ``str``.

    Returns
    -------
    str
        The escaped text (unchanged when it has no such characters).
    """
    text = str(text)
    if text.isprintable():
        return text
    return "".join(_escape(ch) if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)


def _map_labels(index: Any, fn: Callable[[str], str]) -> Any:
    import pandas as pd

    if isinstance(index, pd.MultiIndex):
        return index.set_levels([_map_labels(level, fn) for level in index.levels])
    if _is_text(index.dtype):
        return index.map(lambda v: fn(v) if isinstance(v, str) else v)
    return index


def _is_text(dtype: Any) -> bool:
    import pandas as pd

    return dtype == object or pd.api.types.is_string_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype)


def _label_values(index: Any) -> list:
    """The distinct labels of ``index`` worth checking (each level of a MultiIndex, categories)."""
    import pandas as pd

    out = []
    for level in getattr(index, "levels", [index]):
        if isinstance(level.dtype, pd.CategoricalDtype):
            out.extend(level.categories)
        elif _is_text(level.dtype):
            out.extend(level)
    return out


def _map_frame(frame: Any, fn: Callable[[str], str], needs: Callable[[str], bool]) -> Any:
    """``frame`` with ``fn`` applied to every string label and string cell for which ``needs`` holds."""
    import pandas as pd

    def hit(values: Any) -> bool:
        return any(isinstance(v, str) and needs(v) for v in values)

    changed_cols = []
    for j in range(frame.shape[1]):
        col = frame.iloc[:, j]
        if isinstance(col.dtype, pd.CategoricalDtype):
            if hit(col.cat.categories):
                changed_cols.append(j)
        elif (col.dtype == object or pd.api.types.is_string_dtype(col.dtype)) and hit(pd.unique(col)):
            changed_cols.append(j)
    index_hit = hit(_label_values(frame.index))
    cols_hit = hit(_label_values(frame.columns))
    if not (changed_cols or index_hit or cols_hit):
        return frame
    out = frame.copy()
    for j in changed_cols:
        col = out.iloc[:, j]
        if isinstance(col.dtype, pd.CategoricalDtype):
            cats = [fn(c) if isinstance(c, str) else c for c in col.cat.categories]
            if len(set(cats)) == len(cats):
                new = col.cat.rename_categories(cats)
            else:  # two categories became equal: fall back to plain strings
                new = col.astype(object).map(lambda v: fn(v) if isinstance(v, str) else v)
        else:
            new = col.map(lambda v: fn(v) if isinstance(v, str) else v)
        out.isetitem(j, new)
    if index_hit:
        out.index = _map_labels(out.index, fn)
    if cols_hit:
        out.columns = _map_labels(out.columns, fn)
    return out


def printable_frame(frame: Any) -> Any:
    """A copy of the DataFrame ``frame`` with :func:`printable` applied to its string labels and cells.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table about to be printed.

    Returns
    -------
    pandas.DataFrame
        ``frame`` itself when nothing needs escaping, else an escaped copy.
    """
    return _map_frame(frame, printable, lambda v: not v.isprintable())


def _neutralise(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def neutralise_formulas(frame: Any) -> Any:
    """A copy of ``frame`` in which every string cell or label starting with ``= + - @``, tab or CR gets a
    leading ``'``, so a spreadsheet shows it as text instead of running it as a formula (OWASP advice).

    Numbers are never touched (only string cells, labels and categories), so tables of plain names and
    numbers are written byte-for-byte as before.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table about to be written as CSV.

    Returns
    -------
    pandas.DataFrame
        ``frame`` itself when no cell needs it, else a neutralised copy.
    """
    return _map_frame(frame, _neutralise, lambda v: v.startswith(FORMULA_START))
