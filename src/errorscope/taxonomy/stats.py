"""Per-model statistics in the layout of the published ``non_problematic_stats_<group>.csv`` (Peychev et al., NeurIPS 2023; the authors' ``collect_results``).

All counts are over non-problematic rows. A row belongs to group g if any label of its multi-label set is a
class of g. MLA variants are 100 x the unweighted mean, over the targets present in the rows, of the fraction
of each target's rows that count as correct (``no_error``: correct, collapsed mapping, multi-label;
``minor_error``: also fine-grained and fine-grained OOV; ``explainable_error``: every row except model
failure).

Model metadata columns (``num_params``, ``training_data``, ``arch`` ...) are copied from the published ETH
stats table when the model name matches one of its 962 ``model_dir_id`` values (``timm--resnet50.a1_in1k``,
or the bare ``resnet50.a1_in1k`` when unambiguous), or from a ``metadata`` frame; otherwise left empty.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..constants import N_CLASSES
from . import categories as cat
from .wordnet import GROUPS, check_group, class_groups

if TYPE_CHECKING:
    from .engine import TaxonomyResult

__all__ = ["taxonomy_stats", "mla", "mla_shankar", "group_rows", "STATS_COLUMNS", "IMAGENET_M_COLUMNS"]

META_COLUMNS = ["model_dir_id", "num_params", "training_data", "arch", "arch_family", "arch_group",
                "extra_annotations"]
STATS_COLUMNS = [
    "num_all_samples", "num_group_samples", "num_group_correct", "num_all_top1_errors", "num_group_top1_errors",
    "mla_all", "mla_all_minor_error", "mla_all_explainable_error", "mla_group", "mla_group_minor_error",
    "mla_group_explainable_error", "num_collapsed_mappings", "num_ambiguous", "num_same_superclass",
    "num_common_co_occ", "num_non_prototypical", "num_OOV_clip", "num_not_classified",
]
IMAGENET_M_COLUMNS = ["num_all_imagenet-m_samples", "num_group_imagenet-m_samples", "num_imagenet-m_errors"]

_ERROR_COLUMNS = {c.stats_column: c.code for c in cat.CATEGORIES if c.stats_column and c.code in cat.ERROR_CODES}


def group_rows(labels_pad: np.ndarray, group: str) -> np.ndarray:
    """Bool (n,): some label of the row's set (int array, negative = padding) is a class of ``group``."""
    member = np.append(class_groups()[check_group(group)], False)
    idx = np.where(labels_pad < 0, N_CLASSES, labels_pad)
    return np.asarray(member[idx].any(axis=1))


def mla(ok: np.ndarray, targets: np.ndarray, rows: np.ndarray, covered: np.ndarray | None = None) -> np.ndarray:
    """Class-averaged accuracy in percent, per model.

    Parameters
    ----------
    ok : bool (M, n) row counts as correct.
    targets : int (n,) target class of each row.
    rows : bool (n,) the rows to average over.
    covered : bool (M, n), optional
        The rows each model has a prediction for; the others are left out of that model's average (the
        coverage convention of every errorscope metric). Default: every row counts.

    Returns
    -------
    float (M,); NaN when no row is selected (the authors' ``compute_mla`` would divide by zero).
    """
    if covered is not None and not covered[:, rows].all():
        return _mla_covered(ok, targets, rows, covered)
    from scipy import sparse

    t = targets[rows].astype(np.int64)
    if t.size == 0:
        return np.full(ok.shape[0], np.nan)
    present, tpos = np.unique(t, return_inverse=True)
    per_class_n = np.bincount(tpos, minlength=len(present)).astype(float)
    onehot = sparse.csr_matrix((np.ones(len(t), dtype=np.float32), (tpos, np.arange(len(t)))),
                               shape=(len(present), len(t)))
    out = np.empty(ok.shape[0])
    step = 64
    for start in range(0, ok.shape[0], step):  # per-class hits of a block of models: one sparse product
        sub = ok[start:start + step][:, rows].astype(np.float32)
        hits = np.asarray((onehot @ sub.T).T)
        out[start:start + step] = 100.0 * np.mean(hits / per_class_n, axis=1)
    return out


