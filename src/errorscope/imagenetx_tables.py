"""ImageNet-X factor tables (Idrissi et al., ICLR 2023), computed with the NumPy core.

The frames have exactly the layout of the published ``accuracies_per_factor.csv`` and
``accuracies_per_factor_metaclass.csv`` tables (and of ``python -m imagenet_x aggregate``), so the published
tables and ours can be compared cell by cell. The ImageNet-X annotations are licensed CC BY-NC 4.0.

Semantics kept from ImageNet-X (see docs/metrics.md):

* each model is scored on the annotated images it has a prediction for (an inner join);
* ``average`` is the accuracy over all of a model's annotated images, zero-factor images included;
* ``worst_factor`` is the lowest of the 16 factor accuracies, ignoring NaN;
* ``worst_100_classes`` is the image-weighted accuracy over the 100 worst classes (stable ranking);
* a (model[, metaclass]) with no correct image at all gets NaN factor accuracies, as pandas' groupby does
  in the original; the tidy tables of :mod:`errorscope.analysis` report 0 there instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from .annotations import FactorAnnotations, load_factor_annotations, real_label_sets
from .constants import ERROR_TYPES, FACTORS, METACLASSES, N_CLASSES, WHICH_FACTORS
from .exceptions import InvalidInputError
from .metrics.correctness import correctness
from .metrics.grouped import BLOCK, GroupCounts, _grouped_counts, worst_k_classes
from .predictions import Population

__all__ = [
    "FactorCounts", "count_factors", "count_factor_sets", "factor_accuracies", "metaclass_factor_accuracies", "error_ratios",
    "accuracy_table", "metaclass_table", "write_table_tree", "HUMAN",
]

HUMAN = "human"
N_F = len(FACTORS)
N_MC = len(METACLASSES)


@dataclass(frozen=True)
class FactorCounts:
    """Correct and total counts of every model over the ImageNet-X groups of one annotation file.

    Attributes
    ----------
    models : list of M names (the human pseudo-model last when added)
    which, error_type : the annotation file and the correctness rule
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
    from .index import class_info

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


def _check_args(which, error_type, partition) -> None:
    if which not in WHICH_FACTORS:
        raise InvalidInputError(f"Expected argument `which` to be one of {list(WHICH_FACTORS)}, but got {which!r}.")
    if error_type not in ERROR_TYPES:
        raise InvalidInputError(
            f"Expected argument `error_type` to be one of {list(ERROR_TYPES)}, but got {error_type!r}.")
    if partition not in ("val", "train"):
        raise InvalidInputError(f"Expected argument `partition` to be 'val' or 'train', but got {partition!r}.")


def annotated_predictions(pop: Population, ann: FactorAnnotations, *, add_human: bool = False
                          ) -> tuple[list[str], np.ndarray]:
    """The population's predictions on the annotated images, (M, n_annotated), plus the optional human row."""
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
                  annotations: FactorAnnotations | None = None) -> FactorCounts:
    """Count correct and covered images of every model per ImageNet-X group, in one pass over the models."""
    _check_args(which, error_type, partition)
    ann = annotations or load_factor_annotations(which, partition, filter_prototypes)
    return _count([ann], (error_type,), pop, add_human)[(which, error_type)]


def count_factor_sets(pop: Population, *, whiches=WHICH_FACTORS, error_types=ERROR_TYPES, partition: str = "val",
                      filter_prototypes: bool = True, add_human: bool = False) -> dict[tuple[str, str], FactorCounts]:
    """:func:`count_factors` for several annotation files and error types at once.

    The top and multi files annotate the same images in the same order, so each model's predictions are gathered
    and scored once per error type, and both files' groups are counted in the same sparse product.

    Returns
    -------
    {(which, error_type): FactorCounts}
    """
    for w in whiches:
        for e in error_types:
            _check_args(w, e, partition)
    anns = [load_factor_annotations(w, partition, filter_prototypes) for w in whiches]
    return _count(anns, tuple(error_types), pop, add_human)


def _count(anns: list[FactorAnnotations], error_types: tuple[str, ...], pop: Population, add_human: bool
           ) -> dict[tuple[str, str], FactorCounts]:
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
                ok = correctness(block, first.labels, error_type, real_sets=real)
                counts = _grouped_counts(ok, block >= 0, member_t)
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


