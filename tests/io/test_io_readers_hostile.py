"""The findings of the reliability review (issue 13), each as a test on its own input.

Valid variants must read to the same arrays as the plain file; invalid and hostile inputs must end in one
IngestError naming the file, before any large allocation.
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile

import numpy as np
import pytest

from errorscope.exceptions import IngestError
from errorscope.readers import read_population, read_predictions

V1, V2 = "ILSVRC2012_val_00000001.JPEG", "ILSVRC2012_val_00000002.JPEG"


def _same(a, b) -> None:
    np.testing.assert_array_equal(a.top1, b.top1)
    np.testing.assert_array_equal(a.prob, b.prob)


@pytest.mark.parametrize("transform", [
    lambda raw: raw.replace(b"\n", b"\r"),                                                  # classic Mac
    lambda raw: raw.replace(b"\n", b"\r\n"),                                                # Windows
    lambda raw: raw.replace(b"file_name,predicted_class,predicted_probability",
                            b"file_name, predicted_class , predicted_probability", 1),      # spaces
    lambda raw: raw.replace(b"file_name,predicted_class,predicted_probability",
                            b'"file_name","predicted_class","predicted_probability"', 1),   # quoted
], ids=["cr", "crlf", "spaces", "quoted"])
def test_csv_variants_read_as_the_real_file(imagenetx_dir, vit, tmp_path, transform):
    path = tmp_path / "ViT.csv"
    path.write_bytes(transform((imagenetx_dir / "ViT.csv").read_bytes()))
    got = read_predictions(path)
    assert got.n_covered == 50000
    _same(got, vit)


@pytest.mark.parametrize("value", ["True", "false", "0x10", "0X1F", "1+7j", "\u0663"])
def test_csv_class_ids_that_are_not_decimal_integers_are_refused(tmp_path, value):
    path = tmp_path / "m.csv"
    path.write_text(f"file_name,predicted_class\n{V1},{value}\n{V2},3\n", encoding="utf-8")
    with pytest.raises(IngestError, match="predicted_class") as info:
        read_predictions(path)
    assert info.value.path == str(path)


def test_csv_million_field_line_is_refused_from_its_length(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text(f"file_name,predicted_class\n{V1},1" + ",9" * 1_000_000 + "\n")
    with pytest.raises(IngestError, match=r"row 2: the line is 2,000,030 bytes long; lines of at most 16,384"):
        read_predictions(path)


def test_csv_extra_fields_are_named_not_read_as_an_index(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text(f"file_name,predicted_class\n{V1},1\n{V2},2,0.5\n")
    with pytest.raises(IngestError, match=r"row 3: the row has 3 fields, but the header \(or first row\) has 2"):
        read_predictions(path)


def test_special_files_and_links_are_refused_in_folders_and_alone(imagenetx_dir, tmp_path):
    os.mkfifo(tmp_path / "pipe.csv")
    with pytest.raises(IngestError, match="is a FIFO"):
        read_predictions(tmp_path / "pipe.csv")
    for name, target, pattern in (("missing.csv", "/nonexistent.csv", "broken symbolic link"),
                                  ("loop.csv", "loop.csv", "symbolic link loop")):
        folder = tmp_path / name.split(".")[0]
        folder.mkdir()
        os.symlink((imagenetx_dir / "ViT.csv").resolve(), folder / "ViT.csv")
        os.symlink(target, folder / name)
        with pytest.raises(IngestError, match=pattern) as info:
            read_population(folder)
        assert info.value.path == str(folder / name)


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def test_npz_bomb_is_refused_from_the_archive_directory(tmp_path):
    path = tmp_path / "bomb.npz"
    path.write_bytes(_npz(top1=np.zeros(50000, np.int16), junk=np.zeros(1 << 27, np.uint8)))
    assert path.stat().st_size < 1 << 20
    with pytest.raises(IngestError, match=r"column 'junk.npy': the archive member expands from .* more than 100 times"):
        read_predictions(path)


def test_npz_members_are_checked_in_sorted_order(tmp_path):
    """Two bad members: the error always names the first in sorted order (not set() order)."""
    path = tmp_path / "two.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("top1.npy", b"not an array")
        z.writestr("prob.npy", b"not an array either")
    for _ in range(3):
        with pytest.raises(IngestError, match="column 'prob'"):
            read_predictions(path)


@pytest.mark.parametrize("arrays, pattern", [
    ({"top1": np.zeros(50000, bool)}, "holds booleans"),
    ({"top1": np.zeros(50000, complex)}, r"dtype complex128"),
    ({"top1": np.zeros(1, [("a", "i4")])}, r"records"),
    ({"top1": np.zeros(50000, np.int16), "model": np.array("m" * 10_000_000)}, r"10,000,000 characters long"),
    ({"top1": np.zeros(50000, np.int16), "model": np.array("a\x1b[2Kb")}, "control character"),
], ids=["bool", "complex", "structured", "long-name", "escape-name"])
def test_npz_values_that_are_not_predictions_are_refused(tmp_path, arrays, pattern):
    path = tmp_path / "m.npz"
    np.savez(path, **arrays)
    with pytest.raises(IngestError, match=pattern):
        read_predictions(path)


def test_protocol_2_pickle_reads_like_protocol_4(vit, vit_logits, tmp_path):
    """imagenet-testbed pickles hold ImageFolder-ordered rows; every protocol reads back ViT's predictions."""
    from errorscope.readers._pickle import imagefolder_order

    imagefolder = vit_logits[imagefolder_order()]
    for protocol in (2, 4, 5):
        path = tmp_path / f"p{protocol}.pickle"
        with open(path, "wb") as fh:
            pickle.dump({"model": "ViT", "logits": imagefolder}, fh, protocol=protocol)
        got = read_predictions(path)
        np.testing.assert_array_equal(got.top1, vit.top1)
        path.unlink()


