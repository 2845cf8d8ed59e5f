"""``errorscope compare FILE``: a prediction file is compared like a published model, and partial files are refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from errorscope.cli.main import main
from errorscope.exceptions import InvalidInputError
from errorscope.resources import resource_path

GROUPS = ["imagenet_testbed", "modelvshuman", "base"]


def test_file_equals_published_leave_one_out():
    """ViT.csv gives the published ViT row (the base tables are reproduced exactly), so the comparison of the
    file equals the leave-one-out comparison of the published ViT."""
    from errorscope.readers import read_predictions
    from errorscope.store.compare import compare_model, compare_predictions

    got = compare_predictions(read_predictions(resource_path("imagenetx/model_predictions/base/ViT.csv")),
                              groups=GROUPS)
    ref = compare_model("ViT", groups=GROUPS)
    assert got.origin == "file" and ref.origin == "published"
    assert got.overall == pytest.approx(0.767599, abs=5e-7) and got.n_reference == ref.n_reference
    pd.testing.assert_frame_equal(got.table, ref.table, rtol=1e-9)


def test_cli_compare_file_and_partial(tmp_path, capsys):
    src = resource_path("imagenetx/model_predictions/base/ResNet50.csv")
    out = tmp_path / "cmp.csv"
    assert main(["compare", str(src), "--save", str(out)]) == 0
    table = pd.read_csv(out)
    assert len(table) == 16 and (table["n_reference"] > 300).all()
    assert "ResNet50 (file)" in capsys.readouterr().err
    part = tmp_path / "ResNet50_half.csv"
    frame = pd.read_csv(src)
    frame.iloc[::2].to_csv(part, index=False)
    assert main(["compare", str(part)]) == 1
    err = capsys.readouterr().err
    assert "cover 25,000 of the 50,000" in err and "--allow-partial" in err
    assert main(["compare", str(part), "--allow-partial", "--format", "csv"]) == 0
    cap = capsys.readouterr()
    assert "Partial predictions: 25,000 of 50,000 images (50.0%)" in cap.err
    assert main(["compare", str(part), "--population", "eth"]) == 1
    assert "needs its error taxonomy" in capsys.readouterr().err


def test_check_coverage():
    from errorscope.predictions import Predictions
    from errorscope.store.compare import check_coverage

    full = Predictions.from_arrays("m", np.zeros(50000, dtype=int))
    assert check_coverage(full) == ""
    top1 = np.full(50000, -1)
    top1[:3] = 0
    with pytest.raises(InvalidInputError, match="cover 3 of the 50,000"):
        check_coverage(Predictions.from_arrays("m", top1))
    assert "3 of 50,000" in check_coverage(Predictions.from_arrays("m", top1), allow_partial=True)
