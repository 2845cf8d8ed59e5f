"""Compact, lossless encoding of one model's per-image predictions as bytes.

A model's top-1 vector (int16, -1 = missing) is stored as its *residual* against the image labels,
``(top1 - label) mod 1000`` (1000 for a missing image). A correct prediction becomes 0, so the residual is
sparse: the blob is zlib( packbits(residual != 0) + the non-zero residuals as int16 ). For the ImageNet-X base
models that is about 22-30 kB per 50,000 images against 100 kB raw, and encoding takes about 3.5 ms.
Images without a label (-1) are stored raw. Top-1 probabilities are stored as float16 compressed with zlib
level 1 (about 78 kB per model; float16 keeps a relative error below 0.05 %), or not at all.

Top-k predictions (an (N, k) int16 matrix, best first, -1 = missing) are stored column by column, each column
as its residual against the labels like the top-1 vector, byte-planes split (high bytes, then low bytes) and
zlib-compressed (:func:`encode_topk`): a correct class is a 0, and the high bytes of class ids below 1,000 take
only four values, so both planes compress well.
"""

from __future__ import annotations

import zlib

import numpy as np

from ..constants import N_CLASSES
from ..exceptions import InvalidInputError

__all__ = ["CODEC", "TOPK_CODEC", "encode_top1", "decode_top1", "encode_prob", "decode_prob", "encode_topk",
           "decode_topk"]

#: Name recorded with every stored vector, so a future codec can read old stores.
CODEC = "sparse-resid-zlib-v1"
#: Name recorded with every stored top-k matrix.
TOPK_CODEC = "resid-byteplanes-zlib-v1"
_MISSING_CODE = N_CLASSES
_LEVEL = 6


def encode_top1(top1: np.ndarray, labels: np.ndarray) -> bytes:
    """Encode a top-1 vector (int16, -1 = missing) against ``labels`` (int16, -1 = unknown label).

    Examples
    --------
    >>> labels = np.array([3, 5, -1, 7], dtype=np.int16)
    >>> top1 = np.array([3, 9, 4, -1], dtype=np.int16)
    >>> decode_top1(encode_top1(top1, labels), labels).tolist()
    [3, 9, 4, -1]
    """
    top1 = np.asarray(top1)
    labels = np.asarray(labels)
    if top1.shape != labels.shape or top1.ndim != 1:
        raise InvalidInputError(
            f"Expected `top1` and `labels` to be 1-D of the same length, but got {top1.shape} and {labels.shape}."
        )
    resid = _residual(top1, labels)
    nonzero = resid != 0
    header = np.uint32(resid.size).tobytes()
    return zlib.compress(header + np.packbits(nonzero).tobytes() + resid[nonzero].tobytes(), _LEVEL)


def decode_top1(blob: bytes, labels: np.ndarray) -> np.ndarray:
    """Inverse of :func:`encode_top1`: the int16 top-1 vector."""
    labels = np.asarray(labels)
    raw = zlib.decompress(blob)
    n = labels.size
    n_mask = (n + 7) // 8
    stored_n = int(np.frombuffer(raw[:4], dtype=np.uint32)[0]) if len(raw) >= 4 else -1
    ok = stored_n == n and labels.ndim == 1 and len(raw) >= 4 + n_mask and (len(raw) - 4 - n_mask) % 2 == 0
    if ok:
        nonzero = np.unpackbits(np.frombuffer(raw[4:4 + n_mask], dtype=np.uint8), count=n).astype(bool)
        values = np.frombuffer(raw[4 + n_mask:], dtype=np.int16)
        ok = values.size == int(nonzero.sum())
    if not ok:
        raise InvalidInputError(
            f"A stored prediction vector ({stored_n} images) does not fit an index of {n} images; "
            "the store was written for another image index."
        )
    resid = np.zeros(n, dtype=np.int16)
    resid[nonzero] = values
    return _unresidual(resid, labels)


def encode_prob(prob: np.ndarray | None) -> bytes | None:
    """Top-1 probabilities as zlib-compressed float16 (NaN kept), or None."""
    if prob is None:
        return None
    return zlib.compress(np.asarray(prob, dtype=np.float16).tobytes(), 1)


