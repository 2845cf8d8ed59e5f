"""Model names read from inside files never pick where a file goes, never drive the terminal and never run as
spreadsheet formulas (issue 13: ``../../x`` made ``errorscope plots`` write outside ``--out``)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from errorscope._io import write_frame
from errorscope._safe import (
    MAX_FILENAME, inside, neutralise_formulas, printable, printable_frame, safe_filename,
)
from errorscope.exceptions import InvalidInputError

EVIL = "../../x"
ESC = "evil\x1b]0;pwned\x07\x1b[2K\x1b[1Aforged\nline"


def _hash(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:10]


def test_safe_filename_keeps_plain_names_and_replaces_the_rest():
    for name in ["ResNet50", "timm__resnet50.a1_in1k", "vit-b16+aug=1@x,y", "model_metaclasses_ViT"]:
        assert safe_filename(name) == name
    assert safe_filename(EVIL) == f"_._.._x~{_hash(EVIL)}"
    assert safe_filename("/etc/passwd") == f"_etc_passwd~{_hash('/etc/passwd')}"
    assert safe_filename("..") == f"_.~{_hash('..')}"
    assert safe_filename("") == f"~{_hash('')}"
    assert safe_filename("-rf") == f"_rf~{_hash('-rf')}"
    assert safe_filename("CON.txt") == f"CON.txt~{_hash('CON.txt')}"
    assert safe_filename("résumé net") == f"r_sum__net~{_hash('résumé net')}"
    long = "a" * 500
    assert len(safe_filename(long)) == MAX_FILENAME and safe_filename(long).endswith(_hash(long))
    assert len(safe_filename("a" * MAX_FILENAME)) == MAX_FILENAME and "~" not in safe_filename("a" * MAX_FILENAME)


def test_safe_filename_never_collides_for_names_that_clean_alike():
    names = ["a/b", "a\\b", "a b", "a_b", "a:b", "a\x00b", "a\nb", "a_b~" + _hash("a/b")]
    assert len({safe_filename(n) for n in names}) == len(names)
    # the changed names differ only by the hash, the unchanged one has no "~"
    assert safe_filename("a_b") == "a_b"


def test_inside_refuses_paths_that_escape(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    assert inside(out, out / "f.png") == (out / "f.png").resolve()
    with pytest.raises(InvalidInputError, match="outside the output folder"):
        inside(out, out / ".." / "x.png")
    with pytest.raises(InvalidInputError, match="outside the output folder"):
        inside(out, "/tmp/x.png")
    (out / "link").symlink_to(tmp_path)
    with pytest.raises(InvalidInputError, match="outside the output folder"):
        inside(out, out / "link" / "x.png")


def test_printable_escapes_control_characters():
    assert printable("ResNet50") == "ResNet50"
    assert printable(ESC) == "evil\\x1b]0;pwned\\x07\\x1b[2K\\x1b[1Aforged\\x0aline"
    assert printable("a\u202eb\x9bc\x7f") == "a\\u202eb\\x9bc\\x7f"
    assert printable("café 模型") == "café 模型"
    frame = pd.DataFrame({"model": [ESC, "ok"], "top1": [0.5, 0.7]}, index=pd.Index([ESC, "ok"], name="model"))
    shown = printable_frame(frame)
    assert "\x1b" not in shown.to_string() and "\\x1b[2K" in shown.to_string()
    assert shown["top1"].tolist() == [0.5, 0.7]
    plain = frame.iloc[[1]]
    assert printable_frame(plain) is plain


def test_formula_cells_get_a_quote_and_nothing_else_changes(tmp_path):
    frame = pd.DataFrame({"model": ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "ok-=",
                                    "ResNet50"],
                          "top1": [-0.5, 1, 2, 3, 4, 5, 6, 7]})
    out = neutralise_formulas(frame)
    assert out["model"].tolist() == ["'=HYPERLINK(\"http://x\",\"y\")", "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx",
                                     "ok-=", "ResNet50"]
    assert out["top1"].tolist() == [-0.5, 1, 2, 3, 4, 5, 6, 7]  # numbers are never touched
    assert frame["model"][0].startswith("=")  # the caller's frame is not modified
    cat = frame.astype({"model": "category"}).set_index("model")
    assert list(neutralise_formulas(cat).index)[:2] == ["'=HYPERLINK(\"http://x\",\"y\")", "'+1"]
    write_frame(frame.set_index("model"), tmp_path / "t.csv")
    text = (tmp_path / "t.csv").read_text()
    assert "\n\"'=HYPERLINK" in text and "\n'-2,2.0\n" in text and "\nResNet50,7.0\n" in text
    write_frame(frame, tmp_path / "t.parquet", index=False)  # Parquet keeps the values as they are
    assert pd.read_parquet(tmp_path / "t.parquet")["model"].tolist() == frame["model"].tolist()
    plain = pd.DataFrame({"model": ["ResNet50"], "x": [-1.0]})
    assert neutralise_formulas(plain) is plain


def _named_prediction_file(tmp_path, name: str, suffix: str = ".npz"):
    from errorscope.readers import read_predictions, write_predictions
    from errorscope.resources import resource_path

    pred = read_predictions(resource_path("imagenetx/model_predictions/base/ResNet50.csv")).renamed(name)
    return write_predictions(pred, tmp_path / f"preds{suffix}")


def test_plots_cli_keeps_a_model_named_dot_dot_inside_out(tmp_path):
    pytest.importorskip("matplotlib", reason="figures need the 'plot' extra (matplotlib)")
    from errorscope.cli.main import main
    from errorscope.readers import read_predictions

    npz = _named_prediction_file(tmp_path, EVIL)
    assert read_predictions(npz).model == EVIL  # the reader takes the name from inside the file
    out = tmp_path / "a" / "b" / "figs"
    assert main(["plots", "--out", str(out), "--predictions", str(npz), "--only", "model_metaclasses",
                 "--dpi", "30", "--jobs", "1"]) == 0
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.png"))
    assert written == [f"a/b/figs/model_metaclasses_.._.._x~{_hash('model_metaclasses_' + EVIL)}.png"]


def test_plots_cli_keeps_dotted_model_names_apart(tmp_path):
    """``resnet50.a1`` and ``resnet50.a2`` used to share ``model_metaclasses_resnet50.png`` (the dot was
    taken for a suffix)."""
    pytest.importorskip("matplotlib", reason="figures need the 'plot' extra (matplotlib)")
    from errorscope.plots import generate_figures

    nan = np.nan
    rows = pd.DataFrame([dict(model=m, metaclass=mc, factor=f, total=n, accuracy=a, error_ratio=e, er_low=lo,
                              er_high=hi)
                         for m in ("resnet50.a1", "resnet50.a2", "/abs/x")
                         for mc, f, n, a, e, lo, hi in [("all", "average", 46110, 0.8, nan, nan, nan),
                                                        ("all", "texture", 800, 0.5, 2.0, 1.8, 2.2),
                                                        ("vessel", "average", 900, 0.55, nan, nan, nan),
                                                        ("vessel", "smaller", 2, 0, 2.2, 0.6, 2.2)]])
    out = generate_figures(tmp_path / "figs", include=["model_metaclasses"], user_metaclass_factors=rows, dpi=30,
                           jobs=1)
    names = sorted(p.name for ps in out.values() for p in ps)
    assert names == sorted(["model_metaclasses_resnet50.a1.png", "model_metaclasses_resnet50.a2.png",
                            f"model_metaclasses__abs_x~{_hash('model_metaclasses_/abs/x')}.png"])
    assert sorted(p.name for p in (tmp_path / "figs").iterdir()) == names


def test_inference_output_stem_stays_a_file_name():
    pytest.importorskip("torch")
    from errorscope.inference.models import output_stem

    assert output_stem("timm:resnet50.a1_in1k") == "timm__resnet50.a1_in1k"
    assert output_stem("hf-hub:timm/vit_b") == "hf-hub__timm_vit_b"
    stem = output_stem("x/../../\x1b[2Ky")
    assert "/" not in stem and "\x1b" not in stem and stem.endswith(_hash("x_.._.._\x1b[2Ky"))


def _resnet50(name: str):
    from errorscope.readers import read_predictions
    from errorscope.resources import resource_path

    return read_predictions(resource_path("imagenetx/model_predictions/base/ResNet50.csv")).renamed(name)


def test_analyze_cli_writes_formula_names_neutralised(tmp_path, capsys):
    from errorscope.cli.main import main

    name = '=HYPERLINK("http://evil","click")'
    npz = _named_prediction_file(tmp_path, name)
    assert main(["analyze", str(npz), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert name[:28] in capsys.readouterr().out  # the terminal shows the name as it is
    summary = pd.read_csv(tmp_path / "out" / "summary.csv", index_col=0)
    assert list(summary.index) == ["'" + name]
    assert summary.iloc[0]["top1"] == pytest.approx(0.7613, abs=5e-6)  # ResNet50's numbers, untouched
    factors = pd.read_csv(tmp_path / "out" / "factors.csv")
    assert set(factors["model"]) == {"'" + name}
    assert set(pd.read_parquet(tmp_path / "out" / "factors.parquet")["model"]) == {name}


def test_analyze_summary_escapes_control_characters():
    """Readers refuse control characters in names read from files; a name given through the API still prints
    escaped."""
    from errorscope.cli.commands.analyze import render_summary
    from errorscope.predictions import Population
    from errorscope.results import analyze

    analysis = analyze(Population.from_predictions([_resnet50(ESC)]), which=("top",), error_types=("class",),
                       labels=None)
    text = render_summary(analysis, which="top", error_type="class", n=2)
    assert "evil\\x1b]0;pwned\\x07\\x1b[2K\\x1b[1Aforged\\x0aline" in text  # the full name, under the factors
    assert not any(ch in text for ch in "\x1b\x07")


def test_store_cli_prints_escaped_and_saves_neutralised(tmp_path, capsys):
    pytest.importorskip("duckdb")
    from errorscope.cli.main import main
    from errorscope.store import ResultStore

    name = "=HYPERLINK(\"http://evil\")" + ESC
    store = str(tmp_path / "runs.duckdb")
    with ResultStore(store) as s:
        s.add([_resnet50(name)])
    assert main(["store", "list", "--store", store]) == 0
    listed = capsys.readouterr().out
    assert "\x1b" not in listed and "evil\\x1b]0;pwned\\x07" in listed
    assert main(["store", "list", "--store", store, "--format", "csv"]) == 0
    listed = capsys.readouterr().out
    assert "\x1b" not in listed and "\n\"'=HYPERLINK" in listed
    assert main(["store", "list", "--store", store, "--save", str(tmp_path / "list.csv")]) == 0
    assert pd.read_csv(tmp_path / "list.csv")["model"].tolist() == ["'" + name]
    assert main(["compare", name, "--store", store]) == 0
    err = capsys.readouterr().err
    assert "\x1b" not in err and "evil\\x1b]0;pwned" in err and "(store)" in err
    assert main(["store", "remove", "nope" + ESC, "--store", store]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "nopeevil\\x1b]0;" in err



def test_table_tree_refuses_a_group_leaving_the_table_dir(tmp_path):
    from errorscope.readers import read_population
    from errorscope.resources import resource_path
    from errorscope.results._tree import write_table_tree

    pop = read_population([resource_path("imagenetx/model_predictions/base/ViT.csv")])
    with pytest.raises(InvalidInputError, match="outside the output folder"):
        write_table_tree(pop, tmp_path / "t", "../../../escaped", progress=False)
    assert not (tmp_path.parent / "escaped").exists()