def _fake_pointer(code: str) -> bytes:
    """``{'model': scalar(dtype(code) with an object field 'a' and flags 0, b'AAAAAAAA'), 'logits': None}``."""
    c = code.encode()
    return (b"\x80\x02}(X\x05\x00\x00\x00modelcnumpy\ndtype\nX\x02\x00\x00\x00" + c + b"\x89\x88\x87R(K\x03X\x01"
            b"\x00\x00\x00|NX\x01\x00\x00\x00a\x85}X\x01\x00\x00\x00acnumpy\ndtype\nX\x02\x00\x00\x00O8\x89\x88\x87R"
            b"(K\x03X\x01\x00\x00\x00|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x3ftbK\x00\x86sK\x08K\x01K\x00tbq\x000"
            b"cnumpy.core.multiarray\nscalar\nh\x00C\x08AAAAAAAA\x86RX\x06\x00\x00\x00logitsNu.")


@pytest.mark.parametrize("data, pattern", [
    # a structured dtype with an object field and flags 0, then multiarray.scalar of 8 chosen bytes (a fake
    # pointer NumPy dereferences when the model name is shown: SIGSEGV before this fix): refused at the dtype
    (_fake_pointer("V8"), r"dtype 'V8'; only plain numbers"),
    (_fake_pointer("f8"), r"dtype 'O8'; only plain numbers"),
    # numpy.ndarray(shape=(4,), dtype=u1, buffer=b'AAAA', offset=0, strides=(2**28,)): reads outside its buffer
    (b"\x80\x04\x8c\x05numpy\x8c\x07ndarray\x93(K\x04\x85\x8c\x02u1C\x04AAAAK\x00J\x00\x00\x00\x10\x85tR.",
     "calls numpy.ndarray directly"),
    (b"\x80\x04}(\x8c\x05model\x8c\x01m\x8c\x06logits\x8c\x08builtins\x8c\tbytearray\x93J\x00\x00\x00\x80\x85Ru.",
     r"bytearray\(\) with a size"),
    (b"\x80\x04}(\x8c\x01x" + b"\x85" * 1_000_000 + b"\x8c\x01vu.", "nests containers more than 32 deep"),
    (b"\x80\x04}\x94(\x8c\x05model" + b"]" * 200000 + b"a" * 199999 + b"\x8c\x06logits]u.",
     "nests containers more than 32 deep"),
    (pickle.dumps({"model": "m", "logits": np.zeros(3, [("a", "<f4")])}, protocol=4),
     r"dtype 'V4'; only plain numbers"),
], ids=["fake-pointer-scalar", "fake-pointer-f8-fields", "oob-strides", "bytearray-bomb", "deep-tuple", "deep-list", "structured"])
def test_hostile_pickles_are_refused_without_building_numpy_objects(tmp_path, data, pattern):
    path = tmp_path / "evil.pickle"
    path.write_bytes(data)
    with pytest.raises(IngestError, match=pattern) as info:
        read_predictions(path)
    assert info.value.path == str(path)


def test_parquet_dictionary_names_and_list_checks(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"file_name": pa.array([V1, V2]).dictionary_encode(), "predicted_class": [5, 7]}), path)
    got = read_predictions(path)
    assert got.top1[:3].tolist() == [5, 7, -1]
    pq.write_table(pa.table({"file_name": [V1], "predicted_class": [1], "top5": [1]}), path)
    with pytest.raises(IngestError, match="expected column 'top5' to hold lists of class ids, but it holds int64"):
        read_predictions(path)
