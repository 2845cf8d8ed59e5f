"""The :class:`Predictions` of one model and the :class:`Population` of many, aligned to an image index.

Both are compact: class ids are int16 with -1 for an image the source did not cover, probabilities float32
with NaN where unknown. A population of M models is an M x N matrix, the shape every metric works on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .constants import N_CLASSES
from .exceptions import InvalidInputError
from .datasets._index import ImageIndex, val_index

__all__ = ["Predictions", "Population", "MISSING"]

#: Class id of an image a prediction source does not cover.
MISSING = -1


def _check_ids(name: str, ids: np.ndarray) -> None:
    bad = (ids != MISSING) & ((ids < 0) | (ids >= N_CLASSES))
    if bad.any():
        first = np.argwhere(bad)[0]
        raise InvalidInputError(
            f"Expected `{name}` to hold class ids in 0..{N_CLASSES - 1} (or {MISSING} for a missing image), "
            f"but got {int(ids[tuple(first)])} at position {tuple(int(i) for i in first)}."
        )


@dataclass(frozen=True, eq=False)
class Predictions:
    """One model's predictions on the images of ``index``.

    Attributes
    ----------
    model : str
        The model's name.
    top1 : int16 array of shape (n_images,)
        Predicted class per image, -1 where the source did not cover the image.
    prob : float32 array of shape (n_images,) or None
        The top-1 probability, NaN where unknown; None when the source has no probabilities.
    topk : int16 array of shape (n_images, k) or None
        The k best classes, best first, when known (column 0 equals ``top1``).
    index : ImageIndex
        The image set the arrays are aligned to (default: the 50,000 validation images).
    source : str
        Where the predictions were read from.

    Examples
    --------
    >>> import numpy as np
    >>> p = Predictions.from_arrays("toy", np.zeros(50000, dtype=int))
    >>> p.n_covered, round(p.top1_accuracy(), 4)
    (50000, 0.001)
    """

    model: str
    top1: np.ndarray
    prob: np.ndarray | None = None
    topk: np.ndarray | None = None
    index: ImageIndex = None  # type: ignore[assignment]
    source: str = ""

    def __post_init__(self) -> None:
        if self.index is None:
            object.__setattr__(self, "index", val_index())
        n = len(self.index)
        top1 = np.asarray(self.top1)
        if top1.shape != (n,):
            raise InvalidInputError(
                f"Expected `top1` of model {self.model!r} to have shape ({n},) to match the {self.index.name} "
                f"index, but got shape {top1.shape}."
            )
        _check_ids("top1", top1)
        object.__setattr__(self, "top1", top1.astype(np.int16, copy=False))
        if self.prob is not None:
            prob = np.asarray(self.prob, dtype=np.float32)
            if prob.shape != (n,):
                raise InvalidInputError(f"Expected `prob` to have shape ({n},), but got {prob.shape}.")
            object.__setattr__(self, "prob", prob)
        if self.topk is not None:
            topk = np.asarray(self.topk)
            if topk.ndim != 2 or topk.shape[0] != n:
                raise InvalidInputError(f"Expected `topk` to have shape ({n}, k), but got {topk.shape}.")
            _check_ids("topk", topk)
            object.__setattr__(self, "topk", topk.astype(np.int16, copy=False))

    @classmethod
    def from_arrays(cls, model: str, top1, prob=None, topk=None, *, index: ImageIndex | None = None,
                    source: str = "") -> "Predictions":
        """Build from arrays already aligned to ``index`` (default: the validation index).

        Parameters
        ----------
        model : str
            Model name.
        top1 : int array (n,)
            Top-1 class ids, -1 = no prediction.
        prob : float array (n,), optional
            Top-1 probabilities.
        topk : int array (n, k), optional
            The k best classes, best first.
        index : ImageIndex, optional
            The images the arrays are aligned to.
        source : str
            Where the predictions came from (a file name).

        Returns
        -------
        Predictions
            The validated predictions.
        """
        return cls(model, np.asarray(top1), prob, topk, index or val_index(), source)

    @classmethod
    def from_scores(cls, model: str, scores, *, k: int = 5, index: ImageIndex | None = None,
                    source: str = "") -> "Predictions":
        """Build from logits or probabilities of shape (n_images, 1000).

        Rows that sum to 1 (within 1e-3) and are non-negative are taken as probabilities; anything else as logits,
        turned into probabilities with a numerically stable softmax.

        Parameters
        ----------
        model : str
            Model name.
        scores : float array (n_images, 1000)
            Logits or probabilities, aligned to ``index``.
        k : int, default 5
            How many best classes to keep.
        index : ImageIndex, optional
            The images (default: the validation index).
        source : str
            Where the scores came from.

        Returns
        -------
        Predictions
            Top-1, its probability and the top-k classes.
        """
        scores = np.asarray(scores)
        idx = index or val_index()
        if scores.ndim != 2 or scores.shape != (len(idx), N_CLASSES):
            raise InvalidInputError(
                f"Expected scores of shape ({len(idx)}, {N_CLASSES}), but got {scores.shape}."
            )
        top1, prob, topk = top_k_from_scores(scores, k=k)
        return cls(model, top1, prob, topk, idx, source)

    @property
    def covered(self) -> np.ndarray:
        """Boolean mask of the images this model has a prediction for."""
        return self.top1 != MISSING

    @property
    def n_covered(self) -> int:
        """Number of images this model has a prediction for."""
        return int(self.covered.sum())

    def top1_accuracy(self) -> float:
        """Fraction of all images of the index whose prediction equals the original label.

        Returns
        -------
        float
            Accuracy over the whole index (an uncovered image counts as wrong).
        """
        return float((self.top1 == self.index.labels).mean())

    def renamed(self, model: str) -> "Predictions":
        """The same predictions under another model name.

        Parameters
        ----------
        model : str
            The new name.

        Returns
        -------
        Predictions
            A renamed copy.
        """
        return Predictions(model, self.top1, self.prob, self.topk, self.index, self.source)


def top_k_from_scores(scores_: np.ndarray, *, k: int = 5, chunk: int = 4096) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top-1 class, its probability and the k best classes of a (n, 1000) score matrix, in row chunks.

    The matrix is taken as probabilities when every row is
    non-negative and sums to 1 (within 1e-3), else as logits (softmax); ties go to the lower class id, as with
    a stable sort. A partial sort per chunk keeps memory bounded and (50000, 1000) logits take about a second.
    """
    n = len(scores_)
    top1 = np.empty(n, dtype=np.int16)
    prob = np.empty(n, dtype=np.float32)
    topk = np.empty((n, k), dtype=np.int16)
    is_prob = all((c >= 0).all() and np.allclose(c.sum(axis=1, dtype=np.float64), 1.0, atol=1e-3)
                  for c in _chunks(scores_, chunk))
    for start in range(0, n, chunk):
        block = np.array(scores_[start:start + chunk], dtype=np.float64)
        probs = block if is_prob else _softmax(block)
        part = np.argpartition(-probs, k - 1, axis=1)[:, :k]
        vals = np.take_along_axis(probs, part, axis=1)
        best = np.take_along_axis(part, np.lexsort((part, -vals), axis=1), axis=1)
        # a tie at the k-th value with a class outside the partition: settle it like a stable sort
        kth = np.take_along_axis(probs, best[:, -1:], axis=1)
        tied = np.flatnonzero((probs >= kth).sum(axis=1) > k)
        for i in tied:
            best[i] = np.argsort(-probs[i], kind="stable")[:k]
        top1[start:start + chunk] = best[:, 0]
        prob[start:start + chunk] = np.take_along_axis(probs, best[:, :1], axis=1)[:, 0]
        topk[start:start + chunk] = best
    return top1, prob, topk


