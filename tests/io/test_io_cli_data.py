"""``errorscope data list / verify / fetch / licenses`` run through the real entry point."""

from __future__ import annotations

import shutil

import pytest

from errorscope.cli.main import main
from errorscope.resources import get_spec, list_resources


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_data_list_prefix(capsys, data_dir):
    assert main(["data", "list", "--prefix", "real/"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in _lines(out)[2:6]]
    assert [r[0] for r in rows] == ["real/golden.npz", "real/raters.npz", "real/raters_golden.npz", "real/scores.npz"]
    assert rows[0] == ["real/golden.npz", "9.5", "KiB", "Apache-2.0", "mirror"]
    assert "4 resources (4 in the mirror, 0 in the cache, 0 missing)" in out
    assert "CC BY-NC 4.0" in out


def test_data_list_all_marks_the_optional_missing_file(capsys):
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert f"{len(list_resources())} resources (146 in the mirror, 0 in the cache, 1 missing)" in out
    [line] = [line for line in out.splitlines() if line.startswith("multilabel/human_accuracy_v3.0.0.json")]
    assert line.split()[1:3] == ["191.1", "MiB"] and line.split()[-2:] == ["missing", "(optional)"]
    assert "unspecified (see the TFDS imagenet2012_multilabel card)" in line


def test_data_list_unknown_prefix_is_a_clean_error(capsys):
    assert main(["data", "list", "--prefix", "nothing/"]) == 1
    assert "No data resource name starts with 'nothing/'" in capsys.readouterr().err


def test_data_verify_ok(capsys):
    assert main(["data", "verify", "real/golden.npz", "wordnet/words.txt"]) == 0
    out = capsys.readouterr().out
    assert [line.split() for line in _lines(out)[2:4]] == [["real/golden.npz", "ok", "mirror"],
                                                           ["wordnet/words.txt", "ok", "mirror"]]
    assert "2 ok, 0 failed, 0 optional missing" in out


def test_data_verify_corrupt_and_missing_exit_1(capsys, tmp_path, monkeypatch, data_dir):
    mirror = tmp_path / "mirror"
    (mirror / "real").mkdir(parents=True)
    data = bytearray((data_dir / "real/golden.npz").read_bytes())
    data[10] ^= 0xFF
    (mirror / "real/golden.npz").write_bytes(bytes(data))
    shutil.copy(data_dir / "real/raters_golden.npz", mirror / "real/raters_golden.npz")
    monkeypatch.setenv("ERRORSCOPE_DATA_DIR", str(mirror))
    monkeypatch.setenv("ERRORSCOPE_CACHE", str(tmp_path / "cache"))
    code = main(["data", "verify", "real/golden.npz", "real/raters_golden.npz", "real/scores.npz",
                 "multilabel/human_accuracy_v3.0.0.json"])
    captured = capsys.readouterr()
    assert code == 1
    rows = {line.split()[0]: line.split()[1:] for line in _lines(captured.out)[2:6]}
    assert rows["real/golden.npz"][:2] == ["CORRUPT", "mirror"]
    assert rows["real/raters_golden.npz"] == ["ok", "mirror"]
    assert rows["real/scores.npz"] == ["MISSING", "missing"]
    assert rows["multilabel/human_accuracy_v3.0.0.json"] == ["missing", "(optional)", "missing"]
    assert "1 ok, 2 failed, 1 optional missing" in captured.out
    assert f"expected sha256 {get_spec('real/golden.npz').sha256}, got " in captured.err
    assert "errorscope data fetch --force" in captured.err


def test_data_verify_unknown_name_suggests(capsys):
    assert main(["data", "verify", "real/golden.np"]) == 1
    assert "Did you mean 'real/golden.npz'" in capsys.readouterr().err


def test_data_fetch_present_file_and_argument_errors(capsys, data_dir):
    assert main(["data", "fetch", "real/golden.npz"]) == 0
    out = capsys.readouterr().out
    assert _lines(out)[2].split() == ["real/golden.npz", "present", str(data_dir / "real/golden.npz")]
    assert main(["data", "fetch"]) == 1
    assert "Name the resources to fetch, or pass --all" in capsys.readouterr().err
    assert main(["data", "fetch", "--all", "real/golden.npz"]) == 1
    assert "not both" in capsys.readouterr().err


def test_data_licenses(capsys):
    assert main(["data", "licenses"]) == 0
    out = capsys.readouterr().out
    assert "licence:  CC BY-NC 4.0 (non-commercial use only)" in out
    assert "ImageNet-X: Understanding Model Mistakes with Factor of Variation Annotations" in out
    for group in {s.group for s in list_resources()}:
        assert f"\n{group}/ (" in out
    assert "predictions/ (15 files)\n  licence:  MIT" in out


def test_data_without_action_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["data"])
    assert info.value.code == 2
