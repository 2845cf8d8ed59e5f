"""Paired counts and McNemar's exact test per group (overall, factor, metaclass, class, taxonomy category)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..metrics._mcnemar import holm_adjust, mcnemar_exact
from ..results._schema import DIFF_GROUPS

__all__ = ["group_table", "paired_rows"]

_STATUS = ("both_correct", "fixed", "broken", "both_wrong")


def paired_rows(group_type: str, groups, membership: np.ndarray, status: np.ndarray) -> pd.DataFrame:
    """Counts of the four paired outcomes per group, with McNemar's exact test and Holm within the group type.

    Parameters
    ----------
    group_type : str
        Written to the ``group_type`` column.
    groups : sequence of str, length g
        Group names.
    membership : bool array (n, g)
        Which images (rows) belong to which group (columns); an image may be in several groups.
    status : int array (n,)
        0 both correct, 1 fixed (A wrong, B right), 2 broken (A right, B wrong), 3 both wrong.

    Returns
    -------
    DataFrame
        Rows of the ``diff_groups`` schema, groups with no image left out.
    """
    onehot = np.zeros((len(status), 4), dtype=np.float32)
    onehot[np.arange(len(status)), status] = 1
    counts = (membership.astype(np.float32).T @ onehot).round().astype(np.int64)  # exact below 2**24 per cell
    return _frame(group_type, list(groups), counts)


def _frame(group_type: str, groups: list[str], counts: np.ndarray) -> pd.DataFrame:
    n = counts.sum(axis=1)
    keep = n > 0
    counts, n = counts[keep], n[keep]
    groups = [g for g, k in zip(groups, keep) if k]
    bc, fx, br, bw = counts.T
    with np.errstate(invalid="ignore", divide="ignore"):
        acc_a = (bc + br) / n
        acc_b = (bc + fx) / n
    p = mcnemar_exact(fx, br) if len(n) else np.zeros(0)
    return pd.DataFrame({"group_type": group_type, "group": groups, "n": n, "both_correct": bc, "fixed": fx,
                         "broken": br, "both_wrong": bw, "acc_a": acc_a, "acc_b": acc_b, "p_value": p,
                         "p_holm": holm_adjust(p)})


def category_rows(categories: list[str], cat_a: np.ndarray, cat_b: np.ndarray, status: np.ndarray) -> pd.DataFrame:
    """Per taxonomy category: A's errors of the category that B fixes against B's errors of it that A had right.

    For category k, ``fixed`` counts images where A errs with category k and B is right, ``broken`` images where B
    errs with category k and A is right, ``both_wrong`` images where both err and either error is of category k;
    ``n`` is the number of images with A's or B's category equal to k. McNemar's test then asks whether B removes
    more errors of the category than it adds.
    """
    rows = []
    for k in categories:
        ina, inb = cat_a == k, cat_b == k
        fx = int((ina & (status == 1)).sum())
        br = int((inb & (status == 2)).sum())
        bw = int(((ina | inb) & (status == 3)).sum())
        bc = int(((ina | inb) & (status == 0)).sum())
        rows.append([bc, fx, br, bw])
    counts = np.array(rows, dtype=np.int64).reshape(-1, 4)
    return _frame("category", categories, counts)


def group_table(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate group rows and check them against the ``diff_groups`` schema."""
    return DIFF_GROUPS.validate(pd.concat(frames, ignore_index=True))
