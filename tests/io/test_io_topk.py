"""Top-k of score files: the chunked partial sort equals Predictions.from_scores (the reference)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.parametrize("kind", ["logits", "probabilities", "ties", "uniform-rows", "integer-logits"])
def test_top_k_equals_from_scores(kind):
    from errorscope.index import ImageIndex
    from errorscope.predictions import Predictions
    from errorscope.readers._common import top_k

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
    ref = Predictions.from_scores("m", scores, index=index)
    top1, prob, topk = top_k(scores, chunk=3000)
    np.testing.assert_array_equal(top1, ref.top1)
    np.testing.assert_array_equal(topk, ref.topk)
    np.testing.assert_allclose(prob, ref.prob, rtol=1e-6)
