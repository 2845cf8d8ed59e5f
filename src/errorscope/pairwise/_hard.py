"""Hard images: the images most models of a population get wrong, and each model's share of errors on them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..datasets._names import distinct_class_names
from ..exceptions import InvalidInputError
from ..predictions import Population
from ..results._schema import HARD_IMAGES
from . import _context as ctx

__all__ = ["HardImages", "hard_images"]


@dataclass(eq=False)
class HardImages:
    """The hard images of a population.

    Attributes
    ----------
    table : DataFrame (``hard_images`` schema), hardest first (ties by file order).
    per_model : DataFrame with ``model, errors, errors_on_hard, hard_share``.
    threshold : float, an image is hard when more than this share of the models covering it get it wrong.
    min_models : int, images covered by fewer models are not ranked.
    n_models : int, models of the population.
    label_source : multi-label source of the taxonomy categories ('skipped' without).
    """

    table: pd.DataFrame
    per_model: pd.DataFrame
    threshold: float
    min_models: int
    n_models: int
    label_source: str

    def header(self) -> str:
        """The definition of the hard images and what they rest on.

        Returns
        -------
        str
            One sentence.
        """
        return (f"{len(self.table):,} hard images: wrong (top-1 vs original labels) for more than "
                f"{self.threshold:.0%} of the models covering them (at least {self.min_models} of {self.n_models}); "
                f"taxonomy categories with {self.label_source} labels.")


def _mode_per_column(values: np.ndarray, valid: np.ndarray, n_values: int) -> tuple[np.ndarray, np.ndarray]:
    """Most frequent valid value per column (ties to the smaller value) and its count; -1 where none."""
    m, n = values.shape
    flat = np.where(valid, values.astype(np.int64) + n_values * np.arange(n)[None, :], -1).ravel()
    counts = np.bincount(flat[flat >= 0], minlength=n_values * n).reshape(n, n_values)
    best = counts.argmax(axis=1)
    top = counts[np.arange(n), best]
    return np.where(top > 0, best, -1), top


def hard_images(population: Population, *, threshold: float = 0.5, min_models: int = 2,
                taxonomy: bool = True, labels: str = "real", taxonomy_result=None) -> HardImages:
    """The images most models of ``population`` get wrong.

    Parameters
    ----------
    population : Population
        Models on the ImageNet validation images.
    threshold : float in [0, 1)
        An image is hard when its error rate (wrong models / models covering it) exceeds this share.
    min_models : int
        Images covered by fewer models are left out.
    taxonomy : bool
        Give the most frequent taxonomy category of the errors (runs :func:`errorscope.taxonomy.classify`).
    labels : {"real", "shankar", "auto"}
        Multi-label source of the taxonomy.
    taxonomy_result : TaxonomyResult, optional
        The population's taxonomy, already computed (same models in the same order), instead of running it.

    Returns
    -------
    HardImages
    """
    if not isinstance(population, Population):
        raise InvalidInputError(f"Expected a Population, but got {type(population).__name__}.")
    if not 0 <= threshold < 1:
        raise InvalidInputError(f"Expected `threshold` in [0, 1), but got {threshold}.")
    ctx.require_val(population.index)
    top1 = population.top1
    t = np.asarray(population.index.labels)
    covered = top1 >= 0
    wrong = covered & (top1 != t[None, :])
    n_cov = covered.sum(axis=0)
    n_wrong = wrong.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n_cov > 0, n_wrong / np.maximum(n_cov, 1), np.nan)
    hard = (n_cov >= min_models) & (rate > threshold)
    cols = np.flatnonzero(hard)
    cols = cols[np.lexsort((cols, -rate[cols]))]
    names = distinct_class_names()
    pred_mode, _ = _mode_per_column(top1[:, cols], wrong[:, cols], 1000)
    label_source = "skipped"
    top_cat = np.full(len(cols), "", dtype=object)
    if taxonomy and len(cols):
        from ..taxonomy import categories as cat
        from ..taxonomy.engine import classify

        res = taxonomy_result
        if res is None or list(res.models) != list(population.models):
            res = classify(population, labels)
        label_source = res.label_source
        pos = population.index.positions(res.labels.file_names)
        codes = np.full(top1.shape, -1, dtype=np.int64)
        codes[:, pos] = res.final_codes()
        sub = codes[:, cols]
        mode, _ = _mode_per_column(np.maximum(sub, 0), wrong[:, cols] & (sub >= 0), len(cat.BY_CODE))
        cat_names = np.array([cat.BY_CODE[c].name for c in sorted(cat.BY_CODE)] + [""], dtype=object)
        top_cat = cat_names[np.where(mode >= 0, mode, len(cat_names) - 1)]
    errs, rejects = ctx.label_flags()
    table = pd.DataFrame({
        "file_name": np.asarray(population.index.file_names)[cols],
        "target": t[cols].astype(np.int16),
        "target_name": names[t[cols]],
        "n_models": n_cov[cols].astype(np.int64),
        "error_rate": rate[cols],
        "top_prediction": np.where(pred_mode >= 0, names[np.maximum(pred_mode, 0)], ""),
        "top_category": top_cat,
        "factors": ctx.factor_strings("top")[cols],
        "real_labels": ctx.real_label_strings(True)[cols],
        "label_error": errs[cols],
        "real_rejects_label": rejects[cols],
    })
    errors = wrong.sum(axis=1)
    on_hard = wrong[:, hard].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(errors > 0, on_hard / np.maximum(errors, 1), np.nan)
    per_model = pd.DataFrame({"model": population.models, "errors": errors, "errors_on_hard": on_hard,
                              "hard_share": share})
    return HardImages(HARD_IMAGES.validate(table), per_model, threshold, min_models, len(population), label_source)
