"""Correct and total counts of every model over the ImageNet-X groups, in one vectorised pass.

:func:`count_factors` and :func:`count_factor_sets` turn a :class:`~errorscope.Population` into
:class:`FactorCounts`: per model, the number of covered and of correct images per factor, per
(metaclass, factor), per metaclass, overall and per class. Every table of errorscope's ImageNet-X analysis is
built from these counts (:mod:`errorscope.results`, and the published layouts of :mod:`errorscope.imagenetx`).
Images a prediction file does not cover are not counted (an inner join, as ImageNet-X does). The ImageNet-X
annotations are licensed CC BY-NC 4.0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
from scipy import sparse

from ..constants import ERROR_TYPES, FACTORS, METACLASSES, N_CLASSES, WHICH_FACTORS
from ..datasets._index import class_info
from ..datasets._real import real_label_sets
from ..exceptions import InvalidInputError
from ..metrics._correctness import ErrorType, correctness
from ..options import check_missing
from ..metrics._grouped import BLOCK, GroupCounts, _grouped_counts
from ..predictions import Population
from ._annotations import FactorAnnotations, load_factor_annotations

__all__ = ["FactorCounts", "count_factors", "count_factor_sets", "annotated_predictions", "HUMAN"]

HUMAN = "human"

N_F = len(FACTORS)

N_MC = len(METACLASSES)


@dataclass(frozen=True)
class FactorCounts:
    """Correct and total counts of every model over the ImageNet-X groups of one annotation file.

    Attributes
    ----------
    models : list of M names (the human pseudo-model last when added)
    which, error_type : str
        The annotation file and the correctness rule.
    factors : GroupCounts (M, 16) overall per factor
    metaclass_factors : GroupCounts (M, 17, 16)
    metaclass : GroupCounts (M, 17) all images per metaclass
    overall : GroupCounts (M,) all annotated images
    classes : GroupCounts (M, 1000) per original class
    """

    models: list[str]
    which: str
    error_type: str
    factors: GroupCounts
    metaclass_factors: GroupCounts
    metaclass: GroupCounts
    overall: GroupCounts
    classes: GroupCounts




def _membership(ann: FactorAnnotations, *, classes: bool = True) -> sparse.csr_matrix:
    """(G, n) sparse membership: 16 factors | 17x16 metaclass-factors [| 1000 classes].

    Metaclass and overall counts are sums of class counts (an image's metaclass is its class's), so they need
    no columns of their own.
    """
    n = len(ann)
    mc_onehot = np.zeros((n, N_MC), dtype=bool)
    mc_onehot[np.arange(n), ann.metaclass] = True
    mc_factor = (mc_onehot[:, :, None] & ann.factors[:, None, :]).reshape(n, N_MC * N_F)
    blocks = [sparse.csr_matrix(ann.factors, dtype=np.float32), sparse.csr_matrix(mc_factor, dtype=np.float32)]
    if classes:
        blocks.append(sparse.csr_matrix((np.ones(n, np.float32), (np.arange(n), ann.labels.astype(np.int64))),
                                        shape=(n, N_CLASSES)))
    return sparse.csr_matrix(sparse.hstack(blocks).T, dtype=np.float32)


def _split(counts: GroupCounts, classes: GroupCounts, m: int) -> dict[str, GroupCounts]:
    """Name the column blocks of one annotation file's counts; derive metaclass and overall from ``classes``."""
    to_mc = np.zeros((N_CLASSES, N_MC))
    to_mc[np.arange(N_CLASSES), class_info().metaclass17] = 1.0
    mf = slice(N_F, N_F + N_MC * N_F)
    return {
        "factors": GroupCounts(counts.correct[:, :N_F], counts.total[:, :N_F]),
        "metaclass_factors": GroupCounts(counts.correct[:, mf].reshape(m, N_MC, N_F),
                                         counts.total[:, mf].reshape(m, N_MC, N_F)),
        "metaclass": GroupCounts(classes.correct @ to_mc, classes.total @ to_mc),
        "overall": GroupCounts(classes.correct.sum(axis=1), classes.total.sum(axis=1)),
        "classes": classes,
    }


def _check_args(which: str, error_type: str, partition: str) -> None:
    if which not in WHICH_FACTORS:
        raise InvalidInputError(f"Expected argument `which` to be one of {list(WHICH_FACTORS)}, but got {which!r}.")
    if error_type not in ERROR_TYPES:
        raise InvalidInputError(
            f"Expected argument `error_type` to be one of {list(ERROR_TYPES)}, but got {error_type!r}.")
    if partition not in ("val", "train"):
        raise InvalidInputError(f"Expected argument `partition` to be 'val' or 'train', but got {partition!r}.")


def annotated_predictions(pop: Population, ann: FactorAnnotations, *, add_human: bool = False
                          ) -> tuple[list[str], np.ndarray]:
    """The population's predictions on the annotated images, plus the optional human row.

    Parameters
    ----------
    pop : Population
        Predictions on the partition's image index.
    ann : FactorAnnotations
        The annotated images.
    add_human : bool, default False
        Append the ``human`` pseudo-model (the original labels) as the last row.

    Returns
    -------
    models : list of str
        The model names (``human`` last when added).
    top1 : int array (M, n_annotated)
        Top-1 predictions on the annotated images, -1 = no prediction.
    """
    if pop.index.name != ann.index.name:
        raise InvalidInputError(
            f"The predictions are aligned to the {pop.index.name!r} images but the {ann.partition} annotations "
            f"describe {ann.index.name!r} images. Pass predictions on the {ann.partition} images, or choose "
            f"partition={'val' if ann.partition == 'train' else 'train'!r}."
        )
    models = list(pop.models)
    top1 = pop.top1[:, ann.positions]
    if add_human:
        models.append(HUMAN)
        top1 = np.vstack([top1, ann.labels[None, :]])
    return models, top1


