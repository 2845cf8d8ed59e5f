"""A seeded corpus of malformed and adversarial prediction files, built on demand in a folder.

Every case is made from small, real-shaped files generated here (ImageNet-X CSVs of real validation names,
headerless CSVs, Parquet with top-5, NPZ archives, NPY and pickle files, directories) by a mutation
(truncation, bit flips, byte edits, zeroed ranges) or by construction (wrong dtypes and shapes, odd headers
and line endings, huge fields, archive tricks, deep and hostile pickles, odd directory entries).

Each :class:`Case` says what a reader must do with it:

* ``"reject"``: the input is invalid; accepting it is a *silent accept* (a failure);
* ``"accept"``: the input is valid; it must be read (and :attr:`Case.check` holds on the result);
* ``"any"``: either a value or one :class:`~errorscope.exceptions.IngestError` (random mutations: a bit flip
  in a probability is still a valid file).

Whatever the expectation, the outcome must be a value or one ``IngestError`` naming the file (or the bad file
in a directory): never another exception, a hang or a crash. ``build_corpus(seed, n)`` is deterministic.
"""

from __future__ import annotations

import io
import os
import pickle
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

N_VAL = 50000


@dataclass
class Case:
    """One input: ``build(folder) -> path`` writes it; ``expect`` is ``reject``, ``accept`` or ``any``."""

    name: str
    build: Callable[[Path], Path]
    expect: str = "any"
    check: Callable | None = field(default=None, repr=False)


# ---------------------------------------------------------------------------------------------- base files

def _names(n: int, rng: np.random.Generator) -> list[str]:
    ids = rng.choice(N_VAL, size=n, replace=False) + 1
    return [f"ILSVRC2012_val_{i:08d}.JPEG" for i in ids]


def base_files(rng: np.random.Generator, n: int = 120) -> dict[str, bytes]:
    """Small valid files of every format, as bytes (name -> content)."""
    names = _names(n, rng)
    top1 = rng.integers(0, 1000, n)
    prob = rng.random(n).round(6)
    out: dict[str, bytes] = {}
    out["ix.csv"] = ("file_name,predicted_class,predicted_probability\n"
                     + "".join(f"{a},{b},{c}\n" for a, b, c in zip(names, top1, prob))).encode()
    out["ix2.csv"] = ("file_name,predicted_class\n" + "".join(f"{a},{b}\n" for a, b in zip(names, top1))).encode()
    out["hl.csv"] = "".join(f"{a},{b}\n" for a, b in zip(names, top1)).encode()
    top5 = np.stack([top1] + [(top1 + k) % 1000 for k in (1, 2, 3, 4)], axis=1)
    out["ix5.csv"] = ("file_name,predicted_class,predicted_probability,top5\n" + "".join(
        f"{a},{b},{c},{' '.join(map(str, t))}\n" for a, b, c, t in zip(names, top1, prob, top5))).encode()
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({"file_name": names, "predicted_class": top1, "predicted_probability": prob,
                             "top5": [list(map(int, t)) for t in top5]}), buf)
    out["pq.parquet"] = buf.getvalue()
    out["named.npz"] = _npz(top1=top1.astype(np.int64), prob=prob, top5=top5, file_names=np.array(names),
                            model=np.array("m"))
    full = rng.integers(0, 1000, N_VAL).astype(np.int16)
    out["pos.npz"] = _npz(top1=full)
    out["posc.npz"] = _npz(compress=True, top1=full, prob=rng.random(N_VAL).astype(np.float32))
    out.update(_timm_files(names, top5, rng))
    out["small.npy"] = _npy(rng.standard_normal((8, 1000)).astype(np.float32))
    out["small.pickle"] = pickle.dumps({"model": "m", "logits": rng.standard_normal((4, 1000)).astype(np.float32)},
                                       protocol=4)
    out["small2.pickle"] = pickle.dumps({"model": "m", "logits": np.zeros((3, 7), np.float64)}, protocol=2)
    out["small5.pickle"] = pickle.dumps({"model": "m", "logits": np.zeros((3, 7), np.float32)}, protocol=5)
    return out


