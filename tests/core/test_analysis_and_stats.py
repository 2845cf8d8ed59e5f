"""analyze(), the ImageNet-X statistics and the analyze command, against the spec's reference values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from errorscope.results._analyze import analyze
from errorscope.constants import FACTORS, METACLASSES
from errorscope.imagenetx import _stats as S


@pytest.fixture(scope="module")
def analysis(base_population):
    return analyze(base_population)


def test_summary_headline_numbers(analysis):
    s = analysis.summary
    # top-1 over all 50,000 images (spec §3)
    assert s.top1.round(5).to_dict() == {"DINO": 0.76754, "ResNet50": 0.7613, "SimCLR": 0.68142, "ViT": 0.78006}
    assert s.loc["ViT", "imagenetx_class"] == pytest.approx(0.767599, abs=1e-6)
    assert s.loc["ViT", "imagenetx_real_class"] == pytest.approx(0.775255, abs=1e-6)
    assert s.loc["ViT", "imagenetx_metaclass"] == pytest.approx(0.897484, abs=1e-6)
    assert s.loc["ViT", "worst_factor"] == "texture"
    assert s.loc["ViT", "worst_factor_accuracy"] == pytest.approx(0.524823, abs=1e-6)
    # ReaL excluding empty sets is higher than counting them wrong, by the share of empty sets
    assert (s.real > s.real_imagenetx).all()
    assert s.top5.isna().all()  # the CSVs carry no top-5


def test_tidy_factors_agree_with_tables(analysis):
    f = analysis.factors
    for (which, et), (table, mc_table) in analysis.tables.items():
        rows = f[(f.which == which) & (f.error_type == et) & (f.metaclass == "all")]
        pivot = rows.pivot(index="model", columns="factor", values="accuracy")[FACTORS]
        np.testing.assert_allclose(pivot.to_numpy(), table[FACTORS].to_numpy(), rtol=0, atol=1e-15)
        dog = f[(f.which == which) & (f.error_type == et) & (f.metaclass == "dog") & (f.model == "ViT")]
        ref = mc_table.loc[("ViT", "dog")]
        for r in dog.itertuples():
            assert r.accuracy == pytest.approx(ref[r.factor], abs=1e-15)
    assert ((f.ci_low <= f.accuracy) & (f.accuracy <= f.ci_high)).all()
    assert ((f.er_low <= f.error_ratio + 1e-12) & (f.error_ratio <= f.er_high + 1e-12)).all()
    style = f[(f.which == "top") & (f.error_type == "class") & (f.metaclass == "all") & (f.factor == "style")]
    assert (style.total == 43).all()
    assert ((style.ci_high - style.ci_low) > 0.2).all()  # 43 images: a wide interval, as users must see


def test_calibration_reference_values(base_population):
    ece = S.factor_calibration(base_population)
    ref = {"ViT": (0.0163, 0.2123), "ResNet50": (0.0400, 0.2480), "DINO": (0.0313, 0.1906), "SimCLR": (0.0548, 0.2637)}
    for model, (avg, worst) in ref.items():
        assert round(ece.loc[model, "average"], 4) == avg
        assert round(ece.loc[model, "worst_factor"], 4) == worst
    assert ece.loc["ViT", FACTORS].astype(float).idxmax() == "style"
    assert ece.loc["ResNet50", FACTORS].astype(float).idxmax() == "multiple_objects"
    per_mc = S.metaclass_factor_calibration(base_population)
    assert per_mc.index.get_level_values("metaclass").unique().tolist() == METACLASSES


def test_calibration_equals_imagenet_x_code(base_population, base_dir):
    from imagenet_x import augment_model_predictions, load_annotations, load_model_predictions
    from imagenet_x.aggregate import compute_factor_calibration_errors

    models, _ = load_model_predictions(str(base_dir))
    rows = augment_model_predictions(load_annotations(), models)
    theirs = compute_factor_calibration_errors(rows, FACTORS, "is_correct")
    ours = S.factor_calibration(base_population)
    # our probabilities are float32: differences stay far below the 4 decimals anyone reports
    np.testing.assert_allclose(ours[theirs.columns].to_numpy(float), theirs.to_numpy(float), atol=1e-6)


def test_spearman_reference_values_and_scipy():
    from scipy import stats

    from errorscope.imagenetx._annotations import load_factor_annotations

    ann = load_factor_annotations("multi", "val")
    rho, p = S.factor_correlations(annotations=ann)
    assert rho.shape == (33, 33) and list(rho.index) == FACTORS + METACLASSES
    # spec B §5 reference values (val multi, filtered)
    assert rho.loc["pose", "dog"] == pytest.approx(0.1018, abs=5e-5)
    assert rho.loc["background", "dog"] == pytest.approx(0.0919, abs=5e-5)
    assert rho.loc["pose", "background"] == pytest.approx(0.0340, abs=5e-5)
    assert rho.loc["multiple_objects", "person_blocking"] == pytest.approx(0.0416, abs=5e-5)
    assert rho.loc["background", "other"] == pytest.approx(-0.0318, abs=5e-5)
    assert (np.diag(rho) == 0).all() and (np.diag(p) == 0).all()
    # scipy.spearmanr on a few pairs, including a factor x metaclass one
    onehot = (ann.metaclass[:, None] == np.arange(17)).astype(float)
    x = np.concatenate([ann.factors.astype(float), onehot], axis=1)
    for a, b in [(0, 1), (2, 3), (15, 12), (0, 16 + 1), (4, 16 + 16)]:
        r = stats.spearmanr(x[:, a], x[:, b])
        assert rho.iat[a, b] == pytest.approx(r.statistic, abs=1e-10)
        assert p.iat[a, b] == pytest.approx(r.pvalue, rel=1e-6, abs=1e-300)
    assert np.allclose(rho.to_numpy(), rho.to_numpy().T, equal_nan=True)


def test_prevalence_reference_values(base_population):
    prev = S.metaclass_prevalence()
    assert prev.loc["bird", "pose"] == pytest.approx(0.4552, abs=5e-5)
    assert prev.loc["bird", "background"] == pytest.approx(0.3921, abs=5e-5)
    np.testing.assert_allclose(prev.sum(axis=1), 1.0)
    shift = S.metaclass_prevalence_shift()
    assert shift.loc["dog", "style"] == -1.0  # dog has no style image
    vit = S.misclassification_shifts(base_population).query("model == 'ViT'").set_index("factor")["shift"]
    ref = {"pose": -0.2594, "background": 0.0909, "pattern": -0.1376, "color": 0.1516, "smaller": 0.6439,
           "shape": 0.5399, "partial_view": -0.0828, "subcategory": 1.0153, "texture": 1.0446, "larger": 0.2908,
           "darker": 0.8339, "object_blocking": 0.9859, "person_blocking": 0.9362, "style": 0.6010,
           "brighter": -0.2177, "multiple_objects": 0.6135}
    for factor, value in ref.items():
        assert vit[factor] == pytest.approx(value, abs=5e-5), factor
    per_mc = S.metaclass_misclassification_shifts(base_population)
    assert list(per_mc.columns) == ["metaclass", *FACTORS, "accuracy", "model"]
    assert len(per_mc) == 4 * 17


def test_prevalence_equals_imagenet_x_code(base_population, base_dir):
    from imagenet_x.prevalence import Prevalence

    prev = Prevalence(None, str(base_dir), "top")
    ours = S.misclassification_shifts(base_population)
    theirs = prev.misclassification_shifts_df
    merged = ours.merge(theirs, on=["model", "factor"], suffixes=("", "_ref"))
    assert len(merged) == 64
    np.testing.assert_allclose(merged["shift"], merged["shift_ref"], atol=1e-12)


def test_analyze_command_prints_and_writes(base_dir, tmp_path, capsys):
    from errorscope.cli.main import main

    assert main(["analyze", str(base_dir / "ViT.csv"), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "ViT" in out and "78.01" in out and "texture" in out and "CC BY-NC 4.0" in out
    assert "most susceptible" in out and "n=282" in out
    summary = pd.read_csv(tmp_path / "summary.csv", index_col=0)
    assert summary.loc["ViT", "top1"] == pytest.approx(0.78006)
    factors = pd.read_parquet(tmp_path / "factors.parquet")
    assert set(factors.error_type) == {"class", "metaclass", "real_class"}
    ece = pd.read_csv(tmp_path / "calibration.csv", index_col=0)
    assert round(ece.loc["ViT", "average"], 4) == 0.0163 and round(ece.loc["ViT", "worst_factor"], 4) == 0.2123
    assert summary.loc["ViT", "ece"] == pytest.approx(ece.loc["ViT", "average"])
    shifts = pd.read_csv(tmp_path / "misclassification_shifts.csv").set_index("factor")
    assert shifts.loc["pose", "shift"] == pytest.approx(-0.2594, abs=5e-5)


def test_analyze_rejects_other_indices(base_population):
    from errorscope.exceptions import InvalidInputError
    from errorscope.datasets._index import imagenetx_train_index
    from errorscope.predictions import Population

    idx = imagenetx_train_index()
    pop = Population(["x"], np.zeros((1, len(idx)), np.int16), None, idx)
    with pytest.raises(InvalidInputError, match="validation"):
        analyze(pop)


def test_train_partition_tables(tmp_path):
    """Predictions on the annotated train images: the train table tree, checked against an obvious loop."""
    from errorscope.imagenetx._annotations import load_factor_annotations
    from errorscope.cli.main import main
    from errorscope.datasets._index import imagenetx_train_index

    idx = imagenetx_train_index()
    rng = np.random.default_rng(11)
    pred = np.where(rng.random(len(idx)) < 0.7, idx.labels, rng.integers(0, 1000, len(idx)))
    model_dir = tmp_path / "trainpreds"
    model_dir.mkdir()
    keep = rng.random(len(idx)) < 0.9  # a subset, in shuffled order
    order = rng.permutation(np.flatnonzero(keep))
    pd.DataFrame({"file_name": idx.file_names[order], "predicted_class": pred[order]}).to_csv(
        model_dir / "mymodel.csv", index=False)
    assert main(["aggregate", "--model-dirs", str(model_dir), "--table-dir", str(tmp_path / "out"), "--quiet",
                 "--partitions", "train", "--which-factor", "multi", "--error-types", "class"]) == 0
    table = pd.read_csv(tmp_path / "out/train/multi_factor/trainpreds/class/accuracies_per_factor.csv", index_col=0)
    ann = load_factor_annotations("multi", "train")
    for j, factor in enumerate(FACTORS):
        hits = total = 0
        for i in range(len(ann)):
            pos = ann.positions[i]
            if keep[pos] and ann.factors[i, j]:
                total += 1
                hits += int(pred[pos] == ann.labels[i])
        expected = hits / total if total else np.nan
        assert table.loc["mymodel", factor] == pytest.approx(expected, nan_ok=True), factor


def test_analyze_out_writes_a_large_factor_table_as_parquet_only(tmp_path, base_dir, capsys, monkeypatch):
    """Above MAX_CSV_FACTOR_ROWS rows factors.csv is not written (a 2,000-model CSV is 615 MB), with a warning
    naming the size; factors.parquet holds the same rows; --factors-csv writes the CSV anyway."""
    import pandas as pd

    from errorscope.cli.commands import analyze as cmd
    from errorscope.cli.main import main

    monkeypatch.setattr(cmd, "MAX_CSV_FACTOR_ROWS", 100)
    assert main(["analyze", str(base_dir / "ViT.csv"), "--out", str(tmp_path / "a"), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "factors.csv not written" in err and "--factors-csv" in err and "MB" in err
    assert not (tmp_path / "a" / "factors.csv").exists()
    rows = pd.read_parquet(tmp_path / "a" / "factors.parquet")
    assert len(rows) > 100
    assert main(["analyze", str(base_dir / "ViT.csv"), "--out", str(tmp_path / "b"), "--quiet",
                 "--factors-csv"]) == 0
    assert len(pd.read_csv(tmp_path / "b" / "factors.csv")) == len(rows)