def _nan_where_no_correct(acc: np.ndarray, correct_any: np.ndarray) -> np.ndarray:
    return np.where(correct_any[..., None], acc, np.nan)


def accuracy_table(counts: FactorCounts, *, worst_k: int | None = 100) -> pd.DataFrame:
    """The ``accuracies_per_factor`` frame of a :class:`FactorCounts`: one row per model, sorted by name."""
    acc = _nan_where_no_correct(counts.factors.accuracy, counts.overall.correct > 0)
    frame = pd.DataFrame(acc, index=pd.Index(counts.models, name="model"), columns=FACTORS)
    frame["worst_factor"] = frame[FACTORS].min(axis=1)
    frame["average"] = counts.overall.accuracy
    if worst_k:
        frame[f"worst_{worst_k}_classes"] = worst_k_classes(counts.classes, worst_k)
    return frame.sort_index(kind="stable")


def metaclass_table(counts: FactorCounts) -> pd.DataFrame:
    """The ``accuracies_per_factor_metaclass`` frame: rows (model, metaclass) in METACLASSES order, then model."""
    acc = _nan_where_no_correct(counts.metaclass_factors.accuracy, counts.metaclass.correct > 0)
    order = np.argsort(np.array(counts.models, dtype=object), kind="stable")
    rows, keys = [], []
    for j, mc in enumerate(METACLASSES):
        for i in order:
            if counts.metaclass.total[i, j] > 0:
                rows.append(np.concatenate([acc[i, j], [np.nan, counts.metaclass.accuracy[i, j]]]))
                keys.append((counts.models[i], mc))
    frame = pd.DataFrame(np.array(rows).reshape(len(rows), N_F + 2),
                         index=pd.MultiIndex.from_tuples(keys, names=["model", "metaclass"]),
                         columns=FACTORS + ["worst_factor", "average"])
    frame["worst_factor"] = frame[FACTORS].min(axis=1)
    return frame


def factor_accuracies(pop: Population, *, which: str = "top", error_type: str = "class", partition: str = "val",
                      filter_prototypes: bool = True, add_human: bool = False, worst_k: int | None = 100
                      ) -> pd.DataFrame:
    """Per-factor accuracies of every model, in the layout of ImageNet-X's ``accuracies_per_factor.csv``.

    Parameters
    ----------
    pop : Population on the validation index (or on the ImageNet-X train images for ``partition="train"``)
    which : "top" (one factor per image) or "multi" (every factor that applies)
    error_type : "class", "metaclass" or "real_class"
    filter_prototypes : drop the 3,000 prototypical images (ImageNet-X default)
    add_human : add the ``human`` pseudo-model (original labels, scored against ReaL for ``real_class``)
    worst_k : add the ``worst_{k}_classes`` column (None: leave it out, as ``get_factor_accuracies`` does)

    Returns
    -------
    DataFrame indexed by ``model`` with the 16 FACTORS, ``worst_factor``, ``average`` [, ``worst_{k}_classes``]

    Examples
    --------
    >>> from errorscope.readers import read_population
    >>> from errorscope.resources import resource_path
    >>> pop = read_population(resource_path("imagenetx/model_predictions/base/ViT.csv"))
    >>> round(float(factor_accuracies(pop).loc["ViT", "average"]), 6)
    0.767599
    """
    counts = count_factors(pop, which=which, error_type=error_type, partition=partition,
                           filter_prototypes=filter_prototypes, add_human=add_human)
    return accuracy_table(counts, worst_k=worst_k)


def metaclass_factor_accuracies(pop: Population, *, which: str = "top", error_type: str = "class",
                                partition: str = "val", filter_prototypes: bool = True,
                                add_human: bool = False) -> pd.DataFrame:
    """Per-metaclass factor accuracies, in the layout of ``accuracies_per_factor_metaclass.csv``."""
    counts = count_factors(pop, which=which, error_type=error_type, partition=partition,
                           filter_prototypes=filter_prototypes, add_human=add_human)
    return metaclass_table(counts)


