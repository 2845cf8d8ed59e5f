"""One question, one answer: a partial prediction file gets the same top-1, ReaL and MLA from every door.

A file covering the first 10,000 validation images, and one covering 2 images, go through ``analyze``, the
taxonomy, the store, ``compare`` and the report. Every door leaves the uncovered images out, so all give the same
numbers, and those equal an independent loop over the covered rows of the CSV. Partial coverage warns.
"""

from __future__ import annotations

import csv
import json
import warnings

import numpy as np
import pytest

from errorscope.datasets import real_label_sets, val_index
from errorscope.exceptions import InvalidInputError, PartialCoverageWarning
from errorscope.readers import read_population, read_predictions
from errorscope.resources import resource_path
from errorscope.results import analyze

pytest.importorskip("duckdb")


def _write_head(tmp_path, n_rows: int):
    src = resource_path("imagenetx/model_predictions/base/ViT.csv")
    lines = src.read_text().splitlines()
    path = tmp_path / f"vit_first_{n_rows}.csv"
    path.write_text("\n".join(lines[: n_rows + 1]) + "\n")
    return path


def _loop_reference(path):
    """Independent: read the CSV row by row; top-1 and ReaL over the rows it has."""
    labels = val_index().labels
    real, sizes = real_label_sets()
    hits = real_hits = real_n = n = 0
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            i = int(row["file_name"][15:23]) - 1
            p = int(row["predicted_class"])
            n += 1
            hits += p == labels[i]
            if sizes[i] > 0:
                real_n += 1
                real_hits += p in set(real[i, : sizes[i]].tolist())
    return n, hits / n, (real_hits / real_n if real_n else float("nan"))


@pytest.fixture(scope="module", params=[10_000, 2], ids=["10000-images", "2-images"])
def partial(request, tmp_path_factory):
    path = _write_head(tmp_path_factory.mktemp("partial"), request.param)
    with pytest.warns(PartialCoverageWarning, match="covers"):
        result = analyze(read_population(path), which=("top",), error_types=("class",))
    return path, result


def test_analyze_equals_the_loop_and_warns(partial):
    path, result = partial
    n, top1, real = _loop_reference(path)
    row = result.summary.iloc[0]
    assert row["n_covered"] == n and row["top1_n"] == n
    assert row["coverage"] == pytest.approx(n / 50_000)
    assert row["top1"] == pytest.approx(top1, abs=1e-12)
    assert row["real"] == pytest.approx(real, abs=1e-12, nan_ok=True)
    if n == 10_000:
        assert row["top1"] == pytest.approx(0.8252)


def test_taxonomy_gives_the_same_top1_and_mla(partial):
    path, result = partial
    from errorscope.taxonomy import classify

    st = classify(read_population(path), "real").stats("all").iloc[0]
    row = result.summary.iloc[0]
    assert st["top1_val_acc"] / 100 == pytest.approx(row["top1"], abs=1e-12)
    assert st["mla_all"] / 100 == pytest.approx(row["mla"], abs=1e-12, nan_ok=True)
    assert st["num_all_samples"] == row["mla_n"]


def test_store_gives_the_same_numbers(partial, tmp_path):
    path, result = partial
    from errorscope.store import ResultStore

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PartialCoverageWarning)
        with ResultStore(tmp_path / "s.duckdb") as store:
            store.add(read_predictions(path))
            s = store.summary().iloc[0]
            cats = store.derived("error_categories")
    row = result.summary.iloc[0]
    for col in ("top1", "real", "real_imagenetx", "coverage"):
        assert s[col] == pytest.approx(row[col], abs=1e-12, nan_ok=True), col
    mla = cats[cats["subset"] == "all"]["mla"].iloc[0]
    assert mla == pytest.approx(row["mla"], abs=1e-12, nan_ok=True)


def test_compare_refuses_a_partial_file_unless_asked(partial):
    path, result = partial
    from errorscope.store.compare import compare_predictions

    pred = read_predictions(path)
    with pytest.raises(InvalidInputError, match="allow"):
        compare_predictions(pred)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PartialCoverageWarning)
        cmp = compare_predictions(pred, allow_partial=True)
    # its own sampling error: a factor seen on fewer than 30 images is never a finding
    few = cmp.table[cmp.table["n_images"] < 30]
    assert not few["significant"].any()
    assert (cmp.table["n_images"].fillna(0) <= result.summary.iloc[0]["imagenetx_n"]).all()


def test_report_gives_the_same_numbers(partial):
    path, result = partial
    from errorscope.report.context import ReportContext

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PartialCoverageWarning)
        ctx = ReportContext.from_population(read_population(path), figures=False, comparison=False)
    s = ctx.summary.set_index("model").iloc[0]
    row = result.summary.iloc[0]
    for col in ("top1", "real", "mla"):
        assert s[col] == pytest.approx(row[col], abs=1e-12, nan_ok=True), col


def test_library_and_cli_use_the_same_reference_population(capsys):
    from errorscope.cli.main import main
    from errorscope.store.compare import compare_model

    lib = compare_model("ResNet50")
    assert main(["compare", "ResNet50", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    n_cli = max(r["n_reference"] for r in (rows if isinstance(rows, list) else rows.values()))
    assert lib.n_reference == n_cli
    # the default population is the paper's figure population, not every published group
    from errorscope.imagenetx import DEFAULT_POPULATION, POPULATIONS, imagenetx_wide

    assert DEFAULT_POPULATION == "main"
    assert lib.n_reference <= len(imagenetx_wide(groups=list(POPULATIONS["main"])))
    assert compare_model("ResNet50", groups="all").n_reference > lib.n_reference
    from errorscope.imagenetx import reference_populations

    pops = reference_populations().set_index("population")
    assert pops.loc["main", "default"] and not pops.loc["all", "default"]
    assert lib.n_reference <= pops.loc["main", "n_models"] < pops.loc["all", "n_models"]