def _mla_covered(ok: np.ndarray, targets: np.ndarray, rows: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """:func:`mla` where every model averages over its own covered rows: per-class hits / per-class covered rows."""
    from scipy import sparse

    t = targets[rows].astype(np.int64)
    if t.size == 0:
        return np.full(ok.shape[0], np.nan)
    present, tpos = np.unique(t, return_inverse=True)
    onehot = sparse.csr_matrix((np.ones(len(t), dtype=np.float32), (tpos, np.arange(len(t)))),
                               shape=(len(present), len(t)))
    out = np.empty(ok.shape[0])
    step = 64
    for start in range(0, ok.shape[0], step):
        cov = covered[start:start + step][:, rows]
        # float32 products count exactly (integers below 2**24); the ratio is taken in float64
        hits = np.asarray((onehot @ (ok[start:start + step][:, rows] & cov).astype(np.float32).T).T, np.float64)
        seen = np.asarray((onehot @ cov.astype(np.float32).T).T, np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_class = np.where(seen > 0, hits / seen, np.nan)
            out[start:start + step] = 100.0 * np.nanmean(per_class, axis=1) if per_class.size else np.nan
    return out


def mla_shankar(preds: np.ndarray, labels_pad: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Multi-label accuracy of Shankar et al. (ICML 2020; the TFDS ``imagenet2012_multilabel`` metric), percent.

    The fraction of the selected images whose prediction is in the multi-label set M (p ∈ M), averaged over
    images. Unlike the paper's MLA (:func:`mla`, column ``mla_all``), a collapsed class mapping whose
    prediction is not in M counts as wrong, and the average is not per class.

    Parameters
    ----------
    preds : int (M, n) predictions, negative = missing (left out of that model's average).
    labels_pad : int (n, k) label sets, negative = padding.
    rows : bool (n,) the images to average over (the non-problematic ones).

    Returns
    -------
    float (M,); NaN for a model with no covered selected image.
    """
    sel = np.flatnonzero(rows)
    p = preds[:, sel]
    covered = p >= 0
    hit = np.zeros(p.shape, dtype=bool)
    lab = labels_pad[sel]
    for j in range(lab.shape[1]):  # one (M, n) comparison per label slot
        hit |= (lab[None, :, j] == p) & (lab[None, :, j] >= 0)
    n = covered.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, 100.0 * (hit & covered).sum(axis=1) / n, np.nan)


def _in_codes(codes: np.ndarray, allowed: Iterable[int] | np.ndarray) -> np.ndarray:
    """``np.isin(codes, allowed)`` for int8 codes through a 256-entry lookup table."""
    lut = np.zeros(256, dtype=bool)
    lut[np.asarray(allowed, dtype=np.int64) % 256] = True
    return lut[codes.view(np.uint8)]


def _metadata(model_ids: list[str], metadata: pd.DataFrame | None) -> pd.DataFrame:
    frame = pd.DataFrame({"model_dir_id": model_ids})
    for col in META_COLUMNS[1:]:
        frame[col] = pd.Series([None] * len(model_ids), dtype=object)
    if metadata is None:
        from ..resources import local_path

        path = local_path("eth_error_analysis/stats-imagenet/non_problematic_stats_all.csv")
        if path is None:
            return frame
        published = pd.read_csv(path, usecols=META_COLUMNS).set_index("model_dir_id")
        # also match a bare model name (``resnet50.a1_in1k``) to ``timm--resnet50.a1_in1k`` when unambiguous
        bare = published.index.str.split("--").str[-1]
        unique = ~bare.duplicated(keep=False)
        alias = published[unique].set_axis(bare[unique])
        metadata = pd.concat([published, alias[~alias.index.isin(published.index)]])
    for col in META_COLUMNS[1:]:
        if col in metadata.columns:
            frame[col] = frame["model_dir_id"].map(metadata[col]).astype(object)
    return frame


def taxonomy_stats(result: TaxonomyResult, group: str = "all", *, metadata: pd.DataFrame | None = None,
                   imagenet_reference: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per model in the column order of the ETH ``non_problematic_stats_<group>.csv``.

    Parameters
    ----------
    result : a :class:`~.engine.TaxonomyResult`.
    group : ``all``, ``organism``, ``artifact`` or ``other``.
    metadata : frame indexed by ``model_dir_id`` with any of the metadata columns.
    imagenet_reference : for an ImageNet-A result, the ImageNet ``TaxonomyResult`` of the same models, which
        fills ``imagenet_top1_val_acc`` and ``imagenet_mla_val_acc``; NaN without it.

    Returns
    -------
    DataFrame
        One row per model, the ETH columns then the extra ones.

    Notes
    -----
    ``mla_all`` and the other ``mla_*`` columns are the paper's MLA (collapsed class mappings count as
    correct, class-averaged). Extra columns, after the ETH ones: ``label_source``, ``superclass_source``,
    ``mla_all_shankar`` (the multi-label accuracy of Shankar et al. / TFDS: p ∈ M over the non-problematic
    images, :func:`mla_shankar`), ``cooccurrence_source``
    (``published`` or ``derived``), ``cooccurrence_pairs`` (the pair source's description: how many pairs,
    from where),
    ``clip_step`` (``skipped`` when the OOV step did not run; ``num_OOV_clip`` is then 0 and the later
    categories are biased upwards), and ``num_missing`` (rows without a prediction, excluded).
    """
    check_group(group)
    kn = result.knowledge
    labels = kn.labels
    nonprob = ~kn.problematic
    codes = result.codes
    valid = codes >= 0
    in_group = group_rows(labels.labels, group) & nonprob
    t = labels.targets
    ids = [m.replace("/", "--") for m in result.models]
    out = _metadata(ids, metadata)
    out["top1_val_acc"] = result.top1_val_acc
    is_a = labels.source == "imagenet-a"
    if is_a:
        out["top1_val_acc_subset_200"] = (result.subset_200_acc if result.subset_200_acc is not None
                                          else np.full(len(ids), np.nan))
        ref = imagenet_reference
        if ref is not None:
            pos = [ref.models.index(m) for m in result.models]
            out["imagenet_top1_val_acc"] = ref.top1_val_acc[pos]
            out["imagenet_mla_val_acc"] = mla(_in_codes(ref.codes, cat.NO_ERROR_CODES), ref.labels.targets,
                                              ~ref.knowledge.problematic)[pos]
        else:
            out["imagenet_top1_val_acc"] = np.nan
            out["imagenet_mla_val_acc"] = np.nan
    else:
        out["imagenet_top1_val_acc"] = result.top1_val_acc
    no_err = _in_codes(codes, cat.NO_ERROR_CODES)
    minor = _in_codes(codes, cat.MINOR_CODES)
    explain = _in_codes(codes, cat.EXPLAINABLE_CODES)
    mla_all = mla(no_err, t, nonprob, valid)
    if not is_a:
        out["imagenet_mla_val_acc"] = mla_all
    rows_all = nonprob[None, :] & valid
    rows_g = in_group[None, :] & valid
    correct = codes == cat.BY_NAME["correct"].code
    error = rows_all & (result.preds != t[None, :])
    out["num_all_samples"] = rows_all.sum(axis=1)
    out["num_group_samples"] = rows_g.sum(axis=1)
    out["num_group_correct"] = (correct & rows_g).sum(axis=1)
    out["num_all_top1_errors"] = error.sum(axis=1)
    out["num_group_top1_errors"] = (error & in_group[None, :]).sum(axis=1)
    out["mla_all"] = mla_all
    out["mla_all_minor_error"] = mla(minor, t, nonprob, valid)
    out["mla_all_explainable_error"] = mla(explain, t, nonprob, valid)
    out["mla_group"] = mla(no_err, t, in_group, valid)
    out["mla_group_minor_error"] = mla(minor, t, in_group, valid)
    out["mla_group_explainable_error"] = mla(explain, t, in_group, valid)
    for column, code in _ERROR_COLUMNS.items():
        out[column] = ((codes == code) & rows_g).sum(axis=1)
    if labels.has_imagenet_m:
        m_rows = labels.imagenet_m & nonprob
        cols = np.flatnonzero(m_rows & in_group)
        preds_m = result.preds[:, cols]
        in_m = (labels.labels[cols][None, :, :] == preds_m[:, :, None]).any(axis=2)
        out["num_all_imagenet-m_samples"] = int(m_rows.sum())
        out["num_group_imagenet-m_samples"] = len(cols)
        out["num_imagenet-m_errors"] = (~in_m & (preds_m >= 0)).sum(axis=1)
    acc_cols = ["top1_val_acc"] + (["top1_val_acc_subset_200"] if is_a else []) + [
        "imagenet_top1_val_acc", "imagenet_mla_val_acc"]
    m_cols = IMAGENET_M_COLUMNS if labels.has_imagenet_m else []
    out = out[META_COLUMNS + acc_cols + STATS_COLUMNS + m_cols].copy()
    out["label_source"] = labels.source
    out["superclass_source"] = kn.superclasses.source
    out["mla_all_shankar"] = mla_shankar(result.preds, labels.labels, nonprob)
    out["cooccurrence_source"] = kn.cooccurrence.source
    out["cooccurrence_pairs"] = kn.cooc_excluded
    out["clip_step"] = result.clip_step
    out["num_missing"] = (~valid & nonprob[None, :]).sum(axis=1)
    return out.sort_values("model_dir_id", kind="stable").reset_index(drop=True)


def all_group_stats(result: TaxonomyResult, **kwargs: Any) -> dict[str, pd.DataFrame]:
    """:func:`taxonomy_stats` for every group."""
    return {g: taxonomy_stats(result, g, **kwargs) for g in GROUPS}
