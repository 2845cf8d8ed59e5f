"""McNemar, Holm and error consistency against slow, obvious loops and hand-built cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from errorscope.metrics._agreement import consistency_matrix, error_consistency, kappa_from_counts
from errorscope.metrics._mcnemar import holm_adjust, mcnemar_exact


def slow_mcnemar(b: int, c: int) -> float:
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def slow_holm(p: list[float]) -> list[float]:
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    out = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def slow_kappa(a: list[bool], b: list[bool]) -> tuple[float, float]:
    n = len(a)
    agree = 0
    for x, y in zip(a, b):
        if x == y:
            agree += 1
    c_obs = agree / n
    p1 = sum(a) / n
    p2 = sum(b) / n
    c_exp = p1 * p2 + (1 - p1) * (1 - p2)
    kappa = (c_obs - c_exp) / (1 - c_exp)
    se = math.sqrt(c_obs * (1 - c_obs) / n) / (1 - c_exp)
    return kappa, se


def test_mcnemar_hand_cases():
    assert float(mcnemar_exact(0, 6)) == pytest.approx(2 * 0.5 ** 6)
    assert float(mcnemar_exact(3, 3)) == 1.0
    assert float(mcnemar_exact(0, 0)) == 1.0
    # b=1, c=9: 2 * (1 + 10) / 1024
    assert float(mcnemar_exact(1, 9)) == pytest.approx(22 / 1024)


def test_mcnemar_against_loop():
    rng = np.random.default_rng(0)
    b = rng.integers(0, 80, 200)
    c = rng.integers(0, 80, 200)
    got = mcnemar_exact(b, c)
    want = [slow_mcnemar(int(x), int(y)) for x, y in zip(b, c)]
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_holm_against_loop():
    rng = np.random.default_rng(1)
    p = rng.uniform(0, 0.2, 40)
    np.testing.assert_allclose(holm_adjust(p), slow_holm(list(p)), rtol=1e-12)
    with_nan = holm_adjust([0.01, np.nan, 0.04])
    assert np.isnan(with_nan[1])
    np.testing.assert_allclose(with_nan[[0, 2]], [0.02, 0.04])


def test_kappa_hand_cases():
    same = [True, False, True, True, False]
    assert error_consistency(same, same)[0] == pytest.approx(1.0)
    # independent errors: A right on the first half, B right on every other image -> c_obs == c_exp
    a = np.array([True] * 50 + [False] * 50)
    b = np.tile([True, False], 50)
    assert error_consistency(a, b)[0] == pytest.approx(0.0, abs=1e-12)
    # exactly opposite with p1 = p2 = 1/2: c_obs = 0, c_exp = 1/2 -> kappa = -1
    assert error_consistency(a, ~a)[0] == pytest.approx(-1.0)
    # both always right: undefined
    assert np.isnan(error_consistency([True] * 4, [True] * 4)[0])


def test_kappa_and_interval_against_loop():
    rng = np.random.default_rng(2)
    for _ in range(20):
        n = int(rng.integers(50, 400))
        a = rng.random(n) < rng.uniform(0.3, 0.9)
        b = np.where(rng.random(n) < 0.6, a, rng.random(n) < 0.7)
        k, lo, hi, nn = error_consistency(a, b)
        wk, se = slow_kappa(list(a), list(b))
        assert nn == n
        assert k == pytest.approx(wk, rel=1e-10)
        assert lo == pytest.approx(wk - 1.959963984540054 * se, rel=1e-9)
        assert hi == pytest.approx(wk + 1.959963984540054 * se, rel=1e-9)


def test_matrix_against_pairwise_loop():
    rng = np.random.default_rng(3)
    latent = rng.random(3000)
    x = latent[None, :] < rng.uniform(0.4, 0.9, (12, 1))
    x ^= rng.random((12, 3000)) < 0.1
    kappa, lo, hi = consistency_matrix(x, chunk=700)
    for i in range(12):
        for j in range(12):
            wk, se = slow_kappa(list(x[i]), list(x[j]))
            assert kappa[i, j] == pytest.approx(wk, abs=1e-6)
            assert lo[i, j] == pytest.approx(wk - 1.959963984540054 * se, abs=1e-5)
    assert kappa_from_counts(5, 5, 5, 10)[0] == pytest.approx(1.0)


def test_population_matrix_against_pairwise_loop_on_real_models(data_dir):
    from errorscope.pairwise import error_consistency_matrix
    from errorscope.readers import read_population

    pop = read_population(data_dir / "predictions" / "shavit_analysing_relations")
    res = error_consistency_matrix(pop, factors=True)
    t = pop.index.labels
    correct = pop.top1 == t[None, :]
    rng = np.random.default_rng(4)
    pairs = [tuple(rng.choice(len(pop), 2, replace=False)) for _ in range(6)]
    import json
    import importlib.resources as ir

    pose = np.zeros(len(t), dtype=bool)
    protos = {l.strip() for l in open(ir.files("imagenet_x") / "annotations" / "prototypical_paths.csv")}
    for line in open(ir.files("imagenet_x") / "annotations" / "imagenet_x_val_top_factor.jsonl"):
        row = json.loads(line)
        if row["pose"] and row["file_name"] not in protos:
            pose[int(row["file_name"][15:23]) - 1] = True
    for i, j in pairs:
        wk, _ = slow_kappa(list(correct[i, ::7]), list(correct[j, ::7]))  # the loop on a sample of the images ...
        k, _, _, _ = error_consistency(correct[i, ::7], correct[j, ::7])
        assert k == pytest.approx(wk, rel=1e-9)
        full, _ = slow_kappa(list(correct[i]), list(correct[j]))  # ... and on all of them vs the matrix
        assert res.kappa[i, j] == pytest.approx(full, abs=1e-6)
        pk, _ = slow_kappa(list(correct[i, pose]), list(correct[j, pose]))
        assert res.by_factor["pose"][i, j] == pytest.approx(pk, abs=1e-6)
    assert res.factor_n["pose"] == int(pose.sum())
    order = res.order()
    assert sorted(order.tolist()) == list(range(len(pop)))
    table = res.table()
    assert len(table) == 17 * len(pop) * (len(pop) - 1) // 2


def test_heatmap_draws_in_cluster_order():
    from errorscope.pairwise import cluster_order
    from errorscope.plots import plot_consistency_heatmap

    # two blocks of models with high kappa inside, low across; interleaved on input
    k = np.full((6, 6), 0.1)
    for block in ([0, 2, 4], [1, 3, 5]):
        for i in block:
            for j in block:
                k[i, j] = 0.8
    np.fill_diagonal(k, 1.0)
    order = cluster_order(k)
    assert {frozenset(order[:3].tolist()), frozenset(order[3:].tolist())} == {frozenset({0, 2, 4}),
                                                                            frozenset({1, 3, 5})}
    names = [f"m{i}" for i in range(6)]
    fig = plot_consistency_heatmap(k, names, order)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == [names[i] for i in order]