def count_factors(pop: Population, *, which: str = "top", error_type: str = "class", partition: str = "val",
                  filter_prototypes: bool = True, add_human: bool = False,
                  annotations: FactorAnnotations | None = None, missing: str = "exclude") -> FactorCounts:
    """Count correct and covered images of every model per ImageNet-X group, in one pass over the models.

    Parameters
    ----------
    pop : Population
        Predictions on the partition's index.
    which : {"top", "multi"}
        The annotation file.
    error_type : {"class", "metaclass", "real_class"}
        The correctness rule.
    partition : {"val", "train"}
        Validation or the annotated training images.
    filter_prototypes : bool
        Drop ImageNet-X's 3,000 prototypical images.
    add_human : bool
        Append the ``human`` pseudo-model (the original labels).
    annotations : FactorAnnotations, optional
        Preloaded annotations of ``which`` and ``partition``.
    missing : {"exclude", "wrong"}
        Annotated images a model does not cover are left out of its totals (the ImageNet-X inner join), or
        counted as errors.

    Returns
    -------
    FactorCounts
    """
    _check_args(which, error_type, partition)
    check_missing(missing)
    ann = annotations or load_factor_annotations(which, partition, filter_prototypes)
    return _count([ann], (error_type,), pop, add_human, missing)[(which, error_type)]


def count_factor_sets(pop: Population, *, whiches: Sequence[str] = WHICH_FACTORS,
                      error_types: Sequence[str] = ERROR_TYPES, partition: str = "val",
                      filter_prototypes: bool = True, add_human: bool = False, missing: str = "exclude"
                      ) -> dict[tuple[str, str], FactorCounts]:
    """:func:`count_factors` for several annotation files and error types at once.

    The top and multi files annotate the same images in the same order, so each model's predictions are gathered
    and scored once per error type, and both files' groups are counted in the same sparse product.

    Parameters
    ----------
    pop : Population
        Predictions on the partition's index.
    whiches : sequence of {"top", "multi"}
        The annotation files (default both).
    error_types : sequence of {"class", "metaclass", "real_class"}
        The correctness rules (default all three).
    partition : {"val", "train"}
        Validation or the annotated training images.
    filter_prototypes : bool, default True
        Drop ImageNet-X's 3,000 prototypical images.
    add_human : bool, default False
        Append the ``human`` pseudo-model (the original labels).
    missing : {"exclude", "wrong"}
        Leave uncovered images out of a model's totals, or count them as errors.

    Returns
    -------
    dict of (str, str) to FactorCounts
        ``{(which, error_type): FactorCounts}``.
    """
    for w in whiches:
        for e in error_types:
            _check_args(w, e, partition)
    check_missing(missing)
    anns = [load_factor_annotations(w, partition, filter_prototypes) for w in whiches]
    return _count(anns, tuple(error_types), pop, add_human, missing)


def _count(anns: list[FactorAnnotations], error_types: tuple[str, ...], pop: Population, add_human: bool,
           missing: str = "exclude") -> dict[tuple[str, str], FactorCounts]:
    out: dict[tuple[str, str], FactorCounts] = {}
    pending = list(anns)
    while pending:  # annotation files over the same images, in the same order, share one pass
        first = pending[0]
        same = [a for a in pending if np.array_equal(a.positions, first.positions)]
        pending = [a for a in pending if not any(a is b for b in same)]
        members = [_membership(a, classes=(k == 0)) for k, a in enumerate(same)]
        member_t = sparse.csr_matrix(sparse.vstack(members), dtype=np.float32)
        models, top1 = annotated_predictions(pop, first, add_human=add_human)
        m, g = len(models), member_t.shape[0]
        for error_type in error_types:
            real = None
            if error_type == "real_class":
                if first.partition == "val":
                    real = real_label_sets()[0][first.positions]
                else:  # ReaL covers validation images only: every train prediction is wrong, as in ImageNet-X.
                    real = np.full((len(first), 1), -1, dtype=np.int16)
            correct = np.empty((m, g))
            total = np.empty((m, g))
            for start in range(0, m, BLOCK):
                block = top1[start:start + BLOCK]
                ok = correctness(block, first.labels, cast(ErrorType, error_type), real_sets=real,
                                 class_metaclass=class_info().metaclass17)
                seen = block >= 0 if missing == "exclude" else np.ones(block.shape, dtype=bool)
                counts = _grouped_counts(ok, seen, member_t)
                correct[start:start + BLOCK] = counts.correct
                total[start:start + BLOCK] = counts.total
            width = N_F + N_MC * N_F  # per file; the first file's block also ends with the 1,000 classes
            classes = GroupCounts(correct[:, width:width + N_CLASSES], total[:, width:width + N_CLASSES])
            offset = 0
            for ann, member in zip(same, members):
                cols = slice(offset, offset + width)
                offset += member.shape[0]
                parts = _split(GroupCounts(correct[:, cols], total[:, cols]), classes, m)
                out[(ann.which, error_type)] = FactorCounts(models, ann.which, error_type, **parts)
    return out


def _drop_last_model(counts: FactorCounts) -> FactorCounts:
    """The counts without the human pseudo-model (appended last by ``add_human``)."""
    def cut(g: GroupCounts) -> GroupCounts:
        return GroupCounts(g.correct[:-1], g.total[:-1])

    return FactorCounts(counts.models[:-1], counts.which, counts.error_type, cut(counts.factors),
                        cut(counts.metaclass_factors), cut(counts.metaclass), cut(counts.overall), cut(counts.classes))
