"""The metric core against slow, obvious loops and against peers (imagenet-x, scipy, timm)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from errorscope.exceptions import InvalidInputError
from errorscope.metrics import (
    binary_spearman, correctness, error_ratio, expected_calibration_error, grouped_calibration_error,
    grouped_counts, real_accuracy, top1_accuracy, topk_accuracy, wilson_interval, worst_k_classes,
)
from errorscope.metrics._grouped import GroupCounts


def _loop_counts(correct, covered, member):
    m, n = correct.shape
    g = member.shape[1]
    c = np.zeros((m, g))
    t = np.zeros((m, g))
    for i in range(m):
        for j in range(n):
            if covered[i, j]:
                for k in range(g):
                    if member[j, k]:
                        t[i, k] += 1
                        c[i, k] += correct[i, j]
    return c, t


@pytest.mark.parametrize("seed", range(3))
def test_grouped_counts_equals_loop(seed):
    rng = np.random.default_rng(seed)
    m, n, g = 7, 300, 5
    correct = rng.random((m, n)) < 0.6
    covered = rng.random((m, n)) < 0.8
    member = rng.random((n, g)) < 0.3
    counts = grouped_counts(correct, covered, member)
    ref_c, ref_t = _loop_counts(correct, covered, member)
    np.testing.assert_array_equal(counts.correct, ref_c)
    np.testing.assert_array_equal(counts.total, ref_t)


def test_grouped_counts_blocks_many_models(monkeypatch):
    import errorscope.metrics._grouped as grouped

    monkeypatch.setattr(grouped, "BLOCK", 3)
    rng = np.random.default_rng(1)
    correct = rng.random((10, 50)) < 0.5
    covered = np.ones((10, 50), bool)
    member = rng.random((50, 4)) < 0.5
    counts = grouped.grouped_counts(correct, covered, member)
    np.testing.assert_array_equal(counts.correct, _loop_counts(correct, covered, member)[0])


def test_worst_k_ties_break_by_class_order():
    # classes 0..3 with accuracies 0.5, 0.5, 0.0, 1.0 and sizes 2, 4, 1, 3
    counts = GroupCounts(np.array([[1.0, 2.0, 0.0, 3.0]]), np.array([[2.0, 4.0, 1.0, 3.0]]))
    # k = 2: class 2 (0.0), then the first of the tied classes, class 0: (0 + 1) / (1 + 2)
    assert worst_k_classes(counts, 2)[0] == pytest.approx(1 / 3)
    assert worst_k_classes(counts, 3)[0] == pytest.approx(3 / 7)


def test_wilson_against_formula_and_known_value():
    lo, hi = wilson_interval(np.array([0, 7, 40]), np.array([40, 40, 40]))
    z = stats.norm.ppf(0.975)
    for k, l, h in zip([0, 7, 40], lo, hi):
        n = 40
        p = k / n
        center = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        assert l == pytest.approx(max(center - half, 0), abs=1e-12)
        assert h == pytest.approx(min(center + half, 1), abs=1e-12)
    assert lo[0] == 0 and hi[2] == 1
    assert np.isnan(wilson_interval(0, 0)[0])
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(1, 2, confidence=1.5)


def test_wilson_coverage_on_small_factor_sizes():
    """Simulated coverage at n = 40 (the size of `style`) stays near 95%."""
    rng = np.random.default_rng(0)
    p, n = 0.55, 40
    k = rng.binomial(n, p, size=20000)
    lo, hi = wilson_interval(k, np.full_like(k, n))
    assert 0.93 < ((lo <= p) & (p <= hi)).mean() < 0.97


def test_ece_equals_imagenet_x():
    from imagenet_x.aggregate import estimated_calibration_error

    rng = np.random.default_rng(3)
    prob = rng.random(5000)
    prob[:10] = [0.0, 1 / 15, 2 / 15, 1.0, 0.5, 14 / 15, 1e-9, 0.999999, 1.0, 0.2]
    correct = rng.random(5000) < prob
    assert expected_calibration_error(correct, prob) == pytest.approx(estimated_calibration_error(correct, prob), abs=1e-15)


def test_grouped_ece_equals_per_group_ece():
    rng = np.random.default_rng(4)
    prob = rng.random(800)
    correct = rng.random(800) < prob
    member = rng.random((800, 3)) < 0.4
    ours = grouped_calibration_error(correct, prob, member)
    for j in range(3):
        assert ours[j] == pytest.approx(expected_calibration_error(correct[member[:, j]], prob[member[:, j]]), abs=1e-12)


def test_binary_spearman_equals_scipy():
    rng = np.random.default_rng(5)
    x = rng.random((500, 4)) < [0.5, 0.1, 0.3, 0.02]
    rho, p = binary_spearman(x)
    for a in range(4):
        for b in range(4):
            if a == b:
                assert rho[a, b] == 0 and p[a, b] == 0
                continue
            r, pv = stats.spearmanr(x[:, a], x[:, b])
            assert rho[a, b] == pytest.approx(r, abs=1e-12)
            assert p[a, b] == pytest.approx(pv, rel=1e-8, abs=1e-300)


def test_correctness_error_types():
    top1 = np.array([[5, 6, -1, 7]])
    targets = np.array([5, 5, 5, 8])
    assert correctness(top1, targets).tolist() == [[True, False, False, False]]
    sets = np.array([[5, -1], [6, 5], [5, -1], [-1, -1]])
    assert correctness(top1, targets, "real_class", real_sets=sets).tolist() == [[True, True, False, False]]
    mc = np.zeros(1000, int)
    mc[7] = 1
    assert correctness(top1, targets, "metaclass", class_metaclass=mc).tolist() == [[True, True, False, False]]
    with pytest.raises(InvalidInputError, match="error_type"):
        correctness(top1, targets, "bogus")
    with pytest.raises(InvalidInputError, match="same images"):
        correctness(top1, targets[:3])


def test_accuracies_by_hand():
    labels = np.array([1, 2, 3, 4])
    assert top1_accuracy(np.array([1, 2, 0, -1]), labels) == pytest.approx(2 / 3)
    assert top1_accuracy(np.array([1, 2, 0, -1]), labels, missing="wrong") == pytest.approx(2 / 4)
    topk = np.array([[0, 1], [2, 9], [9, 9], [4, 0]])
    assert topk_accuracy(topk, labels) == pytest.approx(3 / 4)
    assert topk_accuracy(topk, labels, k=1) == pytest.approx(2 / 4)
    sets = np.array([[1, -1], [-1, -1], [3, 5], [7, -1]])
    assert real_accuracy(np.array([1, 2, 5, 4]), sets) == pytest.approx(2 / 3)
    assert real_accuracy(np.array([1, 2, 5, 4]), sets, empty="wrong") == pytest.approx(2 / 4)
    assert error_ratio(0.5, 0.75) == 2.0


def _loop_real(top1, real):
    hits = total = 0
    for p, labels in zip(top1, real):
        if labels:
            total += 1
            hits += int(p) in labels
    return hits / total


def test_real_accuracy_on_real_models_equals_loop_and_timm(base_population, data_dir):
    import json

    from errorscope.datasets._real import real_label_sets

    sets, sizes = real_label_sets()
    real = json.loads((data_dir / "real" / "real.json").read_text())
    ours = real_accuracy(base_population.top1, sets, sizes=sizes)
    for i, model in enumerate(base_population.models):
        assert ours[i] == pytest.approx(_loop_real(base_population.top1[i], real), abs=1e-15), model
    timm_real = pytest.importorskip("timm.data.real_labels")
    torch = pytest.importorskip("torch")
    names = [f"ILSVRC2012_val_{i + 1:08d}.JPEG" for i in range(50000)]
    for i, model in enumerate(base_population.models):
        evaluator = timm_real.RealLabelsImagenet(names, real_json=str(data_dir / "real" / "real.json"), topk=(1,))
        logits = torch.zeros(50000, 1000)
        logits[torch.arange(50000), torch.from_numpy(base_population.top1[i].astype(np.int64))] = 1.0
        for start in range(0, 50000, 10000):
            evaluator.add_result(logits[start:start + 10000])
        assert ours[i] * 100 == pytest.approx(evaluator.get_accuracy(k=1), abs=1e-9), model
