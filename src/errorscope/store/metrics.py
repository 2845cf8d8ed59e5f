"""Derived metrics computed when models are added to a store, in one vectorised pass over the M x N matrix.

A :class:`MetricSuite` is a versioned function ``Population -> dict[str, DataFrame]``; every frame has a
``model`` column and becomes the store table ``derived_<name>``. The store records the suite's version with
every model and recomputes models whose version differs (:meth:`ResultStore.refresh`).

The default suite, :func:`imagenetx_suite`, computes the ImageNet-X factor accuracies for ``which`` in
top/multi and error types class/metaclass/real_class with the conventions of the published tables
(prototype images removed, 46,110 annotated images; ReaL: an image without ReaL labels counts as an error;
``worst_100_classes`` is the image-weighted accuracy of the 100 worst classes after a stable sort). On the
four ImageNet-X base models it reproduces ``results/val/*/base/*/accuracies_per_factor.csv``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from ..constants import ERROR_TYPES, FACTORS, N_CLASSES, WHICH_FACTORS
from ..exceptions import InvalidInputError
from ..predictions import Population

__all__ = ["MetricSuite", "imagenetx_suite", "factor_correct", "imagenetx_factor_metrics", "published_layout"]

#: Chunk of models processed together (bounds memory at about chunk x 46,110 x 4 bytes per array).
CHUNK = 256


@dataclass(frozen=True)
class MetricSuite:
    """A versioned metric function.

    Attributes
    ----------
    name : short identifier.
    version : changes whenever the numbers the function returns change; stored with every model.
    compute : ``compute(population) -> {table name: DataFrame with a 'model' column}``.
    """

    name: str
    version: str
    compute: Callable[[Population], dict[str, pd.DataFrame]]

    @property
    def tag(self) -> str:
        """``name/version``, the value recorded in the store."""
        return f"{self.name}/{self.version}"


def factor_correct(top1: np.ndarray, *, which: str = "top", error_type: str = "class",
                   filter_prototypes: bool = True):
    """Correctness of every model on the ImageNet-X annotated images.

    Parameters
    ----------
    top1 : int16 array (M, 50000) aligned to the validation index.

    Returns
    -------
    correct : bool array (M, n_annotated)
    annotations : the :class:`~errorscope.annotations.FactorAnnotations` used.
    """
    from ..annotations import load_factor_annotations, real_label_sets
    from ..index import class_info

    if error_type not in ERROR_TYPES:
        raise InvalidInputError(f"Expected `error_type` in {ERROR_TYPES}, but got {error_type!r}.")
    ann = load_factor_annotations(which, "val", filter_prototypes)
    pred = np.asarray(top1)[:, ann.positions]
    if error_type == "class":
        correct = pred == ann.labels
    elif error_type == "metaclass":
        mc = np.append(class_info().metaclass17, np.int8(-1))  # index -1 (missing) -> -1
        correct = mc[pred] == ann.metaclass
    else:
        sets, sizes = real_label_sets()
        rs = sets[ann.positions]
        n_real = sizes[ann.positions]
        correct = (pred == rs[:, 0]) & (rs[:, 0] >= 0)
        rows = np.flatnonzero(n_real > 1)  # the images with more than one ReaL label, gathered once
        if rows.size:
            sub = pred[:, rows]
            extra = np.zeros(sub.shape, dtype=bool)
            for j in range(1, rs.shape[1]):
                col = rs[rows, j]
                extra |= (sub == col) & (col >= 0)
            correct[:, rows] |= extra
    return correct, ann


@lru_cache(maxsize=4)
def _class_onehot(labels_key: bytes):
    """Sparse (classes present x n) one-hot of the annotated images' classes, and the class sizes."""
    from scipy import sparse

    labels = np.frombuffer(labels_key, dtype=np.int16)
    present, inverse = np.unique(labels, return_inverse=True)
    onehot = sparse.csr_matrix((np.ones(len(labels), dtype=np.float32), (inverse, np.arange(len(labels)))),
                               shape=(len(present), len(labels)))
    return onehot, np.bincount(inverse).astype(np.float64)


