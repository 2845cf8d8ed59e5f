"""imagenet-testbed pickles: a dict ``{"model": str, "logits": array (50000, 1000)}``.

The rows of ``logits`` follow ``filename_label.csv`` of the ``imagenet-x`` package, which is the order of
torchvision's ``ImageFolder`` on the validation set: label ascending, then file name. They are mapped to the
canonical validation order before the top-k and the top-1 probability are taken.

Pickles can run code when loaded. This reader never calls :func:`pickle.load`: a restricted unpickler accepts
only built-in containers and NumPy arrays, and refuses everything else with a clear error.
"""

from __future__ import annotations

import io
import math
import pickle
import pickletools
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..datasets._index import ImageIndex
from ..exceptions import IngestError
from ..predictions import Predictions
from ._common import MAX_PICKLE_DEPTH, check_kind, describe, model_name, scores

#: Element codes an array or scalar in a prediction pickle may have (plain numbers only).
_CODES = {f"{k}{n}" for k, sizes in (("i", (1, 2, 4, 8)), ("u", (1, 2, 4, 8)), ("f", (2, 4, 8)), ("b", (1,)))
          for n in sizes} | {"?"}
_FIX = "save {'model': name, 'logits': numpy_array} (convert tensors with .numpy())."


class _Refused(Exception):
    """A pickle asked for something the reader does not rebuild (turned into an IngestError by read_pickle)."""


class _NDArrayClass:
    """Stands for ``numpy.ndarray`` as the first argument of ``_reconstruct``; it cannot be called."""

    def __call__(self, *args, **kwargs):
        raise _Refused("the pickle calls numpy.ndarray directly (arrays are only rebuilt from their bytes)")


_NDARRAY = _NDArrayClass()


class _DType:
    """A dtype as a pickle describes it: a plain numeric code and a byte order, validated here.

    NumPy's own ``dtype.__setstate__`` accepts fields, object slots and flags that let a pickle make NumPy
    follow attacker-chosen pointers; this class keeps only what it checked and builds the dtype itself.
    """

    def __init__(self, code, align=False, copy=True):
        if not isinstance(code, str) or code.lstrip("<>=|") not in _CODES:
            raise _Refused(f"the pickle asks for the dtype {str(code)[:40]!r}; only plain numbers are read")
        self.dtype = np.dtype(code.lstrip("<>=|"))
        if code[0] in "<>":
            self.dtype = self.dtype.newbyteorder(code[0])

    def __setstate__(self, state):
        if not isinstance(state, tuple) or len(state) < 5:
            raise _Refused("the pickle holds a malformed dtype state")
        order, subarray, names, fields = state[1], state[2], state[3], state[4]
        if subarray is not None or names is not None or fields is not None:
            raise _Refused("the pickle holds a structured dtype (fields or sub-arrays); only plain numbers are read")
        if order not in ("<", ">", "|", "="):
            raise _Refused(f"the pickle holds a dtype of byte order {str(order)[:10]!r}")
        if order in "<>":
            self.dtype = self.dtype.newbyteorder(order)


class _Array:
    """An array being rebuilt by ``_reconstruct`` + ``BUILD``; replaced by a real array after loading."""

    def __init__(self):
        self.array = None

    def __setstate__(self, state):
        if not isinstance(state, tuple) or len(state) not in (4, 5):
            raise _Refused("the pickle holds a malformed array state")
        if len(state) == 5:
            state = state[1:]
        shape, dtype, fortran, raw = state
        self.array = _from_bytes(raw, dtype, shape, "F" if fortran else "C")


def _from_bytes(raw, dtype, shape, order) -> np.ndarray:
    """An array from plain bytes, a validated dtype and a shape, with the byte count checked against both."""
    if not isinstance(dtype, _DType):
        raise _Refused("the pickle gives an array a dtype that is not a plain numeric one")
    if isinstance(raw, pickle.PickleBuffer):
        raw = raw.raw()
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise _Refused("the pickle holds an array of Python objects (only numeric arrays are read)")
    if isinstance(shape, int):
        shape = (shape,)
    if (not isinstance(shape, tuple) or len(shape) > 8
            or any(not isinstance(d, int) or isinstance(d, bool) or d < 0 for d in shape)):
        raise _Refused(f"the pickle holds an array of invalid shape {str(shape)[:60]}")
    if order not in ("C", "F"):
        raise _Refused(f"the pickle holds an array of memory order {str(order)[:10]!r}")
    nbytes = math.prod(shape) * dtype.dtype.itemsize
    if len(raw) != nbytes:
        raise _Refused(f"the pickle declares an array of shape {shape} and dtype {dtype.dtype} ({nbytes:,} bytes) "
                       f"but holds {len(raw):,} bytes of data")
    return np.frombuffer(bytes(raw) if isinstance(raw, memoryview) else raw, dtype=dtype.dtype).reshape(
        shape, order=order)