def _timm_files(names: list[str], top5: np.ndarray, rng: np.random.Generator) -> dict[str, bytes]:
    """timm ``inference.py`` outputs (``--include-index --topk 5``) written the way its ``save_results`` does."""
    import pandas as pd

    probs = np.sort(rng.random(top5.shape), axis=1)[:, ::-1].round(4)
    vec = pd.DataFrame({"filename": names, "index": list(top5), "prob": list(probs)})
    sep = pd.DataFrame({"filename": names, **{f"index_{i}": top5[:, i] for i in range(5)},
                        **{f"prob_{i}": probs[:, i] for i in range(5)}})
    out = {}
    with np.printoptions(threshold=10**6):
        out["timm-224.csv"] = vec.to_csv(index=False).encode()
        out["timm_sep-224.csv"] = sep.to_csv(index=False).encode()
        out["timm-224.json"] = vec.set_index("filename").to_json(indent=4, orient="index").encode()
        out["timm_split-224.json"] = vec.to_json(indent=4, orient="split", index=False).encode()
    buf = io.BytesIO()
    vec.set_index("filename").to_parquet(buf)
    out["timm-224.parquet"] = buf.getvalue()
    return out


def _npz(compress: bool = False, **arrays) -> bytes:
    """What ``np.savez`` / ``np.savez_compressed`` write, with fixed member dates (so the bytes are seeded)."""
    return _zip({f"{k}.npy": _npy(np.asanyarray(v)) for k, v in arrays.items()},
                zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def _npy_header(descr: str, shape: str, data: bytes = b"", fortran: str = "False") -> bytes:
    header = f"{{'descr': {descr}, 'fortran_order': {fortran}, 'shape': {shape}, }}".encode()
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + data


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method, allowZip64=True) as z:
        for k, v in members.items():
            z.writestr(zipfile.ZipInfo(k, date_time=(1980, 1, 1, 0, 0, 0)), v, compress_type=method)
    return buf.getvalue()


def _patch_zip(data: bytes, *, flag: int | None = None, method: int | None = None) -> bytes:
    b = bytearray(data)
    for sig, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        i = b.find(sig)
        while i >= 0:
            if flag is not None:
                b[i + flag_at] |= flag
            if method is not None:
                b[i + method_at: i + method_at + 2] = struct.pack("<H", method)
            i = b.find(sig, i + 4)
    return bytes(b)


# ---------------------------------------------------------------------------------------------- mutations