def _worst_k(correct32: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    onehot, sizes = _class_onehot(np.ascontiguousarray(labels, dtype=np.int16).tobytes())
    hits = np.asarray(onehot @ correct32.T, dtype=np.float64).T  # (M, classes), exact integer counts
    means = hits / sizes
    worst = np.argsort(means, axis=1, kind="stable")[:, :k]  # ties: lower class id first
    return np.take_along_axis(hits, worst, 1).sum(1) / sizes[worst].sum(1)


def imagenetx_factor_metrics(population: Population, *, whiches: Sequence[str] = WHICH_FACTORS,
                             error_types: Sequence[str] = ERROR_TYPES, worst_k: int = 100) -> dict[str, pd.DataFrame]:
    """ImageNet-X factor accuracies of every model as tidy frames.

    Returns
    -------
    dict with
        ``factors`` : model, which, error_type, factor (16 factors and ``"average"``), correct, total, accuracy
        (NaN when no image has the factor).
        ``summary`` : model, which, error_type, average, worst_factor, worst_100_classes, and ``top1``
        (accuracy over all 50,000 validation images against the original labels), ``n_covered``.
    """
    if population.index.name != "imagenet-val":
        raise InvalidInputError(
            f"ImageNet-X metrics need predictions on the ImageNet validation index, got {population.index.name!r}."
        )
    models = np.asarray(population.models, dtype=object)
    labels = population.index.labels
    top1_all = (population.top1 == labels).mean(axis=1)
    n_cov = (population.top1 >= 0).sum(axis=1)
    factor_frames, summary_frames = [], []
    names = FACTORS + ["average"]
    from ..annotations import load_factor_annotations

    for start in range(0, len(models), CHUNK):
        sl = slice(start, start + CHUNK)
        m = len(models[sl])
        for error_type in error_types:
            # top and multi annotate the same images in the same order, so correctness, average and the
            # worst classes are shared; only the factor matrix differs (checked, else recomputed)
            shared = None
            for which in whiches:
                ann = load_factor_annotations(which, "val", True)
                if shared is None or not np.array_equal(shared[1].positions, ann.positions):
                    correct, _ = factor_correct(population.top1[sl], which=which, error_type=error_type)
                    correct32 = correct.astype(np.float32)
                    shared = (correct, ann, correct.mean(axis=1), _worst_k(correct32, ann.labels, worst_k),
                              correct32)
                correct, _, avg, worst_classes, correct32 = shared
                fac = ann.factors.astype(np.float32)
                hits = (correct32 @ fac).astype(np.float64)  # (m, 16), exact counts
                totals = fac.sum(0).astype(np.float64)
                with np.errstate(invalid="ignore", divide="ignore"):
                    acc = hits / totals
                worst = np.where(np.isnan(acc).all(1), np.nan, np.nanmin(np.where(np.isnan(acc), np.inf, acc), 1))
                all_hits = np.column_stack([hits, correct.sum(1)])
                all_tot = np.tile(np.append(totals, correct.shape[1]), (m, 1))
                all_acc = np.column_stack([acc, avg])
                factor_frames.append(pd.DataFrame({
                    "model": np.repeat(models[sl], len(names)),
                    "which": which, "error_type": error_type,
                    "factor": np.tile(names, m),
                    "correct": all_hits.ravel().astype(np.int64),
                    "total": all_tot.ravel().astype(np.int64),
                    "accuracy": all_acc.ravel().astype(np.float64),
                }))
                summary_frames.append(pd.DataFrame({
                    "model": models[sl], "which": which, "error_type": error_type,
                    "average": avg, "worst_factor": worst,
                    f"worst_{worst_k}_classes": worst_classes,
                    "top1": top1_all[sl], "n_covered": n_cov[sl].astype(np.int64),
                }))
    factors = pd.concat(factor_frames, ignore_index=True)
    factors["model"] = factors["model"].astype(str)
    summary = pd.concat(summary_frames, ignore_index=True)
    summary["model"] = summary["model"].astype(str)
    return {"factors": factors, "summary": summary}


def imagenetx_suite() -> MetricSuite:
    """The store's default suite: :func:`imagenetx_factor_metrics` (version ``1``)."""
    return MetricSuite("imagenetx-factors", "1", imagenetx_factor_metrics)


def published_layout(factors: pd.DataFrame, summary: pd.DataFrame, *, which: str = "top",
                     error_type: str = "class") -> pd.DataFrame:
    """Tidy frames of :func:`imagenetx_factor_metrics` in the layout of ``accuracies_per_factor.csv``.

    Index ``model``; columns the 16 factors, worst_factor, average, worst_100_classes.
    """
    f = factors[(factors["which"] == which) & (factors["error_type"] == error_type)
                & (factors["factor"] != "average")]
    wide = f.pivot(index="model", columns="factor", values="accuracy").reindex(columns=FACTORS)
    s = summary[(summary["which"] == which) & (summary["error_type"] == error_type)].set_index("model")
    wide["worst_factor"] = s["worst_factor"]
    wide["average"] = s["average"]
    wide["worst_100_classes"] = s["worst_100_classes"]
    wide.columns.name = None
    return wide.sort_index()
