"""Every malformed input raises one IngestError naming the file, where, what was expected and the fix."""

from __future__ import annotations

import io
import os
import pickle

import numpy as np
import pytest

from errorscope.exceptions import IngestError
from errorscope.readers import read_population, read_predictions

V1, V2, V3 = (f"ILSVRC2012_val_{i:08d}.JPEG" for i in (1, 2, 3))
HEADER = "file_name,predicted_class,predicted_probability\n"


def _npy_bytes(arr) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def _npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _parquet_bytes(**columns) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table(columns), buf)
    return buf.getvalue()


def _pickle_bytes(obj) -> bytes:
    return pickle.dumps(obj, protocol=4)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


NAMES = np.array([V1, V2, V3])
GOOD_PARQUET = _parquet_bytes(file_name=NAMES, predicted_class=np.array([1, 2, 3]))

# (id, file name, content, regex the message must match)
CASES = [
    # --- wrong kind / empty ---
    ("csv-empty-file", "m.csv", b"", r"the file is empty \(0 bytes\)"),
    ("csv-only-blank-lines", "m.csv", b"\n\n  \n", r"holds no rows"),
    ("csv-binary-content", "m.csv", bytes(range(256)) * 4, r"announces a csv file, but the content is an unknown binary"),
    ("csv-that-is-npy", "m.csv", _npy_bytes(np.zeros(3)), r"content is a npy file.*rename it to '\.npy'"),
    ("csv-that-is-parquet", "m.csv", GOOD_PARQUET, r"content is a parquet file"),
    ("npy-that-is-csv", "m.npy", (HEADER + f"{V1},1,0.5\n").encode(), r"announces a npy file, but the content is text"),
    ("npy-that-is-npz", "m.npy", _npz_bytes(top1=np.zeros(3)), r"content is a npz file.*'\.npz'"),
    ("pickle-that-is-zip", "m.pt.pickle", _npz_bytes(x=np.zeros(2)), r"announces a pickle file, but the content is a npz file.*torch\.save"),
    ("pickle-that-is-npy", "m.pkl", _npy_bytes(np.zeros(3)), r"announces a pickle file"),
    ("parquet-empty", "m.parquet", b"", r"empty \(0 bytes\)"),
    ("unknown-extension", "m.txt", b"{}", r"unknown prediction file type '\.txt'"),
    ("no-extension-npy-content", "model", _npy_bytes(np.zeros(3)), r"looks like a npy file: rename it to '\.npy'"),
    # --- ImageNet-X CSV ---
    ("csv-unknown-file-name", "m.csv", (HEADER + f"{V1},1,0.5\ncat.jpg,2,0.5\n").encode(),
     r"row 3, column 'file_name': unknown file name 'cat\.jpg'"),
    ("csv-duplicate-row", "m.csv", (HEADER + f"{V1},1,0.5\n{V2},2,0.5\n{V1},1,0.5\n").encode(),
     r"row 4, column 'file_name': image 'ILSVRC2012_val_00000001\.JPEG' appears more than once \(first at row 2\)"),
    ("csv-class-1000", "m.csv", (HEADER + f"{V1},1000,0.5\n").encode(),
     r"row 2, column 'predicted_class': expected an integer class id in 0\.\.999, but got '?1000'?"),
    ("csv-class-negative", "m.csv", (HEADER + f"{V1},-1,0.5\n").encode(), r"row 2.*got '?-1'?"),
    ("csv-class-fraction", "m.csv", (HEADER + f"{V1},3.5,0.5\n").encode(), r"got '?3\.5'?"),
    ("csv-class-text", "m.csv", (HEADER + f"{V1},tench,0.5\n").encode(), r"got 'tench'"),
    ("csv-prob-nan", "m.csv", (HEADER + f"{V1},1,0.5\n{V2},1,nan\n").encode(),
     r"row 3, column 'predicted_probability': expected a probability in \[0, 1\], but got 'nan'"),
    ("csv-prob-above-one", "m.csv", (HEADER + f"{V1},1,1.5\n").encode(), r"probability in \[0, 1\], but got '?1\.5'?"),
    ("csv-prob-percent", "m.csv", (HEADER + f"{V1},1,87\n").encode(), r"not a logit, not a percentage"),
    ("csv-truncated-mid-line", "m.csv", (HEADER + f"{V1},1,0.5\n{V2},").encode(),
     r"row 3, column 'predicted_class': row has an empty or missing field\. The last line ends without a newline: the file may be truncated"),
    ("csv-truncated-two-of-three", "m.csv", (HEADER + f"{V1},1,0.5\n{V2},7").encode(),
     r"row 3, column 'predicted_probability'.*may be truncated"),
    ("csv-extra-field", "m.csv", (HEADER + f"{V1},1,0.5\n{V2},1,0.5,9\n").encode(), r"row 3: the row has 4 fields, but the header \(or first row\) has 3"),
    ("csv-missing-column", "m.csv", f"file_name,prob\n{V1},0.5\n".encode(), r"missing column\(s\) \['predicted_class'\]"),
    ("csv-duplicate-column", "m.csv", f"file_name,predicted_class,predicted_class\n{V1},1,1\n".encode(),
     r"\['predicted_class'\] appear more than once"),
    ("csv-unrecognised-header", "m.csv", f"image,prediction\n{V1},1\n".encode(), r"row 1: unrecognised header"),
    ("csv-header-only", "m.csv", HEADER.encode(), r"holds no prediction rows"),
    ("csv-latin1", "m.csv", (HEADER + f"{V1},1,0.5\n").encode() + "caf\xe9,1,0.5\n".encode("latin-1") * 2000,
     r"not a UTF-8 text file|unknown binary format"),
    # --- headerless CSV ---
    ("headerless-target-mismatch", "m.csv", f"{V1},65,65\n{V2},970,971\n".encode(),
     r"row 2, column 'target \(column 3\)': the target 971 of image 'ILSVRC2012_val_00000002\.JPEG' differs from its canonical label 970 \(1 of 2 rows differ\)"),
    ("headerless-four-fields", "m.csv", f"{V1},1,2,3\n".encode(), r"expected 2 or 3 fields per row"),
    ("headerless-class-out-of-range", "m.csv", f"{V1},5\n{V2},12345\n".encode(),
     r"row 2, column 'top1 \(column 2\)'.*got '?12345'?"),
    ("headerless-unknown-file", "m.csv", f"{V1},5\nval/n01440764/x.JPEG,1\n".encode(), r"row 2.*unknown file name"),
    ("headerless-truncated", "m.csv", f"{V1},5,65\n{V2},9".encode(), r"row 2, column 'target'.*may be truncated"),
    # --- pickle ---
    ("pickle-not-a-dict", "m.pickle", _pickle_bytes([1, 2]), r"expected a dict with keys 'model' and 'logits', but the pickle holds a list"),
    ("pickle-missing-logits", "m.pickle", _pickle_bytes({"model": "x"}), r"column 'logits': the pickle lacks key\(s\) \['logits'\]"),
    ("pickle-model-not-str", "m.pickle", _pickle_bytes({"model": 3, "logits": np.zeros((2, 2))}), r"model name to be a non-empty string"),
    ("pickle-wrong-shape", "m.pickle", _pickle_bytes({"model": "x", "logits": np.zeros((10, 1000))}),
     r"column 'logits': expected logits or probabilities of shape \(50000, 1000\).*got shape \(10, 1000\)"),
    ("pickle-truncated", "m.pickle", _pickle_bytes({"model": "x", "logits": np.zeros((100, 10))})[:500],
     r"cannot read the pickle.*truncated or corrupt"),
    ("pickle-code-execution", "m.pickle", _pickle_bytes({"model": "x", "logits": _Evil()}),
     r"references (posix|nt|os)\.system; only dicts of NumPy arrays are accepted"),
    # --- npy ---
    ("npy-wrong-shape", "m.npy", _npy_bytes(np.zeros((50000, 10), np.float32)), r"shape \(50000, 1000\).*got shape \(50000, 10\)"),
    ("npy-one-dim", "m.npy", _npy_bytes(np.zeros(50000, np.int64)), r"got shape \(50000,\)"),
    ("npy-truncated", "m.npy", _npy_bytes(np.zeros((50, 1000), np.float32))[:3000], r"declares an array of shape \(50, 1000\).*holds 2,872 bytes of data; the file is truncated or corrupt"),
    ("npy-object-array", "m.npy", _npy_bytes(np.array([{"a": 1}], dtype=object)), r"holds Python objects"),
    # --- npz ---
    ("npz-no-known-key", "m.npz", _npz_bytes(preds=np.zeros(3)), r"expected an array 'top1'.*holds \['preds'\]"),
    ("npz-empty-archive", "m.npz", _npz_bytes(), r"holds nothing"),
    ("npz-top1-wrong-length", "m.npz", _npz_bytes(top1=np.zeros(10, np.int64)),
     r"column 'top1': expected array 'top1' of shape \(50000,\).*got shape \(10,\).*add a 'file_names' array"),
    ("npz-names-length-mismatch", "m.npz", _npz_bytes(top1=np.array([1, 2, 3]), file_names=np.array([V1, V2])),
     r"'file_names' of shape \(3,\) like 'top1', but got \(2,\)"),
    ("npz-names-object", "m.npz", _npz_bytes(top1=np.array([1]), file_names=np.array([V1], dtype=object)),
     r"column 'file_names': the array 'file_names' holds Python objects"),
    ("npz-names-numeric", "m.npz", _npz_bytes(top1=np.array([1]), file_names=np.array([1])), r"'file_names' to be strings"),
    ("npz-class-out-of-range", "m.npz", _npz_bytes(top1=np.array([1, 1000]), file_names=np.array([V1, V2])),
     r"row 2, column 'top1'.*got 1000"),
    ("npz-unknown-name", "m.npz", _npz_bytes(top1=np.array([1, 2]), file_names=np.array([V1, "x.png"])),
     r"row 2, column 'file_names': unknown file name 'x\.png'"),
    ("npz-duplicate-name", "m.npz", _npz_bytes(top1=np.array([1, 2]), file_names=np.array([V1, V1])),
     r"row 2, column 'file_names'.*appears more than once"),
    ("npz-prob-negative", "m.npz", _npz_bytes(top1=np.array([1, 2]), prob=np.array([0.5, -0.1]), file_names=np.array([V1, V2])),
     r"row 2, column 'prob': expected a probability in \[0, 1\], but got -0\.1"),
    ("npz-topk-not-best-first", "m.npz", _npz_bytes(top1=np.array([1]), top5=np.array([[2, 1, 3, 4, 5]]), file_names=np.array([V1])),
     r"column 'top5': the first top-k class 2 differs from the top-1 class 1"),
    ("npz-topk-repeats", "m.npz", _npz_bytes(top1=np.array([1]), top5=np.array([[1, 3, 3, 4, 5]]), file_names=np.array([V1])),
     r"repeat a class"),
    ("npz-topk-wrong-ndim", "m.npz", _npz_bytes(top1=np.array([1]), top5=np.array([1]), file_names=np.array([V1])),
     r"'top5' of shape \(n, k\)"),
    ("npz-model-not-str", "m.npz", _npz_bytes(top1=np.array([1]), file_names=np.array([V1]), model=np.array(3)),
     r"'model' to be a non-empty string"),
    ("npz-truncated", "m.npz", _npz_bytes(top1=np.arange(1000))[:1500], r"cannot read the NumPy data.*truncated or corrupt"),
    ("npz-names-with-scores", "m.npz", _npz_bytes(logits=np.zeros((3, 1000)), file_names=np.array([V1, V2, V3])),
     r"'file_names' cannot be combined with a score matrix"),
    # --- parquet ---
    ("parquet-missing-column", "m.parquet", _parquet_bytes(file_name=NAMES, cls=np.array([1, 2, 3])),
     r"missing column\(s\) \['predicted_class'\]"),
    ("parquet-class-as-text", "m.parquet", _parquet_bytes(file_name=NAMES, predicted_class=np.array(["a", "b", "c"])),
     r"column 'predicted_class': expected numbers"),
    ("parquet-null-class", "m.parquet", _parquet_bytes(file_name=NAMES, predicted_class=[1, None, 3]),
     r"row 2, column 'predicted_class'.*got nan"),
    ("parquet-names-not-strings", "m.parquet", _parquet_bytes(file_name=np.array([1, 2, 3]), predicted_class=np.array([1, 2, 3])),
     r"'file_name' to hold strings"),
    ("parquet-ragged-top5", "m.parquet", _parquet_bytes(file_name=NAMES, predicted_class=np.array([1, 2, 3]),
                                                        top5=[[1, 2], [2, 3], [3]]), r"row 3, column 'top5'.*same number k"),
    ("parquet-truncated", "m.parquet", GOOD_PARQUET[: len(GOOD_PARQUET) // 2], r"cannot read the Parquet data.*truncated or corrupt"),
    ("parquet-prob-nan", "m.parquet", _parquet_bytes(file_name=NAMES, predicted_class=np.array([1, 2, 3]),
                                                     predicted_probability=np.array([0.1, np.nan, 0.2])),
     r"row 2, column 'predicted_probability'.*got nan"),
]


@pytest.mark.parametrize("name, content, pattern", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_file_raises_one_clear_error(tmp_path, name, content, pattern):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError, match=pattern) as info:
        read_predictions(path)
    message = str(info.value)
    assert message.startswith(str(path)), message  # names the file first
    assert " Fix: " in message, message  # and says how to fix it
    assert info.value.__cause__ is None  # no bare library traceback chained under it


def test_npy_with_nan_row_names_the_row(tmp_path):
    scores = np.zeros((50000, 1000), dtype=np.float16)
    scores[123, 7] = np.nan
    np.save(tmp_path / "m.npy", scores)
    with pytest.raises(IngestError, match=r"row 124, column 'array': expected finite scores"):
        read_predictions(tmp_path / "m.npy")


def test_missing_path_and_directory_given_as_file(tmp_path):
    with pytest.raises(IngestError, match=r"no such file"):
        read_predictions(tmp_path / "nope.csv")
    with pytest.raises(IngestError, match=r"is a directory.*read_population"):
        read_predictions(tmp_path)


def _csv(path, rows=((V1, 1, 0.5),)):
    path.write_text(HEADER + "".join(f"{a},{b},{c}\n" for a, b, c in rows))


@pytest.mark.parametrize("setup, pattern", [
    pytest.param(lambda d: None, r"the directory holds no prediction files", id="empty-directory"),
    pytest.param(lambda d: (_csv(d / "a.csv"), (d / "notes.txt").write_text("x")),
                 r"1 file\(s\) that are not prediction files: 'notes\.txt'", id="unknown-file-kind"),
    pytest.param(lambda d: (_csv(d / "a.csv"), (d / "sub").mkdir()), r"1 sub-directorie\(s\).*'sub'", id="sub-directory"),
    pytest.param(lambda d: (_csv(d / "ViT.csv"), np.savez(d / "b.npz", top1=np.array([1]), file_names=np.array([V1]),
                                                            model=np.array("ViT"))),
                 r"b\.npz: model name 'ViT' is already used by .*ViT\.csv", id="duplicate-model-names"),
    pytest.param(lambda d: (_csv(d / "a.csv"), (d / "b.csv").write_text(HEADER + f"{V1},1001,0.5\n")),
                 r"b\.csv, row 2, column 'predicted_class'", id="one-bad-file"),
])
def test_population_errors(tmp_path, setup, pattern):
    setup(tmp_path)
    with pytest.raises(IngestError, match=pattern):
        read_population(tmp_path)


def test_population_of_missing_path(tmp_path):
    with pytest.raises(IngestError, match=r"no such file or directory"):
        read_population([tmp_path / "missing"])