def mutate(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """One random byte-level mutation of ``data``: its name and the result."""
    kind = str(rng.choice(["truncate", "bitflip", "insert", "delete", "zero", "dup", "replace", "zero_range"]))
    b = bytearray(data)
    n = len(b)
    at = int(rng.integers(0, max(n, 1)))
    if kind == "truncate":
        return kind, bytes(b[:at])
    if kind == "bitflip":
        for _ in range(int(rng.integers(1, 9))):
            i = int(rng.integers(0, n))
            b[i] ^= 1 << int(rng.integers(0, 8))
    elif kind == "insert":
        b[at:at] = bytes(rng.integers(0, 256, int(rng.integers(1, 16)), dtype=np.uint8))
    elif kind == "delete":
        del b[at: at + int(rng.integers(1, 16))]
    elif kind == "zero":
        b[at] = 0
    elif kind == "dup":
        j = at + int(rng.integers(1, 64))
        b[j:j] = b[at:j]
    elif kind == "replace":
        b[at] = int(rng.choice([0x2C, 0x0A, 0x0D, 0x22, 0x20, 0x2D, 0x2E, 0x78, 0xFF, 0x80]))
    else:
        length = int(rng.integers(1, 4096))
        b[at: at + length] = bytes(len(b[at: at + length]))
    return kind, bytes(b)


def _write(name: str, content: bytes) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(content)
        return path
    return build


# ---------------------------------------------------------------------------------------------- constructed

V1, V2, V3 = (f"ILSVRC2012_val_{i:08d}.JPEG" for i in (1, 2, 3))
IXH = "file_name,predicted_class,predicted_probability\n"


def _ok_top1(*expected: int):
    def check(pred) -> bool:
        got = [int(pred.top1[i]) for i in range(len(expected))]
        return got == list(expected)
    return check


def constructed(rng: np.random.Generator, base: dict[str, bytes]) -> list[Case]:
    """Hand-made cases of every family, with their expectations."""
    cases: list[Case] = []

    def add(name, content, expect="reject", check=None, ext=None):
        fname = f"{name}{ext or ''}"
        cases.append(Case(f"built:{fname}", _write(fname, content), expect, check))

    rows = f"{V1},5,0.5\n{V2},7,0.25\n"
    vit = base["ix.csv"]
    # --- CSV: valid variants
    add("crlf.csv", (IXH + rows).replace("\n", "\r\n").encode(), "accept", _ok_top1(5, 7))
    add("cr_only.csv", (IXH + rows).replace("\n", "\r").encode(), "accept", _ok_top1(5, 7))
    add("cr_only_big.csv", vit.replace(b"\n", b"\r"), "accept")
    add("bom.csv", b"\xef\xbb\xbf" + (IXH + rows).encode(), "accept", _ok_top1(5, 7))
    add("spaces_header.csv", f"file_name, predicted_class , predicted_probability\n{rows}".encode(), "accept",
        _ok_top1(5, 7))
    add("quoted_header.csv", f'"file_name","predicted_class","predicted_probability"\n{rows}'.encode(), "accept",
        _ok_top1(5, 7))
    add("quoted_all.csv", f'"file_name","predicted_class"\n"{V1}","5"\n"{V2}","7"\n'.encode(), "accept",
        _ok_top1(5, 7))
    add("blank_lines.csv", ("\n\n\n" + IXH + rows + "\n\n").encode(), "accept", _ok_top1(5, 7))
    add("no_final_newline.csv", (IXH + rows).rstrip("\n").encode(), "accept", _ok_top1(5, 7))
    add("extra_column.csv", f"file_name,predicted_class,note\n{V1},5,a\n{V2},7,b\n".encode(), "accept",
        _ok_top1(5, 7))
    add("paths.csv", f"file_name,predicted_class\nval/x/{V1},5\nC:\\d\\{V2},7\n".encode(), "accept", _ok_top1(5, 7))
    add("headerless.csv", f"{V1},5\n{V2},7\n".encode(), "accept", _ok_top1(5, 7))
    # --- CSV: invalid values
    for label, value in (("bool", "True"), ("bool_lower", "false"), ("hex", "0x10"), ("hex_upper", "0X1F"),
                         ("complex", "1+7j"), ("neg", "-1"), ("big", "1000"), ("frac", "3.5"), ("nan", "nan"),
                         ("inf", "inf"), ("empty", ""), ("text", "cat"), ("unicode_digit", "\u0663"),
                         ("fullwidth", "\uff15"), ("huge_digits", "9" * 100_000)):
        add(f"class_{label}.csv", f"file_name,predicted_class\n{V1},{value}\n{V2},1\n".encode())
        add(f"hl_class_{label}.csv", f"{V1},{value}\n{V2},1\n".encode())
    for label, value in (("bool", "True"), ("complex", "0.5+2j"), ("over", "1.5"), ("neg", "-0.1"), ("nan", "nan"),
                         ("percent", "50%"), ("hex", "0x1p-1")):
        add(f"prob_{label}.csv", f"{IXH}{V1},1,{value}\n{V2},1,0.5\n".encode())
    # --- CSV: structure
    add("million_fields.csv", f"file_name,predicted_class\n{V1},1".encode() + b",9" * 1_000_000 + b"\n")
    add("million_header.csv", b"file_name" + b",x" * 1_000_000 + b"\n")
    add("commas.csv", f"file_name,predicted_class\n{V1},1".encode() + b"," * 2_000_000 + b"\n")
    add("long_name.csv", b"file_name,predicted_class\n" + b"a" * 5_000_000 + b",1\n")
    add("trailing_comma.csv", f"file_name,predicted_class\n{V1},1,\n{V2},2,\n".encode())
    add("extra_field.csv", f"{IXH}{V1},1,0.5,0.5\n".encode())
    add("dup_header.csv", f"file_name,predicted_class,predicted_class\n{V1},1,1\n".encode())
    add("dup_rows.csv", f"file_name,predicted_class\n{V1},1\n{V1},2\n".encode())
    add("unknown_name.csv", b"file_name,predicted_class\nfoo.JPEG,1\n")
    add("zero_width.csv", f"file_name,predicted_class\n\u200b{V1},1\n".encode())
    add("utf16.csv", (IXH + rows).encode("utf-16"))
    add("latin1.csv", (IXH + rows).encode() + "caf\xe9,1,0.5\n".encode("latin-1"))
    add("only_header.csv", IXH.encode())
    add("only_header_no_newline.csv", IXH.strip().encode())
    add("hl_one_line_no_newline.csv", V1.encode() + b",5", "accept", _ok_top1(5))
    add("only_blank.csv", b"\n\n   \n")
    add("empty.csv", b"")
    add("nul.csv", (IXH + rows).encode() + b"\x00" * 5000)
    add("semicolon.csv", f"file_name;predicted_class\n{V1};1\n".encode())
    add("unclosed_quote.csv", f'file_name,predicted_class\n"{V1},1\n{V2},2\n'.encode())
    add("missing_col.csv", f"file_name,predicted_probability\n{V1},0.5\n".encode())
    add("mixed_endings.csv", f"file_name,predicted_class\r\n{V1},5\r{V2},7\n".encode(), "accept", _ok_top1(5, 7))
    add("hl_three_bad_target.csv", f"{V1},5,999\n".encode())
    add("cut_mid_name.csv", vit[: vit.find(b"ILSVRC", len(vit) // 2) + 7])
    # --- Parquet
    import pyarrow as pa
    import pyarrow.parquet as pq

    def parquet(table, **kw) -> bytes:
        buf = io.BytesIO()
        pq.write_table(table, buf, **kw)
        return buf.getvalue()

    add("top5_scalar.parquet", parquet(pa.table({"file_name": [V1], "predicted_class": [1], "top5": [1]})))
    add("top5_empty_table.parquet", parquet(pa.table({"file_name": pa.array([], pa.string()),
                                                      "predicted_class": pa.array([], pa.int64()),
                                                      "top5": pa.array([], pa.list_(pa.int64()))})))
    add("top5_ragged.parquet", parquet(pa.table({"file_name": [V1, V2], "predicted_class": [1, 2],
                                                 "top5": [[1, 2], [2]]})))
    add("top5_null.parquet", parquet(pa.table({"file_name": [V1, V2], "predicted_class": [1, 2],
                                               "top5": [[1, 2], None]})))
    add("top5_strings.parquet", parquet(pa.table({"file_name": [V1], "predicted_class": [1], "top5": [["1", "2"]]})))
    add("top5_nested.parquet", parquet(pa.table({"file_name": [V1], "predicted_class": [1], "top5": [[[1], [2]]]})))
    add("names_dict.parquet", parquet(pa.table({"file_name": pa.array([V1, V2]).dictionary_encode(),
                                                "predicted_class": [5, 7]})), "accept", _ok_top1(5, 7))
    add("class_dict.parquet", parquet(pa.table({"file_name": [V1, V2],
                                                "predicted_class": pa.array([5, 7]).dictionary_encode()})),
        "accept", _ok_top1(5, 7))
    add("names_int.parquet", parquet(pa.table({"file_name": [1, 2], "predicted_class": [5, 7]})))
    add("names_null.parquet", parquet(pa.table({"file_name": [V1, None], "predicted_class": [5, 7]})))
    add("class_bool.parquet", parquet(pa.table({"file_name": [V1, V2], "predicted_class": [True, False]})))
    add("class_str.parquet", parquet(pa.table({"file_name": [V1, V2], "predicted_class": ["5", "7"]})))
    add("class_null.parquet", parquet(pa.table({"file_name": [V1, V2], "predicted_class": [5, None]})))
    add("prob_over.parquet", parquet(pa.table({"file_name": [V1], "predicted_class": [5],
                                               "predicted_probability": [1.5]})))
    add("class_decimal.parquet", parquet(pa.table({"file_name": [V1], "predicted_class": pa.array(
        [5], pa.decimal128(5, 0))})))
    add("no_columns.parquet", parquet(pa.table({"x": [1]})))
    big = base["pq.parquet"]
    bad_utf8 = bytearray(parquet(pa.table({"file_name": [V1, V2], "predicted_class": [5, 7]}), compression="none",
                                 use_dictionary=False))
    i = bad_utf8.find(V2.encode())
    while i >= 0:  # the data page and the column statistics
        bad_utf8[i + 3] = 0xFF
        i = bad_utf8.find(V2.encode(), i + 1)
    add("names_bad_utf8.parquet", bytes(bad_utf8))
    add("footer_cut.parquet", big[:-9])
    add("magic_only.parquet", b"PAR1")
    # --- NPZ
    add("member_text.npz", _zip({"top1.npy": b"x"}))
    add("member_not_npy.npz", _zip({"top1.npy": _npy(np.arange(3)), "readme.txt": b"hello"}))
    add("encrypted.npz", _patch_zip(_npz(top1=np.arange(3)), flag=1))
    add("deflate64.npz", _patch_zip(_npz(top1=np.arange(3)), method=9))
    add("method99.npz", _patch_zip(_npz(top1=np.arange(3)), method=99))
    comp = bytearray(_npz(compress=True, top1=np.arange(N_VAL) % 1000))
    comp[len(comp) // 3] ^= 0xFF
    add("corrupt_deflate.npz", bytes(comp))
    add("structured.npz", _npz(top1=np.zeros(1, [("a", "i4")]), file_names=np.array([V1])))
    add("complex_top1.npz", _npz(top1=np.full(N_VAL, 1 + 7j)))
    add("complex_prob.npz", _npz(top1=np.zeros(N_VAL, np.int64), prob=np.full(N_VAL, 0.5 + 2j)))
    add("bool_top1.npz", _npz(top1=np.zeros(N_VAL, bool)))
    add("bool_prob.npz", _npz(top1=np.zeros(N_VAL, np.int64), prob=np.ones(N_VAL, bool)))
    add("names_bad_utf8.npz", _npz(top1=np.array([1]), file_names=np.array([b"\xff\xfe"], "S4")))
    add("names_bytes.npz", _npz(top1=np.array([5, 7]), file_names=np.array([V1.encode(), V2.encode()])),
        "accept", _ok_top1(5, 7))
    add("model_bytes.npz", _npz(top1=np.zeros(N_VAL, np.int16), model=np.array(b"bytes_name")), "accept",
        lambda p: p.model == "bytes_name")
    add("model_10MB.npz", _npz(top1=np.zeros(N_VAL, np.int16), model=np.array("m" * 10_000_000)))
    add("model_newline.npz", _npz(top1=np.zeros(N_VAL, np.int16), model=np.array("a\nb")))
    add("model_escape.npz", _npz(top1=np.zeros(N_VAL, np.int16), model=np.array("\x1b]0;x\x07")))
    add("model_array.npz", _npz(top1=np.zeros(N_VAL, np.int16), model=np.array(["a", "b"])))
    add("bomb_junk.npz", _npz(compress=True, top1=np.zeros(N_VAL, np.int16), junk=np.zeros(1 << 27, np.uint8)))
    add("bomb_top1.npz", _npz(compress=True, top1=np.zeros(1 << 24, np.int64)))
    add("declared_huge.npz", _zip({"top1.npy": _npy_header("'<i8'", "(10000000000,)")}))
    add("declared_2_62.npz", _zip({"top1.npy": _npy_header("'<i8'", "(4611686018427387904,)")}))
    add("object.npz", _zip({"top1.npy": _npy_header("'|O'", "(3,)", b"\x00" * 24)}))
    add("wrong_keys.npz", _npz(foo=np.arange(3)))
    add("many_members.npz", _zip({f"k{i}.npy": _npy(np.arange(1)) for i in range(10_000)}))
    add("cut_directory.npz", _zip({"top1.npy": _npy(np.arange(3))})[:-22])
    add("empty.npz", _zip({}))
    add("top1_2d.npz", _npz(top1=np.zeros((N_VAL, 2), np.int64)))
    add("top1_short.npz", _npz(top1=np.zeros(10, np.int64)))
    add("top1_float_frac.npz", _npz(top1=np.full(N_VAL, 0.5)))
    add("top1_nan.npz", _npz(top1=np.full(N_VAL, np.nan)))
    add("names_object.npz", _zip({"top1.npy": _npy(np.arange(1)),
                                  "file_names.npy": _npy_header("'|O'", "(1,)", b"\x00" * 8)}))
    add("bigendian.npz", _npz(top1=np.arange(N_VAL, dtype=">i4") % 1000), "accept")
    add("bzip2.npz", _zip({"top1.npy": _npy(np.arange(N_VAL) % 1000)}, zipfile.ZIP_BZIP2), "accept")
    add("lzma.npz", _zip({"top1.npy": _npy(np.arange(N_VAL) % 1000)}, zipfile.ZIP_LZMA), "accept")
    # --- NPY
    add("negative_shape.npy", _npy_header("'<f4'", "(-1, 1000)", b"\x00" * 400))
    add("shape_huge.npy", _npy_header("'<f4'", "(1000000000000, 1000)"))
    add("shape_2_62.npy", _npy_header("'<f4'", "(4611686018427387904,)"))
    add("structured.npy", _npy(np.zeros(3, [("a", "<f4"), ("b", "<i4")])))
    add("complex.npy", _npy(np.zeros((4, 1000), complex)))
    add("object_descr.npy", _npy_header("'|O'", "(3,)", b"\x00" * 24))
    add("expression.npy", _npy_header("__import__('os').getcwd()", "(3,)"))
    add("bad_descr.npy", _npy_header("'zz'", "(3,)"))
    add("shape_str.npy", _npy_header("'<f4'", "'abc'"))
    add("shape_float.npy", _npy_header("'<f4'", "(1.5,)"))
    add("version9.npy", b"\x93NUMPY\x09\x00" + _npy_header("'<f4'", "(3,)")[8:])
    add("header_big.npy", b"\x93NUMPY\x02\x00" + struct.pack("<I", 20000) + b" " * 20000)
    add("header_cut.npy", _npy_header("'<f4'", "(3,)")[:20])
    add("subarray.npy", _npy_header("('<f4', (2,))", "(3,)", b"\x00" * 24))
    add("bool.npy", _npy(np.zeros((4, 1000), bool)))
    # --- pickles
    p4 = lambda obj: pickle.dumps(obj, protocol=4)
    add("deep_list_model.pickle", b"\x80\x04}\x94(\x8c\x05model" + b"]" * 200000 + b"a" * 199999
        + b"\x8c\x06logits]u.")
    add("deep_list_logits.pickle", b"\x80\x04}\x94(\x8c\x05model\x8c\x01m\x8c\x06logits" + b"]" * 200000
        + b"a" * 199999 + b"u.")
    add("deep_tuple_key.pickle", b"\x80\x04}(\x8c\x01x" + b"\x85" * 1_000_000 + b"\x8c\x01vu.")
    add("deep_tuple_mark.pickle", b"\x80\x04" + b"(" * 100_000 + b"t" * 100_000 + b".")
    add("deep_dict.pickle", b"\x80\x04" + b"}" * 1 + b"(\x8c\x01k}" * 50_000 + b"u" * 50_000 + b".")
    add("memo_alias_deep.pickle", _memo_deep())
    add("bytearray_size.pickle", b"\x80\x04}(\x8c\x05model\x8c\x01m\x8c\x06logits\x8c\x08builtins\x8c\tbytearray"
        b"\x93J\x00\x00\x00\x80\x85Ru.")
    add("reduce_system.pickle", b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x04true\x85R.")
    add("reduce_eval_py2.pickle", b"\x80\x02c__builtin__\neval\n(X\x04\x00\x00\x001+1tR.")
    add("getattr_chain.pickle", b"\x80\x04\x8c\x08builtins\x8c\x07getattr\x93.")
    add("inst.pickle", b"\x80\x02(ios\nsystem\nX\x04\x00\x00\x00truei.")
    add("persid.pickle", b"\x80\x04\x8c\x01xQ.")
    add("ext.pickle", b"\x80\x04\x82\x01.")
    add("ndarray_new.pickle", _ndarray_new_pickle())
    add("scalar_object_dtype.pickle", _fake_pointer_pickle())
    add("scalar_f8_fields.pickle", _fake_pointer_pickle("f8"))
    add("dtype_fields.pickle", _dtype_fields_pickle())
    add("not_dict.pickle", p4([1, 2, 3]))
    add("no_logits.pickle", p4({"model": "m"}))
    add("model_int.pickle", p4({"model": 3, "logits": np.zeros((2, 2))}))
    add("model_long.pickle", p4({"model": "m" * 100_000, "logits": np.zeros((2, 2))}))
    add("logits_list.pickle", p4({"model": "m", "logits": [[0.0] * 1000] * 3}))
    add("logits_object.pickle", p4({"model": "m", "logits": np.array([object()], dtype=object)}))
    add("logits_complex.pickle", p4({"model": "m", "logits": np.zeros((3, 1000), complex)}))
    add("logits_structured.pickle", p4({"model": "m", "logits": np.zeros(3, [("a", "f4")])}))
    add("protocol2_array.pickle", pickle.dumps({"model": "m", "logits": np.zeros((3, 7), np.float32)}, protocol=2))
    add("frame_huge.pickle", b"\x80\x04\x95\xff\xff\xff\xff\xff\xff\xff\x7f}.")
    add("bytes8_huge.pickle", b"\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\x7f.")
    add("bytearray8_huge.pickle", b"\x80\x05\x96\xff\xff\xff\xff\xff\xff\xff\x7f.")
    add("empty_after_proto.pickle", b"\x80\x04")
    add("ordered_dict.pickle", p4(__import__("collections").OrderedDict(model="m", logits=np.zeros((2, 2)))))
    return cases


def _memo_deep(depth: int = 100_000) -> bytes:
    """Lists nested top-down through the memo (each list put into its parent before it is filled)."""
    out = bytearray(b"\x80\x04]\x94")  # list 0, memo 0
    for i in range(1, depth):
        out += b"]\x94"  # new empty list, memo i
        out += b"j" + struct.pack("<I", i - 1) + b"j" + struct.pack("<I", i) + b"a00"  # memo[i-1].append(memo[i])
    out += b"0j" + struct.pack("<I", 0) + b"."
    return bytes(out)


def _ndarray_new_pickle() -> bytes:
    """``numpy.ndarray(shape, dtype, buffer, offset, strides)`` through REDUCE: out-of-bounds strides."""
    return (b"\x80\x04\x8c\x05numpy\x8c\x07ndarray\x93(K\x04\x85\x8c\x02u1C\x04AAAAK\x00J\x00\x00\x00\x10\x85t"
            b"R.")


def _fake_pointer_pickle(code: str = "V8") -> bytes:
    """A dtype with an object field and flags 0, then ``multiarray.scalar`` of 8 chosen bytes (a fake pointer),
    stored as the model name (showing it made NumPy dereference the pointer: SIGSEGV before the fix)."""
    c = code.encode()
    return (b"\x80\x02}(X\x05\x00\x00\x00modelcnumpy\ndtype\nX\x02\x00\x00\x00" + c + b"\x89\x88\x87R(K\x03X\x01"
            b"\x00\x00\x00|NX\x01\x00\x00\x00a\x85}X\x01\x00\x00\x00acnumpy\ndtype\nX\x02\x00\x00\x00O8\x89\x88\x87R"
            b"(K\x03X\x01\x00\x00\x00|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x3ftbK\x00\x86sK\x08K\x01K\x00tbq\x000"
            b"cnumpy.core.multiarray\nscalar\nh\x00C\x08AAAAAAAA\x86RX\x06\x00\x00\x00logitsNu.")


def _dtype_fields_pickle() -> bytes:
    """A protocol-4 array whose dtype state declares fields."""
    return pickle.dumps(np.zeros(2, [("a", "<f4")]), protocol=4)


def build_corpus(seed: int = 20261202, n_random: int = 1200) -> list[Case]:
    """The constructed cases, directory cases, and ``n_random`` random mutations of the base files."""
    rng = np.random.default_rng(seed)
    base = base_files(rng)
    # the NPY and pickle seeds are small (a full (50000, 1000) matrix would make the corpus slow): wrong shape
    cases: list[Case] = [Case(f"base:{name}", _write(name, content), "reject" if name.startswith("small") else "accept")
                         for name, content in base.items()]
    cases += constructed(rng, base)
    cases += directory_cases(base)
    names = sorted(base)
    for i in range(n_random):
        r = np.random.default_rng([seed, i])
        src = names[i % len(names)]
        kind, content = mutate(base[src], r)
        stem, ext = os.path.splitext(src)
        cases.append(Case(f"mut:{src}:{kind}:{i}", _write(f"{stem}_{i}{ext}", content), "any"))
    return cases


def directory_cases(base: dict[str, bytes]) -> list[Case]:
    """Model folders with odd entries: none may be skipped silently."""
    def folder(name: str, extra: Callable[[Path], None], expect: str = "reject"):
        def build(root: Path) -> Path:
            d = root / name
            d.mkdir()
            (d / "good.csv").write_bytes(base["ix.csv"])
            extra(d)
            return d
        return Case(f"dir:{name}", build, expect)

    def fifo(d: Path) -> None:
        os.mkfifo(d / "pipe.csv")

    return [
        folder("broken_link", lambda d: os.symlink("/nonexistent/x.csv", d / "missing.csv")),
        folder("link_loop", lambda d: os.symlink("loop.csv", d / "loop.csv")),
        folder("fifo", fifo),
        folder("subdir", lambda d: (d / "sub").mkdir()),
        folder("unknown_file", lambda d: (d / "notes.txt").write_text("x")),
        folder("dup_model", lambda d: (d / "good.npz").write_bytes(_npz(top1=np.zeros(N_VAL, np.int16),
                                                                        model=np.array("good")))),
        folder("bad_second", lambda d: (d / "z.csv").write_bytes(b"file_name,predicted_class\nfoo,1\n")),
        folder("hidden_ok", lambda d: (d / ".hidden.csv").write_bytes(b"junk"), "accept"),
        folder("ds_store_ok", lambda d: (d / ".DS_Store").write_bytes(b"\x00\x01"), "accept"),
        folder("link_ok", lambda d: os.symlink(d / "good.csv", d / "other.csv"), "accept"),
        Case("dir:empty", lambda root: (root / "empty").mkdir() or root / "empty", "reject"),
        Case("file:fifo.csv", lambda root: (os.mkfifo(root / "p.csv"), root / "p.csv")[1], "reject"),
        Case("file:broken_link.csv", lambda root: (os.symlink("/nonexistent", root / "b.csv"), root / "b.csv")[1],
             "reject"),
        Case("file:link_loop.csv", lambda root: (os.symlink("l.csv", root / "l.csv"), root / "l.csv")[1], "reject"),
        Case("file:dev_null.csv", lambda root: (os.symlink("/dev/null", root / "n.csv"), root / "n.csv")[1],
             "reject"),
        Case("file:dev_zero.npy", lambda root: (os.symlink("/dev/zero", root / "z.npy"), root / "z.npy")[1],
             "reject"),
        Case("file:directory.csv", lambda root: ((root / "d.csv").mkdir(), root / "d.csv")[1], "reject"),
    ]