def _reconstruct(cls, shape, code):
    if cls is not _NDARRAY:
        raise _Refused("the pickle rebuilds an array of a class other than numpy.ndarray")
    return _Array()


def _frombuffer(buf, dtype, shape, order):
    return _from_bytes(buf, dtype, shape, order)


def _scalar(dtype, data=None):
    if not isinstance(data, (bytes, bytearray)):
        raise _Refused("the pickle holds a NumPy scalar of Python objects")
    return _from_bytes(data, dtype, (), "C")[()]


def _encode(text, encoding="utf-8"):
    """``_codecs.encode`` as protocol-2 pickles use it for bytes: latin-1 text to bytes, nothing else."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise _Refused("the pickle calls _codecs.encode other than to store bytes")
    return text.encode("latin-1")


def _bytearray(data=b"", encoding=None):
    """``bytearray`` of existing bytes only: ``bytearray(2**31)`` would allocate 2 GiB from a 73-byte file."""
    if isinstance(data, str) and encoding in ("latin1", "latin-1"):
        return bytearray(data.encode("latin-1"))
    if not isinstance(data, (bytes, bytearray)):
        raise _Refused("the pickle calls bytearray() with a size or an object; only bytes are read")
    return bytearray(data)


#: (module, name) a prediction pickle may reference -> the callable the reader gives it instead. Nothing of
#: NumPy's own reconstruction is ever called: arrays come from plain bytes, dtype and shape checked here.
SAFE = {}
for _core in ("numpy.core", "numpy._core"):
    SAFE[(f"{_core}.multiarray", "_reconstruct")] = _reconstruct
    SAFE[(f"{_core}.multiarray", "scalar")] = _scalar
    SAFE[(f"{_core}.numeric", "_frombuffer")] = _frombuffer
SAFE.update({("numpy", "ndarray"): _NDARRAY, ("numpy", "dtype"): _DType, ("_codecs", "encode"): _encode,
             ("collections", "OrderedDict"): OrderedDict, ("builtins", "bytearray"): _bytearray,
             ("__builtin__", "bytearray"): _bytearray})
#: the names alone, as documented
ALLOWED = set(SAFE)


def _shown(text: str) -> str:
    text = text[:120]
    return text if text.isprintable() else repr(text)


class _SafeUnpickler(pickle.Unpickler):
    def __init__(self, fh, path: Path):
        super().__init__(fh)
        self._path = path

    def find_class(self, module: str, name: str):
        if (module, name) in SAFE:
            return SAFE[(module, name)]
        raise IngestError(self._path, f"the pickle references {_shown(f'{module}.{name}')}; only dicts of NumPy "
                          "arrays are accepted (a pickle can run code, so other objects are refused).", fix=_FIX)

    def persistent_load(self, pid):
        raise IngestError(self._path, "the pickle references a persistent object; only dicts of NumPy arrays are "
                          "accepted.", fix=_FIX)


_BUILDERS = {"TUPLE1": 1, "TUPLE2": 2, "TUPLE3": 3, "REDUCE": 2, "NEWOBJ": 2, "NEWOBJ_EX": 3}
_MARK_BUILDERS = {"TUPLE", "LIST", "DICT", "FROZENSET", "OBJ", "INST"}
_MODIFIERS = {"APPEND": 1, "SETITEM": 2, "BUILD": 1}
_MARK_MODIFIERS = {"APPENDS", "SETITEMS", "ADDITEMS"}


def _check_opcodes(path: Path, data: bytes) -> None:
    """Walk the opcodes without building anything: refuse a pickle whose containers nest deeper than
    ``MAX_PICKLE_DEPTH`` (a million-deep tuple makes CPython overflow its C stack while hashing it)."""
    stack: list[int] = []
    marks: list[int] = []
    memo: dict = {}

    def deep(depth: int, pos: int) -> int:
        if depth > MAX_PICKLE_DEPTH:
            raise IngestError(path, f"the pickle nests containers more than {MAX_PICKLE_DEPTH} deep (at byte {pos}).",
                              fix=_FIX)
        return depth

    def to_mark() -> list[int]:
        at = marks.pop()
        items = stack[at:]
        del stack[at:]
        return items

    try:
        for op, arg, pos in pickletools.genops(io.BytesIO(data)):
            name = op.name
            if name == "MARK":
                marks.append(len(stack))
            elif name == "STOP":
                break
            elif name in ("EMPTY_LIST", "EMPTY_DICT", "EMPTY_TUPLE", "EMPTY_SET"):
                stack.append(1)
            elif name in _BUILDERS:
                items = [stack.pop() for _ in range(_BUILDERS[name])]
                stack.append(deep(max(items) + 1, pos))
            elif name in _MARK_BUILDERS:
                items = to_mark()
                stack.append(deep(max(items, default=0) + 1, pos))
            elif name in _MODIFIERS:
                items = [stack.pop() for _ in range(_MODIFIERS[name])]
                stack[-1] = deep(max(stack[-1], max(items) + 1), pos)
            elif name in _MARK_MODIFIERS:
                items = to_mark()
                stack[-1] = deep(max(stack[-1], max(items, default=0) + 1), pos)
            elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo[arg] = stack[-1]
            elif name == "MEMOIZE":
                memo[len(memo)] = stack[-1]
            elif name in ("GET", "BINGET", "LONG_BINGET"):
                stack.append(memo.get(arg, 0))
            elif name == "DUP":
                stack.append(stack[-1])
            elif name == "POP":
                if stack and (not marks or marks[-1] < len(stack)):
                    stack.pop()
                else:
                    to_mark()
            elif name == "POP_MARK":
                to_mark()
            elif name in ("PROTO", "FRAME", "READONLY_BUFFER"):
                pass
            else:  # pushes one value (numbers, strings, GLOBAL, ...), STACK_GLOBAL/PERSID pop their arguments
                for _ in range(len([x for x in op.stack_before if x is not pickletools.markobject])):
                    stack.pop()
                stack.append(0)
    except IngestError:
        raise
    except (ValueError, IndexError, KeyError) as exc:
        raise IngestError(path, f"cannot read the pickle ({describe(exc)}); the file is "
                          "truncated or corrupt.", fix="re-export or re-download the file.") from None


def _resolve(path: Path, obj):
    """Replace the rebuilt arrays in dicts and lists, refusing structures nested deeper than the limit."""
    todo = [(obj, 1)]
    seen: set[int] = set()
    while todo:
        item, depth = todo.pop()
        if depth > MAX_PICKLE_DEPTH:
            raise IngestError(path, f"the pickle nests containers more than {MAX_PICKLE_DEPTH} deep.", fix=_FIX)
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, dict):
            for key, value in item.items():
                if isinstance(value, _Array):
                    item[key] = value.array
                else:
                    todo.append((value, depth + 1))
                todo.append((key, depth + 1))
        elif isinstance(item, list):
            for i, value in enumerate(item):
                if isinstance(value, _Array):
                    item[i] = value.array
                else:
                    todo.append((value, depth + 1))
        elif isinstance(item, (tuple, set, frozenset)):
            todo.extend((v, depth + 1) for v in item)
    return obj.array if isinstance(obj, _Array) else obj


def read_pickle(path: Path, model: str | None, index: ImageIndex) -> Predictions:
    """Read an imagenet-testbed pickle ``{model, logits}`` (protocol 2 to 5).

    The opcodes are checked first (nesting depth), then a restricted unpickler rebuilds only containers and
    numeric arrays, from plain bytes and a dtype and shape it validates itself.
    """
    from ..datasets._index import val_index

    check_kind(path, "pickle")
    data = path.read_bytes()
    _check_opcodes(path, data)
    try:
        obj = _resolve(path, _SafeUnpickler(io.BytesIO(data), path).load())
    except IngestError:
        raise
    except _Refused as exc:
        raise IngestError(path, f"{exc}.", fix=_FIX) from None
    except (EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            MemoryError, OverflowError, UnicodeDecodeError) as exc:
        raise IngestError(path, f"cannot read the pickle ({describe(exc)}); the file is "
                          "truncated or corrupt.", fix="re-export or re-download the file.") from None
    del data
    if not isinstance(obj, dict):
        raise IngestError(path, f"expected a dict with keys 'model' and 'logits', but the pickle holds a "
                          f"{type(obj).__name__}.", fix="save {'model': name, 'logits': array (50000, 1000)}.")
    missing = [k for k in ("model", "logits") if k not in obj]
    if missing:
        keys = sorted(str(k)[:40] for k in list(obj)[:20])
        raise IngestError(path, f"the pickle lacks key(s) {missing}; it has {keys}.",
                          column=missing[0], fix="save {'model': name, 'logits': array (50000, 1000)}.")
    name = model_name(path, obj["model"], column="model")
    if index is not val_index() and index.name != "imagenet-val":
        raise IngestError(path, f"imagenet-testbed pickles cover the ImageNet validation set, not {index.name!r}.",
                          fix="read the pickle with the default (validation) index.")
    logits = obj["logits"]
    if not isinstance(logits, np.ndarray):
        raise IngestError(path, f"expected 'logits' to be a NumPy array, but got a {type(logits).__name__}.",
                          column="logits", fix="save {'model': name, 'logits': array (50000, 1000)}.")
    return scores(path, model or name, index, logits, column="logits", order=imagefolder_order())


@lru_cache(maxsize=1)
def imagefolder_order() -> np.ndarray:
    """For row i of an ImageFolder-ordered array, its position in the canonical validation index."""
    import pandas as pd

    from ..datasets._index import val_index
    from ..resources.imagenetx import package_file

    table = pd.read_csv(package_file("filename_label.csv"))
    table = table.sort_values(["label", "file_name"], kind="stable")
    return val_index().positions(table["file_name"].to_numpy())