def decode_prob(blob: bytes | None, n: int) -> np.ndarray | None:
    """Inverse of :func:`encode_prob` as float32."""
    if blob is None:
        return None
    prob = np.frombuffer(zlib.decompress(blob), dtype=np.float16).astype(np.float32)
    if prob.size != n:
        raise InvalidInputError(f"A stored probability vector has {prob.size} images, expected {n}.")
    return prob


def _residual(top: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``(top - label) mod 1000`` where the label is known, ``top`` where it is not, 1000 for a missing id."""
    t = top.astype(np.int32)
    lab = labels.astype(np.int32)
    resid = np.where(lab >= 0, (t - lab) % N_CLASSES, t)
    resid = np.where(t < 0, _MISSING_CODE, resid)
    return np.where((lab < 0) & (t < 0), -1, resid).astype(np.int16)


def _unresidual(resid: np.ndarray, labels: np.ndarray) -> np.ndarray:
    r = resid.astype(np.int32)
    lab = labels.astype(np.int32)
    out = np.where(lab >= 0, (lab + r) % N_CLASSES, r)
    out = np.where((lab >= 0) & (r == _MISSING_CODE), -1, out)
    return out.astype(np.int16)


def encode_topk(topk: np.ndarray | None, labels: np.ndarray) -> bytes | None:
    """Encode a top-k matrix (int16 of shape (N, k), best first, -1 = missing) against ``labels``, or None.

    Parameters
    ----------
    topk : int array (N, k) of class ids, or None.
    labels : int16 array (N,), -1 = unknown label.

    Returns
    -------
    bytes, or None when ``topk`` is None.

    Examples
    --------
    >>> labels = np.array([3, 5, -1], dtype=np.int16)
    >>> topk = np.array([[3, 4], [9, 5], [-1, -1]], dtype=np.int16)
    >>> decode_topk(encode_topk(topk, labels), labels).tolist()
    [[3, 4], [9, 5], [-1, -1]]
    """
    if topk is None:
        return None
    topk = np.asarray(topk)
    labels = np.asarray(labels)
    if topk.ndim != 2 or labels.ndim != 1 or topk.shape[0] != labels.shape[0] or topk.shape[1] < 1:
        raise InvalidInputError(
            f"Expected `topk` of shape ({labels.shape[0]}, k) with k >= 1 for {labels.shape[0]} labels, "
            f"but got {topk.shape}."
        )
    if topk.min(initial=0) < -1 or topk.max(initial=0) >= N_CLASSES:
        raise InvalidInputError(f"Expected top-k class ids in 0..{N_CLASSES - 1} (or -1 = missing), but got "
                                f"values from {int(topk.min())} to {int(topk.max())}.")
    n, k = topk.shape
    resid = np.stack([_residual(topk[:, j], labels) for j in range(k)])  # (k, N), columns contiguous
    planes = resid.astype("<i2").view(np.uint8).reshape(k * n, 2)
    header = np.array([n, k], dtype="<u4").tobytes()
    return zlib.compress(header + planes[:, 1].tobytes() + planes[:, 0].tobytes(), _LEVEL)


def decode_topk(blob: bytes | None, labels: np.ndarray) -> np.ndarray | None:
    """Inverse of :func:`encode_topk`: the int16 (N, k) matrix, or None for None.

    Parameters
    ----------
    blob : bytes written by :func:`encode_topk`, or None.
    labels : the labels it was encoded against.

    Returns
    -------
    int16 array (N, k), or None.
    """
    if blob is None:
        return None
    labels = np.asarray(labels)
    raw = zlib.decompress(blob)
    n, k = (int(v) for v in np.frombuffer(raw[:8], dtype="<u4")) if len(raw) >= 8 else (-1, 0)
    if n != labels.size or k < 1 or len(raw) != 8 + 2 * n * k:
        raise InvalidInputError(
            f"A stored top-k matrix ({n} images x {k}) does not fit an index of {labels.size} images; "
            "the store was written for another image index."
        )
    high = np.frombuffer(raw[8:8 + n * k], dtype=np.uint8)
    low = np.frombuffer(raw[8 + n * k:], dtype=np.uint8)
    resid = np.empty((n * k, 2), dtype=np.uint8)
    resid[:, 0], resid[:, 1] = low, high
    resid = resid.view("<i2").reshape(k, n)
    return np.stack([_unresidual(resid[j], labels) for j in range(k)], axis=1)
