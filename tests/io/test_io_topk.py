"""Top-k of score matrices: the chunked partial sort equals a full stable argsort written out in the test."""

from __future__ import annotations

import numpy as np
import pytest


def _reference(scores: np.ndarray, k: int = 5):
    """Obvious version: probabilities (softmax unless rows already sum to 1), full stable sort per row."""
    s = scores.astype(np.float64)
    if (s >= 0).all() and np.allclose(s.sum(axis=1), 1.0, atol=1e-3):
        probs = s
    else:
        e = np.exp(s - s.max(axis=1, keepdims=True))
        probs = e / e.sum(axis=1, keepdims=True)
    order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    return order[:, 0], probs[np.arange(len(probs)), order[:, 0]], order


@pytest.mark.parametrize("kind", ["logits", "probabilities", "ties", "uniform-rows", "integer-logits"])
def test_top_k_equals_stable_sort(kind):
    from errorscope.datasets._index import ImageIndex
    from errorscope.predictions import Predictions, top_k_from_scores

    rng = np.random.default_rng(42)
    n = 8000
    index = ImageIndex("toy", np.array([f"img{i}" for i in range(n)], dtype=object), np.zeros(n, np.int16))
    scores = rng.standard_normal((n, 1000)).astype(np.float32)
    if kind == "probabilities":
        scores = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    elif kind == "ties":
        scores = np.round(scores, 1)  # many exact ties everywhere, also at the top
    elif kind == "uniform-rows":
        scores[::7] = 0.0
    elif kind == "integer-logits":
        scores = rng.integers(0, 4, size=(n, 1000)).astype(np.int8)
    ref_top1, ref_prob, ref_topk = _reference(scores)
    top1, prob, topk = top_k_from_scores(scores, chunk=3000)
    np.testing.assert_array_equal(top1, ref_top1)
    np.testing.assert_array_equal(topk, ref_topk)
    np.testing.assert_allclose(prob, ref_prob, rtol=1e-6)
    pred = Predictions.from_scores("m", scores, index=index)
    np.testing.assert_array_equal(pred.topk, ref_topk)
