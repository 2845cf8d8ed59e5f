"""The taxonomy's tidy share table: one definition of a share (a fraction), the same in the store and the report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from errorscope.readers import read_population
from errorscope.resources import resource_path
from errorscope.results import taxonomy_share_table, taxonomy_summary
from errorscope.taxonomy import ETH_CATEGORIES, classify


@pytest.fixture(scope="module")
def result():
    pop = read_population([resource_path(f"imagenetx/model_predictions/base/{m}.csv") for m in ("ViT", "SimCLR")])
    return classify(pop, "real")


def test_shares_are_fractions_of_the_errors_and_partition_them(result):
    stats = {g: result.stats(g) for g in ("all", "organism")}
    table = taxonomy_share_table(stats)
    assert len(table) == 2 * 2 * 7
    for (model, subset), rows in table.groupby(["model", "subset"]):
        st = stats[subset].set_index("model_dir_id").loc[model]
        assert list(rows["category"]) == [c[4:] for c in ETH_CATEGORIES]  # paper order
        for _, r in rows.iterrows():  # independent: count / errors from the ETH-layout row
            assert r["count"] == st[f"num_{r['category']}"]
            assert r["share"] == pytest.approx(st[f"num_{r['category']}"] / st["num_group_top1_errors"], abs=1e-15)
        assert rows["share"].sum() == pytest.approx(1.0, abs=1e-12)
        assert (rows["n_errors"] == st["num_group_top1_errors"]).all()
    assert set(table["label_source"]) == {"real"} and set(table["clip_step"]) == {"skipped"}


def test_summary_store_and_report_share_one_unit(result, tmp_path):
    from errorscope.report.tables import taxonomy_tables
    from errorscope.store.metrics import taxonomy_metrics

    pop = read_population([resource_path(f"imagenetx/model_predictions/base/{m}.csv") for m in ("ViT", "SimCLR")])
    summary = taxonomy_summary(result.stats("all"))
    stored = taxonomy_metrics(pop, labels="real")["error_categories"]
    stored = stored[stored["subset"] == "all"].set_index("model")
    report, _ = taxonomy_tables(pop, labels="real")
    report = report[report["group"] == "all"].set_index("model_dir_id")
    shares = [f"share_{c[4:]}" for c in ETH_CATEGORIES]
    for frame in (stored, report):
        pd.testing.assert_frame_equal(frame.loc[summary.index, shares], summary[shares], check_names=False,
                                      rtol=0, atol=1e-15)
    assert np.all(summary[shares].to_numpy() <= 1.0)
