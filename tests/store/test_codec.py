import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from errorscope.store.codec import decode_prob, decode_top1, encode_prob, encode_top1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(-1, 999), st.integers(-1, 999)), min_size=1, max_size=300))
def test_top1_roundtrip_any_ids_and_missing(pairs):
    top1 = np.array([p for p, _ in pairs], dtype=np.int16)
    labels = np.array([lab for _, lab in pairs], dtype=np.int16)
    assert np.array_equal(decode_top1(encode_top1(top1, labels), labels), top1)


def test_real_predictions_roundtrip_and_are_compact(base_predictions):
    from errorscope.datasets._index import val_index

    labels = val_index().labels
    sizes = {}
    for p in base_predictions:
        blob = encode_top1(p.top1, labels)
        assert np.array_equal(decode_top1(blob, labels), p.top1)
        sizes[p.model] = len(blob)
    # residual coding: a correct prediction is a 0; about 22-30 kB per model instead of 100 kB raw
    assert max(sizes.values()) < 31_000, sizes
    assert sizes["SimCLR"] > sizes["ViT"]  # the less accurate model has more entropy


def test_prob_float16_roundtrip_error(base_predictions):
    p = base_predictions[3].prob
    back = decode_prob(encode_prob(p), len(p))
    assert np.nanmax(np.abs(back - p) / np.maximum(p, 1e-3)) < 6e-4
    assert encode_prob(None) is None and decode_prob(None, 3) is None


def test_decode_rejects_other_length():
    from errorscope.exceptions import InvalidInputError

    blob = encode_top1(np.zeros(5, np.int16), np.zeros(5, np.int16))
    with pytest.raises(InvalidInputError, match="does not fit an index of 6 images"):
        decode_top1(blob, np.zeros(6, np.int16))