def _softmax(block: np.ndarray) -> np.ndarray:
    shifted = block - block.max(axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=1, keepdims=True)
    return shifted


def _chunks(arr: np.ndarray, chunk: int):
    for start in range(0, len(arr), chunk):
        yield arr[start:start + chunk]



@dataclass(frozen=True, eq=False)
class Population:
    """M models' predictions on one index, stored as matrices.

    Attributes
    ----------
    models : list of str, length M (unique)
    top1 : int16 array (M, n_images), -1 where missing
    prob : float32 array (M, n_images) or None (NaN where unknown)
    index : ImageIndex
    topk : int16 array (M, n_images, k) or None, when every model has top-k predictions
    """

    models: list[str]
    top1: np.ndarray
    prob: np.ndarray | None
    index: ImageIndex
    topk: np.ndarray | None = None

    def __post_init__(self) -> None:
        if len(set(self.models)) != len(self.models):
            counts = Counter(self.models)
            dup = next(m for m in self.models if counts[m] > 1)
            raise InvalidInputError(
                f"Model names must be unique in a population, but {dup!r} appears more than once. "
                "Rename one of the files (the model name is the file stem)."
            )
        if self.top1.shape != (len(self.models), len(self.index)):
            raise InvalidInputError(
                f"Expected `top1` of shape ({len(self.models)}, {len(self.index)}), got {self.top1.shape}."
            )

    def __len__(self) -> int:
        return len(self.models)

    @classmethod
    def from_predictions(cls, predictions: Iterable[Predictions]) -> "Population":
        """Stack single-model predictions (all on the same index) into a population.

        Parameters
        ----------
        predictions : iterable of Predictions
            One per model, all on the same index.

        Returns
        -------
        Population
            The stacked models, in the given order.
        """
        preds = list(predictions)
        if not preds:
            raise InvalidInputError("A population needs at least one model, but got none.")
        index = preds[0].index
        for p in preds[1:]:
            if p.index is not index and p.index.name != index.name:
                raise InvalidInputError(
                    f"Model {p.model!r} is aligned to {p.index.name!r} but {preds[0].model!r} to {index.name!r}."
                )
        top1 = np.stack([p.top1 for p in preds])
        prob = None
        if any(p.prob is not None for p in preds):
            prob = np.stack([p.prob if p.prob is not None else np.full(len(index), np.nan, np.float32)
                             for p in preds])
        topk = None
        ks = {p.topk.shape[1] for p in preds if p.topk is not None}
        if len(ks) == 1 and all(p.topk is not None for p in preds):
            topk = np.stack([p.topk for p in preds])
        return cls([p.model for p in preds], top1, prob, index, topk)

    def __getitem__(self, model: str) -> Predictions:
        i = self.models.index(model)
        return Predictions(model, self.top1[i], None if self.prob is None else self.prob[i],
                           None if self.topk is None else self.topk[i], self.index)

    def __iter__(self):
        for m in self.models:
            yield self[m]

    def select(self, models: Sequence[str]) -> "Population":
        """The sub-population of ``models``, in that order.

        Parameters
        ----------
        models : sequence of str
            Model names of this population.

        Returns
        -------
        Population
            The selected models.
        """
        rows = [self.models.index(m) for m in models]
        return Population(list(models), self.top1[rows], None if self.prob is None else self.prob[rows], self.index,
                          None if self.topk is None else self.topk[rows])