def error_ratios(table: pd.DataFrame, *, keep_columns: bool = False) -> pd.DataFrame:
    """ImageNet-X error ratios (1 - acc_f) / (1 - average) of a factor-accuracy table, for the 16 factors.

    Parameters
    ----------
    table : any frame with the 16 FACTORS and ``average`` (the per-model or the metaclass layout, or the
        wide reference frames with ``group``, ``model``, ``model_type`` columns).
    keep_columns : False: return the 16 error-ratio columns only, on the table's index. True: return a copy
        of ``table`` whose 16 factor columns hold the error ratios (every other column, including
        ``average``, kept as it is).

    Returns
    -------
    DataFrame of float64 error ratios (infinite or NaN where ``average`` is 1, NaN where a factor accuracy is).
    """
    from .metrics.ratios import error_ratio

    missing = [c for c in FACTORS + ["average"] if c not in table.columns]
    if missing:
        raise InvalidInputError(f"The table lacks the column(s) {missing}; expected a factor-accuracy table "
                                f"(the 16 factors and 'average'). Got columns {list(table.columns)}.")
    ratios = error_ratio(table[FACTORS].to_numpy(np.float64), table["average"].to_numpy(np.float64)[:, None])
    if not keep_columns:
        return pd.DataFrame(ratios, index=table.index, columns=FACTORS)
    out = table.copy()
    for j, f in enumerate(FACTORS):
        out[f] = ratios[:, j]
    return out


def write_table_tree(pop: Population, table_dir: str | Path, group: str, *,
                     error_types: tuple[str, ...] = ERROR_TYPES, which_factors: tuple[str, ...] = WHICH_FACTORS,
                     filter_prototypes: bool = True, parquet: bool = True, intervals: bool = True,
                     partition: str = "val", progress: bool = False) -> list[Path]:
    """Write the table tree of ``python -m imagenet_x aggregate`` for one group of models.

    ``TABLE_DIR/<partition>/<which>_factor/<group>/<error_type>/accuracies_per_factor.csv`` and
    ``accuracies_per_factor_metaclass.csv``, with the ``human`` row in ``real_class`` only; plus Parquet copies
    and ``factor_intervals.csv`` (Wilson 95% intervals of every factor accuracy and error ratio).
    ``partition="train"`` needs predictions on the 11,233 annotated training images (ImageNet-X itself loads the
    train annotations and writes nothing); the ReaL labels cover validation images only, so every train
    prediction is wrong under ``real_class``, as in ImageNet-X. Every file is written atomically.
    """
    from tqdm.auto import tqdm

    from ._io import atomic_open, write_frame

    from .resources.imagenetx import NOTICE

    written: list[Path] = []
    notice = Path(table_dir) / "NOTICE.txt"
    with atomic_open(notice) as fh:
        fh.write(f"These tables are derived from the ImageNet-X annotations. {NOTICE}\n")
    written.append(notice)
    all_counts = count_factor_sets(pop, whiches=which_factors, error_types=error_types, partition=partition,
                                   filter_prototypes=filter_prototypes, add_human=True)
    for (which, error_type), counts in tqdm(all_counts.items(), desc=f"tables {group}", disable=not progress):
        if error_type != "real_class":
            counts = _drop_last_model(counts)
        out = Path(table_dir) / partition / f"{which}_factor" / group / error_type
        per_factor = accuracy_table(counts)
        per_mc = metaclass_table(counts)
        written.append(write_frame(per_factor, out / "accuracies_per_factor.csv"))
        written.append(write_frame(per_mc, out / "accuracies_per_factor_metaclass.csv"))
        if parquet:
            written.append(write_frame(per_factor, out / "accuracies_per_factor.parquet"))
            written.append(write_frame(per_mc, out / "accuracies_per_factor_metaclass.parquet"))
        if intervals:
            from .analysis import tidy_factor_frame

            written.append(write_frame(tidy_factor_frame(counts), out / "factor_intervals.csv", index=False))
    return written


def _drop_last_model(counts: FactorCounts) -> FactorCounts:
    """The counts without the human pseudo-model (appended last by ``add_human``)."""
    def cut(g: GroupCounts) -> GroupCounts:
        return GroupCounts(g.correct[:-1], g.total[:-1])

    return FactorCounts(counts.models[:-1], counts.which, counts.error_type, cut(counts.factors),
                        cut(counts.metaclass_factors), cut(counts.metaclass), cut(counts.overall), cut(counts.classes))
